"""network-policy-api policies: the strict model (``netpolkit.model.admin``) and the dialects
(``netpolkit.engine.dialects.admin``).

Upstream references (kubernetes-sigs/network-policy-api): ClusterNetworkPolicy ``v1alpha2`` is v0.2.0
``apis/v1alpha2/clusternetworkpolicy_types.go`` (the line numbers below) and
``config/crd/standard/policy.networking.k8s.io_clusternetworkpolicies.yaml``; AdminNetworkPolicy and
BaselineAdminNetworkPolicy ``v1alpha1`` are release-0.1 ``apis/v1alpha1/*.go`` and
``config/crd/{standard,experimental}/policy.networking.k8s.io_{admin,baselineadmin}networkpolicies.yaml``.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
import re
from typing import Any

import numpy as np
import pytest
from conformance import namespace_manifest, pod_manifest

import netpolkit as npk
from netpolkit.cluster import EndpointTable
from netpolkit.engine.dialects import ALLOW, DENY, DIALECTS, PASS, RuleEntry, dialect_class
from netpolkit.engine.dialects.admin import AdminNetworkPolicyDialect, ClusterNetworkPolicyDialect
from netpolkit.engine.plan import ADMIN, BASELINE
from netpolkit.engine.profiles import get_profile
from netpolkit.errors import PolicyError, Where
from netpolkit.model import parse_object, policy_like
from netpolkit.model.admin import (
    V1ALPHA1,
    V1ALPHA2,
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    BaselineAdminNetworkPolicy,
    ClusterNetworkPolicy,
    Selection,
)
from netpolkit.model.fields import Unsupported
from netpolkit.model.labels import LabelSelector
from netpolkit.model.ports import PortQuery

DELETE = object()  # an edit that removes the field

CNP: dict[str, Any] = {
    "apiVersion": V1ALPHA2,
    "kind": "ClusterNetworkPolicy",
    "metadata": {"name": "cnp"},
    "spec": {
        "tier": "Admin",
        "priority": 10,
        "subject": {"namespaces": {"matchLabels": {"team": "a"}}},
        "ingress": [
            {
                "name": "in",
                "action": "Accept",
                "from": [{"namespaces": {}}],
                "protocols": [{"tcp": {"destinationPort": {"number": 80}}}],
            }
        ],
        "egress": [{"name": "out", "action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}]}],
    },
}
ANP: dict[str, Any] = {
    "apiVersion": V1ALPHA1,
    "kind": "AdminNetworkPolicy",
    "metadata": {"name": "anp"},
    "spec": {
        "priority": 10,
        "subject": {"namespaces": {}},
        "ingress": [
            {
                "name": "in",
                "action": "Allow",
                "from": [{"namespaces": {}}],
                "ports": [{"portNumber": {"protocol": "TCP", "port": 80}}],
            }
        ],
        "egress": [{"name": "out", "action": "Pass", "to": [{"networks": ["10.0.0.0/8"]}]}],
    },
}
BANP: dict[str, Any] = {
    "apiVersion": V1ALPHA1,
    "kind": "BaselineAdminNetworkPolicy",
    "metadata": {"name": "default"},
    "spec": {
        "subject": {"namespaces": {}},
        "ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}],
        "egress": [{"action": "Allow", "to": [{"pods": {"namespaceSelector": {}, "podSelector": {}}}]}],
    },
}
BASES = {"CNP": CNP, "ANP": ANP, "BANP": BANP}


def edited(base: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``edits`` (field path -> value, or DELETE) applied."""
    doc = copy.deepcopy(base)
    for path, value in edits.items():
        keys = [int(index) if index else name for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]
        node: Any = doc
        for key in keys[:-1]:
            node = node[key]
        if value is DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = copy.deepcopy(value)
    return doc


def parse(doc: dict[str, Any], unsupported: Unsupported | None = None) -> Any:
    return parse_object(doc, Where("policies.yaml", 0), unsupported=unsupported)


# ---- parsing: every field -----------------------------------------------------------------------------------------


def test_cluster_network_policy_fields() -> None:
    """Every standard-channel field of ClusterNetworkPolicy v1alpha2 (clusternetworkpolicy_types.go lines 63-531)."""
    doc = edited(
        CNP,
        {
            "spec.tier": "Baseline",
            "spec.priority": 0,
            "spec.subject": {"pods": {"namespaceSelector": {"matchLabels": {"team": "a"}}, "podSelector": {}}},
            "spec.ingress": [
                {
                    "name": "first",
                    "action": "Pass",
                    "from": [{"namespaces": {"matchLabels": {"team": "b"}}}, {"pods": {"podSelector": {}}}],
                    "protocols": [
                        {"tcp": {"destinationPort": {"number": 80}}},
                        {"udp": {"destinationPort": {"range": {"start": 5000, "end": 5010}}}},
                        {"sctp": {"destinationPort": {"number": 9003}}},
                        {"destinationNamedPort": "web"},
                    ],
                },
                {"action": "Deny", "from": [{"namespaces": {}}]},
            ],
            "spec.egress": [
                {"action": "Accept", "to": [{"networks": ["10.0.0.1/8", "fd00::/8"]}, {"namespaces": {}}]},
            ],
        },
    )
    policy = parse(doc)
    team_a = LabelSelector.of({"team": "a"})
    assert isinstance(policy, ClusterNetworkPolicy)
    assert (policy.kind, policy.api_version, policy.namespace) == ("ClusterNetworkPolicy", V1ALPHA2, "")
    assert (policy.name, policy.ref, policy.tier, policy.priority) == ("cnp", "ClusterNetworkPolicy cnp", "Baseline", 0)
    assert policy.subject == Selection(team_a, LabelSelector())
    first, second = policy.ingress
    assert first == AdminRule(
        "first",
        "Pass",
        (AdminPeer(Selection(LabelSelector.of({"team": "b"}))), AdminPeer(Selection(LabelSelector(), LabelSelector()))),
        (AdminPort("TCP", 80, 80), AdminPort("UDP", 5000, 5010), AdminPort("SCTP", 9003, 9003), AdminPort(name="web")),
    )
    assert second == AdminRule("", "Deny", (AdminPeer(Selection(LabelSelector())),))
    (egress,) = policy.egress
    networks = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))  # host bits are masked
    assert egress.peers == (AdminPeer(networks=networks), AdminPeer(Selection(LabelSelector())))
    assert egress.ports == ()
    assert policy.rules("Ingress") == policy.ingress and policy.rules("Egress") == policy.egress
    assert hash(policy) == hash(parse(doc)) and policy == parse(doc)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.priority = 5  # type: ignore[misc]


