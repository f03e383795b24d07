"""Analyst tables: who can reach a target, what a target can reach, what is not isolated, what never matches.

Every table is a pandas DataFrame computed from class counts and policy columns, never from the endpoint x
endpoint matrix: a 10,000-pod cluster costs what its classes and policies cost. The examples run on
:func:`~netpolkit.analysis.demo_cluster`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from netpolkit.analysis._common import (
    Groups,
    PortLike,
    Target,
    as_reachability,
    entry_label,
    group_codes,
    pick,
    port_queries,
    shown,
)
from netpolkit.analysis._plan import Planned, planned
from netpolkit.analysis._rules import declares, entry_path, local_column, peer_column, peer_field, rule_ports
from netpolkit.cluster import Cluster
from netpolkit.engine.dialects.admin import AdminNetworkPolicyDialect, ClusterNetworkPolicyDialect
from netpolkit.engine.dialects.calico import Calico
from netpolkit.engine.dialects.cilium import Cilium
from netpolkit.engine.dialects.kubernetes import Kubernetes
from netpolkit.engine.plan import DIRECTIONS, Entry, Stage
from netpolkit.engine.profiles import Profile
from netpolkit.engine.vectorized import unique_columns
from netpolkit.matrix import Reachability
from netpolkit.model.labels import LabelSelector
from netpolkit.model.ports import PortQuery

__all__ = [
    "DEAD_RULE_COLUMNS",
    "EMPTY_COLUMNS",
    "FLOW_COLUMNS",
    "blast_radius",
    "dead_rules",
    "empty_policies",
    "exposure",
    "external_reach",
    "isolation",
    "unisolated",
]

FLOW_COLUMNS = ["src", "dst", "protocol", "port", "sources", "destinations", "allowed", "pairs"]
DEAD_RULE_COLUMNS = [
    "policy",
    "dialect",
    "direction",
    "stage",
    "rule",
    "name",
    "path",
    "action",
    "reason",
    "shadowed_by",
    "message",
]
TARGET = "target"  # the grouping that keeps a whole target in one row
_CELLS = 4_000_000  # group pairs per chunk of the dense count products


# ---- flows: exposure, blast radius, the internet -------------------------------------------------------------------


def exposure(
    reach: Reachability,
    target: Target = None,
    *,
    namespace: str | None = None,
    labels: str | Mapping[str, str] | None = None,
    by: str = "namespace",
    dst_by: str = "endpoint",
    ports: Iterable[PortLike] | PortLike | None = None,
) -> pd.DataFrame:
    """Inbound exposure: who can open a connection to a target, on which port.

    ``target``: an endpoint id (``"shop/web"``), a list of ids, a namespace, or a label selector (a dict or
    ``"app=web"``); ``namespace=`` and ``labels=`` narrow it (ANDed). One row per (source group, destination,
    port) where something is allowed: sources grouped ``by`` (``"namespace"``, ``"workload"``, ``"endpoint"``,
    ``"kind"``), destinations by ``dst_by`` (``"endpoint"``, or ``"target"`` for the target as one row, or a
    grouping as for ``by``). Columns (see :data:`FLOW_COLUMNS`): ``sources`` (endpoints of the source group that
    reach the destination group), ``destinations`` (endpoints of the destination group they reach), ``allowed``
    (allowed pairs), ``pairs`` (all pairs). Pairs of an endpoint with itself are left out. ``ports``: the ports to
    read (evaluated now if the result lacks them), default every port the result holds.

    >>> import netpolkit as npk
    >>> from netpolkit.analysis import demo_cluster
    >>> reach = npk.reachability(demo_cluster(), ports=["TCP/8080", "TCP/5432"])
    >>> exposure(reach, "shop/web")[["src", "dst", "port", "sources"]]
               src       dst  port  sources
    0     external  shop/web  8080        1
    1  kube-system  shop/web  8080        1
    2          ops  shop/web  8080        1
    """
    dst_mask, name = pick(reach, target, namespace=namespace, labels=labels)
    everyone = np.ones(len(dst_mask), dtype=bool)
    return _flows(reach, everyone, by, dst_mask, dst_by, name, port_queries(reach, ports))


def blast_radius(
    reach: Reachability,
    target: Target = None,
    *,
    namespace: str | None = None,
    labels: str | Mapping[str, str] | None = None,
    by: str = "namespace",
    src_by: str = "endpoint",
    ports: Iterable[PortLike] | PortLike | None = None,
) -> pd.DataFrame:
    """Blast radius: what a target (a pod, a namespace, a label set) can open connections to, on which port.

    The mirror of :func:`exposure`: sources are the target's endpoints grouped by ``src_by`` (``"endpoint"``, or
    ``"target"`` for one row per destination group), destinations every endpoint grouped ``by``. Same columns.

    >>> import netpolkit as npk
    >>> from netpolkit.analysis import demo_cluster
    >>> reach = npk.reachability(demo_cluster(), ports=["TCP/5432"])
    >>> blast_radius(reach, labels="app=api", by="endpoint")[["src", "dst", "port"]]
            src      dst  port
    0  shop/api  shop/db  5432
    """
    src_mask, name = pick(reach, target, namespace=namespace, labels=labels)
    everyone = np.ones(len(src_mask), dtype=bool)
    return _flows(reach, src_mask, src_by, everyone, by, name, port_queries(reach, ports))


def external_reach(
    reach: Reachability,
    externals: str | Iterable[str] | None = None,
    *,
    by: str = "endpoint",
    ports: Iterable[PortLike] | PortLike | None = None,
) -> pd.DataFrame:
    """What external endpoints (``external/<name>``, e.g. the internet) can open connections to in the cluster.

    ``externals``: names or ids (``"internet"``, ``"external/internet"``), default every external endpoint. One
    row per (external endpoint, pod group ``by``, port) that something allows; the columns of :func:`exposure`.

    >>> import netpolkit as npk
    >>> from netpolkit.analysis import demo_cluster
    >>> reach = npk.reachability(demo_cluster(), ports=["TCP/8080"])
    >>> external_reach(reach, by="namespace")[["src", "dst", "port", "destinations"]]
                     src          dst  port  destinations
    0  external/internet  kube-system  8080             1
    1  external/internet          ops  8080             1
    2  external/internet         shop  8080             1
    """
    table = reach.cluster.table
    is_pod = np.asarray(table.is_pod, dtype=bool)
    if externals is None:
        src_mask, name = ~is_pod, "every external endpoint"
    else:
        src_mask, name = pick(reach, [externals] if isinstance(externals, str) else list(externals))
        if (src_mask & is_pod).any():
            raise ValueError(f"not an external endpoint: {shown(list(np.array(table.ids)[src_mask & is_pod]))}")
    return _flows(reach, src_mask, "endpoint", is_pod, by, name, port_queries(reach, ports))


def _groups(reach: Reachability, mask: np.ndarray, by: str, name: str) -> Groups:
    if by == TARGET:
        return Groups.of(mask, np.full(len(mask), name or TARGET, dtype=object))
    return Groups.of(mask, group_codes(reach, by))


class _Side:
    """One side of a flow table on one port: its groups over the classes present there.

    ``counts`` (groups x classes) is the number of the group's endpoints in each class; when every group is one
    endpoint it stays implicit (``single``: the class of each group) and products become indexing.
    """

    def __init__(self, groups: Groups, classes: np.ndarray) -> None:
        used, local = np.unique(classes[groups.rows], return_inverse=True)
        self.used = used  # the classes present on this side, as the verdict indexes them
        self.local = local.ravel().astype(np.intp)  # local class of each of ``groups.rows``
        self.size = len(groups)
        self.single: np.ndarray | None = None
        self.counts: np.ndarray | None = None
        if len(groups.rows) == len(groups):  # every group is one endpoint
            self.single = np.empty(len(groups), dtype=np.intp)
            self.single[groups.code] = self.local
        else:
            self.counts = np.zeros((len(groups), len(used)))
            np.add.at(self.counts, (groups.code, self.local), 1.0)

    def left(self, matrix: np.ndarray, start: int, stop: int) -> np.ndarray:
        """``counts[start:stop] @ matrix`` (groups x columns of ``matrix``, whose rows are this side's classes)."""
        if self.single is not None:
            return matrix[self.single[start:stop]].astype(float)
        assert self.counts is not None
        return self.counts[start:stop] @ matrix

    def right(self, matrix: np.ndarray) -> np.ndarray:
        """``matrix @ counts.T`` (rows of ``matrix`` x this side's groups; its columns are this side's classes)."""
        if self.single is not None:
            return matrix[:, self.single].astype(float)
        assert self.counts is not None
        return matrix @ self.counts.T


def _flows(
    reach: Reachability,
    src_mask: np.ndarray,
    src_by: str,
    dst_mask: np.ndarray,
    dst_by: str,
    name: str,
    queries: list[PortQuery],
) -> pd.DataFrame:
    """Allowed (source group, destination group, port) cells, from class counts (no endpoint x endpoint matrix)."""
    src, dst = _groups(reach, src_mask, src_by, name), _groups(reach, dst_mask, dst_by, name)
    n = len(src_mask)
    src_group, dst_group = np.full(n, -1, dtype=np.intp), np.full(n, -1, dtype=np.intp)
    src_group[src.rows], dst_group[dst.rows] = src.code, dst.code
    both = np.flatnonzero((src_group >= 0) & (dst_group >= 0))  # endpoints on both sides: their self pairs go
    src_sizes = np.bincount(src.code, minlength=len(src)).astype(float)
    dst_sizes = np.bincount(dst.code, minlength=len(dst)).astype(float)
    parts = []
    for query in queries:
        result = reach._results[query]
        s_side, d_side = _Side(src, result.src_class), _Side(dst, result.dst_class)
        verdict = result.verdict[np.ix_(s_side.used, d_side.used)]  # the classes present on each side
        local_s = np.full(n, -1, dtype=np.intp)
        local_s[src.rows] = s_side.local
        local_d = np.full(n, -1, dtype=np.intp)
        local_d[dst.rows] = d_side.local
        reached = d_side.right(verdict.astype(float))  # (source classes, destination groups)
        self_cs, self_cd = local_s[both], local_d[both]
        self_allowed = verdict[self_cs, self_cd]
        step = max(1, _CELLS // max(len(dst), len(d_side.used), 1))
        for start in range(0, len(src), step):
            stop = min(start + step, len(src))
            allowed = s_side.left(reached, start, stop)
            sources = s_side.left(reached > 0, start, stop)
            per_class = s_side.left(verdict, start, stop)  # (groups, destination classes): sources reaching each
            destinations = d_side.right(per_class > 0)
            pairs = np.outer(src_sizes[start:stop], dst_sizes)
            mine = (src_group[both] >= start) & (src_group[both] < stop)
            rows, cols = src_group[both][mine] - start, dst_group[both][mine]
            own = self_allowed[mine].astype(float)
            np.subtract.at(pairs, (rows, cols), 1.0)
            np.subtract.at(allowed, (rows, cols), own)
            # an endpoint that reaches (or is reached by) nobody but itself in the other group does not count
            np.subtract.at(sources, (rows, cols), own * (reached[self_cs[mine], cols] == 1))
            np.subtract.at(destinations, (rows, cols), own * (per_class[rows, self_cd[mine]] == 1))
            i, j = np.nonzero(np.rint(allowed) > 0)
            parts.append(
                pd.DataFrame(
                    {
                        "src": src.names[i + start],
                        "dst": dst.names[j],
                        "protocol": query.protocol,
                        "port": query.port,
                        "sources": np.rint(sources[i, j]).astype(int),
                        "destinations": np.rint(destinations[i, j]).astype(int),
                        "allowed": np.rint(allowed[i, j]).astype(int),
                        "pairs": np.rint(pairs[i, j]).astype(int),
                    }
                )
            )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FLOW_COLUMNS)
    return frame.astype({"src": object, "dst": object}) if len(frame) else frame


# ---- isolation -----------------------------------------------------------------------------------------------------


def isolation(reach: Reachability | Cluster, profile: str | Profile = "upstream") -> pd.DataFrame:
    """Per pod: whether some policy isolates it for ingress and for egress, which ones, and every policy that
    applies to it (``selected_by``, in evaluation order: cluster-admin tiers too, which select without isolating).

    Isolated = traffic that no rule allows is blocked: a NetworkPolicy (or a Cilium rule) that puts it in
    default deny for that direction, a Calico policy of a tier whose defaultAction is Deny. Computed from the
    plan's stage members as columns. ``reach`` may be a Cluster (then ``profile`` names the plugin).

    >>> from netpolkit.analysis import demo_cluster
    >>> isolation(demo_cluster()).loc["shop/web", ["ingress_isolated", "egress_isolated"]].tolist()
    [True, True]
    """
    reach = as_reachability(reach, profile)
    view = planned(reach)
    ids = reach.cluster.table.ids
    pods = np.flatnonzero(np.asarray(reach.cluster.table.is_pod, dtype=bool))
    data: dict[str, Any] = {"namespace": reach.endpoints["namespace"].to_numpy()[pods]}
    for direction in DIRECTIONS:
        column, by_policy = view.isolated(direction)
        key = direction.lower()
        data[f"{key}_isolated"] = view.expand(column)[pods]
        data[f"{key}_isolated_by"] = _refs_per_endpoint(view, [(p, c) for p, c in by_policy], pods)
    policies = view.policies_in_order()
    data["selected_by"] = _refs_per_endpoint(view, [(p, view.subject(p)) for p in policies], pods)
    return pd.DataFrame(data, index=pd.Index([ids[p] for p in pods], name="pod"))


def unisolated(reach: Reachability | Cluster, profile: str | Profile = "upstream") -> pd.DataFrame:
    """Pods isolated in neither direction: no policy of any dialect isolates them for ingress nor for egress, so
    only cluster-admin rules (if any, see ``selected_by``) stand between them and every connection.

    >>> from netpolkit.analysis import demo_cluster
    >>> unisolated(demo_cluster()).index.tolist()
    ['kube-system/coredns', 'ops/monitor']
    """
    table = isolation(reach, profile)
    keep = ~table["ingress_isolated"] & ~table["egress_isolated"]
    return table.loc[keep, ["namespace", "selected_by"]]


def _refs_per_endpoint(view: Planned, columns: list[tuple[Any, np.ndarray]], pods: np.ndarray) -> list[tuple]:
    """For each pod, the refs of the policies whose column holds it (one de-duplicated tuple per pod)."""
    if not columns:
        return [() for _ in pods]
    matrix = np.stack([np.asarray(c, dtype=bool) for _, c in columns])[:, view.row_of[pods]]  # (policies, pods)
    refs = [p.ref for p, _ in columns]
    pod_idx, policy_idx = np.nonzero(matrix.T)
    bounds = np.searchsorted(pod_idx, np.arange(len(pods) + 1))
    return [tuple(dict.fromkeys(refs[k] for k in policy_idx[bounds[i] : bounds[i + 1]])) for i in range(len(pods))]


# ---- policies that select nothing ------------------------------------------------------------------------------------


EMPTY_COLUMNS = ["policy", "kind", "dialect", "namespace", "selector", "path", "detail"]


def empty_policies(reach: Reachability | Cluster, profile: str | Profile = "upstream") -> pd.DataFrame:
    """Policies that select no pod (a typo in a selector, a namespace without pods, a workload not deployed yet).

    Columns: policy, kind, dialect, namespace, selector (as the policies table shows it), path (the field that
    selects), detail (why: the namespace has no pods, no pod there carries the label, ...).

    >>> from netpolkit.analysis import demo_cluster
    >>> empty = empty_policies(demo_cluster())
    >>> print(empty.at[0, "policy"], "|", empty.at[0, "detail"])
    NetworkPolicy shop/cart | no pod of namespace shop has the label app=cart (app there: api, db, web)
    """
    reach = as_reachability(reach, profile)
    view = planned(reach)
    selectors = reach.cluster.policies["selector"]
    rows = []
    for policy in reach._policies:
        if (view.subject(policy) & view.is_pod).any():
            continue
        dialect = view.dialect(policy)
        rows.append(
            {
                "policy": policy.ref,
                "kind": policy.kind,
                "dialect": dialect.name,
                "namespace": getattr(policy, "namespace", "") or None,
                "selector": selectors.get(policy.ref, ""),
                "path": _subject_path(dialect),
                "detail": _why_empty(reach, policy, dialect),
            }
        )
    return pd.DataFrame(rows, columns=EMPTY_COLUMNS)


def _subject_path(dialect: Any) -> str:
    if isinstance(dialect, Kubernetes):
        return "spec.podSelector"
    if isinstance(dialect, Calico):
        return "spec.selector"
    if isinstance(dialect, Cilium):
        return "spec.endpointSelector"
    return "spec.subject"


def _why_empty(reach: Reachability, policy: Any, dialect: Any) -> str:
    """A readable reason a policy selects nothing, with the label values that do exist where it looks."""
    table = reach.cluster.table
    is_pod = np.asarray(table.is_pod, dtype=bool)
    namespace = getattr(policy, "namespace", "") or ""
    if namespace:
        scope = is_pod & (table.namespace_index == table.namespaces.index(namespace))
        if not scope.any():
            return f"namespace {namespace} has no pods"
        where = f"of namespace {namespace}"
    else:
        scope, where = is_pod, "of the cluster"
    if isinstance(dialect, Kubernetes):
        return _selector_hint(policy.pod_selector, table, scope, where)
    if isinstance(dialect, ClusterNetworkPolicyDialect | AdminNetworkPolicyDialect):
        subject = policy.subject
        namespace_hits = np.array([subject.namespaces.matches(labels) for labels in table.namespace_labels], bool)
        scope = is_pod & np.append(namespace_hits, False)[table.namespace_index]
        if not namespace_hits.any():
            return f"no namespace matches namespaces [{subject.namespaces}]"
        if not scope.any():
            return f"the namespaces [{subject.namespaces}] match have no pods"
        if subject.pods is not None:
            return _selector_hint(subject.pods, table, scope, "of those namespaces")
        return "it picks only host-network pods, which these policies never select"
    if isinstance(dialect, Cilium) and not (scope & ~np.asarray(table.host_network, dtype=bool)).any():
        return f"the pods {where} are host-network pods, which Cilium policies never select"
    return f"no pod {where} matches {reach.cluster.policies['selector'].get(policy.ref, 'its selector')}"


def _selector_hint(selector: LabelSelector, table: Any, scope: np.ndarray, where: str) -> str:
    """Which requirement of a Kubernetes selector no pod in ``scope`` meets, and the values that exist instead."""
    rows = np.flatnonzero(scope)
    for req in selector.requirements:
        present = [table.labels[r].get(req.key) for r in rows]
        if not any(req.matches({} if v is None else {req.key: v}) for v in present):
            values = sorted({v for v in present if v is not None})
            if req.operator in ("In", "Exists") and not values:
                return f"no pod {where} has the label {req.key}"
            there = f" ({req.key} there: {shown(values)})" if values else ""
            if req.operator == "In":
                return f"no pod {where} has the label {req}{there}"
            return f"no pod {where} meets {req}{there}"
    return f"no pod {where} matches {selector} (each term matches some pod, never all at once)"


# ---- rules that can never match ------------------------------------------------------------------------------------


def dead_rules(
    reach: Reachability | Cluster,
    ports: Iterable[PortLike] | PortLike | None = None,
    profile: str | Profile = "upstream",
) -> pd.DataFrame:
    """Rules that can never match, and rules that never decide, with the reason (``reason``):

    - ``"peer"``: no endpoint of the cluster matches the rule's peer side (its ``from``/``to``, Calico's
      ``source``/``destination``), whatever the port;
    - ``"local"``: its policy selects pods, but none of them meets the criteria the rule puts on its own side
      (Calico's ``destination`` of an ingress rule or ``source`` of an egress one; a Cilium spec that picks none);
    - ``"port"``: every port it admits is a named port that none of the pods it would reach declares;
    - ``"shadowed"``: in an ordered stage (a Calico tier, the Admin or Baseline tier), on every port of ``ports``
      where it matches something, every connection it matches, for every endpoint its policy selects, is matched
      first by earlier rules of the same stage, which ``shadowed_by`` names (a Deny or Pass over an Allow:
      overridden; the same action: redundant).

    Exact: computed with the plan's columns over every endpoint (endpoints compressed into classes, never
    sampled). ``ports`` (only for shadowing): default the ports ``reach`` holds, or for a Cluster every declared
    container port. Policies that select nothing are :func:`empty_policies`; of their rules only empty peers are
    reported here. Rows come in evaluation order (ingress first, stage by stage, rule by rule).

    >>> from netpolkit.analysis import demo_cluster
    >>> dead = dead_rules(demo_cluster(calico=True), profile="calico")
    >>> dead[["policy", "rule", "reason"]]
                                  policy  rule    reason
    0          GlobalNetworkPolicy guard     2  shadowed
    1  NetworkPolicy shop/db-from-backup     1      peer
    >>> dead.at[0, "shadowed_by"]
    ('GlobalNetworkPolicy guard rule 1 (Deny)',)
    """
    reach = as_reachability(reach, profile)
    queries = _dead_rule_ports(reach, ports)
    view = planned(reach)
    rows = []
    for direction in DIRECTIONS:
        for stage in view.stages(direction):
            rows.extend(_stage_dead_rules(view, stage, direction, queries))
    return pd.DataFrame(rows, columns=DEAD_RULE_COLUMNS)


def _dead_rule_ports(reach: Reachability, ports: Iterable[PortLike] | PortLike | None) -> list[PortQuery]:
    if ports is not None:
        if isinstance(ports, str | int | PortQuery):
            ports = [ports]
        return list(dict.fromkeys(PortQuery.parse(p) for p in ports))
    queries = list(reach._results) or reach.cluster.declared_ports()
    if not queries:
        raise ValueError("no port to check: pass ports=, e.g. ports=['TCP/80']")
    return queries


def _stage_dead_rules(view: Planned, stage: Stage, direction: str, queries: list[PortQuery]) -> list[dict]:
    entries = stage.entries
    table = view.table
    rows: list[tuple[int, dict]] = []  # (entry index, row): the stage's rows in rule order
    candidates = []  # entries that can match: the ordered stages check them for shadowing
    for k, entry in enumerate(entries):
        dialect, policy, rule = entry.dialect, entry.policy, entry.rule.rule
        path = entry_path(entry, direction)
        side = peer_field(dialect, direction)
        peers = peer_column(dialect, policy, rule, direction)
        subject = np.asarray(view.subject(policy), dtype=bool) & view.is_pod
        local = np.asarray(local_column(dialect, policy, rule, direction), dtype=bool) & view.is_pod
        if peers is not None and not np.asarray(peers).any():
            where = path if isinstance(dialect, Cilium) else f"{path}.{side}"
            rows.append(
                (k, _dead_row(entry, stage, direction, where, "peer", (), f"its {side} side matches no endpoint"))
            )
            continue
        if not subject.any():
            continue  # the policy selects nothing: empty_policies says so
        if not local.any():
            own = "endpointSelector of its spec" if isinstance(dialect, Cilium) else f"{_own_field(direction)}"
            message = f"none of the pods its policy selects meets its own side ({own})"
            rows.append((k, _dead_row(entry, stage, direction, path, "local", (), message)))
            continue
        ports = rule_ports(policy, direction, entry.number - 1, rule)
        if ports.only_named and peers is not None:
            targets = np.flatnonzero(local if direction == "Ingress" else np.asarray(peers, dtype=bool) & view.is_pod)
            if not any(declares(table.named_ports, targets, name, protocols) for _, name, protocols in ports.named):
                names = ", ".join(sorted({name for _, name, _ in ports.named}))
                message = f"none of the pods it would reach declares its named port{'s' * (',' in names)} {names}"
                rows.append((k, _dead_row(entry, stage, direction, ports.named[0][0], "port", (), message)))
                continue
        candidates.append(k)
    if stage.ordered and candidates:
        rows.extend(_shadowed(view, stage, direction, queries, candidates))
    return [row for _, row in sorted(rows, key=lambda item: item[0])]


def _own_field(direction: str) -> str:
    return "destination" if direction == "Ingress" else "source"


def _shadowed(
    view: Planned, stage: Stage, direction: str, queries: list[PortQuery], candidates: list[int]
) -> list[tuple[int, dict]]:
    """The candidates of an ordered stage that match some connection on the ports but never first."""
    entries = stage.entries
    m, count = len(view.table), len(entries)
    subjects = {k: np.asarray(view.subject(entries[k].policy), dtype=bool) & view.is_pod for k in candidates}
    live = np.zeros(count, dtype=bool)
    decides = np.zeros(count, dtype=bool)
    shadowers: dict[int, set[int]] = {k: set() for k in candidates}
    live_ports: dict[int, list[str]] = {k: [] for k in candidates}
    for query in queries:
        local = np.zeros((count, m), dtype=bool)
        peer = np.zeros((count, m), dtype=bool)
        for k in candidates:
            entry = entries[k]
            columns = entry.dialect.rule_columns(entry.policy, entry.rule.rule, direction, query)
            if columns is None:
                continue
            src, dst = columns
            mine, theirs = (dst, src) if direction == "Ingress" else (src, dst)
            local[k] = subjects[k] & mine
            peer[k] = theirs
        live_now = local.any(axis=1) & peer.any(axis=1)
        if not live_now.any():
            continue
        live |= live_now
        first, local_c, peer_c = _first_matches(local, peer)
        for k in np.flatnonzero(live_now):
            live_ports[k].append(str(query))
            region = first[np.ix_(local_c[k], peer_c[k])]
            if (region == k).any():
                decides[k] = True
            else:
                shadowers[k].update(int(x) for x in np.unique(region))
    rows = []
    for k in candidates:
        if not live[k] or decides[k]:
            continue
        entry = entries[k]
        earlier = [entries[i] for i in sorted(shadowers[k])]
        labels = tuple(entry_label(e) for e in earlier)
        same = all(e.action == entry.action for e in earlier)
        effect = "redundant: the same action" if same else f"its {entry.action} never applies"
        message = (
            f"never decides on {', '.join(live_ports[k])}: every connection it matches is matched first by "
            f"{'; '.join(labels)} ({effect})"
        )
        rows.append((k, _dead_row(entry, stage, direction, entry_path(entry, direction), "shadowed", labels, message)))
    return rows


def _dead_row(
    entry: Entry, stage: Stage, direction: str, path: str, reason: str, shadowed_by: tuple, message: str
) -> dict:
    return {
        "policy": entry.policy.ref,
        "dialect": entry.dialect.name,
        "direction": direction,
        "stage": stage.name,
        "rule": entry.number,
        "name": entry.rule.name,
        "path": path,
        "action": entry.action,
        "reason": reason,
        "shadowed_by": shadowed_by,
        "message": message,
    }


def _first_matches(local: np.ndarray, peer: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For an ordered stage on one port: (first matching entry per (local class, peer class), -1 for none;
    each entry's local classes; each entry's peer classes). Endpoints with equal columns form one class."""
    local_rep, _ = unique_columns(local)
    peer_rep, _ = unique_columns(peer)
    local_c, peer_c = local[:, local_rep], peer[:, peer_rep]
    first = np.full((local_c.shape[1], peer_c.shape[1]), -1, dtype=np.intp)
    for row in range(local_c.shape[1]):
        idx = np.flatnonzero(local_c[:, row])
        if idx.size == 0:
            continue
        hits = peer_c[idx]
        found = hits.any(axis=0)
        first[row] = np.where(found, idx[hits.argmax(axis=0)], -1)
    return first, local_c, peer_c
