"""Analyst tables (``netpolkit.analysis``): exposure, blast radius, the internet's reach, isolation, policies that
select nothing, rules that can never match.

Every table is checked two ways: literal expectations on small clusters of each dialect (table-driven, a positive
and a negative case each), and an oracle built the slow way (the endpoint x endpoint frame, the reference engine's
per-pair matching) on the same clusters and on random ones. Verdict tables run on both engines.
"""

from __future__ import annotations

import doctest
import json
import textwrap
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conformance import namespace_manifest, pod_manifest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from strategies import port_queries
from strategies_dialects import mixed_clusters
from test_engines_agree_calico import QUERIES, calico_clusters

import netpolkit as npk
from netpolkit import analysis
from netpolkit.analysis import _common, _demo, linter, tables
from netpolkit.analysis._common import group_codes, parse_selector, pick
from netpolkit.engine.plan import DIRECTIONS
from netpolkit.engine.vectorized import ClassVerdict
from netpolkit.errors import PolicyError, UnknownEndpointError
from netpolkit.model.ports import PortQuery

ENGINES = ("vectorized", "reference")

# ---- a small world and one policy set per dialect ------------------------------------------------------------------

PODS = [
    ("shop", "web", {"app": "web", "tier": "front"}, ["http=TCP/8080"], "10.1.0.1"),
    ("shop", "api", {"app": "api", "tier": "back"}, ["TCP/9000"], "10.1.0.2"),
    ("shop", "db", {"app": "db", "tier": "back"}, ["postgres=TCP/5432"], "10.1.0.3"),
    ("ops", "monitor", {"app": "monitor"}, [], "10.2.0.1"),
    ("ops", "job", {"app": "job"}, [], "10.2.0.2"),
]
EXTERNALS = {"internet": "203.0.113.10", "partner": "198.51.100.7"}
PORTS = ["TCP/8080", "TCP/5432", "TCP/9000"]


def world() -> list[dict[str, Any]]:
    objects = [namespace_manifest("shop", {"team": "shop"}), namespace_manifest("ops", {"team": "ops"})]
    return objects + [pod_manifest(ns, name, labels, ports, ip=ip) for ns, name, labels, ports, ip in PODS]


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(textwrap.dedent(text)) if d]


def cluster(policies: str = "", extra: list[dict] | None = None, **kwargs: Any) -> npk.Cluster:
    return npk.Cluster.from_objects(world() + (extra or []) + docs(policies), EXTERNALS, **kwargs)


KUBERNETES = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: http}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432}]}]
"""

CALICO = """
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: guard}
spec:
  order: 10
  selector: "projectcalico.org/namespace == 'shop'"
  types: [Ingress]
  ingress:
  - {action: Deny, protocol: TCP, source: {namespaceSelector: "team == 'ops'"}}
  - {action: Allow, protocol: TCP, source: {selector: "app == 'monitor'"}, destination: {ports: [8080]}}
  - {action: Allow, protocol: TCP, destination: {ports: [8080]}}
  - {action: Allow, protocol: TCP, source: {selector: "app == 'api'"}, destination: {ports: [5432]}}
"""

ADMIN = """
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {team: shop}}}
  ingress:
  - {name: no-ops, action: Deny, from: [{namespaces: {matchLabels: {team: ops}}}]}
  - {name: monitor, action: Accept, from: [{pods: {podSelector: {matchLabels: {app: monitor}}}}]}
  - {name: shop, action: Pass, from: [{namespaces: {matchLabels: {team: shop}}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: baseline}
spec:
  tier: Baseline
  priority: 10
  subject: {namespaces: {matchLabels: {team: shop}}}
  ingress:
  - {name: closed, action: Deny, from: [{namespaces: {}}]}
"""

CILIUM = """
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEntities: [world]
    toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
  - fromEndpoints: [{matchLabels: {app: api}}]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: db}}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: quiet, namespace: ops}
spec:
  endpointSelector: {matchLabels: {app: job}}
  enableDefaultDeny: {ingress: false, egress: false}
  ingress: [{fromEndpoints: [{matchLabels: {app: monitor}}]}]
