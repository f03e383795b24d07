"""Vectorized columns over endpoints: every selector, namespace, CIDR and named port evaluated once.

A column is a read-only boolean numpy array aligned with the endpoint table. Every dialect's compiler builds its
rules from these primitives, so each distinct selector or CIDR costs one numpy pass however many rules use it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Hashable, Iterable
from functools import cached_property
from typing import Any

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.model.labels import LabelSelector
from netpolkit.selectors import LabelTable, SelectorCache

__all__ = ["Columns", "IPNetwork"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Columns:
    """Memoized boolean columns over the endpoints of one :class:`EndpointTable`."""

    def __init__(self, table: EndpointTable) -> None:
        self.table = table
        self.n = len(table)
        self.is_pod = _frozen(np.asarray(table.is_pod, dtype=bool))
        self.everyone = _frozen(np.ones(self.n, dtype=bool))
        self.nobody = _frozen(np.zeros(self.n, dtype=bool))
        self._ns_code = {n: i for i, n in enumerate(table.namespaces)}
        self._ipv4 = np.array([int(ip) if ip.version == 4 else -1 for ip in table.ips], dtype=np.int64)
        self._memo: dict[Hashable, np.ndarray] = {}

    # Label views, each built on first use (a cluster of NetworkPolicies alone never needs the Calico ones).

    @cached_property
    def _pods(self) -> SelectorCache:
        return SelectorCache(self.table.pod_labels)

    @cached_property
    def _namespaces(self) -> SelectorCache:
        return SelectorCache(self.table.namespace_table)

    @cached_property
    def _calico(self) -> SelectorCache:
        return SelectorCache(self.table.calico_labels)

    @cached_property
    def _calico_namespaces(self) -> SelectorCache:
        return SelectorCache(self.table.calico_namespace_table)

    @cached_property
    def _accounts(self) -> SelectorCache:
        return SelectorCache(self.table.service_account_table)

    def memo(self, key: Hashable, build: Callable[[], np.ndarray]) -> np.ndarray:
        """The column cached under ``key``, built once by ``build()`` (for a dialect's own columns)."""
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = _frozen(np.asarray(build(), dtype=bool))
        return hit

    # ---- where endpoints live -----------------------------------------------------------------------------

    def in_namespace(self, namespace: str) -> np.ndarray:
        """Pods of one namespace (none when the cluster has no such namespace)."""

        def build() -> np.ndarray:
            code = self._ns_code.get(namespace)
            return self.nobody if code is None else self.is_pod & (self.table.namespace_index == code)

        return self.memo(("namespace", namespace), build)

    def in_namespaces(self, namespace_hits: np.ndarray) -> np.ndarray:
        """Pods whose namespace is marked in ``namespace_hits`` (one bool per entry of ``table.namespaces``)."""
        return self.is_pod & np.append(namespace_hits, False)[self.table.namespace_index]

    # ---- Kubernetes label selectors ----------------------------------------------------------------------

    def pods(self, selector: LabelSelector) -> np.ndarray:
        """Pods (of any namespace) whose labels match a Kubernetes label selector."""
        return self.memo(("pods", selector), lambda: self.is_pod & self._pods(selector))

    def namespaces(self, selector: LabelSelector) -> np.ndarray:
        """Pods whose namespace's labels match a Kubernetes label selector."""
        return self.memo(("namespaces", selector), lambda: self.in_namespaces(self._namespaces(selector)))

    def label_table(self, name: str, build: Callable[[], LabelTable]) -> SelectorCache:
        """A dialect's own label view of the endpoints (e.g. Cilium's ``k8s:`` labels), built once."""
        key = ("label-table", name)
        cache = self._memo.get(key)
        if cache is None:
            cache = self._memo[key] = SelectorCache(build())  # type: ignore[assignment]
        return cache  # type: ignore[return-value]

    # ---- Calico selectors --------------------------------------------------------------------------------

    def calico(self, selector: Any) -> np.ndarray:
        """Pods whose Calico labels (plus projectcalico.org/namespace, ...) match a Calico selector."""
        return self.memo(("calico", selector), lambda: self.is_pod & self._calico(selector))

    def calico_namespaces(self, selector: Any) -> np.ndarray:
        """Pods whose namespace matches a Calico selector over namespace labels (plus projectcalico.org/name)."""
        return self.memo(("calico-ns", selector), lambda: self.in_namespaces(self._calico_namespaces(selector)))

    def service_accounts(self, selector: Any) -> np.ndarray:
        """Pods whose service account matches a Calico selector over ``projectcalico.org/name``."""
        return self.memo(("accounts", selector), lambda: self.is_pod & self._accounts(selector))

    def service_account_names(self, names: Iterable[str]) -> np.ndarray:
        """Pods running as one of the named service accounts."""
        wanted = tuple(sorted(set(names)))
        return self.memo(
            ("account-names", wanted),
            lambda: self.is_pod & np.isin(np.array(self.table.service_accounts, dtype=object), list(wanted)),
        )

    # ---- addresses ---------------------------------------------------------------------------------------

    def cidr(self, net: IPNetwork, except_: Iterable[IPNetwork] = (), *, pods: bool = True) -> np.ndarray:
        """Endpoints whose IP is in ``net`` and in none of ``except_``; ``pods=False`` leaves pods out."""
        excepts = tuple(except_)
        key = ("cidr", net, excepts, pods)

        def build() -> np.ndarray:
            hit = self._in(net).copy()
            for e in excepts:
                hit &= ~self._in(e)
            return hit if pods else hit & ~self.is_pod

        return self.memo(key, build)

    def _in(self, net: IPNetwork) -> np.ndarray:
        def build() -> np.ndarray:
            if net.version == 4:
                mask = (0xFFFFFFFF << (32 - net.prefixlen)) & 0xFFFFFFFF
                return (self._ipv4 >= 0) & ((self._ipv4 & mask) == int(net.network_address))
            return np.array([ip.version == 6 and ip in net for ip in self.table.ips], dtype=bool)

        return self.memo(("net", net), build)

    def ip_version(self, version: int) -> np.ndarray:
        """Endpoints with an IPv4 (4) or IPv6 (6) address."""
        return self.memo(("ip-version", version), lambda: np.array([ip.version == version for ip in self.table.ips]))

    # ---- ports -------------------------------------------------------------------------------------------

    def named_port(self, name: str, protocol: str, number: int) -> np.ndarray:
        """Endpoints with a container port called ``name`` for ``protocol`` whose number is ``number``."""
        return self.memo(
            ("named-port", name, protocol, number),
            lambda: np.array([p.get((name, protocol)) == number for p in self.table.named_ports], dtype=bool),
        )


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
