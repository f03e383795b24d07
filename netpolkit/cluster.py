"""Cluster: namespaces, pods (workloads expanded), Services, external endpoints and policies, as DataFrames.

A :class:`Cluster` is immutable: :meth:`Cluster.apply`, :meth:`Cluster.delete` and :meth:`Cluster.label_namespace`
return new clusters, which is how tutorial steps are replayed. :meth:`Cluster.commit_staged` is the what-if of
Calico's staged policies: the cluster as if they were committed.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from netpolkit.errors import PolicyError, Where, excerpt
from netpolkit.model import Namespace, Service, Unsupported, Workload, object_key, parse_object
from netpolkit.model.calico import StagedPolicy
from netpolkit.model.document import Document
from netpolkit.model.k8s import parse_address
from netpolkit.model.labels import check_label_key, check_label_value
from netpolkit.model.ports import PortQuery
from netpolkit.runtime import progress, quiet_gc
from netpolkit.selectors import LabelTable

__all__ = ["EXTERNAL", "Cluster", "EndpointTable"]

EXTERNAL = "external"
_CALICO_ONLY_KINDS = frozenset(
    {"GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy"}
)
_POD_NET = ipaddress.ip_network("10.244.0.0/14")


@dataclass(frozen=True)
class EndpointTable:
    """Everything the evaluators need about endpoints, as arrays aligned with ``ids``."""

    ids: tuple[str, ...]
    is_pod: np.ndarray  # bool
    namespace_index: np.ndarray  # int32 into ``namespaces``; -1 for externals
    namespaces: tuple[str, ...]
    labels: tuple[Mapping[str, str], ...]
    namespace_labels: tuple[Mapping[str, str], ...]  # one per entry of ``namespaces``
    ips: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]
    named_ports: tuple[Mapping[tuple[str, str], int], ...]  # (name, protocol) -> number, per endpoint
    service_accounts: tuple[str, ...]
    host_network: np.ndarray  # bool: a pod on the node's network (spec.hostNetwork); False for externals

    @cached_property
    def pod_labels(self) -> LabelTable:
        """Labels of every endpoint (externals have none)."""
        return LabelTable(self.labels)

    @cached_property
    def namespace_table(self) -> LabelTable:
        """Labels of every namespace, aligned with ``namespaces``."""
        return LabelTable(self.namespace_labels)

    @cached_property
    def calico_labels(self) -> LabelTable:
        """Labels as Calico sees them: plus projectcalico.org/namespace, /serviceaccount and /orchestrator."""
        rows = []
        for e, labels in enumerate(self.labels):
            if self.is_pod[e]:
                extra = {
                    "projectcalico.org/namespace": self.namespaces[self.namespace_index[e]],
                    "projectcalico.org/serviceaccount": self.service_accounts[e],
                    "projectcalico.org/orchestrator": "k8s",
                }
                rows.append({**labels, **extra})
            else:
                rows.append({})
        return LabelTable(rows)

    @cached_property
    def calico_namespace_table(self) -> LabelTable:
        """Namespace labels as Calico sees them: plus ``projectcalico.org/name``."""
        return LabelTable(
            [
                {**labels, "projectcalico.org/name": name}
                for name, labels in zip(self.namespaces, self.namespace_labels, strict=True)
            ]
        )

    @cached_property
    def service_account_table(self) -> LabelTable:
        """Each endpoint's service account as Calico labels it (``projectcalico.org/name``)."""
        return LabelTable([{"projectcalico.org/name": sa} if sa else {} for sa in self.service_accounts])

    @cached_property
    def index(self) -> dict[str, int]:
        """Endpoint id -> row."""
        return {e: i for i, e in enumerate(self.ids)}

    def take(self, rows: np.ndarray) -> EndpointTable:
        """The table of only these endpoints (in this order); namespaces stay as they are."""
        pick = [int(r) for r in rows]
        return EndpointTable(
            ids=tuple(self.ids[r] for r in pick),
            is_pod=self.is_pod[pick],
            namespace_index=self.namespace_index[pick],
            namespaces=self.namespaces,
            labels=tuple(self.labels[r] for r in pick),
            namespace_labels=self.namespace_labels,
            ips=tuple(self.ips[r] for r in pick),
            named_ports=tuple(self.named_ports[r] for r in pick),
            service_accounts=tuple(self.service_accounts[r] for r in pick),
            host_network=self.host_network[pick],
        )

    def __len__(self) -> int:
        return len(self.ids)