def test_admin_network_policy_fields() -> None:
    """Every field of AdminNetworkPolicy v1alpha1 (adminnetworkpolicy_types.go, shared_types.go); namedPort is
    the experimental channel's (shared_types.go line 58), modelled; protocol defaults to TCP (line 74)."""
    doc = edited(
        ANP,
        {
            "spec.priority": 1000,
            "spec.subject": {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "x"}}}},
            "spec.ingress[0].ports": [
                {"portNumber": {"port": 80}},
                {"portRange": {"protocol": "UDP", "start": 1, "end": 65535}},
                {"portRange": {"start": 80, "end": 81}},
                {"namedPort": "dns"},
            ],
        },
    )
    policy = parse(doc)
    assert isinstance(policy, AdminNetworkPolicy)
    assert (policy.ref, policy.tier, policy.priority, policy.api_version) == (
        "AdminNetworkPolicy anp",
        "Admin",
        1000,
        V1ALPHA1,
    )
    assert policy.subject == Selection(LabelSelector(), LabelSelector.of({"app": "x"}))
    assert policy.ingress[0].ports == (
        AdminPort("TCP", 80, 80),
        AdminPort("UDP", 1, 65535),
        AdminPort("TCP", 80, 81),
        AdminPort(name="dns"),
    )
    assert policy.egress == (AdminRule("out", "Pass", (AdminPeer(networks=(ipaddress.ip_network("10.0.0.0/8"),)),)),)


def test_baseline_admin_network_policy_fields() -> None:
    """BaselineAdminNetworkPolicy v1alpha1: no priority, the Baseline tier, Allow/Deny
    (baselineadminnetworkpolicy_types.go lines 29, 174)."""
    policy = parse(BANP)
    assert isinstance(policy, BaselineAdminNetworkPolicy)
    assert (policy.ref, policy.tier, policy.priority) == ("BaselineAdminNetworkPolicy default", "Baseline", None)
    assert policy.ingress == (AdminRule("", "Deny", (AdminPeer(Selection(LabelSelector())),)),)
    assert policy.egress == (AdminRule("", "Allow", (AdminPeer(Selection(LabelSelector(), LabelSelector())),)),)


def test_rule_and_port_text() -> None:
    """How explain shows rules and ports."""
    policy = parse(CNP)
    assert str(policy.ingress[0]) == "Accept namespaces [{}] on TCP/80"
    assert str(policy.egress[0]) == "Deny networks 10.0.0.0/8 on any port"
    assert str(policy.subject) == "namespaces [team=a]"
    assert str(AdminPort("UDP", 5000, 5010)) == "UDP/5000-5010" and str(AdminPort(name="web")) == "named port web"
    assert str(AdminRule("x", "Deny", ())) == "Deny nobody on any port"


def test_kinds_are_registered_cluster_scoped() -> None:
    """The three kinds parse through parse_object; metadata.namespace does not make them namespaced."""
    policy = parse(edited(CNP, {"metadata.namespace": "ignored"}))
    assert policy.namespace == ""
    assert npk.Cluster.from_objects([CNP, ANP, BANP]).policy_objects == (parse(CNP), parse(ANP), parse(BANP))


def test_other_versions_are_reported() -> None:
    """A ClusterNetworkPolicy of another version, or the v1alpha1 kinds in v1alpha2, are named as such."""
    assert "reads policy.networking.k8s.io/v1alpha2" in (
        policy_like("policy.networking.k8s.io/v1beta1", "ClusterNetworkPolicy") or ""
    )
    assert "reads policy.networking.k8s.io/v1alpha1" in (policy_like(V1ALPHA2, "AdminNetworkPolicy") or "")
    with pytest.raises(PolicyError, match="not a version netpolkit evaluates"):
        parse(edited(CNP, {"apiVersion": "policy.networking.k8s.io/v1beta1"}))


# ---- parsing: every validation error (exact field paths) ---------------------------------------------------------

