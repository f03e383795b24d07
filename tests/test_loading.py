"""Loading manifests and exports into a Cluster: files, folders, kinds, namespaces, IPs, externals, DataFrames."""

from __future__ import annotations

import copy
import ipaddress
import json
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from conformance import namespace_manifest, pod_manifest, policy_objects
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netpolkit as npk
from netpolkit import PortQuery

DATA = Path(__file__).parent / "data" / "loading"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def dump(*objects: dict[str, Any]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


WEB = pod_manifest("shop", "web", {"app": "web"}, ["http=TCP/8080"], ip="10.1.0.10")
DB = pod_manifest("shop", "db", {"app": "db"}, ["pg=TCP/5432", "couch=TCP/5984"])
CLIENT = pod_manifest("other", "client", {"app": "client"})
DENY_DB = policy_objects("""
    metadata: {name: db-from-web, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: db}}
      ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]
    """)[0]


# --------------------------------------------------------------------------- files and folders


def test_load_reads_a_folder_of_multi_document_yaml_and_json(tmp_path: Path):
    write(
        tmp_path,
        "namespaces.yaml",
        """
        # leading comment, then empty documents that must be skipped
        ---
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {team: shop}}
        ---
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: other}
        """,
    )
    write(tmp_path, "apps/pods.yml", dump(WEB, DB, CLIENT))
    write(tmp_path, "apps/policy.json", json.dumps(DENY_DB, indent=2))
    write(tmp_path, "README.md", "not a manifest: ignored")
    write(tmp_path, ".hidden/broken.yaml", "this: [is not: loaded")

    cluster = npk.load(tmp_path)

    assert list(cluster.namespaces.index) == ["other", "shop"]
    assert list(cluster.pods.index) == ["other/client", "shop/db", "shop/web"]
    assert list(cluster.policies.index) == ["NetworkPolicy shop/db-from-web"]
    reach = npk.reachability(cluster, ports=["TCP/5432"])
    assert reach.allowed("shop/web", "shop/db", "TCP/5432")
    assert not reach.allowed("other/client", "shop/db", "TCP/5432")


def test_load_accepts_several_files(tmp_path: Path):
    pods = write(tmp_path, "pods.yaml", dump(WEB, DB))
    policy = write(tmp_path, "policy.yaml", dump(DENY_DB))
    cluster = npk.load(pods, policy)
    assert list(cluster.pods.index) == ["shop/db", "shop/web"]
    assert cluster.policies.loc["NetworkPolicy shop/db-from-web", "source"] == str(policy)


def test_load_of_only_empty_documents_gives_an_empty_cluster(tmp_path: Path):
    cluster = npk.load(write(tmp_path, "empty.yaml", "---\n# nothing\n---\n"))
    assert cluster.pods.empty
    assert cluster.policies.empty


def test_load_needs_a_path_that_exists(tmp_path: Path):
    with pytest.raises(ValueError):
        npk.load()
    with pytest.raises(npk.PolicyError, match="no such file"):
        npk.load(tmp_path / "missing.yaml")


def test_kubectl_list_export_is_flattened_with_status_and_managed_fields():
    cluster = npk.load(DATA / "kubectl-list-export.yaml")
    assert list(cluster.pods.index) == ["shop/db-0", "shop/web-7d4b9c6f5-x2x9k"]
    assert cluster.pods.loc["shop/web-7d4b9c6f5-x2x9k", "ip"] == "10.244.1.17"
    assert cluster.pods.loc["shop/db-0", "ip"] == "10.244.2.31"
    assert cluster.pods.loc["shop/web-7d4b9c6f5-x2x9k", "labels"] == {"app": "web", "pod-template-hash": "7d4b9c6f5"}
    assert cluster.pods.loc["shop/web-7d4b9c6f5-x2x9k", "service_account"] == "web"
    assert list(cluster.services.index) == ["shop/db"]
    assert list(cluster.policies.index) == ["NetworkPolicy shop/db-from-web"]
    assert cluster.service_target("shop/db", 15432) == ("shop/db-0", PortQuery("TCP", 5432))
    reach = npk.reachability(cluster, ports=["TCP/5432"])
    assert reach.allowed("shop/web-7d4b9c6f5-x2x9k", "shop/db-0", "TCP/5432")


def test_export_with_pods_and_their_workloads_keeps_the_pods_and_warns():
    pod = pod_manifest("shop", "web-5d8f7-abcde", {"app": "web"}, ["TCP/80"], ip="10.244.0.7")
    pod["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f7", "uid": "1", "controller": True}
    ]
    deployment = pod_manifest("shop", "web", {"app": "web"}, ["TCP/80"], kind="Deployment", replicas=1)
    replica_set = pod_manifest("shop", "web-5d8f7", {"app": "web"}, ["TCP/80"], kind="ReplicaSet", replicas=1)
    with pytest.warns(UserWarning, match="workload"):
        cluster = npk.Cluster.from_objects([deployment, replica_set, pod])
    pods = cluster.pods
    assert list(pods.index) == ["shop/web-5d8f7-abcde"]


