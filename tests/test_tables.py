"""Tables people read (tutorials, pitfalls, labs): words, not reprs; full reasons; widths that fit 960 px.

The rules come from issue 11 (participants at ~960 px in JupyterLab). The tests read cell text and the Styler's
HTML and CSS, never pixels. Verdict semantics (what is allowed) are tested elsewhere; here only how it reads.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

from netpolkit import lab, lesson
from netpolkit.course import Tutorial
from netpolkit.model.ports import PortQuery
from netpolkit.readable import MISSING, cell_text, ordered_sides, percent, plural, readable, reasons, styled

ROOT = Path(__file__).resolve().parents[1]
REPR = re.compile(r"\(\w+/\d+,\)|\{'|\['|\bnan\b|\bNaN\b|\bTrue\b|\bFalse\b|\bNone\b")
"""What a Python repr leaves in a cell: a one-tuple, a dict or list literal, NaN, a bool, None."""


# ---- cell text --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (("TCP/8080",), "TCP/8080"),
        ((PortQuery.parse("TCP/80"), PortQuery.parse("udp/53")), "TCP/80, UDP/53"),
        ({"app": "api", "tier": "backend"}, "app=api, tier=backend"),
        (["Ingress", "Egress"], "Ingress, Egress"),
        (frozenset({"b", "a"}), "a, b"),
        ((), MISSING),
        ({}, MISSING),
        (None, MISSING),
        (float("nan"), MISSING),
        (pd.NA, MISSING),
        (True, "yes"),
        (False, "no"),
        (3.0, "3"),
        (0.125, "0.125"),
        (1234, "1234"),
        ("shop/web", "shop/web"),
        ([f"p{i}" for i in range(20)], "p0, p1, p2, p3, p4, p5, p6, ... (13 more)"),
        ([f"p{i}" for i in range(8)], "p0, p1, p2, p3, p4, p5, p6, p7"),
    ],
)
def test_cell_text_reads_without_python_reprs(value, text):
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("fraction", "text"),
    [
        (1 / 6, "17 %"),
        (0.0, "0 %"),
        (1.0, "100 %"),
        (0.5, "50 %"),
        (0.001, "<1 %"),  # something is allowed: never shown as 0 %
        (0.999, ">99 %"),  # something is blocked: never shown as 100 %
        (float("nan"), MISSING),  # a group pair without pairs
        (None, MISSING),
    ],
)
def test_percent_is_rounded_and_never_nan(fraction, text):
    assert percent(fraction) == text


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 policies"), (1, "1 policy"), (2, "2 policies"), (1000, "1,000 policies")],
)
def test_plural_agrees_with_the_count(count, text):
    assert plural(count, "policy", "policies") == text


def test_readable_turns_a_pods_table_into_words():
    frame = pd.DataFrame(
        {"labels": [{"app": "web"}, {}], "ports": [(PortQuery.parse("TCP/80"),), ()], "fraction": [1 / 3, None]},
        index=pd.Index(["shop/web", "shop/db"], name="id"),
    )
    text = readable(frame)
    assert list(text.columns) == ["id", "labels", "ports", "fraction"]  # a meaningful index becomes a column
    assert text.to_dict("records") == [
        {"id": "shop/web", "labels": "app=web", "ports": "TCP/80", "fraction": "33 %"},
        {"id": "shop/db", "labels": MISSING, "ports": MISSING, "fraction": MISSING},
    ]


# ---- the Styler -------------------------------------------------------------------------------------------------


def _css(styler) -> str:
    return styler.to_html().split("</style>")[0]


def test_styled_table_left_aligns_headers_wraps_values_and_sets_widths():
    frame = pd.DataFrame({"from": ["shop/web"], "ports": [("TCP/8080",)], "why": ["line one\nline two"]})
    html = styled(frame, widths={"from": 0.2, "why": 0.5}).to_html()
    css = _css(styled(frame, widths={"from": 0.2, "why": 0.5}))
    th = re.search(r"th \{([^}]*)\}", css).group(1)
    td = re.search(r"td \{([^}]*)\}", css).group(1)
    for block in (th, td):
        assert re.findall(r"text-align: (\w+)", block)[-1] == "left"  # the last declaration wins
        assert "white-space: pre-wrap" in block and "overflow-wrap: anywhere" in block
    assert "table-layout: fixed" in css and "max-width: 960px" in css
    widths = dict(re.findall(r"\.(col\d+) \{\s*width: ([\d.]+)%", css))
    assert widths == {"col0": "20.0", "col1": "30.0", "col2": "50.0"}  # the unnamed column takes the rest
    assert "TCP/<wbr>8080" in html and "(TCP" not in html  # no tuple repr; endpoint ids may wrap at the slash
    assert "line one\nline two" in html  # pre-wrap keeps the line break
    assert "level0 row0" not in html  # the row number is hidden


@pytest.mark.parametrize(
    ("widths", "error"),
    [({"nope": 0.2}, KeyError), ({"a": 0.7, "b": 0.4}, ValueError)],
)
def test_styled_table_refuses_widths_that_do_not_fit(widths, error):
    with pytest.raises(error):
        styled(pd.DataFrame({"a": [1], "b": [2]}), widths=widths)


def test_styled_table_marks_wrong_rows_and_keeps_numbers_as_data():
    frame = pd.DataFrame({"port": ["TCP/80", "TCP/53"], "fraction": [1 / 6, float("nan")]})
    styler = styled(frame, wrong=[False, True])
    html = styler.to_html()
    assert "17 %" in html and MISSING in html and "0.166667" not in html and "nan" not in html
    assert re.search(r"#T_\w+_row1_col0[^{]*\{\s*background-color", html)
    assert not re.search(r"#T_\w+_row0_col0[^{]*\{\s*background-color", html)
    assert styler.data["fraction"].iloc[0] == pytest.approx(1 / 6)  # the data stays numeric


# ---- reasons: both sides, the deciding side first ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cilium() -> Tutorial:
    return Tutorial.load("cilium")


@pytest.fixture(scope="module")
def aks() -> Tutorial:
    return Tutorial.load("aks")


@pytest.mark.parametrize(
    ("tutorial", "step", "src", "dst", "port", "first", "second"),
    [
        # blocked at the ingress (a Cilium deny), egress not isolated: the ingress reason comes first
        (
            "cilium",
            "s6-cilium-ingress-deny-not-frontend",
            "default/not-frontend",
            "default/backend",
            "TCP/8080",
            "ingress of default/backend: denied by CiliumNetworkPolicy",
            "egress of default/not-frontend: allowed, no policy selects it",
        ),
        # allowed by a rule at the ingress only: the rule comes before "not isolated"
        (
            "cilium",
            "s2-backend-allow-ingress-frontend",
            "default/frontend",
            "default/backend",
            "TCP/8080",
            "ingress of default/backend: allowed by NetworkPolicy",
            "egress of default/frontend: allowed, no policy selects it",
        ),
        # blocked at the egress (deny-all closes it): the egress reason first
        (
            "aks",
            "s4-web-netpol",
            "yournamespace/curl",
            "yournamespace/web",
            "TCP/80",
            "egress of yournamespace/curl: denied",
            "ingress of yournamespace/web: allowed by NetworkPolicy",
        ),
    ],
)
def test_reasons_give_both_sides_in_full_the_deciding_one_first(tutorial, step, src, dst, port, first, second):
    explanation = lesson.explain(Tutorial.load(tutorial), step, src, dst, port)
    lines = reasons(explanation).splitlines()
    assert lines[0].startswith(first) and lines[1].startswith(second)
    assert lines[0] == str(ordered_sides(explanation)[0])  # in full: nothing cut


# ---- the course's tables ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tutorial_id", "step_id"),
    [
        ("aks", "s4-web-netpol"),
        ("cilium", "s6-cilium-ingress-deny-not-frontend"),
        ("calico", "s5-allow-ingress-to-wordpress-service"),
        ("gke", "s1-default-deny-ingress"),
    ],
)
def test_expectations_table_reads_in_words_and_fits(tutorial_id, step_id):
    tutorial = Tutorial.load(tutorial_id)
    table = lesson.expectations_table(tutorial, step_id)
    assert set(table["expected"]) | set(table["computed"]) <= {"allowed", "blocked"}
    styler = lesson.expectations_table(tutorial, step_id, styled=True)
    assert list(styler.data.columns) == list(lesson.EXPECTATION_WIDTHS)
    assert sum(lesson.EXPECTATION_WIDTHS.values()) <= 1.0 and lesson.EXPECTATION_WIDTHS["why"] >= 0.3
    tested = styler.data["tested with"]
    for via, test, shown in zip(table["via"], table["test"], tested, strict=True):
        assert shown.splitlines() == [line for line in (f"via {via}" if via else "", test) if line]
    body = styler.to_html().split("</style>")[1]
    assert not REPR.search(re.sub(r"<[^>]+>", "", body))


def test_expectations_table_marks_a_wrong_row(aks: Tutorial):
    step = aks.step("s2-db-netpol")
    flipped = dataclasses.replace(step.expect[0], allowed=not step.expect[0].allowed)
    wrong_step = dataclasses.replace(step, expect=(flipped, *step.expect[1:]))
    bad = dataclasses.replace(aks, steps=tuple(wrong_step if s.id == step.id else s for s in aks.steps))
    html = lesson.expectations_table(bad, "s2-db-netpol", styled=True).to_html()
    assert re.search(r"#T_\w+_row0_col0[^{]*\{\s*background-color", html)


def test_profile_differences_say_allowed_or_blocked(aks: Tutorial):
    differences = lesson.profile_differences(aks, "s4-web-netpol", ("upstream", "calico"))
    assert not differences.empty
    assert set(differences["upstream"]) | set(differences["calico"]) <= {"allowed", "blocked"}


def test_experiment_table_has_words_and_both_reasons():
    world = lesson.pitfall_world()
    deny = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\n"
        "spec: {podSelector: {}, policyTypes: [Ingress]}\n"
    )
    from netpolkit.io.manifests import read_text
    from netpolkit.matrix import reachability

    reach = reachability(world.apply(read_text(deny, "deny")), ports=["TCP/8080"])
    table = lesson.experiment_table({"vectorized": reach}, [("shop/web", "shop/api", "TCP/8080", False)])
    row = table.iloc[0]
    assert (row["expected"], row["computed"], row["ok"]) == ("blocked", "blocked", lesson.OK)
    first, second = row["why"].splitlines()
    assert first.startswith("ingress of shop/api: denied") and second.startswith("egress of shop/web: allowed")


def test_lab_differences_table_has_words_and_both_reasons():
    wrong = ROOT / "tests" / "data" / "labs" / "04-service-and-named-ports" / "service-port.yaml"
    result = lab.check("04-service-and-named-ports", wrong.read_text(encoding="utf-8"))
    table = result.differences_table()
    assert list(table.columns) == ["from", "to", "port", "should be", "is", "why"]
    row = table.iloc[0]
    assert (row["should be"], row["is"]) == ("allowed", "blocked")
    assert [line.split(" of ")[0] for line in row["why"].splitlines()] == ["ingress", "egress"]  # deciding first
    assert sum(lab.DIFFERENCE_WIDTHS.values()) <= 1.0


@pytest.mark.parametrize(
    ("tutorial_id", "step_id", "folded"),
    [("calico", "s0-baseline", True), ("aks", "s1-deny-all", False)],
)
def test_long_manifests_are_folded(tutorial_id, step_id, folded):
    item = Tutorial.load(tutorial_id).step(step_id)
    lines = item.file.read_text(encoding="utf-8").strip().splitlines()
    text = lesson.manifest_markdown(item)
    assert ("<details>" in text) is folded
    assert (len(lines) > lesson.FOLD_AFTER_LINES) is folded
    if folded:
        preview = text.split("<details>")[0]
        assert "\n".join(lines[: lesson.FOLDED_PREVIEW_LINES]) in preview
        shown = preview.split("```yaml\n")[1].split("\n```")[0]
        assert shown.splitlines() == lines[: lesson.FOLDED_PREVIEW_LINES]
        assert f"{len(lines) - lesson.FOLDED_PREVIEW_LINES} more lines" in text
    assert "\n".join(lines) in text  # the whole file is always there, folded or not
