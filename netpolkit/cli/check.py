"""``netpolkit check``: expected verdicts from a file; one FAIL line (with the reasons) per failed expectation,
exit 1 when one fails. The expectation file is read as strictly as a manifest."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from netpolkit.cli import core
from netpolkit.engine import PROFILES
from netpolkit.errors import PolicyError, Where, excerpt
from netpolkit.io.decode import decode, read_file, read_stream
from netpolkit.model.fields import Reader, describe
from netpolkit.model.ports import PortQuery

__all__ = ["EXPECT_FIELDS", "EXPECT_FILE_FIELDS", "add_parser", "run"]

EXPECT_FIELDS = ("from", "to", "port", "protocol", "allowed")
EXPECT_FILE_FIELDS = ("expect", "profile", "externals")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "check",
        formatter_class=core.HelpFormatter,
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
            "ports are destination pod ports (containerPort), not Service ports.\n"
            "\n"
            "example:\n"
            "  netpolkit check manifests/ --expect expectations.yaml"
        ),
    )
    core.add_inputs(parser)
    parser.add_argument("--expect", required=True, metavar="FILE", help="expectation file (see below)")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print a PASS line per expectation")
    parser.set_defaults(run=run)
    return parser


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
    name = "<stdin>" if path == core.STDIN else path
    where = Where(name)
    if not path:
        raise PolicyError("--expect needs a file name")
    text = read_stream(stdin, name) if path == core.STDIN else read_file(Path(path), name)
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
        if problem := core.external_problem(external, address):
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
        if len(endpoint or "") > core.MAX_ENDPOINT_ID:
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


def run(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    spec = _read_expect_file(args.expect, stdin)
    externals = {**spec.externals, **core.parse_externals(args.external)}
    cluster = core.load(args, externals, stdin)
    ports = list(dict.fromkeys(e.port for e in spec.expectations))
    reach = core.reachability(cluster, ports, args, profile=core.profile_name(args, spec.profile))
    core.banner(reach.warnings, out)
    failed = 0
    for exp in spec.expectations:
        endpoints = []
        for field, endpoint in (("from", exp.src), ("to", exp.dst)):
            try:
                endpoints.append(reach.endpoint_id(endpoint))
            except KeyError as exc:
                raise PolicyError(
                    core.message(exc), where=Where(spec.name), path=f"expect[{exp.index}].{field}"
                ) from None
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
