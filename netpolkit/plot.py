"""Heatmaps of a :class:`~netpolkit.Reachability`: one port, a before/after diff, or aggregated by namespace.

Modelled on scikit-learn's ``ConfusionMatrixDisplay``: a Display stores its inputs, ``plot(ax=None, ...)`` draws on
the given Axes (or on a new figure), keeps ``figure_``, ``ax_`` and ``im_`` and returns the Display itself;
``from_reachability(...)`` builds and plots in one go. Nothing here computes verdicts, shows figures or chooses a
backend.

Conventions of the pod-level displays: rows are sources (egress side), columns destinations (ingress side), in the
order of ``reach.frame(port)`` (namespace, then name; external endpoints last). Namespaces are set apart by lines
and labelled along the top and right edges; tick labels show the short pod name, external endpoints in grey
italics behind a dashed line. The diagonal (a pod to itself) is hatched: its verdict depends on the network plugin
(``Profile.self_traffic``).

Colours come from the Okabe-Ito palette, which stays distinct for the common colour-vision deficiencies: allowed is
blue, blocked a light grey (the eye goes to the open paths). In a diff the changes are strong (newly allowed blue,
newly blocked vermillion, also marked with a white ``+`` / ``-`` so colour is not the only cue) and unchanged cells
muted (pale blue, light grey).

Sized for a notebook: a figure made here is at most :data:`NOTEBOOK_WIDTH_PX` (960 px, a JupyterLab output) wide at
:data:`INLINE_DPI` (100, matplotlib's ``figure.dpi``, which the inline backend uses), so the notebook shows it
unscaled, and no text is smaller than :data:`MIN_FONT` points (11 px there). Tick labels that would not fit their
cells at that size are thinned (every second, third, ... label). Namespace labels never overlap: each sits over its
bracket when it fits (turned upright above narrow columns), otherwise it is moved aside in order with a leader line
to its bracket, and when there are more namespaces than room the widest are labelled and a note under the matrix
lists the others. The layout is checked once the figure is laid out (one extra draw without rendering).

Pod-level heatmaps are readable up to about 60 endpoints; above ``max_endpoints`` (default :data:`MAX_ENDPOINTS`,
80) they refuse with a pointer to :class:`AggregateDisplay`. With ``max_endpoints=None`` they draw anyway, without
pod tick labels past 80.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects, transforms
from matplotlib.collections import PatchCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, to_rgb
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.textpath import text_to_path

from netpolkit.matrix import DIFF_STATES, Reachability
from netpolkit.model.ports import PortQuery

__all__ = [
    "ALLOWED_COLOR",
    "BLOCKED_COLOR",
    "DIFF_COLORS",
    "GROUP_LABEL_GID",
    "GROUP_NOTE_GID",
    "INLINE_DPI",
    "MAX_ENDPOINTS",
    "MIN_FONT",
    "NOTEBOOK_WIDTH_PX",
    "AggregateDisplay",
    "DiffDisplay",
    "ReachabilityDisplay",
    "aggregate_heatmap",
    "diff_heatmap",
    "heatmap",
    "step_figure",
]

ALLOWED_COLOR = "#0072B2"
"""Allowed cells: Okabe-Ito blue."""
BLOCKED_COLOR = "#E0E0E0"
"""Blocked cells: light grey."""
DIFF_COLORS = {
    "blocked": BLOCKED_COLOR,
    "allowed": "#A9CCE3",  # muted blue: still allowed
    "newly blocked": "#D55E00",  # Okabe-Ito vermillion
    "newly allowed": ALLOWED_COLOR,
}
"""Colour of each :data:`netpolkit.matrix.DIFF_STATES` value in a :class:`DiffDisplay`."""
MAX_ENDPOINTS = 80
"""Above this many endpoints a pod-level heatmap refuses (see ``max_endpoints``) or drops its pod tick labels."""
NOTEBOOK_WIDTH_PX = 960
"""Width of a JupyterLab notebook output on a laptop screen; a wider picture is scaled down to it."""
INLINE_DPI = 100
"""Dots per inch of a figure shown inline (matplotlib's default ``figure.dpi``; matplotlib-inline keeps it)."""
MIN_FONT = 8.0
"""Smallest text, in points: 8 pt at 100 dpi is 11 px, above the 10 px a notebook reader needs."""

GROUP_LABEL_GID = "netpolkit-group-label"
"""``gid`` of the namespace label Texts (see ``Artist.set_gid``), so tests and tools can find them."""
GROUP_NOTE_GID = "netpolkit-group-note"
"""``gid`` of the note naming the namespaces too narrow to label."""

_MAX_FONT = 10.0
_MAX_WIDTH = 0.98 * NOTEBOOK_WIDTH_PX / INLINE_DPI  # inches: a figure made here is never scaled down inline
_PITCH = 1.25  # a tick label needs a cell of this many times its font size
_TEXT_HEIGHT = 1.2  # height of one line of text, in font sizes (DejaVu Sans measures 1.05-1.13)
_GAP = 3.0  # points between two namespace labels
_LEADER = 10.0  # points of extra distance from the bracket when a label is moved aside
_LINE = "#333333"
_EXTERNAL = "external"
_EXTERNAL_TEXT = "#555555"
_NOTE_TEXT = "#444444"
_LEGEND_SIZE = 9
_LEGEND_STYLE = {
    "borderaxespad": 0,
    "fontsize": _LEGEND_SIZE,
    "frameon": False,
    "handlelength": 1.4,
    "handleheight": 1.4,
}


# ---- shared helpers ---------------------------------------------------------------------------------------------


def _port_label(reach: Reachability, port) -> str:
    if port is not None:
        return str(PortQuery.parse(port))
    if len(reach.ports) != 1:
        raise ValueError(f"name a port: this result holds {', '.join(reach.ports)}")
    return reach.ports[0]


def _resolve(index: pd.Index, endpoint: str) -> int:
    for candidate in (endpoint, f"{_EXTERNAL}/{endpoint}"):
        if candidate in index:
            return int(index.get_loc(candidate))
    close = difflib.get_close_matches(endpoint, list(index), n=3)
    raise KeyError(
        f"no endpoint {endpoint!r} in this heatmap" + (f"; did you mean {', '.join(close)}?" if close else "")
    )


def _text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width of ``text`` in points, without a renderer."""
    return text_to_path.get_text_width_height_descent(text, FontProperties(size=size, weight=weight), False)[0]


def _widest(texts: Sequence[str], size: float, weight: str = "normal") -> float:
    return max((_text_width(t, size, weight) for t in texts if t), default=0.0)


def _side(n: int) -> float:
    """Inches the matrix of ``n`` rows would like: 0.42 in a cell for a few endpoints, less per cell for more."""
    return max(3.2, 0.42 * n if n <= 15 else min(10.0, 6.3 + 0.14 * (n - 15)))


def _tick_layout(cell: float) -> tuple[float, int]:
    """Font size (points) and step of the tick labels of cells ``cell`` points apart: every step-th one is shown."""
    size = min(_MAX_FONT, math.floor(2 * cell / _PITCH) / 2)
    if size >= MIN_FONT:
        return size, 1
    return MIN_FONT, math.ceil(MIN_FONT * _PITCH / max(cell, 1e-3))


def _group_size(size: float) -> float:
    return min(_MAX_FONT + 0.5, max(size, 9.0) + 0.5)


def _check_size(n: int, max_endpoints: int | None) -> None:
    if max_endpoints is not None and n > max_endpoints:
        raise ValueError(
            f"{n} endpoints are too many for a readable pod-level heatmap (limit {max_endpoints}); use "
            "aggregate_heatmap(reach, port) / AggregateDisplay for a namespace view, or pass max_endpoints=None"
        )


def _groups(keys: Sequence[str]) -> list[tuple[str, int, int]]:
    """Contiguous runs of equal keys: (key, start, stop)."""
    out: list[tuple[str, int, int]] = []
    for i, key in enumerate(keys):
        if out and out[-1][0] == key:
            out[-1] = (key, out[-1][1], i + 1)
        else:
            out.append((key, i, i + 1))
    return out


def _names_and_groups(endpoints: pd.DataFrame, ids: pd.Index) -> tuple[list[str], list[tuple[str, int, int]]]:
    """Tick names (the short pod name; an external's id after the slash) and namespace runs of ``ids``."""
    info = endpoints.reindex(ids)
    names = [nm if isinstance(nm, str) else i.rpartition("/")[2] for i, nm in zip(ids, info["name"], strict=True)]
    return names, _groups(info["namespace"].fillna("?").astype(str).tolist())


def _cell_points(ax, n: int, reserve_w: float, reserve_h: float) -> float:
    """Expected cell size in points once a layout engine has made room for the decorations (reserve_*, pt)."""
    fig = ax.figure
    spec = ax.get_subplotspec()
    if fig.get_layout_engine() is not None and spec is not None:
        rows, cols = spec.get_gridspec().get_geometry()
        width = fig.get_figwidth() * 72 * len(spec.colspan) / cols - reserve_w
        height = fig.get_figheight() * 72 * len(spec.rowspan) / rows - reserve_h
    else:
        box = ax.get_position()
        width, height = box.width * fig.get_figwidth() * 72, box.height * fig.get_figheight() * 72
    return max(min(width, height), n) / n * 0.92


def _drawn_cell(ax, n: int) -> float:
    """The cell size in points as the figure is laid out now (after a draw)."""
    box = ax.get_window_extent()
    return min(box.width, box.height) / n * 72 / ax.figure.dpi


def _legend_width(labels: Sequence[str]) -> float:
    """Points a one-column legend of ``labels`` takes (handle, padding and the widest text)."""
    return _widest(labels, _LEGEND_SIZE) + (1.4 + 0.8 + 0.8) * _LEGEND_SIZE


def _legend_columns(labels: Sequence[str], width: float) -> int:
    """Columns of a legend of ``labels`` laid out below a matrix ``width`` points wide: as many as fit."""
    return max(1, min(len(labels), int(width // (_legend_width(labels) + 8))))


# ---- planning a figure ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """How a pod-level panel we create is laid out: sizes in inches, cell and fonts in points."""

    width: float
    height: float
    cell: float
    legend_below: bool


def _plan_panel(
    n: int,
    names: Sequence[str],
    groups: Sequence[tuple[str, int, int]],
    legend: Sequence[str],
    *,
    max_width: float,
    legend_below: bool | None = None,
) -> _Plan:
    """Size one pod-level panel so that it fits ``max_width`` inches with readable text.

    The matrix takes what the decorations leave (tick labels, namespace labels, the legend to the right, or below
    when it would squeeze the matrix), up to the size :func:`_side` would like.
    """
    goal = 72 * _side(n)
    keys = [key for key, _, _ in groups]
    group_w = _widest(keys, _MAX_FONT + 0.5, "bold")

    def layout(below: bool) -> tuple[float, float]:
        size, cell = _MAX_FONT, goal / n
        for _ in range(3):  # font size and cell size depend on each other; settle in a few rounds
            tick_w = _widest(names, size) + 8 if names else 4
            decorations = 18 + tick_w + 12 + group_w + _LEADER + 10 + (0 if below else 14 + _legend_width(legend))
            side = max(min(goal, 72 * max_width - decorations), 72.0)
            cell = side / n
            size = _tick_layout(cell)[0]
        return side, decorations

    if legend_below is None:
        side, decorations = layout(False)
        legend_below = side / n < min(goal / n, 16.0)
    side, decorations = layout(legend_below)
    size = _tick_layout(side / n)[0]
    tick_w = _widest(names, size)
    group = _group_size(size)
    upright = [key for key, start, stop in groups if _text_width(key, group, "bold") + _GAP > (stop - start) * side / n]
    top = 26 + 7 + _LEADER + max(_TEXT_HEIGHT * group, _widest(upright, group, "bold"))
    bottom = 0.72 * (tick_w + _TEXT_HEIGHT * size) + 10 + 18 + _TEXT_HEIGHT * 9 + 6
    if legend_below:
        bottom += 2 * _TEXT_HEIGHT * 1.5 * _LEGEND_SIZE + 12
    return _Plan(
        width=min(max_width, (side + decorations) / 72),
        height=(side + top + bottom) / 72 + 0.15,
        cell=side / n,
        legend_below=legend_below,
    )


# ---- namespace labels -------------------------------------------------------------------------------------------


def _isotonic(values: np.ndarray) -> np.ndarray:
    """The non-decreasing sequence closest to ``values`` (least squares): pool adjacent violators."""
    sums: list[float] = []
    counts: list[int] = []
    for value in values:
        sums.append(float(value))
        counts.append(1)
        while len(sums) > 1 and sums[-2] / counts[-2] > sums[-1] / counts[-1]:
            s, c = sums.pop(), counts.pop()
            sums[-1] += s
            counts[-1] += c
    return np.repeat(np.array(sums) / np.array(counts), counts)


def _spread(centers: np.ndarray, extents: np.ndarray, lo: float, hi: float, gap: float) -> np.ndarray:
    """Label centres in order, each ``extents`` long and ``gap`` apart, inside [lo, hi], closest to ``centers``.

    Shifting every centre by the room the labels before it need turns the spacing constraints into "non-decreasing",
    solved exactly by isotonic regression; clipping that to the bounds keeps it optimal.
    """
    offsets = np.concatenate([[0.0], np.cumsum((extents[:-1] + extents[1:]) / 2 + gap)])
    shifted = _isotonic(centers - offsets)
    shifted = np.clip(shifted, lo + extents[0] / 2, max(lo + extents[0] / 2, hi - extents[-1] / 2 - offsets[-1]))
    return shifted + offsets


def _choose_labelled(spans: Sequence[float], extents: Sequence[float], length: float, gap: float) -> list[int]:
    """Indices of the groups that get a label: all when they fit along ``length``, else the widest that fit."""
    if sum(extents) + gap * (len(extents) - 1) <= length:
        return list(range(len(extents)))
    chosen, used = [], -gap
    for i in sorted(range(len(spans)), key=lambda i: (-spans[i], i)):
        if used + gap + extents[i] <= length:
            chosen.append(i)
            used += gap + extents[i]
    return sorted(chosen)


def _edge_transforms(ax) -> tuple[transforms.Transform, transforms.Transform]:
    """(x data, y points above the axes' top) and (x points right of the axes' right edge, y data)."""
    points = transforms.Affine2D().scale(1 / 72) + ax.figure.dpi_scale_trans
    above = transforms.blended_transform_factory(
        ax.transData, points + transforms.ScaledTranslation(0, 1, ax.transAxes)
    )
    beside = transforms.blended_transform_factory(
        points + transforms.ScaledTranslation(1, 0, ax.transAxes), ax.transData
    )
    return above, beside


@dataclass
class _GroupLabels:
    """The namespace labels of one panel as placed: texts, leader lines, the note naming the unlabelled."""

    texts: list
    leaders: list
    note: object | None
    top_height: float  # points from the axes' top to the top of the highest label
    right_width: float  # points from the axes' right edge to the end of the widest label

    def remove(self) -> None:
        for artist in (*self.texts, *self.leaders, *([self.note] if self.note is not None else [])):
            artist.remove()


def _group_labels(ax, groups, size: float, cell: float) -> _GroupLabels:
    """Namespace brackets' labels above the columns and right of the rows, for cells ``cell`` points wide.

    A top label is horizontal when it fits over its bracket, else upright; labels are then spread in order so that
    none overlaps another (:func:`_spread`), with a leader line to the bracket when one had to move. When the axis
    is too short for all of them, the widest groups are labelled and a note under the matrix names the rest.
    """
    above, beside = _edge_transforms(ax)
    n = groups[-1][2]
    height = _TEXT_HEIGHT * size
    widths = np.array([_text_width(key, size, "bold") for key, _, _ in groups])
    spans = np.array([(stop - start) * cell for _, start, stop in groups])
    upright = widths + _GAP > spans
    top_extent = np.where(upright, height, widths)
    chosen = _choose_labelled(spans, np.maximum(top_extent, height), n * cell, _GAP)
    texts, leaders = [], []
    centers = np.array([(start + stop - 1) / 2 for _, start, stop in groups])[chosen]
    top_x = right_y = centers
    if chosen:
        top_x = _spread(centers, top_extent[chosen] / cell, -0.5, n - 0.5, _GAP / cell)
        right_y = _spread(centers, np.full(len(chosen), height / cell), -0.5, n - 0.5, _GAP / cell)
    top_moved = bool(np.any(np.abs(top_x - centers) * cell > 0.5))
    right_moved = bool(np.any(np.abs(right_y - centers) * cell > 0.5))
    top_base, right_base = 7 + _LEADER * top_moved, 8 + _LEADER * right_moved
    for k, i in enumerate(chosen):
        key = groups[i][0]
        ext = key == _EXTERNAL
        style = {
            "fontsize": size,
            "fontweight": "bold",
            "fontstyle": "italic" if ext else "normal",
            "color": _EXTERNAL_TEXT if ext else "black",
            "clip_on": False,
            "gid": GROUP_LABEL_GID,
        }
        rotation = 90 if upright[i] else 0
        texts.append(
            ax.text(top_x[k], top_base, key, transform=above, ha="center", va="bottom", rotation=rotation, **style)
        )
        texts.append(ax.text(right_base, right_y[k], key, transform=beside, ha="left", va="center", **style))
        line = {"color": _LINE, "linewidth": 0.7, "clip_on": False}
        if abs(top_x[k] - centers[k]) * cell > 0.5:
            leaders.append(ax.add_line(Line2D([centers[k], top_x[k]], [5.5, top_base - 1], transform=above, **line)))
        if abs(right_y[k] - centers[k]) * cell > 0.5:
            leaders.append(
                ax.add_line(Line2D([5.5, right_base - 1], [centers[k], right_y[k]], transform=beside, **line))
            )
    tallest = max((widths[i] if upright[i] else height for i in chosen), default=0.0)
    right_width = right_base + max((widths[i] for i in chosen), default=0.0)
    return _GroupLabels(texts, leaders, _unlabelled_note(ax, groups, chosen, n * cell), top_base + tallest, right_width)


def _unlabelled_note(ax, groups, chosen: Sequence[int], width: float):
    """A line under the matrix naming the groups too narrow to label (as many names as fit), or None."""
    missing = [key for i, (key, _, _) in enumerate(groups) if i not in set(chosen)]
    if not missing:
        return None
    shown: list[str] = []
    for k, key in enumerate(missing):
        rest = len(missing) - k - 1
        line = f"not labelled (too narrow): {', '.join([*shown, key])}" + (f" and {rest} more" if rest else "")
        if shown and _text_width(line, 9) > max(width, 240):
            break
        shown.append(key)
    rest = len(missing) - len(shown)
    text = f"not labelled (too narrow): {', '.join(shown)}" + (f" and {rest} more" if rest else "")
    return ax.annotate(
        text,
        (0.5, 0),
        xycoords=ax.xaxis.label,
        xytext=(0, -4),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=9,
        color=_NOTE_TEXT,
        annotation_clip=False,
        gid=GROUP_NOTE_GID,
    )


def _brackets(ax, groups) -> None:
    """A short line over each namespace's columns and beside its rows."""
    above, beside = _edge_transforms(ax)
    for _, start, stop in groups:
        lo, hi = start - 0.5 + 0.12, stop - 0.5 - 0.12
        ax.add_line(Line2D([lo, hi], [4, 4], transform=above, color=_LINE, linewidth=1.2, clip_on=False))
        ax.add_line(Line2D([4, 4], [lo, hi], transform=beside, color=_LINE, linewidth=1.2, clip_on=False))


def _banner(fig, warnings: Sequence[str]):
    """A red line across the top of the figure when the result left something out (unsupported="ignore")."""
    if not warnings:
        return None
    first = warnings[0] if len(warnings[0]) <= 110 else warnings[0][:107] + "..."
    more = f" (+{len(warnings) - 1} more: see reach.warnings)" if len(warnings) > 1 else ""
    return fig.text(
        0.01,
        0.995,
        f"WARNING: left out, verdicts may be wrong: {first}{more}",
        ha="left",
        va="top",
        color="#B00020",
        fontsize=9,
        fontweight="bold",
        wrap=True,
    )


def _diagonal(ax, n: int) -> PatchCollection:
    cells = [Rectangle((i - 0.5, i - 0.5), 1, 1) for i in range(n)]
    coll = PatchCollection(cells, facecolor="none", edgecolor="#222222", linewidth=0.0, hatch="////", zorder=2)
    ax.add_collection(coll, autolim=False)
    return coll


def _outlined(index: pd.Index, highlight) -> tuple[int | None, int | None, bool]:
    """(source row, destination column, whether they are a pair) to outline: an endpoint is its row and column."""
    if highlight is None:
        return None, None, False
    if isinstance(highlight, str):
        i = _resolve(index, highlight)
        return i, i, False
    source, destination = highlight
    return (
        _resolve(index, source) if source else None,
        _resolve(index, destination) if destination else None,
        True,
    )


def _highlight(ax, n: int, row: int | None, column: int | None, pair: bool) -> tuple:
    """Outline the row and the column; for a pair with both ends, also their cell (thicker, with a white halo)."""
    style = {"fill": False, "edgecolor": "black", "linewidth": 2.2, "zorder": 3, "clip_on": False}
    out = []
    if row is not None:
        out.append(ax.add_patch(Rectangle((-0.5, row - 0.5), n, 1, **style)))
    if column is not None:
        out.append(ax.add_patch(Rectangle((column - 0.5, -0.5), 1, n, **style)))
    if pair and len(out) == 2:
        halo = [patheffects.withStroke(linewidth=6.0, foreground="white")]
        cell = Rectangle((column - 0.5, row - 0.5), 1, 1, **{**style, "linewidth": 3.4, "zorder": 3.5})
        cell.set_path_effects(halo)
        out.append(ax.add_patch(cell))
    return tuple(out)


# ---- displays ---------------------------------------------------------------------------------------------------


class _PodDisplay:
    """Shared drawing of the pod-level displays (grouping, labels, diagonal, legend, highlight)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        endpoints: pd.DataFrame,
        *,
        port: str,
        profile: str,
        warnings: Sequence[str] = (),
    ) -> None:
        self.frame = frame
        self.endpoints = endpoints
        self.port = port
        self.profile = profile
        self.warnings = tuple(warnings)

    def _draw(
        self, ax, codes, colors: Sequence[str], handles: list, title: str, highlight, max_endpoints, plan, fit: bool
    ):
        """Draw the panel; ``fit=False`` leaves :func:`_fit` to a caller that lays several panels out together."""
        ids = self.frame.index
        n = len(ids)
        _check_size(n, max_endpoints)
        rows, columns, pair = _outlined(ids, highlight)  # a misspelt endpoint fails before anything is drawn
        names, self._groups = _names_and_groups(self.endpoints, ids)
        self._names = names if n <= MAX_ENDPOINTS else []
        self._external = (self.endpoints["kind"].reindex(ids) == _EXTERNAL).to_numpy()
        self._outline = (rows, columns)
        labels = [h.get_label() for h in handles]
        keys = [k for k, _, _ in self._groups]
        if ax is None:
            plan = plan or _plan_panel(n, self._names, self._groups, labels, max_width=_MAX_WIDTH)
            fig, ax = plt.subplots(figsize=(plan.width, plan.height), layout="compressed")
        fig = ax.figure
        if plan is None:  # someone else's axes: estimate the room the layout will leave for the cells
            tick_w = _widest(self._names, _MAX_FONT)
            group_w = _widest(keys, _MAX_FONT + 0.5, "bold")
            reserve_w = tick_w + 34 + 26 + group_w + _LEADER + _legend_width(labels)
            reserve_h = 0.71 * tick_w + 2 * _MAX_FONT + 70
            cell, below = _cell_points(ax, n, reserve_w, reserve_h), False
        else:
            cell, below = plan.cell, plan.legend_below
        norm = BoundaryNorm(np.arange(len(colors) + 1) - 0.5, len(colors))
        self.im_ = ax.imshow(codes, cmap=ListedColormap(colors), norm=norm, interpolation="nearest", aspect="equal")
        ax.tick_params(length=2)
        if n <= 40:  # thin white cell borders help counting
            ax.set_xticks(np.arange(n + 1) - 0.5, minor=True)
            ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
            ax.tick_params(which="minor", length=0)
            ax.grid(which="minor", color="white", linewidth=0.6)
        for key, start, _ in self._groups[1:]:
            ext = key == _EXTERNAL
            for draw in (ax.axhline, ax.axvline):
                draw(start - 0.5, color=_LINE, linewidth=1.6 if ext else 0.9, linestyle="--" if ext else "-")
        self._title = f"{title} — {self.port} (profile {self.profile})"
        ax.set_title(self._title)
        ax.set_xlabel("destination (ingress side)")
        ax.set_ylabel("source (egress side)")
        _brackets(ax, self._groups)
        self.diagonal_ = _diagonal(ax, n)
        self.highlight_ = _highlight(ax, n, rows, columns, pair)
        self._legend_below = below
        style = {**_LEGEND_STYLE, "loc": "upper center" if below else "upper left"}
        if below:
            style["ncols"] = _legend_columns(labels, n * cell)
        self.legend_ = ax.legend(handles=handles, **style)
        self.banner_ = _banner(fig, self.warnings)
        self.figure_, self.ax_ = fig, ax
        self._labels: _GroupLabels | None = None
        self._place(cell)
        if fit:
            _fit([self])
        return self

    def _place(self, cell: float, below_offset: float | None = None) -> None:
        """Tick labels, namespace labels and legend for cells ``cell`` points wide."""
        ax, n = self.ax_, len(self.frame.index)
        self.cell_ = cell
        size, step = _tick_layout(cell)
        self.tick_step_ = step if self._names else 0
        ticks = range(n) if self._names else []
        shown = [name if i % step == 0 else "" for i, name in enumerate(self._names)]
        ax.set_xticks(ticks, shown, rotation=45, ha="right", rotation_mode="anchor", fontsize=size)
        ax.set_yticks(ticks, shown, fontsize=size)
        rows, columns = self._outline
        for axis_labels, outlined in ((ax.get_xticklabels(), columns), (ax.get_yticklabels(), rows)):
            for i, label in enumerate(axis_labels):
                if self._external[i]:
                    label.set(fontstyle="italic", color=_EXTERNAL_TEXT)
                if i == outlined:
                    label.set(fontweight="bold", text=self._names[i])
        if self._labels is not None:
            self._labels.remove()
        self._labels = _group_labels(ax, self._groups, _group_size(size), cell)
        self.group_labels_ = self._labels.texts
        self.group_note_ = self._labels.note
        ax.set_title(self._title, pad=1.04 * self._labels.top_height + 8)  # above the namespace labels
        fig = ax.figure
        if self._legend_below:
            offset = below_offset if below_offset is not None else 0.72 * _widest(shown, size) + 40
            shift = transforms.ScaledTranslation(0, -offset / 72, fig.dpi_scale_trans)
            self.legend_.set_bbox_to_anchor((0.5, 0), transform=ax.transAxes + shift)
        else:
            shift = transforms.ScaledTranslation((self._labels.right_width + 14) / 72, 0, fig.dpi_scale_trans)
            self.legend_.set_bbox_to_anchor((1, 1), transform=ax.transAxes + shift)
        self._placed()

    def _placed(self) -> None:
        """Hook: what else depends on the cell size."""

    def _needs(self) -> tuple[float, float | None]:
        """After a draw: the cell size now, and how far (points) below the axes the legend must start."""
        ax = self.ax_
        cell = _drawn_cell(ax, len(self.frame.index))
        if not self._legend_below:
            return cell, None
        texts = [t for t in ax.get_xticklabels() if t.get_text()] + [ax.xaxis.label]
        if self.group_note_ is not None:
            texts.append(self.group_note_)
        bottom = min(t.get_window_extent().y0 for t in texts)
        return cell, (ax.get_window_extent().y0 - bottom) * 72 / ax.figure.dpi + 6

    def _legend_offset(self) -> float:
        """Points from the axes' bottom down to where the legend below it starts now."""
        ax = self.ax_
        anchor = self.legend_.get_bbox_to_anchor()
        return (ax.get_window_extent().y0 - anchor.y0) * 72 / ax.figure.dpi

    @staticmethod
    def _self_patch() -> Patch:
        return Patch(
            facecolor="white", edgecolor="#222222", hatch="////", linewidth=0.6, label="self (plugin-dependent)"
        )


def _fit(displays: Sequence[_PodDisplay], rounds: int = 3) -> None:
    """Lay the figure out, and place the labels again wherever the cells came out smaller or the legend moved."""
    for _ in range(rounds):
        displays[0].figure_.draw_without_rendering()
        settled = True
        for display in displays:
            cell, offset = display._needs()
            smaller = cell < display.cell_ * 0.995
            moved = offset is not None and abs(offset - display._legend_offset()) > 1.0
            if smaller or moved:
                display._place(cell * 0.99 if smaller else display.cell_, offset)
                settled = False
        if settled:
            return


class ReachabilityDisplay(_PodDisplay):
    """Heatmap of who can reach whom on one port.

    ``frame``: boolean DataFrame (index = source ids, columns = the same ids as destinations), as returned by
    :meth:`Reachability.frame`; ``endpoints``: the cluster's endpoints table (``namespace``, ``name``, ``kind``);
    ``port``, ``profile``: names for the title. After :meth:`plot`: ``figure_``, ``ax_``, ``im_`` (cell values
    1 = allowed, 0 = blocked), ``diagonal_`` (hatched self cells), ``group_labels_`` (namespace Texts, top and
    right), ``group_note_`` (the Text naming namespaces too narrow to label, or None), ``legend_``, ``cell_`` (cell
    size in points), ``tick_step_`` (every how many endpoints a tick label is shown; 0: none) and ``highlight_``
    (the outlines: see :meth:`plot`).
    """

    def plot(
        self,
        ax=None,
        *,
        highlight: str | tuple[str | None, str | None] | None = None,
        max_endpoints: int | None = MAX_ENDPOINTS,
        title: str = "who can reach whom",
    ) -> ReachabilityDisplay:
        """Draw on ``ax`` (a new figure when None).

        ``highlight``: an endpoint id outlines its row and its column; a (source, destination) pair outlines the
        source's row, the destination's column and their cell (either may be None). ``highlight_`` holds the
        outlines in that order: (row, column) or (row, column, cell), one of them for a half pair.
        """
        return self._plot(ax, highlight=highlight, max_endpoints=max_endpoints, title=title)

    def _plot(
        self, ax, *, highlight=None, max_endpoints=MAX_ENDPOINTS, title="who can reach whom", plan=None, fit=True
    ):
        codes = self.frame.to_numpy().astype(np.int8)
        handles = [
            Patch(facecolor=ALLOWED_COLOR, label="allowed"),
            Patch(facecolor=BLOCKED_COLOR, label="blocked"),
            self._self_patch(),
        ]
        colors = [BLOCKED_COLOR, ALLOWED_COLOR]
        return self._draw(ax, codes, colors, handles, title, highlight, max_endpoints, plan, fit)

    @classmethod
    def from_reachability(cls, reach: Reachability, port=None, *, ax=None, **kw) -> ReachabilityDisplay:
        """Plot ``reach.frame(port)`` (``port`` may be omitted when ``reach`` holds one port); ``kw`` go to plot()."""
        return cls._of(reach, port, kw.get("max_endpoints", MAX_ENDPOINTS)).plot(ax, **kw)

    @classmethod
    def _of(cls, reach: Reachability, port, max_endpoints: int | None = MAX_ENDPOINTS) -> ReachabilityDisplay:
        label = _port_label(reach, port)
        _check_size(len(reach.endpoints), max_endpoints)  # before building the frame
        return cls(reach.frame(label), reach.endpoints, port=label, profile=reach.profile.name, warnings=reach.warnings)


class DiffDisplay(_PodDisplay):
    """Heatmap of what changed between two results on one port.

    ``frame``: string DataFrame from :meth:`Diff.frame` (values "allowed", "blocked", "newly allowed",
    "newly blocked"); ``endpoints``, ``port``, ``profile`` as for :class:`ReachabilityDisplay`. After :meth:`plot`,
    besides the attributes of :class:`ReachabilityDisplay`: ``im_`` values index
    :data:`netpolkit.matrix.DIFF_STATES`, ``counts_`` (cells per state) and ``marks_`` (state -> the ``+`` / ``-``
    marker collection on changed cells).
    """

    # legend words by state instead of the defaults (see _state_label); a lab's subclass brings its own
    _state_labels: Mapping[str, str] = MappingProxyType({})

    def plot(
        self,
        ax=None,
        *,
        highlight: str | tuple[str | None, str | None] | None = None,
        max_endpoints: int | None = MAX_ENDPOINTS,
        title: str = "what changed",
    ) -> DiffDisplay:
        """Draw on ``ax`` (a new figure when None); ``highlight`` as for :meth:`ReachabilityDisplay.plot`."""
        return self._plot(ax, highlight=highlight, max_endpoints=max_endpoints, title=title)

    def _plot(self, ax, *, highlight=None, max_endpoints=MAX_ENDPOINTS, title="what changed", plan=None, fit=True):
        values = self.frame.to_numpy()
        codes = np.zeros(values.shape, dtype=np.int8)
        for code, state in enumerate(DIFF_STATES):
            codes[values == state] = code
        self.counts_ = {state: int((values == state).sum()) for state in DIFF_STATES}
        handles = [
            Patch(facecolor=DIFF_COLORS[state], label=_state_label(state, self._state_labels, self.counts_[state]))
            for state in _LEGEND_STATES
        ]
        handles.append(self._self_patch())
        self.marks_ = {}
        colors = [DIFF_COLORS[s] for s in DIFF_STATES]
        return self._draw(ax, codes, colors, handles, title, highlight, max_endpoints, plan, fit)

    def _placed(self) -> None:
        """The ``+`` / ``-`` marks, sized to the cells."""
        values = self.frame.to_numpy()
        for state, marker in (("newly allowed", "P"), ("newly blocked", "_")):
            if state in self.marks_:
                self.marks_[state].remove()
            rows, cols = np.nonzero(values == state)
            style = {"s": (0.42 * self.cell_) ** 2, "linewidths": max(0.07 * self.cell_, 0.6), "zorder": 2.5}
            self.marks_[state] = self.ax_.scatter(cols, rows, marker=marker, color="white", **style)

    @classmethod
    def from_reachabilities(cls, before: Reachability, after: Reachability, port=None, *, ax=None, **kw) -> DiffDisplay:
        """Plot ``after.diff(before).frame(port)``, naming both profiles when they differ; ``kw`` go to plot()."""
        return cls._of(before, after, port, kw.get("max_endpoints", MAX_ENDPOINTS)).plot(ax, **kw)

    @classmethod
    def _of(cls, before: Reachability, after: Reachability, port, max_endpoints=MAX_ENDPOINTS) -> DiffDisplay:
        label = _port_label(after, port)
        _check_size(len(after.endpoints), max_endpoints)  # before building the frame
        profiles = " → ".join(dict.fromkeys([before.profile.name, after.profile.name]))
        warnings = tuple(dict.fromkeys((*before.warnings, *after.warnings)))
        return cls(after.diff(before).frame(label), after.endpoints, port=label, profile=profiles, warnings=warnings)


class AggregateDisplay:
    """Heatmap of the share of allowed pairs between groups of endpoints (namespaces by default).

    ``aggregate``: the rows of :meth:`Reachability.aggregate` for one port (src, dst, allowed, pairs, fraction);
    ``order``: group labels in display order (None: sorted); ``by``, ``port``, ``profile``: names for the labels.
    Pairs of an endpoint with itself are left out. After :meth:`plot`: ``figure_``, ``ax_``, ``im_`` (shares,
    masked where a group pair holds no pairs), ``texts_`` (array of cell annotations, or None when asked for none
    or when they would not fit the cells at a readable size), ``colorbar_``, ``cell_`` (points) and ``tick_step_``.
    """

    def __init__(
        self,
        aggregate: pd.DataFrame,
        *,
        order: Sequence[str] | None = None,
        by: str = "namespace",
        port: str = "",
        profile: str = "",
        warnings: Sequence[str] = (),
    ) -> None:
        self.aggregate = aggregate
        self.order = order
        self.by = by
        self.port = port
        self.profile = profile
        self.warnings = tuple(warnings)

    def plot(self, ax=None, *, values: str | None = "both", cmap: str = "cividis") -> AggregateDisplay:
        """Draw on ``ax`` (a new figure when None); ``values``: "count" ("3/4"), "percent", "both" or None."""
        if values not in ("count", "percent", "both", None):
            raise ValueError(f"values must be 'count', 'percent', 'both' or None, got {values!r}")
        order = list(self.order) if self.order is not None else sorted(set(self.aggregate["src"]))
        n = len(order)
        table = {
            c: self.aggregate.pivot(index="src", columns="dst", values=c).reindex(order, columns=order)
            for c in ("allowed", "pairs")
        }
        allowed, pairs = (table[c].fillna(0).to_numpy(int) for c in ("allowed", "pairs"))
        share = np.ma.masked_array(allowed / np.maximum(pairs, 1), mask=pairs == 0)
        if ax is None:
            goal = 72 * _side(max(n, 8))
            decorations = 18 + _widest(order, _MAX_FONT) + 8 + 70 + 12
            side = max(min(goal, (72 * _MAX_WIDTH - decorations) / 1.1), 72.0)
            fig, ax = plt.subplots(
                figsize=(min(_MAX_WIDTH, (1.1 * side + decorations) / 72), (side + 0.72 * decorations + 60) / 72),
                layout="compressed",
            )
            cell = side / n
        else:
            fig = ax.figure
            cell = _cell_points(ax, n, _widest(order, _MAX_FONT) + 130, 0.71 * _widest(order, _MAX_FONT) + 90)
        colormap = plt.get_cmap(cmap).with_extremes(bad="#F4F4F4")
        self.im_ = ax.imshow(share, cmap=colormap, vmin=0, vmax=1, aspect="equal", interpolation="nearest")
        ax.set_xticks(np.arange(n + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
        ax.tick_params(which="minor", length=0)
        ax.grid(which="minor", color="white", linewidth=1.5)
        self.colorbar_ = fig.colorbar(self.im_, ax=ax, shrink=0.8, fraction=0.05, format=lambda x, _: f"{x:.0%}")
        self.colorbar_.set_label("share of allowed pairs (self pairs left out)")
        ax.set_title(f"allowed share by {self.by} — {self.port} (profile {self.profile})")
        ax.set_xlabel(f"destination {self.by} (ingress side)")
        ax.set_ylabel(f"source {self.by} (egress side)")
        self.banner_ = _banner(fig, self.warnings)
        self.figure_, self.ax_ = fig, ax
        self._cells = (order, allowed, pairs, share.filled(np.nan), values)
        self.texts_ = None
        self._place(cell)
        fig.draw_without_rendering()
        drawn = _drawn_cell(ax, n)
        if drawn < cell * 0.995:
            self._place(drawn * 0.99)
        return self

    def _place(self, cell: float) -> None:
        """Tick labels and cell annotations for cells ``cell`` points wide (annotations only where they fit)."""
        ax = self.ax_
        order, allowed, pairs, share, values = self._cells
        n = len(order)
        self.cell_ = cell
        size, step = _tick_layout(cell)
        self.tick_step_ = step
        shown = [name if i % step == 0 else "" for i, name in enumerate(order)]
        ax.set_xticks(range(n), shown, rotation=45, ha="right", rotation_mode="anchor", fontsize=size)
        ax.set_yticks(range(n), shown, fontsize=size)
        for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
            if label.get_text() == _EXTERNAL:
                label.set(fontstyle="italic", color=_EXTERNAL_TEXT)
        if self.texts_ is not None:
            for text in self.texts_.flat:
                text.remove()
            self.texts_ = None
        if values is None:
            return
        texts = np.empty(share.shape, dtype=object)
        for i, j in np.ndindex(share.shape):
            texts[i, j] = self._cell_text(allowed[i, j], pairs[i, j], share[i, j], values, n)
        font = max(MIN_FONT, size - 0.5)
        lines = max(t.count("\n") + 1 for t in texts.flat)
        wide = max(_widest(t.split("\n"), font) for t in texts.flat)
        if wide > 0.9 * cell or lines * _TEXT_HEIGHT * font > 0.92 * cell:
            return  # not readable at this size: the colour tells, the colour bar reads it
        self.texts_ = np.empty(share.shape, dtype=object)
        for i, j in np.ndindex(share.shape):
            self.texts_[i, j] = self._annotate(ax, i, j, texts[i, j], pairs[i, j], share[i, j], font)

    @staticmethod
    def _cell_text(allowed: int, pairs: int, share: float, values: str, n: int) -> str:
        if pairs == 0:
            return "no pairs" if n <= 8 else "—"
        count, pct = f"{allowed}/{pairs}", f"{share:.0%}"
        return {"count": count, "percent": pct, "both": f"{count}\n{pct}"}[values]

    def _annotate(self, ax, i, j, text, pairs, share, size):
        if pairs == 0:
            return ax.text(j, i, text, ha="center", va="center", color="#555555", fontsize=size)
        r, g, b = to_rgb(self.im_.cmap(self.im_.norm(share)))
        color = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        return ax.text(j, i, text, ha="center", va="center", color=color, fontsize=size)

    @classmethod
    def from_reachability(
        cls, reach: Reachability, port=None, by: str = "namespace", *, ax=None, **kw
    ) -> AggregateDisplay:
        """Plot ``reach.aggregate(by=by, port=port)``, groups in endpoint order (externals last); ``kw``: plot()."""
        label = _port_label(reach, port)
        order = list(dict.fromkeys(reach.endpoints[by].astype(str)))
        display = cls(
            reach.aggregate(by=by, port=label),
            order=order,
            by=by,
            port=label,
            profile=reach.profile.name,
            warnings=reach.warnings,
        )
        return display.plot(ax, **kw)


# ---- convenience ------------------------------------------------------------------------------------------------


def heatmap(reach: Reachability, port=None, ax=None, **kw) -> ReachabilityDisplay:
    """Pod-level heatmap of ``reach`` on ``port``; ``kw``: :meth:`ReachabilityDisplay.plot` arguments."""
    return ReachabilityDisplay.from_reachability(reach, port, ax=ax, **kw)


def diff_heatmap(before: Reachability, after: Reachability, port=None, ax=None, **kw) -> DiffDisplay:
    """Heatmap of what changed from ``before`` to ``after`` on ``port``; ``kw``: :meth:`DiffDisplay.plot` arguments."""
    return DiffDisplay.from_reachabilities(before, after, port, ax=ax, **kw)


def aggregate_heatmap(reach: Reachability, port=None, by: str = "namespace", ax=None, **kw) -> AggregateDisplay:
    """Share of allowed pairs per group pair (``by`` = an endpoints column), for clusters too big for pods."""
    return AggregateDisplay.from_reachability(reach, port, by, ax=ax, **kw)


STEP_LAYOUTS = ("auto", "row", "column")
_ROW_CELL = 16.0  # points: side by side only when the cells stay at least this big (22 px inline)


def step_figure(
    before: Reachability,
    after: Reachability,
    port=None,
    *,
    title: str | None = None,
    highlight: str | tuple[str | None, str | None] | None = None,
    layout: str = "auto",
):
    """One tutorial step: the ``after`` heatmap and the diff from ``before``; returns the Figure.

    ``layout``: "row" puts them side by side (legends below), "column" the diff under the heatmap (each as wide
    as a notebook output allows), "auto" side by side when the cells stay at least 16 pt there, else one under
    the other. ``title`` becomes the figure's suptitle (e.g. the step's name); ``highlight`` as for
    :meth:`ReachabilityDisplay.plot`; the two displays are ``fig.axes[0]`` and ``fig.axes[1]``.
    """
    if layout not in STEP_LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(STEP_LAYOUTS)}, got {layout!r}")
    label = _port_label(after, port)
    left = ReachabilityDisplay._of(after, label)
    right = DiffDisplay._of(before, after, label)
    n = len(left.frame)
    names, groups = _names_and_groups(after.endpoints, left.frame.index)
    legend = ["newly allowed (000)", "allowed (unchanged)", "self (plugin-dependent)"]
    row = _plan_panel(n, names, groups, legend, max_width=_MAX_WIDTH / 2, legend_below=True)
    if layout == "row" or (layout == "auto" and row.cell >= _ROW_CELL):
        plan, figsize, shape = row, (2 * row.width, row.height), (1, 2)
    else:
        plan = _plan_panel(n, names, groups, legend, max_width=_MAX_WIDTH)
        figsize, shape = (plan.width, 2 * plan.height), (2, 1)
    top = 0.5 if title else 0.0
    fig, axes = plt.subplots(*shape, figsize=(figsize[0], figsize[1] + top), layout="compressed")
    left._plot(axes.flat[0], highlight=highlight, plan=plan, fit=False)
    right._plot(axes.flat[1], highlight=highlight, plan=plan, fit=False)
    if title:
        fig.suptitle(title, fontsize=13, fontweight="bold")
    _fit([left, right])
    return fig


# ---- several ports in one figure (labs) -------------------------------------------------------------------------

_LEGEND_STATES = ("newly allowed", "newly blocked", "allowed", "blocked")
_TITLE_SIZE = 12.0  # points: an Axes title ("axes.titlesize" large at "font.size" 10)


def _state_label(state: str, labels: Mapping[str, str], count: int | str) -> str:
    """A diff legend entry: ``labels``' name for the state (or the default), the count on the changed states."""
    default = {"allowed": "allowed (unchanged)", "blocked": "blocked (unchanged)"}
    if state.startswith("newly"):
        return f"{labels.get(state, state)} ({count})"
    return labels.get(state, default[state])


class _RelabelledDiffDisplay(DiffDisplay):
    """A :class:`DiffDisplay` whose legend names the states in a caller's words (a lab's), counts kept."""

    def __init__(self, *args, labels: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._state_labels = dict(labels)


@dataclass(frozen=True)
class _Panels:
    """What :func:`diff_panels` draws: one frame per port, and what sizing the panels needs to know about them."""

    frames: dict
    endpoints: pd.DataFrame
    profile: str
    labels: dict
    title: str
    suptitle: str | None
    highlight: str | None
    n: int
    names: list
    groups: list
    legend: list

    @property
    def titles(self) -> list[str]:
        """Every panel's title as :meth:`_PodDisplay._draw` writes it."""
        return [f"{self.title} — {port} (profile {self.profile})" for port in self.frames]


def _panels_layout(panels: _Panels, columns: int) -> tuple[_Plan, int]:
    """The plan of one panel and how many panels go side by side (at most ``columns``).

    Side by side (legends below) when every panel keeps cells of at least ``_ROW_CELL`` points and its title and
    legend fit its share of the notebook width; otherwise one panel under the other, each as wide as allowed.
    """
    n, names, groups, legend = panels.n, panels.names, panels.groups, panels.legend
    title_w = _widest(panels.titles, _TITLE_SIZE)
    for across in range(max(1, min(columns, len(panels.frames))), 1, -1):
        plan = _plan_panel(n, names, groups, legend, max_width=_MAX_WIDTH / across, legend_below=True)
        room = 72 * _MAX_WIDTH / across - 4  # points one panel may take, a little left between panels
        if plan.cell >= _ROW_CELL and title_w <= room and _legend_width(legend) <= room:
            return plan, across
    return _plan_panel(n, names, groups, legend, max_width=_MAX_WIDTH), 1


def _legend_rows(plan: _Plan, n: int, legend: Sequence[str]) -> int:
    """Rows of a legend below a panel, as :meth:`_PodDisplay._draw` lays it out (columns that fit the matrix)."""
    return -(-len(legend) // _legend_columns(legend, n * plan.cell))


def diff_panels(
    frames: dict[str, pd.DataFrame],
    endpoints: pd.DataFrame,
    *,
    profile: str,
    labels: dict[str, str] | None = None,
    title: str = "what changed",
    suptitle: str | None = None,
    columns: int = 2,
    highlight: str | None = None,
) -> list[DiffDisplay]:
    """One :class:`DiffDisplay` panel per port, in one figure; returns the displays (``[0].figure_`` is the figure).

    ``frames``: port -> a :data:`netpolkit.matrix.DIFF_STATES` string frame, as :meth:`Diff.frame` returns. ``labels``
    renames legend entries by state ("newly allowed" -> "allowed, should be blocked"), keeping the cell counts.
    Sized like every figure here (at most :data:`NOTEBOOK_WIDTH_PX` wide at :data:`INLINE_DPI`, no text under
    :data:`MIN_FONT`): up to ``columns`` panels side by side, legends below, when their cells stay at least 16 pt
    and their titles and legends fit; otherwise one under the other, each as wide as a notebook output allows.
    """
    if not frames:
        raise ValueError("diff_panels needs at least one port")
    labels = labels or {}
    largest = max(frames.values(), key=len)
    _check_size(len(largest), MAX_ENDPOINTS)
    names, groups = _names_and_groups(endpoints, largest.index)
    widest_count = "0" * len(str(len(largest) ** 2))
    panels = _Panels(
        frames=dict(frames),
        endpoints=endpoints,
        profile=profile,
        labels=labels,
        title=title,
        suptitle=suptitle,
        highlight=highlight,
        n=len(largest),
        names=names,
        groups=groups,
        legend=[_state_label(s, labels, widest_count) for s in _LEGEND_STATES] + ["self (plugin-dependent)"],
    )
    plan, across = _panels_layout(panels, columns)
    displays = _draw_panels(panels, plan, across)
    if across > 1 and _too_wide(displays[0].figure_):  # the estimate was off (a title wider than its share)
        plt.close(displays[0].figure_)
        displays = _draw_panels(panels, *_panels_layout(panels, 1))
    return displays


def _draw_panels(panels: _Panels, plan: _Plan, across: int) -> list[DiffDisplay]:
    """The figure of :func:`diff_panels` for one layout: ``across`` panels a row, each laid out by ``plan``."""
    down = -(-len(panels.frames) // across)
    height = plan.height
    if plan.legend_below:  # _plan_panel leaves room for two rows of legend
        height += (_legend_rows(plan, panels.n, panels.legend) - 2) * _TEXT_HEIGHT * 1.5 * _LEGEND_SIZE / 72
    top = 0.5 if panels.suptitle else 0.0
    fig, axes = plt.subplots(
        down, across, figsize=(across * plan.width, down * height + top), layout="compressed", squeeze=False
    )
    for ax in list(axes.flat)[len(panels.frames) :]:
        ax.set_visible(False)
    displays = []
    for ax, (port, frame) in zip(axes.flat, panels.frames.items(), strict=False):
        display = _RelabelledDiffDisplay(
            frame, panels.endpoints, port=str(port), profile=panels.profile, labels=panels.labels
        )
        displays.append(display._plot(ax, title=panels.title, highlight=panels.highlight, plan=plan, fit=False))
    if panels.suptitle:
        fig.suptitle(panels.suptitle, fontsize=13, fontweight="bold")
    _fit(displays)
    return displays


def _too_wide(fig) -> bool:
    """Whether the inline picture of ``fig`` (its tight box, padded) would be wider than a notebook output."""
    box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches; drawn by _fit already
    return (box.width + 2 * 0.1) * INLINE_DPI > NOTEBOOK_WIDTH_PX
