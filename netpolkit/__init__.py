"""netpolkit: who can reach whom in a Kubernetes cluster, and why.

>>> import netpolkit as npk
>>> cluster = npk.load("manifests/aks/00-baseline.yaml", "manifests/aks/01-deny-all.yaml")  # doctest: +SKIP
>>> reach = npk.reachability(cluster, ports=["TCP/80"])      # doctest: +SKIP
>>> reach.explain("yournamespace/web", "yournamespace/api", "TCP/3000")  # doctest: +SKIP
"""

from __future__ import annotations

from netpolkit.analysis import blast_radius, exposure, lint
from netpolkit.analysis.flows import compare_flows
from netpolkit.cluster import Cluster
from netpolkit.engine import Explanation, Profile, get_profile
from netpolkit.errors import PolicyError, UnknownEndpointError
from netpolkit.io import load
from netpolkit.io.flows import read_flows
from netpolkit.io.snapshot import snapshot
from netpolkit.matrix import Diff, Reachability, reachability, staged_diff
from netpolkit.model.ports import PortQuery

__all__ = [
    "Cluster",
    "Diff",
    "Explanation",
    "PolicyError",
    "PortQuery",
    "Profile",
    "Reachability",
    "UnknownEndpointError",
    "blast_radius",
    "compare_flows",
    "explain",
    "exposure",
    "lint",
    "load",
    "reachability",
    "read_flows",
    "snapshot",
    "staged_diff",
]

__version__ = "0.1.0"


def explain(cluster: Cluster, src: str, dst: str, port: str, profile: str | Profile = "upstream") -> Explanation:
    """Why ``src -> dst`` on ``port`` is allowed or blocked in ``cluster`` (the deciding policy and rule per side)."""
    return Reachability(cluster, get_profile(profile)).explain(src, dst, port)
