"""What every command shares: the input options, loading (``-`` = standard input), the WARNING banner, tables,
and turning any failure into one ``netpolkit: error:`` line with exit code 2 (never a traceback).

The commands evaluate through :func:`reachability`, which calls ``netpolkit.cli.reachability`` (the package
attribute, :func:`netpolkit.reachability` itself): one place to replace the evaluator, which the tests use.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from netpolkit.cluster import Cluster
from netpolkit.engine import PROFILES
from netpolkit.errors import PolicyError, UnknownEndpointError, elide, excerpt
from netpolkit.io.decode import read_stream
from netpolkit.io.manifests import read_documents, read_text
from netpolkit.matrix import Reachability
from netpolkit.model.document import Document
from netpolkit.model.ports import PortQuery
from netpolkit.readable import plural

__all__ = [
    "FORMATS",
    "MAX_ENDPOINT_ID",
    "PROG",
    "STDIN",
    "HelpFormatter",
    "Runner",
    "add_format",
    "add_inputs",
    "add_load_options",
    "add_paths",
    "add_ports",
    "banner",
    "check_endpoint",
    "external_problem",
    "fail",
    "guarded",
    "load",
    "load_paths",
    "message",
    "parse_externals",
    "parse_ports",
    "profile_name",
    "reachability",
    "unsupported",
    "write_rows",
]

PROG = "netpolkit"
STDIN = "-"
FORMATS = ("table", "csv", "json")
MAX_ENDPOINT_ID = 63 + 1 + 253 + 16  # namespace/name (a DNS label and a DNS subdomain), with room for a suffix

Runner = Callable[[argparse.Namespace, TextIO, TextIO], int]
"""A command: ``run(args, out, stdin) -> exit code``; raises for bad input (see :func:`guarded`)."""


# ---- argument parsing --------------------------------------------------------------------------------------


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the hand-wrapped descriptions and epilogs (examples, file formats) as written."""


PATHS_HELP = (
    "manifest files (.yaml/.yml/.json, several documents and 'kind: List' allowed) or folders of "
    "them (read recursively); '-' reads standard input, e.g. "
    "'kubectl get ns,pods,netpol -A -o yaml | netpolkit matrix -'"
)


def add_paths(group: Any, help: str = PATHS_HELP) -> None:
    """The positional manifest paths (one or more)."""
    group.add_argument("paths", nargs="+", metavar="PATH", help=help)


def add_load_options(group: Any, *, in_order: bool = True) -> None:
    """--profile, --external, --replicas, --ignore-unsupported and (``in_order``) --in-order."""
    group.add_argument(
        "--profile",
        choices=tuple(PROFILES),
        default=None,
        help="network plugin semantics for what the Kubernetes API leaves open: 'upstream' (default; a pod's "
        "traffic to itself is evaluated like any pair), 'calico' (tiers and order; self traffic always "
        "allowed), "
        "'cilium' (ipBlock never matches pods of the cluster)",
    )
    group.add_argument(
        "--external",
        action="append",
        default=[],
        metavar="NAME=IP",
        help="add an external endpoint 'external/NAME' at address IP (repeatable), e.g. --external "
        "internet=203.0.113.10; ipBlock peers decide whether it may connect",
    )
    group.add_argument(
        "--replicas",
        choices=("one", "all"),
        default="one",
        help="'one' (default): each workload is one endpoint named after it (shop/api); 'all': one endpoint "
        "per replica (shop/api-0, shop/api-1, ...)",
    )
    group.add_argument(
        "--ignore-unsupported",
        action="store_true",
        help="go on when a policy cannot be evaluated exactly (a kind or version netpolkit does not model, an "
        "unmodelled feature such as L7 rules, a dialect the --profile's plugin does not enforce): it is left out "
        "and every output starts with a WARNING banner saying what; without it such input is an error",
    )
    if in_order:
        group.add_argument(
            "--in-order",
            action="store_true",
            help="apply the files in order: a later object with the same kind/namespace/name replaces an earlier "
            "one (e.g. a tutorial folder such as manifests/aks/ gives its final state); without it a duplicate is "
            "an error",
        )


def add_inputs(parser: argparse.ArgumentParser, *, paths: bool = True) -> Any:
    """The 'input' group of a command: the manifest paths (``paths``) and the loading options."""
    group = parser.add_argument_group("input")
    if paths:
        add_paths(group)
    add_load_options(group)
    return group


PORT_HELP = (
    "destination pod port to evaluate, 'TCP/80', 'udp/53' or '80' (TCP); repeatable, or "
    "comma-separated. This is the containerPort a Service's targetPort forwards to, not the Service "
    "port. Default: every containerPort some pod declares"
)


def add_ports(parser: Any, help: str = PORT_HELP) -> None:
    """A repeatable, comma-separated --port (parse with :func:`parse_ports`)."""
    parser.add_argument("--port", action="append", default=[], metavar="PORT", help=help)


def add_format(parser: Any, formats: Sequence[str] = FORMATS) -> None:
    parser.add_argument("--format", choices=tuple(formats), default="table", help="output format (default: table)")


