"""CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2, L3/L4): parser, dialect, verdicts.

Sources (cilium/cilium): ``pkg/policy/api/{rule,ingress,egress,entity,cidr,l4,selector}.go`` and
``rule_validation.go``, ``pkg/k8s/apis/cilium.io/utils`` (namespace defaulting, default deny),
``pkg/policy/rule.go`` (ANY = TCP, UDP, SCTP), ``Documentation/security/policy/*.rst``. The documented examples
live as data under ``tests/data/cilium/`` and run through the public API on both engines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import netpolkit as npk
from netpolkit.engine.columns import Columns
from netpolkit.engine.dialects import DIALECTS, dialect_class
from netpolkit.engine.dialects.cilium import Cilium
from netpolkit.engine.plan import NAMESPACE
from netpolkit.engine.profiles import get_profile
from netpolkit.errors import PolicyError, Where
from netpolkit.model import parse_object
from netpolkit.model.cilium import CLUSTERWIDE, NAMESPACED, CiliumPolicy, CiliumPort
from netpolkit.model.fields import Unsupported
from netpolkit.model.ports import PortQuery

DATA = Path(__file__).parent / "data" / "cilium"


# ---- helpers --------------------------------------------------------------------------------------------------


def policy(spec: str | None, kind: str = NAMESPACED, *, name: str = "p", namespace: str = "shop", **top: Any) -> dict:
    """A Cilium policy document from a ``spec`` in YAML (``None``: no spec) and other top-level fields."""
    meta: dict[str, Any] = {"name": name}
    if kind == NAMESPACED:
        meta["namespace"] = namespace
    doc: dict[str, Any] = {"apiVersion": "cilium.io/v2", "kind": kind, "metadata": meta}
    if spec is not None:
        doc["spec"] = yaml.safe_load(spec)
    doc.update(top)
    return doc


def parse(doc: dict, mode: str = "error") -> tuple[CiliumPolicy, list[str]]:
    sink = Unsupported(mode)
    return parse_object(doc, Where("test.yaml", 0), unsupported=sink), sink.warnings


def world_objects(world: dict) -> list[dict]:
    """Namespaces and pods of a data file's ``world`` (pods get IPs 10.244.0.1, 10.244.0.2, ...)."""
    objects: list[dict] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": labels or {}}}
        for n, labels in world["namespaces"].items()
    ]
    accounts, ports, host = world.get("accounts", {}), world.get("ports", {}), world.get("hostNetwork", [])
    for i, (pod, labels) in enumerate(world["pods"].items()):
        ns, name = pod.split("/")
        spec: dict[str, Any] = {"containers": [{"name": "c", "ports": ports.get(pod, [])}]}
        if pod in accounts:
            spec["serviceAccountName"] = accounts[pod]
        if pod in host:
            spec["hostNetwork"] = True
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
                "spec": spec,
                "status": {"podIP": f"10.244.0.{i + 1}"},
            }
        )
    return objects


def cluster(world: dict, policies: str) -> npk.Cluster:
    objects = world_objects(world) + [d for d in yaml.safe_load_all(policies) if d]
    return npk.Cluster.from_objects(objects, world.get("externals", {}))


def verdicts(world: dict, policies: str, expect: list) -> None:
    """Check ``[from, to, port, allowed]`` verdicts on both engines, profile cilium."""
    c = cluster(world, policies)
    ports = sorted({e[2] for e in expect})
    for engine in ("vectorized", "reference"):
        reach = npk.reachability(c, ports=ports, profile="cilium", engine=engine)
        got = [[*e[:3], bool(reach.allowed(e[0], e[1], e[2]))] for e in expect]
        assert got == [list(e[:4]) for e in expect], engine


# ---- parsing: what each field becomes ---------------------------------------------------------------------------

PARSED = [
    # id, kind, spec, direction, [str(rule) ...]
    (
        "l3-endpoints",
        NAMESPACED,
        "{endpointSelector: {}, ingress: [{fromEndpoints: [{matchLabels: {role: web}}]}]}",
        "Ingress",
        ["allow endpoints [role=web] on any port"],
    ),
    (
        "l4-only-every-peer",
        NAMESPACED,
        "{endpointSelector: {}, egress: [{toPorts: [{ports: [{port: '80', protocol: TCP}]}]}]}",
        "Egress",
        ["allow anyone on TCP/80"],
    ),
    ("empty-rule-nothing", NAMESPACED, "{endpointSelector: {}, egress: [{}]}", "Egress", ["allow no peer on any port"]),
    (
        "empty-peer-list-nothing",
        NAMESPACED,
        "{endpointSelector: {}, ingress: [{fromEndpoints: [], toPorts: [{ports: [{port: '80'}]}]}]}",
        "Ingress",
        ["allow no peer on ANY/80"],
    ),
    (
        "empty-toPorts-every-port",
        NAMESPACED,
        "{endpointSelector: {}, ingress: [{fromEntities: [world], toPorts: []}]}",
        "Ingress",
        ["allow entity world on any port"],
    ),
    (
        "entities",
        CLUSTERWIDE,
        "{endpointSelector: {}, ingress: [{fromEntities: [all, world, cluster, none]}]}",
        "Ingress",
        ["allow entity all or entity world or entity cluster or entity none on any port"],
    ),
    (
        "cidr-and-cidrset",
        NAMESPACED,
        "{endpointSelector: {}, egress: [{toCIDR: [20.1.1.1/32, '2001:db8::/32']},"
        " {toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.96.0.0/12]}]}]}",
        "Egress",
        [
            "allow CIDR 20.1.1.1/32 or CIDR 2001:db8::/32 on any port",
            "allow CIDR 10.0.0.0/8 except 10.96.0.0/12 on any port",
        ],
    ),
    (
        "ports-range-name-protocols",
        NAMESPACED,
        "{endpointSelector: {}, ingress: [{toPorts: [{ports: [{port: '80', endPort: 90, protocol: TCP},"
        " {port: HTTP-Alt}, {port: '53', protocol: UDP}, {port: '7', endPort: 7, protocol: SCTP}]}]}]}",
        "Ingress",
        ["allow anyone on TCP/80-90, ANY/http-alt, UDP/53, SCTP/7"],
    ),
    (
        "deny-sections",
        NAMESPACED,
        "{endpointSelector: {}, ingressDeny: [{fromEntities: [world]}],"
        " egressDeny: [{toPorts: [{ports: [{port: '25'}]}]}]}",
        "Egress",
        ["deny anyone on ANY/25"],
    ),
    (
        "icmps-only",
        NAMESPACED,
        "{endpointSelector: {}, egress: [{icmps: [{fields: [{type: 8, family: IPv4},"
        " {type: EchoRequest, family: IPv6}]}]}]}",
        "Egress",
        ["allow no peer on ICMP only"],
    ),
    (
        "authentication-disabled",
        NAMESPACED,
        "{endpointSelector: {}, ingress: [{fromEntities: [cluster], authentication: {mode: disabled}}]}",
        "Ingress",
        ["allow entity cluster on any port"],
    ),
    (
        "metadata-fields",
        NAMESPACED,
        "{endpointSelector: {}, description: d, labels: [{key: k, value: v, source: unspec}], log: {value: x},"
        " ingress: [{fromEntities: [world]}]}",
        "Ingress",
        ["allow entity world on any port"],
    ),
]


