"""Evaluators: ``reference`` (per pair, the oracle, explain) and ``vectorized`` (the product), one interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.explanation import Explanation, SideDecision
from netpolkit.engine.ordered import OrderedEngine
from netpolkit.engine.ordering import has_calico
from netpolkit.engine.profiles import PROFILES, Profile, get_profile
from netpolkit.engine.reference import ReferenceEngine
from netpolkit.engine.vectorized import ClassVerdict, VectorizedEngine
from netpolkit.model.ports import PortQuery

__all__ = [
    "ENGINES",
    "PROFILES",
    "ClassVerdict",
    "Explanation",
    "OrderedEngine",
    "Profile",
    "ReferenceEngine",
    "SideDecision",
    "VectorizedEngine",
    "evaluate",
    "get_profile",
]

ENGINES = ("vectorized", "reference")


def evaluate(
    table: EndpointTable,
    policies: Sequence[Any],
    profile: Profile,
    engine: str,
    ports: Sequence[PortQuery],
    tiers: Sequence[Any] = (),
) -> dict[PortQuery, ClassVerdict]:
    """Verdicts for every pair of endpoints on each port, by the chosen engine.

    Calico policies need an ordered profile ("calico"). With Kubernetes policies alone the ordered model gives the
    same verdicts as the union, so the vectorized engine then takes the faster union path.
    """
    if has_calico(policies) and not profile.ordered:
        raise ValueError("this cluster has Calico policies: evaluate it with profile='calico'")
    if engine == "vectorized":
        if has_calico(policies):
            ordered = OrderedEngine(table, policies, profile, tiers)
            return {q: ordered.evaluate(q) for q in ports}
        vectorized = VectorizedEngine(table, policies, profile)
        return {q: vectorized.evaluate(q) for q in ports}
    if engine == "reference":
        reference = ReferenceEngine(table, policies, profile, tiers)
        identity = np.arange(len(table), dtype=np.intp)
        return {q: ClassVerdict(identity, identity, reference.matrix(q)) for q in ports}
    raise ValueError(f"unknown engine {engine!r}; expected one of: {', '.join(ENGINES)}")
