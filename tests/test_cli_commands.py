"""The commands diff, exposure, lint, fleet and matrix --aggregate: every option, the exit codes, the PNGs, the
WARNING banner and one-line errors; in-process through main() and through a real ``python -m netpolkit``."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli import _wide_terminal, one_error_line, run  # noqa: F401 (_wide_terminal: autouse fixture)

import netpolkit as npk
from netpolkit import analysis
from netpolkit.cli.diff import TABLE_LIMIT, why
from netpolkit.engine import ClassVerdict

DATA = Path(__file__).parent / "data" / "cli"
CLUSTER = str(DATA / "cluster.yaml")
CHANGE = str(DATA / "change.yaml")  # against CLUSTER: web -> db newly allowed, everything to prometheus blocked
LINT = str(DATA / "lint.yaml")  # one error (policy-types), two warnings (dns-egress, selects-nothing)
UNSUPPORTED = str(Path(__file__).parent / "data" / "unsupported" / "cluster.yaml")
REPO = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PORTS = ["TCP/80", "TCP/5432", "TCP/8080", "TCP/9090", "TCP/9100"]  # CLUSTER's declared container ports
INTERNET = "internet=203.0.113.10"
NEW = ["diff", "--old", CLUSTER, "--new", CLUSTER, CHANGE]  # the diff of CHANGE

needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="needs netpolkit[dask]")


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# ---- every command: --help with an example, exit codes ----------------------------------------------------

COMMANDS = ["matrix", "explain", "check", "diff", "exposure", "lint", "fleet"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "example" in out and f"  netpolkit {command} " in out
    assert out.startswith(f"usage: netpolkit {command} ")


def test_the_top_level_help_lists_every_command(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in COMMANDS:
        assert f"    {command} " in out and f"  netpolkit {command} " in out


EXIT_CASES = [
    # (id, argv, exit code, a line of standard output)
    ("diff-same", ["diff", CLUSTER, CLUSTER], 0, "no change on 5 ports (16 endpoint pairs compared per port)"),
    ("diff-same-fail-on-change", ["diff", CLUSTER, CLUSTER, "--fail-on-change"], 0, "TCP/9100  no change"),
    ("diff-changed", NEW, 0, "21 changes on 5 of 5 ports"),
    ("diff-changed-fail-on-change", [*NEW, "--fail-on-change"], 1, "TCP/5432  1 newly allowed, 4 newly blocked"),
    (
        "diff-one-port",
        [*NEW, "--port", "TCP/8080", "--fail-on-change"],
        1,
        "TCP/8080  0 newly allowed, 4 newly blocked",
    ),
    (
        "diff-limit",
        [*NEW, "--port", "80", "--limit", "1"],
        0,
        "  ... and 3 more on TCP/80 (--limit 0 lists every change)",
    ),
    ("diff-profile", ["diff", CLUSTER, CLUSTER, "--profile", "cilium"], 0, "TCP/80    no change"),
    ("diff-in-order", [*NEW, CHANGE, "--in-order", "--port", "80"], 0, "4 changes on 1 of 1 port"),
    (
        "aggregate-namespace",
        ["matrix", CLUSTER, "--aggregate", "namespace", "--port", "9100"],
        0,
        "shop               3/3   0/6",
    ),
    (
        "aggregate-kind",
        ["matrix", CLUSTER, "--aggregate", "kind", "--port", "80", "--external", INTERNET],
        0,
        "pod            4/4  3/12",
    ),
    (
        "exposure-to",
        ["exposure", CLUSTER, "--to", "shop/web"],
        0,
        "monitoring  shop/web  TCP/9100        1             1        1      1",
    ),
    (
        "exposure-nothing",
        ["exposure", CLUSTER, "--to", "shop/db", "--port", "80"],
        0,
        "nothing can reach shop/db on TCP/80",
    ),
    (
        "exposure-from-nothing",
        ["exposure", CLUSTER, LINT, "--from", "shop/web", "--port", "80"],
        0,
        "shop/web can reach nothing on TCP/80",
    ),
    (
        "lint-error",
        ["lint", CLUSTER, LINT],
        1,
        "3 findings under profile upstream: 1 error, 2 warnings, 0 info; exit 1: at or above --fail-on error",
    ),
    (
        "lint-never",
        ["lint", CLUSTER, LINT, "--fail-on", "never"],
        0,
        "3 findings under profile upstream: 1 error, 2 warnings, 0 info",
    ),
    (
        "lint-warning-only",
        ["lint", CLUSTER, LINT, "--rule", "selects-nothing"],
        0,
        "1 finding under profile upstream: 0 errors, 1 warning, 0 info",
    ),
    ("lint-fail-on-warning", ["lint", CLUSTER, LINT, "--rule", "selects-nothing", "--fail-on", "warning"], 1, None),
    ("lint-fail-on-info", ["lint", CLUSTER, LINT, "--rule", "dns-egress", "--fail-on", "info"], 1, None),
    (
        "lint-clean",
        ["lint", CLUSTER, "--fail-on", "info"],
        0,
        "0 findings under profile upstream: 0 errors, 0 warnings, 0 info",
    ),
    ("lint-severity", ["lint", CLUSTER, LINT, "--severity", "error"], 1, None),
    ("lint-calico", ["lint", CLUSTER, LINT, "--profile", "calico", "--fail-on", "never"], 0, None),
]


@pytest.mark.parametrize(("argv", "code", "line"), [c[1:] for c in EXIT_CASES], ids=[c[0] for c in EXIT_CASES])
def test_exit_codes_and_output(capsys, argv, code, line):
    got, out, err = run(capsys, *argv)
    assert (got, err) == (code, "")
    if line is not None:
        assert line in out.splitlines()


ERROR_CASES = [
    # (id, argv, a piece of the one error line)
    ("diff-one-side", ["diff", CLUSTER], "diff compares two sides"),
    ("diff-no-new", ["diff", "--old", CLUSTER], "diff compares two sides"),
    ("diff-both-forms", ["diff", CLUSTER, CLUSTER, "--old", CLUSTER], "not both"),
    ("diff-stdin-twice", ["diff", "-", "-"], "standard input ('-') is read once"),
    ("diff-missing-file", ["diff", CLUSTER, str(DATA / "missing.yaml")], "missing.yaml"),
    ("diff-bad-port", ["diff", CLUSTER, CLUSTER, "--port", "HTTP/80"], "--port 'HTTP/80'"),
    ("diff-duplicate", [*NEW, CHANGE], "--in-order"),
    ("diff-unsupported", ["diff", CLUSTER, UNSUPPORTED], "--ignore-unsupported"),
    ("diff-bad-external", ["diff", CLUSTER, CLUSTER, "--external", "internet=10.0.0.0/8"], "give one address"),
    ("aggregate-bad-column", ["matrix", CLUSTER, "--aggregate", "nmespace"], "did you mean namespace?"),
    ("aggregate-bad-namespace", ["matrix", CLUSTER, "--aggregate", "namespace", "-n", "shp"], "did you mean shop?"),
    ("aggregate-unsupported", ["matrix", UNSUPPORTED, "--aggregate", "namespace"], "--ignore-unsupported"),
    ("exposure-unknown", ["exposure", CLUSTER, "--to", "shop/wbe"], "did you mean shop/web"),
    ("exposure-bad-selector", ["exposure", CLUSTER, "--to", "app in ("], "selector 'app in ('"),
    ("exposure-bad-group", ["exposure", CLUSTER, "--from", "shop/web", "--by", "nope"], "cannot group by 'nope'"),
    ("exposure-long-target", ["exposure", CLUSTER, "--to", "x" * 10_000], "too long for an endpoint id"),
    ("exposure-blank-target", ["exposure", CLUSTER, "--to", " "], "name a target"),
    ("exposure-unknown-namespace", ["exposure", CLUSTER, "--to", "shp"], "shp"),
    ("exposure-unsupported", ["exposure", UNSUPPORTED, "--to", "shop/web"], "--ignore-unsupported"),
    ("exposure-bad-port", ["exposure", CLUSTER, "--to", "shop/web", "--port", "70000"], "--port '70000'"),
    ("lint-missing-file", ["lint", str(DATA / "missing.yaml")], "missing.yaml"),
    ("lint-unsupported", ["lint", UNSUPPORTED], "--ignore-unsupported"),
    ("fleet-stdin", ["fleet", "-"], "'-' (standard input) is not supported"),
    ("fleet-bad-port", ["fleet", CLUSTER, "--port", "TCP/x"], "--port 'TCP/x'"),
    ("fleet-bad-external", ["fleet", CLUSTER, "--external", "internet"], "NAME=IP"),
]


@pytest.mark.parametrize(("argv", "needle"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_bad_input_is_one_error_line(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert needle in one_error_line(err)


USAGE_CASES = [
    ["diff", CLUSTER, CLUSTER, "--limit", "-1"],
    ["diff", CLUSTER, CLUSTER, "third.yaml"],
    ["diff", CLUSTER, CLUSTER, "--format", "xml"],
    ["matrix", CLUSTER, "--aggregate"],
    ["exposure", CLUSTER],
    ["exposure", CLUSTER, "--to", "shop/web", "--from", "shop/api"],
    ["lint", CLUSTER, "--severity", "fatal"],
    ["lint", CLUSTER, "--rule", "no-such-rule"],
    ["lint", CLUSTER, "--fail-on", "always"],
    ["fleet", CLUSTER, "--workers", "0"],
    ["fleet", CLUSTER, "--timeout", "soon"],
    ["fleet", CLUSTER, "--format", "xml"],
    ["fleet"],
]


@pytest.mark.parametrize("argv", USAGE_CASES, ids=[" ".join(a[:1] + a[2:])[:40] for a in USAGE_CASES])
def test_usage_errors_exit_2_without_a_traceback(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and "Traceback" not in err
    assert re.match(rf"netpolkit( {argv[0]})?: error: ", err.splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ["matrix", CLUSTER, "--aggregate", "namespace"],
        ["diff", CLUSTER, CLUSTER],
        ["exposure", CLUSTER, "--to", "shop/web"],
    ],
    ids=["aggregate", "diff", "exposure"],
)
def test_a_bug_is_one_line_too(capsys, monkeypatch, argv):
    def fail(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("netpolkit.cli.reachability", fail)
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "internal error (ZeroDivisionError: division by zero); please report this as a bug" in one_error_line(err)


def test_a_lint_bug_is_one_line(capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("netpolkit.cli.lint.lint", fail)
    code, _, err = run(capsys, "lint", CLUSTER)
    assert code == 2 and "internal error (RuntimeError: boom)" in one_error_line(err)


# ---- the WARNING banner under --ignore-unsupported --------------------------------------------------------

BANNER = "WARNING: 2 things left out (--ignore-unsupported): verdicts may be wrong"


@pytest.mark.parametrize(
    ("argv", "first"),
    [
        (["matrix", UNSUPPORTED, "--aggregate", "namespace", "--port", "80"], BANNER),
        (["exposure", UNSUPPORTED, "--to", "shop/web", "--port", "80"], BANNER),
        (["exposure", UNSUPPORTED, "--from", "shop/client", "--port", "80"], BANNER),
        (["lint", UNSUPPORTED], BANNER),
        (["diff", UNSUPPORTED, UNSUPPORTED, "--port", "80"], BANNER),  # both sides: one line per warning
        (["diff", CLUSTER, UNSUPPORTED, "--port", "80"], BANNER),
    ],
    ids=["aggregate", "exposure", "blast-radius", "lint", "diff-both-sides", "diff-new-side"],
)
def test_the_banner_comes_first(capsys, argv, first):
    code, out, _ = run(capsys, *argv, "--ignore-unsupported")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == first
    assert lines[1].startswith("WARNING: ") and lines[2].startswith("WARNING: ")
    assert not lines[3].startswith("WARNING")
    if argv[0] == "diff":
        side = "old and new" if argv[1] == UNSUPPORTED else "new"
        assert lines[1].startswith(f"WARNING: {side}: ") and "networking.k8s.io/v2" in lines[1]


@pytest.mark.parametrize(
    "argv",
    [
        ["matrix", UNSUPPORTED, "--aggregate", "namespace", "--port", "80"],
        ["exposure", UNSUPPORTED, "--to", "shop/web", "--port", "80"],
        ["lint", UNSUPPORTED],
        ["diff", UNSUPPORTED, UNSUPPORTED, "--port", "80"],
    ],
    ids=["aggregate", "exposure", "lint", "diff"],
)
def test_machine_formats_keep_the_warnings(capsys, argv):
    code, out, err = run(capsys, *argv, "--ignore-unsupported", "--format", "csv")
    assert code == 0 and err.startswith("WARNING: ") and not out.startswith("WARNING")
    code, out, err = run(capsys, *argv, "--ignore-unsupported", "--format", "json")
    assert code == 0 and err == ""
    warnings = json.loads(out)["warnings"]
    if argv[0] == "diff":
        assert (len(warnings["old"]), len(warnings["new"])) == (2, 2)
    else:
        assert len(warnings) == 2


# ---- matrix --aggregate -----------------------------------------------------------------------------------


def test_aggregate_table(capsys):
    code, out, _ = run(
        capsys, "matrix", CLUSTER, "--aggregate", "namespace", "--port", "9100", "-n", "shop", "-n", "monitoring"
    )
    assert code == 0
    assert out.splitlines() == [
        "profile upstream; allowed/pairs per namespace pair (rows: source, columns: destination); an endpoint with "
        "itself left out; ports are pod ports",
        "",
        "TCP/9100  (6 of 12 pairs allowed, by namespace)",
        "            monitoring  shop",
        "monitoring           -   3/3",
        "shop               3/3   0/6",
    ]


def test_aggregate_table_numbers_the_columns_when_narrow(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "20")
    code, out, _ = run(capsys, "matrix", CLUSTER, "--aggregate", "namespace", "--port", "9100")
    assert code == 0
    lines = out.splitlines()
    assert "numbered like the rows" in lines[0]
    assert lines[3:] == ["                1    2", "1 monitoring    -  3/3", "2 shop        3/3  0/6"]


@pytest.mark.parametrize("by", ["namespace", "workload", "kind", "service_account"])
def test_aggregate_csv_is_the_library_aggregate(capsys, by):
    code, out, _ = run(capsys, "matrix", CLUSTER, "--aggregate", by, "--format", "csv", "--external", INTERNET)
    assert code == 0
    reach = npk.reachability(npk.load(CLUSTER, externals={"internet": "203.0.113.10"}))
    expected = reach.aggregate(by=by)
    got = rows_of(out)
    assert list(got[0]) == ["src", "dst", "protocol", "port", "allowed", "pairs", "fraction"]
    assert len(got) == len(expected)
    by_key = {(r["src"], r["dst"], r["protocol"], int(r["port"])): r for r in got}
    for row in expected.itertuples():
        mine = by_key[(str(row.src), str(row.dst), row.protocol, row.port)]
        assert (int(mine["allowed"]), int(mine["pairs"])) == (row.allowed, row.pairs)
        assert mine["fraction"] == ("" if row.pairs == 0 else f"{row.fraction:.6g}")


def test_aggregate_json(capsys):
    argv = ["matrix", CLUSTER, "--aggregate", "namespace", "--port", "8080", "--format", "json", "--external", INTERNET]
    code, out, _ = run(capsys, *argv, "--profile", "cilium")
    assert code == 0
    doc = json.loads(out)
    assert (doc["profile"], doc["by"], doc["warnings"]) == ("cilium", "namespace", [])
    assert doc["groups"] == ["monitoring", "shop", "external"]  # externals last
    cells = doc["ports"]["TCP/8080"]
    assert cells["shop"]["shop"] == {"allowed": 1, "pairs": 6, "fraction": pytest.approx(1 / 6)}
    assert cells["monitoring"]["monitoring"] == {"allowed": 0, "pairs": 0, "fraction": None}


def test_aggregate_never_builds_the_pod_matrix(capsys, monkeypatch):
    def expand(self):
        raise AssertionError("the endpoint x endpoint matrix was built")

    monkeypatch.setattr(ClassVerdict, "expand", expand)
    for fmt in ("table", "csv", "json"):
        code, _, err = run(capsys, "matrix", CLUSTER, "--aggregate", "namespace", "--format", fmt)
        assert (code, err) == (0, "")
    assert run(capsys, "matrix", CLUSTER, "--port", "80")[0] == 2  # the pod matrix needs it: the patch bites


def test_aggregate_by_workload_with_a_namespace_filter(capsys):
    code, out, _ = run(
        capsys, "matrix", CLUSTER, "--aggregate", "workload", "--port", "9100", "-n", "monitoring", "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["groups"] == ["prometheus"]


# ---- diff -------------------------------------------------------------------------------------------------


def _library_diff(port: str) -> tuple[npk.Reachability, set[tuple[str, str, str]]]:
    before = npk.reachability(npk.load(CLUSTER), ports=[port])
    after = npk.reachability(npk.load(CLUSTER, CHANGE), ports=[port])
    changes = after.diff(before).changes(port)
    return after, set(changes.itertuples(index=False, name=None))


def test_diff_table(capsys):
    code, out, _ = run(capsys, *NEW, "--port", "TCP/5432")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"profile upstream; old: {CLUSTER}; new: {CLUSTER}, {CHANGE}; ports are pod ports"
    assert lines[1] == "TCP/5432  1 newly allowed, 4 newly blocked"
    assert lines[3].split() == ["src", "dst", "port", "change", "why", "(new", "side)"]
    rows = {tuple(line.split()[:2]): line for line in lines[4:9]}
    assert len(rows) == 5
    allowed = rows[("shop/web", "shop/db")]
    assert "newly allowed" in allowed
    assert allowed.endswith("ingress of shop/db: allowed by NetworkPolicy shop/allow-web-to-db, ingress rule 1")
    blocked = rows[("shop/api", "monitoring/prometheus")]
    assert blocked.endswith(
        "newly blocked  ingress of monitoring/prometheus: denied, isolated by NetworkPolicy monitoring/deny-all and no "
        "rule matched"
    )
    assert lines[-1] == "5 changes on 1 of 1 port"


@pytest.mark.parametrize("port", PORTS)
def test_diff_is_the_library_diff_with_the_new_sides_reasons(capsys, port):
    code, out, _ = run(capsys, *NEW, "--port", port, "--format", "csv")
    assert code == 0
    got = rows_of(out)
    after, expected = _library_diff(port)
    assert {(r["src"], r["dst"], r["change"]) for r in got} == expected
    for row in got:
        assert f"{row['protocol']}/{row['port']}" == port
        assert row["why"] == why(after.explain(row["src"], row["dst"], port))
        if row["change"] == "newly blocked":
            assert row["why"] == str(after.explain(row["src"], row["dst"], port).deciding)


def test_diff_why_names_both_sides_when_no_rule_decided():
    reach = npk.reachability(npk.load(CLUSTER, externals={"internet": "203.0.113.10"}), ports=["TCP/80"])
    line = why(reach.explain("shop/web", "internet", "TCP/80"))
    assert (
        line.startswith("egress of shop/web: allowed, no policy selects it")
        and "; ingress of external/internet" in line
    )


def test_diff_json(capsys):
    code, out, _ = run(capsys, *NEW, "--port", "80,5432", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["old"] == [CLUSTER] and doc["new"] == [CLUSTER, CHANGE]
    assert doc["ports"] == {
        "TCP/80": {"newly allowed": 0, "newly blocked": 4},
        "TCP/5432": {"newly allowed": 1, "newly blocked": 4},
    }
    assert len(doc["changes"]) == 9
    assert doc["changes"][0].keys() == {"src", "dst", "protocol", "port", "change", "why"}
    assert (doc["only_old"], doc["only_new"], doc["images"]) == ([], [], [])
    assert doc["warnings"] == {"old": [], "new": []}


def test_diff_limit(capsys):
    code, out, _ = run(capsys, *NEW, "--port", "80", "--limit", "2", "--format", "csv")
    assert code == 0 and len(rows_of(out)) == 2
    code, out, _ = run(capsys, *NEW, "--limit", "0")
    assert code == 0 and sum("newly" in line for line in out.splitlines()[6:]) == 21
    assert TABLE_LIMIT >= 21  # the default table shows all of these: no "... and N more"
    assert "more on" not in run(capsys, *NEW)[1]


def test_diff_lists_endpoints_only_one_side_has(capsys, tmp_path):
    cart = tmp_path / "cart.yaml"
    cart.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: cart, namespace: shop, labels: {app: cart}}\n"
        "spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}\n"
    )
    code, out, _ = run(capsys, "diff", CLUSTER, str(cart), "--port", "80")
    assert code == 0
    assert "only in old (not compared): monitoring/prometheus, shop/api, shop/db, shop/web" in out.splitlines()
    assert "only in new (not compared): shop/cart" in out.splitlines()
    assert "no change on 1 port (0 endpoint pairs compared per port)" in out.splitlines()
    code, out, _ = run(
        capsys, "diff", "--old", CLUSTER, "--new", CLUSTER, str(cart), "--port", "80", "--format", "json"
    )
    doc = json.loads(out)
    assert doc["only_new"] == ["shop/cart"] and doc["only_old"] == []
    assert doc["ports"]["TCP/80"] == {"newly allowed": 0, "newly blocked": 0}


def test_diff_reads_one_side_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(Path(CLUSTER).read_text()))
    code, out, _ = run(capsys, "diff", "--old", "-", "--new", CLUSTER, CHANGE, "--port", "5432", "--fail-on-change")
    assert code == 1 and "TCP/5432  1 newly allowed, 4 newly blocked" in out.splitlines()


def test_diff_options_reach_both_sides(capsys):
    code, out, _ = run(capsys, *NEW, "--port", "9090", "--replicas", "all", "--external", INTERNET, "--format", "csv")
    assert code == 0
    sources = {r["src"] for r in rows_of(out)}
    assert sources == {"shop/api-0", "shop/api-1", "shop/db", "shop/web", "monitoring/prometheus", "external/internet"}
    code, out, _ = run(capsys, "diff", CLUSTER, CLUSTER, "--profile", "calico", "--port", "80", "--format", "json")
    assert json.loads(out)["profile"] == "calico"


# ---- diff --png -------------------------------------------------------------------------------------------


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


def test_diff_png_one_port_is_the_file_itself(capsys, tmp_path):
    png = tmp_path / "diff.png"
    code, out, _ = run(capsys, *NEW, "--port", "5432", "--png", str(png), "--fail-on-change")
    assert code == 1 and _is_png(png)
    assert out.splitlines()[-1] == f"wrote {png} (TCP/5432, pod view)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diff.png"]


def test_diff_png_one_file_per_changed_port(capsys, tmp_path):
    web_to_db = tmp_path / "web-to-db.yaml"  # the first policy of CHANGE: only TCP/5432 changes
    web_to_db.write_text(Path(CHANGE).read_text().partition("---")[0])
    png = tmp_path / "out" / "diff.png"
    png.parent.mkdir()
    argv = ["diff", "--old", CLUSTER, "--new", CLUSTER, str(web_to_db), "--port", "80,5432", "--port", "UDP/53"]
    code, out, err = run(capsys, *argv, "--png", str(png), "--format", "csv")
    assert code == 0 and out.startswith("src,dst,")  # csv stays clean: the notes go to standard error
    assert [p.name for p in png.parent.iterdir()] == ["diff-TCP-5432.png"]  # TCP/80 and UDP/53 did not change
    assert _is_png(png.parent / "diff-TCP-5432.png")
    assert err.splitlines() == [f"wrote {png.parent / 'diff-TCP-5432.png'} (TCP/5432, pod view)"]
    code, out, _ = run(capsys, *NEW, "--port", "80,9090", "--png", str(png), "--format", "json")
    assert json.loads(out)["images"] == [str(png.parent / f"diff-TCP-{p}.png") for p in (80, 9090)]
    assert all(_is_png(png.parent / f"diff-TCP-{p}.png") for p in (80, 9090))


def test_diff_png_nothing_when_nothing_changed(capsys, tmp_path):
    png = tmp_path / "diff.png"
    code, out, _ = run(capsys, "diff", CLUSTER, CLUSTER, "--png", str(png), "--fail-on-change")
    assert code == 0 and not png.exists()
    assert out.splitlines()[-1] == f"no change: no image written to {png}"


def test_diff_png_of_a_big_cluster_is_the_namespace_view(capsys, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: many, namespace: a}\n"
        "spec:\n  replicas: 81\n  selector: {matchLabels: {app: many}}\n"
        "  template:\n    metadata: {labels: {app: many}}\n"
        "    spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: one, namespace: b}\n"
        "spec: {containers: [{name: c, image: x, ports: [{containerPort: 80}]}]}\n"
    )
    deny = tmp_path / "deny.yaml"
    deny.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: b}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress]}\n"
    )
    png = tmp_path / "big.png"
    argv = ["diff", "--old", str(base), "--new", str(base), str(deny), "--replicas", "all", "--png", str(png)]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and _is_png(png)
    assert "TCP/80  0 newly allowed, 82 newly blocked" in out.splitlines()  # 81 replicas and b/one itself
    assert f"  ... and {82 - TABLE_LIMIT} more on TCP/80 (--limit 0 lists every change)" in out.splitlines()
    assert out.splitlines()[-1] == f"wrote {png} (TCP/80, namespace view: more than 80 endpoints)"


def test_diff_png_that_cannot_be_written_is_one_line(capsys, tmp_path):
    code, out, err = run(capsys, *NEW, "--port", "80", "--png", str(tmp_path / "no" / "such" / "dir.png"))
    assert code == 2 and out == ""
    assert "dir.png" in one_error_line(err)


# ---- exposure ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "target", "by", "whole"),
    [
        ("--to", "shop/web", "namespace", False),
        ("--to", "shop", "workload", False),
        ("--to", "app=api", "endpoint", True),
        ("--from", "app=web", "namespace", True),
        ("--from", "internet", "namespace", False),
        ("--from", "shop", "kind", False),
        ("--to", "external", "endpoint", False),
    ],
)
def test_exposure_csv_is_the_analysis_table(capsys, flag, target, by, whole):
    argv = ["exposure", CLUSTER, flag, target, "--by", by, "--format", "csv", "--external", INTERNET]
    code, out, _ = run(capsys, *argv, *(["--whole-target"] if whole else []))
    assert code == 0
    reach = npk.reachability(npk.load(CLUSTER, externals={"internet": "203.0.113.10"}))
    own = "target" if whole else "endpoint"
    if flag == "--to":
        expected = analysis.exposure(reach, target, by=by, dst_by=own)
    else:
        expected = analysis.blast_radius(reach, target, by=by, src_by=own)
    got = rows_of(out)
    assert list(got[0] if got else analysis.FLOW_COLUMNS) == analysis.FLOW_COLUMNS
    assert [tuple(r.values()) for r in got] == [tuple(map(str, row)) for row in expected.itertuples(index=False)]


def test_exposure_table_and_json(capsys):
    code, out, _ = run(capsys, "exposure", CLUSTER, "--to", "shop", "--by", "workload", "--port", "9100,8080")
    assert code == 0
    assert out.splitlines() == [
        "who can reach shop (sources by workload); profile upstream; ports are pod ports",
        "src                    dst       port      sources  destinations  allowed  pairs",
        "monitoring/prometheus  shop/api  TCP/9100        1             1        1      1",
        "monitoring/prometheus  shop/db   TCP/9100        1             1        1      1",
        "monitoring/prometheus  shop/web  TCP/9100        1             1        1      1",
        "shop/web               shop/api  TCP/8080        1             1        1      1",
    ]
    code, out, _ = run(
        capsys, "exposure", CLUSTER, "--from", "app=web", "--whole-target", "--port", "8080", "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert (doc["direction"], doc["target"], doc["by"], doc["profile"]) == ("from", "app=web", "namespace", "upstream")
    assert doc["rows"] == [
        {
            "src": "pods [app=web]",
            "dst": "monitoring",
            "protocol": "TCP",
            "port": 8080,
            "sources": 1,
            "destinations": 1,
            "allowed": 1,
            "pairs": 1,
        },
        {
            "src": "pods [app=web]",
            "dst": "shop",
            "protocol": "TCP",
            "port": 8080,
            "sources": 1,
            "destinations": 1,
            "allowed": 1,
            "pairs": 2,
        },
    ]
    code, out, _ = run(capsys, "exposure", CLUSTER, "--to", "shop/db", "--port", "80", "--format", "json")
    assert json.loads(out)["rows"] == []


def test_exposure_reads_stdin_and_the_profile(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(Path(CLUSTER).read_text()))
    code, out, _ = run(
        capsys, "exposure", "-", "--to", "shop/api", "--port", "8080", "--profile", "cilium", "--by", "endpoint"
    )
    assert code == 0
    assert "profile cilium" in out.splitlines()[0]
    sources = [line.split()[0] for line in out.splitlines()[2:]]
    assert sources == ["shop/web"]  # the pair shop/api -> itself is left out, whatever the profile says


# ---- lint -------------------------------------------------------------------------------------------------


def test_lint_table(capsys):
    code, out, _ = run(capsys, "lint", CLUSTER, LINT)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["severity", "rule", "object", "path", "message"]
    assert [line.split()[:2] for line in lines[1:4]] == [
        ["error", "policy-types"],
        ["warning", "dns-egress"],
        ["warning", "selects-nothing"],
    ]
    assert lines[3].split()[2:6] == ["NetworkPolicy", "shop/cart", "spec.podSelector", "selects"]
    assert lines[4] == ""


def test_lint_csv_and_json_are_the_analysis_lint(capsys):
    expected = analysis.lint(npk.load(CLUSTER, LINT))
    code, out, _ = run(capsys, "lint", CLUSTER, LINT, "--format", "csv")
    assert code == 1
    got = rows_of(out)
    assert list(got[0]) == analysis.LINT_COLUMNS
    assert [tuple(r.values()) for r in got] == [
        tuple("" if v is None else str(v) for v in row) for row in expected.itertuples(index=False)
    ]
    assert got[0]["file"] == LINT
    code, out, _ = run(
        capsys, "lint", CLUSTER, LINT, "--format", "json", "--severity", "warning", "--rule", "selects-nothing"
    )
    assert code == 0
    doc = json.loads(out)
    assert [f["rule"] for f in doc["findings"]] == ["selects-nothing"] and doc["warnings"] == []


def test_lint_severity_hides_but_fail_on_still_sees(capsys):
    code, out, _ = run(
        capsys, "lint", CLUSTER, LINT, "--severity", "error", "--fail-on", "warning", "--rule", "dns-egress"
    )
    assert code == 1
    assert out.splitlines() == [
        "1 finding under profile upstream: 0 errors, 1 warning, 0 info; 1 below --severity error not shown; "
        "exit 1: at or above --fail-on warning"
    ]


# ---- fleet ------------------------------------------------------------------------------------------------

FLEET_DEFAULTS = {
    "ports": [],
    "profile": None,
    "scheduler": None,
    "externals": None,
    "replicas": "one",
    "ignore_unsupported": False,
    "output_format": "table",
    "workers": None,
    "timeout": None,
    "progress": None,
}
FLEET_CASES = [
    ([], {}),
    (["--port", "80,UDP/53", "--port", "TCP/80"], {"ports": ["TCP/80", "UDP/53"]}),
    (["--profile", "calico", "--replicas", "all"], {"profile": "calico", "replicas": "all"}),
    (
        ["--scheduler", "tcp://scheduler:8786", "--timeout", "2.5"],
        {"scheduler": "tcp://scheduler:8786", "timeout": 2.5},
    ),
    (["--workers", "3", "--no-progress", "--format", "csv"], {"workers": 3, "progress": False, "output_format": "csv"}),
    (["--progress", "--format", "json"], {"progress": True, "output_format": "json"}),
    (
        ["--external", INTERNET, "--ignore-unsupported"],
        {"externals": {"internet": "203.0.113.10"}, "ignore_unsupported": True},
    ),
]


@pytest.mark.parametrize(("options", "changed"), FLEET_CASES)
def test_fleet_hands_every_option_to_fleet_main(capsys, monkeypatch, options, changed):
    calls = []

    def fleet_main(paths, **kwargs):
        calls.append((paths, kwargs))
        return 1

    monkeypatch.setattr("netpolkit.fleet.fleet_main", fleet_main)
    code, _, _ = run(capsys, "fleet", CLUSTER, str(DATA), *options)
    assert code == 1  # fleet_main's exit code
    [(paths, kwargs)] = calls
    assert paths == [CLUSTER, str(DATA)]
    kwargs["ports"] = [str(p) for p in kwargs["ports"]]
    assert kwargs.pop("out") is sys.stdout and kwargs.pop("err") is sys.stderr
    assert kwargs == {**FLEET_DEFAULTS, **changed}


@pytest.mark.parametrize(("fmt", "where"), [("table", "out"), ("csv", "err"), ("json", None)])
def test_fleet_banner_under_ignore_unsupported(capsys, monkeypatch, fmt, where):
    monkeypatch.setattr("netpolkit.fleet.fleet_main", lambda paths, **kw: 0)
    code, out, err = run(capsys, "fleet", CLUSTER, "--ignore-unsupported", "--format", fmt)
    assert code == 0
    streams = {"out": out, "err": err}
    for name, text in streams.items():
        assert text.startswith("WARNING: --ignore-unsupported: ") == (name == where)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A Dask scheduler with one worker thread in this process, on a TCP port a subprocess can reach too."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def fleet_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "fleet"
    folder.mkdir()
    shutil.copy(CLUSTER, folder / "shop.yaml")
    (folder / "zz-broken.yaml").write_text(Path(LINT).read_text().replace("podSelector", "podSelecter", 1))
    return folder


@needs_dask
def test_fleet_on_a_scheduler(capsys, scheduler, fleet_dir):
    code, out, err = run(capsys, "fleet", str(fleet_dir), "--scheduler", scheduler, "--port", "80", "--no-progress")
    assert code == 1 and err == ""  # one cluster failed
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["name", "pods", "namespaces"]
    assert lines[1].split()[:3] == ["shop", "4", "2"]
    assert "1 of 2 clusters failed:" in lines
    assert lines[-1].startswith("  zz-broken: ") and "podSelecter" in lines[-1]
    argv = ["fleet", str(fleet_dir / "shop.yaml"), "--scheduler", scheduler, "--format", "json", "--no-progress"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    [row] = json.loads(out)
    assert (row["name"], row["pods"], row["ports"], row["error"]) == ("shop", 4, 5, None)


def test_fleet_without_dask_is_one_line(capsys, monkeypatch, fleet_dir):
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, out, err = run(capsys, "fleet", str(fleet_dir))
    assert code == 2 and out == ""
    assert "pip install 'netpolkit[dask]'" in one_error_line(err)


# ---- through a real process -------------------------------------------------------------------------------


def _netpolkit(*argv: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "100",
    }
    env.pop("MPLBACKEND", None)  # the command chooses Agg itself
    return subprocess.run(
        [sys.executable, "-m", "netpolkit", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_python_m_netpolkit_diff_with_stdin_and_png(tmp_path):
    argv = ["diff", "--old", "-", "--new", CLUSTER, CHANGE, "--port", "5432", "--fail-on-change", "--png", "d.png"]
    proc = _netpolkit(*argv, cwd=tmp_path, stdin=Path(CLUSTER).read_text())
    assert proc.returncode == 1 and proc.stderr == ""
    assert "TCP/5432  1 newly allowed, 4 newly blocked" in proc.stdout.splitlines()
    assert proc.stdout.splitlines()[-1] == "wrote d.png (TCP/5432, pod view)"
    assert _is_png(tmp_path / "d.png")


@pytest.mark.parametrize(
    ("argv", "code", "line"),
    [
        (
            ["lint", CLUSTER, LINT],
            1,
            "3 findings under profile upstream: 1 error, 2 warnings, 0 info; exit 1: at or above --fail-on error",
        ),
        (
            ["matrix", CLUSTER, "--aggregate", "namespace", "--port", "9100", "--format", "csv"],
            0,
            "shop,shop,TCP,9100,0,6,0",
        ),
        (
            ["exposure", CLUSTER, "--to", "shop/web"],
            0,
            "monitoring  shop/web  TCP/9100        1             1        1      1",
        ),
    ],
    ids=["lint", "aggregate", "exposure"],
)
def test_python_m_netpolkit(tmp_path, argv, code, line):
    proc = _netpolkit(*argv, cwd=tmp_path)
    assert proc.returncode == code and proc.stderr == ""
    assert line in proc.stdout.splitlines()


@needs_dask
def test_python_m_netpolkit_fleet(tmp_path, scheduler, fleet_dir):
    proc = _netpolkit("fleet", str(fleet_dir), "--scheduler", scheduler, "--format", "csv", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    rows = rows_of(proc.stdout)
    assert [r["name"] for r in rows] == ["shop", "zz-broken"]
    assert rows[0]["error"] == "" and "podSelecter" in rows[1]["error"]
    proc = _netpolkit("fleet", "-", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("netpolkit: error: ")
