"""Heatmaps readable at notebook width: text sizes as displayed, namespace labels that never collide.

Read from the artists on the Agg backend, never from pixels. A notebook shows a figure through the inline backend
at matplotlib's ``figure.dpi`` (100; matplotlib-inline >= 0.1.4 no longer overrides it, see its ``InlineBackend.rc``
help) with ``bbox_inches="tight"`` (IPython ``print_figure``), and JupyterLab scales a wider picture down to its
output (about 960 px on a laptop; ``.jp-RenderedImage img { max-width: 100% }``). So a text of ``s`` points shows
at ``s * 100 / 72 * min(1, 960 / picture width in px)`` px, and must show at 10 px or more.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text

import netpolkit as npk
from netpolkit import lab, plot

PORT = "TCP/80"
DPI = 100  # matplotlib's figure.dpi, what the inline backend renders at
OUTPUT_PX = 960  # a JupyterLab notebook output
MIN_PX = 10.0


def pod(ns: str, name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
    }


def cluster(sizes: list[int], prefix: str = "ns", externals: int = 0) -> npk.Cluster:
    """Namespaces ``prefix0``, ``prefix1``, ... holding ``sizes[i]`` pods each, and ``externals`` externals."""
    objects = [pod(f"{prefix}{i}", f"pod{i}-{k}") for i, size in enumerate(sizes) for k in range(size)]
    outside = {f"partner-{k}": f"203.0.113.{10 + k}" for k in range(externals)}
    return npk.Cluster.from_objects(objects, externals=outside or None)


def ones_and_twos(total: int) -> list[int]:
    """Namespaces of 1, 2, 1, 2, ... pods adding up to ``total``."""
    sizes, cycle = [], itertools.cycle([1, 2])
    while sum(sizes) < total:
        sizes.append(min(next(cycle), total - sum(sizes)))
    return sizes


# (name, namespace sizes, prefix, externals): 5, 50 and 500 endpoints; 1..N namespaces of 1-2 pods
CASES = [
    ("5 in one namespace", [5], "ns", 0),
    ("5 namespaces of 1", [1] * 5, "ns", 0),
    ("5: long names, 1-2 pods", [1, 2, 1], "namespace-with-a-long-name-", 1),
    ("50 in one namespace", [50], "ns", 0),
    ("50 namespaces of 1", [1] * 50, "ns", 0),
    ("50 in namespaces of 1-2", ones_and_twos(48), "team-", 2),
    ("50 in 25 long-named namespaces", [2] * 25, "payments-backend-", 0),
    ("500 in 5 namespaces", [100] * 5, "ns", 0),
    ("500 namespaces of 1", [1] * 500, "ns", 0),
    ("500 in namespaces of 1-2", ones_and_twos(500), "team-", 0),
]


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def case(request):
    _, sizes, prefix, externals = request.param
    before = npk.reachability(cluster(sizes, prefix, externals), ports=[PORT])
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": f"{prefix}0"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    after = npk.reachability(before.cluster.apply([deny]), ports=[PORT])
    return before, after


def pictures(before, after):
    """Every figure a notebook shows for one result: heatmap, diff and step figure (pod level up to 80)."""
    n = len(after.endpoints)
    limit = {"max_endpoints": None}
    out = [
        ("heatmap", plot.heatmap(after, PORT, **limit)),
        ("diff", plot.diff_heatmap(before, after, PORT, **limit)),
    ]
    if n <= plot.MAX_ENDPOINTS:
        out.append(("step", plot.step_figure(before, after, PORT, title="a step")))
    return out


def figure_of(picture):
    return picture if isinstance(picture, matplotlib.figure.Figure) else picture.figure_


def pod_axes(fig):
    return [ax for ax in fig.axes if ax.images and ax.get_xlabel().startswith("destination")]


def displayed_scale(fig) -> float:
    """How much JupyterLab scales the inline picture of ``fig`` (1: shown at its own size)."""
    renderer = fig.canvas.get_renderer()
    width_px = (fig.get_tightbbox(renderer).width + 2 * 0.1) * DPI  # savefig's pad_inches
    return min(1.0, OUTPUT_PX / width_px)


def visible_texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and t.get_figure() is not None]


def extents(texts, renderer):
    return [t.get_window_extent(renderer) for t in texts]


def overlapping(boxes) -> list[tuple[int, int]]:
    return [(i, j) for i, j in itertools.combinations(range(len(boxes)), 2) if boxes[i].overlaps(boxes[j])]


@pytest.fixture(scope="module")
def drawn(case):
    """The case's pictures, laid out at the inline dpi (drawn once per case, closed after its tests)."""
    before, after = case
    out = []
    for name, picture in pictures(before, after):
        fig = figure_of(picture)
        fig.set_dpi(DPI)
        fig.draw_without_rendering()
        out.append((name, fig))
    yield out
    for _, fig in out:
        plt.close(fig)


