"""Loading a folder of steps in order: later objects replace earlier ones; netpolkit's own data files are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

import netpolkit as npk
from netpolkit.cli import main

AKS = Path(__file__).resolve().parents[1] / "manifests" / "aks"


def test_tutorial_folder_loads_as_its_final_state_in_order():
    cluster = npk.load(AKS, replace=True)
    assert cluster.namespaces.loc["kube-system", "labels"]["name"] == "kube-system"  # step s3b's relabel won
    reach = npk.reachability(cluster, ports=["TCP/3000", "UDP/53"])
    assert reach.allowed("yournamespace/web", "yournamespace/api", "TCP/3000")
    assert reach.allowed("yournamespace/api", "kube-system/coredns", "UDP/53")


def test_duplicates_are_an_error_that_points_to_the_in_order_option():
    with pytest.raises(npk.PolicyError, match="replace=True"):
        npk.load(AKS)


def test_cli_in_order_flag(capsys):
    assert main(["matrix", str(AKS), "--in-order", "--port", "TCP/3000", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert "yournamespace/web,yournamespace/api,TCP,3000,true" in rows
