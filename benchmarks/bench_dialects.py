"""Benchmark (not a test): a mixed-dialect cluster, NetworkPolicy + ClusterNetworkPolicy + Cilium policies.

A synthetic cluster (``netpolkit.synth``, one NetworkPolicy per 5 pods) has every third NetworkPolicy rewritten as
a CiliumNetworkPolicy (podSelector -> endpointSelector, pod peers -> fromEndpoints/toEndpoints, ipBlocks ->
CIDR sets, ports -> toPorts; one in four also gets an ingressDeny from the dev namespaces) and gains cluster-admin
guardrails: per team an Admin-tier ClusterNetworkPolicy (Deny from dev, Pass from its own team) and a Baseline
default deny for the prod namespaces. Evaluated under profile "cilium", which enforces all three dialects.

Measured in this process: the build (manifests -> Cluster -> endpoint table), then evaluation plus the full pod
frame for one port (best of ``--repeat``, each run a new evaluation), and peak memory growth of the first one.
Before timing, the vectorized engine is checked against the reference engine on a small cluster made the same way.

    python benchmarks/bench_dialects.py [--pods 10000] [--policies 2000] [--port TCP/80] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from typing import Any

import numpy as np

import netpolkit as npk
from netpolkit.synth import ENVS, TEAMS, synthetic_cluster_objects


def cilium_peer(peer: dict[str, Any]) -> dict[str, Any] | None:
    """A NetworkPolicy peer as a Cilium rule's L3 part (None: no faithful Cilium form in this benchmark)."""
    if "ipBlock" in peer:
        return {
            "CIDRSet": [
                {
                    "cidr": peer["ipBlock"]["cidr"],
                    **({"except": peer["ipBlock"]["except"]} if peer["ipBlock"].get("except") else {}),
                }
            ]
        }
    if "namespaceSelector" in peer:
        return None
    return {"Endpoints": [peer.get("podSelector") or {}]}


def cilium_rule(rule: dict[str, Any], direction: str) -> list[dict[str, Any]] | None:
    prefix, peers_key = ("from", "from") if direction == "ingress" else ("to", "to")
    ports = [
        {
            "port": str(p["port"]),
            **({"endPort": p["endPort"]} if "endPort" in p else {}),
            "protocol": p.get("protocol", "TCP"),
        }
        for p in rule.get("ports") or ()
        if "port" in p
    ]
    out = []
    for peer in rule.get(peers_key) or [None]:
        entry: dict[str, Any] = {}
        if peer is None:
            entry[f"{prefix}Entities"] = ["all"]
        else:
            l3 = cilium_peer(peer)
            if l3 is None:
                return None
            entry.update({f"{prefix}{k}": v for k, v in l3.items()})
        if ports:
            entry["toPorts"] = [{"ports": ports}]
        out.append(entry)
    return out


def as_cilium(policy: dict[str, Any], deny: bool) -> dict[str, Any] | None:
    spec = policy["spec"]
    out: dict[str, Any] = {"endpointSelector": spec.get("podSelector") or {}}
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if spec.get("egress") else ["Ingress"])
    for direction in ("ingress", "egress"):
        if direction.capitalize() not in types:
            continue
        rules = []
        for rule in spec.get(direction) or ():
            converted = cilium_rule(rule, direction)
            if converted is None:
                return None
            rules.extend(converted)
        out[direction] = rules or [{}]  # an empty rule: default deny, as the NetworkPolicy's isolation
    if deny:
        dev = {
            "matchExpressions": [{"key": "k8s:io.cilium.k8s.namespace.labels.env", "operator": "In", "values": ["dev"]}]
        }
        out["ingressDeny"] = [{"fromEndpoints": [dev]}]
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumClusterwideNetworkPolicy" if deny else "CiliumNetworkPolicy",
        "metadata": {
            "name": f"cilium-{policy['metadata']['namespace']}-{policy['metadata']['name']}",
            **({} if deny else {"namespace": policy["metadata"]["namespace"]}),
        },
        "spec": out
        if not deny
        else {
            **out,
            "endpointSelector": {
                "matchLabels": {
                    **(out["endpointSelector"].get("matchLabels") or {}),
                    "k8s:io.kubernetes.pod.namespace": policy["metadata"]["namespace"],
                }
            },
        },
    }