"""


@dataclass(frozen=True)
class Dialect:
    name: str
    policies: str
    profiles: tuple[str, ...]


DIALECTS = [
    Dialect("kubernetes", KUBERNETES, ("upstream", "calico", "cilium")),
    Dialect("calico", CALICO, ("calico",)),
    Dialect("admin", ADMIN, ("upstream", "calico", "cilium")),
    Dialect("cilium", CILIUM, ("cilium",)),
]
DIALECT_PROFILES = [pytest.param(d, p, id=f"{d.name}-{p}") for d in DIALECTS for p in d.profiles]


def reach_of(dialect: Dialect, profile: str, engine: str = "vectorized") -> npk.Reachability:
    return npk.reachability(cluster(dialect.policies), PORTS, profile, engine)


# ---- the oracle for flows: every pair of the frame ----------------------------------------------------------------


def brute_flows(reach: npk.Reachability, src_mask, src_labels, dst_mask, dst_labels, ports) -> pd.DataFrame:
    """What exposure / blast_radius must say, counted pair by pair from the full frame."""
    rows = []
    for port in ports:
        query = PortQuery.parse(port)
        full = reach.array(query)
        cells: dict[tuple, dict] = defaultdict(
            lambda: {"sources": set(), "destinations": set(), "allowed": 0, "pairs": 0}
        )
        for s in np.flatnonzero(src_mask):
            for d in np.flatnonzero(dst_mask):
                if s == d:
                    continue
                cell = cells[(src_labels[s], dst_labels[d])]
                cell["pairs"] += 1
                if full[s, d]:
                    cell["allowed"] += 1
                    cell["sources"].add(s)
                    cell["destinations"].add(d)
        for (src, dst), cell in sorted(cells.items()):
            if cell["allowed"]:
                rows.append(
                    {
                        "src": src,
                        "dst": dst,
                        "protocol": query.protocol,
                        "port": query.port,
                        "sources": len(cell["sources"]),
                        "destinations": len(cell["destinations"]),
                        "allowed": cell["allowed"],
                        "pairs": cell["pairs"],
                    }
                )
    return pd.DataFrame(rows, columns=tables.FLOW_COLUMNS)


def assert_same_flows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == tables.FLOW_COLUMNS
    key = ["protocol", "port", "src", "dst"]
    got = got.sort_values(key).reset_index(drop=True)
    want = want.sort_values(key).reset_index(drop=True)
    assert got.astype(str).to_dict("records") == want.astype(str).to_dict("records")


def labels_for(reach: npk.Reachability, by: str, mask: np.ndarray, name: str) -> np.ndarray:
    if by == "target":
        return np.full(len(mask), name, dtype=object)
    return group_codes(reach, by)


TARGETS = [
    ("pod", "shop/web", {}),
    ("namespace", "shop", {}),
    ("labels-text", "tier=back", {}),
    ("labels-dict", {"app": "monitor"}, {}),
    ("external", "internet", {}),
    ("namespace-and-labels", None, {"namespace": "shop", "labels": "tier in (front,back)"}),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("dialect", "profile"), DIALECT_PROFILES)
@pytest.mark.parametrize(("what", "target", "kwargs"), TARGETS, ids=[t[0] for t in TARGETS])
@pytest.mark.parametrize(("by", "other_by"), [("namespace", "endpoint"), ("endpoint", "target"), ("workload", "kind")])
def test_exposure_and_blast_radius_count_every_pair_as_the_frame_does(
    dialect, profile, engine, what, target, kwargs, by, other_by
):
    reach = reach_of(dialect, profile, engine)
    mask, name = pick(reach, target, **kwargs)
    everyone = np.ones(len(mask), dtype=bool)
    got = analysis.exposure(reach, target, by=by, dst_by=other_by, **kwargs)
    want = brute_flows(reach, everyone, group_codes(reach, by), mask, labels_for(reach, other_by, mask, name), PORTS)
    assert_same_flows(got, want)
    got = analysis.blast_radius(reach, target, by=by, src_by=other_by, **kwargs)
    want = brute_flows(reach, mask, labels_for(reach, other_by, mask, name), everyone, group_codes(reach, by), PORTS)
    assert_same_flows(got, want)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("dialect", "profile"), DIALECT_PROFILES)
@pytest.mark.parametrize("by", ["endpoint", "namespace"])
def test_external_reach_is_the_blast_radius_of_the_externals_over_pods(dialect, profile, engine, by):
    reach = reach_of(dialect, profile, engine)
    is_pod = np.asarray(reach.cluster.table.is_pod)
    got = analysis.external_reach(reach, by=by)
    want = brute_flows(reach, ~is_pod, group_codes(reach, "endpoint"), is_pod, group_codes(reach, by), PORTS)
    assert_same_flows(got, want)
    one = analysis.external_reach(reach, "partner", by=by)
    assert set(one["src"]) <= {"external/partner"}
    with pytest.raises(ValueError, match="not an external endpoint: shop/web"):
        analysis.external_reach(reach, ["internet", "shop/web"])


@dataclass(frozen=True)
class FlowCase:
    """A literal expectation: which (src, dst, port) rows a table has (``present``) and has not (``absent``)."""

    id: str
    dialect: Dialect
    profile: str
    call: str  # "exposure" | "blast_radius" | "external_reach"
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    present: tuple[tuple[str, str, int], ...] = ()
    absent: tuple[tuple[str, str, int], ...] = ()


K8S, CAL, ADM, CIL = DIALECTS
FLOW_CASES = [
    FlowCase(
        "k8s-web-open-on-its-named-port",
        K8S,
        "upstream",
        "exposure",
        ("shop/web",),
        {"by": "endpoint"},
        present=(("ops/monitor", "shop/web", 8080), ("external/internet", "shop/web", 8080)),
        absent=(("shop/api", "shop/web", 8080),),  # api's egress goes to db only
    ),
    FlowCase(
        "k8s-db-only-from-api",
        K8S,
        "upstream",
        "exposure",
        ("app=db",),
        {"by": "endpoint"},
        present=(("shop/api", "shop/db", 5432),),
        absent=(("ops/monitor", "shop/db", 5432), ("external/internet", "shop/db", 5432)),
    ),
    FlowCase(
        "k8s-api-reaches-db-only",
        K8S,
        "upstream",
        "blast_radius",
        ("shop/api",),
        {"by": "endpoint"},
        present=(("shop/api", "shop/db", 5432),),
        absent=(("shop/api", "shop/web", 8080), ("shop/api", "external/internet", 5432)),
    ),
    FlowCase(
        "calico-deny-from-ops-before-the-allows",
        CAL,
        "calico",
        "exposure",
        ("shop/web",),
        {"by": "endpoint"},
        present=(("external/internet", "shop/web", 8080),),
        absent=(("ops/monitor", "shop/web", 8080), ("ops/job", "shop/web", 8080)),
    ),
    FlowCase(
        "admin-deny-beats-the-accept-below-it-and-pass-meets-the-baseline-deny",
        ADM,
        "upstream",
        "exposure",
        ("shop",),
        {"by": "namespace", "dst_by": "target"},
        present=(("external", "namespace shop", 9000),),
        absent=(("ops", "namespace shop", 9000), ("shop", "namespace shop", 9000)),
    ),
    FlowCase(
        "admin-baseline-closes-shop-to-pods-not-to-externals",
        ADM,
        "upstream",
        "blast_radius",
        ("ops/monitor",),
        {"by": "namespace"},
        present=(("ops/monitor", "ops", 9000), ("ops/monitor", "external", 9000)),
        absent=(("ops/monitor", "shop", 9000),),
    ),
    FlowCase(
        "cilium-world-on-8080-and-deny-over-allow",
        CIL,
        "cilium",
        "exposure",
        ("shop/web",),
        {"by": "endpoint"},
        present=(("external/internet", "shop/web", 8080), ("shop/api", "shop/web", 9000)),
        absent=(
            ("ops/monitor", "shop/web", 8080),
            ("shop/db", "shop/web", 8080),
            ("external/internet", "shop/web", 9000),
        ),
    ),
    FlowCase(
        "cilium-internet-reaches-web-and-unprotected-pods",
        CIL,
        "cilium",
        "external_reach",
        ("internet",),
        {},
        present=(("external/internet", "shop/web", 8080), ("external/internet", "ops/job", 8080)),
        absent=(("external/internet", "shop/web", 5432), ("external/partner", "shop/web", 8080)),
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", FLOW_CASES, ids=[c.id for c in FLOW_CASES])
def test_flow_tables_literal_rows(case: FlowCase, engine: str):
    reach = reach_of(case.dialect, case.profile, engine)
    frame = getattr(analysis, case.call)(reach, *case.args, **case.kwargs)
    rows = set(zip(frame["src"], frame["dst"], frame["port"], strict=True))
    for row in case.present:
        assert row in rows, f"missing {row}; got {sorted(rows)}"
    for row in case.absent:
        assert row not in rows, f"unexpected {row}"


def test_flow_counts_are_counts_of_the_groups():
    reach = reach_of(K8S, "upstream")
    # web is open to every endpoint on 8080 except the shop pods, whose egress the default deny closes
    frame = analysis.exposure(reach, "shop/web", by="namespace", ports="TCP/8080")
    rows = {r.src: r for r in frame.itertuples()}
    assert (rows["ops"].sources, rows["ops"].allowed, rows["ops"].pairs) == (2, 2, 2)
    assert (rows["external"].sources, rows["external"].pairs) == (2, 2)
    assert "shop" not in rows  # web itself is no source of its own exposure (self pairs are left out)
    whole = analysis.blast_radius(reach, namespace="ops", by="namespace", src_by="target", ports="TCP/8080")
    shop = whole.set_index("dst").loc["shop"]
    assert (shop["sources"], shop["destinations"], shop["allowed"], shop["pairs"]) == (2, 1, 2, 6)


def test_flows_evaluate_missing_ports_and_default_to_the_results_ports():
    reach = npk.reachability(cluster(KUBERNETES), ["TCP/8080"])
    assert set(analysis.exposure(reach, "shop/web")["port"]) == {8080}
    frame = analysis.exposure(reach, "shop/db", ports=["TCP/5432"])
    assert set(frame["port"]) == {5432} and "TCP/5432" in reach.ports
    empty = npk.Reachability(cluster(KUBERNETES), npk.get_profile("upstream"))
    with pytest.raises(ValueError, match="holds no port"):
        analysis.exposure(empty, "shop/web")


def test_flows_never_build_the_endpoint_matrix(monkeypatch):
    reach = reach_of(K8S, "upstream")

    def refuse(self):
        raise AssertionError("expand() builds the N x N matrix")

    monkeypatch.setattr(ClassVerdict, "expand", refuse)
    analysis.exposure(reach, "shop")
    analysis.blast_radius(reach, "shop", by="endpoint")
    analysis.external_reach(reach)
    analysis.isolation(reach)
    analysis.dead_rules(reach)


def test_no_allowed_cell_gives_an_empty_table_with_the_columns():
    reach = reach_of(K8S, "upstream")
    frame = analysis.exposure(reach, "shop/db", ports="TCP/9000")
    assert frame.empty and list(frame.columns) == tables.FLOW_COLUMNS


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_flows_match_the_frame_on_random_mixed_clusters(data: st.DataObject):
    objects, externals = data.draw(mixed_clusters(), label="cluster")
    note(f"objects = {json.dumps(objects)}\nexternals = {json.dumps(externals)}")
    c = npk.Cluster.from_objects(objects, externals)
    ports = data.draw(port_queries(objects), label="ports")
    profile = data.draw(st.sampled_from(("upstream", "cilium", "calico")), label="profile")
    reach = npk.reachability(c, ports, profile, unsupported="ignore")
    ids = list(c.table.ids)
    target = data.draw(st.sampled_from(ids), label="target")
    by = data.draw(st.sampled_from(("namespace", "endpoint", "workload")), label="by")
    mask, _ = pick(reach, target)
    everyone = np.ones(len(ids), dtype=bool)
    want = brute_flows(reach, everyone, group_codes(reach, by), mask, group_codes(reach, "endpoint"), ports)
    assert_same_flows(analysis.exposure(reach, target, by=by), want)
    want = brute_flows(reach, mask, group_codes(reach, "endpoint"), everyone, group_codes(reach, by), ports)
    assert_same_flows(analysis.blast_radius(reach, target, by=by), want)


# ---- targets and selectors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "kwargs", "expected"),
    [
        ("shop/web", {}, ["shop/web"]),
        ("internet", {}, ["external/internet"]),
        (["shop/web", "ops/job"], {}, ["ops/job", "shop/web"]),
        ("ops", {}, ["ops/job", "ops/monitor"]),
        ("external", {}, ["external/internet", "external/partner"]),
        ("app=web", {}, ["shop/web"]),
        ("tier!=back", {}, ["ops/job", "ops/monitor", "shop/web"]),
        ("tier notin (back)", {}, ["ops/job", "ops/monitor", "shop/web"]),
        ("app in (db, job)", {}, ["ops/job", "shop/db"]),
        ({"tier": "back"}, {}, ["shop/api", "shop/db"]),
        (None, {"labels": "tier"}, ["shop/api", "shop/db", "shop/web"]),
        (None, {"labels": "!tier"}, ["ops/job", "ops/monitor"]),
        ("tier=back", {"namespace": "ops"}, []),
        ("shop", {"labels": {"app": "api"}}, ["shop/api"]),
    ],
)
def test_pick_targets(target, kwargs, expected):
    reach = reach_of(K8S, "upstream")
    mask, name = pick(reach, target, **kwargs)
    assert sorted(np.array(reach.cluster.table.ids)[mask]) == expected
    assert name


@pytest.mark.parametrize(
    ("target", "kwargs", "error", "words"),
    [
        ("shop/wbe", {}, UnknownEndpointError, "shop/web"),
        (None, {"namespace": "shpo"}, ValueError, "did you mean shop"),
        (None, {}, ValueError, "name a target"),
        ("app=", {}, None, None),  # an empty value is a valid label value
        ("a=b,", {}, ValueError, "terms like app=web"),
        ("app in ()", {}, ValueError, "at least one value"),
        ({"app": 1}, {}, ValueError, "strings"),
        ("-bad-=x", {}, ValueError, "label key"),
    ],
)
def test_pick_refuses_what_it_cannot_read(target, kwargs, error, words):
    reach = reach_of(K8S, "upstream")
    if error is None:
        pick(reach, target, **kwargs)
        return
    with pytest.raises(error, match=words):
        pick(reach, target, **kwargs)


def test_parse_selector_reads_kubectl_syntax_and_dicts():
    assert str(parse_selector("app = web , env in (prod,staging),!canary")) == "app=web,!canary,env in (prod,staging)"
    assert str(parse_selector("app==web")) == "app=web"
    assert parse_selector({"app": "web"}) == parse_selector("app=web")
    with pytest.raises(ValueError):
        parse_selector("")
    with pytest.raises(TypeError):
        parse_selector(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("by", ["endpoint", "namespace", "workload", "kind", "service_account"])
def test_group_codes(by):
    reach = reach_of(K8S, "upstream")
    codes = group_codes(reach, by)
    assert len(codes) == len(reach.cluster.table)
    if by == "workload":
        assert codes[list(reach.cluster.table.ids).index("shop/web")] == "shop/web"
    with pytest.raises(ValueError, match="cannot group by"):
        group_codes(reach, "colour")


# ---- isolation ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IsolationCase:
    id: str
    policies: str
    profile: str
    ingress: tuple[str, ...]  # pods isolated for ingress
    egress: tuple[str, ...]
    selected: dict[str, tuple[str, ...]] = field(default_factory=dict)  # pod -> selected_by (subset check)


CALICO_PASS_TIER = """
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: soft}
spec: {order: 50, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: soft.watch}
spec:
  tier: soft
  selector: "app == 'web'"
  types: [Ingress]
  ingress: [{action: Allow, source: {selector: "app == 'monitor'"}}]
