"""The live loader against an API server that misbehaves: the real ``kubernetes`` client over real HTTP.

Every case is played by :class:`fake_kube_api.FakeKubeAPI` on 127.0.0.1 (hooks answer a path the way a broken or
hostile server would). Every case is bounded: the client's limits end it, the fake answers at most
``max_requests`` per path, trickles stop after their ``max_seconds``, and each test asserts how many requests it
took and how long.
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

from fake_kube_api import CALICO, CILIUM, POLICY_API_V1ALPHA1, POLICY_API_V1ALPHA2, FakeKubeAPI, Reply, Request
from fake_kube_api import status_body as status
from kubernetes.client import ApiClient, Configuration

from netpolkit.io import live
from netpolkit.io.live import LiveClusterError, fetch_objects, load_live

PODS = "/api/v1/pods"


def namespace(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
    }


def pod(name: str, i: int, ns: str = "shop") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {"app": name},
            "managedFields": [{"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:metadata": {}}}],
        },
        "spec": {"containers": [{"name": "main", "image": "registry.example/app:1"}]},
        "status": {"phase": "Running", "podIP": f"10.244.1.{i}"},
    }


POD_NAMES = {f"shop/p-{i:02d}" for i in range(12)}
CLUSTER = [
    namespace("shop"),
    *(pod(f"p-{i:02d}", i) for i in range(12)),
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "shop"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    },
]


def client_for(api: FakeKubeAPI) -> ApiClient:
    """A client like the ones load_live makes: its urllib3 retries set explicitly."""
    configuration = Configuration(host=api.host)
    configuration.retries = live._retries_for(live.RETRIES)
    return ApiClient(configuration)


def pod_names(objects: list[dict[str, Any]]) -> list[str]:
    return [f"{o['metadata']['namespace']}/{o['metadata']['name']}" for o in objects if o["kind"] == "Pod"]


def pod_list(items: Any, **metadata: Any) -> dict[str, Any]:
    return {"kind": "PodList", "apiVersion": "v1", "metadata": metadata, "items": items}


def always(reply: Reply) -> Callable[[Request], Reply]:
    return lambda request: reply


def first_page(request: Request) -> tuple[int, dict[str, Any]]:
    """The normal first page of this list, whatever continue token was sent."""
    return request.api.answer_path(request.path, {"limit": request.query.get("limit", "")})


def same_token(request: Request) -> Reply:
    code, body = first_page(request)
    body["metadata"]["continue"] = "the-same-token"
    return Reply(code, body)


def resent(request: Request) -> Reply:
    """The first page every time, with a new continue token each time."""
    code, body = first_page(request)
    body["metadata"]["continue"] = f"fresh-{request.count}"
    return Reply(code, body)


def new_token(request: Request) -> Reply:
    return Reply(200, pod_list([], **{"continue": f"token-{request.count}"}))


def slow_new_token(request: Request) -> Reply:
    """A page that takes about 0.2 s to arrive, and always another one after it."""
    return Reply(200, pod_list([], **{"continue": f"token-{request.count}"}), trickle=0.04, chunk=20, max_seconds=2)


def expired(request: Request) -> Reply | None:
    if "continue" in request.query:
        return Reply(410, status(410, "The provided continue parameter is too old", "Expired"))
    return None


def ignores_limit(request: Request) -> Reply:
    return Reply(*request.api.answer_path(request.path, {}))


def trickled(request: Request) -> Reply:
    return Reply(*request.normal(), trickle=0.05, chunk=1, max_seconds=5)


def trickled_headers(request: Request) -> Reply:
    return Reply(*request.normal(), trickle=0.05, chunk=1, trickle_headers=True, max_seconds=5)


def cut_off(request: Request) -> Reply:
    return Reply(*request.normal(), cut_after=20)


def gzip_bomb(request: Request) -> Reply:
    """About 11 MB on the wire that inflate to 10 GiB of spaces (each gzip member is 1 MiB of them)."""
    member = gzip.compress(b" " * (1 << 20), compresslevel=9)
    return Reply(200, raw=member * 10_240, headers={"Content-Encoding": "gzip"})


def gzipped(request: Request, *, members: int = 1) -> Reply:
    code, body = request.normal()
    data = json.dumps(body).encode()
    cut = len(data) // members
    parts = [data[i * cut : (i + 1) * cut if i < members - 1 else len(data)] for i in range(members)]
    return Reply(code, raw=b"".join(gzip.compress(p) for p in parts), headers={"Content-Encoding": "gzip"})


def page_bytes(api: FakeKubeAPI, path: str, limit: int) -> int:
    return len(json.dumps(api.answer_path(path, {"limit": str(limit)})[1]).encode())


# ---- answers that must fail, each with a clear error naming the resource --------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    hook: Callable[[Request], Reply | None]
    error: str  # a regular expression the LiveClusterError matches
    path: str = PODS
    kwargs: dict[str, Any] | Callable[[FakeKubeAPI], dict[str, Any]] = field(default_factory=dict)
    resource: str = "pods"
    requests: int = 1  # at most this many requests for ``path``
    seconds: float = 5.0  # and at most this long


MALFORMED = [
    Case("json-string", always(Reply(200, "a string, not a list")), r"page 1 is not a PodList: .*a JSON string"),
    Case("json-array", always(Reply(200, [1, 2])), r"expected a JSON object, got a JSON array"),
    Case("items-as-map", always(Reply(200, pod_list({"p": {}}))), r"items is a JSON object, expected a list"),
    Case("items-missing", always(Reply(200, {"kind": "PodList", "metadata": {}})), r"it has no items"),
    Case("item-a-string", always(Reply(200, pod_list(["p-00"]))), r"items\[0\] is a JSON string"),
    Case("item-without-metadata", always(Reply(200, pod_list([{"spec": {}}]))), r"items\[0\] has no metadata"),
    Case(
        "item-without-name",
        always(Reply(200, pod_list([{"metadata": {"namespace": "shop"}}]))),
        r"items\[0\]\.metadata\.name is null",
    ),
    Case(
        "item-without-namespace",
        always(Reply(200, pod_list([{"metadata": {"name": "p"}}]))),
        r"items\[0\] \(p\) has no metadata\.namespace",
    ),
    Case(
        "item-of-another-kind",
        always(Reply(200, pod_list([{"kind": "Secret", "metadata": {"name": "p", "namespace": "shop"}}]))),
        r"items\[0\]\.kind is 'Secret', expected Pod",
    ),
    Case(
        "list-of-another-kind",
        always(Reply(200, {**pod_list([]), "kind": "SecretList"})),
        r"kind is 'SecretList'",
    ),
    Case(
        "status-with-200",
        always(Reply(200, status(500, "internal error"))),
        r"kind is 'Status': internal error",
    ),
    Case("metadata-a-string", always(Reply(200, {**pod_list([]), "metadata": "x"})), r"metadata is a JSON string"),
    Case(
        "continue-a-number",
        always(Reply(200, pod_list([], **{"continue": 5}))),
        r"metadata\.continue is a JSON number",
    ),
    Case(
        "html-login-page",
        always(Reply(200, raw=b"<html><body>Please log in</body></html>", headers={"Content-Type": "text/html"})),
        r"page 1 is not JSON .*text/html, starting '<html><body>Please log in",
    ),
    Case("truncated-json", always(Reply(200, raw=b'{"kind": "PodList", "items": [')), r"page 1 is not JSON"),
    Case("invalid-utf8", always(Reply(200, raw=b'{"items": ["\xff\xfe"]}')), r"page 1 is not JSON"),
    Case("nested-too-deeply", always(Reply(200, raw=b"[" * 200_000 + b"]" * 200_000)), r"JSON nested too deeply"),
    Case(
        "second-page-malformed",
        lambda r: Reply(200, "nonsense") if r.count == 2 else None,
        r"page 2 is not a PodList",
        kwargs={"page_size": 5},
        requests=2,
    ),
    Case(
        "pod-from-another-namespace",
        always(Reply(200, pod_list([pod("intruder", 1, ns="db")]))),
        r"items\[0\] \(intruder\) is in namespace 'db', not 'shop'",
        path="/api/v1/namespaces/shop/pods",
        kwargs={"namespaces": ["shop"]},
    ),
    Case(
        "cluster-wide-object-with-a-namespace",
        always(Reply(200, {**pod_list([{"metadata": {"name": "x", "namespace": "shop"}}]), "kind": "NamespaceList"})),
        r"has a namespace \('shop'\), but namespaces are cluster-wide",
        path="/api/v1/namespaces",
        resource="namespaces",
    ),
    Case(
        "unsupported-content-encoding",
        always(Reply(200, raw=b"...", headers={"Content-Encoding": "br"})),
        r"unsupported Content-Encoding 'br'",
    ),
    Case(
        "corrupt-gzip",
        always(Reply(200, raw=b"not gzip at all", headers={"Content-Encoding": "gzip"})),
        r"the gzip body is corrupt",
    ),
    Case(
        "truncated-gzip",
        always(
            Reply(200, raw=gzip.compress(json.dumps(pod_list([])).encode())[:-12], headers={"Content-Encoding": "gzip"})
        ),
        r"the gzip body ends in the middle",
    ),
    Case(
        "discovery-a-string",
        always(Reply(200, "no groups here")),
        r"API discovery \(/apis\).*expected an APIGroupList",
        path="/apis",
        resource="apis",
    ),
    Case(
        "discovery-groups-as-map",
        always(Reply(200, {"kind": "APIGroupList", "groups": {"projectcalico.org": "v3"}})),
        r"expected an APIGroupList with a list of groups",
        path="/apis",
        resource="apis",
    ),
    Case(
        "discovery-group-without-versions",
        always(Reply(200, {"kind": "APIGroupList", "groups": [{"name": "cilium.io"}]})),
        r"groups\[0\] is not an API group",
        path="/apis",
        resource="apis",
    ),
    Case(
        "resource-discovery-not-a-list",
        always(Reply(200, {"kind": "APIResourceList", "resources": "tiers"})),
        r"API discovery \(/apis/projectcalico\.org/v3\).*resources a JSON string",
        path=CALICO,
        resource="apis/projectcalico.org/v3",
    ),
]

LOOPS_AND_LIMITS = [
    Case("same-continue-token", same_token, r"page 2 repeats an earlier continue token", requests=2),
    Case(
        "a-pod-sent-twice",
        resent,
        r"page 2 sends shop/p-00 \(items\[0\]\) a second time",
        kwargs={"page_size": 5},
        requests=2,
    ),
    Case(
        "new-continue-tokens-forever",
        new_token,
        r"still more after max_pages=20 pages",
        kwargs={"max_pages": 20},
        requests=20,
    ),
    Case(
        "continue-token-expires-every-time",
        expired,
        r"continue token expired \(HTTP 410\) on 4 attempts",
        kwargs={"page_size": 5},
        requests=8,  # page 1 and an expired page 2, four times: the list and three relists
    ),
    Case(
        "410-on-the-first-page",
        always(Reply(410, status(410, "gone", "Gone"))),
        r"listing pods failed: HTTP 410 Gone: gone",
    ),
    Case(
        "ignores-limit-past-max-items",
        ignores_limit,
        r"more than max_items=10 objects",
        kwargs={"page_size": 5, "max_items": 10},
    ),
    Case(
        "more-items-than-max-items-over-pages",
        lambda r: None,
        r"more than max_items=7 objects",
        kwargs={"page_size": 5, "max_items": 7},
        requests=2,
    ),
    Case(
        "more-bytes-than-max-bytes-over-pages",
        lambda r: None,
        r"over the limit max_bytes=\d+ for the whole list",
        kwargs=lambda api: {
            "page_size": 5,
            "max_bytes": page_bytes(api, PODS, 5) + page_bytes(api, "/api/v1/namespaces", 5) + 10,
        },
        requests=2,
    ),
    Case(
        "one-answer-larger-than-max-response-bytes",
        lambda r: None,
        r"larger than 3000 bytes once decoded .*max_response_bytes=3000",
        kwargs={"max_response_bytes": 3000},  # the namespaces fit, all 12 pods in one page do not
    ),
    Case(
        "content-length-of-10-GiB",
        always(Reply(200, raw=b"{}", content_length=10 * 1024**3)),
        r"\(Content-Length 10737418240\), over the limit max_response_bytes",
        seconds=2.0,
    ),
    Case(
        "gzip-bomb-under-the-default-budget",
        gzip_bomb,
        rf"larger than {live.MAX_RESPONSE_BYTES} bytes once decoded, over the limit max_response_bytes",
        seconds=8.0,  # inflating 128 MiB; a MemoryError or reading all 10 GiB would not get here
    ),
    Case(
        "gzip-bomb-under-a-small-budget",
        gzip_bomb,
        r"larger than 1048576 bytes once decoded",
        kwargs={"max_response_bytes": 1 << 20},
        seconds=2.0,
    ),
]

DEADLINES_AND_RETRIES = [
    Case(
        "trickled-body",
        trickled,
        r"no complete answer from .* in time \(request_timeout=0\.5 s",
        kwargs={"request_timeout": 0.5},
        seconds=2.0,
    ),
    Case(
        "trickled-headers",
        trickled_headers,
        r"no complete answer from .* in time \(request_timeout=0\.5 s",
        kwargs={"request_timeout": 0.5},
        seconds=2.0,
    ),
    Case(
        "slow-pages-forever",
        slow_new_token,
        r"list_timeout=1 s",
        kwargs={"list_timeout": 1, "request_timeout": 5},
        requests=8,
        seconds=2.5,
    ),
    Case(
        "503-with-retry-after-every-time",
        always(Reply(503, status(503, "apiserver is shutting down"), headers={"Retry-After": "0"})),
        r"HTTP 503 Service Unavailable: apiserver is shutting down",
        requests=1 + live.RETRIES,
    ),
    Case(
        "429-asking-to-wait-an-hour",
        always(Reply(429, status(429, "too many requests"), headers={"Retry-After": "3600"})),
        r"HTTP 429 Too Many Requests: too many requests",
        kwargs={"request_timeout": 1},
        seconds=2.0,  # the wait would pass the deadline: give up at once
    ),
    Case(
        "calico-api-server-unavailable",
        always(Reply(503, status(503, "the server is currently unable to handle the request"))),
        r"HTTP 503 .*unable to handle the request \(to read the cluster without it: include_calico=False\)",
        path=f"{CALICO}/tiers",
        resource="tiers.projectcalico.org",
    ),
    Case(
        "500-without-retry-after-is-not-retried",
        always(Reply(500, status(500, "etcdserver: request timed out"))),
        r"HTTP 500 Internal Server Error: etcdserver: request timed out",
    ),
    Case(
        "body-cut-off-every-time",
        cut_off,
        r"the connection to .* broke while reading the answer .*, 4 times",
        requests=1 + live.RETRIES,
    ),
]


def run_case(case: Case) -> tuple[LiveClusterError, FakeKubeAPI, float]:
    with FakeKubeAPI(CLUSTER) as api, client_for(api) as client:
        api.on(case.path, case.hook)
        kwargs = case.kwargs(api) if callable(case.kwargs) else case.kwargs
        start = time.monotonic()
        with pytest.raises(LiveClusterError, match=case.error) as caught:
            fetch_objects(client, **kwargs)
        elapsed = time.monotonic() - start
    return caught.value, api, elapsed


@pytest.mark.parametrize("case", MALFORMED, ids=lambda c: c.id)
def test_a_malformed_answer_is_an_error_naming_the_resource(case: Case) -> None:
    error, api, elapsed = run_case(case)
    assert error.resource == case.resource
    assert api.paths.count(case.path) <= case.requests
    assert elapsed < case.seconds
    assert set(api.methods) == {"GET"}


@pytest.mark.parametrize("case", LOOPS_AND_LIMITS, ids=lambda c: c.id)
def test_loops_and_limits_end_with_an_error(case: Case) -> None:
    error, api, elapsed = run_case(case)
    assert error.resource == case.resource
    assert api.paths.count(case.path) <= case.requests
    assert elapsed < case.seconds


@pytest.mark.parametrize("case", DEADLINES_AND_RETRIES, ids=lambda c: c.id)
def test_deadlines_and_retries_are_bounded(case: Case) -> None:
    error, api, elapsed = run_case(case)
    assert error.resource == case.resource
    assert api.paths.count(case.path) <= case.requests
    assert elapsed < case.seconds


# ---- answers the loader recovers from ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    id: str
    hook: Callable[[Request], Reply | None]
    requests: int  # exactly this many requests for the pods list
    kwargs: dict[str, Any] = field(default_factory=lambda: {"page_size": 5})


RECOVERIES = [
    # 12 pods in pages of 5: 3 requests when all goes well
    Recovery("all-well", lambda r: None, 3),
    Recovery(
        "continue-token-expires-once",  # page 2 answers 410: list again from the start, as client-go's pager does
        lambda r: Reply(410, status(410, "too old", "Expired")) if r.count == 2 else None,
        5,
    ),
    Recovery(
        "continue-token-expires-twice",
        lambda r: Reply(410, status(410, "too old", "Expired")) if r.count in (2, 4) else None,
        7,
    ),
    Recovery(
        "429-with-retry-after-twice",
        lambda r: Reply(429, status(429, "slow down"), headers={"Retry-After": "0"}) if r.count <= 2 else None,
        5,
    ),
    Recovery(
        "503-with-retry-after-as-a-date",
        lambda r: (
            Reply(503, status(503, "later"), headers={"Retry-After": "Thu, 01 Jan 2015 00:00:00 GMT"})
            if r.count == 1
            else None
        ),
        4,
    ),
    Recovery("body-cut-off-once", lambda r: cut_off(r) if r.count == 1 else None, 4),
    Recovery("server-ignores-limit", ignores_limit, 1),
    Recovery("gzip", gzipped, 3),
    Recovery("gzip-in-two-members", lambda r: gzipped(r, members=2), 3),
    Recovery("body-ends-when-the-connection-closes", lambda r: Reply(*r.normal(), omit_length=True), 3),
    Recovery("slow-but-in-time", lambda r: Reply(*r.normal(), trickle=0.01, chunk=500, max_seconds=3), 3),
]


@pytest.mark.parametrize("case", RECOVERIES, ids=lambda c: c.id)
def test_the_loader_recovers(case: Recovery) -> None:
    messages: list[str] = []
    with FakeKubeAPI(CLUSTER, calico=False) as api, client_for(api) as client:
        api.on(PODS, case.hook)
        start = time.monotonic()
        objects = fetch_objects(client, progress=messages.append, **case.kwargs)
        elapsed = time.monotonic() - start
    names = pod_names(objects)
    assert sorted(names) == sorted(POD_NAMES)  # all of them, none twice
    assert api.paths.count(PODS) == case.requests
    assert elapsed < 5
    assert all("managedFields" not in o["metadata"] for o in objects)
    if "expires" in case.id:
        assert any("listing again from the start" in m for m in messages)


def test_a_server_ignoring_limit_is_noticed(caplog: pytest.LogCaptureFixture) -> None:
    with FakeKubeAPI(CLUSTER, calico=False) as api, client_for(api) as client:
        api.on(PODS, ignores_limit)
        with caplog.at_level(logging.INFO, logger="netpolkit.io.live"):
            fetch_objects(client, page_size=5)
    assert any("ignored limit=5 and sent 12 objects" in r.getMessage() for r in caplog.records)


def test_null_items_is_an_empty_list() -> None:
    with FakeKubeAPI(CLUSTER, calico=False) as api, client_for(api) as client:
        api.on(PODS, always(Reply(200, pod_list(None))))
        assert pod_names(fetch_objects(client)) == []


def test_gzip_is_asked_for_and_only_get_is_sent() -> None:
    with (
        FakeKubeAPI(CLUSTER, calico=True, cilium=True, policy_api=True) as api,
        client_for(api) as client,
    ):
        load_live(api_client=client)
        assert set(api.methods) == {"GET"}
        assert all(h.get("accept-encoding") == "gzip" for h in api.headers)
        assert all(h.get("accept") == "application/json" for h in api.headers)
        listed = set(api.paths)
    assert {f"{CALICO}/stagednetworkpolicies", f"{CILIUM}/ciliumnetworkpolicies"} <= listed
    assert {f"{POLICY_API_V1ALPHA2}/clusternetworkpolicies", f"{POLICY_API_V1ALPHA1}/adminnetworkpolicies"} <= listed


# ---- 403: required resources fail, optional ones are left out with a warning the Cluster keeps ------------------

REQUIRED = [
    ("/api/v1/namespaces", "namespaces", "'list' on namespaces)"),
    ("/api/v1/pods", "pods", "'list' on pods in all namespaces)"),
    ("/api/v1/services", "services", "'list' on services in all namespaces)"),
    (
        "/apis/networking.k8s.io/v1/networkpolicies",
        "networkpolicies.networking.k8s.io",
        "'list' on networkpolicies.networking.k8s.io in all namespaces)",
    ),
]
OPTIONAL = [
    (f"{CALICO}/tiers", "tiers.projectcalico.org", "include_calico=False"),
    (f"{CALICO}/globalnetworkpolicies", "globalnetworkpolicies.projectcalico.org", "include_calico=False"),
    (f"{CALICO}/networkpolicies", "networkpolicies.projectcalico.org", "include_calico=False"),
    (f"{CALICO}/stagedglobalnetworkpolicies", "stagedglobalnetworkpolicies.projectcalico.org", "include_calico=False"),
    (f"{CALICO}/stagednetworkpolicies", "stagednetworkpolicies.projectcalico.org", "include_calico=False"),
    (
        f"{CALICO}/stagedkubernetesnetworkpolicies",
        "stagedkubernetesnetworkpolicies.projectcalico.org",
        "include_calico=False",
    ),
    (
        f"{POLICY_API_V1ALPHA2}/clusternetworkpolicies",
        "clusternetworkpolicies.policy.networking.k8s.io",
        "include_network_policy_api=False",
    ),
    (
        f"{POLICY_API_V1ALPHA1}/adminnetworkpolicies",
        "adminnetworkpolicies.policy.networking.k8s.io",
        "include_network_policy_api=False",
    ),
    (
        f"{POLICY_API_V1ALPHA1}/baselineadminnetworkpolicies",
        "baselineadminnetworkpolicies.policy.networking.k8s.io",
        "include_network_policy_api=False",
    ),
    (f"{CILIUM}/ciliumnetworkpolicies", "ciliumnetworkpolicies.cilium.io", "include_cilium=False"),
    (
        f"{CILIUM}/ciliumclusterwidenetworkpolicies",
        "ciliumclusterwidenetworkpolicies.cilium.io",
        "include_cilium=False",
    ),
]


@pytest.fixture
def everything() -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI(CLUSTER, calico=True, cilium=True, policy_api=True) as api:
        yield api


@pytest.mark.parametrize(("path", "resource", "hint"), REQUIRED, ids=[r for _, r, _ in REQUIRED])
def test_forbidden_required_resource_is_an_error(everything: FakeKubeAPI, path: str, resource: str, hint: str) -> None:
    everything.fail(path, 403, f'{resource} is forbidden: User "student" cannot list resource')
    with client_for(everything) as client, pytest.raises(LiveClusterError) as caught:
        load_live(api_client=client)
    assert caught.value.resource == resource and caught.value.status == 403
    assert f"listing {resource} failed: HTTP 403 Forbidden: {resource} is forbidden" in str(caught.value)
    assert f"the account needs the RBAC verb {hint}" in str(caught.value)


@pytest.mark.parametrize(("path", "resource", "flag"), OPTIONAL, ids=[r for _, r, _ in OPTIONAL])
def test_forbidden_optional_resource_is_a_kept_warning(
    everything: FakeKubeAPI, path: str, resource: str, flag: str
) -> None:
    everything.fail(path, 403)
    with client_for(everything) as client:
        cluster = load_live(api_client=client)
    assert set(cluster.pods.index) == POD_NAMES  # the rest is read
    [warning] = cluster.warnings
    assert warning.startswith(f"{resource} not read (HTTP 403")
    assert f"grant the RBAC verb 'list' on {resource}, or pass {flag}" in warning
    assert set(cluster.with_externals({"x": "203.0.113.1"}).warnings) == {warning}  # results built on it keep it


def test_forbidden_optional_resource_in_one_namespace(everything: FakeKubeAPI) -> None:
    everything.fail(f"{CALICO}/namespaces/shop/networkpolicies", 403)
    with client_for(everything) as client:
        cluster = load_live(api_client=client, namespaces=["shop"])
    assert [w for w in cluster.warnings if w.startswith("networkpolicies.projectcalico.org not read")]


def test_calico_crds_without_its_api_server_is_a_warning() -> None:
    with FakeKubeAPI(CLUSTER, calico=False, calico_crds=True) as api, client_for(api) as client:
        cluster = load_live(api_client=client)
    assert any(w.startswith("Calico policies not read") and "API server" in w for w in cluster.warnings)
    with FakeKubeAPI(CLUSTER, calico=False, calico_crds=True) as api, client_for(api) as client:
        assert not load_live(api_client=client, include_calico=False).warnings


@pytest.mark.parametrize("code", [403, 404, 503])
def test_unreadable_discovery_falls_back_to_trying_each_list(code: int) -> None:
    with FakeKubeAPI(CLUSTER, calico=True) as api, client_for(api) as client:
        api.fail("/apis", code)
        objects = fetch_objects(client)
        assert f"{CALICO}/tiers" in api.paths and f"{CILIUM}/ciliumnetworkpolicies" in api.paths
    assert len(pod_names(objects)) == 12


def test_unreadable_group_discovery_falls_back_to_its_lists(everything: FakeKubeAPI) -> None:
    everything.fail(CILIUM, 503)
    with client_for(everything) as client:
        fetch_objects(client)
    assert f"{CILIUM}/ciliumclusterwidenetworkpolicies" in everything.paths


# ---- the clients load_live makes: retries set, redirects reported -----------------------------------------------


def write_kubeconfig(path: Path, server: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "workshop",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "student", "user": {"token": "s3cret"}}],
        "contexts": [{"name": "workshop", "context": {"cluster": "fake", "user": "student"}}],
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_redirect_is_reported_not_followed(tmp_path: Path) -> None:
    with FakeKubeAPI(CLUSTER, calico=False) as api:
        api.on(PODS, lambda r: Reply(302, {}, headers={"Location": f"{api.host}/elsewhere"}))
        with pytest.raises(LiveClusterError, match=r"HTTP 302 Found \(redirected to .*/elsewhere") as caught:
            load_live(kubeconfig=write_kubeconfig(tmp_path / "config", api.host))
        assert "/elsewhere" not in api.paths
    assert caught.value.status == 302 and caught.value.resource == "pods"


def test_connection_retries_are_bounded(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(LiveClusterError, match=rf"cannot reach the API server at http://127\.0\.0\.1:{port}"):
        load_live(kubeconfig=write_kubeconfig(tmp_path / "config", f"http://127.0.0.1:{port}"), retries=2)
    assert time.monotonic() - start < 3  # two retries: at once, then after 0.4 s (urllib3's backoff)


def test_the_clients_load_live_makes_have_explicit_retries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    made: list[Any] = []
    real = live._connect

    def spy(*args: Any) -> Any:
        client, label = real(*args)
        made.append(client.configuration.retries)
        return client, label

    monkeypatch.setattr(live, "_connect", spy)
    with FakeKubeAPI(CLUSTER, calico=False) as api:
        load_live(kubeconfig=write_kubeconfig(tmp_path / "config", api.host), retries=1)
    [retry] = made
    assert (retry.total, retry.connect, retry.read, retry.status, retry.redirect) == (1, 1, 1, 0, 0)
    assert retry.allowed_methods == frozenset({"GET"})


# ---- the limits ----------------------------------------------------------------------------------------------


def test_default_limits_pass_a_large_cluster() -> None:
    pods, pod_json = 150_000, 25 * 1024  # the largest clusters Kubernetes is tested with, and large pods
    pages = -(-pods // live.PAGE_SIZE)
    assert pages <= live.MAX_PAGES
    assert pods <= live.MAX_ITEMS
    assert pods * pod_json <= live.MAX_BYTES
    assert live.PAGE_SIZE * pod_json * 10 <= live.MAX_RESPONSE_BYTES  # ten times over on one page
    assert live.MAX_RESPONSE_BYTES <= live.MAX_BYTES
    assert live.REQUEST_TIMEOUT < live.LIST_TIMEOUT


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_pages": 0},
        {"max_items": -1},
        {"max_bytes": 1.5},
        {"max_response_bytes": True},
        {"request_timeout": 0},
        {"list_timeout": "60"},
        {"retries": -1},
        {"page_size": 0},
    ],
    ids=lambda kw: next(iter(kw)),
)
def test_bad_limits(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        fetch_objects(object(), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        load_live(api_client=object(), **kwargs)  # type: ignore[arg-type]
