"""A participant's clone stays clean: running a course notebook in Jupyter and saving it changes no tracked file.

The real path: a git clone holding a course notebook, a real Jupyter server started with the course's config
(``binder/jupyter_server_config.py``, which ``make lab`` and Binder use), the notebook executed by a real kernel
(``nbclient`` writes back outputs and the kernel's ``language_info``, as JupyterLab does), then saved through the
server's contents API, which is what JupyterLab's save and autosave call. ``git status`` must show nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from netpolkit.notebook_files import strip

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/00-start-here.ipynb"
SERVER_START_TIMEOUT_S = 90
SERVER_START_ATTEMPTS = 3


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A git repository holding the course config and one committed course notebook, as a clone would."""
    repo = tmp_path / "course"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "binder").mkdir()
    shutil.copy(ROOT / NOTEBOOK, repo / NOTEBOOK)
    shutil.copy(ROOT / "binder" / "jupyter_server_config.py", repo / "binder")
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "course")
    return repo


@pytest.fixture
def server(clone: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A Jupyter server on a free loopback port over ``clone``, with the course's config; yields (url, token).

    Its log goes to a file (a pipe nobody reads could fill and stall it); a port taken between choosing it and
    the server binding it means another try on a new port.
    """
    token = secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_PREFER_ENV_PATH": "1"}
    for attempt in range(SERVER_START_ATTEMPTS):
        port, log = _free_port(), tmp_path / f"jupyter-server-{attempt}.log"
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--config={clone / 'binder' / 'jupyter_server_config.py'}",
            f"--ServerApp.root_dir={clone}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            "--ServerApp.open_browser=False",
            "--allow-root",
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(command, cwd=clone, env=env, stdout=sink, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            if _wait_until_up(process, url, token):
                yield url, token
                return
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    raise RuntimeError(f"Jupyter server did not start: {log.read_text(errors='replace')[-2000:]}")


def _wait_until_up(process: subprocess.Popen, url: str, token: str) -> bool:
    """True once the server answers; False when it exited (e.g. its port was taken); an error when it hangs."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        try:
            _request(url, token, "GET", "/api/status")
            return True
        except OSError as error:
            if process.poll() is not None:
                return False
            if time.monotonic() > deadline:
                raise RuntimeError(f"Jupyter server at {url} did not answer in {SERVER_START_TIMEOUT_S} s") from error
            time.sleep(0.3)


def _save(url: str, token: str, path: str, content: dict) -> None:
    _request(url, token, "PUT", f"/api/contents/{path}", {"type": "notebook", "format": "json", "content": content})


def _request(url: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url + path,
        data=data,
        method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"{}")


def _executed(content: dict, cwd: Path) -> dict:
    from nbclient import NotebookClient

    nb = nbformat.from_dict(content)
    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


@pytest.mark.notebook
def test_running_and_saving_a_course_notebook_leaves_git_clean(clone: Path, server: tuple[str, str]) -> None:
    url, token = server
    model = _request(url, token, "GET", f"/api/contents/{NOTEBOOK}?content=1")
    executed = _executed(model["content"], clone / "notebooks")
    assert any(cell.get("outputs") for cell in executed.cells), "the kernel produced no output: nothing was tested"
    assert executed.metadata.language_info.get("version"), "nbclient writes back the kernel's language_info"

    _request(
        url, token, "PUT", f"/api/contents/{NOTEBOOK}", {"type": "notebook", "format": "json", "content": executed}
    )

    assert _git(clone, "status", "--porcelain") == ""
    # A copy git does not track (the participant's own work) keeps its outputs: the hook only cleans course files.
    _request(
        url,
        token,
        "PUT",
        "/api/contents/notebooks/mine.ipynb",
        {"type": "notebook", "format": "json", "content": executed},
    )
    mine = json.loads((clone / "notebooks" / "mine.ipynb").read_text(encoding="utf-8"))
    assert any(cell.get("outputs") for cell in mine["cells"])


@pytest.mark.notebook
def test_an_edited_cell_is_still_saved(clone: Path, server: tuple[str, str]) -> None:
    url, token = server
    model = _request(url, token, "GET", f"/api/contents/{NOTEBOOK}?content=1")
    content = model["content"]
    content["cells"].append(nbformat.v4.new_markdown_cell("my notes"))
    _save(url, token, NOTEBOOK, content)
    assert "my notes" in (clone / NOTEBOOK).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "metadata",
    [
        {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        {"language_info": {"name": "python", "version": "3.13.1", "mimetype": "text/x-python"}},
        {"papermill": {"duration": 1.0}, "widgets": {"state": {}}},
    ],
    ids=["kernelspec only", "kernel's language_info", "papermill and widgets"],
)
def test_strip_keeps_language_info_without_version(metadata: dict) -> None:
    nb = nbformat.v4.new_notebook(metadata=metadata)
    nb.cells = [nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="1")], execution_count=3)]
    stripped = strip(nb)
    assert stripped.metadata["language_info"]["name"] == "python"
    assert "version" not in stripped.metadata["language_info"]
    assert not {"papermill", "widgets"} & set(stripped.metadata)
    assert stripped.cells[0].outputs == [] and stripped.cells[0].execution_count is None
    assert strip(nbformat.from_dict(json.loads(json.dumps(stripped)))) == stripped, "strip is idempotent"
