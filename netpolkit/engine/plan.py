"""The one ordered form every dialect compiles into: per direction, stages of rules.

A **stage** is a tier: the ClusterNetworkPolicy/AdminNetworkPolicy Admin tier, the namespace owners' tier
(NetworkPolicy, and Cilium's policies beside them), the Baseline tier, or one Calico tier. Per direction and
protected endpoint, stages run in order:

- an **ordered** stage (Calico tiers, Admin, Baseline): entries by rank, rules in written order; the first entry
  whose policy selects the endpoint and whose rule matches decides: Allow / Deny end the evaluation, Pass skips to
  the next stage;
- an **unordered** stage (NetworkPolicy's union, Cilium's deny-over-allow): any matching Deny blocks, else any
  matching Allow allows;
- nothing decided: when ``end_deny`` and some member policy isolates the endpoint, it is blocked (NetworkPolicy's
  isolation, Calico's end of tier); otherwise the next stage runs. After the last stage: allowed.

Both engines read the same plan; the reference matches entries pair by pair, the vectorized one as columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netpolkit.engine.dialects.base import ADMIN, ALLOW, BASELINE, DENY, NAMESPACE, PASS, Dialect, RuleEntry

__all__ = [
    "ADMIN",
    "BASELINE",
    "CALICO_TIERS",
    "DIRECTIONS",
    "NAMESPACE",
    "Entry",
    "Plan",
    "Stage",
    "build_plan",
    "rebind",
]

DIRECTIONS = ("Ingress", "Egress")
# Where Calico runs the cluster-admin tiers among its own tiers: (tier name, tier order); both end in Pass (tier
# defaultAction Pass), and a policy's order there is its priority. Calico >= 3.32 runs ClusterNetworkPolicy v1alpha2
# in kube-admin (order 1000) and kube-baseline (order 10,000,000); the default tier sits between them at 1,000,000
# (github.com/projectcalico/calico: api/pkg/apis/projectcalico/v3/tier.go, libcalico-go/lib/clientv3/client.go,
# libcalico-go/lib/backend/k8s/conversion/clusternetworkpolicy.go). Calico 3.29-3.31 ran AdminNetworkPolicy and
# (3.30-3.31) BaselineAdminNetworkPolicy v1alpha1 at the same orders, in tiers adminnetworkpolicy and
# baselineadminnetworkpolicy (BANP at order 1000; libcalico-go/lib/backend/k8s/conversion/conversion.go).
CALICO_TIERS: dict[str, tuple[str, float]] = {ADMIN: ("kube-admin", 1_000.0), BASELINE: ("kube-baseline", 10_000_000.0)}
CALICO_DEFAULT_TIER = "default"
# The default tier's order when no Tier object declares one: after kube-admin, before kube-baseline.
CALICO_DEFAULT_TIER_ORDER = 1_000_000.0


@dataclass(frozen=True, slots=True)
class Entry:
    """One rule in evaluation order: its dialect, policy, 1-based number in the policy, and action."""

    dialect: Dialect
    policy: Any
    number: int
    rule: RuleEntry

    @property
    def action(self) -> str:
        """Allow, Deny or Pass."""
        return self.rule.action


@dataclass(frozen=True, slots=True)
class Stage:
    """One tier of one direction (see the module docstring)."""

    name: str
    ordered: bool
    end_deny: bool
    members: tuple[tuple[Dialect, Any], ...]  # policies that isolate what they select, in this direction
    entries: tuple[Entry, ...]
    policies: tuple[tuple[Dialect, Any], ...] = ()  # every policy of the stage for this direction, in rank order


@dataclass(frozen=True)
class Plan:
    """Stages per direction, and each policy's dialect."""

    stages: Mapping[str, tuple[Stage, ...]]
    dialect_of: Mapping[int, Dialect]  # id(policy) -> dialect

    def position(self, policy: Any) -> str:
        """How explain shows where a policy runs ("priority 10", "order 100", or "")."""
        return self.dialect_of[id(policy)].placement(policy).position