def parse_externals(specs: Sequence[str]) -> dict[str, str]:
    externals: dict[str, str] = {}
    for spec in specs:
        name, sep, ip = spec.partition("=")
        if not sep or not name.strip() or not ip.strip():
            raise ValueError(f"--external expects NAME=IP, e.g. internet=203.0.113.10, got {excerpt(spec)}")
        if problem := external_problem(name.strip(), ip.strip()):
            raise ValueError(f"--external {excerpt(spec)}: {problem}")
        externals[name.strip()] = ip.strip()
    return externals


def external_problem(name: str, address: str) -> str | None:
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


def parse_ports(specs: Sequence[str]) -> list[PortQuery]:
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


def check_endpoint(flag: str, endpoint: str) -> None:
    """An endpoint id given on the command line is bounded (an error quotes an excerpt of it)."""
    if len(endpoint) > MAX_ENDPOINT_ID:
        raise ValueError(f"{flag} {excerpt(endpoint)}: not an endpoint id (namespace/name or an external name)")


# ---- loading and evaluating --------------------------------------------------------------------------------


def unsupported(args: argparse.Namespace) -> str:
    return "ignore" if args.ignore_unsupported else "error"


def profile_name(args: argparse.Namespace, default: str | None = None) -> str:
    return args.profile or default or "upstream"


def load_paths(paths: Sequence[str], args: argparse.Namespace, externals: Mapping[str, str], stdin: TextIO) -> Cluster:
    """Like :func:`netpolkit.load` for the input options, where the path ``-`` reads standard input."""
    docs: list[Document] = []
    for path in paths:
        if path == STDIN:
            docs.extend(read_text(read_stream(stdin), "<stdin>"))
        else:
            docs.extend(read_documents(path))
    return Cluster.from_documents(
        docs,
        externals,
        replicas=args.replicas,
        replace=getattr(args, "in_order", False),
        unsupported=unsupported(args),
    )


def load(args: argparse.Namespace, externals: Mapping[str, str], stdin: TextIO) -> Cluster:
    """The cluster of the command's positional ``paths``."""
    return load_paths(args.paths, args, externals, stdin)


def reachability(cluster: Cluster, ports: Sequence[PortQuery], args: argparse.Namespace, **kw: Any) -> Reachability:
    """Evaluate ``ports`` under the input options (``kw``: ``profile=`` and ``engine=`` override them)."""
    from netpolkit import cli  # the package attribute, looked up at call time: replaceable

    kw.setdefault("profile", profile_name(args))
    return cli.reachability(cluster, ports=ports, unsupported=unsupported(args), **kw)


def banner(warnings: Sequence[str], out: TextIO) -> None:
    """What was left out, before any verdict: the verdicts may be wrong (only with --ignore-unsupported)."""
    if not warnings:
        return
    out.write(f"WARNING: {plural(len(warnings), 'thing')} left out (--ignore-unsupported): verdicts may be wrong\n")
    for warning in warnings:
        out.write(f"WARNING: {warning}\n")


# ---- output ------------------------------------------------------------------------------------------------


def write_rows(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = ()) -> None:
    """A plain text table: a header line, then one line per row, columns padded to fit (``right``: the columns
    aligned to the right, numbers); the last column is not padded."""
    cells = [[str(h) for h in header], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    flush_right = {i for i, name in enumerate(header) if name in right}
    for row in cells:
        parts = [
            value.rjust(width) if i in flush_right else value.ljust(width)
            for i, (value, width) in enumerate(zip(row, widths, strict=True))
        ]
        out.write("  ".join(parts).rstrip() + "\n")


# ---- errors ------------------------------------------------------------------------------------------------


def message(exc: BaseException) -> str:
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


def guarded(run: Runner, args: argparse.Namespace) -> int:
    """Run a command on the process's standard streams; any failure is one line on standard error and exit 2
    (a broken pipe exits 1 quietly, Ctrl-C 130)."""
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return run(args, sys.stdout, sys.stdin)
        except (PolicyError, ValueError, KeyError, FileNotFoundError) as exc:
            return fail(message(exc))
        except BrokenPipeError:  # e.g. `netpolkit matrix ... | head`: stop quietly
            _silence_stdout()
            return 1
        except KeyboardInterrupt:
            return 130
        except OSError as exc:  # writing the output failed (a full disk, a closed terminal), or reading did
            where = f"{exc.filename}: " if exc.filename else ""
            return fail(f"{where}{exc.strerror or exc}")
        except RecursionError:
            return fail("the input is nested too deeply to evaluate (Python's recursion limit)")
        except MemoryError:
            return fail("out of memory: the input is too large for this machine")
        except Exception as exc:  # a bug in netpolkit: still one line, and how to report it
            return fail(f"internal error ({type(exc).__name__}: {message(exc)}); please report this as a bug")


def fail(text: str) -> int:
    """Print one error line on standard error (whatever it holds) and return exit code 2."""
    with contextlib.suppress(OSError, ValueError):  # standard error closed, or it cannot encode: nothing more to do
        print(f"{PROG}: error: {elide(text, 4000)}", file=sys.stderr)
    return 2
