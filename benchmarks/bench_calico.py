"""Benchmark (not a test): Calico's ordered model on a synthetic cluster with mixed Calico and Kubernetes policies.

Every other Kubernetes NetworkPolicy of a synthetic cluster is rewritten as the Calico NetworkPolicy that means the
same (Allow rules; Calico runs Kubernetes policies the same way, at order 1000). So besides the time, the run checks
that the mixed cluster gives exactly the verdicts of the all-Kubernetes original under profile "calico".

    python benchmarks/bench_calico.py [--pods 10000] [--policies 2000] [--port TCP/80]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from typing import Any

import numpy as np

import netpolkit as npk
from netpolkit.synth import synthetic_cluster_objects


def calico_selector(selector: dict[str, Any]) -> str:
    """A Kubernetes label selector written in Calico's selector language."""
    terms = [f'{k} == "{v}"' for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        key, op, values = expr["key"], expr["operator"], ", ".join(f'"{v}"' for v in expr.get("values") or ())
        terms.append(
            {
                "In": f"{key} in {{{values}}}",
                "NotIn": f"{key} not in {{{values}}}",
                "Exists": f"has({key})",
                "DoesNotExist": f"!has({key})",
            }[op]
        )
    return " && ".join(terms) or "all()"


def calico_entity(peer: dict[str, Any]) -> dict[str, Any]:
    """A Kubernetes peer as a Calico source/destination."""
    if "ipBlock" in peer:
        entity = {"nets": [peer["ipBlock"]["cidr"]]}
        if peer["ipBlock"].get("except"):
            entity["notNets"] = list(peer["ipBlock"]["except"])
        return entity
    entity = {}
    if "podSelector" in peer:
        entity["selector"] = calico_selector(peer["podSelector"])
    if "namespaceSelector" in peer:
        entity["namespaceSelector"] = calico_selector(peer["namespaceSelector"])
    return entity


def calico_rules(rule: dict[str, Any], peer_key: str, peer_side: str) -> list[dict[str, Any]]:
    """One Kubernetes rule as Calico Allow rules: one per (peer, protocol)."""
    by_protocol: dict[str, list | None] = {}  # None: every port of that protocol
    for port in rule.get("ports") or ():
        protocol = port.get("protocol", "TCP")
        if "port" not in port:
            by_protocol[protocol] = None
        elif by_protocol.get(protocol, []) is not None:
            value = f"{port['port']}:{port['endPort']}" if "endPort" in port else port["port"]
            by_protocol.setdefault(protocol, []).append(value)
    protocols = list(by_protocol.items()) or [(None, None)]
    out = []
    for peer in rule.get(peer_key) or [None]:
        for protocol, ports in protocols:
            calico: dict[str, Any] = {"action": "Allow"}
            destination: dict[str, Any] = {}
            if peer is not None:
                entity = calico_entity(peer)
                if peer_side == "source":
                    calico["source"] = entity
                else:
                    destination.update(entity)
            if protocol is not None:
                calico["protocol"] = protocol
                if ports:
                    destination["ports"] = ports
            if destination:
                calico["destination"] = destination
            out.append(calico)
    return out


def as_calico(policy: dict[str, Any]) -> dict[str, Any]:
    """The Calico NetworkPolicy that means the same as a Kubernetes one."""
    spec = policy["spec"]
    egress = spec.get("egress") or []
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if egress else ["Ingress"])
    calico_spec = {
        "order": 1000,
        "selector": calico_selector(spec.get("podSelector") or {}),
        "types": types,
        "ingress": [r for rule in spec.get("ingress") or () for r in calico_rules(rule, "from", "source")],
        "egress": [r for rule in egress for r in calico_rules(rule, "to", "destination")],
    }
    return {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"calico-{policy['metadata']['name']}", "namespace": policy["metadata"]["namespace"]},
        "spec": calico_spec,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--policies", type=int, default=2_000)
    parser.add_argument("--port", default="TCP/80")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    objects, externals = synthetic_cluster_objects(args.pods, args.policies, seed=args.seed)
    mixed, seen = [], 0
    for obj in objects:
        if obj["kind"] == "NetworkPolicy":
            seen += 1
            if seen % 2 == 0:
                mixed.append(as_calico(obj))
                continue
        mixed.append(obj)
    started = time.perf_counter()
    cluster = npk.Cluster.from_objects(mixed, externals)
    _ = cluster.table
    built = time.perf_counter() - started
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    frame = npk.reachability(cluster, ports=[args.port], profile="calico").frame(args.port)
    evaluated = time.perf_counter() - started
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    kinds = (cluster.policies["api_version"] + " " + cluster.policies["kind"]).value_counts().to_dict()
    original = npk.reachability(npk.Cluster.from_objects(objects, externals), ports=[args.port], profile="calico")
    same = np.array_equal(frame.to_numpy(), original.array(args.port))
    print(
        f"machine: {os.cpu_count()} cores; {args.pods:,} pods; policies: "
        + ", ".join(f"{n:,} {k}" for k, n in kinds.items())
    )
    print(
        f"build {built:.2f} s | ordered evaluation + pod frame {evaluated:.2f} s on {args.port} "
        f"| peak memory growth {peak_mb:.0f} MB | allowed share {frame.to_numpy().mean():.3f}"
    )
    print(f"same verdicts as the all-Kubernetes original under profile calico: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
