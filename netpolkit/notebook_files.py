"""What a committed course notebook holds, and the JupyterLab save hook that keeps a participant's clone clean.

A course notebook is committed without outputs, execution counts or volatile metadata, but with the metadata that
JupyterLab writes back as soon as a kernel starts (``kernelspec`` and ``language_info``), so that opening a notebook
changes nothing. :func:`strip` produces that committed form; ``tools/strip_notebooks.py`` applies it to the repo.

:func:`pre_save_hook` applies the same :func:`strip` when JupyterLab saves a notebook that git tracks (autosave
included). The saved file is then byte for byte the committed one unless the participant edited a cell, so
``git status`` stays clean and ``git pull`` of course updates never conflicts with a run. ``make lab`` and Binder
load it from ``binder/jupyter_server_config.py``. Work a participant wants to keep, with its outputs, goes under a
folder git ignores (see the README), where nothing is stripped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

__all__ = ["COURSE_FOLDERS", "LANGUAGE_INFO", "is_tracked_course_notebook", "pre_save_hook", "strip"]

COURSE_FOLDERS = ("notebooks", "labs")

# What ipykernel reports as `language_info`, minus `version` (the local Python's patch level, which differs between
# machines: Binder, a laptop, CI). JupyterLab writes it back when a kernel starts; the save hook drops `version`.
LANGUAGE_INFO: dict[str, Any] = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
# Cell metadata written by JupyterLab, classic Notebook, papermill or extensions while running or viewing.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime", "papermill")
# Notebook metadata written by papermill, widgets and extensions.
VOLATILE_NOTEBOOK_METADATA = ("papermill", "widgets", "toc", "varInspector")
# Cells papermill adds to executed copies (injected parameters, error banners).
PAPERMILL_CELL_TAGS = frozenset({"injected-parameters", "papermill-error-cell-tag"})


def strip(nb: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Turn a notebook (an ``nbformat`` node or a plain dict) into its committed form, in place, and return it.

    Drops outputs, execution counts, volatile cell and notebook metadata and papermill's injected cells; keeps
    sources, cell ids, tags and ``kernelspec``; sets a python ``language_info`` without its ``version``.
    """
    metadata = nb.setdefault("metadata", {})
    for key in VOLATILE_NOTEBOOK_METADATA:
        metadata.pop(key, None)
    if metadata.get("kernelspec", {}).get("language", "python") == "python":
        metadata["language_info"] = {**LANGUAGE_INFO, **_without_version(metadata.get("language_info"))}
    nb["cells"] = [
        cell for cell in nb.get("cells", []) if not PAPERMILL_CELL_TAGS & set(cell.get("metadata", {}).get("tags", []))
    ]
    for cell in nb["cells"]:
        cell_metadata = cell.setdefault("metadata", {})
        for key in VOLATILE_CELL_METADATA:
            cell_metadata.pop(key, None)
        if cell_metadata.get("tags") == []:
            del cell_metadata["tags"]
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        elif "attachments" in cell and not cell["attachments"]:
            del cell["attachments"]
    return nb


def _without_version(language_info: Any) -> dict[str, Any]:
    if not isinstance(language_info, dict) or language_info.get("name") != "python":
        return {}
    return {key: value for key, value in language_info.items() if key != "version"}


def is_tracked_course_notebook(path: Path) -> bool:
    """True when ``path`` is a notebook under ``notebooks/`` or ``labs/`` of a git work tree and git tracks it.

    Outside a git work tree (a downloaded archive, Binder without history) every notebook under those folders counts.
    """
    path = Path(path).resolve()
    if path.suffix != ".ipynb" or ".ipynb_checkpoints" in path.parts:
        return False
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return any(part in COURSE_FOLDERS for part in path.parent.parts)
    if listed.returncode == 0:
        return True
    if b"not a git repository" in listed.stderr.lower():
        return any(part in COURSE_FOLDERS for part in path.parent.parts)
    return False


def pre_save_hook(model: dict[str, Any], path: str, contents_manager: Any, **kwargs: Any) -> None:
    """Jupyter server ``pre_save_hook``: save a tracked course notebook in its committed form.

    Configure with ``c.FileContentsManager.pre_save_hook = "netpolkit.notebook_files.pre_save_hook"`` (as
    ``binder/jupyter_server_config.py`` does). Other files, and notebooks git does not track, are saved as they are.
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), MutableMapping):
        return
    root = getattr(contents_manager, "root_dir", os.getcwd())
    if is_tracked_course_notebook(Path(root) / path.lstrip("/")):
        strip(model["content"])
