"""Cilium ``cilium.io/v2`` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, L3/L4: model and strict parser.

A policy holds one rule (``spec``), a list (``specs``) or both: each is a :class:`CiliumSpec` with its own
``endpointSelector``, sections ``ingress``/``ingressDeny``/``egress``/``egressDeny`` and default-deny posture
(``pkg/k8s/apis/cilium.io/utils``, ``ParseCiliumNetworkPolicy``: ``spec`` then every ``specs`` entry).

Semantics, from ``pkg/policy/api`` and ``Documentation/security/policy``:

- a rule's peers are ONE of ``from/toEndpoints``, ``from/toEntities``, ``from/toCIDR``, ``from/toCIDRSet``
  (Cilium rejects combining them: ``rule_validation.go``); a peer list that is present but empty matches nothing
  (``mergeEndpointSelectors``); a rule with no peer field and a ``toPorts`` applies to every peer
  (``layer4.rst``: "to any layer 3 destination"); ``{}`` matches nothing (``layer3.rst``, *Ingress/Egress Default
  Deny*: ``egress: [{}]`` denies without allowing);
- no ``toPorts`` = every port; protocol ``ANY`` (or none) = TCP, UDP and SCTP (``pkg/policy/rule.go``); a port is a
  string: a number, or a container port name resolved on the destination (``endPort`` is ignored for a name);
- an ``icmps`` rule allows or denies ICMP only: it matches no TCP, UDP or SCTP port (``layer4.rst``);
- a spec puts its endpoints into default deny for a direction when ``enableDefaultDeny`` says so, else when it
  has a rule in that direction's allow or deny section (``rule.go``, ``EnableDefaultDeny``; ``ingress: []`` has
  no rule, so no effect);
- CIDR rules never match pods of the cluster (``layer3.rst``, *IP/CIDR based*).

Fields netpolkit does not model are ``Reader.unsupported``: L7 ``rules``, TLS and listeners, ``toFQDNs``,
``toServices``, ``toGroups``, ``toRequires``/``fromRequires``, ``toNodes``/``fromNodes``, CIDR groups,
``authentication`` (other than ``mode: disabled``), host policies (``nodeSelector``), entities other than
``all``, ``world``, ``cluster`` and ``none``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netpolkit.model.cilium_labels import CiliumSelector, parse_cilium_selector
from netpolkit.model.fields import Reader
from netpolkit.model.k8s import IPBlock
from netpolkit.model.ports import PROTOCOLS, PortQuery, check_port_name

__all__ = [
    "API_VERSION",
    "CLUSTERWIDE",
    "NAMESPACED",
    "CiliumPolicy",
    "CiliumPort",
    "CiliumRule",
    "CiliumSpec",
    "parse_cilium",
]

API_VERSION = "cilium.io/v2"
NAMESPACED, CLUSTERWIDE = "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"
SECTIONS = {"Ingress": ("ingress", "ingressDeny"), "Egress": ("egress", "egressDeny")}
ENTITIES = ("all", "world", "cluster", "none")
UNMODELLED_ENTITIES = (
    "host",
    "remote-node",
    "kube-apiserver",
    "health",
    "init",
    "ingress",
    "unmanaged",
    "world-ipv4",
    "world-ipv6",
)
CILIUM_PROTOCOLS = (*PROTOCOLS, "ANY")
SPEC_METADATA = ("labels", "enableDefaultDeny", "description", "log")
NO_ENDPOINT = "treated as matching no endpoint"
WHOLE_PORT = "treated as allowing the whole port (L3/L4 only)"
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class CiliumPort:
    """One ``toPorts[].ports[]`` entry: protocol TCP/UDP/SCTP/ANY and a number, a range or a port name."""

    protocol: str
    port: int | str
    end_port: int | None = None

    @property
    def protocols(self) -> tuple[str, ...]:
        """The protocols it covers (ANY: TCP, UDP and SCTP)."""
        if self.protocol == "ANY":
            return PROTOCOLS
        return (self.protocol,) if self.protocol in PROTOCOLS else ()

    def matches(self, query: PortQuery, named_ports: Mapping[tuple[str, str], int]) -> bool:
        """Whether ``query`` to a destination with ``named_ports`` ((name, protocol) -> number) matches."""
        if query.protocol not in self.protocols:
            return False
        if isinstance(self.port, str):
            return named_ports.get((self.port, query.protocol)) == query.port
        return self.port <= query.port <= (self.end_port or self.port)

    def __str__(self) -> str:
        end = f"-{self.end_port}" if self.end_port else ""
        return f"{self.protocol}/{self.port}{end}"


@dataclass(frozen=True, slots=True)
class CiliumRule:
    """One entry of a section: the peers it matches and the ports; Allow, or Deny in ``...Deny`` sections.

    ``any_peer``: no peer field and a non-empty ``toPorts`` (an L4-only rule, every peer). Otherwise the peers are
    the union of ``endpoints``, ``entities`` and ``cidrs`` (none: the rule matches nothing).
    ``path`` is the rule's field path (``spec.ingressDeny[0]``), ``spec`` the index of its spec in the policy.
    """

    section: str
    number: int  # 1-based, within its section of its spec
    path: str
    spec: int = 0
    endpoints: tuple[CiliumSelector, ...] = ()
    entities: tuple[str, ...] = ()
    cidrs: tuple[IPBlock, ...] = ()
    any_peer: bool = False
    ports: tuple[CiliumPort, ...] | None = None  # None: every port; (): none (entries without ports)
    icmp_only: bool = False

    @property
    def deny(self) -> bool:
        """Whether the rule denies (``ingressDeny``/``egressDeny``)."""
        return self.section.endswith("Deny")

    def __str__(self) -> str:
        peers = [f"endpoints [{s}]" for s in self.endpoints] + [f"entity {e}" for e in self.entities]
        peers += [f"CIDR {c}" for c in self.cidrs]
        who = "anyone" if self.any_peer else (" or ".join(peers) or "no peer")
        if self.icmp_only or self.ports is not None:
            ports = "ICMP only" if self.icmp_only else ", ".join(map(str, self.ports or ())) or "no port"
        else:
            ports = "any port"
        return f"{'deny' if self.deny else 'allow'} {who} on {ports}"


@dataclass(frozen=True, slots=True)
class CiliumSpec:
    """One Cilium rule (``spec`` or a ``specs`` entry): who it applies to, its sections, its default deny."""

    subject: CiliumSelector
    ingress: tuple[CiliumRule, ...] = ()
    ingress_deny: tuple[CiliumRule, ...] = ()
    egress: tuple[CiliumRule, ...] = ()
    egress_deny: tuple[CiliumRule, ...] = ()
    default_deny_ingress: bool | None = None  # enableDefaultDeny.ingress as written
    default_deny_egress: bool | None = None
    description: str = ""

    def rules(self, direction: str) -> tuple[CiliumRule, ...]:
        """The allow then the deny rules of ``direction`` ("Ingress"/"Egress")."""
        if direction == "Ingress":
            return self.ingress + self.ingress_deny
        return self.egress + self.egress_deny

    def default_deny(self, direction: str) -> bool:
        """Whether the spec puts what it selects into default deny for ``direction``."""
        written = self.default_deny_ingress if direction == "Ingress" else self.default_deny_egress
        return bool(self.rules(direction)) if written is None else written


@dataclass(frozen=True, slots=True)
class CiliumPolicy:
    """A CiliumNetworkPolicy (``namespace`` set) or a CiliumClusterwideNetworkPolicy (``namespace == ""``)."""

    kind: str
    namespace: str
    name: str
    specs: tuple[CiliumSpec, ...] = ()

    api_version = API_VERSION

    @property
    def ref(self) -> str:
        """``CiliumNetworkPolicy ns/name`` or ``CiliumClusterwideNetworkPolicy name``."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def rules(self, direction: str) -> tuple[CiliumRule, ...]:
        """Every rule of ``direction``, spec by spec."""
        return tuple(r for spec in self.specs for r in spec.rules(direction))


