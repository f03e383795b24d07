"""Render the README picture: the AKS tutorial's last step, heatmap and diff (``make picture``)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from netpolkit import plot
from netpolkit.course import Tutorial, reachability_for


def main(out: str = "docs/heatmap.png") -> int:
    """Draw the AKS web -> api -> db tutorial after its last step, with the change it made."""
    aks = Tutorial.load("aks")
    before, after = aks.step_ids[-2], aks.step_ids[-1]
    figure = plot.step_figure(
        reachability_for(aks, before),
        reachability_for(aks, after),
        "TCP/3000",
        title="AKS tutorial, last step: web may call api on its pod port 3000",
    )
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110, bbox_inches="tight")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
