"""The vectorized evaluator for Calico's ordered model (tiers, order, first matching rule).

Every rule becomes a *slot* in evaluation order with two columns over endpoints: ``local`` (the policy selects the
endpoint and the rule's own-side criteria hold there) and ``peer`` (the rule's other-side criteria hold). Endpoints
are compressed into classes as in :mod:`netpolkit.engine.vectorized`; for each local class, the first decisive slot
per peer class is found with numpy (``argmax`` over the slot axis), tier by tier, so Pass and end-of-tier deny are
exact. Python loops run over classes and tiers, never over pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.ordering import policy_position, tier_sequence
from netpolkit.engine.profiles import Profile
from netpolkit.engine.vectorized import ClassVerdict, VectorizedEngine, unique_columns
from netpolkit.model.calico import CalicoPolicy, CalicoPort, CalicoRule, EntityRule
from netpolkit.model.k8s import IPBlock, NetworkPolicy
from netpolkit.model.ports import PortQuery
from netpolkit.selectors import SelectorCache

__all__ = ["OrderedEngine"]

ALLOW, DENY, PASS = 0, 1, 2
END_OF_TIER = 3
_ACTIONS = {"Allow": ALLOW, "Deny": DENY, "Pass": PASS}


@dataclass(frozen=True)
class _Slots:
    """One direction's rules in evaluation order (Log rules dropped: they never decide)."""

    local: np.ndarray  # (slots, endpoints)
    peer: np.ndarray  # (slots, endpoints)
    action: np.ndarray  # (slots,)
    tier: np.ndarray  # (slots,)
    tier_selects: np.ndarray  # (tiers, endpoints): some policy of the tier selects the endpoint


