"""``netpolkit matrix``: who may connect to whom on each port, as a grid, CSV or JSON; ``--aggregate`` counts
allowed pairs per group pair (namespace x namespace by default) from class counts, never building the pod matrix.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np
import pandas as pd

from netpolkit.cli import core
from netpolkit.cluster import EXTERNAL, Cluster
from netpolkit.engine import ENGINES
from netpolkit.matrix import Reachability

__all__ = ["add_parser", "run"]

_GROUPED_WITHOUT_FRAME = ("namespace", "kind")  # groupings Reachability.aggregate reads from the endpoint table


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "matrix",
        formatter_class=core.HelpFormatter,
        help="print the reachability matrix (who may connect to whom) for each port",
        description=(
            "Print, for each port, whether each source endpoint may open a connection to each destination.\n"
            "A connection is allowed when the source's egress AND the destination's ingress allow it.\n"
            "With --aggregate, count the allowed pairs per group pair instead (e.g. namespace x namespace)."
        ),
        epilog=(
            "formats:\n"
            "  table  sources as rows, destinations as columns; a check mark: allowed, a dot: blocked\n"
            "         (Y and - with --ascii)\n"
            "  csv    src,dst,protocol,port,allowed  (one row per pair and port; allowed is true/false)\n"
            '  json   {"profile": ..., "endpoints": [...], "ports": {"TCP/80": {"<src>": {"<dst>": true}}}}\n'
            "\n"
            "with --aggregate GROUP (an endpoints column: namespace, workload, kind, service_account, ...):\n"
            "  table  a grid of ALLOWED/PAIRS per (source group, destination group); '-': no pair there\n"
            "  csv    src,dst,protocol,port,allowed,pairs,fraction  (fraction empty when pairs is 0)\n"
            '  json   {"profile": ..., "by": ..., "groups": [...],\n'
            '          "ports": {"TCP/80": {"<src>": {"<dst>": {"allowed": 3, "pairs": 4, "fraction": 0.75}}}}}\n'
            "  A pair of an endpoint with itself is left out. 'workload' groups by the workload's name: two\n"
            "  workloads of one name in different namespaces are one group.\n"
            "\n"
            "examples:\n"
            "  netpolkit matrix manifests/\n"
            "  netpolkit matrix manifests/ --port TCP/8080 --port UDP/53 --namespace shop\n"
            "  netpolkit matrix manifests/ --port 80 --format csv > reach.csv\n"
            "  netpolkit matrix manifests/ --port TCP/443 --aggregate namespace --format csv"
        ),
    )
    core.add_inputs(parser)
    core.add_ports(parser)
    core.add_format(parser)
    parser.add_argument(
        "--namespace",
        "-n",
        action="append",
        default=[],
        metavar="NS",
        help="only show endpoints of this namespace, as sources and as destinations (repeatable); "
        "external endpoints are in the namespace 'external'. Policies of every namespace still apply. "
        "With --aggregate: only the groups holding an endpoint of these namespaces",
    )
    parser.add_argument(
        "--aggregate",
        metavar="GROUP",
        default=None,
        help="count allowed pairs per group pair instead of printing every pair: 'namespace', 'workload', "
        "'kind' or another endpoints column (computed from class counts: fit for 100,000 pods)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="vectorized",
        help="evaluator: 'vectorized' (default, fast) or 'reference' (per pair, slow, the oracle); same results",
    )
    parser.add_argument("--ascii", action="store_true", help="table: print Y and - instead of a check mark and a dot")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    ports = core.parse_ports(args.port)
    cluster = core.load(args, core.parse_externals(args.external), stdin)
    if not ports:
        ports = cluster.declared_ports()
        if not ports:
            raise ValueError(
                "no pod declares a containerPort, so there is no default port: pass --port, e.g. --port TCP/80"
            )
    if args.aggregate is not None:
        return _run_aggregate(args, cluster, ports, out)
    keep = _select_namespaces(cluster, args.namespace)
    reach = core.reachability(cluster, ports, args, engine=args.engine)
    if args.format == "csv":
        core.banner(reach.warnings, sys.stderr)  # the CSV itself stays machine-readable
        _write_csv(reach, keep, out)
    elif args.format == "json":
        _write_json(reach, keep, out)
    else:
        core.banner(reach.warnings, out)
        _write_table(reach, keep, out, ascii_only=args.ascii)
    return 0


def _known_namespaces(cluster: Cluster) -> set[str]:
    return set(cluster.endpoints["namespace"]) | set(cluster.namespace_objects)


def _check_namespaces(cluster: Cluster, namespaces: Sequence[str]) -> None:
    """An unknown namespace is an error, with the near names."""
    known = _known_namespaces(cluster)
    for ns in namespaces:
        if ns not in known:
            close = difflib.get_close_matches(ns, sorted(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; namespaces: {', '.join(sorted(known))}"
            raise ValueError(f"--namespace {ns!r}: no such namespace in these manifests{hint}")


def _select_namespaces(cluster: Cluster, namespaces: Sequence[str]) -> list[str]:
    """Endpoint ids to show: all, or those in ``namespaces`` (an unknown namespace is an error)."""
    endpoints = cluster.endpoints
    if not namespaces:
        return list(endpoints.index)
    _check_namespaces(cluster, namespaces)
    keep = list(endpoints.index[endpoints["namespace"].isin(namespaces)])
    if not keep:
        raise ValueError(f"no endpoint (pod or external) in namespace(s) {', '.join(namespaces)}")
    return keep


# ---- one row per pair --------------------------------------------------------------------------------------


def _write_csv(reach: Reachability, keep: Sequence[str], out: TextIO) -> None:
    long = reach.long()
    if len(keep) != len(reach.endpoints):
        long = long[long["src"].isin(keep) & long["dst"].isin(keep)]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["src", "dst", "protocol", "port", "allowed"])
    for src, dst, protocol, port, allowed in long.itertuples(index=False, name=None):
        writer.writerow([src, dst, protocol, int(port), "true" if allowed else "false"])


def _write_json(reach: Reachability, keep: Sequence[str], out: TextIO) -> None:
    ports: dict[str, dict[str, dict[str, bool]]] = {}
    for port in reach.ports:
        values = reach.frame(port).loc[keep, keep].to_numpy()
        ports[port] = {
            src: {dst: bool(v) for dst, v in zip(keep, row, strict=True)} for src, row in zip(keep, values, strict=True)
        }
    doc = {"profile": reach.profile.name, "endpoints": list(keep), "ports": ports, "warnings": list(reach.warnings)}
    json.dump(doc, out, indent=2)
    out.write("\n")


def _marks(out: TextIO, ascii_only: bool) -> tuple[str, str]:
    if not ascii_only:
        try:
            "✓·".encode(getattr(out, "encoding", None) or "ascii")
            return "✓", "·"
        except (UnicodeEncodeError, LookupError):
            pass
    return "Y", "-"


def _short_names(ids: Sequence[str]) -> list[str]:
    """Column headers: the name without its namespace, unless two columns would share it."""
    names = [i.rpartition("/")[2] for i in ids]
    taken = {n: names.count(n) for n in names}
    return [name if taken[name] == 1 else full for name, full in zip(names, ids, strict=True)]


def _write_table(reach: Reachability, keep: Sequence[str], out: TextIO, *, ascii_only: bool = False) -> None:
    yes, no = _marks(out, ascii_only)
    width = shutil.get_terminal_size((100, 24)).columns
    headers = _short_names(keep)
    label_width = max(len(i) for i in keep)
    by_name = label_width + sum(1 + len(h) for h in headers) <= width
    if by_name:
        layout = "rows: sources, columns: destinations"
    else:
        layout = "rows: sources, columns: destinations numbered like the rows (read numbers downwards)"
    out.write(f"profile {reach.profile.name}; {layout}; {yes} allowed, {no} blocked; ports are pod ports\n")
    for port in reach.ports:
        values = reach.frame(port).loc[keep, keep].to_numpy()
        pairs = values.size
        out.write(f"\n{port}  ({int(values.sum())} of {pairs} pairs allowed)\n")
        cells = [[yes if v else no for v in row] for row in values]
        if by_name:
            lines = _grid_by_name(keep, headers, cells, label_width)
        else:
            lines = _grid_by_index(keep, cells, label_width)
        out.writelines(line.rstrip() + "\n" for line in lines)


def _grid_by_name(ids: Sequence[str], headers: Sequence[str], cells, label_width: int) -> list[str]:
    lines = [" " * label_width + "".join(" " + h for h in headers)]
    for src, row in zip(ids, cells, strict=True):
        line = "".join(" " + cell.center(len(h)) for h, cell in zip(headers, row, strict=True))
        lines.append(src.ljust(label_width) + line)
    return lines


def _grid_by_index(ids: Sequence[str], cells, label_width: int) -> list[str]:
    """Columns one character wide, headed by their row number written downwards, grouped by five."""
    count = len(ids)
    digits = len(str(count))
    numbers = [str(i + 1).rjust(digits) for i in range(count)]
    prefix = " " * (digits + 1 + label_width)

    def group(chars: Sequence[str]) -> str:
        return " ".join("".join(chars[i : i + 5]) for i in range(0, len(chars), 5))

    lines = [prefix + " " + group([n[d] for n in numbers]) for d in range(digits)]
    for number, src, row in zip(numbers, ids, cells, strict=True):
        lines.append(f"{number} {src.ljust(label_width)} " + group(row))
    return lines


# ---- --aggregate: one row per group pair -------------------------------------------------------------------


def _run_aggregate(args: argparse.Namespace, cluster: Cluster, ports: Sequence[Any], out: TextIO) -> int:
    by = args.aggregate
    if by not in _GROUPED_WITHOUT_FRAME:
        columns = [c for c in cluster.endpoints.columns if c not in ("labels", "ports")]
        if by not in columns:
            close = difflib.get_close_matches(by, columns, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else f"expected one of: {', '.join(columns)}"
            raise ValueError(f"--aggregate {by!r}: not an endpoints column; {hint}")
    if args.namespace:
        _check_namespaces(cluster, args.namespace)
    reach = core.reachability(cluster, ports, args, engine=args.engine)
    frame = reach.aggregate(by=by)
    groups = [str(g) for g in frame["src"].cat.categories]
    if by == "namespace" and EXTERNAL in groups:  # externals last, as in the pod matrix
        groups = [g for g in groups if g != EXTERNAL] + [EXTERNAL]
    groups = _keep_groups(cluster, by, groups, args.namespace)
    tables = {port: _square(frame, port, groups) for port in reach.ports}
    if args.format == "csv":
        core.banner(reach.warnings, sys.stderr)
        _write_aggregate_csv(tables, groups, out)
    elif args.format == "json":
        doc = {
            "profile": reach.profile.name,
            "by": by,
            "groups": groups,
            "ports": {port: _nested(allowed, pairs, groups) for port, (allowed, pairs) in tables.items()},
            "warnings": list(reach.warnings),
        }
        json.dump(doc, out, indent=2)
        out.write("\n")
    else:
        core.banner(reach.warnings, out)
        _write_aggregate_table(reach, by, tables, groups, out)
    return 0


def _keep_groups(cluster: Cluster, by: str, groups: list[str], namespaces: Sequence[str]) -> list[str]:
    if not namespaces:
        return groups
    if by == "namespace":
        wanted = set(namespaces)
    else:
        endpoints = cluster.endpoints
        wanted = set(endpoints.loc[endpoints["namespace"].isin(namespaces), by].astype(str))
    keep = [g for g in groups if g in wanted]
    if not keep:
        raise ValueError(f"no endpoint (pod or external) in namespace(s) {', '.join(namespaces)}")
    return keep


def _square(frame: pd.DataFrame, port: str, groups: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(allowed, pairs) as group x group arrays, rows = source groups, in the order of ``groups``."""
    protocol, _, number = port.partition("/")
    rows = frame[(frame["protocol"] == protocol) & (frame["port"] == int(number))]
    position = {g: i for i, g in enumerate(groups)}
    allowed = np.zeros((len(groups), len(groups)), dtype=np.int64)
    pairs = np.zeros_like(allowed)
    src = rows["src"].astype(str).map(position)
    dst = rows["dst"].astype(str).map(position)
    mine = (src.notna() & dst.notna()).to_numpy()
    s, d = src[mine].astype(int).to_numpy(), dst[mine].astype(int).to_numpy()
    allowed[s, d] = rows["allowed"].to_numpy()[mine]
    pairs[s, d] = rows["pairs"].to_numpy()[mine]
    return allowed, pairs