# --------------------------------------------------------------------------- kinds

WORKLOAD_KINDS = [
    # kind, replicas field value in the manifest, expected replicas column
    ("Deployment", 3, 3),
    ("StatefulSet", 2, 2),
    ("DaemonSet", None, 1),
    ("ReplicaSet", 4, 4),
    ("ReplicationController", 2, 2),
    ("Job", 5, 5),  # spec.parallelism
    ("CronJob", 2, 2),  # spec.jobTemplate.spec.parallelism
]


@pytest.mark.parametrize(("kind", "count", "replicas"), WORKLOAD_KINDS, ids=[k for k, _, _ in WORKLOAD_KINDS])
def test_every_workload_kind_becomes_one_pod_named_after_it(kind: str, count: int | None, replicas: int):
    manifest = pod_manifest(
        "shop", "web", {"app": "web", "tier": "front"}, ["http=TCP/8080", "UDP/53"], kind=kind, replicas=count or 1
    )
    manifest["metadata"]["labels"] = {"owner": "platform"}  # the workload's own labels are not the pods' labels
    cluster = npk.Cluster.from_objects([manifest])
    pods = cluster.pods
    assert list(pods.index) == ["shop/web"]
    row = pods.loc["shop/web"]
    assert row["workload_kind"] == kind
    assert row["labels"] == {"app": "web", "tier": "front"}
    assert set(row["ports"]) == {"TCP/8080 (http)", "UDP/53"}
    assert row["replicas"] == replicas


def test_replicas_all_expands_each_workload_into_numbered_pods():
    objects = [
        pod_manifest("shop", "web", {"app": "web"}, ["TCP/80"], kind="Deployment", replicas=3),
        pod_manifest("shop", "agent", {"app": "agent"}, kind="DaemonSet"),
        pod_manifest("shop", "idle", {"app": "idle"}, kind="Deployment", replicas=0),
        pod_manifest("shop", "solo", {"app": "solo"}),
    ]
    cluster = npk.Cluster.from_objects(objects, replicas="all")
    assert list(cluster.pods.index) == ["shop/agent-0", "shop/solo", "shop/web-0", "shop/web-1", "shop/web-2"]
    assert (cluster.pods.loc[["shop/web-0", "shop/web-1", "shop/web-2"], "workload"] == "web").all()
    assert all(labels == {"app": "web"} for labels in cluster.pods.loc[["shop/web-0", "shop/web-2"], "labels"])
    assert len(set(cluster.pods["ip"])) == len(cluster.pods)
    with pytest.raises(ValueError):
        npk.Cluster.from_objects(objects, replicas="some")


def test_unsupported_kinds_are_skipped_with_a_warning_naming_the_kind(tmp_path: Path):
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}}
    beta = {**DENY_DB, "apiVersion": "extensions/v1beta1", "metadata": {"name": "old", "namespace": "shop"}}
    path = write(tmp_path, "mixed.yaml", dump(WEB, config, beta))
    with pytest.warns(UserWarning, match="ConfigMap") as caught:
        cluster = npk.load(path)
    assert "NetworkPolicy (extensions/v1beta1)" in str(caught[0].message)
    assert list(cluster.pods.index) == ["shop/web"]
    assert cluster.policies.empty


def test_supported_kinds_load_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        npk.Cluster.from_objects([namespace_manifest("shop"), WEB, DB, DENY_DB])


# --------------------------------------------------------------------------- namespaces and IPs


def test_namespaces_carry_the_metadata_name_label():
    shop = namespace_manifest("shop", {"team": "shop", "kubernetes.io/metadata.name": "lies"})
    cluster = npk.Cluster.from_objects([shop, WEB, CLIENT])  # "other" exists only through its pod
    labels = cluster.namespaces["labels"]
    assert labels["shop"] == {"team": "shop", "kubernetes.io/metadata.name": "shop"}
    assert labels["other"] == {"kubernetes.io/metadata.name": "other"}
    assert cluster.namespaces.loc["shop", "pods"] == 1