class Cluster:
    """An immutable model of a cluster's state. Build it with :func:`netpolkit.load` or :meth:`from_objects`."""

    def __init__(
        self,
        objects: Mapping[tuple[str, str, str], Any],
        externals: Mapping[str, str] | None = None,
        *,
        replicas: str = "one",
        default_namespace: str = "default",
        sources: Mapping[tuple[str, str, str], Where] | None = None,
        warnings: Iterable[str] = (),
        manifests: Mapping[tuple[str, str, str], bytes | Mapping[str, Any]] | None = None,
    ) -> None:
        if replicas not in ("one", "all"):
            raise ValueError(f"replicas must be 'one' or 'all', got {replicas!r}")
        self.warnings: tuple[str, ...] = tuple(dict.fromkeys(warnings))
        """What loading left out (only with ``unsupported="ignore"``); every result built on it repeats these."""
        self.engine_cache: dict[Any, Any] = {}
        """Scratch space of the evaluators for these endpoints, shared with the clusters that :meth:`apply` and
        :meth:`delete` derive when only policies change (so a what-if reuses what the change does not touch)."""
        self._objects = dict(objects)
        self._sources = dict(sources or {})
        # Each object's manifest as it was read, for netpolkit.io.snapshot: compact UTF-8 JSON (a sixth of the
        # memory the decoded dict would hold on to), or the dict itself when it is not JSON data.
        self._manifests = dict(manifests or {})
        self._externals = _parse_externals(externals or {})
        self.replicas = replicas
        self.default_namespace = default_namespace

    # ---- construction -------------------------------------------------------------------------------------

    @classmethod
    def from_objects(
        cls,
        objects: Iterable[Mapping[str, Any] | Document],
        externals: Mapping[str, str] | None = None,
        *,
        replicas: str = "one",
        default_namespace: str = "default",
        source: str = "<objects>",
        unsupported: str = "error",
    ) -> Cluster:
        """Build a cluster from manifest dicts (as ``kubectl get -o json`` prints them) or Documents.

        Kinds: Namespace, Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob,
        Service, NetworkPolicy (and the Calico kinds once their dialect is loaded); other kinds are skipped with a
        warning. Raises :class:`~netpolkit.PolicyError` on the first bad object; nothing is half-loaded.

        A policy netpolkit cannot evaluate (an unknown kind or version in a policy API group, or a feature that
        changes verdicts and is not modelled) is an error; ``unsupported="ignore"`` leaves it out and keeps a
        warning in ``Cluster.warnings``.
        """
        docs = [o if isinstance(o, Document) else Document(o, Where(source, i)) for i, o in enumerate(objects)]
        return cls.from_documents(
            docs, externals, replicas=replicas, default_namespace=default_namespace, unsupported=unsupported
        )

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[Document],
        externals: Mapping[str, str] | None = None,
        *,
        replicas: str = "one",
        default_namespace: str = "default",
        replace: bool = False,
        unsupported: str = "error",
    ) -> Cluster:
        """Like :meth:`from_objects`, for Documents that remember their file (see ``netpolkit.io``).

        ``replace=True``: a later object with the same kind/namespace/name replaces an earlier one, as applying the
        documents in order would; otherwise such a duplicate is an error.
        """
        sink = Unsupported(unsupported)
        with quiet_gc():
            parsed, sources, manifests = _parse_all(documents, default_namespace, allow_replace=replace, sink=sink)
        cluster = cls(
            parsed,
            externals,
            replicas=replicas,
            default_namespace=default_namespace,
            sources=sources,
            warnings=sink.warnings,
            manifests=manifests,
        )
        cluster._check_endpoint_ids()
        return cluster

    def _check_endpoint_ids(self) -> None:
        """Two objects that would become the same endpoint id (a Pod and a workload of one name) are an error."""
        seen: dict[str, Workload] = {}
        for pod_id, workload, _ in self._pods:
            if pod_id in seen:
                first = self.source_of(seen[pod_id])
                where = self.source_of(workload) or Where()
                also = f" (also {seen[pod_id].kind} in {_place(first)})" if first else ""
                raise PolicyError(
                    f"{workload.kind} {pod_id} would be the endpoint {pod_id!r} a second time{also}; rename one",
                    where=where.with_obj(f"{workload.kind} {pod_id}"),
                )
            seen[pod_id] = workload

    def _replace(
        self,
        objects: dict,
        sources: dict,
        manifests: dict,
        warnings: Iterable[str] = (),
        *,
        changed: Iterable[Any] | None = None,
    ) -> Cluster:
        new = Cluster(
            objects,
            {n: str(ip) for n, ip in self._externals.items()},
            replicas=self.replicas,
            default_namespace=self.default_namespace,
            sources=sources,
            warnings=(*self.warnings, *warnings),
            manifests=manifests,
        )
        if "table" in self.__dict__ and _same_endpoints(self._objects, objects, changed):
            # Only policies changed (a what-if): the endpoints, and what the engines built over them, carry over.
            new.__dict__["table"] = self.table
            new.engine_cache = self.engine_cache
        return new

    def apply(
        self,
        objects: Iterable[Mapping[str, Any] | Document],
        *,
        source: str = "<apply>",
        unsupported: str = "error",
    ) -> Cluster:
        """A new cluster with ``objects`` applied: one with the same kind/namespace/name replaces the old one."""
        docs = [o if isinstance(o, Document) else Document(o, Where(source, i)) for i, o in enumerate(objects)]
        sink = Unsupported(unsupported)
        parsed, sources, manifests = _parse_all(docs, self.default_namespace, allow_replace=True, sink=sink)
        return self._replace(
            {**self._objects, **parsed},
            {**self._sources, **sources},
            {**self._manifests, **manifests},
            sink.warnings,
            changed=parsed.keys(),
        )

    def delete(self, kind: str, namespace: str | None, name: str, *, api_version: str | None = None) -> Cluster:
        """A new cluster without the object ``kind namespace/name`` (KeyError when there is none).

        Give ``api_version="projectcalico.org/v3"`` to delete a Calico NetworkPolicy rather than a Kubernetes one
        (kinds only Calico has, GlobalNetworkPolicy and the staged kinds, need no api_version).
        """
        calico = (api_version is not None and "projectcalico.org" in api_version) or kind in _CALICO_ONLY_KINDS
        key = (f"projectcalico.org/{kind}" if calico and kind != "Tier" else kind, namespace or "", name)
        if key not in self._objects:
            raise KeyError(f"no {kind} {namespace + '/' if namespace else ''}{name} in this cluster")
        objects = {k: v for k, v in self._objects.items() if k != key}
        sources = {k: v for k, v in self._sources.items() if k != key}
        manifests = {k: v for k, v in self._manifests.items() if k != key}
        return self._replace(objects, sources, manifests, changed=[key])

    def label_namespace(self, name: str, labels: Mapping[str, str]) -> Cluster:
        """A new cluster where namespace ``name`` also carries ``labels`` (like ``kubectl label ns``)."""
        problems = [
            f"{k}: {p}"
            for k, v in labels.items()
            if (
                p := (check_label_key(k) if isinstance(k, str) else "label keys must be strings")
                or (check_label_value(v) if isinstance(v, str) else f"value must be a string, got {excerpt(v)}")
            )
        ]
        if problems:
            raise PolicyError("; ".join(problems), where=Where(obj=f"Namespace {name}"), path="metadata.labels")
        current = self.namespace_objects.get(name, Namespace(name, {"kubernetes.io/metadata.name": name}))
        # The API server always keeps kubernetes.io/metadata.name equal to the namespace's name.
        merged = Namespace(name, {**current.labels, **labels, "kubernetes.io/metadata.name": name})
        key = ("Namespace", "", name)
        manifest = self.manifest_of(current) if key in self._objects else None
        if manifest is None:  # a namespace only its objects named: now a Namespace object of its own
            manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        manifest["metadata"] = {**manifest.get("metadata", {}), "labels": dict(merged.labels)}
        return self._replace(
            {**self._objects, key: merged}, self._sources, {**self._manifests, key: _encode_manifest(manifest)}
        )

    def with_externals(self, externals: Mapping[str, str]) -> Cluster:
        """A new cluster with these external endpoints added (or replaced)."""
        current = {n: str(ip) for n, ip in self._externals.items()}
        return Cluster(
            self._objects,
            {**current, **externals},
            replicas=self.replicas,
            default_namespace=self.default_namespace,
            sources=self._sources,
            warnings=self.warnings,
            manifests=self._manifests,
        )

    # ---- the objects ---------------------------------------------------------------------------------------

    @property
    def objects(self) -> tuple[Any, ...]:
        """Every parsed object, in load order."""
        return tuple(self._objects.values())

    def source_of(self, obj: Any) -> Where | None:
        """Where an object was loaded from."""
        return self._sources.get(object_key(obj))

    def manifest_of(self, obj: Any) -> dict[str, Any] | None:
        """The manifest ``obj`` was parsed from, as it was read (a new dict on every call); None when unknown.

        Every object loaded or applied keeps its manifest; :meth:`label_namespace` writes the labels into the
        Namespace's (a namespace that only objects named gets a plain ``v1`` Namespace), :meth:`commit_staged`
        turns a staged policy's into the enforced one's. Only a Cluster built from parsed objects directly
        (``Cluster(objects)``) has none.
        """
        kept = self._manifests.get(object_key(obj))
        if kept is None:
            return None
        if isinstance(kept, bytes):
            return json.loads(kept)
        return copy.deepcopy(dict(kept))

    def commit_staged(self) -> Cluster:
        """A new cluster as if every Calico staged policy were committed: the what-if of staging.

        Committing follows Calico's ``Convert*ToEnforced`` (api/pkg/apis/projectcalico/v3/staged*networkpolicy.go):
        a ``stagedAction: Set`` creates, or replaces, the enforced policy of the same namespace and name
        (StagedKubernetesNetworkPolicy -> networking.k8s.io NetworkPolicy, StagedNetworkPolicy -> Calico
        NetworkPolicy, StagedGlobalNetworkPolicy -> GlobalNetworkPolicy); a ``Delete`` removes it (nothing happens
        when there is none). The committed staged policies are gone from the new cluster. ``Learn`` and ``Ignore``
        (Calico Enterprise's policy recommendation) are not committed: they stay staged, with a warning.

        >>> cluster = npk.load("state.yaml")                                      # doctest: +SKIP
        >>> npk.reachability(cluster.commit_staged(), ports=["TCP/80"], profile="calico")  # doctest: +SKIP
        """
        objects = dict(self._objects)
        sources = dict(self._sources)
        manifests = dict(self._manifests)
        notes = []
        for key, staged in self._objects.items():
            if not isinstance(staged, StagedPolicy):
                continue
            if staged.staged_action not in ("Set", "Delete"):
                where = (self._sources.get(key) or Where()).with_obj(staged.ref)
                problem = PolicyError(
                    f"stagedAction {staged.staged_action} is not committed (only Set and Delete are): left staged",
                    where=where,
                    path="spec.stagedAction",
                )
                notes.append(str(problem))
                continue
            del objects[key]
            source = sources.pop(key, None)
            manifest = self.manifest_of(staged)
            manifests.pop(key, None)
            if staged.staged_action == "Set":
                objects[staged.target] = staged.policy
                if source is not None:
                    sources[staged.target] = source
                manifests.pop(staged.target, None)
                if manifest is not None:
                    manifests[staged.target] = _encode_manifest(_committed_manifest(manifest, staged))
            else:
                objects.pop(staged.target, None)
                sources.pop(staged.target, None)
                manifests.pop(staged.target, None)
        return self._replace(objects, sources, manifests, notes)

    @cached_property
    def policy_objects(self) -> tuple[Any, ...]:
        """Every enforced policy object (any dialect), in load order: what the engines evaluate.

        Calico's staged policies are not among them (see :attr:`staged_objects`).
        """
        return tuple(
            o
            for o in self._objects.values()
            if not isinstance(o, Namespace | Workload | Service | StagedPolicy) and o.kind != "Tier"
        )

    @cached_property
    def staged_objects(self) -> tuple[StagedPolicy, ...]:
        """Calico's staged policies (StagedNetworkPolicy, StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy),
        in load order: never enforced; :meth:`commit_staged` evaluates them as if committed."""
        return tuple(o for o in self._objects.values() if isinstance(o, StagedPolicy))

    @cached_property
    def tier_objects(self) -> tuple[Any, ...]:
        """Calico Tier objects."""
        return tuple(o for o in self._objects.values() if getattr(o, "kind", "") == "Tier")

    @cached_property
    def namespace_objects(self) -> dict[str, Namespace]:
        """Namespaces by name: the declared ones plus every namespace an object lives in."""
        found = {o.name: o for o in self._objects.values() if isinstance(o, Namespace)}
        for obj in self._objects.values():
            ns = getattr(obj, "namespace", "")
            if ns and ns not in found:
                found[ns] = Namespace(ns, {"kubernetes.io/metadata.name": ns})
        return dict(sorted(found.items()))

    @cached_property
    def externals(self) -> dict[str, Any]:
        """External endpoints: name -> IP address."""
        return dict(self._externals)

    @cached_property
    def _pods(self) -> list[tuple[str, Workload, str]]:
        """(endpoint id, workload, pod name) for every pod endpoint, sorted by namespace and name."""
        workloads = [o for o in self._objects.values() if isinstance(o, Workload)]
        if any(w.controlled for w in workloads):
            skipped = [w for w in workloads if w.kind != "Pod"]
            if skipped:
                warnings.warn(
                    f"{len(skipped)} workload objects ignored: the export holds their pods, which are the truth",
                    stacklevel=3,
                )
            workloads = [w for w in workloads if w.kind == "Pod"]
        pods = []
        for w in workloads:
            if self.replicas == "all" and w.kind != "Pod":
                names = [f"{w.name}-{i}" for i in range(w.replicas)]
            else:
                names = [w.name]
            pods.extend((f"{w.namespace}/{n}", w, n) for n in names)
        pods.sort(key=lambda p: (p[1].namespace, p[2]))
        return pods

    @cached_property
    def table(self) -> EndpointTable:
        """Endpoints (pods then externals) as arrays for the evaluators."""
        with quiet_gc():
            return self._table()

    def _table(self) -> EndpointTable:
        namespaces = tuple(self.namespace_objects)
        ns_index = {n: i for i, n in enumerate(namespaces)}
        ids, labels, ips, named, accounts, nsi, host = [], [], [], [], [], [], []
        declared = {w.ip: parse_address(w.ip) for _, w, _ in self._pods if w.ip and w.kind == "Pod"}
        taken = {ip for ip in self._externals.values()} | set(declared.values())
        for pod_id, w, _ in self._pods:
            ids.append(pod_id)
            labels.append(w.labels)
            nsi.append(ns_index[w.namespace])
            ip = declared[w.ip] if (w.ip and w.kind == "Pod") else _synthetic_ip(pod_id, taken)
            ips.append(ip)
            named.append({(p.name, p.protocol): p.number for p in w.ports if p.name})
            accounts.append(w.service_account)
            host.append(w.host_network)
        for name, ip in self._externals.items():
            ids.append(f"{EXTERNAL}/{name}")
            labels.append({})
            nsi.append(-1)
            ips.append(ip)
            named.append({})
            accounts.append("")
            host.append(False)
        duplicates = [i for i, n in Counter(ids).items() if n > 1] if len(set(ids)) != len(ids) else []
        if duplicates:
            raise PolicyError(f"two endpoints share the id {duplicates[0]!r} (a Pod and a workload of that name?)")
        return EndpointTable(
            ids=tuple(ids),
            is_pod=np.arange(len(ids)) < len(self._pods),
            namespace_index=np.array(nsi, dtype=np.int32),
            namespaces=namespaces,
            labels=tuple(labels),
            namespace_labels=tuple(self.namespace_objects[n].labels for n in namespaces),
            ips=tuple(ips),
            named_ports=tuple(named),
            service_accounts=tuple(accounts),
            host_network=np.array(host, dtype=bool),
        )

    # ---- DataFrames ----------------------------------------------------------------------------------------

    @cached_property
    def endpoints(self) -> pd.DataFrame:
        """Pods and external endpoints: kind, namespace, name, workload, replicas, ip, labels, ports."""
        rows = []
        table = self.table
        for (pod_id, w, name), ip in zip(self._pods, table.ips, strict=False):
            rows.append(
                {
                    "id": pod_id,
                    "kind": "pod",
                    "namespace": w.namespace,
                    "name": name,
                    "workload_kind": w.kind,
                    "workload": w.name,
                    "replicas": w.replicas,
                    "ip": str(ip),
                    "labels": dict(w.labels),
                    "ports": tuple(f"{p.protocol}/{p.number}" + (f" ({p.name})" if p.name else "") for p in w.ports),
                    "service_account": w.service_account,
                }
            )
        for name, ip in self._externals.items():
            rows.append(
                {
                    "id": f"{EXTERNAL}/{name}",
                    "kind": EXTERNAL,
                    "namespace": EXTERNAL,
                    "name": name,
                    "workload_kind": None,
                    "workload": name,
                    "replicas": 1,
                    "ip": str(ip),
                    "labels": {},
                    "ports": (),
                    "service_account": None,
                }
            )
        columns = [
            "id",
            "kind",
            "namespace",
            "name",
            "workload_kind",
            "workload",
            "replicas",
            "ip",
            "labels",
            "ports",
            "service_account",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("id")

    @property
    def pods(self) -> pd.DataFrame:
        """Pod endpoints only (index ``namespace/name``)."""
        frame = self.endpoints
        return frame[frame["kind"] == "pod"]

    @cached_property
    def namespaces(self) -> pd.DataFrame:
        """Namespaces (index = name) with their labels and pod counts."""
        counts = Counter(w.namespace for _, w, _ in self._pods)
        rows = [
            {"name": n, "labels": dict(ns.labels), "pods": counts.get(n, 0)} for n, ns in self.namespace_objects.items()
        ]
        return pd.DataFrame(rows, columns=["name", "labels", "pods"]).set_index("name")

    @cached_property
    def services(self) -> pd.DataFrame:
        """Services (index ``namespace/name``): type, selector, ports (port -> pod port) and backing pods."""
        rows = []
        for svc in (o for o in self._objects.values() if isinstance(o, Service)):
            rows.append(
                {
                    "id": f"{svc.namespace}/{svc.name}",
                    "namespace": svc.namespace,
                    "name": svc.name,
                    "type": svc.type,
                    "selector": dict(svc.selector),
                    "ports": tuple(f"{p.port}->{p.target_port}/{p.protocol}" for p in svc.ports),
                    "endpoints": tuple(self._service_backends(svc)),
                }
            )
        columns = ["id", "namespace", "name", "type", "selector", "ports", "endpoints"]
        return pd.DataFrame(rows, columns=columns).set_index("id")

    @cached_property
    def policies(self) -> pd.DataFrame:
        """Policies, one row each: kind, apiVersion, namespace, name, types, selector, rule counts, order, tier,
        source file, and ``staged`` / ``staged_action``: Calico's staged policies (listed after the enforced ones,
        never enforced) and their ``stagedAction`` (None for an enforced policy)."""
        rows = []
        for p in (*self.policy_objects, *self.staged_objects):
            where = self.source_of(p)
            staged = isinstance(p, StagedPolicy)
            body = p.policy if staged else p  # a staged Delete has no body
            rows.append(
                {
                    "policy": p.ref,
                    "kind": p.kind,
                    "api_version": p.api_version,
                    "namespace": getattr(p, "namespace", "") or None,
                    "name": p.name,
                    "types": tuple(getattr(body, "policy_types", ())),
                    "selector": _selector_text(body) if body is not None else "",
                    "ingress_rules": _rule_count(body, "Ingress") if body is not None else 0,
                    "egress_rules": _rule_count(body, "Egress") if body is not None else 0,
                    "order": getattr(body, "order", None),
                    "priority": getattr(body, "priority", None),
                    "tier": getattr(p, "tier", None),
                    "source": where.file if where else None,
                    "staged": staged,
                    "staged_action": p.staged_action if staged else None,
                }
            )
        columns = [
            "policy",
            "kind",
            "api_version",
            "namespace",
            "name",
            "types",
            "selector",
            "ingress_rules",
            "egress_rules",
            "order",
            "priority",
            "tier",
            "source",
            "staged",
            "staged_action",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("policy")

    # ---- Services --------------------------------------------------------------------------------------------

    @cached_property
    def _pods_by_label(self) -> dict[tuple[str, str, str], list[tuple[str, Workload]]]:
        """(namespace, label key, value) -> the pods carrying that label there, in endpoint order."""
        index: dict[tuple[str, str, str], list[tuple[str, Workload]]] = {}
        for pid, w, _ in self._pods:
            for key, value in w.labels.items():
                index.setdefault((w.namespace, key, value), []).append((pid, w))
        return index

    def _service_backends(self, svc: Service) -> list[str]:
        if not svc.selector:
            return []
        (key, value), *rest = sorted(svc.selector.items())
        candidates = self._pods_by_label.get((svc.namespace, key, value), [])
        return [pid for pid, w in candidates if all(w.labels.get(k) == v for k, v in rest)]

    def service_target(self, service: str, port: int | str, protocol: str | None = None) -> tuple[str, PortQuery]:
        """Translate ``Service:port`` to (a backing pod id, the pod port it reaches), as kube-proxy does.

        ``service`` is ``namespace/name``; ``port`` the Service port number or name. Policies see the pod port.
        """
        ns, _, name = service.rpartition("/")
        svc = self._objects.get(("Service", ns, name))
        if not isinstance(svc, Service):
            raise KeyError(f"no Service {service}")
        matches = [
            p
            for p in svc.ports
            if (p.port == port or p.name == port) and (protocol is None or p.protocol == protocol.upper())
        ]
        if not matches:
            raise KeyError(f"Service {service} has no port {port}")
        sport = matches[0]
        backends = self._service_backends(svc)
        if not backends:
            raise KeyError(f"Service {service} selects no pod")
        target = sport.target_port
        if isinstance(target, str):
            pod = self.table.named_ports[self.table.index[backends[0]]]
            if (target, sport.protocol) not in pod:
                raise KeyError(f"pod {backends[0]} has no container port named {target!r}")
            target = pod[(target, sport.protocol)]
        return backends[0], PortQuery(sport.protocol, target)

    def declared_ports(self) -> list[PortQuery]:
        """Every (protocol, port) that some pod declares as a container port, sorted."""
        found = {PortQuery(p.protocol, p.number) for _, w, _ in self._pods for p in w.ports}
        return sorted(found, key=lambda q: (q.port, q.protocol))

    def __repr__(self) -> str:
        def count(n: int, one: str, many: str) -> str:  # netpolkit.readable.plural sits above this layer
            return f"{n} {one if n == 1 else many}"

        counts = [
            count(len(self.namespace_objects), "namespace", "namespaces"),
            count(len(self._pods), "pod", "pods"),
            count(len(self._externals), "external", "externals"),
            count(len(self.policy_objects), "policy", "policies"),
        ]
        staged = [f"{len(self.staged_objects)} staged"] if self.staged_objects else []
        return f"<Cluster: {', '.join(counts + staged)}>"


def _parse_all(
    documents: Iterable[Document], default_namespace: str, *, allow_replace: bool, sink: Unsupported | None = None
):
    parsed: dict[tuple[str, str, str], Any] = {}
    sources: dict[tuple[str, str, str], Where] = {}
    manifests: dict[tuple[str, str, str], bytes | Mapping[str, Any]] = {}
    skipped: Counter[str] = Counter()
    documents = list(documents)
    for doc in progress(documents, total=len(documents), desc="netpolkit: loading"):
        before = len(sink.warnings) if sink is not None else 0
        obj = parse_object(doc.obj, doc.where, default_namespace=default_namespace, unsupported=sink)
        if obj is None and sink is not None and len(sink.warnings) > before:
            continue  # a policy left out under unsupported="ignore": its warning says so
        if obj is None:
            skipped[f"{doc.obj.get('kind')} ({doc.obj.get('apiVersion')})"] += 1
            continue
        key = object_key(obj)
        if key in parsed and not allow_replace:
            first = sources[key]
            raise PolicyError(
                f"duplicate {key[0]} {key[1] + '/' if key[1] else ''}{key[2]}: already defined in "
                f"{_place(first)} (to apply files in order, load with replace=True; "
                "CLI: --in-order)",
                where=doc.where.with_obj(
                    f"{key[0].removeprefix('projectcalico.org/')} {key[1] + '/' if key[1] else ''}{key[2]}"
                ),
            )
        parsed[key] = obj
        sources[key] = doc.where
        manifests[key] = _encode_manifest(doc.obj)
    if skipped:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(skipped.items()))
        warnings.warn(f"skipped objects of kinds netpolkit does not model: {kinds}", stacklevel=3)
    return parsed, sources, manifests


# Compact, and kept as read: no sorting, non-ASCII text as it is (UTF-8), no cycle check (decoded data has none).
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False)


