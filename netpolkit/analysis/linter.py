"""Lint: the policy mistakes the course warns about, found in a cluster, each with its object and field path.

:func:`lint` returns one row per finding: ``severity`` (error / warning / info), ``rule`` (an id of
:data:`LINT_RULES`), ``object`` (``Kind ns/name``, as errors name it), ``path`` (``spec.egress[0].ports[1].port``),
``message``, and ``file`` (where the object was loaded from, when known).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from netpolkit.analysis._common import as_reachability, shown
from netpolkit.analysis._plan import Planned, planned
from netpolkit.analysis._rules import destination_column, rule_path, rule_ports
from netpolkit.analysis.tables import empty_policies
from netpolkit.cluster import Cluster
from netpolkit.engine.dialects.admin import AdminNetworkPolicyDialect, ClusterNetworkPolicyDialect
from netpolkit.engine.dialects.calico import Calico
from netpolkit.engine.dialects.cilium import Cilium
from netpolkit.engine.dialects.kubernetes import Kubernetes
from netpolkit.engine.plan import DIRECTIONS
from netpolkit.engine.profiles import Profile
from netpolkit.matrix import Reachability
from netpolkit.model.calico import CalicoPolicy
from netpolkit.model.k8s import NetworkPolicy
from netpolkit.model.labels import LabelSelector
from netpolkit.model.ports import PortQuery
from netpolkit.model.resources import Service, Workload
from netpolkit.selectors import evaluate

__all__ = ["LINT_COLUMNS", "LINT_RULES", "SEVERITIES", "LintFinding", "lint", "lint_findings", "synthetic_ips"]

SEVERITIES = ("error", "warning", "info")
LINT_COLUMNS = ["severity", "rule", "object", "path", "message", "file"]

# rule id -> what it finds (severity: see each check; the usual one first)
LINT_RULES: dict[str, str] = {
    "dns-egress": "warning: egress isolation (default deny) and no egress rule allowing UDP and TCP 53 "
    "(info when only TCP/53 is missing)",
    "service-port": "warning: a policy port that is some Service's port, where the pods behind it listen on "
    "its targetPort (policies see pod ports)",
    "named-port": "warning: a named port that none of the pods the rule reaches declares",
    "policy-types": "error: ingress or egress rules that policyTypes (Calico: types) makes the policy ignore",
    "ipblock-pods": "warning: an ipBlock, Calico nets or ClusterNetworkPolicy networks that matches pod IPs "
    "(info: a Cilium CIDR, or an ipBlock under a plugin whose ipBlocks never match pods, covering pod IPs)",
    "synthetic-ip": "warning: a CIDR whose match depends on pod IPs netpolkit made up because the export had no "
    "status.podIP (info when it matches none of them)",
    "selects-nothing": "warning: a policy that selects no pod",
}
_DNS = 53


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One finding: how bad, which check, the object (``Kind ns/name``), the field path and what is wrong."""

    severity: str
    rule: str
    object: str
    path: str
    message: str
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{self.severity}: {where}{self.object}: {self.path}: {self.message} [{self.rule}]"


def lint(
    cluster: Cluster | Reachability,
    profile: str | Profile = "upstream",
    *,
    rules: Iterable[str] | None = None,
    unsupported: str = "error",
) -> pd.DataFrame:
    """Every finding of the checks in :data:`LINT_RULES` (or only ``rules``), errors first.

    ``profile``: the network plugin, as for :func:`~netpolkit.reachability` (its dialects must cover every
    policy, unless ``unsupported="ignore"``); a Reachability brings its own.

    >>> from netpolkit.analysis import demo_cluster
    >>> found = lint(demo_cluster())
    >>> found[["severity", "rule", "object"]].head(3)
      severity             rule                           object
    0  warning       dns-egress  NetworkPolicy shop/default-deny
    1  warning  selects-nothing          NetworkPolicy shop/cart
    2  warning     service-port  NetworkPolicy shop/web-from-ops
    >>> print(found.at[2, "path"], "|", found.at[2, "message"])  # doctest: +ELLIPSIS
    spec.ingress[0].ports[0].port | TCP/80 is the port of Service shop/web (80 -> http), ...: write 8080
    """
    found = lint_findings(cluster, profile, rules=rules, unsupported=unsupported)
    return pd.DataFrame([asdict(f) for f in found], columns=LINT_COLUMNS)


