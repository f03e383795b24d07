"""The result of an evaluation: :class:`Reachability` (frames, long form, explain, aggregation, diff).

Pure pandas/numpy: presentation (heatmaps, widgets, CLI) only consumes it.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property

import numpy as np
import pandas as pd

from netpolkit.cluster import EXTERNAL, Cluster
from netpolkit.engine import (
    ENGINES,
    ClassVerdict,
    Evaluator,
    Explanation,
    Profile,
    enforcing_profiles,
    get_profile,
    unenforced,
)
from netpolkit.engine.budget import memory_budget as resolve_budget
from netpolkit.errors import PolicyError, UnknownEndpointError, Where
from netpolkit.model.calico import BUILTIN_TIERS, CalicoPolicy
from netpolkit.model.fields import UNSUPPORTED_MODES
from netpolkit.model.ports import PortQuery

__all__ = ["DIFF_STATES", "Diff", "Reachability", "reachability", "staged_diff"]

DIFF_STATES = ("blocked", "allowed", "newly blocked", "newly allowed")

PortLike = str | int | PortQuery


def reachability(
    cluster: Cluster,
    ports: Iterable[PortLike] | PortLike | None = None,
    profile: str | Profile = "upstream",
    engine: str = "vectorized",
    *,
    unsupported: str = "error",
    memory_budget: int | str | None = None,
) -> Reachability:
    """Who can open a connection to whom, on which port.

    ``ports``: port specs like ``"TCP/80"``, ``"udp/53"``, ``"80"``; ``None`` means every port a pod of the cluster
    declares. ``profile``: "upstream", "calico" or "cilium" (the network plugin: which policy dialects it enforces
    and its implementation-defined choices, see :mod:`netpolkit.engine.profiles`). ``engine``: "vectorized" (fast)
    or "reference" (per pair, the oracle).

    A policy of a dialect the profile's plugin does not enforce is a :class:`~netpolkit.PolicyError`; with
    ``unsupported="ignore"`` it is left out and the result's ``warnings`` say so.

    ``memory_budget``: the most working memory one evaluation holds at once, bytes or a size like ``"2GB"``
    (default: the ``NETPOLKIT_MEMORY_BUDGET`` environment variable, else 1 GiB; see
    :mod:`netpolkit.engine.budget`). A cluster whose columns exceed it is evaluated block by block: same verdicts,
    bounded memory. The result itself (class verdicts) and the loaded cluster are outside the budget.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of: {', '.join(ENGINES)}")
    if unsupported not in UNSUPPORTED_MODES:
        raise ValueError(f"unsupported must be one of {', '.join(map(repr, UNSUPPORTED_MODES))}, got {unsupported!r}")
    if ports is None:
        queries = cluster.declared_ports()
        if not queries:
            raise ValueError("no pod of this cluster declares a container port: pass ports=, e.g. ports=['TCP/80']")
    elif isinstance(ports, str | int | PortQuery):
        queries = [PortQuery.parse(ports)]
    else:
        queries = list(dict.fromkeys(PortQuery.parse(p) for p in ports))
        if not queries:
            raise ValueError("ports is empty: pass at least one port, or None for every declared port")
    reach = Reachability(
        cluster, get_profile(profile), engine, unsupported=unsupported, memory_budget=resolve_budget(memory_budget)
    )
    reach._compute(queries)
    return reach


def staged_diff(
    cluster: Cluster,
    ports: Iterable[PortLike] | PortLike | None = None,
    profile: str | Profile = "calico",
    engine: str = "vectorized",
    *,
    unsupported: str = "error",
) -> Diff:
    """What committing the cluster's Calico staged policies would change: a :class:`Diff` from what is enforced
    (``before``) to the cluster as if they were committed (``after``, see :meth:`Cluster.commit_staged`).

    Staged policies never change what :func:`reachability` says; this is their preview. Arguments as for
    :func:`reachability` (the profile defaults to ``"calico"``, whose policies they are).

    >>> diff = npk.staged_diff(cluster, ports=["TCP/5432"])      # doctest: +SKIP
    >>> diff.changes("TCP/5432")  # src, dst, change: "newly allowed" / "newly blocked"  # doctest: +SKIP
    >>> diff.after.explain("a/web", "a/db", "TCP/5432")  # the deciding rule once committed  # doctest: +SKIP
    """
    before = reachability(cluster, ports, profile, engine, unsupported=unsupported)
    after = reachability(cluster.commit_staged(), ports, profile, engine, unsupported=unsupported)
    return Diff(before, after)


