"""Which policy APIs a cluster serves, what ``load_live`` then reads and skips, and its progress bar on long lists.

The real ``kubernetes`` client talks HTTP to the fake API server on loopback (tests/fake_kube_api.py), which serves
API discovery as the Kubernetes API does (kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api,
"Aggregated discovery" aside): ``GET /apis`` is an ``APIGroupList`` naming each group and its versions, and
``GET /apis/<group>/<version>`` an ``APIResourceList`` naming each resource and its verbs. The groups and versions
are the ones the dialects model: Calico ``projectcalico.org/v3`` (docs.tigera.io, Calico API server),
network-policy-api ``policy.networking.k8s.io`` v1alpha2 (ClusterNetworkPolicy) and v1alpha1 (AdminNetworkPolicy,
BaselineAdminNetworkPolicy), Cilium ``cilium.io/v2``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

from fake_kube_api import CALICO, CILIUM, POLICY_API_V1ALPHA1, POLICY_API_V1ALPHA2, FakeKubeAPI, Reply
from kubernetes.client import ApiClient, Configuration
from test_live import CORE_OBJECTS

from netpolkit import runtime
from netpolkit.io import live
from netpolkit.io.live import load_live
from netpolkit.io.live.discovery import DISCOVERY_COLUMNS, discover_policy_apis

OPTIONAL_PREFIXES = {"Calico": CALICO, "Cilium": CILIUM, "network-policy-api": "/apis/policy.networking.k8s.io/"}
# what the fake API serves -> the APIs netpolkit reads that it then serves
SERVED = {
    "none": ({"calico": False}, set()),
    "calico": ({"calico": True}, {"Calico"}),
    "cilium": ({"calico": False, "cilium": True}, {"Cilium"}),
    "network-policy-api": ({"calico": False, "policy_api": True}, {"network-policy-api"}),
    "all": ({"calico": True, "cilium": True, "policy_api": True}, {"Calico", "Cilium", "network-policy-api"}),
}


def discover(**flags: Any) -> tuple[Any, FakeKubeAPI]:
    with FakeKubeAPI([], **flags) as api, ApiClient(Configuration(host=api.host)) as client:
        return discover_policy_apis(client), api


def read(objects: list[dict[str, Any]], **flags: Any) -> tuple[Any, FakeKubeAPI, list[str]]:
    said: list[str] = []
    with FakeKubeAPI(copy.deepcopy(objects), **flags) as api, ApiClient(Configuration(host=api.host)) as client:
        cluster = load_live(api_client=client, progress=said.append)
    return cluster, api, said


@pytest.mark.parametrize("case", list(SERVED))
def test_discovery_lists_what_is_modelled_and_what_is_served(case: str) -> None:
    flags, served_apis = SERVED[case]
    frame, api = discover(**flags)
    assert tuple(frame.columns) == DISCOVERY_COLUMNS
    modelled = frame[frame["modelled"]]
    assert set(modelled["kind"]) == {
        "NetworkPolicy",
        "Tier",
        "GlobalNetworkPolicy",
        "StagedNetworkPolicy",
        "StagedGlobalNetworkPolicy",
        "StagedKubernetesNetworkPolicy",
        "ClusterNetworkPolicy",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "CiliumNetworkPolicy",
        "CiliumClusterwideNetworkPolicy",
    }
    by_api = modelled.groupby("api")["served"].agg(lambda s: set(s.tolist()))
    assert by_api["Kubernetes"] == {True}
    for name in ("Calico", "Cilium", "network-policy-api"):
        assert by_api[name] == ({True} if name in served_apis else {False}), name
    versions = set(zip(modelled["group"], modelled["version"], strict=True))
    assert ("policy.networking.k8s.io", "v1alpha2") in versions and ("cilium.io", "v2") in versions
    assert set(api.methods) == {"GET"}
    assert all(p == "/apis" or re.fullmatch(r"/apis/[^/]+/[^/]+", p) for p in api.paths)  # discovery paths only


@pytest.mark.parametrize("case", list(SERVED))
def test_load_live_reads_only_what_is_served_and_says_what_it_skipped(case: str) -> None:
    flags, served_apis = SERVED[case]
    _, api, said = read(CORE_OBJECTS, **flags)
    for name, prefix in OPTIONAL_PREFIXES.items():
        lists = [p for p in api.paths if p.startswith(prefix) and p.count("/") > 3]
        assert bool(lists) == (name in served_apis), (name, lists)
    skipped = " ".join(line for line in said if line.startswith("skipped"))
    for name, resource in (
        ("Calico", "tiers.projectcalico.org"),
        ("Cilium", "ciliumnetworkpolicies.cilium.io"),
        ("network-policy-api", "clusternetworkpolicies.policy.networking.k8s.io"),
    ):
        assert (resource in skipped) == (name not in served_apis), (name, said)
    if served_apis != {"Calico", "Cilium", "network-policy-api"}:
        assert "not served (no " in skipped and "in API discovery)" in skipped


def test_include_flags_are_said_as_skipped_too() -> None:
    said: list[str] = []
    with FakeKubeAPI(copy.deepcopy(CORE_OBJECTS), cilium=True) as api, ApiClient(Configuration(host=api.host)) as c:
        load_live(api_client=c, include_cilium=False, progress=said.append)
    assert not [p for p in api.paths if p.startswith(CILIUM)]
    assert any("include_cilium=False" in line and "ciliumnetworkpolicies.cilium.io" in line for line in said)


def test_served_policy_versions_netpolkit_does_not_read_are_listed() -> None:
    frame, _ = discover(calico=False, cilium=True, calico_crds=True, extra_groups={"cilium.io": ["v2alpha1"]})
    extra = frame[~frame["modelled"]].set_index(["group", "version"])
    assert set(extra.index) == {("crd.projectcalico.org", "v1"), ("cilium.io", "v2alpha1")}
    assert extra["served"].all()
    assert "projectcalico.org/v3" in extra.loc[("crd.projectcalico.org", "v1"), "note"]
    assert "it reads cilium.io/v2" in extra.loc[("cilium.io", "v2alpha1"), "note"]


def test_a_group_version_without_the_resource_is_not_served_for_it() -> None:
    def without_staged(request: Any) -> Reply:
        _, body = request.normal()
        body["resources"] = [r for r in body["resources"] if not r["name"].startswith("staged")]
        return Reply(200, body)

    with FakeKubeAPI([]) as api, ApiClient(Configuration(host=api.host)) as client:
        api.on(CALICO, without_staged)
        frame = discover_policy_apis(client)
    calico = frame[frame["group"] == "projectcalico.org"].set_index("kind")["served"]
    assert calico["Tier"] and calico["GlobalNetworkPolicy"]
    assert not calico["StagedNetworkPolicy"] and not calico["StagedGlobalNetworkPolicy"]


def test_unreadable_discovery_leaves_served_unknown() -> None:
    frame, api = discover(discovery=False)
    assert frame["served"].isna().all()
    assert api.paths == ["/apis"]


def test_policy_api_v1alpha1_only_is_seen_per_version() -> None:
    def only_v1alpha1(request: Any) -> Reply:
        _, body = request.normal()
        for group in body["groups"]:
            if group["name"] == "policy.networking.k8s.io":
                group["versions"] = [v for v in group["versions"] if v["version"] == "v1alpha1"]
        return Reply(200, body)

    with FakeKubeAPI([], calico=False, policy_api=True) as api, ApiClient(Configuration(host=api.host)) as client:
        api.on("/apis", only_v1alpha1)
        frame = discover_policy_apis(client)
        assert POLICY_API_V1ALPHA2 not in api.paths and POLICY_API_V1ALPHA1 in api.paths
    served = frame.set_index("kind")["served"]
    assert not served["ClusterNetworkPolicy"] and served["AdminNetworkPolicy"]


# ---- progress bar ------------------------------------------------------------------------------------------


def many_pods(count: int) -> list[dict[str, Any]]:
    from test_live import namespace, pod

    return [namespace("big"), *(pod("big", f"p-{i:03}", f"10.244.3.{i}", {"app": "p"}) for i in range(count))]


def test_a_long_list_shows_a_bar_when_someone_watches(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(runtime, "PROGRESS_MIN_ITEMS", 20)
    monkeypatch.setenv("NETPOLKIT_PROGRESS", "1")
    bars: list[Any] = []

    def kept(*args: Any, **kwargs: Any) -> Any:
        bars.append(runtime.progress(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(live, "progress_bar", kept)
    with FakeKubeAPI(many_pods(60), calico=False) as api, ApiClient(Configuration(host=api.host)) as client:
        cluster = load_live(api_client=client, page_size=10)
        assert len(api.queries("/api/v1/pods")) == 6  # paged: the bar counts pages as they arrive
    assert len(cluster.pods) == 60
    err = capsys.readouterr().err
    # the total comes from the first page (10 objects and remainingItemCount 50); every object was counted
    assert "netpolkit: loading pods" in err and "0/60" in err
    assert [bar.total for bar in bars] == [60] and bars[0].n == 60


@pytest.mark.parametrize(("env", "value"), [("CI", "true"), ("NETPOLKIT_PROGRESS", "0")])
def test_no_bar_in_ci_or_when_switched_off(monkeypatch: pytest.MonkeyPatch, capsys, env: str, value: str) -> None:
    monkeypatch.setattr(runtime, "PROGRESS_MIN_ITEMS", 20)
    monkeypatch.delenv("NETPOLKIT_PROGRESS", raising=False)
    monkeypatch.setenv(env, value)
    monkeypatch.setattr(runtime, "_stderr_is_a_terminal", lambda: True)
    with FakeKubeAPI(many_pods(60), calico=False) as api, ApiClient(Configuration(host=api.host)) as client:
        load_live(api_client=client, page_size=10)
    assert "netpolkit: loading pods" not in capsys.readouterr().err


def test_no_bar_for_a_short_list(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("NETPOLKIT_PROGRESS", "1")  # forced on, but 60 objects are far below PROGRESS_MIN_ITEMS
    with FakeKubeAPI(many_pods(60), calico=False) as api, ApiClient(Configuration(host=api.host)) as client:
        load_live(api_client=client, page_size=10)
    assert "netpolkit: loading pods" not in capsys.readouterr().err