class OrderedEngine:
    """Evaluates Kubernetes and Calico policies together under Calico's ordered model."""

    def __init__(
        self, table: EndpointTable, policies: Sequence[Any], profile: Profile, tiers: Sequence[Any] = ()
    ) -> None:
        self.table = table
        self.profile = profile
        self.base = VectorizedEngine(table, [p for p in policies if isinstance(p, NetworkPolicy)], profile)
        self.policies = sorted(policies, key=policy_position)
        self.tiers = tier_sequence(self.policies, tiers)
        self.n = len(table)
        self.calico_selectors = SelectorCache(table.calico_labels)
        self.calico_namespaces = SelectorCache(table.calico_namespace_table)
        self.accounts = SelectorCache(table.service_account_table)
        self._ns_code = {n: i for i, n in enumerate(table.namespaces)}
        self._entities: dict[tuple[EntityRule, str], np.ndarray] = {}
        self._k8s_row = {id(p): row for row, p in enumerate(self.base.policies)}
        self._selects = [self._policy_selects(p) for p in self.policies]

    # ---- port-independent columns ------------------------------------------------------------------------

    def _policy_selects(self, policy: Any) -> np.ndarray:
        t = self.table
        if isinstance(policy, NetworkPolicy):
            return self.base.selects[self._k8s_row[id(policy)]]
        out = t.is_pod & self.calico_selectors(policy.selector)
        if policy.namespace:
            out = out & (t.namespace_index == self._ns_code[policy.namespace])
        if policy.namespace_selector is not None:
            out = out & self._in_namespaces(policy.namespace_selector)
        if policy.service_account_selector is not None:
            out = out & self.accounts(policy.service_account_selector)
        return out

    def _in_namespaces(self, selector: Any) -> np.ndarray:
        return np.append(self.calico_namespaces(selector), False)[self.table.namespace_index]

    def _entity(self, entity: EntityRule, namespace: str) -> np.ndarray:
        key = (entity, namespace)
        hit = self._entities.get(key)
        if hit is not None:
            return hit
        t = self.table
        out = np.ones(self.n, dtype=bool)
        if entity.service_account_names:
            out &= t.is_pod & np.isin(np.array(t.service_accounts, dtype=object), list(entity.service_account_names))
        if entity.service_account_selector is not None:
            out &= t.is_pod & self.accounts(entity.service_account_selector)
        if entity.selector is not None:
            out &= t.is_pod & self.calico_selectors(entity.selector)
        scoped = entity.has_endpoint_selector or entity.not_selector is not None or entity.namespace_selector
        if entity.namespace_selector is not None:
            out &= t.is_pod & self._in_namespaces(entity.namespace_selector)
        elif namespace and scoped:
            out &= t.is_pod & (t.namespace_index == self._ns_code[namespace])
        if entity.nets:
            out &= np.any([self.base._ip_block(IPBlock(net)) for net in entity.nets], axis=0)
        for net in entity.not_nets:
            out &= ~self.base._ip_block(IPBlock(net))
        if entity.not_selector is not None:
            out &= ~(t.is_pod & self.calico_selectors(entity.not_selector))
        self._entities[key] = out
        return out

    # ---- per port ----------------------------------------------------------------------------------------

    def _ports(self, ports: tuple[CalicoPort, ...], protocol: str | None, query: PortQuery) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for port in ports:
            if port.name:
                out |= self.base._named_port(port.name, protocol or "", query.port)
            elif port.low <= query.port <= port.high:
                return np.ones(self.n, dtype=bool)
        return out

    def _calico_rule(self, rule: CalicoRule, policy: CalicoPolicy, query: PortQuery):
        """(source column, destination column) of a Calico rule for ``query``; None when it cannot match."""
        if rule.protocol is not None and rule.protocol != query.protocol:
            return None
        if rule.not_protocol is not None and rule.not_protocol == query.protocol:
            return None
        src = self._entity(rule.source, policy.namespace)
        dst = self._entity(rule.destination, policy.namespace)
        if rule.destination.ports:
            dst = dst & self._ports(rule.destination.ports, rule.protocol, query)
        if rule.destination.not_ports:
            dst = dst & ~self._ports(rule.destination.not_ports, rule.protocol, query)
        if rule.ip_version is not None:
            dst = dst & np.array([ip.version == rule.ip_version for ip in self.table.ips], dtype=bool)
        return src, dst

    def _slots(self, direction: str, query: PortQuery) -> _Slots:
        tier_index = {name: i for i, name in enumerate(self.tiers)}
        local, peer, action, tier = [], [], [], []
        tier_selects = np.zeros((len(self.tiers), self.n), dtype=bool)
        ns_code = self._ns_code
        for policy, selects in zip(self.policies, self._selects, strict=True):
            if direction not in policy.policy_types:
                continue
            t = tier_index[policy_position(policy)[0]]
            tier_selects[t] |= selects
            for rule in policy.rules(direction):
                if isinstance(policy, NetworkPolicy):
                    peers = self.base._rule_peers(rule, ns_code[policy.namespace])
                    if direction == "Ingress":
                        cols = (self.base._port_rows((rule.ports,), query, selects[None, :])[0], peers)
                    else:
                        cols = (selects, self.base._port_rows((rule.ports,), query, peers[None, :])[0])
                    code = ALLOW
                else:
                    if rule.action == "Log":
                        continue
                    matched = self._calico_rule(rule, policy, query)
                    if matched is None:
                        continue
                    src, dst = matched
                    cols = (selects & dst, src) if direction == "Ingress" else (selects & src, dst)
                    code = _ACTIONS[rule.action]
                local.append(cols[0])
                peer.append(cols[1])
                action.append(code)
                tier.append(t)

        def stack(rows: list[np.ndarray]) -> np.ndarray:
            return np.array(rows, dtype=bool).reshape(len(rows), self.n)

        return _Slots(
            stack(local),
            stack(peer),
            np.array(action, dtype=np.int8),
            np.array(tier, dtype=np.intp),
            tier_selects,
        )

    def evaluate(self, query: PortQuery) -> ClassVerdict:
        """Verdicts for every pair on one port, as classes."""
        ingress, egress = self._slots("Ingress", query), self._slots("Egress", query)
        src_rep, src_class = unique_columns(np.concatenate([ingress.peer, egress.local, egress.tier_selects]))
        dst_rep, dst_class = unique_columns(np.concatenate([ingress.local, egress.peer, ingress.tier_selects]))
        ingress_ok = _first_match(ingress, dst_rep, src_rep).T
        egress_ok = _first_match(egress, src_rep, dst_rep)
        return ClassVerdict(
            src_class.astype(np.intp),
            dst_class.astype(np.intp),
            ingress_ok & egress_ok,
            self.profile.self_traffic == "allow",
        )


def _first_match(slots: _Slots, local_rep: np.ndarray, peer_rep: np.ndarray) -> np.ndarray:
    """(local classes, peer classes): the verdict of the first decisive slot, tier by tier."""
    local, peer = slots.local[:, local_rep], slots.peer[:, peer_rep]
    selected = slots.tier_selects[:, local_rep]
    out = np.ones((len(local_rep), len(peer_rep)), dtype=bool)
    tiers = [np.flatnonzero(slots.tier == t) for t in range(len(selected))]
    for row in range(len(local_rep)):
        undecided = np.arange(len(peer_rep))
        for t, members in enumerate(tiers):
            if not selected[t, row]:
                continue
            idx = members[local[members, row]]
            if idx.size == 0:
                out[row, undecided] = False
                break
            hits = peer[idx][:, undecided]
            found = hits.any(axis=0)
            first = hits.argmax(axis=0)
            act = np.where(found, slots.action[idx][first], END_OF_TIER)
            out[row, undecided] = (act == ALLOW) | (act == PASS)
            undecided = undecided[act == PASS]
            if undecided.size == 0:
                break
    return out