# ---- parsing -------------------------------------------------------------------------------------------------


def parse_cilium(kind: str) -> Any:
    """A parser for ``parse_object`` (registered non-strict: it checks the top-level fields itself)."""

    def parse(doc: Reader, namespace: str, name: str) -> CiliumPolicy:
        from netpolkit.model import METADATA_FIELDS

        doc.only(("apiVersion", "kind", "metadata", "spec", "specs"), ignore=("status",))
        meta = doc.child("metadata", required=True)
        assert meta is not None
        meta.only(METADATA_FIELDS)
        ns = namespace if kind == NAMESPACED else ""
        readers = ([spec] if (spec := doc.child("spec")) is not None else []) + (doc.children("specs") or [])
        if not doc.has("spec") and not doc.has("specs"):
            doc.fail(f"a {kind} needs spec or specs", key="spec")
        specs: list[CiliumSpec] = []
        for reader in readers:
            if (parsed := _spec(reader, len(specs), ns, kind)) is not None:  # None: left out (ignored)
                specs.append(parsed)
        return CiliumPolicy(kind, ns, name, tuple(specs))

    return parse


def _spec(r: Reader, index: int, namespace: str, kind: str) -> CiliumSpec | None:
    r.only(("endpointSelector", "nodeSelector", *SECTIONS["Ingress"], *SECTIONS["Egress"], *SPEC_METADATA))
    subject_reader, nodes = r.child("endpointSelector"), r.child("nodeSelector")
    if subject_reader is not None and nodes is not None:
        r.fail("endpointSelector and nodeSelector are mutually exclusive", key="nodeSelector")
    if nodes is not None:
        if kind == NAMESPACED:
            r.fail("nodeSelector can only be used in a CiliumClusterwideNetworkPolicy", key="nodeSelector")
        r.unsupported("host policies (nodeSelector)", "nodeSelector", ignored="rule left out (nodes are no endpoints)")
        return None
    if subject_reader is None:
        r.fail("required field is missing (a rule needs endpointSelector)", key="endpointSelector")
    subject = parse_cilium_selector(subject_reader, role="subject", namespace=namespace)
    sections = {
        key: tuple(_rule(item, key, i + 1, index, namespace) for i, item in enumerate(r.children(key) or ()))
        for keys in SECTIONS.values()
        for key in keys
    }
    deny: dict[str, bool | None] = {"Ingress": None, "Egress": None}
    if (posture := r.child("enableDefaultDeny")) is not None:
        posture.only(("ingress", "egress"))
        deny = {d: posture.typed(d.lower(), bool) for d in deny}
    _check_labels(r)
    return CiliumSpec(
        subject,
        sections["ingress"],
        sections["ingressDeny"],
        sections["egress"],
        sections["egressDeny"],
        deny["Ingress"],
        deny["Egress"],
        r.string("description", default="") or "",
    )