class Reachability:
    """Verdicts for every (source, destination, port) of a cluster, and the reasons behind them.

    ``warnings``: what was left out because it is not modelled or not enforced (only with ``unsupported="ignore"``):
    when not empty, a verdict may be wrong, and the CLI, heatmaps and ``explain`` say so.
    """

    def __init__(
        self,
        cluster: Cluster,
        profile: Profile,
        engine: str = "vectorized",
        *,
        unsupported: str = "error",
        memory_budget: int | None = None,
    ) -> None:
        self.cluster = cluster
        self.profile = profile
        self.engine = engine
        self.memory_budget = resolve_budget() if memory_budget is None else memory_budget
        """Bytes of working memory an evaluation of one port may hold (see :func:`reachability`)."""
        self._results: dict[PortQuery, ClassVerdict] = {}
        self._policies, dropped = _enforced(cluster, profile, unsupported)
        self.warnings: tuple[str, ...] = (*cluster.warnings, *dropped)

    @cached_property
    def _evaluator(self) -> Evaluator:
        return Evaluator(
            self.cluster.table,
            self._policies,
            self.profile,
            self.cluster.tier_objects,
            cache=self.cluster.engine_cache,
        )

    def _compute(self, queries: Sequence[PortQuery]) -> None:
        missing = [q for q in queries if q not in self._results]
        if missing:
            self._results.update(self._evaluator.evaluate(self.engine, missing, memory_budget=self.memory_budget))

    def _result(self, port: PortLike | None) -> tuple[PortQuery, ClassVerdict]:
        if port is None:
            if len(self._results) != 1:
                raise ValueError(f"name a port: this result holds {', '.join(self.ports)}")
            return next(iter(self._results.items()))
        query = PortQuery.parse(port)
        self._compute([query])
        return query, self._results[query]

    # ---- endpoints ------------------------------------------------------------------------------------------

    @property
    def ports(self) -> tuple[str, ...]:
        """The ports evaluated so far, as ``"TCP/80"`` strings."""
        return tuple(str(q) for q in self._results)

    @property
    def endpoints(self) -> pd.DataFrame:
        """The cluster's endpoints (pods and externals), in matrix order."""
        return self.cluster.endpoints

    @cached_property
    def _ids(self) -> pd.Index:
        return pd.Index(self.cluster.table.ids, name="source")

    def resolve(self, endpoint: str) -> int:
        """Row of an endpoint id; ``"internet"`` finds ``external/internet``; unknown ids suggest near matches."""
        index = self.cluster.table.index
        for candidate in (endpoint, f"external/{endpoint}"):
            if candidate in index:
                return index[candidate]
        raise UnknownEndpointError(endpoint, tuple(difflib.get_close_matches(endpoint, list(index), n=3)))

    def endpoint_id(self, endpoint: str) -> str:
        """The canonical id of an endpoint (``"internet"`` -> ``"external/internet"``)."""
        return self.cluster.table.ids[self.resolve(endpoint)]

    # ---- verdicts -------------------------------------------------------------------------------------------

    def array(self, port: PortLike | None = None, *, large: bool = False) -> np.ndarray:
        """The endpoint x endpoint boolean matrix for one port (rows = sources).

        Past :data:`MATRIX_CELLS` cells (a 20,000-endpoint cluster) it needs ``large=True``: 100,000 endpoints make
        10 GB. ``allowed()``, ``aggregate()``, ``long(allowed_only=True)`` and ``iter_long()`` never build it.
        """
        _check_cells(len(self.cluster.table), large)
        return self._result(port)[1].expand()

    def frame(self, port: PortLike | None = None, *, large: bool = False) -> pd.DataFrame:
        """Boolean DataFrame for one port: index = source ids, columns = destination ids (``large``: see
        :meth:`array`)."""
        return pd.DataFrame(
            self.array(port, large=large), index=self._ids, columns=self._ids.rename("destination"), copy=False
        )

    def allowed(self, src: str, dst: str, port: PortLike) -> bool:
        """Whether ``src`` may open a connection to ``dst`` on ``port`` (the destination pod port)."""
        s, d = self.resolve(src), self.resolve(dst)
        return self._result(port)[1].pair(s, d)

    def reachable_from(self, src: str, port: PortLike) -> list[str]:
        """The ids of the endpoints ``src`` may reach on ``port`` (itself left out), without an N x N matrix."""
        s = self.resolve(src)
        line = self._result(port)[1].row(s)
        return [self.cluster.table.ids[d] for d in np.flatnonzero(line) if d != s]

    def reaching(self, dst: str, port: PortLike) -> list[str]:
        """The ids of the endpoints that may reach ``dst`` on ``port`` (itself left out), without an N x N matrix."""
        d = self.resolve(dst)
        line = self._result(port)[1].column(d)
        return [self.cluster.table.ids[s] for s in np.flatnonzero(line) if s != d]

    def long(self, *, allowed_only: bool = False, large: bool = False) -> pd.DataFrame:
        """One row per (src, dst, port): columns src, dst, protocol, port, allowed.

        ``allowed_only=True`` keeps the allowed pairs, built block by block of sources (never the N x N matrix);
        every pair of a big cluster needs ``large=True`` (see :meth:`array`).
        """
        if not allowed_only:
            _check_cells(len(self.cluster.table), large)
        parts = list(self.iter_long(allowed_only=allowed_only))
        columns = ["src", "dst", "protocol", "port", "allowed"]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)

    def iter_long(self, *, allowed_only: bool = True, block_cells: int = 2**24) -> Iterator[pd.DataFrame]:
        """:meth:`long` as a stream of DataFrames, one per block of source rows of about ``block_cells`` cells,
        ports in the order evaluated: for exports of allowed pairs larger than memory."""
        ids = np.array(self.cluster.table.ids, dtype=object)
        n = len(ids)
        step = max(1, block_cells // max(n, 1))
        for query, result in self._results.items():
            for start in range(0, n, step):
                rows = np.arange(start, min(n, start + step))
                block = result.verdict[result.src_class[rows]][:, result.dst_class]
                if result.self_allowed:
                    block[np.arange(len(rows)), rows] = True
                s, d = np.nonzero(block) if allowed_only else np.indices(block.shape).reshape(2, -1)
                yield pd.DataFrame(
                    {
                        "src": ids[rows[s]],
                        "dst": ids[d],
                        "protocol": query.protocol,
                        "port": query.port,
                        "allowed": block[s, d],
                    }
                )

    def policies_for(self, endpoint: str, direction: str) -> list[str]:
        """The policies that apply to ``endpoint`` for ``direction`` ("ingress"/"egress"), in evaluation order.

        Under an ordered profile (Calico) that is tier, order, name; otherwise load order (the union has no order).
        """
        key = direction.capitalize()
        if key not in ("Ingress", "Egress"):
            raise ValueError(f"direction must be 'ingress' or 'egress', got {direction!r}")
        return [p.ref for p in self._evaluator.selecting(self.resolve(endpoint), key)]

    def explain(self, src: str, dst: str, port: PortLike) -> Explanation:
        """Why ``src -> dst`` on ``port`` is allowed or blocked: the deciding policy and rule on each side (dialect,
        tier, priority or order, 1-based rule number and the rule's name where it has one)."""
        s, d = self.resolve(src), self.resolve(dst)
        why = self._evaluator.explain(s, d, PortQuery.parse(port))
        return dataclasses.replace(why, warnings=self.warnings) if self.warnings else why

    # ---- aggregation and comparison --------------------------------------------------------------------------

    def aggregate(self, by: str = "namespace", port: PortLike | None = None) -> pd.DataFrame:
        """Allowed pairs per group pair (``by`` = an endpoints column, e.g. "namespace" or "workload").

        Columns: src, dst (categorical), protocol, port, allowed (count), pairs (count), fraction. Pairs of an
        endpoint with itself are left out. Computed from class counts, so it never builds the endpoint x endpoint
        matrix.
        """
        labels, group_of = self._groups(by)
        categories = pd.Index(labels, dtype="str")  # src/dst are categorical: 2,000 namespaces make 4M rows
        queries = list(self._results) if port is None else [self._result(port)[0]]
        parts = []
        for query in queries:
            res = self._results[query]
            n_groups = len(labels)
            allowed = _group_sums(res.verdict, group_of, res.src_class, res.dst_class, n_groups)
            sizes = np.bincount(group_of, minlength=n_groups).astype(float)
            pairs = np.outer(sizes, sizes)
            self_verdict = res.verdict[res.src_class, res.dst_class].astype(float)  # each endpoint to itself
            np.subtract.at(allowed, (group_of, group_of), self_verdict)
            pairs[np.diag_indices(n_groups)] -= sizes
            src_idx, dst_idx = np.indices(pairs.shape).reshape(2, -1)
            with np.errstate(invalid="ignore", divide="ignore"):
                fraction = np.where(pairs > 0, allowed / pairs, np.nan)
            parts.append(
                pd.DataFrame(
                    {
                        "src": pd.Categorical.from_codes(src_idx, categories),
                        "dst": pd.Categorical.from_codes(dst_idx, categories),
                        "protocol": query.protocol,
                        "port": query.port,
                        "allowed": np.rint(allowed.ravel()).astype(int),
                        "pairs": pairs.ravel().astype(int),
                        "fraction": fraction.ravel(),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def _groups(self, by: str) -> tuple[np.ndarray, np.ndarray]:
        """(sorted group labels, group of each endpoint) for an endpoints column."""
        table = self.cluster.table
        if by == "namespace":  # straight from the table: no endpoints frame for a 100,000-pod cluster
            names = np.array([*table.namespaces, EXTERNAL], dtype=object)
            values = names[np.where(table.namespace_index >= 0, table.namespace_index, len(table.namespaces))]
        elif by == "kind":
            values = np.where(table.is_pod, "pod", EXTERNAL).astype(object)
        else:
            values = self.endpoints[by].astype(str).to_numpy()
        labels, group_of = np.unique(values.astype(str), return_inverse=True)
        return labels, group_of.ravel()

    def summary(self) -> pd.DataFrame:
        """Per port: allowed pairs, all pairs (self pairs left out) and the allowed share."""
        rows = []
        for query in self._results:
            agg = self.aggregate(by="kind", port=query)
            allowed, pairs = int(agg["allowed"].sum()), int(agg["pairs"].sum())
            rows.append(
                {
                    "port": str(query),
                    "allowed": allowed,
                    "pairs": pairs,
                    "fraction": allowed / pairs if pairs else float("nan"),
                }
            )
        return pd.DataFrame(rows, columns=["port", "allowed", "pairs", "fraction"]).set_index("port")

    def diff(self, before: Reachability) -> Diff:
        """How this result differs from an earlier one (``before``) on the endpoints both know."""
        return Diff(before, self)

    def __repr__(self) -> str:
        return (
            f"<Reachability {len(self.cluster.table)} endpoints, ports {', '.join(self.ports)}, "
            f"profile {self.profile.name}, engine {self.engine}>"
        )


MATRIX_CELLS = 20_000 * 20_000
"""Above this many cells a pod-level matrix needs ``large=True`` (it would take GBs)."""


def _check_cells(n: int, large: bool) -> None:
    if n * n > MATRIX_CELLS and not large:
        gigabytes = n * n / 1e9
        raise ValueError(
            f"a {n:,} x {n:,} matrix would take about {gigabytes:,.1f} GB: pass large=True to build it anyway, or "
            "use aggregate(), allowed(), long(allowed_only=True) or iter_long(), which never build it"
        )


def _group_sums(
    verdict: np.ndarray, group_of: np.ndarray, src_class: np.ndarray, dst_class: np.ndarray, n_groups: int
) -> np.ndarray:
    """``out[g, h]``: allowed (source in group g, destination in group h) endpoint pairs, self pairs included.

    Sums class verdicts weighted by how many endpoints of each group fall in each class, in float64 (exact far
    beyond any cluster size), block by block so that no copy of the class verdicts is made whole.
    """
    n_src, n_dst = verdict.shape
    src_keys, src_counts = np.unique(group_of.astype(np.int64) * n_src + src_class, return_counts=True)
    src_group, src_cls = np.divmod(src_keys, n_src)
    by_group = np.zeros((n_groups, n_dst))
    step = max(1, (64 * 2**20) // (8 * max(n_dst, 1)))
    for start in range(0, len(src_keys), step):
        part = slice(start, start + step)
        rows = verdict[src_cls[part]] * src_counts[part, None].astype(np.float64)
        groups = src_group[part]  # sorted: np.unique sorts the keys, so groups come in runs
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        by_group[groups[starts]] += np.add.reduceat(rows, starts, axis=0)
    dst_counts = np.zeros((n_groups, n_dst))
    np.add.at(dst_counts, (group_of, dst_class), 1)
    return by_group @ dst_counts.T


def _enforced(cluster: Cluster, profile: Profile, unsupported: str) -> tuple[tuple, tuple[str, ...]]:
    """The cluster's policies that the profile's plugin enforces; the others are an error, or (ignore) warnings."""
    dropped = unenforced(cluster.policy_objects, profile)
    warnings = []
    for policy, dialect in dropped:
        others = [f"profile={n!r}" for n in enforcing_profiles(dialect)]
        where = cluster.source_of(policy) or Where()
        message = (
            f"profile {profile.name!r} ({profile.enforced_by or profile.name}) does not enforce {dialect} policies"
            + (f"; evaluate with {' or '.join(others)}" if others else "")
        )
        error = PolicyError(message, where=where.with_obj(policy.ref))
        if unsupported == "error":
            raise PolicyError(
                f"{message}, or pass unsupported='ignore' (CLI --ignore-unsupported) to leave it out",
                where=where.with_obj(policy.ref),
            )
        warnings.append(f"{error}: left out")
    skip = {id(p) for p, _ in dropped}
    enforced = tuple(p for p in cluster.policy_objects if id(p) not in skip)
    _check_tiers(cluster, enforced)
    return enforced, tuple(warnings)


def _check_tiers(cluster: Cluster, policies: Sequence) -> None:
    """A Calico policy in a tier that does not exist: Calico refuses it, and its place would be a guess."""
    known = {t.name for t in cluster.tier_objects} | set(BUILTIN_TIERS)
    for policy in policies:
        tier = getattr(policy, "tier", None)
        if isinstance(policy, CalicoPolicy) and tier not in known:
            where = (cluster.source_of(policy) or Where()).with_obj(policy.ref)
            raise PolicyError(
                f"tier {tier!r} does not exist (Calico rejects a policy in a tier it does not have, and the tier's "
                "order decides when the policy runs): load its Tier object too, e.g. from "
                "'kubectl get tiers.projectcalico.org -o yaml'",
                where=where,
                path="spec.tier",
            )


class Diff:
    """Cell-by-cell change between two results: "allowed", "blocked", "newly allowed", "newly blocked".

    Both sides are compared on joint classes (endpoints in the same class on both sides change together), block by
    block of sources: :meth:`changes` and :meth:`counts` never build an N x N matrix; :meth:`frame` is one.
    """

    def __init__(self, before: Reachability, after: Reachability) -> None:
        self.before = before
        self.after = after

    @cached_property
    def _common(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ids both results share, in the later result's order; their rows before; their rows after)."""
        old_index, new_table = self.before.cluster.table.index, self.after.cluster.table
        common = [e for e in new_table.ids if e in old_index]
        rows_old = np.array([old_index[e] for e in common], dtype=np.intp)
        rows_new = np.array([new_table.index[e] for e in common], dtype=np.intp)
        return np.array(common, dtype=object), rows_old, rows_new

    def _blocks(self, port: PortLike | None, block_cells: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per block of sources (positions among the shared ids): (those positions, verdicts before, after)."""
        if port is None:
            port = self.after._result(None)[0]
        old, new = self.before._result(port)[1], self.after._result(port)[1]
        ids, rows_old, rows_new = self._common
        n = len(ids)
        if n == 0:
            return
        src_pairs, src_of = np.unique(
            np.stack([old.src_class[rows_old], new.src_class[rows_new]], axis=1), axis=0, return_inverse=True
        )
        dst_pairs, dst_of = np.unique(
            np.stack([old.dst_class[rows_old], new.dst_class[rows_new]], axis=1), axis=0, return_inverse=True
        )
        src_of, dst_of = src_of.ravel(), dst_of.ravel()
        was = old.verdict[np.ix_(src_pairs[:, 0], dst_pairs[:, 0])]
        now = new.verdict[np.ix_(src_pairs[:, 1], dst_pairs[:, 1])]
        step = max(1, block_cells // n)
        for start in range(0, n, step):
            rows = np.arange(start, min(n, start + step))
            before, after = was[src_of[rows]][:, dst_of], now[src_of[rows]][:, dst_of]
            own = (np.arange(len(rows)), rows)  # each endpoint to itself: the profiles may override the policy
            if old.self_allowed:
                before[own] = True
            if new.self_allowed:
                after[own] = True
            yield rows, before, after

    def frame(self, port: PortLike | None = None, *, large: bool = False) -> pd.DataFrame:
        """String DataFrame over the endpoints both results share (in the later result's order).

        Past :data:`MATRIX_CELLS` cells it needs ``large=True`` (see :meth:`Reachability.array`); :meth:`changes`
        and :meth:`counts` never build it.
        """
        ids = self._common[0]
        _check_cells(len(ids), large)
        states = np.array(DIFF_STATES, dtype=object)
        cells = np.empty((len(ids), len(ids)), dtype=object)
        for rows, before, after in self._blocks(port, 2**24):
            codes = np.where(before == after, after.astype(np.int8), np.where(after, 3, 2))
            cells[rows] = states[codes]
        index = pd.Index(list(ids), name="source")
        return pd.DataFrame(cells, index=index, columns=index.rename("destination"))

    def changes(self, port: PortLike | None = None, *, block_cells: int = 2**24) -> pd.DataFrame:
        """Only the changed cells: src, dst, change ("newly allowed" / "newly blocked"), row by row.

        Expands block by block of about ``block_cells`` cells, so it never builds an N x N matrix.
        """
        ids = self._common[0]
        parts: list[pd.DataFrame] = []
        for rows, before, after in self._blocks(port, block_cells):
            src, dst = np.nonzero(before != after)
            change = np.where(after[src, dst], "newly allowed", "newly blocked")
            parts.append(pd.DataFrame({"src": ids[rows[src]], "dst": ids[dst], "change": change}))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"src": [], "dst": [], "change": []})

    def counts(self, port: PortLike | None = None, *, block_cells: int = 2**24) -> dict[str, int]:
        """How many pairs are in each state of :data:`DIFF_STATES`, counted block by block (no N x N matrix)."""
        out = dict.fromkeys(DIFF_STATES, 0)
        for _, before, after in self._blocks(port, block_cells):
            changed = before != after
            n_changed = int(np.count_nonzero(changed))
            newly = int(np.count_nonzero(changed & after))
            allowed = int(np.count_nonzero(after)) - newly
            out["newly allowed"] += newly
            out["newly blocked"] += n_changed - newly
            out["allowed"] += allowed
            out["blocked"] += after.size - allowed - n_changed
        return out