"""

ISOLATION_CASES = [
    IsolationCase("nothing", "", "upstream", (), ()),
    IsolationCase(
        "kubernetes-types",
        KUBERNETES,
        "upstream",
        ("shop/api", "shop/db", "shop/web"),
        ("shop/api", "shop/db", "shop/web"),
        {"shop/api": ("NetworkPolicy shop/deny", "NetworkPolicy shop/api-out")},
    ),
    IsolationCase(
        "kubernetes-under-calico",
        KUBERNETES,
        "calico",
        ("shop/api", "shop/db", "shop/web"),
        ("shop/api", "shop/db", "shop/web"),
    ),
    IsolationCase(
        "calico-default-tier-ends-in-deny",
        CALICO,
        "calico",
        ("shop/api", "shop/db", "shop/web"),
        (),
        {"shop/web": ("GlobalNetworkPolicy guard",)},
    ),
    IsolationCase(
        "calico-pass-tier-isolates-nobody",
        CALICO_PASS_TIER,
        "calico",
        (),
        (),
        {"shop/web": ("GlobalNetworkPolicy soft.watch",)},
    ),
    IsolationCase(
        "admin-tiers-select-without-isolating",
        ADMIN,
        "upstream",
        (),
        (),
        {"shop/web": ("ClusterNetworkPolicy guard", "ClusterNetworkPolicy baseline"), "ops/job": ()},
    ),
    IsolationCase(
        "cilium-rules-isolate-and-enableDefaultDeny-false-does-not",
        CILIUM,
        "cilium",
        ("shop/web",),
        (),
        {"ops/job": ("CiliumNetworkPolicy ops/quiet",)},
    ),
]


@pytest.mark.parametrize("case", ISOLATION_CASES, ids=[c.id for c in ISOLATION_CASES])
def test_isolation_and_unisolated(case: IsolationCase):
    c = cluster(case.policies)
    table = analysis.isolation(c, case.profile)
    assert list(table.index) == [p for p in c.table.ids if not p.startswith("external/")]
    assert tuple(sorted(table.index[table["ingress_isolated"]])) == case.ingress
    assert tuple(sorted(table.index[table["egress_isolated"]])) == case.egress
    for pod, refs in case.selected.items():
        assert set(refs) <= set(table.at[pod, "selected_by"]), table.at[pod, "selected_by"]
        if not refs:
            assert table.at[pod, "selected_by"] == ()
    neither = analysis.unisolated(c, case.profile)
    assert sorted(neither.index) == sorted(set(table.index) - set(case.ingress) - set(case.egress))
    assert list(neither.columns) == ["namespace", "selected_by"]


def plain_selects(reach: npk.Reachability, dialect, policy, e: int) -> bool:
    """Whether a policy applies to endpoint ``e``, by the dialect's plain per-endpoint code (not the columns)."""
    return bool(reach.cluster.table.is_pod[e]) and dialect.selects(policy, e)


