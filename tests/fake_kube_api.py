"""A small in-process Kubernetes API server for tests: real HTTP on 127.0.0.1, list and discovery endpoints only.

>>> with FakeKubeAPI(objects) as api:                      # doctest: +SKIP
...     client = ApiClient(Configuration(host=api.host))
...     ...
...     assert "/api/v1/pods" in api.paths

Serves GET for the list paths of Namespaces, Pods, Services, ``networking.k8s.io/v1`` NetworkPolicies, the
``projectcalico.org/v3`` policies (with ``calico``), the ``policy.networking.k8s.io`` kinds (with ``policy_api``)
and the ``cilium.io/v2`` policies (with ``cilium``), cluster-wide and per namespace where the resource is
namespaced; and API discovery (``/apis``: an APIGroupList, ``/apis/<group>/<version>``: an APIResourceList) for
what it serves, unless ``discovery=False``. ``calico_crds`` lists Calico's ``crd.projectcalico.org/v1`` group in
discovery (its lists are not served); ``extra_groups`` lists more group versions there (served with no
resources), e.g. a policy API version netpolkit does not read. Answers are ``...List`` objects like the real API
server's: built-in list items carry no ``apiVersion``/``kind`` (custom objects do), ``limit`` and ``continue``
page the items, unknown paths get a 404 ``Status`` (``typed_items=False``: custom-object items come without
``apiVersion``/``kind`` too). Every request is answered only for GET; any other method gets a 405 and is
recorded like the rest, so a test can prove a client never sent one.

Misbehaving on purpose: ``fail(path, status)`` makes a path answer with an error Status; ``on(path, hook)`` lets a
test answer a path itself: the hook gets a :class:`Request` (with ``normal()``, the answer the server would have
given, and ``count``, the how-manieth request for that path this is) and returns a :class:`Reply` (any status,
raw bytes, headers, a lying Content-Length, a trickled or cut-off body) or None for the normal answer. ``token``
makes every request without ``Authorization: Bearer <token>`` a 401.

Every request is recorded (``requests``: path with query; ``paths``: path only; ``methods``: the HTTP method;
``headers``: the request headers, names in lower case). Everything the server does per request is bounded:
a trickled reply stops after its ``max_seconds`` or when the server stops; after ``max_requests`` requests for one
path the server answers 500 without calling hooks, so a client that loops cannot loop forever.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "CALICO",
    "CILIUM",
    "POLICY_API_V1ALPHA1",
    "POLICY_API_V1ALPHA2",
    "RESOURCES",
    "FakeKubeAPI",
    "Reply",
    "Request",
    "Resource",
    "status_body",
]

CALICO = "/apis/projectcalico.org/v3"
CILIUM = "/apis/cilium.io/v2"
POLICY_API_V1ALPHA1 = "/apis/policy.networking.k8s.io/v1alpha1"
POLICY_API_V1ALPHA2 = "/apis/policy.networking.k8s.io/v1alpha2"


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
    Resource(CALICO, "stagednetworkpolicies", "projectcalico.org/v3", "StagedNetworkPolicy", True, builtin=False),
    Resource(CALICO, "stagedglobalnetworkpolicies", "projectcalico.org/v3", "StagedGlobalNetworkPolicy", False, False),
    Resource(
        CALICO, "stagedkubernetesnetworkpolicies", "projectcalico.org/v3", "StagedKubernetesNetworkPolicy", True, False
    ),
    Resource(
        POLICY_API_V1ALPHA2,
        "clusternetworkpolicies",
        "policy.networking.k8s.io/v1alpha2",
        "ClusterNetworkPolicy",
        False,
        False,
    ),
    Resource(
        POLICY_API_V1ALPHA1,
        "adminnetworkpolicies",
        "policy.networking.k8s.io/v1alpha1",
        "AdminNetworkPolicy",
        False,
        False,
    ),
    Resource(
        POLICY_API_V1ALPHA1,
        "baselineadminnetworkpolicies",
        "policy.networking.k8s.io/v1alpha1",
        "BaselineAdminNetworkPolicy",
        False,
        False,
    ),
    Resource(CILIUM, "ciliumnetworkpolicies", "cilium.io/v2", "CiliumNetworkPolicy", True, builtin=False),
    Resource(
        CILIUM, "ciliumclusterwidenetworkpolicies", "cilium.io/v2", "CiliumClusterwideNetworkPolicy", False, False
    ),
)
_PATH = re.compile(r"^(?P<prefix>/api/v1|/apis/[^/]+/[^/]+)(?:/namespaces/(?P<namespace>[^/]+))?/(?P<plural>[^/]+)$")
_GROUP_VERSION = re.compile(r"^/apis/(?P<group>[^/]+)/(?P<version>[^/]+)$")


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
class Reply:
    """What a hook answers. ``body`` (JSON-encoded) or ``raw`` (bytes as they are) is the body.

    ``headers`` add to or replace Content-Type and Content-Length; ``content_length`` sends that Content-Length
    whatever the body's size (a lie), ``omit_length`` sends none (the body ends when the connection closes).
    ``trickle``: seconds to wait between writes of ``chunk`` bytes (with ``trickle_headers``, the status line and
    headers are trickled too), for at most ``max_seconds``. ``cut_after``: send only that many bytes of the body,
    then close the connection.
    """

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_length: int | None = None
    omit_length: bool = False
    trickle: float = 0.0
    chunk: int = 1
    trickle_headers: bool = False
    max_seconds: float = 10.0
    cut_after: int | None = None

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.body).encode()


@dataclass
class Request:
    """A request as a hook sees it."""

    method: str
    path: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    count: int  # 1 for the first request of this path, 2 for the second, ...
    api: FakeKubeAPI

    def normal(self) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) the server would answer without the hook."""
        return self.api.answer_path(self.path, self.query)


