"""A five-pod shop for the examples of :mod:`netpolkit.analysis` (every docstring runs on it)."""

from __future__ import annotations

from typing import Any

from netpolkit.cluster import Cluster

__all__ = ["demo_cluster"]


def _pod(namespace: str, name: str, labels: dict[str, str], ip: str, ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "example/app:1", "ports": ports}]},
        "status": {"podIP": ip},
    }


def _policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": spec,
    }


def demo_cluster(*, calico: bool = False) -> Cluster:
    """A small shop with the usual mistakes: ``shop/web``, ``shop/api``, ``shop/db`` behind a default deny, an
    unprotected ``ops/monitor`` and ``kube-system/coredns``, the external endpoint ``internet``.

    Policies (namespace ``shop``): ``default-deny`` (ingress and egress, no DNS rule), ``web-ingress`` (the named
    port ``http`` from ``0.0.0.0/0``, which matches pod IPs too), ``web-from-ops`` (port 80: the Service's port,
    not the pod's 8080), ``db-from-api`` and ``api-to-db`` (TCP/5432), ``db-from-backup`` (a peer no pod
    matches) and ``cart`` (selects no pod). ``calico=True`` adds the GlobalNetworkPolicy ``guard`` (evaluate it
    with ``profile="calico"``): a Deny from namespace ``ops`` before an Allow from ``app == 'monitor'`` that it
    shadows.

    >>> demo_cluster()
    <Cluster: 3 namespaces, 5 pods, 1 external, 7 policies>
    """
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in ("shop", "ops", "kube-system")
    ]
    objects += [
        _pod("shop", "web", {"app": "web"}, "10.0.1.10", [{"name": "http", "containerPort": 8080}]),
        _pod("shop", "api", {"app": "api"}, "10.0.1.11", [{"containerPort": 9000}]),
        _pod("shop", "db", {"app": "db"}, "10.0.1.12", [{"containerPort": 5432}]),
        _pod("ops", "monitor", {"app": "monitor"}, "10.0.2.10", []),
        _pod(
            "kube-system",
            "coredns",
            {"k8s-app": "kube-dns"},
            "10.0.3.10",
            [
                {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
            ],
        ),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
        },
    ]
    app = {"podSelector": {"matchLabels": {"app": "api"}}}
    objects += [
        _policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _policy(
            "web-ingress",
            {
                "podSelector": {"matchLabels": {"app": "web"}},
                "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "http"}]}],
            },
        ),
        _policy(
            "web-from-ops",
            {
                "podSelector": {"matchLabels": {"app": "web"}},
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ops"}}}],
                        "ports": [{"port": 80}],
                    }
                ],
            },
        ),
        _policy(
            "db-from-api",
            {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"from": [app], "ports": [{"port": 5432}]}]},
        ),
        _policy(
            "api-to-db",
            {
                "podSelector": {"matchLabels": {"app": "api"}},
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": 5432}]}],
            },
        ),
        _policy(
            "db-from-backup",
            {
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "backup"}}}]}],
            },
        ),
        _policy(
            "cart", {"podSelector": {"matchLabels": {"app": "cart"}}, "ingress": [{"from": [{"podSelector": {}}]}]}
        ),
    ]
    if calico:
        objects.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "GlobalNetworkPolicy",
                "metadata": {"name": "guard"},
                "spec": {
                    "order": 10,
                    "selector": "app == 'db'",
                    "types": ["Ingress"],
                    "ingress": [
                        {
                            "action": "Deny",
                            "protocol": "TCP",
                            "source": {"namespaceSelector": "projectcalico.org/name == 'ops'"},
                        },
                        {"action": "Allow", "protocol": "TCP", "source": {"selector": "app == 'monitor'"}},
                    ],
                },
            }
        )
    return Cluster.from_objects(objects, externals={"internet": "203.0.113.10"})