@pytest.mark.parametrize(("case", "kind", "spec", "direction", "expected"), PARSED, ids=[c[0] for c in PARSED])
def test_parsed_rules(case: str, kind: str, spec: str, direction: str, expected: list[str]) -> None:
    """Peers, ports and protocols as read (``pkg/policy/api/{ingress,egress,l4,cidr,entity}.go``; a string port
    is a number or a name, names compare lowercased; ANY when no protocol)."""
    parsed, warnings = parse(policy(spec, kind))
    assert [str(r) for r in parsed.rules(direction)] == expected
    assert warnings == []


SELECTORS = [
    # id, kind, spec, str of the effective subject selector, str of the first peer selector
    (
        "namespaced-defaults",
        NAMESPACED,
        "{endpointSelector: {matchLabels: {app: db}}, ingress: [{fromEndpoints: [{matchLabels: {k8s:app: web}}]}]}",
        "any:app=db,k8s:io.kubernetes.pod.namespace=shop",
        "k8s:app=web,k8s:io.kubernetes.pod.namespace=shop",
    ),
    (
        "namespaced-subject-namespace-replaced",
        NAMESPACED,
        "{endpointSelector: {matchLabels: {k8s:io.kubernetes.pod.namespace: other}}, ingress: [{fromEndpoints: [{}]}]}",
        "k8s:io.kubernetes.pod.namespace=shop",
        "k8s:io.kubernetes.pod.namespace=shop",
    ),
    (
        "peer-names-namespace",
        NAMESPACED,
        "{endpointSelector: {}, ingress: [{fromEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: ns2}}]}]}",
        "k8s:io.kubernetes.pod.namespace=shop",
        "any:io.kubernetes.pod.namespace=ns2",
    ),
    (
        "peer-namespace-expression",
        CLUSTERWIDE,
        "{endpointSelector: {}, ingress: [{fromEndpoints: [{matchExpressions: [{key: k8s:io.kubernetes.pod.namespace,"
        " operator: NotIn, values: [kube-system]}]}]}]}",
        "{}",
        "k8s:io.kubernetes.pod.namespace notin (kube-system)",
    ),
    (
        "clusterwide-peer-exists",
        CLUSTERWIDE,
        "{endpointSelector: {matchLabels: {app: db}}, egress: [{toEndpoints: [{}]}]}",
        "any:app=db",
        "k8s:io.kubernetes.pod.namespace",
    ),
    (
        "service-account-and-expressions",
        CLUSTERWIDE,
        "{endpointSelector: {matchExpressions: [{key: tier, operator: Exists}]}, ingress: [{fromEndpoints:"
        " [{matchLabels: {io.cilium.k8s.policy.serviceaccount: luke}, matchExpressions: [{key: k8s:env,"
        " operator: In, values: [prod, dev]}]}]}]}",
        "any:tier",
        "any:io.cilium.k8s.policy.serviceaccount=luke,k8s:env in (dev,prod),k8s:io.kubernetes.pod.namespace",
    ),
    (
        "clusterwide-namespace-labels",
        CLUSTERWIDE,
        "{endpointSelector: {}, ingress: [{fromEndpoints:"
        " [{matchLabels: {k8s:io.cilium.k8s.namespace.labels.team: a}}]}]}",
        "{}",
        "k8s:io.cilium.k8s.namespace.labels.team=a,k8s:io.kubernetes.pod.namespace",
    ),
]


@pytest.mark.parametrize(("case", "kind", "spec", "subject", "peer"), SELECTORS, ids=[c[0] for c in SELECTORS])
def test_selector_defaulting(case: str, kind: str, spec: str, subject: str, peer: str) -> None:
    """Label sources (``selector.go``: ``src:key`` keeps the source, a bare key is ``any``) and namespace
    defaulting (``pkg/k8s/apis/cilium.io/utils``: ``ParseCiliumRule`` always sets the policy's namespace on a
    CiliumNetworkPolicy's endpointSelector; ``getEndpointSelector`` adds it, or Exists clusterwide, to a peer
    selector that names no ``io.kubernetes.pod.namespace``)."""
    parsed, _ = parse(policy(spec, kind))
    (spec_,) = parsed.specs
    assert str(spec_.subject.selector) == subject
    rule = (spec_.ingress or spec_.egress)[0]
    assert str(rule.endpoints[0].selector) == peer


def test_spec_and_specs_both_count() -> None:
    """``ParseCiliumNetworkPolicy`` takes ``spec`` and then every ``specs`` entry; each rule knows its spec."""
    doc = policy(
        "{endpointSelector: {matchLabels: {a: '1'}}, ingress: [{fromEntities: [world]}]}",
        specs=[
            {"endpointSelector": {"matchLabels": {"b": "1"}}, "ingress": [{"fromEntities": ["cluster"]}]},
            {"endpointSelector": {"matchLabels": {"c": "1"}}, "ingressDeny": [{"fromEntities": ["all"]}]},
        ],
    )
    parsed, _ = parse(doc)
    assert len(parsed.specs) == 3
    assert [(r.spec, r.path, r.number, r.deny) for r in parsed.rules("Ingress")] == [
        (0, "spec.ingress[0]", 1, False),
        (1, "specs[0].ingress[0]", 1, False),
        (2, "specs[1].ingressDeny[0]", 1, True),
    ]
    assert parsed.ref == "CiliumNetworkPolicy shop/p"


