"""Hypothesis strategies: small random clusters (manifest dicts) and port queries for them.

Everything generated is VALID Kubernetes (the strict loader accepts it): label keys and values in
Kubernetes syntax (the empty value included), ``values`` only for In/NotIn, ``endPort`` only with a numeric
``port`` and never below it, ``except`` strictly inside ``cidr``, unique pod names, unique container port
names within a pod. The vocabularies are tiny on purpose so that selectors, IP blocks and named ports
collide often:

* pod IPs come from 10.0.0.0/28, so IP blocks overlap pods (which is where the profiles differ);
* the port name ``http`` means 80 on one pod and 8080 on another;
* label keys are often missing, so NotIn / DoesNotExist and "key absent" paths are exercised;
* a pod often has a twin (same namespace, labels and ports, another IP: a replica), and CIDRs often split
  twins (one inside, one outside), so an engine that merges endpoints without looking at their CIDR cells
  fails: before twins, dropping IP membership from the atom key passed all 300 examples;
* policies are drawn knowing the cluster: ipBlocks and their ``except`` ranges mostly around endpoint IPs,
  named ports mostly among the declared names, and port queries among the declared ports and the ports
  policies name (both ends and the middle of every ``endPort`` range). Without that bias most generated
  policies miss everything and a wrong engine still passes; with it, each of a dozen hand-made engine
  bugs (an ignored ``except``, ``endPort``, protocol or namespace, NotIn on a missing key, ...) made the
  300-example agreement test fail.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = ["POD_NET", "cluster_ports", "clusters", "label_selectors", "port_queries", "split_cidr", "twin_ips"]

NAMESPACES = ("a", "b", "c", "d")
POD_LABEL_KEYS = ("app", "tier")
POD_LABEL_VALUES = ("x", "y", "")
NS_LABEL_KEYS = ("team", "env")
NS_LABEL_VALUES = ("x", "y")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
PROTOCOLS = ("TCP", "UDP", "SCTP")
PORT_NAMES = ("http", "dns", "metrics")
# (number, protocol) a container may declare
CONTAINER_PORTS = (
    (80, "TCP"),
    (8080, "TCP"),
    (81, "TCP"),
    (53, "UDP"),
    (53, "TCP"),
    (80, "SCTP"),
    (80, "UDP"),
)
POLICY_PORT_NUMBERS = (80, 81, 8080, 53, 79, 82)
POD_NET = ipaddress.ip_network("10.0.0.0/28")
EXTERNAL_NET = ipaddress.ip_network("203.0.113.0/29")
CIDRS = (
    "10.0.0.0/28",
    "10.0.0.0/29",
    "10.0.0.8/29",
    "10.0.0.4/30",
    "10.0.0.0/31",
    "10.0.0.5/32",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "203.0.113.0/29",
    "203.0.113.4/30",
    "203.0.113.0/24",
    "::/0",
)
ABSENT_PORTS = (
    "TCP/9999",
    "UDP/9999",
    "SCTP/9999",
    "TCP/82",
)  # 82: undeclared, but inside some endPort ranges


def _labels(keys: tuple[str, ...], values: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    """A label set: each key present or missing, values from a tiny vocabulary."""
    return st.fixed_dictionaries({}, optional={k: st.sampled_from(values) for k in keys})


@st.composite
def _requirement(draw: st.DrawFn, keys: tuple[str, ...], values: tuple[str, ...]) -> dict[str, Any]:
    key = draw(st.sampled_from(keys))
    operator = draw(st.sampled_from(OPERATORS))
    expr: dict[str, Any] = {"key": key, "operator": operator}
    if operator in ("In", "NotIn"):
        expr["values"] = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))
    elif draw(st.booleans()):
        expr["values"] = []  # allowed: an empty list is the same as no values
    return expr


@st.composite
def label_selectors(
    draw: st.DrawFn, keys: tuple[str, ...] = POD_LABEL_KEYS, values: tuple[str, ...] = POD_LABEL_VALUES
) -> dict[str, Any]:
    """A ``metav1.LabelSelector``: matchLabels and/or matchExpressions (all four operators), or ``{}``."""
    selector: dict[str, Any] = {}
    match_labels = draw(st.one_of(st.none(), _labels(keys, values)))
    if match_labels is not None:
        selector["matchLabels"] = match_labels
    expressions = draw(st.one_of(st.none(), st.lists(_requirement(keys, values), max_size=2)))
    if expressions is not None:
        selector["matchExpressions"] = expressions
    return selector


def _namespace_selectors(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    keys = (*NS_LABEL_KEYS, "kubernetes.io/metadata.name")
    return label_selectors(keys, (*NS_LABEL_VALUES, *names[:2]))


@dataclass(frozen=True)
class _Context:
    """What the pods and externals of the cluster being drawn hold, so that policies hit them often."""

    names: tuple[str, ...]  # namespaces
    ips: tuple[str, ...]  # pod and external IPs
    port_numbers: tuple[int, ...]  # declared container port numbers
    port_names: tuple[str, ...]  # declared container port names
    twins: tuple[tuple[str, str], ...] = ()  # IPs of endpoints that only their IP tells apart (see twin_ips)


def twin_ips(objects: list[dict[str, Any]], externals: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of IPs of endpoints that nothing but their IP tells apart: pods with the same namespace, labels and
    containers, and external endpoints (which have neither)."""
    groups: dict[str, list[str]] = {}
    for o in objects:
        if o["kind"] == "Pod" and "status" in o:
            meta = o["metadata"]
            key = repr((meta["namespace"], sorted(meta.get("labels", {}).items()), o["spec"]))
            groups.setdefault(key, []).append(o["status"]["podIP"])
    groups["external"] = list(externals.values())
    return [(a, b) for ips in groups.values() for i, a in enumerate(ips) for b in ips[i + 1 :]]


