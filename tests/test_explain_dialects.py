"""explain names the dialect, tier, priority or order, policy and 1-based rule (with its name) on each side."""

from __future__ import annotations

import pytest

import netpolkit as npk

PODS = [
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
    }
    for ns, name in (("shop", "web"), ("shop", "api"), ("sandbox", "tool"))
]


def cnp(name: str, tier: str, priority: int, rules: list[dict], direction: str = "ingress") -> dict:
    return {
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": {"name": name},
        "spec": {"tier": tier, "priority": priority, "subject": {"namespaces": {}}, direction: rules},
    }


SANDBOX = {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "sandbox"}}}
SHOP = {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}}


@pytest.mark.parametrize("engine", ["vectorized", "reference"])
def test_an_admin_deny_is_named_with_tier_priority_and_rule_name(engine):
    guard = cnp(
        "guard",
        "Admin",
        10,
        [
            {"name": "ok", "action": "Accept", "from": [SHOP]},
            {"name": "no-sandbox", "action": "Deny", "from": [SANDBOX]},
        ],
    )
    reach = npk.reachability(npk.Cluster.from_objects([*PODS, guard]), ports=["TCP/80"], engine=engine)
    assert not reach.allowed("sandbox/tool", "shop/web", "TCP/80")
    why = reach.explain("sandbox/tool", "shop/web", "TCP/80").ingress
    assert (why.dialect, why.tier, why.position, why.rule, why.rule_name) == (
        "ClusterNetworkPolicy",
        "admin",
        "priority 10",
        2,
        "no-sandbox",
    )
    assert str(why) == (
        "ingress of shop/web: denied by ClusterNetworkPolicy guard (Admin tier, priority 10), ingress rule 2 "
        '"no-sandbox"'
    )


def test_a_pass_is_named_on_the_decision_it_handed_over():
    lockdown = cnp("lockdown", "Admin", 20, [{"name": "owners-decide", "action": "Pass", "from": [SHOP]}])
    deny = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "api-only-from-web", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "api"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
        },
    }
    reach = npk.reachability(npk.Cluster.from_objects([*PODS, lockdown, deny]), ports=["TCP/80"])
    why = reach.explain("shop/web", "shop/api", "TCP/80").ingress
    assert why.allowed and why.policy == "NetworkPolicy shop/api-only-from-web" and why.rule == 1
    assert why.passed_by == ('ClusterNetworkPolicy lockdown (Admin tier, priority 20), ingress rule 1 "owners-decide"',)
    assert str(why).endswith(
        '(after a Pass: ClusterNetworkPolicy lockdown (Admin tier, priority 20), ingress rule 1 "owners-decide")'
    )


def test_a_selecting_policy_whose_rules_do_not_match_is_not_called_not_isolated():
    base = cnp("base", "Baseline", 1, [{"action": "Deny", "from": [SANDBOX]}])
    reach = npk.reachability(npk.Cluster.from_objects([*PODS, base]), ports=["TCP/80"])
    why = reach.explain("shop/api", "shop/web", "TCP/80").ingress
    assert why.allowed and why.reason == "no rule decided"
    assert why.selected_by == ("ClusterNetworkPolicy base",)
    assert "not isolated" not in str(why) and "allowed by default" in str(why)


def test_a_cilium_deny_is_named_by_its_section_and_1_based_number():
    cilium = {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "no-tool", "namespace": "shop"},
        "spec": {
            "endpointSelector": {},
            "ingress": [{"fromEntities": ["all"]}],
            "ingressDeny": [{"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "sandbox"}}]}],
        },
    }
    reach = npk.reachability(npk.Cluster.from_objects([*PODS, cilium]), ports=["TCP/80"], profile="cilium")
    why = reach.explain("sandbox/tool", "shop/web", "TCP/80").ingress
    assert (why.dialect, why.section, why.rule, why.allowed) == ("Cilium", "spec.ingressDeny", 1, False)
    assert "CiliumNetworkPolicy shop/no-tool, spec.ingressDeny rule 1" in str(why)
