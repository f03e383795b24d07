"""Small presentation helpers shared by the tutorial notebooks (``notebooks/01-...`` to ``06-...``).

Each notebook step is a handful of one-line calls, so that no course logic lives in a notebook::

    >>> from netpolkit import lesson
    >>> from netpolkit.course import Tutorial
    >>> aks = Tutorial.load("aks")                                    # doctest: +SKIP
    >>> lesson.show_manifest(aks.step("s1-deny-all"))                 # doctest: +SKIP
    >>> lesson.step_heatmaps(aks, "s1-deny-all", "TCP/80")            # doctest: +SKIP
    >>> lesson.expectations_table(aks, "s1-deny-all")                 # doctest: +SKIP
    >>> lesson.assert_step(aks, "s1-deny-all")                        # doctest: +SKIP

Results are cached per (tutorial, step, profile), so a notebook computes each step once.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import pandas as pd

from netpolkit.cluster import Cluster
from netpolkit.course import Step, Tutorial, Variant, check_step, reachability_for
from netpolkit.engine import get_profile
from netpolkit.matrix import Reachability, reachability
from netpolkit.readable import plural, reasons, verdict
from netpolkit.readable import styled as styled_table

__all__ = [
    "assert_step",
    "expectations_table",
    "experiment",
    "experiment_table",
    "explain",
    "live_heatmap",
    "load",
    "manifest_markdown",
    "policy_order",
    "previous_id",
    "profile_differences",
    "reach",
    "show_manifest",
    "show_pitfalls",
    "step_heatmaps",
]

OK, WRONG = "✓", "✗"


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def _markdown(text: str) -> None:
    from IPython.display import Markdown

    _display(Markdown(text))


def load(tutorial_id: str, profile: str | None = None) -> Tutorial:
    """Load a tutorial; ``profile`` (e.g. a notebook parameter) overrides the tutorial's own when given."""
    tutorial = Tutorial.load(tutorial_id)
    return dataclasses.replace(tutorial, profile=profile) if profile else tutorial


@lru_cache(maxsize=64)
def reach(tutorial: Tutorial, step_id: str, profile: str | None = None) -> Reachability:
    """Reachability after a step (or variant), cached; ``profile`` defaults to the tutorial's own."""
    return reachability_for(tutorial, step_id, profile=profile)


def previous_id(tutorial: Tutorial, step_id: str) -> str | None:
    """What a step is compared with: the step before it; for a variant, the tutorial step it replaces."""
    item = tutorial.find(step_id)
    if isinstance(item, Variant):
        return item.replaces_in_step
    index = tutorial.steps.index(item)
    return tutorial.steps[index - 1].id if index else None


FOLD_AFTER_LINES = 40
"""A manifest longer than this is shown folded: its first :data:`FOLDED_PREVIEW_LINES` lines, the rest on a click."""
FOLDED_PREVIEW_LINES = 12


def manifest_markdown(item: Step | Variant) -> str:
    """The Markdown :func:`show_manifest` displays: deletions first, then the file as a YAML block.

    A file longer than :data:`FOLD_AFTER_LINES` lines shows its first :data:`FOLDED_PREVIEW_LINES` lines and
    folds the whole file into an HTML ``<details>`` element ("N more lines: click to show the whole file").
    """
    text = item.file.read_text(encoding="utf-8").strip()
    gone = "".join(
        f"`kubectl delete {d.kind} {d.name}" + (f" -n {d.namespace}`" if d.namespace else "`") + " first, then:\n\n"
        for d in getattr(item, "delete", ())
    )
    head = f"{gone}**`{item.file.parent.name}/{item.file.name}`**"
    lines = text.splitlines()
    if len(lines) <= FOLD_AFTER_LINES:
        return f"{head}\n\n```yaml\n{text}\n```"
    preview = "\n".join(lines[:FOLDED_PREVIEW_LINES])
    more = len(lines) - FOLDED_PREVIEW_LINES
    return (
        f"{head} ({len(lines)} lines; the first {FOLDED_PREVIEW_LINES}:)\n\n```yaml\n{preview}\n```\n\n"
        f"<details><summary>... {more} more lines: click to show the whole file</summary>\n\n"
        f"```yaml\n{text}\n```\n\n</details>"
    )


