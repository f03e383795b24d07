"""Read a live cluster through the official ``kubernetes`` client (``pip install 'netpolkit[live]'``).

:func:`fetch_objects` lists what network policies act on (Namespaces, Pods, Services, NetworkPolicies and,
when Calico's ``projectcalico.org/v3`` API is served, Calico policies and tiers) as plain dicts shaped like
``kubectl get -o json`` output; :func:`load_live` connects, fetches and builds a
:class:`~netpolkit.cluster.Cluster`.

This is the only netpolkit module that imports ``kubernetes``, and it does so lazily (:func:`_kubernetes`),
so the rest of netpolkit works without the extra installed.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from netpolkit.cluster import Cluster

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["CALICO_GROUP", "CALICO_VERSION", "PAGE_SIZE", "LiveClusterError", "fetch_objects", "load_live"]

log = logging.getLogger(__name__)

PAGE_SIZE = 500
"""Objects per list request (``limit``); larger lists are paged with ``continue`` tokens, as kubectl does."""
REQUEST_TIMEOUT = 60.0
"""Seconds one list request may take before it fails (connect and read)."""
CALICO_GROUP = "projectcalico.org"
CALICO_VERSION = "v3"
_KNP_PREFIX = "knp.default."  # Calico's read-only view of a Kubernetes NetworkPolicy: already loaded natively
_FINISHED_PHASES = ("Succeeded", "Failed")
_INSTALL_HINT = "pip install 'netpolkit[live]'"

Progress = Callable[[str], None]


class LiveClusterError(RuntimeError):
    """Reading the live cluster failed: names what (``resource``) and, for API errors, the HTTP ``status``."""

    def __init__(self, message: str, *, resource: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.resource = resource
        self.status = status


def _kubernetes() -> ModuleType:
    """The ``kubernetes`` package (with ``client`` and ``config`` loaded), or ImportError naming the extra."""
    try:
        import kubernetes
        import kubernetes.client
        import kubernetes.config
    except ImportError as exc:
        raise ImportError(
            f"reading a live cluster needs the official Kubernetes Python client: {_INSTALL_HINT}"
        ) from exc
    return kubernetes


# ---- listing -----------------------------------------------------------------------------------------------


def _status_message(exc: Any) -> str:
    """The ``message`` of the Kubernetes Status object in an ApiException body, if there is one."""
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return ""
    try:
        status = json.loads(body)
    except ValueError:
        return str(body).strip()[:300]
    return str(status.get("message") or "") if isinstance(status, dict) else ""


def _api_error(what: str, resource: str, exc: Any) -> LiveClusterError:
    status = getattr(exc, "status", None) or None
    reason = (getattr(exc, "reason", None) or "").strip()
    if status is None:  # the client reports TLS and request-building failures as status 0
        return LiveClusterError(f"listing {what} failed: {reason or exc}", resource=resource)
    message = _status_message(exc)
    text = f"listing {what} failed: HTTP {status} {reason}".rstrip()
    if message:
        text += f": {message}"
    if status == 401:
        text += " (credentials rejected or expired: fetch them again, e.g. az aks get-credentials)"
    elif status == 403:
        text += f" (the account needs the RBAC verb 'list' on {resource}"
        text += "; or pass include_calico=False)" if resource.endswith(CALICO_GROUP) else ")"
    return LiveClusterError(text, resource=resource, status=status)


def _pages(
    k8s: ModuleType,
    api_client: ApiClient,
    call: Callable[..., Any],
    what: str,
    resource: str,
    page_size: int,
    **kwargs: Any,
) -> Iterator[list[dict[str, Any]]]:
    """Items of one list call as plain dicts, page by page (``limit``/``_continue``).

    API and connection errors become :class:`LiveClusterError`.
    """
    import urllib3

    token: str | None = None
    while True:
        try:
            page = call(limit=page_size, _continue=token, _request_timeout=REQUEST_TIMEOUT, **kwargs)
        except k8s.client.ApiException as exc:
            raise _api_error(what, resource, exc) from exc
        except urllib3.exceptions.HTTPError as exc:
            host = api_client.configuration.host
            raise LiveClusterError(
                f"listing {what} failed: cannot reach the API server at {host}: {exc}", resource=resource
            ) from exc
        except ValueError as exc:  # pydantic's ValidationError: an answer the client's models reject
            raise LiveClusterError(
                f"listing {what} failed: the kubernetes client could not read the answer: {exc}", resource=resource
            ) from exc
        data = page if isinstance(page, dict) else api_client.sanitize_for_serialization(page)
        items = data.get("items") or []
        yield [item for item in items if isinstance(item, dict)]
        token = (data.get("metadata") or {}).get("continue") or None
        if not token:
            return


def _typed(items: list[dict[str, Any]], api_version: str, kind: str) -> list[dict[str, Any]]:
    """Give list items their ``apiVersion`` and ``kind`` (the API server leaves them out inside lists)."""
    return [
        {
            "apiVersion": api_version,
            "kind": kind,
            **{k: v for k, v in item.items() if k not in ("apiVersion", "kind")},
        }
        for item in items
    ]


def _with_type(items: list[dict[str, Any]], api_version: str, kind: str) -> list[dict[str, Any]]:
    """Like :func:`_typed`, but keep the ``apiVersion``/``kind`` a custom-object item already carries."""
    return [
        {
            "apiVersion": item.get("apiVersion") or api_version,
            "kind": item.get("kind") or kind,
            **{k: v for k, v in item.items() if k not in ("apiVersion", "kind")},
        }
        for item in items
    ]


def _pod_skip_reason(pod: Mapping[str, Any]) -> str | None:
    """Why a pod is left out: ``"finished"`` (Succeeded/Failed) or ``"host-network"``; None to keep it."""
    status = pod.get("status") or {}
    if isinstance(status, Mapping) and status.get("phase") in _FINISHED_PHASES:
        return "finished"
    spec = pod.get("spec") or {}
    if isinstance(spec, Mapping) and spec.get("hostNetwork") is True:
        return "host-network"
    return None


def _namespace_list(namespaces: Sequence[str] | str | None) -> list[str] | None:
    if namespaces is None:
        return None
    if isinstance(namespaces, str):  # a lone name, not a sequence of one-letter names
        namespaces = [namespaces]
    wanted: list[str] = []
    for ns in namespaces:
        if not isinstance(ns, str) or not ns:
            raise ValueError(f"namespaces must be non-empty strings, got {ns!r}")
        if ns not in wanted:
            wanted.append(ns)
    return wanted


def fetch_objects(
    api_client: ApiClient,
    *,
    namespaces: Sequence[str] | None = None,
    include_calico: bool = True,
    progress: Progress | None = None,
    page_size: int | None = None,
) -> list[dict[str, Any]]:
    """List what network policies act on, as plain dicts shaped like ``kubectl get -o json`` items.

    Lists every Namespace (namespaceSelectors need all their labels), then Pods, Services and
    ``networking.k8s.io/v1`` NetworkPolicies in all namespaces, or only in ``namespaces``. With
    ``include_calico``, also Calico ``projectcalico.org/v3`` Tiers, GlobalNetworkPolicies and NetworkPolicies;
    a 404 for one of them means Calico's API is not served there, and it is skipped quietly. Calico's
    ``knp.default.*`` copies of Kubernetes NetworkPolicies are left out (the originals are listed already).
    Workloads (Deployments, ...) are not listed: in a live cluster the Pods are the truth.

    Pods that finished (phase Succeeded or Failed) or use the host network (``spec.hostNetwork``, not subject
    to NetworkPolicy) are skipped; how many is reported through ``progress`` and a logging warning.

    Every list is paged (``limit`` = ``page_size``, default :data:`PAGE_SIZE`, then ``continue`` tokens).
    Any API error other than those Calico 404s raises :class:`LiveClusterError` naming the resource and the
    HTTP status. Raises ImportError (naming ``netpolkit[live]``) when the ``kubernetes`` package is missing.
    """
    k8s = _kubernetes()
    size = PAGE_SIZE if page_size is None else int(page_size)
    if size < 1:
        raise ValueError(f"page_size must be at least 1, got {page_size!r}")
    wanted = _namespace_list(namespaces)
    say: Progress = progress or (lambda message: None)
    core = k8s.client.CoreV1Api(api_client)
    networking = k8s.client.NetworkingV1Api(api_client)
    custom = k8s.client.CustomObjectsApi(api_client)

    def listed(
        resource: str,
        cluster_call: Callable[..., Any],
        namespaced_call: Callable[..., Any] | None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if namespaced_call is None or wanted is None:
            for page in _pages(k8s, api_client, cluster_call, resource, resource, size, **kwargs):
                items.extend(page)
            return items
        for ns in wanted:
            what = f"{resource} in namespace {ns}"
            for page in _pages(k8s, api_client, namespaced_call, what, resource, size, namespace=ns, **kwargs):
                items.extend(page)
        return items

    objects: list[dict[str, Any]] = []
    scope = "all namespaces" if wanted is None else "namespaces " + ", ".join(wanted)

    namespace_items = _typed(listed("namespaces", core.list_namespace, None), "v1", "Namespace")
    objects.extend(namespace_items)
    say(f"namespaces: {len(namespace_items)}")
    if wanted is not None:
        existing = {(item.get("metadata") or {}).get("name") for item in namespace_items}
        missing = [ns for ns in wanted if ns not in existing]
        if missing:
            log.warning("namespaces not found in the cluster: %s", ", ".join(missing))
            say(f"namespaces not found in the cluster: {', '.join(missing)}")

    pods = _typed(listed("pods", core.list_pod_for_all_namespaces, core.list_namespaced_pod), "v1", "Pod")
    skipped = {"finished": 0, "host-network": 0}
    kept = []
    for pod in pods:
        reason = _pod_skip_reason(pod)
        if reason is None:
            kept.append(pod)
        else:
            skipped[reason] += 1
    objects.extend(kept)
    note = ""
    if any(skipped.values()):
        note = f" (skipped {skipped['finished']} finished, {skipped['host-network']} host-network)"
        log.warning(
            "skipped %d finished pods (phase Succeeded/Failed) and %d host-network pods "
            "(hostNetwork pods are not subject to NetworkPolicy)",
            skipped["finished"],
            skipped["host-network"],
        )
    say(f"pods in {scope}: {len(kept)}{note}")

    services = _typed(
        listed("services", core.list_service_for_all_namespaces, core.list_namespaced_service),
        "v1",
        "Service",
    )
    objects.extend(services)
    say(f"services in {scope}: {len(services)}")

    policies = _typed(
        listed(
            "networkpolicies.networking.k8s.io",
            networking.list_network_policy_for_all_namespaces,
            networking.list_namespaced_network_policy,
        ),
        "networking.k8s.io/v1",
        "NetworkPolicy",
    )
    objects.extend(policies)
    say(f"networkpolicies.networking.k8s.io in {scope}: {len(policies)}")

    if include_calico:
        objects.extend(_fetch_calico(custom, listed, say, scope))
    return objects


def _fetch_calico(
    custom: Any, listed: Callable[..., list[dict[str, Any]]], say: Progress, scope: str
) -> list[dict[str, Any]]:
    """Calico Tiers, GlobalNetworkPolicies and NetworkPolicies; a resource answering 404 is skipped."""
    api_version = f"{CALICO_GROUP}/{CALICO_VERSION}"
    group = {"group": CALICO_GROUP, "version": CALICO_VERSION}
    found: list[dict[str, Any]] = []
    for plural, kind, namespaced in (
        ("tiers", "Tier", False),
        ("globalnetworkpolicies", "GlobalNetworkPolicy", False),
        ("networkpolicies", "NetworkPolicy", True),
    ):
        resource = f"{plural}.{CALICO_GROUP}"
        try:
            items = listed(
                resource,
                custom.list_cluster_custom_object,
                custom.list_namespaced_custom_object if namespaced else None,
                plural=plural,
                **group,
            )
        except LiveClusterError as exc:
            if exc.status != 404:
                raise
            log.debug("%s not served (HTTP 404: no Calico API server, or one without it); skipped", resource)
            continue
        items = _with_type(items, api_version, kind)
        if kind == "NetworkPolicy":
            own = [i for i in items if not str((i.get("metadata") or {}).get("name", "")).startswith(_KNP_PREFIX)]
            if len(own) < len(items):
                log.debug(
                    "left out %d %s* Calico copies of Kubernetes NetworkPolicies",
                    len(items) - len(own),
                    _KNP_PREFIX,
                )
            items = own
        found.extend(items)
        say(f"{resource}{' in ' + scope if namespaced else ''}: {len(items)}")
    return found


# ---- connecting --------------------------------------------------------------------------------------------


def _connect(
    k8s: ModuleType, kubeconfig: str | os.PathLike[str] | None, context: str | None, in_cluster: bool
) -> tuple[ApiClient, str]:
    """A new ApiClient and a label for it (context name, or API server host)."""
    if in_cluster:
        configuration = k8s.client.Configuration()
        try:
            k8s.config.load_incluster_config(client_configuration=configuration)
        except k8s.config.ConfigException as exc:
            raise LiveClusterError(f"cannot use the in-cluster service account: {exc}", resource="in-cluster") from exc
        client = k8s.client.ApiClient(configuration)
        return client, client.configuration.host
    # $KUBECONFIG is read now, not at import time as the client does, so a notebook can set it late
    default = os.environ.get("KUBECONFIG", "~/.kube/config")
    config_file = os.fspath(kubeconfig) if kubeconfig is not None else default
    where = f"kubeconfig {config_file!r}" + (f", context {context!r}" if context else "")
    try:
        client = k8s.config.new_client_from_config(config_file=config_file, context=context)
    except (k8s.config.ConfigException, OSError, ValueError) as exc:
        raise LiveClusterError(f"cannot use {where}: {exc}", resource="kubeconfig") from exc
    label = context
    if label is None:
        try:
            _, active = k8s.config.list_kube_config_contexts(config_file=config_file)
            label = active["name"]
        except (k8s.config.ConfigException, OSError, ValueError, KeyError, TypeError):
            label = None
    return client, label or client.configuration.host


def load_live(
    *,
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    in_cluster: bool = False,
    namespaces: Sequence[str] | None = None,
    include_calico: bool = True,
    externals: Mapping[str, str] | None = None,
    replicas: str = "one",
    api_client: ApiClient | None = None,
    progress: Progress | None = None,
    page_size: int | None = None,
) -> Cluster:
    """Read a live cluster into a :class:`~netpolkit.cluster.Cluster` (what is read: :func:`fetch_objects`).

    Connects with ``kubeconfig`` (default: ``$KUBECONFIG``, else ``~/.kube/config``) and ``context``
    (default: its current context), or with the pod's service account when ``in_cluster``, or uses the given
    ``api_client`` (a ``kubernetes.client.ApiClient``; not closed here). ``externals`` and ``replicas`` are
    passed to :meth:`Cluster.from_objects`; objects are sourced ``live:<context or API server host>``.

    Raises :class:`LiveClusterError` when the cluster cannot be read, :class:`~netpolkit.PolicyError` when an
    object is malformed, ImportError (naming ``netpolkit[live]``) when the ``kubernetes`` package is missing.
    """
    k8s = _kubernetes()
    if api_client is not None and (kubeconfig is not None or context is not None or in_cluster):
        raise ValueError("give either api_client or kubeconfig/context/in_cluster, not both")
    if in_cluster and (kubeconfig is not None or context is not None):
        raise ValueError("in_cluster=True uses the pod's service account: do not give kubeconfig or context")
    owned = api_client is None
    if api_client is None:
        api_client, label = _connect(k8s, kubeconfig, context, in_cluster)
    else:
        label = api_client.configuration.host
    if progress is not None:
        progress(f"reading cluster {label}")
    try:
        objects = fetch_objects(
            api_client,
            namespaces=namespaces,
            include_calico=include_calico,
            progress=progress,
            page_size=page_size,
        )
    finally:
        if owned:
            api_client.close()
    return Cluster.from_objects(objects, externals, replicas=replicas, source=f"live:{label}")
