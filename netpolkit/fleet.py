"""Many clusters at once: a folder of ``kubectl`` exports evaluated in parallel on Dask (``netpolkit[dask]``).

A *fleet folder* holds one entry per cluster: a file (``prod-eu.json``, ``kubectl get ... -A -o json`` or
``-o yaml``, several documents and ``kind: List`` allowed) or a sub-folder of such files (read recursively, like
:func:`netpolkit.load` reads a folder). :func:`evaluate_fleet` loads and evaluates every cluster in a Dask worker
(each task gets a path, never a Cluster, and returns a small dict) and returns one summary DataFrame, one row per
cluster. A cluster that fails to load or evaluate does not sink the fleet: its row holds the one-line ``error``.

>>> from netpolkit.fleet import evaluate_fleet
>>> summary = evaluate_fleet("exports/", ports=["TCP/80", "UDP/53"], profile="calico")  # doctest: +SKIP
>>> summary[summary["error"].isna()].sort_values("fraction")  # the most locked-down clusters first  # doctest: +SKIP

Where it runs: ``scheduler=None`` starts a local Dask cluster (worker processes, one thread each, as many as the
machine has cores and the fleet has clusters) and closes it afterwards; ``scheduler="tcp://host:8786"`` connects to
a running scheduler (its workers need netpolkit installed and the paths readable: the same machine or a shared
filesystem); an existing ``distributed.Client`` is used as it is and left open.

This is the only netpolkit module that imports Dask, and it does so lazily (:func:`_distributed`), so the rest of
netpolkit works without the extra installed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple, TextIO

import numpy as np
import pandas as pd

from netpolkit.cluster import Cluster
from netpolkit.engine import ENGINES, Evaluator, Profile, get_profile, unenforced
from netpolkit.engine.dialects import DIALECTS, dialect_class
from netpolkit.engine.plan import DIRECTIONS
from netpolkit.errors import PolicyError, elide
from netpolkit.io import load
from netpolkit.matrix import reachability
from netpolkit.model.fields import UNSUPPORTED_MODES
from netpolkit.model.ports import PortQuery

__all__ = [
    "COLUMNS",
    "FleetResult",
    "discover_clusters",
    "evaluate_cluster",
    "evaluate_fleet",
    "fleet_main",
]

_INSTALL_HINT = "pip install 'netpolkit[dask]'"
_SUFFIXES = (".yaml", ".yml", ".json")  # what netpolkit.load reads in a folder
_MAX_ERROR = 1000  # characters of a cluster's one-line error
PROG = "netpolkit"

DIALECT_COLUMNS: tuple[str, ...] = tuple(f"policies_{d.name}" for d in DIALECTS)
"""One column per policy dialect: ``policies_NetworkPolicy``, ``policies_Calico``, ..."""

COLUMNS: tuple[str, ...] = (
    "name",
    "path",
    "pods",
    "namespaces",
    "policies",
    *DIALECT_COLUMNS,
    "ports",
    "allowed",
    "pairs",
    "fraction",
    "isolated_ingress",
    "isolated_egress",
    "warnings",
    "error",
    "seconds",
)
"""The summary's columns, in order (see :func:`evaluate_fleet`)."""

_COUNTS = ("pods", "namespaces", "policies", *DIALECT_COLUMNS, "ports", "allowed", "pairs")
_COUNTS += ("isolated_ingress", "isolated_egress", "warnings")

PortLike = str | int | PortQuery


class FleetResult(NamedTuple):
    """:func:`evaluate_fleet` with ``aggregate=``: the summary, and the aggregation of every cluster."""

    summary: pd.DataFrame
    aggregation: pd.DataFrame


def _distributed() -> ModuleType:
    """The ``distributed`` package (Dask's scheduler and client), or ImportError naming the extra."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(f"evaluating a fleet in parallel needs Dask (dask[distributed]): {_INSTALL_HINT}") from exc
    return distributed


# ---- which clusters -------------------------------------------------------------------------------------------


def _entries(folder: Path) -> list[Path]:
    """A fleet folder's clusters: manifest files and sub-folders, hidden names left out, sorted by name."""
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise ValueError(f"{folder}: cannot list the fleet folder: {exc.strerror or exc}") from None
    out = []
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir() or (child.is_file() and child.suffix.lower() in _SUFFIXES):
            out.append(child)
    return out


def _name_of(path: Path) -> str:
    """A cluster's default name: its file without the suffix, or its folder."""
    return path.stem if path.suffix.lower() in _SUFFIXES else path.name


