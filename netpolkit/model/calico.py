"""Calico ``projectcalico.org/v3`` policies and tiers: immutable model, strict parser.

Kinds: NetworkPolicy, GlobalNetworkPolicy, Tier, and the staged kinds StagedNetworkPolicy,
StagedGlobalNetworkPolicy and StagedKubernetesNetworkPolicy. ``crd.projectcalico.org/v1`` (the CRD storage
spelling) is accepted with a warning.

Sources (github.com/projectcalico/calico): ``api/pkg/apis/projectcalico/v3/tier.go`` (``defaultAction`` Deny |
Pass, the built-in tiers and their orders), ``api/pkg/apis/projectcalico/v3/staged*networkpolicy.go`` (the staged
specs and ``Convert*ToEnforced``), ``api/pkg/apis/projectcalico/v3/policy_common.go`` (``StagedAction``),
``libcalico-go/lib/validator/v3/validator.go`` (a staged Delete carries nothing but its tier).
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import warnings
from dataclasses import dataclass
from typing import Any

from netpolkit.model.calico_selector import Selector, SelectorSyntaxError
from netpolkit.model.calico_selector import parse as parse_selector
from netpolkit.model.fields import Reader
from netpolkit.model.k8s import NetworkPolicy, parse_network_policy
from netpolkit.model.ports import PROTOCOLS, check_port_name, is_decimal

__all__ = [
    "ACTIONS",
    "BUILTIN_TIERS",
    "STAGED_ACTIONS",
    "STAGED_KINDS",
    "TIER_ACTIONS",
    "CalicoPolicy",
    "CalicoPort",
    "CalicoRule",
    "EntityRule",
    "StagedPolicy",
    "Tier",
    "parse_calico",
]

ACTIONS = ("Allow", "Deny", "Pass", "Log")
DEFAULT_TIER = "default"
# Tier.spec.defaultAction: what happens to traffic of an endpoint that a policy of the tier selects when no rule of
# the tier decides (api/pkg/apis/projectcalico/v3/tier.go, +kubebuilder:validation:Enum=Pass;Deny, default Deny).
TIER_ACTIONS = ("Deny", "Pass")
# The tiers Calico creates itself, with the order and default action its API insists on (tier.go's XValidation
# rules; libcalico-go/lib/clientv3/client.go ensureTierExists): the cluster-admin tiers run ClusterNetworkPolicy.
BUILTIN_TIERS: dict[str, tuple[float, str]] = {
    "kube-admin": (1_000.0, "Pass"),
    DEFAULT_TIER: (1_000_000.0, "Deny"),
    "kube-baseline": (10_000_000.0, "Pass"),
}
# StagedAction (api/pkg/apis/projectcalico/v3/policy_common.go, +kubebuilder:validation:Enum=Set;Delete;Learn;Ignore).
STAGED_ACTIONS = ("Set", "Delete", "Learn", "Ignore")
# Staged kind -> the kind it becomes once committed (``Convert*ToEnforced`` in the staged*networkpolicy.go files).
STAGED_KINDS = {
    "StagedNetworkPolicy": "NetworkPolicy",  # Calico's
    "StagedGlobalNetworkPolicy": "GlobalNetworkPolicy",
    "StagedKubernetesNetworkPolicy": "NetworkPolicy",  # networking.k8s.io/v1
}
PROTOCOL_NUMBERS = {6: "TCP", 17: "UDP", 132: "SCTP", 1: "ICMP", 58: "ICMPv6", 136: "UDPLite"}
NAMED_PROTOCOLS = ("TCP", "UDP", "SCTP", "ICMP", "ICMPv6", "UDPLite")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class CalicoPort:
    """A port, a ``lo:hi`` range, or a named port (resolved against the destination endpoint)."""

    low: int = 0
    high: int = 0
    name: str = ""

    def __str__(self) -> str:
        return self.name or (str(self.low) if self.low == self.high else f"{self.low}:{self.high}")


@dataclass(frozen=True, slots=True)
class EntityRule:
    """A rule's ``source`` or ``destination``: every given criterion must match (AND)."""

    nets: tuple[IPNetwork, ...] = ()
    not_nets: tuple[IPNetwork, ...] = ()
    selector: Selector | None = None
    not_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ports: tuple[CalicoPort, ...] = ()
    not_ports: tuple[CalicoPort, ...] = ()
    service_account_names: tuple[str, ...] = ()
    service_account_selector: Selector | None = None

    @property
    def has_endpoint_selector(self) -> bool:
        """Whether the entity names endpoints by labels (so it can only match pods)."""
        return (
            self.selector is not None or self.service_account_selector is not None or bool(self.service_account_names)
        )


