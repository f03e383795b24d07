"""The plain-shape parser (``netpolkit.model.fast``) and the strict one give the same clusters, errors and warnings.

``parse_common`` reads the common shape of exported Pods, workloads, Namespaces, Services and NetworkPolicies
without the field-by-field Reader and hands everything else to the strict parser. These tests load the same input
twice, once with the plain-shape parser switched off, and require identical results: every DataFrame, the
endpoint table, the objects and where they came from, the warnings, and the PolicyError text (file, document,
object and field path). The rules themselves are the strict parser's (tests/test_bad_input.py cites their sources).
"""

from __future__ import annotations

import contextlib
import copy
import json
import warnings
from collections.abc import Iterator
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netpolkit as npk
import netpolkit.model
from netpolkit import PolicyError
from netpolkit.errors import Where
from netpolkit.io.manifests import read_text
from netpolkit.model import fast, parse_object
from netpolkit.synth import synthetic_cluster_objects


@contextlib.contextmanager
def strict_only() -> Iterator[None]:
    """Every object read by the strict parser alone."""
    with mock.patch.object(netpolkit.model, "parse_common", lambda obj, default_namespace: None):
        yield


def outcome(obj: Any, default_namespace: str = "default") -> tuple[str, Any]:
    """What ``parse_object`` makes of ``obj``: ("ok", the object) or ("error", the PolicyError's text)."""
    try:
        return "ok", parse_object(
            copy.deepcopy(obj), Where("export.json", "0, items[7]"), default_namespace=default_namespace
        )
    except PolicyError as error:
        return "error", str(error)


def both(obj: Any, default_namespace: str = "default") -> tuple[tuple[str, Any], tuple[str, Any]]:
    """(with the plain-shape parser, strict only)."""
    with strict_only():
        strict = outcome(obj, default_namespace)
    return outcome(obj, default_namespace), strict


def load_both(objects: list[dict[str, Any]], **options: Any) -> tuple[npk.Cluster, npk.Cluster, list[str], list[str]]:
    """The cluster of an export (as ``kubectl get -A -o json`` writes it), loaded both ways, and the warnings."""
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {}}, indent=4)
    clusters, caught = [], []
    for fast_path in (True, False):
        with warnings.catch_warnings(record=True) as seen, contextlib.ExitStack() as stack:
            warnings.simplefilter("always")
            if not fast_path:
                stack.enter_context(strict_only())
            clusters.append(npk.Cluster.from_documents(read_text(text, "export.json"), **options))
            _ = clusters[-1].table
        caught.append([str(w.message) for w in seen])
    return clusters[0], clusters[1], caught[0], caught[1]


def assert_same_cluster(a: npk.Cluster, b: npk.Cluster) -> None:
    """Every table, object, source and warning of two clusters is equal."""
    for frame in ("endpoints", "pods", "namespaces", "services", "policies"):
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame), obj=frame)
    assert a.objects == b.objects
    assert [a.source_of(o) for o in a.objects] == [b.source_of(o) for o in b.objects]
    assert a.warnings == b.warnings
    ta, tb = a.table, b.table
    for name in ("ids", "namespaces", "labels", "namespace_labels", "ips", "named_ports", "service_accounts"):
        assert getattr(ta, name) == getattr(tb, name), name
    for name in ("is_pod", "namespace_index", "host_network"):
        np.testing.assert_array_equal(getattr(ta, name), getattr(tb, name), err_msg=name)


def plainly_parsed(objects: list[dict[str, Any]]) -> int:
    """How many of ``objects`` the plain-shape parser takes on itself."""
    return sum(fast.parse_common(copy.deepcopy(o), "default") is not None for o in objects)


# ---- whole exports --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pods", "policies", "namespaces", "replicas", "seed"),
    [(60, 12, 3, 5, 0), (500, 100, 10, 5, 1), (300, 120, 7, 3, 2), (40, 40, 2, 1, 3)],
)
def test_synthetic_exports_load_to_the_same_cluster_both_ways(pods, policies, namespaces, replicas, seed):
    objects, externals = synthetic_cluster_objects(
        pods, policies, n_namespaces=namespaces, replicas_per_workload=replicas, seed=seed
    )
    quick, strict, quick_warnings, strict_warnings = load_both(objects, externals=externals)
    assert_same_cluster(quick, strict)
    assert quick_warnings == strict_warnings
    # the plain-shape parser really is what loaded them (else the comparison would compare the strict path to itself)
    assert plainly_parsed(objects) == len(objects)