def isolation_oracle(reach: npk.Reachability) -> dict[str, tuple[set, set, set]]:
    """Per pod, one endpoint at a time with the dialects' plain code: ingress and egress isolating policies, and
    every policy of the plan that applies to it."""
    plan = reach._evaluator.plan
    out = {}
    for e, pod in enumerate(reach.cluster.table.ids):
        if not reach.cluster.table.is_pod[e]:
            continue
        isolating, selected = [], set()
        for direction in DIRECTIONS:
            refs = set()
            for stage in plan.stages[direction]:
                selected |= {p.ref for d, p in stage.policies if plain_selects(reach, d, p, e)}
                for dialect, policy in stage.members:
                    if (
                        stage.end_deny
                        and plain_selects(reach, dialect, policy, e)
                        and dialect.isolated(policy, direction, e)
                    ):
                        refs.add(policy.ref)
            isolating.append(refs)
        out[pod] = (isolating[0], isolating[1], selected)
    return out


def assert_isolation_matches_oracle(reach: npk.Reachability) -> None:
    table = analysis.isolation(reach)
    for pod, (ingress, egress, selected) in isolation_oracle(reach).items():
        row = table.loc[pod]
        assert (bool(row["ingress_isolated"]), set(row["ingress_isolated_by"])) == (bool(ingress), ingress), pod
        assert (bool(row["egress_isolated"]), set(row["egress_isolated_by"])) == (bool(egress), egress), pod
        assert set(row["selected_by"]) == selected, pod


