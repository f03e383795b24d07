"""Benchmark (not a test): read a large Hubble recording and compare it with a synthetic cluster's prediction.

Writes ``--flows`` Hubble records (``hubble observe -o json`` lines) between random pods of a synthetic cluster
into a temporary file, then times :func:`netpolkit.read_flows` and :func:`netpolkit.compare_flows` (which explains
each distinct source, destination and port once) and prints the figures.

    python benchmarks/bench_flows.py [--pods 2000] [--policies 400] [--flows 100000] [--pairs 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

import netpolkit as npk
from netpolkit.synth import synthetic_cluster_objects


def hubble_line(src: tuple[str, str], dst: tuple[str, str], port: int, allowed: bool, n: int) -> str:
    """One ``hubble observe -o json`` line for src -> dst (namespace, pod) as the destination saw it."""
    flow = {
        "time": f"2026-11-30T10:{n // 60000 % 60:02d}:{n // 1000 % 60:02d}.{n % 1000:03d}000Z",
        "verdict": "FORWARDED" if allowed else "DROPPED",
        "IP": {"source": "10.0.0.1", "destination": "10.0.0.2", "ipVersion": "IPv4"},
        "l4": {"TCP": {"source_port": 40000 + n % 20000, "destination_port": port}},
        "source": {"namespace": src[0], "pod_name": src[1], "labels": [f"k8s:io.kubernetes.pod.namespace={src[0]}"]},
        "destination": {"namespace": dst[0], "pod_name": dst[1], "labels": []},
        "Type": "L3_L4",
        "traffic_direction": "INGRESS",
        "is_reply": False,
    }
    if not allowed:
        flow["drop_reason_desc"] = "POLICY_DENIED"
    return json.dumps({"flow": flow, "node_name": "node-1", "time": flow["time"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--policies", type=int, default=400)
    parser.add_argument("--flows", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=2000, help="distinct (source, destination) pairs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    objects, externals = synthetic_cluster_objects(args.pods, args.policies, seed=args.seed)
    cluster = npk.Cluster.from_objects(objects, externals)
    reach = npk.reachability(cluster, ports=["TCP/80"])
    pods = [tuple(i.split("/", 1)) for i in cluster.pods.index]
    rng = random.Random(args.seed)
    pairs = [(rng.choice(pods), rng.choice(pods)) for _ in range(args.pairs)]
    with tempfile.TemporaryDirectory(prefix="netpolkit-bench-") as folder:
        path = Path(folder) / "flows.json"
        with path.open("w") as out:
            for n in range(args.flows):
                src, dst = pairs[n % len(pairs)]
                out.write(hubble_line(src, dst, 80, rng.random() < 0.5, n) + "\n")
        size = path.stat().st_size
        started = time.perf_counter()
        flows = npk.read_flows(path)
        read_s = time.perf_counter() - started
    started = time.perf_counter()
    comparison = npk.compare_flows(reach, flows)
    compare_s = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"cluster: {len(cluster.pods)} pods, {len(cluster.policies)} policies")
    print(f"flows: {len(flows)} records ({size / 1024**2:.1f} MiB), {args.pairs} distinct pairs")
    print(f"read_flows: {read_s:.2f} s ({len(flows) / read_s:,.0f} records/s)")
    print(f"compare_flows: {compare_s:.2f} s; disagreements: {int((~comparison['agree'].fillna(True)).sum())}")
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
