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
NO_RULE_DECIDED = "no rule decided"  # selected by a tier that does not isolate (Admin, Baseline): allowed by default


@dataclass(frozen=True, slots=True)
class SideDecision:
    """The verdict of one side: the source's egress or the destination's ingress."""

    direction: str  # "egress" or "ingress"
    endpoint: str
    allowed: bool
    reason: str
    policy: str | None = None
    rule: int | None = None  # 1-based number of the deciding rule in its policy (in ``section``)
    tier: str | None = None
    isolated_by: tuple[str, ...] = ()
    dialect: str | None = None  # "NetworkPolicy", "Calico", "ClusterNetworkPolicy", "AdminNetworkPolicy", "Cilium"
    position: str = ""  # where the policy runs in its tier: "priority 10", "order 100"
    rule_name: str | None = None  # the rule's own name, where the dialect has one
    section: str = ""  # the field holding the rule when not plain ingress/egress, e.g. "ingressDeny"
    passed_by: tuple[str, ...] = ()  # the Pass rules that handed the decision over to a later tier
    selected_by: tuple[str, ...] = ()  # with NO_RULE_DECIDED: the policies that select it and did not decide

    @property
    def tier_label(self) -> str:
        """The tier as people say it: "Admin tier", "Baseline tier", "tier security"."""
        if not self.tier:
            return ""
        if self.tier in ("admin", "baseline"):
            return f"{self.tier.title()} tier"
        return f"tier {self.tier}"

    @property
    def deciding_rule(self) -> str:
        """The deciding rule as people read it: ``ClusterNetworkPolicy guard (Admin tier, priority 10), ingress
        rule 1 "deny-sandbox"`` (empty when no rule decided)."""
        if self.rule is None:
            return ""
        where = ", ".join(part for part in (self.tier_label, self.position) if part)
        where = f" ({where})" if where else ""
        named = f' "{self.rule_name}"' if self.rule_name else ""
        return f"{self.policy}{where}, {self.section or self.direction} rule {self.rule}{named}"

    def __str__(self) -> str:
        side = f"{self.direction} of {self.endpoint}"
        if self.reason == NOT_ISOLATED:
            return f"{side}: allowed, no policy selects it for {self.direction} (not isolated)"
        if self.reason == EXTERNAL:
            return f"{side}: allowed, an external endpoint has no policies"
        if self.reason in (ALLOWED_BY_RULE, DENIED_BY_RULE):
            verb = "allowed" if self.allowed else "denied"
            return f"{side}: {verb} by {self.deciding_rule}{self._handed_over()}"
        if self.reason == PASSED:
            return (
                f"{side}: allowed, every tier that selects it passed it on (Pass) and no later tier decided"
                f"{self._handed_over()}"
            )
        if self.reason == NO_RULE_DECIDED:
            return (
                f"{side}: allowed by default: selected by {', '.join(self.selected_by)}, but no rule of theirs "
                f"matched and nothing isolates it{self._handed_over()}"
            )
        if self.reason == END_OF_TIER:
            by = ", ".join(self.isolated_by)
            return f"{side}: denied at the end of {self.tier_label}: selected by {by}, no rule decided"
        return f"{side}: denied, isolated by {', '.join(self.isolated_by)} and no rule matched{self._handed_over()}"

    def _handed_over(self) -> str:
        return f" (after a Pass: {'; '.join(self.passed_by)})" if self.passed_by else ""


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
    warnings: tuple[str, ...] = ()  # what the evaluation left out (unsupported="ignore"): the verdict may be wrong

    def __str__(self) -> str:
        verdict = "ALLOWED" if self.allowed else "BLOCKED"
        lines = [f"WARNING: {w}" for w in self.warnings]
        lines += [
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