def build_plan(
    policies: Sequence[Any],
    dialects: Sequence[Dialect],
    *,
    ordered: bool,
    tiers: Sequence[Any] = (),
) -> Plan:
    """Order ``policies`` into stages. ``ordered``: Calico's model, where every stage is a tier sorted by order."""
    by_class = {cls: d for d in dialects for cls in d.policy_classes}
    dialect_of: dict[int, Dialect] = {}
    for p in policies:
        dialect = by_class.get(type(p))
        if dialect is None:
            raise TypeError(f"no dialect evaluates {type(p).__name__}")
        dialect_of[id(p)] = dialect
    placed = [(dialect_of[id(p)].placement(p), p) for p in policies]
    names = _stage_sequence({pl.stage for pl, _ in placed}, ordered, tiers)
    tier_pass = {t.name for t in tiers if getattr(t, "default_action", "Deny") == "Pass"}
    stages: dict[str, tuple[Stage, ...]] = {}
    for direction in DIRECTIONS:
        out = []
        for name in names:
            members = sorted(((pl, p) for pl, p in placed if _stage_name(pl.stage, ordered) == name), key=_rank)
            is_ordered = ordered or name != NAMESPACE
            end_deny = (name == NAMESPACE) if not ordered else (name not in tier_pass and name not in _KUBE_TIERS)
            entries = tuple(
                Entry(dialect_of[id(p)], p, rule.number or i, rule)
                for _, p in members
                for i, rule in enumerate(dialect_of[id(p)].rules(p, direction), start=1)
                if rule.action in (ALLOW, DENY, PASS)
            )
            isolating = tuple((dialect_of[id(p)], p) for _, p in members if dialect_of[id(p)].isolates(p, direction))
            involved = {id(e.policy) for e in entries} | {id(p) for _, p in isolating}
            in_order = tuple((dialect_of[id(p)], p) for _, p in members if id(p) in involved)
            if entries or isolating:
                out.append(Stage(name, is_ordered, end_deny, isolating, entries, in_order))
        stages[direction] = tuple(out)
    return Plan(stages, dialect_of)


_KUBE_TIERS = {name for name, _ in CALICO_TIERS.values()}


def _rank(item: tuple[Any, Any]) -> tuple[Any, ...]:
    return item[0].rank


def _stage_name(stage: str, ordered: bool) -> str:
    if ordered and stage in CALICO_TIERS:
        return CALICO_TIERS[stage][0]
    if ordered and stage == NAMESPACE:
        return CALICO_DEFAULT_TIER
    return stage


def _stage_sequence(stages: set[str], ordered: bool, tiers: Sequence[Any]) -> list[str]:
    if not ordered:
        return [s for s in (ADMIN, NAMESPACE, BASELINE) if s in stages]
    orders = {CALICO_DEFAULT_TIER: CALICO_DEFAULT_TIER_ORDER}
    orders.update({t.name: (math.inf if t.order is None else t.order) for t in tiers if t.order is not None})
    orders.update({name: order for name, order in CALICO_TIERS.values()})
    names = {_stage_name(s, ordered) for s in stages} | {t.name for t in tiers}
    return sorted(names, key=lambda n: (orders.get(n, math.inf), n))


def rebind(plan: Plan, dialects: Sequence[Dialect]) -> Plan:
    """The same plan with each dialect replaced by the given instance of its class (e.g. the vectorized plan over
    atoms, rebound to dialects over every endpoint for the reference engine), without ordering anything again."""
    by_class = {type(d): d for d in dialects}

    def pair(item: tuple[Dialect, Any]) -> tuple[Dialect, Any]:
        return by_class[type(item[0])], item[1]

    stages = {
        direction: tuple(
            Stage(
                stage.name,
                stage.ordered,
                stage.end_deny,
                tuple(pair(m) for m in stage.members),
                tuple(Entry(by_class[type(e.dialect)], e.policy, e.number, e.rule) for e in stage.entries),
                tuple(pair(p) for p in stage.policies),
            )
            for stage in direction_stages
        )
        for direction, direction_stages in plan.stages.items()
    }
    return Plan(stages, {key: by_class[type(d)] for key, d in plan.dialect_of.items()})
