"""The explorer of the start notebook, operated in the browser like a participant does.

Each control is found by its CSS class (``netpolkit.widgets.CSS_CLASSES``). After every action (a step, one policy
switched off, a port, a profile, a source, a destination) the heatmap PNG the kernel sends back must differ from
the one before and decode in the browser. At the end the explain panel must show what
``ExplorerState.explanation`` computes for the same choices, and name the policy that decides.

The scenario is the AKS tutorial at its last step (s4-web-netpol) with ``api-netpol`` switched off, TCP/5984,
profile upstream, api -> db. ``deny-all`` selects every pod of the namespace with both policy types and no rule,
so once ``api-netpol`` (api's only egress allow) is off, api is isolated for egress with no rule that matches: the
connection is blocked on api's egress side, and deny-all is what decides it (Kubernetes docs, Network Policies:
"the only allowed connections from the pod are those allowed by the egress list of some NetworkPolicy that
applies to the pod").
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netpolkit.course import Tutorial
from netpolkit.widgets import CSS_CLASSES, ExplorerState

pytestmark = pytest.mark.ui

START_NOTEBOOK = "notebooks/00-start-here.ipynb"
EXPLORER_CELL_MARKER = "explore("
TUTORIAL = "aks"
STEP = "s4-web-netpol"
POLICY_OFF = "NetworkPolicy yournamespace/api-netpol"
PORT = "TCP/5984"
PROFILE = "upstream"
SOURCE, DESTINATION = "yournamespace/api", "yournamespace/db"
PICTURE_TIMEOUT_MS = 90_000


def _expected_state() -> ExplorerState:
    """The oracle: the explorer's state after the same choices, computed without a browser."""
    state = ExplorerState.from_tutorial(Tutorial.load(TUTORIAL))
    state.select_step(STEP)
    state.toggle_policy(POLICY_OFF, False)
    state.select_port(PORT)
    state.select_profile(PROFILE)
    state.select_pair(SOURCE, DESTINATION)
    return state


def test_the_scenario_is_decided_by_deny_all_on_the_egress_side() -> None:
    """What the browser must show, checked without it (the scenario of the module docstring)."""
    explanation = _expected_state().explanation
    assert explanation is not None and not explanation.allowed
    assert not explanation.egress.allowed
    assert explanation.egress.isolated_by == ("NetworkPolicy yournamespace/deny-all",)
    assert POLICY_OFF not in str(explanation)


def test_explorer_redraws_after_every_control_and_explains_the_pair(open_notebook, screenshot) -> None:
    notebook = open_notebook(START_NOTEBOOK)
    cells = notebook.run_all()
    assert not [c.describe() for c in cells if c.errors], f"{START_NOTEBOOK} fails as shipped"
    index = notebook.find_cell(EXPLORER_CELL_MARKER)
    explorer = notebook.cell(index).locator(f".{CSS_CLASSES['explorer']}").first
    explorer.wait_for(state="visible")
    explorer.scroll_into_view_if_needed()
    picture = explorer.locator(f".{CSS_CLASSES['picture']} img").first

    def control(name: str):
        return explorer.locator(f".{CSS_CLASSES[name]}").first

    def picture_changes(action: str, act: Callable[[], None]) -> None:
        before = picture.get_attribute("src")
        act()
        try:
            notebook.page.wait_for_function(
                """([img, before]) => img.isConnected ? img.src !== before : true""",
                arg=[picture.element_handle(), before],
                timeout=PICTURE_TIMEOUT_MS,
            )
        except Exception as exc:  # playwright's TimeoutError: say which action did not redraw
            raise AssertionError(f"the explorer picture did not change after: {action}") from exc
        fresh = explorer.locator(f".{CSS_CLASSES['picture']} img").first
        fresh.wait_for(state="visible")
        size = fresh.evaluate("img => img.complete ? img.naturalWidth : -1")
        assert size > 0, f"after {action}: the new picture did not decode ({size})"
        assert fresh.get_attribute("src") != before, f"the explorer picture did not change after: {action}"
        screenshot(notebook, action.split(" ")[0], cell=index)

    picture.wait_for(state="visible")
    picture_changes("step " + STEP, lambda: control("step").locator("select").select_option(label=STEP))
    policy = explorer.locator(f".{CSS_CLASSES['policy']}").filter(has_text=POLICY_OFF).locator("input").first
    picture_changes("policy switched off", policy.uncheck)
    picture_changes("port " + PORT, lambda: control("port").locator("select").select_option(label=PORT))
    picture_changes("profile " + PROFILE, lambda: control("profile").locator("select").select_option(label=PROFILE))
    picture_changes("source " + SOURCE, lambda: control("source").locator("select").select_option(label=SOURCE))
    picture_changes(
        "destination " + DESTINATION, lambda: control("destination").locator("select").select_option(label=DESTINATION)
    )

    expected = _expected_state()
    explain = control("explain")
    explain.filter(has_text=f"{SOURCE} -> {DESTINATION}").wait_for(timeout=PICTURE_TIMEOUT_MS)
    shown = " ".join(explain.inner_text().split())
    assert shown == " ".join(str(expected.explanation).split()), shown
    deciding = expected.explanation.egress
    assert deciding.isolated_by and all(policy in shown for policy in deciding.isolated_by), shown
    assert POLICY_OFF not in shown, f"{POLICY_OFF} is switched off, yet the explanation names it: {shown}"
