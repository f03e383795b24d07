"""probe_matrix: observed (probes through the real kubernetes client to the loopback exec server) versus predicted.

Semantics of the predictions: Kubernetes NetworkPolicy (kubernetes.io/docs/concepts/services-networking/
network-policies/: a pod selected for ingress admits only what a rule allows; egress likewise, DNS included, which is
why the docs' examples add a rule for port 53). Self traffic is implementation-defined (DESIGN.md; the upstream
conformance tables never assert it). The heatmap test reads the artists on the Agg backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pytest

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

import matplotlib.pyplot as plt
from fake_kube_exec import Container, FakeKubeExecAPI
from kubernetes.client import ApiClient, Configuration
from matplotlib.colors import to_hex

import netpolkit as npk
from netpolkit.io.live.exec import PodExec
from netpolkit.io.probe import Prober
from netpolkit.probe_plot import PROBE_STATES, ProbeDisplay
from netpolkit.probing import NOT_ENFORCING, SELF_TRAFFIC, ProbePair, live_pods, probe_matrix

DB_IP, WEB_IP, TESTER_IP = "10.0.0.5", "10.0.0.6", "10.0.0.7"


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def model_pod(ns: str, name: str, labels: dict[str, str], port: int, protocol: str = "TCP") -> dict[str, Any]:
    container = {"name": "main", "image": "busybox", "ports": [{"containerPort": port, "protocol": protocol}]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [container]},
    }


def policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": spec,
    }


DB_ADMITS_WEB = policy(
    "db-admits-web",
    {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]}],
    },
)
WEB_EGRESS_DB_ONLY = policy(
    "web-egress-db-only",
    {
        "podSelector": {"matchLabels": {"app": "web"}},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}], "ports": [{"port": 5432}]}],
    },
)
WEB_EGRESS_DNS = policy(
    "web-egress-dns",
    {
        "podSelector": {"matchLabels": {"app": "web"}},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
    },
)


def predicted(*policies: dict[str, Any]) -> npk.Reachability:
    objects = [
        namespace("shop"),
        namespace("kube-system"),
        model_pod("shop", "web", {"app": "web"}, 80),
        model_pod("shop", "db", {"app": "db"}, 5432),
        model_pod("shop", "tester", {"app": "tester"}, 80),
        model_pod("kube-system", "coredns", {"k8s-app": "kube-dns"}, 53, "UDP"),
        *policies,
    ]
    cluster = npk.Cluster.from_objects(objects, externals={"internet": "203.0.113.10"})
    return npk.reachability(cluster, ports=["TCP/5432", "UDP/53"], profile="upstream")


def live_pod(name: str, ip: str, labels: dict[str, str], ns: str = "shop", phase: str = "Running") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
        "status": {"phase": phase, "podIP": ip},
    }


LIVE = [
    live_pod("web-7d9f8-abcde", WEB_IP, {"app": "web", "pod-template-hash": "7d9f8"}),
    live_pod("web-admin-5c5c-zzzzz", "10.0.0.99", {"app": "web-admin"}),  # a name prefix alone does not match
    live_pod("db", DB_IP, {"app": "db"}),
    live_pod("tester", TESTER_IP, {"app": "tester"}),
    live_pod("tester-old", "10.0.0.98", {"app": "tester"}, phase="Succeeded"),
]
WEB_POD, DB_POD, TESTER_POD = "shop/web-7d9f8-abcde", "shop/db", "shop/tester"
PAIRS = [
    ProbePair("shop/web", "shop/db", 5432, via="svc db:5432"),
    ProbePair("shop/tester", "shop/db", 5432),  # pod IP
    ProbePair("shop/db", "shop/db", 5432),  # self traffic
    ProbePair("external/internet", "shop/db", 5432),
    ProbePair("shop/web", "kube-system/coredns", 53, "UDP"),
]


@pytest.fixture
def server() -> Iterator[FakeKubeExecAPI]:
    api = FakeKubeExecAPI(
        [],
        containers={
            ("shop", "web-7d9f8-abcde"): Container(tools={"nc"}),
            ("shop", "db"): Container(tools={"wget"}),
            ("shop", "tester"): Container(tools={"curl"}),
        },
    )
    with api:
        yield api


@pytest.fixture
def prober(server: FakeKubeExecAPI) -> Iterator[Prober]:
    with PodExec(api_client=ApiClient(Configuration(host=server.host))) as execer:
        yield Prober(execer, timeout=1)


def run(server, prober, reach, table: dict[tuple[str, str, int], str], pairs=PAIRS):
    server.connections.update(table)
    return probe_matrix(prober, pairs, reach, live_pods(LIVE, reach))


def cell(result, src: str, dst: str) -> dict[str, Any]:
    rows = result.cells[(result.cells["src"] == src) & (result.cells["dst"] == dst)]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_live_pods_match_by_name_or_by_workload_prefix_and_labels():
    pods = live_pods(LIVE, predicted())
    assert pods["shop/web"].name == "web-7d9f8-abcde"
    assert pods["shop/db"].name == "db"
    assert pods["shop/tester"].name == "tester"  # the finished pod is not a candidate
    assert "kube-system/coredns" not in pods
    assert pods["shop/web"].container == "main"


def test_an_enforcing_plugin_matches_the_prediction(server, prober):
    result = run(
        server,
        prober,
        predicted(DB_ADMITS_WEB),
        {(WEB_POD, "db", 5432): "connect", (TESTER_POD, DB_IP, 5432): "timeout", (DB_POD, DB_IP, 5432): "connect"},
    )
    assert result.agrees and result.enforcing is True
    web = cell(result, "shop/web", "shop/db")
    assert (web["predicted"], web["observed"], web["match"], web["target"]) == (True, True, True, "db:5432/TCP")
    tester = cell(result, "shop/tester", "shop/db")
    assert (tester["predicted"], tester["observed"], tester["outcome"]) == (False, False, "timeout")
    assert tester["target"] == f"{DB_IP}:5432/TCP"
    assert (
        tester["command"]
        == f"/usr/bin/curl -sS -o /dev/null -w connect=%{{time_connect}} --connect-timeout 1 -m 3 http://{DB_IP}:5432/"
    )


def test_self_traffic_is_implementation_defined_not_a_mismatch(server, prober):
    result = run(server, prober, predicted(DB_ADMITS_WEB), {(DB_POD, DB_IP, 5432): "connect"})
    own = cell(result, "shop/db", "shop/db")
    assert own["predicted"] is False and own["observed"] is True and own["match"] is False
    assert own["implementation_defined"] and own["reason"] == SELF_TRAFFIC
    assert "shop/db" not in set(result.mismatches()["src"])


def test_everything_predicted_blocked_going_through_means_the_plugin_does_not_enforce(server, prober):
    result = run(
        server,
        prober,
        predicted(DB_ADMITS_WEB),
        {(WEB_POD, "db", 5432): "connect", (TESTER_POD, DB_IP, 5432): "connect", (DB_POD, DB_IP, 5432): "connect"},
    )
    assert result.enforcing is False
    assert list(result.mismatches()["src"]) == ["shop/tester"]
    assert cell(result, "shop/tester", "shop/db")["reason"] == NOT_ENFORCING


def test_a_failed_lookup_with_dns_egress_blocked_names_the_missing_dns_rule(server, prober):
    result = run(server, prober, predicted(DB_ADMITS_WEB, WEB_EGRESS_DB_ONLY), {(WEB_POD, "db", 5432): "dns"})
    web = cell(result, "shop/web", "shop/db")
    assert (web["predicted"], web["observed"], web["outcome"]) == (True, False, "dns-failure")
    assert web["reason"].startswith("DNS egress missing: shop/web may not reach the cluster DNS on UDP 53")


def test_a_failed_lookup_with_dns_allowed_points_elsewhere(server, prober):
    reach = predicted(DB_ADMITS_WEB, WEB_EGRESS_DB_ONLY, WEB_EGRESS_DNS)
    result = run(server, prober, reach, {(WEB_POD, "db", 5432): "dns"})
    assert cell(result, "shop/web", "shop/db")["reason"].startswith("the name lookup failed although DNS is allowed")


def test_pairs_that_cannot_be_probed_say_why(server, prober):
    result = run(server, prober, predicted(), {})
    assert cell(result, "external/internet", "shop/db")["reason"] == "not probed: external/internet is not a pod"
    udp = cell(result, "shop/web", "kube-system/coredns")
    assert udp["observed"] is None and udp["reason"].startswith("not probed: UDP has no handshake")
    assert set(result.not_probed()["src"]) == {"external/internet", "shop/web"}


def test_a_source_pod_without_tools_is_not_probed_with_the_reason(server, prober):
    server.containers[("shop", "tester")] = Container(tools=set())
    result = run(server, prober, predicted(), {}, pairs=[PAIRS[1]])
    assert cell(result, "shop/tester", "shop/db")["reason"] == (
        "not probed: pod shop/tester (container main) has none of nc, curl, wget: it cannot run a connection probe. "
        "Probe from another pod, or use an image that has one (busybox has nc and wget)"
    )


def test_the_heatmap_marks_mismatches_and_implementation_defined_cells():
    # allowed as predicted (web), a mismatch (tester connected, predicted blocked), self traffic, and not probed
    server = FakeKubeExecAPI(
        [],
        containers={
            ("shop", "web-7d9f8-abcde"): Container(tools={"nc"}),
            ("shop", "db"): Container(tools={"nc"}),
            ("shop", "tester"): Container(tools={"nc"}),
        },
    )
    with server, PodExec(api_client=ApiClient(Configuration(host=server.host))) as execer:
        server.connections.update(
            {(WEB_POD, "db", 5432): "connect", (TESTER_POD, DB_IP, 5432): "connect", (DB_POD, DB_IP, 5432): "timeout"}
        )
        reach = predicted(DB_ADMITS_WEB)
        result = probe_matrix(Prober(execer, timeout=1), PAIRS[:4], reach, live_pods(LIVE, reach))
    display = ProbeDisplay.from_probe_matrix(result, title="step 1")
    ax = display.ax_
    assert [t.get_text() for t in ax.get_yticklabels()] == ["shop/web", "shop/tester", "shop/db", "external/internet"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["shop/db\nTCP/5432"]
    marks = {(round(t.get_position()[1]), t.get_text()) for t in ax.texts}
    assert marks == {(1, "!"), (2, "~"), (3, "?")}
    assert ax.get_title(loc="left") == "step 1: 1 mismatch"
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert legend == {
        "allowed, as predicted",
        "! connected, predicted blocked",
        "~ implementation-defined",
        "? not observed",
    }
    rgba = display.im_.cmap(display.im_.norm(display.im_.get_array()))
    assert to_hex(rgba[1, 0]) == PROBE_STATES["connected, predicted blocked"][0].lower()
    assert to_hex(rgba[0, 0]) == PROBE_STATES["allowed, as predicted"][0].lower()
    plt.close(display.figure_)
