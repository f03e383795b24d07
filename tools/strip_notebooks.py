"""Strip outputs, execution counts and volatile metadata from the course notebooks.

Usage (from anywhere; paths are relative to the current directory, default: notebooks/ and labs/ of the repo):

    python tools/strip_notebooks.py            # rewrite notebooks that carry outputs
    python tools/strip_notebooks.py --check    # list them and exit 1, change nothing
    python tools/strip_notebooks.py path/to/a.ipynb some/folder/

Kept: cell sources, cell ids, tags (the `parameters` tag matters to papermill), kernelspec and language_info
(without its version): what JupyterLab writes back, so that opening a notebook changes nothing. The rules are
netpolkit.notebook_files.strip, which JupyterLab also applies on save (binder/jupyter_server_config.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import nbformat

from netpolkit.notebook_files import COURSE_FOLDERS, strip

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FOLDERS = COURSE_FOLDERS


def iter_notebooks(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for nb in sorted(path.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in nb.parts:
                    yield nb
        elif path.suffix == ".ipynb" and path.exists():
            yield path


def process(path: Path, check: bool) -> bool:
    """Return True when ``path`` is not clean (and, unless ``check``, rewrite it clean)."""
    original = path.read_text(encoding="utf-8")
    nb = nbformat.reads(original, as_version=nbformat.NO_CONVERT)
    stripped = nbformat.writes(strip(nb)) + "\n"
    if stripped.rstrip("\n") == original.rstrip("\n"):
        return False
    if not check:
        path.write_text(stripped, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks or folders (default: notebooks/ labs/)")
    parser.add_argument("--check", action="store_true", help="only list notebooks that need stripping; exit 1")
    args = parser.parse_args(argv)

    paths = args.paths or [ROOT / folder for folder in DEFAULT_FOLDERS]
    dirty = [nb for nb in iter_notebooks(paths) if process(nb, check=args.check)]
    for nb in dirty:
        shown = nb.resolve().relative_to(ROOT) if nb.resolve().is_relative_to(ROOT) else nb
        print(f"{'needs stripping' if args.check else 'stripped'}: {shown}")
    if args.check and dirty:
        print(f"{len(dirty)} notebook(s) carry outputs or volatile metadata: run `make strip`.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
