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
    DENIED_BY_RULE,
    END_OF_TIER,
    EXTERNAL,
    NO_RULE_MATCHED,
    NOT_ISOLATED,
    PASSED,
    Explanation,
    SideDecision,
)
from netpolkit.engine.ordering import has_calico, policy_position, tier_sequence
from netpolkit.engine.profiles import Profile
from netpolkit.model.calico import CalicoPolicy, CalicoRule, EntityRule
from netpolkit.model.k8s import NetworkPolicy, Peer, Rule
from netpolkit.model.ports import PortQuery

__all__ = ["ReferenceEngine"]

DIRECTIONS = ("Egress", "Ingress")


class ReferenceEngine:
    """Evaluates Kubernetes NetworkPolicies for one pair of endpoints at a time."""

    def __init__(
        self, table: EndpointTable, policies: Sequence[Any], profile: Profile, tiers: Sequence[Any] = ()
    ) -> None:
        self.table = table
        self.profile = profile
        self.ordered = profile.ordered
        if has_calico(policies) and not self.ordered:
            raise ValueError("this cluster has Calico policies: evaluate it with profile='calico'")
        self.policies = sorted(policies, key=policy_position) if self.ordered else list(policies)
        self.tiers = tier_sequence(self.policies, tiers)
        self.selecting: dict[str, list[list[Any]]] = {
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

    def selects(self, policy: Any, e: int) -> bool:
        """Whether the policy applies to endpoint ``e`` (a namespaced policy: pods of its own namespace only)."""
        if not self.table.is_pod[e]:
            return False
        if isinstance(policy, CalicoPolicy):
            if policy.namespace and self.namespace_of(e) != policy.namespace:
                return False
            if policy.namespace_selector is not None and not policy.namespace_selector.matches(
                self.calico_namespace_labels(e)
            ):
                return False
            account = policy.service_account_selector
            if account is not None and not account.matches({"projectcalico.org/name": self.table.service_accounts[e]}):
                return False
            return policy.selector.matches(self.calico_labels(e))
        return self.namespace_of(e) == policy.namespace and policy.pod_selector.matches(self.table.labels[e])

    def calico_labels(self, e: int) -> dict[str, str]:
        """A pod's labels as Calico's selectors see them."""
        return {
            **self.table.labels[e],
            "projectcalico.org/namespace": self.namespace_of(e) or "",
            "projectcalico.org/serviceaccount": self.table.service_accounts[e],
            "projectcalico.org/orchestrator": "k8s",
        }

    def calico_namespace_labels(self, e: int) -> dict[str, str]:
        """The labels of a pod's namespace as Calico's selectors see them."""
        ns = self.namespace_of(e) or ""
        return {**self.table.namespace_labels[self.table.namespace_index[e]], "projectcalico.org/name": ns}

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

    # ---- Calico rules --------------------------------------------------------------------------------------

    def entity_matches(self, entity: EntityRule, policy: CalicoPolicy, e: int) -> bool:
        """Whether a Calico ``source``/``destination`` matches endpoint ``e`` (every given criterion, ANDed)."""
        is_pod = bool(self.table.is_pod[e])
        labels = self.calico_labels(e) if is_pod else {}
        positive = []
        if entity.service_account_names:
            positive.append(is_pod and self.table.service_accounts[e] in entity.service_account_names)
        if entity.service_account_selector is not None:
            account = {"projectcalico.org/name": self.table.service_accounts[e]}
            positive.append(is_pod and entity.service_account_selector.matches(account))
        if entity.selector is not None:
            positive.append(is_pod and entity.selector.matches(labels))
        scoped = entity.has_endpoint_selector or entity.not_selector is not None or entity.namespace_selector
        if entity.namespace_selector is not None:
            positive.append(is_pod and entity.namespace_selector.matches(self.calico_namespace_labels(e)))
        elif policy.namespace and scoped:
            positive.append(is_pod and self.namespace_of(e) == policy.namespace)
        if not all(positive):
            return False
        ip = self.table.ips[e]
        if entity.nets and not any(ip.version == n.version and ip in n for n in entity.nets):
            return False
        if any(ip.version == n.version and ip in n for n in entity.not_nets):
            return False
        return not (entity.not_selector is not None and is_pod and entity.not_selector.matches(labels))

    def calico_ports_match(self, entity: EntityRule, protocol: str | None, dst: int, query: PortQuery) -> bool:
        """Destination ``ports``/``notPorts``: numbers, ranges, or names resolved against the destination."""

        def hit(ports: tuple) -> bool:
            named = self.table.named_ports[dst]
            return any(
                named.get((p.name, protocol)) == query.port if p.name else p.low <= query.port <= p.high for p in ports
            )

        if entity.ports and not hit(entity.ports):
            return False
        return not (entity.not_ports and hit(entity.not_ports))

    def calico_rule_matches(self, rule: CalicoRule, policy: CalicoPolicy, src: int, dst: int, query: PortQuery) -> bool:
        """Protocol, source, destination and destination ports of one Calico rule."""
        if rule.protocol is not None and rule.protocol != query.protocol:
            return False
        if rule.not_protocol is not None and rule.not_protocol == query.protocol:
            return False
        if rule.ip_version is not None and self.table.ips[dst].version != rule.ip_version:
            return False
        return (
            self.entity_matches(rule.source, policy, src)
            and self.entity_matches(rule.destination, policy, dst)
            and self.calico_ports_match(rule.destination, rule.protocol, dst, query)
        )

    def action_of(self, policy: Any, rule: Any, src: int, dst: int, peer: int, query: PortQuery) -> str | None:
        """The rule's action when it matches the packet (Kubernetes rules only ever allow), else None."""
        if isinstance(policy, CalicoPolicy):
            return rule.action if self.calico_rule_matches(rule, policy, src, dst, query) else None
        return "Allow" if self.rule_matches(rule, policy, peer, dst, query) else None

    def ordered_side(self, direction: str, endpoint: int, src: int, dst: int, query: PortQuery) -> SideDecision:
        """Calico: tiers in order; in each, selecting policies by order then name; the first matching rule
        decides (Log goes on, Pass jumps to the next tier); a tier that selected the endpoint denies at its end."""
        name, label = self.table.ids[endpoint], direction.lower()
        peer = src if direction == "Ingress" else dst
        selecting = self.selecting[direction][endpoint]
        if not selecting:
            return SideDecision(label, name, True, NOT_ISOLATED)
        for tier in self.tiers:
            in_tier = [p for p in selecting if policy_position(p)[0] == tier]
            if not in_tier:
                continue
            passed = False
            for policy in in_tier:
                for index, rule in enumerate(policy.rules(direction)):
                    action = self.action_of(policy, rule, src, dst, peer, query)
                    if action is None or action == "Log":
                        continue
                    if action == "Pass":
                        passed = True
                        break
                    reason = ALLOWED_BY_RULE if action == "Allow" else DENIED_BY_RULE
                    return SideDecision(label, name, action == "Allow", reason, policy.ref, index, tier)
                if passed:
                    break
            if not passed:
                return SideDecision(
                    label, name, False, END_OF_TIER, tier=tier, isolated_by=tuple(p.ref for p in in_tier)
                )
        return SideDecision(label, name, True, PASSED, isolated_by=tuple(p.ref for p in selecting))

    # ---- verdicts ----------------------------------------------------------------------------------------

    def side(self, direction: str, endpoint: int, peer: int, dst: int, query: PortQuery) -> SideDecision:
        """The decision of ``endpoint``'s policies for traffic to/from ``peer`` (``dst`` owns named ports)."""
        name = self.table.ids[endpoint]
        label = direction.lower()
        if not self.table.is_pod[endpoint]:
            return SideDecision(label, name, True, EXTERNAL)
        if self.ordered:
            src, dst_ = (peer, endpoint) if direction == "Ingress" else (endpoint, peer)
            return self.ordered_side(direction, endpoint, src, dst_, query)
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
            note = (
                f"a pod's traffic to its own IP is not policed under profile {self.profile.name!r} "
                f"(policy alone would say {'allowed' if allowed else 'blocked'})"
            )
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