def test_pod_ip_comes_from_status_else_a_deterministic_address(tmp_path: Path):
    path = write(tmp_path, "pods.yaml", dump(WEB, DB, CLIENT))
    externals = {"internet": "203.0.113.10"}
    first = npk.load(path, externals=externals).pods["ip"]
    second = npk.load(path, externals=externals).pods["ip"]
    third = npk.Cluster.from_objects([CLIENT, DB, WEB], externals=externals).pods["ip"]
    assert first["shop/web"] == "10.1.0.10"  # status.podIP
    assert first.equals(second)
    assert first.sort_index().equals(third.sort_index())
    for ip in first:
        ipaddress.ip_address(ip)
    assert len(set(first)) == len(first)
    assert "203.0.113.10" not in set(first)


def test_synthetic_ips_never_collide_with_declared_pod_ips():
    declared = npk.Cluster.from_objects([DB, CLIENT]).pods["ip"]
    # give new pods exactly the addresses the synthetic ones got: the synthetic ones must move elsewhere
    taken = [pod_manifest("x", f"p{i}", {}, ip=ip) for i, ip in enumerate(declared)]
    cluster = npk.Cluster.from_objects([DB, CLIENT, *taken])
    ips = cluster.pods["ip"]
    assert len(set(ips)) == len(ips)


@pytest.mark.parametrize("address", ["203.0.113.10", "203.0.113.10/32"])
def test_external_accepts_an_address_or_a_single_address_cidr(address: str):
    cluster = npk.Cluster.from_objects([WEB], externals={"internet": address})
    endpoints = cluster.endpoints
    assert endpoints.loc["external/internet", "kind"] == "external"
    assert endpoints.loc["external/internet", "ip"] == "203.0.113.10"
    assert set(endpoints["kind"]) == {"pod", "external"}
    assert "external/internet" not in cluster.pods.index


def test_external_accepts_ipv6():
    cluster = npk.Cluster.from_objects([WEB], externals={"v6": "2001:db8::1"})
    assert cluster.endpoints.loc["external/v6", "ip"] == "2001:db8::1"


@pytest.mark.parametrize(
    ("name", "address"),
    [("internet", "203.0.113.0/24"), ("internet", "203.0.113.10/24"), ("internet", "not-an-ip"), ("a/b", "1.2.3.4")],
)
def test_external_rejects_ranges_and_bad_values(name: str, address: str):
    with pytest.raises(ValueError):
        npk.Cluster.from_objects([WEB], externals={name: address})


# --------------------------------------------------------------------------- DataFrames


def test_dataframes_have_the_documented_columns(tmp_path: Path):
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"selector": {"app": "db"}, "ports": [{"port": 15432, "targetPort": "pg"}]},
    }
    path = write(tmp_path, "all.yaml", dump(namespace_manifest("shop", {"team": "shop"}), WEB, DB, service, DENY_DB))
    cluster = npk.load(path, externals={"internet": "203.0.113.10"})

    assert {"kind", "namespace", "name", "workload", "replicas", "ip", "labels", "ports"} <= set(cluster.pods.columns)
    assert list(cluster.pods.index) == ["shop/db", "shop/web"]
    assert set(cluster.endpoints["kind"]) == {"pod", "external"}
    assert list(cluster.endpoints.index) == ["shop/db", "shop/web", "external/internet"]

    assert {"labels", "pods"} <= set(cluster.namespaces.columns)
    assert cluster.namespaces.loc["shop", "labels"]["team"] == "shop"

    assert {"namespace", "name", "type", "selector", "ports", "endpoints"} <= set(cluster.services.columns)
    svc = cluster.services.loc["shop/db"]
    assert (svc["type"], svc["selector"], svc["endpoints"]) == ("ClusterIP", {"app": "db"}, ("shop/db",))

    expected = {"kind", "namespace", "name", "types", "selector", "ingress_rules", "egress_rules", "source"}
    assert expected <= set(cluster.policies.columns)
    policy = cluster.policies.loc["NetworkPolicy shop/db-from-web"]
    assert policy["kind"] == "NetworkPolicy"
    assert (policy["namespace"], policy["name"]) == ("shop", "db-from-web")
    assert tuple(policy["types"]) == ("Ingress",)
    assert (policy["ingress_rules"], policy["egress_rules"]) == (1, 0)
    assert policy["source"] == str(path)


