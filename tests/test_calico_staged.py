"""Calico's staged policies: StagedNetworkPolicy, StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy.

What they are (github.com/projectcalico/calico, ``api/pkg/apis/projectcalico/v3/``): the spec of the policy they
stage (``stagednetworkpolicy.go`` and ``stagedglobalnetworkpolicy.go``: a Calico NetworkPolicy / GlobalNetworkPolicy
spec; ``stagedkubernetesnetworkpolicy.go``: a Kubernetes NetworkPolicy spec) plus ``stagedAction``, an enum of Set,
Delete, Learn and Ignore defaulting to Set (``policy_common.go``). ``Convert*ToEnforced`` in those files is what
committing one writes: the enforced kind, same namespace and name, same spec. A Delete carries nothing but its tier
(``libcalico-go/lib/validator/v3/validator.go``: "Spec fields, except Tier, should all be zero-value if stagedAction
is Delete"; ``libcalico-go/lib/clientv3/stagednetworkpolicy.go`` clears ``types`` first). Felix never programs them
("Skip programming inlined staged policy", ``felix/rules/endpoints.go``): staged policies never change a verdict.
Docs: docs.tigera.io/calico/latest/reference/resources/stagednetworkpolicy (and stagedglobalnetworkpolicy,
stagedkubernetesnetworkpolicy), docs.tigera.io/calico/latest/network-policy/staged-network-policies.

Every verdict case runs on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest
import yaml

import netpolkit as npk
from netpolkit.engine.explanation import END_OF_TIER, NOT_ISOLATED
from netpolkit.errors import Where
from netpolkit.model.calico import CalicoPolicy, StagedPolicy
from netpolkit.model.document import Document
from netpolkit.model.k8s import NetworkPolicy

ENGINES = ("vectorized", "reference")
PODS = {"a/web": {"app": "web"}, "a/db": {"app": "db"}, "a/batch": {"app": "batch"}, "b/web": {"app": "web"}}
NAMESPACE_LABELS = {"a": {"team": "shop"}, "b": {"team": "ops"}}
PORT = "TCP/5432"


def base_objects() -> list[dict]:
    objects: list[dict] = [
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
                "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 5432}]}]},
                "status": {"podIP": f"10.1.0.{i + 1}"},
            }
        )
    return objects


def cluster(policies: str) -> npk.Cluster:
    return npk.Cluster.from_objects(base_objects() + [d for d in yaml.safe_load_all(policies) if d])


def doc(kind: str, name: str, spec: str, namespace: str | None = "a", api: str = "projectcalico.org/v3") -> str:
    """One manifest in YAML; ``namespace=None`` for a cluster-scoped kind."""
    meta = f"{{name: {name}, namespace: {namespace}}}" if namespace else f"{{name: {name}}}"
    body = "\n".join("  " + line for line in spec.strip().splitlines()) if spec.strip() else "  {}"
    return f"---\napiVersion: {api}\nkind: {kind}\nmetadata: {meta}\nspec:\n{body}\n"


def snp(name: str, spec: str) -> str:
    return doc("StagedNetworkPolicy", name, spec)


def sgnp(name: str, spec: str) -> str:
    return doc("StagedGlobalNetworkPolicy", name, spec, namespace=None)


def sknp(name: str, spec: str) -> str:
    return doc("StagedKubernetesNetworkPolicy", name, spec)


def cnp(name: str, spec: str) -> str:  # an enforced Calico NetworkPolicy
    return doc("NetworkPolicy", name, spec)


def gnp(name: str, spec: str) -> str:
    return doc("GlobalNetworkPolicy", name, spec, namespace=None)


def knp(name: str, spec: str) -> str:  # an enforced Kubernetes NetworkPolicy
    return doc("NetworkPolicy", name, spec, api="networking.k8s.io/v1")


DB_DENY = "selector: app == 'db'\ningress: [{action: Deny}]"
DB_ALLOW = "selector: app == 'db'\ningress: [{action: Allow}]"
DB_ONLY_WEB = "podSelector: {matchLabels: {app: db}}\ningress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]"


# ---- parsing: every field of the staged kinds ---------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    id: str
    manifest: str
    kind: str
    ref: str
    action: str
    tier: str | None
    target: tuple[str, str, str]
    body: type | None  # the class of the policy a commit writes (None: a Delete)
    checks: dict  # attribute of the body -> expected value


PARSED = [
    Parsed(
        "snp-stagedAction-defaults-to-Set",
        snp("p", DB_DENY),
        "StagedNetworkPolicy",
        "StagedNetworkPolicy a/p",
        "Set",
        "default",
        ("projectcalico.org/NetworkPolicy", "a", "p"),
        CalicoPolicy,
        {"kind": "NetworkPolicy", "namespace": "a", "tier": "default", "order": None, "policy_types": ("Ingress",)},
    ),
    Parsed(
        "snp-every-calico-field",
        snp(
            "security.p",
            "stagedAction: Set\ntier: security\norder: 10\nselector: app == 'db'\ntypes: [Ingress, Egress]\n"
            "serviceAccountSelector: has(x)\nperformanceHints: [AssumeNeededOnEveryNode]\n"
            "ingress: [{action: Allow, protocol: TCP, source: {selector: app == 'web'},"
            " destination: {ports: [5432]}}]\n"
            "egress: [{action: Deny}]",
        ),
        "StagedNetworkPolicy",
        "StagedNetworkPolicy a/security.p",
        "Set",
        "security",
        ("projectcalico.org/NetworkPolicy", "a", "security.p"),
        CalicoPolicy,
        {"tier": "security", "order": 10.0, "policy_types": ("Ingress", "Egress"), "name": "security.p"},
    ),
    Parsed(
        "snp-types-default-like-calico",
        snp("p", "egress: [{action: Deny}]"),
        "StagedNetworkPolicy",
        "StagedNetworkPolicy a/p",
        "Set",
        "default",
        ("projectcalico.org/NetworkPolicy", "a", "p"),
        CalicoPolicy,
        {"policy_types": ("Egress",)},
    ),
    Parsed(
        "snp-delete-keeps-its-tier",
        snp("security.p", "stagedAction: Delete\ntier: security"),
        "StagedNetworkPolicy",
        "StagedNetworkPolicy a/security.p",
        "Delete",
        "security",
        ("projectcalico.org/NetworkPolicy", "a", "security.p"),
        None,
        {},
    ),
    Parsed(
        "snp-delete-may-keep-types-that-calico-clears",
        snp("p", "stagedAction: Delete\ntypes: [Ingress]\nselector: ''\ningress: []"),
        "StagedNetworkPolicy",
        "StagedNetworkPolicy a/p",
        "Delete",
        "default",
        ("projectcalico.org/NetworkPolicy", "a", "p"),
        None,
        {},
    ),
    Parsed(
        "snp-learn-is-parsed",
        snp("p", "stagedAction: Learn\n" + DB_DENY),
        "StagedNetworkPolicy",
        "StagedNetworkPolicy a/p",
        "Learn",
        "default",
        ("projectcalico.org/NetworkPolicy", "a", "p"),
        CalicoPolicy,
        {},
    ),
    Parsed(
        "snp-ignore-is-parsed",
        snp("p", "stagedAction: Ignore\n" + DB_DENY),
        "StagedNetworkPolicy",
        "StagedNetworkPolicy a/p",
        "Ignore",
        "default",
        ("projectcalico.org/NetworkPolicy", "a", "p"),
        CalicoPolicy,
        {},
    ),
    Parsed(
        "sgnp-global-fields",
        sgnp(
            "g",
            "order: 5\nselector: app == 'db'\nnamespaceSelector: team == 'shop'\ndoNotTrack: false\npreDNAT: false\n"
            "applyOnForward: false\ningress: [{action: Deny}]",
        ),
        "StagedGlobalNetworkPolicy",
        "StagedGlobalNetworkPolicy g",
        "Set",
        "default",
        ("projectcalico.org/GlobalNetworkPolicy", "", "g"),
        CalicoPolicy,
        {"kind": "GlobalNetworkPolicy", "namespace": "", "order": 5.0},
    ),
    Parsed(
        "sgnp-delete",
        sgnp("g", "stagedAction: Delete"),
        "StagedGlobalNetworkPolicy",
        "StagedGlobalNetworkPolicy g",
        "Delete",
        "default",
        ("projectcalico.org/GlobalNetworkPolicy", "", "g"),
        None,
        {},
    ),
    Parsed(
        "sknp-kubernetes-spec",
        sknp("k", DB_ONLY_WEB + "\negress: [{}]"),
        "StagedKubernetesNetworkPolicy",
        "StagedKubernetesNetworkPolicy a/k",
        "Set",
        None,
        ("NetworkPolicy", "a", "k"),
        NetworkPolicy,
        {"namespace": "a", "name": "k", "policy_types": ("Ingress", "Egress"), "kind": "NetworkPolicy"},
    ),
    Parsed(
        "sknp-policy-types-and-missing-pod-selector",
        sknp("k", "policyTypes: [Egress]"),
        "StagedKubernetesNetworkPolicy",
        "StagedKubernetesNetworkPolicy a/k",
        "Set",
        None,
        ("NetworkPolicy", "a", "k"),
        NetworkPolicy,
        {"policy_types": ("Egress",), "egress": ()},
    ),
    Parsed(
        "sknp-delete-with-the-empty-pod-selector-an-export-carries",
        sknp("k", "stagedAction: Delete\npodSelector: {}"),
        "StagedKubernetesNetworkPolicy",
        "StagedKubernetesNetworkPolicy a/k",
        "Delete",
        None,
        ("NetworkPolicy", "a", "k"),
        None,
        {},
    ),
    Parsed(
        "namespace-defaults-to-default",
        "---\napiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: p}\nspec: {}\n",
        "StagedNetworkPolicy",
        "StagedNetworkPolicy default/p",
        "Set",
        "default",
        ("projectcalico.org/NetworkPolicy", "default", "p"),
        CalicoPolicy,
        {"namespace": "default", "policy_types": ("Ingress",)},
    ),
]


@pytest.mark.parametrize("case", PARSED, ids=[c.id for c in PARSED])
def test_staged_policy_is_parsed(case: Parsed):
    c = cluster(case.manifest)
    assert c.policy_objects == ()
    (staged,) = c.staged_objects
    assert isinstance(staged, StagedPolicy)
    assert (staged.kind, staged.ref, staged.staged_action, staged.tier) == (case.kind, case.ref, case.action, case.tier)
    assert staged.target == case.target
    if case.body is None:
        assert staged.policy is None
    else:
        assert isinstance(staged.policy, case.body)
        for attribute, value in case.checks.items():
            assert getattr(staged.policy, attribute) == value, attribute
    row = c.policies.loc[case.ref]
    assert (row["kind"], bool(row["staged"]), row["staged_action"]) == (case.kind, True, case.action)


def test_crd_spelling_of_a_staged_kind_is_read_as_v3_with_a_warning():
    text = snp("p", DB_DENY).replace("projectcalico.org/v3", "crd.projectcalico.org/v1")
    with pytest.warns(UserWarning, match="crd.projectcalico.org/v1"):
        c = cluster(text)
    assert [s.ref for s in c.staged_objects] == ["StagedNetworkPolicy a/p"]


def test_the_staged_rule_set_is_the_one_the_enforced_parser_reads():
    """Same spec, same model: a staged policy's body equals the enforced policy it stages."""
    spec = "order: 3\nselector: app == 'db'\ningress: [{action: Allow, protocol: TCP, destination: {ports: [5432]}}]"
    staged = cluster(snp("p", spec)).staged_objects[0].policy
    (enforced,) = cluster(cnp("p", spec)).policy_objects
    assert staged == enforced
    staged_k8s = cluster(sknp("k", DB_ONLY_WEB)).staged_objects[0].policy
    (enforced_k8s,) = cluster(knp("k", DB_ONLY_WEB)).policy_objects
    assert staged_k8s == enforced_k8s


