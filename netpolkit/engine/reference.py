"""The reference evaluator: one pair at a time, plain Python, written to be obviously right.

It walks the same plan as the vectorized engine (stages and entries in order), but matches every rule with the
dialect's plain per-endpoint code, straight from the model. It is the oracle the vectorized engine is tested
against, and it produces every ``explain``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from netpolkit.cluster import EndpointTable
from netpolkit.engine.dialects.base import ALLOW, DENY
from netpolkit.engine.explanation import (
    ALLOWED_BY_RULE,
    DENIED_BY_RULE,
    END_OF_TIER,
    EXTERNAL,
    NO_RULE_DECIDED,
    NO_RULE_MATCHED,
    NOT_ISOLATED,
    PASSED,
    Explanation,
    SideDecision,
)
from netpolkit.engine.plan import Entry, Plan, Stage
from netpolkit.engine.profiles import Profile
from netpolkit.model.ports import PortQuery
from netpolkit.runtime import quiet_gc

__all__ = ["ReferenceEngine"]


class ReferenceEngine:
    """Evaluates a plan for one pair of endpoints at a time."""

    def __init__(
        self,
        table: EndpointTable,
        plan: Plan,
        profile: Profile,
        *,
        selection: Callable[[int], frozenset[int] | None] | None = None,
    ) -> None:
        self.table = table
        self.plan = plan
        self.profile = profile
        self._selects: dict[tuple[int, int], bool] = {}
        self._selection = selection  # ids of the policies selecting an endpoint, when known (else None)
        self._layout: dict[int, tuple[dict[int, int], dict[int, tuple[Entry, ...]], frozenset[int]]] = {}

    def _stage_layout(self, stage: Stage) -> tuple[dict[int, int], dict[int, tuple[Entry, ...]], frozenset[int]]:
        """(policy id -> position in the stage, policy id -> its entries in order, ids of the members)."""
        layout = self._layout.get(id(stage))
        if layout is None:
            with quiet_gc():
                position = {id(p): i for i, (_, p) in enumerate(stage.policies)}
                entries: dict[int, list[Entry]] = {}
                for entry in stage.entries:
                    entries.setdefault(id(entry.policy), []).append(entry)
                members = frozenset(id(p) for _, p in stage.members)
                layout = self._layout[id(stage)] = (position, {k: tuple(v) for k, v in entries.items()}, members)
        return layout

    def _chosen(self, stage: Stage, e: int) -> tuple[list[tuple], list[Entry], frozenset[int]]:
        """The stage's policies that select ``e`` (in stage order), their entries in evaluation order, and the
        ids of the stage's members. With a known selection only those policies are looked at."""
        position, entries, members = self._stage_layout(stage)
        known = self._selection(e) if self._selection is not None else None
        if known is None:
            chosen = [(d, p) for d, p in stage.policies if self.selects((d, p), e)]
        else:
            chosen = [stage.policies[i] for i in sorted(position[pid] for pid in known if pid in position)]
        return chosen, [entry for _, p in chosen for entry in entries.get(id(p), ())], members

    def selects(self, entry_or_member: Entry | tuple, e: int) -> bool:
        """Whether the policy of a plan entry (or a stage member ``(dialect, policy)``) applies to endpoint ``e``."""
        dialect, policy = (
            (entry_or_member.dialect, entry_or_member.policy) if isinstance(entry_or_member, Entry) else entry_or_member
        )
        known = self._selection(e) if self._selection is not None else None
        if known is not None:
            return id(policy) in known
        key = (id(policy), e)
        hit = self._selects.get(key)
        if hit is None:
            hit = self._selects[key] = bool(self.table.is_pod[e]) and dialect.selects(policy, e)
        return hit

    def _decision(
        self, entry: Entry, stage: Stage, label: str, name: str, passed_by: tuple[str, ...] = ()
    ) -> SideDecision:
        allowed = entry.action == ALLOW
        return SideDecision(
            label,
            name,
            allowed,
            ALLOWED_BY_RULE if allowed else DENIED_BY_RULE,
            entry.policy.ref,
            entry.number,
            stage.name if stage.ordered else None,
            dialect=entry.dialect.name,
            position=self.plan.position(entry.policy),
            rule_name=entry.rule.name,
            section=entry.rule.section,
            passed_by=passed_by,
        )

    def side(self, direction: str, endpoint: int, src: int, dst: int, query: PortQuery) -> SideDecision:
        """The decision of ``endpoint``'s policies (its egress when it is ``src``, its ingress when ``dst``)."""
        name, label = self.table.ids[endpoint], direction.lower()
        if not self.table.is_pod[endpoint]:
            return SideDecision(label, name, True, EXTERNAL)
        passed: list[str] = []
        passed_by: list[str] = []  # the Pass rules, as explain shows them
        isolated_anywhere: list[str] = []
        selected: list[str] = []
        for stage in self.plan.stages[direction]:
            chosen, entries, members = self._chosen(stage, endpoint)
            selected.extend(p.ref for _, p in chosen)
            isolating = tuple(p.ref for d, p in chosen if id(p) in members and d.isolated(p, direction, endpoint))
            isolated_anywhere.extend(isolating)
            matched = (
                entry
                for entry in entries
                if entry.dialect.matches(entry.policy, entry.rule.rule, direction, src, dst, query)
            )
            if stage.ordered:
                first = next(matched, None)  # the first matching rule decides
                if first is not None and first.action in (ALLOW, DENY):
                    return self._decision(first, stage, label, name, tuple(passed_by))
                if first is not None:  # Pass: on to the next stage
                    passed.append(stage.name)
                    passed_by.append(self._decision(first, stage, label, name).deciding_rule)
                    continue
            else:  # any matching Deny wins over every Allow
                allow = None
                for entry in matched:
                    if entry.action == DENY:
                        return self._decision(entry, stage, label, name, tuple(passed_by))
                    allow = allow or entry
                if allow is not None:
                    return self._decision(allow, stage, label, name, tuple(passed_by))
            if stage.end_deny and isolating:
                reason = END_OF_TIER if stage.ordered else NO_RULE_MATCHED
                tier = stage.name if stage.ordered else None
                return SideDecision(
                    label, name, False, reason, tier=tier, isolated_by=isolating, passed_by=tuple(passed_by)
                )
            if stage.ordered and isolating:  # a Calico tier whose defaultAction is Pass: its end passes it on
                passed.append(stage.name)
        if passed:
            return SideDecision(
                label,
                name,
                True,
                PASSED,
                isolated_by=tuple(dict.fromkeys(isolated_anywhere)),
                passed_by=tuple(passed_by),
            )
        if selected:
            return SideDecision(label, name, True, NO_RULE_DECIDED, selected_by=tuple(dict.fromkeys(selected)))
        return SideDecision(label, name, True, NOT_ISOLATED)

    def explain(self, src: int, dst: int, query: PortQuery) -> Explanation:
        """Both sides' decisions and the verdict for ``src -> dst`` on ``query``."""
        egress = self.side("Egress", src, src, dst, query)
        ingress = self.side("Ingress", dst, src, dst, query)
        allowed, note = egress.allowed and ingress.allowed, ""
        if src == dst and self.profile.self_traffic == "allow":
            note = (
                f"a pod's traffic to its own IP is not policed under profile {self.profile.name!r} "
                f"(policy alone would say {'allowed' if allowed else 'blocked'})"
            )
            allowed = True
        return Explanation(self.table.ids[src], self.table.ids[dst], str(query), allowed, egress, ingress, note)

    def allowed(self, src: int, dst: int, query: PortQuery) -> bool:
        """The verdict for one pair."""
        return self.explain(src, dst, query).allowed

    def matrix(self, query: PortQuery) -> np.ndarray:
        """Every pair's verdict, one at a time: ``out[s, d]``."""
        n = len(self.table)
        out = np.zeros((n, n), dtype=bool)
        for s in range(n):
            for d in range(n):
                out[s, d] = self.allowed(s, d, query)
        return out