DEFAULT_DENY = [
    # id, spec, (ingress, egress)
    ("ingress-section", "{endpointSelector: {}, ingress: [{}]}", (True, False)),
    ("ingressDeny-section", "{endpointSelector: {}, ingressDeny: [{fromEntities: [world]}]}", (True, False)),
    ("egress-section", "{endpointSelector: {}, egress: [{toEntities: [all]}]}", (False, True)),
    ("empty-lists", "{endpointSelector: {}, ingress: [], egress: []}", (False, False)),
    ("no-sections", "{endpointSelector: {}}", (False, False)),
    ("explicit-false", "{endpointSelector: {}, enableDefaultDeny: {ingress: false}, ingress: [{}]}", (False, False)),
    ("explicit-true", "{endpointSelector: {}, enableDefaultDeny: {egress: true}, ingress: [{}]}", (True, True)),
]


@pytest.mark.parametrize(("case", "spec", "expected"), DEFAULT_DENY, ids=[c[0] for c in DEFAULT_DENY])
def test_default_deny(case: str, spec: str, expected: tuple[bool, bool]) -> None:
    """``rule.go`` EnableDefaultDeny: "If not specified, the default is true for each traffic direction that has
    rules, and false otherwise" (``evaluateDefaultDenyForRule``: ``len(Ingress) > 0 || len(IngressDeny) > 0``)."""
    parsed, _ = parse(policy(spec))
    dialect = Cilium(npk.Cluster.from_objects([]).table, get_profile("cilium"))
    assert (dialect.isolates(parsed, "Ingress"), dialect.isolates(parsed, "Egress")) == expected


def test_cilium_port_protocols() -> None:
    """``l4.go``: protocol omitted or ANY = any protocol, expanded to TCP, UDP and SCTP (``pkg/policy/rule.go``)."""
    assert CiliumPort("ANY", 53).protocols == ("TCP", "UDP", "SCTP")
    assert CiliumPort("UDP", 53).protocols == ("UDP",)
    assert CiliumPort("ICMP", 1).protocols == ()
    assert CiliumPort("ANY", "dns").matches(PortQuery("SCTP", 53), {("dns", "SCTP"): 53})
    assert not CiliumPort("TCP", "dns").matches(PortQuery("UDP", 53), {("dns", "UDP"): 53})


# ---- errors: Cilium (or its CRD) rejects these -------------------------------------------------------------------

