"""The ``netpolkit`` command: reachability matrices, explanations and expectation checks, from manifest files.

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

    # an external endpoint, and a live cluster's export on standard input
    kubectl get ns,pods,netpol -A -o yaml | netpolkit matrix - --port TCP/443 --external internet=203.0.113.10

    # why is shop/web -> shop/db blocked?
    netpolkit explain manifests/ --from shop/web --to shop/db --port TCP/5432

    # CI: assert what must (and must not) be reachable; exit 1 when an expectation fails
    netpolkit check manifests/ --expect expectations.yaml

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

Exit codes: 0 success (``explain`` exits 0 whatever the verdict), 1 an expectation of ``check`` failed,
2 bad input: one line on standard error,
``netpolkit: error: <file>: <document>: <object>: <field path>: <message>``. An error of the system (a file that
cannot be written, memory exhausted) or a bug in netpolkit is one line too, and exits 2; never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import difflib
import ipaddress
import json
import os
import shutil
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from netpolkit import __version__
from netpolkit.cluster import Cluster
from netpolkit.engine import ENGINES, PROFILES, get_profile
from netpolkit.errors import PolicyError, UnknownEndpointError, Where, elide, excerpt
from netpolkit.io.decode import decode, read_file, read_stream
from netpolkit.io.manifests import read_documents, read_text
from netpolkit.matrix import Reachability, reachability
from netpolkit.model.document import Document
from netpolkit.model.fields import Reader, describe
from netpolkit.model.ports import PortQuery

__all__ = ["main"]

PROG = "netpolkit"
STDIN = "-"
EXPECT_FIELDS = ("from", "to", "port", "protocol", "allowed")
EXPECT_FILE_FIELDS = ("expect", "profile", "externals")
_MAX_ENDPOINT_ID = 63 + 1 + 253 + 16  # namespace/name (a DNS label and a DNS subdomain), with room for a suffix


# ---- argument parsing --------------------------------------------------------------------------------------


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the hand-wrapped descriptions and epilogs (examples, file formats) as written."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Evaluate Kubernetes NetworkPolicies from manifest files: who can open a connection to whom,\n"
            "on which port, and why. Ports are destination pod ports (containerPort), not Service ports."
        ),
        epilog=(
            "examples:\n"
            "  netpolkit matrix manifests/ --port TCP/8080\n"
            "  netpolkit explain manifests/ --from shop/web --to shop/db --port TCP/5432\n"
            "  netpolkit check manifests/ --expect expectations.yaml\n"
            "\n"
            "Run 'netpolkit COMMAND --help' for the options of a command."
        ),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    common = argparse.ArgumentParser(add_help=False)
    inputs = common.add_argument_group("input")
    inputs.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="manifest files (.yaml/.yml/.json, several documents and 'kind: List' allowed) or folders of "
        "them (read recursively); '-' reads standard input, e.g. "
        "'kubectl get ns,pods,netpol -A -o yaml | netpolkit matrix -'",
    )
    inputs.add_argument(
        "--profile",
        choices=tuple(PROFILES),
        default=None,
        help="network plugin semantics for what the Kubernetes API leaves open: 'upstream' (default; a pod's "
        "traffic to itself is evaluated like any pair), 'calico' (tiers and order; self traffic always "
        "allowed), "
        "'cilium' (ipBlock never matches pods of the cluster)",
    )
    inputs.add_argument(
        "--external",
        action="append",
        default=[],
        metavar="NAME=IP",
        help="add an external endpoint 'external/NAME' at address IP (repeatable), e.g. --external "
        "internet=203.0.113.10; ipBlock peers decide whether it may connect",
    )
    inputs.add_argument(
        "--replicas",
        choices=("one", "all"),
        default="one",
        help="'one' (default): each workload is one endpoint named after it (shop/api); 'all': one endpoint "
        "per replica (shop/api-0, shop/api-1, ...)",
    )
    inputs.add_argument(
        "--ignore-unsupported",
        action="store_true",
        help="go on when a policy cannot be evaluated exactly (a kind or version netpolkit does not model, an "
        "unmodelled feature such as L7 rules, a dialect the --profile's plugin does not enforce): it is left out "
        "and every output starts with a WARNING banner saying what; without it such input is an error",
    )
    inputs.add_argument(
        "--in-order",
        action="store_true",
        help="apply the files in order: a later object with the same kind/namespace/name replaces an earlier one "
        "(e.g. a tutorial folder such as manifests/aks/ gives its final state); without it a duplicate is an error",
    )

    matrix = commands.add_parser(
        "matrix",
        parents=[common],
        formatter_class=_HelpFormatter,
        help="print the reachability matrix (who may connect to whom) for each port",
        description=(
            "Print, for each port, whether each source endpoint may open a connection to each destination.\n"
            "A connection is allowed when the source's egress AND the destination's ingress allow it."
        ),
        epilog=(
            "formats:\n"
            "  table  sources as rows, destinations as columns; a check mark: allowed, a dot: blocked\n"
            "         (Y and - with --ascii)\n"
            "  csv    src,dst,protocol,port,allowed  (one row per pair and port; allowed is true/false)\n"
            '  json   {"profile": ..., "endpoints": [...], "ports": {"TCP/80": {"<src>": {"<dst>": true}}}}\n'
            "\n"
            "examples:\n"
            "  netpolkit matrix manifests/\n"
            "  netpolkit matrix manifests/ --port TCP/8080 --port UDP/53 --namespace shop\n"
            "  netpolkit matrix manifests/ --port 80 --format csv > reach.csv"
        ),
    )
    matrix.add_argument(
        "--port",
        action="append",
        default=[],
        metavar="PORT",
        help="destination pod port to evaluate, 'TCP/80', 'udp/53' or '80' (TCP); repeatable, or "
        "comma-separated. This is the containerPort a Service's targetPort forwards to, not the Service "
        "port. Default: every containerPort some pod declares",
    )
    matrix.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format (default: table)"
    )
    matrix.add_argument(
        "--namespace",
        "-n",
        action="append",
        default=[],
        metavar="NS",
        help="only show endpoints of this namespace, as sources and as destinations (repeatable); "
        "external endpoints are in the namespace 'external'. Policies of every namespace still apply",
    )
    matrix.add_argument(
        "--engine",
        choices=ENGINES,
        default="vectorized",
        help="evaluator: 'vectorized' (default, fast) or 'reference' (per pair, slow, the oracle); same results",
    )
    matrix.add_argument("--ascii", action="store_true", help="table: print Y and - instead of a check mark and a dot")
    matrix.set_defaults(run=_run_matrix)

    explain = commands.add_parser(
        "explain",
        parents=[common],
        formatter_class=_HelpFormatter,
        help="explain why one connection is allowed or blocked",
        description=(
            "Explain one connection attempt: the verdict, and for each side (the source's egress, the\n"
            "destination's ingress) the policy and rule that decided. Exits 0 whatever the verdict."
        ),
        epilog="example:\n  netpolkit explain manifests/ --from shop/web --to shop/db --port TCP/5432",
    )
    explain.add_argument(
        "--from",
        dest="src",
        required=True,
        metavar="NS/POD",
        help="source endpoint id: 'namespace/pod' (a workload is named after itself, e.g. shop/api), or an "
        "external name given with --external ('internet' or 'external/internet')",
    )
    explain.add_argument("--to", dest="dst", required=True, metavar="NS/POD", help="destination endpoint id")
    explain.add_argument(
        "--port",
        required=True,
        metavar="PORT",
        help="destination pod port, 'TCP/80', 'udp/53' or '80' (TCP); the containerPort, not the Service port",
    )
    explain.set_defaults(run=_run_explain)

    check = commands.add_parser(
        "check",
        parents=[common],
        formatter_class=_HelpFormatter,
        help="check expected verdicts from a file (exit 1 when one fails)",
        description=(
            "Evaluate every expectation of FILE; print one FAIL line per failed expectation with the\n"
            "reasons, then 'N passed, M failed' as the last line. Exit 0 when all pass, 1 when one fails,\n"
            "2 on bad input."
        ),
        epilog=(
            "expectation file (YAML or JSON):\n"
            "  profile: upstream          # optional default for --profile\n"
            "  externals:                 # optional, merged under --external\n"
            "    internet: 203.0.113.10\n"
            "  expect:\n"
            "    - {from: shop/web, to: shop/api, port: 8080, allowed: true}   # protocol defaults to TCP\n"
            '    - {from: shop/web, to: shop/db, port: "TCP/5432", allowed: false}\n'
            "    - {from: internet, to: shop/web, port: 80, protocol: TCP, allowed: true}\n"
            "\n"
            "ports are destination pod ports (containerPort), not Service ports."
        ),
    )
    check.add_argument("--expect", required=True, metavar="FILE", help="expectation file (see below)")
    check.add_argument("--verbose", "-v", action="store_true", help="also print a PASS line per expectation")
    check.set_defaults(run=_run_check)
    return parser


# ---- shared helpers ----------------------------------------------------------------------------------------


def _parse_externals(specs: Sequence[str]) -> dict[str, str]:
    externals: dict[str, str] = {}
    for spec in specs:
        name, sep, ip = spec.partition("=")
        if not sep or not name.strip() or not ip.strip():
            raise ValueError(f"--external expects NAME=IP, e.g. internet=203.0.113.10, got {excerpt(spec)}")
        if problem := _external_problem(name.strip(), ip.strip()):
            raise ValueError(f"--external {excerpt(spec)}: {problem}")
        externals[name.strip()] = ip.strip()
    return externals


def _external_problem(name: str, address: str) -> str | None:
    """Why ``name: address`` is not an external endpoint (a name without '/', one IP address), or None."""
    if not name or "/" in name:
        return f"an external endpoint's name must be non-empty and contain no '/', got {excerpt(name)}"
    if "%" in address:
        return f"{excerpt(address)} is not an IP address: an IPv6 zone ('%...') is not allowed"
    try:
        net = ipaddress.ip_network(address, strict=True) if len(address) <= 49 else None
    except ValueError:
        net = None
    if net is None:
        return f"{excerpt(address)} is not an IP address"
    if net.num_addresses != 1:
        return f"give one address, not the range {excerpt(address)[1:-1]}"
    return None


def _parse_ports(specs: Sequence[str]) -> list[PortQuery]:
    ports: list[PortQuery] = []
    for spec in specs:
        for part in spec.split(","):
            try:
                ports.append(PortQuery.parse(part))
            except ValueError as exc:
                raise ValueError(
                    f"--port {excerpt(part.strip())}: {exc} (expected e.g. TCP/80, udp/53 or 80)"
                ) from None
    return list(dict.fromkeys(ports))


def _load(args: argparse.Namespace, externals: Mapping[str, str], stdin: TextIO) -> Cluster:
    """Like :func:`netpolkit.load` for the input options, where the path ``-`` reads standard input."""
    docs: list[Document] = []
    for path in args.paths:
        if path == STDIN:
            docs.extend(read_text(read_stream(stdin), "<stdin>"))
        else:
            docs.extend(read_documents(path))
    return Cluster.from_documents(
        docs, externals, replicas=args.replicas, replace=args.in_order, unsupported=_unsupported(args)
    )


def _unsupported(args: argparse.Namespace) -> str:
    return "ignore" if args.ignore_unsupported else "error"


def _profile_name(args: argparse.Namespace, default: str | None = None) -> str:
    return args.profile or default or "upstream"


def _banner(reach: Reachability, out: TextIO) -> None:
    """What was left out, before any verdict: the verdicts may be wrong (only with --ignore-unsupported)."""
    if not reach.warnings:
        return
    out.write(f"WARNING: {len(reach.warnings)} thing(s) left out (--ignore-unsupported): verdicts may be wrong\n")
    for warning in reach.warnings:
        out.write(f"WARNING: {warning}\n")


# ---- matrix ------------------------------------------------------------------------------------------------


def _run_matrix(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    ports = _parse_ports(args.port)
    cluster = _load(args, _parse_externals(args.external), stdin)
    if not ports:
        ports = cluster.declared_ports()
        if not ports:
            raise ValueError(
                "no pod declares a containerPort, so there is no default port: pass --port, e.g. --port TCP/80"
            )
    keep = _select_namespaces(cluster, args.namespace)
    reach = reachability(
        cluster, ports=ports, profile=_profile_name(args), engine=args.engine, unsupported=_unsupported(args)
    )
    if args.format == "csv":
        _banner(reach, sys.stderr)  # the CSV itself stays machine-readable
        _write_csv(reach, keep, out)
    elif args.format == "json":
        _write_json(reach, keep, out)
    else:
        _banner(reach, out)
        _write_table(reach, keep, out, ascii_only=args.ascii)
    return 0


def _select_namespaces(cluster: Cluster, namespaces: Sequence[str]) -> list[str]:
    """Endpoint ids to show: all, or those in ``namespaces`` (an unknown namespace is an error)."""
    endpoints = cluster.endpoints
    if not namespaces:
        return list(endpoints.index)
    known = set(endpoints["namespace"]) | set(cluster.namespace_objects)
    for ns in namespaces:
        if ns not in known:
            close = difflib.get_close_matches(ns, sorted(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; namespaces: {', '.join(sorted(known))}"
            raise ValueError(f"--namespace {ns!r}: no such namespace in these manifests{hint}")
    keep = list(endpoints.index[endpoints["namespace"].isin(namespaces)])
    if not keep:
        raise ValueError(f"no endpoint (pod or external) in namespace(s) {', '.join(namespaces)}")
    return keep


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
        if by_name:
            lines = _grid_by_name(keep, headers, values, label_width, yes, no)
        else:
            lines = _grid_by_index(keep, values, label_width, yes, no)
        out.writelines(line.rstrip() + "\n" for line in lines)


def _grid_by_name(ids, headers, values, label_width, yes, no) -> list[str]:
    lines = [" " * label_width + "".join(" " + h for h in headers)]
    for src, row in zip(ids, values, strict=True):
        cells = "".join(" " + (yes if v else no).center(len(h)) for h, v in zip(headers, row, strict=True))
        lines.append(src.ljust(label_width) + cells)
    return lines


def _grid_by_index(ids, values, label_width, yes, no) -> list[str]:
    """Columns one character wide, headed by their row number written downwards, grouped by five."""
    count = len(ids)
    digits = len(str(count))
    numbers = [str(i + 1).rjust(digits) for i in range(count)]
    prefix = " " * (digits + 1 + label_width)

    def group(chars: Sequence[str]) -> str:
        return " ".join("".join(chars[i : i + 5]) for i in range(0, len(chars), 5))

    lines = [prefix + " " + group([n[d] for n in numbers]) for d in range(digits)]
    for number, src, row in zip(numbers, ids, values, strict=True):
        lines.append(f"{number} {src.ljust(label_width)} " + group([yes if v else no for v in row]))
    return lines


# ---- explain -----------------------------------------------------------------------------------------------


def _run_explain(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    ports = _parse_ports([args.port])
    if len(ports) != 1:
        raise ValueError(f"--port {args.port!r}: explain takes one port")
    port = ports[0]
    for flag, endpoint in (("--from", args.src), ("--to", args.dst)):
        if len(endpoint) > _MAX_ENDPOINT_ID:
            raise ValueError(f"{flag} {excerpt(endpoint)}: not an endpoint id (namespace/name or an external name)")
    cluster = _load(args, _parse_externals(args.external), stdin)
    # explain needs only the per-pair reference evaluator: no matrix is computed
    reach = Reachability(cluster, get_profile(_profile_name(args)), unsupported=_unsupported(args))
    out.write(f"{reach.explain(args.src, args.dst, port)}\n")
    return 0


# ---- check -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expectation:
    index: int
    src: str
    dst: str
    port: PortQuery
    allowed: bool


@dataclass(frozen=True)
class _ExpectFile:
    name: str
    expectations: list[_Expectation]
    profile: str | None
    externals: dict[str, str]


def _read_expect_file(path: str, stdin: TextIO) -> _ExpectFile:
    """The expectation file, read as strictly as a manifest (duplicate keys, limits, unknown fields)."""
    name = "<stdin>" if path == STDIN else path
    where = Where(name)
    if not path:
        raise PolicyError("--expect needs a file name")
    text = read_stream(stdin, name) if path == STDIN else read_file(Path(path), name)
    documents = decode(text, name)
    if len(documents) > 1:
        raise PolicyError(f"expected one YAML document, found {len(documents)}", where=where)
    data = documents[0] if documents else None
    if not isinstance(data, Mapping):
        raise PolicyError("expected a mapping with an 'expect:' list of {from, to, port, allowed}", where=where)
    top = Reader(data, "", where)
    top.only(EXPECT_FILE_FIELDS)
    profile = top.string("profile")
    if profile is not None and profile not in PROFILES:
        top.fail(f"unknown profile {excerpt(profile)}; expected one of: {', '.join(PROFILES)}", key="profile")
    externals = top.string_map("externals")
    for external, address in externals.items():
        if problem := _external_problem(external, address):
            top.fail(problem, key=f"externals.{external}")
    entries = top.children("expect")
    if entries is None:
        top.fail("required field is missing: a list of {from, to, port, allowed}", key="expect")
    if not entries:
        top.fail("is empty: list at least one expectation", key="expect")
    expectations = [_read_expectation(i, entry) for i, entry in enumerate(entries)]
    return _ExpectFile(name, expectations, profile, externals)


def _read_expectation(index: int, entry: Reader) -> _Expectation:
    entry.only(EXPECT_FIELDS)
    src = entry.string("from", required=True)
    dst = entry.string("to", required=True)
    for field, endpoint in (("from", src), ("to", dst)):
        if len(endpoint or "") > _MAX_ENDPOINT_ID:
            entry.fail(f"{excerpt(endpoint)} is not an endpoint id (namespace/name or an external name)", key=field)
    allowed = entry.typed("allowed", bool, required=True)
    port_value = entry.raw("port")
    if port_value is None:
        entry.fail("required field is missing", key="port")
    if isinstance(port_value, bool) or not isinstance(port_value, int | str):
        entry.fail(f"expected a port like 80 or 'TCP/80', got {describe(port_value)}", key="port")
    try:
        port = PortQuery.parse(port_value)
    except ValueError as exc:
        entry.fail(str(exc), key="port")
    protocol = entry.string("protocol")
    if protocol is not None:
        try:
            with_protocol = PortQuery.parse(f"{protocol}/{port.port}")
        except ValueError as exc:
            entry.fail(str(exc), key="protocol")
        if isinstance(port_value, str) and "/" in port_value and with_protocol != port:
            entry.fail(f"{excerpt(protocol)} contradicts port {excerpt(port_value)}", key="protocol")
        port = with_protocol
    return _Expectation(index, src, dst, port, allowed)


def _verdict(allowed: bool) -> str:
    return "allowed" if allowed else "blocked"


def _run_check(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    spec = _read_expect_file(args.expect, stdin)
    externals = {**spec.externals, **_parse_externals(args.external)}
    cluster = _load(args, externals, stdin)
    ports = list(dict.fromkeys(e.port for e in spec.expectations))
    reach = reachability(
        cluster, ports=ports, profile=_profile_name(args, spec.profile), unsupported=_unsupported(args)
    )
    _banner(reach, out)
    failed = 0
    for exp in spec.expectations:
        endpoints = []
        for field, endpoint in (("from", exp.src), ("to", exp.dst)):
            try:
                endpoints.append(reach.endpoint_id(endpoint))
            except KeyError as exc:
                raise PolicyError(_message(exc), where=Where(spec.name), path=f"expect[{exp.index}].{field}") from None
        src, dst = endpoints
        got = reach.allowed(src, dst, exp.port)
        if got == exp.allowed:
            if args.verbose:
                out.write(f"PASS {src} -> {dst} {exp.port}: {_verdict(got)}\n")
            continue
        failed += 1
        why = reach.explain(src, dst, exp.port)
        out.write(f"FAIL {src} -> {dst} {exp.port}: expected {_verdict(exp.allowed)}, got {_verdict(got)}\n")
        out.write(f"  {why.egress}\n  {why.ingress}\n")
        if why.note:
            out.write(f"  note: {why.note}\n")
    passed = len(spec.expectations) - failed
    out.write(f"{passed} passed, {failed} failed\n")
    return 1 if failed else 0


# ---- entry point -------------------------------------------------------------------------------------------


def _message(exc: BaseException) -> str:
    """One line for an input error (KeyError's str() would quote its message)."""
    if isinstance(exc, UnknownEndpointError):
        text = str(exc)
    elif isinstance(exc, KeyError) and len(exc.args) == 1 and isinstance(exc.args[0], str):
        text = exc.args[0]
    elif isinstance(exc, FileNotFoundError) and exc.filename:
        text = f"{exc.filename}: {exc.strerror or 'no such file'}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _show_warning(
    message: Warning | str,
    category: type,
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings (e.g. skipped kinds) as one ``netpolkit: warning:`` line each, without source locations."""
    print(f"{PROG}: warning: {' '.join(str(message).split())}", file=sys.stderr)


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush does not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured output)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the ``netpolkit`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return args.run(args, sys.stdout, sys.stdin)
        except (PolicyError, ValueError, KeyError, FileNotFoundError) as exc:
            return _fail(_message(exc))
        except BrokenPipeError:  # e.g. `netpolkit matrix ... | head`: stop quietly
            _silence_stdout()
            return 1
        except KeyboardInterrupt:
            return 130
        except OSError as exc:  # writing the output failed (a full disk, a closed terminal), or reading did
            where = f"{exc.filename}: " if exc.filename else ""
            return _fail(f"{where}{exc.strerror or exc}")
        except RecursionError:
            return _fail("the input is nested too deeply to evaluate (Python's recursion limit)")
        except MemoryError:
            return _fail("out of memory: the input is too large for this machine")
        except Exception as exc:  # a bug in netpolkit: still one line, and how to report it
            return _fail(f"internal error ({type(exc).__name__}: {_message(exc)}); please report this as a bug")


def _fail(message: str) -> int:
    """Print one error line on standard error (whatever it holds) and return exit code 2."""
    with contextlib.suppress(OSError, ValueError):  # standard error closed, or it cannot encode: nothing more to do
        print(f"{PROG}: error: {elide(message, 4000)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
