"""Apply manifests to one namespace of a live cluster, labelled, and remove exactly what was applied.

Writing to a cluster is explicit and opt-in: nothing else in netpolkit writes. A :class:`NamespaceApplier` works in
one namespace only. It creates the objects of that namespace (and the Namespace itself, when it does not exist
yet); an object of another namespace or a cluster-scoped one (a GlobalNetworkPolicy, another Namespace) is never
sent: it is an error, or with ``outside="skip"`` it is left out and listed in the report. Every object it creates
carries the labels ``app.kubernetes.io/managed-by=netpolkit`` and ``netpolkit.io/run=<run id>``. It replaces or
deletes an existing object only when that object carries both labels of its own run, and
:meth:`NamespaceApplier.cleanup` deletes only those objects (the namespace last, if this run created it).

Objects are checked before anything is written (kinds, namespaces, names, clashes with objects the run does not
own), so a refused step leaves the cluster as it was.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from netpolkit.errors import elide
from netpolkit.io.live import REQUEST_TIMEOUT, RETRIES, LiveClusterError, _connect, _kubernetes

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = [
    "MANAGED_BY_LABEL",
    "MANAGER",
    "NAMESPACED_KINDS",
    "RUN_LABEL",
    "Applied",
    "ApplyReport",
    "NamespaceApplier",
    "Skipped",
]

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
"""The recommended Kubernetes label naming the tool that manages an object."""
MANAGER = "netpolkit"
RUN_LABEL = "netpolkit.io/run"
"""Which run (one :class:`NamespaceApplier`) created the object."""
NAMESPACED_KINDS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("v1", "Pod"): ("/api/v1", "pods"),
    ("v1", "Service"): ("/api/v1", "services"),
    ("v1", "ConfigMap"): ("/api/v1", "configmaps"),
    ("v1", "ServiceAccount"): ("/api/v1", "serviceaccounts"),
    ("apps/v1", "Deployment"): ("/apis/apps/v1", "deployments"),
    ("apps/v1", "StatefulSet"): ("/apis/apps/v1", "statefulsets"),
    ("apps/v1", "DaemonSet"): ("/apis/apps/v1", "daemonsets"),
    ("apps/v1", "ReplicaSet"): ("/apis/apps/v1", "replicasets"),
    ("batch/v1", "Job"): ("/apis/batch/v1", "jobs"),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("/apis/networking.k8s.io/v1", "networkpolicies"),
    ("projectcalico.org/v3", "NetworkPolicy"): ("/apis/projectcalico.org/v3", "networkpolicies"),
    ("cilium.io/v2", "CiliumNetworkPolicy"): ("/apis/cilium.io/v2", "ciliumnetworkpolicies"),
}
"""The namespaced kinds the tutorials use: (apiVersion, kind) -> (API prefix, resource). Others are refused."""
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@dataclass(frozen=True)
class Applied:
    """An object this run wrote: ``action`` is "created", "replaced" or "deleted"."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    action: str


