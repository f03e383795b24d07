"""A small in-process Kubernetes API server for tests: real HTTP on 127.0.0.1, list endpoints only.

>>> with FakeKubeAPI(objects) as api:                      # doctest: +SKIP
...     client = ApiClient(Configuration(host=api.host))
...     ...
...     assert "/api/v1/pods" in api.paths

Serves GET for the list paths of Namespaces, Pods, Services, ``networking.k8s.io/v1`` NetworkPolicies and
the ``projectcalico.org/v3`` custom objects (``networkpolicies``, ``globalnetworkpolicies``, ``tiers``),
cluster-wide and per namespace where the resource is namespaced. Answers are ``...List`` objects like the real
API server's: built-in list items carry no ``apiVersion``/``kind`` (custom objects do), ``limit`` and
``continue`` page the items, unknown paths (and the Calico group when ``calico=False``) get a 404 ``Status``.
``fail(path, status)`` makes a path answer with an error Status; ``token`` makes every request without
``Authorization: Bearer <token>`` a 401. Every request is recorded (``requests``: path with query; ``paths``:
path only; ``headers``: the request headers, names in lower case).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["CALICO", "RESOURCES", "FakeKubeAPI", "Resource", "status_body"]

CALICO = "/apis/projectcalico.org/v3"


@dataclass(frozen=True)
class Resource:
    """One served resource type: where it lives and which objects belong to it."""

    prefix: str  # "/api/v1" or "/apis/<group>/<version>"
    plural: str
    api_version: str
    kind: str
    namespaced: bool
    builtin: bool = True  # built-in list items come without apiVersion/kind


RESOURCES: tuple[Resource, ...] = (
    Resource("/api/v1", "namespaces", "v1", "Namespace", namespaced=False),
    Resource("/api/v1", "pods", "v1", "Pod", namespaced=True),
    Resource("/api/v1", "services", "v1", "Service", namespaced=True),
    Resource("/apis/networking.k8s.io/v1", "networkpolicies", "networking.k8s.io/v1", "NetworkPolicy", True),
    Resource(CALICO, "networkpolicies", "projectcalico.org/v3", "NetworkPolicy", True, builtin=False),
    Resource(CALICO, "globalnetworkpolicies", "projectcalico.org/v3", "GlobalNetworkPolicy", False, builtin=False),
    Resource(CALICO, "tiers", "projectcalico.org/v3", "Tier", False, builtin=False),
)
_PATH = re.compile(r"^(?P<prefix>/api/v1|/apis/[^/]+/[^/]+)(?:/namespaces/(?P<namespace>[^/]+))?/(?P<plural>[^/]+)$")


def status_body(code: int, message: str, reason: str | None = None) -> dict[str, Any]:
    """A Kubernetes ``Status`` object, as the API server sends with every error."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or HTTPStatus(code).phrase.replace(" ", ""),
        "code": code,
    }


