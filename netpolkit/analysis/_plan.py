"""The plan as the analysis reads it: over atoms (endpoints no policy can tell apart), mapped back to endpoints.

Every question the tables and the linter ask of the policies ("which endpoints does this select, isolate, match")
is a boolean column; over atoms those columns are exact and as small as the engine's own, and ``expand`` maps one
back to the endpoint table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.dialects.base import Dialect
from netpolkit.engine.plan import DIRECTIONS, Plan, Stage
from netpolkit.matrix import Reachability

__all__ = ["Planned", "planned"]


@dataclass(frozen=True)
class Planned:
    """A plan, the endpoint table its dialects' columns run over, and each endpoint's row in that table."""

    plan: Plan
    table: EndpointTable
    row_of: np.ndarray  # endpoint -> row of ``table``
    n_endpoints: int

    def expand(self, column: np.ndarray) -> np.ndarray:
        """A column over the plan's table as a column over endpoints."""
        return np.asarray(column, dtype=bool)[self.row_of]

    def dialect(self, policy: Any) -> Dialect:
        """The dialect instance (over the plan's table) that evaluates ``policy``."""
        return self.plan.dialect_of[id(policy)]

    def subject(self, policy: Any) -> np.ndarray:
        """Column over the plan's table: the endpoints ``policy`` applies to."""
        return self.dialect(policy).subject(policy)

    @cached_property
    def is_pod(self) -> np.ndarray:
        """Column over the plan's table: pods."""
        return np.asarray(self.table.is_pod, dtype=bool)

    def stages(self, direction: str) -> tuple[Stage, ...]:
        """The plan's stages for one direction, in evaluation order."""
        return self.plan.stages[direction]

    def isolated(self, direction: str) -> tuple[np.ndarray, list[tuple[Any, np.ndarray]]]:
        """(column of the endpoints some policy isolates for ``direction``, [(policy, its isolated column)]).

        Isolated = a member of a stage that ends in a deny (NetworkPolicy's isolation, a Calico tier whose
        defaultAction is Deny) isolates it: traffic no rule allows is blocked. A Calico tier whose defaultAction is
        Pass, and the Admin and Baseline tiers, never isolate.
        """
        out = np.zeros(len(self.table), dtype=bool)
        by_policy: list[tuple[Any, np.ndarray]] = []
        for stage in self.stages(direction):
            if not stage.end_deny:
                continue
            for dialect, policy in stage.members:
                column = np.asarray(dialect.isolated_column(policy, direction), dtype=bool) & self.is_pod
                by_policy.append((policy, column))
                out |= column
        return out, by_policy

    def policies_in_order(self) -> list[Any]:
        """Every policy of the plan's stages, in evaluation order (ingress stages first), once each."""
        seen: dict[int, Any] = {}
        for direction in DIRECTIONS:
            for stage in self.stages(direction):
                for _, policy in stage.policies:
                    seen.setdefault(id(policy), policy)
        return list(seen.values())


def planned(reach: Reachability) -> Planned:
    """The plan of a result over atoms when the evaluator has them, else over the whole endpoint table."""
    evaluator = reach._evaluator
    n = len(reach.cluster.table)
    atoms = getattr(evaluator, "_atoms", None)
    if atoms is not None:
        engine, atom_of = atoms
        return Planned(engine.plan, engine.table, np.asarray(atom_of, dtype=np.intp), n)
    return Planned(evaluator.plan, evaluator.table, np.arange(n, dtype=np.intp), n)
