"""Run a command in a pod through the Kubernetes exec API (``pods/exec`` over WebSocket), for probes.

:class:`PodExec` is an :class:`netpolkit.io.probe.Executor`. It uses ``kubernetes.stream.stream`` on an ApiClient of
its own: the client's documentation advises a separate client for ``stream()``, which replaces the request method
of the client it is given while it runs. The server speaks a remote command subprotocol
(``v5.channel.k8s.io`` or ``v4.channel.k8s.io``): binary frames whose first byte is the channel (1 stdout,
2 stderr, 3 the error channel, which ends with a ``metav1.Status``: ``Success``, or ``Failure`` with
``details.causes[].reason == "ExitCode"`` carrying the exit code, or without one when the command could not start).

Exec only runs when asked: nothing in :func:`netpolkit.io.live.load_live` uses it. Output is bounded
(:data:`MAX_OUTPUT` bytes per exec) and so is the time (the ``timeout`` of each call).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from netpolkit.errors import elide
from netpolkit.io.live import RETRIES, LiveClusterError, _connect, _kubernetes
from netpolkit.io.probe import ExecResult, ProbeError

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["MAX_OUTPUT", "ExecRefusedError", "PodExec", "read_status"]

MAX_OUTPUT = 1024 * 1024
"""Bytes of stdout + stderr one exec may return (a probe prints a line; 1 MiB bounds a container that floods)."""
_STDOUT, _STDERR, _ERROR = 1, 2, 3
_POLL = 0.2


class ExecRefusedError(LiveClusterError, ProbeError):
    """The API refused the exec (no such pod or container, RBAC, a failed WebSocket handshake)."""


def _refusal(reason: str) -> str:
    """The readable part of websocket-client's "Handshake status 404 Not Found -+-+- {headers} -+-+- body"."""
    head, _, rest = reason.partition(" -+-+- ")
    body = rest.rpartition(" -+-+- ")[2]
    try:
        status = json.loads(body)
    except ValueError:
        return elide(head, 200)
    message = status.get("message") if isinstance(status, dict) else None
    return elide(f"{head}: {message}" if message else head, 300)


def read_status(text: str) -> tuple[int | None, str | None]:
    """(exit code, failure message) from the error channel's ``metav1.Status`` text.

    ``Success`` -> (0, None); ``Failure`` with an ``ExitCode`` cause -> (that code, None); any other ``Failure``
    -> (None, its message). No Status at all (the stream ended early) -> (None, a message saying so).
    """
    if not text.strip():
        return None, "the exec stream ended without a status on the error channel"
    try:
        status = json.loads(text)
    except ValueError:
        return None, f"the error channel did not carry a Status: {elide(text, 200)}"
    if not isinstance(status, dict):
        return None, f"the error channel did not carry a Status: {elide(text, 200)}"
    if status.get("status") == "Success":
        return 0, None
    causes = (status.get("details") or {}).get("causes") if isinstance(status.get("details"), dict) else None
    for cause in causes if isinstance(causes, list) else ():
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(str(cause.get("message"))), None
            except ValueError:
                break
    return None, elide(str(status.get("message") or status.get("reason") or "exec failed"), 500)


class PodExec:
    """Runs commands in pods through the exec API, on its own ApiClient; a context manager (closes the client).

    Connects like :func:`netpolkit.io.live.load_live`: ``kubeconfig`` and ``context``, or ``in_cluster``, or
    ``api_client`` (its configuration is reused by a new client; the given one is not touched and not closed).
    """

    def __init__(
        self,
        *,
        kubeconfig: str | os.PathLike[str] | None = None,
        context: str | None = None,
        in_cluster: bool = False,
        api_client: ApiClient | None = None,
        max_output: int = MAX_OUTPUT,
    ) -> None:
        self._k8s = _kubernetes()
        import kubernetes.stream  # noqa: F401  (the exec transport; needs websocket-client)

        if api_client is not None and (kubeconfig is not None or context is not None or in_cluster):
            raise ValueError("give either api_client or kubeconfig/context/in_cluster, not both")
        if api_client is not None:
            self._client = self._k8s.client.ApiClient(api_client.configuration)
            self.label = str(api_client.configuration.host)
        else:
            self._client, self.label = _connect(self._k8s, kubeconfig, context, in_cluster, RETRIES)
        self._core = self._k8s.client.CoreV1Api(self._client)
        self.max_output = max_output
        self.calls = 0

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def __enter__(self) -> PodExec:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self, namespace: str, pod: str, container: str | None, command: Sequence[str], timeout: float
    ) -> ExecResult:
        """Run ``command`` (argv, no shell, no stdin, no TTY) in the pod; wait at most ``timeout`` seconds.

        Returns an :class:`~netpolkit.io.probe.ExecResult` (``timed_out`` when the command was still running at
        the deadline: the stream is closed then). Raises :class:`~netpolkit.io.live.LiveClusterError` when the API
        refuses the exec (no such pod, RBAC: ``create`` on ``pods/exec``) or the output exceeds ``max_output``.
        """
        from kubernetes.stream import stream

        self.calls += 1
        where = f"pod {namespace}/{pod}" + (f" container {container}" if container else "")
        kwargs: dict[str, Any] = {
            "command": list(command),
            "stderr": True,
            "stdin": False,
            "stdout": True,
            "tty": False,
            "_preload_content": False,
            "_request_timeout": timeout,
        }
        if container:
            kwargs["container"] = container
        try:
            ws = stream(self._core.connect_get_namespaced_pod_exec, pod, namespace, **kwargs)
        except self._k8s.client.ApiException as exc:
            raise ExecRefusedError(
                f"exec in {where} failed: {_refusal(str(exc.reason or exc))} (needs RBAC: create pods/exec)",
                resource="pods/exec",
                status=exc.status or None,
            ) from exc
        try:
            return self._collect(ws, where, timeout)
        finally:
            ws.close()

    def _collect(self, ws: Any, where: str, timeout: float) -> ExecResult:
        deadline = time.monotonic() + timeout
        out: list[str] = []
        err: list[str] = []
        status: list[str] = []
        size = 0
        timed_out = False
        while True:
            remaining = deadline - time.monotonic()
            if ws.is_open():
                if remaining <= 0:
                    timed_out = True
                else:
                    try:
                        ws.update(timeout=min(remaining, _POLL))
                    except Exception as exc:  # websocket-client raises its own exception types
                        raise LiveClusterError(f"exec in {where} failed: the stream broke ({exc})") from exc
            for channel, sink in ((_STDOUT, out), (_STDERR, err), (_ERROR, status)):
                data = ws.read_channel(channel) if channel in ws._channels else ""
                if data:
                    sink.append(data)
                    size += len(data)
            if size > self.max_output:
                raise LiveClusterError(f"exec in {where}: more than {self.max_output} bytes of output")
            ws.read_all()  # drop the client's copy of stdout/stderr: it would grow without bound
            if timed_out or not ws.is_open():
                break
        if timed_out:
            return ExecResult("".join(out), "".join(err), None, timed_out=True)
        code, failure = read_status("".join(status))
        return ExecResult("".join(out), "".join(err), code, failure=failure)