def _encode_manifest(manifest: Mapping[str, Any]) -> bytes | Mapping[str, Any]:
    """A manifest as compact UTF-8 JSON; the mapping itself when it is not JSON data (snapshot says so)."""
    try:
        return _COMPACT_JSON.encode(manifest).encode("utf-8")
    except (TypeError, ValueError):  # a value JSON cannot hold (a set, bytes, a lone surrogate): keep it as it is
        return manifest


def _committed_manifest(manifest: dict[str, Any], staged: StagedPolicy) -> dict[str, Any]:
    """The enforced policy's manifest that committing ``staged`` makes (Calico's ``Convert*ToEnforced``: the
    same metadata and spec, without ``stagedAction``, under the enforced kind and apiVersion)."""
    kind = staged.target[0].removeprefix("projectcalico.org/")
    api_version = "networking.k8s.io/v1" if staged.kind == "StagedKubernetesNetworkPolicy" else staged.api_version
    spec = {k: v for k, v in (manifest.get("spec") or {}).items() if k != "stagedAction"}
    return {**manifest, "apiVersion": api_version, "kind": kind, "spec": spec}


def _place(where: Where) -> str:
    """A file and document as people read them: ``x.yaml, document 1``."""
    return ", ".join(str(part) for part in (where.file, where.document_text) if part is not None)