@dataclass(frozen=True, slots=True)
class CalicoRule:
    """One ordered rule: action, protocol, source and destination."""

    action: str
    protocol: str | None = None
    not_protocol: str | None = None
    source: EntityRule = EntityRule()
    destination: EntityRule = EntityRule()
    ip_version: int | None = None

    def __str__(self) -> str:
        proto = self.protocol or (f"not {self.not_protocol}" if self.not_protocol else "any protocol")
        return f"{self.action} {proto}"


@dataclass(frozen=True, slots=True)
class CalicoPolicy:
    """A Calico NetworkPolicy (namespaced) or GlobalNetworkPolicy (``namespace == ""``), types defaulted."""

    kind: str
    namespace: str
    name: str
    selector: Selector
    policy_types: tuple[str, ...]
    ingress: tuple[CalicoRule, ...] = ()
    egress: tuple[CalicoRule, ...] = ()
    order: float | None = None
    tier: str = DEFAULT_TIER
    namespace_selector: Selector | None = None
    service_account_selector: Selector | None = None

    api_version = "projectcalico.org/v3"

    @property
    def ref(self) -> str:
        """``NetworkPolicy ns/name (Calico)`` or ``GlobalNetworkPolicy name``."""
        if self.kind == "GlobalNetworkPolicy":
            return f"GlobalNetworkPolicy {self.name}"
        return f"Calico NetworkPolicy {self.namespace}/{self.name}"

    @property
    def sort_key(self) -> tuple[float, str]:
        """Felix's order within a tier: ``order`` ascending (none = last), then the namespaced name."""
        order = math.inf if self.order is None else self.order
        return (order, f"{self.namespace}/{self.name}" if self.namespace else self.name)

    def rules(self, direction: str) -> tuple[CalicoRule, ...]:
        """The rules that count for ``direction`` ("Ingress"/"Egress")."""
        if direction not in self.policy_types:
            return ()
        return self.ingress if direction == "Ingress" else self.egress


@dataclass(frozen=True, slots=True)
class Tier:
    """A Calico Tier: policies of lower-order tiers run first; a missing order runs last.

    ``default_action`` (``spec.defaultAction``, Calico >= 3.29): what ends the tier for an endpoint that one of its
    policies selects when no rule decided: ``"Deny"`` (the default) blocks, ``"Pass"`` goes on to the next tier
    (felix/rules/endpoints.go renders the end-of-tier drop only when the tier's default action is not Pass).
    """

    name: str
    order: float | None = None
    default_action: str = "Deny"

    kind = "Tier"
    namespace = ""

    @property
    def ref(self) -> str:
        """``Tier name``."""
        return f"Tier {self.name}"