def _check_labels(r: Reader) -> None:
    """``labels``: a list of {key, value, source} (rule metadata, no effect on verdicts)."""
    for item in r.children("labels") or ():
        item.only(("key", "value", "source"))
        item.string("key", required=True)
        item.string("value")
        item.string("source")
    if (log := r.child("log")) is not None:
        log.only(("value",))
        log.string("value")


def _rule(r: Reader, section: str, number: int, spec: int, namespace: str) -> CiliumRule:
    ingress, deny = section.startswith("ingress"), section.endswith("Deny")
    side = "from" if ingress else "to"
    peers = [f"{side}Endpoints", f"{side}Entities", f"{side}CIDR", f"{side}CIDRSet"]
    opaque = [f"{side}Requires", f"{side}Nodes", f"{side}Groups"] + ([] if ingress else ["toServices"])
    if not ingress and not deny:
        opaque.append("toFQDNs")
    r.only((*peers, *opaque, "toPorts", "icmps") + (() if deny else ("authentication",)))
    _check_exclusive(r, peers + [k for k in opaque if not k.endswith("Requires")])
    seen = False  # a peer field (L3) is present
    for key in opaque:
        if r.data.get(key) is not None:
            if key.endswith("Requires"):
                r.unsupported(key, key, ignored="left out (the rules are not restricted by it)")
                continue
            r.unsupported(key, key, ignored=NO_ENDPOINT)
            seen = True
    endpoints: list[CiliumSelector] = []
    for item in r.children(peers[0]) or ():
        endpoints.append(parse_cilium_selector(item, role="peer", namespace=namespace))
    entities = _entities(r, peers[1])
    cidrs = _cidrs(r, peers[2]) + _cidr_set(r, peers[3])
    seen |= any(r.data.get(k) is not None for k in peers)
    port_rules = r.children("toPorts") or []
    ports = _to_ports(port_rules, deny) if port_rules else None  # an empty toPorts is no toPorts
    icmps = r.list("icmps")
    if icmps:
        if port_rules:
            r.fail("icmps may only be present without toPorts (Cilium rejects the rule)", key="icmps")
        _check_icmps(r)
    if not deny and (auth := r.child("authentication")) is not None:
        auth.only(("mode",))
        if auth.string("mode", required=True) != "disabled":
            r.unsupported("authentication (mutual auth)", "authentication", ignored="traffic taken as authenticated")
    return CiliumRule(
        section,
        number,
        r.path,
        spec,
        tuple(endpoints),
        entities,
        cidrs,
        any_peer=not seen and bool(port_rules),
        ports=ports,
        icmp_only=bool(icmps),
    )