def _same_endpoints(
    before: Mapping[tuple[str, str, str], Any],
    after: Mapping[tuple[str, str, str], Any],
    changed: Iterable[tuple[str, str, str]] | None = None,
) -> bool:
    """Whether two object sets hold the same namespaces, workloads and Services (identical objects).

    ``changed``: the only keys whose objects may differ (a what-if's applied or deleted objects), so that a
    10,000-pod cluster is not compared object by object; None: compare everything.
    """
    if changed is not None:
        kinds = Namespace | Workload | Service
        return not any(
            before.get(k) is not after.get(k) and (isinstance(before.get(k), kinds) or isinstance(after.get(k), kinds))
            for k in changed
        )

    def endpoints(objects: Mapping[tuple[str, str, str], Any]) -> dict:
        return {k: id(v) for k, v in objects.items() if isinstance(v, Namespace | Workload | Service)}

    return endpoints(before) == endpoints(after)


def _rule_count(policy: Any, direction: str) -> int:
    """How many rules a policy has for a direction (every section of every dialect, as written)."""
    written = getattr(policy, direction.lower(), None)
    return len(written) if written is not None else len(policy.rules(direction))


def _selector_text(policy: Any) -> str:
    """Whom a policy applies to, in its own terms (podSelector, selector, subject, endpointSelector)."""
    for attribute in ("pod_selector", "selector", "subject"):
        value = getattr(policy, attribute, None)
        if value is not None:
            return str(value)
    return "; ".join(str(spec.subject) for spec in getattr(policy, "specs", ()))