def test_an_export_with_workloads_and_their_pods_warns_the_same_both_ways():
    objects, _ = synthetic_cluster_objects(50, 10, n_namespaces=2, replicas_per_workload=5, seed=4)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "x", "generation": 3},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web"}]}},
        },
        "status": {"replicas": 3, "conditions": [{"type": "Available", "status": "True"}]},
    }
    unknown = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}}
    quick, strict, quick_warnings, strict_warnings = load_both([*objects, deployment, unknown])
    assert_same_cluster(quick, strict)
    assert quick_warnings == strict_warnings and any("ConfigMap" in w for w in quick_warnings)
    assert plainly_parsed([deployment]) == 1


def test_replicas_all_and_a_default_namespace_give_the_same_cluster_both_ways():
    objects, _ = synthetic_cluster_objects(80, 20, n_namespaces=3, replicas_per_workload=4, seed=5)
    stripped = [copy.deepcopy(o) for o in objects]
    home = next(o["metadata"]["namespace"] for o in stripped if o["kind"] == "Service")
    for obj in stripped:  # objects without a namespace land in the default namespace given
        if obj["metadata"].get("namespace") == home:
            del obj["metadata"]["namespace"]
    quick, strict, *_ = load_both(stripped, replicas="all", default_namespace=home)
    assert_same_cluster(quick, strict)
    assert (quick.pods["namespace"] == home).any()
    workloads, strict_workloads, *_ = load_both([NAMESPACE, DEPLOYMENT, CRONJOB, SERVICE, POLICY], replicas="all")
    assert_same_cluster(workloads, strict_workloads)
    assert len(workloads.pods) == 4 + 2


def test_a_bad_object_deep_in_an_export_is_the_same_error_both_ways():
    objects, _ = synthetic_cluster_objects(60, 12, n_namespaces=3, seed=6)
    broken = copy.deepcopy(objects)
    pod = next(o for o in broken if o["kind"] == "Pod")
    pod["metadata"]["labels"]["app"] = "not a label value"
    errors = []
    for fast_path in (True, False):
        with contextlib.ExitStack() as stack:
            if not fast_path:
                stack.enter_context(strict_only())
            with pytest.raises(PolicyError) as caught:
                npk.Cluster.from_documents(
                    read_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": broken}), "export.json")
                )
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert errors[0].startswith(f"export.json: document 1, items[{broken.index(pod)}]: Pod ")
    assert "metadata.labels.app: label value 'not a label value'" in errors[0]


# ---- one object at a time ---------------------------------------------------------------------------------------

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web-7d4b9c6f5-x2x9q",
        "namespace": "shop",
        "uid": "0b7c1f9e-5f7a-4d8e-9c2b-1e2f3a4b5c6d",
        "resourceVersion": "123456",
        "creationTimestamp": "2024-05-01T10:00:00Z",
        "labels": {"app": "web", "pod-template-hash": "7d4b9c6f5"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-05-01T10:00:00Z"},
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c6f5", "controller": True}
        ],
        "managedFields": [{"manager": "kube-controller-manager", "fieldsV1": {"f:metadata": {"f:labels": {}}}}],
    },
    "spec": {
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.25",
                "ports": [{"containerPort": 8080, "protocol": "TCP", "name": "http"}, {"containerPort": 9090}],
                "resources": {"limits": {"cpu": "500m"}},
            },
            {"name": "sidecar", "image": "envoy", "ports": [{"containerPort": 53, "protocol": "UDP", "name": "dns"}]},
        ],
        "initContainers": [{"name": "init", "image": "busybox"}],
        "serviceAccountName": "web",
        "serviceAccount": "web",
        "nodeName": "node-1",
        "volumes": [{"name": "data", "emptyDir": {}}],
    },
    "status": {
        "phase": "Running",
        "podIP": "10.244.1.7",
        "podIPs": [{"ip": "10.244.1.7"}],
        "conditions": [{"type": "Ready", "status": "True"}],
    },
}
NAMESPACE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "shop", "labels": {"team": "shop"}, "uid": "u"},
    "spec": {"finalizers": ["kubernetes"]},
    "status": {"phase": "Active"},
}
SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "type": "ClusterIP",
        "clusterIP": "10.96.0.12",
        "clusterIPs": ["10.96.0.12"],
        "selector": {"app": "web"},
        "ports": [
            {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
            {"port": 443, "targetPort": 8443},
            {"port": 53, "protocol": "UDP"},
        ],
        "sessionAffinity": "None",
    },
    "status": {"loadBalancer": {}},
}
POLICY: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "web", "namespace": "shop", "generation": 1, "annotations": {"owner": "team-shop"}},
    "spec": {
        "podSelector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]},
        "policyTypes": ["Egress", "Ingress"],
        "ingress": [
            {
                "from": [
                    {"podSelector": {"matchLabels": {"app": "client"}}, "namespaceSelector": {}},
                    {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                    {
                        "namespaceSelector": {
                            "matchExpressions": [{"key": "env", "operator": "In", "values": ["b", "a", "a"]}]
                        }
                    },
                ],
                "ports": [{"port": 8080}, {"protocol": "UDP", "port": "dns"}, {"port": 9000, "endPort": 9100}],
            },
            {},
        ],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}, {"ports": [{"protocol": "SCTP"}]}],
    },
}
DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {
        "replicas": 4,
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                "containers": [{"name": "api", "ports": [{"containerPort": 80, "name": "http"}]}],
                "hostNetwork": True,
            },
        },
    },
}
CRONJOB: dict[str, Any] = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "report", "namespace": "shop"},
    "spec": {"jobTemplate": {"spec": {"parallelism": 2, "template": {"spec": {"containers": [{"name": "r"}]}}}}},
}
PLAIN = {
    "pod": POD,
    "namespace": NAMESPACE,
    "service": SERVICE,
    "policy": POLICY,
    "deployment": DEPLOYMENT,
    "cronjob": CRONJOB,
}


