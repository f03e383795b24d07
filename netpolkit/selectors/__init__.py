"""Label selectors evaluated vectorized over a table of label sets (pods or namespaces).

A :class:`LabelTable` factorizes each label key once into integer codes, so a selector term costs one numpy
comparison over all rows. :class:`SelectorCache` evaluates each distinct selector once per table.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from netpolkit.model.labels import LabelSelector, Requirement

__all__ = ["LabelTable", "SelectorCache", "evaluate"]


class LabelTable:
    """The label sets of ``n`` rows, factorized per key: ``codes(key)[i]`` is -1 where row ``i`` lacks the key."""

    def __init__(self, labels: Sequence[Mapping[str, str]]) -> None:
        self.n = len(labels)
        self._labels = labels
        columns: dict[str, list[Any]] = {}
        for i, row in enumerate(labels):
            for key, value in row.items():
                column = columns.get(key)
                if column is None:
                    column = columns[key] = [None] * self.n
                column[i] = value
        self._codes: dict[str, np.ndarray] = {}
        self._vocab: dict[str, dict[str, int]] = {}
        for key, values in columns.items():
            codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
            self._codes[key] = codes.astype(np.int32)
            self._vocab[key] = {v: i for i, v in enumerate(uniques)}
        self._missing = np.full(self.n, -1, dtype=np.int32)

    def codes(self, key: str) -> np.ndarray:
        """Integer code of each row's value for ``key`` (-1 = no such label)."""
        return self._codes.get(key, self._missing)

    def code(self, key: str, value: str) -> int:
        """The code of ``value`` under ``key`` (-2 when no row has it, so it matches nothing)."""
        return self._vocab.get(key, {}).get(value, -2)

    def frame(self, keys: Sequence[str] | None = None) -> pd.DataFrame:
        """Labels as a DataFrame (one column per key, None where missing), for the Calico selector language."""
        wanted = list(self._codes) if keys is None else list(keys)
        data = {}
        for key in wanted:
            codes = self.codes(key)
            inverse = np.array([*list(self._vocab.get(key, {})), None], dtype=object)
            data[key] = inverse[np.where(codes < 0, len(inverse) - 1, codes)]
        return pd.DataFrame(data, index=range(self.n), columns=wanted)


def _requirement(req: Requirement, table: LabelTable) -> np.ndarray:
    codes = table.codes(req.key)
    if req.operator == "Exists":
        return codes >= 0
    if req.operator == "DoesNotExist":
        return codes < 0
    wanted = np.array([table.code(req.key, v) for v in req.values], dtype=np.int32)
    hit = codes == wanted[0] if len(wanted) == 1 else np.isin(codes, wanted)
    return hit if req.operator == "In" else ~hit


def evaluate(selector: LabelSelector, table: LabelTable) -> np.ndarray:
    """Boolean array: which rows of ``table`` the Kubernetes label selector matches."""
    out = np.ones(table.n, dtype=bool)
    for req in selector.requirements:
        out &= _requirement(req, table)
    return out


class SelectorCache:
    """Evaluates each distinct selector once per table; results are read-only arrays."""

    def __init__(self, table: LabelTable) -> None:
        self.table = table
        self._memo: dict[Hashable, np.ndarray] = {}

    def __call__(self, selector: Any) -> np.ndarray:
        """Evaluate a Kubernetes :class:`LabelSelector` or any object with ``evaluate(frame)`` (Calico)."""
        hit = self._memo.get(selector)
        if hit is None:
            if isinstance(selector, LabelSelector):
                hit = evaluate(selector, self.table)
            else:
                hit = np.asarray(selector.evaluate(self.table.frame(sorted(selector.keys()))), dtype=bool)
            hit.flags.writeable = False
            self._memo[selector] = hit
        return hit
