"""Big results without an N x N matrix: the frame needs an explicit opt-in, allowed pairs stream by blocks."""

from __future__ import annotations

import numpy as np
import pytest

import netpolkit as npk
from netpolkit import matrix
from netpolkit.synth import synthetic_cluster_objects


@pytest.fixture(scope="module")
def reach() -> npk.Reachability:
    return npk.reachability(npk.Cluster.from_objects(*synthetic_cluster_objects(300, 60)), ports=["TCP/80", "UDP/53"])


@pytest.mark.parametrize("profile", ["upstream", "cilium"])
def test_streamed_allowed_pairs_equal_the_full_matrix_block_by_block(profile):
    cluster = npk.Cluster.from_objects(*synthetic_cluster_objects(300, 60))
    reach = npk.reachability(cluster, ports=["TCP/80", "UDP/53"], profile=profile)
    whole = reach.long(allowed_only=True)
    streamed = list(reach.iter_long(block_cells=5_000))
    assert len(streamed) > 2 * 2  # several blocks per port
    parts = [p for p in streamed if len(p)]
    assert np.array_equal(np.concatenate([p.to_numpy() for p in parts]), whole.to_numpy())
    for port in reach.ports:
        full = reach.frame(port)
        rows = whole[(whole["protocol"] + "/" + whole["port"].astype(str)) == port]
        assert len(rows) == int(full.to_numpy().sum())
        assert full.loc[rows["src"].iloc[0], rows["dst"].iloc[0]]


def test_a_huge_frame_needs_an_explicit_opt_in(reach, monkeypatch):
    monkeypatch.setattr(matrix, "MATRIX_CELLS", 100 * 100)
    with pytest.raises(ValueError, match=r"would take about .* GB: pass large=True"):
        reach.frame("TCP/80")
    with pytest.raises(ValueError, match="large=True"):
        reach.long()
    assert reach.frame("TCP/80", large=True).shape == (len(reach.endpoints),) * 2
    assert len(reach.long(allowed_only=True)) == int(reach.frame("TCP/80", large=True).to_numpy().sum()) + int(
        reach.frame("UDP/53", large=True).to_numpy().sum()
    )
    assert reach.aggregate(by="namespace", port="TCP/80")["allowed"].sum() >= 0  # aggregate never asks


@pytest.mark.parametrize(("before_profile", "after_profile"), [("upstream", "upstream"), ("upstream", "cilium")])
def test_diff_changes_from_joint_classes_equal_the_cell_by_cell_comparison(before_profile, after_profile):
    objects, externals = synthetic_cluster_objects(300, 60)
    base = npk.Cluster.from_objects(objects, externals)
    # deleting an allow-same-namespace policy blocks the traffic inside its (isolated) namespace
    policy = next(o for o in objects if o["metadata"]["name"] == "allow-same-namespace")
    changed = base.delete("NetworkPolicy", policy["metadata"]["namespace"], policy["metadata"]["name"])
    before = npk.reachability(base, ports=["TCP/80"], profile=before_profile)
    after = npk.reachability(changed, ports=["TCP/80"], profile=after_profile)
    got = after.diff(before).changes("TCP/80", block_cells=3_000)
    old, new = before.frame("TCP/80").to_numpy(), after.frame("TCP/80").to_numpy()
    src, dst = np.nonzero(old != new)
    ids = np.array(after.cluster.table.ids, dtype=object)
    assert len(got) == len(src) > 0
    assert list(got["src"]) == list(ids[src]) and list(got["dst"]) == list(ids[dst])
    assert list(got["change"]) == [
        "newly allowed" if new[s, d] else "newly blocked" for s, d in zip(src, dst, strict=True)
    ]


@pytest.fixture(scope="module")
def what_if() -> tuple[npk.Reachability, npk.Reachability]:
    """Before and after deleting an allow-same-namespace policy (some traffic becomes blocked) and another
    namespace's default deny (some becomes allowed), so that every state of a diff occurs."""
    objects, externals = synthetic_cluster_objects(300, 60)
    base = npk.Cluster.from_objects(objects, externals)
    allow = next(o for o in objects if o["metadata"]["name"] == "allow-same-namespace")
    deny = next(
        o
        for o in objects
        if o["metadata"]["name"].startswith("default-deny")
        and o["metadata"]["namespace"] != allow["metadata"]["namespace"]
    )
    changed = base
    for policy in (allow, deny):
        changed = changed.delete("NetworkPolicy", policy["metadata"]["namespace"], policy["metadata"]["name"])
    return npk.reachability(base, ports=["TCP/80"]), npk.reachability(changed, ports=["TCP/80"])


def test_diff_frame_is_the_cell_by_cell_states_and_needs_an_opt_in_when_huge(what_if, monkeypatch):
    before, after = what_if
    diff = after.diff(before)
    old, new = before.frame("TCP/80").to_numpy(), after.frame("TCP/80").to_numpy()
    expected = np.where(
        old == new, np.where(new, "allowed", "blocked"), np.where(new, "newly allowed", "newly blocked")
    )
    got = diff.frame("TCP/80")
    assert (got.to_numpy() == expected).all() and list(got.index) == list(after.cluster.table.ids)
    assert (expected == "newly blocked").any()
    counts = diff.counts("TCP/80", block_cells=2_000)
    assert counts == {state: int((expected == state).sum()) for state in matrix.DIFF_STATES}
    monkeypatch.setattr(matrix, "MATRIX_CELLS", 100 * 100)
    with pytest.raises(ValueError, match="large=True"):
        diff.frame("TCP/80")
    assert diff.frame("TCP/80", large=True).equals(got)


def test_cli_diff_never_builds_a_pod_matrix(what_if, monkeypatch):
    from netpolkit.cli import diff as cli_diff

    before, after = what_if
    expected = after.diff(before).changes("TCP/80")

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("an N x N matrix was built")

    monkeypatch.setattr(npk.Reachability, "array", refuse)
    diffs, compared, only_old, only_new = cli_diff._port_diffs(before, after)
    (port,) = diffs
    assert compared == len(after.cluster.table) ** 2 and only_old == only_new == []
    assert list(port.src) == list(expected["src"]) and list(port.dst) == list(expected["dst"])
    assert list(port.allowed) == list(expected["change"] == "newly allowed") and port.counts[1] > 0


@pytest.mark.parametrize("profile", ["upstream", "cilium"])
@pytest.mark.parametrize("port", ["TCP/80", "UDP/53"])
def test_one_row_and_one_column_equal_the_matrix(profile, port):
    reach = npk.reachability(
        npk.Cluster.from_objects(*synthetic_cluster_objects(300, 60)), ports=[port], profile=profile
    )
    full = reach.frame(port)
    checked = 0
    for endpoint in full.index[::17]:
        expected_row = [d for d, ok in full.loc[endpoint].items() if ok and d != endpoint]
        expected_column = [s for s, ok in full[endpoint].items() if ok and s != endpoint]
        assert reach.reachable_from(endpoint, port) == expected_row
        assert reach.reaching(endpoint, port) == expected_column
        checked += bool(expected_row) + bool(expected_column)
    assert checked, "every sampled row and column was empty: nothing was compared"
