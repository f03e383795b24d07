"""Observed flows against the prediction: where the network plugin and netpolkit disagree, and whose policy decided.

:func:`map_flow_endpoints` finds each flow record's source and destination among the cluster's endpoints;
:func:`compare_flows` puts every observed connection beside netpolkit's verdict for it, with the policy the plugin
names (where the record has one) beside the one :meth:`~netpolkit.Reachability.explain` names;
:func:`flow_disagreements` keeps the rows where the two differ.

The records come from :func:`netpolkit.io.flows.read_flows` (Cilium Hubble, Calico flow logs). Which side a record
speaks for matters: a record reported at the source (``direction`` "egress") shows only the source's egress
verdict (the destination may still refuse the connection), so it is compared with netpolkit's egress verdict; one
reported at the destination ("ingress") shows the connection's fate, so it is compared with the whole verdict
(egress AND ingress).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from netpolkit.cluster import Cluster
from netpolkit.engine.explanation import Explanation, SideDecision
from netpolkit.matrix import Reachability

__all__ = ["COMPARISON_COLUMNS", "compare_flows", "flow_disagreements", "map_flow_endpoints", "summarize_flows"]

COMPARISON_COLUMNS = (
    "record",  # where the flow record is ("file:line")
    "time",
    "src",  # the cluster endpoint id of the source, or None when it is not one
    "dst",
    "protocol",
    "port",
    "direction",  # the side that reported it: "egress" or "ingress"
    "observed",  # what the plugin did: "allowed" or "denied" (or the record's verdict when it is not compared)
    "predicted",  # netpolkit's verdict for the same side: "allowed", "denied", or None when not compared
    "agree",  # boolean with <NA> where the record cannot be compared (see ``note``)
    "disagreement",  # "allowed, predicted denied", "denied, predicted allowed", or ""
    "plugin_policy",  # the policy the record names as deciding ("; " between several), or None
    "netpolkit_policy",  # the deciding policy and rule netpolkit names, or how it decided ("not isolated", ...)
    "netpolkit_reason",  # netpolkit's reason for that side, in words
    "src_match",  # how the source was found: "pod", "workload", "ip", "external", or None
    "dst_match",
    "flows",  # connections the record stands for
    "note",  # why a record is not compared (a reply, no port, an endpoint outside the cluster, not a policy drop)
)
"""Columns of :func:`compare_flows`, in order."""

_COMPARED = {"allowed": "allowed", "denied": "denied", "audit": "denied"}


class _Index:
    """Cluster endpoints by pod id, by (namespace, workload) and by IP (real pod IPs and externals only)."""

    def __init__(self, endpoints: pd.DataFrame) -> None:
        self.ids = set(endpoints.index)
        self.workloads: dict[tuple[str, str], str] = {}
        self.ips: dict[str, str] = {}
        ambiguous: set[str] = set()
        for endpoint, row in endpoints.iterrows():
            if row["kind"] == "pod":
                self.workloads.setdefault((row["namespace"], row["workload"]), str(endpoint))
            # A workload's pods get made-up IPs (a manifest has none): only real pod IPs and externals identify.
            if row["kind"] != "pod" or row["workload_kind"] == "Pod":
                ip = str(row["ip"])
                if ip in self.ips:
                    ambiguous.add(ip)
                self.ips[ip] = str(endpoint)
        for ip in ambiguous:
            del self.ips[ip]

    def find(self, namespace: Any, pod: Any, workload: Any, ip: Any) -> tuple[str | None, str | None]:
        """(endpoint id, how it was found) of one side of a record, or (None, None)."""
        if _given(namespace) and _given(pod) and f"{namespace}/{pod}" in self.ids:
            return f"{namespace}/{pod}", "pod"
        if _given(namespace) and _given(workload) and (namespace, workload) in self.workloads:
            return self.workloads[(namespace, workload)], "workload"
        if _given(ip) and str(ip) in self.ips:
            endpoint = self.ips[str(ip)]
            return endpoint, "external" if endpoint.startswith("external/") else "ip"
        return None, None


def _given(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def map_flow_endpoints(where: Reachability | Cluster | pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """The cluster endpoint of each flow record's source and destination: columns src, dst, src_match,
    dst_match, aligned with ``flows``. ``where`` is the cluster (or its reachability, or its ``endpoints`` frame).

    An endpoint is found by, in this order: its pod (``namespace/pod`` is an endpoint id: a cluster read live or
    from an export), its workload in its namespace (a cluster built from manifests names pods after their
    Deployment or StatefulSet), its IP (only where the cluster knows the real IP: exported pods and external
    endpoints). Otherwise it is None: an endpoint outside the cluster model (a node, an unnamed internet address).
    """
    endpoints = where.endpoints if isinstance(where, Reachability | Cluster) else where
    rows = _mapped(endpoints, flows)
    return pd.DataFrame(rows, columns=["src", "dst", "src_match", "dst_match"], index=flows.index, dtype=object)


def _mapped(
    endpoints: pd.DataFrame, flows: pd.DataFrame
) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """(src, dst, src_match, dst_match) per record, None where not found."""
    index = _Index(endpoints)
    rows = []
    for record in flows.itertuples(index=False):
        src, src_match = index.find(record.src_namespace, record.src_pod, record.src_workload, record.src_ip)
        dst, dst_match = index.find(record.dst_namespace, record.dst_pod, record.dst_workload, record.dst_ip)
        rows.append((src, dst, src_match, dst_match))
    return rows


def _decided_by(side: SideDecision) -> str:
    """The deciding policy and rule of one side, or how the side was decided (and which policies isolate it)."""
    if side.deciding_rule:
        return side.deciding_rule
    return f"{side.reason}: {', '.join(side.isolated_by)}" if side.isolated_by else side.reason


def _netpolkit_side(why: Explanation, direction: str) -> SideDecision:
    """The side netpolkit's verdict for a record rests on: the egress for a source-side record; for a
    destination-side record the side that blocks (egress first), else the ingress that allowed it."""
    if direction == "egress":
        return why.egress
    if not why.egress.allowed:
        return why.egress
    return why.ingress


def _note(record: Any, src: str | None, dst: str | None) -> str:
    if record.is_reply:
        return "a reply: it rides on its connection, no policy is looked up"
    if record.verdict not in _COMPARED:
        reason = f" ({record.reason})" if _given(record.reason) else ""
        return f"{record.verdict}{reason}: not a policy verdict"
    if record.direction not in ("egress", "ingress"):
        return "the record does not say which side (egress or ingress) reported it"
    if record.protocol not in ("TCP", "UDP", "SCTP") or pd.isna(record.port):
        protocol = record.protocol if _given(record.protocol) else "unknown protocol"
        return f"no port ({protocol}): netpolkit compares TCP, UDP and SCTP ports"
    missing = [
        f"{name} {_describe(record, prefix)} is not an endpoint of the cluster"
        for name, prefix, endpoint in (("source", "src", src), ("destination", "dst", dst))
        if endpoint is None
    ]
    return "; ".join(missing)


def _describe(record: Any, prefix: str) -> str:
    namespace, pod, ip, kind = (getattr(record, f"{prefix}_{k}") for k in ("namespace", "pod", "ip", "type"))
    if _given(pod):
        return f"{namespace}/{pod}" if _given(namespace) else str(pod)
    what = {"world": "an address outside the cluster", "host": "a node", "network": "a network"}.get(kind, "")
    shown = " ".join(part for part in (what, str(ip) if _given(ip) else "") if part)
    return f"({shown})" if shown else "(unnamed)"


def compare_flows(reach: Reachability, flows: pd.DataFrame) -> pd.DataFrame:
    """Every observed flow beside netpolkit's verdict for it (columns :data:`COMPARISON_COLUMNS`).

    ``reach`` is the reachability of the cluster the flows were observed in, under the plugin's profile
    (``profile="cilium"`` for Hubble records, ``"calico"`` for Calico's); ``flows`` a frame of
    :func:`~netpolkit.io.flows.read_flows`. A record reported at the source is compared with netpolkit's egress
    verdict, one reported at the destination with the whole verdict (see the module). ``audit`` records (Cilium's
    audit mode: the policy denies, the packet passed) count as denied: it is the policy verdict that is compared.

    Not compared (``agree`` is <NA>, ``note`` says why): replies (no policy is looked up for them), drops that are
    not a policy's (``verdict`` "dropped") and trace points without a verdict, records without a TCP, UDP or SCTP
    port, and records whose source or destination is not an endpoint of the cluster (:func:`map_flow_endpoints`).
    Each distinct (source, destination, port) is explained once.
    """
    mapped = _mapped(reach.endpoints, flows)
    explained: dict[tuple[str, str, str], Explanation] = {}
    rows = []
    for record, (src, dst, src_match, dst_match) in zip(flows.itertuples(index=False), mapped, strict=True):
        note = _note(record, src, dst)
        plugin_policy = "; ".join(record.plugin_policies) if len(record.plugin_policies) else None
        row: dict[str, Any] = {
            "record": record.record,
            "time": record.time,
            "src": src,
            "dst": dst,
            "protocol": record.protocol,
            "port": record.port,
            "direction": record.direction,
            "observed": _COMPARED.get(record.verdict, record.verdict),
            "predicted": None,
            "agree": pd.NA,
            "disagreement": "",
            "plugin_policy": plugin_policy,
            "netpolkit_policy": None,
            "netpolkit_reason": None,
            "src_match": src_match,
            "dst_match": dst_match,
            "flows": record.flows,
            "note": note,
        }
        if not note:
            assert src is not None and dst is not None
            port = f"{record.protocol}/{int(record.port)}"
            key = (src, dst, port)
            if key not in explained:
                explained[key] = reach.explain(src, dst, port)
            why = explained[key]
            side = _netpolkit_side(why, record.direction)
            allowed = why.egress.allowed if record.direction == "egress" else why.allowed
            predicted = "allowed" if allowed else "denied"
            row["predicted"] = predicted
            row["agree"] = predicted == row["observed"]
            if not row["agree"]:
                row["disagreement"] = f"{row['observed']}, predicted {predicted}"
            row["netpolkit_policy"] = _decided_by(side)
            row["netpolkit_reason"] = str(side)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    frame["agree"] = frame["agree"].astype("boolean")
    frame["port"] = frame["port"].astype("Int64")
    return frame


def flow_disagreements(comparison: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`compare_flows` where the plugin and netpolkit disagree."""
    return comparison[comparison["agree"].eq(False).fillna(False)]


def summarize_flows(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_flows` rows grouped by (src, dst, protocol, port, direction, observed, predicted): how many
    records and connections each, with the policies named on either side."""
    keys = ["src", "dst", "protocol", "port", "direction", "observed", "predicted", "agree"]
    compared = comparison[comparison["agree"].notna()]
    grouped = compared.groupby(keys, dropna=False, sort=False)
    return grouped.agg(
        records=("record", "size"),
        flows=("flows", "sum"),
        plugin_policy=("plugin_policy", _distinct),
        netpolkit_policy=("netpolkit_policy", _distinct),
    ).reset_index()


def _distinct(values: pd.Series) -> str:
    names = (name for value in values if isinstance(value, str) for name in value.split("; "))
    return "; ".join(dict.fromkeys(names))