@dataclass
class FakeKubeAPI:
    """The server; a context manager (``with FakeKubeAPI(objects) as api``) or ``start()``/``stop()``."""

    objects: Iterable[Mapping[str, Any]] = ()
    calico: bool = True
    token: str | None = None
    max_page: int | None = None  # server-side cap on the page size (servers may return fewer than ``limit``)
    requests: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    _errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.objects = [dict(o) for o in self.objects]

    # ---- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> FakeKubeAPI:
        """Listen on 127.0.0.1 (a free port) in a daemon thread."""
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-kube-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeKubeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """``http://127.0.0.1:<port>``, for ``Configuration(host=...)`` or a kubeconfig ``server``."""
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- behaviour -----------------------------------------------------------------------------------------

    def fail(self, path: str, status: int, message: str | None = None) -> None:
        """Answer GET ``path`` (exactly, query ignored) with an error Status of this HTTP ``status``."""
        self._errors[path] = (status, message or f"injected failure for {path}")

    def add(self, *objects: Mapping[str, Any]) -> None:
        """Serve these objects too."""
        with self._lock:
            self.objects.extend(dict(o) for o in objects)  # type: ignore[union-attr]

    @property
    def paths(self) -> list[str]:
        """Every requested path, without the query, in order."""
        return [urlsplit(r).path for r in self.requests]

    def queries(self, path: str) -> list[dict[str, str]]:
        """The query parameters of every request for ``path``."""
        return [
            {k: v[-1] for k, v in parse_qs(urlsplit(r).query).items()}
            for r in self.requests
            if urlsplit(r).path == path
        ]

    # ---- answering -----------------------------------------------------------------------------------------

    def answer(self, raw_path: str, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for a GET of ``raw_path``."""
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests.append(raw_path)
            self.headers.append(lowered)
        url = urlsplit(raw_path)
        path = url.path.rstrip("/")
        if self.token is not None and lowered.get("authorization") != f"Bearer {self.token}":
            return 401, status_body(401, "Unauthorized")
        if path in self._errors:
            code, message = self._errors[path]
            return code, status_body(code, message)
        match = _PATH.match(path)
        resource = self._resource(match)
        if resource is None or (resource.prefix == CALICO and not self.calico):
            return 404, status_body(404, "the server could not find the requested resource")
        assert match is not None
        namespace = match["namespace"]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self._lock:
            items = [
                o
                for o in self.objects
                if o.get("apiVersion") == resource.api_version  # type: ignore[union-attr]
                and o.get("kind") == resource.kind
            ]
        if namespace is not None:
            items = [o for o in items if (o.get("metadata") or {}).get("namespace", "default") == namespace]
        items.sort(key=lambda o: ((o.get("metadata") or {}).get("namespace", ""), o["metadata"]["name"]))
        try:
            start = self._offset(query.get("continue"), path)
            limit = int(query["limit"]) if query.get("limit") else None
        except ValueError as exc:
            return 400, status_body(400, str(exc), "BadRequest")
        if limit is not None and limit < 0:
            return 400, status_body(400, "limit must be >= 0", "BadRequest")
        size = limit or len(items)  # limit=0 means no limit
        if self.max_page is not None:
            size = min(size, self.max_page)
        chunk = items[start : start + size]
        end = start + len(chunk)
        metadata: dict[str, Any] = {"resourceVersion": "4242"}
        if end < len(items):
            metadata["continue"] = self._token(path, end)
            metadata["remainingItemCount"] = len(items) - end
        if resource.builtin:
            chunk = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in chunk]
        body = {
            "apiVersion": resource.api_version,
            "kind": f"{resource.kind}List",
            "metadata": metadata,
            "items": chunk,
        }
        return 200, body

    @staticmethod
    def _resource(match: re.Match[str] | None) -> Resource | None:
        if match is None:
            return None
        for resource in RESOURCES:
            if resource.prefix == match["prefix"] and resource.plural == match["plural"]:
                if match["namespace"] is not None and not resource.namespaced:
                    return None
                return resource
        return None

    @staticmethod
    def _token(path: str, offset: int) -> str:
        return base64.urlsafe_b64encode(json.dumps({"path": path, "offset": offset}).encode()).decode()

    @staticmethod
    def _offset(token: str | None, path: str) -> int:
        if not token:
            return 0
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
        except ValueError:
            raise ValueError(f"invalid continue token {token!r}") from None
        if not isinstance(data, dict) or data.get("path") != path or not isinstance(data.get("offset"), int):
            raise ValueError("continue token belongs to another list")
        return data["offset"]


class _Handler(BaseHTTPRequestHandler):
    api: FakeKubeAPI
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body in one write: no 40 ms delayed-ACK stall per request

    def do_GET(self) -> None:
        code, body = self.api.answer(self.path, {k: v for k, v in self.headers.items()})
        self._send(code, body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(405, status_body(405, "the fake API server is read-only", "MethodNotAllowed"))

    do_PUT = do_PATCH = do_DELETE = do_POST  # noqa: N815

    def _send(self, code: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass
