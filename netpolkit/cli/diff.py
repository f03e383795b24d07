"""``netpolkit diff``: what changes between two sets of manifests (OLD and NEW), pair by pair and port by port,
each change with the deciding rule on the new side; ``--fail-on-change`` for CI, ``--png`` for a heatmap."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from netpolkit.cli import core
from netpolkit.engine import Explanation
from netpolkit.engine.explanation import EXTERNAL, NOT_ISOLATED
from netpolkit.errors import elide
from netpolkit.matrix import Diff, Reachability
from netpolkit.readable import plural

__all__ = ["TABLE_LIMIT", "add_parser", "run", "why"]

TABLE_LIMIT = 50
"""Changes listed per port in the table by default (csv and json list every change)."""
NEWLY_ALLOWED, NEWLY_BLOCKED = "newly allowed", "newly blocked"
_SHOWN_IDS = 10  # endpoint ids listed per "only in" line


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "diff",
        formatter_class=core.HelpFormatter,
        help="show which connections a change to the manifests newly allows or blocks",
        description=(
            "Compare two sets of manifests, OLD and NEW (each a file, a folder, or '-' for standard input):\n"
            "every (source, destination, port) whose verdict differs is 'newly allowed' or 'newly blocked',\n"
            "with a one-line why: the rule that decides on the new side. Only endpoints both sides have are\n"
            "compared; the others are listed. Exit 0, or with --fail-on-change 1 when anything changed."
        ),
        epilog=(
            "sides:\n"
            "  OLD NEW                      one path each (a file, a folder read recursively, or '-')\n"
            "  --old PATH... --new PATH...  several paths a side, e.g. the shared base and each side's policies;\n"
            "                               the two forms do not mix, and '-' can be given to one side only\n"
            "\n"
            "formats:\n"
            "  table  per-port counts, then src, dst, port, change, why; at most --limit changes per port\n"
            f"         (default {TABLE_LIMIT})\n"
            "  csv    src,dst,protocol,port,change,why  (every change unless --limit)\n"
            '  json   {"profile", "old", "new", "ports": {"TCP/80": {"newly allowed": 1, "newly blocked": 0}},\n'
            '          "changes": [{"src", "dst", "protocol", "port", "change", "why"}], "only_old", "only_new",\n'
            '          "images", "warnings": {"old": [...], "new": [...]}}\n'
            "\n"
            "--png FILE: one PNG per changed port (nothing when nothing changed). With one port evaluated it is\n"
            "FILE itself; with several, FILE's name gets -PROTOCOL-PORT before its suffix (diff-TCP-80.png).\n"
            "Up to 80 endpoints on the new side (netpolkit.plot.MAX_ENDPOINTS, the most a pod-level heatmap shows\n"
            "readably) it is the pod-level diff heatmap (newly allowed blue '+', newly blocked vermillion '-');\n"
            "above, the share of allowed pairs per namespace pair, old and new side by side.\n"
            "\n"
            "examples:\n"
            "  netpolkit diff main/manifests/ branch/manifests/ --port TCP/5432\n"
            "  git show main:policies.yaml | netpolkit diff - policies.yaml --fail-on-change\n"
            "  netpolkit diff --old base/ policies/ --new base/ policies-next/ --png diff.png"
        ),
    )
    sides = parser.add_argument_group("input")
    sides.add_argument("old_path", nargs="?", metavar="OLD", help="the manifests before the change")
    sides.add_argument("new_path", nargs="?", metavar="NEW", help="the manifests after the change")
    sides.add_argument(
        "--old", action="extend", nargs="+", default=[], metavar="PATH", help="the old side as several paths"
    )
    sides.add_argument(
        "--new", action="extend", nargs="+", default=[], metavar="PATH", help="the new side as several paths"
    )
    core.add_load_options(sides)
    core.add_ports(
        parser,
        help="destination pod port to compare, 'TCP/80', 'udp/53' or '80' (TCP); repeatable, or comma-separated. "
        "Default: every containerPort some pod of either side declares",
    )
    core.add_format(parser)
    parser.add_argument(
        "--fail-on-change", action="store_true", help="exit 1 when some verdict changed (for CI), else 0"
    )
    parser.add_argument(
        "--limit",
        type=_count,
        default=None,
        metavar="N",
        help=f"list at most N changes per port, 0: all (default: {TABLE_LIMIT} in the table, all in csv/json)",
    )
    parser.add_argument("--png", metavar="FILE", help="write a diff heatmap per changed port (see below)")
    parser.set_defaults(run=run)
    return parser


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a count (0 or more), got {text!r}")
    return value


@dataclass(frozen=True)
class _PortDiff:
    """The changed pairs of one port: ids, and whether each is newly allowed (else newly blocked)."""

    port: str
    src: np.ndarray
    dst: np.ndarray
    allowed: np.ndarray

    @property
    def counts(self) -> tuple[int, int]:
        newly = int(self.allowed.sum())
        return newly, len(self.allowed) - newly


def _sides(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    positional = [p for p in (args.old_path, args.new_path) if p is not None]
    if positional and (args.old or args.new):
        raise ValueError("give the sides as OLD NEW or as --old PATH... --new PATH..., not both")
    if positional:
        if len(positional) != 2:
            raise ValueError("diff compares two sides: give OLD and NEW, or --old PATH... --new PATH...")
        old, new = [positional[0]], [positional[1]]
    else:
        if not args.old or not args.new:
            raise ValueError(
                "diff compares two sides: give OLD and NEW, or --old PATH... --new PATH... (both, one path or more)"
            )
        old, new = list(args.old), list(args.new)
    if core.STDIN in old and core.STDIN in new:
        raise ValueError("standard input ('-') is read once: give it to one side only")
    return old, new


def why(explanation: Explanation) -> str:
    """One line: the side that blocks a blocked connection; for an allowed one, the sides a rule allowed (both
    sides when neither is isolated)."""
    if not explanation.allowed:
        return str(explanation.deciding)
    sides = (explanation.egress, explanation.ingress)
    decided = [s for s in sides if s.reason not in (NOT_ISOLATED, EXTERNAL)]
    return "; ".join(str(s) for s in (decided or sides))


def _port_diffs(old: Reachability, new: Reachability) -> tuple[list[_PortDiff], int, list[str], list[str]]:
    """Every port's changes over the endpoints both sides have (in the new side's order); the number of pairs
    compared; the endpoint ids only the old side has, and only the new side.

    From :meth:`Diff.changes`, block by block on joint classes: a diff of a huge cluster builds no N x N matrix.
    """
    old_ids, new_ids = list(old.cluster.table.ids), list(new.cluster.table.ids)
    old_index = old.cluster.table.index
    new_set = set(new_ids)
    diff = Diff(old, new)
    diffs = []
    for port in new.ports:
        changes = diff.changes(port)
        diffs.append(
            _PortDiff(
                port,
                changes["src"].to_numpy(dtype=object),
                changes["dst"].to_numpy(dtype=object),
                (changes["change"] == NEWLY_ALLOWED).to_numpy(dtype=bool),
            )
        )
    only_old = [e for e in old_ids if e not in new_set]
    only_new = [e for e in new_ids if e not in old_index]
    common = len(new_ids) - len(only_new)
    return diffs, common**2, only_old, only_new


def _rows(new: Reachability, diff: _PortDiff, limit: int | None) -> list[dict[str, Any]]:
    shown = len(diff.src) if not limit else min(limit, len(diff.src))
    protocol, _, number = diff.port.partition("/")
    return [
        {
            "src": diff.src[k],
            "dst": diff.dst[k],
            "protocol": protocol,
            "port": int(number),
            "change": NEWLY_ALLOWED if diff.allowed[k] else NEWLY_BLOCKED,
            "why": why(new.explain(diff.src[k], diff.dst[k], diff.port)),
        }
        for k in range(shown)
    ]


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    old_paths, new_paths = _sides(args)
    ports = core.parse_ports(args.port)
    externals = core.parse_externals(args.external)
    old_cluster = core.load_paths(old_paths, args, externals, stdin)
    new_cluster = core.load_paths(new_paths, args, externals, stdin)
    if not ports:
        ports = list(dict.fromkeys([*old_cluster.declared_ports(), *new_cluster.declared_ports()]))
        if not ports:
            raise ValueError(
                "no pod of either side declares a containerPort, so there is no default port: pass --port, "
                "e.g. --port TCP/80"
            )
    old = core.reachability(old_cluster, ports, args)
    new = core.reachability(new_cluster, ports, args)
    diffs, compared, only_old, only_new = _port_diffs(old, new)
    limit = args.limit if args.limit is not None else (TABLE_LIMIT if args.format == "table" else 0)
    rows = {d.port: _rows(new, d, limit) for d in diffs}
    changed = [d for d in diffs if len(d.src)]
    images = _write_images(args.png, old, new, diffs) if args.png else []
    warnings = _side_warnings(old.warnings, new.warnings)
    notes = sys.stderr if args.format != "table" else out  # csv and json stay machine-readable
    if args.format == "json":
        doc = {
            "profile": new.profile.name,
            "old": old_paths,
            "new": new_paths,
            "ports": {d.port: dict(zip((NEWLY_ALLOWED, NEWLY_BLOCKED), d.counts, strict=True)) for d in diffs},
            "changes": [row for port_rows in rows.values() for row in port_rows],
            "only_old": only_old,
            "only_new": only_new,
            "images": [str(path) for path, _, _ in images],
            "warnings": {"old": list(old.warnings), "new": list(new.warnings)},
        }
        json.dump(doc, out, indent=2)
        out.write("\n")
    elif args.format == "csv":
        core.banner(warnings, sys.stderr)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["src", "dst", "protocol", "port", "change", "why"])
        for port_rows in rows.values():
            writer.writerows([[r[c] for c in ("src", "dst", "protocol", "port", "change", "why")] for r in port_rows])
    else:
        core.banner(warnings, out)
        _write_table(out, old_paths, new_paths, new, diffs, rows, compared, only_old, only_new)
    for path, port, view in images:
        notes.write(f"wrote {path} ({port}, {view})\n")
    if args.png and not images:
        notes.write(f"no change: no image written to {args.png}\n")
    return 1 if args.fail_on_change and changed else 0


def _side_warnings(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """Each side's warnings for the banner, named by side; one line for a warning both sides have."""
    both = set(old) & set(new)
    lines = [f"old and new: {w}" if w in both else f"old: {w}" for w in old]
    return lines + [f"new: {w}" for w in new if w not in both]


