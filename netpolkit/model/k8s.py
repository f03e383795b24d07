"""Kubernetes ``networking.k8s.io/v1`` NetworkPolicy: immutable model and strict parser."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netpolkit.errors import excerpt
from netpolkit.model.fields import Reader, describe
from netpolkit.model.labels import LabelSelector, parse_label_selector
from netpolkit.model.ports import PROTOCOLS, PortQuery, check_port_name, is_decimal

__all__ = [
    "IPBlock",
    "NetworkPolicy",
    "Peer",
    "PortSpec",
    "Rule",
    "cidr_problem",
    "ip_problem",
    "parse_address",
    "parse_network_policy",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
POLICY_TYPES = ("Ingress", "Egress")
# The fields of each part of a NetworkPolicy (networking/v1): any other is refused.
SPEC_FIELDS = ("podSelector", "policyTypes", "ingress", "egress")
PEER_FIELDS = ("podSelector", "namespaceSelector", "ipBlock")
IP_BLOCK_FIELDS = ("cidr", "except")
PORT_FIELDS = ("protocol", "port", "endPort")


@dataclass(frozen=True, slots=True)
class IPBlock:
    """``ipBlock``: a CIDR minus its ``except`` ranges."""

    cidr: IPNetwork
    except_: tuple[IPNetwork, ...] = ()

    def contains(self, ip: IPAddress) -> bool:
        """Whether ``ip`` is in the CIDR and in none of the exceptions."""
        return (
            ip.version == self.cidr.version
            and ip in self.cidr
            and not any(ip.version == e.version and ip in e for e in self.except_)
        )

    def __str__(self) -> str:
        return str(self.cidr) + "".join(f" except {e}" for e in self.except_)


@dataclass(frozen=True, slots=True)
class Peer:
    """One ``from``/``to`` entry: pods (selectors, ANDed when both are given) or an ipBlock."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaces [{self.namespace_selector}]")
        if self.pod_selector is not None:
            parts.append(f"pods [{self.pod_selector}]")
        return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class PortSpec:
    """One ``ports`` entry: protocol and a number, a range (``endPort``) or a named port; no port = all ports."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None

    def matches(self, query: PortQuery, named_ports: Mapping[tuple[str, str], int]) -> bool:
        """Whether ``query`` to a destination with ``named_ports`` ((name, protocol) -> number) matches."""
        if query.protocol != self.protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, str):
            return named_ports.get((self.port, self.protocol)) == query.port
        return self.port <= query.port <= (self.end_port or self.port)

    def __str__(self) -> str:
        if self.port is None:
            return f"{self.protocol}/*"
        if self.end_port is not None:
            return f"{self.protocol}/{self.port}-{self.end_port}"
        return f"{self.protocol}/{self.port}"


@dataclass(frozen=True, slots=True)
class Rule:
    """An ingress or egress rule; empty ``peers`` = every peer, empty ``ports`` = every port."""

    peers: tuple[Peer, ...] = ()
    ports: tuple[PortSpec, ...] = ()

    def __str__(self) -> str:
        peers = " or ".join(str(p) for p in self.peers) if self.peers else "anyone"
        ports = ", ".join(str(p) for p in self.ports) if self.ports else "any port"
        return f"{peers} on {ports}"


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """A Kubernetes NetworkPolicy, with ``policyTypes`` already defaulted."""

    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: tuple[str, ...]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()

    kind = "NetworkPolicy"
    api_version = "networking.k8s.io/v1"

    @property
    def ref(self) -> str:
        """``NetworkPolicy namespace/name``."""
        return f"NetworkPolicy {self.namespace}/{self.name}"

    def rules(self, direction: str) -> tuple[Rule, ...]:
        """The rules that count for ``direction`` ("Ingress"/"Egress"): none unless the type is in policyTypes."""
        if direction not in self.policy_types:
            return ()
        return self.ingress if direction == "Ingress" else self.egress


def parse_network_policy(doc: Reader, namespace: str, name: str) -> NetworkPolicy:
    """Parse and validate ``spec`` of a NetworkPolicy document (metadata already read by the caller)."""
    spec = doc.child("spec", required=True)
    assert spec is not None
    spec.only(SPEC_FIELDS)
    # Missing or null selects every pod of the namespace: the API server stores it as {} (networking/v1 defaulting).
    selector_reader = spec.child("podSelector")
    pod_selector = parse_label_selector(selector_reader) if selector_reader is not None else LabelSelector()
    ingress = tuple(_parse_rule(r, "from") for r in spec.children("ingress") or ())
    egress = tuple(_parse_rule(r, "to") for r in spec.children("egress") or ())
    types_raw = spec.list("policyTypes")
    if not types_raw:  # missing or [] (an empty list is omitted on the wire, so the API server defaults it)
        # Kubernetes' defaulting: Ingress always, Egress only for a non-empty egress list.
        policy_types: tuple[str, ...] = ("Ingress", "Egress") if egress else ("Ingress",)
    else:
        if len(types_raw) > len(POLICY_TYPES):  # the API server checks this first ([Ingress, Ingress] is accepted)
            spec.fail(f"may not specify more than two policyTypes, got {len(types_raw)}", key="policyTypes")
        for i, value in enumerate(types_raw):
            if not isinstance(value, str) or value not in POLICY_TYPES:
                got = excerpt(value) if isinstance(value, str) else describe(value)
                spec.fail(f"must be Ingress or Egress, got {got}", key=f"policyTypes[{i}]")
        policy_types = tuple(t for t in POLICY_TYPES if t in types_raw)
    return NetworkPolicy(namespace, name, pod_selector, policy_types, ingress, egress)


def _parse_rule(rule: Reader, peers_key: str) -> Rule:
    rule.only((peers_key, "ports"))
    peers = tuple(_parse_peer(p) for p in rule.children(peers_key) or ())
    ports = tuple(_parse_port(p) for p in rule.children("ports") or ())
    return Rule(peers, ports)


def _parse_peer(peer: Reader) -> Peer:
    peer.only(PEER_FIELDS)
    if not peer.data or all(v is None for v in peer.data.values()):
        peer.fail("a peer needs podSelector, namespaceSelector or ipBlock")
    block = peer.child("ipBlock")
    if block is not None:
        if peer.has("podSelector") or peer.has("namespaceSelector"):
            peer.fail("ipBlock cannot be combined with podSelector or namespaceSelector in one peer")
        return Peer(ip_block=_parse_ip_block(block))
    pods = peer.child("podSelector")
    namespaces = peer.child("namespaceSelector")
    return Peer(
        pod_selector=parse_label_selector(pods) if pods is not None else None,
        namespace_selector=parse_label_selector(namespaces) if namespaces is not None else None,
    )


def _parse_ip_block(block: Reader) -> IPBlock:
    block.only(IP_BLOCK_FIELDS)
    cidr_text = block.string("cidr", required=True)
    assert cidr_text is not None
    cidr = _parse_cidr(block, "cidr", cidr_text)
    excepts = []
    for i, text in enumerate(block.list("except") or ()):
        key = f"except[{i}]"
        if not isinstance(text, str):
            block.fail(f"expected a CIDR string, got {describe(text)}", key=key)
        net = _parse_cidr(block, key, text)
        if net.version != cidr.version or not net.subnet_of(cidr):  # type: ignore[arg-type]
            block.fail(f"{net} is not inside cidr {cidr}", key=key)
        if net == cidr:
            block.fail(f"{net} must be strictly smaller than cidr {cidr}", key=key)
        excepts.append(net)
    return IPBlock(cidr, tuple(excepts))


def _parse_cidr(reader: Reader, key: str, text: str) -> IPNetwork:
    problem = cidr_problem(text)
    if problem:
        reader.fail(problem, key=key)
    return ipaddress.ip_network(text, strict=False)


# A dotted-quad IPv4 address without leading zeros: a subset of what ipaddress.ip_address accepts.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")

# The longest address text: IPv6 with an embedded IPv4 address, 45 characters; a prefix adds at most 4.
_MAX_ADDRESS = 45


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address of an IP text (ValueError if it is none); a dotted quad without ipaddress's slower parser."""
    if _CANONICAL_IPV4.fullmatch(text):
        return ipaddress.IPv4Address(socket.inet_aton(text))
    return ipaddress.ip_address(text)