def discover_clusters(
    path_or_paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Mapping[str, str | os.PathLike[str]],
) -> dict[str, str]:
    """The clusters of a fleet, ``{name: path}``, in order.

    One folder is a fleet folder: each manifest file (``.yaml``/``.yml``/``.json``) and each sub-folder in it is
    one cluster (hidden names and other files, such as a README, are left out), in name order. One file is one
    cluster. Several paths (``exports/*`` as a shell expands it): each one is a cluster, a file or a folder of
    exports, in the order given. A mapping names the clusters itself. A cluster is named after its file without
    the suffix, or its folder; when two would get the same name, the later one is named by its whole path.
    """
    if isinstance(path_or_paths, Mapping):
        found = {str(name): os.fspath(path) for name, path in path_or_paths.items()}
        if not found:
            raise ValueError("no cluster given: the mapping is empty")
        return found
    paths = [path_or_paths] if isinstance(path_or_paths, str | os.PathLike) else list(path_or_paths)
    if not paths:
        raise ValueError("no cluster given: pass a fleet folder, export files or a {name: path} mapping")
    entries = [Path(os.fspath(p)) for p in paths]
    if len(entries) == 1 and entries[0].is_dir():
        folder = entries[0]
        entries = _entries(folder)
        if not entries:
            raise ValueError(f"{folder}: no cluster in this fleet folder (no .yaml/.yml/.json file or sub-folder)")
    # a path that does not exist is that cluster's error (in its row), not the fleet's
    found: dict[str, str] = {}
    for entry in entries:
        name = _name_of(entry)
        if name in found:
            name = str(entry)
        while name in found:
            name += "'"
        found[name] = str(entry)
    return found


# ---- one cluster (runs in a worker) ---------------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    """A cluster's error as one bounded line: a PolicyError as netpolkit writes it, anything else with its type."""
    text = str(exc) if isinstance(exc, PolicyError) else f"{type(exc).__name__}: {exc}"
    return elide(" ".join(text.split()), _MAX_ERROR)


