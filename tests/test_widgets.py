"""The explorer: its state without a browser, and the ipywidgets view built headless."""

from __future__ import annotations

import base64
import sys

import matplotlib
import pytest
from matplotlib.patches import Rectangle

import netpolkit as npk
from netpolkit.course import Tutorial
from netpolkit.widgets import CSS_CLASSES, Explorer, ExplorerState, explore

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
    assert state.summary.endswith("; 1 policy switched off")  # one policy, not "1 policies"
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
    assert "NetworkPolicy yournamespace/web-netpol" in explorer.policy_boxes
    explorer.source.value, explorer.destination.value = "yournamespace/web", "yournamespace/api"
    assert "ALLOWED" in explorer.explain.value
    explorer.policy_boxes["NetworkPolicy yournamespace/web-netpol"].value = False  # one click, one policy
    assert explorer.state.disabled == {"NetworkPolicy yournamespace/web-netpol"}
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
    assert [value for _, value in explorer.source.options] == ["", "shop/api", "shop/db", "shop/web"]
    explorer.port.value = "TCP/5432"
    assert explorer.state.port == "TCP/5432" and explorer.summary.value.startswith("open: ")
    assert "on TCP/5432 (upstream)" in explorer.summary.value
    assert redraws == ["open"]
    explorer.step.value = "web-to-api"
    assert redraws == ["open", "web-to-api"]  # one change, one redraw: syncing the policy list toggles nothing
    assert {ref: box.value for ref, box in explorer.policy_boxes.items()} == {
        "NetworkPolicy shop/deny-all": True,
        "NetworkPolicy shop/web-to-api": True,
    }
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
    assert explorer.step.value == "open" and explorer.policy_boxes == {} and explorer.policies.children == ()
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


# ---- the view as participants use it (issue 11): one click per policy, both ends outlined, a static fallback ----


def _outlines(figure):
    """(x, y, width, height) of the thick outlines on the first heatmap of ``figure``."""
    ax = figure.axes[0]
    return {
        (p.get_x(), p.get_y(), p.get_width(), p.get_height())
        for p in ax.patches
        if isinstance(p, Rectangle) and not p.get_fill() and p.get_linewidth() >= 2
    }


def test_one_click_toggles_one_policy_and_names_are_whole(tiny):
    explorer = explore(tiny)
    explorer.step.value = "web-to-api"
    boxes = explorer.policy_boxes
    assert [b.description for b in boxes.values()] == ["NetworkPolicy shop/deny-all", "NetworkPolicy shop/web-to-api"]
    assert all(b.layout.width == "auto" and not b.indent for b in boxes.values())  # the whole name, no ellipsis
    before = explorer.png_
    boxes["NetworkPolicy shop/deny-all"].value = False  # a plain click: the other policy stays on
    assert explorer.state.disabled == {"NetworkPolicy shop/deny-all"}
    assert boxes["NetworkPolicy shop/web-to-api"].value is True
    assert explorer.png_ != before  # shop/db now reaches shop/web: the picture changed
    boxes["NetworkPolicy shop/deny-all"].value = True
    assert explorer.state.disabled == frozenset()


def test_a_step_without_policies_says_so(tiny):
    explorer = explore(tiny)
    assert explorer.state.step == "open" and explorer.policy_boxes == {}
    assert explorer.no_policy.layout.display is None and "No policy in this step" in explorer.no_policy.value
    explorer.step.value = "deny-all"
    assert explorer.no_policy.layout.display == "none" and list(explorer.policy_boxes) == [
        "NetworkPolicy shop/deny-all"
    ]


def test_source_destination_and_their_cell_are_outlined(tiny):
    explorer = explore(tiny)
    ids = list(explorer.state.reach.frame(explorer.state.port).index)  # shop/api, shop/db, shop/web
    n, api, web = len(ids), ids.index("shop/api"), ids.index("shop/web")
    assert _outlines(explorer.figure_) == set()
    plain = explorer.png_
    explorer.destination.value = "shop/api"  # a destination alone changes the picture: its column
    assert _outlines(explorer.figure_) == {(api - 0.5, -0.5, 1, n)}
    assert explorer.png_ != plain and "is reached by" in explorer.explain.value
    explorer.source.value = "shop/web"  # both ends: the row, the column and the pair's cell
    assert _outlines(explorer.figure_) == {
        (-0.5, web - 0.5, n, 1),
        (api - 0.5, -0.5, 1, n),
        (api - 0.5, web - 0.5, 1, 1),
    }
    assert "ALLOWED" in explorer.explain.value
    explorer.destination.value = ""
    assert _outlines(explorer.figure_) == {(-0.5, web - 0.5, n, 1)}


def test_dropdowns_are_as_wide_as_their_longest_option(aks):
    explorer = explore(aks)
    for dropdown in (explorer.step, explorer.port, explorer.profile, explorer.source, explorer.destination):
        labels = [o[0] if isinstance(o, tuple) else o for o in dropdown.options]
        chars = max(len(label) for label in labels) + len(dropdown.description)
        assert dropdown.layout.width == f"calc({chars + 3}ch + 48px)", dropdown.description
        assert dropdown.style.description_width == "initial"  # the description is never cut either
    assert "www.microsoft.com" in " ".join(v for _, v in explorer.source.options)


def test_every_control_has_a_description_and_a_css_class(aks):
    explorer = explore(aks)
    explorer.step.value = "s1-deny-all"
    controls = {
        "step": explorer.step,
        "port": explorer.port,
        "profile": explorer.profile,
        "policies": explorer.policies,
        "no_policy": explorer.no_policy,
        "source": explorer.source,
        "destination": explorer.destination,
        "changes": explorer.changes,
        "summary": explorer.summary,
        "explain": explorer.explain,
        "picture": explorer.picture,
        "explorer": explorer.widget,
    }
    for name, widget in controls.items():
        assert CSS_CLASSES[name] in widget._dom_classes, name
    assert len(set(CSS_CLASSES.values())) == len(CSS_CLASSES)
    assert [explorer.step.description, explorer.source.description, explorer.destination.description] == [
        "step",
        "source",
        "destination",
    ]
    for box in explorer.policy_boxes.values():
        assert CSS_CLASSES["policy"] in box._dom_classes and box.description.startswith("NetworkPolicy ")


def test_changes_are_drawn_under_the_heatmap(tiny):
    explorer = explore(tiny)
    explorer.step.value = "deny-all"
    top, bottom = explorer.figure_.axes[:2]
    assert top.get_title().startswith("who can reach whom") and bottom.get_title().startswith("what changed")
    assert bottom.get_position().y1 < top.get_position().y0  # one under the other, not side by side


def test_static_pages_get_a_picture_and_the_text(tiny):
    explorer = explore(tiny)
    explorer.step.value = "web-to-api"
    explorer.source.value, explorer.destination.value = "shop/db", "shop/api"
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert "BLOCKED" in bundle["text/plain"] and "web-to-api" in bundle["text/plain"]
    static = explorer.static_bundle()
    assert '<img src="data:image/png;base64,' in static["text/html"]
    assert f'class="{CSS_CLASSES["static"]}"' in static["text/html"]
    assert "BLOCKED" in static["text/html"]  # the explain text of the picked pair
    assert f":has(.{CSS_CLASSES['explorer']})" in static["text/html"]  # a rendered widget hides it


def test_notebook_display_shows_the_widget_then_the_static_picture(tiny, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    explorer = explore(tiny)
    explorer._ipython_display_()
    (widget, _), (static, raw) = shown
    assert widget is explorer.widget and raw and "<img" in static["text/html"]