# (id, base, edits, field path, message fragment)
ERRORS: list[tuple[str, str, dict[str, Any], str | None, str]] = [
    # ClusterNetworkPolicy v1alpha2
    ("cnp-no-spec", "CNP", {"spec": DELETE}, "spec", "required field is missing"),
    ("cnp-unknown-spec-field", "CNP", {"spec.order": 1}, "spec.order", "unknown field 'order'"),
    ("cnp-no-tier", "CNP", {"spec.tier": DELETE}, "spec.tier", "required field is missing"),
    ("cnp-bad-tier", "CNP", {"spec.tier": "Gold"}, "spec.tier", "Unsupported value: 'Gold': supported values: 'Admin'"),
    ("cnp-no-priority", "CNP", {"spec.priority": DELETE}, "spec.priority", "required field is missing"),
    ("cnp-priority-low", "CNP", {"spec.priority": -1}, "spec.priority", "greater than or equal to 0, got -1"),
    ("cnp-priority-high", "CNP", {"spec.priority": 1001}, "spec.priority", "less than or equal to 1000, got 1001"),
    ("cnp-priority-text", "CNP", {"spec.priority": "10"}, "spec.priority", "expected an integer"),
    ("cnp-no-subject", "CNP", {"spec.subject": DELETE}, "spec.subject", "required field is missing"),
    ("cnp-empty-subject", "CNP", {"spec.subject": {}}, "spec.subject", "exactly one field must be set"),
    (
        "cnp-two-subjects",
        "CNP",
        {"spec.subject": {"namespaces": {}, "pods": {"podSelector": {}}}},
        "spec.subject",
        "exactly one field must be set: namespaces or pods (got namespaces, pods)",
    ),
    ("cnp-subject-unknown", "CNP", {"spec.subject": {"nodes": {}}}, "spec.subject.nodes", "unknown field 'nodes'"),
    (
        "cnp-subject-pods-no-pod-selector",
        "CNP",
        {"spec.subject": {"pods": {"namespaceSelector": {}}}},
        "spec.subject.pods.podSelector",
        "required field is missing",
    ),
    (
        "cnp-subject-pods-unknown",
        "CNP",
        {"spec.subject": {"pods": {"podSelector": {}, "selector": {}}}},
        "spec.subject.pods.selector",
        "unknown field",
    ),
    (
        "cnp-subject-bad-operator",
        "CNP",
        {"spec.subject.namespaces": {"matchExpressions": [{"key": "a", "operator": "Is"}]}},
        "spec.subject.namespaces.matchExpressions[0].operator",
        "unknown operator 'Is'",
    ),
    (
        "cnp-subject-bad-label",
        "CNP",
        {"spec.subject.namespaces": {"matchLabels": {"a": "b c"}}},
        "spec.subject.namespaces.matchLabels.a",
        "",
    ),
    ("cnp-ingress-not-list", "CNP", {"spec.ingress": {}}, "spec.ingress", "expected a list"),
    (
        "cnp-too-many-rules",
        "CNP",
        {"spec.egress": [{"action": "Deny", "to": [{"namespaces": {}}]}] * 26},
        "spec.egress",
        "Too many: 26: must have at most 25 items",
    ),
    ("cnp-rule-unknown", "CNP", {"spec.ingress[0].ports": []}, "spec.ingress[0].ports", "unknown field 'ports'"),
    ("cnp-rule-name-long", "CNP", {"spec.ingress[0].name": "n" * 101}, "spec.ingress[0].name", "Too long"),
    ("cnp-rule-name-type", "CNP", {"spec.ingress[0].name": 5}, "spec.ingress[0].name", "expected a string"),
    ("cnp-no-action", "CNP", {"spec.ingress[0].action": DELETE}, "spec.ingress[0].action", "required"),
    (
        "cnp-allow-is-v1alpha1",
        "CNP",
        {"spec.ingress[0].action": "Allow"},
        "spec.ingress[0].action",
        "Unsupported value: 'Allow': supported values: 'Accept', 'Deny', 'Pass'",
    ),
    ("cnp-no-from", "CNP", {"spec.ingress[0].from": DELETE}, "spec.ingress[0].from", "required field is missing"),
    ("cnp-empty-from", "CNP", {"spec.ingress[0].from": []}, "spec.ingress[0].from", "should have at least 1 items"),
    (
        "cnp-too-many-peers",
        "CNP",
        {"spec.ingress[0].from": [{"namespaces": {}}] * 26},
        "spec.ingress[0].from",
        "Too many: 26: must have at most 25 items",
    ),
    ("cnp-empty-peer", "CNP", {"spec.ingress[0].from": [{}]}, "spec.ingress[0].from[0]", "exactly one field"),
    (
        "cnp-two-peers-in-one",
        "CNP",
        {"spec.egress[0].to": [{"namespaces": {}, "networks": ["10.0.0.0/8"]}]},
        "spec.egress[0].to[0]",
        "exactly one field must be set",
    ),
    (
        "cnp-networks-not-in-ingress",
        "CNP",
        {"spec.ingress[0].from": [{"networks": ["10.0.0.0/8"]}]},
        "spec.ingress[0].from[0].networks",
        "unknown field 'networks'",
    ),
    (
        "cnp-nodes-not-in-ingress",
        "CNP",
        {"spec.ingress[0].from": [{"nodes": {}}]},
        "spec.ingress[0].from[0].nodes",
        "unknown field 'nodes'",
    ),
    (
        "cnp-peer-pods-no-pod-selector",
        "CNP",
        {"spec.ingress[0].from": [{"pods": {"namespaceSelector": {}}}]},
        "spec.ingress[0].from[0].pods.podSelector",
        "required field is missing",
    ),
    ("cnp-no-egress-to", "CNP", {"spec.egress[0].to": DELETE}, "spec.egress[0].to", "required field is missing"),
    ("cnp-egress-from", "CNP", {"spec.egress[0].from": []}, "spec.egress[0].from", "unknown field 'from'"),
    (
        "cnp-empty-networks",
        "CNP",
        {"spec.egress[0].to[0].networks": []},
        "spec.egress[0].to[0].networks",
        "should have at least 1 items",
    ),
    (
        "cnp-too-many-networks",
        "CNP",
        {"spec.egress[0].to[0].networks": [f"10.0.{i}.0/24" for i in range(26)]},
        "spec.egress[0].to[0].networks",
        "Too many: 26: must have at most 25 items",
    ),
    (
        "cnp-network-no-prefix",
        "CNP",
        {"spec.egress[0].to[0].networks": ["10.0.0.1"]},
        "spec.egress[0].to[0].networks[0]",
        "Invalid CIDR format provided",
    ),
    (
        "cnp-network-bad-prefix",
        "CNP",
        {"spec.egress[0].to[0].networks": ["10.0.0.0/33"]},
        "spec.egress[0].to[0].networks[0]",
        "Invalid CIDR format provided",
    ),
    (
        "cnp-network-garbage",
        "CNP",
        {"spec.egress[0].to[0].networks": ["10.0.0.0/8", "example.com/8"]},
        "spec.egress[0].to[0].networks[1]",
        "Invalid CIDR format provided",
    ),
    (
        "cnp-network-too-long",
        "CNP",
        {"spec.egress[0].to[0].networks": ["0000:0000:0000:0000:0000:0000:0000:0000/0128"]},
        "spec.egress[0].to[0].networks[0]",
        "Too long: may not be more than 43 characters, got 44",
    ),
    (
        "cnp-network-duplicate",
        "CNP",
        {"spec.egress[0].to[0].networks": ["10.0.0.0/8", "10.0.0.0/8"]},
        "spec.egress[0].to[0].networks[1]",
        "Duplicate value: '10.0.0.0/8'",
    ),
    (
        "cnp-network-number",
        "CNP",
        {"spec.egress[0].to[0].networks": [10]},
        "spec.egress[0].to[0].networks[0]",
        "expected a CIDR string",
    ),
    ("cnp-empty-protocols", "CNP", {"spec.ingress[0].protocols": []}, "spec.ingress[0].protocols", "at least 1"),
    (
        "cnp-too-many-protocols",
        "CNP",
        {"spec.ingress[0].protocols": [{"tcp": {"destinationPort": {"number": 80}}}] * 26},
        "spec.ingress[0].protocols",
        "Too many: 26: must have at most 25 items",
    ),
    ("cnp-empty-protocol", "CNP", {"spec.ingress[0].protocols": [{}]}, "spec.ingress[0].protocols[0]", "exactly one"),
    (
        "cnp-two-protocols-in-one",
        "CNP",
        {"spec.ingress[0].protocols": [{"tcp": {"destinationPort": {"number": 1}}, "destinationNamedPort": "web"}]},
        "spec.ingress[0].protocols[0]",
        "exactly one field must be set: tcp or udp or sctp or destinationNamedPort",
    ),
    (
        "cnp-icmp",
        "CNP",
        {"spec.ingress[0].protocols": [{"icmp": {}}]},
        "spec.ingress[0].protocols[0].icmp",
        "unknown field 'icmp'",
    ),
    (
        "cnp-tcp-without-port",
        "CNP",
        {"spec.ingress[0].protocols": [{"tcp": {}}]},
        "spec.ingress[0].protocols[0].tcp",
        "should have at least 1 properties (destinationPort)",
    ),
    (
        "cnp-tcp-null-port",
        "CNP",
        {"spec.ingress[0].protocols": [{"udp": {"destinationPort": None}}]},
        "spec.ingress[0].protocols[0].udp",
        "should have at least 1 properties (destinationPort)",
    ),
    (
        "cnp-tcp-unknown",
        "CNP",
        {"spec.ingress[0].protocols[0].tcp.port": 80},
        "spec.ingress[0].protocols[0].tcp.port",
        "unknown field 'port'",
    ),
    (
        "cnp-port-number-and-range",
        "CNP",
        {"spec.ingress[0].protocols[0].tcp.destinationPort.range": {"start": 1, "end": 2}},
        "spec.ingress[0].protocols[0].tcp.destinationPort",
        "exactly one field must be set: number or range",
    ),
    (
        "cnp-port-zero",
        "CNP",
        {"spec.ingress[0].protocols[0].tcp.destinationPort.number": 0},
        "spec.ingress[0].protocols[0].tcp.destinationPort.number",
        "greater than or equal to 1, got 0",
    ),
    (
        "cnp-port-high",
        "CNP",
        {"spec.ingress[0].protocols[0].tcp.destinationPort.number": 65536},
        "spec.ingress[0].protocols[0].tcp.destinationPort.number",
        "less than or equal to 65535, got 65536",
    ),
    (
        "cnp-range-equal",
        "CNP",
        {"spec.ingress[0].protocols": [{"sctp": {"destinationPort": {"range": {"start": 80, "end": 80}}}}]},
        "spec.ingress[0].protocols[0].sctp.destinationPort.range",
        "Start port must be less than End port (start 80, end 80)",
    ),
    (
        "cnp-range-no-end",
        "CNP",
        {"spec.ingress[0].protocols": [{"tcp": {"destinationPort": {"range": {"start": 80}}}}]},
        "spec.ingress[0].protocols[0].tcp.destinationPort.range.end",
        "required field is missing",
    ),
    (
        "cnp-range-protocol",
        "CNP",
        {
            "spec.ingress[0].protocols": [
                {"tcp": {"destinationPort": {"range": {"start": 1, "end": 2, "protocol": "TCP"}}}}
            ]
        },
        "spec.ingress[0].protocols[0].tcp.destinationPort.range.protocol",
        "unknown field 'protocol'",
    ),
    (
        "cnp-range-end-high",
        "CNP",
        {"spec.ingress[0].protocols": [{"tcp": {"destinationPort": {"range": {"start": 1, "end": 70000}}}}]},
        "spec.ingress[0].protocols[0].tcp.destinationPort.range.end",
        "less than or equal to 65535, got 70000",
    ),
    (
        "cnp-empty-named-port",
        "CNP",
        {"spec.ingress[0].protocols": [{"destinationNamedPort": ""}]},
        "spec.ingress[0].protocols[0].destinationNamedPort",
        "must not be empty",
    ),
    (
        "cnp-named-port-type",
        "CNP",
        {"spec.ingress[0].protocols": [{"destinationNamedPort": 80}]},
        "spec.ingress[0].protocols[0].destinationNamedPort",
        "expected a string",
    ),
    # AdminNetworkPolicy v1alpha1
    ("anp-no-tier-field", "ANP", {"spec.tier": "Admin"}, "spec.tier", "unknown field 'tier'"),
    ("anp-no-priority", "ANP", {"spec.priority": DELETE}, "spec.priority", "required field is missing"),
    ("anp-priority-high", "ANP", {"spec.priority": 1001}, "spec.priority", "less than or equal to 1000"),
    (
        "anp-pods-need-namespace-selector",
        "ANP",
        {"spec.subject": {"pods": {"podSelector": {}}}},
        "spec.subject.pods.namespaceSelector",
        "required field is missing",
    ),
    (
        "anp-accept-is-v1alpha2",
        "ANP",
        {"spec.egress[0].action": "Accept"},
        "spec.egress[0].action",
        "Unsupported value: 'Accept': supported values: 'Allow', 'Deny', 'Pass'",
    ),
    (
        "anp-too-many-rules",
        "ANP",
        {"spec.ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}] * 101},
        "spec.ingress",
        "Too many: 101: must have at most 100 items",
    ),
    (
        "anp-protocols-is-v1alpha2",
        "ANP",
        {"spec.ingress[0].protocols": []},
        "spec.ingress[0].protocols",
        "unknown field 'protocols'",
    ),
    ("anp-empty-ports", "ANP", {"spec.ingress[0].ports": []}, "spec.ingress[0].ports", "should have at least 1 items"),
    ("anp-empty-port", "ANP", {"spec.ingress[0].ports": [{}]}, "spec.ingress[0].ports[0]", "exactly one field"),
    (
        "anp-port-without-number",
        "ANP",
        {"spec.ingress[0].ports": [{"portNumber": {"protocol": "TCP"}}]},
        "spec.ingress[0].ports[0].portNumber.port",
        "required field is missing",
    ),
    (
        "anp-port-high",
        "ANP",
        {"spec.ingress[0].ports[0].portNumber.port": 65536},
        "spec.ingress[0].ports[0].portNumber.port",
        "less than or equal to 65535",
    ),
    (
        "anp-lowercase-protocol",
        "ANP",
        {"spec.ingress[0].ports[0].portNumber.protocol": "tcp"},
        "spec.ingress[0].ports[0].portNumber.protocol",
        "unsupported protocol 'tcp' (write 'TCP')",
    ),
    (
        "anp-icmp-protocol",
        "ANP",
        {"spec.ingress[0].ports[0].portNumber.protocol": "ICMP"},
        "spec.ingress[0].ports[0].portNumber.protocol",
        "expected one of: TCP, UDP, SCTP",
    ),
    (
        "anp-port-unknown",
        "ANP",
        {"spec.ingress[0].ports[0].portNumber.endPort": 90},
        "spec.ingress[0].ports[0].portNumber.endPort",
        "unknown field 'endPort'",
    ),
    (
        "anp-range-reversed",
        "ANP",
        {"spec.ingress[0].ports": [{"portRange": {"start": 90, "end": 80}}]},
        "spec.ingress[0].ports[0].portRange",
        "the Start value must be less than End (start 90, end 80)",
    ),
    (
        "anp-range-no-start",
        "ANP",
        {"spec.ingress[0].ports": [{"portRange": {"end": 80}}]},
        "spec.ingress[0].ports[0].portRange.start",
        "required field is missing",
    ),
    (
        "anp-range-bad-protocol",
        "ANP",
        {"spec.ingress[0].ports": [{"portRange": {"protocol": "HTTP", "start": 1, "end": 2}}]},
        "spec.ingress[0].ports[0].portRange.protocol",
        "unsupported protocol 'HTTP'",
    ),
    (
        "anp-two-port-forms",
        "ANP",
        {"spec.ingress[0].ports": [{"namedPort": "web", "portNumber": {"port": 80}}]},
        "spec.ingress[0].ports[0]",
        "exactly one field must be set: portNumber or namedPort or portRange",
    ),
    (
        "anp-named-port-with-networks",
        "ANP",
        {"spec.egress[0].ports": [{"namedPort": "web"}]},
        "spec.egress[0]",
        "networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts",
    ),
    (
        "anp-networks-not-in-ingress",
        "ANP",
        {"spec.ingress[0].from": [{"networks": ["10.0.0.0/8"]}]},
        "spec.ingress[0].from[0].networks",
        "unknown field 'networks'",
    ),
    (
        "anp-peer-pods-need-namespace-selector",
        "ANP",
        {"spec.egress[0].to": [{"pods": {"podSelector": {}}}]},
        "spec.egress[0].to[0].pods.namespaceSelector",
        "required field is missing",
    ),
    (
        "anp-network-invalid",
        "ANP",
        {"spec.egress[0].to[0].networks": ["10.0.0.0/8", "10.0.0.0/-1"]},
        "spec.egress[0].to[0].networks[1]",
        "Invalid CIDR format provided",
    ),
    (
        "anp-too-many-peers",
        "ANP",
        {"spec.ingress[0].from": [{"namespaces": {}}] * 101},
        "spec.ingress[0].from",
        "Too many: 101: must have at most 100 items",
    ),
    # BaselineAdminNetworkPolicy v1alpha1
    (
        "banp-not-default",
        "BANP",
        {"metadata.name": "baseline"},
        "metadata.name",
        'Only one baseline admin network policy with metadata.name="default" can be created in the cluster',
    ),
    ("banp-no-priority", "BANP", {"spec.priority": 1}, "spec.priority", "unknown field 'priority'"),
    (
        "banp-no-pass",
        "BANP",
        {"spec.ingress[0].action": "Pass"},
        "spec.ingress[0].action",
        "Unsupported value: 'Pass': supported values: 'Allow', 'Deny'",
    ),
    (
        "banp-no-domain-names",
        "BANP",
        {"spec.egress[0].to": [{"domainNames": ["example.com"]}]},
        "spec.egress[0].to[0].domainNames",
        "unknown field 'domainNames'",
    ),
    (
        "banp-named-port-with-networks",
        "BANP",
        {"spec.egress[0].to": [{"networks": ["10.0.0.0/8"]}], "spec.egress[0].ports": [{"namedPort": "dns"}]},
        "spec.egress[0]",
        "networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes",
    ),
    ("banp-no-subject", "BANP", {"spec.subject": DELETE}, "spec.subject", "required field is missing"),
]


@pytest.mark.parametrize(("base", "edits", "path", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_validation_errors(base: str, edits: dict[str, Any], path: str, message: str) -> None:
    """Each CRD validation (min/max items, enums, ranges, exactly-one-of, CEL rules, required fields) is a
    PolicyError at the exact field path, in the API's words."""
    with pytest.raises(PolicyError) as info:
        parse(edited(BASES[base], edits))
    assert info.value.path == path
    assert message in info.value.message
    assert info.value.file == "policies.yaml"


def test_error_names_the_object() -> None:
    """The error names the kind and the object, like every netpolkit error."""
    with pytest.raises(PolicyError, match=r"^policies\.yaml: document 1: ClusterNetworkPolicy cnp: spec\.priority: "):
        parse(edited(CNP, {"spec.priority": 2000}))


def test_networks_and_named_ports_mix_in_the_standard_channel() -> None:
    """v1alpha2's rule against networks peers with destinationNamedPort is experimental-channel only
    (clusternetworkpolicy_types.go line 235-236), so the standard channel accepts the mix; the named port then
    resolves on pods that the CIDR matches."""
    policy = parse(edited(CNP, {"spec.egress[0].protocols": [{"destinationNamedPort": "web"}]}))
    assert policy.egress[0].ports == (AdminPort(name="web"),)


# ---- experimental peers: unsupported -------------------------------------------------------------------------------

EXPERIMENTAL = [
    ("cnp-nodes", CNP, {"spec.egress[0].to": [{"nodes": {}}, {"networks": ["10.0.0.0/8"]}]}, "nodes"),
    ("cnp-domain-names", CNP, {"spec.egress[0].to": [{"domainNames": ["example.com"]}]}, "domainNames"),
    ("anp-nodes", ANP, {"spec.egress[0].to": [{"nodes": {"matchLabels": {"a": "b"}}}]}, "nodes"),
    ("anp-domain-names", ANP, {"spec.egress[0].to": [{"domainNames": ["*.example.com"]}]}, "domainNames"),
    ("banp-nodes", BANP, {"spec.egress[0].to": [{"nodes": {}}]}, "nodes"),
]


@pytest.mark.parametrize(("base", "edits", "field"), [e[1:] for e in EXPERIMENTAL], ids=[e[0] for e in EXPERIMENTAL])
def test_experimental_peers_are_unsupported(base: dict[str, Any], edits: dict[str, Any], field: str) -> None:
    """nodes and domainNames peers (experimental channel) change verdicts and are not modelled: an error by
    default; under unsupported="ignore" the peer is dropped with a warning naming it."""
    doc = edited(base, edits)
    with pytest.raises(PolicyError, match="not modelled by netpolkit") as info:
        parse(doc)
    assert info.value.path == f"spec.egress[0].to[0].{field}"
    sink = Unsupported("ignore")
    policy = parse(doc, sink)
    (warning,) = sink.warnings
    assert f"spec.egress[0].to[0].{field}" in warning and "the peer is dropped" in warning
    assert all(peer.selection is not None or peer.networks for peer in policy.egress[0].peers)
    assert len(policy.egress[0].peers) == len(doc["spec"]["egress"][0]["to"]) - 1


def test_experimental_peer_with_named_port_breaks_the_cel_rule() -> None:
    """The experimental CRD forbids nodes/domainNames peers with destinationNamedPort (line 236): still an error
    when the peer itself is ignored."""
    doc = edited(
        CNP, {"spec.egress[0].to": [{"nodes": {}}], "spec.egress[0].protocols": [{"destinationNamedPort": "a"}]}
    )
    with pytest.raises(PolicyError, match="cannot be set with namedPorts") as info:
        parse(doc, Unsupported("ignore"))
    assert info.value.path == "spec.egress[0]"


def test_cluster_from_objects_ignores_unsupported_peers() -> None:
    """Through the public loader: Cluster.from_objects(..., unsupported="ignore") keeps the warning."""
    doc = edited(CNP, {"spec.egress[0].to": [{"nodes": {}}, {"networks": ["10.0.0.0/8"]}]})
    cluster = npk.Cluster.from_objects([doc], unsupported="ignore")
    assert any("nodes" in w for w in cluster.warnings)
    with pytest.raises(PolicyError, match="not modelled"):
        npk.Cluster.from_objects([doc])


# ---- the dialects: structure ---------------------------------------------------------------------------------------


def small_cluster(*policies: dict[str, Any]) -> npk.Cluster:
    """Two namespaces with labels, four pods (named ports differ), two externals (IPv4, IPv6)."""
    objects = [
        namespace_manifest("a", {"team": "a"}),
        namespace_manifest("b", {"team": "b"}),
        pod_manifest("a", "web", {"app": "web"}, ["web=TCP/80", "dns=UDP/53"], ip="10.1.0.1"),
        pod_manifest("a", "db", {"app": "db"}, ["TCP/5432"], ip="10.1.0.2"),
        pod_manifest("b", "web", {"app": "web"}, ["web=TCP/8080"], ip="10.2.0.1"),
        pod_manifest("b", "api", {"app": "api"}, ["dns=UDP/5353", "web=TCP/9090"], ip="10.2.0.2"),
        *policies,
    ]
    return npk.Cluster.from_objects(objects, externals={"internet": "203.0.113.9", "v6": "2001:db8::1"})


def dialect_for(policy: Any, table: EndpointTable, profile: str = "upstream") -> Any:
    return dialect_class(policy)(table, get_profile(profile))


def test_dialects_are_registered() -> None:
    """Dialect.name is what the profiles list: ClusterNetworkPolicy (v1alpha2), AdminNetworkPolicy (v1alpha1)."""
    assert ClusterNetworkPolicyDialect in DIALECTS and AdminNetworkPolicyDialect in DIALECTS
    assert ClusterNetworkPolicyDialect.name == "ClusterNetworkPolicy"
    assert AdminNetworkPolicyDialect.name == "AdminNetworkPolicy"
    assert dialect_class(parse(CNP)) is ClusterNetworkPolicyDialect
    assert dialect_class(parse(ANP)) is AdminNetworkPolicyDialect
    assert dialect_class(parse(BANP)) is AdminNetworkPolicyDialect
    assert {"ClusterNetworkPolicy", "AdminNetworkPolicy"} <= get_profile("upstream").dialects


def test_placement() -> None:
    """Stage by tier, rank (priority, "kind rank:name"), position "priority N" (clusternetworkpolicy_types.go line 93:
    lower priority first; line 98: ties are undefined upstream, netpolkit breaks them by kind then name)."""
    table = small_cluster().table
    cnp = parse(edited(CNP, {"spec.priority": 7}))
    baseline = parse(edited(CNP, {"spec.tier": "Baseline", "metadata.name": "base"}))
    anp, banp = parse(ANP), parse(BANP)
    place = {p.ref: dialect_for(p, table).placement(p) for p in (cnp, baseline, anp, banp)}
    assert (place[cnp.ref].stage, place[cnp.ref].rank, place[cnp.ref].position) == (
        ADMIN,
        (7.0, "0:cnp"),
        "priority 7",
    )
    assert place[baseline.ref].stage == BASELINE
    assert (place[anp.ref].stage, place[anp.ref].rank) == (ADMIN, (10.0, "1:anp"))
    assert (place[banp.ref].stage, place[banp.ref].rank, place[banp.ref].position) == (
        BASELINE,
        (0.0, "2:default"),
        "",
    )
    tie = parse(edited(CNP, {"metadata.name": "aaa"}))
    ranks = sorted([place[anp.ref].rank, dialect_for(tie, table).placement(tie).rank, (10.0, "0:cnp")])
    assert ranks == [(10.0, "0:aaa"), (10.0, "0:cnp"), (10.0, "1:anp")]


def test_rules_and_isolation() -> None:
    """Accept/Allow -> Allow, Deny -> Deny, Pass -> Pass, in written order, with the rule's name; these tiers
    never isolate (api-overview: no implicit isolation)."""
    table = small_cluster().table
    doc = edited(
        CNP,
        {
            "spec.ingress": [
                {"name": "a", "action": "Accept", "from": [{"namespaces": {}}]},
                {"action": "Pass", "from": [{"namespaces": {}}]},
                {"name": "d", "action": "Deny", "from": [{"namespaces": {}}]},
            ]
        },
    )
    policy = parse(doc)
    dialect = dialect_for(policy, table)
    entries = dialect.rules(policy, "Ingress")
    assert [(e.action, e.name) for e in entries] == [(ALLOW, "a"), (PASS, None), (DENY, "d")]
    assert all(isinstance(e, RuleEntry) for e in entries) and entries[0].rule is policy.ingress[0]
    anp = parse(ANP)
    assert [e.action for e in dialect_for(anp, table).rules(anp, "Ingress")] == [ALLOW]
    assert [e.action for e in dialect_for(anp, table).rules(anp, "Egress")] == [PASS]
    assert not any(dialect.isolates(p, d) for p in (policy, anp) for d in ("Ingress", "Egress"))


# ---- the dialects: reference and vectorized agree ------------------------------------------------------------------

AGREE_POLICIES = [
    edited(
        CNP,
        {
            "metadata.name": "many",
            "spec.subject": {"pods": {"namespaceSelector": {"matchLabels": {"team": "a"}}, "podSelector": {}}},
            "spec.ingress": [
                {
                    "action": "Accept",
                    "from": [{"pods": {"podSelector": {"matchLabels": {"app": "web"}}}}],
                    "protocols": [{"destinationNamedPort": "web"}, {"udp": {"destinationPort": {"number": 53}}}],
                },
                {"action": "Deny", "from": [{"namespaces": {"matchLabels": {"team": "b"}}}]},
                {
                    "action": "Pass",
                    "from": [
                        {"namespaces": {"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["x"]}]}}
                    ],
                    "protocols": [{"tcp": {"destinationPort": {"range": {"start": 5000, "end": 6000}}}}],
                },
            ],
            "spec.egress": [
                {
                    "action": "Accept",
                    "to": [{"networks": ["10.2.0.0/31", "2001:db8::/64"]}],
                    "protocols": [{"destinationNamedPort": "dns"}],
                },
                {"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}, {"namespaces": {}}]},
            ],
        },
    ),
    edited(CNP, {"metadata.name": "ns-subject", "spec.subject": {"namespaces": {"matchLabels": {"team": "b"}}}}),
    edited(
        ANP,
        {
            "spec.subject": {"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}},
            "spec.ingress[0].ports": [{"portRange": {"start": 79, "end": 81}}, {"namedPort": "dns"}],
            "spec.egress": [
                {
                    "action": "Deny",
                    "to": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "api"}}}}],
                },
                {"action": "Allow", "to": [{"networks": ["203.0.113.0/24"]}], "ports": [{"portNumber": {"port": 443}}]},
            ],
        },
    ),
    BANP,
]
QUERIES = [PortQuery.parse(q) for q in ("TCP/80", "TCP/8080", "UDP/53", "UDP/5353", "TCP/5500", "TCP/443", "SCTP/80")]


@pytest.mark.parametrize("doc", AGREE_POLICIES, ids=lambda d: f"{d['kind']}-{d['metadata']['name']}")
@pytest.mark.parametrize("profile", ["upstream", "cilium"])
def test_reference_and_vectorized_faces_agree(doc: dict[str, Any], profile: str) -> None:
    """selects == subject and matches == rule_columns, for every endpoint, pair, rule and query (the cilium
    profile, whose ipBlocks never match pods, must not change networks peers)."""
    cluster = small_cluster(doc)
    table = cluster.table
    (policy,) = cluster.policy_objects
    dialect = dialect_for(policy, table, profile)
    n = len(table)
    subject = dialect.subject(policy)
    assert [dialect.selects(policy, e) for e in range(n)] == subject.tolist()
    for direction in ("Ingress", "Egress"):
        for entry in dialect.rules(policy, direction):
            for query in QUERIES:
                columns = dialect.rule_columns(policy, entry.rule, direction, query)
                for s in range(n):
                    for d in range(n):
                        expected = dialect.matches(policy, entry.rule, direction, s, d, query)
                        got = columns is not None and bool(columns[0][s] and columns[1][d])
                        assert got == expected, (direction, entry.rule, str(query), table.ids[s], table.ids[d])


# ---- the dialects: semantics ----------------------------------------------------------------------------------------


def faces(policy_doc: dict[str, Any], direction: str, rule: int, src: str, dst: str, port: str) -> tuple[bool, bool]:
    """(reference, vectorized) of one rule on one pair (after the subject check)."""
    cluster = small_cluster(policy_doc)
    table = cluster.table
    (policy,) = cluster.policy_objects
    dialect = dialect_for(policy, table)
    query = PortQuery.parse(port)
    chosen = policy.rules(direction)[rule]
    s, d = table.index[src], table.index[dst]
    columns = dialect.rule_columns(policy, chosen, direction, query)
    return (
        dialect.matches(policy, chosen, direction, s, d, query),
        columns is not None and bool(columns[0][s] and columns[1][d]),
    )


def test_subject_namespaces_selects_pods_of_matching_namespaces() -> None:
    """subject.namespaces: every pod of the matching namespaces, never an external (line 169)."""
    cluster = small_cluster(CNP)
    (policy,) = cluster.policy_objects
    dialect = dialect_for(policy, cluster.table)
    picked = {cluster.table.ids[e] for e in np.flatnonzero(dialect.subject(policy))}
    assert picked == {"a/web", "a/db"}


def test_subject_pods_is_namespace_and_pod_selector() -> None:
    """subject.pods: namespaceSelector AND podSelector (line 172); an absent namespaceSelector is empty, every
    namespace (line 415)."""
    doc = edited(CNP, {"spec.subject": {"pods": {"podSelector": {"matchLabels": {"app": "web"}}}}})
    cluster = small_cluster(doc)
    (policy,) = cluster.policy_objects
    dialect = dialect_for(policy, cluster.table)
    assert {cluster.table.ids[e] for e in np.flatnonzero(dialect.subject(policy))} == {"a/web", "b/web"}
    doc = edited(doc, {"spec.subject.pods.namespaceSelector": {"matchLabels": {"team": "b"}}})
    cluster = small_cluster(doc)
    (policy,) = cluster.policy_objects
    assert [dialect_for(policy, cluster.table).selects(policy, e) for e in range(len(cluster.table))] == [
        cluster.table.ids[e] == "b/web" for e in range(len(cluster.table))
    ]


def test_networks_match_pod_ips_whatever_the_profile() -> None:
    """networks: "cluster-internal traffic will be checked against the rule as well" (line 378), also under a
    profile whose Kubernetes ipBlocks never match pods."""
    doc = edited(CNP, {"spec.subject": {"namespaces": {}}, "spec.egress[0].to": [{"networks": ["10.2.0.1/32"]}]})
    cluster = small_cluster(doc)
    (policy,) = cluster.policy_objects
    for profile in ("upstream", "cilium", "calico"):
        dialect = dialect_for(policy, cluster.table, profile)
        s, d = cluster.table.index["a/web"], cluster.table.index["b/web"]
        assert dialect.matches(policy, policy.egress[0], "Egress", s, d, PortQuery.parse("TCP/1"))
        source, destination = dialect.rule_columns(policy, policy.egress[0], "Egress", PortQuery.parse("TCP/1"))
        assert source[s] and destination[d]
    assert faces(doc, "Egress", 0, "a/web", "external/internet", "TCP/1") == (False, False)


def test_named_ports_resolve_on_the_destination_with_the_protocol() -> None:
    """destinationNamedPort selects a destination port by ContainerPort name (line 449): "web" is TCP/80 on a/web,
    TCP/8080 on b/web; never UDP, never a number the pod does not give that name."""
    doc = edited(
        CNP,
        {
            "spec.subject": {"namespaces": {}},
            "spec.ingress[0].protocols": [{"destinationNamedPort": "web"}],
        },
    )
    assert faces(doc, "Ingress", 0, "b/api", "a/web", "TCP/80") == (True, True)
    assert faces(doc, "Ingress", 0, "b/api", "a/web", "UDP/80") == (False, False)
    assert faces(doc, "Ingress", 0, "b/api", "a/web", "TCP/8080") == (False, False)
    assert faces(doc, "Ingress", 0, "a/web", "b/web", "TCP/8080") == (True, True)
    assert faces(doc, "Ingress", 0, "a/web", "a/db", "TCP/5432") == (False, False)


def test_no_ports_means_every_port() -> None:
    """No protocols / ports: the rule does not filter by port (line 222; v1alpha1 adminnetworkpolicy_types.go
    line 141)."""
    doc = edited(CNP, {"spec.ingress[0].protocols": DELETE})
    for port in ("TCP/1", "UDP/65535", "SCTP/9003"):
        assert faces(doc, "Ingress", 0, "b/api", "a/db", port) == (True, True)


def test_pod_peers_never_match_externals() -> None:
    """namespaces / pods peers pick pods (line 323); an external endpoint only matches networks peers."""
    doc = edited(CNP, {"spec.egress[0].to": [{"namespaces": {}}], "spec.ingress[0].protocols": DELETE})
    assert faces(doc, "Egress", 0, "a/web", "external/internet", "TCP/80") == (False, False)
    assert faces(doc, "Egress", 0, "a/web", "b/api", "TCP/80") == (True, True)
    assert faces(doc, "Ingress", 0, "external/internet", "a/web", "TCP/80") == (False, False)


def test_a_rule_without_peers_matches_nothing() -> None:
    """A rule whose only peer was dropped as unsupported matches nothing (not everyone)."""
    doc = edited(CNP, {"spec.egress[0].to": [{"nodes": {}}]})
    cluster = npk.Cluster.from_objects([doc], unsupported="ignore")
    (policy,) = cluster.policy_objects
    assert policy.egress[0].peers == ()
    table = small_cluster().table
    dialect = dialect_for(policy, table)
    assert dialect.rule_columns(policy, policy.egress[0], "Egress", PortQuery.parse("TCP/80")) is None
    assert not dialect.matches(policy, policy.egress[0], "Egress", 0, 1, PortQuery.parse("TCP/80"))


def test_host_network_pods_are_never_picked() -> None:
    """Host-network pods are not included in subject selection nor in pod peers (lines 164, 323); a networks
    peer still matches their (node) IP."""
    host = pod_manifest("a", "agent", {"app": "agent"}, ["web=TCP/80"], ip="10.9.0.1")
    host["spec"]["hostNetwork"] = True
    doc = edited(
        CNP,
        {
            "spec.subject": {"namespaces": {}},
            "spec.ingress[0].from": [{"namespaces": {}}],
            "spec.egress[0].to": [{"networks": ["10.9.0.0/16"]}],
        },
    )
    cluster = small_cluster(doc, host)
    table = cluster.table
    (policy,) = cluster.policy_objects
    dialect = dialect_for(policy, table)
    agent, web = table.index["a/agent"], table.index["a/web"]
    assert not dialect.selects(policy, agent) and not dialect.subject(policy)[agent]
    assert dialect.selects(policy, web) and dialect.subject(policy)[web]
    query = PortQuery.parse("TCP/80")
    assert not dialect.matches(policy, policy.ingress[0], "Ingress", agent, web, query)
    source, _ = dialect.rule_columns(policy, policy.ingress[0], "Ingress", query)
    assert not source[agent] and source[web]
    assert dialect.matches(policy, policy.egress[0], "Egress", web, agent, query)
    assert dialect.rule_columns(policy, policy.egress[0], "Egress", query)[1][agent]


# ---- through the engines: tiers, Pass, no isolation ----------------------------------------------------------------

NETWORK_POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "only-a", "namespace": "a"},
    "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}]}]},
}


