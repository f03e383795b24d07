"""Calico tiers: ``defaultAction`` (Deny | Pass) and Calico's own tiers, on both engines.

Sources (github.com/projectcalico/calico): ``api/pkg/apis/projectcalico/v3/tier.go``: ``TierSpec.DefaultAction``,
``+kubebuilder:validation:Enum=Pass;Deny``, default Deny, "the action applied to traffic that matches a policy in
the tier but does not match any rule within that policy"; the built-in tiers' XValidation rules (``default``: order
1000000, Deny; ``kube-admin``: order 1000, Pass; ``kube-baseline``: order 10000000, Pass) and the constants
``KubeAdminTierOrder``, ``DefaultTierOrder``, ``KubeBaselineTierOrder``. ``felix/rules/endpoints.go`` renders the
end-of-tier drop only ``if endOfTierDrop && tier.DefaultAction != Pass``. ``libcalico-go/lib/clientv3/client.go``
creates the three tiers (``ensureTierExists``); ``libcalico-go/lib/backend/k8s/conversion/clusternetworkpolicy.go``
puts a ClusterNetworkPolicy in kube-admin / kube-baseline with ``order = priority``.
Docs: docs.tigera.io/calico/latest/reference/resources/tier.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml

import netpolkit as npk
from netpolkit.engine import Evaluator, get_profile
from netpolkit.engine.explanation import END_OF_TIER, NOT_ISOLATED, PASSED
from netpolkit.engine.plan import ADMIN, BASELINE, CALICO_DEFAULT_TIER, CALICO_DEFAULT_TIER_ORDER, CALICO_TIERS
from netpolkit.model.calico import BUILTIN_TIERS, Tier

ENGINES = ("vectorized", "reference")
PORT = "TCP/80"


def pod(name: str, app: str, ns: str = "a") -> str:
    return (
        f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{app: {app}}}}}\n"
        "spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}\n"
    )


PODS = pod("web", "web") + pod("db", "db") + pod("batch", "batch")


def tier(name: str, spec: str) -> str:
    return f"---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {{name: {name}}}\nspec: {spec}\n"


def gnp(name: str, spec: str) -> str:
    return (
        f"---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: {name}}}\nspec: {spec}\n"
    )


def knp(name: str, spec: str) -> str:
    meta = f"{{name: {name}, namespace: a}}"
    return f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {meta}\nspec: {spec}\n"


def cnp(name: str, tier_name: str, priority: int, spec: str) -> str:
    return (
        "---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
        f"metadata: {{name: {name}}}\nspec: {{tier: {tier_name}, priority: {priority}, {spec}}}\n"
    )


def cluster(text: str) -> npk.Cluster:
    return npk.Cluster.from_objects([d for d in yaml.safe_load_all(PODS + text) if d])


# A policy in tier "security" that selects db and decides only for batch: what happens to web is the tier's end.
GATE = "{tier: security, selector: app == 'db', ingress: [{action: Deny, source: {selector: app == 'batch'}}]}"
GATE_EGRESS = (
    "{tier: security, selector: app == 'web', egress: [{action: Deny, destination: {selector: app == 'batch'}}]}"
)
ONLY_BATCH_TO_DB = (
    "{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: batch}}}]}]}"
)
ADMIN_ALLOW_WEB = (
    "subject: {namespaces: {}}, "
    "ingress: [{action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}]}]"
)
ALLOW_TO_DB = "{selector: app == 'db', ingress: [{action: Allow}]}"


@dataclass(frozen=True)
class Case:
    id: str
    manifests: str
    verdicts: list[tuple[str, str, bool, str]]  # src, dst, allowed, deciding policy / reason (on the deciding side)


CASES = [
    Case(
        "deny-is-the-default",
        tier("security", "{order: 100}") + gnp("security.gate", GATE),
        [("a/web", "a/db", False, END_OF_TIER), ("a/batch", "a/db", False, "GlobalNetworkPolicy security.gate")],
    ),
    Case(
        "explicit-deny",
        tier("security", "{order: 100, defaultAction: Deny}") + gnp("security.gate", GATE),
        [("a/web", "a/db", False, END_OF_TIER)],
    ),
    Case(
        "pass-and-nothing-later-allows",
        tier("security", "{order: 100, defaultAction: Pass}") + gnp("security.gate", GATE),
        [("a/web", "a/db", True, PASSED), ("a/batch", "a/db", False, "GlobalNetworkPolicy security.gate")],
    ),
    Case(
        "pass-hands-over-to-the-default-tier",
        tier("security", "{order: 100, defaultAction: Pass}")
        + gnp("security.gate", GATE)
        + knp("only-batch", ONLY_BATCH_TO_DB),
        [("a/web", "a/db", False, END_OF_TIER), ("a/batch", "a/db", False, "GlobalNetworkPolicy security.gate")],
    ),
    Case(
        "pass-hands-over-to-an-allow-in-the-default-tier",
        tier("security", "{order: 100, defaultAction: Pass}") + gnp("security.gate", GATE) + gnp("allow", ALLOW_TO_DB),
        [("a/web", "a/db", True, "GlobalNetworkPolicy allow")],
    ),
    Case(
        "pass-hands-over-to-the-next-user-tier-whose-end-denies",
        tier("security", "{order: 100, defaultAction: Pass}")
        + tier("platform", "{order: 200}")
        + gnp("security.gate", GATE)
        + gnp(
            "platform.p",
            "{tier: platform, selector: app == 'db', ingress: [{action: Allow, source: {selector: app == 'db'}}]}",
        ),
        [("a/web", "a/db", False, END_OF_TIER)],
    ),
    Case(
        "a-deny-rule-in-a-pass-tier-still-denies",
        tier("security", "{order: 100, defaultAction: Pass}") + gnp("security.gate", GATE) + gnp("allow", ALLOW_TO_DB),
        [("a/batch", "a/db", False, "GlobalNetworkPolicy security.gate")],
    ),
    Case(
        "pass-on-egress",
        tier("security", "{order: 100, defaultAction: Pass}") + gnp("security.gate", GATE_EGRESS),
        [("a/web", "a/db", True, PASSED), ("a/web", "a/batch", False, "GlobalNetworkPolicy security.gate")],
    ),
    Case(
        "deny-on-egress",
        tier("security", "{order: 100}") + gnp("security.gate", GATE_EGRESS),
        [("a/web", "a/db", False, END_OF_TIER)],
    ),
    Case(
        "a-pass-tier-without-order-runs-after-the-default-tier",
        tier("late", "{defaultAction: Pass}")
        + gnp("late.deny", "{tier: late, selector: app == 'db', ingress: [{action: Deny}]}")
        + gnp("allow", "{selector: app == 'db', ingress: [{action: Allow, source: {selector: app == 'web'}}]}"),
        [("a/web", "a/db", True, "GlobalNetworkPolicy allow"), ("a/batch", "a/db", False, END_OF_TIER)],
    ),
    Case(
        "the-baseline-tier-runs-after-the-default-tier",  # kube-baseline 10000000 > default 1000000
        cnp(
            "baseline-deny",
            "Baseline",
            10,
            "subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]",
        )
        + knp(
            "allow-web",
            "{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}",
        ),
        [("a/web", "a/db", True, "NetworkPolicy a/allow-web"), ("a/batch", "a/db", False, END_OF_TIER)],
    ),
    Case(
        "the-baseline-tier-decides-what-no-other-tier-selects",
        cnp(
            "baseline-deny",
            "Baseline",
            10,
            "subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]",
        ),
        [("a/web", "a/db", False, "ClusterNetworkPolicy baseline-deny")],
    ),
    Case(
        "the-admin-tier-runs-first-and-passes-on-by-default",  # kube-admin 1000 < every user tier ordered after it
        tier("security", "{order: 2000}")
        + gnp("security.deny", "{tier: security, selector: app == 'db', ingress: [{action: Deny}]}")
        + cnp("admin-allow-web", "Admin", 5, ADMIN_ALLOW_WEB),
        [
            ("a/web", "a/db", True, "ClusterNetworkPolicy admin-allow-web"),
            ("a/batch", "a/db", False, "GlobalNetworkPolicy security.deny"),
        ],
    ),
    Case(
        "a-user-tier-before-kube-admin-runs-first",
        tier("first", "{order: 10}")
        + gnp("first.deny", "{tier: first, selector: app == 'db', ingress: [{action: Deny}]}")
        + cnp(
            "admin-allow",
            "Admin",
            5,
            "subject: {namespaces: {}}, ingress: [{action: Accept, from: [{namespaces: {}}]}]",
        ),
        [("a/web", "a/db", False, "GlobalNetworkPolicy first.deny")],
    ),
    Case(
        "the-built-in-tiers-may-be-listed-as-calico-exports-them",
        tier("default", "{order: 1000000, defaultAction: Deny}")
        + tier("kube-admin", "{order: 1000, defaultAction: Pass}")
        + tier("kube-baseline", "{order: 10000000, defaultAction: Pass}")
        + gnp("only-batch", "{selector: app == 'db', ingress: [{action: Allow, source: {selector: app == 'batch'}}]}"),
        [("a/web", "a/db", False, END_OF_TIER), ("a/batch", "a/db", True, "GlobalNetworkPolicy only-batch")],
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_tier_default_action(case: Case, engine: str):
    reach = npk.reachability(cluster(case.manifests), ports=[PORT], profile="calico", engine=engine)
    for src, dst, allowed, decider in case.verdicts:
        why = reach.explain(src, dst, PORT)
        assert reach.allowed(src, dst, PORT) is allowed and why.allowed is allowed, str(why)
        deciding = (
            [s for s in (why.egress, why.ingress) if s.allowed is allowed]
            if allowed
            else [s for s in (why.egress, why.ingress) if not s.allowed]
        )
        assert any(decider in (s.policy, s.reason) for s in deciding), str(why)


def test_a_pass_at_the_end_of_a_tier_is_explained_as_passed_on():
    reach = npk.reachability(cluster(CASES[2].manifests), ports=[PORT], profile="calico")
    ingress = reach.explain("a/web", "a/db", PORT).ingress
    assert ingress.reason == PASSED and ingress.isolated_by == ("GlobalNetworkPolicy security.gate",)
    assert "passed it on" in str(ingress)
    untouched = reach.explain("a/db", "a/web", PORT).ingress
    assert untouched.reason == NOT_ISOLATED


def test_the_plan_ends_a_pass_tier_without_deny():
    c = cluster(
        tier("security", "{order: 100, defaultAction: Pass}")
        + tier("strict", "{order: 200}")
        + gnp("security.gate", GATE)
        + gnp("strict.p", GATE.replace("security", "strict"))
    )
    plan = Evaluator(c.table, c.policy_objects, get_profile("calico"), c.tier_objects).plan
    assert [(s.name, s.end_deny) for s in plan.stages["Ingress"]] == [("security", False), ("strict", True)]


# ---- the model ------------------------------------------------------------------------------------------------

TIERS = [
    ("no-spec", tier("t", "null"), Tier("t", None, "Deny")),
    ("order-only", tier("t", "{order: 5}"), Tier("t", 5.0, "Deny")),
    ("pass", tier("t", "{order: 5, defaultAction: Pass}"), Tier("t", 5.0, "Pass")),
    ("deny", tier("t", "{defaultAction: Deny}"), Tier("t", None, "Deny")),
    ("default", tier("default", "{order: 1000000}"), Tier("default", 1_000_000.0, "Deny")),
    ("kube-admin", tier("kube-admin", "{order: 1000, defaultAction: Pass}"), Tier("kube-admin", 1_000.0, "Pass")),
    (
        "kube-baseline",
        tier("kube-baseline", "{order: 10000000.0, defaultAction: Pass}"),
        Tier("kube-baseline", 10_000_000.0, "Pass"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), [t[1:] for t in TIERS], ids=[t[0] for t in TIERS])
def test_tier_is_parsed(text: str, expected: Tier):
    (parsed,) = cluster(text).tier_objects
    assert parsed == expected


BAD_TIERS = [
    ("lowercase-pass", tier("t", "{defaultAction: pass}"), "spec.defaultAction", "(write 'Pass')"),
    ("allow-is-no-default-action", tier("t", "{defaultAction: Allow}"), "spec.defaultAction", "Deny, Pass"),
    ("log-is-no-default-action", tier("t", "{defaultAction: Log}"), "spec.defaultAction", "Deny, Pass"),
    ("not-a-string", tier("t", "{defaultAction: 1}"), "spec.defaultAction", "expected a string"),
    ("misspelt", tier("t", "{defaultActon: Pass}"), "spec.defaultActon", "did you mean 'defaultAction'"),
    ("bad-order", tier("t", "{order: first}"), "spec.order", "number"),
    ("default-order", tier("default", "{order: 5}"), "spec.order", "must be 1000000"),
    ("default-without-order", tier("default", "null"), "spec.order", "must be 1000000"),
    ("default-pass", tier("default", "{order: 1000000, defaultAction: Pass}"), "spec.defaultAction", "Deny"),
    ("kube-admin-order", tier("kube-admin", "{order: 1, defaultAction: Pass}"), "spec.order", "must be 1000"),
    ("kube-admin-deny", tier("kube-admin", "{order: 1000}"), "spec.defaultAction", "must be Pass"),
    (
        "kube-baseline-order",
        tier("kube-baseline", "{order: 1000000, defaultAction: Pass}"),
        "spec.order",
        "must be 10000000",
    ),
    (
        "kube-baseline-deny",
        tier("kube-baseline", "{order: 10000000, defaultAction: Deny}"),
        "spec.defaultAction",
        "Pass",
    ),
]


@pytest.mark.parametrize(("text", "path", "words"), [b[1:] for b in BAD_TIERS], ids=[b[0] for b in BAD_TIERS])
def test_malformed_tier_names_the_field(text: str, path: str, words: str):
    with pytest.raises(npk.PolicyError) as caught:
        cluster(text)
    assert caught.value.path == path, caught.value
    assert words in caught.value.message
    assert caught.value.obj is not None and caught.value.obj.startswith("Tier ")


def test_the_plan_places_calicos_own_tiers_where_the_model_says_calico_does():
    assert {name: order for name, order in CALICO_TIERS.values()} == {
        n: order for n, (order, _) in BUILTIN_TIERS.items() if n != CALICO_DEFAULT_TIER
    }
    assert BUILTIN_TIERS[CALICO_DEFAULT_TIER] == (CALICO_DEFAULT_TIER_ORDER, "Deny")
    assert CALICO_TIERS[ADMIN][0] == "kube-admin" and CALICO_TIERS[BASELINE][0] == "kube-baseline"
    assert {BUILTIN_TIERS[name][1] for name, _ in CALICO_TIERS.values()} == {"Pass"}
