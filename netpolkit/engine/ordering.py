"""Where each policy runs under Calico's ordered model: tier, order, name.

Kubernetes NetworkPolicies run in the default tier at order 1000, named ``knp.default.<name>`` (Felix's internal
name), so a Calico policy with order 1000 in the same namespace ties with them and the name decides.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from netpolkit.model.calico import DEFAULT_TIER, CalicoPolicy
from netpolkit.model.k8s import NetworkPolicy

__all__ = ["KUBERNETES_ORDER", "policy_position", "tier_sequence"]

KUBERNETES_ORDER = 1000.0


def policy_position(policy: Any) -> tuple[str, float, str]:
    """(tier, order, name) of a policy; missing order sorts after every ordered policy."""
    if isinstance(policy, NetworkPolicy):
        return (DEFAULT_TIER, KUBERNETES_ORDER, f"{policy.namespace}/knp.default.{policy.name}")
    if isinstance(policy, CalicoPolicy):
        order, name = policy.sort_key
        return (policy.tier, order, name)
    raise TypeError(f"not a policy: {policy!r}")


def tier_sequence(policies: Sequence[Any], tiers: Sequence[Any]) -> list[str]:
    """Tier names in evaluation order: by Tier ``order`` (none = last), then name."""
    orders = {t.name: (math.inf if t.order is None else t.order) for t in tiers}
    names = {policy_position(p)[0] for p in policies} | set(orders)
    return sorted(names, key=lambda n: (orders.get(n, math.inf), n))


def has_calico(policies: Sequence[Any]) -> bool:
    """Whether any policy is a Calico one (which needs the ordered model)."""
    return any(isinstance(p, CalicoPolicy) for p in policies)
