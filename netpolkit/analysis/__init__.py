"""Analyst tables and lint over a cluster's policies (pandas DataFrames).

Tables (:mod:`netpolkit.analysis.tables`): :func:`exposure` (who can reach a target), :func:`blast_radius` (what a
target can reach), :func:`external_reach` (what the internet and other external endpoints can reach),
:func:`isolation` / :func:`unisolated` (pods no policy isolates), :func:`empty_policies` (policies that select
nothing), :func:`dead_rules` (rules that can never match: empty peers, shadowed in an ordered tier).

Lint (:mod:`netpolkit.analysis.linter`): :func:`lint` returns one row per finding, with its severity, rule id, the
object and the field path.
"""

from __future__ import annotations

from netpolkit.analysis._common import parse_selector
from netpolkit.analysis._demo import demo_cluster
from netpolkit.analysis.linter import (
    LINT_COLUMNS,
    LINT_RULES,
    SEVERITIES,
    LintFinding,
    lint,
    lint_findings,
    synthetic_ips,
)
from netpolkit.analysis.tables import (
    DEAD_RULE_COLUMNS,
    EMPTY_COLUMNS,
    FLOW_COLUMNS,
    blast_radius,
    dead_rules,
    empty_policies,
    exposure,
    external_reach,
    isolation,
    unisolated,
)

__all__ = [
    "DEAD_RULE_COLUMNS",
    "EMPTY_COLUMNS",
    "FLOW_COLUMNS",
    "LINT_COLUMNS",
    "LINT_RULES",
    "SEVERITIES",
    "LintFinding",
    "blast_radius",
    "dead_rules",
    "demo_cluster",
    "empty_policies",
    "exposure",
    "external_reach",
    "isolation",
    "lint",
    "lint_findings",
    "parse_selector",
    "synthetic_ips",
    "unisolated",
]
