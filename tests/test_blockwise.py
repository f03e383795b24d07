"""Evaluation under a memory budget: blocks of endpoints and of classes give exactly the verdicts of one block.

A block's columns are built by dialects over only its endpoints, so this holds only if every column is a
predicate on one endpoint and the class keys of different blocks line up; a tiny budget (one endpoint a block,
one class a block) on random clusters of every dialect checks both, cell by cell.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from strategies import clusters, port_queries
from strategies_dialects import mixed_clusters
from test_engines_agree_calico import QUERIES, calico_clusters

import netpolkit as npk
from netpolkit.engine import budget, evaluate, get_profile, unenforced
from netpolkit.engine.vectorized import VectorizedEngine
from netpolkit.model.ports import PortQuery
from netpolkit.synth import synthetic_cluster_objects

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def verdicts(cluster: npk.Cluster, ports: list[str], profile: str, memory_budget: int | None) -> list[np.ndarray]:
    """The endpoint x endpoint matrix of every port, by the vectorized engine within ``memory_budget`` bytes."""
    queries = [PortQuery.parse(p) for p in ports]
    plugin = get_profile(profile)
    left_out = {id(policy) for policy, _ in unenforced(cluster.policy_objects, plugin)}  # as unsupported="ignore"
    got = evaluate(
        cluster.table,
        [p for p in cluster.policy_objects if id(p) not in left_out],
        plugin,
        "vectorized",
        queries,
        cluster.tier_objects,
        memory_budget=memory_budget,
    )
    return [got[q].expand() for q in queries]


def assert_blocks_change_nothing(cluster: npk.Cluster, ports: list[str], profile: str) -> None:
    whole = verdicts(cluster, ports, profile, None)
    for tiny in (1, 3_000):  # 1: one endpoint and one class a block; 3,000 bytes: a few of each
        for port, expected, got in zip(ports, whole, verdicts(cluster, ports, profile, tiny), strict=True):
            differ = list(zip(*np.nonzero(expected != got), strict=True))
            ids = cluster.table.ids
            assert not differ, f"{port}, budget {tiny}: " + ", ".join(f"{ids[s]} -> {ids[d]}" for s, d in differ[:5])


@SETTINGS
@given(st.data())
def test_blockwise_verdicts_equal_whole_verdicts_on_random_clusters(data: st.DataObject) -> None:
    objects, externals = data.draw(clusters(), label="cluster")
    note(f"objects = {json.dumps(objects)}\nexternals = {json.dumps(externals)}")
    cluster = npk.Cluster.from_objects(objects, externals)
    ports = data.draw(port_queries(objects), label="ports")
    for profile in ("upstream", "cilium"):
        assert_blocks_change_nothing(cluster, ports, profile)


@SETTINGS
@given(st.data())
def test_blockwise_verdicts_equal_whole_verdicts_with_admin_and_cilium_policies(data: st.DataObject) -> None:
    objects, externals = data.draw(mixed_clusters(), label="cluster")
    note(f"objects = {json.dumps(objects)}\nexternals = {json.dumps(externals)}")
    cluster = npk.Cluster.from_objects(objects, externals)
    ports = data.draw(port_queries(objects), label="ports")
    for profile in ("upstream", "cilium", "calico"):
        assert_blocks_change_nothing(cluster, ports, profile)


@SETTINGS
@given(calico_clusters(), st.lists(st.sampled_from(QUERIES), min_size=1, max_size=2, unique=True))
def test_blockwise_verdicts_equal_whole_verdicts_under_calico_tiers(cluster_spec, ports) -> None:
    objects, externals = cluster_spec
    assert_blocks_change_nothing(npk.Cluster.from_objects(objects, externals), ports, "calico")


# ---- the budget on real sizes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unique_pods() -> npk.Cluster:
    """2,000 pods that share no labels (one pod a workload): 2,000 atoms, the shape that needs blocks."""
    return npk.Cluster.from_objects(*synthetic_cluster_objects(2_000, 400, n_namespaces=40, replicas_per_workload=1))


def test_a_small_budget_evaluates_in_several_blocks_with_the_same_result(unique_pods, monkeypatch) -> None:
    blocks = []
    original = VectorizedEngine._block_plan

    def counting(self, rows):  # type: ignore[no-untyped-def]
        blocks.append(len(rows))
        return original(self, rows)

    monkeypatch.setattr(VectorizedEngine, "_block_plan", counting)
    whole = npk.reachability(unique_pods, ports=["TCP/80"], memory_budget="1GB")
    assert blocks == []  # fits one block: the evaluator's own (cached) columns
    small = npk.reachability(unique_pods, ports=["TCP/80"], memory_budget="1MiB")
    assert len(blocks) > 3 and sum(blocks) == len(whole._evaluator._atoms[0].table)
    assert small.memory_budget == 2**20
    assert np.array_equal(small.frame("TCP/80").to_numpy(), whole.frame("TCP/80").to_numpy())
    pd_small, pd_whole = small.aggregate(by="namespace"), whole.aggregate(by="namespace")
    assert pd_small.equals(pd_whole)


def test_blocks_are_sized_from_the_budget(unique_pods) -> None:
    engine = npk.reachability(unique_pods, ports=["TCP/80"])._evaluator._atoms[0]
    small, large = engine.endpoints_per_block(2**20), engine.endpoints_per_block(2**28)
    assert 1 <= small < large and large >= 200 * small
    assert engine.endpoints_per_block(1) == 1


# ---- how a budget is given -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2GB", 2 * 10**9),
        ("1.5GiB", 3 * 2**29),
        ("512 MB", 512 * 10**6),
        ("512mib", 512 * 2**20),
        (2**21, 2**21),
        ("3000000", 3_000_000),
    ],
)
def test_a_budget_is_bytes_or_a_size_with_a_unit(text, expected) -> None:
    assert budget.parse_budget(text) == expected


@pytest.mark.parametrize("bad", ["2 GBs", "lots", "-1GB", "", "1KB", True, float("nan")])
def test_a_bad_budget_is_an_error_that_names_where_it_came_from(bad) -> None:
    with pytest.raises(ValueError, match=r"memory_budget must be"):
        budget.parse_budget(bad)


def test_the_budget_comes_from_the_argument_then_the_environment_then_the_default(monkeypatch) -> None:
    monkeypatch.delenv(budget.ENVIRONMENT_VARIABLE, raising=False)
    assert budget.memory_budget() == budget.DEFAULT_MEMORY_BUDGET
    monkeypatch.setenv(budget.ENVIRONMENT_VARIABLE, "64MiB")
    assert budget.memory_budget() == 64 * 2**20
    assert budget.memory_budget("2GB") == 2 * 10**9
    cluster = npk.Cluster.from_objects(*synthetic_cluster_objects(20, 4))
    assert npk.reachability(cluster, ports=["TCP/80"]).memory_budget == 64 * 2**20
    monkeypatch.setenv(budget.ENVIRONMENT_VARIABLE, "a lot")
    with pytest.raises(ValueError, match="environment variable NETPOLKIT_MEMORY_BUDGET must be"):
        npk.reachability(cluster, ports=["TCP/80"])
