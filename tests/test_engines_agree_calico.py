"""Property: under Calico's ordered model, the reference and vectorized engines agree on every cell.

Random clusters carry random Calico NetworkPolicies, GlobalNetworkPolicies and Tiers (orders with ties and gaps,
Allow/Deny/Pass/Log, selectors that overlap, nets/notNets, ports/notPorts including named ports and ranges,
protocols) mixed with Kubernetes NetworkPolicies, which Calico runs at order 1000 in the default tier. Pods often
have twins (replicas: only name and IP differ) that the nets split, so merging endpoints by anything but their
CIDR cells fails.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netpolkit as npk

NAMESPACES = ("a", "b", "c")
APPS = ("web", "api", "db")
TIERS = ("default", "security")
SELECTORS = (
    "all()",
    'app == "web"',
    'app != "api"',
    'app in {"api", "db"}',
    'app not in {"web"}',
    "has(tier)",
    "!has(tier)",
    'app == "db" || tier == "back"',
    'app starts with "a" && !has(tier)',
    'projectcalico.org/namespace == "b"',
)
NAMESPACE_SELECTORS = ("all()", 'team == "x"', 'kubernetes.io/metadata.name != "c"', "!has(team)")
# Pods are 10.0.0.1, 10.0.0.2, ...: the /31 and /32 split neighbours, so they split a pod from its twin.
NETS = ("10.0.0.0/29", "10.0.0.4/30", "203.0.113.0/29", "0.0.0.0/0", "10.0.0.2/31", "10.0.0.5/32")
PORTS = (80, 443, "8000:8100", "http", "dns")
QUERIES = ("TCP/80", "TCP/8080", "UDP/53", "TCP/443")


@st.composite
def entity(draw, *, destination: bool) -> dict:
    out: dict = {}
    if draw(st.integers(0, 2)) == 0:
        out["selector"] = draw(st.sampled_from(SELECTORS))
    if draw(st.integers(0, 3)) == 0:
        out["notSelector"] = draw(st.sampled_from(SELECTORS[1:]))
    if draw(st.integers(0, 3)) == 0:
        out["namespaceSelector"] = draw(st.sampled_from(NAMESPACE_SELECTORS))
    if draw(st.integers(0, 3)) == 0:
        out["nets"] = draw(st.lists(st.sampled_from(NETS), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 4)) == 0:
        out["notNets"] = [draw(st.sampled_from(NETS[:3]))]
    if destination and draw(st.booleans()):
        out["ports"] = draw(st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True))
    if destination and draw(st.integers(0, 4)) == 0:
        out["notPorts"] = [draw(st.sampled_from(PORTS))]
    return out


@st.composite
def calico_rule(draw) -> dict:
    rule: dict = {"action": draw(st.sampled_from(("Allow", "Deny", "Deny", "Pass", "Log")))}
    source = draw(entity(destination=False))
    destination = draw(entity(destination=True))
    needs_protocol = "ports" in destination or "notPorts" in destination
    if needs_protocol or draw(st.booleans()):
        rule["protocol"] = draw(st.sampled_from(("TCP", "UDP") if needs_protocol else ("TCP", "UDP", "ICMP", 6)))
    elif draw(st.integers(0, 4)) == 0:
        rule["notProtocol"] = draw(st.sampled_from(("TCP", "UDP")))
    if source:
        rule["source"] = source
    if destination:
        rule["destination"] = destination
    return rule


@st.composite
def calico_policy(draw, index: int) -> dict:
    is_global = draw(st.integers(0, 3)) == 0
    spec: dict = {}
    if draw(st.integers(0, 3)) > 0:  # ties are frequent on purpose: then the name decides
        spec["order"] = draw(st.sampled_from((100, 1000, 1000, 1000, 1500)))
    if draw(st.booleans()):
        spec["selector"] = draw(st.sampled_from(SELECTORS))
    if draw(st.integers(0, 2)) == 0:
        spec["tier"] = "security"
    for direction in ("ingress", "egress"):
        if draw(st.booleans()):
            spec[direction] = draw(st.lists(calico_rule(), min_size=1, max_size=3))
    if draw(st.integers(0, 3)) == 0:
        spec["types"] = draw(st.sampled_from((["Ingress"], ["Egress"], ["Ingress", "Egress"])))
    if is_global and draw(st.booleans()):
        spec["namespaceSelector"] = draw(st.sampled_from(NAMESPACE_SELECTORS))
    name = f"{'security.' if spec.get('tier') == 'security' else ''}p{draw(st.sampled_from('xyz'))}{index}"
    metadata = {"name": name}
    if not is_global:
        metadata["namespace"] = draw(st.sampled_from(NAMESPACES))
    kind = "GlobalNetworkPolicy" if is_global else "NetworkPolicy"
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata, "spec": spec}


@st.composite
def k8s_policy(draw, index: int) -> dict:
    spec: dict = {
        "podSelector": draw(st.sampled_from(({}, {"matchLabels": {"app": "web"}}, {"matchLabels": {"app": "db"}})))
    }
    if draw(st.booleans()):
        peer = draw(
            st.sampled_from(
                (
                    {},
                    {"podSelector": {"matchLabels": {"app": "api"}}},
                    {"namespaceSelector": {"matchLabels": {"team": "x"}}},
                    {"ipBlock": {"cidr": "10.0.0.0/30"}},
                )
            )
        )
        spec["ingress"] = [{"from": [peer]} if peer else {}]
    if draw(st.booleans()):
        spec["policyTypes"] = ["Ingress", "Egress"]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"k{index}", "namespace": draw(st.sampled_from(NAMESPACES))},
        "spec": spec,
    }


@st.composite
def calico_clusters(draw) -> tuple[list[dict], dict[str, str]]:
    objects: list[dict] = []
    for ns in NAMESPACES:
        labels = {"team": "x"} if draw(st.booleans()) else {}
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    n_pods = draw(st.integers(2, 6))
    for i in range(n_pods):
        labels = {"app": draw(st.sampled_from(APPS))}
        if draw(st.booleans()):
            labels["tier"] = draw(st.sampled_from(("front", "back")))
        ports = [{"containerPort": draw(st.sampled_from((80, 8080))), "name": "http"}]
        if draw(st.booleans()):
            ports.append({"containerPort": 53, "protocol": "UDP", "name": "dns"})
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"pod{i}", "namespace": draw(st.sampled_from(NAMESPACES)), "labels": labels},
                "spec": {"containers": [{"name": "c", "ports": ports}], "serviceAccountName": "sa"},
                "status": {"podIP": f"10.0.0.{i + 1}"},
            }
        )
    for i in range(draw(st.sampled_from((0, 1, 1, 2)))):  # a replica: only its name and IP differ
        original = draw(st.sampled_from(objects[len(NAMESPACES) :]))
        twin = {**original, "metadata": {**original["metadata"], "name": f"twin{i}"}}
        twin["status"] = {"podIP": f"10.0.0.{n_pods + i + 1}"}
        objects.append(twin)
    if draw(st.booleans()):
        objects.append(
            {
                "apiVersion": "projectcalico.org/v3",
                "kind": "Tier",
                "metadata": {"name": "security"},
                "spec": {"order": draw(st.sampled_from((10, 2000)))},
            }
        )
    for i in range(draw(st.integers(2, 6))):
        objects.append(draw(calico_policy(i)))
    for i in range(draw(st.integers(0, 2))):
        objects.append(draw(k8s_policy(i)))
    uses_tier = any(o.get("spec", {}).get("tier") == "security" for o in objects)
    if uses_tier and not any(o["kind"] == "Tier" for o in objects):  # Calico refuses a policy in no tier
        order = draw(st.sampled_from((None, 2_000_000)))  # no order, or an order: after the default tier
        tier: dict = {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"}}
        if order is not None:
            tier["spec"] = {"order": order}
        objects.append(tier)
    externals = {"inet": "203.0.113.5"} if draw(st.booleans()) else {}
    return objects, externals


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calico_clusters(), st.lists(st.sampled_from(QUERIES), min_size=1, max_size=2, unique=True))
def test_reference_and_vectorized_agree_on_ordered_calico_policies(cluster_spec, ports):
    objects, externals = cluster_spec
    cluster = npk.Cluster.from_objects(objects, externals)
    fast = npk.reachability(cluster, ports=ports, profile="calico")
    slow = npk.reachability(cluster, ports=ports, profile="calico", engine="reference")
    for port in ports:
        pd.testing.assert_frame_equal(fast.frame(port), slow.frame(port))


def test_a_pass_in_a_first_tier_hands_over_to_the_next_tier():
    def pod(name: str, app: str) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "a", "labels": {"app": app}},
            "spec": {"containers": []},
        }

    objects = [
        pod("web", "web"),
        pod("db", "db"),
        pod("batch", "batch"),
        {"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "security"}, "spec": {"order": 10}},
        {
            "apiVersion": "projectcalico.org/v3",
            "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "security.gate"},
            "spec": {
                "tier": "security",
                "selector": 'app == "db"',
                "ingress": [{"action": "Pass", "source": {"selector": 'app == "web"'}}, {"action": "Deny"}],
            },
        },
        {
            "apiVersion": "projectcalico.org/v3",
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-all-to-db", "namespace": "a"},
            "spec": {"selector": 'app == "db"', "ingress": [{"action": "Allow"}]},
        },
    ]
    cluster = npk.Cluster.from_objects(objects)
    for engine in ("vectorized", "reference"):
        reach = npk.reachability(cluster, ports=["TCP/5432"], profile="calico", engine=engine)
        assert reach.allowed("a/web", "a/db", "TCP/5432")  # Pass: the default tier's Allow decides
        assert not reach.allowed("a/batch", "a/db", "TCP/5432")  # the security tier's Deny is final
    passed = npk.explain(cluster, "a/web", "a/db", "TCP/5432", profile="calico")
    assert passed.ingress.policy == "Calico NetworkPolicy a/allow-all-to-db" and passed.ingress.tier == "default"
    denied = npk.explain(cluster, "a/batch", "a/db", "TCP/5432", profile="calico")
    assert denied.ingress.policy == "GlobalNetworkPolicy security.gate" and denied.ingress.rule == 2