# --------------------------------------------------------------------------- changing a cluster


def test_apply_replaces_the_object_with_the_same_kind_namespace_and_name():
    before = npk.Cluster.from_objects([WEB, DB, CLIENT, DENY_DB])
    opened = policy_objects("""
        metadata: {name: db-from-web, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress: [{}]
        """)
    after = before.apply(opened)
    assert len(after.policies) == 1
    assert npk.reachability(after, ports=["TCP/5432"]).allowed("other/client", "shop/db", "TCP/5432")
    assert not npk.reachability(before, ports=["TCP/5432"]).allowed("other/client", "shop/db", "TCP/5432")
    grown = after.apply([pod_manifest("other", "second", {"app": "client"})])
    assert list(grown.pods.index) == ["other/client", "other/second", "shop/db", "shop/web"]
    assert list(after.pods.index) == ["other/client", "shop/db", "shop/web"]


def test_delete_removes_one_object_and_rejects_unknown_ones():
    before = npk.Cluster.from_objects([WEB, DB, CLIENT, DENY_DB])
    after = before.delete("NetworkPolicy", "shop", "db-from-web")
    assert after.policies.empty
    assert npk.reachability(after, ports=["TCP/5432"]).allowed("other/client", "shop/db", "TCP/5432")
    assert len(before.policies) == 1
    assert "shop/web" not in before.delete("Pod", "shop", "web").pods.index
    with pytest.raises(KeyError):
        before.delete("NetworkPolicy", "shop", "nope")


def test_label_namespace_adds_labels_a_namespace_selector_then_matches():
    allow_team = policy_objects("""
        metadata: {name: db-from-team, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress: [{from: [{namespaceSelector: {matchLabels: {team: friends}}}]}]
        """)
    before = npk.Cluster.from_objects([namespace_manifest("other", {"env": "dev"}), WEB, DB, CLIENT, *allow_team])
    after = before.label_namespace("other", {"team": "friends"})
    assert after.namespaces.loc["other", "labels"] == {
        "env": "dev",
        "team": "friends",
        "kubernetes.io/metadata.name": "other",
    }
    assert npk.reachability(after, ports=["TCP/5432"]).allowed("other/client", "shop/db", "TCP/5432")
    assert not npk.reachability(before, ports=["TCP/5432"]).allowed("other/client", "shop/db", "TCP/5432")


def test_label_namespace_keeps_the_metadata_name_label():
    cluster = npk.Cluster.from_objects([WEB, CLIENT]).label_namespace("other", {"kubernetes.io/metadata.name": "shop"})
    assert cluster.namespaces.loc["other", "labels"]["kubernetes.io/metadata.name"] == "other"


@pytest.mark.parametrize("labels", [{"bad key!": "x"}, {"team": 5}, {"team": "-bad"}], ids=["key", "number", "value"])
def test_label_namespace_validates_labels_like_a_manifest(labels: dict):
    with pytest.raises(npk.PolicyError):
        npk.Cluster.from_objects([WEB, CLIENT]).label_namespace("other", labels)


# --------------------------------------------------------------------------- Services


def _service(name: str, port: int, target: int | str, port_name: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"port": port, "targetPort": target, "protocol": "TCP"}
    if port_name:
        entry["name"] = port_name
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"selector": {"app": "db"}, "ports": [entry]},
    }


def test_service_target_translates_a_numeric_target_port():
    cluster = npk.Cluster.from_objects([WEB, DB, _service("couch", 15984, 5984, "couchdb")])
    assert cluster.service_target("shop/couch", 15984) == ("shop/db", PortQuery("TCP", 5984))
    assert cluster.service_target("shop/couch", "couchdb") == ("shop/db", PortQuery("TCP", 5984))


def test_service_target_resolves_a_named_target_port_on_the_backing_pod():
    cluster = npk.Cluster.from_objects([WEB, DB, _service("postgres", 15432, "pg")])
    assert cluster.service_target("shop/postgres", 15432) == ("shop/db", PortQuery("TCP", 5432))


def test_service_target_rejects_unknown_services_and_ports():
    cluster = npk.Cluster.from_objects([WEB, DB, _service("postgres", 15432, "pg"), _service("bad", 80, "nope")])
    with pytest.raises(KeyError):
        cluster.service_target("shop/missing", 80)
    with pytest.raises(KeyError):
        cluster.service_target("shop/postgres", 80)
    with pytest.raises(KeyError):
        cluster.service_target("shop/bad", 80)


