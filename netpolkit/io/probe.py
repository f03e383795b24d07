"""Connection probes run inside a source pod: which tool, which command, and what its answer means.

A probe asks a pod's own tools whether a TCP connection to a destination opens. The tools are found once per
pod and container (``sh -c 'command -v nc curl wget'``) and tried in that order of preference:

- ``nc -z -w <timeout> <host> <port>`` (busybox, OpenBSD and ncat all know ``-z``: connect, send nothing);
- ``curl -sS -o /dev/null -w connect=%{time_connect} --connect-timeout <timeout> -m <timeout+2> http://host:port/``:
  ``time_connect`` is 0 unless the TCP handshake completed (curl's ``--write-out`` documentation), so an HTTP error,
  an empty reply or a non-HTTP server still counts as connected; exit 6 = the name did not resolve, 7 = failed to
  connect at once (refused, or unreachable: read as "refused"), 28 = timed out (curl's "EXIT CODES");
- ``wget -q -T <timeout> -O /dev/null http://host:port/``: busybox wget exits 1 for every failure, so its message
  decides ("Connection refused", "bad address", "timed out"; "server returned error" means connected).

Nothing here talks to a cluster: :class:`Prober` runs commands through an :class:`Executor`, for a live cluster
:class:`netpolkit.io.live.exec.PodExec` (the Kubernetes exec API). UDP cannot be probed this way (no handshake
tells a dropped datagram from an unanswered one): :meth:`Prober.probe` refuses it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from netpolkit.errors import elide

__all__ = [
    "DISCOVERY_COMMAND",
    "OUTCOMES",
    "TOOLS",
    "ExecResult",
    "Executor",
    "Observation",
    "ProbeError",
    "Prober",
    "Source",
    "Target",
    "probe_command",
    "read_outcome",
    "read_tools",
]

TOOLS = ("nc", "curl", "wget")
"""Probe tools in order of preference."""
DISCOVERY_COMMAND = ("sh", "-c", "command -v nc curl wget")
"""Finds the tools: POSIX ``command -v`` prints the path of each name it finds, one per line."""
OUTCOMES = ("connected", "refused", "timeout", "dns-failure", "error")
"""What a probe can observe. Only "connected" means the connection opened."""
CURL_GRACE = 2.0
"""Seconds curl may take after connecting (``-m`` = timeout + this): a slow server is still a connection."""

_DNS = re.compile(
    r"bad address|could not resolve|can't resolve|unable to resolve|name or service not known|"
    r"temporary failure in name resolution|name does not resolve|nodename nor servname|no address associated",
    re.IGNORECASE,
)
_REFUSED = re.compile(r"connection refused", re.IGNORECASE)
_TIMEOUT = re.compile(r"timed out|timeout", re.IGNORECASE)
_WGET_CONNECTED = re.compile(r"server returned error|error getting response|HTTP/\d", re.IGNORECASE)
_CURL_CONNECT = re.compile(r"connect=(\d+(?:\.\d+)?)")


class ProbeError(RuntimeError):
    """A probe could not be run at all (no tool, no shell, exec refused); names the pod."""


@dataclass(frozen=True)
class ExecResult:
    """What one exec in a container returned.

    ``exit_code`` is None when the command did not finish (``timed_out``) or could not start (``failure``: the
    message of the API's ``Failure`` Status, e.g. "executable file not found").
    """

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool = False
    failure: str | None = None


class Executor(Protocol):
    """Runs one command in a container and waits at most ``timeout`` seconds."""

    def run(
        self, namespace: str, pod: str, container: str | None, command: Sequence[str], timeout: float
    ) -> ExecResult:  # pragma: no cover - protocol
        """Run ``command`` (an argv, no shell) in ``namespace/pod`` (``container``: None = the pod's default)."""
        ...


@dataclass(frozen=True)
class Source:
    """The pod (and container) a probe runs in."""

    namespace: str
    pod: str
    container: str | None = None

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.pod}"
        return f"{where} (container {self.container})" if self.container else where


@dataclass(frozen=True)
class Target:
    """Where a probe connects to: an IP or a name the source resolves (a Service, an external host)."""

    host: str
    port: int
    protocol: str = "TCP"

    def __post_init__(self) -> None:
        if not self.host or any(c.isspace() for c in self.host) or self.host.startswith("-"):
            raise ValueError(f"probe target host must be a name or an IP address, got {self.host!r}")
        if not 1 <= int(self.port) <= 65535:
            raise ValueError(f"probe target port must be 1-65535, got {self.port!r}")

    @property
    def by_name(self) -> bool:
        """Whether the source must resolve ``host`` through DNS first (it is not an IP address)."""
        return not (re.fullmatch(r"[\d.]+", self.host) or ":" in self.host)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.protocol}"


@dataclass(frozen=True)
class Observation:
    """The result of one probe: ``outcome`` is one of :data:`OUTCOMES`; ``connected`` iff it is "connected"."""

    source: Source
    target: Target
    tool: str
    command: tuple[str, ...]
    outcome: str
    exit_code: int | None
    detail: str = ""

    @property
    def connected(self) -> bool:
        """Whether the connection opened."""
        return self.outcome == "connected"


