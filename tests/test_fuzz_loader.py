"""Mutation fuzz of the manifest loader: nothing but PolicyError escapes, and every input is dealt with at once.

Each example takes one shipped manifest file (under ``manifests/``) and mutates its documents a few times:
structure (delete, add, duplicate, wrap, share - a YAML alias - or deeply nest a field), types (a number for a
string, a list for a mapping) and values (drawn from everything the shipped manifests hold, and a few edge
values). It writes them back as YAML or JSON and may mutate the text too (a duplicated or dropped line: duplicate
keys, broken indentation). Then ``Cluster.from_documents(io.read_text(...))`` must either build a cluster or raise
:class:`PolicyError`, and must finish within :data:`SECONDS`, measured here: a correctness bound on the loader's
work, not a benchmark.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netpolkit as npk
from netpolkit import PolicyError

MANIFESTS = Path(__file__).resolve().parent.parent / "manifests"
SECONDS = 1.0
EXAMPLES = 400

EDGE_VALUES: list[Any] = [
    None,
    "",
    " ",
    "²",
    "-1",
    "0",
    "80",
    "TCP/80",
    "fe80::1%eth0/64",
    "10.0.0.0/33",
    "::/0",
    "a" * 300,
    "x\ny",
    "Ingress",
    "Egress",
    "all()",
    "!" * 120 + "all()",
    "has(app) && " * 60 + "all()",
    0,
    -1,
    65536,
    2**70,
    1.5,
    float("inf"),
    True,
    False,
    [],
    {},
    [[[]]],
    {"matchLabels": {"app": "web"}},
    {"podSelector": {}},
]


@cache
def corpus() -> tuple[tuple[str, str], ...]:
    """(name, text) of every shipped manifest file."""
    files = sorted(p for p in MANIFESTS.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
    return tuple((str(p.relative_to(MANIFESTS)), p.read_text(encoding="utf-8")) for p in files)


@cache
def documents(name: str) -> tuple[Any, ...]:
    """The shipped file's documents as plain data (its kind: List documents kept whole)."""
    text = dict(corpus())[name]
    return tuple(d for d in yaml.safe_load_all(text) if d is not None)


@cache
def pools() -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Every key, and every value (scalars and small subtrees), found in the shipped manifests."""
    keys: set[str] = set()
    values: list[Any] = []
    seen: set[str] = set()
    for name, _ in corpus():
        for doc in documents(name):
            for _, value in walk(doc):
                if isinstance(value, dict):
                    keys.update(k for k in value if isinstance(k, str))
                text = json.dumps(value, sort_keys=True, default=str)
                if len(text) <= 400 and text not in seen:
                    seen.add(text)
                    values.append(value)
    return tuple(sorted(keys)), tuple(values)


def walk(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, node) for the node and everything below it, without recursion."""
    out, stack = [], [(path, node)]
    while stack:
        here, value = stack.pop()
        out.append((here, value))
        if isinstance(value, dict):
            stack.extend(((*here, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*here, i), v) for i, v in enumerate(value))
    return out