# ---- parsing: every error, with its exact field path ------------------------------------------------------------

BAD = [
    # (id, manifest, path, words)
    ("action-lowercase", snp("p", "stagedAction: set"), "spec.stagedAction", "(write 'Set')"),
    ("action-unknown", snp("p", "stagedAction: Commit"), "spec.stagedAction", "Set, Delete, Learn, Ignore"),
    ("action-not-a-string", snp("p", "stagedAction: 1"), "spec.stagedAction", "expected a string"),
    ("action-misspelt", snp("p", "stagedActon: Set"), "spec.stagedActon", "did you mean 'stagedAction'"),
    ("action-wrong-case-key", snp("p", "stagedaction: Set"), "spec.stagedaction", "did you mean 'stagedAction'"),
    (
        "missing-spec",
        "---\napiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata: {name: p, namespace: a}\n",
        "spec",
        "required",
    ),
    ("delete-with-selector", snp("p", "stagedAction: Delete\nselector: all()"), "spec.selector", "Delete"),
    ("delete-with-rules", snp("p", "stagedAction: Delete\ningress: [{action: Deny}]"), "spec.ingress", "Delete"),
    ("delete-with-order-0", snp("p", "stagedAction: Delete\norder: 0"), "spec.order", "must be empty"),
    ("delete-unknown-field", snp("p", "stagedAction: Delete\nselectr: x"), "spec.selectr", "did you mean 'selector'"),
    (
        "global-delete-with-namespace-selector",
        sgnp("g", "stagedAction: Delete\nnamespaceSelector: all()"),
        "spec.namespaceSelector",
        "Delete",
    ),
    ("k8s-delete-with-rules", sknp("k", "stagedAction: Delete\ningress: [{}]"), "spec.ingress", "Delete"),
    (
        "k8s-delete-with-a-pod-selector",
        sknp("k", "stagedAction: Delete\npodSelector: {matchLabels: {app: db}}"),
        "spec.podSelector",
        "Delete",
    ),
    ("k8s-delete-with-a-tier", sknp("k", "stagedAction: Delete\ntier: default"), "spec.tier", "unknown field"),
    ("bad-selector", snp("p", "selector: app == web"), "spec.selector", "position"),
    ("tier-not-a-string", snp("p", "tier: 5"), "spec.tier", "expected a string"),
    ("bad-order", snp("p", "order: first"), "spec.order", "number"),
    ("namespaced-has-no-namespace-selector", snp("p", "namespaceSelector: all()"), "spec.namespaceSelector", "unknown"),
    ("rule-action-lowercase", snp("p", "ingress: [{action: allow}]"), "spec.ingress[0].action", "'Allow'"),
    (
        "rule-ports-without-protocol",
        snp("p", "ingress: [{action: Allow, destination: {ports: [80]}}]"),
        "spec.ingress[0].protocol",
        "protocol",
    ),
    ("bad-types", snp("p", "types: [Ingres]"), "spec.types[0]", "Ingress or Egress"),
    ("http-rule", snp("p", "ingress: [{action: Allow, http: {methods: [GET]}}]"), "spec.ingress[0].http", "not"),
    ("global-do-not-track", sgnp("g", "doNotTrack: true"), "spec.doNotTrack", "host-endpoint"),
    ("global-pre-dnat", sgnp("g", "preDNAT: true"), "spec.preDNAT", "host-endpoint"),
    ("global-bad-namespace-selector", sgnp("g", "namespaceSelector: '=='"), "spec.namespaceSelector", ""),
    ("k8s-calico-field", sknp("k", "selector: all()"), "spec.selector", "unknown field"),
    ("k8s-tier", sknp("k", "tier: default\npodSelector: {}"), "spec.tier", "unknown field"),
    (
        "k8s-bad-port",
        sknp("k", "podSelector: {}\ningress: [{ports: [{port: 70000}]}]"),
        "spec.ingress[0].ports[0].port",
        "1-65535",
    ),
    ("k8s-bad-policy-type", sknp("k", "policyTypes: [ingress]"), "spec.policyTypes[0]", "Ingress or Egress"),
    (
        "k8s-bad-peer",
        sknp("k", "ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]"),
        "spec.ingress[0].from[0]",
        "ipBlock",
    ),
    ("bad-name", snp("Bad_Name", ""), "metadata.name", "not a valid name"),
]


