"""Labs: exercises are generated from their solutions, solutions pass, typical wrong answers get their hint."""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import matplotlib
import nbformat
import papermill
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from netpolkit import lab

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "labs" / "solutions").glob("*.py"))
WRONG = sorted((ROOT / "tests" / "data" / "labs").glob("*/*.yaml"))
sys.path.insert(0, str(ROOT / "tools"))
import make_exercises  # noqa: E402


def _solution_answer(path: Path) -> str:
    notebook = jupytext.read(path, fmt="py:percent")
    cells = [c for c in notebook.cells if "solution" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{path.name}: expected one cell tagged solution"
    scope: dict = {}
    exec(cells[0].source, scope)
    return scope["answer"]


def test_every_lab_has_a_solution_and_an_exercise():
    ids = lab.labs()
    assert ids, "no lab under manifests/labs/"
    assert [p.stem for p in SOLUTIONS] == ids
    assert sorted(p.stem for p in (ROOT / "labs").glob("*.ipynb")) == ids


def test_exercises_do_not_drift_from_their_solutions(capsys):
    assert make_exercises.main(["--check"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_exercise_notebook_holds_no_solution(solution: Path):
    exercise = nbformat.read(ROOT / "labs" / f"{solution.stem}.ipynb", as_version=4)
    text = "\n".join(c.source for c in exercise.cells)
    answer = _solution_answer(solution)
    for line in (ln.strip() for ln in answer.splitlines()):
        if line.startswith(("kind:", "apiVersion:", "name:")) or len(line) < 25:
            continue  # short or generic lines may appear in the story too
        assert line not in text, f"solution line {line!r} leaked into the exercise"
    answer_cells = [c for c in exercise.cells if "answer" in c.get("metadata", {}).get("tags", [])]
    assert [c.source for c in answer_cells] == [make_exercises.ANSWER_STUB]  # the answer lives in a file
    assert lab.check(solution.stem, lab.Lab.load(solution.stem).answer_template()).status == "not done"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solution_answer_passes_the_check(solution: Path):
    result = lab.check(solution.stem, _solution_answer(solution))
    assert result.passed, str(result)


@pytest.mark.notebook
@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_solution_notebook_runs_with_strict_check(solution: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv(lab.ANSWERS_ENV_VAR, str(tmp_path / "answers"))  # never a participant's answer file
    notebook = jupytext.read(solution, fmt="py:percent")
    notebook.metadata["kernelspec"] = make_exercises.KERNELSPEC
    source = tmp_path / f"{solution.stem}.ipynb"
    nbformat.write(notebook, source)
    papermill.execute_notebook(
        str(source),
        str(tmp_path / "out.ipynb"),
        parameters={"strict": True},
        kernel_name="python3",
        cwd=str(ROOT / "labs"),
        progress_bar=False,
    )


@pytest.mark.parametrize("wrong", WRONG, ids=[f"{p.parent.name}:{p.stem}" for p in WRONG])
def test_typical_wrong_answer_gets_its_hint(wrong: Path):
    result = lab.check(wrong.parent.name, wrong.read_text(encoding="utf-8"))
    assert not result.passed
    assert result.hint_id == wrong.stem, str(result)
    assert result.hint
    if wrong.stem == "invalid":
        assert result.status == "invalid" and "your answer" in result.message
        assert "field named" not in result.hint  # a YAML syntax error names a line and column, no field
    else:
        assert result.status == "wrong" and not result.differences.empty


def test_empty_answer_is_not_done_and_does_not_raise():
    first = lab.labs()[0]
    for answer in (None, "", "\n# only a comment\n"):
        result = lab.check(first, answer)
        assert result.status == "not done" and not result.passed
        with pytest.raises(AssertionError, match="Not done"):
            result.raise_unless_passed()


def test_answer_may_only_contain_policies():
    first = lab.labs()[0]
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: sneaky}\nspec: {containers: []}\n"
    result = lab.check(first, pod)
    assert result.status == "invalid" and "only policies count" in result.message


def test_service_port_hint_names_the_port_of_the_service_in_front_of_the_blocked_pod():
    wrong = ROOT / "tests" / "data" / "labs" / "04-service-and-named-ports" / "service-port.yaml"
    result = lab.check("04-service-and-named-ports", wrong.read_text(encoding="utf-8"))
    assert "TCP/3000 (Service shop/api forwards 80 to it)" in result.hint


def test_diff_heatmap_counts_the_same_cells_as_the_check():
    wrong = ROOT / "tests" / "data" / "labs" / "02-and-or-peers" / "or-instead-of-and.yaml"
    result = lab.check("02-and-or-peers", wrong.read_text(encoding="utf-8"))
    display = result.diff_heatmap(result.differences["port"].iloc[0])
    shown = display.counts_["newly allowed"] + display.counts_["newly blocked"]
    port = result.differences["port"].iloc[0]
    assert shown == int((result.differences["port"] == port).sum())


def test_cluster_guardrails_subject_on_every_namespace_gets_the_wrong_subject_hint():
    """The other face of wrong-subject: a subject that picks pods the goal leaves open (here: every namespace)."""
    answer = _solution_answer(ROOT / "labs" / "solutions" / "07-cluster-guardrails.py")
    everyone = answer.replace("    namespaces:\n      matchLabels:\n        data: restricted\n", "    namespaces: {}\n")
    assert everyone != answer
    result = lab.check("07-cluster-guardrails", everyone)
    assert result.hint_id == "wrong-subject", str(result)
    assert "picks library/web, which the goal leaves open" in result.hint


def test_cluster_guardrails_priority_hint_names_the_policy_that_wins():
    wrong = ROOT / "tests" / "data" / "labs" / "07-cluster-guardrails" / "admin-priority.yaml"
    result = lab.check("07-cluster-guardrails", wrong.read_text(encoding="utf-8"))
    assert "ClusterNetworkPolicy campus-web (priority 20)" in result.hint
    assert "(priority 30)" in result.hint


def test_cluster_guardrails_rule_hints_name_the_rule():
    folder = ROOT / "tests" / "data" / "labs" / "07-cluster-guardrails"
    passed = lab.check("07-cluster-guardrails", (folder / "pass-instead-of-deny.yaml").read_text(encoding="utf-8"))
    assert 'ingress rule 3 "nothing-else-from-outside"' in passed.hint
    accepted = lab.check("07-cluster-guardrails", (folder / "accept-skips-owners.yaml").read_text(encoding="utf-8"))
    assert 'ingress rule 2 "library-is-the-owners-call"' in accepted.hint


# ---- the answer file: labs/answers/<lab-id>.yaml, ignored by git --------------------------------------------------


@pytest.fixture
def answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "answers"
    monkeypatch.setenv(lab.ANSWERS_ENV_VAR, str(folder))
    return folder


def test_answer_file_is_created_from_the_template_once_and_then_kept(answers: Path):
    exercise = lab.Lab.load("01-default-deny")
    first = exercise.answer_file()
    assert first.created and first.path == answers / "01-default-deny.yaml"
    assert first.path.read_text(encoding="utf-8") == exercise.answer_template()
    assert exercise.title in exercise.answer_template()
    first.path.write_text("# my work\n", encoding="utf-8")
    again = exercise.answer_file()
    assert not again.created and again.path.read_text(encoding="utf-8") == "# my work\n"
    assert f"]({again})" in again._repr_markdown_()  # a link a notebook renders


def test_check_reads_the_answer_file(answers: Path):
    solution = _solution_answer(ROOT / "labs" / "solutions" / "01-default-deny.py")
    exercise = lab.Lab.load("01-default-deny")
    assert exercise.check().status == "not done"  # no file yet
    answer = exercise.answer_file()
    assert exercise.check(answer).status == "not done"  # only the template's comments
    answer.path.write_text(exercise.answer_template() + solution, encoding="utf-8")
    assert exercise.check(answer).passed
    assert exercise.check().passed  # no argument: the answer file


def test_invalid_answer_file_is_named_and_documents_count_from_one(answers: Path):
    exercise = lab.Lab.load("01-default-deny")
    path = exercise.answer_file().path
    good = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {podSelector: {}}\n"
    path.write_text(good + "---\n" + good.replace("name: a", "name: b").replace("podSelector", "podSelecter"))
    result = exercise.check()
    assert result.status == "invalid"
    assert "01-default-deny.yaml: document 2: NetworkPolicy shop/b: spec.podSelecter" in result.message


def test_answers_live_in_a_folder_git_ignores(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(lab.ANSWERS_ENV_VAR, raising=False)
    assert lab.answers_dir() == ROOT / "labs" / "answers"
    assert "labs/answers/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


# ---- pictures: every differing port, and only the cells to change --------------------------------------------


def test_diff_heatmaps_draw_every_port_that_differs():
    """The Service-port mistake of lab 01 differs on TCP/80 and TCP/8080: both get a panel."""
    wrong = ROOT / "tests" / "data" / "labs" / "01-default-deny" / "service-port.yaml"
    result = lab.check("01-default-deny", wrong.read_text(encoding="utf-8"))
    panels = result.diff_heatmaps()
    try:
        assert [p.port for p in panels] == ["TCP/80", "TCP/8080"]
        for panel in panels:
            shown = panel.counts_["newly allowed"] + panel.counts_["newly blocked"]
            assert shown == int((result.differences["port"] == panel.port).sum())
        assert len({id(p.figure_) for p in panels}) == 1  # one figure
    finally:
        plt.close(panels[0].figure_)


@pytest.mark.parametrize("lab_id", lab.labs())
def test_lab_introduction_marks_exactly_the_cells_to_change(lab_id: str):
    exercise = lab.Lab.load(lab_id)
    to_change = exercise.cells_to_change()
    panels = exercise.change_heatmaps()
    try:
        assert [p.port for p in panels] == [p for p in exercise.ports if p in set(to_change["port"])]
        for panel in panels:
            cells = to_change[to_change["port"] == panel.port]
            assert panel.counts_["newly allowed"] == int((cells["goal"] == "allowed").sum())
            assert panel.counts_["newly blocked"] == int((cells["goal"] == "blocked").sum())
            assert "must become allowed" in panel.legend_.get_texts()[0].get_text()
    finally:
        if panels:
            plt.close(panels[0].figure_)


def test_calico_lab_introduction_is_one_panel_for_its_one_cell():
    exercise = lab.Lab.load("06-calico-ordering")
    panels = exercise.change_heatmaps()
    try:
        assert len(exercise.ports) == 3 and [p.port for p in panels] == ["TCP/3306"]
        assert panels[0].counts_["newly allowed"] == 1 and panels[0].counts_["newly blocked"] == 0
    finally:
        plt.close(panels[0].figure_)
