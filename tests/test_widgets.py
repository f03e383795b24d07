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


def _pod(name: str, port: int = 80) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
        "spec": {"containers": [{"name": name, "ports": [{"containerPort": port}]}]},
    }


def _policy(name: str, app: str | None = None, **spec) -> dict:
    selector = {"matchLabels": {"app": app}} if app else {}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"podSelector": selector, "policyTypes": ["Ingress"], **spec},
    }


DENY_ALL = _policy("deny-all")
WEB_TO_API = _policy("web-to-api", "api", ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}])


@pytest.fixture
def tiny() -> list[tuple[str, npk.Cluster]]:
    """A tutorial-like list of steps: open, then deny-all, then deny-all plus web -> api."""
    pods = [_pod("web"), _pod("api"), _pod("db", 5432)]
    return [
        ("open", npk.Cluster.from_objects(pods)),
        ("deny-all", npk.Cluster.from_objects([*pods, DENY_ALL])),
        ("web-to-api", npk.Cluster.from_objects([*pods, DENY_ALL, WEB_TO_API])),
    ]


def test_state_from_a_list_of_steps(tiny):
    state = ExplorerState(tiny)
    assert state.ports == ("TCP/80", "TCP/5432")  # every declared port, by number
    assert state.profile == "upstream" and state.profiles == ("upstream", "calico", "cilium")
    assert state.reach.allowed("shop/web", "shop/api", "TCP/80") and state.previous_reach is None
    state.select_step("deny-all")
    assert not state.reach.allowed("shop/web", "shop/api", "TCP/80")
    assert state.previous_reach.allowed("shop/web", "shop/api", "TCP/80")
    assert state.summary == "deny-all: 0 of 6 pairs allowed on TCP/80 (upstream)"
    state.select_step("web-to-api")
    assert state.reach.allowed("shop/web", "shop/api", "TCP/80")
    assert not state.reach.allowed("shop/db", "shop/api", "TCP/80")
    state.toggle_policy("NetworkPolicy shop/deny-all", False)  # web-to-api still isolates api
    assert state.reach.allowed("shop/web", "shop/db", "TCP/80") and not state.reach.allowed(
        "shop/db", "shop/api", "TCP/80"
    )
    state.toggle_policy("NetworkPolicy shop/web-to-api", False)
    assert state.reach.allowed("shop/db", "shop/api", "TCP/80")
    with pytest.raises(KeyError, match="no step"):
        state.select_step("nowhere")
    with pytest.raises(KeyError, match="no port"):
        state.select_port("TCP/1")


def test_cache_is_per_step_toggles_and_profile(tiny):
    state = ExplorerState(tiny)
    state.select_step("deny-all")
    upstream = state.reach
    assert state.reach is upstream
    assert not upstream.allowed("shop/web", "shop/web", "TCP/80")  # upstream evaluates self traffic
    state.select_profile("cilium")
    assert state.reach is not upstream and state.reach.allowed("shop/web", "shop/web", "TCP/80")
    state.select_profile("upstream")
    assert state.reach is upstream
    with pytest.raises(KeyError, match="no profile"):
        state.select_profile("weave")


def test_explanation_names_the_deciding_policy_and_highlight_has_roles(tiny):
    state = ExplorerState(tiny)
    state.select_step("web-to-api")
    assert state.explanation is None and "Pick a source" in state.explanation_text
    state.select_pair("shop/db", "shop/api")
    assert state.explanation is not None and not state.explanation.allowed
    assert "web-to-api" in state.explanation_text and "BLOCKED" in state.explanation_text
    state.select_pair(None, None)
    state.highlight("shop/web", "source")
    assert state.reachable_from_highlight == ["shop/api"]
    assert "on TCP/80, shop/web reaches: shop/api" in state.explanation_text
    state.highlight("shop/api", "destination")
    assert state.reachable_from_highlight == ["shop/web"]
    assert "on TCP/80, shop/api is reached by: shop/web" in state.explanation_text
    state.highlight("shop/db", "destination")
    assert state.reachable_from_highlight == [] and "reached by: nobody" in state.explanation_text
    state.highlight(None)
    assert state.reachable_from_highlight == []
    with pytest.raises(ValueError, match="role"):
        state.highlight("shop/web", "sideways")


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


def test_view_of_a_list_of_steps_stays_in_line_with_the_state(tiny):
    explorer = explore(tiny)
    redraws = []
    explorer.state.observe(lambda s: redraws.append(s.step))
    assert explorer.profile.options == ("upstream", "calico", "cilium")
    assert explorer.source.options == ("", "shop/api", "shop/db", "shop/web")
    explorer.port.value = "TCP/5432"
    assert explorer.state.port == "TCP/5432" and explorer.summary.value.startswith("open: ")
    assert "on TCP/5432 (upstream)" in explorer.summary.value
    assert redraws == ["open"]
    explorer.step.value = "web-to-api"
    assert redraws == ["open", "web-to-api"]  # one change, one redraw: syncing the policy list toggles nothing
    assert (
        explorer.policies.value
        == explorer.policies.options
        == (
            "NetworkPolicy shop/deny-all",
            "NetworkPolicy shop/web-to-api",
        )
    )
    explorer.port.value = "TCP/80"
    explorer.source.value = "shop/web"
    assert explorer.state.highlighted == "shop/web" and explorer.state.highlight_role == "source"
    assert "shop/web reaches: shop/api" in explorer.explain.value
    explorer.destination.value = "shop/api"
    assert explorer.state.pair == ("shop/web", "shop/api") and "ALLOWED" in explorer.explain.value
    explorer.profile.value = "cilium"
    assert explorer.state.profile == "cilium" and explorer.summary.value.endswith("(cilium)")
    redraws.clear()
    explorer.state.select_step("open")  # a change made on the state shows in the widgets ...
    assert explorer.step.value == "open" and explorer.policies.options == ()
    assert redraws == ["open"]  # ... and the widgets being synced do not echo it back
    (output,) = explorer.picture.outputs
    assert output["output_type"] == "display_data" and output["data"]["image/png"]
    assert len(explorer.figure_.axes) >= 1


def test_show_changes_draws_heatmap_and_diff(tiny):
    explorer = explore(tiny, profile="cilium")
    single = len(explorer.figure_.axes)  # first step: nothing to compare with
    explorer.step.value = "deny-all"
    assert len(explorer.figure_.axes) > single  # the step figure: heatmap and diff
    explorer.changes.value = False
    assert len(explorer.figure_.axes) == single
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
