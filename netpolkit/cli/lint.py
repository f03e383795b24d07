"""``netpolkit lint``: the policy mistakes :func:`netpolkit.analysis.lint` finds, as a table; exit 1 when a finding
is at or above ``--fail-on`` (default ``error``)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any, TextIO

from netpolkit.analysis import LINT_COLUMNS, LINT_RULES, SEVERITIES, lint
from netpolkit.cli import core
from netpolkit.engine import get_profile
from netpolkit.matrix import Reachability
from netpolkit.readable import plural

__all__ = ["add_parser", "run"]

NEVER = "never"
_SHOWN_COLUMNS = ("severity", "rule", "object", "path", "message")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    rules = "\n".join(f"  {rule:<16} {text}" for rule, text in LINT_RULES.items())
    parser = commands.add_parser(
        "lint",
        formatter_class=core.HelpFormatter,
        help="find policy mistakes (exit 1 when one is at or above --fail-on)",
        description=(
            "Check the policies for the mistakes the course warns about: one row per finding with its\n"
            "severity (error, warning, info), rule, object, field path and message, errors first.\n"
            "Exit 1 when a finding is at or above --fail-on (default: error), else 0; 2 on bad input."
        ),
        epilog=(
            f"rules (--rule):\n{rules}\n"
            "\n"
            "formats: table (severity, rule, object, path, message, then the counts);\n"
            '  csv (severity,rule,object,path,message,file); json {"profile", "findings": [...], "warnings"}\n'
            "--severity only chooses what is shown; --fail-on looks at every finding.\n"
            "\n"
            "examples:\n"
            "  netpolkit lint manifests/\n"
            "  netpolkit lint manifests/ --profile calico --severity warning --fail-on warning\n"
            "  netpolkit lint manifests/ --rule dns-egress --rule service-port --format csv"
        ),
    )
    core.add_inputs(parser)
    parser.add_argument(
        "--severity",
        choices=SEVERITIES,
        default=SEVERITIES[-1],
        help=f"show findings at or above this severity (default: {SEVERITIES[-1]}, everything)",
    )
    parser.add_argument(
        "--fail-on",
        choices=(*SEVERITIES, NEVER),
        default=SEVERITIES[0],
        help=f"exit 1 when a finding is at or above this severity (default: {SEVERITIES[0]}); '{NEVER}': exit 0",
    )
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        choices=tuple(LINT_RULES),
        metavar="RULE",
        help="run only this check (repeatable; see below); default: every check",
    )
    core.add_format(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    cluster = core.load(args, core.parse_externals(args.external), stdin)
    reach = Reachability(cluster, get_profile(core.profile_name(args)), unsupported=core.unsupported(args))
    found = lint(reach, rules=args.rule or None)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    ranks = found["severity"].map(rank)
    shown = found[ranks <= rank[args.severity]]
    failing = args.fail_on != NEVER and bool((ranks <= rank[args.fail_on]).any())
    if args.format == "json":
        doc = {
            "profile": reach.profile.name,
            "findings": json.loads(shown[LINT_COLUMNS].to_json(orient="records")) if len(shown) else [],
            "warnings": list(reach.warnings),
        }
        json.dump(doc, out, indent=2)
        out.write("\n")
    elif args.format == "csv":
        core.banner(reach.warnings, sys.stderr)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(LINT_COLUMNS)
        writer.writerows(
            ["" if v is None else v for v in row] for row in shown[LINT_COLUMNS].itertuples(index=False, name=None)
        )
    else:
        core.banner(reach.warnings, out)
        if len(shown):
            core.write_rows(out, _SHOWN_COLUMNS, list(shown[list(_SHOWN_COLUMNS)].itertuples(index=False, name=None)))
            out.write("\n")
        counts = found["severity"].value_counts()
        summary = ", ".join(plural(int(counts.get(s, 0)), s, "info" if s == "info" else None) for s in SEVERITIES)
        hidden = len(found) - len(shown)
        note = f"; {hidden} below --severity {args.severity} not shown" if hidden else ""
        verdict = f"; exit 1: at or above --fail-on {args.fail_on}" if failing else ""
        out.write(f"{plural(len(found), 'finding')} under profile {reach.profile.name}: {summary}{note}{verdict}\n")
    return 1 if failing else 0
