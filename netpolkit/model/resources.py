"""Namespaces, pods (from Pod and every workload kind) and Services, read from manifests.

Lenient about the many fields network policies never read (a real ``kubectl get -o yaml`` export carries hundreds),
strict about the fields they do: names, labels, container ports, pod IPs, Service ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netpolkit.errors import excerpt
from netpolkit.model.fields import Reader, describe
from netpolkit.model.k8s import ip_problem
from netpolkit.model.labels import check_label_key, check_label_value
from netpolkit.model.ports import PROTOCOLS, check_port_name, is_decimal

__all__ = [
    "SERVICE_TYPES",
    "WORKLOAD_API_VERSIONS",
    "WORKLOAD_KINDS",
    "ContainerPort",
    "Namespace",
    "Service",
    "ServicePort",
    "Workload",
    "check_metadata",
    "parse_namespace",
    "parse_service",
    "parse_workload",
    "read_labels",
]

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")

# kind -> field path of the pod template inside the object
WORKLOAD_KINDS: dict[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# kind -> the apiVersion it is read under
WORKLOAD_API_VERSIONS: dict[str, str] = {
    kind: {"Pod": "v1", "ReplicationController": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1")
    for kind in WORKLOAD_KINDS
}


@dataclass(frozen=True, slots=True)
class Namespace:
    """A namespace and its labels (always including ``kubernetes.io/metadata.name``)."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """A declared container port; ``name`` may be empty."""

    number: int
    protocol: str = "TCP"
    name: str = ""


@dataclass(frozen=True, slots=True)
class Workload:
    """A Pod, or a workload (Deployment, StatefulSet, ...) standing for the pods of its template."""

    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str]
    ports: tuple[ContainerPort, ...] = ()
    replicas: int = 1
    ip: str | None = None
    service_account: str = "default"
    node: str | None = None
    controlled: bool = False
    host_network: bool = False


@dataclass(frozen=True, slots=True)
class ServicePort:
    """A Service port and the pod port it forwards to (a number or a container port name)."""

    port: int
    target_port: int | str
    protocol: str = "TCP"
    name: str = ""


@dataclass(frozen=True, slots=True)
class Service:
    """A Service: its selector decides which pods stand behind it."""

    namespace: str
    name: str
    type: str
    selector: Mapping[str, str]
    ports: tuple[ServicePort, ...] = ()
    cluster_ip: str | None = None


def read_labels(meta: Reader, key: str = "labels") -> dict[str, str]:
    """Read and validate a label map (keys and values in Kubernetes syntax)."""
    labels = meta.string_map(key)
    for k, v in labels.items():
        if problem := check_label_key(k) or check_label_value(v):
            meta.fail(problem, key=f"{key}.{k}")
    return labels


# The API server's limit on the total size of an object's annotations (keys and values).
MAX_ANNOTATIONS_BYTES = 256 * 1024


def check_metadata(meta: Reader) -> None:
    """Validate ``labels`` and ``annotations`` of an object's metadata as the API server does."""
    read_labels(meta)
    annotations = meta.string_map("annotations")
    total = 0
    for key, value in annotations.items():
        if problem := check_label_key(key.lower()):  # annotation keys are checked lowercased
            meta.fail(problem.replace("label key", "annotation key", 1), key=f"annotations.{key}")
        total += len(key.encode()) + len(value.encode())
    if total > MAX_ANNOTATIONS_BYTES:
        meta.fail(f"annotations may take at most 256 KiB together, got {total:,} bytes", key="annotations")


def parse_namespace(doc: Reader, name: str) -> Namespace:
    """A Namespace object; ``kubernetes.io/metadata.name`` is added as the API server does."""
    meta = doc.child("metadata", required=True)
    assert meta is not None
    labels = read_labels(meta)
    labels["kubernetes.io/metadata.name"] = name
    return Namespace(name, labels)