def _check_exclusive(r: Reader, members: list[str]) -> None:
    present = [k for k in members if r.data.get(k)]  # non-empty, as Cilium counts them
    if len(present) > 1:
        r.fail(f"Cilium rejects combining {present[0]} and {present[1]} in one rule (write two rules)", key=present[1])


def _entities(r: Reader, key: str) -> tuple[str, ...]:
    out = []
    for i, value in enumerate(r.list(key) or ()):
        path = f"{key}[{i}]"
        if value in ENTITIES:
            out.append(value)
        elif value in UNMODELLED_ENTITIES:
            r.unsupported(f"entity {value!r}", path, ignored=NO_ENDPOINT)
        else:
            known = ", ".join((*ENTITIES, *UNMODELLED_ENTITIES))
            r.fail(f"unknown entity {value!r}; expected one of: {known}", key=path)
    return tuple(out)


def _network(r: Reader, key: str, text: Any) -> IPNetwork:
    if not isinstance(text, str):
        r.fail(f"expected a CIDR string, got {text!r}", key=key)
    if "/" not in text:
        r.fail(f"{text!r} is not a CIDR (the CRD requires a prefix length, e.g. {text}/32)", key=key)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        r.fail(f"{text!r} is not a valid CIDR: {exc}", key=key)


def _cidrs(r: Reader, key: str) -> tuple[IPBlock, ...]:
    return tuple(IPBlock(_network(r, f"{key}[{i}]", t)) for i, t in enumerate(r.list(key) or ()))


def _cidr_set(r: Reader, key: str) -> tuple[IPBlock, ...]:
    out = []
    for item in r.children(key) or ():
        item.only(("cidr", "except", "cidrGroupRef", "cidrGroupSelector"))
        group = next((k for k in ("cidrGroupRef", "cidrGroupSelector") if item.has(k)), None)
        if group is not None:
            item.unsupported(f"{group} (CiliumCIDRGroup)", group, ignored=NO_ENDPOINT)
            continue
        if not item.has("cidr"):
            item.fail("required field is missing (a CIDR rule needs cidr)", key="cidr")
        cidr = _network(item, "cidr", item.raw("cidr"))
        excepts = []
        for i, text in enumerate(item.list("except") or ()):
            path = f"except[{i}]"
            net = _network(item, path, text)
            written = ipaddress.ip_interface(text).ip
            if written.version != cidr.version or written not in cidr:
                item.fail(f"{text} is not inside cidr {cidr} (Cilium rejects the rule)", key=path)
            excepts.append(net)
        out.append(IPBlock(cidr, tuple(excepts)))
    return tuple(out)


