"""Reading a cluster never changes it: ``load_live``, API discovery and ``snapshot`` send GET requests only, to list
and discovery paths only, and never open a pod's exec, attach, port-forward, proxy or log subresource.

The fake API server (tests/fake_kube_api.py) records the method and path of every request the real ``kubernetes``
client sends over loopback HTTP, and answers anything but GET with 405. Paths follow the Kubernetes API's REST
layout (kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris): collections are
``/api/v1/<resource>``, ``/apis/<group>/<version>/<resource>`` and the same under ``/namespaces/<ns>/``; a pod's
exec is the subresource ``/api/v1/namespaces/<ns>/pods/<name>/exec`` (connect verb, a POST or a WebSocket GET),
which probes use and which must never be requested while reading.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("kubernetes", reason="needs the live extra: pip install 'netpolkit[live]'")

from fake_kube_api import CALICO, FakeKubeAPI
from kubernetes.client import ApiClient, Configuration
from test_live import CALICO_OBJECTS, CORE_OBJECTS
from test_snapshot import ADMIN_OBJECTS, CILIUM_OBJECTS

import netpolkit as npk
from netpolkit.io.live import fetch_objects, load_live
from netpolkit.io.live.discovery import discover_policy_apis
from netpolkit.io.snapshot import snapshot

EVERYTHING = CORE_OBJECTS + CALICO_OBJECTS + CILIUM_OBJECTS + ADMIN_OBJECTS
ALL_APIS = {"calico": True, "cilium": True, "policy_api": True, "calico_crds": True}
# a collection (list) path, cluster-wide or in one namespace, or a discovery path
LIST_PATH = re.compile(r"^(/api/v1|/apis/[^/]+/[^/]+)(/namespaces/[^/]+)?/[a-z]+$")
DISCOVERY_PATH = re.compile(r"^/apis(/[^/]+/[^/]+)?$")
SUBRESOURCES = ("/exec", "/attach", "/portforward", "/proxy", "/log", "/eviction", "/binding", "/ephemeralcontainers")


def assert_read_only(api: FakeKubeAPI) -> None:
    assert api.methods, "no request was recorded"
    assert set(api.methods) == {"GET"}, sorted(set(api.methods))
    for path in api.paths:
        assert LIST_PATH.match(path) or DISCOVERY_PATH.match(path), path
        assert not path.endswith(SUBRESOURCES), path
    for query in (q for path in set(api.paths) for q in api.queries(path)):
        assert "watch" not in query and "dryRun" not in query, query


@pytest.mark.parametrize("namespaces", [None, ["shop", "db"]])
def test_load_live_only_lists(namespaces: list[str] | None) -> None:
    with (
        FakeKubeAPI(copy.deepcopy(EVERYTHING), **ALL_APIS) as api,
        ApiClient(Configuration(host=api.host)) as client,
    ):
        cluster = load_live(api_client=client, namespaces=namespaces)
        assert len(cluster.policies) >= 5
        assert_read_only(api)
        assert not [p for p in api.paths if "/pods/" in p]  # no request about one pod: no exec, no log


def test_discovery_only_reads_discovery() -> None:
    with FakeKubeAPI([], **ALL_APIS) as api, ApiClient(Configuration(host=api.host)) as client:
        discover_policy_apis(client)
        assert_read_only(api)
        assert all(DISCOVERY_PATH.match(p) for p in api.paths)


def test_snapshot_sends_nothing_at_all(tmp_path: Path) -> None:
    with FakeKubeAPI(copy.deepcopy(EVERYTHING), **ALL_APIS) as api, ApiClient(Configuration(host=api.host)) as c:
        cluster = load_live(api_client=c)
        before = len(api.requests)
        snapshot(cluster, tmp_path / "state.json")
        npk.load(tmp_path / "state.json")
        assert len(api.requests) == before  # writing the export is local: no request


def test_errors_and_retries_stay_read_only() -> None:
    """A forbidden optional API, a server error with Retry-After, a relist: still only GETs of lists."""
    with FakeKubeAPI(copy.deepcopy(EVERYTHING), **ALL_APIS) as api, ApiClient(Configuration(host=api.host)) as c:
        api.fail(f"{CALICO}/tiers", 403)
        calls: dict[str, int] = {}

        def busy_once(request: Any) -> Any:
            from fake_kube_api import Reply, status_body

            calls["pods"] = calls.get("pods", 0) + 1
            if calls["pods"] == 1:
                return Reply(503, status_body(503, "busy"), headers={"Retry-After": "0"})
            return None

        api.on("/api/v1/pods", busy_once)
        fetch_objects(c)
        assert calls["pods"] == 2
        assert_read_only(api)
