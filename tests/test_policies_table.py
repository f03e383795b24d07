"""``Cluster.policies`` lists every dialect's policies with the same columns."""

from __future__ import annotations

import netpolkit as npk

OBJECTS = [
    {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "x", "namespace": "a"},
        "spec": {
            "endpointSelector": {"matchLabels": {"app": "x"}},
            "ingress": [{}],
            "ingressDeny": [{"fromEntities": ["world"]}],
        },
    },
    {
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": {"name": "guard"},
        "spec": {
            "tier": "Admin",
            "priority": 3,
            "subject": {"namespaces": {}},
            "ingress": [{"name": "d", "action": "Deny", "from": [{"namespaces": {}}]}],
        },
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "np", "namespace": "a"},
        "spec": {"podSelector": {}, "egress": [{}, {}]},
    },
]


def test_every_dialect_has_a_row_with_its_selector_rule_counts_and_rank():
    table = npk.Cluster.from_objects(OBJECTS).policies
    cilium, guard, np_ = (
        table.loc[ref] for ref in ("CiliumNetworkPolicy a/x", "ClusterNetworkPolicy guard", "NetworkPolicy a/np")
    )
    assert (cilium["selector"], cilium["ingress_rules"], cilium["egress_rules"]) == ("app=x", 2, 0)
    assert (guard["tier"], guard["priority"], guard["ingress_rules"]) == ("Admin", 3, 1)
    assert (np_["types"], np_["egress_rules"]) == (("Ingress", "Egress"), 2)
