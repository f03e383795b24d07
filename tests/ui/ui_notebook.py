"""A notebook open in JupyterLab, driven the way a participant drives it: menus, the keyboard, clicks.

:class:`NotebookPage` wraps a Playwright page showing one notebook. It reads everything back from the DOM
JupyterLab renders (prompts, output areas, images), so a test sees what a participant sees. The CSS classes used
here are JupyterLab 4's own (``jp-CodeCell``, ``jp-InputPrompt``, ``jp-OutputArea-output``, the kernel
``jp-Notebook-ExecutionIndicator`` with its ``data-status``) and Lumino's menus (``lm-MenuBar-item``).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

# Generous limits: two cores are shared with the rest of the test suite.
OPEN_TIMEOUT_MS = 90_000
RUN_TIMEOUT_MS = 240_000

STDERR_MIME = "application/vnd.jupyter.stderr"
# JupyterLab renders an error output (a traceback) with the stderr MIME type; these mark a real error.
ERROR_PATTERN = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b", re.MULTILINE)

_PROMPTS_JS = """
(panel) => [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(
    cell => ((cell.querySelector(':scope .jp-InputArea .jp-InputPrompt') || {}).textContent || '').trim())
"""
_CELLS_JS = """
([panel, stderrMime]) => [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].map((cell, index) => ({
    index,
    code: cell.classList.contains('jp-CodeCell'),
    prompt: (cell.querySelector(':scope .jp-InputArea .jp-InputPrompt') || {}).textContent || '',
    source: (cell.querySelector(':scope .jp-InputArea .cm-content') || {}).innerText || '',
    stderr: [...cell.querySelectorAll('.jp-OutputArea-output')]
        .filter(o => o.dataset.mimeType === stderrMime).map(o => o.innerText),
    images: [...cell.querySelectorAll('.jp-OutputArea-output img')].map(img => ({
        src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
    })),
    pngOutputs: cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/png"]').length,
}))
"""
# Done when some prompt shows a count that `before` lacks (counts only grow), none is queued or running, and the
# kernel indicator says idle. PROMPTS stands for _PROMPTS_JS.
_RUN_ENDED_JS = r"""
([panel, before]) => {
    const prompts = (PROMPTS)(panel);
    const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
    const fresh = prompts.some(p => /\[\d+\]/.test(p) && !before.includes(p));
    return fresh && !prompts.some(p => p.includes('*')) && indicator !== null && indicator.dataset.status === 'idle';
}
""".replace("PROMPTS", _PROMPTS_JS.strip())


@dataclass(frozen=True)
class CellView:
    """One cell as the browser shows it."""

    index: int
    code: bool
    prompt: str
    source: str
    stderr: tuple[str, ...]
    images: tuple[dict[str, Any], ...]
    png_outputs: int

    @property
    def executed(self) -> bool:
        """Whether the prompt shows an execution count, as in ``[3]:``."""
        return re.fullmatch(r"\[\d+\]:", self.prompt.strip()) is not None

    @property
    def errors(self) -> list[str]:
        """The stderr outputs that are errors (a traceback), not warnings."""
        return [text for text in self.stderr if ERROR_PATTERN.search(text)]

    def describe(self) -> str:
        """A one-line reference to the cell for failure messages."""
        first = self.source.strip().splitlines()[0] if self.source.strip() else "(empty)"
        return f"cell {self.index + 1} {self.prompt.strip() or '[ ]:'} {first[:80]!r}"


class NotebookPage:
    """One notebook open in JupyterLab in a Playwright ``page``; ``server`` is a ``ui_server.JupyterLabServer``."""

    def __init__(self, page: Any, server: Any, path: str) -> None:
        self.page = page
        self.server = server
        self.path = path

    # ---- opening and running -----------------------------------------------------------------------------

    def open(self) -> NotebookPage:
        """Open the notebook in a fresh workspace; wait until every cell is shown and its kernel is idle."""
        cell_count = len(self.server.api("GET", f"api/contents/{self.path}")["content"]["cells"])
        self.page.goto(self.server.url(f"lab/tree/{self.path}", reset=""))
        self.panel.wait_for(state="visible", timeout=OPEN_TIMEOUT_MS)
        self.page.wait_for_function(
            "([panel, count]) => panel.querySelectorAll('.jp-Notebook .jp-Cell').length === count",
            arg=[self.panel.element_handle(), cell_count],
            timeout=OPEN_TIMEOUT_MS,
        )
        self.wait_for_kernel_idle(OPEN_TIMEOUT_MS)
        return self

    @property
    def panel(self) -> Any:
        """The notebook panel (the visible one: the workspace holds only this notebook)."""
        return self.page.locator(".jp-NotebookPanel:visible").first

    def wait_for_kernel_idle(self, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
        """Wait until the server reports this notebook's kernel idle and the toolbar's kernel indicator agrees."""
        deadline = time.monotonic() + timeout_ms / 1000
        while not self._server_kernel_idle():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.path}: its kernel was not idle within {timeout_ms / 1000:.0f} s")
            self.page.wait_for_timeout(250)
        self.panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
            state="attached", timeout=timeout_ms
        )

    def _server_kernel_idle(self) -> bool:
        sessions = self.server.api("GET", "api/sessions") or ()
        return any(
            s.get("path") == self.path and (s.get("kernel") or {}).get("execution_state") == "idle" for s in sessions
        )

    def menu(self, top: str, item: str) -> None:
        """Click a menu entry, e.g. ``menu("Run", "Run All Cells")``."""
        self.page.locator(".lm-MenuBar-item").filter(has_text=re.compile(rf"^{re.escape(top)}$")).click()
        entry = self.page.locator(".lm-Menu:visible .lm-Menu-item").filter(
            has=self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$"))
        )
        entry.first.wait_for(state="visible")
        if "lm-mod-disabled" in (entry.first.get_attribute("class") or ""):
            raise AssertionError(f"{self.path}: the menu entry {top} > {item} is disabled")
        entry.first.click()

    def run_all(self, timeout_ms: int = RUN_TIMEOUT_MS) -> list[CellView]:
        """Run > Run All Cells, wait for the run to end, and return the cells."""
        before = self.prompts()
        self.menu("Run", "Run All Cells")
        return self.wait_for_run(before, timeout_ms)

    def run_cell(self, index: int, timeout_ms: int = RUN_TIMEOUT_MS) -> list[CellView]:
        """Select cell ``index`` (0-based) and Run > Run Selected Cell and Do not Advance; wait; return the cells."""
        self.select_cell(index)
        before = self.prompts()
        self.menu("Run", "Run Selected Cell and Do not Advance")
        return self.wait_for_run(before, timeout_ms)

    def prompts(self) -> list[str]:
        """The input prompts of the code cells, e.g. ``["[1]:", "[*]:", "[ ]:"]``."""
        return self.page.evaluate(_PROMPTS_JS, self.panel.element_handle())

    def wait_for_run(self, before: list[str], timeout_ms: int = RUN_TIMEOUT_MS) -> list[CellView]:
        """Wait until some prompt shows an execution count that ``before`` lacks (the run has started: counts only
        grow), no cell is queued or running (``[*]:``) and the kernel is idle; then until every image has loaded.
        Returns the cells."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        try:
            self._wait_for_run_end(before, timeout_ms)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"{self.path}: the run did not end within {timeout_ms / 1000:.0f} s; prompts now: {self.prompts()}"
            ) from None
        self.wait_for_images()
        return self.cells()

    def _wait_for_run_end(self, before: list[str], timeout_ms: int) -> None:
        self.page.wait_for_function(
            _RUN_ENDED_JS, arg=[self.panel.element_handle(), before], timeout=timeout_ms, polling=250
        )

    def wait_for_images(self, timeout_ms: int = 30_000) -> None:
        """Wait until every output image has finished loading (successfully or not)."""
        self.page.wait_for_function(
            "(panel) => [...panel.querySelectorAll('.jp-OutputArea-output img')].every(img => img.complete)",
            arg=self.panel.element_handle(),
            timeout=timeout_ms,
        )

    # ---- reading ---------------------------------------------------------------------------------------------

    def cells(self) -> list[CellView]:
        """Every cell as shown now."""
        raw = self.page.evaluate(_CELLS_JS, [self.panel.element_handle(), STDERR_MIME])
        return [
            CellView(
                index=c["index"],
                code=c["code"],
                prompt=c["prompt"],
                source=c["source"],
                stderr=tuple(c["stderr"]),
                images=tuple(c["images"]),
                png_outputs=c["pngOutputs"],
            )
            for c in raw
        ]

    def cell(self, index: int) -> Any:
        """The locator of cell ``index`` (0-based)."""
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(index)

    def find_cell(self, needle: str) -> int:
        """The index of the first code cell whose source contains ``needle``."""
        for view in self.cells():
            if view.code and needle in view.source:
                return view.index
        raise AssertionError(f"no code cell of {self.path} contains {needle!r}")

    def output_text(self, index: int) -> str:
        """The text of cell ``index``'s outputs."""
        return self.cell(index).locator(".jp-OutputArea").first.inner_text()

    # ---- editing ----------------------------------------------------------------------------------------------

    def select_cell(self, index: int) -> None:
        """Make cell ``index`` the active cell, in command mode."""
        self.cell(index).locator(".jp-InputPrompt").first.click()
        self.page.keyboard.press("Escape")

    def replace_source(self, index: int, text: str) -> None:
        """Replace cell ``index``'s source with ``text``, as a paste (no auto-indent, no auto-closed quotes)."""
        editor = self.cell(index).locator(".cm-content").first
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)
        self.page.keyboard.press("Escape")

    def activate(self) -> None:
        """Bring this notebook's tab to the front (after another document was opened next to it)."""
        name = self.path.rsplit("/", 1)[-1]
        self.page.locator(".jp-MainAreaWidget-tab, .lm-TabBar-tab").filter(has_text=name).first.click()
        self.panel.wait_for(state="visible")

    def open_output_link(self, index: int, href_part: str) -> None:
        """Click the link in cell ``index``'s output whose address contains ``href_part`` (JupyterLab opens the
        file in a new tab)."""
        self.cell(index).locator(f'.jp-OutputArea a[href*="{href_part}"]').first.click()

    def write_in_editor(self, path: str, text: str, timeout_ms: int = 30_000) -> None:
        """Replace the text of the file editor in front with ``text`` (as a paste), save with Ctrl+S and wait until
        the server holds the new content of ``path`` (relative to the server root)."""
        editor = self.page.locator(".jp-FileEditor:visible .cm-content").first
        editor.wait_for(state="visible", timeout=timeout_ms)
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)
        self.page.keyboard.press("ControlOrMeta+s")
        deadline = time.monotonic() + timeout_ms / 1000
        # Compared without leading and trailing blank lines, which the editor may normalise.
        while (
            saved := self.server.api("GET", f"api/contents/{path}?content=1").get("content")
        ).strip() != text.strip():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{path} does not hold the text typed into the editor {timeout_ms / 1000:.0f} s after Ctrl+S; "
                    f"it holds:\n{saved}"
                )
            self.page.wait_for_timeout(250)

    # ---- pictures ---------------------------------------------------------------------------------------------

    def screenshot_cell(self, index: int, path: str) -> None:
        """Scroll cell ``index`` into view and save a screenshot of the page."""
        self.cell(index).scroll_into_view_if_needed()
        self.page.screenshot(path=path)