def _ids_line(ids: Sequence[str]) -> str:
    more = f", ... and {len(ids) - _SHOWN_IDS} more" if len(ids) > _SHOWN_IDS else ""
    return ", ".join(ids[:_SHOWN_IDS]) + more


def _write_table(
    out: TextIO,
    old_paths: Sequence[str],
    new_paths: Sequence[str],
    new: Reachability,
    diffs: Sequence[_PortDiff],
    rows: dict[str, list[dict[str, Any]]],
    compared: int,
    only_old: Sequence[str],
    only_new: Sequence[str],
) -> None:
    out.write(
        f"profile {new.profile.name}; old: {elide(', '.join(old_paths), 200)}; new: {elide(', '.join(new_paths), 200)}"
        "; ports are pod ports\n"
    )
    if only_old:
        out.write(f"only in old (not compared): {_ids_line(only_old)}\n")
    if only_new:
        out.write(f"only in new (not compared): {_ids_line(only_new)}\n")
    width = max(len(d.port) for d in diffs)
    for d in diffs:
        allowed, blocked = d.counts
        counts = f"{allowed} {NEWLY_ALLOWED}, {blocked} {NEWLY_BLOCKED}" if allowed or blocked else "no change"
        out.write(f"{d.port.ljust(width)}  {counts}\n")
    table = [
        (r["src"], r["dst"], f"{r['protocol']}/{r['port']}", r["change"], r["why"])
        for port_rows in rows.values()
        for r in port_rows
    ]
    if table:
        out.write("\n")
        core.write_rows(out, ("src", "dst", "port", "change", "why (new side)"), table)
    for d in diffs:
        left = len(d.src) - len(rows[d.port])
        if left:
            out.write(f"  ... and {left} more on {d.port} (--limit 0 lists every change)\n")
    total = sum(len(d.src) for d in diffs)
    changed = sum(1 for d in diffs if len(d.src))
    out.write("\n")
    if total:
        out.write(f"{plural(total, 'change')} on {changed} of {plural(len(diffs), 'port')}\n")
    else:
        out.write(f"no change on {plural(len(diffs), 'port')} ({compared} endpoint pairs compared per port)\n")


