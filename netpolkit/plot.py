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

Pod-level heatmaps are readable up to about 60 endpoints; above ``max_endpoints`` (default :data:`MAX_ENDPOINTS`,
80) they refuse with a pointer to :class:`AggregateDisplay`. With ``max_endpoints=None`` they draw anyway, without
pod tick labels past 80.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import transforms
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
    "MAX_ENDPOINTS",
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

_LINE = "#333333"
_EXTERNAL = "external"
_EXTERNAL_TEXT = "#555555"
_LEGEND_SIZE = 9
_LEGEND_STYLE = {
    "loc": "upper left",
    "bbox_to_anchor": (1, 1),
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


def _tick_size(n: int) -> float:
    return 10 if n <= 12 else 8.5 if n <= 24 else 7 if n <= 40 else 5.5


def _side(n: int) -> float:
    """Inches for the matrix itself when we create the figure."""
    return max(3.2, 0.42 * n if n <= 15 else min(10.0, 6.3 + 0.14 * (n - 15)))


def _new_axes(ax, n: int, extra_width: float = 0.0):
    if ax is not None:
        return ax.figure, ax
    side = _side(n)
    return plt.subplots(figsize=(side + 4.3 + extra_width, side + 1.9), layout="compressed")


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


def _group_labels(ax, groups, size: float, cell: float):
    """Namespace brackets and labels above the columns and right of the rows; return the label Texts.

    Top labels are horizontal; one that would overlap its left neighbour moves up a row (staggered).
    """
    fig = ax.figure
    up = transforms.offset_copy(
        transforms.blended_transform_factory(ax.transData, ax.transAxes), fig=fig, y=4, units="points"
    )
    out = transforms.offset_copy(
        transforms.blended_transform_factory(ax.transAxes, ax.transData), fig=fig, x=4, units="points"
    )
    line = size * 1.35
    ends: list[float] = []  # right end (points) of the last label on each row
    texts = []
    for key, start, stop in groups:
        ext = key == _EXTERNAL
        style = {
            "fontsize": size,
            "fontweight": "bold",
            "fontstyle": "italic" if ext else "normal",
            "color": _EXTERNAL_TEXT if ext else "black",
            "annotation_clip": False,
        }
        lo, hi = start - 0.5 + 0.12, stop - 0.5 - 0.12
        ax.add_line(Line2D([lo, hi], [1, 1], transform=up, color=_LINE, linewidth=1.2, clip_on=False))
        ax.add_line(Line2D([1, 1], [lo, hi], transform=out, color=_LINE, linewidth=1.2, clip_on=False))
        center = (start + stop - 1) / 2
        width = _text_width(key, size, "bold")
        left = (center + 0.5) * cell - width / 2
        row = next((r for r, end in enumerate(ends) if end + 8 <= left), len(ends))
        ends[row : row + 1] = [left + width]
        texts.append(
            ax.annotate(
                key,
                (center, 1),
                xycoords=("data", "axes fraction"),
                xytext=(0, 7 + row * line),
                textcoords="offset points",
                ha="center",
                va="bottom",
                **style,
            )
        )
        texts.append(
            ax.annotate(
                key,
                (1, center),
                xycoords=("axes fraction", "data"),
                xytext=(8, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                **style,
            )
        )
    ax.set_title(ax.get_title(), pad=7 + len(ends) * line + 5)  # keep the title above the namespace labels
    return texts


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


def _highlight(ax, index: pd.Index, endpoint: str | None) -> tuple:
    if endpoint is None:
        return ()
    i, n = _resolve(index, endpoint), len(index)
    style = {"fill": False, "edgecolor": "black", "linewidth": 2.2, "zorder": 3, "clip_on": False}
    row = ax.add_patch(Rectangle((-0.5, i - 0.5), n, 1, **style))
    col = ax.add_patch(Rectangle((i - 0.5, -0.5), 1, n, **style))
    for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        if len(labels) == n:
            labels[i].set_fontweight("bold")
    return row, col


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

    def _draw(self, ax, codes, colors: Sequence[str], handles: list, title: str, highlight, max_endpoints):
        ids = self.frame.index
        n = len(ids)
        _check_size(n, max_endpoints)
        fig, ax = _new_axes(ax, n, extra_width=0.4 * (len(handles) > 3))
        info = self.endpoints.reindex(ids)
        names = [nm if isinstance(nm, str) else i.rpartition("/")[2] for i, nm in zip(ids, info["name"], strict=True)]
        external = (info["kind"] == _EXTERNAL).to_numpy()
        groups = _groups(info["namespace"].fillna("?").astype(str).tolist())
        norm = BoundaryNorm(np.arange(len(colors) + 1) - 0.5, len(colors))
        self.im_ = ax.imshow(codes, cmap=ListedColormap(colors), norm=norm, interpolation="nearest", aspect="equal")
        size, show_ticks = _tick_size(n), n <= MAX_ENDPOINTS
        ticks = range(n) if show_ticks else []
        ax.set_xticks(
            ticks, names if show_ticks else [], rotation=45, ha="right", rotation_mode="anchor", fontsize=size
        )
        ax.set_yticks(ticks, names if show_ticks else [], fontsize=size)
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            for label in (lab for lab, ext in zip(labels, external, strict=False) if ext):
                label.set(fontstyle="italic", color=_EXTERNAL_TEXT)
        ax.tick_params(length=2)
        if n <= 40:  # thin white cell borders help counting
            ax.set_xticks(np.arange(n + 1) - 0.5, minor=True)
            ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
            ax.tick_params(which="minor", length=0)
            ax.grid(which="minor", color="white", linewidth=0.6)
        for key, start, _ in groups[1:]:
            ext = key == _EXTERNAL
            for draw in (ax.axhline, ax.axvline):
                draw(start - 0.5, color=_LINE, linewidth=1.6 if ext else 0.9, linestyle="--" if ext else "-")
        ax.set_title(f"{title} — {self.port} (profile {self.profile})")
        ax.set_xlabel("destination (ingress side)")
        ax.set_ylabel("source (egress side)")
        # room the layout engine will give the decorations, to size the namespace labels and the legend offset
        tick_w = max((_text_width(s, size) for s in names), default=0) if show_ticks else 0
        group_w = max(_text_width(k, size + 0.5, "bold") for k, _, _ in groups)
        legend_w = max(_text_width(h.get_label(), _LEGEND_SIZE) for h in handles) + 3.2 * _LEGEND_SIZE
        reserve_w = tick_w + 34 + 26 + group_w + legend_w
        reserve_h = 0.71 * tick_w + 2 * size + 70
        self.cell_ = _cell_points(ax, n, reserve_w, reserve_h)
        self.group_labels_ = _group_labels(ax, groups, size + 0.5, self.cell_)
        self.diagonal_ = _diagonal(ax, n)
        self.highlight_ = _highlight(ax, ids, highlight)
        shift = transforms.ScaledTranslation((group_w + 20) / 72, 0, fig.dpi_scale_trans)
        self.legend_ = ax.legend(handles=handles, bbox_transform=ax.transAxes + shift, **_LEGEND_STYLE)
        self.banner_ = _banner(fig, self.warnings)
        self.figure_, self.ax_ = fig, ax
        return self

    @staticmethod
    def _self_patch() -> Patch:
        return Patch(
            facecolor="white", edgecolor="#222222", hatch="////", linewidth=0.6, label="self (plugin-dependent)"
        )


class ReachabilityDisplay(_PodDisplay):
    """Heatmap of who can reach whom on one port.

    ``frame``: boolean DataFrame (index = source ids, columns = the same ids as destinations), as returned by
    :meth:`Reachability.frame`; ``endpoints``: the cluster's endpoints table (``namespace``, ``name``, ``kind``);
    ``port``, ``profile``: names for the title. After :meth:`plot`: ``figure_``, ``ax_``, ``im_`` (cell values
    1 = allowed, 0 = blocked), ``diagonal_`` (hatched self cells), ``group_labels_`` (namespace Texts, top and
    right), ``legend_``, ``highlight_`` (the row and column outlines, empty without ``highlight``).
    """

    def plot(
        self,
        ax=None,
        *,
        highlight: str | None = None,
        max_endpoints: int | None = MAX_ENDPOINTS,
        title: str = "who can reach whom",
    ) -> ReachabilityDisplay:
        """Draw on ``ax`` (a new figure when None); ``highlight`` (an endpoint id) outlines its row and column."""
        codes = self.frame.to_numpy().astype(np.int8)
        handles = [
            Patch(facecolor=ALLOWED_COLOR, label="allowed"),
            Patch(facecolor=BLOCKED_COLOR, label="blocked"),
            self._self_patch(),
        ]
        return self._draw(ax, codes, [BLOCKED_COLOR, ALLOWED_COLOR], handles, title, highlight, max_endpoints)

    @classmethod
    def from_reachability(cls, reach: Reachability, port=None, *, ax=None, **kw) -> ReachabilityDisplay:
        """Plot ``reach.frame(port)`` (``port`` may be omitted when ``reach`` holds one port); ``kw`` go to plot()."""
        label = _port_label(reach, port)
        _check_size(len(reach.endpoints), kw.get("max_endpoints", MAX_ENDPOINTS))  # before building the frame
        display = cls(
            reach.frame(label), reach.endpoints, port=label, profile=reach.profile.name, warnings=reach.warnings
        )
        return display.plot(ax, **kw)


class DiffDisplay(_PodDisplay):
    """Heatmap of what changed between two results on one port.

    ``frame``: string DataFrame from :meth:`Diff.frame` (values "allowed", "blocked", "newly allowed",
    "newly blocked"); ``endpoints``, ``port``, ``profile`` as for :class:`ReachabilityDisplay`. After :meth:`plot`,
    besides the attributes of :class:`ReachabilityDisplay`: ``im_`` values index
    :data:`netpolkit.matrix.DIFF_STATES`, ``counts_`` (cells per state) and ``marks_`` (state -> the ``+`` / ``-``
    marker collection on changed cells).
    """

    def plot(
        self,
        ax=None,
        *,
        highlight: str | None = None,
        max_endpoints: int | None = MAX_ENDPOINTS,
        title: str = "what changed",
    ) -> DiffDisplay:
        """Draw on ``ax`` (a new figure when None); ``highlight`` (an endpoint id) outlines its row and column."""
        values = self.frame.to_numpy()
        codes = np.zeros(values.shape, dtype=np.int8)
        for code, state in enumerate(DIFF_STATES):
            codes[values == state] = code
        self.counts_ = {state: int((values == state).sum()) for state in DIFF_STATES}
        handles = [
            Patch(facecolor=DIFF_COLORS["newly allowed"], label=f"newly allowed ({self.counts_['newly allowed']})"),
            Patch(facecolor=DIFF_COLORS["newly blocked"], label=f"newly blocked ({self.counts_['newly blocked']})"),
            Patch(facecolor=DIFF_COLORS["allowed"], label="allowed (unchanged)"),
            Patch(facecolor=DIFF_COLORS["blocked"], label="blocked (unchanged)"),
            self._self_patch(),
        ]
        colors = [DIFF_COLORS[s] for s in DIFF_STATES]
        self._draw(ax, codes, colors, handles, title, highlight, max_endpoints)
        self.marks_ = {}
        for state, marker in (("newly allowed", "P"), ("newly blocked", "_")):
            rows, cols = np.nonzero(values == state)
            style = {"s": (0.42 * self.cell_) ** 2, "linewidths": max(0.07 * self.cell_, 0.6), "zorder": 2.5}
            self.marks_[state] = self.ax_.scatter(cols, rows, marker=marker, color="white", **style)
        return self

    @classmethod
    def from_reachabilities(cls, before: Reachability, after: Reachability, port=None, *, ax=None, **kw) -> DiffDisplay:
        """Plot ``after.diff(before).frame(port)``, naming both profiles when they differ; ``kw`` go to plot()."""
        label = _port_label(after, port)
        _check_size(len(after.endpoints), kw.get("max_endpoints", MAX_ENDPOINTS))  # before building the frame
        profiles = " → ".join(dict.fromkeys([before.profile.name, after.profile.name]))
        warnings = tuple(dict.fromkeys((*before.warnings, *after.warnings)))
        display = cls(after.diff(before).frame(label), after.endpoints, port=label, profile=profiles, warnings=warnings)
        return display.plot(ax, **kw)


class AggregateDisplay:
    """Heatmap of the share of allowed pairs between groups of endpoints (namespaces by default).

    ``aggregate``: the rows of :meth:`Reachability.aggregate` for one port (src, dst, allowed, pairs, fraction);
    ``order``: group labels in display order (None: sorted); ``by``, ``port``, ``profile``: names for the labels.
    Pairs of an endpoint with itself are left out. After :meth:`plot`: ``figure_``, ``ax_``, ``im_`` (shares,
    masked where a group pair holds no pairs), ``texts_`` (array of cell annotations, or None), ``colorbar_``.
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
        fig, ax = _new_axes(ax, max(n, 8), extra_width=-1.4)
        colormap = plt.get_cmap(cmap).with_extremes(bad="#F4F4F4")
        self.im_ = ax.imshow(share, cmap=colormap, vmin=0, vmax=1, aspect="equal", interpolation="nearest")
        size = _tick_size(n)
        ax.set_xticks(range(n), order, rotation=45, ha="right", rotation_mode="anchor", fontsize=size)
        ax.set_yticks(range(n), order, fontsize=size)
        for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
            if label.get_text() == _EXTERNAL:
                label.set(fontstyle="italic", color=_EXTERNAL_TEXT)
        ax.set_xticks(np.arange(n + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
        ax.tick_params(which="minor", length=0)
        ax.grid(which="minor", color="white", linewidth=1.5)
        self.texts_ = None
        if values is not None and n <= 30:
            self.texts_ = np.empty(share.shape, dtype=object)
            filled = share.filled(np.nan)
            for i, j in np.ndindex(share.shape):
                self.texts_[i, j] = self._annotate(ax, i, j, allowed[i, j], pairs[i, j], filled, values, size)
        self.colorbar_ = fig.colorbar(self.im_, ax=ax, shrink=0.8, format=lambda x, _: f"{x:.0%}")
        self.colorbar_.set_label("share of allowed pairs (self pairs left out)")
        ax.set_title(f"allowed share by {self.by} — {self.port} (profile {self.profile})")
        ax.set_xlabel(f"destination {self.by} (ingress side)")
        ax.set_ylabel(f"source {self.by} (egress side)")
        self.banner_ = _banner(fig, self.warnings)
        self.figure_, self.ax_ = fig, ax
        return self

    def _annotate(self, ax, i, j, allowed, pairs, share, values, size):
        frac = share[i, j]
        if pairs == 0:
            text = "no pairs" if len(share) <= 8 else "—"
            return ax.text(j, i, text, ha="center", va="center", color="#777777", fontsize=size - 1)
        count, pct = f"{allowed}/{pairs}", f"{frac:.0%}"
        text = {"count": count, "percent": pct, "both": f"{count}\n{pct}"}[values]
        r, g, b = to_rgb(self.im_.cmap(self.im_.norm(frac)))
        color = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        return ax.text(j, i, text, ha="center", va="center", color=color, fontsize=size - 0.5)

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


def step_figure(
    before: Reachability, after: Reachability, port=None, *, title: str | None = None, highlight: str | None = None
):
    """One tutorial step: the ``after`` heatmap and the diff from ``before``, side by side; returns the Figure.

    ``title`` becomes the figure's suptitle (e.g. the step's name); the two displays are ``fig.axes[0]`` and
    ``fig.axes[1]``.
    """
    n = len(after.endpoints)
    _check_size(n, MAX_ENDPOINTS)
    side = min(_side(n), 8.0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(2 * side + 8.0, side + 2.1), layout="compressed")
    heatmap(after, port, ax=left, highlight=highlight)
    diff_heatmap(before, after, port, ax=right, highlight=highlight)
    if title:
        fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig
