"""The ``netpolkit`` command: matrix / explain / check, input errors as one line, and the packaging."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netpolkit.cli import main

DATA = Path(__file__).parent / "data" / "cli"
CLUSTER = str(DATA / "cluster.yaml")
EXPECT_PASS = str(DATA / "expect-pass.yaml")
EXPECT_FAIL = str(DATA / "expect-fail.yaml")
REPO = Path(__file__).resolve().parent.parent
PODS = ["monitoring/prometheus", "shop/api", "shop/db", "shop/web"]


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("netpolkit: error: ")
    assert "Traceback" not in err
    return lines[0]


# ---- matrix ------------------------------------------------------------------------------------------------


def test_matrix_table(capsys):
    code, out, err = run(capsys, "matrix", CLUSTER, "--port", "TCP/8080", "--port", "TCP/9100")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert "✓ allowed" in lines[0] and "· blocked" in lines[0] and "rows: sources" in lines[0]
    assert "TCP/8080  (5 of 16 pairs allowed)" in lines  # monitoring has no policy: everyone reaches prometheus
    assert "TCP/9100  (7 of 16 pairs allowed)" in lines
    block = lines[lines.index("TCP/8080  (5 of 16 pairs allowed)") + 1 :]
    assert block[0].split() == ["prometheus", "api", "db", "web"]  # short headers
    rows = {line.split()[0]: line.split()[1:] for line in block[1:5]}
    assert rows["shop/web"] == ["✓", "✓", "·", "·"]  # in shop: web -> api only
    assert rows["shop/api"] == ["✓", "·", "·", "·"]
    scrape = lines[lines.index("TCP/9100  (7 of 16 pairs allowed)") + 2]
    assert scrape.split() == ["monitoring/prometheus", "✓", "✓", "✓", "✓"]


def test_matrix_table_ascii_and_numbered_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    code, out, _ = run(capsys, "matrix", CLUSTER, "--port", "9100", "--ascii", "--replicas", "all")
    assert code == 0
    lines = out.splitlines()
    assert "numbered like the rows" in lines[0] and "Y allowed" in lines[0]
    assert lines[3].split() == ["12345"]
    assert lines[4].split() == ["1", "monitoring/prometheus", "YYYYY"]
    assert lines[5].split() == ["2", "shop/api-0", "Y----"]


def test_matrix_csv(capsys):
    code, out, _ = run(capsys, "matrix", CLUSTER, "--port", "TCP/8080,TCP/5432", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["src", "dst", "protocol", "port", "allowed"]
    assert len(rows) == 2 * 16
    allowed = {
        (r["src"], r["dst"], r["protocol"], r["port"])
        for r in rows
        if r["allowed"] == "true" and r["dst"].startswith("shop/")
    }
    assert allowed == {("shop/web", "shop/api", "TCP", "8080"), ("shop/api", "shop/db", "TCP", "5432")}
    assert {r["allowed"] for r in rows} == {"true", "false"}


def test_matrix_json_with_namespace_filter_and_external(capsys):
    code, out, _ = run(
        capsys,
        "matrix",
        CLUSTER,
        "--port",
        "9100",
        "--format",
        "json",
        "--namespace",
        "shop",
        "-n",
        "external",
        "--external",
        "internet=203.0.113.10",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["profile"] == "upstream"
    assert doc["endpoints"] == ["shop/api", "shop/db", "shop/web", "external/internet"]
    matrix = doc["ports"]["TCP/9100"]
    assert list(matrix) == doc["endpoints"] and list(matrix["shop/web"]) == doc["endpoints"]
    assert matrix["external/internet"]["shop/db"] is False  # default deny, not from monitoring
    assert matrix["shop/web"]["external/internet"] is True  # no egress policy


def test_matrix_default_ports_are_declared_container_ports(capsys):
    code, out, _ = run(capsys, "matrix", CLUSTER, "--format", "json", "--profile", "cilium")
    assert code == 0
    doc = json.loads(out)
    assert doc["profile"] == "cilium"
    assert list(doc["ports"]) == ["TCP/80", "TCP/5432", "TCP/8080", "TCP/9090", "TCP/9100"]
    assert doc["ports"]["TCP/8080"]["shop/api"]["shop/api"] is True  # cilium: self traffic allowed


def test_matrix_engines_agree(capsys):
    outputs = [run(capsys, "matrix", CLUSTER, "--format", "csv", "--engine", e)[1] for e in ("vectorized", "reference")]
    assert outputs[0] == outputs[1]


def test_matrix_without_declared_ports_asks_for_port(capsys, tmp_path):
    bare = tmp_path / "bare.yaml"
    bare.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {containers: []}\n")
    code, _, err = run(capsys, "matrix", str(bare))
    assert code == 2
    assert "--port" in one_error_line(err)


def test_matrix_reads_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(Path(CLUSTER).read_text()))
    code, out, _ = run(capsys, "matrix", "-", "--port", "8080", "--format", "csv")
    assert code == 0
    assert "shop/web,shop/api,TCP,8080,true" in out.splitlines()


# ---- explain -----------------------------------------------------------------------------------------------


def test_explain_names_the_deciding_policy(capsys):
    code, out, _ = run(capsys, "explain", CLUSTER, "--from", "shop/web", "--to", "shop/api", "--port", "TCP/8080")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "shop/web -> shop/api on TCP/8080: ALLOWED"
    assert "NetworkPolicy shop/allow-web-to-api" in lines[2] and lines[2].lstrip().startswith("ingress of shop/api")


def test_explain_blocked_still_exits_0(capsys):
    code, out, _ = run(capsys, "explain", CLUSTER, "--from", "shop/web", "--to", "shop/db", "--port", "5432")
    assert code == 0
    assert out.splitlines()[0] == "shop/web -> shop/db on TCP/5432: BLOCKED"
    assert "NetworkPolicy shop/default-deny-ingress" in out


def test_explain_unknown_endpoint_suggests(capsys):
    code, out, err = run(capsys, "explain", CLUSTER, "--from", "shop/wbe", "--to", "shop/db", "--port", "5432")
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert "shop/wbe" in line and "did you mean shop/web" in line


# ---- check -------------------------------------------------------------------------------------------------


def test_check_passes(capsys):
    code, out, err = run(capsys, "check", CLUSTER, "--expect", EXPECT_PASS)
    assert code == 0 and err == ""
    assert out.splitlines() == ["3 passed, 0 failed"]


def test_check_verbose_lists_passes(capsys):
    code, out, _ = run(capsys, "check", CLUSTER, "--expect", EXPECT_PASS, "-v")
    assert code == 0
    assert out.splitlines()[0] == "PASS shop/web -> shop/api TCP/8080: allowed"
    assert out.splitlines()[-1] == "3 passed, 0 failed"


def test_check_fails_with_reasons(capsys):
    code, out, _ = run(capsys, "check", CLUSTER, "--expect", EXPECT_FAIL)
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "1 passed, 2 failed"
    assert lines[0] == "FAIL shop/web -> shop/db TCP/5432: expected allowed, got blocked"
    assert lines[1] == "  egress of shop/web: allowed, no policy selects it for egress (not isolated)"
    assert lines[2].startswith("  ingress of shop/db: denied, isolated by NetworkPolicy shop/default-deny-ingress")
    # the file's externals define "internet"
    assert lines[3] == "FAIL external/internet -> shop/web TCP/80: expected allowed, got blocked"


def test_check_profile_from_command_line_wins(capsys, tmp_path):
    expect = tmp_path / "self.yaml"
    expect.write_text("profile: cilium\nexpect:\n  - {from: shop/api, to: shop/api, port: 8080, allowed: true}\n")
    assert run(capsys, "check", CLUSTER, "--expect", str(expect))[0] == 0
    code, out, _ = run(capsys, "check", CLUSTER, "--expect", str(expect), "--profile", "upstream")
    assert code == 1 and out.splitlines()[-1] == "0 passed, 1 failed"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("expect:\n  - {from: shop/web, to: shop/api, port: 8080, alowed: true}\n", "expect[0].alowed"),
        (
            "expect:\n  - {from: shop/web, to: shop/api, allowed: true}\n  - {from: shop/web}\n",
            "expect[0].port",
        ),
        ("expect:\n  - {from: shop/web, to: shop/api, port: 0, allowed: true}\n", "expect[0].port"),
        ("expect:\n  - {from: shop/web, to: shop/api, port: 80, allowed: maybe}\n", "expect[0].allowed"),
        (
            "expect:\n  - {from: shop/web, to: shop/api, port: 'UDP/80', protocol: TCP, allowed: true}\n",
            "expect[0].protocol",
        ),
        ("expect:\n  - {from: shop/web, to: shop/nope, port: 80, allowed: true}\n", "expect[0].to"),
        ("expect:\n  - {from: shop/web to: shop/api}\n", "line 2"),
        ("profile: weave\nexpect: []\n", "profile"),
        ("- {from: shop/web}\n", "expect"),
    ],
)
def test_check_malformed_expect_file(capsys, tmp_path, text, needle):
    expect = tmp_path / "expectations.yaml"
    expect.write_text(text)
    code, out, err = run(capsys, "check", CLUSTER, "--expect", str(expect))
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert "expectations.yaml" in line and needle in line


# ---- input errors ------------------------------------------------------------------------------------------


def test_malformed_manifest_yaml(capsys, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {app: [x\n")
    code, _, err = run(capsys, "matrix", str(bad), "--port", "80")
    assert code == 2
    line = one_error_line(err)
    assert "broken.yaml" in line and "line " in line


def test_unknown_policy_field_names_the_path(capsys, tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
        "spec:\n  podSelector: {}\n  ingress:\n    - from:\n        - podSelector: {matchLabel: {app: web}}\n"
    )
    code, _, err = run(capsys, "matrix", CLUSTER, str(bad), "--port", "80")
    assert code == 2
    line = one_error_line(err)
    assert "policy.yaml" in line and "spec.ingress[0].from[0].podSelector.matchLabel" in line


@pytest.mark.parametrize("port", ["TCP/abc", "HTTP/80", "70000", "tcp/"])
def test_bad_port(capsys, port):
    code, _, err = run(capsys, "matrix", CLUSTER, "--port", port)
    assert code == 2
    assert "--port" in one_error_line(err)


@pytest.mark.parametrize("external", ["internet", "internet=", "internet=not-an-ip", "internet=10.0.0.0/8"])
def test_bad_external(capsys, external):
    code, _, err = run(
        capsys,
        "explain",
        CLUSTER,
        "--from",
        "shop/web",
        "--to",
        "shop/db",
        "--port",
        "80",
        "--external",
        external,
    )
    assert code == 2
    assert "internet" in one_error_line(err)


def test_missing_file_and_unknown_namespace(capsys):
    code, _, err = run(capsys, "matrix", str(DATA / "missing.yaml"), "--port", "80")
    assert code == 2 and "missing.yaml" in one_error_line(err)
    code, _, err = run(capsys, "matrix", CLUSTER, "--namespace", "shp")
    assert code == 2 and "did you mean shop" in one_error_line(err)


def test_usage_errors_and_version(capsys):
    assert run(capsys, "matrix", CLUSTER, "--format", "xml")[0] == 2
    assert run(capsys, "explain", CLUSTER, "--from", "shop/web")[0] == 2
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("netpolkit ")
    code, out, _ = run(capsys, "matrix", "--help")
    assert code == 0 and "pod port" in out


# ---- packaging ---------------------------------------------------------------------------------------------


def test_python_m_netpolkit(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "netpolkit", "check", CLUSTER, "--expect", EXPECT_FAIL],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[-1] == "1 passed, 2 failed"
    assert proc.stderr == ""