SEL = "endpointSelector: {}"
ERRORS = [
    # id, kind, document (spec YAML, or a whole dict), path, message fragment
    ("top-level-field", NAMESPACED, policy("{endpointSelector: {}}", description="x"), "description", "unknown field"),
    ("no-spec", NAMESPACED, policy(None), "spec", "needs spec or specs"),
    ("spec-field", NAMESPACED, f"{{{SEL}, ingres: []}}", "spec.ingres", "did you mean 'ingress'"),
    (
        "metadata-field",
        NAMESPACED,
        {**policy("{endpointSelector: {}}"), "metadata": {"name": "p", "x": 1}},
        "metadata.x",
        "unknown field",
    ),
    ("no-endpointSelector", NAMESPACED, "{ingress: [{}]}", "spec.endpointSelector", "required field is missing"),
    (
        "both-selectors",
        CLUSTERWIDE,
        "{endpointSelector: {}, nodeSelector: {}}",
        "spec.nodeSelector",
        "mutually exclusive",
    ),
    (
        "nodeSelector-namespaced",
        NAMESPACED,
        "{nodeSelector: {}}",
        "spec.nodeSelector",
        "only be used in a CiliumClusterwide",
    ),
    (
        "selector-field",
        NAMESPACED,
        "{endpointSelector: {matchLabel: {}}}",
        "spec.endpointSelector.matchLabel",
        "unknown field",
    ),
    (
        "label-value",
        NAMESPACED,
        "{endpointSelector: {matchLabels: {app: 'a b'}}}",
        "spec.endpointSelector.matchLabels.app",
        "label value",
    ),
    (
        "label-value-type",
        NAMESPACED,
        "{endpointSelector: {matchLabels: {app: 1}}}",
        "spec.endpointSelector.matchLabels.app",
        "must be a string",
    ),
    (
        "empty-source",
        NAMESPACED,
        "{endpointSelector: {matchLabels: {':app': a}}}",
        "spec.endpointSelector.matchLabels.:app",
        "empty source",
    ),
    (
        "bad-key",
        NAMESPACED,
        "{endpointSelector: {matchLabels: {'k8s:-app': a}}}",
        "spec.endpointSelector.matchLabels.k8s:-app",
        "label key name",
    ),
    (
        "operator-case",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEndpoints: [{{matchExpressions: [{{key: a, operator: in, values: [x]}}]}}]}}]}}",
        "spec.ingress[0].fromEndpoints[0].matchExpressions[0].operator",
        "write 'In'",
    ),
    (
        "in-without-values",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEndpoints: [{{matchExpressions: [{{key: a, operator: In}}]}}]}}]}}",
        "spec.ingress[0].fromEndpoints[0].matchExpressions[0].values",
        "non-empty list",
    ),
    (
        "exists-with-values",
        NAMESPACED,
        "{endpointSelector: {matchExpressions: [{key: a, operator: Exists, values: [x]}]}}",
        "spec.endpointSelector.matchExpressions[0].values",
        "takes no values",
    ),
    (
        "unknown-entity",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEntities: [wrld]}}]}}",
        "spec.ingress[0].fromEntities[0]",
        "unknown entity",
    ),
    (
        "combine-l3",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEndpoints: [{{}}], fromCIDR: [10.0.0.0/8]}}]}}",
        "spec.ingress[0].fromCIDR",
        "Cilium rejects combining fromEndpoints and fromCIDR",
    ),
    (
        "combine-cidr-kinds",
        NAMESPACED,
        f"{{{SEL}, egressDeny: [{{toCIDR: [10.0.0.0/8], toCIDRSet: [{{cidr: 10.0.0.0/8}}]}}]}}",
        "spec.egressDeny[0].toCIDRSet",
        "Cilium rejects combining",
    ),
    (
        "cidr-no-prefix",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toCIDR: [1.2.3.4]}}]}}",
        "spec.egress[0].toCIDR[0]",
        "prefix length",
    ),
    (
        "cidr-invalid",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toCIDR: [300.0.0.0/8]}}]}}",
        "spec.egress[0].toCIDR[0]",
        "not a valid CIDR",
    ),
    (
        "cidr-type",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toCIDR: [5]}}]}}",
        "spec.egress[0].toCIDR[0]",
        "expected a CIDR string",
    ),
    (
        "cidrset-no-cidr",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toCIDRSet: [{{except: []}}]}}]}}",
        "spec.egress[0].toCIDRSet[0].cidr",
        "required",
    ),
    (
        "except-outside",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toCIDRSet: [{{cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}}]}}",
        "spec.egress[0].toCIDRSet[0].except[0]",
        "not inside cidr",
    ),
    (
        "except-family",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toCIDRSet: [{{cidr: 10.0.0.0/8, except: ['::/64']}}]}}]}}",
        "spec.egress[0].toCIDRSet[0].except[0]",
        "not inside cidr",
    ),
    (
        "port-number-unquoted",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: 80}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].port",
        'write port: "80"',
    ),
    (
        "port-missing",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{protocol: TCP}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].port",
        "required",
    ),
    (
        "port-range",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '70000'}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].port",
        "0-65535",
    ),
    (
        "port-octal",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '080'}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].port",
        "octal",
    ),
    (
        "port-name",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: -web}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].port",
        "port name",
    ),
    (
        "endport-below",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '90', endPort: 80}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].endPort",
        "greater than or equal to port 90",
    ),
    (
        "endport-type",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '90', endPort: '95'}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].endPort",
        "expected an integer",
    ),
    (
        "protocol-case",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: tcp}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].protocol",
        "write 'TCP'",
    ),
    (
        "protocol-unknown",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80', protocol: GRE}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].protocol",
        "unsupported protocol",
    ),
    (
        "port-field",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{prot: '80'}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].prot",
        "unknown field",
    ),
    (
        "deny-l7",
        NAMESPACED,
        f"{{{SEL}, ingressDeny: [{{toPorts: [{{ports: [{{port: '80'}}], rules: {{}}}}]}}]}}",
        "spec.ingressDeny[0].toPorts[0].rules",
        "unknown field",
    ),
    (
        "deny-auth",
        NAMESPACED,
        f"{{{SEL}, egressDeny: [{{authentication: {{mode: required}}}}]}}",
        "spec.egressDeny[0].authentication",
        "unknown field",
    ),
    (
        "ingress-toFQDNs",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toFQDNs: []}}]}}",
        "spec.ingress[0].toFQDNs",
        "unknown field",
    ),
    (
        "egressDeny-toFQDNs",
        NAMESPACED,
        f"{{{SEL}, egressDeny: [{{toFQDNs: []}}]}}",
        "spec.egressDeny[0].toFQDNs",
        "unknown field",
    ),
    (
        "l7-field",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80'}}], rules: {{htp: []}}}}]}}]}}",
        "spec.ingress[0].toPorts[0].rules.htp",
        "did you mean 'http'",
    ),
    (
        "icmps-with-toPorts",
        NAMESPACED,
        f"{{{SEL}, egress: [{{icmps: [{{fields: [{{type: 8}}]}}], toPorts: [{{ports: [{{port: '80'}}]}}]}}]}}",
        "spec.egress[0].icmps",
        "without toPorts",
    ),
    (
        "icmp-family",
        NAMESPACED,
        f"{{{SEL}, egress: [{{icmps: [{{fields: [{{type: 8, family: v4}}]}}]}}]}}",
        "spec.egress[0].icmps[0].fields[0].family",
        "IPv4 or IPv6",
    ),
    (
        "icmp-type",
        NAMESPACED,
        f"{{{SEL}, egress: [{{icmps: [{{fields: [{{type: 300}}]}}]}}]}}",
        "spec.egress[0].icmps[0].fields[0].type",
        "0-255",
    ),
    (
        "icmp-no-type",
        NAMESPACED,
        f"{{{SEL}, egress: [{{icmps: [{{fields: [{{family: IPv4}}]}}]}}]}}",
        "spec.egress[0].icmps[0].fields[0].type",
        "required",
    ),
    (
        "default-deny-type",
        NAMESPACED,
        f"{{{SEL}, enableDefaultDeny: {{ingress: 'no'}}}}",
        "spec.enableDefaultDeny.ingress",
        "expected a boolean",
    ),
    (
        "default-deny-field",
        NAMESPACED,
        f"{{{SEL}, enableDefaultDeny: {{ingres: false}}}}",
        "spec.enableDefaultDeny.ingres",
        "unknown field",
    ),
    ("labels-key", NAMESPACED, f"{{{SEL}, labels: [{{value: v}}]}}", "spec.labels[0].key", "required"),
    ("description-type", NAMESPACED, f"{{{SEL}, description: [x]}}", "spec.description", "expected a string"),
    (
        "auth-mode",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{authentication: {{}}}}]}}",
        "spec.ingress[0].authentication.mode",
        "required",
    ),
    ("rule-not-mapping", NAMESPACED, f"{{{SEL}, ingress: [x]}}", "spec.ingress[0]", "expected a mapping"),
    (
        "specs-path",
        CLUSTERWIDE,
        policy(
            None,
            CLUSTERWIDE,
            specs=[
                {"endpointSelector": {}},
                {"endpointSelector": {}, "egress": [{"toPorts": [{"ports": [{"port": "x--y"}]}]}]},
            ],
        ),
        "specs[1].egress[0].toPorts[0].ports[0].port",
        "port name",
    ),
]