@pytest.mark.parametrize(("dialect", "profile"), DIALECT_PROFILES)
def test_isolation_matches_the_reference_one_endpoint_at_a_time(dialect, profile):
    assert_isolation_matches_oracle(npk.Reachability(cluster(dialect.policies), npk.get_profile(profile)))


@pytest.mark.parametrize(("dialect", "profile"), DIALECT_PROFILES)
def test_selected_by_is_what_evaluator_selecting_says(dialect, profile):
    c = cluster(dialect.policies)
    fresh = npk.Reachability(c, npk.get_profile(profile))._evaluator  # no columns yet: plain per-endpoint code
    table = analysis.isolation(c, profile)
    for pod in table.index:
        e = c.table.index[pod]
        assert set(table.at[pod, "selected_by"]) == {p.ref for d in DIRECTIONS for p in fresh.selecting(e, d)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_clusters(), st.sampled_from(("upstream", "cilium", "calico")))
def test_isolation_matches_the_reference_on_random_clusters(spec, profile):
    objects, externals = spec
    c = npk.Cluster.from_objects(objects, externals)
    assert_isolation_matches_oracle(npk.Reachability(c, npk.get_profile(profile), unsupported="ignore"))


# ---- policies that select nothing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmptyCase:
    id: str
    policy: str
    profile: str
    empty: bool
    detail: str = ""  # words the detail must contain


EMPTY_CASES = [
    EmptyCase(
        "k8s-typo",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
        "spec: {podSelector: {matchLabels: {app: wbe}}}",
        "upstream",
        True,
        "has the label app=wbe (app there: api, db, web)",
    ),
    EmptyCase(
        "k8s-missing-key",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ops}\n"
        "spec: {podSelector: {matchLabels: {tier: back}}}",
        "upstream",
        True,
        "no pod of namespace ops has the label tier",
    ),
    EmptyCase(
        "k8s-namespace-without-pods",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: empty}\n"
        "spec: {podSelector: {}}",
        "upstream",
        True,
        "namespace empty has no pods",
    ),
    EmptyCase(
        "k8s-selects",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
        "spec: {podSelector: {matchLabels: {app: web}}}",
        "upstream",
        False,
    ),
    EmptyCase(
        "calico-typo",
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
        "spec: {selector: \"app == 'wbe'\", ingress: [{action: Allow}]}",
        "calico",
        True,
        "no pod of namespace shop matches",
    ),
    EmptyCase(
        "calico-global-selects",
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: p}\n"
        "spec: {selector: \"app == 'job'\", ingress: [{action: Allow}]}",
        "calico",
        False,
    ),
    EmptyCase(
        "cnp-no-namespace",
        "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\n"
        "spec: {tier: Admin, priority: 1, subject: {namespaces: {matchLabels: {team: nobody}}}}",
        "upstream",
        True,
        "no namespace matches",
    ),
    EmptyCase(
        "cnp-pods-typo",
        "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\n"
        "spec: {tier: Admin, priority: 1, subject: {pods: {namespaceSelector: {}, "
        "podSelector: {matchLabels: {app: x}}}}}",
        "upstream",
        True,
        "app=x",
    ),
    EmptyCase(
        "cnp-selects",
        "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\n"
        "spec: {tier: Baseline, priority: 1, subject: {namespaces: {matchLabels: {team: ops}}}}",
        "upstream",
        False,
    ),
    EmptyCase(
        "cilium-typo",
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
        "spec: {endpointSelector: {matchLabels: {app: wbe}}, ingress: [{}]}",
        "cilium",
        True,
        "matches",
    ),
    EmptyCase(
        "cilium-selects",
        "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: p}\n"
        "spec: {endpointSelector: {}, ingress: [{}]}",
        "cilium",
        False,
    ),
]


@pytest.mark.parametrize("case", EMPTY_CASES, ids=[c.id for c in EMPTY_CASES])
def test_empty_policies(case: EmptyCase):
    c = cluster(case.policy)
    frame = analysis.empty_policies(c, case.profile)
    assert list(frame.columns) == tables.EMPTY_COLUMNS
    if not case.empty:
        assert frame.empty
        return
    assert len(frame) == 1
    row = frame.iloc[0]
    assert case.detail in row["detail"], row["detail"]
    assert row["path"] in ("spec.podSelector", "spec.selector", "spec.subject", "spec.endpointSelector")
    assert row["policy"] == c.policy_objects[0].ref


# ---- rules that can never match -------------------------------------------------------------------------------


