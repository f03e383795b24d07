"""Kubernetes ``networking.k8s.io/v1`` NetworkPolicy: a tier of allows that isolates what it selects.

Under Calico's ordered model the policies run in the ``default`` tier at order 1000 under Felix's internal name
``knp.default.<name>``, so a Calico policy of the same order in the same namespace ties with them by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from netpolkit.engine.dialects.base import ALLOW, NAMESPACE, Dialect, Placement, RuleEntry
from netpolkit.model.k8s import NetworkPolicy, Peer, PortSpec, Rule
from netpolkit.model.ports import PortQuery

__all__ = ["KUBERNETES_ORDER", "Kubernetes"]

KUBERNETES_ORDER = 1000.0


class Kubernetes(Dialect):
    """NetworkPolicy: ``podSelector`` in the policy's namespace, rules are a union of allows."""

    name = "NetworkPolicy"
    policy_classes = (NetworkPolicy,)

    def placement(self, policy: NetworkPolicy) -> Placement:
        if self.profile.ordered:
            return Placement(NAMESPACE, (KUBERNETES_ORDER, f"{policy.namespace}/knp.default.{policy.name}"), "")
        return Placement(NAMESPACE, (0.0, ""))

    def rules(self, policy: NetworkPolicy, direction: str) -> Sequence[RuleEntry]:
        return tuple(RuleEntry(rule, ALLOW) for rule in policy.rules(direction))

    def isolates(self, policy: NetworkPolicy, direction: str) -> bool:
        return direction in policy.policy_types

    def networks(self, policy: NetworkPolicy) -> Iterable[Any]:
        for rule in (*policy.ingress, *policy.egress):
            for peer in rule.peers:
                if peer.ip_block is not None:
                    yield peer.ip_block.cidr
                    yield from peer.ip_block.except_

    # ---- reference ---------------------------------------------------------------------------------------

    def selects(self, policy: NetworkPolicy, e: int) -> bool:
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
        if peer.namespace_selector is None:
            in_namespace = self.namespace_of(e) == policy_namespace
        else:
            in_namespace = peer.namespace_selector.matches(self.table.namespace_labels[self.table.namespace_index[e]])
        return in_namespace and (peer.pod_selector is None or peer.pod_selector.matches(self.table.labels[e]))

    def matches(self, policy: NetworkPolicy, rule: Rule, direction: str, src: int, dst: int, query: PortQuery) -> bool:
        peer = src if direction == "Ingress" else dst
        peer_ok = not rule.peers or any(self.peer_matches(p, policy.namespace, peer) for p in rule.peers)
        named = self.table.named_ports[dst]
        return peer_ok and (not rule.ports or any(spec.matches(query, named) for spec in rule.ports))

    # ---- vectorized --------------------------------------------------------------------------------------

    def subject(self, policy: NetworkPolicy) -> np.ndarray:
        cols = self.columns
        return cols.memo(
            ("k8s-subject", policy.namespace, policy.pod_selector),
            lambda: cols.in_namespace(policy.namespace) & cols.pods(policy.pod_selector),
        )

    def peers(self, rule: Rule, namespace: str) -> np.ndarray:
        """Column: the endpoints any of the rule's peers matches (everyone for no peers)."""
        cols = self.columns
        if not rule.peers:
            return cols.everyone

        def build() -> np.ndarray:
            out = np.zeros(cols.n, dtype=bool)
            for peer in rule.peers:
                out |= self.peer_column(peer, namespace)
            return out

        return cols.memo(("k8s-peers", rule.peers, namespace, self.profile.ipblock_matches_pods), build)

    def peer_column(self, peer: Peer, namespace: str) -> np.ndarray:
        """Column of one ``from``/``to`` entry."""
        cols = self.columns
        if peer.ip_block is not None:
            block = peer.ip_block
            return cols.cidr(block.cidr, block.except_, pods=self.profile.ipblock_matches_pods)
        scope = (
            cols.in_namespace(namespace)
            if peer.namespace_selector is None
            else cols.namespaces(peer.namespace_selector)
        )
        return scope if peer.pod_selector is None else scope & cols.pods(peer.pod_selector)

    def port_column(self, ports: tuple[PortSpec, ...], query: PortQuery) -> np.ndarray | None:
        """Column of destinations whose ports admit ``query`` (named ports resolve there); None: no port can."""
        cols = self.columns
        if not ports:
            return cols.everyone
        out = None
        for spec in ports:
            if spec.protocol != query.protocol:
                continue
            if isinstance(spec.port, str):
                hit = cols.named_port(spec.port, spec.protocol, query.port)
                out = hit if out is None else out | hit
            elif spec.port is None or spec.port <= query.port <= (spec.end_port or spec.port):
                return cols.everyone
        return out

    def rule_columns(
        self, policy: NetworkPolicy, rule: Rule, direction: str, query: PortQuery
    ) -> tuple[np.ndarray, np.ndarray] | None:
        ports = self.port_column(rule.ports, query)
        if ports is None:
            return None
        peers = self.peers(rule, policy.namespace)
        if direction == "Ingress":
            return peers, ports
        return self.columns.everyone, peers & ports
