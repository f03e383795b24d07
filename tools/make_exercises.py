"""Generate the lab exercise notebooks from their solutions (``make exercises``); ``--check`` finds drift.

Each ``labs/solutions/<lab-id>.py`` (a jupytext percent script) is the source. Its cells tagged ``solution`` are
replaced by an ``answer`` cell that opens the participant's answer file (``labs/answers/<lab-id>.yaml``, ignored by
git, created from a template on first run), and the result is written to ``labs/<lab-id>.ipynb`` in its committed
form (:func:`netpolkit.notebook_files.strip`: no outputs). The exercise never holds an answer, so a participant's
work never makes a tracked notebook differ from the course's. ``--check`` writes nothing and exits 1 when a
committed exercise differs from what would be generated.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

from netpolkit.notebook_files import strip

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "labs" / "solutions"
EXERCISES = ROOT / "labs"
ANSWER_STUB = """\
answer = exercise.answer_file()  # labs/answers/<lab-id>.yaml: created on first run, yours, ignored by git
answer  # the link: click it, write your policies, save (Ctrl+S), then run the check below"""
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def exercise_from_solution(path: Path) -> nbformat.NotebookNode:
    """The exercise notebook for one solution script: solution cells replaced by the answer-file cell."""
    notebook = jupytext.read(path, fmt="py:percent")
    cells = []
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags:
            cell = nbformat.v4.new_code_cell(ANSWER_STUB, metadata={"tags": ["answer"]})
        elif cell.cell_type == "code":
            cell = nbformat.v4.new_code_cell(cell.source, metadata={"tags": tags} if tags else {})
        else:
            cell = nbformat.v4.new_markdown_cell(cell.source)
        cells.append(cell)
    exercise = nbformat.v4.new_notebook(cells=cells)
    exercise.metadata = {"kernelspec": KERNELSPEC}
    for index, cell in enumerate(exercise.cells):
        cell["id"] = f"{path.stem[:20]}-{index}"
    return exercise


def render(notebook: nbformat.NotebookNode) -> str:
    """The exact text a generated exercise is committed as (the form tools/strip_notebooks.py leaves)."""
    return nbformat.writes(strip(notebook)) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) every exercise notebook."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when an exercise has drifted")
    args = parser.parse_args(argv)
    drifted = []
    for solution in sorted(SOLUTIONS.glob("*.py")):
        target = EXERCISES / f"{solution.stem}.ipynb"
        text = render(exercise_from_solution(solution))
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if args.check:
            if current != text:
                drifted.append(target.relative_to(ROOT))
        elif current != text:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    orphans = [p.relative_to(ROOT) for p in EXERCISES.glob("*.ipynb") if not (SOLUTIONS / f"{p.stem}.py").exists()]
    if args.check and (drifted or orphans):
        for path in drifted:
            print(f"{path}: differs from its solution; run `make exercises`", file=sys.stderr)
        for path in orphans:
            print(f"{path}: has no solution in labs/solutions/", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
