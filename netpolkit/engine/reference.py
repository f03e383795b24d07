"""The reference evaluator: one pair at a time, plain Python, written to be obviously right.

It is the oracle the vectorized engine is tested against, and it produces every ``explain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.explanation import (
    ALLOWED_BY_RULE,
    EXTERNAL,
    NO_RULE_MATCHED,
    NOT_ISOLATED,
    Explanation,
    SideDecision,
)
from netpolkit.engine.profiles import Profile
from netpolkit.model.k8s import NetworkPolicy, Peer, Rule
from netpolkit.model.ports import PortQuery

__all__ = ["ReferenceEngine"]

DIRECTIONS = ("Egress", "Ingress")


class ReferenceEngine:
    """Evaluates Kubernetes NetworkPolicies for one pair of endpoints at a time."""

    def __init__(self, table: EndpointTable, policies: Sequence[Any], profile: Profile) -> None:
        self.table = table
        self.profile = profile
        self.policies = [p for p in policies if isinstance(p, NetworkPolicy)]
        self.selecting: dict[str, list[list[NetworkPolicy]]] = {
            direction: [
                [p for p in self.policies if direction in p.policy_types and self.selects(p, e)]
                for e in range(len(table))
            ]
            for direction in DIRECTIONS
        }

    # ---- selection and matching --------------------------------------------------------------------------

    def namespace_of(self, e: int) -> str | None:
        """The namespace of endpoint ``e`` (None for an external endpoint)."""
        i = self.table.namespace_index[e]
        return self.table.namespaces[i] if i >= 0 else None

    def selects(self, policy: NetworkPolicy, e: int) -> bool:
        """Whether the policy's podSelector selects endpoint ``e`` (pods of its own namespace only)."""
        return (
            bool(self.table.is_pod[e])
            and self.namespace_of(e) == policy.namespace
            and policy.pod_selector.matches(self.table.labels[e])
        )

    def peer_matches(self, peer: Peer, policy_namespace: str, e: int) -> bool:
        """Whether one ``from``/``to`` entry matches endpoint ``e``."""
        if peer.ip_block is not None:
            if self.table.is_pod[e] and not self.profile.ipblock_matches_pods:
                return False
            return peer.ip_block.contains(self.table.ips[e])
        if not self.table.is_pod[e]:
            return False
        namespace = self.namespace_of(e)
        if peer.namespace_selector is None:
            in_namespace = namespace == policy_namespace
        else:
            ns_labels = self.table.namespace_labels[self.table.namespace_index[e]]
            in_namespace = peer.namespace_selector.matches(ns_labels)
        pod_ok = peer.pod_selector is None or peer.pod_selector.matches(self.table.labels[e])
        return in_namespace and pod_ok

    def rule_matches(self, rule: Rule, policy: NetworkPolicy, peer: int, dst: int, query: PortQuery) -> bool:
        """A rule matches when some peer matches AND some port matches (empty lists match everything)."""
        peer_ok = not rule.peers or any(self.peer_matches(p, policy.namespace, peer) for p in rule.peers)
        named = self.table.named_ports[dst]
        port_ok = not rule.ports or any(spec.matches(query, named) for spec in rule.ports)
        return peer_ok and port_ok

    # ---- verdicts ----------------------------------------------------------------------------------------

    def side(self, direction: str, endpoint: int, peer: int, dst: int, query: PortQuery) -> SideDecision:
        """The decision of ``endpoint``'s policies for traffic to/from ``peer`` (``dst`` owns named ports)."""
        name = self.table.ids[endpoint]
        label = direction.lower()
        if not self.table.is_pod[endpoint]:
            return SideDecision(label, name, True, EXTERNAL)
        policies = self.selecting[direction][endpoint]
        if not policies:
            return SideDecision(label, name, True, NOT_ISOLATED)
        for policy in policies:
            for index, rule in enumerate(policy.rules(direction)):
                if self.rule_matches(rule, policy, peer, dst, query):
                    return SideDecision(label, name, True, ALLOWED_BY_RULE, policy.ref, index)
        return SideDecision(label, name, False, NO_RULE_MATCHED, isolated_by=tuple(p.ref for p in policies))

    def explain(self, src: int, dst: int, query: PortQuery) -> Explanation:
        """Both sides' decisions and the verdict for ``src -> dst`` on ``query``."""
        egress = self.side("Egress", src, dst, dst, query)
        ingress = self.side("Ingress", dst, src, dst, query)
        allowed, note = egress.allowed and ingress.allowed, ""
        if src == dst and self.profile.self_traffic == "allow":
            note = (f"a pod's traffic to its own IP is not policed under profile {self.profile.name!r} "
                    f"(policy alone would say {'allowed' if allowed else 'blocked'})")
            allowed = True
        return Explanation(self.table.ids[src], self.table.ids[dst], str(query), allowed, egress, ingress, note)

    def allowed(self, src: int, dst: int, query: PortQuery) -> bool:
        """The verdict for one pair."""
        return self.explain(src, dst, query).allowed

    def matrix(self, query: PortQuery) -> np.ndarray:
        """Every pair's verdict, one at a time: ``out[s, d]``."""
        n = len(self.table)
        out = np.zeros((n, n), dtype=bool)
        for s in range(n):
            for d in range(n):
                out[s, d] = self.allowed(s, d, query)
        return out