@pytest.mark.parametrize(("manifest", "path", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_malformed_staged_policy_names_the_field(manifest: str, path: str, words: str):
    with pytest.raises(npk.PolicyError) as caught:
        cluster(manifest)
    assert caught.value.path == path, caught.value
    assert words in caught.value.message
    assert caught.value.obj is not None and caught.value.obj.startswith("Staged")


def test_an_unknown_staged_version_is_a_policy_error():
    with pytest.raises(npk.PolicyError, match="not a version netpolkit evaluates"):
        cluster(snp("p", DB_DENY).replace("projectcalico.org/v3", "projectcalico.org/v2"))


# ---- staged policies are never enforced --------------------------------------------------------------------------

NEVER = [
    ("snp-deny-everything", snp("p", "ingress: [{action: Deny}]\negress: [{action: Deny}]")),
    ("sgnp-deny-everything", sgnp("g", "ingress: [{action: Deny}]\negress: [{action: Deny}]")),
    ("sknp-isolate-everything", sknp("k", "podSelector: {}\npolicyTypes: [Ingress, Egress]")),
    ("snp-delete-the-enforced-deny", snp("deny", "stagedAction: Delete")),
    ("sknp-delete-the-enforced-isolation", sknp("iso", "stagedAction: Delete")),
    ("snp-set-replaces-the-enforced-deny-with-an-allow", snp("deny", DB_ALLOW)),
    ("snp-in-an-earlier-tier", snp("p", "tier: early\n" + DB_ALLOW)),
    ("learn-and-ignore", snp("l", "stagedAction: Learn\n" + DB_DENY) + snp("i", "stagedAction: Ignore\n" + DB_DENY)),
]
ENFORCED = (
    cnp("deny", "selector: app == 'db'\ningress: [{action: Deny, source: {selector: app == 'batch'}}]")
    + knp("iso", "podSelector: {matchLabels: {app: web}}\npolicyTypes: [Ingress]")
    + "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: early}\nspec: {order: 10}\n"
)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("staged",), [(n[1],) for n in NEVER], ids=[n[0] for n in NEVER])
def test_staged_policies_never_change_enforced_verdicts(staged: str, engine: str):
    without, with_staged = cluster(ENFORCED), cluster(ENFORCED + staged)
    assert with_staged.staged_objects and with_staged.policy_objects == without.policy_objects
    before = npk.reachability(without, ports=[PORT], profile="calico", engine=engine)
    after = npk.reachability(with_staged, ports=[PORT], profile="calico", engine=engine)
    pd.testing.assert_frame_equal(before.frame(PORT), after.frame(PORT))
    assert after.warnings == ()
    for src, dst in (("a/batch", "a/db"), ("a/web", "a/db"), ("a/db", "a/web")):
        assert str(after.explain(src, dst, PORT)) == str(before.explain(src, dst, PORT))
        assert after.policies_for(dst, "ingress") == before.policies_for(dst, "ingress")


@pytest.mark.parametrize("engine", ENGINES)
def test_staged_calico_policies_do_not_need_the_calico_profile(engine: str):
    """The upstream profile does not enforce Calico policies; staged ones are not enforced anywhere."""
    c = cluster(snp("p", DB_DENY) + sgnp("g", DB_DENY) + sknp("k", DB_ONLY_WEB))
    reach = npk.reachability(c, ports=[PORT], engine=engine)
    assert reach.allowed("a/web", "a/db", PORT) and reach.warnings == ()
    assert reach.policies_for("a/db", "ingress") == []
    with pytest.raises(npk.PolicyError, match="does not enforce Calico"):
        npk.reachability(c.commit_staged(), ports=[PORT], engine=engine)


# ---- the what-if: as if committed, and its diff ------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    id: str
    enforced: str
    staged: str
    verdicts: list[tuple[str, str, bool, str]]  # after committing: src, dst, allowed, deciding policy / reason
    changes: set[tuple[str, str, str]]  # (src, dst, change) on PORT
    policies_after: list[str]  # refs of the enforced policies once committed, in load order


WHAT_IF = [
    WhatIf(
        "snp-set-adds-a-calico-policy",
        "",
        snp("deny", DB_DENY),
        [("a/web", "a/db", False, "Calico NetworkPolicy a/deny")],
        {(s, "a/db", "newly blocked") for s in ("a/web", "a/batch", "b/web")},
        ["Calico NetworkPolicy a/deny"],
    ),
    WhatIf(
        "snp-set-replaces-the-enforced-calico-policy",
        cnp("p", DB_ALLOW),
        snp(
            "p", "selector: app == 'db'\ningress: [{action: Deny, source: {selector: app == 'batch'}}, {action: Allow}]"
        ),
        [
            ("a/batch", "a/db", False, "Calico NetworkPolicy a/p"),
            ("a/web", "a/db", True, "Calico NetworkPolicy a/p"),
        ],
        {("a/batch", "a/db", "newly blocked")},
        ["Calico NetworkPolicy a/p"],
    ),
    WhatIf(
        "snp-delete-removes-the-enforced-calico-policy",
        cnp("p", DB_DENY) + cnp("other", "selector: app == 'web'\ningress: [{action: Deny}]"),
        snp("p", "stagedAction: Delete"),
        [("a/web", "a/db", True, NOT_ISOLATED), ("a/db", "a/web", False, "Calico NetworkPolicy a/other")],
        {(s, "a/db", "newly allowed") for s in ("a/web", "a/batch", "b/web")},
        ["Calico NetworkPolicy a/other"],
    ),
    WhatIf(
        "sknp-set-adds-a-kubernetes-policy",
        "",
        sknp("only-web", DB_ONLY_WEB),
        [("a/web", "a/db", True, "NetworkPolicy a/only-web"), ("a/batch", "a/db", False, END_OF_TIER)],
        {("a/batch", "a/db", "newly blocked"), ("b/web", "a/db", "newly blocked")},
        ["NetworkPolicy a/only-web"],
    ),
    WhatIf(
        "sknp-set-replaces-the-enforced-kubernetes-policy",
        knp("k", DB_ONLY_WEB),
        sknp("k", "podSelector: {matchLabels: {app: db}}\ningress: [{from: [{namespaceSelector: {}}]}]"),
        [("b/web", "a/db", True, "NetworkPolicy a/k"), ("a/batch", "a/db", True, "NetworkPolicy a/k")],
        {("a/batch", "a/db", "newly allowed"), ("b/web", "a/db", "newly allowed")},
        ["NetworkPolicy a/k"],
    ),
    WhatIf(
        "sknp-delete-removes-the-enforced-kubernetes-policy",
        knp("k", DB_ONLY_WEB),
        sknp("k", "stagedAction: Delete\npodSelector: {}"),
        [("a/batch", "a/db", True, NOT_ISOLATED)],
        {("a/batch", "a/db", "newly allowed"), ("b/web", "a/db", "newly allowed")},
        [],
    ),
    WhatIf(
        "sgnp-set-adds-a-global-policy",
        "",
        sgnp("g", "namespaceSelector: team == 'ops'\ningress: [{action: Deny}]"),
        [("a/web", "b/web", False, "GlobalNetworkPolicy g"), ("a/web", "a/db", True, NOT_ISOLATED)],
        {(s, "b/web", "newly blocked") for s in ("a/web", "a/db", "a/batch")},
        ["GlobalNetworkPolicy g"],
    ),
    WhatIf(
        "sgnp-delete-removes-the-global-policy",
        gnp("g", DB_DENY),
        sgnp("g", "stagedAction: Delete"),
        [("a/web", "a/db", True, NOT_ISOLATED)],
        {(s, "a/db", "newly allowed") for s in ("a/web", "a/batch", "b/web")},
        [],
    ),
    WhatIf(
        "a-delete-only-removes-its-own-kind",  # a Calico NetworkPolicy and a Kubernetes one may share a name
        cnp("p", DB_DENY) + knp("p", DB_ONLY_WEB),
        sknp("p", "stagedAction: Delete"),
        [("a/web", "a/db", False, "Calico NetworkPolicy a/p")],
        {("a/web", "a/db", "newly blocked")},  # the Kubernetes policy (order 1000) allowed it first
        ["Calico NetworkPolicy a/p"],
    ),
    WhatIf(
        "a-set-of-one-kind-adds-beside-the-namesake-of-another",
        cnp("p", "order: 1\nselector: app == 'db'\ningress: [{action: Deny, source: {selector: app == 'batch'}}]"),
        sknp("p", DB_ONLY_WEB),
        [("a/batch", "a/db", False, "Calico NetworkPolicy a/p"), ("a/web", "a/db", True, "NetworkPolicy a/p")],
        {("a/web", "a/db", "newly allowed")},  # was denied at the end of the default tier
        ["Calico NetworkPolicy a/p", "NetworkPolicy a/p"],
    ),
    WhatIf(
        "a-delete-of-nothing-changes-nothing",
        cnp("p", DB_DENY),
        snp("other", "stagedAction: Delete"),
        [("a/web", "a/db", False, "Calico NetworkPolicy a/p")],
        set(),
        ["Calico NetworkPolicy a/p"],
    ),
    WhatIf(
        "a-staged-policy-in-a-tier-runs-there-once-committed",
        "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n"
        + cnp("allow", DB_ALLOW),
        sgnp(
            "security.gate",
            "tier: security\nselector: app == 'db'\ningress:\n- {action: Pass, source: {selector: app == 'web'}}\n"
            "- {action: Deny}",
        ),
        [
            ("a/web", "a/db", True, "Calico NetworkPolicy a/allow"),
            ("a/batch", "a/db", False, "GlobalNetworkPolicy security.gate"),
        ],
        {("a/batch", "a/db", "newly blocked")},  # a global policy's bare selector: b/web passes too
        ["Calico NetworkPolicy a/allow", "GlobalNetworkPolicy security.gate"],
    ),
    WhatIf(
        "set-and-delete-together",
        cnp("old", DB_DENY),
        snp("old", "stagedAction: Delete") + sknp("new", DB_ONLY_WEB),
        [("a/web", "a/db", True, "NetworkPolicy a/new"), ("a/batch", "a/db", False, END_OF_TIER)],
        {("a/web", "a/db", "newly allowed")},
        ["NetworkPolicy a/new"],
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", WHAT_IF, ids=[c.id for c in WHAT_IF])
def test_commit_staged_evaluates_as_if_committed(case: WhatIf, engine: str):
    c = cluster(case.enforced + case.staged)
    committed = c.commit_staged()
    assert [p.ref for p in committed.policy_objects] == case.policies_after
    assert committed.staged_objects == ()
    reach = npk.reachability(committed, ports=[PORT], profile="calico", engine=engine)
    for src, dst, allowed, decider in case.verdicts:
        why = reach.explain(src, dst, PORT)
        assert reach.allowed(src, dst, PORT) is allowed and why.allowed is allowed, str(why)
        assert any(decider in (side.policy, side.reason) for side in (why.egress, why.ingress)), str(why)
    diff = npk.staged_diff(c, ports=[PORT], engine=engine)
    assert {(r.src, r.dst, r.change) for r in diff.changes(PORT).itertuples()} == case.changes
    pd.testing.assert_frame_equal(diff.after.frame(PORT), reach.frame(PORT))
    enforced = npk.reachability(c, ports=[PORT], profile="calico", engine=engine)
    pd.testing.assert_frame_equal(diff.before.frame(PORT), enforced.frame(PORT))
    assert diff.before.engine == diff.after.engine == engine
    assert diff.before.profile.name == diff.after.profile.name == "calico"


def test_a_committed_policy_remembers_where_its_staged_policy_came_from():
    objects = [*base_objects(), yaml.safe_load(snp("p", DB_DENY))]
    c = npk.Cluster.from_documents([Document(o, Where("staged.yaml", i)) for i, o in enumerate(objects)])
    committed = c.commit_staged()
    (policy,) = committed.policy_objects
    where = committed.source_of(policy)
    assert where is not None and (where.file, where.document) == ("staged.yaml", len(objects) - 1)
    assert committed.policies.loc["Calico NetworkPolicy a/p", "source"] == "staged.yaml"


def test_learn_and_ignore_stay_staged_with_a_warning():
    c = cluster(snp("l", "stagedAction: Learn\n" + DB_DENY) + sgnp("i", "stagedAction: Ignore\n" + DB_DENY))
    committed = c.commit_staged()
    assert committed.policy_objects == ()
    assert [s.ref for s in committed.staged_objects] == ["StagedNetworkPolicy a/l", "StagedGlobalNetworkPolicy i"]
    assert len(committed.warnings) == 2
    assert "StagedNetworkPolicy a/l: spec.stagedAction: stagedAction Learn is not committed" in committed.warnings[0]
    diff = npk.staged_diff(c, ports=[PORT])
    assert diff.changes(PORT).empty and diff.after.warnings == committed.warnings and diff.before.warnings == ()


def test_committing_twice_changes_nothing_more():
    c = cluster(cnp("p", DB_DENY) + snp("p", "stagedAction: Delete") + sknp("k", DB_ONLY_WEB))
    once = c.commit_staged()
    assert once.commit_staged().objects == once.objects
    assert c.objects != once.objects  # the original is untouched: clusters are immutable
    assert len(c.staged_objects) == 2 and len(c.policy_objects) == 1


def test_policies_frame_lists_staged_policies_after_the_enforced_ones():
    c = cluster(cnp("p", DB_DENY) + snp("p", "stagedAction: Delete\ntier: default") + sknp("k", DB_ONLY_WEB))
    frame = c.policies
    assert list(frame.index) == [
        "Calico NetworkPolicy a/p",
        "StagedNetworkPolicy a/p",
        "StagedKubernetesNetworkPolicy a/k",
    ]
    assert list(frame["staged"]) == [False, True, True]
    assert frame["staged_action"].isna().tolist() == [True, False, False]
    assert list(frame["staged_action"].iloc[1:]) == ["Delete", "Set"]
    assert frame.loc["StagedKubernetesNetworkPolicy a/k", "ingress_rules"] == 1
    assert frame.loc["StagedNetworkPolicy a/p", "ingress_rules"] == 0
    assert frame.loc["StagedKubernetesNetworkPolicy a/k", "types"] == ("Ingress",)
    assert "1 policy, 2 staged" in repr(c)


def test_delete_removes_a_staged_policy_by_its_kind():
    c = cluster(snp("p", DB_DENY) + sgnp("g", DB_DENY) + sknp("k", DB_ONLY_WEB))
    c = c.delete("StagedNetworkPolicy", "a", "p").delete("StagedGlobalNetworkPolicy", None, "g")
    c = c.delete("StagedKubernetesNetworkPolicy", "a", "k", api_version="projectcalico.org/v3")
    assert c.staged_objects == ()
    with pytest.raises(KeyError):
        c.delete("StagedNetworkPolicy", "a", "p")


def test_apply_replaces_a_staged_policy_of_the_same_name():
    c = cluster(snp("p", DB_DENY)).apply([yaml.safe_load(snp("p", "stagedAction: Delete"))])
    assert [s.staged_action for s in c.staged_objects] == ["Delete"]
