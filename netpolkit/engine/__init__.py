"""Evaluators: ``reference`` (per pair, the oracle, explain) and ``vectorized`` (the product), one plan.

Every dialect compiles into one ordered form (:mod:`netpolkit.engine.plan`); both engines evaluate that form.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.atoms import SelectionIndex, atoms
from netpolkit.engine.columns import Columns
from netpolkit.engine.dialects import DIALECTS, Dialect, dialect_class
from netpolkit.engine.explanation import Explanation, SideDecision
from netpolkit.engine.plan import DIRECTIONS, Plan, Stage, build_plan, rebind
from netpolkit.engine.profiles import PROFILES, Profile, get_profile
from netpolkit.engine.reference import ReferenceEngine
from netpolkit.engine.vectorized import ClassVerdict, VectorizedEngine
from netpolkit.model.ports import PortQuery
from netpolkit.runtime import quiet_gc

__all__ = [
    "ENGINES",
    "PROFILES",
    "ClassVerdict",
    "Evaluator",
    "Explanation",
    "Plan",
    "Profile",
    "ReferenceEngine",
    "SideDecision",
    "Stage",
    "VectorizedEngine",
    "enforcing_profiles",
    "evaluate",
    "get_profile",
    "unenforced",
]

ENGINES = ("vectorized", "reference")


def unenforced(policies: Sequence[Any], profile: Profile) -> list[tuple[Any, str]]:
    """The policies whose dialect the profile's plugin does not enforce, with their dialect's name."""
    out = []
    for policy in policies:
        name = dialect_class(policy).name
        if name not in profile.dialects:
            out.append((policy, name))
    return out


def enforcing_profiles(dialect: str) -> list[str]:
    """The names of the built-in profiles that enforce a dialect."""
    return [name for name, p in PROFILES.items() if dialect in p.dialects]


class Evaluator:
    """One cluster's policies planned once under a profile: verdicts by either engine, reasons by the reference.

    Every policy must be of a dialect the profile enforces (see :func:`unenforced`).
    """

    def __init__(
        self,
        table: EndpointTable,
        policies: Sequence[Any],
        profile: Profile,
        tiers: Sequence[Any] = (),
        *,
        cache: dict[Any, Any] | None = None,
    ) -> None:
        for policy, dialect in unenforced(policies, profile)[:1]:
            raise ValueError(f"profile {profile.name!r} does not enforce {dialect} policies ({policy.ref})")
        self.table = table
        self.profile = profile
        self.dialects: tuple[Dialect, ...] = tuple(cls(table, profile) for cls in DIALECTS)
        self._policies, self._tiers = tuple(policies), tuple(tiers)
        self._cache = cache if cache is not None else {}  # shared by evaluations over the same endpoint table

    @cached_property
    def plan(self) -> Plan:
        """The plan over the endpoints themselves (the reference engine's; the vectorized one plans over atoms)."""
        if "_atoms" in self.__dict__:  # already ordered once, over atoms: reuse that order
            return rebind(self._atoms[0].plan, self.dialects)
        with quiet_gc():
            return build_plan(self._policies, self.dialects, ordered=self.profile.ordered, tiers=self._tiers)

    @cached_property
    def reference(self) -> ReferenceEngine:
        """The per-pair engine. Once the vectorized engine has run, it reads who selects an endpoint from the
        vectorized subject columns (equal by the property tests) instead of matching every policy in Python."""
        return ReferenceEngine(self.table, self.plan, self.profile, selection=self._selection)

    def _selection(self, e: int) -> frozenset[int] | None:
        """ids of the policies that select endpoint ``e``, when the vectorized columns exist (else None)."""
        if "_atoms" not in self.__dict__:
            return None
        return self._selection_index.selecting(e)

    @cached_property
    def _selection_index(self) -> SelectionIndex:
        vectorized, atom_of = self._atoms
        with quiet_gc():
            return SelectionIndex(vectorized.plan, atom_of)

    @cached_property
    def _atoms(self) -> tuple[VectorizedEngine, np.ndarray]:
        """The vectorized engine over atoms (endpoints no policy can tell apart, merged), and each endpoint's atom."""
        with quiet_gc():
            networks: list[Any] | None = []
            by_class = {cls: cls(self.table, self.profile) for cls in DIALECTS}
            for policy in self._policies:
                listed = by_class[dialect_class(policy)].networks(policy)
                if listed is None:
                    networks = None
                    break
                networks.extend(listed)
            key = ("atoms", id(self.table), None if networks is None else frozenset(networks))
            if key not in self._cache:  # a what-if that names no new CIDR keeps the atoms and their columns
                atom_table, atom_of = atoms(self.table, networks)
                self._cache[key] = (atom_table, atom_of, Columns(atom_table))
            atom_table, atom_of, columns = self._cache[key]
            dialects = [cls(atom_table, self.profile, columns) for cls in DIALECTS]
            plan = build_plan(self._policies, dialects, ordered=self.profile.ordered, tiers=self._tiers)
            return VectorizedEngine(atom_table, plan, self.profile), atom_of

    def evaluate(
        self, engine: str, ports: Sequence[PortQuery], *, memory_budget: int | None = None
    ) -> dict[PortQuery, ClassVerdict]:
        """Verdicts for every pair of endpoints on each port, by the chosen engine. ``memory_budget``: bytes of
        working memory the vectorized engine may hold at once (None: as much as it needs, in one block; see
        :mod:`netpolkit.engine.budget`)."""
        if engine == "vectorized":
            vectorized, atom_of = self._atoms
            out = {}
            with quiet_gc():
                for q in ports:
                    v = vectorized.evaluate(q, memory_budget)
                    out[q] = ClassVerdict(v.src_class[atom_of], v.dst_class[atom_of], v.verdict, v.self_allowed)
            return out
        if engine == "reference":
            identity = np.arange(len(self.table), dtype=np.intp)
            return {q: ClassVerdict(identity, identity, self.reference.matrix(q)) for q in ports}
        raise ValueError(f"unknown engine {engine!r}; expected one of: {', '.join(ENGINES)}")

    def explain(self, src: int, dst: int, query: PortQuery) -> Explanation:
        """Both sides' decisions for one pair (the reference engine's account)."""
        return self.reference.explain(src, dst, query)

    def selecting(self, endpoint: int, direction: str) -> list[Any]:
        """The policies that apply to an endpoint for a direction, in evaluation order."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        out: dict[int, Any] = {}
        for stage in self.plan.stages[direction]:
            for dialect, policy in stage.policies:
                if id(policy) not in out and self.reference.selects((dialect, policy), endpoint):
                    out[id(policy)] = policy
        return list(out.values())


def evaluate(
    table: EndpointTable,
    policies: Sequence[Any],
    profile: Profile,
    engine: str,
    ports: Sequence[PortQuery],
    tiers: Sequence[Any] = (),
    *,
    memory_budget: int | None = None,
) -> dict[PortQuery, ClassVerdict]:
    """Verdicts for every pair of endpoints on each port, by the chosen engine (see :class:`Evaluator`)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of: {', '.join(ENGINES)}")
    return Evaluator(table, policies, profile, tiers).evaluate(engine, ports, memory_budget=memory_budget)
