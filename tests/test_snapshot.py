"""A snapshot is a ``kubectl get -A -o json`` export that ``netpolkit.load`` reads back to the same cluster.

The recorded cluster is served by the fake API server over real HTTP (tests/fake_kube_api.py) and read with the
real ``kubernetes`` client: ``load_live`` -> ``snapshot`` -> ``load`` must give equal tables and equal verdicts, and
so must ``load`` -> ``snapshot`` -> ``load`` for manifest files. The export's shape is kubectl's: one ``List``
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
from test_live import CALICO_OBJECTS, CORE_OBJECTS

import netpolkit as npk
from netpolkit.errors import PolicyError
from netpolkit.io import read_documents
from netpolkit.io.live import fetch_objects, load_live
from netpolkit.io.snapshot import export_document, snapshot

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


def assert_same_cluster(before: npk.Cluster, after: npk.Cluster, profile: str) -> None:
    """Equal tables (the policies' ``source`` names the file each was read from, so it differs) and verdicts."""
    pd.testing.assert_frame_equal(before.endpoints, after.endpoints)
    pd.testing.assert_frame_equal(before.pods, after.pods)
    pd.testing.assert_frame_equal(before.namespaces, after.namespaces)
    pd.testing.assert_frame_equal(before.services, after.services)
    pd.testing.assert_frame_equal(before.policies.drop(columns="source"), after.policies.drop(columns="source"))
    assert len(before.policies) > 0
    first = npk.reachability(before, ports=PORTS, profile=profile)
    second = npk.reachability(after, ports=PORTS, profile=profile)
    for port in PORTS:
        pd.testing.assert_frame_equal(first.frame(port), second.frame(port))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_load_live_then_snapshot_then_load_is_the_same_cluster(scenario: str, tmp_path: Path) -> None:
    objects, flags, profile = SCENARIOS[scenario]
    live = read_live(objects, **flags)
    served_kinds = {o["kind"] for o in objects if o["apiVersion"] not in ("v1", "networking.k8s.io/v1")}
    assert served_kinds - {"Tier"} <= set(live.policies["kind"])  # the scenario's own policy kinds were read
    path = snapshot(live, tmp_path / "state.json")
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


def test_load_then_snapshot_then_load_manifest_files(tmp_path: Path) -> None:
    files = [ROOT / "manifests" / "aks" / "00-baseline.yaml", ROOT / "manifests" / "aks" / "02-db-netpol.yaml"]
    before = npk.load(*files, externals=EXTERNALS)
    path = snapshot(read_documents(*files), tmp_path / "aks.json")
    assert_same_cluster(before, npk.load(path, externals=EXTERNALS), "upstream")


def test_a_cluster_that_was_not_read_cannot_be_snapshotted(tmp_path: Path) -> None:
    objects, flags, _ = SCENARIOS["calico"]
    live = read_live(objects, **flags)
    derived = live.delete("NetworkPolicy", "shop", "default-deny")
    with pytest.raises(ValueError, match="does not hold what was read"):
        snapshot(derived, tmp_path / "x.json")
    with pytest.raises(ValueError, match="does not hold what was read"):
        snapshot(npk.load(ROOT / "manifests" / "aks" / "00-baseline.yaml"), tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


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