def _fraction(allowed: int, pairs: int) -> float | None:
    return allowed / pairs if pairs else None


def _nested(allowed: np.ndarray, pairs: np.ndarray, groups: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        src: {
            dst: {"allowed": int(a), "pairs": int(p), "fraction": _fraction(int(a), int(p))}
            for dst, a, p in zip(groups, allowed[i], pairs[i], strict=True)
        }
        for i, src in enumerate(groups)
    }


def _write_aggregate_csv(tables: dict[str, tuple[np.ndarray, np.ndarray]], groups: Sequence[str], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["src", "dst", "protocol", "port", "allowed", "pairs", "fraction"])
    for port, (allowed, pairs) in tables.items():
        protocol, _, number = port.partition("/")
        for i, src in enumerate(groups):
            for j, dst in enumerate(groups):
                share = _fraction(int(allowed[i, j]), int(pairs[i, j]))
                text = "" if share is None else f"{share:.6g}"
                writer.writerow([src, dst, protocol, number, int(allowed[i, j]), int(pairs[i, j]), text])


def _write_aggregate_table(
    reach: Reachability,
    by: str,
    tables: dict[str, tuple[np.ndarray, np.ndarray]],
    groups: Sequence[str],
    out: TextIO,
) -> None:
    width = shutil.get_terminal_size((100, 24)).columns
    cells_by_port = {
        port: [[f"{a}/{p}" if p else "-" for a, p in zip(ra, rp, strict=True)] for ra, rp in zip(*table, strict=True)]
        for port, table in tables.items()
    }
    cell_width = max((len(c) for cells in cells_by_port.values() for row in cells for c in row), default=1)
    label_width = max(len(g) for g in groups)
    by_name = label_width + sum(2 + max(len(g), cell_width) for g in groups) <= width
    layout = "rows: source, columns: destination" + ("" if by_name else f" {by}s numbered like the rows")
    out.write(
        f"profile {reach.profile.name}; allowed/pairs per {by} pair ({layout}); an endpoint with itself left out;"
        " ports are pod ports\n"
    )
    for port, (allowed, pairs) in tables.items():
        out.write(f"\n{port}  ({int(allowed.sum())} of {int(pairs.sum())} pairs allowed, by {by})\n")
        cells = cells_by_port[port]
        if by_name:
            widths = [max(len(g), cell_width) for g in groups]
            lines = [" " * label_width + "".join("  " + g.rjust(w) for g, w in zip(groups, widths, strict=True))]
            for group, row in zip(groups, cells, strict=True):
                lines.append(
                    group.ljust(label_width) + "".join("  " + c.rjust(w) for c, w in zip(row, widths, strict=True))
                )
        else:
            digits = len(str(len(groups)))
            w = max(cell_width, digits)
            prefix = " " * (digits + 1 + label_width)
            lines = [prefix + "".join("  " + str(i + 1).rjust(w) for i in range(len(groups)))]
            for i, (group, row) in enumerate(zip(groups, cells, strict=True)):
                label = f"{str(i + 1).rjust(digits)} {group.ljust(label_width)}"
                lines.append(label + "".join("  " + c.rjust(w) for c in row))
        out.writelines(line.rstrip() + "\n" for line in lines)
