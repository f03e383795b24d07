"""Long loads and evaluations show a progress bar when someone watches, and stay quiet in CI."""

from __future__ import annotations

import pytest

import netpolkit as npk
from netpolkit import runtime
from netpolkit.synth import synthetic_cluster_objects


@pytest.fixture
def objects(monkeypatch):
    monkeypatch.setattr(runtime, "PROGRESS_MIN_ITEMS", 10)
    return synthetic_cluster_objects(200, 60)


def test_a_long_load_and_evaluation_show_a_bar_when_forced(objects, monkeypatch, capsys):
    monkeypatch.setenv("NETPOLKIT_PROGRESS", "1")
    cluster = npk.Cluster.from_objects(*objects)
    npk.reachability(cluster, ports=["TCP/80"])
    err = capsys.readouterr().err
    assert "netpolkit: loading" in err and "netpolkit: ingress rules on TCP/80" in err


@pytest.mark.parametrize(("env", "value"), [("CI", "true"), ("NETPOLKIT_PROGRESS", "0")])
def test_no_bar_in_ci_or_when_switched_off(objects, monkeypatch, capsys, env, value):
    monkeypatch.delenv("NETPOLKIT_PROGRESS", raising=False)
    monkeypatch.setenv(env, value)
    monkeypatch.setattr(runtime, "_stderr_is_a_terminal", lambda: True)
    npk.reachability(npk.Cluster.from_objects(*objects), ports=["TCP/80"])
    assert capsys.readouterr().err == ""


def test_no_bar_when_stderr_is_not_a_terminal_or_the_work_is_short(objects, monkeypatch, capsys):
    monkeypatch.delenv("NETPOLKIT_PROGRESS", raising=False)
    monkeypatch.delenv("CI", raising=False)
    npk.Cluster.from_objects(*objects)  # captured stderr is no terminal
    monkeypatch.setattr(runtime, "_stderr_is_a_terminal", lambda: True)
    monkeypatch.setattr(runtime, "PROGRESS_MIN_ITEMS", 10**9)
    npk.Cluster.from_objects(*objects)
    assert capsys.readouterr().err == ""
