"""Cilium ``CiliumNetworkPolicy`` / ``CiliumClusterwideNetworkPolicy``: allows and denies beside NetworkPolicy.

Placement: the NAMESPACE stage, unordered, with NetworkPolicy: Cilium's allows are a union with NetworkPolicy's,
and a matching deny beats every allow of every kind ("Deny policies take precedence over allow policies,
regardless of whether they are a Cilium Network Policy, a Clusterwide Cilium Network Policy or even a Kubernetes
Network Policy", ``Documentation/security/policy/deny.rst``). Rules are ALLOW entries (``ingress``/``egress``)
and DENY entries (``ingressDeny``/``egressDeny``), each named by its field path (``spec.ingressDeny[0]``).

Who is what (the model's endpoints are pods and external addresses):

- Cilium endpoints are the pods that are not host-network (a host-network pod has the host's identity): only
  they are subjects or match endpoint selectors (``cilium_labels`` gives their labels);
- entity ``world`` = the external endpoints, ``cluster`` = every pod (host-network ones too: the host and
  remote nodes are in the cluster entity), ``all`` = everyone, ``none`` = no one (``layer3.rst``, *Entities
  based*; ``pkg/policy/api/entity.go``);
- CIDR rules match external endpoints only, never pods (``layer3.rst``, *IP/CIDR based*), whatever the profile
  says of Kubernetes ipBlocks.

A spec of a policy only matches for the endpoints its own ``endpointSelector`` picks, so both faces check the
rule's spec subject again. Isolation is per spec: :meth:`Cilium.isolated` / :meth:`Cilium.isolated_column`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.columns import Columns
from netpolkit.engine.dialects.base import ALLOW, DENY, NAMESPACE, Dialect, Placement, RuleEntry
from netpolkit.engine.profiles import Profile
from netpolkit.model.cilium import SECTIONS, CiliumPolicy, CiliumPort, CiliumRule, CiliumSpec, IPNetwork
from netpolkit.model.cilium_labels import CiliumSelector, cilium_labels
from netpolkit.model.ports import PortQuery
from netpolkit.selectors import LabelTable, SelectorCache

__all__ = ["Cilium"]


class Cilium(Dialect):
    """CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (``cilium.io/v2``), L3/L4."""

    name = "Cilium"
    policy_classes = (CiliumPolicy,)

    def __init__(self, table: EndpointTable, profile: Profile, columns: Columns | None = None) -> None:
        super().__init__(table, profile, columns)
        self._label_cache: dict[int, Mapping[str, str]] = {}

    def placement(self, policy: CiliumPolicy) -> Placement:
        return Placement(NAMESPACE, (0.0, ""))

    def rules(self, policy: CiliumPolicy, direction: str) -> Sequence[RuleEntry]:
        out = []
        for rule in policy.rules(direction):
            section, _, index = rule.path.rpartition("[")  # "spec.ingressDeny[0]" -> rule 1 of spec.ingressDeny
            out.append(RuleEntry(rule, DENY if rule.deny else ALLOW, None, section, int(index.rstrip("]")) + 1))
        return tuple(out)

    def isolates(self, policy: CiliumPolicy, direction: str) -> bool:
        return any(spec.default_deny(direction) for spec in policy.specs)

    def networks(self, policy: CiliumPolicy) -> Iterable[IPNetwork]:
        for direction in SECTIONS:
            for rule in policy.rules(direction):
                for block in rule.cidrs:
                    yield block.cidr
                    yield from block.except_

    # ---- reference ---------------------------------------------------------------------------------------

    def managed(self, e: int) -> bool:
        """Whether endpoint ``e`` is a Cilium endpoint: a pod, not host-network."""
        return bool(self.table.is_pod[e]) and not self.table.host_network[e]

    def labels_of(self, e: int) -> Mapping[str, str]:
        """Endpoint ``e``'s labels as Cilium selectors see them (none for externals and host-network pods)."""
        cache = self._label_cache
        if e not in cache:
            if self.managed(e):
                ns = self.table.namespace_index[e]
                cache[e] = cilium_labels(
                    self.table.labels[e],
                    self.table.namespaces[ns],
                    self.table.namespace_labels[ns],
                    self.table.service_accounts[e],
                )
            else:
                cache[e] = {}
        return cache[e]

    def spec_selects(self, spec: CiliumSpec, e: int) -> bool:
        """Whether one spec's ``endpointSelector`` picks endpoint ``e``."""
        return self.managed(e) and spec.subject.matches(self.labels_of(e))

    def selects(self, policy: CiliumPolicy, e: int) -> bool:
        return any(self.spec_selects(spec, e) for spec in policy.specs)

    def isolated(self, policy: CiliumPolicy, direction: str, e: int) -> bool:
        """Whether some spec that puts its endpoints into default deny for ``direction`` picks ``e`` (exact)."""
        return any(spec.default_deny(direction) and self.spec_selects(spec, e) for spec in policy.specs)

    def peer_matches(self, rule: CiliumRule, e: int) -> bool:
        """Whether the rule's peers (endpoints, entities, CIDRs) include endpoint ``e``."""
        if rule.any_peer:
            return True
        # Externals and host-network pods have no labels here: only a selector of NotIn/DoesNotExist terms picks
        # them, as it picks Cilium's world and host identities.
        if any(s.matches(self.labels_of(e)) for s in rule.endpoints):
            return True
        is_pod = bool(self.table.is_pod[e])
        for entity in rule.entities:
            if entity == "all" or (entity == "world" and not is_pod) or (entity == "cluster" and is_pod):
                return True
        return not is_pod and any(block.contains(self.table.ips[e]) for block in rule.cidrs)

    def matches(
        self, policy: CiliumPolicy, rule: CiliumRule, direction: str, src: int, dst: int, query: PortQuery
    ) -> bool:
        protected, peer = (dst, src) if direction == "Ingress" else (src, dst)
        if rule.icmp_only or not self.spec_selects(policy.specs[rule.spec], protected):
            return False
        named = self.table.named_ports[dst]
        if rule.ports is not None and not any(p.matches(query, named) for p in rule.ports):
            return False
        return self.peer_matches(rule, peer)

    # ---- vectorized --------------------------------------------------------------------------------------

    def _labels(self) -> SelectorCache:
        def build() -> LabelTable:
            return LabelTable([self.labels_of(e) for e in range(len(self.table))])

        return self.columns.label_table("cilium", build)

    def managed_column(self) -> np.ndarray:
        """Column: the Cilium endpoints (pods, not host-network)."""
        cols = self.columns

        return cols.memo(("cilium-managed",), lambda: cols.is_pod & ~np.asarray(self.table.host_network, dtype=bool))

    def selector_column(self, selector: CiliumSelector) -> np.ndarray:
        """Column: the endpoints a Cilium selector picks (externals and host-network pods have no labels)."""
        cols = self.columns
        return cols.memo(
            ("cilium-selector", selector),
            lambda: cols.nobody if selector.nothing else self._labels()(selector.selector),
        )

    def spec_subject(self, spec: CiliumSpec) -> np.ndarray:
        """Column: the endpoints one spec applies to."""
        return self.columns.memo(
            ("cilium-subject", spec.subject), lambda: self.managed_column() & self.selector_column(spec.subject)
        )

    def subject(self, policy: CiliumPolicy) -> np.ndarray:
        out = self.columns.nobody
        for spec in policy.specs:
            out = out | self.spec_subject(spec)
        return out

    def isolated_column(self, policy: CiliumPolicy, direction: str) -> np.ndarray:
        """Column: the endpoints :meth:`isolated` says the policy isolates for ``direction`` (exact)."""
        out = self.columns.nobody
        for spec in policy.specs:
            if spec.default_deny(direction):
                out = out | self.spec_subject(spec)
        return out

    def peer_column(self, rule: CiliumRule) -> np.ndarray:
        """Column of the rule's peers."""
        cols = self.columns
        if rule.any_peer:
            return cols.everyone

        def build() -> np.ndarray:
            out = np.zeros(cols.n, dtype=bool)
            for selector in rule.endpoints:
                out |= self.selector_column(selector)
            for entity in rule.entities:
                out |= {"all": cols.everyone, "world": ~cols.is_pod, "cluster": cols.is_pod}.get(entity, cols.nobody)
            for block in rule.cidrs:
                out |= cols.cidr(block.cidr, block.except_, pods=False)
            return out

        return cols.memo(("cilium-peers", rule.endpoints, rule.entities, rule.cidrs), build)

    def port_column(self, ports: tuple[CiliumPort, ...] | None, query: PortQuery) -> np.ndarray | None:
        """Column of destinations whose ports admit ``query`` (named ports resolve there); None: no port can."""
        cols = self.columns
        if ports is None:
            return cols.everyone
        out = None
        for spec in ports:
            if query.protocol not in spec.protocols:
                continue
            if isinstance(spec.port, str):
                hit = cols.named_port(spec.port, query.protocol, query.port)
                out = hit if out is None else out | hit
            elif spec.port <= query.port <= (spec.end_port or spec.port):
                return cols.everyone
        return out

    def rule_columns(
        self, policy: CiliumPolicy, rule: CiliumRule, direction: str, query: PortQuery
    ) -> tuple[np.ndarray, np.ndarray] | None:
        if rule.icmp_only:
            return None
        ports = self.port_column(rule.ports, query)
        if ports is None:
            return None
        peers = self.peer_column(rule)
        protected = self.spec_subject(policy.specs[rule.spec])
        if direction == "Ingress":
            return peers, ports & protected
        return protected, peers & ports
