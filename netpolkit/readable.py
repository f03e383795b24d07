"""Tables people read: cell text without Python reprs, verdict words, percentages, plurals, and a Styler that fits.

The notebooks and labs show DataFrames to workshop participants in a JupyterLab output about 960 px wide. Raw
pandas shows ``(TCP/8080,)``, ``{'app': 'api'}``, ``0.166667``, ``NaN`` and ``True``, right-aligns headers over
left-aligned text and lets one long column push the others off the edge. This module turns values into the words
people say and draws a table that wraps long values inside fixed column widths::

    >>> cell_text(("TCP/80", "TCP/8080"))
    'TCP/80, TCP/8080'
    >>> cell_text({"app": "api", "tier": "backend"})
    'app=api, tier=backend'
    >>> percent(1 / 6), percent(float("nan"))
    ('17 %', '—')
    >>> plural(1, "policy", "policies"), plural(2, "policy", "policies")
    ('1 policy', '2 policies')

:func:`styled` returns a pandas Styler (left-aligned headers and text, ``white-space: pre-wrap``, long words
broken, column widths as given); :func:`readable` returns the same text as a plain DataFrame of strings.
Computation stays elsewhere: this module only formats what it is given.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import pandas as pd

from netpolkit.engine.explanation import Explanation, SideDecision

__all__ = [
    "MAX_ITEMS",
    "MISSING",
    "TABLE_WIDTH_PX",
    "cell_text",
    "ordered_sides",
    "percent",
    "plural",
    "readable",
    "reasons",
    "styled",
    "verdict",
]

MISSING = "—"
"""What a table shows for a missing value (NaN, None, an empty list) instead of ``NaN`` or ``()``."""
MAX_ITEMS = 8
"""A list with more items shows its first ``MAX_ITEMS - 1`` and ``... (N more)``: a cell stays a few lines high."""
TABLE_WIDTH_PX = 960
"""The width a styled table is laid out for: a JupyterLab notebook output on a laptop screen."""

WRONG_ROW_COLOR = "#F8D7C4"
"""Background of a row that a table marks as wrong (light vermillion, readable with black text)."""


def verdict(allowed: Any) -> str:
    """``"allowed"`` or ``"blocked"``: the words the tutorials use for a connection's verdict."""
    return "allowed" if bool(allowed) else "blocked"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun in the right number: ``1 policy``, ``2 policies``, ``1,000 pods``."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count:,} {word}"


def percent(fraction: Any) -> str:
    """A share as a rounded percentage: ``17 %``; ``<1 %`` / ``>99 %`` near the ends; :data:`MISSING` for NaN."""
    if fraction is None or _is_nan(fraction):
        return MISSING
    value = float(fraction) * 100
    if 0 < value < 0.5:
        return "<1 %"
    if 99.5 <= value < 100:
        return ">99 %"
    return f"{value:.0f} %"


def _is_nan(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def cell_text(value: Any) -> str:
    """How one value reads in a table: mappings as ``k=v, ...``, sequences joined by commas, no reprs.

    Missing values (None, NaN) and empty collections read :data:`MISSING`; a list of more than :data:`MAX_ITEMS`
    items its first ones and how many more; booleans ``yes`` / ``no``; whole
    floats without ``.0``, other floats with at most three decimals; anything else its ``str`` (a
    :class:`~netpolkit.model.ports.PortQuery` reads ``TCP/8080``).
    """
    if isinstance(value, str):
        return value
    if _is_nan(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value)}"
    if isinstance(value, Real):
        number = float(value)
        return f"{number:.0f}" if number.is_integer() else f"{number:.3f}".rstrip("0")
    if isinstance(value, Mapping):
        return ", ".join(f"{cell_text(k)}={cell_text(v)}" for k, v in value.items()) or MISSING
    if isinstance(value, Collection):
        items = list(sorted(value, key=str) if isinstance(value, set | frozenset) else value)
        shown = items if len(items) <= MAX_ITEMS else items[: MAX_ITEMS - 1]
        text = ", ".join(cell_text(v) for v in shown)
        return (f"{text}, ... ({len(items) - len(shown)} more)" if len(shown) < len(items) else text) or MISSING
    return str(value)


# ---- explanations -----------------------------------------------------------------------------------------------


def ordered_sides(explanation: Explanation) -> tuple[SideDecision, SideDecision]:
    """Both sides of a connection, the deciding one first.

    Blocked: the side that blocks comes first (the egress when both block). Allowed: a side that a rule of some
    policy allowed comes before one that nothing isolates (the ingress when both were decided by a rule), so the
    reason worth reading is never the one cut off.
    """
    egress, ingress = explanation.egress, explanation.ingress
    if not explanation.allowed:
        return (ingress, egress) if egress.allowed and not ingress.allowed else (egress, ingress)
    return (egress, ingress) if egress.policy and not ingress.policy else (ingress, egress)


