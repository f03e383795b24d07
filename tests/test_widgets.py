"""The explorer: its state without a browser, and the ipywidgets view built headless."""

from __future__ import annotations

import sys

import matplotlib
import pytest

import netpolkit as npk
from netpolkit.course import Tutorial
from netpolkit.widgets import Explorer, ExplorerState, explore

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def aks() -> Tutorial:
    return Tutorial.load("aks")


def test_selecting_a_step_changes_the_verdicts(aks):
    state = ExplorerState.from_tutorial(aks)
    assert state.step == "s0-baseline" and "TCP/3000" in state.ports
    assert state.reach.allowed("yournamespace/web", "yournamespace/api", "TCP/3000")
    state.select_step("s1-deny-all")
    assert not state.reach.allowed("yournamespace/web", "yournamespace/api", "TCP/3000")
    assert state.previous_reach is not None and state.previous_reach.allowed(
        "yournamespace/web", "yournamespace/api", "TCP/3000"
    )


def test_toggling_a_policy_off_reopens_traffic_and_results_are_cached(aks):
    state = ExplorerState.from_tutorial(aks)
    state.select_step("s1-deny-all")
    closed = state.reach
    state.toggle_policy("NetworkPolicy yournamespace/deny-all", False)
    assert state.reach.allowed("yournamespace/web", "yournamespace/api", "TCP/3000")
    assert "1 policies switched off" in state.summary
    assert ".0 " not in state.summary  # counts, not floats
    state.toggle_policy("NetworkPolicy yournamespace/deny-all", True)
    assert state.reach is closed  # cached
    with pytest.raises(KeyError, match="no policy"):
        state.toggle_policy("NetworkPolicy nowhere/x", False)


def test_explanation_and_highlight(aks):
    state = ExplorerState.from_tutorial(aks)
    assert "Pick a source" in state.explanation_text
    state.select_step("s2-db-netpol")
    state.select_port("TCP/5984")
    state.select_pair("yournamespace/api", "yournamespace/db")
    assert "deny-all" in state.explanation_text and "BLOCKED" in state.explanation_text
    state.highlight("default/outsider")
    assert "kube-system/coredns" in state.reachable_from_highlight
    assert "yournamespace/db" not in state.reachable_from_highlight


def test_observers_are_told_of_every_change(aks):
    state = ExplorerState.from_tutorial(aks)
    seen = []
    state.observe(lambda s: seen.append((s.step, s.port)))
    state.select_step("s4-web-netpol")
    state.select_port("UDP/53")
    assert seen == [("s4-web-netpol", state.ports[0]), ("s4-web-netpol", "UDP/53")]


def test_view_follows_the_widgets(aks):
    explorer = explore(aks)
    assert explorer.step.value == "s0-baseline"
    explorer.step.value = "s4-web-netpol"
    explorer.port.value = "TCP/3000"
    assert explorer.state.step == "s4-web-netpol" and explorer.state.port == "TCP/3000"
    assert explorer.summary.value.startswith("s4-web-netpol:") and "TCP/3000" in explorer.summary.value
    assert "NetworkPolicy yournamespace/web-netpol" in explorer.policies.options
    explorer.source.value, explorer.destination.value = "yournamespace/web", "yournamespace/api"
    assert "ALLOWED" in explorer.explain.value
    explorer.policies.value = tuple(r for r in explorer.policies.options if "web-netpol" not in r)
    assert "web-netpol" in " ".join(explorer.state.disabled)
    assert "BLOCKED" in explorer.explain.value
    titles = [ax.get_title() for ax in explorer.figure_.axes]
    assert any("TCP/3000" in t for t in titles), titles  # the heatmap of the chosen port was drawn


def test_explorer_for_one_cluster_toggles_its_policies():
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": n, "namespace": "a", "labels": {"app": n}},
            "spec": {"containers": [{"name": n, "ports": [{"containerPort": 80}]}]},
        }
        for n in ("x", "y")
    ] + [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "a"},
            "spec": {"podSelector": {}},
        }
    ]
    explorer = explore(npk.Cluster.from_objects(objects))
    assert explorer.state.ports == ("TCP/80",)
    assert not explorer.state.reach.allowed("a/x", "a/y", "TCP/80")
    explorer.state.toggle_policy("NetworkPolicy a/deny", False)
    assert explorer.state.reach.allowed("a/x", "a/y", "TCP/80")
    assert isinstance(explorer, Explorer)


def test_view_without_the_extra_names_it(monkeypatch, aks):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(ImportError, match=r"netpolkit\[widgets\]"):
        explore(aks)
