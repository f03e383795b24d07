"""Fixtures of the browser tests: one JupyterLab and one Chromium for the whole session, a notebook opener, and
screenshots that are listed at the end of the run.

The suite never skips for want of a browser: without Chromium or playwright every test fails with the exact way
to get them (``ui_server.HOW_TO_GET_CHROMIUM``); ``make ui-deps`` installs Chromium itself when it can.
Screenshots go to ``ui-screenshots/`` at the repository root (git-ignored), emptied at the start of each run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_notebook import NotebookPage
from ui_server import (
    HOW_TO_GET_CHROMIUM,
    ROOT,
    BrowserTestSetupError,
    JupyterLabServer,
    course_copy,
    find_chromium,
    launch_chromium,
)

SCREENSHOT_DIR = ROOT / "ui-screenshots"
SCREENSHOT_PROPERTY = "ui-screenshot"
VIEWPORT = {"width": 1400, "height": 1000}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List every screenshot the browser tests took (relative to the repository root), passed or failed."""
    shots = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "teardown"
        for name, value in getattr(report, "user_properties", ())
        if name == SCREENSHOT_PROPERTY
    ]
    if shots:
        terminalreporter.section(f"browser test screenshots ({len(shots)}, in {SCREENSHOT_DIR.name}/)")
        for shot in shots:
            terminalreporter.line(shot)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """``ui-screenshots/``, emptied of the previous run's pictures."""
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    for old in SCREENSHOT_DIR.glob("*.png"):
        old.unlink()
    return SCREENSHOT_DIR


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLabServer]:
    """JupyterLab on a free loopback port, serving a temporary copy of notebooks/, labs/ and manifests/."""
    base = tmp_path_factory.mktemp("jupyterlab")
    server = JupyterLabServer(root_dir=course_copy(base / "course"), state_dir=base / "state")
    problem = None
    try:
        server.start()
    except BrowserTestSetupError as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system's, through Playwright's executable_path)."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright

        executable = find_chromium()
    except ImportError as exc:
        problem = f"the Python package playwright is missing ({exc}).\n{HOW_TO_GET_CHROMIUM}"
    except BrowserTestSetupError as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright, executable)
        yield chromium
        chromium.close()


@pytest.fixture
def open_notebook(browser: Any, jupyterlab: JupyterLabServer) -> Iterator[Callable[[str], NotebookPage]]:
    """``open_notebook("labs/04-....ipynb")``: a fresh browser context showing that notebook, its kernel idle.

    Afterwards the contexts are closed and every kernel is shut down, so tests do not share kernel state.
    """
    contexts = []

    def open_(path: str) -> NotebookPage:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(60_000)
        contexts.append(context)
        return NotebookPage(context.new_page(), jupyterlab, path).open()

    yield open_
    for context in contexts:
        context.close()
    jupyterlab.shutdown_kernels()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, screenshot_dir: Path) -> Callable[..., Path]:
    """``screenshot(notebook_page, "what", cell=index)``: save the page (scrolled to ``cell``) under
    ``ui-screenshots/<test module>[-<parameters>]-<what>.png``, print its path and list it in the run's summary."""
    module = request.node.path.stem.removeprefix("test_")
    callspec = getattr(request.node, "callspec", None)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{module}-{callspec.id}" if callspec else module).strip("-")

    def take(notebook: NotebookPage, what: str, *, cell: int | None = None) -> Path:
        path = screenshot_dir / f"{stem}-{what}.png"
        if cell is not None:
            notebook.cell(cell).scroll_into_view_if_needed()
        notebook.page.screenshot(path=str(path))
        shown = path.relative_to(ROOT).as_posix()
        request.node.user_properties.append((SCREENSHOT_PROPERTY, shown))
        print(f"screenshot: {shown}")
        return path

    return take