def labels_of(fig):
    """(ax, namespace label Texts in drawing order: top, right, top, ..., the note or None) per pod-level panel."""
    out = []
    for ax in pod_axes(fig):
        texts = [t for t in ax.texts if t.get_gid() == plot.GROUP_LABEL_GID]
        notes = [t for t in ax.texts if t.get_gid() == plot.GROUP_NOTE_GID]
        out.append((ax, texts, notes[0] if notes else None))
    return out


def test_every_text_shows_at_10_px_or_more_in_a_notebook(drawn):
    for name, fig in drawn:
        scale = displayed_scale(fig)
        small = [
            (t.get_text()[:30], round(t.get_fontsize() * DPI / 72 * scale, 1))
            for t in visible_texts(fig)
            if t.get_fontsize() * DPI / 72 * scale < MIN_PX
        ]
        assert not small, f"{name}: text below {MIN_PX} px at {OUTPUT_PX} px: {small[:5]}"


def test_figures_fit_a_notebook_output_unscaled(drawn):
    for name, fig in drawn:
        assert displayed_scale(fig) == 1.0, f"{name} is wider than {OUTPUT_PX} px and would be scaled down"


def test_namespace_labels_never_overlap_and_stay_inside_the_figure(drawn):
    for name, fig in drawn:
        renderer = fig.canvas.get_renderer()
        figure_box = fig.bbox
        for ax, texts, note in labels_of(fig):
            boxes = extents(texts, renderer)
            assert not overlapping(boxes), f"{name}: namespace labels overlap"
            for text, box in zip(texts, boxes, strict=True):
                inside = box.x0 >= figure_box.x0 - 0.5 and box.x1 <= figure_box.x1 + 0.5
                inside = inside and box.y0 >= figure_box.y0 - 0.5 and box.y1 <= figure_box.y1 + 0.5
                assert inside, f"{name}: {text.get_text()!r} outside the figure"
            others = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]
            others = [t for t in others if t.get_text()] + ([note] if note is not None else [])
            for box in boxes:
                for other in extents(others, renderer):
                    assert not box.overlaps(other), f"{name}: a namespace label overlaps a title or tick label"
            legend = ax.get_legend().get_window_extent(renderer)
            assert not any(box.overlaps(legend) for box in boxes), f"{name}: a namespace label overlaps the legend"


def test_top_labels_sit_above_every_bracket(drawn):
    """No label floats over another namespace's bracket: every top label starts above the brackets' line."""
    for name, fig in drawn:
        renderer = fig.canvas.get_renderer()
        for ax, texts, _ in labels_of(fig):
            top = ax.get_window_extent(renderer).y1
            bracket = top + 4 * DPI / 72 + 1  # brackets run 4 pt above the matrix, 1.2 pt thick
            for text in texts[0::2]:  # top, right, top, right, ...
                assert text.get_window_extent(renderer).y0 >= bracket, f"{name}: {text.get_text()!r} on the brackets"


def test_every_namespace_is_labelled_or_named_in_the_note(case, drawn):
    namespaces = list(dict.fromkeys(case[1].endpoints["namespace"].astype(str)))
    for name, fig in drawn:
        for _, texts, note in labels_of(fig):
            labelled = {t.get_text() for t in texts}
            assert all([t.get_text() for t in texts].count(k) == 2 for k in labelled)  # top and right
            missing = [k for k in namespaces if k not in labelled]
            if not missing:
                assert note is None
                continue
            assert note is not None, f"{name}: {len(missing)} namespaces neither labelled nor listed"
            listed = [k for k in missing if k in note.get_text().replace(",", " ").split()]
            rest = len(missing) - len(listed)
            assert listed and (rest == 0 or f"and {rest} more" in note.get_text()), note.get_text()


def test_tick_labels_do_not_overlap(drawn):
    for name, fig in drawn:
        renderer = fig.canvas.get_renderer()
        for ax in pod_axes(fig):
            shown = [t for t in ax.get_yticklabels() if t.get_text()]
            assert not overlapping(extents(shown, renderer)), f"{name}: row labels overlap"


def test_legend_sits_close_to_the_matrix_labels(drawn):
    """Little whitespace: a legend beside the matrix starts within 30 pt of the namespace labels."""
    for name, fig in drawn:
        renderer = fig.canvas.get_renderer()
        for ax, texts, _ in labels_of(fig):
            legend = ax.get_legend().get_window_extent(renderer)
            right = max([ax.get_window_extent(renderer).x1, *(b.x1 for b in extents(texts[1::2], renderer))])
            if legend.x0 > ax.get_window_extent(renderer).x1:  # beside, not below
                assert 0 <= (legend.x0 - right) * 72 / DPI <= 30, name


# ---- the labs' pictures: the cells to change, and a wrong answer's diff on every differing port ------------------

LAB_ANSWERS = Path(__file__).resolve().parent / "data" / "labs"

