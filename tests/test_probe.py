"""Probes through the real ``kubernetes`` client: pod exec over WebSocket to a loopback fake API server.

The server (:mod:`fake_kube_exec`) answers the exec handshake of RFC 6455 with a remote command subprotocol
(``v5.channel.k8s.io``/``v4.channel.k8s.io``: k8s.io/apimachinery/pkg/util/remotecommand/constants.go) and writes
channel-prefixed binary frames, ending with a ``metav1.Status`` on channel 3 (client-go
tools/remotecommand/v4.go ``errorDecoderV4``: ``Failure`` + ``NonZeroExitCode`` + cause ``ExitCode``). Its
containers are scripted: which of nc/curl/wget exist, and what a connection from a pod to host:port does. Exit
codes and messages are those of curl's man page ("EXIT CODES": 6 resolve, 7 connect, 28 timeout) and of busybox
nc/wget ("bad address", "Connection refused", "download timed out").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

from fake_kube_exec import Container, FakeKubeExecAPI
from kubernetes.client import ApiClient, Configuration

from netpolkit.io.live import LiveClusterError
from netpolkit.io.live.exec import PodExec, read_status
from netpolkit.io.probe import (
    DISCOVERY_COMMAND,
    ExecResult,
    ProbeError,
    Prober,
    Source,
    Target,
    probe_command,
    read_outcome,
    read_tools,
)

WEB = Source("shop", "web-1")


@pytest.fixture
def server() -> Iterator[FakeKubeExecAPI]:
    api = FakeKubeExecAPI(
        [],
        containers={
            ("shop", "web-1"): Container(tools={"nc", "curl", "wget"}),
            ("shop", "curl-only"): Container(tools={"curl"}),
            ("shop", "wget-only"): Container(tools={"wget"}),
            ("shop", "nc-only"): Container(tools={"nc"}),
            ("shop", "bare"): Container(tools=set()),
            ("shop", "distroless"): Container(tools=set(), shell=False),
        },
        max_hang=5.0,
    )
    with api:
        yield api


@pytest.fixture
def execer(server: FakeKubeExecAPI) -> Iterator[PodExec]:
    given = ApiClient(Configuration(host=server.host))
    with PodExec(api_client=given) as pod_exec:
        yield pod_exec
    given.close()


def connections(server: FakeKubeExecAPI, source: str, table: dict[tuple[str, int], str]) -> None:
    server.connections.update({(source, host, port): verdict for (host, port), verdict in table.items()})


# ---- tool discovery ------------------------------------------------------------------------------------------


def test_tools_are_found_once_per_pod_and_container(server, execer):
    connections(server, "shop/web-1", {("db", 5432): "connect", ("cache", 6379): "connect"})
    connections(server, "shop/curl-only", {("db", 5432): "connect"})
    prober = Prober(execer, timeout=1)
    prober.probe(WEB, Target("db", 5432))
    prober.probe(WEB, Target("cache", 6379))
    prober.probe(Source("shop", "curl-only"), Target("db", 5432))
    commands = [(e.pod, e.command) for e in server.execs]
    assert commands.count(("web-1", DISCOVERY_COMMAND)) == 1
    assert commands.count(("curl-only", DISCOVERY_COMMAND)) == 1
    assert len(server.execs) == execer.calls == 5  # 2 discoveries + 3 probes
    assert prober.tools(WEB) == {"nc": "/usr/bin/nc", "curl": "/usr/bin/curl", "wget": "/usr/bin/wget"}
    assert len(server.execs) == 5  # remembered, not asked again


def test_exec_request_carries_the_command_and_streams_but_no_stdin_or_tty(server, execer):
    execer.run("shop", "web-1", "main", ["sh", "-c", "command -v nc curl wget"], timeout=5)
    seen = server.execs[-1]
    assert seen.command == ("sh", "-c", "command -v nc curl wget")
    assert seen.container == "main"
    assert seen.query["stdout"] == ("true",) and seen.query["stderr"] == ("true",)
    assert seen.query["stdin"] == ("false",) and seen.query["tty"] == ("false",)
    assert seen.protocol == "v5.channel.k8s.io"


def test_a_server_that_speaks_only_v4_is_understood():
    api = FakeKubeExecAPI([], containers={("shop", "web-1"): Container(tools={"nc"})}, protocols=("v4.channel.k8s.io",))
    api.connections[("shop/web-1", "db", 5432)] = "connect"
    with api, PodExec(api_client=ApiClient(Configuration(host=api.host))) as execer:
        observation = Prober(execer).probe(WEB, Target("db", 5432))
    assert observation.connected
    assert {e.protocol for e in api.execs} == {"v4.channel.k8s.io"}


def test_nc_is_preferred_when_several_tools_exist(server, execer):
    connections(server, "shop/web-1", {("db", 5432): "connect"})
    observation = Prober(execer, timeout=3).probe(WEB, Target("db", 5432))
    assert observation.tool == "nc"
    assert observation.command == ("/usr/bin/nc", "-z", "-w", "3", "db", "5432")
    assert server.execs[-1].command == observation.command


def test_a_pod_without_any_probe_tool_is_a_clear_error(server, execer):
    with pytest.raises(ProbeError, match=r"pod shop/bare has none of nc, curl, wget"):
        Prober(execer).probe(Source("shop", "bare"), Target("db", 5432))


def test_a_pod_without_a_shell_is_a_clear_error(server, execer):
    with pytest.raises(
        ProbeError, match=r"cannot look for probe tools in pod shop/distroless.*executable file not found"
    ):
        Prober(execer).probe(Source("shop", "distroless"), Target("db", 5432))


# ---- commands and verdicts -----------------------------------------------------------------------------------

COMMANDS = {
    "nc-only": ("/usr/bin/nc", "-z", "-w", "2", "db", "5432"),
    "curl-only": (
        "/usr/bin/curl",
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "connect=%{time_connect}",
        "--connect-timeout",
        "2",
        "-m",
        "4",
        "http://db:5432/",
    ),
    "wget-only": ("/usr/bin/wget", "-q", "-T", "2", "-O", "/dev/null", "http://db:5432/"),
}
VERDICTS = [  # scripted answer -> what the probe must observe
    ("connect", "connected"),
    ("http-error", "connected"),  # an HTTP error still means the TCP handshake completed
    ("refused", "refused"),
    ("timeout", "timeout"),
    ("dns", "dns-failure"),
]


@pytest.mark.parametrize("pod", sorted(COMMANDS))
@pytest.mark.parametrize(("scripted", "outcome"), VERDICTS)
def test_each_tool_builds_its_command_and_reads_each_outcome(server, execer, pod, scripted, outcome):
    connections(server, f"shop/{pod}", {("db", 5432): scripted})
    observation = Prober(execer, timeout=2).probe(Source("shop", pod), Target("db", 5432))
    assert observation.command == COMMANDS[pod]
    assert server.execs[-1].command == COMMANDS[pod]
    assert observation.outcome == outcome
    assert observation.connected == (outcome == "connected")


def test_an_exec_that_does_not_finish_is_a_timeout_and_the_stream_is_closed(server, execer):
    connections(server, "shop/web-1", {("slow", 80): "hang"})
    prober = Prober(execer, timeout=0.5, grace=0.5)
    observation = prober.probe(WEB, Target("slow", 80))
    assert observation.outcome == "timeout"
    assert observation.exit_code is None
    assert "did not finish within 1 s" in observation.detail


def test_exit_codes_come_from_the_error_channel(server, execer):
    connections(server, "shop/nc-only", {("db", 5432): "timeout"})
    result = execer.run("shop", "nc-only", None, ["nc", "-z", "-w", "1", "db", "5432"], timeout=5)
    assert result == ExecResult("", "", 1)
    result = execer.run("shop", "nc-only", None, ["sh", "-c", "command -v nc curl wget"], timeout=5)
    assert result.exit_code == 1 and result.stdout == "/usr/bin/nc\n"  # command -v: non-zero, a name was missing


def test_a_failure_status_without_exit_code_is_reported_as_failure(server, execer):
    server.exec_failure[("shop", "web-1")] = 'container "main" in pod "web-1" is waiting to start'
    result = execer.run("shop", "web-1", None, ["nc", "-z", "db", "1"], timeout=5)
    assert result.exit_code is None
    assert result.failure == 'container "main" in pod "web-1" is waiting to start'
    with pytest.raises(ProbeError, match="waiting to start"):
        Prober(execer).probe(WEB, Target("db", 1))


def test_an_exec_the_api_refuses_names_the_pod_and_the_rbac_verb(server, execer):
    server.reject_exec[("shop", "web-1")] = 403
    with pytest.raises(
        LiveClusterError,
        match=r"^exec in pod shop/web-1 failed: Handshake status 403 Forbidden: exec into shop/web-1 refused "
        r"\(needs RBAC: create pods/exec\)$",
    ):
        execer.run("shop", "web-1", None, ["true"], timeout=5)


def test_output_beyond_the_bound_is_an_error(server):
    server.connections[("shop/web-1", "db", 5432)] = "refused"
    small = PodExec(api_client=ApiClient(Configuration(host=server.host)), max_output=10)
    with small, pytest.raises(LiveClusterError, match="more than 10 bytes of output"):
        small.run("shop", "web-1", None, ["nc", "-z", "-w", "1", "db", "5432"], timeout=5)


def test_udp_is_not_probed(execer):
    with pytest.raises(ValueError, match="only TCP"):
        Prober(execer).probe(WEB, Target("dns", 53, "UDP"))


# ---- pure parts ----------------------------------------------------------------------------------------------

STATUS_CASES: list[tuple[str, tuple[int | None, Any]]] = [
    ('{"metadata":{},"status":"Success"}', (0, None)),
    (
        '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}',
        (7, None),
    ),
    ('{"status":"Failure","message":"no such container"}', (None, "no such container")),
    ("", (None, "the exec stream ended without a status on the error channel")),
]


@pytest.mark.parametrize(("text", "expected"), STATUS_CASES)
def test_read_status(text, expected):
    assert read_status(text) == expected


def test_read_tools_keeps_known_tools_in_preference_order():
    result = ExecResult("/bin/wget\n/usr/local/bin/curl\n/usr/bin/sh\n", "", 1)
    assert list(read_tools(result).items()) == [("curl", "/usr/local/bin/curl"), ("wget", "/bin/wget")]


def test_curl_counts_a_completed_handshake_as_connected_whatever_the_exit_code():
    # curl --write-out: time_connect is 0 unless the TCP connect completed; exit 52 = empty reply from server
    assert read_outcome("curl", ExecResult("connect=0.000812", "curl: (52) Empty reply from server", 52)) == "connected"
    assert read_outcome("curl", ExecResult("connect=0.000000", "curl: (56) Recv failure", 56)) == "error"


def test_ipv6_targets_are_bracketed_in_urls():
    command = probe_command("wget", "wget", Target("fd00::5", 80), 1)
    assert command[-1] == "http://[fd00::5]:80/"


@pytest.mark.parametrize("host", ["", "-oProxyCommand=x", "a b"])
def test_a_target_host_that_could_become_an_option_is_refused(host):
    with pytest.raises(ValueError, match="probe target host"):
        Target(host, 80)


def test_without_the_kubernetes_client_exec_names_the_extra_and_probing_still_imports(monkeypatch):
    import subprocess
    import sys

    for name in [m for m in sys.modules if m == "kubernetes" or m.startswith("kubernetes.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install 'netpolkit\[live\]'"):
        PodExec(api_client=None)
    blocked = "import sys; sys.modules['kubernetes'] = None; import netpolkit.probing, netpolkit.io.probe"
    subprocess.run([sys.executable, "-c", blocked], check=True)  # comparing needs no kubernetes
