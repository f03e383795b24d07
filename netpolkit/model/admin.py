"""network-policy-api cluster-wide policies: immutable model and strict parsers.

Three kinds, one rule model:

- **ClusterNetworkPolicy** ``policy.networking.k8s.io/v1alpha2`` (network-policy-api v0.2.0, standard channel):
  ``tier`` Admin or Baseline, ``priority`` 0-1000, rules ``Accept`` / ``Deny`` / ``Pass`` with ``protocols``.
- **AdminNetworkPolicy** ``policy.networking.k8s.io/v1alpha1`` (v0.1.x): the Admin tier, ``priority`` 0-1000,
  rules ``Allow`` / ``Deny`` / ``Pass`` with ``ports``.
- **BaselineAdminNetworkPolicy** ``policy.networking.k8s.io/v1alpha1``: the Baseline tier, a singleton named
  ``default``, rules ``Allow`` / ``Deny``.

Validation follows the CRDs of those releases (``config/crd/standard/*.yaml``; the ``v1alpha1`` named port is the
experimental channel's, with that channel's rule against mixing it with ``networks`` peers). Experimental peers
netpolkit does not model (``nodes``, ``domainNames``) go through :meth:`Reader.unsupported`: an error, or under
``unsupported="ignore"`` the peer is dropped with a warning. A rule whose peers were all dropped matches nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from netpolkit.model.fields import Reader
from netpolkit.model.labels import LabelSelector, parse_label_selector
from netpolkit.model.ports import PROTOCOLS, PortQuery

__all__ = [
    "ADMIN",
    "BASELINE",
    "V1ALPHA1",
    "V1ALPHA2",
    "AdminNetworkPolicy",
    "AdminPeer",
    "AdminPolicy",
    "AdminPort",
    "AdminRule",
    "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
    "Selection",
    "parse_admin_network_policy",
    "parse_baseline_admin_network_policy",
    "parse_cluster_network_policy",
]

V1ALPHA2 = "policy.networking.k8s.io/v1alpha2"
V1ALPHA1 = "policy.networking.k8s.io/v1alpha1"
ADMIN, BASELINE = "Admin", "Baseline"  # the tiers
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# ---- the model -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    """Pods picked by ``namespaces`` (a namespace selector: every pod there) or ``pods`` (namespace AND pod
    selectors). Host-network pods are never picked."""

    namespaces: LabelSelector
    pods: LabelSelector | None = None  # None: the ``namespaces`` form

    def matches(self, namespace_labels: Mapping[str, str], pod_labels: Mapping[str, str]) -> bool:
        """Whether a (non host-network) pod with these labels, in a namespace with these labels, is picked."""
        return self.namespaces.matches(namespace_labels) and (self.pods is None or self.pods.matches(pod_labels))

    def __str__(self) -> str:
        text = f"namespaces [{self.namespaces}]"
        return text if self.pods is None else f"{text} and pods [{self.pods}]"


@dataclass(frozen=True, slots=True)
class AdminPeer:
    """One ``from``/``to`` entry: pods (``selection``) or ``networks`` (CIDRs, which match pod IPs too)."""

    selection: Selection | None = None
    networks: tuple[IPNetwork, ...] = ()

    def contains(self, ip: IPAddress) -> bool:
        """Whether ``ip`` is in one of the ``networks``."""
        return any(ip.version == net.version and ip in net for net in self.networks)

    def __str__(self) -> str:
        if self.selection is not None:
            return str(self.selection)
        return "networks " + ", ".join(str(n) for n in self.networks)


@dataclass(frozen=True, slots=True)
class AdminPort:
    """One port match: ``protocol`` with an inclusive ``start``-``end`` range (one port: start == end), or a
    named container port ``name`` (``protocol`` None: the destination pod's container port gives it)."""

    protocol: str | None = None
    start: int = 0
    end: int = 0
    name: str = ""

    def matches(self, query: PortQuery, named_ports: Mapping[tuple[str, str], int]) -> bool:
        """Whether ``query`` to a destination with ``named_ports`` ((name, protocol) -> number) matches."""
        if self.name:
            return named_ports.get((self.name, query.protocol)) == query.port
        return query.protocol == self.protocol and self.start <= query.port <= self.end

    def __str__(self) -> str:
        if self.name:
            return f"named port {self.name}"
        if self.start == self.end:
            return f"{self.protocol}/{self.start}"
        return f"{self.protocol}/{self.start}-{self.end}"


@dataclass(frozen=True, slots=True)
class AdminRule:
    """An ingress or egress rule, in the API's own words: ``action`` is Accept / Allow / Deny / Pass.

    ``peers`` are ORed (none: the rule matches nothing, which only happens when every peer was an unmodelled one
    dropped under ``unsupported="ignore"``); ``ports`` are ORed, none = every port.
    """

    name: str
    action: str
    peers: tuple[AdminPeer, ...]
    ports: tuple[AdminPort, ...] = ()

    def __str__(self) -> str:
        peers = " or ".join(str(p) for p in self.peers) if self.peers else "nobody"
        ports = ", ".join(str(p) for p in self.ports) if self.ports else "any port"
        return f"{self.action} {peers} on {ports}"


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """What the three kinds share: a cluster-scoped policy in a tier, with a priority, a subject and rules in
    written order. ``priority`` is None for BaselineAdminNetworkPolicy, which has none."""

    name: str
    tier: str
    priority: int | None
    subject: Selection
    ingress: tuple[AdminRule, ...] = ()
    egress: tuple[AdminRule, ...] = ()

    kind: ClassVar[str] = ""
    api_version: ClassVar[str] = ""
    namespace: ClassVar[str] = ""  # cluster-scoped

    @property
    def ref(self) -> str:
        """``Kind name``, e.g. ``ClusterNetworkPolicy egress-tcp``."""
        return f"{self.kind} {self.name}"

    def rules(self, direction: str) -> tuple[AdminRule, ...]:
        """The rules for ``direction`` ("Ingress"/"Egress"), in written order."""
        return self.ingress if direction == "Ingress" else self.egress


@dataclass(frozen=True, slots=True)
class ClusterNetworkPolicy(AdminPolicy):
    """ClusterNetworkPolicy ``policy.networking.k8s.io/v1alpha2``."""

    kind: ClassVar[str] = "ClusterNetworkPolicy"
    api_version: ClassVar[str] = V1ALPHA2


@dataclass(frozen=True, slots=True)
class AdminNetworkPolicy(AdminPolicy):
    """AdminNetworkPolicy ``policy.networking.k8s.io/v1alpha1`` (always the Admin tier)."""

    kind: ClassVar[str] = "AdminNetworkPolicy"
    api_version: ClassVar[str] = V1ALPHA1


@dataclass(frozen=True, slots=True)
class BaselineAdminNetworkPolicy(AdminPolicy):
    """BaselineAdminNetworkPolicy ``policy.networking.k8s.io/v1alpha1`` (the Baseline tier, named ``default``)."""

    kind: ClassVar[str] = "BaselineAdminNetworkPolicy"
    api_version: ClassVar[str] = V1ALPHA1


# ---- what differs between the kinds (from the CRDs) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Schema:
    kind: str
    actions: tuple[str, ...]
    max_items: int  # rules per direction, peers per rule, ports per rule
    ports_key: str  # "protocols" (v1alpha2) or "ports" (v1alpha1)
    tiered: bool  # spec.tier exists
    prioritized: bool  # spec.priority exists
    namespace_selector_required: bool  # in ``pods``: required in v1alpha1, optional (empty = all) in v1alpha2
    egress_peers: tuple[str, ...]  # modelled egress peer fields
    experimental_peers: tuple[str, ...]  # egress peer fields of the experimental channel, not modelled
    named_port_peers: tuple[str, ...]  # egress peers a named port may not be combined with (CEL), () = no rule
    named_port_cel: str = ""


_CNP = _Schema(
    "ClusterNetworkPolicy",
    ("Accept", "Deny", "Pass"),
    25,
    "protocols",
    tiered=True,
    prioritized=True,
    namespace_selector_required=False,
    egress_peers=("namespaces", "pods", "networks"),
    experimental_peers=("nodes", "domainNames"),
    # The rule is in the experimental CRD only; nodes/domainNames exist only there, so it holds whenever they occur.
    named_port_peers=("nodes", "domainNames"),
    named_port_cel="networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts "
    "for networks/nodes/domainNames",
)
_ANP = _Schema(
    "AdminNetworkPolicy",
    ("Allow", "Deny", "Pass"),
    100,
    "ports",
    tiered=False,
    prioritized=True,
    namespace_selector_required=True,
    egress_peers=("namespaces", "pods", "networks"),
    experimental_peers=("nodes", "domainNames"),
    # namedPort exists only in the experimental CRD, which also carries this rule.
    named_port_peers=("networks", "nodes", "domainNames"),
    named_port_cel="networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts "
    "for networks/nodes/domainNames",
)
_BANP = _Schema(
    "BaselineAdminNetworkPolicy",
    ("Allow", "Deny"),
    100,
    "ports",
    tiered=False,
    prioritized=False,
    namespace_selector_required=True,
    egress_peers=("namespaces", "pods", "networks"),
    experimental_peers=("nodes",),
    named_port_peers=("networks", "nodes"),
    named_port_cel="networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes",
)
_MAX_NETWORKS = 25
_MAX_RULE_NAME = 100
_MAX_CIDR_LENGTH = 43
_BANP_NAME = "default"
_EXPERIMENTAL = {
    "nodes": "a nodes peer (experimental channel) selects node IPs, which netpolkit does not know",
    "domainNames": "a domainNames peer (experimental channel) matches by DNS name",
}


# ---- parsers ------------------------------------------------------------------------------------------------------


def parse_cluster_network_policy(doc: Reader, namespace: str, name: str) -> ClusterNetworkPolicy:
    """Parse and validate a ClusterNetworkPolicy ``v1alpha2`` (metadata already read by the caller)."""
    spec = _spec(doc, _CNP)
    tier = spec.string("tier", required=True)
    _check_enum(spec, "tier", tier, (ADMIN, BASELINE))
    assert tier is not None
    return ClusterNetworkPolicy(name, tier, *_body(spec, _CNP))


def parse_admin_network_policy(doc: Reader, namespace: str, name: str) -> AdminNetworkPolicy:
    """Parse and validate an AdminNetworkPolicy ``v1alpha1``."""
    return AdminNetworkPolicy(name, ADMIN, *_body(_spec(doc, _ANP), _ANP))


def parse_baseline_admin_network_policy(doc: Reader, namespace: str, name: str) -> BaselineAdminNetworkPolicy:
    """Parse and validate a BaselineAdminNetworkPolicy ``v1alpha1`` (a singleton: its name must be ``default``)."""
    if name != _BANP_NAME:
        doc.fail_at(
            "metadata.name",
            'Only one baseline admin network policy with metadata.name="default" can be created in the cluster',
        )
    return BaselineAdminNetworkPolicy(name, BASELINE, *_body(_spec(doc, _BANP), _BANP))


def _spec(doc: Reader, schema: _Schema) -> Reader:
    spec = doc.child("spec", required=True)
    assert spec is not None
    fields = ("tier",) * schema.tiered + ("priority",) * schema.prioritized + ("subject", "ingress", "egress")
    spec.only(fields)
    return spec


def _body(spec: Reader, schema: _Schema) -> tuple[int | None, Selection, tuple[AdminRule, ...], tuple[AdminRule, ...]]:
    """(priority, subject, ingress, egress) of a spec."""
    priority = None
    if schema.prioritized:
        priority = spec.typed("priority", int, required=True)
        _check_range(spec, "priority", priority, 0, 1000)
    subject_reader = spec.child("subject", required=True)
    assert subject_reader is not None
    subject = _parse_selection_choice(subject_reader, schema)
    ingress = _parse_rules(spec, "ingress", schema)
    egress = _parse_rules(spec, "egress", schema)
    return priority, subject, ingress, egress


def _parse_rules(spec: Reader, direction: str, schema: _Schema) -> tuple[AdminRule, ...]:
    readers = _items(spec, direction, schema.max_items, min_items=0) or ()
    return tuple(_parse_rule(r, direction, schema) for r in readers)


def _parse_rule(rule: Reader, direction: str, schema: _Schema) -> AdminRule:
    peers_key = "from" if direction == "ingress" else "to"
    rule.only(("name", "action", peers_key, schema.ports_key))
    name = rule.string("name", default="")
    assert name is not None
    if len(name) > _MAX_RULE_NAME:
        rule.fail(f"Too long: may not be more than {_MAX_RULE_NAME} characters, got {len(name)}", key="name")
    action = rule.string("action", required=True)
    _check_enum(rule, "action", action, schema.actions)
    assert action is not None
    peer_readers = _items(rule, peers_key, schema.max_items, min_items=1, required=True)
    assert peer_readers is not None
    allowed = ("namespaces", "pods") if direction == "ingress" else schema.egress_peers + schema.experimental_peers
    kinds: list[str] = []
    peers: list[AdminPeer] = []
    for reader in peer_readers:
        kind, peer = _parse_peer(reader, allowed, schema)
        kinds.append(kind)
        if peer is not None:
            peers.append(peer)
    port_readers = _items(rule, schema.ports_key, schema.max_items, min_items=1) or ()
    ports = tuple(_parse_port(p, schema) for p in port_readers)
    named = any(p.name for p in ports)
    if direction == "egress" and named and any(k in schema.named_port_peers for k in kinds):
        rule.fail(schema.named_port_cel)
    return AdminRule(name, action, tuple(peers), ports)


def _parse_peer(peer: Reader, allowed: tuple[str, ...], schema: _Schema) -> tuple[str, AdminPeer | None]:
    """(the peer's field, the peer or None when it was dropped as unmodelled)."""
    peer.only(allowed)
    kind = _one_of(peer, allowed)
    if kind in _EXPERIMENTAL:
        peer.unsupported(_EXPERIMENTAL[kind], kind, ignored="the peer is dropped (the rule matches less)")
        return kind, None
    if kind == "networks":
        return kind, AdminPeer(networks=_parse_networks(peer))
    child = peer.child(kind)
    assert child is not None
    if kind == "namespaces":
        return kind, AdminPeer(Selection(parse_label_selector(child)))
    return kind, AdminPeer(_parse_namespaced_pod(child, schema))


def _parse_selection_choice(subject: Reader, schema: _Schema) -> Selection:
    choices = ("namespaces", "pods")
    subject.only(choices)
    kind = _one_of(subject, choices)
    child = subject.child(kind)
    assert child is not None
    if kind == "namespaces":
        return Selection(parse_label_selector(child))
    return _parse_namespaced_pod(child, schema)


def _parse_namespaced_pod(pods: Reader, schema: _Schema) -> Selection:
    pods.only(("namespaceSelector", "podSelector"))
    namespaces = pods.child("namespaceSelector", required=schema.namespace_selector_required)
    selector = pods.child("podSelector", required=True)
    assert selector is not None
    return Selection(
        parse_label_selector(namespaces) if namespaces is not None else LabelSelector(),
        parse_label_selector(selector),
    )


def _parse_networks(peer: Reader) -> tuple[IPNetwork, ...]:
    values = peer.list("networks")
    assert values is not None
    if not values:
        peer.fail("should have at least 1 items", key="networks")
    if len(values) > _MAX_NETWORKS:
        peer.fail(f"Too many: {len(values)}: must have at most {_MAX_NETWORKS} items", key="networks")
    seen: set[str] = set()
    out: list[IPNetwork] = []
    for i, text in enumerate(values):
        key = f"networks[{i}]"
        if not isinstance(text, str):
            peer.fail(f"expected a CIDR string, got {text!r}", key=key)
        if text in seen:
            peer.fail(f"Duplicate value: {text!r}", key=key)
        seen.add(text)
        if len(text) > _MAX_CIDR_LENGTH:
            peer.fail(f"Too long: may not be more than {_MAX_CIDR_LENGTH} characters, got {len(text)}", key=key)
        out.append(_parse_cidr(peer, key, text))
    return tuple(out)


def _parse_cidr(reader: Reader, key: str, text: str) -> IPNetwork:
    """A CIDR as Kubernetes CEL ``isCIDR`` takes it: an address and a prefix length (host bits may be set)."""
    address, slash, length = text.partition("/")
    if not slash or not length.isdigit() or "%" in address:
        reader.fail(f"Invalid CIDR format provided: {text!r} (expected e.g. 10.0.0.0/8 or fd00::/8)", key=key)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        reader.fail(f"Invalid CIDR format provided: {text!r} ({exc})", key=key)


def _parse_port(entry: Reader, schema: _Schema) -> AdminPort:
    if schema.ports_key == "protocols":  # v1alpha2: tcp / udp / sctp {destinationPort}, or destinationNamedPort
        choices = ("tcp", "udp", "sctp", "destinationNamedPort")
        entry.only(choices)
        kind = _one_of(entry, choices)
        if kind == "destinationNamedPort":
            return AdminPort(name=_named_port(entry, kind))
        proto = entry.child(kind)
        assert proto is not None
        proto.only(("destinationPort",))
        if not proto.has("destinationPort"):
            proto.fail("should have at least 1 properties (destinationPort)")
        port = proto.child("destinationPort")
        assert port is not None
        port.only(("number", "range"))
        form = _one_of(port, ("number", "range"))
        if form == "number":
            number = port.typed("number", int)
            _check_range(port, "number", number, 1, 65535)
            return AdminPort(kind.upper(), number, number)
        span = port.child("range")
        assert span is not None
        span.only(("start", "end"))
        start, end = _parse_range(span, "Start port must be less than End port")
        return AdminPort(kind.upper(), start, end)
    choices = ("portNumber", "namedPort", "portRange")  # v1alpha1
    entry.only(choices)
    kind = _one_of(entry, choices)
    if kind == "namedPort":
        return AdminPort(name=_named_port(entry, kind))
    body = entry.child(kind)
    assert body is not None
    if kind == "portNumber":
        body.only(("protocol", "port"))
        protocol = _parse_protocol(body)
        number = body.typed("port", int, required=True)
        _check_range(body, "port", number, 1, 65535)
        return AdminPort(protocol, number, number)
    body.only(("protocol", "start", "end"))
    protocol = _parse_protocol(body)
    start, end = _parse_range(body, "the Start value must be less than End")
    return AdminPort(protocol, start, end)


def _parse_range(span: Reader, message: str) -> tuple[int, int]:
    start = span.typed("start", int, required=True)
    end = span.typed("end", int, required=True)
    _check_range(span, "start", start, 1, 65535)
    _check_range(span, "end", end, 1, 65535)
    if not start < end:
        span.fail(f"{message} (start {start}, end {end})")
    return start, end


def _named_port(entry: Reader, key: str) -> str:
    name = entry.string(key)
    if not name:
        entry.fail("must not be empty: the name of a container port", key=key)
    assert name is not None
    return name


def _parse_protocol(entry: Reader) -> str:
    protocol = entry.string("protocol", default="TCP")
    assert protocol is not None
    if protocol not in PROTOCOLS:
        hint = f" (write {protocol.upper()!r})" if protocol.upper() in PROTOCOLS else ""
        entry.fail(f"unsupported protocol {protocol!r}{hint}; expected one of: {', '.join(PROTOCOLS)}", key="protocol")
    return protocol


# ---- small checks ---------------------------------------------------------------------------------------------------


def _items(reader: Reader, key: str, max_items: int, *, min_items: int, required: bool = False) -> list[Reader] | None:
    items = reader.children(key)
    if items is None:
        if required:
            reader.fail("required field is missing", key=key)
        return None
    if len(items) < min_items:
        reader.fail(f"should have at least {min_items} items", key=key)
    if len(items) > max_items:
        reader.fail(f"Too many: {len(items)}: must have at most {max_items} items", key=key)
    return items


def _one_of(reader: Reader, choices: tuple[str, ...]) -> str:
    """The one field of ``choices`` that is set (the API's "Exactly one field must be set")."""
    present = [c for c in choices if reader.has(c)]
    if len(present) != 1:
        got = f"got {', '.join(present)}" if present else "got none"
        reader.fail(f"exactly one field must be set: {' or '.join(choices)} ({got})")
    return present[0]


def _check_enum(reader: Reader, key: str, value: str | None, supported: tuple[str, ...]) -> None:
    if value not in supported:
        reader.fail(f"Unsupported value: {value!r}: supported values: {', '.join(repr(s) for s in supported)}", key=key)


def _check_range(reader: Reader, key: str, value: int | None, low: int, high: int) -> None:
    if value is None:
        reader.fail("required field is missing", key=key)
    if value < low:
        reader.fail(f"should be greater than or equal to {low}, got {value}", key=key)
    if value > high:
        reader.fail(f"should be less than or equal to {high}, got {value}", key=key)
