"""Conformance: Kubernetes NetworkPolicy semantics (networking.k8s.io/v1) as a table of cases.

Every case is data (see ``tests/conformance.py``): a small cluster, policies as YAML and the verdicts Kubernetes
prescribes. Each case runs on both engines and on every profile it holds for; the engines must also agree on every
pair. A connection is allowed iff the source's egress AND the destination's ingress allow it.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conformance import ALLOW, DENY, ENGINES, PROFILES, Case, Pod, World, policy_objects

import netpolkit as npk

# --------------------------------------------------------------------------- worlds

SHOP = World(
    namespaces={
        "shop": {"team": "shop", "env": "prod"},
        "tools": {"team": "tools", "env": "dev"},
        "other": {},
    },
    pods=[
        Pod("shop/web", {"app": "web", "tier": "front"}, ["http=TCP/8080", "TCP/80"], ip="10.1.0.10"),
        Pod("shop/api", {"app": "api", "tier": "back"}, ["http=TCP/9090", "dns=UDP/53"], ip="10.1.0.11"),
        Pod("shop/db", {"app": "db", "tier": "back"}, ["pg=TCP/5432"], ip="10.1.0.12"),
        Pod("tools/web", {"app": "web"}, ["http=TCP/8080"], ip="10.2.0.10"),
        Pod("tools/probe", {"app": "probe", "role": "monitor"}, [], ip="10.2.0.11"),
        Pod("other/client", {"app": "client"}, [], ip="10.3.0.10"),
    ],
    externals={
        "internet": "203.0.113.100",
        "office": "203.0.113.5",
        "partner": "198.51.100.7",
        "vpn": "10.9.0.1",
    },
)

LAB = World(
    namespaces={"lab": {}},
    pods=[
        Pod("lab/target", {"app": "target"}, ["TCP/80"]),
        Pod("lab/blue", {"color": "blue"}),
        Pod("lab/red", {"color": "red"}),
        Pod("lab/green", {"color": "green"}),
        Pod("lab/plain", {}),
    ],
)

DUAL_STACK = World(
    namespaces={"net": {}},
    pods=[
        Pod("net/target", {"app": "target"}, ["TCP/80"], ip="10.0.0.6"),
        Pod("net/v4", {"app": "v4"}, ip="10.0.0.5"),
        Pod("net/v6", {"app": "v6"}, ip="fd00::5"),
    ],
    externals={"v4": "192.0.2.1", "v6": "2001:db8::1", "v6-other": "2001:db9::1"},
)

DEPLOYED = World(
    namespaces={"shop": {"team": "shop"}, "other": {}},
    pods=[
        Pod("shop/web", {"app": "web"}, ["TCP/80"], kind="Deployment", replicas=3),
        Pod("shop/api", {"app": "api"}, ["TCP/9090"], kind="StatefulSet", replicas=2),
        Pod("other/client", {"app": "client"}),
    ],
)

# --------------------------------------------------------------------------- policy snippets

DENY_ALL_INGRESS_IN_SHOP = """
metadata: {name: default-deny-ingress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""

ONLY_API = "podSelector: {matchLabels: {app: api}}"


def api_ingress_from(peers: str) -> str:
    """A policy isolating shop/api for ingress with one rule whose ``from`` is ``peers`` (YAML list lines)."""
    lines = "\n".join("        " + line for line in peers.strip().splitlines())
    return f"""
metadata: {{name: api-ingress, namespace: shop}}
spec:
  {ONLY_API}
  ingress:
    - from:
{lines}
"""


def api_ingress_ports(ports: str) -> str:
    """A policy isolating shop/api for ingress with one rule from anyone on ``ports`` (a YAML flow list)."""
    return f"""
metadata: {{name: api-ports, namespace: shop}}
spec:
  {ONLY_API}
  ingress:
    - ports: {ports}
"""


def _expression_case(operator: str, values: list[str] | None, allowed: set[str]) -> Case:
    values_yaml = f", values: [{', '.join(values)}]" if values else ""
    policy = f"""
metadata: {{name: target-ingress, namespace: lab}}
spec:
  podSelector: {{matchLabels: {{app: target}}}}
  ingress:
    - from:
        - podSelector:
            matchExpressions: [{{key: color, operator: {operator}{values_yaml}}}]
"""
    sources = ("blue", "red", "green", "plain")
    return Case(
        f"match-expressions-{operator.lower()}",
        LAB,
        policy,
        [(f"lab/{s}", "lab/target", "TCP/80", s in allowed) for s in sources],
    )


# --------------------------------------------------------------------------- the table

CASES: list[Case] = [
    # ---- isolation and defaults
    Case(
        "no-policy-allows-everything-also-across-namespaces",
        SHOP,
        "",
        [
            ("other/client", "shop/web", "TCP/80", ALLOW),
            ("shop/web", "tools/web", "TCP/8080", ALLOW),
            ("tools/probe", "other/client", "UDP/53", ALLOW),
            ("external/internet", "shop/api", "TCP/9090", ALLOW),
            ("shop/db", "external/partner", "TCP/443", ALLOW),
            ("shop/web", "shop/web", "TCP/80", ALLOW),
        ],
    ),
    Case(
        "default-deny-ingress",
        SHOP,
        DENY_ALL_INGRESS_IN_SHOP,
        [
            ("other/client", "shop/web", "TCP/80", DENY),
            ("shop/api", "shop/web", "TCP/80", DENY),
            ("external/internet", "shop/web", "TCP/80", DENY),
            ("tools/web", "shop/db", "TCP/5432", DENY),
            ("shop/web", "other/client", "TCP/80", ALLOW),
            ("shop/web", "external/internet", "TCP/443", ALLOW),
            ("tools/probe", "tools/web", "TCP/8080", ALLOW),
        ],
    ),
    Case(
        "default-deny-ingress-without-policy-types-or-rules",
        SHOP,
        """
        metadata: {name: deny, namespace: shop}
        spec: {podSelector: {}}
        """,
        [
            ("other/client", "shop/web", "TCP/80", DENY),
            ("shop/api", "shop/db", "TCP/5432", DENY),
            ("shop/web", "other/client", "TCP/80", ALLOW),
        ],
    ),
    Case(
        "default-deny-egress",
        SHOP,
        """
        metadata: {name: default-deny-egress, namespace: shop}
        spec:
          podSelector: {}
          policyTypes: [Egress]
        """,
        [
            ("shop/web", "shop/api", "TCP/9090", DENY),
            ("shop/web", "tools/web", "TCP/8080", DENY),
            ("shop/db", "external/internet", "TCP/443", DENY),
            ("other/client", "shop/web", "TCP/80", ALLOW),
            ("external/internet", "shop/web", "TCP/80", ALLOW),
            ("tools/web", "tools/probe", "TCP/80", ALLOW),
        ],
    ),
    Case(
        "deny-both-directions",
        SHOP,
        """
        metadata: {name: deny-all, namespace: shop}
        spec:
          podSelector: {}
          policyTypes: [Ingress, Egress]
        """,
        [
            ("shop/web", "shop/api", "TCP/9090", DENY),
            ("other/client", "shop/web", "TCP/80", DENY),
            ("shop/db", "external/internet", "TCP/443", DENY),
            ("external/internet", "shop/db", "TCP/5432", DENY),
            ("tools/web", "other/client", "TCP/80", ALLOW),
        ],
    ),
    # ---- policyTypes defaulting
    Case(
        "policy-types-default-to-ingress-and-egress-when-egress-rules-exist",
        SHOP,
        """
        metadata: {name: web-egress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          egress:
            - to: [{podSelector: {matchLabels: {app: api}}}]
        """,
        [
            ("shop/web", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "shop/db", "TCP/5432", DENY),
            ("shop/web", "external/internet", "TCP/443", DENY),
            ("shop/api", "shop/web", "TCP/80", DENY),
            ("shop/api", "shop/db", "TCP/5432", ALLOW),
        ],
    ),
    Case(
        "empty-egress-list-without-policy-types-does-not-isolate-egress",
        SHOP,
        """
        metadata: {name: web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          egress: []
        """,
        [
            ("shop/web", "shop/db", "TCP/5432", ALLOW),
            ("shop/web", "external/internet", "TCP/443", ALLOW),
            ("shop/db", "shop/web", "TCP/80", DENY),
        ],
    ),
    Case(
        "explicit-egress-policy-type-ignores-ingress-rules",
        SHOP,
        """
        metadata: {name: web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          ingress:
            - from: [{podSelector: {matchLabels: {app: api}}}]
          egress:
            - to: [{podSelector: {matchLabels: {app: db}}}]
        """,
        [
            ("shop/db", "shop/web", "TCP/80", ALLOW),
            ("other/client", "shop/web", "TCP/80", ALLOW),
            ("shop/web", "shop/db", "TCP/5432", ALLOW),
            ("shop/web", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "explicit-ingress-policy-type-ignores-egress-rules",
        SHOP,
        """
        metadata: {name: web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Ingress]
          ingress:
            - from: [{podSelector: {matchLabels: {app: api}}}]
          egress:
            - to: [{podSelector: {matchLabels: {app: db}}}]
        """,
        [
            ("shop/web", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "external/internet", "TCP/443", ALLOW),
            ("shop/api", "shop/web", "TCP/80", ALLOW),
            ("shop/db", "shop/web", "TCP/80", DENY),
        ],
    ),
    Case(
        "empty-policy-types-list-is-defaulted-like-a-missing-one",
        SHOP,
        """
        metadata: {name: deny, namespace: shop}
        spec:
          podSelector: {}
          policyTypes: []
        """,
        [("other/client", "shop/web", "TCP/80", DENY)],
    ),
    # ---- peers: AND vs OR, namespaces
    Case(
        "peer-with-namespace-and-pod-selector-needs-both",
        SHOP,
        api_ingress_from("""
- namespaceSelector: {matchLabels: {team: tools}}
  podSelector: {matchLabels: {app: web}}
"""),
        [
            ("tools/web", "shop/api", "TCP/9090", ALLOW),
            ("tools/probe", "shop/api", "TCP/9090", DENY),
            ("shop/web", "shop/api", "TCP/9090", DENY),
            ("other/client", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "separate-peers-are-alternatives",
        SHOP,
        api_ingress_from("""
- namespaceSelector: {matchLabels: {team: tools}}
- podSelector: {matchLabels: {app: web}}
"""),
        [
            ("tools/web", "shop/api", "TCP/9090", ALLOW),
            ("tools/probe", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "shop/api", "TCP/9090", ALLOW),
            ("shop/db", "shop/api", "TCP/9090", DENY),
            ("other/client", "shop/api", "TCP/9090", DENY),
            ("external/internet", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "empty-namespace-selector-means-every-namespace",
        SHOP,
        api_ingress_from("""
- namespaceSelector: {}
  podSelector: {matchLabels: {app: web}}
"""),
        [
            ("tools/web", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "shop/api", "TCP/9090", ALLOW),
            ("tools/probe", "shop/api", "TCP/9090", DENY),
            ("external/internet", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "missing-namespace-selector-means-the-policy-namespace",
        SHOP,
        api_ingress_from("- podSelector: {matchLabels: {app: web}}"),
        [
            ("shop/web", "shop/api", "TCP/9090", ALLOW),
            ("tools/web", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "empty-namespace-selector-alone-matches-every-pod-but-no-external",
        SHOP,
        api_ingress_from("- namespaceSelector: {}"),
        [
            ("tools/probe", "shop/api", "TCP/9090", ALLOW),
            ("other/client", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "shop/api", "TCP/9090", ALLOW),
            ("external/internet", "shop/api", "TCP/9090", DENY),
            ("external/vpn", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "namespace-selector-alone-matches-all-pods-of-matching-namespaces",
        SHOP,
        api_ingress_from("- namespaceSelector: {matchLabels: {env: dev}}"),
        [
            ("tools/web", "shop/api", "TCP/9090", ALLOW),
            ("tools/probe", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "shop/api", "TCP/9090", DENY),
            ("other/client", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "namespace-selector-on-the-automatic-metadata-name-label",
        SHOP,
        api_ingress_from("- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}"),
        [
            ("other/client", "shop/api", "TCP/9090", ALLOW),
            ("tools/web", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "namespace-match-expression-not-in-matches-namespaces-without-the-key",
        SHOP,
        api_ingress_from("""
- namespaceSelector:
    matchExpressions: [{key: env, operator: NotIn, values: [prod]}]
"""),
        [
            ("tools/web", "shop/api", "TCP/9090", ALLOW),
            ("other/client", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "pod-selector-only-peer-stays-in-own-namespace",
        SHOP,
        """
        metadata: {name: web-from-own-namespace, namespace: tools}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress:
            - from: [{podSelector: {}}]
        """,
        [
            ("tools/probe", "tools/web", "TCP/8080", ALLOW),
            ("shop/web", "tools/web", "TCP/8080", DENY),
            ("other/client", "tools/web", "TCP/8080", DENY),
            ("external/internet", "tools/web", "TCP/8080", DENY),
        ],
    ),
    Case(
        "pod-selectors-in-egress-never-match-externals",
        SHOP,
        """
        metadata: {name: web-egress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress:
            - to: [{namespaceSelector: {}}]
        """,
        [
            ("shop/web", "tools/probe", "TCP/80", ALLOW),
            ("shop/web", "external/internet", "TCP/443", DENY),
            ("shop/web", "external/vpn", "TCP/443", DENY),
        ],
    ),
    # ---- label selectors
    _expression_case("In", ["blue", "red"], {"blue", "red"}),
    _expression_case("NotIn", ["blue"], {"red", "green", "plain"}),
    _expression_case("Exists", None, {"blue", "red", "green"}),
    _expression_case("DoesNotExist", None, {"plain"}),
    Case(
        "match-labels-and-match-expressions-are-anded-in-a-peer",
        SHOP,
        """
        metadata: {name: web-ingress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress:
            - from:
                - podSelector:
                    matchLabels: {tier: back}
                    matchExpressions: [{key: app, operator: In, values: [api, web]}]
        """,
        [
            ("shop/api", "shop/web", "TCP/80", ALLOW),
            ("shop/db", "shop/web", "TCP/80", DENY),
            ("tools/web", "shop/web", "TCP/80", DENY),
        ],
    ),
    Case(
        "match-labels-and-match-expressions-are-anded-in-the-policy-selector",
        SHOP,
        """
        metadata: {name: back-but-not-db, namespace: shop}
        spec:
          podSelector:
            matchLabels: {tier: back}
            matchExpressions: [{key: app, operator: NotIn, values: [db]}]
          policyTypes: [Ingress]
        """,
        [
            ("other/client", "shop/api", "TCP/9090", DENY),
            ("other/client", "shop/db", "TCP/5432", ALLOW),
            ("other/client", "shop/web", "TCP/80", ALLOW),
        ],
    ),
    # ---- named ports
    Case(
        "named-port-resolves-against-destination-pod",
        SHOP,
        """
        metadata: {name: http-only, namespace: shop}
        spec:
          podSelector: {}
          ingress:
            - ports: [{port: http}]
        """,
        [
            ("other/client", "shop/web", "TCP/8080", ALLOW),
            ("other/client", "shop/web", "TCP/9090", DENY),
            ("other/client", "shop/api", "TCP/9090", ALLOW),
            ("other/client", "shop/api", "TCP/8080", DENY),
            ("other/client", "shop/db", "TCP/8080", DENY),
            ("other/client", "shop/web", "TCP/80", DENY),
            ("external/internet", "shop/web", "TCP/8080", ALLOW),
        ],
    ),
    Case(
        "named-port-resolves-with-its-protocol",
        SHOP,
        api_ingress_ports("[{protocol: UDP, port: dns}]"),
        [
            ("other/client", "shop/api", "UDP/53", ALLOW),
            ("other/client", "shop/api", "TCP/53", DENY),
        ],
    ),
    Case(
        "named-port-without-protocol-is-a-tcp-port",
        SHOP,
        api_ingress_ports("[{port: dns}]"),
        [
            ("other/client", "shop/api", "UDP/53", DENY),
            ("other/client", "shop/api", "TCP/53", DENY),
        ],
    ),
    Case(
        "named-port-in-egress-rule-resolves-against-destination-not-source",
        SHOP,
        """
        metadata: {name: tools-web-egress, namespace: tools}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress:
            - to: [{namespaceSelector: {}}]
              ports: [{port: http}]
        """,
        [
            ("tools/web", "shop/api", "TCP/9090", ALLOW),
            ("tools/web", "shop/api", "TCP/8080", DENY),
            ("tools/web", "shop/web", "TCP/8080", ALLOW),
            ("tools/web", "shop/db", "TCP/5432", DENY),
            ("tools/web", "tools/probe", "TCP/8080", DENY),
        ],
    ),
    Case(
        "named-port-never-matches-an-external",
        SHOP,
        """
        metadata: {name: web-egress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress:
            - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
              ports: [{port: http}]
            - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
              ports: [{port: 443}]
        """,
        [
            ("shop/web", "external/internet", "TCP/8080", DENY),
            ("shop/web", "external/partner", "TCP/8080", DENY),
            ("shop/web", "external/internet", "TCP/443", ALLOW),
        ],
    ),
    # ---- port ranges and protocols
    Case(
        "end-port-range-includes-both-edges",
        SHOP,
        api_ingress_ports("[{port: 8000, endPort: 8100}]"),
        [
            ("other/client", "shop/api", "TCP/7999", DENY),
            ("other/client", "shop/api", "TCP/8000", ALLOW),
            ("other/client", "shop/api", "TCP/8050", ALLOW),
            ("other/client", "shop/api", "TCP/8100", ALLOW),
            ("other/client", "shop/api", "TCP/8101", DENY),
            ("other/client", "shop/api", "UDP/8050", DENY),
        ],
    ),
    Case(
        "protocol-defaults-to-tcp",
        SHOP,
        api_ingress_ports("[{port: 53}]"),
        [
            ("other/client", "shop/api", "TCP/53", ALLOW),
            ("other/client", "shop/api", "UDP/53", DENY),
            ("other/client", "shop/api", "SCTP/53", DENY),
        ],
    ),
    Case(
        "udp-and-sctp-rules-match-their-protocol-only",
        SHOP,
        api_ingress_ports("[{protocol: UDP, port: 53}, {protocol: SCTP, port: 9999}]"),
        [
            ("other/client", "shop/api", "UDP/53", ALLOW),
            ("other/client", "shop/api", "TCP/53", DENY),
            ("other/client", "shop/api", "SCTP/53", DENY),
            ("other/client", "shop/api", "SCTP/9999", ALLOW),
            ("other/client", "shop/api", "UDP/9999", DENY),
        ],
    ),
    Case(
        "protocol-without-port-allows-every-port-of-that-protocol",
        SHOP,
        api_ingress_ports("[{protocol: UDP}]"),
        [
            ("other/client", "shop/api", "UDP/1", ALLOW),
            ("other/client", "shop/api", "UDP/53", ALLOW),
            ("other/client", "shop/api", "UDP/65535", ALLOW),
            ("other/client", "shop/api", "TCP/53", DENY),
            ("other/client", "shop/api", "SCTP/53", DENY),
        ],
    ),
    Case(
        "empty-port-entry-allows-every-tcp-port",
        SHOP,
        api_ingress_ports("[{}]"),
        [
            ("other/client", "shop/api", "TCP/1", ALLOW),
            ("other/client", "shop/api", "TCP/65535", ALLOW),
            ("other/client", "shop/api", "UDP/53", DENY),
        ],
    ),
    # ---- ipBlock
    Case(
        "ipblock-with-except-for-externals-in-egress",
        SHOP,
        """
        metadata: {name: web-egress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress:
            - to: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.0/28]}}]
        """,
        [
            ("shop/web", "external/internet", "TCP/443", ALLOW),
            ("shop/web", "external/office", "TCP/443", DENY),
            ("shop/web", "external/partner", "TCP/443", DENY),
        ],
    ),
    Case(
        "ipblock-with-except-for-externals-in-ingress",
        SHOP,
        api_ingress_from("- ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.0/28]}"),
        [
            ("external/internet", "shop/api", "TCP/9090", ALLOW),
            ("external/office", "shop/api", "TCP/9090", DENY),
            ("external/partner", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "ipblock-matches-pod-ips",
        SHOP,
        api_ingress_from("- ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}")
        + """
---
metadata: {name: db-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 10.2.0.0/16}}]
""",
        [
            ("tools/web", "shop/api", "TCP/9090", ALLOW),
            ("other/client", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "shop/api", "TCP/9090", DENY),
            ("external/vpn", "shop/api", "TCP/9090", ALLOW),
            ("external/internet", "shop/api", "TCP/9090", DENY),
            ("shop/db", "tools/web", "TCP/8080", ALLOW),
            ("shop/db", "other/client", "TCP/8080", DENY),
        ],
        profiles=("upstream", "calico"),
    ),
    Case(
        "ipblock-never-matches-pod-ips-under-cilium",
        SHOP,
        api_ingress_from("- ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}")
        + """
---
metadata: {name: db-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 10.2.0.0/16}}]
""",
        [
            ("tools/web", "shop/api", "TCP/9090", DENY),
            ("other/client", "shop/api", "TCP/9090", DENY),
            ("shop/web", "shop/api", "TCP/9090", DENY),
            ("external/vpn", "shop/api", "TCP/9090", ALLOW),
            ("shop/db", "tools/web", "TCP/8080", DENY),
        ],
        profiles=("cilium",),
    ),
    Case(
        "ipblock-families-are-separate-ipv4-and-ipv6",
        DUAL_STACK,
        """
        metadata: {name: target, namespace: net}
        spec:
          podSelector: {matchLabels: {app: target}}
          ingress:
            - from: [{ipBlock: {cidr: "::/0", except: ["2001:db8::/32"]}}]
            - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
        """,
        [
            ("net/v6", "net/target", "TCP/80", ALLOW),
            ("net/v4", "net/target", "TCP/80", DENY),
            ("external/v4", "net/target", "TCP/80", ALLOW),
            ("external/v6", "net/target", "TCP/80", DENY),
            ("external/v6-other", "net/target", "TCP/80", ALLOW),
        ],
        profiles=("upstream", "calico"),
    ),
    # ---- empty lists
    Case(
        "from-empty-list-allows-every-source",
        SHOP,
        f"""
        metadata: {{name: api, namespace: shop}}
        spec:
          {ONLY_API}
          ingress:
            - from: []
        """,
        [
            ("other/client", "shop/api", "TCP/9090", ALLOW),
            ("external/internet", "shop/api", "TCP/9090", ALLOW),
            ("tools/probe", "shop/api", "UDP/53", ALLOW),
        ],
    ),
    Case(
        "from-empty-list-with-ports-limits-ports-only",
        SHOP,
        f"""
        metadata: {{name: api, namespace: shop}}
        spec:
          {ONLY_API}
          ingress:
            - from: []
              ports: [{{port: 9090}}]
        """,
        [
            ("external/internet", "shop/api", "TCP/9090", ALLOW),
            ("external/internet", "shop/api", "TCP/9091", DENY),
        ],
    ),
    Case(
        "empty-ingress-rule-allows-everything",
        SHOP,
        DENY_ALL_INGRESS_IN_SHOP
        + f"""
---
metadata: {{name: api-open, namespace: shop}}
spec:
  {ONLY_API}
  ingress: [{{}}]
""",
        [
            ("other/client", "shop/api", "TCP/9090", ALLOW),
            ("external/internet", "shop/api", "UDP/53", ALLOW),
            ("other/client", "shop/web", "TCP/80", DENY),
        ],
    ),
    Case(
        "empty-ingress-list-allows-nothing",
        SHOP,
        f"""
        metadata: {{name: api, namespace: shop}}
        spec:
          {ONLY_API}
          policyTypes: [Ingress]
          ingress: []
        """,
        [
            ("shop/web", "shop/api", "TCP/9090", DENY),
            ("external/internet", "shop/api", "TCP/9090", DENY),
        ],
    ),
    Case(
        "empty-egress-rule-allows-everything",
        SHOP,
        """
        metadata: {name: web-egress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress: [{}]
        """,
        [
            ("shop/web", "external/partner", "TCP/443", ALLOW),
            ("shop/web", "tools/web", "UDP/53", ALLOW),
        ],
    ),
    # ---- several policies, namespaces, both ends
    Case(
        "policies-selecting-the-same-pod-add-up",
        SHOP,
        """
        metadata: {name: deny-all, namespace: shop}
        spec: {podSelector: {}}
        ---
        metadata: {name: api-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
            - from: [{podSelector: {matchLabels: {app: web}}}]
              ports: [{port: 9090}]
        ---
        metadata: {name: api-dns-from-tools, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress:
            - from: [{namespaceSelector: {matchLabels: {team: tools}}}]
              ports: [{protocol: UDP, port: 53}]
        """,
        [
            ("shop/web", "shop/api", "TCP/9090", ALLOW),
            ("shop/web", "shop/api", "UDP/53", DENY),
            ("tools/probe", "shop/api", "UDP/53", ALLOW),
            ("tools/probe", "shop/api", "TCP/9090", DENY),
            ("other/client", "shop/api", "TCP/9090", DENY),
            ("shop/api", "shop/db", "TCP/5432", DENY),
        ],
    ),
    Case(
        "policy-in-another-namespace-does-not-select-pods-here",
        SHOP,
        """
        metadata: {name: deny-egress, namespace: tools}
        spec:
          podSelector: {}
          policyTypes: [Egress]
        ---
        metadata: {name: web-from-api, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]
        """,
        [
            ("other/client", "tools/web", "TCP/8080", ALLOW),
            ("other/client", "shop/web", "TCP/80", DENY),
            ("tools/web", "other/client", "TCP/80", DENY),
            ("shop/web", "other/client", "TCP/80", ALLOW),
            ("other/client", "shop/api", "TCP/9090", ALLOW),
        ],
    ),
    Case(
        "both-ends-must-allow",
        SHOP,
        """
        metadata: {name: web-egress-to-api, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress: [{to: [{podSelector: {matchLabels: {app: api}}}]}]
        ---
        metadata: {name: db-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
        ---
        metadata: {name: api-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
        """,
        [
            ("shop/web", "shop/api", "TCP/9090", ALLOW),  # both allow
            ("shop/web", "shop/db", "TCP/5432", DENY),  # ingress allows, egress denies
            ("shop/api", "shop/db", "TCP/5432", DENY),  # egress allows (not isolated), ingress denies
            ("tools/web", "shop/api", "TCP/9090", DENY),
            ("tools/web", "shop/web", "TCP/80", ALLOW),
        ],
    ),
    # ---- self traffic
    Case(
        "self-traffic-is-policed-like-any-pair-under-upstream",
        SHOP,
        DENY_ALL_INGRESS_IN_SHOP
        + """
---
metadata: {name: deny-egress, namespace: tools}
spec: {podSelector: {}, policyTypes: [Egress]}
""",
        [
            ("shop/web", "shop/web", "TCP/80", DENY),
            ("shop/api", "shop/api", "TCP/9090", DENY),
            ("tools/web", "tools/web", "TCP/8080", DENY),
            ("other/client", "other/client", "TCP/80", ALLOW),
        ],
        profiles=("upstream",),
    ),
    Case(
        "self-traffic-is-always-allowed-under-calico-and-cilium",
        SHOP,
        DENY_ALL_INGRESS_IN_SHOP
        + """
---
metadata: {name: deny-egress, namespace: tools}
spec: {podSelector: {}, policyTypes: [Egress]}
""",
        [
            ("shop/web", "shop/web", "TCP/80", ALLOW),
            ("shop/api", "shop/api", "TCP/9090", ALLOW),
            ("tools/web", "tools/web", "TCP/8080", ALLOW),
            ("shop/api", "shop/web", "TCP/80", DENY),
            ("tools/web", "tools/probe", "TCP/8080", DENY),
        ],
        profiles=("calico", "cilium"),
    ),
    Case(
        "self-traffic-allowed-by-a-matching-rule-under-upstream",
        SHOP,
        """
        metadata: {name: web-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
        """,
        [
            ("shop/web", "shop/web", "TCP/80", ALLOW),
            ("shop/api", "shop/web", "TCP/80", DENY),
        ],
        profiles=("upstream",),
    ),
    # ---- workloads
    Case(
        "workload-is-one-pod-named-after-it",
        DEPLOYED,
        """
        metadata: {name: api-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
        """,
        [
            ("shop/web", "shop/api", "TCP/9090", ALLOW),
            ("other/client", "shop/api", "TCP/9090", DENY),
            ("other/client", "shop/web", "TCP/80", ALLOW),
        ],
    ),
    Case(
        "replicas-all-expands-workloads-into-numbered-pods",
        DEPLOYED,
        """
        metadata: {name: api-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
        """,
        [
            ("shop/web-0", "shop/api-0", "TCP/9090", ALLOW),
            ("shop/web-2", "shop/api-1", "TCP/9090", ALLOW),
            ("other/client", "shop/api-1", "TCP/9090", DENY),
            ("shop/api-0", "shop/api-1", "TCP/9090", DENY),
            ("shop/web-1", "shop/web-0", "TCP/80", ALLOW),
        ],
        replicas="all",
    ),
]


def _params() -> list:
    params = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
        for engine in ENGINES:
            for profile in case.profiles:
                params.append(pytest.param(case, engine, profile, id=f"{case.id}-{engine}-{profile}", marks=marks))
    return params


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


@pytest.mark.parametrize(("case", "engine", "profile"), _params())
def test_verdicts_follow_kubernetes_semantics(case: Case, engine: str, profile: str):
    problems = case.mismatches(engine, profile)
    assert not problems, "\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("case", "profile"),
    [pytest.param(c, p, id=f"{c.id}-{p}") for c in CASES for p in PROFILES],
)
def test_engines_agree_on_every_pair(case: Case, profile: str):
    cluster = case.cluster()
    vectorized = npk.reachability(cluster, ports=case.ports, profile=profile, engine="vectorized")
    reference = npk.reachability(cluster, ports=case.ports, profile=profile, engine="reference")
    for port in case.ports:
        pd.testing.assert_frame_equal(vectorized.frame(port), reference.frame(port), obj=f"frame({port})")


@pytest.mark.parametrize("engine", ENGINES)
def test_replicas_all_gives_every_replica_the_verdicts_of_its_workload(engine: str):
    policies = policy_objects("""
        metadata: {name: api-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: api}}
          ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 9090}]}]
        ---
        metadata: {name: web-egress, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress]
          egress: [{to: [{namespaceSelector: {}}]}]
        """)
    objects = DEPLOYED.objects() + policies
    one = npk.Cluster.from_objects(objects)
    every = npk.Cluster.from_objects(objects, replicas="all")
    assert list(every.pods.index) == [
        "other/client",
        "shop/api-0",
        "shop/api-1",
        "shop/web-0",
        "shop/web-1",
        "shop/web-2",
    ]
    workload = {pod_id: f"{row.namespace}/{row.workload}" for pod_id, row in every.pods.iterrows()}
    for port in ("TCP/9090", "TCP/80"):
        small = npk.reachability(one, ports=[port], engine=engine).frame(port)
        big = npk.reachability(every, ports=[port], engine=engine).frame(port)
        for src in big.index:
            for dst in big.columns:
                assert big.loc[src, dst] == small.loc[workload[src], workload[dst]], (src, dst, port)


# --------------------------------------------------------------------------- explain

EXPLAIN_POLICIES = """
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
metadata: {name: api-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: http}]
    - from: [{namespaceSelector: {matchLabels: {team: tools}}}]
---
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 203.0.113.0/24}}]
    - to: [{podSelector: {matchLabels: {app: api}}}]
"""


@pytest.fixture(scope="module")
def explained() -> npk.Cluster:
    return npk.Cluster.from_objects(SHOP.objects() + policy_objects(EXPLAIN_POLICIES), externals=SHOP.externals)


def test_explain_names_the_deciding_policy_and_rule_index(explained: npk.Cluster):
    reach = npk.reachability(explained, ports=["TCP/9090"])
    why = reach.explain("tools/probe", "shop/api", "TCP/9090")
    assert why.allowed
    assert why.ingress.allowed
    assert why.ingress.reason == "allowed by rule"
    assert (why.ingress.policy, why.ingress.rule) == ("NetworkPolicy shop/api-ingress", 2)  # 1-based
    assert "NetworkPolicy shop/api-ingress" in str(why)
    assert "rule 2" in str(why)


def test_explain_names_both_sides_when_both_are_isolated(explained: npk.Cluster):
    why = npk.reachability(explained, ports=["TCP/9090"]).explain("shop/web", "shop/api", "TCP/9090")
    assert why.allowed
    assert (why.egress.reason, why.egress.policy, why.egress.rule) == (
        "allowed by rule",
        "NetworkPolicy shop/web-egress",
        2,
    )
    assert (why.ingress.reason, why.ingress.policy, why.ingress.rule) == (
        "allowed by rule",
        "NetworkPolicy shop/api-ingress",
        1,
    )
    assert why.deciding is None


def test_explain_says_not_isolated_when_no_policy_selects_the_pod(explained: npk.Cluster):
    why = npk.reachability(explained, ports=["TCP/9090"]).explain("tools/probe", "shop/api", "TCP/9090")
    assert why.egress.allowed
    assert why.egress.reason == "not isolated"
    assert why.egress.policy is None
    assert why.egress.isolated_by == ()
    assert "not isolated" in str(why)


def test_explain_lists_isolating_policies_when_no_rule_matched(explained: npk.Cluster):
    why = npk.reachability(explained, ports=["TCP/9090"]).explain("other/client", "shop/api", "TCP/9090")
    assert not why.allowed
    assert not why.ingress.allowed
    assert why.ingress.reason == "no rule matched"
    assert why.ingress.policy is None
    assert why.ingress.isolated_by == ("NetworkPolicy shop/deny-all", "NetworkPolicy shop/api-ingress")
    assert why.deciding is why.ingress
    text = str(why)
    assert "BLOCKED" in text
    assert "NetworkPolicy shop/deny-all" in text
    assert "NetworkPolicy shop/api-ingress" in text


def test_explain_blames_egress_first_when_both_sides_deny(explained: npk.Cluster):
    why = npk.reachability(explained, ports=["TCP/5432"]).explain("shop/web", "shop/db", "TCP/5432")
    assert not why.allowed
    assert (why.egress.reason, why.egress.isolated_by) == ("no rule matched", ("NetworkPolicy shop/web-egress",))
    assert (why.ingress.reason, why.ingress.isolated_by) == ("no rule matched", ("NetworkPolicy shop/deny-all",))
    assert why.deciding is why.egress


def test_explain_treats_externals_as_unpoliced(explained: npk.Cluster):
    reach = npk.reachability(explained, ports=["TCP/443"])
    out = reach.explain("shop/web", "external/internet", "TCP/443")
    assert out.allowed
    assert (out.egress.policy, out.egress.rule) == ("NetworkPolicy shop/web-egress", 1)
    assert out.ingress.reason == "external endpoint"
    inbound = reach.explain("internet", "shop/web", "TCP/443")  # a bare external name resolves too
    assert inbound.egress.reason == "external endpoint"
    assert not inbound.allowed
    assert inbound.ingress.isolated_by == ("NetworkPolicy shop/deny-all",)


def test_explain_notes_self_traffic_exemption_under_calico(explained: npk.Cluster):
    why = npk.reachability(explained, ports=["TCP/80"], profile="calico").explain("shop/db", "shop/db", "TCP/80")
    assert why.allowed
    assert not why.ingress.allowed  # policy alone would block it
    assert "calico" in str(why)
    upstream = npk.reachability(explained, ports=["TCP/80"]).explain("shop/db", "shop/db", "TCP/80")
    assert not upstream.allowed


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("profile", PROFILES)
def test_explanation_verdict_matches_the_matrix_for_every_pair(explained: npk.Cluster, engine: str, profile: str):
    ports = ["TCP/9090", "TCP/8080", "TCP/443", "UDP/53"]
    reach = npk.reachability(explained, ports=ports, profile=profile, engine=engine)
    for port in ports:
        frame = reach.frame(port)
        for src in frame.index:
            for dst in frame.columns:
                assert reach.explain(src, dst, port).allowed == frame.loc[src, dst], (src, dst, port)
