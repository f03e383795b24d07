"""Benchmark (not a test): how close ``netpolkit.load`` comes to the bare parser on a ``kubectl get -A`` export.

For each size, a synthetic cluster (``netpolkit.synth``, the shape of ``bench_scale.py``: workloads of five replicas,
one policy per five pods, fifty pods a namespace) is written to a temporary folder twice, as ``kubectl get -A -o
json`` prints it (one ``kind: List``, indented by 4) and as ``-o yaml`` prints it (block style, no aliases). Then, in
a fresh Python process per file, the best of ``--repeat`` runs of:

* ``parser s``: reading the file and the bare parser, as a script would call it (``json.loads``,
  ``yaml.load_all(..., Loader=yaml.CSafeLoader)``), the cyclic garbage collector running as usual;
* ``paused s``: the same with the collector paused (what netpolkit does while it loads, see ``netpolkit.runtime``);
* ``load s``: ``netpolkit.load(path)``: reading, strict decoding (duplicate keys, limits), validating every object;
* ``+table s``: ``load`` and the endpoint table the evaluators need (``cluster.table``), as ``bench_scale.py``
  counts a load;
* ``ratio``: ``+table s / parser s``, and ``ratio*``: ``+table s / paused s``.

    python benchmarks/bench_load.py                 # 10,000 and 50,000 pods (about two minutes on 2 cores)
    python benchmarks/bench_load.py --with-100k     # and 100,000 pods
    python benchmarks/bench_load.py --pods 2000     # other sizes
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

SIZES = (10_000, 50_000)


def write_export(folder: str, pods: int) -> tuple[str, str]:
    """Write the synthetic export of ``pods`` pods as JSON and YAML; return both paths."""
    import yaml

    from netpolkit.synth import synthetic_cluster_objects

    objects, _ = synthetic_cluster_objects(pods, pods // 5, n_namespaces=max(1, pods // 50), replicas_per_workload=5)
    export = {"apiVersion": "v1", "kind": "List", "items": objects, "metadata": {"resourceVersion": ""}}
    json_path = os.path.join(folder, f"export-{pods}.json")
    with open(json_path, "w", encoding="utf-8") as out:
        json.dump(export, out, indent=4)

    class NoAliases(yaml.CSafeDumper):
        """kubectl never writes anchors and aliases, even where two fields hold equal values."""

        def ignore_aliases(self, data: object) -> bool:
            return True

    yaml_path = os.path.join(folder, f"export-{pods}.yaml")
    with open(yaml_path, "w", encoding="utf-8") as out:
        yaml.dump(export, out, Dumper=NoAliases, sort_keys=False, default_flow_style=False)
    return json_path, yaml_path


def worker(path: str, repeat: int) -> dict:
    """Best-of-``repeat`` seconds of the bare parser (collector running, and paused) and of netpolkit.load."""
    import gc
    import time
    from pathlib import Path

    import yaml

    import netpolkit as npk

    def parse() -> object:
        text = Path(path).read_text(encoding="utf-8")
        if path.endswith(".json"):
            return json.loads(text)
        return list(yaml.load_all(text, Loader=yaml.CSafeLoader))

    def best(run, paused: bool = False) -> float:  # type: ignore[no-untyped-def]
        times = []
        for _ in range(repeat):
            gc.collect()
            if paused:
                gc.disable()
            started = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - started)
            gc.enable()
            del result
        return min(times)

    def load_and_table() -> object:
        cluster = npk.load(path)
        _ = cluster.table
        return cluster

    return {
        "parser": best(parse),
        "paused": best(parse, paused=True),
        "load": best(lambda: npk.load(path)),
        "table": best(load_and_table),
    }


def measure(path: str, repeat: int, timeout: float) -> dict | str:
    code = (
        f"import json, sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
        f"import bench_load as b; print(json.dumps(b.worker({path!r}, {repeat})))"
    )
    env = {**os.environ, "NETPOLKIT_PROGRESS": "0"}
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"over {timeout:.0f} s"
    if done.returncode != 0:
        return (done.stderr.strip().splitlines() or ["failed"])[-1][:80]
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=list(SIZES), help="sizes in pods (policies = pods/5)")
    parser.add_argument("--with-100k", action="store_true", help="add 100,000 pods")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is shown")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per file")
    args = parser.parse_args()
    sizes = [*args.pods, *([100_000] if args.with_100k else [])]
    print(
        f"{'format':>6} {'pods':>8} {'policies':>8} {'MB':>6} {'parser s':>8} {'paused s':>8} {'load s':>7} "
        f"{'+table s':>8} {'ratio':>6} {'ratio*':>6}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        for pods in sizes:
            for path in write_export(folder, pods):
                kind = path.rsplit(".", 1)[1]
                megabytes = os.path.getsize(path) / 1e6
                got = measure(path, args.repeat, args.timeout)
                head = f"{kind:>6} {pods:>8,} {pods // 5:>8,} {megabytes:>6.1f}"
                if isinstance(got, str):
                    print(f"{head}  {got}", flush=True)
                    continue
                print(
                    f"{head} {got['parser']:>8.2f} {got['paused']:>8.2f} {got['load']:>7.2f} {got['table']:>8.2f} "
                    f"{got['table'] / got['parser']:>6.2f} {got['table'] / got['paused']:>6.2f}",
                    flush=True,
                )
                os.remove(path)


if __name__ == "__main__":
    main()
