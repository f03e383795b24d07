"""A heatmap of a :class:`~netpolkit.probing.ProbeMatrix`: observed versus predicted, mismatches highlighted.

Like the displays of :mod:`netpolkit.plot` (scikit-learn's ``ConfusionMatrixDisplay`` pattern): ``plot(ax=None)``
draws on the given Axes, keeps ``figure_``, ``ax_``, ``im_`` and returns the display. Rows are source pods, columns
the probed destinations (``dst`` and port, in the order of the cells). Okabe-Ito colours, and a mark in every cell
that is not as predicted so colour is not the only cue: ``!`` a mismatch, ``~`` implementation-defined (self
traffic), ``?`` not observed. Nothing here probes or computes verdicts.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch

from netpolkit.probing import ProbeMatrix

__all__ = ["PROBE_STATES", "ProbeDisplay", "probe_heatmap"]

PROBE_STATES: dict[str, tuple[str, str]] = {
    "allowed, as predicted": ("#0072B2", ""),  # Okabe-Ito blue, as allowed cells in netpolkit.plot
    "blocked, as predicted": ("#E0E0E0", ""),  # light grey, as blocked cells
    "connected, predicted blocked": ("#D55E00", "!"),  # vermillion
    "failed, predicted allowed": ("#E69F00", "!"),  # orange
    "implementation-defined": ("#CC79A7", "~"),  # reddish purple
    "not observed": ("#FFFFFF", "?"),
}
"""State -> (colour, mark) of a cell."""
_NO_CELL = -1


def _state(row) -> str:
    if row["implementation_defined"] and row["observed"] is not None:
        return "implementation-defined"
    if row["observed"] is None or row["match"] is None:
        return "not observed"
    if row["match"]:
        return "allowed, as predicted" if row["observed"] else "blocked, as predicted"
    return "connected, predicted blocked" if row["observed"] else "failed, predicted allowed"


class ProbeDisplay:
    """Observed versus predicted per probed cell; build with :meth:`from_probe_matrix` or ``ProbeDisplay(m).plot()``."""

    def __init__(self, probes: ProbeMatrix, *, title: str | None = None) -> None:
        self.probes = probes
        self.title = title

    def plot(self, ax=None) -> ProbeDisplay:
        """Draw on ``ax`` (a new figure when None); returns self with ``figure_``, ``ax_``, ``im_``, ``states_``."""
        cells = self.probes.cells
        sources = list(dict.fromkeys(cells["src"]))
        keys = zip(cells["dst"], cells["protocol"], cells["port"], strict=True)
        columns = list(dict.fromkeys(f"{d}\n{p}/{n}" for d, p, n in keys))
        names = list(PROBE_STATES)
        codes = np.full((len(sources), len(columns)), _NO_CELL, dtype=int)
        states: dict[tuple[str, str], str] = {}
        for _, row in cells.iterrows():
            i = sources.index(row["src"])
            j = columns.index(f"{row['dst']}\n{row['protocol']}/{row['port']}")
            state = _state(row)
            codes[i, j] = names.index(state)
            states[(row["src"], columns[j])] = state
        if ax is None:
            width = 2.5 + 0.9 * max(1, len(columns))
            height = 1.8 + 0.5 * max(1, len(sources))
            _, ax = plt.subplots(figsize=(min(width, 16), min(height, 12)), layout="constrained")
        colours = ["#FFFFFF"] + [c for c, _ in PROBE_STATES.values()]  # -1: a pair not in the cells
        cmap = ListedColormap(colours)
        norm = BoundaryNorm(np.arange(-1.5, len(names)), cmap.N)
        self.im_ = ax.imshow(codes, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
        for i in range(len(sources)):
            for j in range(len(columns)):
                if codes[i, j] == _NO_CELL:
                    continue
                mark = PROBE_STATES[names[codes[i, j]]][1]
                if mark:
                    colour = "black" if names[codes[i, j]] == "not observed" else "white"
                    ax.text(j, i, mark, ha="center", va="center", color=colour, fontweight="bold", fontsize=12)
        ax.set_xticks(range(len(columns)), columns, rotation=45, ha="left", fontsize=8)
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(sources)), sources, fontsize=8)
        ax.set_xticks(np.arange(-0.5, len(columns)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(sources)), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        mismatches = len(self.probes.mismatches())
        title = self.title or "observed vs predicted"
        ax.set_title(f"{title}: {mismatches} mismatch{'es' if mismatches != 1 else ''}", loc="left")
        present = [n for n in names if n in states.values()]
        handles = [Patch(facecolor=PROBE_STATES[n][0], edgecolor="#808080", label=_legend(n)) for n in present]
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        self.ax_ = ax
        self.figure_ = ax.figure
        self.states_ = states
        return self

    @classmethod
    def from_probe_matrix(cls, probes: ProbeMatrix, *, ax=None, title: str | None = None) -> ProbeDisplay:
        """Build the display of ``probes`` and plot it."""
        return cls(probes, title=title).plot(ax=ax)


def _legend(state: str) -> str:
    mark = PROBE_STATES[state][1]
    return f"{mark} {state}" if mark else state


def probe_heatmap(probes: ProbeMatrix, ax=None, *, title: str | None = None) -> ProbeDisplay:
    """Draw the observed-versus-predicted heatmap of ``probes`` (a :class:`ProbeDisplay`)."""
    return ProbeDisplay.from_probe_matrix(probes, ax=ax, title=title)
