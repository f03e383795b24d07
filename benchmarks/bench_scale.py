"""Benchmark (not a test): how load and evaluation grow with pods and with policies.

Each row runs in a fresh Python process: a synthetic cluster (``netpolkit.synth``) is written as a
``kubectl get -A -o json`` export to a temporary file, loaded back (``load s``: reading, parsing, the endpoint
table), then evaluated on one port (``eval s``: ``reachability()``) and aggregated by namespace (``agg s``).
``peak GB`` is the process's peak resident memory (``ru_maxrss``), the synthetic manifests included; ``blocks``
how many blocks of endpoints the evaluation took under the memory budget (``--budget``, default: netpolkit's,
see ``netpolkit.engine.budget``).

Two shapes: ``realistic`` (workloads of about five replicas that share their labels) and ``unique`` (one pod per
workload: pods share no labels). Sizes by pods (policies = pods / 5) and by policies at 10,000 pods.

    python benchmarks/bench_scale.py               # the whole table (several minutes on 2 cores)
    python benchmarks/bench_scale.py --quick       # 1k and 10k pods only
    python benchmarks/bench_scale.py --shape unique --pods 50000 100000 --budget 2GB
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

BY_PODS = (1_000, 10_000, 50_000, 100_000)
BY_POLICIES = (100, 1_000, 5_000, 20_000)


def worker(pods: int, policies: int, shape: str, budget: str | None = None) -> dict:
    import resource
    import time

    import netpolkit as npk
    from netpolkit.synth import synthetic_cluster_objects

    objects, externals = synthetic_cluster_objects(
        pods, policies, n_namespaces=max(1, pods // 50), replicas_per_workload=1 if shape == "unique" else 5
    )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "export.json")
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, out)
        del objects
        started = time.perf_counter()
        cluster = npk.load(path, externals=externals)
        _ = cluster.table
        loaded = time.perf_counter() - started
    started = time.perf_counter()
    reach = npk.reachability(cluster, ports=["TCP/80"], memory_budget=budget)
    evaluated = time.perf_counter() - started
    started = time.perf_counter()
    reach.aggregate(by="namespace", port="TCP/80")
    aggregated = time.perf_counter() - started
    verdict = reach._results[next(iter(reach._results))].verdict
    engine = reach._evaluator._atoms[0]
    return {
        "load": loaded,
        "eval": evaluated,
        "agg": aggregated,
        "classes": f"{verdict.shape[0]}x{verdict.shape[1]}",
        "blocks": -(-len(engine.table) // engine.endpoints_per_block(reach.memory_budget)),
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def measure(pods: int, policies: int, shape: str, timeout: float, budget: str | None = None) -> dict | str:
    code = (
        f"import json, sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); import bench_scale as b; "
        f"print(json.dumps(b.worker({pods}, {policies}, {shape!r}, {budget!r})))"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"over {timeout:.0f} s"
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or ["failed"])[-1][:60]
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 pods only")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per row")
    parser.add_argument("--budget", help="memory budget of the evaluation, e.g. 2GB (default: netpolkit's)")
    parser.add_argument("--shape", choices=("realistic", "unique"), action="append", help="only these shapes")
    parser.add_argument("--pods", type=int, nargs="+", help="only these sizes (policies = pods / 5)")
    args = parser.parse_args()
    by_pods = tuple(args.pods) if args.pods else BY_PODS[:2] if args.quick else BY_PODS
    by_policies = () if args.quick or args.pods or args.shape else BY_POLICIES
    rows = [(p, p // 5, shape) for shape in (args.shape or ("realistic", "unique")) for p in by_pods]
    rows += [(10_000, n, "realistic") for n in by_policies]
    print(f"memory budget: {args.budget or 'default'}")
    print(
        f"{'shape':>9} {'pods':>8} {'policies':>8} {'load s':>7} {'eval s':>7} {'agg s':>6} {'peak GB':>7} "
        f"{'blocks':>6}  classes"
    )
    for pods, policies, shape in rows:
        got = measure(pods, policies, shape, args.timeout, args.budget)
        if isinstance(got, str):
            print(f"{shape:>9} {pods:>8,} {policies:>8,}  {got}", flush=True)
            continue
        print(
            f"{shape:>9} {pods:>8,} {policies:>8,} {got['load']:>7.2f} {got['eval']:>7.2f} {got['agg']:>6.2f} "
            f"{got['peak']:>7.2f} {got['blocks']:>6}  {got['classes']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