def gnp(name: str, rules: str, *, order: int = 10, selector: str = "app == 'web'", types: str = "[Ingress]") -> str:
    body = textwrap.indent(textwrap.dedent(rules).strip(), "  ")
    direction = "egress" if "Egress" in types else "ingress"
    return (
        f"---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: {name}}}\n"
        f'spec:\n  order: {order}\n  selector: "{selector}"\n  types: {types}\n  {direction}:\n{body}\n'
    )


def cnp(
    name: str, tier: str, priority: int, rules: str, subject: str = "{namespaces: {matchLabels: {team: shop}}}"
) -> str:
    body = textwrap.indent(textwrap.dedent(rules).strip(), "  ")
    return (
        f"---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {{name: {name}}}\n"
        f"spec:\n  tier: {tier}\n  priority: {priority}\n  subject: {subject}\n  ingress:\n{body}\n"
    )


def knp(name: str, spec: str, namespace: str = "shop") -> str:
    return (
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\nspec: {spec}\n"
    )


@dataclass(frozen=True)
class DeadCase:
    id: str
    policies: str
    profile: str
    expected: tuple[tuple[str, int, str], ...]  # (policy ref, rule number, reason)
    shadowed_by: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)
    paths: dict[tuple[str, int], str] = field(default_factory=dict)
    ports: tuple[str, ...] | None = None


DEAD_CASES = [
    DeadCase(
        "k8s-peer-typo",
        knp("p", "{podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {app: apii}}}]}]}"),
        "upstream",
        (("NetworkPolicy shop/p", 1, "peer"),),
        paths={("NetworkPolicy shop/p", 1): "spec.ingress[0].from"},
    ),
    DeadCase(
        "k8s-peer-namespace-typo-egress",
        knp("p", "{podSelector: {}, egress: [{to: [{namespaceSelector: {matchLabels: {team: opps}}}]}]}"),
        "upstream",
        (("NetworkPolicy shop/p", 1, "peer"),),
        paths={("NetworkPolicy shop/p", 1): "spec.egress[0].to"},
    ),
    DeadCase(
        "k8s-ipblock-of-nobody",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 192.0.2.0/24}}]}]}"),
        "upstream",
        (("NetworkPolicy shop/p", 1, "peer"),),
    ),
    DeadCase(
        "k8s-live-rules-and-a-union-that-never-shadows",
        knp("p", "{podSelector: {}, ingress: [{}, {from: [{podSelector: {matchLabels: {app: api}}}]}]}"),
        "upstream",
        (),
    ),
    DeadCase(
        "k8s-named-port-nobody-declares",
        knp("p", "{podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: https}]}]}"),
        "upstream",
        (("NetworkPolicy shop/p", 1, "port"),),
        paths={("NetworkPolicy shop/p", 1): "spec.ingress[0].ports[0].port"},
    ),
    DeadCase(
        "k8s-named-port-declared-but-not-evaluated-is-alive",
        knp("p", "{podSelector: {matchLabels: {app: db}}, ingress: [{ports: [{port: postgres}]}]}"),
        "upstream",
        (),
        ports=("TCP/80",),
    ),
    DeadCase(
        "k8s-ipblock-peer-under-cilium-matches-no-pod-but-externals",
        knp("p", "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]}"),
        "cilium",
        (("NetworkPolicy shop/p", 1, "peer"),),
    ),
    DeadCase(
        "calico-deny-shadows-a-narrower-allow",
        gnp(
            "g",
            """
            - {action: Deny, protocol: TCP, source: {namespaceSelector: "team == 'ops'"}}
            - {action: Allow, protocol: TCP, source: {selector: "app == 'monitor'"}}
            - {action: Allow, protocol: TCP}
            """,
        ),
        "calico",
        (("GlobalNetworkPolicy g", 2, "shadowed"),),
        shadowed_by={("GlobalNetworkPolicy g", 2): ("GlobalNetworkPolicy g rule 1 (Deny)",)},
        paths={("GlobalNetworkPolicy g", 2): "spec.ingress[1]"},
    ),
    DeadCase(
        "calico-two-earlier-rules-cover-together",
        gnp(
            "g",
            """
            - {action: Deny, protocol: TCP, source: {selector: "app == 'monitor'"}}
            - {action: Pass, protocol: TCP, source: {selector: "app == 'job'"}}
            - {action: Allow, protocol: TCP, source: {namespaceSelector: "team == 'ops'"}}
            """,
        ),
        "calico",
        (("GlobalNetworkPolicy g", 3, "shadowed"),),
        shadowed_by={
            ("GlobalNetworkPolicy g", 3): ("GlobalNetworkPolicy g rule 1 (Deny)", "GlobalNetworkPolicy g rule 2 (Pass)")
        },
    ),
    DeadCase(
        "calico-partial-overlap-is-not-shadowed",
        gnp(
            "g",
            """
            - {action: Deny, protocol: TCP, source: {selector: "app == 'monitor'"}}
            - {action: Allow, protocol: TCP, source: {namespaceSelector: "team == 'ops'"}}
            """,
        ),
        "calico",
        (),
    ),
    DeadCase(
        "calico-a-port-the-earlier-rule-lacks-keeps-it-alive",
        gnp(
            "g",
            """
            - {action: Deny, protocol: TCP, destination: {ports: [8080]}}
            - {action: Allow, protocol: TCP}
            """,
        ),
        "calico",
        (),
    ),
    DeadCase(
        "calico-redundant-allow-across-policies",
        gnp("a", "- {action: Allow, protocol: TCP}", order=1) + gnp("b", "- {action: Allow, protocol: TCP}", order=2),
        "calico",
        (("GlobalNetworkPolicy b", 1, "shadowed"),),
        shadowed_by={("GlobalNetworkPolicy b", 1): ("GlobalNetworkPolicy a rule 1 (Allow)",)},
    ),
    DeadCase(
        "calico-a-policy-selecting-more-is-not-shadowed-by-one-selecting-less",
        gnp("a", "- {action: Deny, protocol: TCP}", order=1)
        + gnp("b", "- {action: Allow, protocol: TCP}", order=2, selector="has(app)"),
        "calico",
        (),
    ),
    DeadCase(
        "calico-own-side-matches-none-of-the-selected",
        gnp("g", "- {action: Allow, destination: {selector: \"app == 'db'\"}}"),
        "calico",
        (("GlobalNetworkPolicy g", 1, "local"),),
    ),
    DeadCase(
        "calico-egress-peer-of-nobody",
        gnp("g", "- {action: Allow, destination: {nets: [192.0.2.0/24]}}", types="[Egress]"),
        "calico",
        (("GlobalNetworkPolicy g", 1, "peer"),),
        paths={("GlobalNetworkPolicy g", 1): "spec.egress[0].destination"},
    ),
    DeadCase(
        "calico-log-rules-keep-the-numbering",
        gnp(
            "g",
            """
            - {action: Log}
            - {action: Deny, protocol: TCP}
            - {action: Allow, protocol: TCP, destination: {ports: [8080]}}
            """,
        ),
        "calico",
        (("GlobalNetworkPolicy g", 3, "shadowed"),),
        paths={("GlobalNetworkPolicy g", 3): "spec.ingress[2]"},
    ),
    DeadCase(
        "admin-deny-shadows-accept-in-a-later-policy",
        cnp("a", "Admin", 1, "- {name: no-ops, action: Deny, from: [{namespaces: {matchLabels: {team: ops}}}]}")
        + cnp(
            "b",
            "Admin",
            5,
            "- {name: mon, action: Accept, from: [{pods: {podSelector: {matchLabels: {app: monitor}}}}]}",
        ),
        "upstream",
        (("ClusterNetworkPolicy b", 1, "shadowed"),),
        shadowed_by={("ClusterNetworkPolicy b", 1): ("ClusterNetworkPolicy a rule 1 'no-ops' (Deny)",)},
    ),
    DeadCase(
        "admin-pass-shadows-in-its-tier-only",
        cnp("a", "Admin", 1, "- {name: all, action: Pass, from: [{namespaces: {}}]}")
        + cnp(
            "b", "Admin", 5, "- {name: mon, action: Deny, from: [{pods: {podSelector: {matchLabels: {app: monitor}}}}]}"
        )
        + cnp("c", "Baseline", 1, "- {name: base, action: Deny, from: [{namespaces: {}}]}"),
        "upstream",
        (("ClusterNetworkPolicy b", 1, "shadowed"),),
    ),
    DeadCase(
        "admin-peer-of-nobody",
        cnp("a", "Admin", 1, "- {name: x, action: Deny, from: [{namespaces: {matchLabels: {team: nobody}}}]}"),
        "upstream",
        (("ClusterNetworkPolicy a", 1, "peer"),),
        paths={("ClusterNetworkPolicy a", 1): "spec.ingress[0].from"},
    ),
    DeadCase(
        "admin-under-calico-kube-admin-tier",
        cnp("a", "Admin", 1, "- {name: all, action: Deny, from: [{namespaces: {}}]}")
        + cnp("b", "Admin", 2, "- {name: some, action: Accept, from: [{namespaces: {matchLabels: {team: ops}}}]}"),
        "calico",
        (("ClusterNetworkPolicy b", 1, "shadowed"),),
    ),
    DeadCase(
        "cilium-endpoint-typo-and-no-shadowing-in-the-union",
        """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: p, namespace: shop}
        spec:
          endpointSelector: {}
          ingress: [{fromEndpoints: [{matchLabels: {app: apii}}]}, {fromEndpoints: [{}]}]
          ingressDeny: [{fromEntities: [world]}]
        """,
        "cilium",
        (("CiliumNetworkPolicy shop/p", 1, "peer"),),
        paths={("CiliumNetworkPolicy shop/p", 1): "spec.ingress[0]"},
    ),
]


