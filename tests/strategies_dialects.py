"""Hypothesis strategies for the dialects beside NetworkPolicy: ClusterNetworkPolicy (v1alpha2),
AdminNetworkPolicy / BaselineAdminNetworkPolicy (v1alpha1) and Cilium policies, drawn around a cluster.

Like ``strategies.py``, the vocabularies are tiny and biased towards what the cluster holds (its namespaces,
labels, pod and external IPs, named ports), so that tiers, priorities, Pass and Deny collide often: priorities
come from three values (ties are frequent, the name decides), actions from all of a tier's, CIDRs mostly around
endpoint IPs, named ports among the declared names. Everything drawn is valid for the upstream CRDs.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import strategies as st
from strategies import (
    NS_LABEL_KEYS,
    NS_LABEL_VALUES,
    POD_LABEL_KEYS,
    POD_LABEL_VALUES,
    label_selectors,
    split_cidr,
    twin_ips,
)

__all__ = ["admin_policies", "cilium_policies", "mixed_clusters"]

PRIORITIES = (5, 10, 10)
CNP_V1ALPHA2 = "policy.networking.k8s.io/v1alpha2"
ANP_V1ALPHA1 = "policy.networking.k8s.io/v1alpha1"


def _context(objects: list[dict[str, Any]], externals: dict[str, str]) -> dict[str, Any]:
    pods = [o for o in objects if o["kind"] == "Pod"]
    declared = [p for o in pods for c in o["spec"]["containers"] for p in c.get("ports", ())]
    return {
        "namespaces": sorted({o["metadata"]["namespace"] for o in pods}),
        "ips": [o["status"]["podIP"] for o in pods if "status" in o] + list(externals.values()),
        "numbers": sorted({p["containerPort"] for p in declared}) or [80],
        "names": sorted({p["name"] for p in declared if "name" in p}) or ["http"],
        "twins": twin_ips(objects, externals),
    }


def _ns_selector(draw: st.DrawFn, ctx: dict[str, Any]) -> dict[str, Any]:
    keys = (*NS_LABEL_KEYS, "kubernetes.io/metadata.name")
    return draw(label_selectors(keys, (*NS_LABEL_VALUES, *ctx["namespaces"][:2])))


def _cidr(draw: st.DrawFn, ctx: dict[str, Any]) -> str:
    """Often a CIDR that splits twins (endpoints only their IP tells apart), else one around an endpoint."""
    if ctx["twins"] and draw(st.booleans()):
        return str(draw(split_cidr(draw(st.sampled_from(ctx["twins"])))))
    if ctx["ips"] and draw(st.integers(0, 3)):
        ip = draw(st.sampled_from(ctx["ips"]))
        return str(ipaddress.ip_network(f"{ip}/{draw(st.integers(26, 32))}", strict=False))
    return draw(st.sampled_from(("0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/29")))


# ---- network-policy-api ---------------------------------------------------------------------------------


def _admin_peer(draw: st.DrawFn, ctx: dict[str, Any], egress: bool) -> dict[str, Any]:
    shapes = ("namespaces", "pods", "pods", *(("networks",) if egress else ()))
    shape = draw(st.sampled_from(shapes))
    if shape == "namespaces":
        return {"namespaces": _ns_selector(draw, ctx)}
    if shape == "pods":
        return {"pods": {"namespaceSelector": _ns_selector(draw, ctx), "podSelector": draw(label_selectors())}}
    return {"networks": sorted({_cidr(draw, ctx) for _ in range(draw(st.integers(1, 2)))})}


def _v1alpha2_protocols(draw: st.DrawFn, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.integers(0, 3)) == 0:
            out.append({"destinationNamedPort": draw(st.sampled_from(ctx["names"]))})
            continue
        protocol = draw(st.sampled_from(("tcp", "tcp", "udp", "sctp")))
        number = draw(st.sampled_from(ctx["numbers"]))
        if draw(st.booleans()):
            port: dict[str, Any] = {"number": number}
        else:
            port = {"range": {"start": max(1, number - 1), "end": number + draw(st.integers(1, 3))}}
        out.append({protocol: {"destinationPort": port}})
    return out


def _v1alpha1_ports(draw: st.DrawFn, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(1, 2))):
        shape = draw(st.sampled_from(("number", "number", "named", "range")))
        protocol = draw(st.sampled_from(("TCP", "TCP", "UDP", "SCTP")))
        number = draw(st.sampled_from(ctx["numbers"]))
        if shape == "number":
            out.append({"portNumber": {"protocol": protocol, "port": number}})
        elif shape == "named":
            out.append({"namedPort": draw(st.sampled_from(ctx["names"]))})
        else:
            out.append({"portRange": {"protocol": protocol, "start": max(1, number - 1), "end": number + 2}})
    return out


def _subject(draw: st.DrawFn, ctx: dict[str, Any]) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"namespaces": _ns_selector(draw, ctx)}
    return {"pods": {"namespaceSelector": _ns_selector(draw, ctx), "podSelector": draw(label_selectors())}}


@st.composite
def admin_policies(draw: st.DrawFn, index: int, ctx: dict[str, Any]) -> dict[str, Any]:
    """A ClusterNetworkPolicy (v1alpha2), an AdminNetworkPolicy or the BaselineAdminNetworkPolicy (v1alpha1)."""
    kind = draw(st.sampled_from(("ClusterNetworkPolicy", "ClusterNetworkPolicy", "AdminNetworkPolicy", "BANP")))
    v2 = kind == "ClusterNetworkPolicy"
    tier = draw(st.sampled_from(("Admin", "Baseline"))) if v2 else ("Baseline" if kind == "BANP" else "Admin")
    actions = {
        (True, "Admin"): ("Accept", "Deny", "Pass"),
        (True, "Baseline"): ("Accept", "Deny", "Pass"),
        (False, "Admin"): ("Allow", "Deny", "Pass"),
        (False, "Baseline"): ("Allow", "Deny"),
    }[(v2, tier)]
    spec: dict[str, Any] = {"subject": _subject(draw, ctx)}
    if v2:
        spec["tier"] = tier
    if kind != "BANP":
        spec["priority"] = draw(st.sampled_from(PRIORITIES))
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        if not draw(st.integers(0, 3)):
            continue
        rules = []
        for r in range(draw(st.integers(1, 3))):
            rule: dict[str, Any] = {
                "name": f"r{r}",
                "action": draw(st.sampled_from(actions)),
                peers_key: [_admin_peer(draw, ctx, direction == "egress") for _ in range(draw(st.integers(1, 2)))],
            }
            if draw(st.booleans()):
                ports = _v1alpha2_protocols(draw, ctx) if v2 else _v1alpha1_ports(draw, ctx)
                if any("networks" in peer for peer in rule[peers_key]):  # the CRDs forbid named ports there
                    ports = [p for p in ports if "namedPort" not in p and "destinationNamedPort" not in p]
                if ports:
                    rule["protocols" if v2 else "ports"] = ports
            rules.append(rule)
        spec[direction] = rules
    api_version = CNP_V1ALPHA2 if v2 else ANP_V1ALPHA1
    real_kind = "BaselineAdminNetworkPolicy" if kind == "BANP" else kind
    name = "default" if kind == "BANP" else f"{'cnp' if v2 else 'anp'}{draw(st.sampled_from('xy'))}{index}"
    return {"apiVersion": api_version, "kind": real_kind, "metadata": {"name": name}, "spec": spec}


# ---- Cilium ---------------------------------------------------------------------------------------------


def _cilium_selector(draw: st.DrawFn, ctx: dict[str, Any], clusterwide: bool) -> dict[str, Any]:
    selector = draw(label_selectors(POD_LABEL_KEYS, tuple(v for v in POD_LABEL_VALUES if v)))
    if draw(st.integers(0, 3)) == 0 or (clusterwide and draw(st.booleans())):
        selector.setdefault("matchLabels", {})["k8s:io.kubernetes.pod.namespace"] = draw(
            st.sampled_from(ctx["namespaces"])
        )
    return selector


def _cilium_rule(draw: st.DrawFn, ctx: dict[str, Any], egress: bool, clusterwide: bool) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    shape = draw(st.sampled_from(("endpoints", "endpoints", "entities", "cidr", "cidrset", "l4-only", "empty")))
    prefix = "to" if egress else "from"
    if shape == "endpoints":
        rule[f"{prefix}Endpoints"] = [_cilium_selector(draw, ctx, clusterwide) for _ in range(draw(st.integers(1, 2)))]
    elif shape == "entities":
        rule[f"{prefix}Entities"] = draw(
            st.lists(st.sampled_from(("world", "cluster", "all")), min_size=1, max_size=2, unique=True)
        )
    elif shape == "cidr":
        rule[f"{prefix}CIDR"] = [_cidr(draw, ctx)]
    elif shape == "cidrset":
        cidr = ipaddress.ip_network(_cidr(draw, ctx))
        entry: dict[str, Any] = {"cidr": str(cidr)}
        if cidr.prefixlen < 32 and draw(st.booleans()):
            entry["except"] = [str(next(cidr.subnets(new_prefix=min(32, cidr.prefixlen + 2))))]
        rule[f"{prefix}CIDRSet"] = [entry]
    if shape == "l4-only" or (shape != "empty" and draw(st.booleans())):
        ports = []
        for _ in range(draw(st.integers(1, 2))):
            port: dict[str, Any] = {
                "port": str(draw(st.sampled_from(ctx["numbers"])))
                if draw(st.integers(0, 3))
                else draw(st.sampled_from(ctx["names"]))
            }
            protocol = draw(st.sampled_from((None, "TCP", "UDP", "ANY")))
            if protocol:
                port["protocol"] = protocol
            ports.append(port)
        rule["toPorts"] = [{"ports": ports}]
    return rule


@st.composite
def cilium_policies(draw: st.DrawFn, index: int, ctx: dict[str, Any]) -> dict[str, Any]:
    """A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy with allows, denies and the empty-rule cases."""
    clusterwide = draw(st.integers(0, 3)) == 0
    subject = {} if draw(st.booleans()) else _cilium_selector(draw, ctx, clusterwide)
    spec: dict[str, Any] = {"endpointSelector": subject}
    for section in ("ingress", "egress", "ingressDeny", "egressDeny"):
        kind = draw(st.sampled_from(("missing", "missing", "empty", "rules", "rules")))
        if kind == "empty":
            spec[section] = draw(st.sampled_from(([], [{}])))
        elif kind == "rules":
            egress = section.startswith("egress")
            spec[section] = [_cilium_rule(draw, ctx, egress, clusterwide) for _ in range(draw(st.integers(1, 2)))]
    if draw(st.integers(0, 4)) == 0:
        spec["enableDefaultDeny"] = {d: draw(st.booleans()) for d in ("ingress", "egress") if draw(st.booleans())}
    metadata: dict[str, Any] = {"name": f"cnp{index}"}
    if not clusterwide:
        metadata["namespace"] = draw(st.sampled_from(ctx["namespaces"]))
    kind = "CiliumClusterwideNetworkPolicy" if clusterwide else "CiliumNetworkPolicy"
    return {"apiVersion": "cilium.io/v2", "kind": kind, "metadata": metadata, "spec": spec}


@st.composite
def mixed_clusters(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A random cluster (``strategies.clusters``: pods, NetworkPolicies) plus 0-4 cluster-admin and 0-3 Cilium
    policies drawn around it."""
    from strategies import clusters

    objects, externals = draw(clusters())
    ctx = _context(objects, externals)
    if not ctx["namespaces"]:
        return objects, externals
    banp = False
    for i in range(draw(st.integers(0, 4))):
        policy = draw(admin_policies(i, ctx))
        if policy["kind"] == "BaselineAdminNetworkPolicy":
            if banp:
                continue
            banp = True
        objects.append(policy)
    for i in range(draw(st.integers(0, 3))):
        objects.append(draw(cilium_policies(i, ctx)))
    return objects, externals