Hook = Callable[[Request], Reply | None]


@dataclass
class FakeKubeAPI:
    """The server; a context manager (``with FakeKubeAPI(objects) as api``) or ``start()``/``stop()``."""

    objects: Iterable[Mapping[str, Any]] = ()
    calico: bool = True
    cilium: bool = False
    policy_api: bool = False
    calico_crds: bool = False
    extra_groups: Mapping[str, Iterable[str]] = field(default_factory=dict)  # more group -> versions in /apis
    discovery: bool = True
    typed_items: bool = True  # custom-object list items carry apiVersion/kind (False: none do, like built-ins)
    token: str | None = None
    max_page: int | None = None  # server-side cap on the page size (servers may return fewer than ``limit``)
    max_requests: int = 5_000  # per path: then 500s, hooks no longer called
    requests: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    _errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    _hooks: dict[str, Hook] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.objects = [dict(o) for o in self.objects]

    # ---- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> FakeKubeAPI:
        """Listen on 127.0.0.1 (a free port) in a daemon thread."""
        handler = type("Handler", (_Handler,), {"api": self})
        self._stopping.clear()
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
        """Stop serving and close the socket; trickling replies stop too."""
        self._stopping.set()
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

    def on(self, path: str, hook: Hook) -> None:
        """Let ``hook`` answer requests for ``path`` (exactly, query ignored); it returns None for the normal answer."""
        self._hooks[path] = hook

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

    def served(self, resource: Resource) -> bool:
        """Whether this server serves ``resource`` (its API group is installed)."""
        if resource.prefix == CALICO:
            return self.calico
        if resource.prefix == CILIUM:
            return self.cilium
        if resource.prefix in (POLICY_API_V1ALPHA1, POLICY_API_V1ALPHA2):
            return self.policy_api
        return True

    # ---- answering -----------------------------------------------------------------------------------------

    def reply(self, method: str, raw_path: str, headers: Mapping[str, str]) -> Reply:
        """The reply to one request (recorded)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        url = urlsplit(raw_path)
        path = url.path.rstrip("/") or "/"
        with self._lock:
            self.requests.append(raw_path)
            self.methods.append(method)
            self.headers.append(lowered)
            count = self._counts[path] = self._counts.get(path, 0) + 1
        if method != "GET":
            return Reply(405, status_body(405, "the fake API server is read-only", "MethodNotAllowed"))
        if count > self.max_requests:
            return Reply(500, status_body(500, f"fake API server: more than {self.max_requests} requests for {path}"))
        if self.token is not None and lowered.get("authorization") != f"Bearer {self.token}":
            return Reply(401, status_body(401, "Unauthorized"))
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        hook = self._hooks.get(path)
        if hook is not None:
            answer = hook(Request(method, path, query, lowered, count, self))
            if answer is not None:
                return answer
        code, body = self.answer_path(path, query)
        return Reply(code, body)

    def answer(self, raw_path: str, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for a GET of ``raw_path`` (recorded; hooks are not called)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.requests.append(raw_path)
            self.methods.append("GET")
            self.headers.append(lowered)
        if self.token is not None and lowered.get("authorization") != f"Bearer {self.token}":
            return 401, status_body(401, "Unauthorized")
        url = urlsplit(raw_path)
        return self.answer_path(url.path.rstrip("/"), {k: v[-1] for k, v in parse_qs(url.query).items()})

    def answer_path(self, path: str, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) of a GET of ``path`` with these query parameters, as the server would answer."""
        if path in self._errors:
            code, message = self._errors[path]
            return code, status_body(code, message)
        if path == "/apis" and self.discovery:
            return 200, self._group_list()
        gv = _GROUP_VERSION.match(path)
        if gv is not None and self.discovery:
            resources = [r for r in RESOURCES if r.prefix == path and self.served(r)]
            if resources:
                return 200, self._resource_list(path[len("/apis/") :], resources)
        match = _PATH.match(path)
        resource = self._resource(match)
        if resource is None or not self.served(resource):
            return 404, status_body(404, "the server could not find the requested resource")
        assert match is not None
        namespace = match["namespace"]
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
            metadata["continue"] = self.token_for(path, end)
            metadata["remainingItemCount"] = len(items) - end
        if resource.builtin or not self.typed_items:
            chunk = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in chunk]
        body = {
            "apiVersion": resource.api_version,
            "kind": f"{resource.kind}List",
            "metadata": metadata,
            "items": chunk,
        }
        return 200, body

    def _group_list(self) -> dict[str, Any]:
        groups: dict[str, list[str]] = {}
        for resource in RESOURCES:
            if resource.prefix.startswith("/apis/") and self.served(resource):
                group, version = resource.prefix[len("/apis/") :].split("/")
                if version not in groups.setdefault(group, []):
                    groups[group].append(version)
        if self.calico_crds:
            groups["crd.projectcalico.org"] = ["v1"]
        for group, versions in self.extra_groups.items():
            groups.setdefault(group, []).extend(v for v in versions if v not in groups.get(group, []))
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": group,
                    "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in versions],
                    "preferredVersion": {"groupVersion": f"{group}/{versions[-1]}", "version": versions[-1]},
                }
                for group, versions in groups.items()
            ],
        }

    @staticmethod
    def _resource_list(group_version: str, resources: list[Resource]) -> dict[str, Any]:
        entries = []
        for r in resources:
            entries.append(
                {
                    "name": r.plural,
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
                }
            )
            entries.append({"name": f"{r.plural}/status", "namespaced": r.namespaced, "kind": r.kind, "verbs": ["get"]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries}

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
    def token_for(path: str, offset: int) -> str:
        """The continue token that resumes the list of ``path`` at ``offset``."""
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

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        reply = self.api.reply(self.command, self.path, {k: v for k, v in self.headers.items()})
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client went away (e.g. it stopped reading a body too large)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815

    def _send(self, reply: Reply) -> None:
        body = reply.payload()
        headers = {"Content-Type": "application/json"}
        headers.update(reply.headers)
        if reply.omit_length:
            headers.pop("Content-Length", None)
            self.close_connection = True
        else:
            headers.setdefault(
                "Content-Length", str(len(body) if reply.content_length is None else reply.content_length)
            )
        if reply.cut_after is not None:
            body = body[: reply.cut_after]
            self.close_connection = True
        if reply.content_length is not None and reply.content_length != len(body):
            self.close_connection = True
        phrase = HTTPStatus(reply.status).phrase if reply.status in HTTPStatus._value2member_map_ else "Unknown"
        head = f"HTTP/1.1 {reply.status} {phrase}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if self.close_connection:
            head += "Connection: close\r\n"
        head_bytes = (head + "\r\n").encode("latin-1")
        if self.command == "HEAD":
            body = b""
        if reply.trickle <= 0:
            self.wfile.write(head_bytes + body)
            self.wfile.flush()
            return
        if not reply.trickle_headers:
            self.wfile.write(head_bytes)
            self.wfile.flush()
            data = body
        else:
            data = head_bytes + body
        stop = time.monotonic() + reply.max_seconds
        step = max(1, reply.chunk)
        for i in range(0, len(data), step):  # bounded by the body's size, the time limit and the server's stop
            if time.monotonic() >= stop or self.api._stopping.is_set():
                self.close_connection = True
                return
            self.wfile.write(data[i : i + step])
            self.wfile.flush()
            time.sleep(reply.trickle)

    def log_message(self, format: str, *args: Any) -> None:
        pass
