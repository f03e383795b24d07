"""netpolkit.lesson: the helpers the tutorial notebooks share."""

from __future__ import annotations

import dataclasses

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from netpolkit import lesson
from netpolkit.course import Tutorial


@pytest.fixture(scope="module")
def aks() -> Tutorial:
    return Tutorial.load("aks")


def _with_flipped_expectation(tutorial: Tutorial, step_id: str) -> Tutorial:
    step = tutorial.step(step_id)
    first = step.expect[0]
    wrong = dataclasses.replace(first, allowed=not first.allowed)
    bad_step = dataclasses.replace(step, expect=(wrong, *step.expect[1:]))
    steps = tuple(bad_step if s.id == step_id else s for s in tutorial.steps)
    return dataclasses.replace(tutorial, steps=steps)


def test_assert_step_passes_on_the_shipped_expectations(aks: Tutorial) -> None:
    lesson.assert_step(aks, "s2-db-netpol")


def test_assert_step_raises_on_a_wrong_expectation(aks: Tutorial) -> None:
    bad = _with_flipped_expectation(aks, "s2-db-netpol")
    first = bad.step("s2-db-netpol").expect[0]
    with pytest.raises(AssertionError, match=f"{first.src} -> {first.dst}"):
        lesson.assert_step(bad, "s2-db-netpol")


def test_expectations_table_columns_and_marks(aks: Tutorial) -> None:
    table = lesson.expectations_table(aks, "s3b-label-kube-system")
    assert list(table.columns) == ["from", "to", "port", "via", "test", "expected", "computed", "ok", "why"]
    assert set(table["ok"]) == {lesson.OK}
    assert len(table) == len(aks.step("s3b-label-kube-system").expect)
    bad = lesson.expectations_table(_with_flipped_expectation(aks, "s2-db-netpol"), "s2-db-netpol")
    assert bad["ok"].iloc[0] == lesson.WRONG


def test_step_heatmaps_has_heatmap_and_diff(aks: Tutorial) -> None:
    fig = lesson.step_heatmaps(aks, "s1-deny-all", "TCP/80")
    try:
        assert len(fig.axes) == 2
    finally:
        plt.close(fig)


def test_previous_id_of_steps_and_variants() -> None:
    gke = Tutorial.load("gke")
    assert lesson.previous_id(gke, "s0-baseline") is None
    assert lesson.previous_id(gke, "s1-default-deny-ingress") == "s0-baseline"
    assert lesson.previous_id(gke, "v-or-two-peers") == "s2-allow-lol-yahoo-lol-default"


def test_policy_order_puts_unordered_policies_last() -> None:
    calico = Tutorial.load("calico")
    table = lesson.policy_order(calico.cluster_at("s4-allow-egress"), "wordpress/wordpress")
    assert table["order"].tolist()[:2] == ["200", "1000"]
    assert table["order"].iloc[-1] == "none (last)"
    unordered = table[table["order"] == "none (last)"]["name"].tolist()
    assert unordered == sorted(unordered)


def test_start_page_lists_every_notebook_and_lab_as_a_link() -> None:
    """notebooks/00-start-here.ipynb: a Markdown list of links, one per notebook and lab, each to a file that exists."""
    import re
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parents[1]
    start = nbformat.read(root / "notebooks" / "00-start-here.ipynb", as_version=4)
    text = "\n".join(c.source for c in start.cells if c.cell_type == "markdown")
    links = re.findall(r"^- \[[^\]]+\]\(([^)]+\.ipynb)\)", text, flags=re.MULTILINE)
    targets = {(root / "notebooks" / link).resolve() for link in links}
    assert all(target.is_file() for target in targets), links
    wanted = {p.resolve() for p in (root / "notebooks").glob("*.ipynb") if p.name != "00-start-here.ipynb"}
    wanted |= {p.resolve() for p in (root / "labs").glob("*.ipynb")}
    assert targets == wanted
