"""What unsupported="ignore" (CLI --ignore-unsupported) leaves out is shown wherever verdicts are."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import netpolkit as npk
from netpolkit import plot
from netpolkit.cli import main

CLUSTER = str(Path(__file__).parent / "data" / "unsupported" / "cluster.yaml")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [["matrix"], ["explain", "--from", "shop/client", "--to", "shop/web"]])
def test_cli_refuses_what_it_cannot_evaluate_in_one_line(capsys, command):
    code, out, err = run(capsys, *command, CLUSTER, "--port", "TCP/80")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "NetworkPolicy shop/typo" in err and "--ignore-unsupported" in err


def test_cli_matrix_with_ignore_unsupported_starts_with_a_warning_banner(capsys):
    code, out, _ = run(capsys, "matrix", CLUSTER, "--port", "TCP/80", "--ignore-unsupported")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("WARNING: 2 things left out (--ignore-unsupported): verdicts may be wrong")
    assert "networking.k8s.io/v2" in lines[1] and "skipped" in lines[1]
    assert "does not enforce Calico policies" in lines[2] and "left out" in lines[2]


def test_cli_json_carries_the_warnings(capsys):
    code, out, _ = run(capsys, "matrix", CLUSTER, "--port", "TCP/80", "--format", "json", "--ignore-unsupported")
    assert code == 0
    assert len(json.loads(out)["warnings"]) == 2


def test_cli_csv_keeps_stdout_machine_readable_and_warns_on_stderr(capsys):
    code, out, err = run(capsys, "matrix", CLUSTER, "--port", "TCP/80", "--format", "csv", "--ignore-unsupported")
    assert code == 0 and out.startswith("src,dst,protocol,port,allowed")
    assert err.startswith("WARNING: 2 things left out")


def test_cli_explain_shows_the_warnings_first(capsys):
    argv = ["explain", CLUSTER, "--from", "shop/client", "--to", "shop/web", "--port", "TCP/80"]
    code, out, _ = run(capsys, *argv, "--ignore-unsupported")
    assert code == 0
    assert out.startswith("WARNING: ") and "shop/client -> shop/web on TCP/80: ALLOWED" in out


def test_heatmaps_show_a_banner_when_something_was_left_out():
    cluster = npk.load(CLUSTER, unsupported="ignore")
    reach = npk.reachability(cluster, ports=["TCP/80"], unsupported="ignore")
    for display in (
        plot.heatmap(reach, "TCP/80"),
        plot.aggregate_heatmap(reach, "TCP/80"),
        plot.diff_heatmap(reach, reach, "TCP/80"),
    ):
        assert display.banner_ is not None
        assert display.banner_.get_text().startswith("WARNING: left out, verdicts may be wrong:")
        assert "(+1 more" in display.banner_.get_text()
        plt.close(display.figure_)


def test_heatmaps_have_no_banner_when_nothing_was_left_out():
    pods = [d.obj for d in npk.io.read_documents(CLUSTER) if d.obj["kind"] == "Pod"]
    reach = npk.reachability(npk.Cluster.from_objects(pods), ports=["TCP/80"])
    assert reach.warnings == ()
    display = plot.heatmap(reach, "TCP/80")
    assert display.banner_ is None
    plt.close(display.figure_)
