"""Heatmap displays: assertions on the artists (tick labels, colours, legends, markers), never on pixels."""

from __future__ import annotations

import inspect

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

import netpolkit as npk
from netpolkit import plot
from netpolkit.plot import ALLOWED_COLOR, BLOCKED_COLOR, DIFF_COLORS, AggregateDisplay, DiffDisplay, ReachabilityDisplay

PORT = "TCP/80"
IDS = ["backend/api", "backend/db", "frontend/web", "external/internet"]
API, DB, WEB, INTERNET = range(4)


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def pod(ns, name):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]},
    }


def policy(ns, name, spec):
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


DENY_BACKEND = policy("backend", "deny-all", {"podSelector": {}, "policyTypes": ["Ingress"]})
DENY_FRONTEND = policy("frontend", "deny-all", {"podSelector": {}, "policyTypes": ["Ingress"]})
ALLOW_WEB_TO_API = policy(
    "backend",
    "allow-web",
    {
        "podSelector": {"matchLabels": {"app": "api"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}]}],
    },
)
BASE = [
    namespace("backend"),
    namespace("frontend"),
    pod("backend", "api"),
    pod("backend", "db"),
    pod("frontend", "web"),
]


def cluster(*policies):
    return npk.Cluster.from_objects([*BASE, *policies], externals={"internet": "203.0.113.10"})


@pytest.fixture(scope="module")
def reach():
    return npk.reachability(cluster(DENY_BACKEND, ALLOW_WEB_TO_API), ports=[PORT])


@pytest.fixture(scope="module")
def before():
    return npk.reachability(cluster(DENY_FRONTEND), ports=[PORT])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def cell_color(display, i, j):
    """The colour the image maps cell (row i, column j) to."""
    im = display.im_
    return to_hex(im.cmap(im.norm(im.get_array()[i, j])))


def texts(artist):
    return [t.get_text() for t in artist.findobj(Text) if t.get_text()]


def tick_texts(labels):
    return [t.get_text() for t in labels]


# ---- ReachabilityDisplay ------------------------------------------------------------------------------------


def test_ticks_are_short_pod_names_in_frame_order(reach):
    disp = plot.heatmap(reach, PORT)
    assert list(reach.frame(PORT).index) == IDS
    assert tick_texts(disp.ax_.get_xticklabels()) == ["api", "db", "web", "internet"]
    assert tick_texts(disp.ax_.get_yticklabels()) == ["api", "db", "web", "internet"]


def test_namespace_group_labels_on_both_axes(reach):
    disp = plot.heatmap(reach, PORT)
    labels = [t.get_text() for t in disp.group_labels_]
    for group in ("backend", "frontend", "external"):
        assert labels.count(group) == 2  # above the columns and right of the rows
    assert all(t.get_fontweight() == "bold" for t in disp.group_labels_)


def test_legend_texts(reach):
    disp = plot.heatmap(reach, PORT)
    assert tick_texts(disp.legend_.get_texts()) == ["allowed", "blocked", "self (plugin-dependent)"]
    assert disp.ax_.get_legend() is disp.legend_


def test_cell_colours_follow_the_verdicts(reach):
    disp = plot.heatmap(reach, PORT)
    assert reach.allowed("frontend/web", "backend/api", PORT)
    assert not reach.allowed("backend/db", "backend/api", PORT)
    assert cell_color(disp, WEB, API) == ALLOWED_COLOR.lower()
    assert cell_color(disp, DB, API) == BLOCKED_COLOR.lower()
    frame = reach.frame(PORT).to_numpy()
    for (i, j), allowed in np.ndenumerate(frame):
        assert cell_color(disp, i, j) == (ALLOWED_COLOR if allowed else BLOCKED_COLOR).lower()


def test_diagonal_is_marked(reach):
    disp = plot.heatmap(reach, PORT)
    assert disp.diagonal_ in disp.ax_.collections
    assert disp.diagonal_.get_hatch() == "////"
    centres = [tuple(p.get_extents().get_points().mean(axis=0)) for p in disp.diagonal_.get_paths()]
    assert centres == [(i, i) for i in range(len(IDS))]


