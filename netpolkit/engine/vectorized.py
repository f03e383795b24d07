"""The vectorized evaluator of the plan: columns over endpoints, endpoints compressed into classes.

For one port and direction, every entry of the plan becomes two columns: ``local`` (its policy selects the protected
endpoint and the rule's criteria on that side hold) and ``peer`` (the criteria on the other side hold). The source
side of an endpoint is then a row of booleans (the ingress peers it matches, the egress locals it is, the egress
stages that isolate it) and the destination side another. Endpoints with equal rows are indistinguishable to the
policies: verdicts are computed on classes x classes and expanded to endpoints only on demand.

Unordered stages (NetworkPolicy, Cilium) are boolean matrix products; ordered stages (Calico tiers, Admin,
Baseline) find the first decisive entry per local class with ``argmax`` over the entry axis. No Python loop runs
over pairs.

Within a memory budget (:mod:`netpolkit.engine.budget`): when every endpoint's columns would not fit, they are
built block by block of endpoints, and each block's keys (its rows, packed 8 to a byte) join the classes met so
far; the stages then run on the classes' representatives, block by block of classes. 100,000 pods that share
nothing are 100,000 atoms and ~40,000 rule columns: 8 GB at once, a few hundred MB a block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.columns import Columns
from netpolkit.engine.dialects.base import ALLOW, DENY, PASS
from netpolkit.engine.plan import Plan, Stage, rebind
from netpolkit.engine.profiles import Profile
from netpolkit.model.ports import PortQuery
from netpolkit.runtime import progress

__all__ = ["ClassVerdict", "VectorizedEngine", "unique_columns"]

_CODES = {ALLOW: 0, DENY: 1, PASS: 2}
_ALLOW, _DENY, _PASS, _NONE = 0, 1, 2, 3


@dataclass(frozen=True)
class ClassVerdict:
    """Verdicts on classes: endpoint ``s`` may reach ``d`` iff ``verdict[src_class[s], dst_class[d]]``.

    ``self_allowed`` says the profile allows every endpoint to reach itself whatever the policies say.
    """

    src_class: np.ndarray
    dst_class: np.ndarray
    verdict: np.ndarray
    self_allowed: bool = False

    def expand(self) -> np.ndarray:
        """The endpoint x endpoint boolean matrix."""
        full = np.take(np.take(self.verdict, self.src_class, axis=0), self.dst_class, axis=1)
        if self.self_allowed:
            np.fill_diagonal(full, True)
        return full

    def pair(self, s: int, d: int) -> bool:
        """One cell."""
        if s == d and self.self_allowed:
            return True
        return bool(self.verdict[self.src_class[s], self.dst_class[d]])

    def row(self, s: int) -> np.ndarray:
        """Whom endpoint ``s`` may reach: one bool per destination endpoint."""
        line = self.verdict[self.src_class[s]][self.dst_class]
        if self.self_allowed:
            line[s] = True
        return line

    def column(self, d: int) -> np.ndarray:
        """Who may reach endpoint ``d``: one bool per source endpoint."""
        line = self.verdict[:, self.dst_class[d]][self.src_class]
        if self.self_allowed:
            line[d] = True
        return line


@dataclass(frozen=True)
class _DirectionColumns:
    """One direction for one port over some endpoints: every stage's entries as rows of ``local`` and ``peer``.

    The rows of a stage are ``bounds[k]``; an entry whose rule cannot match the port has no row. Which entries
    have rows depends on the plan and the port only, never on the endpoints, so every block has the same rows.
    """

    stages: tuple[Stage, ...]
    bounds: tuple[tuple[int, int], ...]
    local: np.ndarray  # (entries, endpoints): the entry's policy selects the protected endpoint, its side holds
    peer: np.ndarray  # (entries, endpoints): the entry's criteria on the other side hold
    action: np.ndarray  # (entries,) int8 codes
    isolated: np.ndarray  # (stages, endpoints): some member policy of the stage isolates the endpoint


class VectorizedEngine:
    """Evaluates a plan of any mix of dialects for all pairs at once, one port at a time, within a memory budget.

    ``table`` and ``plan`` are over the same endpoints (atoms, see :mod:`netpolkit.engine.atoms`). When the
    columns of every endpoint would not fit the budget, they are built block by block of endpoints, each block
    with its own dialects and columns over just its rows (every column is a predicate on one endpoint, so a
    block's columns are the whole columns' rows); then the stages run block by block of classes.
    """

    def __init__(self, table: EndpointTable, plan: Plan, profile: Profile) -> None:
        self.table = table
        self.plan = plan
        self.profile = profile
        self.n = len(table)

    def endpoints_per_block(self, budget: int) -> int:
        """How many endpoints' columns fit ``budget`` bytes at once (at least one)."""
        entries = sum(len(s.entries) + 1 for stages in self.plan.stages.values() for s in stages)
        return max(1, budget // (_BYTES_PER_ENDPOINT_ENTRY * entries + _BYTES_PER_ENDPOINT))

    def evaluate(self, query: PortQuery, budget: int | None = None) -> ClassVerdict:
        """Verdicts for every pair on one port, as classes; ``budget``: bytes of working memory (None: unbounded,
        see :mod:`netpolkit.engine.budget`)."""
        limit = _UNBOUNDED if budget is None else max(1, int(budget))
        step = self.endpoints_per_block(limit)
        src_classes, dst_classes = _Classes(), _Classes()
        src_class = np.empty(self.n, dtype=np.intp)
        dst_class = np.empty(self.n, dtype=np.intp)
        layout: tuple[_DirectionColumns, _DirectionColumns] | None = None
        blocks = range(0, self.n, step) if self.n else range(1)
        for number, start in enumerate(blocks, start=1):
            rows = np.arange(start, min(self.n, start + step))
            plan = self.plan if len(rows) == self.n else self._block_plan(rows)
            label = f" (block {number} of {len(blocks)})" if len(blocks) > 1 else ""
            ingress = _direction_columns(plan, "Ingress", query, len(rows), label)
            egress = _direction_columns(plan, "Egress", query, len(rows), label)
            src_class[rows] = src_classes.add(_keys([ingress.peer, egress.local, egress.isolated]))
            dst_class[rows] = dst_classes.add(_keys([ingress.local, egress.peer, ingress.isolated]))
            layout = (ingress, egress)
            del plan
        assert layout is not None
        ingress, egress = layout
        src_in_peer, src_eg_local, src_eg_isolated = src_classes.features(
            [len(ingress.peer), len(egress.local), len(egress.isolated)]
        )
        dst_in_local, dst_eg_peer, dst_in_isolated = dst_classes.features(
            [len(ingress.local), len(egress.peer), len(ingress.isolated)]
        )
        verdict = _direction(egress, src_eg_local, dst_eg_peer, src_eg_isolated, limit)
        verdict &= _direction(ingress, dst_in_local, src_in_peer, dst_in_isolated, limit).T
        return ClassVerdict(src_class, dst_class, verdict, self.profile.self_traffic == "allow")

    def _block_plan(self, rows: np.ndarray) -> Plan:
        """The plan rebound to dialects over only ``rows`` of the table, with their own (short-lived) columns."""
        table = self.table.take(rows)
        columns = Columns(table)
        return rebind(self.plan, [kind(table, self.profile, columns) for kind in self._dialect_kinds])

    @cached_property
    def _dialect_kinds(self) -> frozenset[type]:
        """The dialect classes the plan uses (found once, not once per block)."""
        kinds = {type(d) for d in self.plan.dialect_of.values()}
        kinds |= {type(e.dialect) for stages in self.plan.stages.values() for s in stages for e in s.entries}
        kinds |= {type(d) for stages in self.plan.stages.values() for s in stages for d, _ in s.members}
        return frozenset(kinds)


_UNBOUNDED = 2**62
# Bytes per endpoint and plan entry while a block's columns exist: the local and peer rows (2), the memoized
# selector, peer and port columns behind them (about 3), packed keys and their copies (1), with room to spare.
_BYTES_PER_ENDPOINT_ENTRY = 8
_BYTES_PER_ENDPOINT = 4096  # label tables and the endpoint's own rows in a block's table
# Bytes per (local class, peer class) cell while a block of classes runs the stages: allowed, undecided, the
# stage's action codes and their comparisons, and the float32 product of a dense boolean matrix product.
_BYTES_PER_CELL = 16


def _direction_columns(plan: Plan, direction: str, query: PortQuery, n: int, label: str) -> _DirectionColumns:
    """Every stage of one direction as rows over the plan's ``n`` endpoints."""
    stages = plan.stages[direction]
    upper = sum(len(s.entries) for s in stages)
    local = np.zeros((upper, n), dtype=bool)  # rows are written in place: no list of columns, no stacking copy
    peer = np.zeros((upper, n), dtype=bool)
    isolated = np.zeros((len(stages), n), dtype=bool)
    actions: list[int] = []
    bounds = []
    row = 0
    desc = f"netpolkit: {direction.lower()} rules on {query}{label}"
    for k, stage in enumerate(stages):
        first = row
        for entry in progress(stage.entries, total=len(stage.entries), desc=desc):
            columns = entry.dialect.rule_columns(entry.policy, entry.rule.rule, direction, query)
            if columns is None:
                continue
            src, dst = columns
            mine, theirs = (dst, src) if direction == "Ingress" else (src, dst)
            np.logical_and(entry.dialect.subject(entry.policy), mine, out=local[row])
            peer[row] = theirs
            actions.append(_CODES[entry.action])
            row += 1
        bounds.append((first, row))
        for dialect, policy in stage.members:
            isolated[k] |= dialect.isolated_column(policy, direction)
    return _DirectionColumns(
        tuple(stages), tuple(bounds), local[:row], peer[:row], np.array(actions, dtype=np.int8), isolated
    )


def _keys(groups: Sequence[np.ndarray]) -> np.ndarray:
    """(endpoints, bytes): each endpoint's rows of every group, packed 8 to a byte (each group padded apart)."""
    n = groups[0].shape[1]
    packed = [_pack_rows(g) for g in groups if g.shape[0]]
    if not packed:
        return np.zeros((n, 0), dtype=np.uint8)
    return np.ascontiguousarray(np.concatenate(packed).T)


class _Classes:
    """Distinct endpoint keys met so far, across blocks: a class number for each, and one key per class."""

    def __init__(self) -> None:
        self._number: dict[bytes, int] = {}
        self._keys: list[np.ndarray] = []
        self._width = 0

    def add(self, keys: np.ndarray) -> np.ndarray:
        """The class of each row of ``keys`` (endpoints, bytes); rows not met before open new classes."""
        self._width = keys.shape[1]
        if len(keys) == 0:
            return np.zeros(0, dtype=np.intp)
        first, inverse = _unique_rows(keys)
        numbers = np.empty(len(first), dtype=np.intp)
        for i, r in enumerate(first.tolist()):
            key = keys[r].tobytes()
            number = self._number.get(key)
            if number is None:
                number = self._number[key] = len(self._keys)
                self._keys.append(keys[r].copy())
            numbers[i] = number
        return numbers[inverse]

    def features(self, sizes: Sequence[int]) -> list[np.ndarray]:
        """Each group's rows (of the given sizes, in the order packed) over the classes: (rows, classes) bool."""
        keys = np.stack(self._keys) if self._keys else np.zeros((1, self._width), dtype=np.uint8)
        out, offset = [], 0
        for size in sizes:
            if size == 0:
                out.append(np.zeros((0, len(keys)), dtype=bool))
                continue
            width = -(-size // 8)
            bits = np.unpackbits(keys[:, offset : offset + width], axis=1, count=size, bitorder="little")
            out.append(np.ascontiguousarray(bits.T).view(bool))
            offset += width
        return out


def _direction(
    columns: _DirectionColumns, local: np.ndarray, peer: np.ndarray, isolated: np.ndarray, budget: int
) -> np.ndarray:
    """(local classes, peer classes): allowed after running every stage in order, block by block of local classes.

    ``local`` (entries, local classes), ``peer`` (entries, peer classes) and ``isolated`` (stages, local classes)
    are ``columns``' rows over one representative of each class.
    """
    n_local, n_peer = local.shape[1], peer.shape[1]
    out = np.empty((n_local, n_peer), dtype=bool)
    step = max(1, budget // (_BYTES_PER_CELL * max(n_peer, 1)))
    for start in range(0, n_local, step):
        part = slice(start, min(n_local, start + step))
        out[part] = _direction_block(columns, local[:, part], peer, isolated[:, part], budget)
    return out


def _direction_block(
    columns: _DirectionColumns, local: np.ndarray, peer: np.ndarray, isolated: np.ndarray, budget: int
) -> np.ndarray:
    shape = (local.shape[1], peer.shape[1])
    allowed = np.ones(shape, dtype=bool)
    undecided = np.ones(shape, dtype=bool)
    for k, stage in enumerate(columns.stages):
        if not undecided.any():
            break
        first, last = columns.bounds[k]
        action = columns.action[first:last]
        if stage.ordered:
            act = _first_match(action, local[first:last], peer[first:last])
        else:
            act = _union(action, local[first:last], peer[first:last], budget)
        if stage.end_deny:
            act[(act == _NONE) & isolated[k][:, None]] = _DENY
        decided = undecided & ((act == _ALLOW) | (act == _DENY))
        allowed[decided] = act[decided] == _ALLOW
        undecided &= ~decided
    return allowed


def _union(action: np.ndarray, local: np.ndarray, peer: np.ndarray, budget: int) -> np.ndarray:
    """Unordered stage: any matching Deny, else any matching Allow; codes per (local, peer) class."""
    out = np.full((local.shape[1], peer.shape[1]), _NONE, dtype=np.int8)
    for code in (_ALLOW, _DENY):  # Deny written last, so it wins
        rows = action == code
        if rows.any():
            out[_any_common(local[rows], peer[rows], budget=budget)] = code
    return out


def _first_match(action: np.ndarray, local: np.ndarray, peer: np.ndarray) -> np.ndarray:
    """Ordered stage: the action of the first matching entry per (local, peer) class (_NONE when none)."""
    out = np.full((local.shape[1], peer.shape[1]), _NONE, dtype=np.int8)
    for row in range(local.shape[1]):
        idx = np.flatnonzero(local[:, row])
        if idx.size == 0:
            continue
        hits = peer[idx]
        found = hits.any(axis=0)
        first = hits.argmax(axis=0)
        out[row] = np.where(found, action[idx][first], _NONE)
    return out


def unique_columns(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a (features, endpoints) boolean matrix: (one representative endpoint per distinct column, class of each)."""
    n = features.shape[1]
    if features.shape[0] == 0 or n == 0:
        return np.zeros(min(n, 1), dtype=np.intp), np.zeros(n, dtype=np.intp)
    return _unique_rows(np.ascontiguousarray(_pack_rows(features).T))


def _unique_rows(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For an (endpoints, bytes) uint8 matrix: (one representative row per distinct row, class of each row).

    Rows are hashed to 64 bits; equal hashes are verified to be equal rows, with an exact (slower) comparison as
    the fallback should two different rows ever collide.
    """
    n = packed.shape[0]
    if packed.shape[1] == 0 or n == 0:
        return np.zeros(min(n, 1), dtype=np.intp), np.zeros(n, dtype=np.intp)
    width = -(-packed.shape[1] // 8) * 8
    rows = np.zeros((n, width), dtype=np.uint8)
    rows[:, : packed.shape[1]] = packed
    words = rows.view(np.uint64)
    multipliers = np.random.default_rng(0x5EED).integers(1, 2**63, size=words.shape[1], dtype=np.uint64) | 1
    with np.errstate(over="ignore"):
        hashes = (words * multipliers).sum(axis=1, dtype=np.uint64)
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    if np.array_equal(words, words[first[inverse]]):
        return first.astype(np.intp), inverse.astype(np.intp)
    keys = np.ascontiguousarray(rows).view(np.dtype((np.void, width))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first.astype(np.intp), inverse.ravel().astype(np.intp)


def _pack_rows(features: np.ndarray) -> np.ndarray:
    """Pack each group of 8 feature rows into one byte row: (features, n) bool -> (ceil(features / 8), n) uint8.

    Works on whole contiguous rows, which is several times faster than ``np.packbits(axis=0)``.
    """
    rows, n = features.shape
    if n == 0:  # no endpoint in this block: reshape(-1, 8, 0) cannot infer the row count
        return np.zeros((-(-rows // 8), 0), dtype=np.uint8)
    bits = np.ascontiguousarray(features).view(np.uint8)
    if rows % 8:
        bits = np.concatenate([bits, np.zeros((8 - rows % 8, n), dtype=np.uint8)])
    bits = bits.reshape(-1, 8, n)
    out = bits[:, 0].copy()
    for k in range(1, 8):
        out |= bits[:, k] << k
    return out


def _any_common(left: np.ndarray, right: np.ndarray, *, budget: int = _UNBOUNDED) -> np.ndarray:
    """``out[i, j]`` = some row r has ``left[r, i]`` and ``right[r, j]`` (a boolean matrix product).

    Rules mostly protect a few classes (one namespace's pods) while their peers span many, so the product is
    usually far sparser than its dense cost: then each row's block of ones is written directly. Dense products
    go through BLAS in row blocks, so the float copies stay bounded (by ``_BLOCK_BYTES`` and a quarter of
    ``budget``).
    """
    rows, n_left, n_right = left.shape[0], left.shape[1], right.shape[1]
    out = np.zeros((n_left, n_right), dtype=bool)
    if rows == 0 or n_left == 0 or n_right == 0:
        return out
    left_hits, right_hits = left.sum(axis=1), right.sum(axis=1)
    live = np.flatnonzero((left_hits > 0) & (right_hits > 0))
    sparse_cost = float((left_hits[live].astype(np.float64) * right_hits[live]).sum()) + 20.0 * live.size * (
        n_left + n_right
    )
    dense_cost = float(live.size) * n_left * n_right / _BLAS_SPEEDUP
    if sparse_cost <= dense_cost:
        for r in live:
            out[np.ix_(np.flatnonzero(left[r]), np.flatnonzero(right[r]))] = True
        return out
    step = max(1, min(_BLOCK_BYTES, budget // 4) // (4 * (n_left + n_right)))
    for start in range(0, live.size, step):
        block = live[start : start + step]
        out |= (left[block].T.astype(np.float32) @ right[block].astype(np.float32)) > 0
    return out


_BLAS_SPEEDUP = 40.0  # a float32 multiply-add in BLAS costs about 1/40 of a cell written by numpy indexing
_BLOCK_BYTES = 256 * 2**20  # float copies per block of rows in a dense product
