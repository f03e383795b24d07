"""The policy kinds beyond NetworkPolicy, read live when the cluster serves their API (found by API discovery).

``policy.networking.k8s.io`` ClusterNetworkPolicy (v1alpha2), AdminNetworkPolicy and BaselineAdminNetworkPolicy
(v1alpha1); ``cilium.io/v2`` CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy; ``projectcalico.org/v3``
StagedNetworkPolicy, StagedGlobalNetworkPolicy and StagedKubernetesNetworkPolicy. The objects are minimal and valid
per the upstream CRDs. Through the real ``kubernetes`` client over real HTTP to :class:`fake_kube_api.FakeKubeAPI`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

from fake_kube_api import CALICO, CILIUM, POLICY_API_V1ALPHA1, POLICY_API_V1ALPHA2, FakeKubeAPI, Reply, Request
from kubernetes.client import ApiClient, Configuration

import netpolkit.model
from netpolkit.errors import PolicyError
from netpolkit.io.live import fetch_objects, load_live

BASE: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}}
    for ns in ("shop", "db")
] + [
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"containers": [{"name": "main", "image": "registry.example/app:1"}]},
        "status": {"phase": "Running", "podIP": ip},
    }
    for ns, name, ip in (("shop", "web", "10.244.1.10"), ("db", "postgres", "10.244.2.20"))
]


def obj(api_version: str, kind: str, name: str, spec: dict[str, Any], ns: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{name}", "resourceVersion": "7"}
    if ns is not None:
        meta["namespace"] = ns
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}


DENY_ALL_INGRESS = [{"action": "Deny", "from": [{"namespaces": {}}]}]
POLICIES: dict[str, dict[str, Any]] = {
    # (what the lists below call each kind) -> one object of it
    "ClusterNetworkPolicy": obj(
        "policy.networking.k8s.io/v1alpha2",
        "ClusterNetworkPolicy",
        "admin-deny",
        {"tier": "Admin", "priority": 10, "subject": {"namespaces": {}}, "ingress": DENY_ALL_INGRESS},
    ),
    "AdminNetworkPolicy": obj(
        "policy.networking.k8s.io/v1alpha1",
        "AdminNetworkPolicy",
        "anp-deny",
        {"priority": 10, "subject": {"namespaces": {}}, "ingress": DENY_ALL_INGRESS},
    ),
    "BaselineAdminNetworkPolicy": obj(
        "policy.networking.k8s.io/v1alpha1",
        "BaselineAdminNetworkPolicy",
        "default",  # a singleton: the CRD allows no other name
        {"subject": {"namespaces": {}}, "ingress": DENY_ALL_INGRESS},
    ),
    "CiliumNetworkPolicy": obj(
        "cilium.io/v2", "CiliumNetworkPolicy", "web-deny", {"endpointSelector": {}, "ingress": [{}]}, ns="shop"
    ),
    "CiliumClusterwideNetworkPolicy": obj(
        "cilium.io/v2", "CiliumClusterwideNetworkPolicy", "all-deny", {"endpointSelector": {}, "ingress": [{}]}
    ),
    "StagedNetworkPolicy": obj(
        "projectcalico.org/v3",
        "StagedNetworkPolicy",
        "staged-deny",
        {"stagedAction": "Set", "selector": "all()", "types": ["Ingress"], "ingress": [{"action": "Deny"}]},
        ns="shop",
    ),
    "StagedGlobalNetworkPolicy": obj(
        "projectcalico.org/v3",
        "StagedGlobalNetworkPolicy",
        "staged-global-deny",
        {"stagedAction": "Set", "selector": "all()", "types": ["Egress"], "egress": [{"action": "Deny"}]},
    ),
    "StagedKubernetesNetworkPolicy": obj(
        "projectcalico.org/v3",
        "StagedKubernetesNetworkPolicy",
        "staged-k8s-deny",
        {"stagedAction": "Set", "podSelector": {}, "policyTypes": ["Ingress"]},
        ns="shop",
    ),
}
PATHS = {
    "ClusterNetworkPolicy": f"{POLICY_API_V1ALPHA2}/clusternetworkpolicies",
    "AdminNetworkPolicy": f"{POLICY_API_V1ALPHA1}/adminnetworkpolicies",
    "BaselineAdminNetworkPolicy": f"{POLICY_API_V1ALPHA1}/baselineadminnetworkpolicies",
    "CiliumNetworkPolicy": f"{CILIUM}/ciliumnetworkpolicies",
    "CiliumClusterwideNetworkPolicy": f"{CILIUM}/ciliumclusterwidenetworkpolicies",
    "StagedNetworkPolicy": f"{CALICO}/stagednetworkpolicies",
    "StagedGlobalNetworkPolicy": f"{CALICO}/stagedglobalnetworkpolicies",
    "StagedKubernetesNetworkPolicy": f"{CALICO}/stagedkubernetesnetworkpolicies",
}
# which model each kind needs in netpolkit.model, for the tests that build a Cluster
MODELS = {
    "ClusterNetworkPolicy": "netpolkit.model.admin",
    "AdminNetworkPolicy": "netpolkit.model.admin",
    "BaselineAdminNetworkPolicy": "netpolkit.model.admin",
    "CiliumNetworkPolicy": "the Cilium model",
    "CiliumClusterwideNetworkPolicy": "the Cilium model",
    "StagedNetworkPolicy": "the Calico staged-policy model",
    "StagedGlobalNetworkPolicy": "the Calico staged-policy model",
    "StagedKubernetesNetworkPolicy": "the Calico staged-policy model",
}
KINDS = list(POLICIES)


def serve(**flags: Any) -> FakeKubeAPI:
    defaults = {"calico": True, "cilium": True, "policy_api": True}
    return FakeKubeAPI(BASE + [copy.deepcopy(p) for p in POLICIES.values()], **{**defaults, **flags})


@pytest.fixture
def api() -> Iterator[FakeKubeAPI]:
    with serve() as server:
        yield server


@pytest.fixture
def client(api: FakeKubeAPI) -> Iterator[ApiClient]:
    with ApiClient(Configuration(host=api.host)) as api_client:
        yield api_client


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    api_version = POLICIES[kind]["apiVersion"]
    return [o for o in objects if o["kind"] == kind and o["apiVersion"] == api_version]


def needs_model(kind: str) -> None:
    if not netpolkit.model.is_supported(POLICIES[kind]):
        pytest.skip(f"waits on {MODELS[kind]}: {POLICIES[kind]['apiVersion']} {kind} is not registered yet")


# ---- listing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed_items", [True, False], ids=["items-typed", "items-untyped"])
def test_every_kind_is_listed_with_its_type_from_the_list(typed_items: bool) -> None:
    with serve(typed_items=typed_items) as api, ApiClient(Configuration(host=api.host)) as api_client:
        objects = fetch_objects(api_client)
        for kind, path in PATHS.items():
            assert path in api.paths, kind
    for kind, expected in POLICIES.items():
        [found] = of_kind(objects, kind)
        assert found == expected  # apiVersion and kind set from the list when the items come without them


def test_the_new_kinds_are_named_in_progress(client: ApiClient) -> None:
    messages: list[str] = []
    fetch_objects(client, progress=messages.append)
    assert "clusternetworkpolicies.policy.networking.k8s.io: 1" in messages
    assert "ciliumnetworkpolicies.cilium.io in all namespaces: 1" in messages
    assert "stagedkubernetesnetworkpolicies.projectcalico.org in all namespaces: 1" in messages


def test_apis_not_served_are_not_asked_for() -> None:
    with serve(calico=False, cilium=False, policy_api=False) as api, ApiClient(Configuration(host=api.host)) as c:
        objects = fetch_objects(c)
        asked = [p for p in api.paths if p.startswith("/apis/") and "networking.k8s.io/v1" not in p]
    assert asked == []  # /apis said none of them is there
    assert not [o for o in objects if o["kind"] in POLICIES]


@pytest.mark.parametrize(
    ("flag", "prefix"),
    [
        ("include_calico", CALICO),
        ("include_cilium", CILIUM),
        ("include_network_policy_api", "/apis/policy.networking.k8s.io/"),
    ],
)
def test_include_flags_leave_an_api_out(api: FakeKubeAPI, client: ApiClient, flag: str, prefix: str) -> None:
    objects = fetch_objects(client, **{flag: False})
    assert not [p for p in api.paths if p.startswith(prefix)]
    left_out = {k for k, path in PATHS.items() if path.startswith(prefix)}
    assert left_out and not [o for o in objects if o["kind"] in left_out]
    assert all(of_kind(objects, k) for k in set(PATHS) - left_out)


def test_namespace_filter_lists_namespaced_kinds_per_namespace(api: FakeKubeAPI, client: ApiClient) -> None:
    objects = fetch_objects(client, namespaces=["db"])
    assert f"{CILIUM}/namespaces/db/ciliumnetworkpolicies" in api.paths
    assert f"{CALICO}/namespaces/db/stagedkubernetesnetworkpolicies" in api.paths
    assert f"{CILIUM}/ciliumnetworkpolicies" not in api.paths
    assert not of_kind(objects, "CiliumNetworkPolicy")  # it lives in shop
    assert of_kind(objects, "CiliumClusterwideNetworkPolicy")  # cluster-wide: may select db pods


def test_a_calico_api_server_without_staged_policies() -> None:
    def older_calico(request: Request) -> Reply:
        code, body = request.normal()
        body["resources"] = [r for r in body["resources"] if not r["name"].startswith("staged")]
        return Reply(code, body)

    with serve() as api, ApiClient(Configuration(host=api.host)) as api_client:
        api.on(CALICO, older_calico)
        objects = fetch_objects(api_client)
        assert not [p for p in api.paths if p.startswith(f"{CALICO}/staged")]
    assert of_kind(objects, "CiliumNetworkPolicy")


def test_a_network_policy_api_with_only_v1alpha1() -> None:
    def only_v1alpha1(request: Request) -> Reply:
        code, body = request.normal()
        for group in body["groups"]:
            if group["name"] == "policy.networking.k8s.io":
                group["versions"] = [v for v in group["versions"] if v["version"] == "v1alpha1"]
        return Reply(code, body)

    with serve() as api, ApiClient(Configuration(host=api.host)) as api_client:
        api.on("/apis", only_v1alpha1)
        objects = fetch_objects(api_client)
        assert POLICY_API_V1ALPHA2 not in api.paths and PATHS["ClusterNetworkPolicy"] not in api.paths
    assert of_kind(objects, "AdminNetworkPolicy") and not of_kind(objects, "ClusterNetworkPolicy")


# ---- into a Cluster -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_load_live_builds_the_policy(api: FakeKubeAPI, client: ApiClient, kind: str) -> None:
    needs_model(kind)
    cluster = load_live(api_client=client)
    api_version = POLICIES[kind]["apiVersion"]
    parsed = [
        p
        for p in (*cluster.policy_objects, *getattr(cluster, "staged_objects", ()))
        if p.kind == kind and p.api_version == api_version
    ]
    assert [p.name for p in parsed] == [POLICIES[kind]["metadata"]["name"]]
    where = cluster.source_of(parsed[0])
    assert where is not None and where.file == f"live:{api.host}"
    assert not cluster.warnings


@pytest.mark.parametrize("kind", KINDS)
def test_a_kind_without_its_model_is_a_policy_error(
    api: FakeKubeAPI, client: ApiClient, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until (or unless) netpolkit models a kind, loading it is a PolicyError, or a kept warning with "ignore"."""
    key = (POLICIES[kind]["apiVersion"], kind)
    if key in netpolkit.model._KINDS:
        monkeypatch.delitem(netpolkit.model._KINDS, key)  # as before the model was registered
    with pytest.raises(PolicyError, match=rf"{kind} .*is a policy kind netpolkit does not evaluate yet") as caught:
        load_live(api_client=client)
    assert caught.value.file == f"live:{api.host}"
    cluster = load_live(api_client=client, unsupported="ignore")
    assert any(kind in w and "does not evaluate yet" in w for w in cluster.warnings)