def test_external_endpoints_set_apart(reach):
    disp = plot.heatmap(reach, PORT)
    for labels in (disp.ax_.get_xticklabels(), disp.ax_.get_yticklabels()):
        assert [t.get_fontstyle() for t in labels] == ["normal", "normal", "normal", "italic"]
    dashed = [line for line in disp.ax_.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 2  # one horizontal, one vertical separator before the externals
    assert all(set(line.get_xydata().ravel()) & {INTERNET - 0.5} for line in dashed)


def test_title_and_axis_labels(reach):
    disp = plot.heatmap(reach, PORT)
    assert disp.ax_.get_title() == "who can reach whom — TCP/80 (profile upstream)"
    assert disp.ax_.get_xlabel() == "destination (ingress side)"
    assert disp.ax_.get_ylabel() == "source (egress side)"
    calico = plot.heatmap(npk.reachability(reach.cluster, ports=[PORT], profile="calico"))
    assert calico.ax_.get_title() == "who can reach whom — TCP/80 (profile calico)"


def test_draws_on_the_given_axes(reach):
    fig, axes = plt.subplots(1, 2)
    disp = plot.heatmap(reach, PORT, ax=axes[1])
    assert disp.ax_ is axes[1] and disp.figure_ is fig
    assert disp.im_ in axes[1].images and not axes[0].images


def test_creates_and_keeps_a_figure(reach):
    count = len(plt.get_fignums())
    disp = ReachabilityDisplay.from_reachability(reach)  # the only port
    assert isinstance(disp.figure_, Figure)
    assert len(plt.get_fignums()) == count + 1
    assert disp.ax_.figure is disp.figure_


def test_display_from_a_frame_stores_inputs_only(reach):
    frame = reach.frame(PORT)
    disp = ReachabilityDisplay(frame, reach.endpoints, port=PORT, profile="upstream")
    assert not hasattr(disp, "figure_") and len(plt.get_fignums()) == 0
    assert disp.plot() is disp
    assert disp.im_.get_array().shape == (4, 4)


def test_highlight_outlines_row_and_column(reach):
    disp = plot.heatmap(reach, PORT, highlight="internet")  # short external name resolves
    row, col = disp.highlight_
    assert row.get_xy() == (-0.5, INTERNET - 0.5) and (row.get_width(), row.get_height()) == (4, 1)
    assert col.get_xy() == (INTERNET - 0.5, -0.5) and (col.get_width(), col.get_height()) == (1, 4)
    assert disp.ax_.get_yticklabels()[INTERNET].get_fontweight() == "bold"
    assert plot.heatmap(reach, PORT).highlight_ == ()
    with pytest.raises(KeyError, match="did you mean backend/api"):
        plot.heatmap(reach, PORT, highlight="backend/apj")


def test_port_is_required_when_ambiguous(reach):
    two = npk.reachability(reach.cluster, ports=[PORT, "TCP/443"])
    with pytest.raises(ValueError, match="name a port"):
        plot.heatmap(two)
    assert "TCP/443" in plot.heatmap(two, "tcp/443").ax_.get_title()


def test_too_many_endpoints_refused_before_drawing(reach):
    count = len(plt.get_fignums())
    with pytest.raises(ValueError, match="aggregate_heatmap"):
        plot.heatmap(reach, PORT, max_endpoints=3)
    assert len(plt.get_fignums()) == count


def test_large_cluster_without_limit_drops_pod_ticks():
    pods = [pod(f"ns{i % 3}", f"p{i:02d}") for i in range(plot.MAX_ENDPOINTS + 2)]
    big = npk.reachability(npk.Cluster.from_objects(pods), ports=[PORT])
    with pytest.raises(ValueError, match="too many"):
        plot.heatmap(big, PORT)
    disp = plot.heatmap(big, PORT, max_endpoints=None)
    assert disp.ax_.get_xticklabels() == [] and disp.ax_.get_yticklabels() == []
    assert sorted({t.get_text() for t in disp.group_labels_}) == ["ns0", "ns1", "ns2"]


# ---- DiffDisplay ----------------------------------------------------------------------------------------------


def test_diff_colours_and_marks(before, reach):
    disp = plot.diff_heatmap(before, reach, PORT)
    frame = reach.diff(before).frame(PORT)
    assert frame.loc["backend/api", "frontend/web"] == "newly allowed"
    assert frame.loc["backend/db", "backend/api"] == "newly blocked"
    assert frame.loc["frontend/web", "backend/api"] == "allowed"
    assert cell_color(disp, API, WEB) == DIFF_COLORS["newly allowed"].lower()
    assert cell_color(disp, DB, API) == DIFF_COLORS["newly blocked"].lower()
    assert cell_color(disp, WEB, API) == DIFF_COLORS["allowed"].lower()
    assert cell_color(disp, DB, API) != cell_color(disp, WEB, WEB)
    assert [WEB, API] in disp.marks_["newly allowed"].get_offsets().tolist()  # (x = column, y = row)
    assert [API, DB] in disp.marks_["newly blocked"].get_offsets().tolist()


def test_diff_legend_counts_changed_cells(before, reach):
    disp = plot.diff_heatmap(before, reach, PORT)
    changes = reach.diff(before).changes(PORT)["change"].value_counts()
    legend = tick_texts(disp.legend_.get_texts())
    assert legend == [
        f"newly allowed ({changes['newly allowed']})",
        f"newly blocked ({changes['newly blocked']})",
        "allowed (unchanged)",
        "blocked (unchanged)",
        "self (plugin-dependent)",
    ]
    assert disp.counts_["newly allowed"] == changes["newly allowed"]


def test_diff_shares_the_conventions(before, reach):
    fig, ax = plt.subplots()
    disp = DiffDisplay.from_reachabilities(before, reach, PORT, ax=ax, highlight="frontend/web")
    assert disp.ax_ is ax and disp.figure_ is fig
    assert tick_texts(ax.get_xticklabels()) == ["api", "db", "web", "internet"]
    assert ax.get_xticklabels()[INTERNET].get_fontstyle() == "italic"
    assert len(disp.diagonal_.get_paths()) == 4 and len(disp.highlight_) == 2
    assert {t.get_text() for t in disp.group_labels_} == {"backend", "frontend", "external"}
    assert ax.get_title() == "what changed — TCP/80 (profile upstream)"


def test_diff_title_names_both_profiles(reach):
    cilium = npk.reachability(reach.cluster, ports=[PORT], profile="cilium")
    disp = plot.diff_heatmap(reach, cilium, PORT)
    assert disp.ax_.get_title() == "what changed — TCP/80 (profile upstream → cilium)"


# ---- AggregateDisplay ---------------------------------------------------------------------------------------


def test_aggregate_annotations_and_colorbar(reach):
    disp = plot.aggregate_heatmap(reach, PORT, values="count")
    order = ["backend", "frontend", "external"]
    assert tick_texts(disp.ax_.get_xticklabels()) == order and tick_texts(disp.ax_.get_yticklabels()) == order
    assert disp.texts_[1, 0].get_text() == "1/2"  # web reaches api but not db
    assert disp.texts_[0, 0].get_text() == "0/2"  # api <-> db, self pairs left out
    assert disp.texts_[2, 2].get_text() == "no pairs"
    assert disp.im_.get_array()[1, 0] == pytest.approx(0.5)
    assert disp.im_.get_array().mask[2, 2]
    assert disp.colorbar_.ax in disp.figure_.axes
    assert "share of allowed pairs" in disp.colorbar_.ax.get_ylabel()
    assert disp.ax_.get_xticklabels()[2].get_fontstyle() == "italic"
    assert disp.ax_.get_title() == "allowed share by namespace — TCP/80 (profile upstream)"


def test_aggregate_value_formats(reach):
    assert plot.aggregate_heatmap(reach, PORT, values="percent").texts_[1, 0].get_text() == "50%"
    assert plot.aggregate_heatmap(reach, PORT).texts_[1, 0].get_text() == "1/2\n50%"
    assert plot.aggregate_heatmap(reach, PORT, values=None).texts_ is None
    with pytest.raises(ValueError, match="values must be"):
        plot.aggregate_heatmap(reach, PORT, values="ratio")


def test_aggregate_by_another_column_on_given_axes(reach):
    fig, ax = plt.subplots()
    disp = AggregateDisplay.from_reachability(reach, PORT, by="kind", ax=ax, values="count")
    assert disp.ax_ is ax and disp.figure_ is fig
    assert tick_texts(ax.get_xticklabels()) == ["pod", "external"]
    assert disp.texts_[1, 0].get_text() == "1/3"  # internet reaches web, not api or db
    assert ax.get_xlabel() == "destination kind (ingress side)"


# ---- step figure and hygiene --------------------------------------------------------------------------------


def test_step_figure_side_by_side(before, reach):
    fig = plot.step_figure(before, reach, PORT, title="Step 2: allow web to api")
    assert isinstance(fig, Figure)
    left, right = fig.axes[:2]
    assert left.get_title().startswith("who can reach whom — TCP/80")
    assert right.get_title().startswith("what changed — TCP/80")
    assert fig.get_suptitle() == "Step 2: allow web to api"
    # frontend lost its deny-all: api, db, internet and web itself newly reach web
    assert "newly allowed (4)" in texts(right.get_legend())


def test_library_neither_shows_nor_picks_a_backend():
    source = inspect.getsource(plot)
    assert "plt.show" not in source and "matplotlib.use" not in source and ".show()" not in source


# ---- outlines and layouts (issue 11) ------------------------------------------------------------------------


def boxes(patches):
    return [(p.get_xy(), p.get_width(), p.get_height()) for p in patches]


def test_a_pair_outlines_source_row_destination_column_and_their_cell(reach):
    disp = plot.heatmap(reach, PORT, highlight=("frontend/web", "backend/api"))
    assert boxes(disp.highlight_) == [
        ((-0.5, WEB - 0.5), 4, 1),
        ((API - 0.5, -0.5), 1, 4),
        ((API - 0.5, WEB - 0.5), 1, 1),
    ]
    assert disp.ax_.get_yticklabels()[WEB].get_fontweight() == "bold"  # the source's row label
    assert disp.ax_.get_xticklabels()[API].get_fontweight() == "bold"  # the destination's column label
    assert disp.ax_.get_xticklabels()[WEB].get_fontweight() == "normal"
    assert disp.highlight_[2].get_linewidth() > disp.highlight_[0].get_linewidth()  # the cell stands out


def test_half_a_pair_outlines_only_its_side(reach):
    assert boxes(plot.heatmap(reach, PORT, highlight=("frontend/web", None)).highlight_) == [((-0.5, WEB - 0.5), 4, 1)]
    assert boxes(plot.heatmap(reach, PORT, highlight=(None, "backend/db")).highlight_) == [((DB - 0.5, -0.5), 1, 4)]
    with pytest.raises(KeyError, match="did you mean"):
        plot.heatmap(reach, PORT, highlight=("frontend/web", "backend/dbb"))


def test_step_figure_layouts(before, reach):
    row = plot.step_figure(before, reach, PORT, layout="row")
    left, right = row.axes[:2]
    assert left.get_position().x1 <= right.get_position().x0  # side by side
    column = plot.step_figure(before, reach, PORT, layout="column")
    top, bottom = column.axes[:2]
    assert bottom.get_position().y1 <= top.get_position().y0  # the diff under the heatmap
    for fig in (row, column):
        assert fig.get_figwidth() * plot.INLINE_DPI <= plot.NOTEBOOK_WIDTH_PX  # never scaled down in a notebook
    with pytest.raises(ValueError, match="layout must be"):
        plot.step_figure(before, reach, PORT, layout="diagonal")


def test_tick_labels_thin_out_instead_of_shrinking():
    pods = [pod(f"ns{i % 4}", f"p{i:02d}") for i in range(plot.MAX_ENDPOINTS)]
    big = npk.reachability(npk.Cluster.from_objects(pods), ports=[PORT])
    disp = plot.heatmap(big, PORT)
    labels = disp.ax_.get_yticklabels()
    assert disp.tick_step_ >= 2 and len(labels) == plot.MAX_ENDPOINTS
    assert [bool(t.get_text()) for t in labels] == [i % disp.tick_step_ == 0 for i in range(len(labels))]
    assert min(t.get_fontsize() for t in labels) >= plot.MIN_FONT


def test_aggregate_drops_annotations_that_would_not_fit(reach):
    _fig, ax = plt.subplots(figsize=(2.0, 2.0))  # far too small for "1/2 / 50%" at a readable size
    assert plot.aggregate_heatmap(reach, PORT, ax=ax).texts_ is None
    assert plot.aggregate_heatmap(reach, PORT).texts_ is not None
