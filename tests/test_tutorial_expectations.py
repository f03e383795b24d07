"""Conformance: every expected verdict of every tutorial step and variant, computed by netpolkit.

The expectations live in ``manifests/<tutorial>/tutorial.yaml``; each case replays the tutorial up to one step
(:meth:`netpolkit.course.Tutorial.cluster_at`) and compares every cell with :func:`netpolkit.course.check_step`.
"""

from __future__ import annotations

import importlib.util

import pytest

from netpolkit.course import Step, Tutorial, Variant, check_step, reachability_for

TUTORIALS = ("aks", "cilium", "gke", "calico")
HAS_CALICO = importlib.util.find_spec("netpolkit.model.calico") is not None
SHOWN = ["from", "to", "port", "protocol", "expected", "computed"]


def _cases() -> list:
    cases = []
    for name in TUTORIALS:
        tut = Tutorial.load(name)
        marks = []
        if name == "calico" and not HAS_CALICO:
            marks.append(pytest.mark.xfail(reason="Calico policies: issue 4", strict=False))
        for item in (*tut.steps, *tut.variants):
            cases.append(pytest.param(name, item.id, marks=marks, id=f"{name}:{item.id}"))
    return cases


CASES = _cases()


def _failures(tut: Tutorial, item: Step | Variant, **kwargs) -> str:
    result = check_step(reachability_for(tut, item.id, **kwargs), item)
    bad = result.loc[~result["ok"], SHOWN]
    if bad.empty:
        return ""
    return f"{tut.id}:{item.id}: {len(bad)} of {len(result)} cells differ\n{bad.to_string(index=False)}"


@pytest.mark.parametrize(("name", "item_id"), CASES)
def test_step_expectations(name: str, item_id: str):
    """Vectorized engine, the tutorial's own profile."""
    tut = Tutorial.load(name)
    problems = _failures(tut, tut.find(item_id))
    assert not problems, problems


@pytest.mark.parametrize(("name", "item_id"), CASES)
def test_step_expectations_reference_engine(name: str, item_id: str):
    """The per-pair reference engine (the oracle) must agree with the tables too."""
    tut = Tutorial.load(name)
    problems = _failures(tut, tut.find(item_id), engine="reference")
    assert not problems, problems


@pytest.mark.parametrize("profile", ["upstream", "calico", "cilium"])
@pytest.mark.parametrize("name", ["aks", "cilium", "gke"])
def test_kubernetes_tutorials_do_not_depend_on_the_profile(name: str, profile: str):
    """The fact files state that no cell of the Kubernetes-only tutorials depends on the profile."""
    tut = Tutorial.load(name)
    problems = [p for item in (*tut.steps, *tut.variants) if (p := _failures(tut, item, profile=profile))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", TUTORIALS)
def test_replay_keeps_every_step_state_distinct(name: str):
    """cluster_at is cumulative: each step adds or replaces objects; the baseline has no policy."""
    tut = Tutorial.load(name)
    assert len(tut.cluster_at(tut.steps[0].id).policies) == 0
    previous = None
    for step in tut.steps:
        cluster = tut.cluster_at(step.id)
        state = repr(sorted(map(repr, cluster.objects)))
        assert state != previous, f"{step.id} changed nothing"
        previous = state
