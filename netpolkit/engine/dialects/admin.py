"""network-policy-api dialects: ClusterNetworkPolicy (``v1alpha2``) and AdminNetworkPolicy /
BaselineAdminNetworkPolicy (``v1alpha1``).

A policy runs in the Admin or the Baseline stage of the plan. Inside a stage policies run by ``priority`` (lower
first); the API leaves ties undefined ("the implementation can apply any of the matching policies"), and netpolkit
breaks them deterministically by kind (ClusterNetworkPolicy, then AdminNetworkPolicy, then
BaselineAdminNetworkPolicy) and then by name. BaselineAdminNetworkPolicy has no priority and ranks as priority 0.
Rules run in written order and the first match decides: Accept/Allow and Deny end the evaluation, Pass goes on
to the next stage. These tiers never isolate: what no rule matches goes on too.

Semantics (network-policy-api API reference): the subject and the ``namespaces``/``pods`` peers pick pods only,
never host-network ones; ``pods`` is namespaceSelector AND podSelector; ``networks`` CIDRs match any address, pod
IPs included (whatever the profile says of Kubernetes ipBlocks); a named port resolves on the destination pod for
the queried protocol; no ports = every port.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from netpolkit.engine.dialects.base import ALLOW, DENY, PASS, Dialect, Placement, RuleEntry
from netpolkit.engine.plan import ADMIN, BASELINE
from netpolkit.model.admin import ADMIN as ADMIN_TIER
from netpolkit.model.admin import (
    AdminNetworkPolicy,
    AdminPeer,
    AdminPolicy,
    AdminPort,
    AdminRule,
    BaselineAdminNetworkPolicy,
    ClusterNetworkPolicy,
    Selection,
)
from netpolkit.model.ports import PortQuery

__all__ = ["AdminNetworkPolicyDialect", "ClusterNetworkPolicyDialect"]

ACTIONS = {"Accept": ALLOW, "Allow": ALLOW, "Deny": DENY, "Pass": PASS}
KIND_RANK = {"ClusterNetworkPolicy": 0, "AdminNetworkPolicy": 1, "BaselineAdminNetworkPolicy": 2}


class _NetworkPolicyAPI(Dialect):
    """What both versions share: placement, rules, and the two faces of matching."""

    def placement(self, policy: AdminPolicy) -> Placement:
        stage = ADMIN if policy.tier == ADMIN_TIER else BASELINE
        position = "" if policy.priority is None else f"priority {policy.priority}"
        return Placement(stage, (float(policy.priority or 0), f"{KIND_RANK[policy.kind]}:{policy.name}"), position)

    def rules(self, policy: AdminPolicy, direction: str) -> Sequence[RuleEntry]:
        return tuple(RuleEntry(rule, ACTIONS[rule.action], rule.name or None) for rule in policy.rules(direction))

    def isolates(self, policy: AdminPolicy, direction: str) -> bool:
        return False

    # ---- reference ---------------------------------------------------------------------------------------

    def pod_eligible(self, e: int) -> bool:
        """Whether endpoint ``e`` is a pod these policies can pick (not an external, not host-network)."""
        return bool(self.table.is_pod[e]) and not self.table.host_network[e]

    def picks(self, selection: Selection, e: int) -> bool:
        """Whether a subject or a ``namespaces``/``pods`` peer picks endpoint ``e``."""
        if not self.pod_eligible(e):
            return False
        namespace_labels = self.table.namespace_labels[self.table.namespace_index[e]]
        return selection.matches(namespace_labels, self.table.labels[e])

    def peer_matches(self, peer: AdminPeer, e: int) -> bool:
        """Whether one ``from``/``to`` entry matches endpoint ``e``."""
        if peer.selection is not None:
            return self.picks(peer.selection, e)
        return peer.contains(self.table.ips[e])

    def selects(self, policy: AdminPolicy, e: int) -> bool:
        return self.picks(policy.subject, e)

    def matches(
        self, policy: AdminPolicy, rule: AdminRule, direction: str, src: int, dst: int, query: PortQuery
    ) -> bool:
        peer = src if direction == "Ingress" else dst
        if not any(self.peer_matches(p, peer) for p in rule.peers):
            return False
        named = self.table.named_ports[dst]
        return not rule.ports or any(port.matches(query, named) for port in rule.ports)

    # ---- vectorized --------------------------------------------------------------------------------------

    def eligible_column(self) -> np.ndarray:
        """Column: pods these policies can pick."""
        cols = self.columns
        return cols.memo(("npa-eligible",), lambda: cols.is_pod & ~np.asarray(self.table.host_network, dtype=bool))

    def selection_column(self, selection: Selection) -> np.ndarray:
        """Column of a subject or a ``namespaces``/``pods`` peer."""
        cols = self.columns

        def build() -> np.ndarray:
            out = self.eligible_column() & cols.namespaces(selection.namespaces)
            return out if selection.pods is None else out & cols.pods(selection.pods)

        return cols.memo(("npa-selection", selection), build)

    def peer_column(self, peer: AdminPeer) -> np.ndarray:
        """Column of one ``from``/``to`` entry."""
        if peer.selection is not None:
            return self.selection_column(peer.selection)
        cols = self.columns

        def build() -> np.ndarray:
            out = np.zeros(cols.n, dtype=bool)
            for net in peer.networks:
                out |= cols.cidr(net, pods=True)
            return out

        return cols.memo(("npa-networks", peer.networks), build)

    def peers_column(self, rule: AdminRule) -> np.ndarray:
        """Column of the endpoints any peer of the rule matches (nobody for no peers)."""
        cols = self.columns

        def build() -> np.ndarray:
            out = np.zeros(cols.n, dtype=bool)
            for peer in rule.peers:
                out |= self.peer_column(peer)
            return out

        return cols.memo(("npa-peers", rule.peers), build)

    def port_column(self, ports: tuple[AdminPort, ...], query: PortQuery) -> np.ndarray | None:
        """Column of destinations whose ports admit ``query`` (named ports resolve there); None: no port can."""
        cols = self.columns
        if not ports:
            return cols.everyone
        out = None
        for port in ports:
            if port.name:
                hit = cols.named_port(port.name, query.protocol, query.port)
                out = hit if out is None else out | hit
            elif port.protocol == query.protocol and port.start <= query.port <= port.end:
                return cols.everyone
        return out

    def subject(self, policy: AdminPolicy) -> np.ndarray:
        return self.selection_column(policy.subject)

    def rule_columns(
        self, policy: AdminPolicy, rule: AdminRule, direction: str, query: PortQuery
    ) -> tuple[np.ndarray, np.ndarray] | None:
        ports = self.port_column(rule.ports, query)
        if ports is None or not rule.peers:
            return None
        peers = self.peers_column(rule)
        if direction == "Ingress":
            return peers, ports
        return self.columns.everyone, peers & ports


class ClusterNetworkPolicyDialect(_NetworkPolicyAPI):
    """ClusterNetworkPolicy ``policy.networking.k8s.io/v1alpha2``: Admin or Baseline tier by ``spec.tier``."""

    name = "ClusterNetworkPolicy"
    policy_classes = (ClusterNetworkPolicy,)


class AdminNetworkPolicyDialect(_NetworkPolicyAPI):
    """AdminNetworkPolicy (the Admin tier) and BaselineAdminNetworkPolicy (the Baseline tier), ``v1alpha1``."""

    name = "AdminNetworkPolicy"
    policy_classes = (AdminNetworkPolicy, BaselineAdminNetworkPolicy)