def verdicts(*docs: dict[str, Any]) -> dict[str, bool]:
    """b/api -> a/web and a/db -> a/web on TCP/80, with both engines (which must agree)."""
    cluster = small_cluster(*docs)
    out = {}
    for engine in ("vectorized", "reference"):
        reach = npk.reachability(cluster, ports=["TCP/80"], engine=engine)
        got = {pair: reach.allowed(*pair.split(" -> "), "TCP/80") for pair in ("b/api -> a/web", "a/db -> a/web")}
        out = out or got
        assert got == out, engine
    return out


def admin(action: str, tier: str = "Admin", priority: int = 10, name: str = "p") -> dict[str, Any]:
    """A ClusterNetworkPolicy on pods of namespace a: ``action`` for ingress from namespace b."""
    return edited(
        CNP,
        {
            "metadata.name": name,
            "spec.tier": tier,
            "spec.priority": priority,
            "spec.ingress": [{"action": action, "from": [{"namespaces": {"matchLabels": {"team": "b"}}}]}],
            "spec.egress": DELETE,
        },
    )


def test_admin_tier_decides_before_network_policies() -> None:
    """Admin Accept/Deny are final; Pass hands over to NetworkPolicy (clusternetworkpolicy_types.go lines 193-208)."""
    assert verdicts(NETWORK_POLICY) == {"b/api -> a/web": False, "a/db -> a/web": True}
    assert verdicts(NETWORK_POLICY, admin("Accept")) == {"b/api -> a/web": True, "a/db -> a/web": True}
    assert verdicts(admin("Deny")) == {"b/api -> a/web": False, "a/db -> a/web": True}
    assert verdicts(NETWORK_POLICY, admin("Pass")) == {"b/api -> a/web": False, "a/db -> a/web": True}


