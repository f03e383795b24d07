"""Atoms: endpoints that no policy can tell apart, merged before a single column is built.

Two endpoints are indistinguishable to every selector and rule when they agree on everything a policy can look
at: pod or external, namespace, labels, named ports, service account, host network, IP version, and membership in
each CIDR that some policy names. 100,000 pods of a real cluster are typically ~10,000 such rows (replicas share
all of it but their IP, and most IPs fall in the same CIDR cells), so the engine builds its columns over atoms and
maps verdicts back to endpoints at the end. One representative endpoint stands for each atom: its IP is in exactly
the named CIDRs that every member's IP is in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from netpolkit.cluster import EndpointTable

__all__ = ["ATOM_FIELDS", "SelectionIndex", "atoms"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Every EndpointTable field, and whether the atom key covers it (tests check this list stays complete).
ATOM_FIELDS = {
    "ids": "no: an endpoint's name is never read by a policy",
    "is_pod": "yes",
    "namespace_index": "yes",
    "namespaces": "shared by all rows",
    "labels": "yes",
    "namespace_labels": "shared by all rows (per namespace, so covered by namespace_index)",
    "ips": "by IP version and membership in every CIDR the policies name",
    "named_ports": "yes",
    "service_accounts": "yes",
    "host_network": "yes",
}

_CHUNK = 64  # CIDRs per membership word


def atoms(table: EndpointTable, networks: Iterable[IPNetwork] | None) -> tuple[EndpointTable, np.ndarray]:
    """``(atom_table, atom_of)``: one representative endpoint per atom, and each endpoint's atom.

    ``networks``: every CIDR any policy names (``except`` ranges too); ``None`` when that is not known, and then
    no two endpoints with different IPs are merged.
    """
    n = len(table)
    if n == 0:
        return table, np.zeros(0, dtype=np.intp)
    columns = [
        table.is_pod.astype(np.int64),
        table.namespace_index.astype(np.int64),
        table.host_network.astype(np.int64),
        _codes(table.labels, lambda row: frozenset(row.items())),
        _codes(table.named_ports, lambda row: frozenset(row.items())),
        _codes(table.service_accounts, lambda row: row),
        np.array([ip.version for ip in table.ips], dtype=np.int64),
    ]
    if networks is None:
        columns.append(_codes(table.ips, lambda ip: ip))
    else:
        columns.append(_cells(table, sorted(set(networks), key=lambda net: (net.version, str(net)))))
    keys = np.stack(columns, axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel().astype(np.intp)
    if len(first) == n:
        return table, np.arange(n, dtype=np.intp)
    order = np.argsort(first)  # atoms in the order of their first endpoint
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return table.take(first[order]), rank[inverse]


def _codes(values: Sequence, key) -> np.ndarray:  # type: ignore[no-untyped-def]
    seen: dict[Hashable, int] = {}
    return np.array([seen.setdefault(key(v), len(seen)) for v in values], dtype=np.int64)


def _cells(table: EndpointTable, networks: Sequence[IPNetwork]) -> np.ndarray:
    """A code per endpoint for the set of ``networks`` its IP is in."""
    n = len(table)
    if not networks:
        return np.zeros(n, dtype=np.int64)
    ipv4 = np.array([int(ip) if ip.version == 4 else -1 for ip in table.ips], dtype=np.int64)
    words = np.zeros((n, -(-len(networks) // _CHUNK)), dtype=np.uint64)
    for i, net in enumerate(networks):
        if net.version == 4:
            mask = (0xFFFFFFFF << (32 - net.prefixlen)) & 0xFFFFFFFF
            hit = (ipv4 >= 0) & ((ipv4 & mask) == int(net.network_address))
        else:
            hit = np.array([ip.version == 6 and ip in net for ip in table.ips], dtype=bool)
        words[:, i // _CHUNK] |= hit.astype(np.uint64) << np.uint64(i % _CHUNK)
    _, inverse = np.unique(words, axis=0, return_inverse=True)
    return inverse.ravel().astype(np.int64)


class SelectionIndex:
    """Which policies select each endpoint, read off a vectorized plan's subject columns (for a fast explain).

    One bit per (policy, atom), packed by policy: 20,000 policies over 10,000 atoms take 25 MB.
    """

    def __init__(self, plan: Any, atom_of: np.ndarray) -> None:
        pairs = {id(p): (d, p) for stages in plan.stages.values() for s in stages for d, p in s.policies}
        self._ids = np.array(list(pairs), dtype=object)
        self._atom_of = atom_of
        width = -(-(int(atom_of.max()) + 1 if atom_of.size else 0) // 8)
        self._packed = np.zeros((len(pairs), width), dtype=np.uint8)
        for row, (dialect, policy) in enumerate(pairs.values()):
            self._packed[row] = np.packbits(dialect.subject(policy))
        self._cache: dict[int, frozenset[int]] = {}

    def selecting(self, e: int) -> frozenset[int]:
        """``id()``s of the policies that select endpoint ``e``."""
        hit = self._cache.get(e)
        if hit is None:
            atom = int(self._atom_of[e])
            bits = (self._packed[:, atom >> 3] >> (7 - (atom & 7))) & 1
            hit = self._cache[e] = frozenset(self._ids[np.flatnonzero(bits)].tolist())
        return hit
