"""Calico selector language (netpolkit.model.calico_selector): operators, quoting, precedence, errors, round trip.

Every semantic case is checked twice: ``matches(dict)`` (the plain-Python reference) and ``evaluate(frame)``
(vectorized). A hypothesis property checks that the two agree on random selectors and label tables.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netpolkit.model.calico_selector import (
    All,
    And,
    Compare,
    Global,
    Has,
    Not,
    Or,
    Selector,
    SelectorSyntaxError,
    parse,
)


def frame_of(rows: list[dict[str, str]]) -> pd.DataFrame:
    """One column per key seen in any row, None where a row lacks it."""
    keys = sorted({key for row in rows for key in row})
    return pd.DataFrame({k: [row.get(k) for row in rows] for k in keys}, index=range(len(rows)), columns=keys)


def check(text: str, labels: dict[str, str], expected: bool, namespaced: bool = True) -> None:
    selector = parse(text)
    assert selector.matches(labels, namespaced=namespaced) is expected
    got = selector.evaluate(frame_of([labels]), namespaced=namespaced)
    assert got.dtype == bool and got.tolist() == [expected]


# --------------------------------------------------------------------------- operators and missing labels

OPERATOR_CASES = [
    ("eq-match", 'app == "web"', {"app": "web"}, True),
    ("eq-other-value", 'app == "web"', {"app": "db"}, False),
    ("eq-case-sensitive", 'app == "web"', {"app": "Web"}, False),
    ("eq-missing-is-false", 'app == "web"', {"tier": "web"}, False),
    ("eq-empty-value", 'app == ""', {"app": ""}, True),
    ("eq-empty-value-missing", 'app == ""', {}, False),
    ("ne-other-value", 'app != "web"', {"app": "db"}, True),
    ("ne-same-value", 'app != "web"', {"app": "web"}, False),
    ("ne-missing-is-true", 'app != "web"', {}, True),
    ("in-member", 'app in {"web", "db"}', {"app": "db"}, True),
    ("in-non-member", 'app in {"web", "db"}', {"app": "cache"}, False),
    ("in-missing-is-false", 'app in {"web", "db"}', {"tier": "web"}, False),
    ("in-empty-set", "app in {}", {"app": "web"}, False),
    ("not-in-member", 'app not in {"web", "db"}', {"app": "web"}, False),
    ("not-in-non-member", 'app not in {"web", "db"}', {"app": "cache"}, True),
    ("not-in-missing-is-true", 'app not in {"web", "db"}', {}, True),
    ("not-in-empty-set", "app not in {}", {}, True),
    ("has-present", "has(app)", {"app": "web"}, True),
    ("has-present-empty-value", "has(app)", {"app": ""}, True),
    ("has-absent", "has(app)", {"tier": "web"}, False),
    ("not-has-absent", "!has(app)", {"tier": "web"}, True),
    ("not-has-present", "!has(app)", {"app": "web"}, False),
    ("starts-with-yes", 'app starts with "we"', {"app": "web"}, True),
    ("starts-with-no", 'app starts with "eb"', {"app": "web"}, False),
    ("starts-with-missing-is-false", 'app starts with "we"', {}, False),
    ("starts-with-empty-missing-is-false", 'app starts with ""', {}, False),
    ("starts-with-empty-present", 'app starts with ""', {"app": "web"}, True),
    ("ends-with-yes", 'app ends with "eb"', {"app": "web"}, True),
    ("ends-with-no", 'app ends with "we"', {"app": "web"}, False),
    ("ends-with-missing-is-false", 'app ends with "eb"', {}, False),
    ("contains-yes", 'app contains "e"', {"app": "web"}, True),
    ("contains-no", 'app contains "x"', {"app": "web"}, False),
    ("contains-regex-chars-literal", 'app contains "a.b"', {"app": "axb"}, False),
    ("contains-missing-is-false", 'app contains "e"', {}, False),
    ("not-eq-missing-is-true", '!app == "web"', {}, True),
    ("not-ne-missing-is-false", '!app != "web"', {}, False),
    ("not-parenthesised", '!(app == "web" || tier == "db")', {"tier": "db"}, False),
    ("not-parenthesised-neither", '!(app == "web" || tier == "db")', {"tier": "fe"}, True),
    ("double-not", "!!has(app)", {"app": "web"}, True),
    ("all", "all()", {}, True),
    ("not-all", "!all()", {"app": "web"}, False),
    ("global-is-false-for-namespaced", "global()", {"app": "web"}, False),
    ("not-global", "!global()", {}, True),
    ("empty-selector-is-all", "", {}, True),
    ("blank-selector-is-all", " \t ", {"app": "web"}, True),
    ("and-both", 'app == "web" && tier == "fe"', {"app": "web", "tier": "fe"}, True),
    ("and-one", 'app == "web" && tier == "fe"', {"app": "web"}, False),
    ("or-one", 'app == "web" || tier == "fe"', {"tier": "fe"}, True),
    ("or-none", 'app == "web" || tier == "fe"', {}, False),
]


@pytest.mark.parametrize(
    ("text", "labels", "expected"), [c[1:] for c in OPERATOR_CASES], ids=[c[0] for c in OPERATOR_CASES]
)
def test_operator_semantics(text: str, labels: dict[str, str], expected: bool) -> None:
    check(text, labels, expected)


@pytest.mark.parametrize(("text", "expected"), [("global()", True), ("!global()", False), ("all()", True)])
def test_global_matches_non_namespaced_objects(text: str, expected: bool) -> None:
    check(text, {"app": "web"}, expected, namespaced=False)


# --------------------------------------------------------------------------- quoting and keys

QUOTING_CASES = [
    ("double-quotes", 'app == "web"', {"app": "web"}),
    ("single-quotes", "app == 'web'", {"app": "web"}),
    ("spaces-in-value", 'team == "blue team"', {"team": "blue team"}),
    ("single-quote-inside-double", 'owner == "it\'s"', {"owner": "it's"}),
    ("double-quote-inside-single", "note == 'say \"hi\"'", {"note": 'say "hi"'}),
    ("mixed-quotes-in-set", "app in {'web', \"db\"}", {"app": "db"}),
    (
        "k8s-namespace-name-key",
        'kubernetes.io/metadata.name == "kube-system"',
        {"kubernetes.io/metadata.name": "kube-system"},
    ),
    ("recommended-label-key", "app.kubernetes.io/name == 'api'", {"app.kubernetes.io/name": "api"}),
    ("calico-name-key", 'projectcalico.org/name in {"prod"}', {"projectcalico.org/name": "prod"}),
    ("key-with-dash-underscore-digit", 'my-key_2 == "v"', {"my-key_2": "v"}),
    ("has-with-slashed-key", "has(app.kubernetes.io/name)", {"app.kubernetes.io/name": "x"}),
    ("key-named-like-an-operator", 'in == "x" && contains == "y"', {"in": "x", "contains": "y"}),
]


@pytest.mark.parametrize(("text", "labels"), [c[1:] for c in QUOTING_CASES], ids=[c[0] for c in QUOTING_CASES])
def test_quoting_and_keys(text: str, labels: dict[str, str]) -> None:
    check(text, labels, True)


# ------------------------------------------------------------------------ structure: precedence, whitespace

A, B, C = Compare("a", "==", "1"), Compare("b", "==", "2"), Compare("c", "==", "3")

STRUCTURE_CASES = [
    ("and-binds-tighter-than-or", 'a == "1" || b == "2" && c == "3"', Or(A, And(B, C))),
    ("and-binds-tighter-than-or-left", 'a == "1" && b == "2" || c == "3"', Or(And(A, B), C)),
    ("parentheses-override", '(a == "1" || b == "2") && c == "3"', And(Or(A, B), C)),
    ("and-left-associative", 'a == "1" && b == "2" && c == "3"', And(And(A, B), C)),
    ("or-left-associative", 'a == "1" || b == "2" || c == "3"', Or(Or(A, B), C)),
    ("explicit-right-nesting", 'a == "1" || (b == "2" || c == "3")', Or(A, Or(B, C))),
    ("not-binds-tightest", '!a == "1" && b == "2"', And(Not(A), B)),
    ("not-has", "!has(a)", Not(Has("a"))),
    ("not-parenthesised", '!(a == "1" || b == "2")', Not(Or(A, B))),
    ("double-not-kept", "!!has(a)", Not(Not(Has("a")))),
    ("redundant-parentheses", '((a == "1"))', A),
    ("set-sorted-deduplicated", "k in {'b', 'a', 'b'}", Compare("k", "in", ("a", "b"))),
    ("set-trailing-comma", 'k in {"a",}', Compare("k", "in", ("a",))),
    ("empty-set", "k not in {}", Compare("k", "not in", ())),
    ("ws-inside-has", "has( app )", Has("app")),
    ("ws-none-around-eq", 'a=="1"', A),
    ("ws-none-around-ne", "a!='1'", Compare("a", "!=", "1")),
    ("ws-many", '  a   ==   "1"  ', A),
    ("ws-tabs-newlines", 'a == "1"\n&&\tb == "2"\n', And(A, B)),
    ("ws-none-around-set", 'k in{"x","y"}', Compare("k", "in", ("x", "y"))),
    ("ws-none-around-and", 'a=="1"&&b=="2"', And(A, B)),
    ("ws-inside-all", "all( )", All()),
    ("global", "global()", Global()),
    ("empty", "", All()),
    ("calico-spelling-startswith", 'a startswith "x"', Compare("a", "starts with", "x")),
    ("calico-spelling-endswith", 'a endswith "x"', Compare("a", "ends with", "x")),
    ("calico-spelling-notin", 'a notin {"x"}', Compare("a", "not in", ("x",))),
    (
        "spaced-two-word-operator",
        'a not   in {"x"} || a starts\twith "y"',
        Or(Compare("a", "not in", ("x",)), Compare("a", "starts with", "y")),
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in STRUCTURE_CASES], ids=[c[0] for c in STRUCTURE_CASES])
def test_structure(text: str, expected: Selector) -> None:
    assert parse(text) == expected


def test_precedence_semantics() -> None:
    # a || (b && c) is true here; (a || b) && c would be false.
    check('a == "1" || b == "2" && c == "3"', {"a": "1"}, True)
    check('(a == "1" || b == "2") && c == "3"', {"a": "1"}, False)


# --------------------------------------------------------------------------- malformed input

ERROR_CASES = [
    ("unterminated-double", 'a == "abc', 5, "unterminated string"),
    ("unterminated-single", "a == 'abc", 5, "unterminated string"),
    ("unterminated-mismatched-quotes", "a == \"abc'", 5, "unterminated string"),
    ("missing-rbrace", 'a in {"x", "y"', 14, "expected ',' or '}'"),
    ("set-missing-comma", 'a in {"x" "y"}', 10, "expected ',' or '}'"),
    ("set-unquoted-item", "a in {x}", 6, "expected a quoted string or '}'"),
    ("set-leading-comma", "a in {,}", 6, "expected a quoted string or '}'"),
    ("in-without-set", 'a in "x"', 5, "expected '{' after 'in'"),
    ("not-in-at-end", "a not in", 8, "expected '{' after 'not in'"),
    ("dangling-and", 'a == "b" &&', 11, "expected a selector expression after '&&'"),
    ("dangling-or", 'a == "b" || ', 12, "expected a selector expression after '||'"),
    ("leading-and", '&& a == "b"', 0, "expected a selector expression"),
    ("unknown-function", "foo()", 0, "unknown function 'foo'"),
    ("unknown-function-later", 'a == "b" && bar(x)', 12, "unknown function 'bar'"),
    ("trailing-garbage", 'a == "b" c', 9, "expected '&&', '||' or the end of the selector"),
    ("trailing-rparen", "has(a) )", 7, "expected '&&', '||' or the end of the selector"),
    ("bare-word", "app", 3, "expected an operator"),
    ("two-bare-words", "a b", 2, "expected an operator"),
    ("label-and-label", "a && b", 2, "expected an operator"),
    ("single-equals", 'a = "b"', 2, "expected '==', not a single '='"),
    ("single-ampersand", 'a == "b" & c', 9, "expected '&&'"),
    ("single-pipe", 'a == "b" | c', 9, "expected '||'"),
    ("unquoted-value", "app == frontend", 7, "expected a quoted string after '=='"),
    ("label-on-right", "b == b", 5, "expected a quoted string"),
    ("literal-on-left", '"b" == a', 0, "expected a selector expression"),
    ("ne-at-end", "a !=", 4, "expected a quoted string after '!='"),
    ("starts-without-with", 'a starts "x"', 2, "expected an operator"),
    ("missing-rparen", '(a == "b"', 9, "expected '&&', '||' or ')'"),
    ("empty-parentheses", "()", 1, "expected a selector expression after '('"),
    ("lone-rparen", ")", 0, "expected a selector expression"),
    ("lone-not", "!", 1, "expected a selector expression after '!'"),
    ("has-without-key", "has()", 4, "expected a label key after 'has('"),
    ("has-two-keys", "has(a b)", 6, "expected ')'"),
    ("space-before-call-paren", "has (a)", 4, "expected an operator"),
    ("unexpected-character", 'a == "b" && %', 12, "unexpected character '%'"),
    ("all-with-argument", "all(a)", 4, "expected ')'"),
]


@pytest.mark.parametrize(("text", "position", "reason"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_malformed_input(text: str, position: int, reason: str) -> None:
    with pytest.raises(SelectorSyntaxError) as info:
        parse(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.text, err.position) == (text, position)
    assert reason in str(err)
    assert f" at position {position}\n" in str(err)


def test_error_message_shows_caret_under_position() -> None:
    with pytest.raises(SelectorSyntaxError) as info:
        parse("app == frontend")
    assert str(info.value) == (
        "expected a quoted string after '==', found 'frontend' at position 7\n    app == frontend\n           ^"
    )


def test_error_caret_stays_aligned_with_tabs_and_newlines() -> None:
    with pytest.raises(SelectorSyntaxError) as info:
        parse('a == "1"\n\t&& %')
    _, shown, caret = str(info.value).split("\n")
    assert shown[caret.index("^")] == "%"


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- canonical text and round trip

CANONICAL_CASES = [
    ("spacing", 'a=="1"', 'a == "1"'),
    ("single-quotes-become-double", "a == '1'", 'a == "1"'),
    ("value-with-double-quote-keeps-single", "a == 'say \"hi\"'", "a == 'say \"hi\"'"),
    ("value-with-single-quote", 'a == "it\'s"', 'a == "it\'s"'),
    ("set-sorted", "k in {'b','a','b'}", 'k in {"a", "b"}'),
    ("set-mixed-quotes", 'k not in {\'x"\', "y"}', 'k not in {\'x"\', "y"}'),
    ("empty-set", "k in {  }", "k in {}"),
    ("empty-is-all", "", "all()"),
    ("redundant-parentheses-dropped", '((a == "1") && (b == "2"))', 'a == "1" && b == "2"'),
    ("left-nested-or-flat", '(a == "1" || b == "2") || c == "3"', 'a == "1" || b == "2" || c == "3"'),
    ("right-nested-or-kept", 'a == "1" || (b == "2" || c == "3")', 'a == "1" || (b == "2" || c == "3")'),
    ("and-inside-or-needs-none", '(a == "1" && b == "2") || c == "3"', 'a == "1" && b == "2" || c == "3"'),
    ("or-inside-and-kept", 'a == "1" && (b == "2" || c == "3")', 'a == "1" && (b == "2" || c == "3")'),
    ("right-nested-and-kept", 'a == "1" && (b == "2" && c == "3")', 'a == "1" && (b == "2" && c == "3")'),
    ("not-of-has", "! ( has(a) )", "!has(a)"),
    ("not-of-or", "!(has(a) || has(b))", "!(has(a) || has(b))"),
    ("not-of-comparison", '!(a == "1")', '!a == "1"'),
    ("calico-spellings", 'a startswith "x" && b notin {"y"}', 'a starts with "x" && b not in {"y"}'),
    ("functions", "all( ) || global( ) || has( k )", "all() || global() || has(k)"),
]


@pytest.mark.parametrize(("text", "canonical"), [c[1:] for c in CANONICAL_CASES], ids=[c[0] for c in CANONICAL_CASES])
def test_canonical_text_round_trips(text: str, canonical: str) -> None:
    selector = parse(text)
    assert str(selector) == canonical
    assert parse(canonical) == selector
    assert str(parse(canonical)) == canonical


# --------------------------------------------------------------------------- API details


def test_keys() -> None:
    assert parse('has(a) && b == "1" || !c in {"x"} || all() || global()').keys() == {"a", "b", "c"}
    assert parse("").keys() == frozenset()


def test_selectors_are_frozen_and_hashable() -> None:
    same = {parse('a == "1" && has(b)'), parse("a=='1'&&has( b )"), And(Compare("a", "==", "1"), Has("b"))}
    assert len(same) == 1
    assert parse('a == "1" && has(b)') != parse('a == "1" || has(b)')
    assert parse("k in {'a', 'b'}") == Compare("k", "in", ["b", "a"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse("has(a)").key = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse("has(a) && has(b)").left = Has("c")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "op", "value"),
    [
        ("bad key", "==", "x"),
        ("", "==", "x"),
        ("a", "=", "x"),
        ("a", "in", "x"),
        ("a", "==", ("x",)),
        ("a", "==", "both ' and \""),
        ("a", "in", ("ok", 1)),
    ],
    ids=[
        "space-in-key",
        "empty-key",
        "unknown-op",
        "set-op-with-string",
        "string-op-with-tuple",
        "both-quotes",
        "non-string-in-set",
    ],
)
def test_compare_rejects_unprintable_nodes(key: str, op: str, value: object) -> None:
    with pytest.raises(ValueError):
        Compare(key, op, value)  # type: ignore[arg-type]


FRAME = pd.DataFrame(
    {"app": ["web", None, "db", np.nan], "tier": [None, None, None, None]}, index=["n/a", "n/b", "n/c", "n/d"]
)


@pytest.mark.parametrize("dtype", [None, object, "string"], ids=["inferred", "object", "string"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('app == "web"', [True, False, False, False]),
        ('app != "web"', [False, True, True, True]),
        ('app not in {"db"}', [True, True, False, True]),
        ('app ends with "b"', [True, False, True, False]),
        ("has(app)", [True, False, True, False]),
        ('tier == ""', [False, False, False, False]),
        ('tier != "x"', [True, True, True, True]),
        ('nocolumn != "x"', [True, True, True, True]),
        ('nocolumn starts with ""', [False, False, False, False]),
        ("!has(nocolumn) && all() && !global()", [True, True, True, True]),
    ],
)
def test_evaluate_handles_missing_values_dtypes_and_absent_columns(
    text: str, expected: list[bool], dtype: object
) -> None:
    frame = FRAME if dtype is None else FRAME.astype(dtype)
    got = parse(text).evaluate(frame)
    assert isinstance(got, np.ndarray) and got.dtype == bool
    assert got.tolist() == expected


def test_evaluate_on_empty_frames() -> None:
    for frame in (pd.DataFrame(), FRAME.iloc[:0], pd.DataFrame(index=range(2))):
        got = parse('app starts with "w" || !has(x) && global()').evaluate(frame)
        assert got.dtype == bool and got.shape == (len(frame),)


# --------------------------------------------------------------------------- properties

KEYS = ["app", "tier", "kubernetes.io/metadata.name", "x-y_z"]
ABSENT_KEY = "never.set/key"  # never a column of the generated frames
VALUES = ["", "a", "ab", "ba", "web app", "it's", 'say "hi"']
SPELLINGS = {
    "==": ["=="],
    "!=": ["!="],
    "contains": ["contains"],
    "starts with": ["starts with", "startswith", "starts \t with"],
    "ends with": ["ends with", "endswith"],
    "in": ["in"],
    "not in": ["not in", "notin", "not  in"],
}

keys_st = st.sampled_from([*KEYS, ABSENT_KEY])
values_st = st.sampled_from(VALUES)
leaves = st.one_of(
    st.just(All()),
    st.just(Global()),
    st.builds(Has, keys_st),
    st.builds(Compare, keys_st, st.sampled_from(["==", "!=", "contains", "starts with", "ends with"]), values_st),
    st.builds(Compare, keys_st, st.sampled_from(["in", "not in"]), st.lists(values_st, max_size=3).map(tuple)),
)
selectors = st.recursive(
    leaves,
    lambda inner: st.one_of(st.builds(Not, inner), st.builds(And, inner, inner), st.builds(Or, inner, inner)),
    max_leaves=10,
)


@st.composite
def label_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """A frame (random subset of KEYS as columns, None/NaN for missing) and the same rows as plain dicts."""
    n = draw(st.integers(0, 6))
    columns = draw(st.lists(st.sampled_from(KEYS), unique=True))
    cells = st.sampled_from([*VALUES, None, math.nan])
    data = {key: draw(st.lists(cells, min_size=n, max_size=n)) for key in columns}
    frame = pd.DataFrame(data, index=range(n), columns=columns)
    dtype = draw(st.sampled_from([None, object, "string"]))
    if dtype is not None:
        frame = frame.astype(dtype)
    rows = [{key: data[key][i] for key in columns if isinstance(data[key][i], str)} for i in range(n)]
    return frame, rows


def needs_parentheses(parent: Selector, child: Selector, right: bool) -> bool:
    """The precedence rules: ! > && > ||, both binary operators left-associative."""
    if isinstance(parent, Not):
        return isinstance(child, And | Or)
    if isinstance(parent, And):
        return isinstance(child, Or) or (right and isinstance(child, And))
    return right and isinstance(child, Or)


@st.composite
def spelled(draw: st.DrawFn, node: Selector) -> str:
    """Text for ``node`` with random whitespace, extra parentheses, quote styles and operator spellings."""

    def space() -> str:
        return draw(st.sampled_from(["", "", " ", "  ", "\t", "\n"]))

    def quote(value: str) -> str:
        mark = "'" if '"' in value else '"' if "'" in value else draw(st.sampled_from(["'", '"']))
        return f"{mark}{value}{mark}"

    def sub(parent: Selector, child: Selector, right: bool) -> str:
        text = text_of(child)
        if needs_parentheses(parent, child, right) or draw(st.integers(0, 4)) == 0:
            return f"({space()}{text}{space()})"
        return text

    def text_of(n: Selector) -> str:
        if isinstance(n, All | Global):
            return f"{str(n)[:-2]}({space()})"
        if isinstance(n, Has):
            return f"has({space()}{n.key}{space()})"
        if isinstance(n, Compare):
            op = draw(st.sampled_from(SPELLINGS[n.op]))
            gap = " " + space() if op[0].isalpha() else space()
            if isinstance(n.value, tuple):
                items = draw(st.permutations([quote(v) for v in n.value]))
                items += draw(st.lists(st.sampled_from(items), max_size=2)) if items else []
                trailing = "," if items and draw(st.booleans()) else ""
                rhs = "{" + space() + f"{space()},{space()}".join(items) + trailing + space() + "}"
            else:
                rhs = quote(n.value)
            return f"{n.key}{gap}{op}{space()}{rhs}"
        if isinstance(n, Not):
            return f"!{space()}{sub(n, n.operand, True)}"
        assert isinstance(n, And | Or)
        symbol = "&&" if isinstance(n, And) else "||"
        return f"{sub(n, n.left, False)}{space()}{symbol}{space()}{sub(n, n.right, True)}"

    return space() + text_of(node) + space()


@settings(max_examples=300, deadline=None)
@given(selector=selectors, table=label_tables(), namespaced=st.booleans())
def test_property_vectorized_equals_reference_and_text_round_trips(
    selector: Selector, table: tuple[pd.DataFrame, list[dict[str, str]]], namespaced: bool
) -> None:
    frame, rows = table
    got = selector.evaluate(frame, namespaced=namespaced)
    assert isinstance(got, np.ndarray) and got.dtype == bool and got.shape == (len(rows),)
    assert got.tolist() == [selector.matches(row, namespaced=namespaced) for row in rows]
    text = str(selector)
    assert parse(text) == selector
    assert str(parse(text)) == text
    assert selector.keys() <= {*KEYS, ABSENT_KEY}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), selector=selectors)
def test_property_any_spelling_parses_to_the_same_selector(data: st.DataObject, selector: Selector) -> None:
    text = data.draw(spelled(selector), label="text")
    assert parse(text) == selector
