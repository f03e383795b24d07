"""What every policy dialect tells the engines: its rules in order, who they protect, and what they match.

A dialect has two faces over one model. For the **reference** engine, plain per-endpoint Python straight from the
model (``selects``, ``matches``): obviously right, the oracle. For the **vectorized** engine, numpy columns over all
endpoints built from :class:`~netpolkit.engine.columns.Columns` (``subject``, ``rule_columns``). Where a rule sits in
the evaluation (tier, priority, order) is the planner's business (:mod:`netpolkit.engine.plan`), from ``placement``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.columns import Columns
from netpolkit.engine.profiles import Profile
from netpolkit.model.ports import PortQuery

__all__ = ["ADMIN", "ALLOW", "BASELINE", "DENY", "NAMESPACE", "PASS", "Dialect", "Placement", "RuleEntry"]

ALLOW, DENY, PASS = "Allow", "Deny", "Pass"
# The stages a policy can be placed in (see netpolkit.engine.plan); Calico tiers are named by their tier name.
ADMIN, NAMESPACE, BASELINE = "admin", "namespace", "baseline"


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """One rule of a policy for one direction, with the action it takes when it matches."""

    rule: Any
    action: str  # ALLOW, DENY or PASS (anything else, e.g. Calico's Log, never decides and is skipped)
    name: str | None = None  # the rule's own name, where the dialect has one
    section: str = ""  # the field the rule is written in, when not plain ingress/egress (e.g. "ingressDeny")
    number: int = 0  # its 1-based position in that field; 0: its position in ``rules()``


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a policy runs: the stage (``"admin"``, ``"namespace"``, ``"baseline"``, or a Calico tier name) and its
    rank inside the stage, ``(priority or order, tie-breaking name)``, sorted ascending across every dialect of the
    stage (a Calico policy in ``kube-admin`` ranks against ClusterNetworkPolicies)."""

    stage: str
    rank: tuple[float, str]
    position: str = ""  # how explain shows the rank: "priority 10", "order 100"


class Dialect:
    """Base of every dialect: one instance per evaluation, over one endpoint table and profile."""

    name: ClassVar[str] = ""
    """How explain names the dialect ("NetworkPolicy", "Calico", "ClusterNetworkPolicy", ...)."""
    policy_classes: ClassVar[tuple[type, ...]] = ()

    def __init__(self, table: EndpointTable, profile: Profile, columns: Columns | None = None) -> None:
        self.table = table
        self.profile = profile
        self._columns = columns

    @property
    def columns(self) -> Columns:
        """The shared column builder (made on first use: the reference engine never needs it)."""
        if self._columns is None:
            self._columns = Columns(self.table)
        return self._columns

    # ---- structure: shared by both engines ---------------------------------------------------------------

    def placement(self, policy: Any) -> Placement:
        """Where the policy runs."""
        raise NotImplementedError

    def rules(self, policy: Any, direction: str) -> Sequence[RuleEntry]:
        """The policy's rules for ``direction`` ("Ingress"/"Egress"), in written order."""
        raise NotImplementedError

    def isolates(self, policy: Any, direction: str) -> bool:
        """Whether the policy isolates some of the endpoints it selects for ``direction`` (default deny in its
        stage); which ones is :meth:`isolated` (reference) / :meth:`isolated_column` (vectorized)."""
        raise NotImplementedError

    def networks(self, policy: Any) -> Iterable[Any] | None:
        """Every CIDR the policy names (``except`` ranges too), so endpoints can be merged into atoms
        (:mod:`netpolkit.engine.atoms`); ``None`` when the dialect cannot list them (then nothing is merged)."""
        return None

    # ---- reference: one endpoint at a time ---------------------------------------------------------------

    def selects(self, policy: Any, e: int) -> bool:
        """Whether the policy applies to endpoint ``e``."""
        raise NotImplementedError

    def isolated(self, policy: Any, direction: str, e: int) -> bool:
        """Whether the policy isolates endpoint ``e`` for ``direction`` (only asked when :meth:`isolates`);
        by default every endpoint it selects."""
        return self.selects(policy, e)

    def matches(self, policy: Any, rule: Any, direction: str, src: int, dst: int, query: PortQuery) -> bool:
        """Whether ``rule`` of ``policy`` matches ``src -> dst`` on ``query`` (the protected side is ``dst`` for
        ingress, ``src`` for egress; its selection is checked by the caller)."""
        raise NotImplementedError

    # ---- vectorized: every endpoint at once --------------------------------------------------------------

    def subject(self, policy: Any) -> np.ndarray:
        """Column: the endpoints the policy applies to."""
        raise NotImplementedError

    def isolated_column(self, policy: Any, direction: str) -> np.ndarray:
        """Column of :meth:`isolated`; by default :meth:`subject`."""
        return self.subject(policy)

    def rule_columns(
        self, policy: Any, rule: Any, direction: str, query: PortQuery
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(source column, destination column) that ``rule`` matches on ``query``, ports included (they resolve
        on the destination); ``None`` when the rule cannot match this query at all."""
        raise NotImplementedError

    # ---- shared helpers ----------------------------------------------------------------------------------

    def namespace_of(self, e: int) -> str | None:
        """The namespace of endpoint ``e`` (None for an external endpoint)."""
        i = self.table.namespace_index[e]
        return self.table.namespaces[i] if i >= 0 else None
