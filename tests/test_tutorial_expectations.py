"""Conformance: every expected verdict of every tutorial step and variant, computed by netpolkit.

The expectations live in ``manifests/<tutorial>/tutorial.yaml``; each case replays the tutorial up to one step
(:meth:`netpolkit.course.Tutorial.cluster_at`) and compares every cell with :func:`netpolkit.course.check_step`.
"""

from __future__ import annotations

import importlib.util

import pytest

from netpolkit.course import Step, Tutorial, Variant, check_step, reachability_for
from netpolkit.model.k8s import NetworkPolicy

TUTORIALS = ("aks", "cilium", "gke", "calico", "guardrails")
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


def _kubernetes_only(tut: Tutorial, item: Step | Variant) -> bool:
    return all(isinstance(p, NetworkPolicy) for p in tut.cluster_for(item.id).policy_objects)


@pytest.mark.parametrize("profile", ["upstream", "calico", "cilium"])
@pytest.mark.parametrize("name", ["aks", "cilium", "gke"])
def test_kubernetes_tutorials_do_not_depend_on_the_profile(name: str, profile: str):
    """The fact files state that no cell of the Kubernetes-only tutorials depends on the profile (the Cilium
    tutorial's part 2, with Cilium's own kinds, only runs under the cilium profile)."""
    tut = Tutorial.load(name)
    items = [item for item in (*tut.steps, *tut.variants) if _kubernetes_only(tut, item)]
    assert len(items) >= 3
    problems = [p for item in items if (p := _failures(tut, item, profile=profile))]
    assert not problems, "\n".join(problems)


def test_cilium_part_two_redoes_part_one_step_for_step():
    """s3/s4 (CiliumNetworkPolicy) give exactly the verdicts of s1/s2 (NetworkPolicy), on every port."""
    tut = Tutorial.load("cilium")
    for kubernetes, cilium in (
        ("s1-backend-ingress-deny", "s3-cilium-backend-ingress-deny"),
        ("s2-backend-allow-ingress-frontend", "s4-cilium-backend-allow-ingress-frontend"),
    ):
        for engine in ("vectorized", "reference"):
            a, b = (reachability_for(tut, step, engine=engine) for step in (kubernetes, cilium))
            for port in a.ports:
                assert (a.frame(port) == b.frame(port)).all().all(), (cilium, engine, port)


@pytest.mark.parametrize("profile", ["calico", "cilium"])
def test_guardrails_tutorial_does_not_depend_on_the_profile(profile: str):
    """ClusterNetworkPolicy runs in kube-admin/kube-baseline under Calico and beside NetworkPolicy under Cilium:
    every cell of the guardrails tutorial is the same (its tables avoid self pairs)."""
    tut = Tutorial.load("guardrails")
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