@dataclass(frozen=True, slots=True)
class StagedPolicy:
    """A Calico staged policy: previewed, never enforced.

    ``StagedNetworkPolicy`` and ``StagedGlobalNetworkPolicy`` carry a Calico policy spec,
    ``StagedKubernetesNetworkPolicy`` a Kubernetes NetworkPolicy spec, each plus ``stagedAction`` (default ``Set``).
    Committing one (Calico's ``Convert*ToEnforced``) makes the enforced policy of the same namespace and name:
    ``Set`` creates or replaces it with ``policy``, ``Delete`` removes it (a Delete carries no spec but its tier, so
    ``policy`` is None). ``Learn`` and ``Ignore`` are the states of Calico Enterprise's policy recommendation:
    parsed, never committed by netpolkit.
    """

    kind: str
    namespace: str
    name: str
    staged_action: str
    policy: CalicoPolicy | NetworkPolicy | None = None
    tier: str | None = DEFAULT_TIER  # None for StagedKubernetesNetworkPolicy (its policies run in the default tier)

    api_version = "projectcalico.org/v3"

    @property
    def ref(self) -> str:
        """``StagedNetworkPolicy ns/name``, ``StagedGlobalNetworkPolicy name``."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def target(self) -> tuple[str, str, str]:
        """The identity (as ``object_key`` spells it) of the enforced policy that committing this one writes."""
        enforced = STAGED_KINDS[self.kind]
        kind = enforced if self.kind == "StagedKubernetesNetworkPolicy" else f"projectcalico.org/{enforced}"
        return (kind, self.namespace, self.name)

    @property
    def target_ref(self) -> str:
        """How the enforced policy it writes is named: ``NetworkPolicy a/x``, ``Calico NetworkPolicy a/x``, ..."""
        if self.kind == "StagedKubernetesNetworkPolicy":
            return f"NetworkPolicy {self.namespace}/{self.name}"
        if self.kind == "StagedGlobalNetworkPolicy":
            return f"GlobalNetworkPolicy {self.name}"
        return f"Calico NetworkPolicy {self.namespace}/{self.name}"


def _selector(reader: Reader, key: str) -> Selector | None:
    text = reader.string(key)
    if text is None:
        return None
    try:
        return parse_selector(text)
    except SelectorSyntaxError as exc:
        reader.fail(str(exc), key=key)


def _nets(reader: Reader, key: str) -> tuple[IPNetwork, ...]:
    out = []
    for i, text in enumerate(reader.list(key) or ()):
        if not isinstance(text, str):
            reader.fail(f"expected a CIDR string, got {text!r}", key=f"{key}[{i}]")
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            reader.fail(f"{text!r} is not a valid CIDR or IP address", key=f"{key}[{i}]")
    return tuple(out)


def _ports(reader: Reader, key: str) -> tuple[CalicoPort, ...]:
    out = []
    for i, value in enumerate(reader.list(key) or ()):
        path = f"{key}[{i}]"
        if isinstance(value, int) and not isinstance(value, bool):
            low = high = value
        elif isinstance(value, str) and ":" in value:
            lo_text, _, hi_text = value.partition(":")
            if not (is_decimal(lo_text) and is_decimal(hi_text)):
                reader.fail(f"port range {value!r} must be 'low:high' with numbers", key=path)
            low, high = int(lo_text), int(hi_text)
            if low > high:
                reader.fail(f"port range {value!r}: low must not exceed high", key=path)
        elif isinstance(value, str) and is_decimal(value):
            low = high = int(value)
        elif isinstance(value, str):
            if problem := check_port_name(value):
                reader.fail(problem, key=path)
            out.append(CalicoPort(name=value))
            continue
        else:
            reader.fail(f"expected a port number, 'low:high' range or port name, got {value!r}", key=path)
        if not (0 <= low <= 65535 and 0 <= high <= 65535):
            reader.fail(f"ports must be 0-65535, got {value!r}", key=path)
        out.append(CalicoPort(low, high))
    return tuple(out)


def _entity(reader: Reader | None, *, is_source: bool) -> EntityRule:
    if reader is None:
        return EntityRule()
    reader.only(
        (
            "nets",
            "notNets",
            "selector",
            "notSelector",
            "namespaceSelector",
            "ports",
            "notPorts",
            "serviceAccounts",
        )
    )
    if is_source:
        for key in ("ports", "notPorts"):
            if reader.has(key):
                reader.unsupported("source ports", key, ignored="left out: the rule matches any source port")
    names: tuple[str, ...] = ()
    account_selector = None
    accounts = reader.child("serviceAccounts")
    if accounts is not None:
        accounts.only(("names", "selector"))
        raw = accounts.list("names") or []
        for i, name in enumerate(raw):
            if not isinstance(name, str):
                accounts.fail(f"expected a string, got {name!r}", key=f"names[{i}]")
        names = tuple(raw)
        account_selector = _selector(accounts, "selector")
    return EntityRule(
        nets=_nets(reader, "nets"),
        not_nets=_nets(reader, "notNets"),
        selector=_selector(reader, "selector"),
        not_selector=_selector(reader, "notSelector"),
        namespace_selector=_selector(reader, "namespaceSelector"),
        ports=_ports(reader, "ports"),
        not_ports=_ports(reader, "notPorts"),
        service_account_names=names,
        service_account_selector=account_selector,
    )


def _protocol(reader: Reader, key: str) -> str | None:
    value = reader.raw(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= 255:
            reader.fail(f"protocol number must be 1-255, got {value}", key=key)
        return PROTOCOL_NUMBERS.get(value, str(value))
    if isinstance(value, str):
        if value in NAMED_PROTOCOLS:
            return value
        if is_decimal(value):
            if not 1 <= int(value) <= 255:
                reader.fail(f"protocol number must be 1-255, got {value!r}", key=key)
            return PROTOCOL_NUMBERS.get(int(value), str(int(value)))
        matches = [p for p in NAMED_PROTOCOLS if p.lower() == value.lower()]
        if matches:
            return matches[0]
    reader.fail(f"unknown protocol {value!r}; expected one of {', '.join(NAMED_PROTOCOLS)} or a number", key=key)


def _rule(reader: Reader) -> CalicoRule:
    if reader.has("http"):
        reader.unsupported("http (L7) match", "http", ignored="left out: the rule is taken to match the whole port")
    reader.only(
        ("action", "protocol", "notProtocol", "source", "destination", "ipVersion", "http"),
        ignore=("icmp", "notICMP", "metadata"),
    )
    action = reader.string("action", required=True)
    if action not in ACTIONS:
        hint = [a for a in ACTIONS if a.lower() == str(action).lower()]
        extra = f" (write {hint[0]!r})" if hint else ""
        reader.fail(f"unknown action {action!r}{extra}; expected one of: {', '.join(ACTIONS)}", key="action")
    protocol = _protocol(reader, "protocol")
    not_protocol = _protocol(reader, "notProtocol")
    source = _entity(reader.child("source"), is_source=True)
    destination = _entity(reader.child("destination"), is_source=False)
    if (destination.ports or destination.not_ports) and protocol not in PROTOCOLS:
        reader.fail(
            "rules with ports need protocol TCP, UDP or SCTP (Calico rejects them: protocol does not support ports)",
            key="protocol",
        )
    ip_version = reader.typed("ipVersion", int)
    if ip_version not in (None, 4, 6):
        reader.fail(f"ipVersion must be 4 or 6, got {ip_version}", key="ipVersion")
    assert action is not None
    return CalicoRule(action, protocol, not_protocol, source, destination, ip_version)


def _parse_policy(doc: Reader, namespace: str, name: str, kind: str) -> CalicoPolicy | None:
    spec = doc.child("spec")
    if spec is None:
        spec = Reader({}, "spec", doc.where, doc.sink)
    allowed = ["order", "tier", "selector", "types", "ingress", "egress", "serviceAccountSelector"]
    ignore = ["performanceHints"]
    if kind == "GlobalNetworkPolicy":
        allowed.append("namespaceSelector")
        ignore += ["doNotTrack", "preDNAT", "applyOnForward"]  # read just below: only their false is modelled
    spec.only(allowed, ignore=ignore)
    for option in ("doNotTrack", "preDNAT", "applyOnForward"):
        if spec.raw(option):
            spec.unsupported(
                f"{option} (a host-endpoint policy)", option, ignored="policy left out (it applies to host endpoints)"
            )
            return None
    order = spec.raw("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int | float)):
        spec.fail(f"expected a number, got {order!r}", key="order")
    if order is not None and not math.isfinite(order):
        spec.fail(f"must be a finite number, got {order!r}", key="order")
    ingress = tuple(_rule(r) for r in spec.children("ingress") or ())
    egress = tuple(_rule(r) for r in spec.children("egress") or ())
    types_raw = spec.list("types")
    if types_raw is None:
        # Calico's defaulting: Ingress if no egress rules, Egress if only egress rules, both if both.
        types: tuple[str, ...] = (
            ("Egress",) if egress and not ingress else (("Ingress", "Egress") if egress else ("Ingress",))
        )
    else:
        for i, value in enumerate(types_raw):
            if value not in ("Ingress", "Egress"):
                spec.fail(f"must be Ingress or Egress, got {value!r}", key=f"types[{i}]")
        types = tuple(t for t in ("Ingress", "Egress") if t in types_raw)
    tier = spec.string("tier", default=DEFAULT_TIER) or DEFAULT_TIER
    return CalicoPolicy(
        kind=kind,
        namespace=namespace,
        name=name,
        selector=_selector(spec, "selector") or parse_selector("all()"),
        policy_types=types,
        ingress=ingress,
        egress=egress,
        order=float(order) if order is not None else None,
        tier=tier,
        namespace_selector=_selector(spec, "namespaceSelector"),
        service_account_selector=_selector(spec, "serviceAccountSelector"),
    )


def _choice(reader: Reader, key: str, choices: tuple[str, ...], default: str) -> str:
    """A string field that must be one of ``choices`` (exact case, as Calico's enums are)."""
    value = reader.string(key, default=default)
    if value not in choices:
        hint = [c for c in choices if c.lower() == str(value).lower()]
        extra = f" (write {hint[0]!r})" if hint else ""
        reader.fail(f"unknown {key} {value!r}{extra}; expected one of: {', '.join(choices)}", key=key)
    assert value is not None
    return value


def _parse_tier(doc: Reader, namespace: str, name: str) -> Tier:
    spec = doc.child("spec")
    if spec is None:
        spec = Reader({}, "spec", doc.where, doc.sink)
    spec.only(("order", "defaultAction"))
    raw = spec.raw("order")
    if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int | float)):
        spec.fail(f"expected a number, got {raw!r}", key="order")
    if raw is not None and not math.isfinite(raw):
        spec.fail(f"must be a finite number, got {raw!r}", key="order")
    order = float(raw) if raw is not None else None
    action = _choice(spec, "defaultAction", TIER_ACTIONS, "Deny")
    if name in BUILTIN_TIERS:  # Calico's API rejects any other order or default action for its own tiers
        want_order, want_action = BUILTIN_TIERS[name]
        if order != want_order:
            spec.fail(f"the {name} tier is Calico's own: its order must be {want_order:.0f}, got {raw!r}", "order")
        if action != want_action:
            spec.fail(f"the {name} tier is Calico's own: its defaultAction must be {want_action}", "defaultAction")
    return Tier(name, order, action)


