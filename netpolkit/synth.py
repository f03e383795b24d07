"""Synthetic, realistic clusters for benchmarks, tests and demos.

:func:`synthetic_cluster_objects` returns manifests as plain dicts, shaped like ``kubectl get -o json``
output: Namespaces labelled with ``team``/``env``/``kubernetes.io/metadata.name``, Pods that come in replica
groups sharing a label set (``app``, ``tier``, ``version``, ``team``, ``pod-template-hash``), Services, and
NetworkPolicies of every shape in roughly the proportions real clusters have (default-deny per namespace,
allow within the namespace, DNS egress to kube-dns, allow from an app on a port, cross-namespace AND peers,
OR peers, ``namespaceSelector: {}``, ``matchExpressions`` with all four operators, ``ipBlock`` with
``except``, named ports, ``endPort`` ranges, policies with defaulted ``policyTypes``).

Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed``: the same arguments always give
the same objects. This module depends on nothing but the standard library and numpy (it never imports the
rest of netpolkit, except lazily inside :func:`synthetic_cluster`).
"""

from __future__ import annotations

import importlib
import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

__all__ = ["EXTERNAL_ENDPOINTS", "synthetic_cluster", "synthetic_cluster_objects"]

T = TypeVar("T")

TEAMS = ("payments", "checkout", "search", "identity", "catalog", "data", "platform", "growth")
ENVS = ("prod", "staging", "dev")
VERSIONS = ("v1", "v2", "v3", "canary")

# app -> (tier, container ports as (name or None, number, protocol)); "http" and "web" clash on purpose:
# the same port name stands for different numbers on different pods, as in real clusters.
APPS: dict[str, tuple[str, tuple[tuple[str | None, int, str], ...]]] = {
    "frontend": ("web", (("http", 80, "TCP"), ("https", 443, "TCP"))),
    "web": ("web", (("http", 80, "TCP"), (None, 8443, "TCP"))),
    "gateway": ("web", ((None, 80, "TCP"), ("admin", 8001, "TCP"))),
    "api": ("backend", (("http", 8080, "TCP"), ("metrics", 9090, "TCP"))),
    "auth": ("backend", (("http", 8080, "TCP"), ("grpc", 50051, "TCP"))),
    "cart": ("backend", (("http", 8080, "TCP"), ("metrics", 9090, "TCP"))),
    "orders": ("backend", (("grpc", 50051, "TCP"), ("metrics", 9090, "TCP"))),
    "search": ("backend", ((None, 8080, "TCP"), ("metrics", 9090, "TCP"))),
    "worker": ("backend", (("metrics", 9090, "TCP"),)),
    "postgres": ("data", (("postgres", 5432, "TCP"), ("metrics", 9187, "TCP"))),
    "redis": ("data", ((None, 6379, "TCP"),)),
    "kafka": ("data", (("broker", 9092, "TCP"), ("metrics", 9308, "TCP"))),
    "prometheus": ("ops", (("web", 9090, "TCP"),)),
    "statsd": ("ops", (("statsd", 8125, "UDP"), ("metrics", 9102, "TCP"))),
}
TIERS = ("web", "backend", "data", "ops")
DNS_PORTS = (("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP"))

EXTERNAL_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("internet", "203.0.113.10"),
    ("partner-api", "198.51.100.20"),
    ("onprem-db", "192.168.10.5"),
    ("metadata", "169.254.169.254"),
    ("saas-logging", "203.0.113.77"),
)
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
_HASH_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_NODE_BASE = int(ipaddress.IPv4Address("10.64.0.0"))
_SERVICE_BASE = int(ipaddress.IPv4Address("10.96.0.0"))
_PODS_PER_NODE = 110


@dataclass
class _Workload:
    namespace: str
    name: str
    labels: dict[str, str]
    ports: tuple[tuple[str | None, int, str], ...]
    size: int
    app: str


@dataclass
class _Namespace:
    name: str
    team: str
    env: str
    workloads: list[_Workload] = field(default_factory=list)