def guardrails() -> list[dict[str, Any]]:
    """Per team an Admin Deny from dev and a Pass from its own team; per env but dev a Baseline default deny."""
    out = []
    for i, team in enumerate(TEAMS):
        out.append(
            {
                "apiVersion": "policy.networking.k8s.io/v1alpha2",
                "kind": "ClusterNetworkPolicy",
                "metadata": {"name": f"guard-{team}"},
                "spec": {
                    "tier": "Admin",
                    "priority": 10 + i,
                    "subject": {"namespaces": {"matchLabels": {"team": team, "env": "prod"}}},
                    "ingress": [
                        {"name": "no-dev", "action": "Deny", "from": [{"namespaces": {"matchLabels": {"env": "dev"}}}]},
                        {
                            "name": "team-decides",
                            "action": "Pass",
                            "from": [{"namespaces": {"matchLabels": {"team": team}}}],
                        },
                    ],
                },
            }
        )
    for i, env in enumerate(e for e in ENVS if e != "dev"):
        out.append(
            {
                "apiVersion": "policy.networking.k8s.io/v1alpha2",
                "kind": "ClusterNetworkPolicy",
                "metadata": {"name": f"baseline-{env}"},
                "spec": {
                    "tier": "Baseline",
                    "priority": 10 + i,
                    "subject": {"namespaces": {"matchLabels": {"env": env}}},
                    "ingress": [{"name": "default-deny", "action": "Deny", "from": [{"namespaces": {}}]}],
                },
            }
        )
    return out


def mixed_objects(pods: int, policies: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    objects, externals = synthetic_cluster_objects(pods, policies, seed=seed)
    out, seen = [], 0
    for obj in objects:
        if obj["kind"] == "NetworkPolicy":
            seen += 1
            if seen % 3 == 0:
                converted = as_cilium(obj, deny=seen % 12 == 0)
                if converted is not None:
                    out.append(converted)
                    continue
        out.append(obj)
    return out + guardrails(), externals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--policies", type=int, default=2_000)
    parser.add_argument("--port", default="TCP/80")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    small = npk.Cluster.from_objects(*mixed_objects(300, 60, args.seed))
    agree = all(
        np.array_equal(
            npk.reachability(small, ports=[port], profile="cilium", engine="vectorized").array(port),
            npk.reachability(small, ports=[port], profile="cilium", engine="reference").array(port),
        )
        for port in (args.port, "UDP/53")
    )

    objects, externals = mixed_objects(args.pods, args.policies, args.seed)
    started = time.perf_counter()
    cluster = npk.Cluster.from_objects(objects, externals)
    _ = cluster.table
    built = time.perf_counter() - started
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        frame = npk.reachability(cluster, ports=[args.port], profile="cilium").frame(args.port)
        times.append(time.perf_counter() - started)
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    kinds = cluster.policies["kind"].value_counts().to_dict()
    print(
        f"machine: {os.cpu_count()} cores; {args.pods:,} pods; policies: "
        + ", ".join(f"{n:,} {k}" for k, n in kinds.items())
    )
    print(
        f"build {built:.2f} s | evaluation + pod frame {min(times):.2f} s on {args.port} (best of {len(times)}) "
        f"| peak memory growth {peak_mb:.0f} MB | allowed share {frame.to_numpy().mean():.3f}"
    )
    print(f"vectorized == reference on the 300-pod version (TCP and UDP): {'yes' if agree else 'NO'}")


if __name__ == "__main__":
    main()
