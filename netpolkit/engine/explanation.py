"""Why a connection is allowed or blocked: one decision per side, printable and structured."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Explanation", "SideDecision"]

NOT_ISOLATED = "not isolated"
EXTERNAL = "external endpoint"
ALLOWED_BY_RULE = "allowed by rule"
DENIED_BY_RULE = "denied by rule"
NO_RULE_MATCHED = "no rule matched"
END_OF_TIER = "end of tier"
PASSED = "passed on"


@dataclass(frozen=True, slots=True)
class SideDecision:
    """The verdict of one side: the source's egress or the destination's ingress."""

    direction: str  # "egress" or "ingress"
    endpoint: str
    allowed: bool
    reason: str
    policy: str | None = None
    rule: int | None = None
    tier: str | None = None
    isolated_by: tuple[str, ...] = ()

    def __str__(self) -> str:
        side = f"{self.direction} of {self.endpoint}"
        if self.reason == NOT_ISOLATED:
            return f"{side}: allowed, no policy selects it for {self.direction} (not isolated)"
        if self.reason == EXTERNAL:
            return f"{side}: allowed, an external endpoint has no policies"
        if self.reason in (ALLOWED_BY_RULE, DENIED_BY_RULE):
            verb = "allowed" if self.allowed else "denied"
            tier = f" (tier {self.tier})" if self.tier else ""
            return f"{side}: {verb} by {self.policy}{tier}, {self.direction} rule {self.rule}"
        if self.reason == PASSED:
            return f"{side}: allowed, every tier that selects it passed it on (Pass) and no later tier decided"
        if self.reason == END_OF_TIER:
            by = ", ".join(self.isolated_by)
            return f"{side}: denied at the end of tier {self.tier}: selected by {by}, no rule decided"
        return f"{side}: denied, isolated by {', '.join(self.isolated_by)} and no rule matched"


@dataclass(frozen=True, slots=True)
class Explanation:
    """Both sides of one connection attempt and the overall verdict (egress AND ingress)."""

    src: str
    dst: str
    port: str
    allowed: bool
    egress: SideDecision
    ingress: SideDecision
    note: str = ""

    def __str__(self) -> str:
        verdict = "ALLOWED" if self.allowed else "BLOCKED"
        lines = [
            f"{self.src} -> {self.dst} on {self.port}: {verdict}",
            f"  {self.egress}",
            f"  {self.ingress}",
        ]
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the readable form
        printer.text(str(self))

    @property
    def deciding(self) -> SideDecision | None:
        """The side that blocked the connection (egress first), or None when it is allowed."""
        if self.allowed:
            return None
        return self.egress if not self.egress.allowed else self.ingress