_DELETE_KEEPS = {"StagedNetworkPolicy": ("tier", "types"), "StagedGlobalNetworkPolicy": ("tier", "types")}


def _zero(value: Any) -> bool:
    """Whether a field holds its Go zero value (what a staged Delete must leave every other field at)."""
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


def _parse_staged(doc: Reader, namespace: str, name: str, kind: str) -> StagedPolicy:
    """A staged policy: ``stagedAction`` and a spec of the kind it becomes (checked by that kind's parser)."""
    spec = doc.child("spec", required=True)
    assert spec is not None
    action = _choice(spec, "stagedAction", STAGED_ACTIONS, "Set")
    for key in spec.data:  # the spec's own parser knows every field but this one
        if key != "stagedAction" and difflib.get_close_matches(str(key).lower(), ["stagedaction"], cutoff=0.75):
            spec.fail(f"unknown field {key!r} (did you mean 'stagedAction'?)", key=str(key))
    rest = {k: v for k, v in spec.data.items() if k != "stagedAction"}
    is_k8s = kind == "StagedKubernetesNetworkPolicy"
    tier = None if is_k8s else (spec.string("tier", default=DEFAULT_TIER) or DEFAULT_TIER)
    if action == "Delete":
        # validator.go: "Spec fields, except Tier, should all be zero-value if stagedAction is Delete" (clientv3
        # clears Types first); a Delete names the enforced policy to remove and nothing else.
        inner = Reader(rest, spec.path, spec.where, spec.sink)
        if is_k8s:
            inner.only(("podSelector", "policyTypes", "ingress", "egress"))
        else:
            allowed = ["order", "tier", "selector", "types", "ingress", "egress", "serviceAccountSelector"]
            allowed += ["performanceHints"]
            if kind == "StagedGlobalNetworkPolicy":
                allowed += ["namespaceSelector", "doNotTrack", "preDNAT", "applyOnForward"]
            inner.only(allowed)
        keeps = _DELETE_KEEPS.get(kind, ())
        for key, value in rest.items():
            if key not in keeps and not _zero(value):
                inner.fail(
                    "must be empty when stagedAction is Delete: a Delete carries only the name"
                    + (" and tier" if not is_k8s else "")
                    + " of the policy it removes",
                    key=str(key),
                )
        return StagedPolicy(kind, namespace, name, action, None, tier)
    inner_doc = Reader({**doc.data, "spec": rest}, doc.path, doc.where, doc.sink)
    if is_k8s:
        policy: CalicoPolicy | NetworkPolicy = parse_network_policy(inner_doc, namespace, name)
    else:
        enforced = STAGED_KINDS[kind]
        policy = _parse_policy(inner_doc, namespace if enforced == "NetworkPolicy" else "", name, enforced)
        if policy is None:  # left out under unsupported="ignore"
            return None
    return StagedPolicy(kind, namespace, name, action, policy, tier)


def parse_calico(kind: str, *, legacy: bool = False) -> Any:
    """A parser for ``parse_object`` for one Calico kind (``legacy``: the crd.projectcalico.org/v1 spelling)."""

    def parse(doc: Reader, namespace: str, name: str) -> Any:
        if legacy:
            warnings.warn(
                f"{doc.where.obj}: crd.projectcalico.org/v1 is Calico's storage format; "
                "write projectcalico.org/v3 (read here as v3)",
                stacklevel=2,
            )
        if kind == "Tier":
            return _parse_tier(doc, namespace, name)
        if kind in STAGED_KINDS:
            return _parse_staged(doc, namespace if kind != "StagedGlobalNetworkPolicy" else "", name, kind)
        return _parse_policy(doc, namespace if kind == "NetworkPolicy" else "", name, kind)

    return parse