def get(root: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        root = root[part]
    return root


def put(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    get(root, path[:-1])[path[-1]] = value
    return root


def mutate(draw: Any, root: Any) -> tuple[Any, bool]:
    """One mutation of a document; returns it and whether it nested deeply (YAML's emitter would recurse)."""
    keys, values = pools()
    paths = [p for p, _ in walk(root)]
    path = draw(st.sampled_from(paths))
    node = get(root, path)
    how = draw(
        st.sampled_from(
            [
                *("value", "edge", "delete", "add", "wrap", "unwrap", "duplicate"),
                *("stringify", "number", "nest", "swap", "share"),
            ]
        )
    )
    deep = False
    if how == "value":
        root = put(root, path, copy.deepcopy(draw(st.sampled_from(values))))
    elif how == "edge":
        root = put(root, path, copy.deepcopy(draw(st.sampled_from(EDGE_VALUES))))
    elif how == "delete" and path:
        parent = get(root, path[:-1])
        del parent[path[-1]]
    elif how == "add" and isinstance(node, dict):
        node[draw(st.sampled_from(keys))] = copy.deepcopy(draw(st.sampled_from(values)))
    elif how == "wrap":
        root = put(root, path, [node])
    elif how == "unwrap" and isinstance(node, list) and node:
        root = put(root, path, node[0])
    elif how == "duplicate" and isinstance(node, list) and node:
        node.append(copy.deepcopy(draw(st.sampled_from(node))))
    elif how == "stringify" and not isinstance(node, dict | list):
        root = put(root, path, str(node))
    elif how == "number" and isinstance(node, str):
        root = put(root, path, draw(st.sampled_from([0, 1, 80, 65535, -5, 10**30])))
    elif how == "nest":
        depth = draw(st.sampled_from([2, 50, 199, 250]))
        for _ in range(depth):
            node = draw(st.sampled_from([[node], {"x": node}]))
        root = put(root, path, node)
        deep = depth > 40
    elif how == "share":  # the same object in two places: YAML gets an anchor and an alias
        other = draw(st.sampled_from(paths))
        if other[: len(path)] != path and path[: len(other)] != other:
            root = put(root, other, node)
    elif how == "swap" and isinstance(node, dict) and len(node) >= 2:
        a, b = draw(st.permutations(list(node)))[:2]
        node[a], node[b] = node[b], node[a]
    return root, deep


def mutate_text(draw: Any, text: str) -> str:
    """Duplicate, drop or cut a line of the text (duplicate keys, bad indentation, a truncated file)."""
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    i = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["keep"] * 5 + ["duplicate", "drop", "truncate"]))  # mostly structure mutations
    if how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "drop":
        del lines[i]
    elif how == "truncate" and i:
        lines = lines[:i]
    return "".join(lines)


@st.composite
def mutated_files(draw: Any) -> tuple[str, str]:
    name = draw(st.sampled_from([n for n, _ in corpus()]))
    docs = [copy.deepcopy(d) for d in documents(name)]
    deep = False
    if docs:
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(docs) - 1))
            docs[i], nested = mutate(draw, docs[i])
            deep = deep or nested
    as_json = deep or draw(st.booleans())
    if as_json:
        # JSON is YAML too: a deep tree goes to the YAML reader as JSON text (PyYAML's emitter recurses).
        text = json.dumps(docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs})
        suffix = draw(st.sampled_from([".json", ".yaml"]))
    else:
        text = yaml.safe_dump_all(docs, sort_keys=False)
        suffix = ".yaml"
    return f"{name}-mutated{suffix}", mutate_text(draw, text)


def load(text: str, name: str) -> npk.Cluster:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skipped kinds
        return npk.Cluster.from_documents(npk.io.read_text(text, name))


def test_the_corpus_loads():
    """The unmutated files load or fail with a PolicyError (some are steps that need the files before them)."""
    assert len(corpus()) > 20
    for name, text in corpus():
        with contextlib.suppress(PolicyError):
            load(text, name)


@settings(
    max_examples=EXAMPLES,
    deadline=None,  # the time bound is asserted below, around the loader only
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(mutated_files())
def test_only_policy_errors_escape_the_loader_and_it_is_fast(file: tuple[str, str]):
    name, text = file
    start = time.monotonic()
    try:
        load(text, name)
    except PolicyError as err:
        assert len(str(err)) < 3000, str(err)[:3000]
    elapsed = time.monotonic() - start
    assert elapsed < SECONDS, f"{name}: {elapsed:.2f}s"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_random_text_gives_a_policy_error_or_a_cluster(suffix: str):
    """Bytes that are not a manifest at all (a deterministic sample: every shipped file reversed, or halved)."""
    for name, text in corpus():
        for variant in (text[::-1], text[: len(text) // 2], text.replace(":", "", 3)):
            start = time.monotonic()
            with contextlib.suppress(PolicyError):
                load(variant, name + suffix)
            assert time.monotonic() - start < SECONDS