def ip_problem(text: str) -> str | None:
    """Why ``text`` is not an IP address as Kubernetes accepts one (no IPv6 zone), or None."""
    if _CANONICAL_IPV4.fullmatch(text):  # what nearly every pod IP looks like: valid without building an address
        return None
    if "%" in text:
        return f"{excerpt(text)} is not an IP address: an IPv6 zone ('%...') is not allowed"
    if len(text) > _MAX_ADDRESS:
        return f"{excerpt(text)} is not an IP address"
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return f"{excerpt(text)} is not an IP address"
    return None


def cidr_problem(text: str) -> str | None:
    """Why ``text`` is not a CIDR as Kubernetes accepts one (a prefix length, no IPv6 zone), or None."""
    if "/" not in text:
        return f"{excerpt(text)} is not a CIDR (expected an address with a prefix length, e.g. 10.0.0.0/16)"
    if "%" in text:
        return f"{excerpt(text)} is not a valid CIDR: an IPv6 zone ('%...') is not allowed"
    if len(text) > _MAX_ADDRESS + 4:
        return f"{excerpt(text)} is not a valid CIDR"
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        return f"{excerpt(text)} is not a valid CIDR: {exc}"
    return None


def _parse_port(entry: Reader) -> PortSpec:
    entry.only(PORT_FIELDS)
    protocol = _parse_protocol(entry)
    port: Any = entry.raw("port")
    if isinstance(port, bool) or not (port is None or isinstance(port, int | str)):
        entry.fail(f"expected a port number or name, got {describe(port)}", key="port")
    if isinstance(port, str):
        if is_decimal(port):
            entry.fail(f"a port number must not be quoted: write {port} instead of '{port}'", key="port")
        if problem := check_port_name(port):
            entry.fail(problem, key="port")
    if isinstance(port, int) and not 1 <= port <= 65535:
        entry.fail(f"must be 1-65535, got {excerpt(port)}", key="port")
    end_port = entry.typed("endPort", int)
    if end_port is not None:
        if port is None:
            entry.fail("endPort needs port", key="endPort")
        if isinstance(port, str):
            entry.fail(f"endPort cannot be used with the named port {excerpt(port)}", key="endPort")
        if not 1 <= end_port <= 65535:
            entry.fail(f"must be 1-65535, got {excerpt(end_port)}", key="endPort")
        if end_port < port:
            entry.fail(f"must be greater than or equal to port {port}, got {end_port}", key="endPort")
    return PortSpec(protocol, port, end_port)


def _parse_protocol(entry: Reader) -> str:
    protocol = entry.string("protocol", default="TCP")
    assert protocol is not None
    if protocol not in PROTOCOLS:
        hint = f" (write {protocol.upper()!r})" if protocol.upper() in PROTOCOLS else ""
        entry.fail(
            f"unsupported protocol {excerpt(protocol)}{hint}; expected one of: {', '.join(PROTOCOLS)}",
            key="protocol",
        )
    return protocol
