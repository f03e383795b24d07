"""Benchmark (not a test): what-if latency, the explorer's toggle included. Goal: under 200 ms at 10,000 pods.

A synthetic cluster (``netpolkit.synth``, realistic replicas, one policy per five pods) is evaluated once on one
port (``cold``: endpoints, atoms, columns, plan and verdicts from nothing). Then each what-if makes a new cluster
and evaluates it: ``change`` (a policy replaced by ``Cluster.apply``), ``add`` (a new policy), ``remove``
(``Cluster.delete``). A cluster derived when only policies change shares the endpoint table and the engine cache,
so atoms and every column a policy had already cost are reused; only the plan and the verdicts are computed again.
``explorer toggle`` is ``ExplorerState.toggle_policy`` then ``state.reach`` on the current port (what the explorer
redraws from), for an explorer offering one port and one offering every declared port (the default; the other ports
are evaluated only when picked). Each figure is the median of ``--repeat`` runs; each
what-if builds on the same base cluster.

    python benchmarks/bench_whatif.py                 # 10,000 pods
    python benchmarks/bench_whatif.py --pods 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable

import netpolkit as npk
from netpolkit.synth import synthetic_cluster_objects
from netpolkit.widgets import ExplorerState

GOAL_S = 0.2


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``action()`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--port", default="TCP/80")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    objects, externals = synthetic_cluster_objects(args.pods, args.pods // 5)
    cluster = npk.Cluster.from_objects(objects, externals)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    target = next(p for p in policies if p["spec"].get("ingress"))
    changed = copy.deepcopy(target)
    changed["spec"]["ingress"].append({"from": [{"podSelector": {"matchLabels": {"app": "api"}}}]})
    added = copy.deepcopy(target)
    added["metadata"]["name"] = "bench-added"
    added["spec"] = {"podSelector": {"matchLabels": {"tier": "data"}}, "policyTypes": ["Ingress"], "ingress": []}
    namespace, name = target["metadata"]["namespace"], target["metadata"]["name"]

    started = time.perf_counter()
    base = npk.reachability(cluster, ports=[args.port])
    cold = time.perf_counter() - started
    atoms = len(base._evaluator._atoms[0].table)

    rows = [("cold evaluation", cold)]
    rows.append(
        (
            "change one policy",
            timed(lambda: npk.reachability(cluster.apply([changed]), ports=[args.port]), args.repeat),
        )
    )
    rows.append(
        ("add one policy", timed(lambda: npk.reachability(cluster.apply([added]), ports=[args.port]), args.repeat))
    )
    rows.append(
        (
            "remove one policy",
            timed(
                lambda: npk.reachability(cluster.delete("NetworkPolicy", namespace, name), ports=[args.port]),
                args.repeat,
            ),
        )
    )
    ref = f"NetworkPolicy {namespace}/{name}"
    for label, ports in (("1 port", [args.port]), ("every declared port offered", None)):
        state = ExplorerState.from_cluster(cluster, ports=ports)
        _ = state.reach  # the explorer's first drawing

        def toggle(state: ExplorerState = state) -> None:
            state._cache.clear()  # each toggle computes afresh, as the first time a policy is switched
            state.toggle_policy(ref, enabled=state.disabled != frozenset())
            _ = state.reach

        rows.append((f"explorer toggle, {label} ({len(state.ports)})", timed(toggle, args.repeat)))

    print(f"{args.pods:,} pods, {len(policies):,} policies, {atoms:,} atoms, port {args.port}")
    print(f"{'what-if':<40} {'ms':>8}  goal {GOAL_S * 1000:.0f} ms")
    for label, seconds in rows:
        mark = "" if label.startswith("cold") else ("  ok" if seconds < GOAL_S else "  over")
        print(f"{label:<40} {seconds * 1000:>8.1f}{mark}", flush=True)


if __name__ == "__main__":
    main()
