"""Observed flows: Hubble and Calico flow records read into a DataFrame, and compared with netpolkit's verdicts.

Formats, from their sources:

* Hubble: ``hubble observe -o json`` prints one ``{"flow": {...}, "node_name": ..., "time": ...}`` per line; the
  flow is cilium/cilium ``api/v1/flow/flow.proto`` message ``Flow`` in protobuf JSON (field names as in the proto,
  e.g. ``pod_name``; protobuf's JSON mapping also accepts the lowerCamelCase ``podName``): ``verdict`` (Verdict:
  FORWARDED, DROPPED, AUDIT, REDIRECTED, ...), ``drop_reason_desc`` (DropReason: POLICY_DENIED = 133,
  POLICY_DENY = 181, ...), ``IP.source`` / ``IP.destination``, ``l4`` (oneof TCP, UDP, SCTP with ``destination_port``,
  ICMPv4, ICMPv6), ``source`` / ``destination`` (Endpoint: ``namespace``, ``labels`` as ``k8s:key=value``, ``pod_name``,
  ``workloads``), ``Type`` (L3_L4, L7, SOCK), ``traffic_direction`` (INGRESS, EGRESS), ``is_reply``, and the
  policy correlation lists ``ingress_allowed_by`` / ``egress_allowed_by`` / ``ingress_denied_by`` /
  ``egress_denied_by`` (Policy: ``name``, ``namespace``, ``labels``, ``revision``, ``kind``; Cilium 1.17, CFP-26438).
* Calico: Calico Enterprise / Cloud docs, "Flow log data types" (observability/elastic/flow/datatypes): ``action``
  allow / deny, ``reporter`` src (the pod that initiated the connection) / dst (the pod that received it),
  ``source_*`` / ``dest_*`` (``namespace`` with ``-`` for none, ``name`` with ``-`` when aggregated,
  ``name_aggr`` with ``pvt`` / ``pub`` for non-pods, ``ip``, ``type`` wep / hep / ns / net, ``labels``),
  ``dest_port``, ``proto``, ``num_flows``, ``start_time`` / ``end_time`` (UNIX), and ``policies`` with
  ``all_policies`` / ``enforced_policies`` / ``pending_policies``, each entry
  ``<index>|<tier>|<policy name>|<action>|<rule index>``: index = the order the rules were hit; the name is
  ``<tier>.<name>`` (GlobalNetworkPolicy), ``<namespace>/knp.default.<name>`` (Kubernetes NetworkPolicy),
  ``<namespace>/<tier>.<name>`` (Calico NetworkPolicy), ``staged:`` for staged ones; tier ``__PROFILE__`` is a
  namespace's default-allow profile; rule index -1 = selected but no rule matched (the tier's default action).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import netpolkit as npk
from netpolkit import course
from netpolkit.analysis.flows import (
    COMPARISON_COLUMNS,
    compare_flows,
    flow_disagreements,
    map_flow_endpoints,
    summarize_flows,
)
from netpolkit.errors import PolicyError
from netpolkit.io.flows import FLOW_RECORD_COLUMNS, read_calico_flows, read_flows, read_hubble_flows

ROOT = Path(__file__).resolve().parents[1]
HUBBLE_SAMPLE = ROOT / "manifests" / "flows" / "cilium-hubble.jsonl"
CALICO_SAMPLE = ROOT / "manifests" / "flows" / "calico-flow-logs.jsonl"


def write_lines(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def endpoint(ns: str | None, pod: str | None, labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"labels": [f"k8s:{k}={v}" for k, v in (labels or {}).items()], **extra}
    if ns:
        found["namespace"] = ns
        found["labels"].append(f"k8s:io.kubernetes.pod.namespace={ns}")
    if pod:
        found["pod_name"] = pod
    return found


def hubble(
    src: dict[str, Any],
    dst: dict[str, Any],
    port: int | None,
    direction: str,
    verdict: str = "FORWARDED",
    *,
    reason: str | None = None,
    ips: tuple[str, str] = ("10.0.0.1", "10.0.0.2"),
    proto: str = "TCP",
    **flow: Any,
) -> dict[str, Any]:
    layer: dict[str, Any] = {"source_port": 40000}
    if port is not None:
        layer["destination_port"] = port
    body: dict[str, Any] = {
        "time": "2026-11-30T10:00:00.000001Z",
        "verdict": verdict,
        "IP": {"source": ips[0], "destination": ips[1], "ipVersion": "IPv4"},
        "l4": {proto: layer if proto in ("TCP", "UDP", "SCTP") else {"type": 8, "code": 0}},
        "source": src,
        "destination": dst,
        "Type": "L3_L4",
        "traffic_direction": direction,
        "is_reply": False,
        **flow,
    }
    if reason:
        body["drop_reason_desc"] = reason
    return {"flow": body, "node_name": "kind-worker", "time": body["time"]}


# ---- Hubble -----------------------------------------------------------------------------------------------


def test_every_column_is_there_in_order() -> None:
    frame = read_flows(HUBBLE_SAMPLE)
    assert tuple(frame.columns) == FLOW_RECORD_COLUMNS
    assert len(frame) == 16 and frame.attrs["skipped"] == {}
    assert str(frame["time"].dtype) == "datetime64[ns, UTC]" or str(frame["time"].dtype).startswith("datetime64")
    assert str(frame["port"].dtype) == "Int64"


def test_hubble_fields_are_read_as_flow_proto_defines_them() -> None:
    frame = read_hubble_flows(HUBBLE_SAMPLE).set_index("record")
    first = frame.loc[f"{HUBBLE_SAMPLE}:1"]
    assert (first["plugin"], first["direction"], first["verdict"], first["protocol"], first["port"]) == (
        "hubble",
        "egress",
        "allowed",
        "UDP",
        53,
    )
    assert (first["src_namespace"], first["src_pod"], first["src_workload"]) == (
        "default",
        "frontend-7c9b8d6f5d-4xk2p",
        "frontend",
    )
    assert first["src_labels"]["app"] == "frontend"  # "k8s:" source prefix removed
    assert first["src_ip"] == "10.244.1.23" and first["dst_ip"] == "10.244.0.3"
    assert first["time"] == pd.Timestamp("2026-11-30T10:00:03.120331Z")
    denied = frame.loc[f"{HUBBLE_SAMPLE}:7"]  # DROPPED, drop_reason_desc POLICY_DENIED: Cilium's default deny
    assert (denied["verdict"], denied["reason"], denied["plugin_policies"]) == ("denied", "POLICY_DENIED", ())
    deny_rule = frame.loc[f"{HUBBLE_SAMPLE}:13"]  # DROPPED, POLICY_DENY: a deny rule, named in ingress_denied_by
    assert deny_rule["verdict"] == "denied"
    assert deny_rule["plugin_policies"] == ("CiliumNetworkPolicy default/backend-deny-not-frontend",)
    both = frame.loc[f"{HUBBLE_SAMPLE}:15"]
    assert both["plugin_policies"] == (
        "CiliumNetworkPolicy default/backend-allow-ingress-frontend",
        "NetworkPolicy default/backend-allow-all",
    )
    assert frame.loc[f"{HUBBLE_SAMPLE}:5", "is_reply"]
    assert frame.loc[f"{HUBBLE_SAMPLE}:9", "src_type"] == "host"  # reserved:host
    assert frame.loc[f"{HUBBLE_SAMPLE}:16", "dst_type"] == "world"  # reserved:world


def test_protobuf_json_camel_case_names_are_read_too(tmp_path: Path) -> None:
    record = {
        "flow": {
            "verdict": "DROPPED",
            "dropReasonDesc": "POLICY_DENIED",
            "IP": {"source": "10.0.0.1", "destination": "10.0.0.2"},
            "l4": {"TCP": {"sourcePort": 1, "destinationPort": 8080}},
            "source": {"namespace": "a", "podName": "web-0", "labels": ["k8s:app=web"]},
            "destination": {"namespace": "a", "podName": "db-0"},
            "trafficDirection": "INGRESS",
            "isReply": False,
            "ingressDeniedBy": [{"name": "deny", "namespace": "a", "kind": "CiliumNetworkPolicy"}],
        }
    }
    row = read_hubble_flows(write_lines(tmp_path / "f.json", [record])).iloc[0]
    assert (row["verdict"], row["port"], row["direction"], row["src_pod"]) == ("denied", 8080, "ingress", "web-0")
    assert row["plugin_policies"] == ("CiliumNetworkPolicy a/deny",)


@pytest.mark.parametrize(
    ("verdict", "reason", "expected"),
    [
        ("FORWARDED", None, "allowed"),
        ("REDIRECTED", None, "allowed"),
        ("DROPPED", "POLICY_DENIED", "denied"),
        ("DROPPED", "POLICY_DENY", "denied"),
        ("DROPPED", "CT_MAP_INSERTION_FAILED", "dropped"),
        ("AUDIT", None, "audit"),
        ("TRACED", None, "other"),
    ],
)
def test_hubble_verdicts(tmp_path: Path, verdict: str, reason: str | None, expected: str) -> None:
    record = hubble(endpoint("a", "web"), endpoint("a", "db"), 80, "INGRESS", verdict, reason=reason)
    assert read_hubble_flows(write_lines(tmp_path / "f.json", [record]))["verdict"].tolist() == [expected]


def test_non_flow_lines_and_l7_flows_are_skipped_and_counted(tmp_path: Path) -> None:
    l7 = hubble(endpoint("a", "web"), endpoint("a", "db"), 80, "INGRESS")
    l7["flow"]["Type"] = "L7"
    records = [{"node_status": {"state_change": "NODE_CONNECTED"}}, "", l7, hubble({}, {}, 53, "EGRESS")]
    frame = read_hubble_flows(write_lines(tmp_path / "f.json", records))
    assert len(frame) == 1 and frame.attrs["skipped"] == {"node_status": 1, "L7 flows": 1}


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ('{"flow": {"verdict": "FORWARDED",}', "line 2: line 1, column"),
        ('{"flow": {"verdict": "MAYBE"}}', "line 2: flow.verdict: expected one of FORWARDED"),
        ('{"flow": {"verdict": "FORWARDED", "l4": {"TCP": {"destination_port": "http"}}}}', "flow.l4.TCP"),
        ('{"flow": {"verdict": "FORWARDED", "l4": {"TCP": {"destination_port": 70000}}}}', "0-65535, got 70000"),
        ('{"flow": {"verdict": "FORWARDED", "source": {"labels": "app=web"}}}', "flow.source.labels: expected a list"),
        ('{"flow": {"verdict": "FORWARDED", "time": "yesterday"}}', "flow.time: expected a time"),
        # RFC 3339 text is the whole value: a trailing newline is not a time (Python's $ would have let it pass).
        ('{"flow": {"verdict": "FORWARDED", "time": "2026-11-30T10:00:00Z\\n"}}', "flow.time: expected a time"),
        ('{"node_name": "kind-worker"}', "line 2: flow: required field is missing"),
        ("[1, 2]", "line 2: expected a Hubble record"),
        ('{"flow": {"verdict": "FORWARDED", "verdict": "DROPPED"}}', "verdict"),
        ('{"flow": {"verdict": "FORWARDED", "l4": {"TCP": {"destination_port": NaN}}}}', "NaN"),
        # Nesting is bounded like every other input (netpolkit.limits.MAX_DEPTH = 200), however small the record.
        ('{"flow": {"verdict": "FORWARDED", "x": ' + "[" * 300 + "]" * 300 + "}}", "nested more than 200 levels"),
        ('{"flow": {"verdict": "FORWARDED"}} {}', "extra data after the document"),
        ('{"flow": {"verdict": "FORWARDED", "traffic_direction": "INGRESS", "egress_denied_by": [{"namespace": "a"}]}}',
         "flow.egress_denied_by[0].name: required field is missing"),
    ],
)  # fmt: skip
def test_a_bad_hubble_record_names_file_line_and_field(tmp_path: Path, line: str, where: str) -> None:
    path = write_lines(tmp_path / "flows.json", [hubble({}, {}, 53, "EGRESS"), line])
    with pytest.raises(PolicyError) as caught:
        read_hubble_flows(path)
    assert str(caught.value).startswith(f"{path}: line 2: ")
    assert where in str(caught.value)


# ---- Calico -----------------------------------------------------------------------------------------------


def test_calico_fields_are_read_as_the_flow_log_docs_define_them() -> None:
    frame = read_calico_flows(CALICO_SAMPLE)
    assert tuple(frame.columns) == FLOW_RECORD_COLUMNS and len(frame) == 9
    first = frame.iloc[0]
    assert (first["plugin"], first["direction"], first["verdict"], first["protocol"], first["port"]) == (
        "calico",
        "egress",  # reporter src
        "allowed",
        "TCP",
        3000,
    )
    assert (first["src_pod"], first["src_workload"], first["dst_workload"]) == (
        "traefik-7d9f6c5b8-kx2lq",
        "traefik",  # from the pod-template-hash label
        "wordpress",
    )
    assert first["flows"] == 3 and first["time"] == pd.Timestamp(1796032800, unit="s", tz="UTC")
    assert first["plugin_policies"] == ("Calico NetworkPolicy traefik/allow-traefik",)
    assert frame.iloc[1]["direction"] == "ingress"  # reporter dst
    mariadb = frame.iloc[4]
    assert (mariadb["src_pod"], mariadb["src_workload"], mariadb["verdict"]) == ("mariadb-0", "mariadb", "denied")
    profile = frame.iloc[6]  # tier __PROFILE__: the namespace's default allow, no policy
    assert profile["plugin_policies"] == ()
    internet = frame.iloc[8]  # dest_type net, dest_name_aggr pub
    assert (internet["dst_type"], internet["dst_ip"]) == ("world", "198.51.100.10")
    assert pd.isna(internet["dst_namespace"]) and pd.isna(internet["dst_pod"])  # "-": not namespaced


def calico(**fields: Any) -> dict[str, Any]:
    record = {
        "start_time": 1796032800,
        "end_time": 1796033100,
        "source_namespace": "a",
        "source_name": "web-0",
        "source_name_aggr": "web-*",
        "source_type": "wep",
        "dest_namespace": "a",
        "dest_name": "-",
        "dest_name_aggr": "db-5d8f6c9b7-*",
        "dest_type": "wep",
        "dest_labels": {"labels": ["app=db", "pod-template-hash=5d8f6c9b7"]},
        "dest_port": 5432,
        "proto": "tcp",
        "action": "allow",
        "reporter": "dst",
        "num_flows": 1,
    }
    record.update(fields)
    return record


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (["0|default|a/knp.default.allow-db|allow|0"], "NetworkPolicy a/allow-db"),
        (["0|default|a/default.allow-db|allow|1"], "Calico NetworkPolicy a/allow-db"),
        (["0|security|security.allow-dns|allow|0"], "GlobalNetworkPolicy security.allow-dns"),
        (["0|default|default.deny-all|deny|-1"], "GlobalNetworkPolicy deny-all"),
        # the order the rules were hit is the index, not the list's order; a Pass hands over; staged never decides
        (
            ["2|default|a/default.allow-db|allow|0", "0|security|security.pass|pass|0", "1|x|a/staged:x.y|deny|0"],
            "Calico NetworkPolicy a/allow-db",
        ),
        (["0|__PROFILE__|__PROFILE__.kns.a|allow|0"], None),
    ],
)
def test_calico_deciding_policy(tmp_path: Path, entries: list[str], expected: str | None) -> None:
    record = calico(policies={"all_policies": entries})
    row = read_calico_flows(write_lines(tmp_path / "f.json", [record])).iloc[0]
    assert row["plugin_policies"] == ((expected,) if expected else ())
    assert row["dst_workload"] == "db"  # dest_name "-": the aggregated name without its pod-template-hash


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"action": "drop"}, "action: expected allow or deny"),
        ({"reporter": None}, "reporter: required field is missing"),
        ({"dest_port": -1}, "dest_port: expected a port number"),
        ({"proto": "gre"}, "proto: expected a protocol"),
        ({"source_type": "pod"}, "source_type: expected one of wep, hep, ns, net"),
        ({"policies": {"enforced_policies": ["0|default|allow"]}}, "policies.enforced_policies[0]: expected <index>"),
        ({"policies": {"all_policies": ["0|default|a/x|log|0"]}}, "all_policies[0]: expected the action allow"),
        ({"start_time": "soon"}, "start_time: expected a time"),
    ],
)
def test_a_bad_calico_record_names_file_line_and_field(tmp_path: Path, fields: dict[str, Any], where: str) -> None:
    path = write_lines(tmp_path / "flows.json", [calico(), calico(**fields)])
    with pytest.raises(PolicyError) as caught:
        read_calico_flows(path)
    assert str(caught.value).startswith(f"{path}: line 2: ") and where in str(caught.value)


def test_read_flows_tells_the_formats_apart(tmp_path: Path) -> None:
    frame = read_flows(HUBBLE_SAMPLE, CALICO_SAMPLE)
    assert frame["plugin"].value_counts().to_dict() == {"hubble": 16, "calico": 9}
    with pytest.raises(PolicyError, match="line 1: not a Hubble flow"):
        read_flows(write_lines(tmp_path / "x.json", [{"kind": "Pod"}]))
    with pytest.raises(ValueError, match="format must be"):
        read_flows(HUBBLE_SAMPLE, format="netflow")
    with pytest.raises(PolicyError, match="no such file"):
        read_flows(tmp_path / "missing.json")


# ---- comparing with the prediction ----------------------------------------------------------------------------

SHOP = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    *(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "labels": {"app": app}},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 5432}]}]},
            "status": {"podIP": ip},
        }
        for name, app, ip in (("web-1", "web", "10.1.0.1"), ("db-0", "db", "10.1.0.2"), ("cron-1", "cron", "10.1.0.3"))
    ),
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "db-from-web", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]}],
        },
    },
]
WEB = endpoint("shop", "web-1", {"app": "web"})
DB = endpoint("shop", "db-0", {"app": "db"})
CRON = endpoint("shop", "cron-1", {"app": "cron"})


def compared(tmp_path: Path, records: list[dict[str, Any]], objects: list[dict[str, Any]] = SHOP) -> pd.DataFrame:
    reach = npk.reachability(npk.Cluster.from_objects(objects, {"internet": "203.0.113.10"}), profile="cilium")
    return compare_flows(reach, read_hubble_flows(write_lines(tmp_path / "f.json", records)))


def test_observed_against_predicted_both_ways(tmp_path: Path) -> None:
    frame = compared(
        tmp_path,
        [
            hubble(WEB, DB, 5432, "INGRESS", ingress_allowed_by=[{"name": "db-from-web", "namespace": "shop"}]),
            hubble(CRON, DB, 5432, "INGRESS"),  # allowed, but db admits only web: "allowed, predicted denied"
            hubble(WEB, DB, 5432, "INGRESS", "DROPPED", reason="POLICY_DENIED"),  # "denied, predicted allowed"
            hubble(CRON, DB, 5432, "INGRESS", "DROPPED", reason="POLICY_DENIED"),
        ],
    )
    assert tuple(frame.columns) == COMPARISON_COLUMNS
    assert frame["agree"].tolist() == [True, False, False, True]
    assert frame["disagreement"].tolist() == ["", "allowed, predicted denied", "denied, predicted allowed", ""]
    assert frame.loc[0, "plugin_policy"] == "shop/db-from-web"  # a Policy without kind: namespace/name
    assert frame.loc[0, "netpolkit_policy"] == "NetworkPolicy shop/db-from-web, ingress rule 1"
    assert "NetworkPolicy shop/db-from-web" in frame.loc[1, "netpolkit_policy"]  # isolated, no rule matched
    assert frame.loc[1, "netpolkit_reason"].startswith("ingress of shop/db-0: denied")
    assert flow_disagreements(frame)["record"].tolist() == frame["record"][1:3].tolist()


def test_a_source_side_record_is_compared_with_the_egress_only(tmp_path: Path) -> None:
    """cron's egress is not isolated: its egress record says allowed, rightly, although db's ingress refuses it."""
    frame = compared(tmp_path, [hubble(CRON, DB, 5432, "EGRESS")])
    assert frame.loc[0, ["observed", "predicted", "agree", "netpolkit_policy"]].tolist() == [
        "allowed",
        "allowed",
        True,
        "not isolated",
    ]


def test_records_that_cannot_be_compared_say_why(tmp_path: Path) -> None:
    reply = hubble(DB, WEB, 40000, "INGRESS", is_reply=True)
    frame = compared(
        tmp_path,
        [
            reply,
            hubble(WEB, DB, 5432, "INGRESS", "DROPPED", reason="CT_MAP_INSERTION_FAILED"),
            hubble(WEB, DB, None, "EGRESS", proto="ICMPv4"),
            hubble(endpoint(None, None), DB, 5432, "INGRESS", ips=("172.18.0.9", "10.1.0.2")),
            hubble(WEB, DB, 5432, "TRAFFIC_DIRECTION_UNKNOWN"),
        ],
    )
    assert frame["agree"].isna().all() and frame["predicted"].isna().all()
    notes = frame["note"].tolist()
    assert notes[0].startswith("a reply")
    assert notes[1] == "dropped (CT_MAP_INSERTION_FAILED): not a policy verdict"
    assert notes[2].startswith("no port (ICMPv4)")
    assert notes[3] == "source (172.18.0.9) is not an endpoint of the cluster"
    assert "which side" in notes[4]


def test_endpoints_are_found_by_pod_workload_ip_and_external(tmp_path: Path) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "c"}]}},
        },
    }
    records = [
        hubble(WEB, DB, 5432, "INGRESS"),
        hubble(endpoint("shop", "api-7c9b8d6f5d-4xk2p", {"app": "api", "pod-template-hash": "7c9b8d6f5d"}), DB, 5432,
               "INGRESS"),
        hubble(endpoint(None, None), endpoint(None, None), 5432, "INGRESS", ips=("10.1.0.3", "10.1.0.2")),
        hubble(WEB, {"labels": ["reserved:world"]}, 443, "EGRESS", ips=("10.1.0.1", "203.0.113.10")),
    ]  # fmt: skip
    flows = read_hubble_flows(write_lines(tmp_path / "f.json", records))
    cluster = npk.Cluster.from_objects([*SHOP, deployment], {"internet": "203.0.113.10"})
    mapped = map_flow_endpoints(cluster.endpoints, flows)
    assert mapped.to_dict("list") == {
        "src": ["shop/web-1", "shop/api", "shop/cron-1", "shop/web-1"],
        "dst": ["shop/db-0", "shop/db-0", "shop/db-0", "external/internet"],
        "src_match": ["pod", "workload", "ip", "pod"],
        "dst_match": ["pod", "pod", "ip", "external"],
    }


def test_no_records_give_an_empty_comparison(tmp_path: Path) -> None:
    empty = read_flows(write_lines(tmp_path / "f.json", []))
    assert empty.empty and tuple(empty.columns) == FLOW_RECORD_COLUMNS
    reach = npk.reachability(npk.Cluster.from_objects(SHOP), profile="cilium")
    frame = compare_flows(reach, empty)
    assert frame.empty and tuple(frame.columns) == COMPARISON_COLUMNS


def test_made_up_ips_of_workloads_never_identify_an_endpoint(tmp_path: Path) -> None:
    """A Deployment in manifests gets an invented IP: a recorded flow from that IP is someone else."""
    cluster = course.Tutorial.load("cilium").cluster_at("s0-baseline")
    invented = cluster.endpoints.loc["default/backend", "ip"]
    flows = read_hubble_flows(
        write_lines(tmp_path / "f.json", [hubble(endpoint(None, None), endpoint(None, None), 80, "INGRESS",
                                                 ips=(invented, invented))])
    )  # fmt: skip
    assert map_flow_endpoints(cluster.endpoints, flows).iloc[0].tolist() == [None, None, None, None]


def test_the_cilium_sample_disagrees_where_the_recording_outran_the_model() -> None:
    """The sample was recorded while the Cilium tutorial moved from step 4 through 5 to 6 (10:00, 10:05, 10:10);
    compared with step 6, the flows before 10:10 that step 6 changed disagree, and the later ones all agree."""
    tutorial = course.Tutorial.load("cilium")
    reach = npk.reachability(tutorial.cluster_at("s6-cilium-ingress-deny-not-frontend"), profile="cilium")
    frame = compare_flows(reach, read_flows(HUBBLE_SAMPLE))
    assert frame["agree"].notna().sum() == 14  # a reply and a node's health check are not compared
    disagreements = flow_disagreements(frame)
    assert sorted(zip(disagreements["src"], disagreements["disagreement"], strict=True)) == [
        ("default/not-frontend", "allowed, predicted denied"),  # 10:05, before step 6's deny
        ("team-b/frontend", "denied, predicted allowed"),  # 10:00, before step 5's allow-all
    ]
    # the tutorial's own expectations for step 6 (from its lab) say what netpolkit predicted for these pairs
    expect = tutorial.step("s6-cilium-ingress-deny-not-frontend").expect_frame()
    expect = expect[(expect["port"] == 8080) & (expect["to"] == "default/backend")].set_index("from")["expected"]
    for src, predicted in zip(disagreements["src"], disagreements["predicted"], strict=True):
        assert bool(expect[src]) == (predicted == "allowed")
    late = frame[frame["time"] >= pd.Timestamp("2026-11-30T10:10:00Z")]
    assert late["agree"].dropna().all() and len(late["agree"].dropna()) == 4
    summary = summarize_flows(frame)
    assert summary["records"].sum() == 14


def test_the_calico_sample_against_the_calico_tutorial() -> None:
    tutorial = course.Tutorial.load("calico")
    reach = npk.reachability(tutorial.cluster_at("s-fix-2-ingress-rule-on-pod-port"), profile="calico")
    frame = compare_flows(reach, read_flows(CALICO_SAMPLE))
    assert frame["agree"].notna().all()
    wrong = flow_disagreements(frame)
    # default/debug's egress went out through the namespace's profile: the recorded cluster lacked the global deny
    assert wrong[["src", "dst", "direction", "disagreement"]].values.tolist() == [
        ["default/debug", "wordpress/wordpress", "egress", "allowed, predicted denied"]
    ]
    assert "GlobalNetworkPolicy global-default-deny" in wrong.iloc[0]["netpolkit_policy"]
    agreeing = frame[frame["agree"].fillna(False).astype(bool) & frame["plugin_policy"].notna()]
    named_same = [row.netpolkit_policy.startswith(row.plugin_policy) for row in agreeing.itertuples()]
    # where Calico names the deciding policy, netpolkit names the same one; the exception is debug's connection,
    # which netpolkit already blocks at debug's egress while Calico names the ingress policy that refused it
    assert named_same.count(False) == 1 and len(named_same) == 8
