"""Policy dialects: each one a parser's model compiled into the engine's one ordered form (see ``base``)."""

from __future__ import annotations

from netpolkit.engine.dialects.admin import AdminNetworkPolicyDialect, ClusterNetworkPolicyDialect
from netpolkit.engine.dialects.base import ALLOW, DENY, PASS, Dialect, Placement, RuleEntry
from netpolkit.engine.dialects.calico import Calico
from netpolkit.engine.dialects.cilium import Cilium
from netpolkit.engine.dialects.kubernetes import Kubernetes

__all__ = ["ALLOW", "DENY", "DIALECTS", "PASS", "Dialect", "Placement", "RuleEntry", "dialect_class"]

# Every dialect the engines evaluate.
DIALECTS: tuple[type[Dialect], ...] = (
    Kubernetes,
    Calico,
    ClusterNetworkPolicyDialect,
    AdminNetworkPolicyDialect,
    Cilium,
)


def dialect_class(policy: object) -> type[Dialect]:
    """The dialect that evaluates ``policy`` (TypeError for an object no dialect knows)."""
    for dialect in DIALECTS:
        if isinstance(policy, dialect.policy_classes):
            return dialect
    raise TypeError(f"no dialect evaluates {type(policy).__name__}")