@pytest.mark.parametrize(("case", "kind", "doc", "path", "fragment"), ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(case: str, kind: str, doc: str | dict, path: str, fragment: str) -> None:
    """Malformed input, or what Cilium rejects (``rule_validation.go``: combining L3 members, icmps with toPorts,
    an except outside its cidr, an unparsable port; the CRD: a string ``port``, the protocol enum); the error
    names the exact field."""
    document = doc if isinstance(doc, dict) else policy(doc, kind)
    with pytest.raises(PolicyError) as info:
        parse(document)
    assert info.value.path == path
    assert fragment in info.value.message


# ---- unsupported: valid Cilium that netpolkit does not model --------------------------------------------------

UNSUPPORTED = [
    # id, kind, spec, path, fragment
    (
        "l7-http",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '80'}}], rules: {{http: [{{method: GET}}]}}}}]}}]}}",
        "spec.ingress[0].toPorts[0].rules",
        "L7 rules",
    ),
    (
        "l7-dns",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '53'}}], rules: {{dns: [{{matchPattern: '*'}}]}}}}]}}]}}",
        "spec.egress[0].toPorts[0].rules",
        "L7 rules",
    ),
    (
        "l7proto",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '9'}}], rules: {{l7proto: x}}}}]}}]}}",
        "spec.egress[0].toPorts[0].rules",
        "L7 rules",
    ),
    (
        "server-names",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '443'}}], serverNames: [a.example]}}]}}]}}",
        "spec.egress[0].toPorts[0].serverNames",
        "SNI",
    ),
    (
        "listener",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '80'}}], listener: {{name: l}}}}]}}]}}",
        "spec.egress[0].toPorts[0].listener",
        "listener",
    ),
    (
        "originating-tls",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toPorts: [{{ports: [{{port: '443'}}], originatingTLS: {{}}}}]}}]}}",
        "spec.egress[0].toPorts[0].originatingTLS",
        "TLS",
    ),
    (
        "terminating-tls",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '443'}}], terminatingTLS: {{}}}}]}}]}}",
        "spec.ingress[0].toPorts[0].terminatingTLS",
        "TLS",
    ),
    (
        "toFQDNs",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toFQDNs: [{{matchName: a.example}}]}}]}}",
        "spec.egress[0].toFQDNs",
        "toFQDNs",
    ),
    (
        "toServices",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toServices: [{{k8sService: {{serviceName: s}}}}]}}]}}",
        "spec.egress[0].toServices",
        "toServices",
    ),
    (
        "toGroups",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toGroups: [{{aws: {{}}}}]}}]}}",
        "spec.egress[0].toGroups",
        "toGroups",
    ),
    (
        "toRequires",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toRequires: [{{}}]}}]}}",
        "spec.egress[0].toRequires",
        "toRequires",
    ),
    (
        "fromRequires",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromRequires: [{{matchLabels: {{env: prod}}}}]}}]}}",
        "spec.ingress[0].fromRequires",
        "fromRequires",
    ),
    ("toNodes", CLUSTERWIDE, f"{{{SEL}, egress: [{{toNodes: [{{}}]}}]}}", "spec.egress[0].toNodes", "toNodes"),
    (
        "fromNodes",
        CLUSTERWIDE,
        f"{{{SEL}, ingress: [{{fromNodes: [{{}}]}}]}}",
        "spec.ingress[0].fromNodes",
        "fromNodes",
    ),
    (
        "fromGroups",
        NAMESPACED,
        f"{{{SEL}, ingressDeny: [{{fromGroups: [{{}}]}}]}}",
        "spec.ingressDeny[0].fromGroups",
        "fromGroups",
    ),
    (
        "cidr-group-ref",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toCIDRSet: [{{cidrGroupRef: g}}]}}]}}",
        "spec.egress[0].toCIDRSet[0].cidrGroupRef",
        "CiliumCIDRGroup",
    ),
    (
        "cidr-group-selector",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromCIDRSet: [{{cidrGroupSelector: {{}}}}]}}]}}",
        "spec.ingress[0].fromCIDRSet[0].cidrGroupSelector",
        "CiliumCIDRGroup",
    ),
    (
        "entity-host",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEntities: [world, host]}}]}}",
        "spec.ingress[0].fromEntities[1]",
        "entity 'host'",
    ),
    (
        "entity-kube-apiserver",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toEntities: [kube-apiserver]}}]}}",
        "spec.egress[0].toEntities[0]",
        "kube-apiserver",
    ),
    (
        "entity-world-ipv4",
        NAMESPACED,
        f"{{{SEL}, egress: [{{toEntities: [world-ipv4]}}]}}",
        "spec.egress[0].toEntities[0]",
        "world-ipv4",
    ),
    (
        "authentication",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEntities: [cluster], authentication: {{mode: required}}}}]}}",
        "spec.ingress[0].authentication",
        "authentication",
    ),
    (
        "node-selector",
        CLUSTERWIDE,
        "{nodeSelector: {}, ingress: [{fromEntities: [world]}]}",
        "spec.nodeSelector",
        "host policies",
    ),
    (
        "reserved-label",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEndpoints: [{{matchLabels: {{'reserved:host': ''}}}}]}}]}}",
        "spec.ingress[0].fromEndpoints[0].matchLabels.reserved:host",
        "reserved identity",
    ),
    (
        "bare-world-label",
        CLUSTERWIDE,
        f"{{{SEL}, ingress: [{{fromEndpoints: [{{matchExpressions: [{{key: world, operator: Exists}}]}}]}}]}}",
        "spec.ingress[0].fromEndpoints[0].matchExpressions[0].key",
        "reserved identity",
    ),
    (
        "label-source",
        NAMESPACED,
        "{endpointSelector: {matchLabels: {'container:app': a}}}",
        "spec.endpointSelector.matchLabels.container:app",
        "label source 'container'",
    ),
    (
        "cluster-label",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEndpoints: [{{matchLabels: {{io.cilium.k8s.policy.cluster: c1}}}}]}}]}}",
        "spec.ingress[0].fromEndpoints[0].matchLabels.io.cilium.k8s.policy.cluster",
        "cluster name",
    ),
    (
        "ns-labels-namespaced-peer",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEndpoints: [{{matchLabels: {{k8s:io.cilium.k8s.namespace.labels.team: a}}}}]}}]}}",
        "spec.ingress[0].fromEndpoints[0].matchLabels.k8s:io.cilium.k8s.namespace.labels.team",
        "namespace labels",
    ),
    (
        "filtered-label",
        NAMESPACED,
        "{endpointSelector: {matchLabels: {pod-template-hash: abc}}}",
        "spec.endpointSelector.matchLabels.pod-template-hash",
        "identity-label filter",
    ),
    (
        "filtered-k8s-io-label",
        NAMESPACED,
        "{endpointSelector: {matchExpressions: [{key: statefulset.kubernetes.io/pod-name, operator: Exists}]}}",
        "spec.endpointSelector.matchExpressions[0].key",
        "identity-label filter",
    ),
    (
        "port-zero",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '0', protocol: TCP}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].port",
        'port "0"',
    ),
    (
        "protocol-icmp",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{toPorts: [{{ports: [{{port: '1', protocol: ICMP}}]}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports[0].protocol",
        "protocol 'ICMP'",
    ),
    (
        "toPorts-without-ports",
        NAMESPACED,
        f"{{{SEL}, ingress: [{{fromEntities: [world], toPorts: [{{}}]}}]}}",
        "spec.ingress[0].toPorts[0].ports",
        "without ports",
    ),
]


@pytest.mark.parametrize(("case", "kind", "spec", "path", "fragment"), UNSUPPORTED, ids=[c[0] for c in UNSUPPORTED])
def test_unsupported(case: str, kind: str, spec: str, path: str, fragment: str) -> None:
    """A valid feature netpolkit does not model: an error by default, a warning naming the field under
    ``unsupported="ignore"``."""
    with pytest.raises(PolicyError) as info:
        parse(policy(spec, kind))
    assert info.value.path == path
    assert fragment in info.value.message and "not modelled" in info.value.message
    parsed, warnings = parse(policy(spec, kind), "ignore")
    assert isinstance(parsed, CiliumPolicy)
    assert len(warnings) == 1 and f": {path}: " in warnings[0] and fragment in warnings[0]


def test_specs_isolate_only_the_endpoints_they_select() -> None:
    """Default deny is per rule (spec): ``evaluateDefaultDenyForRule`` in pkg/k8s/apis/cilium.io/utils/utils.go
    decides it for each rule and its own endpointSelector, so a policy's two specs isolate different pods."""
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
        }
        for name, labels in (("a", {"a": "1"}), ("b", {"b": "1"}), ("c", {}))
    ]
    objects.append(
        policy(
            None,
            namespace="default",
            specs=[
                {"endpointSelector": {"matchLabels": {"a": "1"}}, "ingress": [{}]},
                {"endpointSelector": {"matchLabels": {"b": "1"}}, "egress": [{}]},
            ],
        )
    )
    cluster = npk.Cluster.from_objects(objects)
    for engine in ("vectorized", "reference"):
        reach = npk.reachability(cluster, ports=["TCP/80"], profile="cilium", engine=engine)
        assert not reach.allowed("default/c", "default/a", "TCP/80")  # a: ingress default deny
        assert reach.allowed("default/a", "default/c", "TCP/80")  # a: egress untouched
        assert not reach.allowed("default/b", "default/c", "TCP/80")  # b: egress default deny
        assert reach.allowed("default/c", "default/b", "TCP/80")  # b: ingress untouched