class _Draw:
    """Small helpers around one numpy Generator (every choice goes through it, so output is per-seed)."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.rng.integers(len(items)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        k = min(k, len(items))
        return [items[int(i)] for i in self.rng.choice(len(items), size=k, replace=False)]

    def weighted(self, weights: dict[str, float]) -> str:
        keys = list(weights)
        p = np.array([weights[k] for k in keys], dtype=float)
        return keys[int(self.rng.choice(len(keys), p=p / p.sum()))]

    def token(self, n: int) -> str:
        return "".join(_HASH_CHARS[int(i)] for i in self.rng.integers(len(_HASH_CHARS), size=n))


def synthetic_cluster_objects(
    n_pods: int,
    n_policies: int,
    *,
    n_namespaces: int | None = None,
    seed: int = 0,
    replicas_per_workload: int = 5,
    externals: int = 2,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Manifests of a realistic synthetic cluster, and its external endpoints (name -> IP).

    ``n_pods`` Pods exactly (``kube-system`` holds two CoreDNS pods when ``n_pods >= 4``), spread over
    ``n_namespaces`` application namespaces (default: one per ~40 pods) plus ``kube-system``. Pods come in
    workloads of about ``replicas_per_workload`` replicas that share their labels; every pod has a unique
    ``status.podIP`` in its node's /24 inside 10.64.0.0/10. ``n_policies`` NetworkPolicies exactly, whose
    selectors overlap the way real ones do (a pod is typically selected by a default-deny, an app policy and
    a tier or monitoring policy). ``externals`` external endpoints (the internet, a partner API, ...).

    Returns ``(objects, externals)``, ready for ``Cluster.from_objects(objects, externals)``. Deterministic
    per ``seed``.
    """
    if n_pods < 0 or n_policies < 0 or externals < 0:
        raise ValueError("n_pods, n_policies and externals must be >= 0")
    if replicas_per_workload < 1:
        raise ValueError("replicas_per_workload must be >= 1")
    if n_namespaces is None:
        n_namespaces = max(1, round(n_pods / 40))
    if n_namespaces < 1:
        raise ValueError("n_namespaces must be >= 1")
    draw = _Draw(seed)
    namespaces = _namespaces(draw, n_namespaces)
    system = _Namespace("kube-system", "platform", "prod")
    _place_workloads(draw, system, namespaces, n_pods, replicas_per_workload)

    objects: list[dict[str, Any]] = [_namespace_object(system, {"control-plane": "true"})]
    objects += [_namespace_object(ns) for ns in namespaces]
    objects += _pod_objects(draw, [system, *namespaces], n_pods)
    objects += _service_objects([system, *namespaces])
    objects += _PolicyWriter(draw, system, namespaces).policies(n_policies)
    return objects, _externals(externals)


def synthetic_cluster(n_pods: int, n_policies: int, **kwargs: Any) -> Any:
    """``Cluster.from_objects(*synthetic_cluster_objects(n_pods, n_policies, **kwargs))``: a ready Cluster.

    The only place this module touches the rest of netpolkit, imported at call time (and by name, so that the
    import-linter contract "synth depends on nothing but the standard library and numpy" holds for the module).
    """
    cluster_class = importlib.import_module("netpolkit").Cluster
    objects, externals = synthetic_cluster_objects(n_pods, n_policies, **kwargs)
    return cluster_class.from_objects(objects, externals)


# ---- namespaces, workloads, pods ---------------------------------------------------------------------------


def _namespaces(draw: _Draw, count: int) -> list[_Namespace]:
    out, taken = [], {"kube-system"}
    for _ in range(count):
        team, env = draw.pick(TEAMS), draw.weighted({"prod": 3, "staging": 2, "dev": 2})
        name, k = f"{team}-{env}", 2
        while name in taken:
            name, k = f"{team}-{env}-{k}", k + 1
        taken.add(name)
        out.append(_Namespace(name, team, env))
    return out


