"""Every tutorial notebook, run in JupyterLab in a real browser: Run > Run All Cells, then read the page.

papermill (tests/test_notebooks.py) proves the code runs; this proves what a participant sees: every code cell
got an execution count, no cell shows an error, and every image output (the heatmaps) was decoded by the browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_server import ROOT

pytestmark = pytest.mark.ui

# The start notebook and the four tutorial walk-throughs (AKS, Cilium, Calico, GKE).
TUTORIALS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("0[0-4]-*.ipynb"))


def test_the_tutorial_notebooks_are_found() -> None:
    assert [Path(p).name[:2] for p in TUTORIALS] == ["00", "01", "02", "03", "04"]


@pytest.mark.parametrize("path", TUTORIALS, ids=[Path(p).stem for p in TUTORIALS])
def test_tutorial_runs_in_the_browser_without_errors_and_draws_every_heatmap(path, open_notebook, screenshot) -> None:
    notebook = open_notebook(path)
    cells = notebook.run_all()

    code = [c for c in cells if c.code]
    assert code, f"{path}: JupyterLab shows no code cell"
    errors = [f"{c.describe()}:\n{c.errors[0][:1500]}" for c in code if c.errors]
    assert not errors, f"{path}: error output in the browser:\n" + "\n".join(errors)
    not_run = [c.describe() for c in code if not c.executed]
    assert not not_run, f"{path}: cells without an execution count after Run All Cells: {not_run}"

    images = [(c, image) for c in cells for image in c.images]
    assert images, f"{path}: no image in any output (every tutorial draws heatmaps)"
    broken = [f"{c.describe()}: {image['src'][:60]}" for c, image in images if image["width"] <= 0]
    assert not broken, f"{path}: images the browser could not decode: {broken}"
    missing = [c.describe() for c in cells if c.png_outputs > len(c.images)]
    assert not missing, f"{path}: image/png outputs without a rendered <img>: {missing}"

    last_picture = max(c.index for c, _ in images)
    screenshot(notebook, "last-heatmap", cell=last_picture)