def test_documented_examples_with_l7_are_unsupported() -> None:
    """intro.rst's intercept-all-dns policy carries DNS rules (L7): unsupported, at the exact field."""
    spec = """
      endpointSelector: {}
      enableDefaultDeny: {egress: false, ingress: false}
      egress:
        - toEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
          toPorts:
            - ports: [{port: "53", protocol: TCP}, {port: "53", protocol: UDP}]
              rules:
                dns:
                  - matchPattern: "*"
    """
    with pytest.raises(PolicyError) as info:
        parse(policy(spec, CLUSTERWIDE, name="intercept-all-dns"))
    assert info.value.path == "spec.egress[0].toPorts[0].rules"


def test_registered_and_placed() -> None:
    """Both kinds parse through ``parse_object``; the dialect runs in the NAMESPACE stage beside NetworkPolicy."""
    namespaced, _ = parse(policy("{endpointSelector: {}}"))
    clusterwide, _ = parse(policy("{endpointSelector: {}}", CLUSTERWIDE))
    assert (namespaced.namespace, clusterwide.namespace, clusterwide.ref) == (
        "shop",
        "",
        "CiliumClusterwideNetworkPolicy p",
    )
    assert Cilium in DIALECTS and dialect_class(namespaced) is Cilium
    dialect = Cilium(npk.Cluster.from_objects([]).table, get_profile("cilium"))
    assert dialect.placement(namespaced).stage == NAMESPACE
    assert Cilium.name in get_profile("cilium").dialects


# ---- the two faces of the dialect agree ----------------------------------------------------------------------

FACES_WORLD = {
    "namespaces": {"shop": {"team": "a"}, "ops": {"team": "b"}, "kube-system": {}},
    "pods": {
        "shop/web": {"app": "web", "env": "prod"},
        "shop/db": {"app": "db"},
        "shop/batch": {"app": "batch", "env": "dev"},
        "ops/web": {"app": "web"},
        "ops/node-agent": {"app": "agent"},
        "kube-system/kube-dns": {"k8s-app": "kube-dns"},
    },
    "accounts": {"shop/web": "web-sa", "ops/web": "web-sa"},
    "ports": {"shop/db": [{"name": "pg", "containerPort": 5432}], "ops/web": [{"name": "pg", "containerPort": 6432}]},
    "hostNetwork": ["ops/node-agent"],
    "externals": {"internet": "192.0.2.10", "corp": "10.1.2.3", "excepted": "10.96.0.9", "v6": "2001:db8::5"},
}
FACES_POLICIES = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: db}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: web}}, {matchLabels: {io.kubernetes.pod.namespace: ops}}]
    toPorts: [{ports: [{port: pg}, {port: "80", endPort: 90, protocol: TCP}]}]
  - fromEntities: [world]
    toPorts: [{ports: [{port: "53", protocol: UDP}]}]
  - toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {env: dev}}]
  egress:
  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.96.0.0/12]}]
  - toCIDR: ["2001:db8::/32"]
    toPorts: [{ports: [{port: "80"}]}]
  - {}
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: everyone}
spec:
  endpointSelector: {matchExpressions: [{key: io.kubernetes.pod.namespace, operator: NotIn, values: [kube-system]}]}
  enableDefaultDeny: {ingress: false, egress: false}
  egress:
  - toEntities: [cluster]
    toPorts: [{ports: [{port: "53"}]}]
  - toEndpoints: [{matchExpressions: [{key: k8s:io.kubernetes.pod.namespace, operator: NotIn, values: [shop]}]}]
  egressDeny:
  - toEntities: [world]
    toPorts: [{ports: [{port: "25", protocol: TCP}]}]
specs:
- endpointSelector: {matchLabels: {io.cilium.k8s.policy.serviceaccount: web-sa}}
  enableDefaultDeny: {ingress: false, egress: false}
  ingress:
  - fromEndpoints: [{matchLabels: {k8s:io.cilium.k8s.namespace.labels.team: b}}]
  - fromEntities: [all, none]
    toPorts: [{ports: [{port: "8080", protocol: SCTP}]}]
  - fromEndpoints: []
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: icmp, namespace: ops}
spec:
  endpointSelector: {}
  ingress:
  - icmps: [{fields: [{type: 8}]}]
  egressDeny:
  - toEndpoints: [{}]