@pytest.mark.parametrize("case", DEAD_CASES, ids=[c.id for c in DEAD_CASES])
def test_dead_rules(case: DeadCase):
    c = cluster(case.policies)
    frame = analysis.dead_rules(c, case.ports or PORTS, case.profile)
    assert list(frame.columns) == tables.DEAD_RULE_COLUMNS
    got = set(zip(frame["policy"], frame["rule"], frame["reason"], strict=True))
    assert got == set(case.expected), frame[["policy", "rule", "reason", "message"]].to_string()
    rows = {(p, n): r for p, n, r in zip(frame["policy"], frame["rule"], frame.to_dict("records"), strict=True)}
    for key, labels in case.shadowed_by.items():
        assert rows[key]["shadowed_by"] == labels
        assert "never decides" in rows[key]["message"]
    for key, path in case.paths.items():
        assert rows[key]["path"] == path


def test_dead_rules_say_redundant_or_overridden():
    c = cluster(
        gnp("a", "- {action: Allow, protocol: TCP}", order=1)
        + gnp(
            "b",
            """
        - {action: Allow, protocol: TCP}
        """,
            order=2,
        )
        + gnp("d", "- {action: Deny, protocol: TCP}", order=3)
    )
    frame = analysis.dead_rules(c, PORTS, "calico").set_index("policy")
    assert "redundant" in frame.at["GlobalNetworkPolicy b", "message"]
    assert "its Deny never applies" in frame.at["GlobalNetworkPolicy d", "message"]


def test_dead_rules_ports_default_to_the_results_or_the_declared_ones():
    policies = gnp(
        "g",
        """
        - {action: Deny, protocol: TCP, destination: {ports: [8080]}}
        - {action: Allow, protocol: TCP, destination: {ports: [8080, 9999]}}
        """,
    )
    c = cluster(policies)
    # the declared container ports (no pod declares 9999): the Deny takes every connection the Allow matches
    assert list(analysis.dead_rules(c, profile="calico")["reason"]) == ["shadowed"]
    # the result's ports: on 9999 the Allow decides
    assert analysis.dead_rules(npk.reachability(c, ["TCP/9999"], "calico")).empty
    assert analysis.dead_rules(c, ["TCP/8080", "TCP/9999"], "calico").empty


