"""Every course notebook and lab runs top to bottom (papermill, kernel `python3`, headless matplotlib).

Executed copies live under pytest's tmp_path; set NETPOLKIT_EXECUTED_DIR=some/folder to also keep them
there (mirroring notebooks/ and labs/), e.g. to convert them with `jupyter nbconvert --to html`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED_DIR_ENV = "NETPOLKIT_EXECUTED_DIR"
# Generous per-cell limit so a hanging kernel fails the run instead of eating CI's time.
CELL_TIMEOUT_S = 600


def _is_lab_solution(path: Path) -> bool:
    return "solutions" in path.relative_to(ROOT).parts or path.name.endswith(".solution.ipynb")


def _runnable_notebooks() -> list[pytest.ParameterSet]:
    """notebooks/*.ipynb (id: file name) and lab notebooks without solutions (id: path under the repo)."""
    params = [pytest.param(nb, id=nb.name) for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    # Lab exercises (labs/*.ipynb) run as shipped; their solutions (labs/solutions/*.py) run in test_labs.py.
    labs = sorted((ROOT / "labs").glob("**/*.ipynb"))
    params += [
        pytest.param(nb, id=nb.relative_to(ROOT).as_posix())
        for nb in labs
        if ".ipynb_checkpoints" not in nb.parts and not _is_lab_solution(nb)
    ]
    return params


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", _runnable_notebooks())
def test_notebook_runs(notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    papermill = pytest.importorskip("papermill", reason="needs the `notebooks` extra")

    # The kernel is a subprocess: it inherits these.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # Resolve the `python3` kernelspec to this environment's ipykernel even if the user has another
    # `python3` kernelspec in ~/.local/share/jupyter (jupyter_client then runs sys.executable).
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")

    output = tmp_path / notebook.name
    try:
        # Raises papermill.PapermillExecutionError (with the failing cell's traceback) on any error.
        papermill.execute_notebook(
            str(notebook),
            str(output),
            kernel_name="python3",
            cwd=str(notebook.parent),
            progress_bar=False,
            execution_timeout=CELL_TIMEOUT_S,
        )
    finally:
        executed_dir = os.environ.get(EXECUTED_DIR_ENV)
        if executed_dir and output.exists():  # also keep failed runs: papermill marks the failing cell
            target = Path(executed_dir) / notebook.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(output, target)
