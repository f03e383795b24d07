"""The live-cluster loader, through the real ``kubernetes`` client over real HTTP to a fake API server.

No cluster and no network: :class:`fake_kube_api.FakeKubeAPI` listens on 127.0.0.1 and speaks the list
endpoints of the Kubernetes API (paging with ``limit``/``continue``, 404 Status for what it does not serve).
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

import kubernetes
from fake_kube_api import CALICO, FakeKubeAPI
from kubernetes.client import ApiClient, Configuration

from netpolkit.errors import PolicyError
from netpolkit.io.live import LiveClusterError, fetch_objects, load_live

CALICO_V3 = "projectcalico.org/v3"


# ---- a small cluster, as the API server stores it ----------------------------------------------------------


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/metadata.name": name, **labels},
            "uid": f"uid-ns-{name}",
            "resourceVersion": "101",
            "creationTimestamp": "2026-01-05T10:00:00Z",
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def pod(
    ns: str,
    name: str,
    ip: str | None,
    labels: dict[str, str] | None = None,
    *,
    port: int = 80,
    phase: str = "Running",
    host_network: bool = False,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "main",
                "image": "registry.example/app:1",
                "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": port, "name": "http", "protocol": "TCP"}],
            }
        ],
        "nodeName": "node-1",
        "serviceAccountName": "default",
        "restartPolicy": "Always",
    }
    if host_network:
        spec["hostNetwork"] = True
    status: dict[str, Any] = {
        "phase": phase,
        "hostIP": "172.18.0.2",
        "conditions": [{"type": "Ready", "status": "True"}],
    }
    if ip is not None:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels or {"app": name},
            "uid": f"uid-pod-{ns}-{name}",
            "resourceVersion": "202",
            "creationTimestamp": "2026-01-05T10:01:00Z",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{name}-rs",
                    "uid": "uid-rs",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
        "status": status,
    }


def service(ns: str, name: str, selector: dict[str, str], port: int, target: int | str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-svc-{name}"},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.50",
            "selector": selector,
            "ports": [{"name": "http", "port": port, "targetPort": target, "protocol": "TCP"}],
        },
        "status": {"loadBalancer": {}},
    }


def network_policy(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-np-{name}",
            "generation": 1,
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
        "spec": spec,
    }


def calico(kind: str, name: str, spec: dict[str, Any], ns: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-calico-{name}", "resourceVersion": "303"}
    if ns is not None:
        meta["namespace"] = ns
    return {"apiVersion": CALICO_V3, "kind": kind, "metadata": meta, "spec": spec}


CORE_OBJECTS: list[dict[str, Any]] = [
    namespace("shop", team="shop"),
    namespace("db", team="db"),
    namespace("kube-system"),
    pod("shop", "web", "10.244.1.10", {"app": "web", "tier": "front"}),
    pod("shop", "api", "10.244.1.11", {"app": "api"}, port=3000),
    pod("shop", "report-29000000-x1", "10.244.1.12", {"job": "report"}, phase="Succeeded"),
    pod("shop", "crashed", None, {"app": "crashed"}, phase="Failed"),
    pod("shop", "pending", None, {"app": "pending"}, phase="Pending"),
    pod("db", "postgres-0", "10.244.2.20", {"app": "postgres"}, port=5432),
    pod("kube-system", "kube-proxy-abcde", "172.18.0.2", {"k8s-app": "kube-proxy"}, host_network=True),
    service("shop", "web", {"app": "web"}, 80, "http"),
    service("db", "postgres", {"app": "postgres"}, 5432, 5432),
    network_policy("shop", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    network_policy(
        "db",
        "allow-shop",
        {
            "podSelector": {"matchLabels": {"app": "postgres"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"team": "shop"}}}],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                }
            ],
        },
    ),
]
CALICO_OBJECTS: list[dict[str, Any]] = [
    calico("Tier", "security", {"order": 100, "defaultAction": "Deny"}),
    calico(
        "GlobalNetworkPolicy",
        "security.allow-dns",
        {
            "tier": "security",
            "order": 10,
            "selector": "all()",
            "types": ["Egress"],
            "egress": [
                {"action": "Allow", "protocol": "UDP", "destination": {"ports": [53]}},
                {"action": "Pass"},
            ],
        },
    ),
    calico(
        "NetworkPolicy",
        "default.allow-web",
        {
            "tier": "default",
            "order": 100,
            "selector": "app == 'web'",
            "types": ["Ingress"],
            "ingress": [{"action": "Allow", "protocol": "TCP", "destination": {"ports": [80]}}],
        },
        ns="shop",
    ),
    # Calico's API also shows every Kubernetes NetworkPolicy as a read-only knp.default.* copy.
    calico(
        "NetworkPolicy",
        "knp.default.default-deny",
        {
            "tier": "default",
            "order": 1000,
            "selector": "projectcalico.org/orchestrator == 'k8s'",
            "types": ["Ingress", "Egress"],
        },
        ns="shop",
    ),
]
SERVED_PODS = {"shop/web", "shop/api", "shop/pending", "db/postgres-0"}


@pytest.fixture
def api() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI(CORE_OBJECTS + CALICO_OBJECTS) as server:
        yield server


@pytest.fixture
def client(api: FakeKubeAPI) -> Iterator[ApiClient]:
    with ApiClient(Configuration(host=api.host)) as api_client:
        yield api_client


def names(objects: list[dict[str, Any]], kind: str, api_version: str | None = None) -> set[str]:
    """``ns/name`` (or ``name``) of the objects of one kind."""
    found = set()
    for obj in objects:
        if obj["kind"] == kind and (api_version is None or obj["apiVersion"] == api_version):
            meta = obj["metadata"]
            found.add(f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"])
    return found


def write_kubeconfig(path: Path, server: str, *, current: str = "dead", token: str = "s3cret") -> Path:
    """A kubeconfig: context ``workshop`` points at ``server``, context ``dead`` at a closed port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current,
        "preferences": {},
        "clusters": [
            {"name": "fake", "cluster": {"server": server}},
            {"name": "gone", "cluster": {"server": f"http://127.0.0.1:{dead_port}"}},
        ],
        "users": [{"name": "student", "user": {"token": token}}],
        "contexts": [
            {"name": "workshop", "context": {"cluster": "fake", "user": "student", "namespace": "shop"}},
            {"name": "dead", "context": {"cluster": "gone", "user": "student"}},
        ],
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


