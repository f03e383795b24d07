"""netpolkit.fleet: a folder of exported clusters evaluated on a real Dask LocalCluster, row by row against
evaluating each cluster in-process; a scheduler address, an existing Client, the timeout, the command function,
the progress bar and the missing extra."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import json
import logging
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

import netpolkit as npk
from netpolkit import fleet
from netpolkit.fleet import COLUMNS, DIALECT_COLUMNS, discover_clusters, evaluate_cluster, evaluate_fleet, fleet_main
from netpolkit.synth import synthetic_cluster_objects

ROOT = Path(__file__).resolve().parents[1]
N_CLUSTERS = 20  # good exports; the fleet folder holds one broken export besides
BROKEN = "zz-broken"
FLEET_TIMEOUT = 120  # seconds: every fleet here is done in a few; a hang fails instead of blocking the suite

needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="needs netpolkit[dask]")


def _kubectl_list(objects: list[dict]) -> dict:
    """What ``kubectl get ... -A -o json`` prints: a v1 List."""
    return {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 small synthetic clusters (JSON and YAML exports, one a sub-folder of two exports), one broken export,
    and files that are not clusters (a README, a hidden file)."""
    root = tmp_path_factory.mktemp("fleet")
    for i in range(N_CLUSTERS):
        objects, _ = synthetic_cluster_objects(8 + 2 * i, 2 + i % 7, n_namespaces=1 + i % 3, seed=100 + i)
        name = f"cluster-{i:02d}"
        if i == 3:  # a sub-folder: namespaces in one export, everything else in another
            folder = root / name
            folder.mkdir()
            namespaces = [o for o in objects if o["kind"] == "Namespace"]
            rest = [o for o in objects if o["kind"] != "Namespace"]
            (folder / "namespaces.yaml").write_text(yaml.safe_dump(_kubectl_list(namespaces)), encoding="utf-8")
            (folder / "workloads.json").write_text(json.dumps(_kubectl_list(rest)), encoding="utf-8")
        elif i % 4 == 1:
            (root / f"{name}.yaml").write_text(yaml.safe_dump(_kubectl_list(objects)), encoding="utf-8")
        else:
            (root / f"{name}.json").write_text(json.dumps(_kubectl_list(objects), indent=1), encoding="utf-8")
    objects, _ = synthetic_cluster_objects(10, 3, seed=7)
    policy = next(o for o in objects if o["kind"] == "NetworkPolicy")
    policy["spec"]["podSelecter"] = policy["spec"].pop("podSelector")  # the typo strict parsing is for
    (root / f"{BROKEN}.json").write_text(json.dumps(_kubectl_list(objects)), encoding="utf-8")
    (root / "README.md").write_text("exports of every cluster, one file each\n", encoding="utf-8")
    (root / ".hidden.json").write_text("{not json", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[object]:
    """A LocalCluster started by the tests (2 worker processes, 1 thread each), shared by the address tests."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR
    ) as cluster:
        yield cluster


def _paths(fleet_dir: Path) -> dict[str, Path]:
    return {name: Path(path) for name, path in discover_clusters(fleet_dir).items()}


def _isolated_by_hand(cluster: npk.Cluster, direction: str) -> int:
    """Pods some NetworkPolicy of their namespace selects for ``direction`` (NetworkPolicy-only clusters)."""
    return sum(
        any(
            p.namespace == pod.namespace and direction in p.policy_types and p.pod_selector.matches(pod.labels)
            for p in cluster.policy_objects
        )
        for pod in cluster.pods.itertuples()
    )


def _expected_row(path: Path, ports: list[str] | None) -> dict:
    """One cluster evaluated in-process with the library's own API, not through netpolkit.fleet."""
    cluster = npk.load(path)
    reach = npk.reachability(cluster, ports=ports)
    summary = reach.summary()
    allowed, pairs = int(summary["allowed"].sum()), int(summary["pairs"].sum())
    return {
        "pods": len(cluster.pods),
        "namespaces": len(cluster.namespaces),
        "policies": len(cluster.policy_objects),
        "policies_NetworkPolicy": len(cluster.policy_objects),
        "ports": len(summary),
        "allowed": allowed,
        "pairs": pairs,
        "fraction": allowed / pairs,
        "isolated_ingress": _isolated_by_hand(cluster, "Ingress"),
        "isolated_egress": _isolated_by_hand(cluster, "Egress"),
        "warnings": 0,
    }


def _check_against_in_process(summary: pd.DataFrame, fleet_dir: Path, ports: list[str] | None) -> None:
    paths = _paths(fleet_dir)
    assert list(summary.columns) == list(COLUMNS)
    assert list(summary["name"]) == list(paths)  # discovery order, not completion order
    assert list(summary["path"]) == [str(p) for p in paths.values()]
    for row in summary.to_dict("records"):
        path = paths[row["name"]]
        # the same function in-process gives the same row (the worker read the absolute path)
        local = evaluate_cluster(path.absolute(), name=row["name"], ports=ports)
        for column in COLUMNS:
            if column not in ("path", "seconds"):
                assert (pd.isna(row[column]) and pd.isna(local[column])) or row[column] == local[column], column
        if row["name"] == BROKEN:
            assert "podSelecter" in row["error"] and f"{BROKEN}.json" in row["error"]
            assert "\n" not in row["error"]
            assert all(pd.isna(row[c]) for c in ("pods", "policies", "allowed", "pairs", "fraction"))
            continue
        assert row["error"] is None, row["error"]
        expected = _expected_row(path, ports)
        assert {k: row[k] for k in expected} == pytest.approx(expected), row["name"]
        assert all(row[c] == 0 for c in DIALECT_COLUMNS if c != "policies_NetworkPolicy")
        assert row["seconds"] >= 0


# ---- discovery ------------------------------------------------------------------------------------------------


def test_discover_clusters_lists_files_and_sub_folders(fleet_dir: Path) -> None:
    found = discover_clusters(fleet_dir)
    assert len(found) == N_CLUSTERS + 1
    assert list(found) == sorted(found)
    assert found["cluster-03"] == str(fleet_dir / "cluster-03")  # a sub-folder is one cluster
    assert found["cluster-01"] == str(fleet_dir / "cluster-01.yaml")
    assert "README" not in found and ".hidden" not in found
    assert discover_clusters([fleet_dir / "cluster-00.json", fleet_dir / "cluster-03"]) == {
        "cluster-00": str(fleet_dir / "cluster-00.json"),
        "cluster-03": str(fleet_dir / "cluster-03"),
    }
    assert discover_clusters({"prod": fleet_dir / "cluster-03"}) == {"prod": str(fleet_dir / "cluster-03")}


def test_discover_clusters_names_clashes_by_path_and_refuses_an_empty_fleet(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "prod.json").write_text("{}", encoding="utf-8")
    (tmp_path / "b" / "prod.json").write_text("{}", encoding="utf-8")
    found = discover_clusters([tmp_path / "a" / "prod.json", tmp_path / "b" / "prod.json"])
    first, second = str(tmp_path / "a" / "prod.json"), str(tmp_path / "b" / "prod.json")
    assert found == {"prod": first, second: second}  # the later one is named by its path
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no cluster in this fleet folder"):
        discover_clusters(tmp_path / "empty")
    with pytest.raises(ValueError, match="no cluster given"):
        discover_clusters([])
    assert discover_clusters([tmp_path / "a", tmp_path / "b"]) == {"a": str(tmp_path / "a"), "b": str(tmp_path / "b")}


# ---- one cluster, in-process ----------------------------------------------------------------------------------


def test_evaluate_cluster_reports_a_bad_export_in_its_row(tmp_path: Path) -> None:
    missing = evaluate_cluster(tmp_path / "nope.json")
    assert missing["name"] == "nope" and "no such file or folder" in missing["error"]
    (tmp_path / "noports.json").write_text(json.dumps(_kubectl_list([])), encoding="utf-8")
    row = evaluate_cluster(tmp_path / "noports.json")
    assert row["error"].startswith("ValueError: ") and "declares a container port" in row["error"]
    assert set(COLUMNS) <= set(row) and row["pods"] is None


def test_evaluate_cluster_counts_calico_policies_and_isolation(tmp_path: Path) -> None:
    folder = tmp_path / "calico"
    folder.mkdir()
    for step in ("00-baseline.yaml", "01-global-default-deny.yaml"):
        shutil.copy(ROOT / "manifests" / "calico" / step, folder / step)
    row = evaluate_cluster(folder, ports=["TCP/80", "UDP/53"], profile="calico", aggregate="namespace")
    assert row["error"] is None, row["error"]
    cluster = npk.load(folder)
    reach = npk.reachability(cluster, ports=["TCP/80", "UDP/53"], profile="calico")
    assert row["policies_Calico"] == row["policies"] == 1
    system = {"calico-system", "kube-public", "kube-system", "tigera-operator"}
    outside = int((~cluster.pods["namespace"].isin(system)).sum())
    assert 0 < outside < len(cluster.pods)
    assert row["isolated_ingress"] == row["isolated_egress"] == outside  # the global default deny's pods
    assert row["allowed"] == int(reach.summary()["allowed"].sum())
    expected = reach.aggregate(by="namespace")
    pd.testing.assert_frame_equal(row["aggregation"].drop(columns="cluster"), expected)
    assert set(row["aggregation"]["cluster"]) == {"calico"}


def test_evaluate_cluster_under_a_profile_that_does_not_enforce_the_dialect(tmp_path: Path) -> None:
    shutil.copy(ROOT / "manifests" / "calico" / "00-baseline.yaml", tmp_path / "00.yaml")
    shutil.copy(ROOT / "manifests" / "calico" / "01-global-default-deny.yaml", tmp_path / "01.yaml")
    strict = evaluate_cluster(tmp_path, ports=["TCP/80"], profile="upstream")
    assert "does not enforce Calico policies" in strict["error"]
    lenient = evaluate_cluster(tmp_path, ports=["TCP/80"], profile="upstream", unsupported="ignore")
    assert lenient["error"] is None and lenient["warnings"] == 1 and lenient["policies_Calico"] == 1
    assert lenient["isolated_ingress"] == 0  # the left-out policy isolates nothing


# ---- the fleet on Dask ----------------------------------------------------------------------------------------


@needs_dask
def test_fleet_on_a_local_dask_cluster_matches_in_process(fleet_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import distributed

    started: list[distributed.LocalCluster] = []

    class Recorded(distributed.LocalCluster):
        def __init__(self, **kwargs: object) -> None:
            started.append(self)
            self.options = kwargs
            super().__init__(**kwargs)

    monkeypatch.setattr(distributed, "LocalCluster", Recorded)
    summary = evaluate_fleet(fleet_dir, n_workers=2, timeout=FLEET_TIMEOUT, progress=False)
    assert isinstance(summary, pd.DataFrame)
    assert len(summary) == N_CLUSTERS + 1
    _check_against_in_process(summary, fleet_dir, None)
    (cluster,) = started
    assert cluster.options["n_workers"] == 2 and cluster.options["threads_per_worker"] == 1
    assert cluster.options["processes"] is True
    assert cluster.status.name == "closed"  # started for this fleet, closed after it


@needs_dask
def test_fleet_on_a_scheduler_address(fleet_dir: Path, dask_cluster) -> None:
    ports = ["TCP/80", "UDP/53", "TCP/8080"]
    stream = io.StringIO()
    result = evaluate_fleet(
        fleet_dir,
        ports=ports,
        scheduler=dask_cluster.scheduler_address,
        aggregate="namespace",
        timeout=FLEET_TIMEOUT,
        progress=True,
        progress_stream=stream,
    )
    summary, aggregation = result
    _check_against_in_process(summary, fleet_dir, ports)
    assert (summary.loc[summary["error"].isna(), "ports"] == 3).all()
    assert f"{N_CLUSTERS + 1}/{N_CLUSTERS + 1} clusters, 1 failed" in stream.getvalue()
    # the aggregation: every good cluster's reach.aggregate(by="namespace"), tagged with its name
    assert list(aggregation.columns) == ["cluster", "src", "dst", "protocol", "port", "allowed", "pairs", "fraction"]
    assert BROKEN not in set(aggregation["cluster"])
    path = _paths(fleet_dir)["cluster-05"]
    expected = npk.reachability(npk.load(path), ports=ports).aggregate(by="namespace")
    expected = expected.astype({"src": "str", "dst": "str"})  # categories differ per cluster: the fleet's are str
    got = aggregation[aggregation["cluster"] == "cluster-05"].drop(columns="cluster").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    assert dask_cluster.status.name == "running"  # the fleet closed its Client, not the cluster


@needs_dask
def test_fleet_uses_an_existing_client_and_leaves_it_open(fleet_dir: Path, dask_cluster) -> None:
    import distributed

    chosen = {name: path for name, path in _paths(fleet_dir).items() if name in ("cluster-00", "cluster-03", BROKEN)}
    with distributed.Client(dask_cluster, set_as_default=False) as client:
        first = evaluate_fleet(chosen, ports="TCP/80", scheduler=client, timeout=FLEET_TIMEOUT, progress=False)
        again = evaluate_fleet(chosen, ports="TCP/80", scheduler=client, timeout=FLEET_TIMEOUT, progress=False)
        assert client.status == "running"
    assert list(first["name"]) == list(chosen)
    assert first["error"].notna().tolist() == [False, False, True]
    pd.testing.assert_frame_equal(first.drop(columns="seconds"), again.drop(columns="seconds"))


@needs_dask
def test_fleet_timeout_cancels_what_is_not_done(tmp_path: Path, fleet_dir: Path, dask_cluster) -> None:
    import distributed

    fifo = tmp_path / "stuck.json"
    os.mkfifo(fifo)  # reading it blocks until someone opens it for writing
    clusters = {"fine": fleet_dir / "cluster-00.json", "stuck": fifo}
    with distributed.Client(dask_cluster, set_as_default=False) as client:
        client.run(importlib.import_module, "netpolkit.fleet")  # warm workers: the timeout is for the fleet
        try:
            summary = evaluate_fleet(clusters, scheduler=client, timeout=3, progress=False)
        finally:
            with contextlib.suppress(OSError):  # ENXIO: nobody reads it (the task never started)
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # let the blocked worker go: it reads nothing
    rows = summary.set_index("name")
    assert "not done within the fleet's timeout of 3 s" in rows.loc["stuck", "error"]
    assert rows.loc["fine", "error"] is None


@needs_dask
def test_fleet_refuses_bad_arguments_before_starting_dask(fleet_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        evaluate_fleet(fleet_dir, profile="weave")
    with pytest.raises(ValueError, match="unknown engine"):
        evaluate_fleet(fleet_dir, engine="fast")
    with pytest.raises(ValueError):
        evaluate_fleet(fleet_dir, ports=["TCP/http!"])
    with pytest.raises(ValueError, match="ports is empty"):
        evaluate_fleet(fleet_dir, ports=[])
    with pytest.raises(TypeError, match="scheduler must be"):
        evaluate_fleet({"one": fleet_dir / "cluster-00.json"}, scheduler=8786, progress=False)


# ---- the command function -------------------------------------------------------------------------------------


@needs_dask
def test_fleet_main_table_csv_and_json(fleet_dir: Path, dask_cluster) -> None:
    address = dask_cluster.scheduler_address
    out, err = io.StringIO(), io.StringIO()
    code = fleet_main([str(fleet_dir)], out=out, err=err, ports=["TCP/80"], scheduler=address, progress=False)
    assert code == 1  # one cluster failed; the others are all in the table
    text = out.getvalue()
    assert all(f"cluster-{i:02d}" in text for i in range(N_CLUSTERS))
    assert f"1 of {N_CLUSTERS + 1} clusters failed:\n  {BROKEN}: " in text and "podSelecter" in text
    assert err.getvalue() == ""

    good = [str(fleet_dir / "cluster-00.json"), str(fleet_dir / "cluster-03")]
    out = io.StringIO()
    assert fleet_main(good, out=out, ports=["TCP/80"], scheduler=address, output_format="csv", progress=False) == 0
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["name"] for r in rows] == ["cluster-00", "cluster-03"] and list(rows[0]) == list(COLUMNS)
    assert rows[0]["allowed"] == str(evaluate_cluster(good[0], ports=["TCP/80"])["allowed"])

    out = io.StringIO()
    assert fleet_main(good[:1], out=out, ports=["TCP/80"], scheduler=address, output_format="json") == 0
    (record,) = json.loads(out.getvalue())
    assert record["name"] == "cluster-00" and record["error"] is None and record["ports"] == 1


@needs_dask
def test_fleet_main_fails_in_one_line(fleet_dir: Path) -> None:
    import dask

    err = io.StringIO()
    assert fleet_main([str(fleet_dir)], out=io.StringIO(), err=err, ports=["TCP/http!"]) == 2
    assert err.getvalue().startswith("netpolkit: error: ") and err.getvalue().count("\n") == 1
    err = io.StringIO()
    assert fleet_main([str(fleet_dir)], out=io.StringIO(), err=err, output_format="xml") == 2
    assert "unknown format 'xml'" in err.getvalue()
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    err = io.StringIO()
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = fleet_main([str(fleet_dir)], out=io.StringIO(), err=err, scheduler=f"tcp://127.0.0.1:{port}")
    assert code == 2
    assert err.getvalue().startswith("netpolkit: error: ") and err.getvalue().count("\n") == 1


# ---- progress -------------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_when_someone_watches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert fleet._wants_progress(None, _Terminal())
    assert not fleet._wants_progress(None, io.StringIO())  # not a terminal (a file, a pipe)
    monkeypatch.setenv("CI", "true")
    assert not fleet._wants_progress(None, _Terminal())
    assert fleet._wants_progress(True, io.StringIO()) and not fleet._wants_progress(False, _Terminal())


def test_progress_bar_rewrites_one_line() -> None:
    stream = io.StringIO()
    bar = fleet._Bar(4, stream)
    bar.advance(failed=False)
    bar.advance(failed=True)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and "\n" not in text[:-1]
    assert "2/4 clusters, 1 failed" in text
    silent = fleet._Bar(4, None)
    silent.advance(failed=False)
    silent.close()


# ---- without the extra ----------------------------------------------------------------------------------------


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch, fleet_dir: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'netpolkit\[dask\]'"):
        evaluate_fleet(fleet_dir)
    err = io.StringIO()
    assert fleet_main([str(fleet_dir)], out=io.StringIO(), err=err) == 2
    assert err.getvalue() == (
        "netpolkit: error: evaluating a fleet in parallel needs Dask (dask[distributed]): "
        "pip install 'netpolkit[dask]'\n"
    )
    # in-process evaluation of one cluster needs no Dask
    assert evaluate_cluster(fleet_dir / "cluster-00.json")["error"] is None


def test_module_imports_without_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    spec = importlib.util.spec_from_file_location("netpolkit_fleet_without_dask", fleet.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)  # no ImportError at import time
    with pytest.raises(ImportError, match=r"netpolkit\[dask\]"):
        module._distributed()