# --------------------------------------------------------------------------- the fast paths agree with the full ones
#
# YAML is read by a fast composer straight from libyaml's events; anything it does not take on (a tag, a merge
# key, a complex key) or would refuse (a duplicate key, a limit) is read again by the full composer, which decides
# and explains. Whatever the text, the result (documents or PolicyError) must be the full composer's.

YAML_FEATURES = {
    "scalars as YAML 1.1 resolves them": "a: yes\nb: No\nc: ~\nd: null\ne: 0x1F\nf: 0o17\ng: 017\nh: 1_000\n"
    "i: 1e3\nj: .inf\nk: -.Inf\nl: .nan\nm: 2024-01-01\nn: 2024-01-01T10:00:00Z\no: '80'\np: \"true\"\nq: 1:30\n",
    "block and folded scalars": "a: |\n  line one\n  line two\nb: >\n  folded\n  text\nc: |-\n  kept\n",
    "flow collections": "a: {b: [1, 2, {c: d}], e: []}\nf: [{}, [], '']\n",
    "several documents, empty ones too": "---\na: 1\n---\n---\n- b\n- 2\n...\n---\nplain\n",
    "anchors and aliases": "base: &b {app: web, tier: [x, y]}\none: *b\ntwo: *b\nscalar: &s 80\nport: *s\n",
    "an alias as a key": "k: &k name\nm: {*k : v}\n",
    "merge keys": "base: &b {app: web}\nx:\n  <<: *b\n  tier: t\ny: {<<: [*b, {z: 1}], app: db}\n",
    "explicit tags": "a: !!str 80\nb: !!int '7'\nc: !!float 1\nd: !!binary aGk=\ne: !!set {x, y}\n",
    "the value key": "=: v\n",
    "complex keys": "? [a, b]\n: c\n",
    "unicode and escapes": "a: \"caf\\u00e9 \\t tab\"\nb: 'it''s'\nc: ünïcödé\n",
    "a List export": "apiVersion: v1\nkind: List\nitems:\n- {kind: Namespace, apiVersion: v1, metadata: {name: a}}\n"
    "- kind: Namespace\n  apiVersion: v1\n  metadata: {name: b}\n",
    "a duplicate key": "a: 1\nb: 2\na: 3\n",
    "a duplicate quoted key": "a: 1\n'a': 2\n",
    "keys equal as values": "1: a\n1.0: b\n",
    "a duplicate anchor": "a: &x 1\nb: &x 2\n",
    "an undefined alias": "a: *nowhere\n",
    "a recursive alias": "a: &x [1, *x]\n",
    "an alias bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)),
    "too deep": "a: " + "[" * 250 + "]" * 250 + "\n",
    "an integer too long": "a: " + "9" * 5_000 + "\n",
    "a syntax error": "a: 1\n b: 2\n",
    "a tab": "a:\n\tb: 1\n",
}


def _full_or_error(text: str) -> Any:
    from netpolkit.io.decode import _full_yaml

    try:
        return _full_yaml(text, "x.yaml")
    except npk.PolicyError as exc:
        return str(exc)


def _decoded_or_error(text: str) -> Any:
    from netpolkit.io.decode import decode

    try:
        return decode(text, "x.yaml")
    except npk.PolicyError as exc:
        return str(exc)


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types (True is not 1 here), NaN equal to NaN, and shared objects shared alike."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


@pytest.mark.parametrize("text", YAML_FEATURES.values(), ids=YAML_FEATURES.keys())
def test_yaml_fast_composer_gives_what_the_full_one_gives(text: str):
    assert _same(_decoded_or_error(text), _full_or_error(text))


def test_yaml_aliases_are_the_same_object_as_their_anchor_as_in_the_full_composer():
    from netpolkit.io.decode import _fast_yaml

    (doc,) = _fast_yaml(YAML_FEATURES["anchors and aliases"])
    assert doc["one"] is doc["base"] and doc["two"] is doc["base"]


def test_a_kubectl_export_in_yaml_takes_the_fast_path():
    from netpolkit.io.decode import _fast_yaml
    from netpolkit.synth import synthetic_cluster_objects

    objects, _ = synthetic_cluster_objects(60, 12, n_namespaces=3)

    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    text = yaml.dump({"apiVersion": "v1", "kind": "List", "items": objects}, Dumper=NoAliases, sort_keys=False)
    assert _fast_yaml(text) == _full_or_error(text)