def _to_ports(items: list[Reader], deny: bool) -> tuple[CiliumPort, ...]:
    """Every port of a non-empty ``toPorts`` (an entry without ports contributes none)."""
    allowed = ("ports",) if deny else ("ports", "rules", "serverNames", "listener", "originatingTLS", "terminatingTLS")
    out: list[CiliumPort] = []
    for item in items:
        item.only(allowed)
        if not deny:
            _check_l7(item)
        entries = item.children("ports")
        if not entries:
            item.unsupported("a toPorts entry without ports", "ports", ignored="treated as matching no port")
        out.extend(_port(entry) for entry in entries or ())
    return tuple(out)


def _check_l7(item: Reader) -> None:
    rules = item.child("rules")
    if rules is not None:
        rules.only(("http", "kafka", "dns", "l7proto", "l7"))
        if any(rules.data.get(k) for k in ("http", "kafka", "dns", "l7proto", "l7")):
            item.unsupported("L7 rules", "rules", ignored=WHOLE_PORT)
    for key, what in (("serverNames", "TLS SNI (serverNames)"), ("listener", "Envoy listener")):
        if item.data.get(key):
            item.unsupported(what, key, ignored=WHOLE_PORT)
    for key in ("originatingTLS", "terminatingTLS"):
        if item.has(key):
            item.unsupported(f"TLS ({key})", key, ignored=WHOLE_PORT)


def _port(entry: Reader) -> CiliumPort:
    entry.only(("port", "endPort", "protocol"))
    protocol = entry.string("protocol", default="ANY") or "ANY"
    if protocol not in CILIUM_PROTOCOLS:
        hint = f" (write {protocol.upper()!r})" if protocol.upper() in CILIUM_PROTOCOLS else ""
        if protocol.upper() in ("ICMP", "ICMPV6", "VRRP", "IGMP"):
            entry.unsupported(
                f"protocol {protocol!r} in toPorts", "protocol", ignored="treated as matching no TCP, UDP or SCTP port"
            )
            protocol = protocol.upper()
        else:
            expected = ", ".join(CILIUM_PROTOCOLS)
            entry.fail(f"unsupported protocol {protocol!r}{hint}; expected one of: {expected}", key="protocol")
    raw = entry.raw("port")
    if raw is None:
        entry.fail("required field is missing (Cilium: Port must be specified)", key="port")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        entry.fail(f"expected a port number or name as a string, got {raw!r}", key="port")
    if isinstance(raw, int):
        entry.fail(f'must be a string (the CRD declares it one): write port: "{raw}"', key="port")
    end_port = entry.typed("endPort", int) or None
    if raw.isdigit():
        if len(raw) > 1 and raw.startswith("0"):
            entry.fail(f"{raw!r} has a leading zero, which Cilium reads as octal: write it without", key="port")
        number = int(raw)
        if number > 65535:
            entry.fail(f"must be 0-65535, got {number}", key="port")
        if number == 0:
            entry.unsupported('port "0" (every port; older Cilium versions reject it)', "port", ignored="every port")
            return CiliumPort(protocol, 1, 65535)
        if end_port is not None:
            if end_port > 65535:
                entry.fail(f"must be 0-65535, got {end_port}", key="endPort")
            if end_port < number:
                entry.fail(f"must be greater than or equal to port {number}, got {end_port}", key="endPort")
        return CiliumPort(protocol, number, end_port if end_port != number else None)
    name = raw.lower()  # Cilium compares port names case-insensitively
    if problem := check_port_name(name):
        entry.fail(problem, key="port")
    return CiliumPort(protocol, name)  # endPort is ignored for a named port (layer4.rst)


def _check_icmps(r: Reader) -> None:
    for item in r.children("icmps") or ():
        item.only(("fields",))
        for field in item.children("fields") or ():
            field.only(("family", "type"))
            if field.string("family", default="IPv4") not in ("IPv4", "IPv6"):
                field.fail("must be IPv4 or IPv6", key="family")
            value = field.raw("type")
            if value is None:
                field.fail("required field is missing", key="type")
            if isinstance(value, bool) or not isinstance(value, int | str):
                field.fail(f"expected an ICMP type number or name, got {value!r}", key="type")
            if isinstance(value, int) and not 0 <= value <= 255:
                field.fail(f"must be 0-255, got {value}", key="type")
