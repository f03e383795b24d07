"""A snapshot is a ``kubectl get -A -o json`` export that ``netpolkit.load`` reads back to the same cluster.

The recorded cluster is served by the fake API server over real HTTP (tests/fake_kube_api.py) and read with the
real ``kubernetes`` client: ``load_live`` -> ``snapshot`` -> ``load`` must give equal tables and equal verdicts, and
so must ``load`` -> ``snapshot`` -> ``load`` for manifest files, for what-ifs (``apply``, ``delete``,
``label_namespace``, ``commit_staged``) and for the last step of every tutorial. The export's shape is kubectl's:
one ``List``
(``apiVersion: v1``, ``kind: List``, ``metadata.resourceVersion: ""``) whose items each carry ``apiVersion`` and
``kind`` (kubectl's get printer, k8s.io/cli-runtime ``printers.JSONPrinter``, writes a List of typed items with a
four-space indent).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

from fake_kube_api import FakeKubeAPI
from kubernetes.client import ApiClient, Configuration
from test_calico_staged import PORT as STAGED_PORT
from test_calico_staged import WHAT_IF as STAGED_WHAT_IFS
from test_calico_staged import cluster as staged_cluster
from test_live import CALICO_OBJECTS, CORE_OBJECTS

import netpolkit as npk
from netpolkit import course
from netpolkit.errors import PolicyError
from netpolkit.io import read_documents
from netpolkit.io.live import fetch_objects, load_live
from netpolkit.io.snapshot import export_document, snapshot
from netpolkit.model import object_key

ROOT = Path(__file__).resolve().parents[1]
EXTERNALS = {"internet": "203.0.113.10"}
PORTS = ["TCP/80", "TCP/3000", "TCP/5432", "UDP/53", "TCP/443"]

CILIUM_OBJECTS: list[dict[str, Any]] = [
    {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "web-from-api", "namespace": "shop", "uid": "uid-cnp-1"},
        "spec": {
            "endpointSelector": {"matchLabels": {"app": "web"}},
            "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "api"}}], "toPorts": [{"ports": [{"port": "80"}]}]}],
        },
    },
    {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumClusterwideNetworkPolicy",
        "metadata": {"name": "deny-world-to-db", "uid": "uid-ccnp-1"},
        "spec": {
            "endpointSelector": {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "db"}},
            "ingressDeny": [{"fromEntities": ["world"]}],
        },
    },
]
ADMIN_OBJECTS: list[dict[str, Any]] = [
    {
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": {"name": "db-only-from-shop", "uid": "uid-cnp-a"},
        "spec": {
            "tier": "Admin",
            "priority": 10,
            "subject": {"namespaces": {"matchLabels": {"team": "db"}}},
            "ingress": [
                {"action": "Accept", "from": [{"namespaces": {"matchLabels": {"team": "shop"}}}]},
                {"action": "Deny", "from": [{"namespaces": {}}]},
            ],
        },
    },
]
# (objects served, fake API flags, profile)
SCENARIOS = {
    "calico": (CORE_OBJECTS + CALICO_OBJECTS, {"calico": True}, "calico"),
    "cilium": (CORE_OBJECTS + CILIUM_OBJECTS, {"calico": False, "cilium": True}, "cilium"),
    "network-policy-api": (CORE_OBJECTS + ADMIN_OBJECTS, {"calico": False, "policy_api": True}, "upstream"),
}


def read_live(objects: list[dict[str, Any]], **flags: Any) -> npk.Cluster:
    with FakeKubeAPI(copy.deepcopy(objects), **flags) as api, ApiClient(Configuration(host=api.host)) as client:
        return load_live(api_client=client, externals=EXTERNALS)


def assert_same_cluster(
    before: npk.Cluster, after: npk.Cluster, profile: str, ports: list[str] = PORTS, *, policies: bool = True
) -> None:
    """Equal tables (the policies' ``source`` names the file each was read from, so it differs) and verdicts."""
    pd.testing.assert_frame_equal(before.endpoints, after.endpoints)
    pd.testing.assert_frame_equal(before.pods, after.pods)
    pd.testing.assert_frame_equal(before.namespaces, after.namespaces)
    pd.testing.assert_frame_equal(before.services, after.services)
    pd.testing.assert_frame_equal(before.policies.drop(columns="source"), after.policies.drop(columns="source"))
    assert len(before.policies) > 0 or not policies
    assert after.warnings == before.warnings
    first = npk.reachability(before, ports=ports, profile=profile)
    second = npk.reachability(after, ports=ports, profile=profile)
    for port in ports:
        pd.testing.assert_frame_equal(first.frame(port), second.frame(port))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_load_live_then_snapshot_then_load_is_the_same_cluster(scenario: str, tmp_path: Path) -> None:
    objects, flags, profile = SCENARIOS[scenario]
    live = read_live(objects, **flags)
    served_kinds = {o["kind"] for o in objects if o["apiVersion"] not in ("v1", "networking.k8s.io/v1")}
    assert served_kinds - {"Tier"} <= set(live.policies["kind"])  # the scenario's own policy kinds were read
    path = snapshot(live, tmp_path / "state.json", without_externals=True)
    assert path == tmp_path / "state.json"
    again = npk.load(path, externals=EXTERNALS)
    assert_same_cluster(live, again, profile)
    # a second round trip writes the same file
    assert snapshot(read_documents(path), tmp_path / "again.json").read_text() == path.read_text()


def test_some_verdicts_are_blocked_so_the_comparison_can_fail(tmp_path: Path) -> None:
    """The round trip compares verdicts that policies decide both ways, not an all-allowed matrix."""
    objects, flags, profile = SCENARIOS["calico"]
    reach = npk.reachability(read_live(objects, **flags), ports=PORTS, profile=profile)
    frame = reach.frame("TCP/5432")
    assert frame.to_numpy().any() and not frame.to_numpy().all()


def test_snapshot_of_what_fetch_objects_returns(tmp_path: Path) -> None:
    with (
        FakeKubeAPI(copy.deepcopy(CORE_OBJECTS + CALICO_OBJECTS)) as api,
        ApiClient(Configuration(host=api.host)) as client,
    ):
        objects = fetch_objects(client)
    path = snapshot(objects, tmp_path / "state.json")
    export = json.loads(path.read_text())
    assert export["kind"] == "List" and export["apiVersion"] == "v1"
    assert export["metadata"] == {"resourceVersion": ""}
    assert [(i["apiVersion"], i["kind"], i["metadata"]["name"]) for i in export["items"]] == [
        (o["apiVersion"], o["kind"], o["metadata"]["name"]) for o in objects
    ]
    assert path.read_text().startswith('{\n    "apiVersion": "v1",\n    "items": [\n')  # kubectl's layout


def export_items(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["items"]


def test_load_then_snapshot_then_load_manifest_files(tmp_path: Path) -> None:
    files = [ROOT / "manifests" / "aks" / "00-baseline.yaml", ROOT / "manifests" / "aks" / "02-db-netpol.yaml"]
    before = npk.load(*files, externals=EXTERNALS)
    path = snapshot(before, tmp_path / "aks.json", without_externals=True)
    assert_same_cluster(before, npk.load(path, externals=EXTERNALS), "upstream")
    # the same export as writing the documents themselves: each object as it was read, in load order
    assert export_items(path) == export_items(snapshot(read_documents(*files), tmp_path / "docs.json"))


def test_a_snapshot_writes_each_manifest_as_it_was_read(tmp_path: Path) -> None:
    """Fields no table shows (annotations, status, an unknown spec field of a Pod) are written as read."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}, "annotations": {"note": "ü"}},
        "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}]}]},
        "status": {"phase": "Running", "podIP": "10.1.0.1"},
    }
    path = snapshot(npk.Cluster.from_objects([pod]), tmp_path / "state.json")
    assert export_items(path) == [pod]


def what_ifs() -> dict[str, Any]:
    """What-ifs of the AKS baseline: each changes pods, namespaces or policies in its own way."""
    deny_all = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny-all", "namespace": "yournamespace"},
        "spec": {"podSelector": {}},
    }
    extra_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": "lonely", "labels": {"app": "probe"}},
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
    }
    return {
        "apply-policy": lambda c: c.apply([deny_all]),
        "apply-pod-in-a-namespace-without-object": lambda c: c.apply([extra_pod]),
        "delete-policy": lambda c: c.delete("NetworkPolicy", "yournamespace", "db-netpol"),
        "delete-pod": lambda c: c.delete("Pod", "yournamespace", "curl"),
        "delete-deployment": lambda c: c.delete("Deployment", "yournamespace", "web"),
        "label-namespace": lambda c: c.label_namespace("default", {"purpose": "outside"}),
        "label-implicit-namespace": lambda c: c.apply([extra_pod]).label_namespace("lonely", {"team": "x"}),
    }


@pytest.mark.parametrize("name", list(what_ifs()))
def test_a_what_if_round_trips(name: str, tmp_path: Path) -> None:
    files = [ROOT / "manifests" / "aks" / "00-baseline.yaml", ROOT / "manifests" / "aks" / "02-db-netpol.yaml"]
    base = npk.load(*files)
    derived = what_ifs()[name](base)
    path = snapshot(derived, tmp_path / "what-if.json")
    again = npk.load(path)
    assert_same_cluster(derived, again, "upstream", ["TCP/80", "TCP/443"], policies=name != "delete-policy")
    written = [(i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in export_items(path)]
    assert written == [object_key(o) for o in derived.objects]  # one item per object, in order, deleted ones gone


def test_deleted_objects_are_not_written_and_applied_ones_are(tmp_path: Path) -> None:
    base = npk.load(ROOT / "manifests" / "aks" / "00-baseline.yaml", ROOT / "manifests" / "aks" / "02-db-netpol.yaml")
    derived = base.delete("NetworkPolicy", "yournamespace", "db-netpol").apply(
        [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "new", "labels": {"a": "b"}}}]
    )
    names = [(i["kind"], i["metadata"]["name"]) for i in export_items(snapshot(derived, tmp_path / "x.json"))]
    assert ("NetworkPolicy", "db-netpol") not in names and ("NetworkPolicy", "db-netpol") in [
        (i["kind"], i["metadata"]["name"]) for i in export_items(snapshot(base, tmp_path / "base.json"))
    ]
    assert names[-1] == ("Namespace", "new")  # applied last, written last


def test_a_namespace_without_object_stays_without_one(tmp_path: Path) -> None:
    """A pod's namespace with no Namespace object is made again from the pod, with only its name label
    (kubernetes.io/metadata.name, set by the API server: kubernetes.io/docs/reference/labels-annotations-taints)."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "only-named"}, "spec": {}}
    cluster = npk.Cluster.from_objects([pod])
    path = snapshot(cluster, tmp_path / "state.json")
    assert [i["kind"] for i in export_items(path)] == ["Pod"]
    again = npk.load(path)
    pd.testing.assert_frame_equal(cluster.namespaces, again.namespaces)
    assert again.namespaces.loc["only-named", "labels"] == {"kubernetes.io/metadata.name": "only-named"}


def test_an_object_left_to_the_default_namespace_names_it_in_the_export(tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "labels": {"app": "a"}}, "spec": {}}
    cluster = npk.Cluster.from_objects([pod], default_namespace="lab")
    path = snapshot(cluster, tmp_path / "state.json")
    assert export_items(path)[0]["metadata"] == {"name": "a", "labels": {"app": "a"}, "namespace": "lab"}
    assert list(npk.load(path).pods.index) == ["lab/a"]  # loaded with the usual default namespace


@pytest.mark.parametrize("case", STAGED_WHAT_IFS, ids=[c.id for c in STAGED_WHAT_IFS])
def test_committed_staged_policies_round_trip_as_enforced_ones(case: Any, tmp_path: Path) -> None:
    """Committing follows Calico's Convert*ToEnforced: the enforced kind, same metadata, spec without stagedAction."""
    committed = staged_cluster(case.enforced + case.staged).commit_staged()
    path = snapshot(committed, tmp_path / "committed.json")
    assert not any("Staged" in i["kind"] or "stagedAction" in i.get("spec", {}) for i in export_items(path))
    assert_same_cluster(committed, npk.load(path), "calico", [STAGED_PORT], policies=False)


@pytest.mark.parametrize("tutorial", course.tutorials())
def test_the_last_step_of_every_tutorial_round_trips(tutorial: str, tmp_path: Path) -> None:
    lesson = course.Tutorial.load(tutorial)
    last = lesson.cluster_at(lesson.steps[-1].id)
    path = snapshot(last, tmp_path / f"{tutorial}.json", without_externals=True)
    again = npk.load(path, externals=dict(lesson.externals))
    ports = sorted({e.port_spec for step in lesson.steps for e in step.expect} | set(PORTS))
    assert_same_cluster(last, again, lesson.profile, ports)


def test_externals_are_not_dropped_silently(tmp_path: Path) -> None:
    cluster = npk.load(ROOT / "manifests" / "aks" / "00-baseline.yaml", externals=EXTERNALS)
    with pytest.raises(ValueError, match=r"without_externals=True.*externals=\{'internet': '203.0.113.10'\}"):
        snapshot(cluster, tmp_path / "x.json")
    assert list(tmp_path.iterdir()) == []
    path = snapshot(cluster, tmp_path / "x.json", without_externals=True)
    assert "203.0.113.10" not in path.read_text()


def test_a_cluster_of_parsed_objects_has_no_manifests_to_write(tmp_path: Path) -> None:
    loaded = npk.load(ROOT / "manifests" / "aks" / "00-baseline.yaml")
    bare = npk.Cluster({object_key(o): o for o in loaded.objects})
    with pytest.raises(ValueError, match="without the manifests they were parsed from"):
        snapshot(bare, tmp_path / "x.json")
    assert list(tmp_path.iterdir()) == []


def test_bad_paths_are_clear_errors(tmp_path: Path) -> None:
    cluster = npk.load(ROOT / "manifests" / "aks" / "00-baseline.yaml")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        snapshot(cluster, tmp_path)
    with pytest.raises(FileNotFoundError, match="no such folder") as caught:
        snapshot(cluster, tmp_path / "missing" / "x.json")
    assert caught.value.filename == str(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"name it \*\.json, e\.g\. 'state\.json'"):
        snapshot(cluster, tmp_path / "state.yaml")
    with pytest.raises(ValueError, match="empty path"):
        snapshot(cluster, "")
    assert list(tmp_path.iterdir()) == []


def test_an_item_without_kind_is_an_error_naming_where_it_came_from(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n")
    with pytest.raises(PolicyError) as caught:
        snapshot(read_documents(bad), tmp_path / "out.json")
    assert caught.value.file == str(bad) and caught.value.document == 1 and caught.value.path == "kind"
    assert not (tmp_path / "out.json").exists()  # nothing half-written


def test_an_object_that_is_not_json_data_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    odd = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"x": {1, 2}}}}
    with pytest.raises(PolicyError, match="cannot be written as JSON"):
        snapshot([odd], tmp_path / "out.json")
    assert list(tmp_path.iterdir()) == []


def test_one_object_is_not_a_list_of_objects() -> None:
    with pytest.raises(TypeError, match="not one object"):
        export_document({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}})