def _failed(name: str, path: str, error: str, seconds: float | None = None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(name=name, path=path, error=error, seconds=seconds)
    return row


def _isolated_pods(cluster: Cluster, profile: Profile) -> tuple[int, int]:
    """How many pods the enforced policies isolate (default deny in some tier) for ingress, and for egress.

    Vectorized: one selector column per isolating policy, the same columns the engine builds.
    """
    left_out = {id(p) for p, _ in unenforced(cluster.policy_objects, profile)}
    policies = [p for p in cluster.policy_objects if id(p) not in left_out]
    pods = (cluster.endpoints["kind"] == "pod").to_numpy()
    if not policies:
        return 0, 0
    plan = Evaluator(cluster.table, policies, profile, cluster.tier_objects).plan
    counts = []
    for direction in DIRECTIONS:
        isolated = np.zeros(len(cluster.table), dtype=bool)
        for stage in plan.stages[direction]:
            if stage.end_deny:
                for dialect, policy in stage.members:
                    isolated |= dialect.isolated_column(policy, direction)
        counts.append(int((isolated & pods).sum()))
    return counts[0], counts[1]


def evaluate_cluster(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    ports: Iterable[PortLike] | PortLike | None = None,
    profile: str | Profile = "upstream",
    engine: str = "vectorized",
    unsupported: str = "error",
    externals: Mapping[str, str] | None = None,
    replicas: str = "one",
    aggregate: str | None = None,
) -> dict[str, Any]:
    """Load one cluster's export (a file or a folder) and evaluate it: its summary row as a dict (see
    :data:`COLUMNS`), and under ``"aggregation"`` its :meth:`~netpolkit.Reachability.aggregate` frame when
    ``aggregate`` names an endpoints column (e.g. ``"namespace"``).

    Never raises for a bad cluster: a failure to load or evaluate is the row's one-line ``error``. This is what
    each Dask task of :func:`evaluate_fleet` runs; it can be called directly, in-process.
    """
    path = os.fspath(path)
    name = name if name is not None else _name_of(Path(path))
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cluster = load(path, externals=externals, replicas=replicas, unsupported=unsupported)
            reach = reachability(cluster, ports=ports, profile=profile, engine=engine, unsupported=unsupported)
            totals = reach.summary()
            by_dialect = dict.fromkeys(DIALECT_COLUMNS, 0)
            for policy in cluster.policy_objects:
                by_dialect[f"policies_{dialect_class(policy).name}"] += 1
            ingress, egress = _isolated_pods(cluster, reach.profile)
            aggregation = None
            if aggregate is not None:
                aggregation = reach.aggregate(by=aggregate)
                aggregation.insert(0, "cluster", name)
        allowed, pairs = int(totals["allowed"].sum()), int(totals["pairs"].sum())
        python_warnings = [str(w.message) for w in caught]
        row: dict[str, Any] = {
            "name": name,
            "path": path,
            "pods": len(cluster.pods),
            "namespaces": len(cluster.namespaces),
            "policies": len(cluster.policy_objects),
            **by_dialect,
            "ports": len(reach.ports),
            "allowed": allowed,
            "pairs": pairs,
            "fraction": allowed / pairs if pairs else float("nan"),
            "isolated_ingress": ingress,
            "isolated_egress": egress,
            "warnings": len(dict.fromkeys((*reach.warnings, *python_warnings))),
            "error": None,
            "seconds": time.perf_counter() - start,
        }
    except Exception as exc:  # a bad export (or a bug on one cluster) must not sink the fleet
        return _failed(name, path, _one_line(exc), time.perf_counter() - start)
    if aggregation is not None:
        row["aggregation"] = aggregation
    return row


def _task(spec: dict[str, Any]) -> dict[str, Any]:
    """One Dask task: a cluster's path and options in, its row out."""
    options = dict(spec)
    return evaluate_cluster(options.pop("path"), **options)


# ---- the fleet ------------------------------------------------------------------------------------------------


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _in_notebook() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return getattr(shell, "kernel", None) is not None


def _wants_progress(progress: bool | None, stream: TextIO) -> bool:
    """An explicit choice, else: a bar when someone watches (a terminal or a notebook), never in CI."""
    if progress is not None:
        return progress
    if os.environ.get("CI"):
        return False
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or _in_notebook()


class _Bar:
    """A one-line text progress bar (``\\r``-rewritten: terminals and notebooks both show it in place)."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None) -> None:
        self.total, self.stream, self.start = total, stream, time.monotonic()
        self.done = self.failed = 0
        self.show()

    def advance(self, failed: bool) -> None:
        self.done += 1
        self.failed += failed
        self.show()

    def show(self) -> None:
        if self.stream is None:
            return
        filled = self.WIDTH * self.done // max(self.total, 1)
        line = f"\rfleet: [{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} clusters"
        line += f", {self.failed} failed" if self.failed else ""
        line += f" ({time.monotonic() - self.start:.0f} s)"
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(line)
            self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self.stream.write("\n")
                self.stream.flush()


@contextlib.contextmanager
def _client(dist: ModuleType, scheduler: Any, n_workers: int, local_cluster: Mapping[str, Any] | None) -> Iterator[Any]:
    """A Client for ``scheduler``: a new local cluster (closed after), an address (closed after), or as given."""
    if isinstance(scheduler, dist.Client):
        yield scheduler
        return
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            options = {
                "n_workers": n_workers,
                "threads_per_worker": 1,  # the engine holds the GIL for much of its work: processes, not threads
                "processes": True,
                "dashboard_address": "127.0.0.1:0",  # its HTTP server on a free local port (the dashboard with bokeh)
                "silence_logs": 40,  # logging.ERROR: worker chatter would mix with the progress bar
            }
            options.update(local_cluster or {})
            target = stack.enter_context(dist.LocalCluster(**options))
        elif isinstance(scheduler, str) or hasattr(scheduler, "scheduler_address"):  # an address, a Dask cluster
            target = scheduler
        else:
            raise TypeError(
                "scheduler must be None (a local Dask cluster), an address such as 'tcp://host:8786', a "
                f"distributed.Client or a Dask cluster object, got {type(scheduler).__name__}"
            )
        yield stack.enter_context(dist.Client(target, set_as_default=False))


def _frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: row.get(c) for c in COLUMNS} for row in rows], columns=list(COLUMNS))
    for column in _COUNTS:
        frame[column] = frame[column].astype("Int64")
    for column in ("fraction", "seconds"):
        frame[column] = frame[column].astype("float64")
    for column in ("name", "path"):
        frame[column] = frame[column].astype(object)
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    return frame


def evaluate_fleet(
    path_or_paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Mapping[str, str | os.PathLike[str]],
    *,
    ports: Iterable[PortLike] | PortLike | None = None,
    profile: str | Profile = "upstream",
    scheduler: Any = None,
    engine: str = "vectorized",
    unsupported: str = "error",
    externals: Mapping[str, str] | None = None,
    replicas: str = "one",
    aggregate: str | None = None,
    n_workers: int | None = None,
    local_cluster: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    progress: bool | None = None,
    progress_stream: TextIO | None = None,
) -> pd.DataFrame | FleetResult:
    """Evaluate every cluster of a fleet in parallel on Dask: one summary row per cluster, in discovery order.

    ``path_or_paths``: a fleet folder (each file or sub-folder in it a cluster), several clusters (each path a
    file or a folder of exports), or ``{name: path}`` (see :func:`discover_clusters`). ``ports``, ``profile``,
    ``engine``, ``unsupported``: as for :func:`netpolkit.reachability`, the same for every cluster
    (``ports=None``: each cluster's declared container ports). ``externals`` and ``replicas``: as for
    :func:`netpolkit.load`, for every cluster.

    Columns (:data:`COLUMNS`): ``name``, ``path``; ``pods``, ``namespaces``, ``policies`` and one
    ``policies_<dialect>`` count per dialect (``policies_NetworkPolicy``, ``policies_Calico``, ...); ``ports``
    evaluated; ``allowed`` pairs, all ``pairs`` (an endpoint with itself left out; summed over the ports, as in
    :meth:`Reachability.summary`) and their ``fraction``; ``isolated_ingress`` / ``isolated_egress``: pods that
    some enforced policy puts under default deny; ``warnings`` (what ``unsupported="ignore"`` left out, skipped
    kinds); ``error``: None, or the one line saying why that cluster could not be evaluated (its counts are then
    missing); ``seconds`` spent on it in the worker. Counts are nullable integers (``Int64``).

    ``aggregate``: an endpoints column (e.g. ``"namespace"``): then returns ``FleetResult(summary,
    aggregation)``, the aggregation being every cluster's :meth:`Reachability.aggregate` with a ``cluster``
    column first.

    ``scheduler``: None starts a local Dask cluster of ``n_workers`` worker processes (default: as many as the
    machine's cores, at most one per cluster), one thread each, closed afterwards (``local_cluster``: more
    ``LocalCluster`` keyword arguments, e.g. ``{"dashboard_address": ":8787"}``); a scheduler address
    (``"tcp://host:8786"``, whose workers must have netpolkit and read the paths) or a Dask cluster object gets
    a Client that is closed afterwards; a ``distributed.Client`` is used and left open. Paths are sent to the
    workers as absolute paths.

    ``timeout``: seconds for the whole fleet; clusters not done by then are cancelled and their ``error`` says
    so. ``progress``: a progress bar on ``progress_stream`` (default standard error); by default shown when the
    stream is a terminal or in a notebook, never when the ``CI`` environment variable is set.

    Raises ImportError (naming ``netpolkit[dask]``) when Dask is missing, ValueError for bad arguments or when
    no cluster is found, OSError when the scheduler cannot be reached.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of: {', '.join(ENGINES)}")
    if unsupported not in UNSUPPORTED_MODES:
        raise ValueError(f"unsupported must be one of {', '.join(map(repr, UNSUPPORTED_MODES))}, got {unsupported!r}")
    if n_workers is not None and n_workers < 1:
        raise ValueError(f"n_workers must be >= 1, got {n_workers}")
    get_profile(profile)  # an unknown profile is the caller's error, not every cluster's
    queries: list[str] | None = None
    if ports is not None:
        given = [ports] if isinstance(ports, str | int | PortQuery) else list(ports)
        queries = [str(q) for q in dict.fromkeys(PortQuery.parse(p) for p in given)]
        if not queries:
            raise ValueError("ports is empty: pass at least one port, or None for every declared port")
    clusters = discover_clusters(path_or_paths)
    dist = _distributed()
    options = {
        "ports": queries,
        "profile": profile,
        "engine": engine,
        "unsupported": unsupported,
        "externals": dict(externals) if externals is not None else None,
        "replicas": replicas,
        "aggregate": aggregate,
    }
    specs = {name: {"name": name, "path": str(Path(path).absolute()), **options} for name, path in clusters.items()}
    stream = progress_stream if progress_stream is not None else sys.stderr
    workers = n_workers or max(1, min(_cores(), len(specs)))
    rows: dict[str, dict[str, Any]] = {}
    with _client(dist, scheduler, workers, local_cluster) as client:
        # keys readable on the dashboard, unique per run (a reused Client must not hand back an earlier result)
        run = uuid.uuid4().hex[:8]
        futures = {
            client.submit(_task, spec, key=f"netpolkit-fleet-{run}-{i}-{name}", pure=False): name
            for i, (name, spec) in enumerate(specs.items())
        }
        bar = _Bar(len(futures), stream if _wants_progress(progress, stream) else None)
        try:
            for future in dist.as_completed(list(futures), loop=client.loop, timeout=timeout):
                name = futures[future]
                try:
                    rows[name] = future.result()
                except Exception as exc:  # the worker died (memory, a crash) or the task was cancelled
                    rows[name] = _failed(name, clusters[name], _one_line(exc))
                rows[name]["path"] = clusters[name]  # as given, not the absolute path the worker read
                bar.advance(rows[name]["error"] is not None)
        except TimeoutError:
            late = [f for f, name in futures.items() if name not in rows]
            client.cancel(late)
            for future in late:
                name = futures[future]
                rows[name] = _failed(name, clusters[name], f"not done within the fleet's timeout of {timeout} s")
        finally:
            bar.close()
    ordered = [rows[name] for name in specs]
    summary = _frame(ordered)
    if aggregate is None:
        return summary
    parts = [row["aggregation"] for row in ordered if row.get("aggregation") is not None]
    aggregation = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["cluster"])
    return FleetResult(summary, aggregation)


# ---- the command ----------------------------------------------------------------------------------------------

_TABLE_COLUMNS = ("name", "pods", "namespaces", "policies", "ports", "allowed", "pairs", "fraction")
_TABLE_COLUMNS += ("isolated_ingress", "isolated_egress", "warnings")
FORMATS = ("table", "csv", "json")


def _write_table(summary: pd.DataFrame, out: TextIO) -> None:
    shown = summary[list(_TABLE_COLUMNS)].copy()
    shown["fraction"] = [f"{x:.1%}" if pd.notna(x) else "-" for x in summary["fraction"]]
    shown = shown.astype(object).where(shown.notna(), "-")
    shown.loc[summary["error"].notna(), "pods"] = "FAILED"
    out.write(shown.to_string(index=False) + "\n")
    failed = summary[summary["error"].notna()]
    if len(failed):
        out.write(f"\n{len(failed)} of {len(summary)} {'cluster' if len(summary) == 1 else 'clusters'} failed:\n")
        for name, error in zip(failed["name"], failed["error"], strict=True):
            out.write(f"  {name}: {error}\n")


def _write_json(summary: pd.DataFrame, out: TextIO) -> None:
    out.write(summary.to_json(orient="records", indent=2) + "\n")


def fleet_main(
    paths: Sequence[str],
    *,
    out: TextIO,
    err: TextIO | None = None,
    ports: Sequence[PortLike] = (),
    profile: str | None = None,
    scheduler: str | None = None,
    externals: Mapping[str, str] | None = None,
    replicas: str = "one",
    ignore_unsupported: bool = False,
    output_format: str = "table",
    workers: int | None = None,
    timeout: float | None = None,
    progress: bool | None = None,
) -> int:
    """``netpolkit fleet PATH... [--scheduler ADDR] [--port PORT]... [--profile NAME] [--format table|csv|json]``,
    from values already parsed (``ports`` as parsed by the CLI's ``--port``, ``externals`` by ``--external``).

    Writes the summary to ``out`` (``table``: the counts, then one line per failed cluster; ``csv`` and ``json``:
    every column of :data:`COLUMNS`, one row/object per cluster) and the progress bar to ``err`` (default
    standard error). Returns the exit code: 0 every cluster was evaluated, 1 some cluster failed (its error is in
    the output), 2 nothing could be evaluated (Dask missing, the scheduler unreachable, a bad argument, no
    cluster found), with one ``netpolkit: error:`` line on ``err``.
    """
    err = err if err is not None else sys.stderr
    if output_format not in FORMATS:
        return _fail(f"unknown format {output_format!r}; expected one of: {', '.join(FORMATS)}", err)
    try:
        summary = evaluate_fleet(
            list(paths),
            ports=list(ports) or None,
            profile=profile or "upstream",
            scheduler=scheduler,
            unsupported="ignore" if ignore_unsupported else "error",
            externals=externals,
            replicas=replicas,
            n_workers=workers,
            timeout=timeout,
            progress=progress,
            progress_stream=err,
        )
    except (ImportError, ValueError, TypeError, OSError, RuntimeError) as exc:  # OSError: connect timeouts too
        return _fail(" ".join(str(exc).split()) or type(exc).__name__, err)
    if isinstance(summary, FleetResult):  # not asked for here; keeps the type checker informed
        summary = summary.summary
    if output_format == "csv":
        summary.to_csv(out, index=False, lineterminator="\n")
    elif output_format == "json":
        _write_json(summary, out)
    else:
        _write_table(summary, out)
    return 1 if summary["error"].notna().any() else 0


def _fail(message: str, err: TextIO) -> int:
    with contextlib.suppress(OSError, ValueError):
        err.write(f"{PROG}: error: {elide(message, 4000)}\n")
    return 2
