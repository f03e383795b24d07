"""Observed versus predicted: probes on a live cluster, compared cell by cell with a :class:`Reachability`.

:func:`probe_matrix` takes pairs (source endpoint, destination endpoint, pod port, and how the client addresses the
destination: a Service name, a DNS name, or the pod IP), finds a running pod for each endpoint of the prediction
in the live cluster's objects (:func:`live_pods`, from :func:`netpolkit.io.live.fetch_objects`), probes through a
:class:`~netpolkit.io.probe.Prober` and returns a :class:`ProbeMatrix`: one row per pair with the prediction, what
was observed, whether they agree, and the likely reason when they do not:

- every pair predicted blocked went through: the network plugin does not seem to enforce NetworkPolicy (kind's
  default CNI, kindnet, and flannel enforce none);
- a probe by name failed at the name lookup while the source's DNS egress is predicted blocked: a DNS rule is
  missing (the prediction is about the pod port; the client never got that far);
- self traffic (a pod to itself) is implementation-defined (DESIGN.md): plugins differ, the cell is marked, not
  counted as a mismatch;
- refused: the packet arrived but nothing listens (or the plugin rejects instead of dropping);
- pairs that cannot be probed (the source is not a pod, UDP, no running pod) are listed with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from netpolkit.io.probe import Observation, ProbeError, Prober, Source, Target
from netpolkit.matrix import Reachability

__all__ = [
    "CELL_COLUMNS",
    "LivePod",
    "ProbeMatrix",
    "ProbePair",
    "live_pods",
    "probe_matrix",
    "target_for",
]

CELL_COLUMNS = (
    "src",
    "dst",
    "protocol",
    "port",
    "via",
    "target",
    "predicted",
    "observed",
    "outcome",
    "match",
    "implementation_defined",
    "reason",
    "tool",
    "command",
    "detail",
)
NOT_ENFORCING = (
    "the network plugin does not seem to enforce NetworkPolicy: every connection predicted blocked went through"
)
SELF_TRAFFIC = "self traffic: implementation-defined (plugins differ; DESIGN.md), not counted as a mismatch"
_DNS_LABELS = {"k8s-app": "kube-dns"}
_SVC = re.compile(r"^svc\s+(?P<host>[A-Za-z0-9.-]+):(?P<port>\d+)")
_DNS_SERVICE = re.compile(r"^DNS\s+(?P<host>[A-Za-z0-9.-]+),\s*Service port\s+(?P<port>\d+)")
_DNS_NAME = re.compile(r"^DNS name(?:\s+(?P<host>[A-Za-z0-9.-]+))?\s*$")


@dataclass(frozen=True)
class ProbePair:
    """One cell to probe: ``src`` -> ``dst`` (endpoint ids of the prediction) on the destination pod ``port``.

    ``via`` says how the client addresses the destination, in the tutorials' words: ``"svc db:15984"`` (a
    Service name and port), ``"DNS name www.example.com"`` / ``"DNS name"`` (an external's name), anything else or
    None: the destination pod's IP (or an external's address) on ``port``.
    """

    src: str
    dst: str
    port: int
    protocol: str = "TCP"
    via: str | None = None


@dataclass(frozen=True)
class LivePod:
    """A running pod of the live cluster: where to exec (``container``) and its IP."""

    namespace: str
    name: str
    ip: str | None
    container: str | None
    labels: Mapping[str, str]

    @property
    def source(self) -> Source:
        """This pod as a probe source."""
        return Source(self.namespace, self.name, self.container)


def _running(obj: Mapping[str, Any]) -> LivePod | None:
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    if obj.get("kind", "Pod") != "Pod" or status.get("phase") != "Running" or meta.get("deletionTimestamp"):
        return None
    containers = spec.get("containers") or []
    first = containers[0].get("name") if containers and isinstance(containers[0], dict) else None
    return LivePod(
        str(meta.get("namespace", "default")),
        str(meta.get("name", "")),
        status.get("podIP"),
        first,
        dict(meta.get("labels") or {}),
    )


def live_pods(objects: Iterable[Mapping[str, Any]], predicted: Reachability) -> dict[str, LivePod]:
    """For each pod endpoint of the prediction, a running pod of the live cluster that stands for it.

    ``objects``: live objects as :func:`netpolkit.io.live.fetch_objects` returns them. A pod endpoint
    ``ns/name`` (a workload, with ``replicas="one"``) matches a running pod of namespace ``ns`` named ``name``, or
    named ``name-...`` that carries every label of the endpoint (a Deployment's pods); the first by name wins.
    Endpoints with no such pod are left out (:func:`probe_matrix` reports them as not probed).
    """
    running = [p for p in (_running(o) for o in objects if (o.get("kind") or "Pod") == "Pod") if p is not None]
    pods = predicted.cluster.pods
    found: dict[str, LivePod] = {}
    for endpoint, row in pods.iterrows():
        namespace, name, labels = row["namespace"], row["name"], dict(row["labels"] or {})
        candidates = sorted(
            (
                p
                for p in running
                if p.namespace == namespace
                and (
                    p.name == name
                    or (p.name.startswith(f"{name}-") and all(p.labels.get(k) == v for k, v in labels.items()))
                )
            ),
            key=lambda p: (p.name != name, p.name),
        )
        if candidates:
            found[str(endpoint)] = candidates[0]
    return found


def target_for(pair: ProbePair, predicted: Reachability, pods: Mapping[str, LivePod]) -> Target | str:
    """Where the source connects for ``pair``, or why the pair cannot be probed (a string)."""
    if pair.protocol.upper() != "TCP":
        return f"not probed: {pair.protocol} has no handshake a probe can observe"
    via = (pair.via or "").strip()
    for pattern in (_SVC, _DNS_SERVICE):
        match = pattern.match(via)
        if match is not None:
            return Target(match["host"], int(match["port"]))
    endpoints = predicted.cluster.endpoints
    dst = predicted.endpoint_id(pair.dst)
    if endpoints.loc[dst, "kind"] == "external":
        match = _DNS_NAME.match(via)
        if match is not None:
            return Target(match["host"] or str(endpoints.loc[dst, "name"]), pair.port)
        return Target(str(endpoints.loc[dst, "ip"]), pair.port)
    pod = pods.get(dst)
    if pod is None or not pod.ip:
        return f"not probed: no running pod with an IP for {dst} in the live cluster"
    return Target(pod.ip, pair.port)


@dataclass
class ProbeMatrix:
    """Observed versus predicted, one row per probed pair (columns :data:`CELL_COLUMNS`).

    ``predicted``/``observed`` are booleans (``observed`` is None for a pair that was not probed); ``match`` is
    None where nothing was observed; ``reason`` explains every mismatch and every pair not probed.
    """

    cells: pd.DataFrame
    observations: tuple[Observation, ...] = ()

    def mismatches(self) -> pd.DataFrame:
        """The cells where observation and prediction disagree, implementation-defined cells (self traffic) left out."""
        cells = self.cells
        wrong = cells["match"].map(lambda m: m is False or (m is not None and not m))
        return cells[wrong & ~cells["implementation_defined"]]

    def not_probed(self) -> pd.DataFrame:
        """The pairs that could not be probed, with the reason."""
        return self.cells[self.cells["observed"].map(lambda o: o is None)]

    @property
    def agrees(self) -> bool:
        """Whether every probed cell (self traffic aside) matches the prediction."""
        return self.mismatches().empty

    @property
    def enforcing(self) -> bool | None:
        """False when every pair predicted blocked connected (the plugin enforces nothing); None if none was probed."""
        blocked = [
            bool(observed)
            for observed, predicted, own in zip(
                self.cells["observed"], self.cells["predicted"], self.cells["implementation_defined"], strict=True
            )
            if observed is not None and predicted is False and not own
        ]
        if not blocked:
            return None
        return not all(blocked)


def _dns_allowed(predicted: Reachability, src: str) -> bool | None:
    """Whether ``src`` may reach some cluster DNS pod on UDP 53, per the prediction (None: cannot tell)."""
    pods = predicted.cluster.pods
    dns = [
        str(e)
        for e, labels in pods["labels"].items()
        if all((labels or {}).get(k) == v for k, v in _DNS_LABELS.items())
    ]
    if not dns:
        return None
    try:
        return any(predicted.allowed(src, d, "UDP/53") for d in dns)
    except (KeyError, ValueError):
        return None  # UDP/53 was not evaluated


def _reason(row: Mapping[str, Any], predicted: Reachability, not_enforcing: bool) -> str:
    if row["implementation_defined"]:
        return SELF_TRAFFIC
    if row["match"] is None or row["match"]:
        return ""
    outcome = row["outcome"]
    if row["predicted"] is False and row["observed"] is True:
        if not_enforcing:
            return NOT_ENFORCING
        return (
            "predicted blocked but connected: a policy of the prediction is missing from the cluster, or the plugin "
            "does not enforce that policy's kind (check the profile)"
        )
    if outcome == "dns-failure":
        if _dns_allowed(predicted, row["src"]) is False:
            return (
                f"DNS egress missing: {row['src']} may not reach the cluster DNS on UDP 53, so the name lookup "
                "failed before any connection (the prediction is about the pod port)"
            )
        return "the name lookup failed although DNS is allowed: check the name and the cluster DNS"
    if outcome == "refused":
        return (
            f"connection refused: the packet arrived but nothing listens on port {row['port']} "
            "(or the plugin rejects instead of dropping)"
        )
    if outcome == "timeout":
        return (
            "predicted allowed but timed out: a policy the prediction does not know (another namespace, a "
            "plugin's own kinds), the server not listening yet, or the address unreachable"
        )
    return f"the probe failed: {row['detail']}"


def probe_matrix(
    prober: Prober,
    pairs: Sequence[ProbePair],
    predicted: Reachability,
    pods: Mapping[str, LivePod],
) -> ProbeMatrix:
    """Probe every pair from its source pod and compare with ``predicted``.

    ``pods``: endpoint id -> live pod (:func:`live_pods`). A source that is not a running pod, a UDP pair, or a
    source whose container cannot probe (:class:`~netpolkit.io.probe.ProbeError`) gives a row with ``observed``
    None and the reason. Raises :class:`~netpolkit.matrix.UnknownEndpointError` for an id not in the prediction.
    """
    rows: list[dict[str, Any]] = []
    observations: list[Observation] = []
    for pair in pairs:
        src, dst = predicted.endpoint_id(pair.src), predicted.endpoint_id(pair.dst)
        port_spec = f"{pair.protocol.upper()}/{int(pair.port)}"
        try:
            expected: bool | None = bool(predicted.allowed(src, dst, port_spec))
        except (KeyError, ValueError):
            expected = None
        row: dict[str, Any] = {
            "src": src,
            "dst": dst,
            "protocol": pair.protocol.upper(),
            "port": int(pair.port),
            "via": pair.via,
            "target": None,
            "predicted": expected,
            "observed": None,
            "outcome": None,
            "match": None,
            "implementation_defined": src == dst,
            "reason": "",
            "tool": None,
            "command": None,
            "detail": "",
        }
        rows.append(row)
        source = pods.get(src)
        if source is None:
            kind = predicted.cluster.endpoints.loc[src, "kind"]
            row["reason"] = (
                f"not probed: {src} is not a pod" if kind != "pod" else f"not probed: no running pod for {src}"
            )
            continue
        target = target_for(pair, predicted, pods)
        if isinstance(target, str):
            row["reason"] = target
            continue
        row["target"] = str(target)
        try:
            observation = prober.probe(source.source, target)
        except ProbeError as exc:
            row["reason"] = f"not probed: {exc}"
            continue
        observations.append(observation)
        row.update(
            observed=observation.connected,
            outcome=observation.outcome,
            tool=observation.tool,
            command=" ".join(observation.command),
            detail=observation.detail,
        )
        if observation.outcome == "error":
            row["observed"] = None
            row["reason"] = f"not observed: the probe failed ({observation.detail})"
            continue
        if expected is not None:
            row["match"] = observation.connected == expected
    blocked = [
        r for r in rows if r["observed"] is not None and not r["implementation_defined"] and r["predicted"] is False
    ]
    not_enforcing = bool(blocked) and all(r["observed"] for r in blocked)
    for row in rows:
        if not row["reason"]:
            row["reason"] = _reason(row, predicted, not_enforcing)
    cells = pd.DataFrame(rows, columns=list(CELL_COLUMNS)).astype(
        {"predicted": object, "observed": object, "match": object, "implementation_defined": bool}
    )
    return ProbeMatrix(cells, tuple(observations))