@st.composite
def split_cidr(draw: st.DrawFn, pair: tuple[str, str]) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR that holds the first IP of ``pair`` and not the second (a longer prefix than the two share)."""
    a, b = (ipaddress.ip_address(ip) for ip in pair)
    if a.version != b.version:
        return ipaddress.ip_network(f"{a}/{a.max_prefixlen}")
    shared = a.max_prefixlen - (int(a) ^ int(b)).bit_length()
    prefix = draw(st.integers(shared + 1, a.max_prefixlen))
    return ipaddress.ip_network(f"{a}/{prefix}", strict=False)


@st.composite
def _subnet_around(draw: st.DrawFn, ip: str, min_prefix: int) -> ipaddress.IPv4Network:
    """A subnet of prefix ``min_prefix``..32 that contains ``ip``."""
    prefix = draw(st.integers(min_prefix, 32))
    return ipaddress.ip_network(f"{ip}/{prefix}", strict=False)


@st.composite
def _ip_block(draw: st.DrawFn, ctx: _Context) -> dict[str, Any]:
    """An ipBlock, usually around an endpoint's IP, with 0-3 ``except`` ranges strictly inside the CIDR."""
    if ctx.twins and draw(st.booleans()):
        cidr = draw(split_cidr(draw(st.sampled_from(ctx.twins))))
    elif ctx.ips and draw(st.integers(0, 2)):
        cidr = draw(_subnet_around(draw(st.sampled_from(ctx.ips)), 26))
    else:
        cidr = ipaddress.ip_network(draw(st.sampled_from(CIDRS)))
    block: dict[str, Any] = {"cidr": str(cidr)}
    if cidr.prefixlen == cidr.max_prefixlen:
        return block
    inside = [ip for ip in ctx.ips if ipaddress.ip_address(ip) in cidr]
    excepts = []
    for _ in range(draw(st.sampled_from((0, 1, 2, 2, 3)))):
        if cidr.version == 6:
            sub = ipaddress.ip_network(draw(st.sampled_from(["::ffff:0:0/96", "2001:db8::/32"])))
        elif inside and draw(st.integers(0, 3)):
            sub = draw(_subnet_around(draw(st.sampled_from(inside)), max(cidr.prefixlen + 1, 26)))
        else:
            prefix = draw(st.integers(cidr.prefixlen + 1, min(32, cidr.prefixlen + 4)))
            index = draw(st.integers(0, 2 ** (prefix - cidr.prefixlen) - 1))
            sub = ipaddress.ip_network((int(cidr.network_address) + index * 2 ** (32 - prefix), prefix))
        excepts.append(str(sub))
    if excepts:
        block["except"] = excepts
    return block


@st.composite
def _peer(draw: st.DrawFn, ctx: _Context) -> dict[str, Any]:
    shape = draw(st.sampled_from(("pods", "pods", "namespaces", "both", "both", "ipBlock", "ipBlock", "all-ns")))
    if shape == "pods":
        return {"podSelector": draw(label_selectors())}
    if shape == "namespaces":
        return {"namespaceSelector": draw(_namespace_selectors(list(ctx.names)))}
    if shape == "all-ns":
        return {"namespaceSelector": {}}
    if shape == "both":
        return {
            "namespaceSelector": draw(_namespace_selectors(list(ctx.names))),
            "podSelector": draw(label_selectors()),
        }
    return {"ipBlock": draw(_ip_block(ctx))}


