"""Calico's ordered model, rule by rule, as data; and malformed Calico input.

Each case: a few pods (namespace/name: labels), some policies in YAML, and verdicts
(src, dst, port, allowed, deciding policy or reason on the side that decides). Every case runs on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml

import netpolkit as npk
from netpolkit.engine.explanation import END_OF_TIER

PODS = {
    "a/web": {"app": "web"},
    "a/db": {"app": "db"},
    "a/batch": {"app": "batch"},
    "b/web": {"app": "web"},
}
NAMESPACE_LABELS = {"a": {"team": "shop"}, "b": {"team": "ops"}}


def cluster(policies: str, externals: dict | None = None) -> npk.Cluster:
    objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        for ns, labels in NAMESPACE_LABELS.items()
    ]
    for i, (pod_id, labels) in enumerate(PODS.items()):
        ns, name = pod_id.split("/")
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": labels},
                "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 5432, "name": "pg"}]}]},
                "status": {"podIP": f"10.1.0.{i + 1}"},
            }
        )
    objects += [d for d in yaml.safe_load_all(policies) if d]
    return npk.Cluster.from_objects(objects, externals)


def calico(name: str, spec: str, namespace: str | None = "a", kind: str = "NetworkPolicy") -> str:
    meta = f"{{name: {name}, namespace: {namespace}}}" if namespace else f"{{name: {name}}}"
    body = "\n".join("  " + line for line in spec.strip().splitlines())
    return f"---\napiVersion: projectcalico.org/v3\nkind: {kind}\nmetadata: {meta}\nspec:\n{body}\n"


@dataclass(frozen=True)
class Case:
    id: str
    policies: str
    verdicts: list[tuple[str, str, str, bool, str]]  # src, dst, port, allowed, deciding policy / reason


DB_DENY_ALL = calico("deny", "selector: app == 'db'\ningress: [{action: Deny}]")

CASES = [
    Case(
        "ordered-policy-runs-before-unordered",
        calico("zz-allow", "order: 10\nselector: app == 'db'\ningress: [{action: Allow}]") + DB_DENY_ALL,
        [("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/zz-allow")],
    ),
    Case(
        "missing-order-runs-last-even-after-order-1000",
        calico("aa-deny", "selector: app == 'db'\ningress: [{action: Deny}]")
        + calico("zz-allow", "order: 1000\nselector: app == 'db'\ningress: [{action: Allow}]"),
        [("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/zz-allow")],
    ),
    Case(
        "equal-order-ties-broken-by-name",
        calico("b-deny", "order: 100\nselector: app == 'db'\ningress: [{action: Deny}]")
        + calico("a-allow", "order: 100\nselector: app == 'db'\ningress: [{action: Allow}]"),
        [("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/a-allow")],
    ),
    Case(
        "both-unordered-ties-broken-by-name",
        calico("allow-all", "ingress: [{action: Allow}]") + calico("default-deny", "ingress: [{action: Deny}]"),
        [("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/allow-all")],
    ),
    Case(
        "first-matching-rule-decides",
        calico(
            "p",
            "selector: app == 'db'\ningress:\n- {action: Deny, source: {selector: app == 'batch'}}\n- {action: Allow}",
        ),
        [
            ("a/batch", "a/db", "TCP/5432", False, "Calico NetworkPolicy a/p"),
            ("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/p"),
        ],
    ),
    Case(
        "log-continues-to-the-next-rule",
        calico("p", "selector: app == 'db'\ningress: [{action: Log}, {action: Deny}]"),
        [("a/web", "a/db", "TCP/5432", False, "Calico NetworkPolicy a/p")],
    ),
    Case(
        "policy-without-a-match-falls-through-to-the-next",
        calico(
            "first", "order: 1\nselector: app == 'db'\ningress: [{action: Deny, source: {selector: app == 'batch'}}]"
        )
        + calico("second", "order: 2\nselector: app == 'db'\ningress: [{action: Allow}]"),
        [
            ("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/second"),
            ("a/batch", "a/db", "TCP/5432", False, "Calico NetworkPolicy a/first"),
        ],
    ),
    Case(
        "end-of-tier-deny-when-selected-and-nothing-decided",
        calico("only-batch", "selector: app == 'db'\ningress: [{action: Allow, source: {selector: app == 'batch'}}]"),
        [("a/web", "a/db", "TCP/5432", False, END_OF_TIER)],
    ),
    Case(
        "allowed-when-no-policy-selects-the-endpoint",
        DB_DENY_ALL,
        [("a/db", "a/web", "TCP/5432", True, "not isolated")],
    ),
    Case(
        "types-default-to-egress-for-egress-only-rules",
        calico("out", "selector: app == 'db'\negress: [{action: Deny}]"),
        [
            ("a/web", "a/db", "TCP/5432", True, "not isolated"),
            ("a/db", "a/web", "TCP/5432", False, "Calico NetworkPolicy a/out"),
        ],
    ),
    Case(
        "namespaced-bare-rule-selector-means-own-namespace",
        calico("p", "selector: app == 'db'\ningress: [{action: Allow, source: {selector: app == 'web'}}]"),
        [
            ("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/p"),
            ("b/web", "a/db", "TCP/5432", False, END_OF_TIER),
        ],
    ),
    Case(
        "global-bare-rule-selector-means-every-namespace",
        calico(
            "g",
            "selector: app == 'db'\ningress: [{action: Allow, source: {selector: app == 'web'}}]",
            namespace=None,
            kind="GlobalNetworkPolicy",
        ),
        [("b/web", "a/db", "TCP/5432", True, "GlobalNetworkPolicy g")],
    ),
    Case(
        "rule-namespace-selector-reaches-other-namespaces",
        calico(
            "p",
            "selector: app == 'db'\ningress: [{action: Allow, source: {namespaceSelector: team == 'ops', "
            "selector: app == 'web'}}]",
        ),
        [
            ("b/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/p"),
            ("a/web", "a/db", "TCP/5432", False, END_OF_TIER),
        ],
    ),
    Case(
        "global-namespace-selector-restricts-where-it-applies",
        calico(
            "g",
            "namespaceSelector: team == 'ops'\ningress: [{action: Deny}]",
            namespace=None,
            kind="GlobalNetworkPolicy",
        ),
        [
            ("a/web", "a/db", "TCP/5432", True, "not isolated"),
            ("a/web", "b/web", "TCP/5432", False, "GlobalNetworkPolicy g"),
        ],
    ),
    Case(
        "not-selector-in-a-namespaced-policy-stays-in-its-namespace",
        calico("p", "selector: app == 'db'\ningress: [{action: Allow, source: {notSelector: app == 'batch'}}]"),
        [
            ("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/p"),
            ("b/web", "a/db", "TCP/5432", False, END_OF_TIER),
            ("external/inet", "a/db", "TCP/5432", False, END_OF_TIER),
        ],
    ),
    Case(
        "nets-and-not-nets-match-addresses",
        calico(
            "p",
            "selector: app == 'db'\ningress: [{action: Allow, source: {nets: [203.0.113.0/24], "
            "notNets: [203.0.113.9/32]}}]",
        ),
        [
            ("external/inet", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/p"),
            ("external/blocked", "a/db", "TCP/5432", False, END_OF_TIER),
        ],
    ),
    Case(
        "ports-ranges-names-and-not-ports",
        calico(
            "p",
            "selector: app == 'db'\ningress:\n- {action: Allow, protocol: TCP, destination: {ports: ['5000:5500'], "
            "notPorts: [5433]}}",
        ),
        [
            ("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/p"),
            ("a/web", "a/db", "TCP/5433", False, END_OF_TIER),
            ("a/web", "a/db", "UDP/5432", False, END_OF_TIER),
        ],
    ),
    Case(
        "named-port-resolves-on-the-destination",
        calico("p", "selector: app == 'db'\ningress: [{action: Allow, protocol: TCP, destination: {ports: [pg]}}]"),
        [
            ("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/p"),
            ("a/web", "a/db", "TCP/5433", False, END_OF_TIER),
        ],
    ),
    Case(
        "protocol-number-and-not-protocol",
        calico("p", "selector: app == 'db'\ningress: [{action: Allow, protocol: 6}, {action: Deny, notProtocol: UDP}]"),
        [
            ("a/web", "a/db", "TCP/5432", True, "Calico NetworkPolicy a/p"),
            ("a/web", "a/db", "UDP/5432", False, END_OF_TIER),
        ],
    ),
    Case(
        "kubernetes-policy-is-order-1000-and-ties-by-its-knp-name",
        calico("zzz", "order: 1000\nselector: app == 'db'\ningress: [{action: Deny}]")
        + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow, namespace: a}\n"
        "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{}]}\n",
        [("a/web", "a/db", "TCP/5432", True, "NetworkPolicy a/allow")],  # "a/knp.default.allow" < "a/zzz"
    ),
    Case(
        "pass-skips-to-the-next-tier",
        "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n"
        + calico(
            "security.gate",
            "tier: security\nselector: app == 'db'\ningress:\n"
            "- {action: Pass, source: {selector: app == 'web'}}\n- {action: Deny}",
            namespace=None,
            kind="GlobalNetworkPolicy",
        )
        + calico("only-batch", "selector: app == 'db'\ningress: [{action: Allow, source: {selector: app == 'batch'}}]"),
        [
            ("a/web", "a/db", "TCP/5432", False, END_OF_TIER),  # passed on, then the default tier's end denies
            ("a/batch", "a/db", "TCP/5432", False, "GlobalNetworkPolicy security.gate"),
        ],
    ),
    Case(
        "tier-order-decides-before-policy-order",
        "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: early}\nspec: {order: 1}\n"
        + calico("early.deny", "tier: early\norder: 5000\nselector: app == 'db'\ningress: [{action: Deny}]")
        + calico("allow", "order: 1\nselector: app == 'db'\ningress: [{action: Allow}]"),
        [("a/web", "a/db", "TCP/5432", False, "Calico NetworkPolicy a/early.deny")],
    ),
]


@pytest.mark.parametrize("engine", ["vectorized", "reference"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_calico_ordering_rule(case: Case, engine: str):
    externals = {"inet": "203.0.113.5", "blocked": "203.0.113.9"}
    c = cluster(case.policies, externals)
    ports = sorted({v[2] for v in case.verdicts})
    reach = npk.reachability(c, ports=ports, profile="calico", engine=engine)
    for src, dst, port, allowed, decider in case.verdicts:
        assert reach.allowed(src, dst, port) is allowed, f"{src} -> {dst} {port}\n{reach.explain(src, dst, port)}"
        explanation = reach.explain(src, dst, port)
        assert explanation.allowed is allowed
        sides = [explanation.egress, explanation.ingress]
        assert any(s.policy == decider or s.reason == decider for s in sides), str(explanation)


def test_end_of_tier_is_named_in_explain():
    reach = npk.reachability(cluster(CASES[7].policies), ports=["TCP/5432"], profile="calico")
    text = str(reach.explain("a/web", "a/db", "TCP/5432"))
    assert "end of tier default" in text and "only-batch" in text


def test_calico_policies_need_the_calico_profile():
    with pytest.raises(ValueError, match="profile='calico'"):
        npk.reachability(cluster(DB_DENY_ALL), ports=["TCP/5432"])


BAD = [
    (
        "ports-without-protocol",
        "selector: all()\ningress: [{action: Allow, destination: {ports: [80]}}]",
        "spec.ingress[0].protocol",
        "protocol",
    ),
    ("bad-selector", "selector: app == web\ningress: [{action: Allow}]", "spec.selector", "position"),
    ("lowercase-action", "ingress: [{action: allow}]", "spec.ingress[0].action", "'Allow'"),
    ("unknown-field", "selectr: all()", "spec.selectr", "did you mean 'selector'"),
    (
        "source-ports",
        "ingress: [{action: Allow, protocol: TCP, source: {ports: [80]}}]",
        "spec.ingress[0].source.ports",
        "source ports: not modelled",
    ),
    ("http-rule", "ingress: [{action: Allow, http: {methods: [GET]}}]", "spec.ingress[0].http", "http (L7) match"),
    ("nan-order", "order: .nan\ningress: [{action: Allow}]", "spec.order", "finite"),
    ("inf-order", "order: .inf\ningress: [{action: Allow}]", "spec.order", "finite"),
    (
        "superscript-port",
        "ingress: [{action: Allow, protocol: TCP, destination: {ports: ['²']}}]",
        "spec.ingress[0].destination.ports[0]",
        "port name",
    ),
    (
        "superscript-range",
        "ingress: [{action: Allow, protocol: TCP, destination: {ports: ['1:²']}}]",
        "spec.ingress[0].destination.ports[0]",
        "'low:high' with numbers",
    ),
    ("protocol-999", "ingress: [{action: Allow, protocol: '999'}]", "spec.ingress[0].protocol", "1-255"),
    (
        "protocol-superscript",
        "ingress: [{action: Allow, protocol: '²'}]",
        "spec.ingress[0].protocol",
        "unknown protocol",
    ),
    ("bad-net", "ingress: [{action: Allow, source: {nets: [10.0.0.300/8]}}]", "spec.ingress[0].source.nets[0]", "CIDR"),
    ("bad-order", "order: first\ningress: [{action: Allow}]", "spec.order", "number"),
    (
        "bad-port-range",
        "ingress: [{action: Allow, protocol: TCP, destination: {ports: ['90:80']}}]",
        "spec.ingress[0].destination.ports[0]",
        "low",
    ),
    ("bad-types", "types: [Ingres]", "spec.types[0]", "Ingress or Egress"),
]


@pytest.mark.parametrize(("spec", "path", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_malformed_calico_policy_names_the_field(spec: str, path: str, words: str):
    with pytest.raises(npk.PolicyError) as caught:
        cluster(calico("bad", spec))
    assert caught.value.path == path
    assert words in caught.value.message
    assert caught.value.obj == "NetworkPolicy a/bad"


def test_crd_spelling_is_read_as_v3_with_a_warning():
    text = calico("p", "ingress: [{action: Deny}]").replace("projectcalico.org/v3", "crd.projectcalico.org/v1")
    with pytest.warns(UserWarning, match="crd.projectcalico.org/v1"):
        c = cluster(text)
    assert not npk.reachability(c, ports=["TCP/5432"], profile="calico").allowed("a/web", "a/db", "TCP/5432")


def test_policies_for_lists_the_selecting_policies_in_evaluation_order():
    reach = npk.reachability(cluster(CASES[0].policies), ports=["TCP/5432"], profile="calico")
    assert reach.policies_for("a/db", "ingress") == ["Calico NetworkPolicy a/zz-allow", "Calico NetworkPolicy a/deny"]
    assert reach.policies_for("a/web", "ingress") == []
    with pytest.raises(ValueError, match="direction"):
        reach.policies_for("a/db", "sideways")


def test_a_policy_in_a_tier_that_does_not_exist_is_an_error_naming_the_tier():
    """Calico's API server refuses a policy whose tier does not exist (libcalico-go validates spec.tier); evaluating
    it anyway would guess the tier's order."""
    policy = calico("security.gate", "tier: security\nselector: all()\ningress: [{action: Deny}]")
    with pytest.raises(npk.PolicyError) as caught:
        npk.reachability(cluster(policy), ports=["TCP/80"], profile="calico")
    assert caught.value.path == "spec.tier" and "tier 'security' does not exist" in caught.value.message
    tier = "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\n"
    assert npk.reachability(cluster(policy + tier), ports=["TCP/80"], profile="calico").ports == ("TCP/80",)