def show_manifest(item: Step | Variant) -> None:
    """Display the manifest file a step (or variant) applies (see :func:`manifest_markdown`; long files folded)."""
    _markdown(manifest_markdown(item))


def step_heatmaps(
    tutorial: Tutorial, step_id: str, port: str, *, profile: str | None = None, highlight: str | None = None
):
    """The heatmap after a step and the diff against the step before, side by side; returns the Figure.

    For the first step (nothing to compare with) a single heatmap. For a variant the diff is against the
    tutorial step it replaces, so the cells show what the what-if would change.
    """
    from netpolkit import plot

    after = reach(tutorial, step_id, profile)
    before_id = previous_id(tutorial, step_id)
    title = tutorial.find(step_id).title
    if before_id is None:
        display = plot.heatmap(after, port, highlight=highlight)
        display.figure_.suptitle(f"{title}\n(step {step_id})", fontsize=13, fontweight="bold")
        return display.figure_
    before = reach(tutorial, before_id, profile)
    title = f"{title}\n(step {step_id}; right: changes since {before_id})"
    return plot.step_figure(before, after, port, title=title, highlight=highlight)


def _check(tutorial: Tutorial, step_id: str, profile: str | None) -> pd.DataFrame:
    return check_step(reach(tutorial, step_id, profile), tutorial.find(step_id))


EXPECTATION_WIDTHS = {
    "from": 0.12,
    "to": 0.12,
    "port": 0.08,
    "tested with": 0.16,
    "expected": 0.075,
    "computed": 0.075,
    "ok": 0.04,
    "why": 0.33,
}
"""Column shares of the styled expectations table: the reason gets a third, nothing is cut at 960 px."""


def expectations_table(tutorial: Tutorial, step_id: str, *, profile: str | None = None, styled: bool = False):
    """The tutorial's own tests of a step, expected vs computed, as a DataFrame (a Styler with ``styled=True``).

    Columns: from, to, port (the destination pod port), via (how the tutorial addressed it), test (its command),
    expected, computed (``allowed`` / ``blocked``), ok (✓/✗), why. The Styler, laid out for a 960 px notebook
    output, puts via and test on two lines of one "tested with" column, wraps long values and marks wrong rows.
    """
    checked = _check(tutorial, step_id, profile)
    why = [e.why for e in tutorial.find(step_id).expect]
    table = pd.DataFrame(
        {
            "from": checked["from"],
            "to": checked["to"],
            "port": checked["protocol"] + "/" + checked["port"].astype(str),
            "via": checked["via"].fillna(""),
            "test": checked["test"].fillna(""),
            "expected": checked["expected"].map(verdict),
            "computed": checked["computed"].map(verdict),
            "ok": checked["ok"].map({True: OK, False: WRONG}),
            "why": why,
        }
    )
    if not styled:
        return table
    shown = table.drop(columns=["via", "test"])
    tested = [_tested_with(via, test) for via, test in zip(table["via"], table["test"], strict=True)]
    shown.insert(3, "tested with", tested)
    return styled_table(shown, widths=EXPECTATION_WIDTHS, wrong=list(table["ok"] == WRONG))


def _tested_with(via: str, test: str) -> str:
    """How the tutorial addressed the destination and the command it ran, one per line."""
    return "\n".join(part for part in (f"via {via}" if via else "", test) if part)


def assert_step(tutorial: Tutorial, step_id: str, *, profile: str | None = None) -> None:
    """Raise AssertionError listing every expectation of a step whose computed verdict differs."""
    checked = _check(tutorial, step_id, profile)
    wrong = checked[~checked["ok"]]
    if len(wrong):
        lines = [
            f"  {r['from']} -> {r['to']} {r['protocol']}/{r['port']}: expected "
            f"{verdict(r['expected'])}, computed {verdict(r['computed'])}"
            for _, r in wrong.iterrows()
        ]
        raise AssertionError(f"{tutorial.id} {step_id}: {plural(len(wrong), 'wrong verdict')}\n" + "\n".join(lines))


