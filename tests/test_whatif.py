"""A what-if (apply or delete a policy) reuses the endpoints and columns it does not touch, and is still exact."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import netpolkit as npk
from netpolkit.synth import synthetic_cluster_objects


@pytest.fixture(scope="module")
def base() -> tuple[npk.Cluster, list[dict]]:
    objects, externals = synthetic_cluster_objects(400, 80, externals=0)
    cluster = npk.Cluster.from_objects(objects, externals)
    npk.reachability(cluster, ports=["TCP/80"])  # fills the table and the engine cache
    return cluster, objects


def changed_policy(objects: list[dict]) -> dict:
    """A new policy naming a CIDR no policy named: one replica's IP, which sets it apart from its siblings (so the
    atoms must change), as the only source its namespace's pods accept."""
    pods = [o for o in objects if o["kind"] == "Pod"]
    source, target = pods[0], next(p for p in pods if p["metadata"]["namespace"] != pods[0]["metadata"]["namespace"])
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "what-if", "namespace": target["metadata"]["namespace"]},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": f"{source['status']['podIP']}/32"}}]}],
        },
    }


@pytest.mark.parametrize("profile", ["upstream", "calico", "cilium"])
def test_a_policy_what_if_shares_the_endpoints_and_gives_the_fresh_verdicts(base, profile):
    cluster, objects = base
    policy = changed_policy(objects)
    after = cluster.apply([policy])
    assert after.table is cluster.table and after.engine_cache is cluster.engine_cache
    fresh = npk.Cluster.from_objects([*objects, policy])
    for port in ("TCP/80", "UDP/53"):
        got = npk.reachability(after, ports=[port], profile=profile).array(port)
        want = npk.reachability(fresh, ports=[port], profile=profile).array(port)
        ids_after, ids_fresh = after.table.ids, fresh.table.ids
        order = [ids_fresh.index(i) for i in ids_after]
        assert np.array_equal(got, want[np.ix_(order, order)])
    atom_sets = [key for key in after.engine_cache if key[0] == "atoms"]
    assert len(atom_sets) == 2  # the new CIDR splits a replica from its siblings: new atoms, the old ones kept


def test_deleting_a_policy_shares_the_endpoints_too(base):
    cluster, objects = base
    first = next(o for o in objects if o["kind"] == "NetworkPolicy")["metadata"]
    after = cluster.delete("NetworkPolicy", first["namespace"], first["name"])
    assert after.table is cluster.table


def test_changing_a_pod_or_a_namespace_builds_new_endpoints(base):
    cluster, objects = base
    pod = copy.deepcopy(next(o for o in objects if o["kind"] == "Pod"))
    pod["metadata"]["labels"] = {**pod["metadata"]["labels"], "extra": "yes"}
    assert cluster.apply([pod]).table is not cluster.table
    namespace = next(o for o in objects if o["kind"] == "Namespace")["metadata"]["name"]
    assert cluster.label_namespace(namespace, {"new": "label"}).table is not cluster.table
