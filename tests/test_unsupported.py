"""Never silently wrong: what netpolkit cannot evaluate is an error, or (explicitly ignored) a visible warning.

Policy kinds of other dialects used to be dropped with one stderr line, so a CiliumNetworkPolicy that denies all
ingress gave "everything allowed" (issue 8). These tests keep that from coming back.
"""

from __future__ import annotations

import pytest

import netpolkit as npk

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
}


def typo_policy(api_version: str, kind: str) -> dict:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "shop"}, "spec": {}}


@pytest.mark.parametrize(
    ("api_version", "kind", "says"),
    [
        ("networking.k8s.io/v2", "NetworkPolicy", "not a version netpolkit evaluates (it reads networking.k8s.io/v1)"),
        ("networking.k8s.io/v1beta1", "NetworkPolicy", "check the apiVersion"),
        ("policy.networking.k8s.io/v9", "Whatever", "a policy kind netpolkit does not evaluate yet"),
        ("crd.antrea.io/v1beta1", "ClusterNetworkPolicy", "a policy kind netpolkit does not evaluate yet"),
        ("networking.gke.io/v1alpha3", "FQDNNetworkPolicy", "a policy kind netpolkit does not evaluate yet"),
        ("projectcalico.org/v3", "GlobalNetworkSet", "a policy kind netpolkit does not evaluate yet"),
        ("k8s.ovn.org/v1", "EgressFirewall", "a policy kind netpolkit does not evaluate yet"),
    ],
)
def test_a_policy_kind_or_version_netpolkit_cannot_evaluate_is_an_error(api_version, kind, says):
    with pytest.raises(npk.PolicyError) as caught:
        npk.Cluster.from_objects([POD, typo_policy(api_version, kind)], source="export.json")
    error = caught.value
    assert error.file == "export.json" and error.document == 1
    assert error.obj == f"{kind} shop/x" and error.path == "apiVersion"
    assert says in str(error) and "unsupported='ignore'" in str(error)


def test_ignoring_unsupported_kinds_leaves_them_out_with_a_warning_on_every_result():
    cluster = npk.Cluster.from_objects(
        [POD, typo_policy("networking.k8s.io/v2", "NetworkPolicy")], unsupported="ignore"
    )
    assert len(cluster.policy_objects) == 0
    assert len(cluster.warnings) == 1 and "NetworkPolicy shop/x" in cluster.warnings[0]
    assert "skipped" in cluster.warnings[0]
    reach = npk.reachability(cluster, ports=["TCP/80"])
    assert reach.warnings == cluster.warnings
    why = reach.explain("shop/web", "shop/web", "TCP/80")
    assert why.warnings == cluster.warnings and str(why).startswith("WARNING: ")


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("networking.k8s.io/v1", "Ingress"),
        ("networking.k8s.io/v1", "IngressClass"),
        ("v1", "ConfigMap"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("route.openshift.io/v1", "Route"),
        ("projectcalico.org/v3", "IPPool"),
        ("cilium.io/v2", "CiliumEndpoint"),
    ],
)
def test_objects_that_are_not_policies_are_skipped_with_a_count(api_version, kind):
    other = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "shop"}}
    with pytest.warns(UserWarning, match=rf"skipped objects of kinds netpolkit does not model: 1 {kind}"):
        cluster = npk.Cluster.from_objects([POD, other])
    assert cluster.warnings == ()


def test_unsupported_takes_error_or_ignore_only():
    with pytest.raises(ValueError, match="unsupported must be one of"):
        npk.Cluster.from_objects([POD], unsupported="warn")
    with pytest.raises(ValueError, match="unsupported must be one of"):
        npk.reachability(npk.Cluster.from_objects([POD]), ports=["TCP/80"], unsupported="skip")


CALICO_POLICY = {
    "apiVersion": "projectcalico.org/v3",
    "kind": "NetworkPolicy",
    "metadata": {"name": "deny-web", "namespace": "shop"},
    "spec": {"selector": "app == 'web'", "ingress": [{"action": "Deny"}]},
}


def test_a_policy_the_profiles_plugin_does_not_enforce_is_an_error_naming_the_plugin_that_would():
    cluster = npk.Cluster.from_objects([POD, CALICO_POLICY], source="calico.yaml")
    with pytest.raises(npk.PolicyError) as caught:
        npk.reachability(cluster, ports=["TCP/80"], profile="upstream")
    error = caught.value
    assert error.file == "calico.yaml" and error.document == 1
    assert error.obj == "Calico NetworkPolicy shop/deny-web"
    assert "does not enforce Calico policies" in str(error) and "profile='calico'" in str(error)


def test_ignoring_a_policy_the_plugin_does_not_enforce_evaluates_without_it_and_says_so():
    cluster = npk.Cluster.from_objects([POD, CALICO_POLICY])
    reach = npk.reachability(cluster, ports=["TCP/80"], profile="upstream", unsupported="ignore")
    assert reach.allowed("shop/web", "shop/web", "TCP/80")  # the plugin would not enforce the Deny
    assert len(reach.warnings) == 1 and "left out" in reach.warnings[0]
    assert not npk.reachability(cluster, ports=["TCP/80"], profile="calico").frame().isna().any().any()


def test_a_missing_or_null_pod_selector_selects_every_pod_of_the_namespace():
    for spec in ({"ingress": []}, {"podSelector": None, "ingress": []}):
        policy = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "shop"},
            "spec": spec,
        }
        client = {**POD, "metadata": {"name": "client", "namespace": "shop"}}
        reach = npk.reachability(npk.Cluster.from_objects([POD, client, policy]), ports=["TCP/80"])
        assert not reach.allowed("shop/client", "shop/web", "TCP/80")


def test_a_cluster_with_policies_but_no_endpoints_gives_an_empty_result():
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "shop"},
        "spec": {"podSelector": {}},
    }
    for objects in ([], [policy]):
        for engine in ("vectorized", "reference"):
            reach = npk.reachability(npk.Cluster.from_objects(objects), ports=["TCP/80"], engine=engine)
            assert reach.frame("TCP/80").shape == (0, 0)
            assert reach.long().empty