@pytest.mark.parametrize("name", ["a merge key", "an explicit tag", "a duplicate key", "too deep", "an alias bomb"])
def test_yaml_fast_composer_leaves_what_it_does_not_take_on_to_the_full_one(name: str):
    from netpolkit.io.decode import _fast_yaml, _UnusualError

    text = {
        "a merge key": YAML_FEATURES["merge keys"],
        "an explicit tag": YAML_FEATURES["explicit tags"],
        "a duplicate key": YAML_FEATURES["a duplicate key"],
        "too deep": YAML_FEATURES["too deep"],
        "an alias bomb": YAML_FEATURES["an alias bomb"],
    }[name]
    with pytest.raises(_UnusualError):
        _fast_yaml(text)


_KEYS = st.sampled_from(["a", "b", "app", "1", "yes", "~", "<<", "=", "2024-01-01", "0x10", "x: y", "- z", ""])
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    _KEYS,
    st.text(max_size=12),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_DATA, flow=st.sampled_from([None, True, False]), share=st.booleans())
def test_yaml_fast_composer_agrees_on_generated_documents(data: Any, flow: bool | None, share: bool):
    document = {"first": data, "second": data if share else copy.deepcopy(data)}  # shared: anchors and aliases
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert _same(_decoded_or_error(text), _full_or_error(text))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab:-[]{}'\" \n\t#&*!|>,?", max_size=40))
def test_yaml_fast_composer_agrees_on_arbitrary_text(text: str):
    assert _same(_decoded_or_error(text), _full_or_error(text))


# --------------------------------------------------------------------------- what the loader remembers between objects


def test_an_invalid_label_is_refused_after_many_valid_ones_were_remembered(monkeypatch: pytest.MonkeyPatch):
    from netpolkit.model import labels

    monkeypatch.setattr(labels, "_MAX_REMEMBERED", 3)
    for value in ("a", "b", "c", "d", "e"):  # past the bound: forgotten and remembered again
        assert labels.check_label_value(value) is None
        assert labels.check_label_key(f"k-{value}") is None
    assert len(labels._VALID_VALUES) <= 3 and len(labels._VALID_KEYS) <= 3
    assert labels.check_label_value("-bad") is not None
    assert labels.check_label_key("Bad/Prefix") is not None
    assert labels.check_label_value("-bad") is not None  # refusals are not remembered as valid


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.tuples(*[st.integers(0, 300)] * 4).map(lambda o: ".".join(map(str, o))),
        st.tuples(*[st.integers(0, 300)] * 4).map(lambda o: ".".join(f"{x:03d}" for x in o)),
        st.text(alphabet="0123456789.:abcdef%٣", max_size=20),
    )
)
def test_pod_ip_fast_path_agrees_with_ipaddress(text: str):
    from netpolkit.model.k8s import ip_problem, parse_address

    try:
        expected = ipaddress.ip_address(text)
    except ValueError:
        expected = None
    if expected is None:
        assert ip_problem(text) is not None
        with pytest.raises(ValueError):
            parse_address(text)
    else:
        assert (ip_problem(text) is None) == ("%" not in text)
        assert parse_address(text) == expected and type(parse_address(text)) is type(expected)


# --------------------------------------------------------------------------- how a cluster reads


ALLOW_WEB = policy_objects("""
    metadata: {name: web-from-anyone, namespace: shop}
    spec: {podSelector: {matchLabels: {app: web}}, ingress: [{}]}
    """)[0]

# (objects, externals, repr): one of each is singular ("1 policy", not "1 policies"), zero and many are plural
CLUSTER_REPRS = [
    ([], {}, "<Cluster: 0 namespaces, 0 pods, 0 externals, 0 policies>"),
    ([WEB, DENY_DB], {"internet": "203.0.113.10"}, "<Cluster: 1 namespace, 1 pod, 1 external, 1 policy>"),
    (
        [WEB, DB, CLIENT, DENY_DB, ALLOW_WEB],
        {"internet": "203.0.113.10", "partner": "198.51.100.7"},
        "<Cluster: 2 namespaces, 3 pods, 2 externals, 2 policies>",
    ),
]


@pytest.mark.parametrize(("objects", "externals", "expected"), CLUSTER_REPRS, ids=["none", "one of each", "several"])
def test_cluster_repr_counts_in_words_singular_for_one(objects, externals, expected):
    assert repr(npk.Cluster.from_objects(objects, externals=externals or None)) == expected