def explain(tutorial: Tutorial, step_id: str, src: str, dst: str, port: str, *, profile: str | None = None):
    """Why ``src -> dst`` on ``port`` is allowed or blocked after a step (printable Explanation)."""
    return reach(tutorial, step_id, profile).explain(src, dst, port)


def profile_differences(tutorial: Tutorial, step_id: str, profiles: tuple[str, str] = ("upstream", "calico")):
    """Cells whose verdict differs between two profiles after a step, on every port computed for it.

    Columns: src, dst, port, one verdict column per profile (``allowed`` / ``blocked``), self (a pod to itself,
    bool), tested (a tutorial cell, bool).
    """
    first, second = (reach(tutorial, step_id, p) for p in profiles)
    tested = {(e.src, e.dst, e.port_spec) for e in tutorial.find(step_id).expect}
    rows = []
    for port in first.ports:
        a, b = first.frame(port), second.frame(port)
        changed = (a != b).stack()
        for src, dst in changed[changed].index:
            verdicts = {profiles[0]: verdict(a.at[src, dst]), profiles[1]: verdict(b.at[src, dst])}
            rows.append(
                {
                    "src": src,
                    "dst": dst,
                    "port": port,
                    **verdicts,
                    "self": src == dst,
                    "tested": (src, dst, port) in tested,
                }
            )
    return pd.DataFrame(rows, columns=["src", "dst", "port", *profiles, "self", "tested"])


def show_pitfalls(tutorial: Tutorial) -> None:
    """Display the tutorial's pitfalls as a Markdown list (title in bold, then the text)."""
    _markdown("\n".join(f"- **{p.title}.** {p.text.strip()}" for p in tutorial.pitfalls))


def policy_order(cluster: Cluster, endpoint: str) -> pd.DataFrame:
    """The policies that select a pod, in the order Calico evaluates them: tier, order (none = last), name.

    Columns: position (1 = asked first), tier, order, name, kind, types. Kubernetes NetworkPolicies appear at
    order 1000 under Felix's name ``knp.default.<name>``.
    """
    ordered = Reachability(cluster, get_profile("calico"))  # selection only: nothing is evaluated
    refs = dict.fromkeys(ordered.policies_for(endpoint, "ingress") + ordered.policies_for(endpoint, "egress"))
    by_ref = {p.ref: p for p in cluster.policy_objects}
    plan = ordered._evaluator.plan
    tier_of = {id(p): stage.name for d in plan.stages.values() for stage in d for _, p in stage.policies}
    rows = []
    for policy in (by_ref[ref] for ref in refs):
        order, name = plan.dialect_of[id(policy)].placement(policy).rank[:2]
        types = ", ".join(getattr(policy, "policy_types", ()))
        rows.append(
            {
                "tier": tier_of[id(policy)],
                "order": order,
                "name": name,
                "kind": policy.ref.rsplit(" ", 1)[0],
                "types": types,
            }
        )
    table = pd.DataFrame(rows, columns=["tier", "order", "name", "kind", "types"])
    table = table.sort_values(["tier", "order", "name"], kind="stable").reset_index(drop=True)
    table["order"] = [("none (last)" if math.isinf(o) else f"{o:g}") for o in table["order"]]
    table.insert(0, "position", range(1, len(table) + 1))
    return table


def live_heatmap(live: bool, context: str | None, namespaces: list[str], port: str, *, profile: str = "upstream"):
    """With ``live``: read the cluster behind ``context`` and draw its heatmap for ``namespaces`` on ``port``.

    Without: print one line on how to enable it. Returns the Figure, or None.
    """
    if not live:
        print(
            "Live mode is off: set live = True and context = '<kube context>' in the first cell (README: kind/AKS/GKE)."
        )
        return None
    from netpolkit import plot
    from netpolkit.io import load_live

    cluster = load_live(context=context, namespaces=namespaces)
    result = reachability(cluster, port, profile=profile)
    if len(result.endpoints) > plot.MAX_ENDPOINTS:
        return plot.aggregate_heatmap(result, port).figure_
    return plot.heatmap(result, port, title=f"live: {context or 'current context'}").figure_


