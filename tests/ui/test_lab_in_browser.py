"""Lab 04 (Services and named ports) worked in the browser: a wrong answer, then the solution.

The participant's path, click by click: Run All Cells; click the answer-file link under the answer cell (JupyterLab
opens ``labs/answers/<lab id>.yaml`` in its editor); write policies there and save with Ctrl+S; back in the
notebook, run the check cell and read its report.

What this relies on, so it is easy to adapt when labs change shape:
* ``labs/04-service-and-named-ports.ipynb`` has an answer cell (ANSWER_CELL_MARKER) whose output links to the
  answer file, and a later check cell (CHECK_CELL_MARKER) whose ``result.show()`` prints "Hint." and draws a diff
  heatmap for a wrong answer, and "Passed" for a right one (``netpolkit.lab.CheckResult.show``);
* the answer file is ``labs/answers/<lab id>.yaml`` under the server root (``netpolkit.lab.answers_dir``, which the
  server's ``NETPOLKIT_MANIFESTS`` points into the temporary copy);
* the solution is the ``tags=["solution"]`` cell of ``labs/solutions/04-service-and-named-ports.py``
  (one assignment: ``answer = <the YAML as a string>``);
* ``netpolkit.lab.check`` is the oracle for the report the page must show.

The wrong answer is the mistake the lab is about: the rule names the Service port (80) instead of the pod's
container port. A NetworkPolicy port "can either be a numerical or named port on a pod" (Kubernetes API
reference, NetworkPolicyPort), and a Service forwards its ``port`` to the pods' ``targetPort`` (Kubernetes docs,
Service: "Defining a Service"), so a policy must name 3000 or ``http``, never 80.
"""

from __future__ import annotations

import re

import pytest
from ui_server import ROOT

from netpolkit import lab

pytestmark = pytest.mark.ui

LAB_ID = "04-service-and-named-ports"
LAB_NOTEBOOK = f"labs/{LAB_ID}.ipynb"
SOLUTION_SCRIPT = ROOT / "labs" / "solutions" / f"{LAB_ID}.py"
ANSWER_CELL_MARKER = "exercise.answer_file()"
CHECK_CELL_MARKER = "exercise.check(answer)"
ANSWER_FILE = f"labs/answers/{LAB_ID}.yaml"


def _solution_yaml() -> str:
    """The answer of the ``tags=["solution"]`` cell of the lab's solution script (jupytext percent format)."""
    text = SOLUTION_SCRIPT.read_text(encoding="utf-8")
    found = re.search(r'^# %% tags=\["solution"\]\n(.*?)(?=^# %%|\Z)', text, flags=re.MULTILINE | re.DOTALL)
    assert found, f"{SOLUTION_SCRIPT.relative_to(ROOT)} has no cell tagged solution"
    namespace: dict[str, str] = {}
    exec(found.group(1), namespace)  # the cell is one assignment: answer = """..."""
    return namespace["answer"]


def _wrong_answer() -> str:
    """The solution with the Service port (80) where its first rule names the container port (``http``)."""
    wrong, replaced = re.subn(r"port: http\b.*", "port: 80", _solution_yaml(), count=1)
    assert replaced, f"{SOLUTION_SCRIPT.relative_to(ROOT)} no longer names the container port http"
    return wrong


def test_the_wrong_answer_is_the_service_port_mistake_and_the_solution_passes() -> None:
    """The oracle, without a browser: what the page must show for each answer."""
    wrong = lab.check(LAB_ID, _wrong_answer())
    assert wrong.status == "wrong" and wrong.hint_id == "service-port", str(wrong)
    assert lab.check(LAB_ID, _solution_yaml()).passed


def test_lab_shows_hint_and_diff_heatmap_for_a_wrong_answer_and_passed_for_the_solution(
    open_notebook, screenshot
) -> None:
    notebook = open_notebook(LAB_NOTEBOOK)
    cells = notebook.run_all()
    assert not [c.describe() for c in cells if c.errors], f"{LAB_NOTEBOOK} fails as shipped"
    answer = notebook.find_cell(ANSWER_CELL_MARKER)
    check = notebook.find_cell(CHECK_CELL_MARKER)
    assert check > answer
    assert "Not done" in notebook.output_text(check), "before any answer the check says it is not done"

    report, images = _answer_and_check(notebook, answer, check, _wrong_answer())
    expected = lab.check(LAB_ID, _wrong_answer())
    assert _words(expected.message) in report, report
    assert "Hint." in report and _words(expected.hint) in report, report
    assert images and all(image["width"] > 0 for image in images), f"no diff heatmap under the check: {images}"
    screenshot(notebook, "wrong-answer", cell=check)

    report, images = _answer_and_check(notebook, answer, check, _solution_yaml())
    assert "Passed" in report and "Hint." not in report, report
    assert not images, "a passed answer draws no diff heatmap"
    screenshot(notebook, "solution", cell=check)


def _answer_and_check(notebook, answer: int, check: int, text: str) -> tuple[str, tuple]:
    """Open the answer file from the link under the answer cell, write ``text``, save, run the check cell;
    the check's report (whitespace collapsed) and its images."""
    notebook.open_output_link(answer, "answers/")
    notebook.write_in_editor(ANSWER_FILE, text)
    notebook.activate()
    cells = notebook.run_cell(check)
    assert not cells[check].errors, cells[check].errors
    return _words(notebook.output_text(check)), cells[check].images


def _words(text: str) -> str:
    """Text with whitespace collapsed and Markdown emphasis/code marks removed, as the browser shows it."""
    return " ".join(re.sub(r"[*`]", "", text).split())
