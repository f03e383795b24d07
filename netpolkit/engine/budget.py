"""How much working memory one evaluation may hold: the budget that decides how big its blocks are.

The vectorized engine builds its boolean columns, packs them into class keys and runs the stages on class x class
blocks. Each of those grows with the cluster (100,000 pods that share nothing make 100,000 atoms and about 40,000
rule columns: 4 GB of columns at once), so past a size the work goes block by block: blocks of endpoints while the
columns are built, blocks of classes while the stages run, each sized to fit the budget. The result (class
verdicts, a few bytes per pair of classes) is not part of the budget; neither is the loaded cluster.

The budget is, first found wins: the ``memory_budget`` argument (``reachability(..., memory_budget="2GB")``), the
``NETPOLKIT_MEMORY_BUDGET`` environment variable, :data:`DEFAULT_MEMORY_BUDGET`. A budget is a number of bytes or
a string such as ``"512MB"``, ``"2GB"``, ``"1.5GiB"`` (decimal kB/MB/GB/TB and binary KiB/MiB/GiB/TiB).
"""

from __future__ import annotations

import os
import re

__all__ = ["DEFAULT_MEMORY_BUDGET", "ENVIRONMENT_VARIABLE", "MIN_MEMORY_BUDGET", "memory_budget", "parse_budget"]

DEFAULT_MEMORY_BUDGET = 1024**3
"""1 GiB: the evaluation of any cluster up to about 20,000 distinct endpoints fits in one block, and a laptop or a
Binder session (2 GB of memory) keeps room for the cluster and the notebook."""
MIN_MEMORY_BUDGET = 1024**2
"""1 MiB: below this, blocks would hold a handful of endpoints and the Python work per block would dominate."""
ENVIRONMENT_VARIABLE = "NETPOLKIT_MEMORY_BUDGET"

_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_BUDGET = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)


def parse_budget(value: int | float | str, *, source: str = "memory_budget") -> int:
    """Bytes of a budget given as a number of bytes or a string like ``"2GB"``; ``source`` names where it came
    from in the error (the argument or the environment variable)."""
    if isinstance(value, bool):
        raise ValueError(f"{source} must be a number of bytes or a size like '2GB', got {value!r}")
    if isinstance(value, int | float):
        amount = float(value)
    else:
        match = _BUDGET.match(str(value))
        unit = match.group(2).lower() if match else None
        if match is None or unit not in _UNITS:
            raise ValueError(
                f"{source} must be a number of bytes or a size like '512MB', '2GB' or '1.5GiB', got {value!r}"
            )
        amount = float(match.group(1)) * _UNITS[unit]
    if not amount >= MIN_MEMORY_BUDGET:  # also refuses NaN
        raise ValueError(f"{source} must be at least {MIN_MEMORY_BUDGET:,} bytes (1 MiB), got {value!r}")
    return int(amount)


def memory_budget(value: int | float | str | None = None) -> int:
    """The budget in bytes: ``value`` when given, else ``NETPOLKIT_MEMORY_BUDGET``, else the default."""
    if value is not None:
        return parse_budget(value)
    from_environment = os.environ.get(ENVIRONMENT_VARIABLE)
    if from_environment:
        return parse_budget(from_environment, source=f"environment variable {ENVIRONMENT_VARIABLE}")
    return DEFAULT_MEMORY_BUDGET