def _place_workloads(draw: _Draw, system: _Namespace, namespaces: list[_Namespace], n_pods: int, replicas: int) -> None:
    """Create workloads until exactly ``n_pods`` pods exist (the last workload is cut to fit)."""
    left = n_pods
    if n_pods >= 4:
        hash_ = draw.token(10)
        labels = {"k8s-app": "kube-dns", "pod-template-hash": hash_}
        system.workloads.append(_Workload("kube-system", "coredns", labels, DNS_PORTS, 2, "coredns"))
        left -= 2
    stacks = {ns.name: draw.sample(list(APPS), int(draw.rng.integers(3, 8))) for ns in namespaces}
    weights = draw.rng.pareto(2.0, size=len(namespaces)) + 0.5  # a few namespaces are much bigger
    weights /= weights.sum()
    w = 0
    while left > 0:
        ns = namespaces[w] if w < len(namespaces) else namespaces[int(draw.rng.choice(len(namespaces), p=weights))]
        stack = stacks[ns.name]
        app = stack[len(ns.workloads) % len(stack)] if draw.chance(0.8) else draw.pick(list(APPS))
        tier, ports = APPS[app]
        size = min(left, int(draw.rng.integers(1, 2 * replicas)))
        name = app
        same = sum(1 for x in ns.workloads if x.app == app)
        labels = {"app": app, "tier": tier, "team": ns.team if draw.chance(0.92) else draw.pick(TEAMS)}
        if draw.chance(0.85):
            labels["version"] = "canary" if same and draw.chance(0.3) else VERSIONS[min(same, 2)]
        if same:
            name = f"{app}-{labels.get('version', 'alt')}-{same}"
        labels["pod-template-hash"] = draw.token(10)
        if draw.chance(0.25):  # some images drop a port name: named-port policies then miss them
            ports = tuple((None if n != "http" and draw.chance(0.5) else n, p, proto) for n, p, proto in ports)
        ns.workloads.append(_Workload(ns.name, name, labels, ports, size, app))
        left -= size
        w += 1


def _namespace_object(ns: _Namespace, extra: dict[str, str] | None = None) -> dict[str, Any]:
    labels = {"kubernetes.io/metadata.name": ns.name, "team": ns.team, "env": ns.env, **(extra or {})}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name, "labels": labels}}


def _pod_objects(draw: _Draw, namespaces: list[_Namespace], n_pods: int) -> list[dict[str, Any]]:
    n_nodes = max(1, math.ceil(n_pods / (_PODS_PER_NODE * 0.7)))
    used = [0] * n_nodes
    pods, names = [], set()
    for ns in namespaces:
        for wl in ns.workloads:
            owner = f"{wl.name}-{wl.labels['pod-template-hash']}"
            uid = f"{draw.token(8)}-{draw.token(4)}-{draw.token(4)}-{draw.token(4)}-{draw.token(12)}"
            ports = [{"containerPort": p, "protocol": proto, **({"name": n} if n else {})} for n, p, proto in wl.ports]
            for _ in range(wl.size):
                name = f"{owner}-{draw.token(5)}"
                while name in names:
                    name = f"{owner}-{draw.token(5)}"
                names.add(name)
                node = int(draw.rng.integers(n_nodes))
                while used[node] >= _PODS_PER_NODE:
                    node = (node + 1) % n_nodes
                used[node] += 1
                ip = ipaddress.IPv4Address(_NODE_BASE + node * 256 + 1 + used[node])
                pods.append(
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {
                            "name": name,
                            "namespace": ns.name,
                            "labels": dict(wl.labels),
                            "ownerReferences": [
                                {
                                    "apiVersion": "apps/v1",
                                    "kind": "ReplicaSet",
                                    "name": owner,
                                    "uid": uid,
                                    "controller": True,
                                    "blockOwnerDeletion": True,
                                },
                            ],
                        },
                        "spec": {
                            "containers": [{"name": wl.app, "image": f"registry.example/{wl.app}:1.0", "ports": ports}],
                            "nodeName": f"node-{node}",
                        },
                        "status": {"phase": "Running", "podIP": str(ip), "podIPs": [{"ip": str(ip)}]},
                    }
                )
    return pods


def _service_objects(namespaces: list[_Namespace]) -> list[dict[str, Any]]:
    services, k = [], 10
    for ns in namespaces:
        for wl in ns.workloads:
            if wl.name != wl.app or wl.app == "worker":
                continue  # one Service per app; workers serve nothing
            selector = {"k8s-app": "kube-dns"} if wl.app == "coredns" else {"app": wl.app}
            name = "kube-dns" if wl.app == "coredns" else wl.app
            ports = [
                {
                    "name": n or f"p{p}",
                    "port": 80 if n == "http" else p,
                    "targetPort": n or p,
                    "protocol": proto,
                }
                for n, p, proto in wl.ports
            ]
            services.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": name, "namespace": ns.name},
                    "spec": {
                        "type": "ClusterIP",
                        "clusterIP": str(ipaddress.IPv4Address(_SERVICE_BASE + k)),
                        "selector": selector,
                        "ports": ports,
                    },
                }
            )
            k += 1
    return services


def _externals(count: int) -> dict[str, str]:
    out = dict(EXTERNAL_ENDPOINTS[:count])
    for i in range(len(out), count):
        out[f"external-{i}"] = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("198.51.100.0")) + 30 + i))
    return out