def parse_workload(doc: Reader, kind: str, namespace: str, name: str) -> Workload:
    """A Pod or workload; a workload stands for the pods of its template."""
    template = doc
    for key in WORKLOAD_KINDS[kind]:
        child = template.child(key, required=True)
        assert child is not None
        template = child
    meta = template.child("metadata")
    labels = read_labels(meta) if meta is not None else {}
    spec = template.child("spec", required=True)
    assert spec is not None
    ports: list[ContainerPort] = []
    for container in spec.children("containers") or ():
        names: dict[str, int] = {}  # the API server refuses a port name twice in one container
        for i, port in enumerate(container.children("ports") or ()):
            parsed = _parse_container_port(port)
            if parsed.name in names:
                port.fail(f"duplicate port name {parsed.name!r} (also ports[{names[parsed.name]}])", key="name")
            if parsed.name:
                names[parsed.name] = i
            ports.append(parsed)
    replicas = 1
    if kind != "Pod":
        top_spec = doc.child("spec")
        count_key = "parallelism" if kind in ("Job", "CronJob") else "replicas"
        if kind == "CronJob" and top_spec is not None:
            job_spec = top_spec.child("jobTemplate")
            top_spec = job_spec.child("spec") if job_spec is not None else None
        if top_spec is not None:
            replicas = top_spec.typed(count_key, int, default=1)
            if replicas < 0:
                top_spec.fail(f"must be >= 0, got {replicas}", key=count_key)
    ip = None
    status = doc.child("status") if kind == "Pod" else None
    if status is not None and status.has("podIP"):
        ip = status.string("podIP")
        assert ip is not None
        if problem := ip_problem(ip):
            status.fail(problem, key="podIP")
    account = spec.string("serviceAccountName") or spec.string("serviceAccount") or "default"
    if kind != "Pod" or meta is None:  # a Pod's template is the Pod: its metadata is already at hand
        meta = doc.child("metadata")
    assert meta is not None
    controlled = False
    for owner in meta.children("ownerReferences") or ():
        controlled = owner.typed("controller", bool, default=False) or controlled
    return Workload(
        kind,
        namespace,
        name,
        labels,
        tuple(ports),
        replicas,
        ip,
        account,
        spec.string("nodeName"),
        controlled=kind == "Pod" and controlled,
        host_network=spec.typed("hostNetwork", bool, default=False),
    )


# Valid container ports repeat across the replicas of every workload: one frozen object each (bounded).
_PORTS: dict[tuple[Any, Any, Any], ContainerPort] = {}
_MAX_PORTS = 10_000
_STR_OR_NONE = (str, type(None))


def _parse_container_port(port: Reader) -> ContainerPort:
    """A container port: the fields ``containerPort``, ``protocol`` and ``name`` decide it (others are ignored)."""
    data = port.data
    key = (data.get("containerPort"), data.get("protocol"), data.get("name"))
    plain = type(key[0]) is int and type(key[1]) in _STR_OR_NONE and type(key[2]) in _STR_OR_NONE
    if not plain:  # a bool, a float, a list...: let the full checks say what is wrong
        return _read_container_port(port)
    known = _PORTS.get(key)
    if known is None:
        known = _read_container_port(port)
        if len(_PORTS) >= _MAX_PORTS:
            _PORTS.clear()
        _PORTS[key] = known
    return known


def _read_container_port(port: Reader) -> ContainerPort:
    number = port.typed("containerPort", int, required=True)
    if not 1 <= number <= 65535:
        port.fail(f"must be 1-65535, got {excerpt(number)}", key="containerPort")
    protocol = port.string("protocol", default="TCP")
    if protocol not in PROTOCOLS:
        port.fail(f"unsupported protocol {excerpt(protocol)}; expected one of: {', '.join(PROTOCOLS)}", key="protocol")
    name = port.string("name", default="")
    assert name is not None and protocol is not None
    if name and (problem := check_port_name(name)):
        port.fail(problem, key="name")
    return ContainerPort(number, protocol, name)


def parse_service(doc: Reader, namespace: str, name: str) -> Service:
    """A Service: type, selector, ports (``targetPort`` defaults to ``port``, as the API server defaults it)."""
    spec = doc.child("spec")
    if spec is None:
        return Service(namespace, name, "ClusterIP", {})
    kind = spec.string("type", default="ClusterIP") or "ClusterIP"
    if kind not in SERVICE_TYPES:
        spec.fail(f"unsupported Service type {excerpt(kind)}; expected one of: {', '.join(SERVICE_TYPES)}", key="type")
    selector = read_labels(spec, "selector")
    ports = []
    for entry in spec.children("ports") or ():
        number = entry.typed("port", int, required=True)
        if not 1 <= number <= 65535:
            entry.fail(f"must be 1-65535, got {excerpt(number)}", key="port")
        protocol = entry.string("protocol", default="TCP")
        if protocol not in PROTOCOLS:
            entry.fail(f"unsupported protocol {excerpt(protocol)}; expected one of: {', '.join(PROTOCOLS)}", "protocol")
        target = _target_port(entry, number)
        ports.append(ServicePort(number, target, protocol or "TCP", entry.string("name", default="") or ""))
    return Service(namespace, name, kind, selector, tuple(ports), spec.string("clusterIP"))


def _target_port(entry: Reader, port: int) -> int | str:
    """``targetPort``: a number 1-65535 or a port name; missing, 0 or "" means ``port`` (the API server's default)."""
    target = entry.raw("targetPort")
    if target is None or target == "" or (type(target) is int and target == 0):
        return port
    if isinstance(target, bool) or not isinstance(target, int | str):
        entry.fail(f"expected a port number or name, got {describe(target)}", key="targetPort")
    if isinstance(target, int):
        if not 1 <= target <= 65535:
            entry.fail(f"must be 1-65535, got {excerpt(target)}", key="targetPort")
        return target
    if is_decimal(target):  # a string is a port name for the API server, and a name needs a letter
        entry.fail(f"a port number must not be quoted: write {target} instead of '{target}'", key="targetPort")
    if problem := check_port_name(target):
        entry.fail(problem, key="targetPort")
    return target
