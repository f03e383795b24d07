"""YAML syntax errors in plain words: where the mistake is (line and column), what it is, and the line itself.

libyaml and PyYAML name the state their parser was in ("did not find expected key", "expected <block end>, but
found '<block mapping start>'"), not the mistake a person made. :func:`describe_syntax_error` turns the common
ones (indentation, tab characters, unclosed quotes and brackets, a missing ':', a list item where a mapping key
belongs) into a sentence, and points at the line where the fix goes, which is not always the line the parser
stopped on (a missing ':' shows up one line later).
"""

from __future__ import annotations

import yaml

from netpolkit.errors import excerpt

__all__ = ["describe_syntax_error"]

INDENTATION = "the indentation does not match the lines above (a key is indented more or less than its siblings)"
LIST_ITEM = (
    "a list item ('- ...') where a mapping key was expected: indent it like the other items of its list, below "
    "the key that holds the list"
)
TEXT_AFTER_VALUE = (
    "more text after a complete value on this line: quote the whole value, or move the text to a line of its own"
)
MORE_INDENTED = (
    "this line is indented more than the key above it, so it cannot start a key of its own (keys of one mapping "
    "start in the same column)"
)
SECOND_COLON = "a second ': ' on this line: a value that contains ': ' must be quoted ('a: b')"
NO_COLON_ABOVE = "this line has no ':' after its key (write 'key: value'), so the next line cannot be read"
NO_SPACE_ABOVE = "this line has no space after its ':' (write 'name: web', not 'name:web')"
NO_COLON = "a line with neither ':' (a key: value) nor '- ' (a list item): add what is missing"
TAB = "a tab character: YAML indents with spaces only, never tabs"
RESERVED = "a value cannot start with {char} (YAML reserves it): quote the value"
CANNOT_START = "{char} cannot start a value here: quote the value"
UNCLOSED_QUOTE = "the quote {char} that opens here is never closed: end the value with the same quote"
BAD_ESCAPE = "an unknown backslash escape in a double-quoted value: write \\\\ for a backslash, or use single quotes"
UNCLOSED_BRACKET = (
    "the {opener} that opens here is not closed by {closer} before {stop} (or two of its entries lack a ',' "
    "between them)"
)

_QUOTED = ("quoted scalar", "double-quoted scalar", "single-quoted scalar")


def describe_syntax_error(error: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """The line and column (1-based) of a YAML scanner or parser error in ``text``, and what is wrong there in plain
    words, ending with the line as written. A problem without plain words keeps the parser's own."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line, mark.column) if mark is not None else (0, 0)
    context_mark = error.context_mark
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    lines = _Lines(text)
    current = lines.get(line)
    char = current[column] if column < len(current) else ""

    words: str | None = None
    if "did not find expected key" in problem or "expected <block end>" in problem or "expected '-'" in problem:
        if char == "-" and current[column + 1 : column + 2] in ("", " ", "\t"):
            words = LIST_ITEM
        elif current[:column].strip():
            words = TEXT_AFTER_VALUE
        else:
            words = INDENTATION
    elif "mapping values are not allowed" in problem:
        before = current[:column]
        above = lines.previous(line)
        if ": " in before or ":\t" in before:
            words = SECOND_COLON
        elif above is not None and not _has_key(lines.get(above)):
            line, column = above, _indent(lines.get(above))
            words = NO_SPACE_ABOVE if ":" in lines.get(above) else NO_COLON_ABOVE
        else:
            column = _indent(current)
            words = MORE_INDENTED
    elif "tab" in problem or char == "\t":
        words = TAB
    elif "cannot start any token" in problem:
        shown = excerpt(char) if char else "this character"
        words = (RESERVED if char in "@`" and char else CANNOT_START).format(char=shown)
    elif any(kind in context for kind in _QUOTED) and context_mark is not None:
        if "end of stream" in problem or "document" in problem:
            line, column = context_mark.line, context_mark.column
            quote = lines.get(line)[column : column + 1]
            words = UNCLOSED_QUOTE.format(char=excerpt(quote or '"'))
        elif "escape" in problem:
            words = BAD_ESCAPE
    elif "flow mapping" in context or "flow sequence" in context:
        if "expected ','" in problem and context_mark is not None:
            opener, closer = ("'{'", "'}'") if "mapping" in context else ("'['", "']'")
            stop = f"line {line + 1}, column {column + 1}"
            line, column = context_mark.line, context_mark.column
            words = UNCLOSED_BRACKET.format(opener=opener, closer=closer, stop=stop)
    elif "could not find expected ':'" in problem and context_mark is not None:
        line, column = context_mark.line, context_mark.column
        words = NO_COLON
    if words is None:
        words = problem or context or "malformed"
        if context and problem:
            words = f"{problem} ({context})"
    shown_line = lines.get(line)
    if shown_line.strip():
        words = f"{words}; line {line + 1} reads {excerpt(shown_line)}"
    return line + 1, column + 1, words


def _has_key(line: str) -> bool:
    """Whether a line holds a ``key:`` (a colon followed by a space or the end of the line) or is a list item."""
    stripped = line.strip()
    return stripped.startswith("- ") or ": " in stripped or ":\t" in stripped or stripped.endswith(":")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Lines:
    """Lines of the text by 0-based number, found only when asked for (the text may be large)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]  # where lines 0, 1, ... start, as far as they were asked for

    def _start(self, number: int) -> int | None:
        while len(self.starts) <= number:
            found = self.text.find("\n", self.starts[-1])
            if found < 0:
                return None
            self.starts.append(found + 1)
        return self.starts[number]

    def get(self, number: int) -> str:
        """Line ``number`` without its line break ("" past the end)."""
        start = self._start(number)
        if start is None:
            return ""
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    def previous(self, number: int, *, within: int = 100) -> int | None:
        """The closest line above ``number`` (at most ``within`` lines up) with content that is not a comment."""
        for candidate in range(number - 1, max(-1, number - 1 - within), -1):
            stripped = self.get(candidate).strip()
            if stripped and not stripped.startswith("#"):
                return candidate
        return None
