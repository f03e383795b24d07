"""Applying tutorial steps to one namespace of a live cluster, and removing exactly what was applied.

The real ``kubernetes`` client talks HTTP to the loopback fake API server (:mod:`fake_kube_exec`, which adds
create/replace/delete and labelSelector lists to :mod:`fake_kube_api`). Labels: ``app.kubernetes.io/managed-by`` is
one of Kubernetes' recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/);
deletes carry ``preconditions.uid`` (DeleteOptions in the API reference) so a newer object of the same name is
never deleted in its place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

from fake_kube_exec import Container, FakeKubeExecAPI
from kubernetes.client import ApiClient, Configuration

from netpolkit import live_lesson
from netpolkit.course import Tutorial
from netpolkit.io.live import LiveClusterError
from netpolkit.io.live.apply import MANAGED_BY_LABEL, RUN_LABEL, NamespaceApplier

NS = "yournamespace"
RUN = "np-test1"


def existing(kind: str, api_version: str, ns: str | None, name: str, labels: dict[str, str] | None = None) -> dict:
    meta: dict[str, Any] = {"name": name, "labels": labels or {}, "uid": f"uid-{name}", "resourceVersion": "7"}
    if ns is not None:
        meta["namespace"] = ns
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


@pytest.fixture
def server() -> Iterator[FakeKubeExecAPI]:
    api = FakeKubeExecAPI(
        [
            existing("Namespace", "v1", None, "default"),
            existing("Namespace", "v1", None, "kube-system"),
            existing("ConfigMap", "v1", "default", "keep-elsewhere"),
        ]
    )
    with api:
        yield api


@pytest.fixture
def client(server: FakeKubeExecAPI) -> Iterator[ApiClient]:
    given = ApiClient(Configuration(host=server.host))
    yield given
    given.close()


@pytest.fixture(scope="module")
def aks() -> Tutorial:
    return Tutorial.load("aks")


def ours(server: FakeKubeExecAPI, run: str = RUN) -> list[tuple[str, str | None, str]]:
    return sorted(
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        for o in server.objects
        if (o["metadata"].get("labels") or {}).get(RUN_LABEL) == run
    )


def test_a_step_is_applied_to_the_tutorial_namespace_only(server, client, aks):
    report, applier = live_lesson.apply_step(None, aks, "s0-baseline", namespace=NS, run_id=RUN, api_client=client)
    assert ours(server) == [
        ("Deployment", NS, "api"),
        ("Deployment", NS, "db"),
        ("Deployment", NS, "web"),
        ("Namespace", None, NS),
        ("Pod", NS, "curl"),
        ("Service", NS, "api"),
        ("Service", NS, "db"),
        ("Service", NS, "web"),
    ]
    written = {path for method, path in server.writes}
    assert all(f"/namespaces/{NS}/" in path or path == "/api/v1/namespaces" for path in written)
    skipped = {(s.kind, s.namespace, s.name) for s in report.skipped}
    assert ("Namespace", None, "kube-system") in skipped and ("Pod", "default", "outsider") in skipped
    assert all("not applied" in s.reason for s in report.skipped)
    labels = server.find("Deployment", NS, "db")["metadata"]["labels"]
    assert labels[MANAGED_BY_LABEL] == "netpolkit" and labels[RUN_LABEL] == RUN
    assert applier.run_id == RUN


def test_objects_outside_the_namespace_are_refused_before_anything_is_written(server, client, aks):
    with pytest.raises(ValueError, match=r"Namespace default\): another namespace than 'yournamespace'"):
        live_lesson.apply_step(None, aks, "s0-baseline", namespace=NS, api_client=client, outside="error")
    assert server.writes == []


def test_cluster_scoped_kinds_are_never_sent(server, client):
    global_policy = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "deny-all"},
        "spec": {"selector": "all()"},
    }
    with NamespaceApplier(NS, api_client=client) as applier:
        sendable, skipped = applier.check([global_policy], outside="skip")
        assert sendable == [] and "cluster-scoped" in skipped[0].reason
        with pytest.raises(ValueError, match="cluster-scoped"):
            applier.apply([global_policy])
    assert server.writes == []


def test_cleanup_removes_only_what_the_run_created(server, client, aks):
    server.add(existing("Namespace", "v1", None, NS))  # the namespace exists already: used, not owned
    server.add(existing("ConfigMap", "v1", NS, "keep-me"))
    server.add(existing("ConfigMap", "v1", NS, "other-run", {MANAGED_BY_LABEL: "netpolkit", RUN_LABEL: "np-other"}))
    report, applier = live_lesson.apply_step(None, aks, "s0-baseline", namespace=NS, run_id=RUN, api_client=client)
    assert ("Namespace", None, NS) in {(s.kind, s.namespace, s.name) for s in report.skipped}
    live_lesson_step = applier.apply([d.obj for d in aks.step("s1-deny-all").documents()])
    assert [(a.kind, a.name, a.action) for a in live_lesson_step.applied] == [("NetworkPolicy", "deny-all", "created")]
    removed = applier.cleanup()
    assert {(r.kind, r.name) for r in removed} == {
        ("NetworkPolicy", "deny-all"),
        ("Deployment", "api"),
        ("Deployment", "db"),
        ("Deployment", "web"),
        ("Pod", "curl"),
        ("Service", "api"),
        ("Service", "db"),
        ("Service", "web"),
    }
    assert ours(server) == []
    left = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in server.objects}
    assert {("Namespace", None, NS), ("ConfigMap", NS, "keep-me"), ("ConfigMap", NS, "other-run")} <= left
    assert ("ConfigMap", "default", "keep-elsewhere") in left
    deletes = [path for method, path in server.writes if method == "DELETE"]
    assert all(f"/namespaces/{NS}/" in p for p in deletes) and len(deletes) == 8


def test_a_namespace_the_run_created_is_deleted_last(server, client, aks):
    _, applier = live_lesson.apply_step(None, aks, "s0-baseline", namespace=NS, run_id=RUN, api_client=client)
    applier.cleanup()
    deletes = [path for method, path in server.writes if method == "DELETE"]
    assert deletes[-1] == f"/api/v1/namespaces/{NS}"
    assert server.find("Namespace", None, NS) is None


def test_an_object_the_run_did_not_create_is_never_replaced(server, client, aks):
    server.add(existing("Namespace", "v1", None, NS))
    server.add(existing("Service", "v1", NS, "db"))  # someone else's
    with pytest.raises(LiveClusterError, match=r"Service yournamespace/db exists and was not created by netpolkit"):
        live_lesson.apply_step(None, aks, "s0-baseline", namespace=NS, run_id=RUN, api_client=client)
    assert server.writes == []


def test_a_step_whose_namespace_does_not_exist_is_refused(server, client, aks):
    with pytest.raises(LiveClusterError, match="namespace yournamespace does not exist"):
        live_lesson.apply_step(None, aks, "s1-deny-all", namespace=NS, run_id=RUN, api_client=client)
    assert server.writes == []


def test_applying_a_policy_twice_replaces_it(server, client, aks):
    _, applier = live_lesson.apply_step(None, aks, "s0-baseline", namespace=NS, run_id=RUN, api_client=client)
    policy = [d.obj for d in aks.step("s1-deny-all").documents()]
    applier.apply(policy)
    second = applier.apply(policy)
    assert [(a.kind, a.action) for a in second.applied] == [("NetworkPolicy", "replaced")]
    assert server.find("NetworkPolicy", NS, "deny-all")["metadata"]["resourceVersion"] == "2"


def test_deleting_refuses_objects_of_others(server, client):
    server.add(existing("Namespace", "v1", None, NS))
    server.add(existing("ConfigMap", "v1", NS, "keep-me"))
    applier = NamespaceApplier(NS, api_client=client, run_id=RUN)
    with applier, pytest.raises(LiveClusterError, match="was not created by netpolkit run np-test1: not deleted"):
        applier.delete("v1", "ConfigMap", "keep-me")
    assert server.find("ConfigMap", NS, "keep-me") is not None


def test_wait_ready_names_what_is_not_ready(server, client, aks):
    _, applier = live_lesson.apply_step(None, aks, "s0-baseline", namespace=NS, run_id=RUN, api_client=client)
    with pytest.raises(TimeoutError, match=r"Deployment yournamespace/db.*Pod yournamespace/curl"):
        applier.wait_ready(timeout=0.0, poll=0.0)
    for name in ("db", "api", "web"):
        server.find("Deployment", NS, name)["status"] = {"readyReplicas": 1}
    server.find("Pod", NS, "curl")["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    applier.wait_ready(timeout=0.0, poll=0.0)


def running(name: str, ip: str, labels: dict[str, str], ns: str = NS) -> dict[str, Any]:
    obj = existing("Pod", "v1", ns, name, labels)
    obj["spec"] = {"containers": [{"name": "main", "image": "busybox"}]}
    obj["status"] = {"phase": "Running", "podIP": ip}
    return obj


def test_a_live_run_applies_probes_and_cleans_up(server, client, aks):
    run = live_lesson.start(None, aks, NS, apply=True, api_client=client, run_id=RUN, timeout=1)
    run.wait = None
    run.apply_step("s0-baseline")
    # what the controllers would have made of the Deployments
    server.add(
        running("db-5f6b7-aaaaa", "10.1.0.5", {"app": "db", "pod-template-hash": "5f6b7"}),
        running("web-6c8d9-bbbbb", "10.1.0.6", {"app": "web", "pod-template-hash": "6c8d9"}),
        running("curl-probe", "10.1.0.9", {"run": "curl-probe"}),
    )
    server.find("Pod", NS, "curl")["status"] = {"phase": "Running", "podIP": "10.1.0.7"}
    server.containers[(NS, "curl")] = Container(tools={"curl"})
    server.containers[(NS, "web-6c8d9-bbbbb")] = Container(tools={"wget"})
    server.connections[(f"{NS}/curl", "db", 15984)] = "connect"
    server.connections[(f"{NS}/curl", "www.microsoft.com", 80)] = "connect"
    server.connections[(f"{NS}/web-6c8d9-bbbbb", "db", 15984)] = "connect"
    server.connections[(f"{NS}/web-6c8d9-bbbbb", "api", 8080)] = "connect"  # the api pod need not run for that
    baseline = run.probe("s0-baseline")
    assert baseline.agrees
    curl_db = baseline.cells[(baseline.cells["src"] == f"{NS}/curl") & (baseline.cells["dst"] == f"{NS}/db")]
    assert list(curl_db["target"]) == ["db:15984/TCP"] and list(curl_db["observed"]) == [True]
    server.connections.clear()  # deny-all drops everything from now on: every probe times out
    deny = run.step("s1-deny-all")  # applies, probes, displays the heatmap and the table
    assert server.find("NetworkPolicy", NS, "deny-all")["metadata"]["labels"][RUN_LABEL] == RUN
    assert deny.agrees
    db = deny.cells[deny.cells["src"] == f"{NS}/db"]
    assert (
        db["reason"].str.startswith("not probed: exec in pod yournamespace/db-5f6b7-aaaaa container main failed").all()
    )
    assert deny.cells["observed"].map(lambda o: o is not False).sum() == len(deny.not_probed())
    run.cleanup()
    assert ours(server) == []
