"""``netpolkit.analysis.lint``: every check, positive and negative, across the dialects where it applies.

Each case is a small cluster (a fixed world plus the policies of the case) and the findings one check must give:
(severity, object, field path) and words of the message; a case without findings is the negative one.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from conformance import namespace_manifest, pod_manifest

import netpolkit as npk
from netpolkit import analysis
from netpolkit.analysis import LINT_COLUMNS, LINT_RULES, LintFinding, lint, lint_findings, synthetic_ips
from netpolkit.errors import PolicyError

PODS = [
    ("shop", "web", {"app": "web"}, ["http=TCP/8080"], "10.1.0.1"),
    ("shop", "db", {"app": "db"}, ["TCP/5432"], "10.1.0.2"),
    ("ops", "monitor", {"app": "monitor"}, [], "10.2.0.1"),
    ("kube-system", "coredns", {"k8s-app": "kube-dns"}, ["dns=UDP/53", "dns-tcp=TCP/53"], "10.3.0.1"),
]
SERVICES = """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {selector: {app: db}, ports: [{port: 5432}]}
"""


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(textwrap.dedent(text)) if d]


def world() -> list[dict[str, Any]]:
    objects = [namespace_manifest(n, {"team": n}) for n in ("shop", "ops", "kube-system")]
    objects += [pod_manifest(ns, name, labels, ports, ip=ip) for ns, name, labels, ports, ip in PODS]
    return objects + docs(SERVICES)


def cluster(policies: str, extra: str = "") -> npk.Cluster:
    return npk.Cluster.from_objects(world() + docs(extra) + docs(policies), {"internet": "203.0.113.10"})


def knp(name: str, spec: str, namespace: str = "shop") -> str:
    return (
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\nspec: {spec}\n"
    )


def gnp(name: str, spec: str) -> str:
    return (
        f"---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: {name}}}\nspec: {spec}\n"
    )


def cnp(name: str, spec: str) -> str:
    return (
        "---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
        f"metadata: {{name: {name}}}\nspec: {spec}\n"
    )


def cilium(name: str, spec: str, namespace: str = "shop") -> str:
    return (
        "---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\nspec: {spec}\n"
    )


DENY_EGRESS = knp("deny", "{podSelector: {}, policyTypes: [Egress]}")
DNS = "{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}"


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    policies: str
    expected: tuple[tuple[str, str, str, str], ...] = ()  # (severity, object, path, words of the message)
    profile: str = "upstream"
    extra: str = ""  # more world objects


CASES = [
    # ---- dns-egress
    Case(
        "dns/k8s-default-deny-without-dns",
        "dns-egress",
        DENY_EGRESS,
        (("warning", "NetworkPolicy shop/deny", "spec.policyTypes", "2 pods (shop/db, shop/web)"),),
    ),
    Case(
        "dns/k8s-udp-and-tcp-to-kube-dns",
        "dns-egress",
        DENY_EGRESS
        + knp(
            "dns",
            f"{{podSelector: {{}}, egress: [{{to: [{DNS}], ports: [{{port: 53, protocol: UDP}}, "
            "{port: 53, protocol: TCP}]}]}",
        ),
    ),
    Case(
        "dns/k8s-port-53-to-a-namespace-the-export-lacks",
        "dns-egress",
        DENY_EGRESS
        + knp(
            "dns",
            "{podSelector: {}, egress: [{to: [{namespaceSelector: {matchLabels: {dns: 'yes'}}}], "
            "ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]}",
        ),
    ),
    Case(
        "dns/k8s-udp-only-is-info",
        "dns-egress",
        DENY_EGRESS + knp("dns", "{podSelector: {}, egress: [{ports: [{port: 53, protocol: UDP}]}]}"),
        (("info", "NetworkPolicy shop/deny", "spec.policyTypes", "TCP/53"),),
    ),
    Case(
        "dns/k8s-egress-allow-all",
        "dns-egress",
        knp("open", "{podSelector: {}, policyTypes: [Egress], egress: [{}]}"),
    ),
    Case(
        "dns/k8s-every-port-to-the-dns-pods",
        "dns-egress",
        DENY_EGRESS
        + knp(
            "dns",
            "{podSelector: {}, egress: [{to: [{namespaceSelector: {}, "
            "podSelector: {matchLabels: {k8s-app: kube-dns}}}]}]}",
        ),
    ),
    Case(
        "dns/k8s-every-port-but-only-to-the-db",
        "dns-egress",
        knp(
            "out", "{podSelector: {matchLabels: {app: web}}, egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}]}"
        ),
        (("warning", "NetworkPolicy shop/out", "spec.egress", "1 pod (shop/web)"),),
    ),
    Case("dns/k8s-ingress-isolation-only", "dns-egress", knp("in", "{podSelector: {}}")),
    Case(
        "dns/k8s-each-pod-under-its-first-isolating-policy",
        "dns-egress",
        DENY_EGRESS
        + knp(
            "web-out",
            "{podSelector: {matchLabels: {app: web}}, egress: [{to: [{podSelector: {}}], ports: [{port: 5432}]}]}",
        ),
        (("warning", "NetworkPolicy shop/deny", "spec.policyTypes", "2 pods"),),
    ),
    Case(
        "dns/calico-global-default-deny",
        "dns-egress",
        gnp("deny", "{selector: \"app == 'web'\", types: [Egress]}"),
        (("warning", "GlobalNetworkPolicy deny", "spec.types", "shop/web"),),
        profile="calico",
    ),
    Case(
        "dns/calico-dns-rules",
        "dns-egress",
        gnp(
            "deny",
            "{selector: all(), types: [Egress], egress: [{action: Allow, protocol: UDP, destination: "
            "{ports: [53]}}, {action: Allow, protocol: TCP, destination: {ports: [53]}}]}",
        ),
        profile="calico",
    ),
    Case(
        "dns/calico-pass-tier-does-not-isolate",
        "dns-egress",
        "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: soft}\n"
        "spec: {order: 10, defaultAction: Pass}\n" + gnp("soft.deny", "{tier: soft, selector: all(), types: [Egress]}"),
        profile="calico",
    ),
    Case(
        "dns/cilium-egress-rule-without-dns",
        "dns-egress",
        cilium(
            "out", "{endpointSelector: {matchLabels: {app: web}}, egress: [{toEndpoints: [{matchLabels: {app: db}}]}]}"
        ),
        (("warning", "CiliumNetworkPolicy shop/out", "spec.egress", "shop/web"),),
        profile="cilium",
    ),
    Case(
        "dns/cilium-dns-on-any-protocol",
        "dns-egress",
        cilium("out", "{endpointSelector: {}, egress: [{toEntities: [cluster], toPorts: [{ports: [{port: '53'}]}]}]}"),
        profile="cilium",
    ),
    Case(
        "dns/admin-deny-is-no-isolation",
        "dns-egress",
        cnp(
            "guard",
            "{tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {}}]}]}",
        ),
    ),
    # ---- service-port
    Case(
        "service/k8s-ingress-service-port",
        "service-port",
        knp("web", "{podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: 80}]}]}"),
        (("warning", "NetworkPolicy shop/web", "spec.ingress[0].ports[0].port", "Service shop/web (80 -> http)"),),
    ),
    Case(
        "service/k8s-ingress-pod-port",
        "service-port",
        knp("web", "{podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: 8080}]}]}"),
    ),
    Case(
        "service/k8s-same-port-and-target",
        "service-port",
        knp("db", "{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: 5432}]}]}"),
    ),
    Case(
        "service/k8s-egress-to-the-pods-behind",
        "service-port",
        knp(
            "out",
            "{podSelector: {}, egress: [{to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}], "
            "ports: [{port: 80}]}]}",
            namespace="ops",
        ),
        (("warning", "NetworkPolicy ops/out", "spec.egress[0].ports[0].port", "write 8080"),),
    ),
    Case(
        "service/k8s-port-80-to-pods-behind-no-such-service",
        "service-port",
        knp("out", "{podSelector: {}, egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 80}]}]}"),
    ),
    Case(
        "service/calico-destination-port",
        "service-port",
        gnp(
            "web", "{selector: \"app == 'web'\", ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]}"
        ),
        (("warning", "GlobalNetworkPolicy web", "spec.ingress[0].destination.ports[0]", "write 8080"),),
        profile="calico",
    ),
    Case(
        "service/cnp-protocols",
        "service-port",
        cnp(
            "web",
            "{tier: Admin, priority: 1, subject: {pods: {podSelector: {matchLabels: {app: web}}}}, ingress: "
            "[{action: Accept, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]}",
        ),
        (("warning", "ClusterNetworkPolicy web", "spec.ingress[0].protocols[0].tcp.destinationPort.number", "8080"),),
    ),
    Case(
        "service/anp-ports",
        "service-port",
        "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: web}\n"
        "spec: {priority: 1, subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}, "
        "ingress: [{action: Allow, from: [{namespaces: {}}], ports: [{portNumber: {protocol: TCP, port: 80}}]}]}\n",
        (("warning", "AdminNetworkPolicy web", "spec.ingress[0].ports[0].portNumber.port", "8080"),),
    ),
    Case(
        "service/cilium-to-ports",
        "service-port",
        cilium(
            "web",
            "{endpointSelector: {matchLabels: {app: web}}, ingress: [{toPorts: [{ports: [{port: '80', "
            "protocol: TCP}]}]}]}",
        ),
        (("warning", "CiliumNetworkPolicy shop/web", "spec.ingress[0].toPorts", "write 8080"),),
        profile="cilium",
    ),
    # ---- named-port
    Case(
        "named/k8s-undeclared",
        "named-port",
        knp("web", "{podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: https}]}]}"),
        (
            (
                "warning",
                "NetworkPolicy shop/web",
                "spec.ingress[0].ports[0].port",
                "(shop/web) does not declare a container port of that name; it declares http=TCP/8080",
            ),
        ),
    ),
    Case(
        "named/k8s-declared",
        "named-port",
        knp("web", "{podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: http}]}]}"),
    ),
    Case(
        "named/k8s-declared-for-another-protocol",
        "named-port",
        knp("web", "{podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: http, protocol: UDP}]}]}"),
        (("warning", "NetworkPolicy shop/web", "spec.ingress[0].ports[0].port", "'http' (UDP)"),),
    ),
    Case(
        "named/k8s-egress-to-peers-without-names",
        "named-port",
        knp(
            "out",
            "{podSelector: {}, egress: [{to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}], "
            "ports: [{port: postgres}]}]}",
            namespace="ops",
        ),
        (("warning", "NetworkPolicy ops/out", "spec.egress[0].ports[0].port", "it declares no named port"),),
    ),
    Case(
        "named/k8s-egress-to-the-dns-pods",
        "named-port",
        knp("out", f"{{podSelector: {{}}, egress: [{{to: [{DNS}], ports: [{{port: dns, protocol: UDP}}]}}]}}"),
    ),
    Case(
        "named/k8s-no-destination-pod-at-all",
        "named-port",
        knp(
            "out",
            "{podSelector: {}, egress: [{to: [{podSelector: {matchLabels: {app: nobody}}}], ports: [{port: https}]}]}",
        ),
    ),
    Case(
        "named/calico",
        "named-port",
        gnp(
            "web",
            "{selector: \"app == 'web'\", ingress: [{action: Allow, protocol: TCP, destination: {ports: [https]}}]}",
        ),
        (("warning", "GlobalNetworkPolicy web", "spec.ingress[0].destination.ports[0]", "'https'"),),
        profile="calico",
    ),
    Case(
        "named/cnp-destination-named-port",
        "named-port",
        cnp(
            "web",
            "{tier: Baseline, priority: 1, subject: {pods: {podSelector: {matchLabels: {app: web}}}}, ingress: "
            "[{action: Deny, from: [{namespaces: {}}], protocols: [{destinationNamedPort: https}]}]}",
        ),
        (("warning", "ClusterNetworkPolicy web", "spec.ingress[0].protocols[0].destinationNamedPort", "'https'"),),
    ),
    Case(
        "named/cilium",
        "named-port",
        cilium(
            "web", "{endpointSelector: {matchLabels: {app: web}}, ingress: [{toPorts: [{ports: [{port: https}]}]}]}"
        ),
        (("warning", "CiliumNetworkPolicy shop/web", "spec.ingress[0].toPorts", "'https'"),),
        profile="cilium",
    ),
    Case(
        "named/cilium-declared",
        "named-port",
        cilium("web", "{endpointSelector: {matchLabels: {app: web}}, ingress: [{toPorts: [{ports: [{port: http}]}]}]}"),
        profile="cilium",
    ),
    # ---- policy-types
    Case(
        "types/k8s-egress-rules-ignored",
        "policy-types",
        knp("p", "{podSelector: {}, policyTypes: [Ingress], egress: [{}, {}]}"),
        (("error", "NetworkPolicy shop/p", "spec.policyTypes", "has 2 egress rules but policyTypes [Ingress]"),),
    ),
    Case(
        "types/k8s-ingress-rules-ignored",
        "policy-types",
        knp("p", "{podSelector: {}, policyTypes: [Egress], ingress: [{}]}"),
        (("error", "NetworkPolicy shop/p", "spec.policyTypes", "has 1 ingress rule but"),),
    ),
    Case("types/k8s-defaulted", "policy-types", knp("p", "{podSelector: {}, ingress: [{}], egress: [{}]}")),
    Case(
        "types/calico-types",
        "policy-types",
        "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
        "spec: {types: [Ingress], egress: [{action: Allow}]}\n",
        (("error", "Calico NetworkPolicy shop/p", "spec.types", "has 1 egress rule but types [Ingress]"),),
        profile="calico",
    ),
    Case("types/calico-defaulted", "policy-types", gnp("p", "{egress: [{action: Allow}]}"), profile="calico"),
    # ---- ipblock-pods
    Case(
        "ipblock/k8s-covers-pods",
        "ipblock-pods",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.1.0.0/16}}]}]}"),
        (("warning", "NetworkPolicy shop/p", "spec.ingress[0].from[0].ipBlock", "2 pods (shop/db, shop/web)"),),
    ),
    Case(
        "ipblock/k8s-except-leaves-the-pods-out",
        "ipblock-pods",
        knp("p", "{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/12]}}]}]}"),
    ),
    Case(
        "ipblock/k8s-external-only",
        "ipblock-pods",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 203.0.113.0/24}}]}]}"),
    ),
    Case(
        "ipblock/k8s-everything-is-info",
        "ipblock-pods",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}"),
        (("info", "NetworkPolicy shop/p", "spec.ingress[0].from[0].ipBlock", "fine if it means everyone"),),
    ),
    Case(
        "ipblock/k8s-under-cilium-never-matches-pods",
        "ipblock-pods",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.2.0.0/16}}]}]}"),
        (("info", "NetworkPolicy shop/p", "spec.ingress[0].from[0].ipBlock", "under profile 'cilium' it never"),),
        profile="cilium",
    ),
    Case(
        "ipblock/calico-nets",
        "ipblock-pods",
        gnp("p", "{selector: all(), ingress: [{action: Allow, source: {nets: [203.0.113.0/24, 10.3.0.1/32]}}]}"),
        (("warning", "GlobalNetworkPolicy p", "spec.ingress[0].source.nets[1]", "kube-system/coredns"),),
        profile="calico",
    ),
    Case(
        "ipblock/calico-not-nets",
        "ipblock-pods",
        gnp("p", "{selector: all(), egress: [{action: Deny, destination: {notNets: [10.2.0.0/16]}}]}"),
        (("warning", "GlobalNetworkPolicy p", "spec.egress[0].destination.notNets[0]", "ops/monitor"),),
        profile="calico",
    ),
    Case(
        "ipblock/cnp-networks",
        "ipblock-pods",
        cnp(
            "p",
            "{tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: "
            "[{namespaces: {matchLabels: {team: nobody}}}, {networks: [192.0.2.0/24, 10.1.0.0/24]}]}]}",
        ),
        (("warning", "ClusterNetworkPolicy p", "spec.egress[0].to[1].networks[1]", "shop/web"),),
    ),
    Case(
        "ipblock/cilium-cidr-is-info",
        "ipblock-pods",
        cilium("p", "{endpointSelector: {}, egress: [{toCIDR: [10.1.0.0/16]}]}"),
        (("info", "CiliumNetworkPolicy shop/p", "spec.egress[0]", "under Cilium it never matches pods"),),
        profile="cilium",
    ),
    # ---- synthetic-ip
    Case(
        "synthetic/ipblock-matches-invented-ips",
        "synthetic-ip",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.244.0.0/14}}]}]}"),
        (("warning", "NetworkPolicy shop/p", "spec.ingress[0].from[0].ipBlock", "1 pod (shop/batch) by IPs"),),
        extra="""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: batch, namespace: shop}
        spec: {template: {metadata: {labels: {app: batch}}, spec: {containers: [{name: c}]}}}
        """,
    ),
    Case(
        "synthetic/ipblock-misses-them-but-might-not",
        "synthetic-ip",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.1.0.0/16}}]}]}"),
        (
            (
                "info",
                "NetworkPolicy shop/p",
                "spec.ingress[0].from[0].ipBlock",
                "does not match the pod whose IP netpolkit made up (shop/pending)",
            ),
        ),
        extra="""
        apiVersion: v1
        kind: Pod
        metadata: {name: pending, namespace: shop}
        spec: {containers: [{name: c}]}
        """,
    ),
    Case(
        "synthetic/every-pod-has-its-ip",
        "synthetic-ip",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]}"),
    ),
    Case(
        "synthetic/ipblock-pods-leaves-invented-ips-to-synthetic-ip",
        "ipblock-pods",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.244.0.0/14}}]}]}"),
        extra="""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: batch, namespace: shop}
        spec: {template: {metadata: {labels: {app: batch}}, spec: {containers: [{name: c}]}}}
        """,
    ),
    # ---- selects-nothing
    Case(
        "nothing/k8s-typo",
        "selects-nothing",
        knp("p", "{podSelector: {matchLabels: {app: wbe}}}"),
        (("warning", "NetworkPolicy shop/p", "spec.podSelector", "app=wbe (app there: db, web)"),),
    ),
    Case("nothing/k8s-selects", "selects-nothing", knp("p", "{podSelector: {matchLabels: {app: web}}}")),
    Case(
        "nothing/calico",
        "selects-nothing",
        gnp("p", "{selector: \"app == 'wbe'\", ingress: [{action: Allow}]}"),
        (("warning", "GlobalNetworkPolicy p", "spec.selector", "selects no pod"),),
        profile="calico",
    ),
    Case(
        "nothing/cnp",
        "selects-nothing",
        cnp("p", "{tier: Admin, priority: 1, subject: {namespaces: {matchLabels: {team: nobody}}}}"),
        (("warning", "ClusterNetworkPolicy p", "spec.subject", "no namespace matches"),),
    ),
    Case(
        "nothing/cilium",
        "selects-nothing",
        cilium("p", "{endpointSelector: {matchLabels: {app: wbe}}, ingress: [{}]}"),
        (("warning", "CiliumNetworkPolicy shop/p", "spec.endpointSelector", "selects no pod"),),
        profile="cilium",
    ),
    Case(
        "nothing/cilium-selects",
        "selects-nothing",
        cilium("p", "{endpointSelector: {}, ingress: [{}]}"),
        profile="cilium",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_lint_rule(case: Case):
    frame = lint(cluster(case.policies, case.extra), case.profile, rules=[case.rule])
    assert list(frame.columns) == LINT_COLUMNS
    assert set(frame["rule"]) <= {case.rule}
    got = sorted(zip(frame["severity"], frame["object"], frame["path"], frame["message"], strict=True))
    assert [g[:3] for g in got] == sorted(e[:3] for e in case.expected), frame.to_string()
    for (*_, message), (*_, words) in zip(got, sorted(case.expected), strict=True):
        assert words in message, message


def test_every_rule_has_cases_both_ways():
    for rule in LINT_RULES:
        cases = [c for c in CASES if c.rule == rule]
        assert any(c.expected for c in cases) and any(not c.expected for c in cases), rule


def test_findings_are_sorted_errors_first_and_filtered_by_rule():
    policies = knp(
        "p", "{podSelector: {}, policyTypes: [Ingress, Egress], egress: [], ingress: [{ports: [{port: 80}]}]}"
    ) + knp("q", "{podSelector: {matchLabels: {app: nobody}}, policyTypes: [Egress], ingress: [{}]}")
    c = cluster(policies)
    frame = lint(c)
    assert list(frame["severity"]) == sorted(frame["severity"], key=analysis.SEVERITIES.index)
    assert frame.iloc[0]["rule"] == "policy-types"
    assert {"dns-egress", "policy-types", "selects-nothing", "service-port"} <= set(frame["rule"])
    assert set(lint(c, rules=["dns-egress"])["rule"]) == {"dns-egress"}
    with pytest.raises(ValueError, match="unknown lint rule 'dns'"):
        lint(c, rules=["dns"])


def test_a_clean_cluster_has_no_findings():
    policies = knp("deny", "{podSelector: {}}") + knp(
        "web", "{podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: http}]}]}"
    )
    frame = lint(cluster(policies))
    assert frame.empty and list(frame.columns) == LINT_COLUMNS


def test_findings_name_the_file(tmp_path: Path):
    path = tmp_path / "policies.yaml"
    path.write_text(knp("p", "{podSelector: {}, policyTypes: [Ingress], egress: [{}]}"))
    found = lint_findings(npk.load(path), rules=["policy-types"])
    assert [f.file for f in found] == [str(path)]
    text = str(found[0])
    assert text.startswith("error: ") and "NetworkPolicy shop/p: spec.policyTypes:" in text
    assert text.endswith("[policy-types]")
    assert isinstance(found[0], LintFinding)


def test_lint_takes_a_reachability_and_its_profile():
    c = cluster(cilium("out", "{endpointSelector: {}, egress: [{toEndpoints: [{}]}]}"))
    with pytest.raises(PolicyError, match="does not enforce"):
        lint(c)
    reach = npk.reachability(c, ["TCP/80"], "cilium")
    assert "dns-egress" in set(lint(reach)["rule"])
    assert lint(c, "upstream", unsupported="ignore").empty


@pytest.mark.parametrize(
    ("extra", "replicas", "synthetic"),
    [
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: shop}\nspec: {containers: [{name: c}]}",
            "one",
            ["shop/x"],
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: shop}\n"
            "spec: {replicas: 2, template: {spec: {containers: [{name: c}]}}}",
            "all",
            ["shop/x-0", "shop/x-1"],
        ),
        ("", "one", []),
    ],
)
def test_synthetic_ips_reads_the_objects(extra, replicas, synthetic):
    c = npk.Cluster.from_objects(world() + docs(extra), replicas=replicas)
    assert list(np.array(c.table.ids)[synthetic_ips(c)]) == synthetic
