"""Reading one rule of any dialect: its field paths, its ports, and its two sides as columns whatever the port.

The engines ask a rule one question per port (``Dialect.rule_columns``); the analysis also asks port-free ones:
which endpoints its peer side matches at all, which of its policy's endpoints its own side holds for, which
ports it names and where they are written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netpolkit.engine.dialects.admin import AdminNetworkPolicyDialect, ClusterNetworkPolicyDialect
from netpolkit.engine.dialects.base import Dialect
from netpolkit.engine.dialects.calico import Calico
from netpolkit.engine.dialects.cilium import Cilium
from netpolkit.engine.dialects.kubernetes import Kubernetes
from netpolkit.engine.plan import Entry
from netpolkit.model.calico import CalicoPolicy
from netpolkit.model.cilium import CiliumPolicy
from netpolkit.model.k8s import NetworkPolicy
from netpolkit.model.ports import PROTOCOLS

__all__ = [
    "RulePorts",
    "declares",
    "destination_column",
    "entry_path",
    "local_column",
    "peer_column",
    "peer_field",
    "rule_path",
    "rule_ports",
]

ADMIN_DIALECTS = (ClusterNetworkPolicyDialect, AdminNetworkPolicyDialect)


def rule_path(policy: Any, direction: str, index: int, rule: Any) -> str:
    """The field path of a rule: ``spec.ingress[0]``; a Cilium rule knows its own (``specs[1].egressDeny[0]``)."""
    return getattr(rule, "path", None) or f"spec.{direction.lower()}[{index}]"


def entry_path(entry: Entry, direction: str) -> str:
    """The field path of a plan entry's rule (its number counts every rule as written, Log rules too)."""
    return rule_path(entry.policy, direction, entry.number - 1, entry.rule.rule)


def peer_field(dialect: Dialect, direction: str) -> str:
    """The field that holds a rule's peers: ``from``/``to``, Calico's ``source``/``destination``."""
    if isinstance(dialect, Calico):
        return "source" if direction == "Ingress" else "destination"
    return "from" if direction == "Ingress" else "to"


# ---- the two sides, whatever the port ---------------------------------------------------------------------------


def peer_column(dialect: Dialect, policy: Any, rule: Any, direction: str) -> np.ndarray | None:
    """The endpoints the rule's peer side matches, whatever the port (None for a dialect this does not know).

    The peer is the source of an ingress rule and the destination of an egress one.
    """
    if isinstance(dialect, Kubernetes):
        return dialect.peers(rule, policy.namespace)
    if isinstance(dialect, Calico):
        entity = rule.source if direction == "Ingress" else rule.destination
        return dialect.entity_column(entity, policy.namespace)
    if isinstance(dialect, ADMIN_DIALECTS):
        return dialect.peers_column(rule)
    if isinstance(dialect, Cilium):
        return dialect.peer_column(rule)
    return None


def local_column(dialect: Dialect, policy: Any, rule: Any, direction: str) -> np.ndarray:
    """The endpoints of the policy the rule protects, whatever the port: the policy's subject, narrowed by the
    criteria a rule puts on its own side (Calico's ``destination`` of an ingress rule, ``source`` of an egress
    one; a Cilium rule's own spec)."""
    subject = np.asarray(dialect.subject(policy), dtype=bool)
    if isinstance(dialect, Calico):
        entity = rule.destination if direction == "Ingress" else rule.source
        return subject & dialect.entity_column(entity, policy.namespace)
    if isinstance(dialect, Cilium):
        return subject & dialect.spec_subject(policy.specs[rule.spec])
    return subject


def destination_column(dialect: Dialect, policy: Any, rule: Any, direction: str) -> np.ndarray | None:
    """The endpoints the rule's connections go to, whatever the port: its protected endpoints for ingress, its
    peers for egress (where named ports resolve)."""
    if direction == "Ingress":
        return local_column(dialect, policy, rule, direction)
    return peer_column(dialect, policy, rule, direction)


def declares(named_ports: tuple, rows: Iterable[int], name: str, protocols: tuple[str, ...]) -> bool:
    """Whether some endpoint of ``rows`` declares a container port ``name`` for one of ``protocols``."""
    return any((name, p) in named_ports[e] for e in rows for p in protocols)


# ---- ports ---------------------------------------------------------------------------------------------------------


@dataclass
class RulePorts:
    """The ports a rule names: single numbers, names, and whether it also admits others (no restriction, ranges)."""

    numbered: list[tuple[str, str, int]] = field(default_factory=list)  # (field path, protocol, number)
    named: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)  # (path, name, protocols)
    other: bool = False  # every port, a range, or a protocol without a port

    @property
    def only_named(self) -> bool:
        """Whether every port the rule admits is a named one (so it matches nothing where no name resolves)."""
        return bool(self.named) and not self.numbered and not self.other


def rule_ports(policy: Any, direction: str, index: int, rule: Any) -> RulePorts:
    """The ports of one rule, with the field path of each."""
    base = rule_path(policy, direction, index, rule)
    out = RulePorts()
    if isinstance(policy, NetworkPolicy):
        out.other = not rule.ports
        for j, spec in enumerate(rule.ports):
            if isinstance(spec.port, str):
                out.named.append((f"{base}.ports[{j}].port", spec.port, (spec.protocol,)))
            elif isinstance(spec.port, int) and spec.end_port is None:
                out.numbered.append((f"{base}.ports[{j}].port", spec.protocol, spec.port))
            else:
                out.other = True
    elif isinstance(policy, CalicoPolicy):
        out.other = not rule.destination.ports
        protocols = (rule.protocol,) if rule.protocol else PROTOCOLS
        for j, port in enumerate(rule.destination.ports):
            if port.name:
                out.named.append((f"{base}.destination.ports[{j}]", port.name, protocols))
            elif port.low == port.high and rule.protocol in PROTOCOLS:
                out.numbered.append((f"{base}.destination.ports[{j}]", rule.protocol, port.low))
            else:
                out.other = True
    elif isinstance(policy, CiliumPolicy):  # the model flattens toPorts entries: paths stop at toPorts
        out.other = rule.ports is None and not rule.icmp_only
        for port in rule.ports or ():
            if isinstance(port.port, str):
                out.named.append((f"{base}.toPorts", port.port, port.protocols))
            elif port.end_port is None:
                out.numbered.extend((f"{base}.toPorts", p, port.port) for p in port.protocols)
            else:
                out.other = True
    else:  # ClusterNetworkPolicy / AdminNetworkPolicy / BaselineAdminNetworkPolicy
        ports = getattr(rule, "ports", ())
        out.other = not ports
        for j, port in enumerate(ports):
            path = _admin_port_path(policy, base, j, port)
            if port.name:
                out.named.append((path, port.name, PROTOCOLS))
            elif port.start == port.end:
                out.numbered.append((path, port.protocol, port.start))
            else:
                out.other = True
    return out


def _admin_port_path(policy: Any, base: str, j: int, port: Any) -> str:
    if policy.kind == "ClusterNetworkPolicy":
        if port.name:
            return f"{base}.protocols[{j}].destinationNamedPort"
        leaf = "number" if port.start == port.end else "range"
        return f"{base}.protocols[{j}].{port.protocol.lower()}.destinationPort.{leaf}"
    if port.name:
        return f"{base}.ports[{j}].namedPort"
    return f"{base}.ports[{j}].portNumber.port" if port.start == port.end else f"{base}.ports[{j}].portRange"