# ---- fetch_objects: what is listed and how -----------------------------------------------------------------


def test_fetch_lists_core_kinds_as_kubectl_json(api: FakeKubeAPI, client: ApiClient) -> None:
    objects = fetch_objects(client, include_calico=False)
    assert names(objects, "Namespace") == {"shop", "db", "kube-system"}
    assert names(objects, "Pod") == SERVED_PODS
    assert names(objects, "Service") == {"shop/web", "db/postgres"}
    assert names(objects, "NetworkPolicy") == {"shop/default-deny", "db/allow-shop"}
    for obj in objects:  # list items come without apiVersion/kind: the loader puts them back
        assert obj["apiVersion"] in ("v1", "networking.k8s.io/v1")
        assert set(obj) <= {"apiVersion", "kind", "metadata", "spec", "status"}
    web = next(o for o in objects if o["kind"] == "Pod" and o["metadata"]["name"] == "web")
    # camelCase keys, as kubectl prints them; timestamps as ISO strings; ports with their names
    assert web["status"]["podIP"] == "10.244.1.10"
    assert web["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert web["metadata"]["ownerReferences"][0]["blockOwnerDeletion"] is True
    assert web["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "name": "http", "protocol": "TCP"}]
    assert isinstance(web["metadata"]["creationTimestamp"], str)
    allow = next(o for o in objects if o["metadata"]["name"] == "allow-shop")
    assert allow["spec"]["ingress"][0]["from"][0]["namespaceSelector"] == {"matchLabels": {"team": "shop"}}
    assert allow["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 5432}]
    svc = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "web")
    assert svc["spec"]["ports"][0]["targetPort"] == "http"
    assert not any(p.startswith(CALICO) for p in api.paths)
    assert not any(o["kind"] in ("Deployment", "ReplicaSet") for o in objects)


def test_fetch_lists_cluster_wide_paths(api: FakeKubeAPI, client: ApiClient) -> None:
    fetch_objects(client)
    assert api.paths == [
        "/api/v1/namespaces",
        "/api/v1/pods",
        "/api/v1/services",
        "/apis/networking.k8s.io/v1/networkpolicies",
        "/apis",  # discovery: which optional policy APIs are served
        CALICO,  # and which of their resources
        f"{CALICO}/tiers",
        f"{CALICO}/globalnetworkpolicies",
        f"{CALICO}/networkpolicies",
        f"{CALICO}/stagedglobalnetworkpolicies",
        f"{CALICO}/stagednetworkpolicies",
        f"{CALICO}/stagedkubernetesnetworkpolicies",
    ]
    assert set(api.methods) == {"GET"}


def test_pagination_follows_continue_tokens(api: FakeKubeAPI, client: ApiClient) -> None:
    api.add(namespace("bulk"), *(pod("bulk", f"worker-{i:02d}", f"10.244.9.{i}") for i in range(23)))
    objects = fetch_objects(client, page_size=5, include_calico=False)
    pods = names(objects, "Pod")
    assert len(pods) == 23 + len(SERVED_PODS)
    assert {f"bulk/worker-{i:02d}" for i in range(23)} <= pods
    # 30 pods served (incl. the 3 skipped later) in pages of 5: 6 requests, the first without a token
    queries = api.queries("/api/v1/pods")
    assert len(queries) == 6
    assert all(q["limit"] == "5" for q in queries)
    assert "continue" not in queries[0] and all(q.get("continue") for q in queries[1:])
    assert len(api.queries("/api/v1/namespaces")) == 1  # 4 namespaces fit in one page


def test_pagination_when_the_server_returns_fewer_than_asked(client: ApiClient) -> None:
    bulk = [namespace("bulk"), *(pod("bulk", f"p-{i}", f"10.244.8.{i}") for i in range(10))]
    with FakeKubeAPI(bulk, max_page=3) as api, ApiClient(Configuration(host=api.host)) as capped:
        objects = fetch_objects(capped, include_calico=False)  # default page size 500; the server caps at 3
        assert len(names(objects, "Pod")) == 10
        assert len(api.queries("/api/v1/pods")) == 4
        assert api.queries("/api/v1/pods")[0]["limit"] == "500"


def test_finished_and_host_network_pods_are_skipped_and_reported(
    client: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    messages: list[str] = []
    with caplog.at_level(logging.WARNING, logger="netpolkit.io.live"):
        objects = fetch_objects(client, include_calico=False, progress=messages.append)
    assert names(objects, "Pod") == SERVED_PODS  # the Pending pod stays: it will run and be policed
    assert "pods in all namespaces: 4 (skipped 2 finished, 1 host-network)" in messages
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "2 finished pods" in warning and "1 host-network pods" in warning


def test_namespace_filter_lists_only_those_namespaces(api: FakeKubeAPI, client: ApiClient) -> None:
    objects = fetch_objects(client, namespaces=["shop"])
    assert names(objects, "Namespace") == {"shop", "db", "kube-system"}  # namespaceSelectors need every label
    assert names(objects, "Pod") == {"shop/web", "shop/api", "shop/pending"}
    assert names(objects, "Service") == {"shop/web"}
    assert names(objects, "NetworkPolicy", "networking.k8s.io/v1") == {"shop/default-deny"}
    assert names(objects, "NetworkPolicy", CALICO_V3) == {"shop/default.allow-web"}
    # cluster-wide: may select shop pods
    assert names(objects, "GlobalNetworkPolicy") == {"security.allow-dns"}
    assert api.paths == [
        "/api/v1/namespaces",
        "/api/v1/namespaces/shop/pods",
        "/api/v1/namespaces/shop/services",
        "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies",
        "/apis",
        CALICO,
        f"{CALICO}/tiers",
        f"{CALICO}/globalnetworkpolicies",
        f"{CALICO}/namespaces/shop/networkpolicies",
        f"{CALICO}/stagedglobalnetworkpolicies",
        f"{CALICO}/namespaces/shop/stagednetworkpolicies",
        f"{CALICO}/namespaces/shop/stagedkubernetesnetworkpolicies",
    ]


def test_namespace_filter_several_and_unknown(
    api: FakeKubeAPI, client: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    messages: list[str] = []
    with caplog.at_level(logging.WARNING, logger="netpolkit.io.live"):
        objects = fetch_objects(
            client, namespaces=("db", "shop", "db", "nope"), include_calico=False, progress=messages.append
        )
    assert names(objects, "Pod") == SERVED_PODS  # kube-system's only pod is host-network
    assert [p for p in api.paths if p.endswith("/pods")] == [
        "/api/v1/namespaces/db/pods",
        "/api/v1/namespaces/shop/pods",
        "/api/v1/namespaces/nope/pods",
    ]
    assert any("nope" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "namespaces not found in the cluster: nope" in messages


def test_a_single_namespace_string_is_one_namespace(api: FakeKubeAPI, client: ApiClient) -> None:
    objects = fetch_objects(client, namespaces="db", include_calico=False)  # type: ignore[arg-type]
    assert names(objects, "Pod") == {"db/postgres-0"}


def test_calico_resources_when_installed(client: ApiClient) -> None:
    objects = fetch_objects(client)
    assert names(objects, "Tier", CALICO_V3) == {"security"}
    assert names(objects, "GlobalNetworkPolicy", CALICO_V3) == {"security.allow-dns"}
    # the knp.default.* copy of the Kubernetes policy is left out: the original is loaded already
    assert names(objects, "NetworkPolicy", CALICO_V3) == {"shop/default.allow-web"}
    gnp = next(o for o in objects if o["kind"] == "GlobalNetworkPolicy")
    assert gnp["spec"]["egress"][0]["destination"] == {"ports": [53]}


def test_calico_not_installed_is_skipped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    with (
        FakeKubeAPI(CORE_OBJECTS + CALICO_OBJECTS, calico=False) as api,
        ApiClient(Configuration(host=api.host)) as api_client,
        caplog.at_level(logging.DEBUG, logger="netpolkit.io.live"),
    ):
        objects = fetch_objects(api_client)
        assert "/apis" in api.paths  # discovery says Calico's API is not served: nothing of it is asked for
        assert not [p for p in api.paths if p.startswith(CALICO)]
    assert not [o for o in objects if o["apiVersion"] == CALICO_V3]
    assert names(objects, "NetworkPolicy") == {"shop/default-deny", "db/allow-shop"}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "calico" in r.getMessage().lower()]
    assert any("not served" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)


def test_without_discovery_every_optional_api_is_tried(caplog: pytest.LogCaptureFixture) -> None:
    with (
        FakeKubeAPI(CORE_OBJECTS + CALICO_OBJECTS, discovery=False) as api,
        ApiClient(Configuration(host=api.host)) as api_client,
        caplog.at_level(logging.DEBUG, logger="netpolkit.io.live"),
    ):
        objects = fetch_objects(api_client)  # /apis answers 404: try each list, a 404 means not served
        assert f"{CALICO}/tiers" in api.paths and "/apis/cilium.io/v2/ciliumnetworkpolicies" in api.paths
    assert names(objects, "GlobalNetworkPolicy", CALICO_V3) == {"security.allow-dns"}
    assert not [o for o in objects if o["apiVersion"].startswith("cilium.io")]
    assert any("404" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)


def test_calico_without_tiers_still_loads_its_policies(api: FakeKubeAPI, client: ApiClient) -> None:
    api.fail(f"{CALICO}/tiers", 404)  # a Calico API server from before tiers were open source
    objects = fetch_objects(client)
    assert not names(objects, "Tier")
    assert names(objects, "GlobalNetworkPolicy") == {"security.allow-dns"}


# ---- errors ------------------------------------------------------------------------------------------------


def test_forbidden_names_the_resource_and_status(api: FakeKubeAPI, client: ApiClient) -> None:
    api.fail("/api/v1/pods", 403, 'pods is forbidden: User "student" cannot list resource "pods"')
    with pytest.raises(LiveClusterError) as caught:
        fetch_objects(client)
    error = caught.value
    assert isinstance(error, RuntimeError)
    assert error.resource == "pods" and error.status == 403
    assert "listing pods failed: HTTP 403" in str(error)
    assert 'cannot list resource "pods"' in str(error)
    assert "'list' on pods" in str(error)


def test_calico_forbidden_is_left_out_with_a_warning(
    api: FakeKubeAPI, client: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    api.fail(f"{CALICO}/globalnetworkpolicies", 403)
    with caplog.at_level(logging.WARNING, logger="netpolkit.io.live"):
        objects = fetch_objects(client)  # an optional API: go on without it, and say so
    assert not names(objects, "GlobalNetworkPolicy")
    assert names(objects, "Tier") == {"security"}
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "globalnetworkpolicies.projectcalico.org not read (HTTP 403" in warning
    assert "'list' on globalnetworkpolicies.projectcalico.org" in warning and "include_calico=False" in warning


def test_server_error_in_a_namespace_names_it(api: FakeKubeAPI, client: ApiClient) -> None:
    api.fail("/apis/networking.k8s.io/v1/namespaces/db/networkpolicies", 500, "etcdserver: request timed out")
    with pytest.raises(LiveClusterError) as caught:
        fetch_objects(client, namespaces=["shop", "db"])
    assert caught.value.status == 500
    assert caught.value.resource == "networkpolicies.networking.k8s.io"
    assert "networkpolicies.networking.k8s.io in namespace db" in str(caught.value)
    assert "etcdserver: request timed out" in str(caught.value)


def test_core_404_is_an_error(api: FakeKubeAPI, client: ApiClient) -> None:
    api.fail("/apis/networking.k8s.io/v1/networkpolicies", 404)
    with pytest.raises(LiveClusterError, match="HTTP 404") as caught:
        fetch_objects(client)
    assert caught.value.status == 404


def test_unreachable_server() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    configuration = Configuration(host=f"http://127.0.0.1:{port}")
    configuration.retries = 0
    with ApiClient(configuration) as api_client, pytest.raises(LiveClusterError) as caught:
        fetch_objects(api_client)
    assert caught.value.resource == "namespaces"
    assert caught.value.status is None
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_an_object_the_api_server_would_never_send_is_a_policy_error(api: FakeKubeAPI, client: ApiClient) -> None:
    broken = pod("shop", "broken", "10.244.1.99")
    broken["spec"] = {"containers": "not-a-list"}
    api.add(broken)
    objects = fetch_objects(client, include_calico=False)  # the list itself is well formed
    assert "shop/broken" in names(objects, "Pod")
    with pytest.raises(PolicyError) as caught:  # the object is the model's business: named, with its field
        load_live(api_client=client, include_calico=False)
    assert caught.value.file == f"live:{api.host}"
    assert caught.value.obj == "Pod shop/broken"
    assert "containers" in str(caught.value)


def test_bad_page_size(client: ApiClient) -> None:
    with pytest.raises(ValueError, match="page_size"):
        fetch_objects(client, page_size=0)


# ---- load_live: a Cluster ----------------------------------------------------------------------------------


def test_load_live_with_an_api_client(api: FakeKubeAPI, client: ApiClient) -> None:
    messages: list[str] = []
    cluster = load_live(
        api_client=client,
        include_calico=False,
        progress=messages.append,
        externals={"internet": "203.0.113.10"},
    )
    pods = cluster.pods
    assert set(pods.index) == SERVED_PODS
    assert pods.loc["shop/web", "ip"] == "10.244.1.10"
    assert pods.loc["db/postgres-0", "ip"] == "10.244.2.20"
    assert pods.loc["shop/web", "labels"] == {"app": "web", "tier": "front"}
    assert pods.loc["shop/api", "workload_kind"] == "Pod"
    assert set(cluster.policies["name"]) == {"default-deny", "allow-shop"}
    assert set(cluster.policies.index) == {"NetworkPolicy shop/default-deny", "NetworkPolicy db/allow-shop"}
    assert set(cluster.policies["source"]) == {f"live:{api.host}"}
    assert cluster.namespaces.loc["shop", "labels"]["team"] == "shop"
    assert "external/internet" in cluster.endpoints.index
    assert cluster.services.loc["shop/web", "endpoints"] == ("shop/web",)
    assert messages[0] == f"reading cluster {api.host}"
    # the caller's client is not closed: it still works
    assert names(fetch_objects(client, include_calico=False), "Namespace")


def test_load_live_namespace_filter(client: ApiClient) -> None:
    cluster = load_live(api_client=client, namespaces=["db"], include_calico=False)
    assert set(cluster.pods.index) == {"db/postgres-0"}
    assert set(cluster.namespaces.index) >= {"shop", "db", "kube-system"}
    assert set(cluster.policies["name"]) == {"allow-shop"}


def test_load_live_replicas_all_keeps_pods(client: ApiClient) -> None:
    cluster = load_live(api_client=client, include_calico=False, replicas="all")
    assert set(cluster.pods.index) == SERVED_PODS


def test_load_live_with_calico_policies(client: ApiClient) -> None:
    pytest.importorskip("netpolkit.model.calico", reason="Calico dialect not in this build yet")
    cluster = load_live(api_client=client)
    kinds = set(cluster.policies["kind"])
    assert {"NetworkPolicy", "GlobalNetworkPolicy"} <= kinds
    assert len(cluster.policies) == 4  # 2 Kubernetes + 1 Calico namespaced + 1 global; no knp.default copy


def test_load_live_from_kubeconfig_and_context(tmp_path: Path) -> None:
    with FakeKubeAPI(CORE_OBJECTS, calico=False, token="s3cret") as api:
        kubeconfig = write_kubeconfig(tmp_path / "config", api.host)
        cluster = load_live(kubeconfig=kubeconfig, context="workshop", page_size=2)
        assert set(cluster.pods.index) == SERVED_PODS
        assert set(cluster.policies["source"]) == {"live:workshop"}
        assert api.headers and all(h.get("authorization") == "Bearer s3cret" for h in api.headers)
        assert len(api.queries("/api/v1/pods")) == 4  # 7 pods in pages of 2


def test_load_live_uses_current_context_and_KUBECONFIG(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeKubeAPI(CORE_OBJECTS, calico=False) as api:
        kubeconfig = write_kubeconfig(tmp_path / "config", api.host, current="workshop")
        monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
        cluster = load_live(namespaces=["shop"])
        assert set(cluster.pods.index) == {"shop/web", "shop/api", "shop/pending"}
        assert set(cluster.policies["source"]) == {"live:workshop"}


def test_load_live_wrong_token_is_401(tmp_path: Path) -> None:
    with FakeKubeAPI(CORE_OBJECTS, token="right") as api:
        kubeconfig = write_kubeconfig(tmp_path / "config", api.host, token="wrong")
        with pytest.raises(LiveClusterError, match="HTTP 401") as caught:
            load_live(kubeconfig=str(kubeconfig), context="workshop")
        assert caught.value.status == 401 and caught.value.resource == "namespaces"


def test_load_live_unknown_context_or_missing_file(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:1")
    with pytest.raises(LiveClusterError, match="context 'nope'") as caught:
        load_live(kubeconfig=kubeconfig, context="nope")
    assert caught.value.resource == "kubeconfig"
    with pytest.raises(LiveClusterError, match="kubeconfig"):
        load_live(kubeconfig=tmp_path / "missing")


def test_load_live_in_cluster(api: FakeKubeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Configuration] = []

    def fake_incluster(client_configuration: Configuration | None = None, **_: Any) -> None:
        assert client_configuration is not None
        client_configuration.host = api.host  # the real one reads the service account token and KUBERNETES_*
        seen.append(client_configuration)

    monkeypatch.setattr(kubernetes.config, "load_incluster_config", fake_incluster)
    cluster = load_live(in_cluster=True, include_calico=False)
    assert seen and set(cluster.pods.index) == SERVED_PODS
    assert set(cluster.policies["source"]) == {f"live:{api.host}"}


def test_load_live_in_cluster_outside_a_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(LiveClusterError, match="in-cluster"):
        load_live(in_cluster=True)


def test_load_live_rejects_conflicting_sources(client: ApiClient) -> None:
    with pytest.raises(ValueError, match="api_client"):
        load_live(api_client=client, context="workshop")
    with pytest.raises(ValueError, match="in_cluster"):
        load_live(in_cluster=True, kubeconfig="config")


def test_netpolkit_io_exposes_load_live(client: ApiClient) -> None:
    import netpolkit.io

    cluster = netpolkit.io.load_live(api_client=client, include_calico=False)
    assert set(cluster.pods.index) == SERVED_PODS


# ---- without the extra -------------------------------------------------------------------------------------


def test_missing_kubernetes_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    with pytest.raises(ImportError, match=r"pip install 'netpolkit\[live\]'"):
        load_live()
    with pytest.raises(ImportError, match=r"netpolkit\[live\]"):
        fetch_objects(object())  # type: ignore[arg-type]


def test_module_imports_without_kubernetes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "kubernetes" or m.startswith("kubernetes.")]:
        monkeypatch.setitem(sys.modules, name, None)
    import netpolkit.io.live as live

    spec = importlib.util.spec_from_file_location("_live_without_kubernetes", live.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)  # no ImportError at import time
    with pytest.raises(ImportError, match=r"netpolkit\[live\]"):
        module.load_live(context="anything")
