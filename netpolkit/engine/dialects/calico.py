"""Calico ``projectcalico.org/v3`` NetworkPolicy and GlobalNetworkPolicy: ordered rules in tiers.

A policy runs in its tier, by ``order`` (none = after every ordered policy), then by name; rules in written order,
the first matching one decides (Log rules never decide and are left out). In a namespaced policy a bare
``selector`` (or ``notSelector``) means pods of the policy's namespace; in a global one, pods of any namespace.
``nets`` match pod IPs too, by definition.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from netpolkit.engine.dialects.base import Dialect, Placement, RuleEntry
from netpolkit.model.calico import CalicoPolicy, CalicoPort, CalicoRule, EntityRule
from netpolkit.model.ports import PortQuery

__all__ = ["Calico"]


class Calico(Dialect):
    """Calico NetworkPolicy / GlobalNetworkPolicy."""

    name = "Calico"
    policy_classes = (CalicoPolicy,)

    def placement(self, policy: CalicoPolicy) -> Placement:
        order, name = policy.sort_key
        position = "" if math.isinf(order) else f"order {order:g}"
        return Placement(policy.tier, (order, name), position)

    def rules(self, policy: CalicoPolicy, direction: str) -> Sequence[RuleEntry]:
        return tuple(RuleEntry(rule, rule.action) for rule in policy.rules(direction))  # Log: skipped by the plan

    def isolates(self, policy: CalicoPolicy, direction: str) -> bool:
        return direction in policy.policy_types

    def networks(self, policy: CalicoPolicy) -> Iterable[Any]:
        for rule in (*policy.ingress, *policy.egress):
            for entity in (rule.source, rule.destination):
                yield from entity.nets
                yield from entity.not_nets

    # ---- reference ---------------------------------------------------------------------------------------

    def calico_labels(self, e: int) -> dict[str, str]:
        """A pod's labels as Calico's selectors see them."""
        return {
            **self.table.labels[e],
            "projectcalico.org/namespace": self.namespace_of(e) or "",
            "projectcalico.org/serviceaccount": self.table.service_accounts[e],
            "projectcalico.org/orchestrator": "k8s",
        }

    def namespace_labels(self, e: int) -> dict[str, str]:
        """The labels of a pod's namespace as Calico's selectors see them."""
        ns = self.namespace_of(e) or ""
        return {**self.table.namespace_labels[self.table.namespace_index[e]], "projectcalico.org/name": ns}

    def selects(self, policy: CalicoPolicy, e: int) -> bool:
        if not self.table.is_pod[e]:
            return False
        if policy.namespace and self.namespace_of(e) != policy.namespace:
            return False
        if policy.namespace_selector is not None and not policy.namespace_selector.matches(self.namespace_labels(e)):
            return False
        account = policy.service_account_selector
        if account is not None and not account.matches({"projectcalico.org/name": self.table.service_accounts[e]}):
            return False
        return policy.selector.matches(self.calico_labels(e))

    def entity_matches(self, entity: EntityRule, policy: CalicoPolicy, e: int) -> bool:
        """Whether a rule's ``source``/``destination`` matches endpoint ``e`` (every given criterion, ANDed)."""
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
            positive.append(is_pod and entity.namespace_selector.matches(self.namespace_labels(e)))
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

    def ports_match(self, entity: EntityRule, protocol: str | None, dst: int, query: PortQuery) -> bool:
        """Destination ``ports``/``notPorts``: numbers, ranges, or names resolved against the destination."""

        def hit(ports: tuple[CalicoPort, ...]) -> bool:
            named = self.table.named_ports[dst]
            return any(
                named.get((p.name, protocol)) == query.port if p.name else p.low <= query.port <= p.high for p in ports
            )

        if entity.ports and not hit(entity.ports):
            return False
        return not (entity.not_ports and hit(entity.not_ports))

    def matches(
        self, policy: CalicoPolicy, rule: CalicoRule, direction: str, src: int, dst: int, query: PortQuery
    ) -> bool:
        if rule.protocol is not None and rule.protocol != query.protocol:
            return False
        if rule.not_protocol is not None and rule.not_protocol == query.protocol:
            return False
        if rule.ip_version is not None and self.table.ips[dst].version != rule.ip_version:
            return False
        return (
            self.entity_matches(rule.source, policy, src)
            and self.entity_matches(rule.destination, policy, dst)
            and self.ports_match(rule.destination, rule.protocol, dst, query)
        )

    # ---- vectorized --------------------------------------------------------------------------------------

    def subject(self, policy: CalicoPolicy) -> np.ndarray:
        cols = self.columns

        def build() -> np.ndarray:
            out = cols.calico(policy.selector)
            if policy.namespace:
                out = out & cols.in_namespace(policy.namespace)
            if policy.namespace_selector is not None:
                out = out & cols.calico_namespaces(policy.namespace_selector)
            if policy.service_account_selector is not None:
                out = out & cols.service_accounts(policy.service_account_selector)
            return out

        return cols.memo(
            (
                "calico-subject",
                policy.namespace,
                policy.selector,
                policy.namespace_selector,
                policy.service_account_selector,
            ),
            build,
        )

    def entity_column(self, entity: EntityRule, namespace: str) -> np.ndarray:
        """Column of a rule's ``source``/``destination`` (ports aside)."""
        cols = self.columns

        def build() -> np.ndarray:
            out = cols.everyone.copy()
            if entity.service_account_names:
                out &= cols.service_account_names(entity.service_account_names)
            if entity.service_account_selector is not None:
                out &= cols.service_accounts(entity.service_account_selector)
            if entity.selector is not None:
                out &= cols.calico(entity.selector)
            scoped = entity.has_endpoint_selector or entity.not_selector is not None or entity.namespace_selector
            if entity.namespace_selector is not None:
                out &= cols.calico_namespaces(entity.namespace_selector)
            elif namespace and scoped:
                out &= cols.in_namespace(namespace)
            if entity.nets:
                out &= np.any([cols.cidr(net) for net in entity.nets], axis=0)
            for net in entity.not_nets:
                out &= ~cols.cidr(net)
            if entity.not_selector is not None:
                out &= ~cols.calico(entity.not_selector)
            return out

        key = (
            "calico-entity",
            entity.nets,
            entity.not_nets,
            entity.selector,
            entity.not_selector,
            entity.namespace_selector,
            entity.service_account_names,
            entity.service_account_selector,
            namespace,
        )
        return cols.memo(key, build)

    def port_column(self, ports: tuple[CalicoPort, ...], protocol: str | None, query: PortQuery) -> np.ndarray:
        """Column of destinations whose ports (numbers, ranges, names) admit ``query``."""
        cols = self.columns
        out = cols.nobody
        for port in ports:
            if port.name:
                out = out | cols.named_port(port.name, protocol or "", query.port)
            elif port.low <= query.port <= port.high:
                return cols.everyone
        return out

    def rule_columns(
        self, policy: CalicoPolicy, rule: CalicoRule, direction: str, query: PortQuery
    ) -> tuple[np.ndarray, np.ndarray] | None:
        if rule.protocol is not None and rule.protocol != query.protocol:
            return None
        if rule.not_protocol is not None and rule.not_protocol == query.protocol:
            return None
        src = self.entity_column(rule.source, policy.namespace)
        dst = self.entity_column(rule.destination, policy.namespace)
        if rule.destination.ports:
            dst = dst & self.port_column(rule.destination.ports, rule.protocol, query)
        if rule.destination.not_ports:
            dst = dst & ~self.port_column(rule.destination.not_ports, rule.protocol, query)
        if rule.ip_version is not None:
            dst = dst & self.columns.ip_version(rule.ip_version)
        return src, dst