def lint_findings(
    cluster: Cluster | Reachability,
    profile: str | Profile = "upstream",
    *,
    rules: Iterable[str] | None = None,
    unsupported: str = "error",
) -> list[LintFinding]:
    """The findings of :func:`lint` as :class:`LintFinding` objects (printable one per line)."""
    wanted = list(LINT_RULES) if rules is None else list(dict.fromkeys(rules))
    unknown = [r for r in wanted if r not in LINT_RULES]
    if unknown:
        raise ValueError(f"unknown lint rule {unknown[0]!r}; expected one of: {', '.join(LINT_RULES)}")
    reach = as_reachability(cluster, profile, unsupported=unsupported)
    linter = _Linter(reach)
    found: list[LintFinding] = []
    for rule in wanted:
        found.extend(getattr(linter, rule.replace("-", "_"))())
    found = list(dict.fromkeys(found))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(found, key=lambda f: (rank[f.severity], f.rule, f.object, f.path))


def synthetic_ips(cluster: Cluster) -> np.ndarray:
    """Column over endpoints: pods whose IP netpolkit made up (a workload, or a Pod without ``status.podIP``).

    ``Cluster.table`` does not record it: this reads it back from the objects, as ``Cluster.table`` decides it.
    """
    frame = cluster.endpoints
    workloads = {(o.kind, o.namespace, o.name): o for o in cluster.objects if isinstance(o, Workload)}
    out = np.zeros(len(frame), dtype=bool)
    for i, (kind, namespace, workload_kind, workload) in enumerate(
        zip(frame["kind"], frame["namespace"], frame["workload_kind"], frame["workload"], strict=True)
    ):
        if kind != "pod":
            continue
        obj = workloads.get((workload_kind, namespace, workload))
        out[i] = obj is None or obj.kind != "Pod" or not obj.ip
    return out


# ---- the checks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ServicePort:
    """One Service port: protocol, port, targetPort as written, and the pod port on each backing endpoint row."""

    service: str
    protocol: str
    port: int
    target: int | str
    targets: dict[int, int]


@dataclass(frozen=True)
class _Cidr:
    """One CIDR entry of a rule: its kind (ipBlock, nets, ...), where it is, and the pods it covers."""

    kind: str
    policy: Any
    path: str
    text: str
    prefixlen: int
    covered: np.ndarray
    matches_pods: bool  # whether, under the profile, this CIDR matches pods at all