@dataclass(frozen=True)
class Skipped:
    """An object that was not sent, and why."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    reason: str


@dataclass
class ApplyReport:
    """What one :meth:`NamespaceApplier.apply` did."""

    applied: list[Applied] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _identity(obj: Mapping[str, Any]) -> tuple[str, str, str | None, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")), meta.get("namespace"), str(meta.get("name", "")))


class NamespaceApplier:
    """Creates, replaces and deletes objects in ``namespace`` only, each labelled with this run's id.

    Connects like :func:`netpolkit.io.live.load_live` (``kubeconfig``/``context``, ``in_cluster`` or ``api_client``;
    a given client is not closed). ``run_id`` defaults to a random one; :attr:`run_id` tells it.
    """

    def __init__(
        self,
        namespace: str,
        *,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        in_cluster: bool = False,
        api_client: ApiClient | None = None,
        run_id: str | None = None,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        if not namespace or not isinstance(namespace, str):
            raise ValueError(f"namespace must be a namespace name, got {namespace!r}")
        self._k8s = _kubernetes()
        self.namespace = namespace
        self.run_id = run_id or f"np-{secrets.token_hex(4)}"
        self.request_timeout = request_timeout
        self._owned = api_client is None
        if api_client is None:
            api_client, self.label = _connect(self._k8s, kubeconfig, context, in_cluster, RETRIES)
        else:
            self.label = str(api_client.configuration.host)
        self._client = api_client
        self.created: list[Applied] = []  # every object of this run still in the cluster, in creation order

    # ---- plumbing ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the client if this applier made it."""
        if self._owned:
            self._client.close()

    def __enter__(self) -> NamespaceApplier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def labels(self) -> dict[str, str]:
        """The labels every object of this run carries."""
        return {MANAGED_BY_LABEL: MANAGER, RUN_LABEL: self.run_id}

    def _request(
        self, method: str, path: str, body: Any = None, query: Sequence[tuple[str, str]] = ()
    ) -> tuple[int, Any]:
        request = self._client.param_serialize(
            method=method,
            resource_path=path,
            query_params=list(query) or None,
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self._client.call_api(*request, _request_timeout=self.request_timeout)
            response.read()
        except self._k8s.client.ApiException as exc:
            raise LiveClusterError(f"{method} {path} failed: {elide(str(exc.reason or exc), 300)}") from exc
        except Exception as exc:  # urllib3 connection errors
            raise LiveClusterError(f"{method} {path} failed: {elide(str(exc), 300)}") from exc
        try:
            data = json.loads(response.data or b"null")
        except ValueError:
            data = None
        return response.status, data

    def _fail(self, what: str, status: int, data: Any) -> LiveClusterError:
        message = data.get("message") if isinstance(data, dict) else None
        hint = " (RBAC: the account needs create/get/update/delete on it)" if status == 403 else ""
        return LiveClusterError(
            f"{what} failed: HTTP {status}: {elide(str(message or ''), 300)}{hint}", resource=what, status=status
        )

    def _paths(self, api_version: str, kind: str, name: str) -> tuple[str, str]:
        """(collection path, object path) of a namespaced kind in this namespace."""
        prefix, plural = NAMESPACED_KINDS[(api_version, kind)]
        collection = f"{prefix}/namespaces/{quote(self.namespace, safe='')}/{plural}"
        return collection, f"{collection}/{quote(name, safe='')}"

    def _ours(self, obj: Any) -> bool:
        labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
        return all(labels.get(k) == v for k, v in self.labels.items())

    # ---- checking ------------------------------------------------------------------------------------------

    def check(
        self, objects: Iterable[Mapping[str, Any]], *, outside: str = "error"
    ) -> tuple[list[dict], list[Skipped]]:
        """Split ``objects`` into those this applier may send (copies, namespace set) and those it leaves out.

        Raises ValueError for an object outside the namespace (``outside="error"``), an unsupported kind or a
        missing name; nothing is sent.
        """
        if outside not in ("error", "skip"):
            raise ValueError(f"outside must be 'error' or 'skip', got {outside!r}")
        sendable: list[dict] = []
        skipped: list[Skipped] = []
        for index, obj in enumerate(objects):
            api_version, kind, namespace, name = _identity(obj)
            where = f"object {index} ({kind} {namespace + '/' if namespace else ''}{name})"
            if not name:
                raise ValueError(f"{where}: metadata.name is missing")
            if kind == "Namespace" and api_version == "v1":
                if name == self.namespace:
                    sendable.append(json.loads(json.dumps(obj)))
                    continue
                reason = f"another namespace than {self.namespace!r}: not applied"
            elif (api_version, kind) not in NAMESPACED_KINDS:
                reason = f"{api_version} {kind} is cluster-scoped or not a kind this applier writes: not applied"
            elif namespace not in (None, self.namespace):
                reason = f"metadata.namespace {namespace!r} is outside {self.namespace!r}: not applied"
            else:
                copy = json.loads(json.dumps(obj))
                copy.setdefault("metadata", {})["namespace"] = self.namespace
                sendable.append(copy)
                continue
            if outside == "error":
                raise ValueError(f"{where}: {reason} (only namespace {self.namespace!r} is written; outside='skip')")
            skipped.append(Skipped(api_version, kind, namespace, name, reason))
        return sendable, skipped

    # ---- writing -------------------------------------------------------------------------------------------

    def apply(
        self,
        objects: Iterable[Mapping[str, Any]],
        *,
        deletions: Iterable[tuple[str, str, str]] = (),
        outside: str = "error",
    ) -> ApplyReport:
        """Delete ``deletions`` ((apiVersion, kind, name) in this namespace, this run's objects only), then create
        or replace ``objects``.

        An existing object is replaced only if this run created it; one it did not create is an error
        (LiveClusterError), found before anything is written. The namespace is created (labelled) when it does
        not exist; an existing one is used as it is.
        """
        sendable, skipped = self.check(objects, outside=outside)
        report = ApplyReport(skipped=skipped)
        wanted_deletions = list(deletions)
        # 1. read: what exists, and whether it is ours
        namespace_obj = next((o for o in sendable if o["kind"] == "Namespace"), None)
        namespace_status, namespace_data = self._request("GET", f"/api/v1/namespaces/{quote(self.namespace, safe='')}")
        namespace_exists = namespace_status == 200
        if namespace_status not in (200, 404):
            raise self._fail(f"reading namespace {self.namespace}", namespace_status, namespace_data)
        if namespace_obj is not None and namespace_exists and not self._ours(namespace_data):
            report.skipped.append(
                Skipped("v1", "Namespace", None, self.namespace, "exists already and is not this run's: used as it is")
            )
        current: dict[tuple[str, str, str], Any] = {}
        for obj in sendable:
            if obj["kind"] == "Namespace":
                continue
            api_version, kind, _, name = _identity(obj)
            if not namespace_exists:
                current[(api_version, kind, name)] = None
                continue
            status, data = self._request("GET", self._paths(api_version, kind, name)[1])
            if status == 404:
                current[(api_version, kind, name)] = None
            elif status == 200:
                if not self._ours(data):
                    raise LiveClusterError(
                        f"{kind} {self.namespace}/{name} exists and was not created by netpolkit run {self.run_id}: "
                        "not touched, nothing applied",
                        resource=kind,
                    )
                current[(api_version, kind, name)] = data
            else:
                raise self._fail(f"reading {kind} {self.namespace}/{name}", status, data)
        for api_version, kind, name in wanted_deletions:
            if (api_version, kind) not in NAMESPACED_KINDS:
                raise ValueError(f"cannot delete {api_version} {kind} {name}: not a kind this applier writes")
        # 2. write
        if namespace_obj is not None and not namespace_exists:
            namespace_obj.setdefault("metadata", {}).setdefault("labels", {}).update(self.labels)
            status, data = self._request("POST", "/api/v1/namespaces", namespace_obj)
            if status not in (200, 201):
                raise self._fail(f"creating namespace {self.namespace}", status, data)
            self._record(Applied("v1", "Namespace", None, self.namespace, "created"), report)
        elif not namespace_exists:
            raise LiveClusterError(
                f"namespace {self.namespace} does not exist and the manifests do not create it", resource="Namespace"
            )
        for api_version, kind, name in wanted_deletions:
            if self.delete(api_version, kind, name):
                report.applied.append(Applied(api_version, kind, self.namespace, name, "deleted"))
        for obj in sendable:
            if obj["kind"] == "Namespace":
                continue
            api_version, kind, _, name = _identity(obj)
            obj["metadata"].setdefault("labels", {}).update(self.labels)
            collection, path = self._paths(api_version, kind, name)
            existing = current.get((api_version, kind, name))
            if existing is None:
                status, data = self._request("POST", collection, obj)
                action = "created"
            else:
                obj["metadata"]["resourceVersion"] = (existing.get("metadata") or {}).get("resourceVersion")
                status, data = self._request("PUT", path, obj)
                action = "replaced"
            if status not in (200, 201):
                raise self._fail(f"{action[:-1]}ing {kind} {self.namespace}/{name}", status, data)
            self._record(Applied(api_version, kind, self.namespace, name, action), report)
        return report

    def _record(self, applied: Applied, report: ApplyReport) -> None:
        report.applied.append(applied)
        key = (applied.api_version, applied.kind, applied.name)
        if all((a.api_version, a.kind, a.name) != key for a in self.created):
            self.created.append(applied)

    def delete(self, api_version: str, kind: str, name: str) -> bool:
        """Delete one object of this namespace if this run created it (checked on the object's labels).

        Returns False when it does not exist; raises LiveClusterError when it exists but is not this run's.
        """
        _, path = self._paths(api_version, kind, name)
        status, data = self._request("GET", path)
        if status == 404:
            self._forget(api_version, kind, name)
            return False
        if status != 200:
            raise self._fail(f"reading {kind} {self.namespace}/{name}", status, data)
        if not self._ours(data):
            raise LiveClusterError(
                f"{kind} {self.namespace}/{name} was not created by netpolkit run {self.run_id}: not deleted",
                resource=kind,
            )
        uid = (data.get("metadata") or {}).get("uid")
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        if uid:
            body["preconditions"] = {"uid": uid}  # the object checked above, not a newer one of the same name
        status, data = self._request("DELETE", path, body)
        if status not in (200, 202, 404):
            raise self._fail(f"deleting {kind} {self.namespace}/{name}", status, data)
        self._forget(api_version, kind, name)
        return status != 404

    def _forget(self, api_version: str, kind: str, name: str) -> None:
        self.created = [a for a in self.created if (a.api_version, a.kind, a.name) != (api_version, kind, name)]

    def cleanup(self) -> list[Applied]:
        """Delete every object this run created and still owns, newest first; the namespace last, if it made it."""
        removed: list[Applied] = []
        for item in reversed(list(self.created)):
            if item.kind == "Namespace":
                continue
            if self.delete(item.api_version, item.kind, item.name):
                removed.append(Applied(item.api_version, item.kind, item.namespace, item.name, "deleted"))
        namespace = next((a for a in self.created if a.kind == "Namespace"), None)
        if namespace is not None:
            path = f"/api/v1/namespaces/{quote(self.namespace, safe='')}"
            status, data = self._request("GET", path)
            if status == 200 and self._ours(data):
                status, data = self._request("DELETE", path, {"kind": "DeleteOptions", "apiVersion": "v1"})
                if status not in (200, 202, 404):
                    raise self._fail(f"deleting namespace {self.namespace}", status, data)
                removed.append(Applied("v1", "Namespace", None, self.namespace, "deleted"))
            self.created = [a for a in self.created if a.kind != "Namespace"]
        return removed

    def wait_ready(self, *, timeout: float = 180.0, poll: float = 2.0) -> None:
        """Wait until every Pod and workload this run created is ready (a workload: ``readyReplicas`` equal to
        ``spec.replicas``, default 1; a Pod: condition Ready). Raises TimeoutError naming what is not ready."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = [a for a in self.created if a.kind in (*_WORKLOADS, "Pod") and not self._ready(a)]
            if not waiting:
                return
            if time.monotonic() >= deadline:
                names = ", ".join(f"{a.kind} {self.namespace}/{a.name}" for a in waiting)
                raise TimeoutError(f"not ready after {timeout:g} s: {names}")
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    def _ready(self, item: Applied) -> bool:
        status, data = self._request("GET", self._paths(item.api_version, item.kind, item.name)[1])
        if status != 200 or not isinstance(data, dict):
            return False
        state = data.get("status") or {}
        if item.kind == "Pod":
            return any(c.get("type") == "Ready" and c.get("status") == "True" for c in state.get("conditions") or ())
        if item.kind == "DaemonSet":
            return int(state.get("numberReady") or 0) >= int(state.get("desiredNumberScheduled") or 1)
        wanted = (data.get("spec") or {}).get("replicas", 1)
        return int(state.get("readyReplicas") or 0) >= int(wanted)
