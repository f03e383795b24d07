"""The ``netpolkit`` command: reachability matrices, explanations, expectation checks, diffs, exposure, lint and
fleets, from manifest files.

Every command reads manifests (YAML or JSON files, folders of them, ``kubectl get ... -o yaml`` exports, or
``-`` for standard input) and evaluates the NetworkPolicies they hold. Ports are always the destination *pod*
port (the ``containerPort``), never a Service port: a connection to Service port 80 that forwards to
``targetPort: 8080`` is checked on ``TCP/8080``, because that is what policies see.

Examples::

    # who reaches whom, on every container port a pod declares
    netpolkit matrix manifests/

    # one port, only the endpoints of two namespaces
    netpolkit matrix manifests/ --port TCP/8080 --namespace shop --namespace monitoring

    # machine-readable: long CSV, or JSON (see below)
    netpolkit matrix manifests/ --port TCP/80 --port UDP/53 --format csv > reach.csv
    netpolkit matrix manifests/ --port TCP/80 --format json | jq '.ports["TCP/80"]["shop/web"]'

    # a big cluster: allowed pairs per namespace pair, never the pod matrix
    netpolkit matrix export.json --port TCP/443 --aggregate namespace

    # an external endpoint, and a live cluster's export on standard input
    kubectl get ns,pods,netpol -A -o yaml | netpolkit matrix - --port TCP/443 --external internet=203.0.113.10

    # why is shop/web -> shop/db blocked?
    netpolkit explain manifests/ --from shop/web --to shop/db --port TCP/5432

    # CI: assert what must (and must not) be reachable; exit 1 when an expectation fails
    netpolkit check manifests/ --expect expectations.yaml

    # what a change to the policies changes (exit 1 with --fail-on-change), with a heatmap per changed port
    netpolkit diff main/ branch/ --port TCP/5432 --fail-on-change --png diff.png
    netpolkit diff --old base.yaml policies/ --new base.yaml policies-next/

    # who can reach shop/web (exposure), what shop/web can reach (blast radius)
    netpolkit exposure manifests/ --to shop/web
    netpolkit exposure manifests/ --from app=web --by workload

    # the policy mistakes lint finds; exit 1 when one is at or above --fail-on (default error)
    netpolkit lint manifests/ --severity warning

    # many clusters' exports in parallel on Dask (netpolkit[dask])
    netpolkit fleet exports/ --port TCP/443 --scheduler tcp://scheduler:8786

Output formats of ``matrix``:

* ``table`` (default): for each port a heading and a grid, sources as rows and destinations as columns,
  ``✓`` allowed and ``·`` blocked (``Y`` and ``-`` with ``--ascii`` or on a terminal that cannot print them).
  When the destination names do not fit the terminal width, the columns are numbered like the rows.
* ``csv``: long form, header ``src,dst,protocol,port,allowed``, one row per (source, destination, port);
  ``allowed`` is ``true`` or ``false``.
* ``json``: one object ``{"profile": "upstream", "endpoints": [ids...],
  "ports": {"TCP/80": {"<src id>": {"<dst id>": true, ...}, ...}}, "warnings": [...]}``; ``endpoints`` gives the
  matrix order, ``warnings`` what --ignore-unsupported left out (empty otherwise).

The ``check`` expectation file (YAML or JSON)::

    profile: upstream                 # optional; --profile on the command line wins
    externals:                        # optional; --external on the command line wins
      internet: 203.0.113.10
    expect:
      - {from: shop/web, to: shop/api, port: 8080, allowed: true}      # protocol defaults to TCP
      - {from: shop/web, to: shop/db, port: "TCP/5432", allowed: false}
      - {from: internet, to: shop/web, port: 80, protocol: TCP, allowed: true}

The expectation file is read as strictly as a manifest: an unknown field, a duplicate key or a bad value is an
error naming the file, and the limits of :mod:`netpolkit.limits` apply.

Exit codes: 0 success (``explain`` and ``exposure`` exit 0 whatever the verdicts), 1 an expectation of
``check`` failed, ``diff --fail-on-change`` found a change, ``lint`` found something at or above ``--fail-on``,
or a cluster of ``fleet`` failed; 2 bad input: one line on standard error,
``netpolkit: error: <file>: <document>: <object>: <field path>: <message>``. An error of the system (a file that
cannot be written, memory exhausted) or a bug in netpolkit is one line too, and exits 2; never a traceback.

Layout: :mod:`netpolkit.cli.core` (input options, loading, the WARNING banner, tables, errors) and one module
per command (``matrix``, ``explain``, ``check``, ``diff``, ``exposure``, ``lint``, ``fleet``), each with
``add_parser(commands)`` and ``run(args, out, stdin)``.
"""

from __future__ import annotations

import argparse

from netpolkit import __version__
from netpolkit.cli import check, core, diff, explain, exposure, fleet, lint, matrix
from netpolkit.matrix import reachability as reachability  # what the commands evaluate with: replaceable here

__all__ = ["main"]

COMMANDS = (matrix, explain, check, diff, exposure, lint, fleet)
"""The command modules, in the order ``netpolkit --help`` lists them."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=core.PROG,
        description=(
            "Evaluate Kubernetes NetworkPolicies from manifest files: who can open a connection to whom,\n"
            "on which port, and why. Ports are destination pod ports (containerPort), not Service ports."
        ),
        epilog=(
            "examples:\n"
            "  netpolkit matrix manifests/ --port TCP/8080\n"
            "  netpolkit matrix manifests/ --port TCP/8080 --aggregate namespace\n"
            "  netpolkit explain manifests/ --from shop/web --to shop/db --port TCP/5432\n"
            "  netpolkit check manifests/ --expect expectations.yaml\n"
            "  netpolkit diff main/ branch/ --fail-on-change --png diff.png\n"
            "  netpolkit exposure manifests/ --to shop/web\n"
            "  netpolkit lint manifests/ --fail-on warning\n"
            "  netpolkit fleet exports/ --port TCP/443\n"
            "\n"
            "Run 'netpolkit COMMAND --help' for the options of a command."
        ),
        formatter_class=core.HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{core.PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``netpolkit`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return core.guarded(args.run, args)