# ---- --png -------------------------------------------------------------------------------------------------


def _image_path(png: str, port: str, several: bool) -> Path:
    path = Path(png)
    if not several:
        return path
    protocol, _, number = port.partition("/")
    return path.with_name(f"{path.stem}-{protocol}-{number}{path.suffix or '.png'}")


def _write_images(
    png: str, old: Reachability, new: Reachability, diffs: Sequence[_PortDiff]
) -> list[tuple[Path, str, str]]:
    """One PNG per changed port: the pod-level diff heatmap, or for a big cluster old and new by namespace."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # off-screen: a command never opens a window
    import matplotlib.pyplot as plt

    from netpolkit import plot

    written = []
    pod_view = len(new.cluster.table) <= plot.MAX_ENDPOINTS  # where plot.diff_heatmap would refuse
    for d in diffs:
        if not len(d.src):
            continue
        path = _image_path(png, d.port, len(diffs) > 1)
        if pod_view:
            figure, dpi = plot.diff_heatmap(old, new, d.port).figure_, 120
            view = "pod view"
        else:  # a figure twice as wide, and at 100 dpi: half the time to draw and encode
            figure, dpi = _namespace_figure(plt, plot, old, new, d), 100
            view = f"namespace view: more than {plot.MAX_ENDPOINTS} endpoints"
        try:
            figure.savefig(path, dpi=dpi)
        finally:
            plt.close(figure)
        written.append((path, d.port, view))
    return written


def _namespace_figure(plt: Any, plot: Any, old: Reachability, new: Reachability, diff: _PortDiff) -> Any:
    groups = max(len(set(old.endpoints["namespace"])), len(set(new.endpoints["namespace"])), 8)
    side = max(3.4, min(10.0, 0.42 * groups))
    figure, axes = plt.subplots(1, 2, figsize=(2 * side + 6.0, side + 2.4), layout="compressed")
    before = plot.aggregate_heatmap(old, diff.port, ax=axes[0])
    after = plot.aggregate_heatmap(new, diff.port, ax=axes[1])
    if before.banner_ is not None and after.banner_ is not None:  # one banner line, not two on top of each other
        before.banner_.remove()
    axes[0].set_title(f"old — {diff.port} (profile {old.profile.name})")
    axes[1].set_title(f"new — {diff.port} (profile {new.profile.name})")
    allowed, blocked = diff.counts
    figure.suptitle(
        f"what changed on {diff.port}: {allowed} {NEWLY_ALLOWED}, {blocked} {NEWLY_BLOCKED} pairs "
        "(share of allowed pairs per namespace pair)",
        fontsize=12,
        fontweight="bold",
    )
    return figure
