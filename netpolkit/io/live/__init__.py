"""Read a live cluster through the official ``kubernetes`` client (``pip install 'netpolkit[live]'``).

:func:`fetch_objects` lists what network policies act on as plain dicts shaped like ``kubectl get -o json``
output: Namespaces, Pods, Services and NetworkPolicies always, and the optional policy APIs a cluster serves
(found through API discovery, ``GET /apis``): Calico ``projectcalico.org/v3`` (tiers, policies, staged
policies), network-policy-api ``policy.networking.k8s.io`` (ClusterNetworkPolicy, AdminNetworkPolicy,
BaselineAdminNetworkPolicy) and Cilium ``cilium.io/v2`` (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy).
:func:`load_live` connects, fetches and builds a :class:`~netpolkit.cluster.Cluster`.

The API server is not trusted to be well behaved. Only GET requests are sent. Every list is paged and
bounded: pages (:data:`MAX_PAGES`), objects (:data:`MAX_ITEMS`) and decoded bytes (:data:`MAX_BYTES`) per
list, decoded bytes per answer (:data:`MAX_RESPONSE_BYTES`, gzip included: a small body that inflates to GiBs
fails at that budget), one deadline per request (:data:`REQUEST_TIMEOUT`: connecting, retries, headers and the
whole body) and one per list (:data:`LIST_TIMEOUT`). A continue token that expires (HTTP 410) restarts the list
from the start, at most :data:`MAX_RELISTS` times; a repeated token is an error. Retries are bounded
(:data:`RETRIES`). Every malformed answer is a :class:`LiveClusterError` naming the resource.

This is the only netpolkit module that imports ``kubernetes``, and it does so lazily (:func:`_kubernetes`),
so the rest of netpolkit works without the extra installed.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from netpolkit.cluster import Cluster
from netpolkit.errors import PolicyError, Where
from netpolkit.io.decode import decode
from netpolkit.model.document import Document
from netpolkit.runtime import progress as progress_bar

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = [
    "CALICO_GROUP",
    "CALICO_VERSION",
    "CILIUM_GROUP",
    "LIST_TIMEOUT",
    "MAX_BYTES",
    "MAX_ITEMS",
    "MAX_PAGES",
    "MAX_RELISTS",
    "MAX_RESPONSE_BYTES",
    "NETWORK_POLICY_API_GROUP",
    "PAGE_SIZE",
    "REQUEST_TIMEOUT",
    "RETRIES",
    "LiveClusterError",
    "fetch_objects",
    "load_live",
]

log = logging.getLogger(__name__)

# ---- limits (each can be overridden per call: the keyword arguments of fetch_objects and load_live) ----------

PAGE_SIZE = 500
"""Objects per list request (``limit``), as kubectl asks; larger lists are paged with ``continue`` tokens."""
MAX_PAGES = 2_000
"""Pages per list (per resource and namespace): 1,000,000 objects at 500 a page. Bounds a server that sends new
continue tokens forever."""
MAX_ITEMS = 500_000
"""Objects per list: over three times the 150,000 pods of the largest clusters Kubernetes is tested with."""
MAX_BYTES = 4 * 1024**3
"""Decoded JSON bytes per list (4 GiB): 150,000 pods of about 28 KiB each."""
MAX_RESPONSE_BYTES = 128 * 1024**2
"""Decoded JSON bytes in one answer (128 MiB, after gzip): 500 objects of 256 KiB, ten times a large pod. A gzip
body that inflates past it fails there, reading no further."""
REQUEST_TIMEOUT = 60.0
"""Seconds one request may take from start to last byte: connecting, retries, waiting and the whole body."""
LIST_TIMEOUT = 900.0
"""Seconds one list may take, all its pages and relists together."""
MAX_RELISTS = 3
"""How often a list restarts from the start after its continue token expired (HTTP 410). client-go's pager then lists
once more in one piece; netpolkit pages again, so that every page stays within :data:`MAX_RESPONSE_BYTES`."""
RETRIES = 3
"""Retries of one request: connection failures (urllib3, in the client's configuration: set by :func:`load_live`
for the clients it makes), answers 429/5xx that carry ``Retry-After`` (as client-go retries), and bodies cut off
mid-way. All within the request's deadline."""
RETRY_AFTER_MAX = 10.0
"""Longest wait a ``Retry-After`` header can ask for (seconds)."""
CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection (within the request's deadline)."""

CALICO_GROUP = "projectcalico.org"
CALICO_VERSION = "v3"
CILIUM_GROUP = "cilium.io"
NETWORK_POLICY_API_GROUP = "policy.networking.k8s.io"
_CALICO_CRD_GROUP = "crd.projectcalico.org"
_KNP_PREFIX = "knp.default."  # Calico's read-only view of a Kubernetes NetworkPolicy: already loaded natively
_FINISHED_PHASES = ("Succeeded", "Failed")
_INSTALL_HINT = "pip install 'netpolkit[live]'"
_ERROR_BODY_BYTES = 64 * 1024  # an error Status is small: read this much of it, at most
_CHUNK = 64 * 1024
_MAX_TOKEN = 64 * 1024  # a continue token goes back in the URL; real ones are a few hundred bytes

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


# ---- what is listed ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """One listed resource type."""

    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool
    family: str = ""  # "" = required; else the optional API it belongs to (see _FAMILIES)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """``pods``, ``networkpolicies.networking.k8s.io``: how RBAC and kubectl name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is None:
            return f"{base}/{self.plural}"
        return f"{base}/namespaces/{quote(namespace, safe='')}/{self.plural}"


_REQUIRED = (
    _Kind("", "v1", "namespaces", "Namespace", False),
    _Kind("", "v1", "pods", "Pod", True),
    _Kind("", "v1", "services", "Service", True),
    _Kind("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True),
)
_OPTIONAL = (
    _Kind(CALICO_GROUP, CALICO_VERSION, "tiers", "Tier", False, "calico"),
    _Kind(CALICO_GROUP, CALICO_VERSION, "globalnetworkpolicies", "GlobalNetworkPolicy", False, "calico"),
    _Kind(CALICO_GROUP, CALICO_VERSION, "networkpolicies", "NetworkPolicy", True, "calico"),
    _Kind(CALICO_GROUP, CALICO_VERSION, "stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", False, "calico"),
    _Kind(CALICO_GROUP, CALICO_VERSION, "stagednetworkpolicies", "StagedNetworkPolicy", True, "calico"),
    _Kind(
        CALICO_GROUP,
        CALICO_VERSION,
        "stagedkubernetesnetworkpolicies",
        "StagedKubernetesNetworkPolicy",
        True,
        "calico",
    ),
    _Kind(NETWORK_POLICY_API_GROUP, "v1alpha2", "clusternetworkpolicies", "ClusterNetworkPolicy", False, "npapi"),
    _Kind(NETWORK_POLICY_API_GROUP, "v1alpha1", "adminnetworkpolicies", "AdminNetworkPolicy", False, "npapi"),
    _Kind(
        NETWORK_POLICY_API_GROUP,
        "v1alpha1",
        "baselineadminnetworkpolicies",
        "BaselineAdminNetworkPolicy",
        False,
        "npapi",
    ),
    _Kind(CILIUM_GROUP, "v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy", True, "cilium"),
    _Kind(
        CILIUM_GROUP,
        "v2",
        "ciliumclusterwidenetworkpolicies",
        "CiliumClusterwideNetworkPolicy",
        False,
        "cilium",
    ),
)
# family -> the keyword argument that turns it off
_FAMILIES = {"calico": "include_calico", "npapi": "include_network_policy_api", "cilium": "include_cilium"}


@dataclass(frozen=True)
class _Limits:
    page_size: int = PAGE_SIZE
    max_pages: int = MAX_PAGES
    max_items: int = MAX_ITEMS
    max_bytes: int = MAX_BYTES
    max_response_bytes: int = MAX_RESPONSE_BYTES
    request_timeout: float = REQUEST_TIMEOUT
    list_timeout: float = LIST_TIMEOUT
    retries: int = RETRIES


def _limits(**given: Any) -> _Limits:
    """The limits of one fetch: the module's defaults, overridden by the arguments that are not None."""
    values: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if name in ("request_timeout", "list_timeout"):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
            values[name] = float(value)
            continue
        low = 0 if name == "retries" else 1
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer of at least {low}, got {value!r}")
        values[name] = value
    return _Limits(**values)


# ---- one request -------------------------------------------------------------------------------------------


class _DeadlineError(Exception):
    """The request's deadline passed."""


class _TooBigError(Exception):
    def __init__(self, limit: int, declared: int | None = None) -> None:
        super().__init__(limit, declared)
        self.limit = limit
        self.declared = declared


class _BadBodyError(Exception):
    """The body cannot be decoded (unknown Content-Encoding, broken gzip)."""


class _BrokenError(Exception):
    """The connection broke while the body was read: worth a retry."""


@dataclass
class _Answer:
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    truncated: bool = False  # an error body cut at _ERROR_BODY_BYTES

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (``Retry-After``), or None when it did not say."""
        value = (self.headers.get("Retry-After") or "").strip()
        if not value:
            return None
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - time.time())


class _Inflater:
    """gzip (several members) or zlib ``deflate``, inflated at most ``room`` bytes at a time."""

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._z = zlib.decompressobj(wbits)
        self._fed = False

    def feed(self, data: bytes, out: bytearray, limit: int) -> None:
        """Inflate ``data`` onto ``out``; stops once ``out`` is longer than ``limit`` (the caller then fails)."""
        while data and len(out) <= limit:
            if self._z.eof:  # the next gzip member
                self._z = zlib.decompressobj(self._wbits)
            self._fed = True
            try:
                out += self._z.decompress(data, limit + 1 - len(out))
            except zlib.error as exc:
                raise _BadBodyError(f"the gzip body is corrupt: {exc}") from None
            data = self._z.unused_data if self._z.eof else self._z.unconsumed_tail

    def finish(self) -> None:
        if self._fed and not self._z.eof:
            raise _BadBodyError("the gzip body ends in the middle of its stream")


def _inflater(headers: Mapping[str, str]) -> _Inflater | None:
    encoding = (headers.get("Content-Encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _Inflater(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Inflater(zlib.MAX_WBITS)
    raise _BadBodyError(f"unsupported Content-Encoding {encoding!r} (netpolkit asks for gzip or none)")


def _read_body(raw: Any, limit: int, deadline: float, cancelled: threading.Event, *, cut: bool) -> tuple[bytes, bool]:
    """The decoded body, at most ``limit`` bytes raw and decoded, read before ``deadline``.

    Over the limit: ``_TooBigError``, or with ``cut`` the first ``limit`` bytes and True. Reads with ``read1`` so that
    every chunk that arrives is counted and the deadline checked between chunks; a read that blocks is woken by
    ``shutdown()`` from the waiting thread.
    """
    import urllib3

    inflater = _inflater(raw.headers)
    declared = raw.headers.get("Content-Length")
    if declared is not None and not cut:
        try:
            size = int(declared)
        except ValueError:
            size = None
        if size is not None and size > limit:
            raise _TooBigError(limit, size)
    out = bytearray()
    received = 0
    while True:
        if cancelled.is_set() or time.monotonic() >= deadline:
            raise _DeadlineError
        try:
            chunk = raw.read1(_CHUNK, decode_content=False)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:  # ValueError: read after a shutdown
            if cancelled.is_set() or time.monotonic() >= deadline:
                raise _DeadlineError from None
            raise _BrokenError(str(exc)) from exc
        if not chunk:
            break
        received += len(chunk)
        if inflater is not None:
            inflater.feed(chunk, out, limit)
        else:
            out += chunk
        if len(out) > limit or received > limit:
            if cut:
                return bytes(out[:limit]), True
            raise _TooBigError(limit)
    if inflater is not None:
        inflater.finish()
    return bytes(out), False


class _Exchange:
    """One GET in a worker thread, so that one deadline covers it all (headers and retries included)."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self.answer: _Answer | None = None
        self.error: BaseException | None = None
        self._response: Any = None
        self._lock = threading.Lock()

    def run(self, api_client: ApiClient, request: tuple[Any, ...], deadline: float, limit: int) -> None:
        raw = None
        complete = False
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _DeadlineError
            method, url, headers, body, post_params = request
            response = api_client.call_api(
                method,
                url,
                header_params=headers,
                body=body,
                post_params=post_params,
                _request_timeout=(min(CONNECT_TIMEOUT, remaining), remaining),
            )
            raw = response.response
            with self._lock:
                self._response = raw
            status = int(response.status)
            ok = 200 <= status <= 299
            data, truncated = _read_body(raw, limit if ok else _ERROR_BODY_BYTES, deadline, self.cancelled, cut=not ok)
            complete = not truncated
            self.answer = _Answer(status, str(response.reason or ""), raw.headers, data, truncated)
        except BaseException as exc:  # handed to the waiting thread
            self.error = exc
        finally:
            with self._lock:
                self._response = None
            if raw is not None:
                try:
                    if complete:
                        raw.release_conn()
                    else:  # unread data left: the connection cannot be reused
                        raw.close()
                except Exception:  # closing a broken connection: nothing more to do
                    pass

    def cancel(self) -> bool:
        """Stop the worker: wake a blocked read by shutting the socket down. False when there is no answer yet
        (the worker is still connecting, or reading headers: it ends at its read timeout, closing the socket)."""
        self.cancelled.set()
        with self._lock:  # the worker hands the connection back only after it let go of it here
            if self._response is None:
                return False
            with contextlib.suppress(AttributeError, ValueError, RuntimeError, OSError):
                self._response.shutdown()
            return True


def _retries_for(count: int) -> Any:
    """The urllib3 retry policy of the clients :func:`load_live` makes: connection-level only, GET only."""
    import urllib3

    return urllib3.Retry(
        total=count,
        connect=count,
        read=count,
        status=0,  # statuses are retried here (429/5xx with Retry-After), with a bounded error body
        other=0,
        redirect=0,  # an API server does not redirect list calls: a 3xx is reported, not followed
        raise_on_redirect=False,
        raise_on_status=False,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=0.2,
        backoff_max=2.0,
        respect_retry_after_header=False,
    )


# ---- errors ------------------------------------------------------------------------------------------------


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the JSON value {str(value).lower()}"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"a JSON string ({value[:40]!r})"
    if isinstance(value, int | float):
        return f"a JSON number ({value!r})"
    if isinstance(value, list):
        return "a JSON array"
    return "a JSON object"


def _status_message(answer: _Answer) -> str:
    """The ``message`` of the Kubernetes Status object in an error body, else the start of the body."""
    text = answer.body.decode("utf-8", "replace").strip()
    if not text:
        return ""
    try:
        status = json.loads(text)
    except (ValueError, RecursionError):
        return " ".join(text[:300].split())
    if isinstance(status, dict) and isinstance(status.get("message"), str):
        return status["message"][:1000]
    return ""


@dataclass(eq=False)  # exceptions stay hashable
class _HTTPError(Exception):
    """A list answered with an error status (the caller decides: error, skip or warning)."""

    answer: _Answer
    what: str

    def __str__(self) -> str:
        text = f"listing {self.what} failed: HTTP {self.answer.status} {self.answer.reason}".rstrip()
        message = _status_message(self.answer)
        return f"{text}: {message}" if message else text


def _http_error(error: _HTTPError, spec: _Kind, namespace: str | None, host: str) -> LiveClusterError:
    status = error.answer.status
    text = str(error)
    if status == 401:
        text += " (credentials rejected or expired: fetch them again, e.g. az aks get-credentials)"
    elif status == 403:
        where = f" in namespace {namespace}" if namespace else (" in all namespaces" if spec.namespaced else "")
        text += f" (the account needs the RBAC verb 'list' on {spec.resource}{where}"
        text += f"; or pass {_FAMILIES[spec.family]}=False)" if spec.family else ")"
    elif 300 <= status <= 399:
        location = error.answer.headers.get("Location") or "?"
        text += f" (redirected to {location}: an API server does not redirect; check the server address {host})"
    if spec.family and status != 403:
        text += f" (to read the cluster without it: {_FAMILIES[spec.family]}=False)"
    return LiveClusterError(text, resource=spec.resource, status=status)


# ---- a session: the client, the limits, what was left out ---------------------------------------------------


@dataclass
class _Fetched:
    objects: list[dict[str, Any]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # per object: which list, which item (Where.document)
    warnings: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # why -> the optional resources not listed

    def skip(self, why: str, resource: str) -> None:
        """Note an optional resource that is not listed, and why."""
        log.debug("%s %s; skipped", resource, why)
        self.skipped.setdefault(why, []).append(resource)

    def report(self, say: Progress) -> None:
        """Say which optional resources were not listed (one line per reason), through ``say`` and the log."""
        for why, resources in self.skipped.items():
            message = f"skipped, {why}: {', '.join(resources)}"
            log.info("%s", message)
            say(message)


class _ListProgress:
    """A progress bar over the objects of one long list (:func:`netpolkit.runtime.progress` decides whether it
    shows: long lists, someone watching, not in CI). Its total comes from the first page's
    ``metadata.remainingItemCount``; a list that fits in one page, or whose server does not count, shows none."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.bar: Any = None
        self.started = False

    def advance(self, page: Any, new: int, done: int) -> None:
        """Count ``new`` objects (``done`` so far); ``page`` is the decoded page they came in."""
        if not self.started:
            self.started = True
            meta = page.get("metadata") if isinstance(page, dict) else None
            remaining = meta.get("remainingItemCount") if isinstance(meta, dict) else None
            if isinstance(remaining, int) and not isinstance(remaining, bool) and remaining > 0:
                total = done + remaining
                shown = progress_bar(range(total), total=total, desc=f"netpolkit: loading {self.what}")
                self.bar = shown if hasattr(shown, "update") else None
            if self.bar is not None:
                self.bar.update(done)
            return
        if self.bar is not None:
            self.bar.update(new)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class _Session:
    def __init__(self, api_client: ApiClient, limits: _Limits, say: Progress) -> None:
        self.client = api_client
        self.limits = limits
        self.say = say
        self.host = str(getattr(api_client.configuration, "host", "") or "?")

    # -- requests

    def get(self, path: str, query: list[tuple[str, Any]], what: str, resource: str, deadline: float, limit: int):
        """GET ``path``: an :class:`_Answer` (any status), with bounded retries, all before ``deadline``."""
        attempt = 0
        while True:
            failure: Exception | None = None
            answer: _Answer | None = None
            try:
                answer = self._exchange(path, query, what, resource, deadline, limit)
            except _BrokenError as exc:
                failure = exc
            if answer is not None:
                wait = answer.retry_after() if (answer.status == 429 or answer.status >= 500) else None
                if wait is None or attempt >= self.limits.retries:
                    return answer
                wait = min(wait, RETRY_AFTER_MAX)
                log.info("%s: HTTP %d, retrying in %.1f s", what, answer.status, wait)
            else:
                if attempt >= self.limits.retries:
                    raise LiveClusterError(
                        f"listing {what} failed: the connection to {self.host} broke while reading the answer "
                        f"({failure}), {attempt + 1} times",
                        resource=resource,
                    )
                wait = min(0.2 * 2**attempt, 2.0)
                log.info("%s: the answer was cut off (%s), retrying", what, failure)
            if time.monotonic() + wait >= deadline:
                if answer is not None:
                    return answer
                raise self._deadline_error(what, resource, deadline)
            attempt += 1
            time.sleep(wait)

    def _exchange(self, path: str, query: list[tuple[str, Any]], what: str, resource: str, deadline: float, limit: int):
        import urllib3

        k8s = _kubernetes()
        try:
            request = self.client.param_serialize(
                method="GET",
                resource_path=path,
                query_params=query,
                header_params={"Accept": "application/json", "Accept-Encoding": "gzip"},
                auth_settings=["BearerToken"],
            )
        except (k8s.client.ApiException, ValueError, TypeError) as exc:
            raise LiveClusterError(
                f"listing {what} failed: cannot build the request: {exc}", resource=resource
            ) from exc
        exchange = _Exchange()
        worker = threading.Thread(
            target=exchange.run, args=(self.client, request, deadline, limit), name="netpolkit-live-get", daemon=True
        )
        worker.start()
        try:
            worker.join(max(0.0, deadline - time.monotonic()))
        finally:
            if worker.is_alive() and exchange.cancel():
                worker.join(0.5)  # woken by the shutdown: let it close the connection
        if exchange.answer is None and exchange.error is None:
            raise self._deadline_error(what, resource, deadline)
        error = exchange.error
        if error is None:
            assert exchange.answer is not None
            return exchange.answer
        if isinstance(error, _DeadlineError):
            raise self._deadline_error(what, resource, deadline) from None
        if isinstance(error, _TooBigError):
            raise self._too_big(what, resource, error) from None
        if isinstance(error, _BadBodyError):
            raise LiveClusterError(f"listing {what} failed: {error}", resource=resource) from None
        if isinstance(error, _BrokenError | LiveClusterError):
            raise error
        if isinstance(error, k8s.client.ApiException):  # the client reports TLS failures as status 0
            reason = (getattr(error, "reason", None) or "").strip() or str(error)
            raise LiveClusterError(f"listing {what} failed: {reason}", resource=resource) from error
        if isinstance(error, urllib3.exceptions.HTTPError | OSError):
            raise LiveClusterError(
                f"listing {what} failed: cannot reach the API server at {self.host}: {error}", resource=resource
            ) from error
        raise error

    def _deadline_error(self, what: str, resource: str, deadline: float) -> LiveClusterError:
        return LiveClusterError(
            f"listing {what} failed: no complete answer from {self.host} in time "
            f"(request_timeout={self.limits.request_timeout:g} s, list_timeout={self.limits.list_timeout:g} s)",
            resource=resource,
        )

    def _too_big(self, what: str, resource: str, error: _TooBigError) -> LiveClusterError:
        said = f" (Content-Length {error.declared})" if error.declared is not None else ""
        if error.limit >= self.limits.max_response_bytes:
            knob = f"max_response_bytes={self.limits.max_response_bytes}"
        else:
            knob = f"max_bytes={self.limits.max_bytes} for the whole list"
        return LiveClusterError(
            f"listing {what} failed: the answer is larger than {error.limit} bytes once decoded{said}, over "
            f"the limit {knob}; raise it if the cluster really is that big",
            resource=resource,
        )

    # -- lists

    def list(self, spec: _Kind, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every item of one list, typed, as plain dicts. Error statuses raise :class:`_HTTPError`."""
        what = spec.resource + (f" in namespace {namespace}" if namespace else "")
        list_deadline = time.monotonic() + self.limits.list_timeout
        for relist in range(MAX_RELISTS + 1):
            items = self._list_once(spec, namespace, what, list_deadline)
            if items is not None:
                return items
            if relist < MAX_RELISTS:
                message = (
                    f"{what}: the continue token expired (HTTP 410); listing again from the start "
                    f"({relist + 1}/{MAX_RELISTS})"
                )
                log.info("%s", message)
                self.say(message)
        raise LiveClusterError(
            f"listing {what} failed: the continue token expired (HTTP 410) on {MAX_RELISTS + 1} attempts in a "
            "row: the list changes faster than it can be read (try a larger page_size)",
            resource=spec.resource,
            status=410,
        )

    def _list_once(self, spec: _Kind, namespace: str | None, what: str, list_deadline: float):
        """The items, or None when the continue token expired (410) and the list must start again."""
        bar = _ListProgress(what)
        try:
            return self._pages(spec, namespace, what, list_deadline, bar)
        finally:
            bar.close()

    def _pages(self, spec: _Kind, namespace: str | None, what: str, list_deadline: float, bar: _ListProgress):
        """:meth:`_list_once`, page by page, each page counted on ``bar``."""
        lim = self.limits
        path = spec.path(namespace)
        items: list[dict[str, Any]] = []
        names: set[tuple[str, str]] = set()
        seen: set[bytes] = set()
        token: str | None = None
        used = 0
        warned = False
        for page in range(1, lim.max_pages + 1):
            now = time.monotonic()
            if now >= list_deadline:
                raise LiveClusterError(
                    f"listing {what} failed: not done after list_timeout={lim.list_timeout:g} s ({page - 1} pages)",
                    resource=spec.resource,
                )
            query: list[tuple[str, Any]] = [("limit", lim.page_size)]
            if token is not None:
                query.append(("continue", token))
            budget = min(lim.max_response_bytes, lim.max_bytes - used)
            answer = self.get(path, query, what, spec.resource, min(now + lim.request_timeout, list_deadline), budget)
            if answer.status == 410 and token is not None:
                return None
            if not answer.ok:
                raise _HTTPError(answer, what)
            used += len(answer.body)
            document = _json(answer, what, spec.resource, f"page {page}")
            found, token = _list_page(document, spec, namespace, what, page)
            if len(found) > lim.page_size and not warned:
                warned = True
                log.info(
                    "%s: the server ignored limit=%d and sent %d objects in one page", what, lim.page_size, len(found)
                )
            digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest() if token is not None else b""
            if digest in seen:
                raise LiveClusterError(
                    f"listing {what} failed: page {page} repeats an earlier continue token: the server is paging "
                    "in a loop",
                    resource=spec.resource,
                )
            for i, item in enumerate(found):
                meta = item["metadata"]
                name = (meta.get("namespace") or "", meta["name"])
                if name in names:
                    raise LiveClusterError(
                        f"listing {what} failed: page {page} sends {'/'.join(n for n in name if n)} (items[{i}]) a "
                        "second time: the server is paging inconsistently",
                        resource=spec.resource,
                    )
                names.add(name)
            items.extend(found)
            bar.advance(document, len(found), len(items))
            if len(items) > lim.max_items:
                raise LiveClusterError(
                    f"listing {what} failed: more than max_items={lim.max_items} objects; raise it if the cluster "
                    "really is that big",
                    resource=spec.resource,
                )
            if token is None:
                return items
            seen.add(digest)
        raise LiveClusterError(
            f"listing {what} failed: still more after max_pages={lim.max_pages} pages ({len(items)} objects); "
            "the server keeps sending continue tokens (raise max_pages or page_size if the cluster really is "
            "that big)",
            resource=spec.resource,
        )

    # -- discovery

    def groups(self) -> dict[str, set[str]] | None:
        """API group -> served versions (``GET /apis``), or None when discovery cannot be read (then probe)."""
        what = "API discovery (/apis)"
        lim = self.limits
        answer = self.get("/apis", [], what, "apis", time.monotonic() + lim.request_timeout, lim.max_response_bytes)
        if not answer.ok:
            log.info("%s answered HTTP %d: trying every optional API instead", what, answer.status)
            return None
        document = _json(answer, what, "apis", "the answer")
        groups = document.get("groups") if isinstance(document, dict) else None
        if not isinstance(groups, list):
            raise LiveClusterError(
                f"reading {what} failed: expected an APIGroupList with a list of groups, got {_describe(document)}"
                + (f" with groups {_describe(groups)}" if isinstance(document, dict) else ""),
                resource="apis",
            )
        served: dict[str, set[str]] = {}
        for i, group in enumerate(groups):
            name = group.get("name") if isinstance(group, dict) else None
            versions = group.get("versions") if isinstance(group, dict) else None
            if not isinstance(name, str) or not isinstance(versions, list):
                raise LiveClusterError(
                    f"reading {what} failed: groups[{i}] is not an API group with a name and versions",
                    resource="apis",
                )
            for v in versions:
                version = v.get("version") if isinstance(v, dict) else None
                if not isinstance(version, str):
                    raise LiveClusterError(
                        f"reading {what} failed: groups[{i}] ({name}) has a version without a name", resource="apis"
                    )
                served.setdefault(name, set()).add(version)
        return served

    def resources(self, group: str, version: str) -> set[str] | None:
        """Plurals of one served group version that can be listed, or None when that cannot be read (then probe)."""
        path = f"/apis/{group}/{version}"
        what = f"API discovery ({path})"
        lim = self.limits
        answer = self.get(path, [], what, path[1:], time.monotonic() + lim.request_timeout, lim.max_response_bytes)
        if answer.status == 404:
            return set()
        if not answer.ok:
            log.info("%s answered HTTP %d: trying its resources instead", what, answer.status)
            return None
        document = _json(answer, what, path[1:], "the answer")
        resources = document.get("resources") if isinstance(document, dict) else None
        if not isinstance(resources, list):
            raise LiveClusterError(
                f"reading {what} failed: expected an APIResourceList with a list of resources, got "
                + (f"resources {_describe(resources)}" if isinstance(document, dict) else _describe(document)),
                resource=path[1:],
            )
        found: set[str] = set()
        for i, resource in enumerate(resources):
            name = resource.get("name") if isinstance(resource, dict) else None
            verbs = resource.get("verbs", ["list"]) if isinstance(resource, dict) else None
            if not isinstance(name, str) or not isinstance(verbs, list | None):
                raise LiveClusterError(
                    f"reading {what} failed: resources[{i}] is not an API resource with a name", resource=path[1:]
                )
            if "/" not in name and (verbs is None or "list" in verbs):
                found.add(name)
        return found


def _json(answer: _Answer, what: str, resource: str, part: str) -> Any:
    """The answer's JSON, as strictly as a file is read (duplicate keys, nesting depth, object size)."""
    try:
        return decode(answer.body.decode("utf-8"), f"{part} of {what}", as_json=True)[0]
    except PolicyError as exc:  # invalid, a duplicate key, too deep or too big
        kind = "JSON nested too deeply" if "nested" in exc.message else "not JSON"
        problem = f"{kind} ({exc.message})"
    except RecursionError:
        problem = "JSON nested too deeply"
    except ValueError as exc:  # UnicodeDecodeError
        problem = f"not JSON ({exc})"
    content_type = answer.headers.get("Content-Type") or "no Content-Type"
    start = " ".join(answer.body[:80].decode("utf-8", "replace").split())
    raise LiveClusterError(
        f"listing {what} failed: {part} is {problem}; {content_type}, starting {start!r}", resource=resource
    )


def _list_page(
    document: Any, spec: _Kind, namespace: str | None, what: str, page: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The typed items and the continue token (None at the end) of one page, checked."""

    def bad(problem: str) -> LiveClusterError:
        return LiveClusterError(
            f"listing {what} failed: page {page} is not a {spec.kind}List: {problem}", resource=spec.resource
        )

    if not isinstance(document, dict):
        raise bad(f"expected a JSON object, got {_describe(document)}")
    list_kind = document.get("kind")
    if list_kind not in (None, "", f"{spec.kind}List"):
        message = document.get("message") if list_kind == "Status" else None
        raise bad(f"kind is {list_kind!r}" + (f": {message}" if isinstance(message, str) else ""))
    if document.get("apiVersion") not in (None, "", spec.api_version):
        raise bad(f"apiVersion is {document.get('apiVersion')!r}, expected {spec.api_version}")
    meta = document.get("metadata")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise bad(f"metadata is {_describe(meta)}, expected a JSON object")
    token = meta.get("continue")
    if token in (None, ""):
        token = None
    elif not isinstance(token, str):
        raise bad(f"metadata.continue is {_describe(token)}, expected a string")
    elif len(token) > _MAX_TOKEN:
        raise bad(f"metadata.continue is {len(token)} characters long")
    if "items" not in document:
        raise bad("it has no items")
    raw_items = document["items"]
    if raw_items is None:
        raw_items = []
    if not isinstance(raw_items, list):
        raise bad(f"items is {_describe(raw_items)}, expected a list")
    typed: list[dict[str, Any]] = []
    for i, item in enumerate(raw_items):
        if not isinstance(item, dict):
            raise bad(f"items[{i}] is {_describe(item)}, expected a JSON object")
        for key, expected in (("apiVersion", spec.api_version), ("kind", spec.kind)):
            if item.get(key) not in (None, "", expected):
                raise bad(f"items[{i}].{key} is {item.get(key)!r}, expected {expected}")
        item_meta = item.get("metadata")
        if not isinstance(item_meta, dict):
            raise bad(f"items[{i}] has no metadata object")
        name = item_meta.get("name")
        if not isinstance(name, str) or not name:
            raise bad(f"items[{i}].metadata.name is {_describe(name)}, expected a name")
        item_ns = item_meta.get("namespace")
        if spec.namespaced:
            if not isinstance(item_ns, str) or not item_ns:
                raise bad(f"items[{i}] ({name}) has no metadata.namespace")
            if namespace is not None and item_ns != namespace:
                raise bad(f"items[{i}] ({name}) is in namespace {item_ns!r}, not {namespace!r}")
        elif item_ns not in (None, ""):
            raise bad(f"items[{i}] ({name}) has a namespace ({item_ns!r}), but {spec.resource} are cluster-wide")
        obj = {"apiVersion": spec.api_version, "kind": spec.kind}
        obj.update((k, v) for k, v in item.items() if k not in ("apiVersion", "kind"))
        if "managedFields" in item_meta:  # server-side-apply bookkeeping: often the largest part, never needed
            obj["metadata"] = {k: v for k, v in item_meta.items() if k != "managedFields"}
        typed.append(obj)
    return typed, token


# ---- fetching ----------------------------------------------------------------------------------------------


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


def _fetch(
    api_client: ApiClient,
    *,
    namespaces: Sequence[str] | None,
    families: set[str],
    progress: Progress | None,
    limits: _Limits,
) -> _Fetched:
    _kubernetes()
    wanted = _namespace_list(namespaces)
    say: Progress = progress or (lambda message: None)
    session = _Session(api_client, limits, say)
    out = _Fetched()
    scope = "all namespaces" if wanted is None else "namespaces " + ", ".join(wanted)

    def listed(spec: _Kind) -> list[tuple[dict[str, Any], str]]:
        """(object, origin) of every item, cluster-wide or in each wanted namespace."""
        lists = [None] if (wanted is None or not spec.namespaced) else wanted
        found: list[tuple[dict[str, Any], str]] = []
        for ns in lists:
            try:
                items = session.list(spec, ns)
            except _HTTPError as exc:
                raise _http_error(exc, spec, ns, session.host) from None
            label = spec.resource + (f" in {ns}" if ns else "")
            found.extend((item, f"{label}, items[{i}]") for i, item in enumerate(items))
        return found

    def keep(pairs: list[tuple[dict[str, Any], str]]) -> None:
        for obj, origin in pairs:
            out.objects.append(obj)
            out.origins.append(origin)

    namespaces_found = listed(_REQUIRED[0])
    keep(namespaces_found)
    say(f"namespaces: {len(namespaces_found)}")
    if wanted is not None:
        existing = {(obj.get("metadata") or {}).get("name") for obj, _ in namespaces_found}
        missing = [ns for ns in wanted if ns not in existing]
        if missing:
            log.warning("namespaces not found in the cluster: %s", ", ".join(missing))
            say(f"namespaces not found in the cluster: {', '.join(missing)}")

    skipped = {"finished": 0, "host-network": 0}
    pods = []
    for obj, origin in listed(_REQUIRED[1]):
        reason = _pod_skip_reason(obj)
        if reason is None:
            pods.append((obj, origin))
        else:
            skipped[reason] += 1
    keep(pods)
    note = ""
    if any(skipped.values()):
        note = f" (skipped {skipped['finished']} finished, {skipped['host-network']} host-network)"
        log.warning(
            "skipped %d finished pods (phase Succeeded/Failed) and %d host-network pods "
            "(hostNetwork pods are not subject to NetworkPolicy)",
            skipped["finished"],
            skipped["host-network"],
        )
    say(f"pods in {scope}: {len(pods)}{note}")

    for spec in _REQUIRED[2:]:
        found = listed(spec)
        keep(found)
        say(f"{spec.resource} in {scope}: {len(found)}")

    optional = [spec for spec in _OPTIONAL if spec.family in families]
    for spec in _OPTIONAL:
        if spec.family not in families:
            out.skip(f"not asked for ({_FAMILIES[spec.family]}=False)", spec.resource)
    if not optional:
        out.report(say)
        return out
    served = session.groups()
    calico_crds_only = (
        served is not None
        and "calico" in families
        and _CALICO_CRD_GROUP in served
        and CALICO_VERSION not in served.get(CALICO_GROUP, set())
    )
    if calico_crds_only:
        warning = (
            f"Calico policies not read: Calico's CRDs ({_CALICO_CRD_GROUP}) are installed but not its API "
            f"server ({CALICO_GROUP}/{CALICO_VERSION}), which netpolkit reads them through; install the "
            "Calico API server, or pass include_calico=False if Calico enforces no policies of its own here"
        )
        out.warnings.append(warning)
        log.warning("%s", warning)
    plurals: dict[tuple[str, str], set[str] | None] = {}
    for spec in optional:
        gv = (spec.group, spec.version)
        if served is not None and spec.version not in served.get(spec.group, set()):
            out.skip(f"not served (no {spec.group}/{spec.version} in API discovery)", spec.resource)
            continue
        if gv not in plurals:
            plurals[gv] = session.resources(*gv) if served is not None else None
        if plurals[gv] is not None and spec.plural not in plurals[gv]:  # type: ignore[operator]
            out.skip(f"not served by {spec.group}/{spec.version}", spec.resource)
            continue
        try:
            found = listed(spec)
        except LiveClusterError as exc:
            if exc.status == 404:
                out.skip("not served (HTTP 404)", spec.resource)
                continue
            if exc.status != 403:
                raise
            warning = (
                f"{spec.resource} not read (HTTP 403: the account may not list them): every {spec.kind} in the "
                f"cluster is missing from the results; grant the RBAC verb 'list' on {spec.resource}, or pass "
                f"{_FAMILIES[spec.family]}=False"
            )
            out.warnings.append(warning)
            log.warning("%s", warning)
            say(f"{spec.resource}: not read (HTTP 403)")
            continue
        if spec.kind == "NetworkPolicy" and spec.group == CALICO_GROUP:
            own = [p for p in found if not str(p[0]["metadata"].get("name", "")).startswith(_KNP_PREFIX)]
            if len(own) < len(found):
                log.debug(
                    "left out %d %s* Calico copies of Kubernetes NetworkPolicies", len(found) - len(own), _KNP_PREFIX
                )
            found = own
        keep(found)
        say(f"{spec.resource}{' in ' + scope if spec.namespaced else ''}: {len(found)}")
    out.report(say)
    return out


def _families(include_calico: bool, include_cilium: bool, include_network_policy_api: bool) -> set[str]:
    chosen = {"calico": include_calico, "cilium": include_cilium, "npapi": include_network_policy_api}
    return {family for family, on in chosen.items() if on}


def fetch_objects(
    api_client: ApiClient,
    *,
    namespaces: Sequence[str] | None = None,
    include_calico: bool = True,
    include_cilium: bool = True,
    include_network_policy_api: bool = True,
    progress: Progress | None = None,
    page_size: int | None = None,
    max_pages: int | None = None,
    max_items: int | None = None,
    max_bytes: int | None = None,
    max_response_bytes: int | None = None,
    request_timeout: float | None = None,
    list_timeout: float | None = None,
    retries: int | None = None,
) -> list[dict[str, Any]]:
    """List what network policies act on, as plain dicts shaped like ``kubectl get -o json`` items.

    Lists every Namespace (namespaceSelectors need all their labels), then Pods, Services and
    ``networking.k8s.io/v1`` NetworkPolicies in all namespaces, or only in ``namespaces``: these are required,
    and any error reading them raises :class:`LiveClusterError` naming the resource and the HTTP status (for 403,
    the RBAC verb needed). Then, for the optional APIs that API discovery shows served: with ``include_calico``,
    Calico ``projectcalico.org/v3`` Tiers, (Staged)GlobalNetworkPolicies, (Staged)NetworkPolicies and
    StagedKubernetesNetworkPolicies (not the ``knp.default.*`` copies of Kubernetes NetworkPolicies: the
    originals are listed already); with ``include_network_policy_api``, ``policy.networking.k8s.io``
    ClusterNetworkPolicies (v1alpha2), AdminNetworkPolicies and BaselineAdminNetworkPolicies (v1alpha1); with
    ``include_cilium``, ``cilium.io/v2`` CiliumNetworkPolicies and CiliumClusterwideNetworkPolicies. An optional
    resource the account may not list (403) is left out with a warning (logged; :func:`load_live` keeps it in
    ``Cluster.warnings``); one that is not served (404) is skipped quietly. Workloads (Deployments, ...) are not
    listed: in a live cluster the Pods are the truth.

    Pods that finished (phase Succeeded or Failed) or use the host network (``spec.hostNetwork``, not subject
    to NetworkPolicy) are skipped; how many is reported through ``progress`` and a logging warning.
    ``metadata.managedFields`` is dropped from every object.

    Limits (None: the module constant): ``page_size`` (:data:`PAGE_SIZE`), ``max_pages`` (:data:`MAX_PAGES`),
    ``max_items`` (:data:`MAX_ITEMS`) and ``max_bytes`` (:data:`MAX_BYTES`) per list, ``max_response_bytes``
    (:data:`MAX_RESPONSE_BYTES`) per answer, ``request_timeout`` (:data:`REQUEST_TIMEOUT`) per request,
    ``list_timeout`` (:data:`LIST_TIMEOUT`) per list, ``retries`` (:data:`RETRIES`) per request. Only GET requests
    are sent. Raises ImportError (naming ``netpolkit[live]``) when the ``kubernetes`` package is missing.
    """
    limits = _limits(
        page_size=page_size,
        max_pages=max_pages,
        max_items=max_items,
        max_bytes=max_bytes,
        max_response_bytes=max_response_bytes,
        request_timeout=request_timeout,
        list_timeout=list_timeout,
        retries=retries,
    )
    fetched = _fetch(
        api_client,
        namespaces=namespaces,
        families=_families(include_calico, include_cilium, include_network_policy_api),
        progress=progress,
        limits=limits,
    )
    return fetched.objects


# ---- connecting --------------------------------------------------------------------------------------------


def _connect(
    k8s: ModuleType, kubeconfig: str | os.PathLike[str] | None, context: str | None, in_cluster: bool, retries: int
) -> tuple[ApiClient, str]:
    """A new ApiClient (its urllib3 retries set: :func:`_retries_for`) and a label for it (context, or host)."""
    configuration = k8s.client.Configuration()
    configuration.retries = _retries_for(retries)
    if in_cluster:
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
        client = k8s.config.new_client_from_config(
            config_file=config_file, context=context, client_configuration=configuration
        )
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
    include_cilium: bool = True,
    include_network_policy_api: bool = True,
    externals: Mapping[str, str] | None = None,
    replicas: str = "one",
    unsupported: str = "error",
    api_client: ApiClient | None = None,
    progress: Progress | None = None,
    page_size: int | None = None,
    max_pages: int | None = None,
    max_items: int | None = None,
    max_bytes: int | None = None,
    max_response_bytes: int | None = None,
    request_timeout: float | None = None,
    list_timeout: float | None = None,
    retries: int | None = None,
) -> Cluster:
    """Read a live cluster into a :class:`~netpolkit.cluster.Cluster` (what is read, and the limits:
    :func:`fetch_objects`).

    Connects with ``kubeconfig`` (default: ``$KUBECONFIG``, else ``~/.kube/config``) and ``context``
    (default: its current context), or with the pod's service account when ``in_cluster``, or uses the given
    ``api_client`` (a ``kubernetes.client.ApiClient``; not closed here, and its own ``configuration.retries``
    applies to connection failures; the clients made here retry ``retries`` times, GET only, no redirects).
    ``externals``, ``replicas`` and ``unsupported`` are passed to :meth:`Cluster.from_documents`; objects are
    sourced ``live:<context or API server host>``. What could not be read (an optional policy API the account may
    not list) is kept in ``Cluster.warnings``, with the warnings of ``unsupported="ignore"``; the optional APIs
    the cluster does not serve are skipped, and ``progress`` says which (:func:`discover_policy_apis` lists what
    is served). A list long enough (:data:`netpolkit.runtime.PROGRESS_MIN_ITEMS` objects) shows a progress bar
    when someone watches (:func:`netpolkit.runtime.progress`). The cluster keeps the manifests read, so
    :func:`netpolkit.io.snapshot.snapshot` can write them as an export that ``netpolkit.load`` reads back.

    Raises :class:`LiveClusterError` when the cluster cannot be read, :class:`~netpolkit.PolicyError` when an
    object is malformed or is a policy kind netpolkit does not evaluate (unless ``unsupported="ignore"``),
    ImportError (naming ``netpolkit[live]``) when the ``kubernetes`` package is missing.
    """
    k8s = _kubernetes()
    if api_client is not None and (kubeconfig is not None or context is not None or in_cluster):
        raise ValueError("give either api_client or kubeconfig/context/in_cluster, not both")
    if in_cluster and (kubeconfig is not None or context is not None):
        raise ValueError("in_cluster=True uses the pod's service account: do not give kubeconfig or context")
    limits = _limits(
        page_size=page_size,
        max_pages=max_pages,
        max_items=max_items,
        max_bytes=max_bytes,
        max_response_bytes=max_response_bytes,
        request_timeout=request_timeout,
        list_timeout=list_timeout,
        retries=retries,
    )
    owned = api_client is None
    if api_client is None:
        api_client, label = _connect(k8s, kubeconfig, context, in_cluster, limits.retries)
    else:
        label = api_client.configuration.host
    if progress is not None:
        progress(f"reading cluster {label}")
    try:
        fetched = _fetch(
            api_client,
            namespaces=namespaces,
            families=_families(include_calico, include_cilium, include_network_policy_api),
            progress=progress,
            limits=limits,
        )
    finally:
        if owned:
            api_client.close()
    source = f"live:{label}"
    documents = [
        Document(obj, Where(source, origin)) for obj, origin in zip(fetched.objects, fetched.origins, strict=True)
    ]
    cluster = Cluster.from_documents(documents, externals, replicas=replicas, unsupported=unsupported)
    if fetched.warnings:
        # Cluster.from_documents takes no warnings of its own: add them to the ones it kept
        cluster.warnings = tuple(dict.fromkeys((*fetched.warnings, *cluster.warnings)))
    return cluster