def reasons(explanation: Explanation, sep: str = "\n") -> str:
    """The reasons of both sides in full, the deciding side first (:func:`ordered_sides`), joined by ``sep``."""
    lines = [str(side) for side in ordered_sides(explanation)]
    if explanation.note:
        lines.append(f"note: {explanation.note}")
    return sep.join(lines)


# ---- tables -----------------------------------------------------------------------------------------------------


def _with_index(frame: pd.DataFrame) -> pd.DataFrame:
    """A meaningful index (endpoint ids, ports) becomes the first column; an unnamed row number is dropped."""
    if frame.index.nlevels == 1 and frame.index.name is None and pd.api.types.is_integer_dtype(frame.index):
        return frame
    return frame.reset_index()


def _formatter(column: str, percent_columns: Collection[str]) -> Callable[[Any], str]:
    return percent if column in percent_columns else cell_text


def readable(frame: pd.DataFrame, *, percent_columns: Collection[str] = ("fraction", "share")) -> pd.DataFrame:
    """The text a table shows, as a DataFrame of strings (the index kept as a column when it means something)."""
    frame = _with_index(frame)
    return pd.DataFrame(
        {c: frame[c].map(_formatter(c, percent_columns)) for c in frame.columns}, index=frame.index, dtype=object
    )


_BREAK_AFTER = re.compile(r"(/|\.(?=[A-Za-z]))")


def _html_cell(text: str) -> str:
    """Escaped cell text, breakable after ``/`` and before a name's next part (``shop/web``, ``www.example.com``)."""
    return _BREAK_AFTER.sub(r"\1<wbr>", html.escape(text))


def _html_formatter(text_of: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda value: _html_cell(text_of(value))


def styled(
    frame: pd.DataFrame,
    *,
    widths: Mapping[str, float] | None = None,
    percent_columns: Collection[str] = ("fraction", "share"),
    wrong: Sequence[bool] | None = None,
    caption: str | None = None,
):
    """A Styler for a table people read in a notebook output of :data:`TABLE_WIDTH_PX` pixels.

    Headers and text are left-aligned and top-aligned, values wrap (``white-space: pre-wrap``, so a ``\\n`` in a
    value starts a new line; words too long for their column are broken). ``widths`` gives columns a share of
    the table width (``{"why": 0.32}``); the other columns share the rest. Values read as :func:`cell_text`
    (``percent_columns`` as :func:`percent`). ``wrong``: one flag per row; flagged rows get a light vermillion
    background. The underlying data is unchanged, so the Styler's ``.data`` still sorts and filters as numbers.
    """
    frame = _with_index(frame)
    columns = [str(c) for c in frame.columns]
    given = {str(k): float(v) for k, v in (widths or {}).items()}
    unknown = sorted(set(given) - set(columns))
    if unknown:
        raise KeyError(f"widths name no column of this table: {', '.join(unknown)}; columns: {', '.join(columns)}")
    if sum(given.values()) > 1.0 + 1e-9:
        raise ValueError(f"widths add up to {sum(given.values()):.2f}, more than the whole table (1.0)")
    rest = [c for c in columns if c not in given]
    share = (1.0 - sum(given.values())) / len(rest) if rest else 0.0
    cell = (
        "text-align: left; vertical-align: top; white-space: pre-wrap; overflow-wrap: anywhere; "
        "word-break: normal; padding: 0.25em 0.6em"
    )
    styles: list[dict[str, str]] = [
        {
            "selector": "",
            "props": f"width: 100%; max-width: {TABLE_WIDTH_PX}px; table-layout: fixed; border-collapse: collapse",
        },
        {"selector": "th", "props": f"{cell}; font-weight: bold; border-bottom: 1px solid #999"},
        {"selector": "td", "props": cell},
        {"selector": "caption", "props": "text-align: left; caption-side: top; font-weight: bold"},
    ]
    for i, column in enumerate(columns):
        styles.append({"selector": f".col{i}", "props": f"width: {100 * given.get(column, share):.1f}%"})
    styler = frame.style.hide(axis="index").set_table_styles(styles)
    for column in frame.columns:
        styler = styler.format(_html_formatter(_formatter(str(column), percent_columns)), subset=[column])
    if wrong is not None:
        flags = list(wrong)
        if len(flags) != len(frame):
            raise ValueError(f"wrong has {len(flags)} flags for a table of {len(frame)} rows")
        marked = pd.Series(flags, index=frame.index)
        styler = styler.apply(
            lambda row: [f"background-color: {WRONG_ROW_COLOR}" if marked[row.name] else ""] * len(row), axis=1
        )
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return styler