# ---- pitfall experiments (notebook 05) -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def pitfall_world() -> Cluster:
    """The small cluster of notebook 05 (``manifests/pitfalls/world.yaml``), with the internet as an endpoint."""
    from netpolkit.course import manifests_dir
    from netpolkit.io.manifests import read_documents

    docs = read_documents(manifests_dir() / "pitfalls" / "world.yaml")
    return Cluster.from_documents(docs, {"internet": "203.0.113.10"})


def experiment(
    title: str,
    policies: str,
    checks: list[tuple[str, str, str, bool]],
    *,
    profile: str = "upstream",
    world: Cluster | None = None,
    draw: bool = True,
    engines: tuple[str, ...] = ("vectorized",),
) -> pd.DataFrame:
    """One pitfall settled: apply ``policies`` (YAML) to the world, check each (src, dst, port, expected) and assert.

    Shows a small heatmap of the first check's port (when ``draw``), then the verdict table of
    :func:`experiment_table` (allowed / blocked, both reasons in full), and returns that table. With several
    ``engines`` (e.g. ``("vectorized", "reference")``) each gets a ``computed (<engine>)`` column and every one must
    give the expected verdict.
    """
    from netpolkit.io.manifests import read_text

    cluster = (
        (world or pitfall_world()).apply(read_text(policies, title)) if policies.strip() else world or pitfall_world()
    )
    ports = list(dict.fromkeys(port for _, _, port, _ in checks))
    results = {engine: reachability(cluster, ports=ports, profile=profile, engine=engine) for engine in engines}
    result = results[engines[0]]
    table = experiment_table(results, checks)
    if draw:
        import matplotlib.pyplot as plt

        from netpolkit import plot

        figure, ax = plt.subplots(figsize=(6.2, 4.6), layout="compressed")
        plot.heatmap(result, ports[0], ax=ax, title=title, highlight=checks[0][1])
        _display(figure)
        plt.close(figure)
    _display(styled_table(table, widths=_experiment_widths(table.columns), wrong=list(table["ok"] == WRONG)))
    wrong = table[table["ok"] == WRONG]
    assert wrong.empty, f"{title}: wrong verdicts\n{wrong.to_string()}"
    return table


def experiment_table(results: dict[str, Reachability], checks: list[tuple[str, str, str, bool]]) -> pd.DataFrame:
    """The verdict table of :func:`experiment`: one row per (src, dst, port, expected) check.

    Columns: from, to, port, expected, computed (one ``computed (<engine>)`` column per engine when there are
    several; ``allowed`` / ``blocked``), ok (✓ when every engine gives the expected verdict), why (both sides in
    full, the deciding side first, one per line; from the first engine).
    """
    engines = list(results)
    first = results[engines[0]]
    columns = {engine: "computed" if len(engines) == 1 else f"computed ({engine})" for engine in engines}
    rows = []
    for src, dst, port, expected in checks:
        computed = {columns[e]: bool(r.allowed(src, dst, port)) for e, r in results.items()}
        rows.append(
            {
                "from": src,
                "to": dst,
                "port": port,
                "expected": verdict(expected),
                **{column: verdict(value) for column, value in computed.items()},
                "ok": OK if all(value == bool(expected) for value in computed.values()) else WRONG,
                "why": reasons(first.explain(src, dst, port)),
            }
        )
    return pd.DataFrame(rows, columns=["from", "to", "port", "expected", *columns.values(), "ok", "why"])


def _experiment_widths(columns: pd.Index) -> dict[str, float]:
    """Column shares of the experiment table; ``why`` takes what the others leave (at least a third)."""
    verdicts = {c: 0.08 if c == "computed" else 0.1 for c in columns if str(c).startswith("computed")}
    return {"from": 0.13, "to": 0.13, "port": 0.08, "expected": 0.08, **verdicts, "ok": 0.04}
