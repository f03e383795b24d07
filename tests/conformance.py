"""Helpers for the table-driven conformance tests (``tests/test_conformance.py``).

A :class:`Case` is plain data: a small :class:`World` (namespaces with labels, pods with labels, container ports
and IPs, external endpoints), the policies as YAML text, and the verdicts Kubernetes prescribes as
``(src, dst, port, allowed)`` rows. :meth:`Case.mismatches` evaluates the case with one engine and one profile and
returns a readable line (with the explanation) for every verdict that differs from the table.

Policy documents may leave out ``apiVersion`` and ``kind``: :func:`policy_objects` fills in
``networking.k8s.io/v1 NetworkPolicy``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

import netpolkit as npk

__all__ = [
    "ALLOW",
    "DENY",
    "ENGINES",
    "PROFILES",
    "Case",
    "Pod",
    "Verdict",
    "World",
    "namespace_manifest",
    "pod_manifest",
    "policy_objects",
]

ALLOW = True
DENY = False
ENGINES = ("vectorized", "reference")
PROFILES = ("upstream", "calico", "cilium")

Verdict = tuple[str, str, str, bool]  # (source id, destination id, "PROTO/port", allowed)

# kind -> (apiVersion, field path of the pod template, field holding the replica count)
_WORKLOADS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...] | None]] = {
    "Pod": ("v1", (), None),
    "Deployment": ("apps/v1", ("spec", "template"), ("spec", "replicas")),
    "StatefulSet": ("apps/v1", ("spec", "template"), ("spec", "replicas")),
    "DaemonSet": ("apps/v1", ("spec", "template"), None),
    "ReplicaSet": ("apps/v1", ("spec", "template"), ("spec", "replicas")),
    "ReplicationController": ("v1", ("spec", "template"), ("spec", "replicas")),
    "Job": ("batch/v1", ("spec", "template"), ("spec", "parallelism")),
    "CronJob": (
        "batch/v1",
        ("spec", "jobTemplate", "spec", "template"),
        ("spec", "jobTemplate", "spec", "parallelism"),
    ),
}


@dataclass(frozen=True)
class Pod:
    """A pod (or a workload standing for its pods) of a test world.

    ``ports`` entries are ``"TCP/80"`` (unnamed) or ``"http=TCP/8080"`` (named container port).
    """

    id: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: Sequence[str] = ()
    ip: str | None = None
    kind: str = "Pod"
    replicas: int = 1

    @property
    def namespace(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split("/", 1)[1]

    def manifest(self) -> dict[str, Any]:
        return pod_manifest(
            self.namespace, self.name, self.labels, self.ports, ip=self.ip, kind=self.kind, replicas=self.replicas
        )


def _container_ports(ports: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for spec in ports:
        name, _, rest = spec.rpartition("=")
        protocol, _, number = rest.partition("/")
        entry: dict[str, Any] = {"containerPort": int(number), "protocol": protocol}
        if name:
            entry["name"] = name
        out.append(entry)
    return out


def pod_manifest(
    namespace: str,
    name: str,
    labels: Mapping[str, str] | None = None,
    ports: Sequence[str] = (),
    *,
    ip: str | None = None,
    kind: str = "Pod",
    replicas: int = 1,
) -> dict[str, Any]:
    """A Pod or workload manifest as ``kubectl get -o json`` prints it (only the fields netpolkit reads)."""
    api_version, template_path, count_path = _WORKLOADS[kind]
    pod: dict[str, Any] = {
        "metadata": {"labels": dict(labels or {})},
        "spec": {"containers": [{"name": "main", "image": "example/app:1", "ports": _container_ports(ports)}]},
    }
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}}
    if not template_path:
        obj["metadata"]["labels"] = pod["metadata"]["labels"]
        obj["spec"] = pod["spec"]
        if ip is not None:
            obj["status"] = {"podIP": ip}
        return obj
    node = obj
    for key in template_path[:-1]:
        node = node.setdefault(key, {})
    node[template_path[-1]] = pod
    if count_path is not None:
        node = obj
        for key in count_path[:-1]:
            node = node.setdefault(key, {})
        node[count_path[-1]] = replicas
    return obj


def namespace_manifest(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels or {})}}


def policy_objects(text: str) -> list[dict[str, Any]]:
    """The documents of a YAML string; documents without apiVersion/kind become NetworkPolicies."""
    docs = [d for d in yaml.safe_load_all(textwrap.dedent(text)) if d is not None]
    for doc in docs:
        doc.setdefault("apiVersion", "networking.k8s.io/v1")
        doc.setdefault("kind", "NetworkPolicy")
    return docs


@dataclass(frozen=True)
class World:
    """Namespaces (name -> labels), pods and external endpoints (name -> IP)."""

    namespaces: Mapping[str, Mapping[str, str]]
    pods: Sequence[Pod]
    externals: Mapping[str, str] = field(default_factory=dict)

    def objects(self) -> list[dict[str, Any]]:
        return [namespace_manifest(n, labels) for n, labels in self.namespaces.items()] + [
            p.manifest() for p in self.pods
        ]


@dataclass(frozen=True)
class Case:
    """One conformance case: a world, policies (YAML), expected verdicts, the profiles it holds for."""

    id: str
    world: World
    policies: str
    expect: Sequence[Verdict]
    profiles: Sequence[str] = PROFILES
    replicas: str = "one"
    bug: str | None = None  # a known netpolkit bug: the case is marked xfail(strict=True) with this reason

    def cluster(self) -> npk.Cluster:
        objects = self.world.objects() + policy_objects(self.policies)
        return npk.Cluster.from_objects(objects, externals=dict(self.world.externals), replicas=self.replicas)

    @property
    def ports(self) -> list[str]:
        return list(dict.fromkeys(port for _, _, port, _ in self.expect))

    def reachability(self, engine: str, profile: str) -> npk.Reachability:
        return npk.reachability(self.cluster(), ports=self.ports, profile=profile, engine=engine)

    def mismatches(self, engine: str, profile: str) -> list[str]:
        """One line per expected verdict the engine gets wrong (with the explanation); empty when all agree."""
        reach = self.reachability(engine, profile)
        out = []
        for src, dst, port, expected in self.expect:
            got = reach.allowed(src, dst, port)
            if got != expected:
                why = textwrap.indent(str(reach.explain(src, dst, port)), "      ")
                out.append(f"{src} -> {dst} on {port}: expected {_word(expected)}, got {_word(got)}\n{why}")
        return out


def _word(allowed: bool) -> str:
    return "ALLOW" if allowed else "DENY"