def brute_first_matches(reach: npk.Reachability, ports: list[str]):
    """Per ordered stage: for every rule, whether it matches some pair and whether it is ever the first match (with
    the earlier first matches of its pairs), by the dialects' plain per-pair ``selects`` and ``matches``."""
    ev = reach._evaluator
    n = len(reach.cluster.table)
    out = {}
    for direction in DIRECTIONS:
        for stage in ev.plan.stages[direction]:
            if not stage.ordered:
                continue
            for entry in stage.entries:
                out.setdefault((direction, stage.name, entry.policy.ref, entry.number), [False, False, set()])
            for port in ports:
                query = PortQuery.parse(port)
                for local in range(n):
                    for peer in range(n):
                        src, dst = (peer, local) if direction == "Ingress" else (local, peer)
                        hits = [
                            k
                            for k, e in enumerate(stage.entries)
                            if plain_selects(reach, e.dialect, e.policy, local)
                            and e.dialect.matches(e.policy, e.rule.rule, direction, src, dst, query)
                        ]
                        for k in hits:
                            state = out[(direction, stage.name, stage.entries[k].policy.ref, stage.entries[k].number)]
                            state[0] = True
                            if k == hits[0]:
                                state[1] = True
                            else:
                                state[2].add(stage.entries[hits[0]].policy.ref + f"#{stage.entries[hits[0]].number}")
    return out


def assert_shadowing_matches_brute_force(reach: npk.Reachability, ports: list[str]) -> None:
    frame = analysis.dead_rules(reach, ports)
    shadowed = {
        (r.direction, r.stage, r.policy, r.rule): r.shadowed_by for r in frame.itertuples() if r.reason == "shadowed"
    }
    never = {(r.direction, r.stage, r.policy, r.rule) for r in frame.itertuples() if r.reason != "shadowed"}
    for key, (matches, first, earlier) in brute_first_matches(reach, ports).items():
        if key in never:
            assert not matches, f"{key} is reported dead but matches"
        elif matches and not first:
            assert key in shadowed, f"{key} never decides but is not reported"
            assert len(shadowed[key]) == len(earlier)
        else:
            assert key not in shadowed, f"{key} is reported shadowed but decides"


@pytest.mark.parametrize(
    "case", [c for c in DEAD_CASES if c.profile == "calico" or "admin" in c.id], ids=lambda c: c.id
)
def test_shadowing_matches_the_per_pair_oracle_on_the_cases(case: DeadCase):
    reach = npk.Reachability(cluster(case.policies), npk.get_profile(case.profile))
    assert_shadowing_matches_brute_force(reach, list(case.ports or PORTS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_shadowing_matches_the_per_pair_oracle_on_random_calico_clusters(data: st.DataObject):
    objects, externals = data.draw(calico_clusters(), label="cluster")
    note(f"objects = {json.dumps(objects)}")
    ports = data.draw(st.lists(st.sampled_from(QUERIES), min_size=1, max_size=2, unique=True), label="ports")
    reach = npk.Reachability(npk.Cluster.from_objects(objects, externals), npk.get_profile("calico"))
    assert_shadowing_matches_brute_force(reach, ports)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_shadowing_matches_the_per_pair_oracle_on_random_admin_tiers(data: st.DataObject):
    objects, externals = data.draw(mixed_clusters(), label="cluster")
    note(f"objects = {json.dumps(objects)}")
    ports = data.draw(port_queries(objects), label="ports")
    reach = npk.Reachability(
        npk.Cluster.from_objects(objects, externals), npk.get_profile("upstream"), unsupported="ignore"
    )
    assert_shadowing_matches_brute_force(reach, ports)


# ---- the package -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [_common, _demo, tables, linter], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
    assert tried > 0


def test_public_names():
    assert npk.exposure is analysis.exposure and npk.blast_radius is analysis.blast_radius and npk.lint is analysis.lint
    for name in analysis.__all__:
        value = getattr(analysis, name)
        if callable(value):
            assert value.__doc__, name


def test_a_cluster_with_a_dialect_the_profile_does_not_enforce_is_refused_or_ignored():
    c = cluster(CALICO)
    with pytest.raises(PolicyError, match="does not enforce"):
        analysis.isolation(c)
    reach = npk.Reachability(c, npk.get_profile("upstream"), unsupported="ignore")
    assert not analysis.isolation(reach)["ingress_isolated"].any()
    with pytest.raises(TypeError):
        analysis.isolation("state.yaml")  # type: ignore[arg-type]


@pytest.mark.slow
def test_ten_thousand_pods_without_the_endpoint_matrix(monkeypatch):
    from netpolkit.synth import synthetic_cluster

    big = synthetic_cluster(10_000, 1_000)
    reach = npk.reachability(big, ["TCP/80", "UDP/53"])

    def refuse(self):
        raise AssertionError("expand() builds the N x N matrix")

    monkeypatch.setattr(ClassVerdict, "expand", refuse)
    namespace = big.namespaces.index[big.namespaces["pods"].to_numpy().argmax()]
    start = time.perf_counter()
    exposed = analysis.exposure(reach, namespace=namespace, by="namespace")
    reaches = analysis.blast_radius(reach, namespace, by="endpoint")
    assert list(exposed.columns) == list(reaches.columns) == tables.FLOW_COLUMNS
    assert exposed["sources"].sum() > 0 and reaches["destinations"].sum() > 0
    analysis.external_reach(reach)
    assert len(analysis.isolation(reach)) == 10_000
    analysis.unisolated(reach)
    analysis.empty_policies(reach)
    analysis.dead_rules(reach)
    analysis.lint(reach)
    assert time.perf_counter() - start < 60
