"""Read exported flow records (what the network plugin saw) into a DataFrame: Cilium Hubble and Calico flow logs.

Both formats are JSON Lines: one record per line, blank lines skipped.

* **Hubble** (``hubble observe -o json``): each line is ``{"flow": {...}, "node_name": ..., "time": ...}``, the
  ``flow`` a ``flow.Flow`` message of cilium/cilium ``api/v1/flow/flow.proto`` in protobuf JSON: ``verdict``
  (FORWARDED, DROPPED, ...), ``drop_reason_desc`` (POLICY_DENIED, ...), ``IP.source`` / ``IP.destination``,
  ``l4.TCP.destination_port`` (or UDP, SCTP; ICMPv4/ICMPv6 have no port), ``source`` / ``destination`` endpoints
  (``namespace``, ``pod_name``, ``labels`` as ``k8s:key=value``, ``workloads``), ``traffic_direction`` (INGRESS,
  EGRESS), ``is_reply`` and the policies the datapath matched (``ingress_allowed_by``, ``egress_allowed_by``,
  ``ingress_denied_by``, ``egress_denied_by``: ``Policy`` messages with ``name``, ``namespace``, ``kind``). Field
  names are read in both protobuf JSON spellings (``pod_name`` and ``podName``). Lines without a ``flow``
  (``node_status``, ``lost_events``) and L7 or socket flows (``Type`` L7, SOCK: verdicts netpolkit does not model)
  are skipped and counted in ``frame.attrs["skipped"]``.
* **Calico** flow logs (Calico Enterprise / Cloud, "Flow log data types"): ``start_time``, ``end_time`` (UNIX
  seconds), ``action`` (allow, deny), ``reporter`` (src: the source's node, so its egress; dst: the destination's,
  so its ingress), ``source_namespace``, ``source_name`` (``-`` when aggregated), ``source_name_aggr``,
  ``source_ip``, ``source_type`` (wep, hep, ns, net), ``source_labels`` (``{"labels": ["k=v", ...]}``), the same
  with ``dest_``, ``dest_port``, ``proto``, ``num_flows`` and ``policies`` (``enforced_policies`` /
  ``all_policies``: entries ``<index>|<tier>|<policy name>|<action>|<rule index>``; the one with the highest index
  decided).

Every record becomes one row with the columns of :data:`FLOW_RECORD_COLUMNS`. A malformed record is a
:class:`~netpolkit.PolicyError` naming the file, the line and the field path
(``flows.json: line 7: flow.l4.TCP.destination_port: expected a port number 0-65535, got 'http'``); files are read
within :data:`~netpolkit.limits.MAX_FILE_BYTES` and records within :data:`~netpolkit.limits.MAX_OBJECT_CHARS`;
duplicate keys and NaN are refused as in every netpolkit JSON.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from netpolkit.errors import PolicyError, Where, excerpt
from netpolkit.io.decode import decode_json_value, read_file
from netpolkit.limits import MAX_OBJECT_CHARS

__all__ = [
    "FLOW_RECORD_COLUMNS",
    "FORMATS",
    "VERDICTS",
    "read_calico_flows",
    "read_flows",
    "read_hubble_flows",
]

FLOW_RECORD_COLUMNS = (
    "record",  # where the record is: "file:line"
    "plugin",  # "hubble" or "calico"
    "time",  # when it was observed (Calico: start of the log interval), UTC; NaT when the record has none
    "direction",  # the side that reported it: "egress" (at the source) or "ingress" (at the destination)
    "verdict",  # "allowed", "denied" (by policy), "audit" (policy denies, audit mode let it pass), "dropped"
    # (not by policy), or "other" (a trace point without a verdict)
    "reason",  # the plugin's drop reason (Hubble drop_reason_desc), else None
    "is_reply",  # the reply direction of a connection (no policy is looked up for it); False when unknown
    "protocol",  # "TCP", "UDP", "SCTP", "ICMPv4", "ICMPv6", or None
    "port",  # destination port (Int64; <NA> for ICMP)
    "src_namespace",
    "src_pod",  # pod name, or None (not a pod, or aggregated away)
    "src_workload",  # the workload the pod belongs to (Deployment, StatefulSet, ...), or None
    "src_ip",
    "src_type",  # "pod", "world" (outside the cluster), "host", "network" (a Calico network set / net), "unknown"
    "src_labels",  # dict
    "dst_namespace",
    "dst_pod",
    "dst_workload",
    "dst_ip",
    "dst_type",
    "dst_labels",
    "plugin_policies",  # tuple of the policies the record names as deciding, e.g. "CiliumNetworkPolicy ns/name"
    "flows",  # how many connections the record stands for (Calico num_flows; Hubble 1)
)
"""The columns of the frames :func:`read_flows` returns, in order."""

VERDICTS = ("allowed", "denied", "audit", "dropped", "other")
"""Values of the ``verdict`` column."""

FORMATS = ("hubble", "calico")
"""Flow record formats :func:`read_flows` reads."""

_POLICY_DROPS = {"POLICY_DENIED", "POLICY_DENY", "133", "181"}  # flow.proto DropReason: by a policy
_HUBBLE_VERDICTS = {
    "FORWARDED": "allowed",
    "REDIRECTED": "allowed",  # handed to the L7 proxy: allowed at L3/L4
    "DROPPED": "dropped",
    "AUDIT": "audit",
    "ERROR": "other",
    "TRACED": "other",
    "TRANSLATED": "other",
    "VERDICT_UNKNOWN": "other",
}
_HUBBLE_SKIPPED_TYPES = {"L7", "SOCK"}
_HUBBLE_NON_FLOWS = ("node_status", "lost_events", "agent_event", "debug_event")
_L4_LAYERS = ("TCP", "UDP", "SCTP", "ICMPv4", "ICMPv6")  # flow.proto Layer4 fields, named as the column names them
_CALICO_PROTOCOLS = {
    "tcp": "TCP",
    "6": "TCP",
    "udp": "UDP",
    "17": "UDP",
    "sctp": "SCTP",
    "132": "SCTP",
    "icmp": "ICMPv4",
    "1": "ICMPv4",
    "icmp6": "ICMPv6",
    "icmpv6": "ICMPv6",
    "58": "ICMPv6",
}
_CALICO_TYPES = {"wep": "pod", "hep": "host", "ns": "network", "net": "network"}
_CAMEL = re.compile(r"_([a-z])")
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)")
_YEAR_3000 = 32_503_680_000  # UNIX seconds; later is a unit mistake (milliseconds), not a time


class _Field:
    """Strict, path-tracking access to one record (a JSON object)."""

    def __init__(self, data: Any, where: Where, path: str) -> None:
        self.data = data
        self.where = where
        self.path = path

    def fail(self, message: str, key: str | None = None) -> PolicyError:
        path = f"{self.path}.{key}" if key and self.path else (key or self.path)
        return PolicyError(message, where=self.where, path=path or None)

    def raw(self, key: str) -> Any:
        """The value of ``key`` (protobuf JSON also spells ``pod_name`` as ``podName``), or None."""
        data = self.data
        if type(data) is not dict:
            return None
        value = data.get(key)
        if value is None and "_" in key:
            return data.get(_camel(key))
        return value

    def child(self, key: str) -> _Field | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(f"expected an object, got {excerpt(value)}", key)
        return _Field(value, self.where, f"{self.path}.{key}" if self.path else key)

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None or value == "":
            if required:
                raise self.fail("required field is missing", key)
            return None
        if not isinstance(value, str):
            raise self.fail(f"expected a string, got {excerpt(value)}", key)
        return value

    def number(self, key: str, low: int, high: int, what: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, str) and value.isdigit():  # protobuf JSON writes 64-bit integers as strings
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(f"expected {what} {low}-{high}, got {excerpt(value)}", key)
        return value

    def flag(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(f"expected true or false, got {excerpt(value)}", key)
        return value

    def items(self, key: str) -> list[Any]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"expected a list, got {excerpt(value)}", key)
        return value

    def strings(self, key: str) -> list[str]:
        values = self.items(key)
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"expected a string, got {excerpt(value)}", f"{key}[{i}]")
        return values

    def time(self, key: str) -> str | None:
        """An RFC 3339 time (protobuf JSON's Timestamp) or UNIX seconds, as RFC 3339 text (UTC for seconds)."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) and _RFC3339.fullmatch(value):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < _YEAR_3000:
            return pd.Timestamp(value, unit="s", tz="UTC").isoformat()
        raise self.fail(f"expected a time (RFC 3339 text or UNIX seconds), got {excerpt(value)}", key)


@functools.cache
def _camel(key: str) -> str:
    """The lowerCamelCase JSON name protobuf gives a field (``pod_name`` -> ``podName``)."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


# ---- reading lines -----------------------------------------------------------------------------------------


def _records(path: str | os.PathLike[str]) -> Iterable[tuple[Any, Where, int]]:
    """(decoded JSON value, where, line number) of every non-blank line of a JSON Lines file."""
    name = os.fspath(path)
    text = read_file(Path(name), name)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = Where(name, obj=f"line {number}")
        if len(line) > MAX_OBJECT_CHARS:
            raise PolicyError(f"a record of {len(line):,} characters is longer than any flow record", where=where)
        try:
            value = decode_json_value(line, name)
        except PolicyError as exc:
            raise PolicyError(exc.message, where=where) from None
        yield value, where, number


def _frame(rows: list[dict[str, Any]], skipped: Counter[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(FLOW_RECORD_COLUMNS))
    frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
    frame["port"] = frame["port"].astype("Int64")
    frame["flows"] = frame["flows"].astype("int64")
    frame["is_reply"] = frame["is_reply"].astype(bool)
    frame.attrs["skipped"] = dict(skipped)
    return frame


def _workload(pod: str | None, labels: Mapping[str, str]) -> str | None:
    """The workload a pod name belongs to, from its pod-template-hash (Deployment) or ordinal (StatefulSet)."""
    if not pod:
        return None
    template = labels.get("pod-template-hash")
    if template and f"-{template}-" in pod:
        return pod.split(f"-{template}-")[0]
    if pod.endswith("-*"):  # an aggregated name: "web-5d8f6c9b7-*", "db-*"
        stem = pod[:-2]
        return stem.split(f"-{template}")[0] if template and stem.endswith(f"-{template}") else stem
    match = re.fullmatch(r"(.+)-\d+", pod)
    if match and labels.get("statefulset.kubernetes.io/pod-name") == pod:
        return match.group(1)
    return None


# ---- Hubble ------------------------------------------------------------------------------------------------


def _hubble_labels(values: list[str]) -> dict[str, str]:
    labels = {}
    for value in values:
        source, _, rest = value.partition(":")
        if not rest or source in ("reserved", "cidr", "fqdn"):
            labels[value] = ""
            continue
        key, _, label_value = rest.partition("=")
        labels.setdefault(key, label_value)  # k8s: wins over the other sources, which come later
    return labels


def _hubble_endpoint(flow: _Field, key: str, ip: str | None) -> dict[str, Any]:
    side = flow.child(key) or _Field({}, flow.where, f"{flow.path}.{key}")
    labels = _hubble_labels(side.strings("labels"))
    workloads = side.items("workloads")
    workload = None
    for i, item in enumerate(workloads):
        entry = _Field(item, side.where, f"{side.path}.workloads[{i}]")
        if not isinstance(item, Mapping):
            raise entry.fail(f"expected an object with name and kind, got {excerpt(item)}")
        workload = workload or entry.text("name")
    pod = side.text("pod_name")
    if "reserved:world" in labels:
        kind = "world"
    elif any(k in labels for k in ("reserved:host", "reserved:remote-node", "reserved:kube-apiserver")):
        kind = "host"
    elif pod:
        kind = "pod"
    else:
        kind = "unknown"
    return {
        "namespace": side.text("namespace"),
        "pod": pod,
        "workload": workload or _workload(pod, labels),
        "ip": ip,
        "type": kind,
        "labels": {k: v for k, v in labels.items() if not k.startswith("io.cilium.")},
    }


def _hubble_policies(flow: _Field, key: str) -> tuple[str, ...]:
    found = []
    for i, item in enumerate(flow.items(key)):
        entry = _Field(item, flow.where, f"{flow.path}.{key}[{i}]")
        if not isinstance(item, Mapping):
            raise entry.fail(f"expected a Policy object, got {excerpt(item)}")
        name = entry.text("name", required=True)
        namespace = entry.text("namespace")
        kind = entry.text("kind")
        ref = f"{namespace}/{name}" if namespace else str(name)
        found.append(f"{kind} {ref}" if kind else ref)
    return tuple(dict.fromkeys(found))


def _hubble_row(value: Any, where: Where, number: int, skipped: Counter[str]) -> dict[str, Any] | None:
    top = _Field(value, where, "")
    if not isinstance(value, Mapping):
        raise top.fail(f'expected a Hubble record ({{"flow": {{...}}}}), got {excerpt(value)}')
    if top.raw("flow") is None:
        other = next((k for k in _HUBBLE_NON_FLOWS if top.raw(k) is not None), None)
        if other is None:
            raise top.fail('required field is missing (hubble observe -o json prints {"flow": {...}} per line)', "flow")
        skipped[other] += 1
        return None
    flow = top.child("flow")
    assert flow is not None
    flow_type = flow.text("Type")
    if flow_type in _HUBBLE_SKIPPED_TYPES:
        skipped[f"{flow_type} flows"] += 1
        return None
    verdict_name = flow.text("verdict", required=True)
    if verdict_name not in _HUBBLE_VERDICTS:
        raise flow.fail(f"expected one of {', '.join(_HUBBLE_VERDICTS)}, got {excerpt(verdict_name)}", "verdict")
    reason = flow.raw("drop_reason_desc")
    if reason is not None and not isinstance(reason, str | int):
        raise flow.fail(f"expected a DropReason name, got {excerpt(reason)}", "drop_reason_desc")
    reason = str(reason) if reason not in (None, "", "DROP_REASON_UNKNOWN") else None
    verdict = _HUBBLE_VERDICTS[verdict_name]
    if verdict == "dropped" and reason in _POLICY_DROPS:
        verdict = "denied"
    direction_name = flow.text("traffic_direction")
    if direction_name not in (None, "INGRESS", "EGRESS", "TRAFFIC_DIRECTION_UNKNOWN"):
        raise flow.fail(f"expected INGRESS or EGRESS, got {excerpt(direction_name)}", "traffic_direction")
    direction = direction_name.lower() if direction_name in ("INGRESS", "EGRESS") else None
    ip = flow.child("IP")
    src_ip = ip.text("source") if ip else None
    dst_ip = ip.text("destination") if ip else None
    protocol = port = None
    l4 = flow.child("l4")
    if l4 is not None:
        for name in _L4_LAYERS:
            layer = l4.child(name)
            if layer is not None:
                protocol = name
                if name in ("TCP", "UDP", "SCTP"):
                    port = layer.number("destination_port", 0, 65535, "a port number")
                break
    named = {
        f"{side}_{outcome}_by": _hubble_policies(flow, f"{side}_{outcome}_by")
        for side in ("ingress", "egress")
        for outcome in ("allowed", "denied")
    }
    policies: tuple[str, ...] = ()
    if direction is not None:
        policies = named[f"{direction}_{'denied' if verdict in ('denied', 'audit') else 'allowed'}_by"]
    is_reply = flow.flag("is_reply")
    if is_reply is None:
        is_reply = flow.flag("reply") or False  # the deprecated field, where is_reply is absent
    when = flow.time("time") or top.time("time")
    src = _hubble_endpoint(flow, "source", src_ip)
    dst = _hubble_endpoint(flow, "destination", dst_ip)
    return _row(where, number, "hubble", when, direction, verdict, reason, is_reply, protocol, port, src, dst, policies)


def _row(
    where: Where,
    number: int,
    plugin: str,
    when: str | None,
    direction: str | None,
    verdict: str,
    reason: str | None,
    is_reply: bool,
    protocol: str | None,
    port: int | None,
    src: Mapping[str, Any],
    dst: Mapping[str, Any],
    policies: tuple[str, ...],
    flows: int = 1,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "record": f"{where.file}:{number}",
        "plugin": plugin,
        "time": when,
        "direction": direction,
        "verdict": verdict,
        "reason": reason,
        "is_reply": bool(is_reply),
        "protocol": protocol,
        "port": port,
    }
    for prefix, side in (("src", src), ("dst", dst)):
        for key in ("namespace", "pod", "workload", "ip", "type", "labels"):
            row[f"{prefix}_{key}"] = side[key]
    row["plugin_policies"] = policies
    row["flows"] = flows
    return row


def read_hubble_flows(*paths: str | os.PathLike[str]) -> pd.DataFrame:
    """Every flow of ``hubble observe -o json`` output files, one row each (columns :data:`FLOW_RECORD_COLUMNS`).

    ``verdict``: FORWARDED and REDIRECTED are "allowed", DROPPED with drop reason POLICY_DENIED or POLICY_DENY
    "denied", any other DROPPED "dropped", AUDIT "audit", ERROR/TRACED/TRANSLATED "other". ``plugin_policies``: the
    ``<direction>_allowed_by`` policies of an allowed flow, the ``<direction>_denied_by`` ones of a denied flow
    (empty when the plugin named none: Cilium's default deny has no policy to name).
    """
    return _read(paths, "hubble")


# ---- Calico ------------------------------------------------------------------------------------------------


def _calico_endpoint(record: _Field, prefix: str) -> dict[str, Any]:
    def text(key: str) -> str | None:
        value = record.text(f"{prefix}_{key}")
        return None if value in ("-", "*") else value

    raw_labels = record.raw(f"{prefix}_labels")
    labels: dict[str, str] = {}
    if raw_labels not in (None, "-"):
        holder = record.child(f"{prefix}_labels") if isinstance(raw_labels, Mapping) else None
        values = holder.strings("labels") if holder else record.strings(f"{prefix}_labels")
        for value in values:
            key, _, label_value = value.partition("=")
            labels[key] = label_value
    kind_name = text("type")
    if kind_name is not None and kind_name not in _CALICO_TYPES:
        expected = ", ".join(_CALICO_TYPES)
        raise record.fail(f"expected one of {expected}, got {excerpt(kind_name)}", f"{prefix}_type")
    aggregated = text("name_aggr")
    kind = _CALICO_TYPES.get(kind_name or "", "unknown")
    if kind == "network" and aggregated == "pub":
        kind = "world"
    pod = text("name") if kind == "pod" else None
    return {
        "namespace": text("namespace"),
        "pod": pod,
        "workload": _workload(pod, labels) or (_workload(aggregated, labels) if kind == "pod" else None),
        "ip": text("ip"),
        "type": kind,
        "labels": labels,
    }


def _calico_policy_name(tier: str, name: str) -> str:
    """A Calico flow log's policy name as netpolkit refers to the policy.

    ``<ns>/knp.default.<name>``: the Kubernetes NetworkPolicy ``ns/name``; ``<ns>/<tier>.<name>``: a Calico
    NetworkPolicy (in the default tier Calico prefixes ``default.`` to the name; other tiers' policies carry the
    tier in their own name); ``<tier>.<name>``: a GlobalNetworkPolicy; ``staged:`` marks a staged policy.
    """
    namespace, _, local = name.rpartition("/")
    staged = local.startswith("staged:")
    local = local.removeprefix("staged:")
    if local.startswith("knp.default."):
        kind, local = "NetworkPolicy", local.removeprefix("knp.default.")
    elif namespace:
        kind = "Calico NetworkPolicy"
    else:
        kind = "GlobalNetworkPolicy"
    if tier == "default":
        local = local.removeprefix("default.")
    if staged:
        kind = {"NetworkPolicy": "StagedKubernetesNetworkPolicy", "Calico NetworkPolicy": "StagedNetworkPolicy"}.get(
            kind, "StagedGlobalNetworkPolicy"
        )
    return f"{kind} {namespace}/{local}" if namespace else f"{kind} {local}"


def _calico_policies(record: _Field) -> tuple[str, ...]:
    """The policy that decided (the highest index of ``enforced_policies``, else of ``all_policies``)."""
    holder = record.child("policies")
    if holder is None:
        return ()
    key = "enforced_policies" if holder.raw("enforced_policies") is not None else "all_policies"
    best: tuple[int, str] | None = None
    for i, entry in enumerate(holder.strings(key)):
        parts = entry.split("|")
        if len(parts) != 5 or not parts[0].isdigit():
            raise holder.fail(
                f"expected <index>|<tier>|<policy name>|<action>|<rule index>, got {excerpt(entry)}", f"{key}[{i}]"
            )
        index, tier, name, action, _rule = parts
        if action not in ("allow", "deny", "pass"):
            raise holder.fail(f"expected the action allow, deny or pass, got {excerpt(action)}", f"{key}[{i}]")
        if action == "pass" or tier == "__PROFILE__" or name.rpartition("/")[2].startswith("staged:"):
            continue  # a Pass hands over; a profile is the namespace's default allow, not a policy
        if best is None or int(index) > best[0]:
            best = (int(index), _calico_policy_name(tier, name))
    return (best[1],) if best else ()


def _calico_row(value: Any, where: Where, number: int) -> dict[str, Any]:
    record = _Field(value, where, "")
    if not isinstance(value, Mapping):
        raise record.fail(f"expected a Calico flow log record (a JSON object), got {excerpt(value)}")
    action = record.text("action", required=True)
    if action not in ("allow", "deny"):
        raise record.fail(f"expected allow or deny, got {excerpt(action)}", "action")
    reporter = record.text("reporter", required=True)
    if reporter not in ("src", "dst"):
        raise record.fail(f"expected src or dst, got {excerpt(reporter)}", "reporter")
    proto = record.raw("proto")
    if isinstance(proto, int) and not isinstance(proto, bool):
        proto = str(proto)
    if proto is not None and (not isinstance(proto, str) or proto.lower() not in _CALICO_PROTOCOLS):
        raise record.fail(f"expected a protocol (tcp, udp, sctp, icmp), got {excerpt(proto)}", "proto")
    protocol = _CALICO_PROTOCOLS[proto.lower()] if proto is not None else None
    port = record.number("dest_port", 0, 65535, "a port number") if protocol in ("TCP", "UDP", "SCTP") else None
    flows = record.number("num_flows", 0, 2**63 - 1, "a count")
    return _row(
        where,
        number,
        "calico",
        record.time("start_time"),
        "egress" if reporter == "src" else "ingress",
        "allowed" if action == "allow" else "denied",
        None,
        False,
        protocol,
        port,
        _calico_endpoint(record, "source"),
        _calico_endpoint(record, "dest"),
        _calico_policies(record),
        flows=1 if flows is None else flows,
    )


def read_calico_flows(*paths: str | os.PathLike[str]) -> pd.DataFrame:
    """Every record of Calico flow log files (JSON Lines), one row each (columns :data:`FLOW_RECORD_COLUMNS`).

    ``direction`` follows ``reporter`` (src: the source's egress, dst: the destination's ingress); ``verdict`` is
    ``action`` (allow: "allowed", deny: "denied"); ``plugin_policies`` the policy that decided, named as netpolkit
    names it (``NetworkPolicy ns/name`` for ``ns/knp.default.name``, ``Calico NetworkPolicy ns/name``,
    ``GlobalNetworkPolicy name``); a namespace's default allow (tier ``__PROFILE__``) names none.
    """
    return _read(paths, "calico")


# ---- either ------------------------------------------------------------------------------------------------


def _detect(value: Any, where: Where) -> str:
    """The format of a file, from its first record."""
    if isinstance(value, Mapping):
        if any(k in value for k in ("flow", *_HUBBLE_NON_FLOWS)):
            return "hubble"
        if "action" in value and "reporter" in value:
            return "calico"
    raise PolicyError(
        'not a Hubble flow ({"flow": {...}}) nor a Calico flow log record (with action and reporter)',
        where=where,
    )


def _read(paths: Iterable[str | os.PathLike[str]], format: str) -> pd.DataFrame:
    """The rows of every file, each file read once (``format`` "auto": each file by its first record)."""
    rows: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for path in paths:
        kind = None if format == "auto" else format
        for value, where, number in _records(path):
            if kind is None:
                kind = _detect(value, where)
            row = _hubble_row(value, where, number, skipped) if kind == "hubble" else _calico_row(value, where, number)
            if row is not None:
                rows.append(row)
    return _frame(rows, skipped)


def read_flows(*paths: str | os.PathLike[str], format: str = "auto") -> pd.DataFrame:
    """Flow records of Hubble or Calico files into one DataFrame (columns :data:`FLOW_RECORD_COLUMNS`).

    ``format``: "hubble", "calico" or "auto" (each file by its first record). ``frame.attrs["skipped"]`` counts
    the records left out (Hubble lines that are not flows, L7 and socket flows).
    """
    if format not in (*FORMATS, "auto"):
        raise ValueError(f"format must be one of {', '.join(FORMATS)} or 'auto', got {format!r}")
    if not paths:
        raise ValueError("read_flows() needs at least one file")
    return _read(paths, format)
