"""Namespaces, pods (from Pod and every workload kind) and Services, read from manifests.

Lenient about the many fields network policies never read (a real ``kubectl get -o yaml`` export carries hundreds),
strict about the fields they do: names, labels, container ports, pod IPs, Service ports.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from netpolkit.model.fields import Reader
from netpolkit.model.labels import check_label_key, check_label_value
from netpolkit.model.ports import PROTOCOLS, check_port_name

__all__ = [
    "WORKLOAD_KINDS",
    "ContainerPort",
    "Namespace",
    "Service",
    "ServicePort",
    "Workload",
    "parse_namespace",
    "parse_service",
    "parse_workload",
    "read_labels",
]

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
        for port in container.children("ports") or ():
            ports.append(_parse_container_port(port))
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
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            status.fail(f"{ip!r} is not an IP address", key="podIP")
    account = spec.string("serviceAccountName") or spec.string("serviceAccount") or "default"
    owners = doc.child("metadata").raw("ownerReferences", [])  # type: ignore[union-attr]
    controlled = any(isinstance(o, dict) and o.get("controller") for o in owners) if isinstance(owners, list) else False
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
        host_network=bool(spec.raw("hostNetwork", False)),
    )


def _parse_container_port(port: Reader) -> ContainerPort:
    number = port.typed("containerPort", int, required=True)
    if not 1 <= number <= 65535:
        port.fail(f"must be 1-65535, got {number}", key="containerPort")
    protocol = port.string("protocol", default="TCP")
    if protocol not in PROTOCOLS:
        port.fail(f"unsupported protocol {protocol!r}; expected one of: {', '.join(PROTOCOLS)}", key="protocol")
    name = port.string("name", default="")
    assert name is not None and protocol is not None
    if name and (problem := check_port_name(name)):
        port.fail(problem, key="name")
    return ContainerPort(number, protocol, name)


def parse_service(doc: Reader, namespace: str, name: str) -> Service:
    """A Service: type, selector, ports (``targetPort`` defaults to ``port``)."""
    spec = doc.child("spec")
    if spec is None:
        return Service(namespace, name, "ClusterIP", {})
    selector = spec.string_map("selector")
    ports = []
    for entry in spec.children("ports") or ():
        number = entry.typed("port", int, required=True)
        if not 1 <= number <= 65535:
            entry.fail(f"must be 1-65535, got {number}", key="port")
        target = entry.raw("targetPort", number)
        if isinstance(target, bool) or not isinstance(target, int | str):
            entry.fail(f"expected a port number or name, got {target!r}", key="targetPort")
        if isinstance(target, str) and target.isdigit():
            target = int(target)
        protocol = entry.string("protocol", default="TCP")
        if protocol not in PROTOCOLS:
            entry.fail(f"unsupported protocol {protocol!r}", key="protocol")
        ports.append(ServicePort(number, target, protocol or "TCP", entry.string("name", default="") or ""))
    return Service(
        namespace,
        name,
        spec.string("type", default="ClusterIP") or "ClusterIP",
        selector,
        tuple(ports),
        spec.string("clusterIP"),
    )