"""
FACES_PORTS = ["TCP/80", "TCP/85", "TCP/443", "UDP/53", "SCTP/8080", "TCP/5432", "TCP/6432", "TCP/25", "SCTP/53"]


def test_faces_agree() -> None:
    """Reference (``selects``/``matches``, per endpoint, from the model) and vectorized (``subject``/
    ``rule_columns``, from Columns) give the same answer for every policy, rule, direction, pair and port."""
    c = cluster(FACES_WORLD, FACES_POLICIES)
    table, profile = c.table, get_profile("cilium")
    reference, vectorized = Cilium(table, profile), Cilium(table, profile, Columns(table))
    n = len(table)
    assert table.host_network.any()
    checked = 0
    for p in c.policy_objects:
        assert list(vectorized.subject(p)) == [reference.selects(p, e) for e in range(n)], p.ref
        for direction in ("Ingress", "Egress"):
            iso = [reference.isolated(p, direction, e) for e in range(n)]
            assert list(vectorized.isolated_column(p, direction)) == iso
            for entry in reference.rules(p, direction):
                for port in FACES_PORTS:
                    q = PortQuery.parse(port)
                    want = np.array(
                        [[reference.matches(p, entry.rule, direction, s, d, q) for d in range(n)] for s in range(n)]
                    )
                    columns = vectorized.rule_columns(p, entry.rule, direction, q)
                    got = np.zeros((n, n), dtype=bool) if columns is None else np.outer(*columns)
                    assert (got == want).all(), (p.ref, entry.name, port)
                    checked += int(want.sum())
    assert checked > 0


def test_networks_list_every_cidr() -> None:
    """``networks`` names every CIDR and except range, so the engine's atoms keep them apart."""
    parsed, _ = parse(
        policy(
            "{endpointSelector: {}, egress: [{toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.96.0.0/12]}]}],"
            " ingressDeny: [{fromCIDR: ['2001:db8::/32']}]}"
        )
    )
    dialect = Cilium(npk.Cluster.from_objects([]).table, get_profile("cilium"))
    assert sorted(map(str, dialect.networks(parsed))) == ["10.0.0.0/8", "10.96.0.0/12", "2001:db8::/32"]


# ---- verdicts beyond the documented examples --------------------------------------------------------------------

WORLD = {
    "namespaces": {"shop": {"team": "a"}, "ops": {"team": "b"}},
    "pods": {
        "shop/web": {"app": "web"},
        "shop/db": {"app": "db"},
        "shop/cache": {"app": "cache"},
        "ops/web": {"app": "web"},
        "ops/agent": {"app": "agent"},
    },
    "ports": {
        "shop/db": [{"name": "pg", "containerPort": 5432}],
        "shop/cache": [{"name": "pg", "containerPort": 6379}],
    },
    "hostNetwork": ["ops/agent"],
    "externals": {"internet": "192.0.2.10", "v6": "2001:db8::5"},
}


def cnp(name: str, spec: str, namespace: str = "shop", kind: str = NAMESPACED) -> str:
    meta = f"{{name: {name}, namespace: {namespace}}}" if kind == NAMESPACED else f"{{name: {name}}}"
    body = "\n".join("  " + line for line in spec.strip().splitlines())
    return f"---\napiVersion: cilium.io/v2\nkind: {kind}\nmetadata: {meta}\nspec:\n{body}\n"