@st.composite
def _policy_port(draw: st.DrawFn, ctx: _Context) -> dict[str, Any]:
    """A ``ports`` entry: protocol defaulted or given; a number, a (declared) name, a range, or no port."""
    entry: dict[str, Any] = {}
    protocol = draw(st.sampled_from((None, None, *PROTOCOLS)))
    if protocol is not None:
        entry["protocol"] = protocol
    numbers = ctx.port_numbers or POLICY_PORT_NUMBERS
    shape = draw(st.sampled_from(("number", "number", "name", "name", "range", "range", "none")))
    if shape == "number":
        entry["port"] = draw(st.sampled_from(numbers) | st.sampled_from(POLICY_PORT_NUMBERS))
    elif shape == "name":
        entry["port"] = draw(st.sampled_from(ctx.port_names or PORT_NAMES) | st.sampled_from(PORT_NAMES))
    elif shape == "range":
        start = draw(st.sampled_from(numbers) | st.sampled_from(POLICY_PORT_NUMBERS))
        start = max(1, start - draw(st.integers(0, 2)))
        entry["port"] = start
        entry["endPort"] = start + draw(st.integers(0, 3))
    return entry


def _optional_list(
    draw: st.DrawFn, items: st.SearchStrategy[Any], max_size: int, weights: tuple[int, int, int]
) -> list[Any] | None:
    """``None`` (field missing), ``[]``, or 1..max_size items; ``weights`` for (missing, empty, items)."""
    kind = draw(st.sampled_from(("missing",) * weights[0] + ("empty",) * weights[1] + ("items",) * weights[2]))
    if kind == "missing":
        return None
    if kind == "empty":
        return []
    return draw(st.lists(items, min_size=1, max_size=max_size))


@st.composite
def _rule(draw: st.DrawFn, peers_key: str, ctx: _Context) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    peers = _optional_list(draw, _peer(ctx), 3, (2, 1, 7))
    if peers is not None:
        rule[peers_key] = peers
    ports = _optional_list(draw, _policy_port(ctx), 2, (3, 1, 6))
    if ports is not None:
        rule["ports"] = ports
    return rule


@st.composite
def _rules(draw: st.DrawFn, peers_key: str, ctx: _Context) -> list[dict[str, Any]] | None:
    """A rules list: missing, ``[]``, ``[{}]`` (allow all) or 1-3 random rules."""
    kind = draw(st.sampled_from(("missing", "empty", "allow-all", "rules", "rules", "rules", "rules")))
    if kind == "missing":
        return None
    if kind == "empty":
        return []
    if kind == "allow-all":
        return [{}]
    return draw(st.lists(_rule(peers_key, ctx), min_size=1, max_size=3))


@st.composite
def _policy(draw: st.DrawFn, index: int, ctx: _Context) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": draw(st.just({}) | label_selectors())}  # {} selects all: often
    types = draw(st.sampled_from((None, [], ["Ingress"], ["Egress"], ["Ingress", "Egress"], ["Egress", "Ingress"])))
    if types is not None:
        spec["policyTypes"] = types
    for key, peers_key in (("ingress", "from"), ("egress", "to")):
        rules = draw(_rules(peers_key, ctx))
        if rules is not None:
            spec[key] = rules
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"np{index}", "namespace": draw(st.sampled_from(ctx.names))},
        "spec": spec,
    }


@st.composite
def _container_ports(draw: st.DrawFn) -> list[dict[str, Any]]:
    """0-3 distinct container ports; some named, names unique within the pod (they clash across pods)."""
    chosen = draw(st.lists(st.sampled_from(CONTAINER_PORTS), max_size=3, unique=True))
    names = draw(st.permutations(PORT_NAMES))
    ports = []
    for i, (number, protocol) in enumerate(chosen):
        entry: dict[str, Any] = {"containerPort": number}
        if protocol != "TCP" or draw(st.booleans()):
            entry["protocol"] = protocol
        if draw(st.booleans()):
            entry["name"] = names[i]
        ports.append(entry)
    return ports


