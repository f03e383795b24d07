"""The fake API server of :mod:`fake_kube_api`, plus pod exec over WebSocket and writes, for probe and apply tests.

>>> api = FakeKubeExecAPI(objects, containers={("shop", "web-1"): Container(tools={"nc"})},   # doctest: +SKIP
...                       connections={("shop/web-1", "db", 5432): "connect"})

**Exec** (``/api/v1/namespaces/<ns>/pods/<pod>/exec``): the WebSocket handshake of RFC 6455 (section 4.2.2:
``Sec-WebSocket-Accept`` = base64(SHA-1(key + the RFC's GUID))), with the subprotocol picked from what the client
offers among ``protocols`` (default ``v5.channel.k8s.io``, ``v4.channel.k8s.io``, the remote command protocols
of the kubelet's streaming server). Every server frame is an unmasked binary frame whose first byte is the
channel: 1 stdout, 2 stderr, 3 the error channel, which carries a ``metav1.Status`` at the end: ``Success``, or
``Failure`` with reason ``NonZeroExitCode`` and ``details.causes[{reason: ExitCode, message: "<code>"}]``, as the
kubelet sends (k8s.io/client-go/tools/remotecommand, errorDecoderV4). Then a close frame.

The containers are scripted, not run. ``command -v nc curl wget`` (through ``sh -c``) prints the path of each tool
the :class:`Container` has. ``nc -z -w T host port``, ``curl ... http://host:port/`` and
``wget ... http://host:port/`` answer as busybox nc/wget and curl do, from ``connections``:
``(source "ns/pod", host, port) -> "connect" | "refused" | "timeout" | "dns" | "http-error" | "hang"``
(missing: "timeout"). "hang" never answers (until the client goes away or ``max_hang`` seconds pass), for exec
timeouts. A command the container does not have is a ``Failure`` without an exit code, like the runtime's
"executable file not found". ``exec_failure`` makes every exec of a pod answer a ``Failure`` Status with that
message; ``reject_exec`` makes the handshake answer an HTTP error instead of 101.

**Writes**: POST to a collection creates (409 if it exists), GET/PUT/DELETE on ``<collection>/<name>`` read,
replace and delete one object; a list GET honours ``labelSelector`` (``k=v`` terms). Built-in apps/v1 and
batch/v1 paths are served too. Every exec is recorded in ``execs`` (:class:`Exec`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fake_kube_api import FakeKubeAPI, Reply, Resource, _Handler, status_body

__all__ = ["WEBSOCKET_GUID", "Container", "Exec", "FakeKubeExecAPI"]

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
STDOUT, STDERR, ERROR = 1, 2, 3
_EXEC = re.compile(r"^/api/v1/namespaces/(?P<namespace>[^/]+)/pods/(?P<pod>[^/]+)/exec$")
_ONE = re.compile(r"^(?P<collection>/apis?/.+/(?P<plural>[^/]+))/(?P<name>[^/]+)$")
# Kinds the writes need beyond the read-only server's (which lists only what network policies act on).
EXTRA_RESOURCES: tuple[Resource, ...] = (
    Resource("/apis/apps/v1", "deployments", "apps/v1", "Deployment", True),
    Resource("/apis/apps/v1", "statefulsets", "apps/v1", "StatefulSet", True),
    Resource("/apis/apps/v1", "daemonsets", "apps/v1", "DaemonSet", True),
    Resource("/apis/apps/v1", "replicasets", "apps/v1", "ReplicaSet", True),
    Resource("/apis/batch/v1", "jobs", "batch/v1", "Job", True),
    Resource("/api/v1", "configmaps", "v1", "ConfigMap", True),
    Resource("/api/v1", "serviceaccounts", "v1", "ServiceAccount", True),
)


@dataclass
class Container:
    """A scripted container: which probe tools it has, and whether it has a shell at all."""

    tools: set[str] = field(default_factory=set)
    shell: bool = True
    name: str = "main"


@dataclass(frozen=True)
class Exec:
    """One exec request as the server saw it."""

    namespace: str
    pod: str
    container: str | None
    command: tuple[str, ...]
    protocol: str
    query: Mapping[str, tuple[str, ...]]


def _accept(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()


def _frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """One unmasked server frame (RFC 6455, section 5.2), FIN set."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def exit_status(code: int) -> dict[str, Any]:
    """The error-channel Status of a command that ended with ``code``, as the kubelet writes it."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command, exit status {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def failure_status(message: str) -> dict[str, Any]:
    """An error-channel Status of an exec that could not run (no exit code)."""
    return {"metadata": {}, "status": "Failure", "message": message, "reason": "InternalError"}


@dataclass
class FakeKubeExecAPI(FakeKubeAPI):
    """:class:`FakeKubeAPI` that also answers exec (WebSocket) and writes. See the module docstring."""

    containers: dict[tuple[str, str], Container] = field(default_factory=dict)
    connections: dict[tuple[str, str, int], str] = field(default_factory=dict)
    protocols: tuple[str, ...] = ("v5.channel.k8s.io", "v4.channel.k8s.io")
    exec_failure: dict[tuple[str, str], str] = field(default_factory=dict)
    reject_exec: dict[tuple[str, str], int] = field(default_factory=dict)
    max_hang: float = 10.0
    execs: list[Exec] = field(default_factory=list)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (method, path)

    def start(self) -> FakeKubeExecAPI:
        """Listen on 127.0.0.1 (a free port) with the WebSocket-aware handler."""
        from http.server import ThreadingHTTPServer

        handler = type("Handler", (_ExecHandler,), {"api": self})
        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-kube-exec", daemon=True
        )
        self._thread.start()
        return self

    def __enter__(self) -> FakeKubeExecAPI:
        return self.start()

    # ---- objects -------------------------------------------------------------------------------------------

    def find(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The stored object of this kind, namespace and name, or None."""
        with self._lock:
            for obj in self.objects:  # type: ignore[union-attr]
                meta = obj.get("metadata") or {}
                if obj.get("kind") == kind and meta.get("name") == name and meta.get("namespace") == namespace:
                    return obj
        return None

    def _resource_at(self, collection: str) -> tuple[Resource, str | None] | None:
        match = re.match(
            r"^(?P<prefix>/api/v1|/apis/[^/]+/[^/]+)(?:/namespaces/(?P<namespace>[^/]+))?/(?P<plural>[^/]+)$",
            collection,
        )
        if match is None:
            return None
        for resource in (*EXTRA_RESOURCES, *_resources()):
            if resource.prefix == match["prefix"] and resource.plural == match["plural"] and self.served(resource):
                if (match["namespace"] is not None) != resource.namespaced:
                    continue
                return resource, match["namespace"]
        return None

    def reply(self, method: str, raw_path: str, headers: Mapping[str, str]) -> Reply:  # type: ignore[override]
        """Writes, one-object reads and labelSelector lists here; everything else as the read-only server does."""
        return self.reply_with_body(method, raw_path, headers, b"")

    def reply_with_body(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        url = urlsplit(raw_path)
        path = url.path.rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        located = self._resource_at(path)
        if located is not None and method == "POST":
            return self._create(located, path, body)
        if located is not None and method == "GET" and "labelSelector" in query:
            with self._lock:
                self.requests.append(raw_path)
                self.methods.append(method)
            return self._list_selected(located, query["labelSelector"])
        one = _ONE.match(path)
        if one is not None:
            located_one = self._resource_at(one["collection"])
            if located_one is not None:
                with self._lock:
                    self.requests.append(raw_path)
                    self.methods.append(method)
                return self._one(method, path, located_one, one["name"], body)
        return super().reply(method, raw_path, headers)

    def _create(self, located: tuple[Resource, str | None], path: str, body: bytes) -> Reply:
        resource, namespace = located
        with self._lock:
            self.requests.append(path)
            self.methods.append("POST")
            self.writes.append(("POST", path))
        obj = json.loads(body or b"{}")
        meta = obj.setdefault("metadata", {})
        if resource.namespaced:
            if meta.get("namespace", namespace) != namespace:
                return Reply(400, status_body(400, "the namespace of the object does not match the URL", "BadRequest"))
            meta["namespace"] = namespace
        if obj.get("kind") != resource.kind:
            return Reply(400, status_body(400, f"expected kind {resource.kind}", "BadRequest"))
        if self.find(resource.kind, meta.get("namespace"), meta.get("name", "")) is not None:
            return Reply(
                409, status_body(409, f'{resource.plural} "{meta.get("name")}" already exists', "AlreadyExists")
            )
        meta["uid"] = f"uid-{resource.plural}-{meta.get('name')}"
        meta["resourceVersion"] = "1"
        self.add(obj)
        return Reply(201, obj)

    def _list_selected(self, located: tuple[Resource, str | None], selector: str) -> Reply:
        resource, namespace = located
        terms = [t.split("=", 1) for t in selector.split(",") if t]
        with self._lock:
            items = [
                o
                for o in self.objects  # type: ignore[union-attr]
                if o.get("kind") == resource.kind
                and o.get("apiVersion") == resource.api_version
                and (namespace is None or (o.get("metadata") or {}).get("namespace") == namespace)
                and all(((o.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in terms)
            ]
        return Reply(200, {"apiVersion": resource.api_version, "kind": f"{resource.kind}List", "items": items})

    def _one(self, method: str, path: str, located: tuple[Resource, str | None], name: str, body: bytes) -> Reply:
        resource, namespace = located
        current = self.find(resource.kind, namespace, name)
        if method in ("PUT", "DELETE"):
            with self._lock:
                self.writes.append((method, path))
        if current is None:
            return Reply(404, status_body(404, f'{resource.plural} "{name}" not found', "NotFound"))
        if method == "GET":
            return Reply(200, current)
        if method == "DELETE":
            with self._lock:
                self.objects.remove(current)  # type: ignore[union-attr]
            return Reply(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
        if method == "PUT":
            obj = json.loads(body or b"{}")
            if (obj.get("metadata") or {}).get("resourceVersion") != current["metadata"].get("resourceVersion"):
                return Reply(409, status_body(409, "the object has been modified", "Conflict"))
            obj["metadata"]["resourceVersion"] = str(int(current["metadata"]["resourceVersion"]) + 1)
            obj["metadata"]["uid"] = current["metadata"]["uid"]
            with self._lock:
                self.objects[self.objects.index(current)] = obj  # type: ignore[union-attr,index]
            return Reply(200, obj)
        return Reply(405, status_body(405, f"{method} not served", "MethodNotAllowed"))

    # ---- exec ----------------------------------------------------------------------------------------------

    def run_script(self, source: str, container: Container, argv: tuple[str, ...], stopping: threading.Event):
        """(stdout, stderr, Status) of ``argv`` in a scripted container; "hang" waits on ``stopping``."""
        if not argv:
            return "", "", failure_status("you must specify at least one command for the container")
        program = argv[0].rsplit("/", 1)[-1]
        if program == "sh" and container.shell:
            if argv[1:] == ("-c", "command -v nc curl wget"):
                found = [f"/usr/bin/{t}" for t in ("nc", "curl", "wget") if t in container.tools]
                code = 0 if len(found) == 3 else 1  # POSIX command -v: non-zero when a name is not found
                return "".join(f"{p}\n" for p in found), "", exit_status(code)
            return "", f"sh: unexpected script {argv[1:]!r}\n", exit_status(2)
        if program not in container.tools:
            return (
                "",
                "",
                failure_status(
                    "OCI runtime exec failed: exec failed: unable to start container process: "
                    f'exec: "{argv[0]}": executable file not found in $PATH: unknown'
                ),
            )
        host, port = _destination(program, argv)
        verdict = self.connections.get((source, host, port), "timeout")
        if verdict == "hang":
            stopping.wait(self.max_hang)
            return "", "", exit_status(1)
        return _answer(program, host, port, verdict)


def _resources() -> tuple[Resource, ...]:
    from fake_kube_api import RESOURCES

    return RESOURCES


def _destination(program: str, argv: tuple[str, ...]) -> tuple[str, int]:
    if program == "nc":
        return argv[-2], int(argv[-1])
    url = next(a for a in argv if a.startswith("http://"))
    netloc = urlsplit(url).netloc
    host, _, port = netloc.rpartition(":")
    return host.strip("[]"), int(port)


def _answer(program: str, host: str, port: int, verdict: str) -> tuple[str, str, dict[str, Any]]:
    """What busybox nc/wget and curl print and return for each outcome."""
    ip = "10.96.0.42"
    if program == "nc":
        return {
            "connect": ("", "", exit_status(0)),
            "http-error": ("", "", exit_status(0)),
            "refused": ("", f"nc: can't connect to remote host ({ip}): Connection refused\n", exit_status(1)),
            "timeout": ("", "", exit_status(1)),
            "dns": ("", f"nc: bad address '{host}'\n", exit_status(1)),
        }[verdict]
    if program == "curl":
        return {
            "connect": ("connect=0.001234", "", exit_status(0)),
            "http-error": ("connect=0.001234", "curl: (22) The requested URL returned error: 404\n", exit_status(22)),
            "refused": (
                "connect=0.000000",
                f"curl: (7) Failed to connect to {host} port {port} after 1 ms: Couldn't connect to server\n",
                exit_status(7),
            ),
            "timeout": (
                "connect=0.000000",
                f"curl: (28) Failed to connect to {host} port {port} after 2002 ms: Timeout was reached\n",
                exit_status(28),
            ),
            "dns": ("connect=0.000000", f"curl: (6) Could not resolve host: {host}\n", exit_status(6)),
        }[verdict]
    return {  # busybox wget
        "connect": ("", "", exit_status(0)),
        "http-error": ("", "wget: server returned error: HTTP/1.1 404 Not Found\n", exit_status(1)),
        "refused": ("", f"wget: can't connect to remote host ({ip}): Connection refused\n", exit_status(1)),
        "timeout": ("", "wget: download timed out\n", exit_status(1)),
        "dns": ("", f"wget: bad address '{host}'\n", exit_status(1)),
    }[verdict]


class _ExecHandler(_Handler):
    api: FakeKubeExecAPI

    def _handle(self) -> None:
        url = urlsplit(self.path)
        match = _EXEC.match(url.path)
        if match is not None and (self.headers.get("Upgrade") or "").lower() == "websocket":
            self._exec(match["namespace"], match["pod"], parse_qs(url.query))
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length else b""
        reply = self.api.reply_with_body(self.command, self.path, dict(self.headers.items()), body)
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815

    def _exec(self, namespace: str, pod: str, query: dict[str, list[str]]) -> None:
        api = self.api
        self.close_connection = True
        offered = [p.strip() for p in (self.headers.get("Sec-WebSocket-Protocol") or "").split(",") if p.strip()]
        chosen = next((p for p in offered if p in api.protocols), None)
        rejected = api.reject_exec.get((namespace, pod))
        if rejected is None and (namespace, pod) not in api.containers and (namespace, pod) not in api.exec_failure:
            rejected = 404
        if rejected is not None or chosen is None:
            code = rejected or 400
            self._send(Reply(code, status_body(code, f"exec into {namespace}/{pod} refused")))
            return
        key = self.headers.get("Sec-WebSocket-Key") or ""
        head = (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {_accept(key)}\r\nSec-WebSocket-Protocol: {chosen}\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1"))
        self.wfile.flush()
        command = tuple(query.get("command", []))
        container_name = (query.get("container") or [None])[0]
        with api._lock:
            api.execs.append(
                Exec(namespace, pod, container_name, command, chosen, {k: tuple(v) for k, v in query.items()})
            )
        stopping = threading.Event()
        watcher = threading.Thread(target=self._watch_peer, args=(stopping,), daemon=True)
        watcher.start()
        failure = api.exec_failure.get((namespace, pod))
        if failure is not None:
            stdout, stderr, status = "", "", failure_status(failure)
        else:
            container = api.containers[(namespace, pod)]
            stdout, stderr, status = api.run_script(f"{namespace}/{pod}", container, command, stopping)
        if stopping.is_set():
            return
        try:
            if stdout:
                self.wfile.write(_frame(bytes([STDOUT]) + stdout.encode()))
            if stderr:
                self.wfile.write(_frame(bytes([STDERR]) + stderr.encode()))
            self.wfile.write(_frame(bytes([ERROR]) + json.dumps(status).encode()))
            self.wfile.write(_frame(struct.pack("!H", 1000), opcode=0x8))
            self.wfile.flush()
            time.sleep(0.01)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        stopping.set()

    def _watch_peer(self, stopping: threading.Event) -> None:
        """Set ``stopping`` when the client closes the connection (or the server stops)."""
        sock: socket.socket = self.connection
        deadline = time.monotonic() + self.api.max_hang
        while not stopping.is_set() and time.monotonic() < deadline and not self.api._stopping.is_set():
            try:
                sock.settimeout(0.05)
                data = sock.recv(1024)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if data[0] & 0x0F == 0x8:  # the client's close frame
                break
        stopping.set()