def read_tools(result: ExecResult) -> dict[str, str]:
    """The tools :data:`DISCOVERY_COMMAND` found: name -> path, in :data:`TOOLS` order."""
    found: dict[str, str] = {}
    for line in result.stdout.splitlines():
        path = line.strip()
        name = path.rsplit("/", 1)[-1]
        if name in TOOLS and name not in found:
            found[name] = path
    return {name: found[name] for name in TOOLS if name in found}


def _seconds(timeout: float) -> str:
    return str(max(1, math.ceil(timeout)))


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def probe_command(tool: str, path: str, target: Target, timeout: float) -> tuple[str, ...]:
    """The argv that tries ``target`` with ``tool`` (found at ``path``), giving up after ``timeout`` seconds."""
    if target.protocol.upper() != "TCP":
        raise ValueError(f"only TCP can be probed, not {target.protocol}")
    port = str(int(target.port))
    if tool == "nc":
        return (path, "-z", "-w", _seconds(timeout), target.host, port)
    url = f"http://{_url_host(target.host)}:{port}/"
    if tool == "curl":
        return (
            path,
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "connect=%{time_connect}",
            "--connect-timeout",
            _seconds(timeout),
            "-m",
            _seconds(timeout + CURL_GRACE),
            url,
        )
    if tool == "wget":
        return (path, "-q", "-T", _seconds(timeout), "-O", "/dev/null", url)
    raise ValueError(f"unknown probe tool {tool!r} (known: {', '.join(TOOLS)})")


def read_outcome(tool: str, result: ExecResult) -> str:
    """The outcome (one of :data:`OUTCOMES`) of a probe command of ``tool`` that returned ``result``."""
    if result.timed_out:
        return "timeout"
    if result.failure is not None or result.exit_code is None:
        return "error"
    text = result.stderr
    if tool == "curl":
        connect = _CURL_CONNECT.search(result.stdout)
        if result.exit_code == 0 or (connect is not None and float(connect.group(1)) > 0):
            return "connected"
        # 7 "Failed to connect": answered at once (a reset, an ICMP error), unlike a dropped SYN, which ends in 28
        return {6: "dns-failure", 7: "refused", 28: "timeout"}.get(result.exit_code, "error")
    if result.exit_code == 0:
        return "connected"
    if _DNS.search(text):
        return "dns-failure"
    if _REFUSED.search(text):
        return "refused"
    if tool == "wget" and _WGET_CONNECTED.search(text):
        return "connected"
    if tool == "nc" and not text.strip():
        return "timeout"  # nc -z -w: a silent exit 1 after the wait
    if _TIMEOUT.search(text):
        return "timeout"
    return "error"


@dataclass
class Prober:
    """Runs probes through ``executor``; finds each container's tools once and remembers them.

    ``timeout``: seconds a connection attempt may take; the exec itself may take ``grace`` seconds more (starting
    the process, the API round trip) before it counts as timed out.
    """

    executor: Executor
    timeout: float = 2.0
    grace: float = 5.0
    _tools: dict[Source, dict[str, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.timeout > 0 or not self.grace >= 0:
            raise ValueError(f"timeout must be > 0 and grace >= 0, got {self.timeout!r}, {self.grace!r}")

    def tools(self, source: Source) -> dict[str, str]:
        """The probe tools of ``source`` (name -> path), found with one exec the first time, then remembered.

        Raises :class:`ProbeError` when the container has no shell to run ``command -v`` or none of the tools.
        """
        if source in self._tools:
            return self._tools[source]
        result = self.executor.run(
            source.namespace, source.pod, source.container, DISCOVERY_COMMAND, self.timeout + self.grace
        )
        if result.failure is not None or result.timed_out:
            why = "timed out" if result.timed_out else elide(result.failure or "", 300)
            raise ProbeError(
                f"cannot look for probe tools in pod {source}: `sh -c 'command -v nc curl wget'` failed ({why}); "
                "the probe needs a shell and one of nc, curl, wget in the container"
            )
        tools = read_tools(result)
        if not tools:
            raise ProbeError(
                f"pod {source} has none of nc, curl, wget: it cannot run a connection probe. Probe from another "
                "pod, or use an image that has one (busybox has nc and wget)"
            )
        self._tools[source] = tools
        return tools

    def probe(self, source: Source, target: Target) -> Observation:
        """Try to open a TCP connection from ``source`` to ``target``; the :class:`Observation` says what happened."""
        if target.protocol.upper() != "TCP":
            raise ValueError(
                f"cannot probe {target}: only TCP has a handshake a probe can observe (UDP, SCTP: not probed)"
            )
        tool, path = next(iter(self.tools(source).items()))
        command = probe_command(tool, path, target, self.timeout)
        result = self.executor.run(source.namespace, source.pod, source.container, command, self.timeout + self.grace)
        outcome = read_outcome(tool, result)
        detail = result.failure or result.stderr.strip()
        if result.timed_out:
            detail = f"the probe did not finish within {self.timeout + self.grace:g} s"
        return Observation(source, target, tool, command, outcome, result.exit_code, elide(detail, 300))