# ---- policies ----------------------------------------------------------------------------------------------

# kind -> weight among the policies that are not per-namespace baselines
_KIND_WEIGHTS = {
    "allow-from-app": 26,
    "allow-from-namespace-app": 12,
    "or-peers": 8,
    "allow-monitoring": 8,
    "match-expressions": 10,
    "ingress-from-ipblock": 5,
    "egress-to-internet": 5,
    "egress-to-data": 8,
    "port-range": 6,
    "allow-all-ingress": 5,
    "lockdown": 3,
    "ingress-and-egress": 6,
}


def _labels_selector(labels: dict[str, str] | None = None, expressions: list[dict] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if labels:
        out["matchLabels"] = labels
    if expressions:
        out["matchExpressions"] = expressions
    return out


class _PolicyWriter:
    """Writes NetworkPolicies over the generated namespaces and workloads."""

    def __init__(self, draw: _Draw, system: _Namespace, namespaces: list[_Namespace]) -> None:
        self.draw = draw
        self.system = system
        self.namespaces = namespaces
        self.names: dict[str, int] = {}
        self.populated = [ns for ns in namespaces if ns.workloads] or namespaces

    def policies(self, count: int) -> list[dict[str, Any]]:
        """Exactly ``count`` policies: per-namespace baselines (at most ~45%), then weighted kinds."""
        baseline: list[dict[str, Any]] = []
        for ns in self.draw.sample(self.namespaces, len(self.namespaces)):
            group = []
            if self.draw.chance(0.8):
                group.append(self.default_deny(ns, "Ingress"))
                if self.draw.chance(0.5):
                    group.append(self.same_namespace(ns))
            if self.draw.chance(0.35):
                group += [self.default_deny(ns, "Egress"), self.dns_egress(ns)]
            baseline.append(group)
        out: list[dict[str, Any]] = []
        budget = int(count * 0.45)
        for group in baseline:
            if len(out) + len(group) > budget:
                break
            out += group
        while len(out) < count:
            ns = self.draw.pick(self.populated)
            out.append(getattr(self, self.draw.weighted(_KIND_WEIGHTS).replace("-", "_"))(ns))
        return out

    # ---- helpers -------------------------------------------------------------------------------------------

    def policy(self, ns: _Namespace, name: str, pod_selector: dict, types: list[str] | None, **rules: Any) -> dict:
        key = f"{ns.name}/{name}"
        self.names[key] = self.names.get(key, 0) + 1
        if self.names[key] > 1:
            name = f"{name}-{self.names[key]}"
        spec: dict[str, Any] = {"podSelector": pod_selector}
        if types is not None:
            spec["policyTypes"] = types
        spec.update({k: v for k, v in rules.items() if v is not None})
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns.name, "labels": {"team": ns.team}},
            "spec": spec,
        }

    def workload(self, ns: _Namespace) -> _Workload | None:
        return self.draw.pick(ns.workloads) if ns.workloads else None

    def app(self, ns: _Namespace) -> str:
        wl = self.workload(ns)
        return wl.app if wl is not None else self.draw.pick(list(APPS))

    def port_entry(self, app: str, *, allow_named: bool = True) -> dict[str, Any]:
        """One ``ports`` entry for a port ``app`` serves: numeric (protocol sometimes defaulted) or named."""
        name, number, protocol = self.draw.pick(APPS[app][1]) if app in APPS else self.draw.pick(DNS_PORTS)
        if name and allow_named and self.draw.chance(0.4):
            return (
                {"protocol": protocol, "port": name} if protocol != "TCP" or self.draw.chance(0.5) else {"port": name}
            )
        if protocol == "TCP" and self.draw.chance(0.5):
            return {"port": number}
        return {"protocol": protocol, "port": number}

    def other_namespace(self, ns: _Namespace) -> _Namespace:
        others = [o for o in self.populated if o is not ns]
        return self.draw.pick(others) if others else ns

    # ---- baselines -----------------------------------------------------------------------------------------

    def default_deny(self, ns: _Namespace, direction: str) -> dict:
        return self.policy(ns, f"default-deny-{direction.lower()}", {}, [direction])

    def same_namespace(self, ns: _Namespace) -> dict:
        """The most common companion of a default deny: pods of the namespace may talk to each other."""
        return self.policy(ns, "allow-same-namespace", {}, None, ingress=[{"from": [{"podSelector": {}}]}])

    def dns_egress(self, ns: _Namespace) -> dict:
        to = [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ]
        if self.draw.chance(0.3):
            ports = [{"protocol": "UDP", "port": "dns"}, {"protocol": "TCP", "port": "dns-tcp"}]
        else:
            ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
        return self.policy(ns, "allow-dns-egress", {}, ["Egress"], egress=[{"to": to, "ports": ports}])

    # ---- weighted kinds ------------------------------------------------------------------------------------

    def allow_from_app(self, ns: _Namespace) -> dict:
        target, source = self.app(ns), self.app(ns)
        rule: dict[str, Any] = {"from": [{"podSelector": {"matchLabels": {"app": source}}}]}
        if self.draw.chance(0.9):
            rule["ports"] = [self.port_entry(target)]
        types = ["Ingress"] if self.draw.chance(0.5) else None
        return self.policy(ns, f"allow-{source}-to-{target}", {"matchLabels": {"app": target}}, types, ingress=[rule])

    def allow_from_namespace_app(self, ns: _Namespace) -> dict:
        target = self.app(ns)
        other = self.other_namespace(ns)
        source = self.app(other)
        by = self.draw.weighted({"team": 2, "kubernetes.io/metadata.name": 2, "env": 1})
        value = {"team": other.team, "env": other.env, "kubernetes.io/metadata.name": other.name}[by]
        peer = {
            "namespaceSelector": {"matchLabels": {by: value}},
            "podSelector": {"matchLabels": {"app": source}},
        }
        rule = {"from": [peer], "ports": [self.port_entry(target)]}
        return self.policy(
            ns, f"allow-{other.team}-{source}", {"matchLabels": {"app": target}}, ["Ingress"], ingress=[rule]
        )

    def or_peers(self, ns: _Namespace) -> dict:
        tier = self.draw.pick(TIERS[1:])
        peers = [
            {"namespaceSelector": {"matchLabels": {"env": self.draw.pick(ENVS)}}},
            {"podSelector": {"matchLabels": {"tier": "web"}}},
        ]
        if self.draw.chance(0.4):
            peers.append({"podSelector": {"matchLabels": {"team": ns.team, "tier": "backend"}}})
        rule: dict[str, Any] = {"from": peers}
        if self.draw.chance(0.7):
            rule["ports"] = [{"port": 8080}, {"protocol": "TCP", "port": "http"}]
        return self.policy(ns, f"allow-{tier}-callers", {"matchLabels": {"tier": tier}}, None, ingress=[rule])

    def allow_monitoring(self, ns: _Namespace) -> dict:
        if self.draw.chance(0.5):
            peer = {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "prometheus"}}}
        else:
            peer = {"namespaceSelector": {}}
        port = {"port": "metrics"} if self.draw.chance(0.6) else {"protocol": "TCP", "port": 9090}
        selector = _labels_selector(expressions=[{"key": "app", "operator": "Exists"}]) if self.draw.chance(0.5) else {}
        return self.policy(
            ns, "allow-metrics-scrape", selector, ["Ingress"], ingress=[{"from": [peer], "ports": [port]}]
        )

    def match_expressions(self, ns: _Namespace) -> dict:
        selector = _labels_selector(
            {"team": ns.team} if self.draw.chance(0.3) else None,
            [
                {"key": "tier", "operator": "In", "values": self.draw.sample(["backend", "data", "web"], 2)},
                {"key": "version", "operator": "NotIn", "values": ["canary"]},
            ],
        )
        peers: list[dict[str, Any]] = [{"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}}]
        if self.draw.chance(0.6):
            peers.append(
                {
                    "namespaceSelector": {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]},
                    "podSelector": {
                        "matchExpressions": [
                            {"key": "version", "operator": "DoesNotExist"},
                            {"key": "tier", "operator": "In", "values": ["web", "backend"]},
                        ]
                    },
                }
            )
        rule: dict[str, Any] = {"from": peers}
        if self.draw.chance(0.5):
            rule["ports"] = [{"port": 8080}, {"port": 5432}]
        return self.policy(ns, "stable-backends", selector, ["Ingress"], ingress=[rule])

    def ingress_from_ipblock(self, ns: _Namespace) -> dict:
        if self.draw.chance(0.5):  # the internet, but none of the private ranges
            block = {"cidr": "0.0.0.0/0", "except": [*PRIVATE_RANGES, "169.254.169.254/32"]}
            name = "allow-internet"
        else:  # a load-balancer subnet that overlaps the first nodes' pod ranges, minus one node
            block = {"cidr": "10.64.0.0/20", "except": [f"10.64.{int(self.draw.rng.integers(4))}.0/24"]}
            name = "allow-lb-subnet"
        tier = "web" if self.draw.chance(0.7) else "backend"
        rule = {"from": [{"ipBlock": block}], "ports": [{"port": 80}, {"protocol": "TCP", "port": 443}]}
        return self.policy(ns, name, {"matchLabels": {"tier": tier}}, ["Ingress"], ingress=[rule])

    def egress_to_internet(self, ns: _Namespace) -> dict:
        if self.draw.chance(0.6):
            to = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}]
        else:
            to = [{"ipBlock": {"cidr": "203.0.113.0/24"}}, {"ipBlock": {"cidr": "198.51.100.16/28"}}]
        rule = {"to": to, "ports": [{"protocol": "TCP", "port": 443}]}
        return self.policy(
            ns,
            f"egress-{self.app(ns)}-internet",
            {"matchLabels": {"app": self.app(ns)}},
            ["Egress"],
            egress=[rule],
        )

    def egress_to_data(self, ns: _Namespace) -> dict:
        rules = [
            {
                "to": [{"podSelector": {"matchLabels": {"app": "postgres"}}}],
                "ports": [{"port": "postgres"} if self.draw.chance(0.4) else {"port": 5432}],
            }
        ]
        if self.draw.chance(0.5):
            rules.append({"to": [{"podSelector": {"matchLabels": {"app": "redis"}}}], "ports": [{"port": 6379}]})
        if self.draw.chance(0.3):
            rules.append({"to": [{"ipBlock": {"cidr": "192.168.10.0/24"}}], "ports": [{"port": 5432}]})
        return self.policy(ns, "backend-to-data", {"matchLabels": {"tier": "backend"}}, ["Egress"], egress=rules)

    def port_range(self, ns: _Namespace) -> dict:
        other = self.other_namespace(ns)
        start, end, protocol = self.draw.pick(
            [
                (8000, 8100, "TCP"),
                (9000, 9999, "TCP"),
                (8125, 8130, "UDP"),
                (30000, 32767, "TCP"),
                (80, 443, "TCP"),
            ]
        )
        port = (
            {"port": start, "endPort": end}
            if protocol == "TCP" and self.draw.chance(0.5)
            else {"protocol": protocol, "port": start, "endPort": end}
        )
        if self.draw.chance(0.7):
            rule = {"from": [{"namespaceSelector": {"matchLabels": {"team": other.team}}}], "ports": [port]}
            return self.policy(
                ns,
                "allow-team-port-range",
                {"matchLabels": {"tier": self.draw.pick(TIERS)}},
                ["Ingress"],
                ingress=[rule],
            )
        rule = {"to": [{"namespaceSelector": {"matchLabels": {"env": ns.env}}}], "ports": [port]}
        return self.policy(ns, "egress-port-range", {"matchLabels": {"app": self.app(ns)}}, ["Egress"], egress=[rule])

    def allow_all_ingress(self, ns: _Namespace) -> dict:
        app = "frontend" if self.draw.chance(0.5) else self.app(ns)
        return self.policy(ns, f"allow-all-to-{app}", {"matchLabels": {"app": app}}, ["Ingress"], ingress=[{}])

    def lockdown(self, ns: _Namespace) -> dict:
        selector = _labels_selector({"app": self.app(ns)}, [{"key": "version", "operator": "In", "values": ["canary"]}])
        return self.policy(ns, "quarantine-canary", selector, ["Ingress", "Egress"])

    def ingress_and_egress(self, ns: _Namespace) -> dict:
        app = self.app(ns)
        ingress = [{"from": [{"podSelector": {"matchLabels": {"tier": "web"}}}], "ports": [self.port_entry(app)]}]
        egress = [
            {"to": [{"podSelector": {"matchLabels": {"tier": "data"}}}]},
            {
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                "ports": [{"protocol": "UDP", "port": 53}],
            },
        ]
        # no policyTypes: the API server defaults them to Ingress + Egress because egress is not empty
        return self.policy(ns, f"{app}-traffic", {"matchLabels": {"app": app}}, None, ingress=ingress, egress=egress)
