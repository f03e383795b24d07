"""Committed notebooks are clean: no outputs, a papermill `parameters` cell, the python3 kernel.

Fix a failure with `make strip` (outputs) or by editing the notebook (tags, kernel).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "labs")


def _notebooks() -> list[Path]:
    found = (nb for folder in FOLDERS for nb in (ROOT / folder).rglob("*.ipynb"))
    return sorted(nb for nb in found if ".ipynb_checkpoints" not in nb.parts)


def _params() -> list:
    notebooks = _notebooks()
    if not notebooks:
        reason = f"no notebook under {' or '.join(f + '/' for f in FOLDERS)} yet"
        return [pytest.param(None, id="no-notebooks", marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(nb, id=nb.relative_to(ROOT).as_posix()) for nb in notebooks]


def _problems(nb: dict) -> list[str]:
    problems = []
    code_cells = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    dirty = [i for i, cell in enumerate(code_cells) if cell.get("outputs") or cell.get("execution_count") is not None]
    if dirty:
        problems.append(f"code cells {dirty} carry outputs or an execution_count: run `make strip`")
    if not code_cells:
        problems.append("no code cell (the first code cell must be tagged `parameters`)")
    else:
        tags = code_cells[0].get("metadata", {}).get("tags", [])
        if "parameters" not in tags:
            problems.append(f"first code cell must be tagged `parameters` (papermill); its tags: {tags}")
    kernelspec = nb.get("metadata", {}).get("kernelspec", {})
    if kernelspec.get("name") != "python3":
        problems.append(f"kernelspec name must be `python3`, got {kernelspec!r}")
    return problems


@pytest.mark.parametrize("path", _params())
def test_notebook_is_clean(path: Path) -> None:
    problems = _problems(json.loads(path.read_text(encoding="utf-8")))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", _params())
def test_notebook_is_in_its_committed_form(path: Path) -> None:
    """Byte for byte what the save hook writes (netpolkit.notebook_files.strip), so saving it changes nothing."""
    import nbformat

    from netpolkit.notebook_files import strip

    text = path.read_text(encoding="utf-8")
    committed = nbformat.writes(strip(nbformat.reads(text, as_version=nbformat.NO_CONVERT))) + "\n"
    assert text == committed, f"{path.name} differs from its committed form: run `make strip`"