def test_baseline_tier_runs_after_network_policies() -> None:
    """A NetworkPolicy overrides the Baseline tier for the pods it selects; Pass in Baseline ends the tier and
    the default allows (npep-285: Pass allowed in Baseline, the CRD's enum has it)."""
    assert verdicts(admin("Deny", "Baseline")) == {"b/api -> a/web": False, "a/db -> a/web": True}
    allow_b = edited(NETWORK_POLICY, {"spec.ingress[0].from[0].namespaceSelector.matchLabels.team": "b"})
    assert verdicts(allow_b, admin("Deny", "Baseline"))["b/api -> a/web"] is True
    assert verdicts(admin("Pass", "Baseline", 1, "first"), admin("Deny", "Baseline", 2, "second")) == {
        "b/api -> a/web": True,
        "a/db -> a/web": True,
    }


def test_priority_orders_policies_in_a_tier() -> None:
    """Lower priority first (line 93), across names and kinds."""
    assert verdicts(admin("Accept", priority=5, name="z"), admin("Deny", priority=6, name="a"))["b/api -> a/web"]
    assert not verdicts(admin("Accept", priority=6, name="a"), admin("Deny", priority=5, name="z"))["b/api -> a/web"]
    anp_deny = edited(ANP, {"spec.priority": 5, "spec.ingress": [{"action": "Deny", "from": [{"namespaces": {}}]}]})
    assert not verdicts(admin("Accept", priority=6), anp_deny)["b/api -> a/web"]
