"""``netpolkit fleet``: many clusters' exports evaluated in parallel on Dask, one summary row per cluster
(:func:`netpolkit.fleet.fleet_main`; needs ``netpolkit[dask]``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from netpolkit import fleet
from netpolkit.cli import core

__all__ = ["add_parser", "run"]

BANNER = (
    "WARNING: --ignore-unsupported: what netpolkit cannot evaluate exactly is left out of each cluster "
    "(its 'warnings' column counts it): those clusters' verdicts may be wrong\n"
)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "fleet",
        formatter_class=core.HelpFormatter,
        help="evaluate many clusters' exports in parallel on Dask (one summary row per cluster)",
        description=(
            "Evaluate every cluster of a fleet in parallel on Dask (pip install 'netpolkit[dask]'): one row\n"
            "per cluster with its pods, namespaces, policies (per dialect), allowed pairs, the share allowed,\n"
            "the pods isolated for ingress and egress, what was left out, and its error if it failed. A\n"
            "cluster that fails does not stop the others. Exit 0 when every cluster was evaluated, 1 when\n"
            "some cluster failed (its error is in the output), 2 when nothing could be evaluated."
        ),
        epilog=(
            "PATH: one fleet folder (each .yaml/.yml/.json file or sub-folder in it is one cluster, hidden\n"
            "names and other files left out), or several paths (exports/*), each one cluster, a file or a\n"
            "folder of exports. A cluster is named after its file without the suffix, or its folder.\n"
            "\n"
            "where it runs: without --scheduler a local Dask cluster (--workers processes, default one per\n"
            "core and at most one per cluster), closed afterwards; --scheduler tcp://host:8786 uses a running\n"
            "scheduler, whose workers need netpolkit installed and the paths readable.\n"
            "\n"
            "formats: table (the counts, then one line per failed cluster); csv and json: every column, one\n"
            "row / object per cluster.\n"
            "\n"
            "examples:\n"
            "  netpolkit fleet exports/ --port TCP/443 --port UDP/53\n"
            "  netpolkit fleet exports/prod-*.json --profile calico --format csv > fleet.csv\n"
            "  netpolkit fleet exports/ --scheduler tcp://scheduler:8786 --timeout 600"
        ),
    )
    group = parser.add_argument_group("input")
    core.add_paths(
        group,
        help="a fleet folder (each file or sub-folder in it is one cluster), or several cluster exports (files "
        "or folders), see below",
    )
    core.add_load_options(group, in_order=False)
    core.add_ports(
        parser,
        help="destination pod port to evaluate in every cluster, 'TCP/80', 'udp/53' or '80' (TCP); repeatable, "
        "or comma-separated. Default: each cluster's declared containerPorts",
    )
    core.add_format(parser, fleet.FORMATS)
    parser.add_argument(
        "--scheduler", metavar="ADDR", help="a running Dask scheduler, e.g. tcp://host:8786 (default: a local one)"
    )
    parser.add_argument(
        "--workers", type=_positive(int), metavar="N", help="worker processes of the local Dask cluster"
    )
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        metavar="SECONDS",
        help="for the whole fleet: clusters not done by then are cancelled and marked failed",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on standard error (default: when it is a terminal, never when CI is set)",
    )
    parser.set_defaults(run=run)
    return parser


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its message
    return parse


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if core.STDIN in args.paths:
        raise ValueError("fleet reads each cluster from its files: '-' (standard input) is not supported here")
    ports = core.parse_ports(args.port)
    externals = core.parse_externals(args.external)
    if args.ignore_unsupported and args.format != "json":  # json: each object's "warnings" says it
        (out if args.format == "table" else sys.stderr).write(BANNER)
    return fleet.fleet_main(
        args.paths,
        out=out,
        err=sys.stderr,
        ports=ports,
        profile=args.profile,
        scheduler=args.scheduler,
        externals=externals or None,
        replicas=args.replicas,
        ignore_unsupported=args.ignore_unsupported,
        output_format=args.format,
        workers=args.workers,
        timeout=args.timeout,
        progress=args.progress,
    )
