"""The vectorized evaluator of the plan: columns over endpoints, endpoints compressed into classes.

For one port and direction, every entry of the plan becomes two columns: ``local`` (its policy selects the protected
endpoint and the rule's criteria on that side hold) and ``peer`` (the criteria on the other side hold). The source
side of an endpoint is then a row of booleans (the ingress peers it matches, the egress locals it is, the egress
stages that isolate it) and the destination side another. Endpoints with equal rows are indistinguishable to the
policies: verdicts are computed on classes x classes and expanded to endpoints only on demand.

Unordered stages (NetworkPolicy, Cilium) are boolean matrix products; ordered stages (Calico tiers, Admin,
Baseline) find the first decisive entry per local class with ``argmax`` over the entry axis. No Python loop runs
over pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.dialects.base import ALLOW, DENY, PASS
from netpolkit.engine.plan import Plan, Stage
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


@dataclass(frozen=True)
class _StageColumns:
    """One stage of one direction for one port, as columns: entries x endpoints."""

    stage: Stage
    local: np.ndarray  # (entries, endpoints)
    peer: np.ndarray  # (entries, endpoints)
    action: np.ndarray  # (entries,) int8 codes
    isolated: np.ndarray  # (endpoints,): some member policy isolates the endpoint


class VectorizedEngine:
    """Evaluates a plan of any mix of dialects for all pairs at once, one port at a time."""

    def __init__(self, table: EndpointTable, plan: Plan, profile: Profile) -> None:
        self.table = table
        self.plan = plan
        self.profile = profile
        self.n = len(table)

    def _stage(self, stage: Stage, direction: str, query: PortQuery) -> _StageColumns:
        local, peer, action = [], [], []
        label = f"netpolkit: {direction.lower()} rules on {query}"
        for entry in progress(stage.entries, total=len(stage.entries), desc=label):
            columns = entry.dialect.rule_columns(entry.policy, entry.rule.rule, direction, query)
            if columns is None:
                continue
            src, dst = columns
            subject = entry.dialect.subject(entry.policy)
            mine, theirs = (dst, src) if direction == "Ingress" else (src, dst)
            local.append(subject & mine)
            peer.append(theirs)
            action.append(_CODES[entry.action])
        isolated = np.zeros(self.n, dtype=bool)
        for dialect, policy in stage.members:
            isolated |= dialect.isolated_column(policy, direction)
        return _StageColumns(stage, _stack(local, self.n), _stack(peer, self.n), np.array(action, np.int8), isolated)

    def evaluate(self, query: PortQuery) -> ClassVerdict:
        """Verdicts for every pair on one port, as classes."""
        ingress = [self._stage(s, "Ingress", query) for s in self.plan.stages["Ingress"]]
        egress = [self._stage(s, "Egress", query) for s in self.plan.stages["Egress"]]
        src_features = [c.peer for c in ingress] + [c.local for c in egress] + [_isolation(egress, self.n)]
        dst_features = [c.local for c in ingress] + [c.peer for c in egress] + [_isolation(ingress, self.n)]
        src_rep, src_class = unique_columns(np.concatenate(src_features))
        dst_rep, dst_class = unique_columns(np.concatenate(dst_features))
        ingress_ok = _direction(ingress, dst_rep, src_rep).T
        egress_ok = _direction(egress, src_rep, dst_rep)
        return ClassVerdict(
            src_class.astype(np.intp),
            dst_class.astype(np.intp),
            ingress_ok & egress_ok,
            self.profile.self_traffic == "allow",
        )


def _stack(rows: Sequence[np.ndarray], n: int) -> np.ndarray:
    out = np.empty((len(rows), n), dtype=bool)
    for i, row in enumerate(rows):
        out[i] = row
    return out


def _isolation(stages: Sequence[_StageColumns], n: int) -> np.ndarray:
    return _stack([c.isolated for c in stages], n)


def _direction(stages: Sequence[_StageColumns], local_rep: np.ndarray, peer_rep: np.ndarray) -> np.ndarray:
    """(local classes, peer classes): allowed after running every stage in order."""
    shape = (len(local_rep), len(peer_rep))
    allowed = np.ones(shape, dtype=bool)
    undecided = np.ones(shape, dtype=bool)
    for columns in stages:
        if not undecided.any():
            break
        if columns.stage.ordered:
            act = _first_match(columns, local_rep, peer_rep)
        else:
            act = _union(columns, local_rep, peer_rep)
        if columns.stage.end_deny:
            isolated = columns.isolated[local_rep][:, None]
            act = np.where((act == _NONE) & isolated, _DENY, act)
        decided = undecided & ((act == _ALLOW) | (act == _DENY))
        allowed[decided] = act[decided] == _ALLOW
        undecided &= ~decided
    return allowed


def _union(columns: _StageColumns, local_rep: np.ndarray, peer_rep: np.ndarray) -> np.ndarray:
    """Unordered stage: any matching Deny, else any matching Allow; codes per (local, peer) class."""
    out = np.full((len(local_rep), len(peer_rep)), _NONE, dtype=np.int8)
    for code in (_ALLOW, _DENY):  # Deny written last, so it wins
        rows = columns.action == code
        if rows.any():
            hit = _any_common(columns.local[rows][:, local_rep], columns.peer[rows][:, peer_rep])
            out[hit] = code
    return out


def _first_match(columns: _StageColumns, local_rep: np.ndarray, peer_rep: np.ndarray) -> np.ndarray:
    """Ordered stage: the action of the first matching entry per (local, peer) class (_NONE when none)."""
    local, peer = columns.local[:, local_rep], columns.peer[:, peer_rep]
    out = np.full((len(local_rep), len(peer_rep)), _NONE, dtype=np.int8)
    for row in range(len(local_rep)):
        idx = np.flatnonzero(local[:, row])
        if idx.size == 0:
            continue
        hits = peer[idx]
        found = hits.any(axis=0)
        first = hits.argmax(axis=0)
        out[row] = np.where(found, columns.action[idx][first], _NONE)
    return out


def unique_columns(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a (features, endpoints) boolean matrix: (one representative endpoint per distinct column, class of each).

    Columns are packed to bytes and hashed to 64 bits; equal hashes are verified to be equal columns, with an
    exact (slower) comparison as the fallback should two different columns ever collide.
    """
    n = features.shape[1]
    if features.shape[0] == 0 or n == 0:
        return np.zeros(min(n, 1), dtype=np.intp), np.zeros(n, dtype=np.intp)
    packed = _pack_rows(features).T  # (endpoints, bytes)
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
        return first, inverse
    keys = np.ascontiguousarray(rows).view(np.dtype((np.void, width))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _pack_rows(features: np.ndarray) -> np.ndarray:
    """Pack each group of 8 feature rows into one byte row: (features, n) bool -> (ceil(features / 8), n) uint8.

    Works on whole contiguous rows, which is several times faster than ``np.packbits(axis=0)``.
    """
    rows, n = features.shape
    bits = np.ascontiguousarray(features).view(np.uint8)
    if rows % 8:
        bits = np.concatenate([bits, np.zeros((8 - rows % 8, n), dtype=np.uint8)])
    bits = bits.reshape(-1, 8, n)
    out = bits[:, 0].copy()
    for k in range(1, 8):
        out |= bits[:, k] << k
    return out


def _any_common(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``out[i, j]`` = some row r has ``left[r, i]`` and ``right[r, j]`` (a boolean matrix product).

    Rules mostly protect a few classes (one namespace's pods) while their peers span many, so the product is
    usually far sparser than its dense cost: then each row's block of ones is written directly. Dense products
    go through BLAS in row blocks, so the float copies stay bounded.
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
    step = max(1, _BLOCK_BYTES // (4 * (n_left + n_right)))
    for start in range(0, live.size, step):
        block = live[start : start + step]
        out |= (left[block].T.astype(np.float32) @ right[block].astype(np.float32)) > 0
    return out


_BLAS_SPEEDUP = 40.0  # a float32 multiply-add in BLAS costs about 1/40 of a cell written by numpy indexing
_BLOCK_BYTES = 256 * 2**20  # float copies per block of rows in a dense product
