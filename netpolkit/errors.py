"""The one error type for bad input: :class:`PolicyError`; and :func:`excerpt`, how a message quotes a value."""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from netpolkit.limits import MAX_EXCERPT_CHARS, MAX_MESSAGE_CHARS

__all__ = ["PolicyError", "UnknownEndpointError", "Where", "elide", "excerpt"]


class _Excerpt(reprlib.Repr):
    """``repr`` bounded in depth, items and length; never sorts and never converts a huge int to decimal."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxtuple = self.maxlist = self.maxarray = self.maxdict = self.maxset = self.maxfrozenset = 4
        self.maxdeque = 4
        self.maxstring = self.maxother = MAX_EXCERPT_CHARS
        self.maxlong = 24

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 64:  # repr() of a number with thousands of digits is slow, or refused
            return f"<a number of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return repr(x)

    def repr_dict(self, x: Mapping[Any, Any], level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}" for k, v in islice(x.items(), self.maxdict)]
        return "{" + ", ".join(items) + (", ...}" if len(x) > self.maxdict else "}")

    def repr_set(self, x: Any, level: int) -> str:
        if not x:
            return "set()"
        return (
            "{"
            + ", ".join(self.repr1(v, level - 1) for v in islice(x, self.maxset))
            + (", ...}" if len(x) > 4 else "}")
        )

    repr_frozenset = repr_set


_EXCERPT = _Excerpt()


def excerpt(value: Any) -> str:
    """How an error message quotes a value: its ``repr``, elided to a short excerpt when long or deep.

    Every message that prints a value from the input goes through here, so no message grows with the input
    (a YAML alias bomb, a 10 MB label value): strings keep their head and tail around ``...``, lists and
    mappings their first items, numbers of more than 64 bits only their size.
    """
    if isinstance(value, str) and len(value) <= MAX_EXCERPT_CHARS:
        return repr(value)
    return elide(_EXCERPT.repr(value), MAX_EXCERPT_CHARS * 2)


def elide(text: str, limit: int = MAX_EXCERPT_CHARS) -> str:
    """``text``, or its head and tail around ``...`` when it is longer than ``limit`` characters."""
    if len(text) <= limit:
        return text
    head = max(limit - 20, limit // 2)
    return f"{text[:head]}...{text[len(text) - (limit - head - 3) :]}" if limit - head > 3 else text[:limit]


@dataclass(frozen=True, slots=True)
class Where:
    """Where an object came from: file, document index (and list item), object name."""

    file: str | None = None
    document: int | str | None = None
    obj: str | None = None

    def with_obj(self, obj: str) -> Where:
        """The same place, naming the object found there (``kind namespace/name``)."""
        return Where(self.file, self.document, obj)


class PolicyError(ValueError):
    """Bad input: names the file, the document, the object and the field path.

    ``str(error)`` reads like
    ``policies.yaml: document 2: NetworkPolicy shop/web: spec.ingress[0].ports[0].port: must be 1-65535, got 70000``.
    """

    def __init__(self, message: str, *, where: Where | None = None, path: str | None = None) -> None:
        self.message = elide(message, MAX_MESSAGE_CHARS)
        self.where = where or Where()
        self.path = elide(path, MAX_MESSAGE_CHARS) if path else None
        super().__init__(self._render())

    @property
    def file(self) -> str | None:
        """The file the bad object came from, if any."""
        return self.where.file

    @property
    def document(self) -> int | str | None:
        """The document index inside the file (0-based), if any."""
        return self.where.document

    @property
    def obj(self) -> str | None:
        """The object, as ``kind namespace/name``, if known."""
        return self.where.obj

    def _render(self) -> str:
        parts: list[str] = []
        if self.where.file:
            parts.append(elide(str(self.where.file), 512))
        if self.where.document is not None:
            parts.append(f"document {self.where.document}")
        if self.where.obj:
            parts.append(elide(self.where.obj, MAX_MESSAGE_CHARS))
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)


class UnknownEndpointError(KeyError):
    """An endpoint id that the cluster does not have; the message suggests near matches."""

    def __init__(self, endpoint: str, suggestions: tuple[str, ...] = ()) -> None:
        self.endpoint = endpoint
        self.suggestions = suggestions
        super().__init__(endpoint)

    def __str__(self) -> str:
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"no endpoint {excerpt(self.endpoint)} in this cluster{hint}"