class _Linter:
    """The checks, over one Reachability's plan (columns over atoms, mapped back to endpoints)."""

    def __init__(self, reach: Reachability) -> None:
        self.reach = reach
        self.cluster = reach.cluster
        self.table = reach.cluster.table
        self.view: Planned = planned(reach)
        self.ids = np.array(self.table.ids, dtype=object)
        self.is_pod = np.asarray(self.table.is_pod, dtype=bool)

    # ---- helpers

    def finding(self, severity: str, rule: str, policy: Any, path: str, message: str) -> LintFinding:
        where = self.cluster.source_of(policy)
        return LintFinding(severity, rule, policy.ref, path, message, where.file if where else None)

    def pods(self, column: np.ndarray) -> np.ndarray:
        """A column over the plan's table as a column of pods over endpoints."""
        return self.view.expand(column) & self.is_pod

    def policies(self) -> Sequence[Any]:
        return self.reach._policies

    def rules(self, policy: Any) -> Iterable[tuple[str, int, Any]]:
        """(direction, index in its field, rule) of every rule that counts (policyTypes applied)."""
        for direction in DIRECTIONS:
            for index, rule in enumerate(policy.rules(direction)):
                yield direction, index, rule

    def reached_pods(self, policy: Any, rule: Any, direction: str, query: PortQuery) -> np.ndarray:
        """Pods (over endpoints) a rule lets connections reach on ``query``: its protected pods for ingress, its
        peers for egress."""
        dialect = self.view.dialect(policy)
        columns = dialect.rule_columns(policy, rule, direction, query)
        if columns is None:
            return np.zeros(len(self.ids), dtype=bool)
        _, dst = columns
        if direction == "Ingress":
            dst = dst & self.view.subject(policy)
        return self.pods(dst)

    def destination_pods(self, policy: Any, rule: Any, direction: str) -> np.ndarray:
        """Pods (over endpoints) a rule's connections go to, whatever the port."""
        column = destination_column(self.view.dialect(policy), policy, rule, direction)
        return self.pods(column) if column is not None else np.zeros(len(self.ids), dtype=bool)

    # ---- dns-egress

    def dns_egress(self) -> list[LintFinding]:
        view = self.view
        _, by_policy = view.isolated("Egress")
        if not by_policy:
            return []
        has = {}
        for protocol in ("UDP", "TCP"):
            query = PortQuery(protocol, _DNS)
            serves = self.serving(query)
            ok = np.zeros(len(self.ids), dtype=bool)
            for stage in view.stages("Egress"):
                for entry in stage.entries:
                    if entry.action != "Allow":
                        continue
                    columns = entry.dialect.rule_columns(entry.policy, entry.rule.rule, "Egress", query)
                    if columns is None:
                        continue
                    src, dst = columns
                    reached = view.expand(dst)
                    # a DNS rule: it names port 53 (whatever its peers: the export may lack kube-dns), or it
                    # reaches a pod serving port 53, or it reaches every pod
                    if (
                        _names_ports(entry.dialect, entry.rule.rule)
                        or (reached & serves).any()
                        or (reached | ~self.is_pod).all()
                    ):
                        ok |= view.expand(view.subject(entry.policy) & src)
            has[protocol] = ok
        out, claimed = [], np.zeros(len(self.ids), dtype=bool)
        for policy, column in by_policy:
            lacking = self.pods(column) & ~claimed & ~(has["UDP"] & has["TCP"])
            if not lacking.any():
                continue
            claimed |= lacking  # each pod once, under the first policy that isolates it
            no_udp, no_tcp = lacking & ~has["UDP"], lacking & ~has["TCP"]
            ids = list(self.ids[lacking])
            if no_udp.any():
                missing = "UDP/53 or TCP/53" if (no_udp & no_tcp).any() else "UDP/53"
                severity, effect = "warning", "DNS lookups fail"
            else:
                missing, severity, effect = "TCP/53", "info", "DNS answers too large for UDP fail"
            message = (
                f"isolates the egress of {_count(ids, 'pod')} ({shown(ids)}) and no egress rule allows "
                f"{'them' if len(ids) > 1 else 'it'} {missing}: {effect} (allow UDP and TCP 53 to kube-dns)"
            )
            out.append(self.finding(severity, "dns-egress", policy, _egress_isolation_path(policy), message))
        return out

    def serving(self, query: PortQuery) -> np.ndarray:
        """Column over endpoints: pods that declare a container port for ``query``."""
        wanted = str(query)
        return np.array(
            [any(text.split(" ", 1)[0] == wanted for text in ports) for ports in self.cluster.endpoints["ports"]],
            dtype=bool,
        )

    # ---- service-port

    def service_port(self) -> list[LintFinding]:
        services = self.service_ports()
        if not any(sp.port != sp.target for sp in services):
            return []
        targets_on: dict[int, set[tuple[str, int]]] = {}  # endpoint row -> (protocol, pod port) Services reach
        for sp in services:
            for e, number in sp.targets.items():
                targets_on.setdefault(e, set()).add((sp.protocol, number))
        declared = self.declared_ports()
        out = []
        for policy in self.policies():
            for direction, i, rule in self.rules(policy):
                for path, protocol, number in rule_ports(policy, direction, i, rule).numbered:
                    candidates = [sp for sp in services if (sp.protocol, sp.port) == (protocol, number)]
                    if not any(number not in sp.targets.values() for sp in candidates):
                        continue
                    query = PortQuery(protocol, number)
                    reached = np.flatnonzero(self.reached_pods(policy, rule, direction, query))
                    if any((protocol, number) in declared[e] | targets_on.get(e, set()) for e in reached):
                        continue  # a pod it reaches does listen there: the number is meant
                    for sp in candidates:
                        behind = [e for e in reached if e in sp.targets]
                        if not behind:
                            continue
                        listen = sorted({sp.targets[e] for e in behind})
                        message = (
                            f"{protocol}/{number} is the port of Service {sp.service} ({sp.port} -> {sp.target}), but "
                            f"policies see pod ports: the pods behind it that this rule reaches "
                            f"({shown(list(self.ids[behind]))}) listen on {' or '.join(map(str, listen))}: "
                            f"write {listen[0]}"
                        )
                        out.append(self.finding("warning", "service-port", policy, path, message))
                        break
        return out

    def service_ports(self) -> list[_ServicePort]:
        """Every port of every Service, with the pod port it reaches on each backing pod (endpoint row)."""
        table = self.table
        is_pod = self.is_pod
        out = []
        for svc in self.cluster.objects:
            if not isinstance(svc, Service) or not svc.selector or svc.namespace not in table.namespaces:
                continue
            code = table.namespaces.index(svc.namespace)
            backends = np.flatnonzero(
                is_pod & (table.namespace_index == code) & evaluate(LabelSelector.of(svc.selector), table.pod_labels)
            )
            for sp in svc.ports:
                targets = {}
                for e in backends:
                    number = sp.target_port if isinstance(sp.target_port, int) else None
                    if number is None:
                        number = table.named_ports[e].get((sp.target_port, sp.protocol))
                    if number is not None:
                        targets[int(e)] = number
                out.append(_ServicePort(f"{svc.namespace}/{svc.name}", sp.protocol, sp.port, sp.target_port, targets))
        return out

    def declared_ports(self) -> list[set[tuple[str, int]]]:
        """Per endpoint row: (protocol, number) of every container port it declares."""
        out = []
        for ports in self.cluster.endpoints["ports"]:
            found = set()
            for text in ports:
                protocol, _, number = text.split(" ", 1)[0].partition("/")
                found.add((protocol, int(number)))
            out.append(found)
        return out

    # ---- named-port

    def named_port(self) -> list[LintFinding]:
        out = []
        named = self.table.named_ports
        for policy in self.policies():
            for direction, i, rule in self.rules(policy):
                ports = rule_ports(policy, direction, i, rule).named
                if not ports:
                    continue
                pods = np.flatnonzero(self.destination_pods(policy, rule, direction))
                if not len(pods):
                    continue
                for path, name, protocols in ports:
                    if any((name, p) in named[e] for e in pods for p in protocols):
                        continue
                    ids = list(self.ids[pods])
                    declared = sorted({f"{n}={p}/{num}" for e in pods for (n, p), num in named[e].items()})
                    one = len(ids) == 1
                    side = "it protects" if direction == "Ingress" else "it reaches"
                    who = f"the pod {side}" if one else f"none of the {len(ids)} pods {side}"
                    verb = "does not declare" if one else "declares"
                    they = "it declares" if one else "they declare"
                    has = f"; {they} {shown(declared)}" if declared else f"; {they} no named port"
                    message = (
                        f"named port {name!r} ({'/'.join(protocols)}): {who} ({shown(ids)}) {verb} a container port "
                        f"of that name{has}"
                    )
                    out.append(self.finding("warning", "named-port", policy, path, message))
        return out

    # ---- policy-types

    def policy_types(self) -> list[LintFinding]:
        out = []
        for policy in self.policies():
            if not isinstance(policy, NetworkPolicy | CalicoPolicy):
                continue
            field = "spec.policyTypes" if isinstance(policy, NetworkPolicy) else "spec.types"
            types = f"[{', '.join(policy.policy_types)}]"
            for direction, written in (("Ingress", policy.ingress), ("Egress", policy.egress)):
                if written and direction not in policy.policy_types:
                    count = len(written)
                    message = (
                        f"has {count} {direction.lower()} rule{'s' * (count != 1)} but {field.split('.')[1]} "
                        f"{types}: {'they are' if count != 1 else 'it is'} ignored (add {direction} to "
                        f"{field.split('.')[1]}, or remove the rules)"
                    )
                    out.append(self.finding("error", "policy-types", policy, field, message))
        return out

    # ---- ipblock-pods and synthetic-ip

    def cidrs(self) -> list[_Cidr]:
        """Every CIDR entry of every rule that counts, with the pods (over endpoints) whose IPs it covers."""
        out = []
        matches_pods = self.reach.profile.ipblock_matches_pods
        for policy in self.policies():
            dialect = self.view.dialect(policy)
            cols = dialect.columns
            for direction, i, rule in self.rules(policy):
                base = rule_path(policy, direction, i, rule)
                side = "from" if direction == "Ingress" else "to"
                if isinstance(dialect, Kubernetes):
                    for k, peer in enumerate(rule.peers):
                        if (b := peer.ip_block) is not None:
                            hit = cols.cidr(b.cidr, b.except_, pods=True)
                            path = f"{base}.{side}[{k}].ipBlock"
                            out.append(_Cidr("ipBlock", policy, path, str(b), b.cidr.prefixlen, hit, matches_pods))
                elif isinstance(dialect, Calico):
                    for entity_name in ("source", "destination"):
                        entity = getattr(rule, entity_name)
                        for key, nets in (("nets", entity.nets), ("notNets", entity.not_nets)):
                            for k, net in enumerate(nets):
                                path = f"{base}.{entity_name}.{key}[{k}]"
                                out.append(_Cidr(key, policy, path, str(net), net.prefixlen, cols.cidr(net), True))
                elif isinstance(dialect, ClusterNetworkPolicyDialect | AdminNetworkPolicyDialect):
                    for k, peer in enumerate(rule.peers):
                        for m, net in enumerate(peer.networks):
                            path = f"{base}.{side}[{k}].networks[{m}]"
                            out.append(_Cidr("networks", policy, path, str(net), net.prefixlen, cols.cidr(net), True))
                elif isinstance(dialect, Cilium):
                    for b in rule.cidrs:
                        hit = cols.cidr(b.cidr, b.except_, pods=True)
                        out.append(_Cidr("CIDR rule", policy, base, str(b), b.cidr.prefixlen, hit, False))
        return [dataclasses.replace(c, covered=self.pods(c.covered)) for c in out]

    def ipblock_pods(self) -> list[LintFinding]:
        synthetic = synthetic_ips(self.cluster)
        out = []
        for c in self.cidrs():
            if c.matches_pods:
                real = c.covered & ~synthetic
                if not real.any():
                    continue
                ids = list(self.ids[real])
                if c.prefixlen == 0:
                    severity, advice = "info", "fine if it means everyone, in the cluster too"
                else:
                    severity = "warning"
                    advice = "pod IPs change with every restart: select pods with selectors instead"
                message = f"{c.kind} {c.text} matches the IPs of {_count(ids, 'pod')} ({shown(ids)}): {advice}"
                out.append(self.finding(severity, "ipblock-pods", c.policy, c.path, message))
            elif c.covered.any():
                ids = list(self.ids[c.covered])
                plugin = "Cilium" if c.kind == "CIDR rule" else f"profile {self.reach.profile.name!r}"
                message = (
                    f"{c.kind} {c.text} covers the IPs of {_count(ids, 'pod')} ({shown(ids)}), but under {plugin} it "
                    "never matches pods: they are not matched by it (select them with endpoint or pod selectors)"
                )
                out.append(self.finding("info", "ipblock-pods", c.policy, c.path, message))
        return out

    def synthetic_ip(self) -> list[LintFinding]:
        synthetic = synthetic_ips(self.cluster)
        if not synthetic.any():
            return []
        out = []
        invented = list(self.ids[synthetic])
        for c in self.cidrs():
            if not c.matches_pods:
                continue
            hit = c.covered & synthetic
            if hit.any():
                ids = list(self.ids[hit])
                message = (
                    f"{c.kind} {c.text} matches {_count(ids, 'pod')} ({shown(ids)}) by IPs netpolkit made up (the "
                    "export has no status.podIP for them): verdicts involving them rest on invented addresses; "
                    "export the Pods with their status (kubectl get pods -A -o yaml)"
                )
                out.append(self.finding("warning", "synthetic-ip", c.policy, c.path, message))
            else:
                message = (
                    f"{c.kind} {c.text} does not match the pod whose IP netpolkit made up ({invented[0]}), but with "
                    "its real IP it might"
                    if len(invented) == 1
                    else f"{c.kind} {c.text} matches none of the {len(invented)} pods whose IPs netpolkit made up "
                    f"({shown(invented)}), but with their real IPs it might"
                ) + ": export the Pods with their status (kubectl get pods -A -o yaml)"
                out.append(self.finding("info", "synthetic-ip", c.policy, c.path, message))
        return out

    # ---- selects-nothing

    def selects_nothing(self) -> list[LintFinding]:
        out = []
        by_ref = {p.ref: p for p in self.policies()}
        for row in empty_policies(self.reach).itertuples(index=False):
            message = f"selects no pod: {row.detail}"
            out.append(self.finding("warning", "selects-nothing", by_ref[row.policy], row.path, message))
        return out


# ---- per-dialect reading of rules ------------------------------------------------------------------------------


def _count(items: Sequence[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'s' * (len(items) != 1)}"


def _egress_isolation_path(policy: Any) -> str:
    """The field that puts a policy's pods into egress default deny."""
    if isinstance(policy, NetworkPolicy):
        return "spec.egress" if policy.egress else "spec.policyTypes"
    if isinstance(policy, CalicoPolicy):
        return "spec.egress" if policy.egress else "spec.types"
    rules = getattr(policy, "rules", None)
    if rules is not None:
        written = policy.rules("Egress")
        if written and getattr(written[0], "path", None):
            return written[0].path.rpartition("[")[0]
    return "spec.enableDefaultDeny.egress"


def _names_ports(dialect: Any, rule: Any) -> bool:
    """Whether a rule restricts ports (so admitting port 53 is its intent, whatever its peers)."""
    if isinstance(dialect, Kubernetes):
        return bool(rule.ports)
    if isinstance(dialect, Calico):
        return bool(rule.destination.ports)
    if isinstance(dialect, Cilium):
        return rule.ports is not None
    return bool(getattr(rule, "ports", ()))
