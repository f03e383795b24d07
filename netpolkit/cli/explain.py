"""``netpolkit explain``: why one connection is allowed or blocked, side by side (exit 0 whatever the verdict)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from netpolkit.cli import core
from netpolkit.engine import get_profile
from netpolkit.matrix import Reachability

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "explain",
        formatter_class=core.HelpFormatter,
        help="explain why one connection is allowed or blocked",
        description=(
            "Explain one connection attempt: the verdict, and for each side (the source's egress, the\n"
            "destination's ingress) the policy and rule that decided. Exits 0 whatever the verdict."
        ),
        epilog="example:\n  netpolkit explain manifests/ --from shop/web --to shop/db --port TCP/5432",
    )
    core.add_inputs(parser)
    parser.add_argument(
        "--from",
        dest="src",
        required=True,
        metavar="NS/POD",
        help="source endpoint id: 'namespace/pod' (a workload is named after itself, e.g. shop/api), or an "
        "external name given with --external ('internet' or 'external/internet')",
    )
    parser.add_argument("--to", dest="dst", required=True, metavar="NS/POD", help="destination endpoint id")
    parser.add_argument(
        "--port",
        required=True,
        metavar="PORT",
        help="destination pod port, 'TCP/80', 'udp/53' or '80' (TCP); the containerPort, not the Service port",
    )
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    ports = core.parse_ports([args.port])
    if len(ports) != 1:
        raise ValueError(f"--port {args.port!r}: explain takes one port")
    port = ports[0]
    core.check_endpoint("--from", args.src)
    core.check_endpoint("--to", args.dst)
    cluster = core.load(args, core.parse_externals(args.external), stdin)
    # explain needs only the per-pair reference evaluator: no matrix is computed
    reach = Reachability(cluster, get_profile(core.profile_name(args)), unsupported=core.unsupported(args))
    out.write(f"{reach.explain(args.src, args.dst, port)}\n")
    return 0
