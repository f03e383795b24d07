"""The vectorized engine agrees with the reference engine on random clusters that mix every dialect.

NetworkPolicies, ClusterNetworkPolicies (Admin and Baseline tiers), AdminNetworkPolicies, the
BaselineAdminNetworkPolicy and Cilium policies are drawn around one random cluster; each profile evaluates the
dialects its plugin enforces (the rest left out with ``unsupported="ignore"``), and both engines must give the same
frame, cell by cell. Engines also agree when every pod is its own atom and when replicas share everything.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from strategies import port_queries
from strategies_dialects import mixed_clusters
from test_engines_agree import assert_engines_agree

import netpolkit as npk


def _ports(objects: list[dict]) -> st.SearchStrategy[list[str]]:
    return port_queries(objects)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engines_agree_on_random_mixed_dialect_clusters(data: st.DataObject) -> None:
    objects, externals = data.draw(mixed_clusters(), label="cluster")
    note(f"objects = {json.dumps(objects)}\nexternals = {json.dumps(externals)}")
    cluster = npk.Cluster.from_objects(objects, externals)
    ports = data.draw(_ports(objects), label="ports")
    for profile in ("upstream", "cilium", "calico"):
        assert_engines_agree(cluster, ports, profile, unsupported="ignore")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_explain_after_a_vectorized_evaluation_is_the_reference_engines_explain(data: st.DataObject) -> None:
    """After evaluation, explain reads who selects an endpoint off the vectorized columns (for speed); the
    explanation must be exactly the one the reference engine gives on its own."""
    objects, externals = data.draw(mixed_clusters(), label="cluster")
    cluster = npk.Cluster.from_objects(objects, externals)
    ports = data.draw(_ports(objects), label="ports")
    ids = cluster.table.ids
    for profile in ("upstream", "cilium"):
        fast = npk.reachability(cluster, ports=ports, profile=profile, unsupported="ignore")
        plain = npk.reachability(cluster, ports=ports, profile=profile, engine="reference", unsupported="ignore")
        for src in ids[:4]:
            for dst in ids[-4:]:
                for port in ports:
                    assert fast.explain(src, dst, port) == plain.explain(src, dst, port)