def _parse_externals(externals: Mapping[str, str]) -> dict[str, Any]:
    out = {}
    for name, value in externals.items():
        if not isinstance(name, str) or not name or "/" in name or len(name) > 253:
            raise ValueError(f"external endpoint names must be non-empty and contain no '/', got {excerpt(name)}")
        text = str(value)
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError:
            raise ValueError(f"external {excerpt(name)}: {excerpt(text)} is not an IP address") from None
        if getattr(net.network_address, "scope_id", None):
            raise ValueError(f"external {excerpt(name)}: {excerpt(text)} has a zone (%...): give the address alone")
        if net.num_addresses != 1:
            raise ValueError(f"external {excerpt(name)}: give one address, not the range {excerpt(text)}")
        out[name] = net.network_address
    return out


def _synthetic_ip(pod_id: str, taken: set) -> ipaddress.IPv4Address:
    """A deterministic pod IP in 10.244.0.0/14 derived from the endpoint id (probing past collisions)."""
    digest = int.from_bytes(hashlib.sha256(pod_id.encode()).digest()[:8], "big")
    size = _POD_NET.num_addresses - 2
    for attempt in range(size):
        ip = _POD_NET.network_address + 1 + (digest + attempt) % size
        if ip not in taken:
            taken.add(ip)
            return ip
    raise RuntimeError("pod network exhausted")