VERDICTS = [
    (
        "each-spec-its-own-endpoints",
        "ParseCiliumNetworkPolicy: spec and specs are separate rules, each applied to its own endpointSelector",
        cnp("p", "endpointSelector: {matchLabels: {app: db}}\ningress: [{fromEndpoints: [{matchLabels: {app: web}}]}]")
        + "specs:\n- endpointSelector: {matchLabels: {app: cache}}\n  ingress: [{fromEntities: [world]}]\n",
        [
            ["shop/web", "shop/db", "TCP/80", True],
            ["external/internet", "shop/db", "TCP/80", False],
            ["external/internet", "shop/cache", "TCP/80", True],
            ["shop/web", "shop/cache", "TCP/80", False],
        ],
    ),
    (
        "any-protocol-includes-sctp",
        "l4.go: no protocol = any protocol; pkg/policy/rule.go expands ANY to TCP, UDP and SCTP",
        cnp("p", "endpointSelector: {matchLabels: {app: db}}\ningress: [{toPorts: [{ports: [{port: '53'}]}]}]"),
        [
            ["shop/web", "shop/db", "TCP/53", True],
            ["shop/web", "shop/db", "UDP/53", True],
            ["shop/web", "shop/db", "SCTP/53", True],
            ["shop/web", "shop/db", "TCP/54", False],
        ],
    ),
    (
        "named-port-resolves-on-destination",
        "l4.go: a port may be a name, looked up in the destination's container ports",
        cnp(
            "p",
            "endpointSelector: {matchLabels: {app: web}}\negress: [{toPorts: [{ports: [{port: PG, protocol: TCP}]}]}]",
        ),
        [
            ["shop/web", "shop/db", "TCP/5432", True],
            ["shop/web", "shop/cache", "TCP/6379", True],
            ["shop/web", "shop/cache", "TCP/5432", False],
            ["shop/web", "external/internet", "TCP/5432", False],
        ],
    ),
    (
        "empty-peer-list-matches-nothing-but-isolates",
        "mergeEndpointSelectors: an empty non-nil peer list selects no identity; the rule still makes default deny",
        cnp("p", "endpointSelector: {matchLabels: {app: db}}\ningress: [{fromEndpoints: []}]"),
        [["shop/web", "shop/db", "TCP/80", False], ["external/internet", "shop/db", "TCP/80", False]],
    ),
    (
        "entity-cluster-and-none",
        "layer3.rst Entities: cluster = every endpoint of the local cluster (host and remote nodes too); "
        "entity.go: none",
        cnp("p", "endpointSelector: {matchLabels: {app: db}}\ningress: [{fromEntities: [cluster, none]}]"),
        [
            ["shop/web", "shop/db", "TCP/80", True],
            ["ops/web", "shop/db", "TCP/80", True],
            ["ops/agent", "shop/db", "TCP/80", True],
            ["external/internet", "shop/db", "TCP/80", False],
        ],
    ),
    (
        "ipv6-cidr",
        "layer3.rst IP/CIDR based: toCIDR takes IPv4 and IPv6 prefixes",
        cnp("p", "endpointSelector: {matchLabels: {app: web}}\negress: [{toCIDR: ['2001:db8::/32']}]"),
        [["shop/web", "external/v6", "TCP/443", True], ["shop/web", "external/internet", "TCP/443", False]],
    ),
    (
        "subject-namespace-is-the-policys",
        "utils ParseCiliumRule: a CiliumNetworkPolicy's endpointSelector always applies in its own namespace",
        cnp(
            "p",
            "endpointSelector: {matchLabels: {k8s:io.kubernetes.pod.namespace: ops, app: web}}\ningress: [{}]",
        ),
        [["shop/db", "shop/web", "TCP/80", False], ["shop/db", "ops/web", "TCP/80", True]],
    ),
    (
        "host-network-pods-are-no-cilium-endpoints",
        "layer3.rst: host-networking pods use the node's identity (entities host/remote-node), no endpoint labels",
        cnp("p", "endpointSelector: {}\ningress: [{fromEndpoints: [{}]}]", namespace="ops"),
        [
            ["ops/web", "ops/agent", "TCP/80", True],
            ["ops/agent", "ops/web", "TCP/80", False],
            ["shop/web", "ops/web", "TCP/80", False],
        ],
    ),
    (
        "notin-namespace-peer-also-selects-world",
        "selector.go Matches: Kubernetes requirements, NotIn matches an absent label; a selector naming the namespace "
        "key gets no namespace default (utils getEndpointSelector), and the world identity has no such label",
        cnp(
            "p",
            "endpointSelector: {matchLabels: {app: db}}\n"
            "ingress: [{fromEndpoints: [{matchExpressions: [{key: k8s:io.kubernetes.pod.namespace, operator: NotIn,"
            " values: [ops]}]}]}]",
            kind=CLUSTERWIDE,
        ),
        [
            ["shop/web", "shop/db", "TCP/80", True],
            ["ops/web", "shop/db", "TCP/80", False],
            ["external/internet", "shop/db", "TCP/80", True],
        ],
    ),
    (
        "namespace-labels-clusterwide",
        "pod identities carry k8s:io.cilium.k8s.namespace.labels.<key> (kubernetes.rst, namespace labels)",
        cnp(
            "p",
            "endpointSelector: {matchLabels: {app: db}}\n"
            "ingress: [{fromEndpoints: [{matchLabels: {k8s:io.cilium.k8s.namespace.labels.team: b}}]}]",
            kind=CLUSTERWIDE,
        ),
        [["ops/web", "shop/db", "TCP/80", True], ["shop/web", "shop/db", "TCP/80", False]],
    ),
    (
        "icmp-rules-allow-no-port",
        "layer4.rst: with an ICMP policy, layer 4 communication is blocked unless otherwise allowed",
        cnp("p", "endpointSelector: {matchLabels: {app: db}}\ningress: [{icmps: [{fields: [{type: 8}]}]}]"),
        [["shop/web", "shop/db", "TCP/80", False], ["shop/web", "shop/db", "UDP/53", False]],
    ),
    (
        "deny-without-default-deny",
        "deny.rst: a matching deny wins; rule.go: enableDefaultDeny false leaves the rest allowed",
        cnp(
            "p",
            "endpointSelector: {matchLabels: {app: db}}\nenableDefaultDeny: {ingress: false}\n"
            "ingressDeny: [{fromEndpoints: [{matchLabels: {app: web}}],"
            " toPorts: [{ports: [{port: '22', protocol: TCP}]}]}]",
        ),
        [
            ["shop/web", "shop/db", "TCP/22", False],
            ["shop/web", "shop/db", "TCP/80", True],
            ["shop/cache", "shop/db", "TCP/22", True],
        ],
    ),
]


@pytest.mark.parametrize(("case", "source", "policies", "expect"), VERDICTS, ids=[c[0] for c in VERDICTS])
def test_verdicts(case: str, source: str, policies: str, expect: list) -> None:
    """Semantics the examples do not show; each case cites its source."""
    verdicts(WORLD, policies, expect)


def test_left_out_spec_keeps_rule_indices() -> None:
    """Under ``unsupported="ignore"`` a host policy spec (nodeSelector) is left out; the rules of the other specs
    still apply to their own endpoints, and the warning travels with the result."""
    policies = (
        cnp(
            "p",
            "nodeSelector: {}\ningress: [{fromEntities: [world]}]",
            kind=CLUSTERWIDE,
        )
        + "specs:\n- endpointSelector: {matchLabels: {app: db}}\n  ingress: [{fromEntities: [world]}]\n"
    )
    c = npk.Cluster.from_objects(
        world_objects(WORLD) + list(yaml.safe_load_all(policies)), WORLD["externals"], unsupported="ignore"
    )
    (parsed,) = c.policy_objects
    assert [r.spec for r in parsed.rules("Ingress")] == [0]
    for engine in ("vectorized", "reference"):
        reach = npk.reachability(c, ports=["TCP/80"], profile="cilium", engine=engine, unsupported="ignore")
        assert reach.allowed("external/internet", "shop/db", "TCP/80")
        assert not reach.allowed("shop/web", "shop/db", "TCP/80")
        assert reach.allowed("external/internet", "shop/web", "TCP/80")
        assert any("spec.nodeSelector: host policies" in w for w in reach.warnings)


# ---- Cilium's documented examples (tests/data/cilium) ---------------------------------------------------------


def _examples() -> list[Any]:
    params = []
    for path in sorted(DATA.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for case in data["cases"]:
            params.append(pytest.param(data, case, id=f"{path.stem}: {case['name']}"))
    return params


@pytest.mark.parametrize(("data", "case"), _examples())
def test_documented_example(data: dict, case: dict) -> None:
    """An example of Cilium's documentation (the file's and the case's ``source``), every verdict on both
    engines."""
    assert data["source"] and data["world"] and case["expect"]
    verdicts(data["world"], case["policies"], case["expect"])


def test_every_example_file_is_read() -> None:
    """The data directory holds the examples this module runs (and nothing it would skip)."""
    names = {p.stem for p in DATA.glob("*.yaml")}
    assert names == {"cidr", "default-deny", "deny", "entities", "kubernetes", "l3-endpoints", "l4"}
    assert sum(len(yaml.safe_load(p.read_text())["cases"]) for p in DATA.glob("*.yaml")) == len(_examples())