@pytest.mark.parametrize("name", PLAIN)
def test_a_plain_object_with_fields_policies_never_read_takes_the_plain_path_to_the_same_object(name: str):
    obj = PLAIN[name]
    assert fast.parse_common(copy.deepcopy(obj), "default") is not None
    quick, strict = both(obj)
    assert quick == strict and quick[0] == "ok"


def steps(path: str | tuple[Any, ...]) -> tuple[Any, ...]:
    """The keys and list indexes of a field path (``spec.ports[0].port``, or already a tuple of them)."""
    if isinstance(path, tuple):
        return path
    parts: list[Any] = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        parts.append(name)
        if index:
            parts.append(int(index.rstrip("]")))
    return tuple(parts)


def changed(obj: dict[str, Any], path: str | tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A copy of ``obj`` with the field at ``path`` set, or deleted for DELETE."""
    out = copy.deepcopy(obj)
    parts = steps(path)
    target = out
    for part in parts[:-1]:
        target = target[part]
    if value is DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return out


DELETE = object()


def field_at(obj: Any, path: tuple[Any, ...]) -> Any:
    """The value at a field path of ``obj``."""
    for part in path:
        obj = obj[part]
    return obj


# (object, field path, new value): unusual objects, valid or not; both parsers must say the same about each.
UNUSUAL = [
    # missing optional fields
    ("pod", "status", DELETE),
    ("pod", "status.podIP", DELETE),
    ("pod", "metadata.labels", DELETE),
    ("pod", "metadata.namespace", DELETE),
    ("pod", "metadata.namespace", ""),
    ("pod", "metadata.namespace", None),
    ("pod", "spec.containers", DELETE),
    ("pod", "spec.containers[0].ports", None),
    ("pod", "spec.serviceAccountName", DELETE),
    ("pod", "spec.serviceAccountName", ""),
    ("pod", "spec.hostNetwork", None),
    ("pod", "metadata.ownerReferences[0].controller", None),
    ("service", "spec", DELETE),
    ("service", "spec.type", ""),
    ("service", "spec.ports[0].targetPort", 0),
    ("service", "spec.ports[0].targetPort", ""),
    ("service", "spec.ports[0].name", None),
    ("service", "spec.selector", None),
    ("policy", "spec.podSelector", DELETE),
    ("policy", "spec.policyTypes", []),
    ("policy", "spec.policyTypes", DELETE),
    ("policy", "spec.ingress[0].from[0].podSelector.matchLabels", None),
    ("policy", "spec.ingress[0].from[2].namespaceSelector.matchExpressions[0].values", None),
    ("deployment", "spec.replicas", None),
    ("deployment", "metadata.ownerReferences", [{"kind": "Rollout", "name": "api", "controller": True}]),
    ("deployment", "spec.template.metadata", DELETE),
    ("cronjob", "spec.jobTemplate.spec.parallelism", 0),
    # extra fields: ignored on the lenient kinds, refused on policies
    ("pod", "spec.ephemeralContainers", [{"name": "debug"}]),
    ("pod", "extra", {"anything": [1, 2]}),
    ("namespace", "metadata.bogus", 1),
    ("policy", "spec.podSelecter", {}),
    ("policy", "metadata.bogus", 1),
    ("policy", "extra", 1),
    ("policy", "spec.ingress[0].froms", []),
    ("policy", "spec.ingress[0].from[0].ipBlocks", {}),
    ("policy", "spec.ingress[0].from[1].ipBlock.extra", 1),
    ("policy", "spec.ingress[0].ports[0].name", "http"),
    ("policy", "spec.podSelector.matchExpressions[0].value", ["x"]),
    # wrong types
    ("pod", "metadata", "web"),
    ("pod", "metadata.name", 5),
    ("pod", "metadata.namespace", ["shop"]),
    ("pod", "metadata.labels", ["app=web"]),
    ("pod", "metadata.labels.app", 5),
    ("pod", "metadata.labels.app", None),
    ("pod", "metadata.labels.app", ["web"]),
    ("pod", "metadata.annotations.note", 1),
    ("pod", "spec", None),
    ("pod", "spec.containers", {"name": "web"}),
    ("pod", "spec.containers[0]", "web"),
    ("pod", "spec.containers[0].ports", {"containerPort": 80}),
    ("pod", "spec.containers[0].ports[0]", 8080),
    ("pod", "spec.containers[0].ports[0].containerPort", "8080"),
    ("pod", "spec.containers[0].ports[0].containerPort", True),
    ("pod", "spec.containers[0].ports[0].containerPort", 8080.0),
    ("pod", "spec.containers[0].ports[0].protocol", ["TCP"]),
    ("pod", "spec.containers[0].ports[0].name", {"n": 1}),
    ("pod", "spec.serviceAccountName", 5),
    ("pod", "spec.serviceAccountName", ""),
    ("pod", "spec.serviceAccount", 5),
    ("pod", "spec.nodeName", 5),
    ("pod", "spec.hostNetwork", "true"),
    ("pod", "status", "Running"),
    ("pod", "status.podIP", 10),
    ("pod", "metadata.ownerReferences", {"controller": True}),
    ("pod", "metadata.ownerReferences[0]", "rs"),
    ("pod", "metadata.ownerReferences[0].controller", "true"),
    ("deployment", "spec.replicas", "3"),
    ("deployment", "spec.replicas", True),
    ("deployment", "spec.template", None),
    ("deployment", "spec.template.metadata", []),
    ("cronjob", "spec.jobTemplate", None),
    ("service", "spec", []),
    ("service", "spec.type", 5),
    ("service", "spec.clusterIP", 5),
    ("service", "spec.ports", {"port": 80}),
    ("service", "spec.ports[0].port", "80"),
    ("service", "spec.ports[0].port", True),
    ("service", "spec.ports[0].protocol", 6),
    ("service", "spec.ports[0].targetPort", True),
    ("service", "spec.ports[0].targetPort", False),
    ("service", "spec.ports[0].targetPort", 0.0),
    ("service", "spec.ports[0].targetPort", [80]),
    ("service", "spec.ports[0].name", 5),
    ("service", "spec.selector", {"app": 5}),
    ("policy", "spec", None),
    ("policy", "spec.podSelector", []),
    ("policy", "spec.policyTypes", "Ingress"),
    ("policy", "spec.policyTypes", ""),
    ("policy", "spec.policyTypes", [5]),
    ("policy", "spec.ingress", {}),
    ("policy", "spec.ingress[0]", []),
    ("policy", "spec.ingress[0].from", {}),
    ("policy", "spec.ingress[0].from[0]", "web"),
    ("policy", "spec.ingress[0].from[0].podSelector", "app=web"),
    ("policy", "spec.ingress[0].from[1].ipBlock", "10.0.0.0/8"),
    ("policy", "spec.ingress[0].from[1].ipBlock.cidr", 10),
    ("policy", "spec.ingress[0].from[1].ipBlock.except", "10.1.0.0/16"),
    ("policy", "spec.ingress[0].from[1].ipBlock.except", [5]),
    ("policy", "spec.ingress[0].ports[0].port", "8080"),
    ("policy", "spec.ingress[0].ports[0].port", 80.5),
    ("policy", "spec.ingress[0].ports[0].port", True),
    ("policy", "spec.ingress[0].ports[2].endPort", "9100"),
    ("policy", "spec.podSelector.matchExpressions[0].operator", 5),
    ("policy", "spec.podSelector.matchExpressions[0].key", None),
    ("policy", "spec.podSelector.matchExpressions", {"key": "tier"}),
    ("policy", "spec.ingress[0].from[2].namespaceSelector.matchExpressions[0].values", "a"),
    ("policy", "spec.ingress[0].from[2].namespaceSelector.matchExpressions[0].values", [1]),
    # values Kubernetes refuses
    ("pod", "metadata.name", "Web"),
    ("pod", "metadata.name", "web\n"),
    ("pod", "metadata.name", "a" * 254),
    ("pod", "metadata.namespace", "Shop"),
    ("pod", "metadata.namespace", "a" * 64),
    ("pod", "metadata.labels.app", "not valid"),
    ("pod", "metadata.labels.app", "web\n"),
    ("pod", "metadata.labels.app", "a" * 64),
    ("pod", "metadata.labels", {"bad key!": "x"}),
    ("pod", "metadata.labels", {"/app": "x"}),
    ("pod", "metadata.annotations", {"Bad Key": "x"}),
    ("pod", "metadata.annotations", {"note": "x" * (256 * 1024)}),
    ("pod", "metadata.annotations", {"note": "é" * (130 * 1024)}),
    ("pod", "spec.containers[0].ports[0].containerPort", 0),
    ("pod", "spec.containers[0].ports[0].containerPort", 65536),
    ("pod", "spec.containers[0].ports[0].protocol", "tcp"),
    ("pod", "spec.containers[0].ports[0].protocol", ""),
    ("pod", "spec.containers[0].ports[0].name", "HTTP"),
    ("pod", "spec.containers[0].ports[0].name", "a-very-long-port-name"),
    ("pod", "spec.containers[0].ports[1].name", "http"),
    ("pod", "status.podIP", ""),
    ("pod", "status.podIP", "10.0.0.256"),
    ("pod", "status.podIP", "fd00::7"),
    ("pod", "status.podIP", "fe80::1%eth0"),
    ("deployment", "spec.replicas", -1),
    ("deployment", "spec.template.metadata.labels", {"app": "bad value"}),
    ("namespace", "metadata.name", "a.b"),
    ("namespace", "metadata.name", "a" * 100),
    ("namespace", "metadata.labels", {"kubernetes.io/metadata.name": "other"}),
    ("service", "spec.type", "Headless"),
    ("service", "spec.ports[0].port", 0),
    ("service", "spec.ports[0].protocol", "ICMP"),
    ("service", "spec.ports[0].targetPort", "8080"),
    ("service", "spec.ports[0].targetPort", "HTTP"),
    ("service", "spec.ports[0].targetPort", 70000),
    ("service", "spec.selector", {"app": "bad value"}),
    ("policy", "spec.policyTypes", ["Ingress", "Egress", "Ingress"]),
    ("policy", "spec.policyTypes", ["Ingress", "Ingress"]),
    ("policy", "spec.policyTypes", ["ingress"]),
    ("policy", "spec.ingress[0].from[0]", {}),
    ("policy", "spec.ingress[0].from[0]", {"podSelector": None}),
    ("policy", "spec.ingress[0].from[1]", {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}),
    ("policy", "spec.ingress[0].from[1].ipBlock.cidr", "10.0.0.0"),
    ("policy", "spec.ingress[0].from[1].ipBlock.cidr", "10.0.0.0/33"),
    ("policy", "spec.ingress[0].from[1].ipBlock.except", ["192.168.0.0/16"]),
    ("policy", "spec.ingress[0].from[1].ipBlock.except", ["10.0.0.0/8"]),
    ("policy", "spec.ingress[0].ports[0].port", 0),
    ("policy", "spec.ingress[0].ports[0].protocol", "tcp"),
    ("policy", "spec.ingress[0].ports[1].port", "DNS"),
    ("policy", "spec.ingress[0].ports[2].endPort", 8999),
    ("policy", "spec.ingress[0].ports[2].endPort", 65536),
    ("policy", "spec.ingress[0].ports[1].endPort", 100),
    ("policy", "spec.ingress[0].ports[0]", {"endPort": 100}),
    ("policy", "spec.podSelector.matchExpressions[0].operator", "exists"),
    ("policy", "spec.podSelector.matchExpressions[0].values", ["x"]),
    ("policy", "spec.podSelector.matchExpressions[0].values", []),
    ("policy", "spec.podSelector.matchExpressions[0].key", "bad key"),
    ("policy", "spec.ingress[0].from[2].namespaceSelector.matchExpressions[0].values", []),
    ("policy", "spec.ingress[0].from[2].namespaceSelector.matchExpressions[0].values", ["bad value"]),
    ("policy", "spec.podSelector.matchLabels", {"app": "bad value"}),
    ("policy", "apiVersion", "networking.k8s.io/v1beta1"),
    ("pod", "apiVersion", "apps/v1"),
    ("pod", "kind", None),
]


@pytest.mark.parametrize(
    ("name", "path", "value"),
    UNUSUAL,
    ids=[f"{n}:{p}" + (" deleted" if v is DELETE else f"={v!r:.30}") for n, p, v in UNUSUAL],
)
def test_an_unusual_object_gets_the_same_object_or_the_same_error_both_ways(name: str, path: str, value: Any):
    quick, strict = both(changed(PLAIN[name], path, value))
    assert quick == strict


def test_the_error_of_a_bad_object_names_the_file_document_object_and_field_as_before():
    quick, strict = both(changed(POD, "spec.containers[0].ports[1].name", "http"))
    assert (
        quick
        == strict
        == (
            "error",
            "export.json: document 1, items[7]: Pod shop/web-7d4b9c6f5-x2x9q: spec.containers[0].ports[1].name: "
            "duplicate port name 'http' (also ports[0])",
        )
    )


def test_a_valid_ip_block_remembered_does_not_let_a_bad_one_with_the_same_cidr_through():
    assert both(POLICY)[0][0] == "ok"  # now (10.0.0.0/8, [10.1.0.0/16]) is remembered as valid
    quick, strict = both(changed(POLICY, "spec.ingress[0].from[1].ipBlock.exception", ["10.2.0.0/16"]))
    assert quick == strict and quick[0] == "error" and "unknown field 'exception'" in quick[1]


def test_a_valid_container_port_remembered_does_not_let_a_duplicate_name_through():
    assert both(POD)[0][0] == "ok"
    twice = changed(POD, "spec.containers[0].ports[1]", {"containerPort": 8080, "protocol": "TCP", "name": "http"})
    quick, strict = both(twice)
    assert quick == strict and "duplicate port name 'http'" in quick[1]


def test_a_kind_registered_again_is_read_by_its_new_parser_alone(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(netpolkit.model, "_KINDS", dict(netpolkit.model._KINDS))
    monkeypatch.setattr(fast, "COMMON_KINDS", dict(fast.COMMON_KINDS))
    netpolkit.model.register_kind("v1", "Service", lambda doc, ns, name: ("mine", ns, name))
    assert fast.parse_common(copy.deepcopy(SERVICE), "default") is None
    assert outcome(SERVICE) == ("ok", ("mine", "shop", "web"))


# ---- generated changes ------------------------------------------------------------------------------------------

ODD_VALUES: list[Any] = [
    None, "", "x", "web", "Web", "web\n", "a" * 64, "a/b", "TCP", "UDP", "tcp", "Ingress", "Egress", "In", "Exists",
    "80", "http", "10.0.0.1", "10.0.0.0/8", "fd00::1", 0, 1, -1, 80, 65536, 1.0, True, False, [], [{}], ["x"], {},
    {"app": "web"}, {"app": 1}, {"matchLabels": {}}, {"cidr": "10.0.0.0/8"}, {"containerPort": 80},
]  # fmt: skip


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field path in a document, as keys and list indexes."""
    found: list[tuple[Any, ...]] = []
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found += [(*prefix, key), *paths(child, (*prefix, key))]
    return found


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_changes_to_plain_objects_give_the_same_answer_both_ways(data: st.DataObject):
    obj = copy.deepcopy(PLAIN[data.draw(st.sampled_from(sorted(PLAIN)), label="object")])
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        fields = paths(obj)
        if not fields:
            break
        path = data.draw(st.sampled_from(fields), label="path")
        action = data.draw(st.sampled_from(["set", "delete", "add"]), label="action")
        if action == "add":
            parent = field_at(obj, path)
            if isinstance(parent, dict):  # a field the object does not have yet, maybe one a parser reads
                key = data.draw(
                    st.sampled_from(["extra", "name", "namespace", "ports", "controller", "except", "port"])
                )
                parent[key] = data.draw(st.sampled_from(ODD_VALUES), label="added")
            continue
        obj = changed(
            obj, path, DELETE if action == "delete" else data.draw(st.sampled_from(ODD_VALUES), label="value")
        )
    quick, strict = both(obj, data.draw(st.sampled_from(["default", "shop"]), label="default namespace"))
    assert quick == strict
