"""Start JupyterLab and Chromium for the browser tests, on a throwaway copy of the course files.

Nothing here knows about pytest: ``tests/ui/conftest.py`` wraps these in session fixtures, and a developer can
use them from a Python prompt to look at the same JupyterLab the tests drive.

* :func:`course_copy` copies ``notebooks/``, ``labs/`` and ``manifests/`` into a temporary folder, so running
  notebooks (and saving them, or writing lab answers) never touches the tracked files.
* :class:`JupyterLabServer` runs ``jupyter lab`` on a free loopback port with a random token, settings and
  workspaces of its own, and waits for ``/api/status``.
* :func:`find_chromium` / :func:`launch_chromium` use the system's Chromium (Debian's ``chromium``) through
  Playwright's ``executable_path``: no ``playwright install``, no browser download.
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
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
COURSE_FOLDERS = ("notebooks", "labs", "manifests")

# An explicit browser: NETPOLKIT_CHROMIUM=/path/to/chromium; otherwise the first of these on PATH.
CHROMIUM_ENV = "NETPOLKIT_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without the background-networking flags Chromium phones home at start-up; on a closed network those
# connections are refused and slow everything down. A fresh --user-data-dir comes from Playwright's launch().
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

HOW_TO_GET_CHROMIUM = f"""\
The browser tests (tests/ui) need Chromium and the Python package playwright.
  * Chromium: on Debian/Ubuntu `sudo apt-get update && sudo apt-get install -y chromium`
    (`make ui-deps` does this itself when run as root); on macOS `brew install --cask chromium`;
    or point {CHROMIUM_ENV} at any Chromium/Chrome executable: `export {CHROMIUM_ENV}=/path/to/chrome`.
    `playwright install` is NOT needed: the tests use that executable.
  * playwright: `.venv/bin/pip install -e '.[ui]'` (`make test` installs every extra it needs)."""

# JupyterLab settings for a quiet, predictable page: no news toast over the notebook, no update check, and every
# cell kept in the DOM (the default windowing leaves cells far below the fold out of it, and their images too).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

STATUS_TIMEOUT_S = 90


class BrowserTestSetupError(RuntimeError):
    """Something the browser tests need is missing; the message says how to get it."""


def course_copy(target: Path) -> Path:
    """Copy the course folders (notebooks, labs, manifests) into ``target`` and return it."""
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "answers")
    for name in COURSE_FOLDERS:
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    return target


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class JupyterLabServer:
    """``jupyter lab`` serving ``root_dir`` on a free loopback port; :meth:`start`, :meth:`stop`, :meth:`url`.

    ``state_dir`` holds what the server would otherwise read from or write to the home folder (config, runtime
    files, IPython profile, lab settings and workspaces) and the server log.
    """

    root_dir: Path
    state_dir: Path
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        """The server's stdout and stderr."""
        return self.state_dir / "jupyterlab.log"

    def url(self, path: str = "", **query: str) -> str:
        """An address on this server, with the token (``path`` relative to the server root, e.g. ``lab/tree/x``)."""
        params = "&".join([*(f"{k}={v}" if v else k for k, v in query.items()), f"token={self.token}"])
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?{params}"

    def environment(self) -> dict[str, str]:
        """The server's environment; kernels inherit it."""
        env = dict(os.environ)
        env.update(
            {
                "JUPYTER_CONFIG_DIR": str(self.state_dir / "config"),
                "JUPYTER_RUNTIME_DIR": str(self.state_dir / "runtime"),
                "IPYTHONDIR": str(self.state_dir / "ipython"),
                # The kernelspec `python3` resolves to this environment's ipykernel, never a user-wide one.
                "JUPYTER_PREFER_ENV_PATH": "1",
                # Kernels draw figures as inline PNGs whatever the caller's MPLBACKEND says.
                "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                # The notebooks read the copied manifests (netpolkit.course.manifests_dir).
                "NETPOLKIT_MANIFESTS": str(self.root_dir / "manifests"),
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            }
        )
        return env

    def command(self) -> list[str]:
        """The ``jupyter lab`` command line."""
        settings, workspaces = self.state_dir / "settings", self.state_dir / "workspaces"
        return [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            # The course's server settings, as `make lab` and Binder use them (the clean-clone save hook).
            f"--config={ROOT / 'binder' / 'jupyter_server_config.py'}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={workspaces}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=",
            # No look-ups on PyPI for the extension manager's listing.
            "--LabApp.extension_manager=readonly",
            # CI runs as root; JupyterLab refuses that unless told.
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ]

    def _write_settings(self) -> None:
        for relative, values in LAB_SETTINGS.items():
            path = self.state_dir / "settings" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values), encoding="utf-8")
        (self.state_dir / "workspaces").mkdir(parents=True, exist_ok=True)

    def start(self, attempts: int = 3) -> JupyterLabServer:
        """Start the server and wait until ``/api/status`` answers (retries on another port if one was taken)."""
        self._write_settings()
        for attempt in range(attempts):
            self.port = free_loopback_port()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    self.command(),
                    cwd=self.root_dir,
                    env=self.environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_for_status():
                return self
            self.stop()
            if attempt == attempts - 1:
                raise BrowserTestSetupError(
                    f"JupyterLab did not answer on /api/status within {STATUS_TIMEOUT_S} s "
                    f"(log {self.log_path}):\n{self.log_tail()}"
                )
        return self

    def _wait_for_status(self) -> bool:
        deadline = time.monotonic() + STATUS_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False  # exited, e.g. the port was taken in the meantime
            try:
                self.api("GET", "api/status")
                return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.25)
        return False

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API (``path`` like ``api/sessions``); the decoded JSON answer, or None."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut every running kernel down (between tests, so idle kernels do not hold memory)."""
        for session in self.api("GET", "api/sessions") or ():
            self.api("DELETE", f"api/sessions/{session['id']}")
        for kernel in self.api("GET", "api/kernels") or ():
            self.api("DELETE", f"api/kernels/{kernel['id']}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log."""
        if not self.log_path.is_file():
            return "(no log)"
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (and with it its kernels)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


def find_chromium() -> str:
    """The Chromium executable to drive: ``$NETPOLKIT_CHROMIUM``, else the first known name on PATH."""
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            raise BrowserTestSetupError(
                f"{CHROMIUM_ENV}={explicit!r} is not an executable file.\n{HOW_TO_GET_CHROMIUM}"
            )
        return explicit
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserTestSetupError(
        f"no Chromium found on PATH (looked for {', '.join(CHROMIUM_NAMES)}).\n{HOW_TO_GET_CHROMIUM}"
    )


def launch_chromium(playwright: Any, executable: str) -> Any:
    """Launch ``executable`` headless through Playwright (a fresh user data dir per launch)."""
    return playwright.chromium.launch(executable_path=executable, args=list(CHROMIUM_FLAGS), headless=True)
