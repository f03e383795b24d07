"""The vectorized engine agrees with the reference engine, cell by cell, on random and synthetic clusters.

The reference engine evaluates one pair at a time in plain Python and is the oracle; the vectorized engine
compresses endpoints into classes. On a disagreement hypothesis shrinks the cluster to a minimal one, and the
failure message names the cell, both verdicts and the reference engine's explanation.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from strategies import clusters, port_queries

import netpolkit as npk
from netpolkit.synth import synthetic_cluster_objects

PROFILES = ("upstream", "calico", "cilium")


def assert_engines_agree(cluster: npk.Cluster, ports: list[str], profile: str, *, unsupported: str = "error") -> None:
    """Both engines give the same frame for every port; on failure, name every differing cell and why."""
    reference = npk.reachability(cluster, ports=ports, profile=profile, engine="reference", unsupported=unsupported)
    vectorized = npk.reachability(cluster, ports=ports, profile=profile, engine="vectorized", unsupported=unsupported)
    assert vectorized.ports == reference.ports
    for port in reference.ports:
        expected, got = reference.frame(port), vectorized.frame(port)
        if expected.shape == got.shape and (expected.index.equals(got.index)):
            differ = (expected.to_numpy() != got.to_numpy()).nonzero()
            cells = [
                f"  {expected.index[s]} -> {expected.columns[d]}: reference={bool(expected.iat[s, d])}, "
                f"vectorized={bool(got.iat[s, d])}\n"
                + "\n".join(
                    "    " + line
                    for line in str(reference.explain(expected.index[s], expected.columns[d], port)).splitlines()
                )
                for s, d in zip(*differ, strict=True)
            ]
            assert not cells, f"engines disagree on {port} under profile {profile!r}:\n" + "\n".join(cells[:5])
        pd.testing.assert_frame_equal(got, expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engines_agree_on_random_clusters(data: st.DataObject) -> None:
    objects, externals = data.draw(clusters(), label="cluster")
    note(f"objects = {json.dumps(objects)}\nexternals = {json.dumps(externals)}")
    cluster = npk.Cluster.from_objects(objects, externals)
    ports = data.draw(port_queries(objects), label="ports")
    for profile in PROFILES:
        assert_engines_agree(cluster, ports, profile)


@pytest.fixture(scope="module")
def synthetic_300() -> npk.Cluster:
    return npk.Cluster.from_objects(*synthetic_cluster_objects(300, 60))


def test_engines_agree_on_a_synthetic_cluster(synthetic_300: npk.Cluster) -> None:
    assert_engines_agree(synthetic_300, ["TCP/80", "UDP/53"], "upstream")


def test_synthetic_cluster_is_not_trivial(synthetic_300: npk.Cluster) -> None:
    # The agreement test above only means something when the verdicts are mixed.
    frame = npk.reachability(synthetic_300, ports=["TCP/80"]).frame("TCP/80")
    assert 0.01 < frame.to_numpy().mean() < 0.99


@pytest.mark.parametrize(("n_pods", "n_policies"), [(0, 0), (1, 3), (7, 2), (300, 60), (1234, 250)])
def test_synthetic_sizes_are_exact(n_pods: int, n_policies: int) -> None:
    objects, externals = synthetic_cluster_objects(n_pods, n_policies, externals=3)
    kinds = [o["kind"] for o in objects]
    assert kinds.count("Pod") == n_pods
    assert kinds.count("NetworkPolicy") == n_policies
    assert len(externals) == 3
    cluster = npk.Cluster.from_objects(objects, externals)  # the strict loader accepts every object
    assert len(cluster.pods) == n_pods
    assert len(cluster.policy_objects) == n_policies
    assert cluster.pods["ip"].is_unique


def test_synthetic_is_deterministic_per_seed() -> None:
    first = synthetic_cluster_objects(200, 40, seed=7)
    assert synthetic_cluster_objects(200, 40, seed=7) == first
    assert json.dumps(synthetic_cluster_objects(200, 40, seed=7)) == json.dumps(first)
    assert synthetic_cluster_objects(200, 40, seed=8) != first


def test_synthetic_policies_have_every_shape() -> None:
    objects, _ = synthetic_cluster_objects(1000, 200)
    text = json.dumps([o for o in objects if o["kind"] == "NetworkPolicy"])
    for needle in (
        '"ipBlock"',
        '"except"',
        '"endPort"',
        '"matchExpressions"',
        '"operator": "In"',
        '"operator": "NotIn"',
        '"operator": "Exists"',
        '"operator": "DoesNotExist"',
        '"namespaceSelector": {}',
        '"port": "metrics"',
        '"protocol": "UDP"',
        "kube-dns",
    ):
        assert needle in text, needle
    specs = [o["spec"] for o in objects if o["kind"] == "NetworkPolicy"]
    assert any("policyTypes" not in s for s in specs)  # defaulting is exercised
    assert any(s["podSelector"] == {} for s in specs)  # namespace-wide default deny
