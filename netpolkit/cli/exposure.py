"""``netpolkit exposure``: who can reach a target (``--to``), or what a target can reach (``--from``, its blast
radius), per port, with the other side grouped; the tables of :mod:`netpolkit.analysis`."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any, TextIO

from netpolkit.analysis import FLOW_COLUMNS, blast_radius, exposure
from netpolkit.cli import core
from netpolkit.errors import excerpt

__all__ = ["add_parser", "run"]

_NUMBERS = ("sources", "destinations", "allowed", "pairs")
_MAX_TARGET = 4096  # characters: an endpoint id, a namespace or a selector (an error quotes an excerpt)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "exposure",
        formatter_class=core.HelpFormatter,
        help="who can reach a target (--to), or what it can reach (--from: its blast radius)",
        description=(
            "With --to TARGET: who can open a connection to TARGET (its exposure); with --from TARGET: what\n"
            "TARGET can open connections to (its blast radius). One row per (group of the other side, endpoint\n"
            "of the target, port) where something is allowed; the other side is grouped by --by. Computed from\n"
            "class counts (no pod matrix). Exits 0 whatever it finds."
        ),
        epilog=(
            "TARGET:\n"
            "  shop/web           an endpoint id (a workload is named after itself; 'internet' finds\n"
            "                     external/internet)\n"
            "  shop               every pod of a namespace\n"
            "  app=web            pods whose labels match a selector, as kubectl -l writes it:\n"
            "                     'app=web,tier!=db', 'env in (prod,staging)', '!canary'\n"
            "  external           every external endpoint (--external)\n"
            "\n"
            "columns: src, dst, port; sources (endpoints of the source group that reach the destination),\n"
            "destinations (endpoints of the destination group they reach), allowed (allowed pairs), pairs (all\n"
            "pairs); a pair of an endpoint with itself is left out.\n"
            "\n"
            "formats: table; csv (src,dst,protocol,port,sources,destinations,allowed,pairs);\n"
            '  json {"profile", "direction": "to" or "from", "target", "by", "rows": [...], "warnings"}\n'
            "\n"
            "examples:\n"
            "  netpolkit exposure manifests/ --to shop/db --port TCP/5432\n"
            "  netpolkit exposure manifests/ --to app=web --by workload\n"
            "  netpolkit exposure manifests/ --from shop --by namespace --whole-target\n"
            "  netpolkit exposure manifests/ --from internet --external internet=203.0.113.10"
        ),
    )
    core.add_inputs(parser)
    direction = parser.add_mutually_exclusive_group(required=True)
    direction.add_argument("--to", dest="to", metavar="TARGET", help="exposure: who can reach TARGET (see below)")
    direction.add_argument(
        "--from", dest="frm", metavar="TARGET", help="blast radius: what TARGET can reach (see below)"
    )
    core.add_ports(parser)
    parser.add_argument(
        "--by",
        default="namespace",
        metavar="GROUP",
        help="group the other side by 'namespace' (default), 'workload' (namespace/workload), 'endpoint', "
        "'kind' or another endpoints column",
    )
    parser.add_argument(
        "--whole-target",
        action="store_true",
        help="count the target as one row instead of one row per endpoint of it",
    )
    core.add_format(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    target = args.to if args.to is not None else args.frm
    flag = "--to" if args.to is not None else "--from"
    if len(target) > _MAX_TARGET:
        raise ValueError(f"{flag} {excerpt(target)}: too long for an endpoint id, a namespace or a label selector")
    if not target.strip():
        raise ValueError("name a target: an endpoint id, a namespace, or a label selector such as app=web")
    ports = core.parse_ports(args.port)
    cluster = core.load(args, core.parse_externals(args.external), stdin)
    if not ports:
        ports = cluster.declared_ports()
        if not ports:
            raise ValueError(
                "no pod declares a containerPort, so there is no default port: pass --port, e.g. --port TCP/80"
            )
    reach = core.reachability(cluster, ports, args)
    own = "target" if args.whole_target else "endpoint"
    if args.to is not None:
        rows = exposure(reach, target, by=args.by, dst_by=own)
        heading = f"who can reach {target} (sources by {args.by})"
        empty = f"nothing can reach {target}"
    else:
        rows = blast_radius(reach, target, by=args.by, src_by=own)
        heading = f"what {target} can reach (destinations by {args.by})"
        empty = f"{target} can reach nothing"
    if args.format == "json":
        doc = {
            "profile": reach.profile.name,
            "direction": "to" if args.to is not None else "from",
            "target": target,
            "by": args.by,
            "rows": json.loads(rows.to_json(orient="records")) if len(rows) else [],
            "warnings": list(reach.warnings),
        }
        json.dump(doc, out, indent=2)
        out.write("\n")
        return 0
    if args.format == "csv":
        core.banner(reach.warnings, sys.stderr)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FLOW_COLUMNS)
        writer.writerows(rows[FLOW_COLUMNS].itertuples(index=False, name=None))
        return 0
    core.banner(reach.warnings, out)
    out.write(f"{heading}; profile {reach.profile.name}; ports are pod ports\n")
    if not len(rows):
        out.write(f"{empty} on {', '.join(reach.ports)}\n")
        return 0
    table = [
        (src, dst, f"{protocol}/{port}", *numbers)
        for src, dst, protocol, port, *numbers in rows[FLOW_COLUMNS].itertuples(index=False, name=None)
    ]
    core.write_rows(out, ("src", "dst", "port", *_NUMBERS), table, right=_NUMBERS)
    return 0