@st.composite
def clusters(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """``(objects, externals)`` for ``Cluster.from_objects``.

    2-4 namespaces, 2-8 pods, often 1-2 twins of them (a replica: another name and IP, nothing else), 0-2
    externals, 0-5 policies. A namespace is sometimes left without a Namespace object (it then exists with only
    its ``kubernetes.io/metadata.name`` label); a pod sometimes has no IP yet (the loader then gives it a
    synthetic one).
    """
    names = list(NAMESPACES[: draw(st.integers(2, 4))])
    objects: list[dict[str, Any]] = []
    for name in names:
        if draw(st.integers(0, 5)) == 0:
            continue  # implicit namespace
        labels = draw(_labels(NS_LABEL_KEYS, NS_LABEL_VALUES))
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
    n_pods = draw(st.integers(2, 8))
    n_twins = draw(st.sampled_from((0, 1, 1, 2)))
    pod_hosts = draw(
        st.lists(
            st.integers(0, POD_NET.num_addresses - 1),
            min_size=n_pods + n_twins,
            max_size=n_pods + n_twins,
            unique=True,
        )
    )
    pod_hosts, twin_hosts = pod_hosts[:n_pods], pod_hosts[n_pods:]
    for i, host in enumerate(pod_hosts):
        pod: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"p{i}",
                "namespace": draw(st.sampled_from(names)),
                "labels": draw(_labels(POD_LABEL_KEYS, POD_LABEL_VALUES)),
            },
            "spec": {"containers": [{"name": "c", "ports": draw(_container_ports())}]},
        }
        if draw(st.integers(0, 7)) != 0:
            pod["status"] = {"podIP": str(POD_NET[host])}
        objects.append(pod)
    for i, host in enumerate(twin_hosts):
        original = draw(st.sampled_from([o for o in objects if o["kind"] == "Pod"]))
        twin = {**original, "metadata": {**original["metadata"], "name": f"twin{i}"}}
        twin["status"] = {"podIP": str(POD_NET[host])}
        objects.append(twin)
    pod_hosts = pod_hosts + twin_hosts
    free = [str(ip) for k, ip in enumerate(POD_NET) if k not in pod_hosts] + [str(ip) for ip in EXTERNAL_NET]
    external_ips = draw(st.lists(st.sampled_from(free), max_size=2, unique=True))
    externals = {f"ext{i}": ip for i, ip in enumerate(external_ips)}
    pods = [o for o in objects if o["kind"] == "Pod"]
    declared = [p for o in pods for p in o["spec"]["containers"][0]["ports"]]
    ctx = _Context(
        names=tuple(names),
        ips=tuple(o["status"]["podIP"] for o in pods if "status" in o) + tuple(external_ips),
        port_numbers=tuple(sorted({p["containerPort"] for p in declared})),
        port_names=tuple(sorted({p["name"] for p in declared if "name" in p})),
        twins=tuple(twin_ips(objects, externals)),
    )
    for i in range(draw(st.sampled_from((0, 1, 2, 3, 4, 5, 2, 3, 4, 5)))):  # 0-5, rarely none
        objects.append(draw(_policy(i, ctx)))
    return objects, externals


def cluster_ports(objects: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """``(declared, named by policies)``: ``PROTOCOL/number`` strings that pods declare as container ports, and
    that policies name by number (a range: both ends and its middle), each sorted."""
    declared, named = set(), set()
    for obj in objects:
        if obj["kind"] == "Pod":
            for container in obj["spec"]["containers"]:
                for p in container.get("ports", ()):
                    declared.add(f"{p.get('protocol', 'TCP')}/{p['containerPort']}")
        elif obj["kind"] == "NetworkPolicy":
            for key in ("ingress", "egress"):
                for rule in obj["spec"].get(key) or ():
                    for p in rule.get("ports") or ():
                        if isinstance(p.get("port"), int):
                            end = p.get("endPort", p["port"])
                            for number in (p["port"], (p["port"] + end) // 2, end):
                                named.add(f"{p.get('protocol', 'TCP')}/{number}")
    return sorted(declared), sorted(named)


@st.composite
def port_queries(draw: st.DrawFn, objects: list[dict[str, Any]] | None = None) -> list[str]:
    """1-3 ports that occur in ``objects`` (declared by a pod or named by a policy) plus one that does not."""
    declared, named = cluster_ports(objects or [])
    sources = [st.sampled_from(ports) for ports in (declared, named) if ports]
    occurring = st.one_of(sources) if sources else st.sampled_from([f"{p}/{n}" for n, p in CONTAINER_PORTS])
    chosen = draw(st.lists(occurring, min_size=1, max_size=3, unique=True))
    absent = [p for p in ABSENT_PORTS if p not in declared and p not in named]
    return [*chosen, draw(st.sampled_from(absent))]