# (name, lab id, wrong answer under tests/data/labs/<lab>/ or None for the introduction, differing ports)
LAB_PICTURES = [
    ("lab 06 introduction, 1 port", "06-calico-ordering", None, 1),
    ("lab 04 introduction, 2 ports", "04-service-and-named-ports", None, 2),
    ("lab 01 introduction, 3 ports", "01-default-deny", None, 3),
    ("lab 03 introduction, 4 ports", "03-egress-dns", None, 4),
    ("lab 05 introduction, 2 ports of 7 endpoints", "05-ipblock-internet", None, 2),
    ("lab 06 wrong answer, 1 port", "06-calico-ordering", "calico-order", 1),
    ("lab 04 wrong answer, 2 ports", "04-service-and-named-ports", "named-port", 2),
    ("lab 07 wrong answer, 3 ports", "07-cluster-guardrails", "wrong-subject", 3),
]


@pytest.fixture(params=LAB_PICTURES, ids=[c[0] for c in LAB_PICTURES])
def lab_picture(request):
    """(the panels a lab notebook shows, how many ports differ), laid out at the inline dpi."""
    _, lab_id, wrong, ports = request.param
    if wrong is None:
        panels = lab.Lab.load(lab_id).change_heatmaps()
    else:
        answer = (LAB_ANSWERS / lab_id / f"{wrong}.yaml").read_text(encoding="utf-8")
        panels = lab.check(lab_id, answer).diff_heatmaps()
    fig = panels[0].figure_
    fig.set_dpi(DPI)
    fig.draw_without_rendering()
    yield panels, ports
    plt.close(fig)


def test_lab_pictures_fit_a_notebook_output_unscaled(lab_picture):
    panels, ports = lab_picture
    fig = panels[0].figure_
    assert len(panels) == ports and len({id(p.figure_) for p in panels}) == 1
    assert fig.get_figwidth() * DPI <= OUTPUT_PX
    assert displayed_scale(fig) == 1.0, f"{(fig.get_tightbbox().width + 0.2) * DPI:.0f} px wide"


def test_lab_pictures_show_every_text_at_10_px_or_more(lab_picture):
    fig = lab_picture[0][0].figure_
    scale = displayed_scale(fig)
    smallest = min(visible_texts(fig), key=lambda t: t.get_fontsize())
    assert smallest.get_fontsize() * DPI / 72 * scale >= MIN_PX, smallest.get_text()


def test_lab_panels_never_overlap_and_keep_their_labels_apart(lab_picture):
    """Panels side by side or one under the other: no panel's texts run into another panel."""
    panels = lab_picture[0]
    fig = panels[0].figure_
    renderer = fig.canvas.get_renderer()
    boxes = [p.ax_.get_tightbbox(renderer) for p in panels]
    assert not overlapping(boxes), "two panels overlap"
    for p in panels:
        texts = [t for t in p.ax_.texts if t.get_gid() == plot.GROUP_LABEL_GID]
        assert not overlapping(extents(texts, renderer)), f"{p.port}: namespace labels overlap"


def test_lab_legends_name_the_states_in_the_labs_words_with_counts(lab_picture):
    for panel in lab_picture[0]:
        texts = [t.get_text() for t in panel.legend_.get_texts()]
        changed = panel.counts_["newly allowed"]
        assert texts[0].endswith(f"({changed})") and ("must become allowed" in texts[0] or "should be" in texts[0])
        assert "unchanged" not in " ".join(texts[:4])


SIDE_BY_SIDE = [  # (name, namespace sizes, ports, (rows, columns) of panels)
    ("lab-sized: 5 endpoints, 2 ports side by side", [2, 3], 2, (1, 2)),
    ("lab-sized: 5 endpoints, 4 ports two by two", [2, 3], 4, (2, 2)),
    ("30 endpoints, too many for half the width: stacked", [15, 15], 2, (2, 1)),
    ("one port: one panel", [15, 15], 1, (1, 1)),
]


@pytest.mark.parametrize(("name", "sizes", "ports", "shape"), SIDE_BY_SIDE, ids=[c[0] for c in SIDE_BY_SIDE])
def test_lab_panels_go_side_by_side_only_when_they_fit(name, sizes, ports, shape):
    before = npk.reachability(cluster(sizes), ports=[PORT])
    frame = before.diff(before).frame(PORT)
    panels = plot.diff_panels({f"TCP/{80 + k}": frame for k in range(ports)}, before.endpoints, profile="upstream")
    fig = panels[0].figure_
    try:
        fig.set_dpi(DPI)
        fig.draw_without_rendering()
        assert panels[0].ax_.get_subplotspec().get_geometry()[:2] == shape
        assert displayed_scale(fig) == 1.0
        assert min(p.cell_ for p in panels) >= 16.0 or shape[1] == 1  # side by side only with cells of 16 pt
    finally:
        plt.close(fig)
