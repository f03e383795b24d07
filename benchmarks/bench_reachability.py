"""Scale benchmark: the reference and vectorized engines on synthetic clusters of 200, 1,000 and 10,000 pods.

For every (size, engine) a fresh Python process builds a synthetic cluster (``netpolkit.synth``, one
policy per 5 pods) and computes the full pod-level matrix for one port (``reach.frame(port)``, materialised
as a DataFrame). Measured per process:

* build s    -- synthetic manifests + ``Cluster.from_objects`` + the endpoint table the engines read;
* evaluate s -- ``reachability(...)`` and ``.frame(port)`` (vectorized: best of ``--repeat`` runs, each a
  new engine);
* peak MB    -- peak resident memory of the evaluation: ``getrusage(RUSAGE_SELF).ru_maxrss`` after the
  first evaluation minus the same value taken after imports and cluster construction, with the kernel's
  peak-RSS mark reset just before (``/proc/self/clear_refs``), so the build's own peak does not hide the
  evaluation's. Where the reset is not possible the column is marked ``*`` (then it only shows growth
  beyond the build's peak);
* agg s      -- ``reach.aggregate(by="namespace")`` on the vectorized result.

The reference engine is plain Python per pair: it runs only up to ``--reference-max-pods`` (default 1,000);
above, its time is estimated from the largest measured size as quadratic in the number of endpoints,
labelled ``est.``.

Usage::

    python benchmarks/bench_reachability.py                 # 200, 1,000, 10,000 pods
    python benchmarks/bench_reachability.py --quick         # 200 and 1,000 pods, reference at 200 only
    python benchmarks/bench_reachability.py --sizes 500,2000 --skip-reference
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (200, 1_000, 10_000)
PODS_PER_POLICY = 5


# ---- the worker: one measurement in a fresh process -------------------------------------------------


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False where not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def worker(pods: int, engine: str, port: str, profile: str, seed: int, repeat: int) -> dict[str, Any]:
    """Build the cluster, evaluate once for memory (and time), repeat for time; return the numbers."""
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import netpolkit as npk
    from netpolkit.synth import synthetic_cluster_objects

    policies = pods // PODS_PER_POLICY
    t0 = time.perf_counter()
    objects, externals = synthetic_cluster_objects(pods, policies, seed=seed)
    cluster = npk.Cluster.from_objects(objects, externals)
    _ = cluster.table
    build = time.perf_counter() - t0
    del objects
    gc.collect()

    reset = _reset_peak_rss()
    baseline = _maxrss_mb()
    t0 = time.perf_counter()
    reach = npk.reachability(cluster, ports=[port], profile=profile, engine=engine)
    frame = reach.frame(port)
    times = [time.perf_counter() - t0]
    peak = _maxrss_mb() - baseline

    matrix = frame.to_numpy()
    digest = hashlib.sha1(np.packbits(matrix).tobytes()).hexdigest()[:12]
    result = reach._results[npk.PortQuery.parse(port)]
    classes = list(result.verdict.shape) if engine == "vectorized" else None
    aggregate = None
    if engine == "vectorized":
        del frame, matrix
        for _ in range(repeat - 1):
            t0 = time.perf_counter()
            again = npk.reachability(cluster, ports=[port], profile=profile, engine=engine)
            again.frame(port)
            times.append(time.perf_counter() - t0)
            del again
        t0 = time.perf_counter()
        reach.aggregate(by="namespace")
        aggregate = time.perf_counter() - t0
    return {
        "pods": pods,
        "policies": policies,
        "engine": engine,
        "endpoints": len(cluster.table),
        "build_s": build,
        "evaluate_s": min(times),
        "runs": len(times),
        "peak_mb": peak,
        "peak_reset": reset,
        "rss_after_build_mb": baseline,
        "classes": classes,
        "aggregate_s": aggregate,
        "digest": digest,
        "allowed": float(reach.array(port).mean()),
    }


# ---- the driver -------------------------------------------------------------------------------------


def measure(pods: int, engine: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter."""
    spec = json.dumps(
        {
            "pods": pods,
            "engine": engine,
            "port": args.port,
            "profile": args.profile,
            "seed": args.seed,
            "repeat": args.repeat if engine == "vectorized" else 1,
        }
    )
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", spec],
        capture_output=True,
        text=True,
        timeout=args.timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {pods} pods / {engine} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    import numpy
    import pandas

    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return (
        f"machine: {cores} cores ({usable} usable), {platform.machine()}, {platform.system()} "
        f"{platform.release()}; python {platform.python_version()}, numpy {numpy.__version__}, "
        f"pandas {pandas.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=None, help="comma-separated pod counts (default: 200,1000,10000)")
    parser.add_argument("--skip-reference", action="store_true", help="time the vectorized engine only")
    parser.add_argument("--quick", action="store_true", help="200 and 1,000 pods; reference at 200 only")
    parser.add_argument(
        "--reference-max-pods",
        type=int,
        default=1_000,
        help="run the reference engine up to this many pods, estimate above (default 1000)",
    )
    parser.add_argument("--port", default="TCP/80")
    parser.add_argument("--profile", default="upstream")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="vectorized runs per size, best reported (default 3)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per measurement (default 3600)")
    parser.add_argument("--json", help="also write the raw measurements to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        spec = json.loads(args.worker)
        print(json.dumps(worker(**spec)))
        return 0

    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    else:
        sizes = [200, 1_000] if args.quick else list(DEFAULT_SIZES)
    if args.quick:
        args.reference_max_pods = min(args.reference_max_pods, 200)
        args.repeat = 1

    print(machine())
    print(
        f"port {args.port}, profile {args.profile}, seed {args.seed}, one policy per {PODS_PER_POLICY} pods, "
        f"every measurement in a fresh process",
        flush=True,
    )

    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    reference_known: dict[int, dict[str, Any]] = {}
    for pods in sizes:
        engines = ["vectorized"]
        if not args.skip_reference:
            if pods <= args.reference_max_pods:
                engines.insert(0, "reference")
            else:
                notes.append(
                    f"reference engine skipped at {pods:,} pods: it evaluates {pods + 2:,}^2 pairs one at a "
                    f"time in Python (above --reference-max-pods {args.reference_max_pods:,})"
                )
        for engine in engines:
            print(f"  measuring {pods:>6,} pods, {engine} ...", end=" ", flush=True)
            try:
                row = measure(pods, engine, args)
            except subprocess.TimeoutExpired:
                print(f"timed out after {args.timeout:.0f} s")
                notes.append(f"{engine} at {pods:,} pods timed out after {args.timeout:.0f} s")
                continue
            print(f"{row['evaluate_s']:.3f} s")
            rows.append(row)
            if engine == "reference":
                reference_known[pods] = row

    _print_table(rows, reference_known, args, notes)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


def _print_table(
    rows: list[dict[str, Any]],
    reference: dict[int, dict[str, Any]],
    args: argparse.Namespace,
    notes: list[str],
) -> None:
    header = (
        "pods",
        "policies",
        "engine",
        "build s",
        "evaluate s",
        "peak MB",
        "agg s",
        "classes",
        "speed-up",
    )
    lines = []
    biggest = max(reference) if reference else None
    for row in rows:
        pods = row["pods"]
        peak = f"{row['peak_mb']:.1f}" + ("" if row["peak_reset"] else "*")
        agg = f"{row['aggregate_s']:.3f}" if row["aggregate_s"] is not None else "-"
        classes = "x".join(str(c) for c in row["classes"]) if row["classes"] else "-"
        speedup = "-"
        if row["engine"] == "vectorized":
            if pods in reference:
                speedup = f"{reference[pods]['evaluate_s'] / row['evaluate_s']:,.0f}x"
                if reference[pods]["digest"] != row["digest"]:
                    notes.append(f"ENGINES DISAGREE at {pods:,} pods (matrix digests differ)")
            elif biggest is not None and not args.skip_reference:
                ref = reference[biggest]
                estimate = ref["evaluate_s"] * (row["endpoints"] / ref["endpoints"]) ** 2
                lines.append(
                    (
                        f"{pods:,}",
                        f"{row['policies']:,}",
                        "reference",
                        "-",
                        f"~{estimate:,.0f} (est.)",
                        "-",
                        "-",
                        "-",
                        "-",
                    )
                )
                speedup = f"~{estimate / row['evaluate_s']:,.0f}x (est.)"
                notes.append(
                    f"reference at {pods:,} pods is an ESTIMATE, not a measurement: "
                    f"{ref['evaluate_s']:.1f} s at {biggest:,} pods x ({row['endpoints']:,} / "
                    f"{ref['endpoints']:,} endpoints)^2"
                )
        lines.append(
            (
                f"{pods:,}",
                f"{row['policies']:,}",
                row["engine"],
                f"{row['build_s']:.2f}",
                f"{row['evaluate_s']:.3f}",
                peak,
                agg,
                classes,
                speedup,
            )
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)))
    print()
    agree = [p for p in reference if any(r["pods"] == p and r["engine"] == "vectorized" for r in rows)]
    if agree:
        same = all(
            reference[p]["digest"] == next(r["digest"] for r in rows if r["pods"] == p and r["engine"] == "vectorized")
            for p in agree
        )
        print(
            f"engines agree on the full matrix at {', '.join(f'{p:,}' for p in agree)} pods: {'yes' if same else 'NO'}"
        )
    print(
        "build s: synthetic manifests + Cluster.from_objects + endpoint table; evaluate s: reachability() + "
        f".frame({args.port!r}) (vectorized: best of {args.repeat}); peak MB: ru_maxrss growth over the "
        "post-build baseline during the first evaluation, peak mark reset first (* = reset impossible); "
        "classes: source x destination endpoint classes"
    )
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    sys.exit(main())
