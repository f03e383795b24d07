"""The one error type for bad input: :class:`PolicyError`; and :func:`excerpt`, how a message quotes a value."""

from __future__ import annotations

import re
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
    """Where an object came from: file, document index (and list item), object name.

    ``document`` is an index from 0, as code counts: an int, or ``"<index>, items[<i>]"`` for an item of a
    ``kind: List`` (or another text naming the place, such as a live cluster's list). People read
    :attr:`document_text`, which counts documents from 1.
    """

    file: str | None = None
    document: int | str | None = None
    obj: str | None = None

    def with_obj(self, obj: str) -> Where:
        """The same place, naming the object found there (``kind namespace/name``)."""
        return Where(self.file, self.document, obj)

    @property
    def document_text(self) -> str | None:
        """The document as people read it, counted from 1 (the first document of a file is ``document 1``).

        ``"0, items[2]"`` reads ``document 1, items[2]``: an items index is a field path, counted from 0 like
        ``spec.ingress[0]``. Another text is shown as it is; None when the document is not known.
        """
        return _document_text(self.document)


def _document_text(document: int | str | None) -> str | None:
    if document is None:
        return None
    if isinstance(document, int):
        return f"document {document + 1}"
    head, comma, rest = document.partition(",")
    if re.fullmatch(r"[0-9]+", head.strip()):
        return f"document {int(head) + 1}{comma}{rest}"
    return f"document {document}"


class PolicyError(ValueError):
    """Bad input: names the file, the document, the object and the field path.

    ``str(error)`` reads like
    ``policies.yaml: document 2: NetworkPolicy shop/web: spec.ingress[0].ports[0].port: must be 1-65535, got 70000``
    for the second document of the file (documents counted from 1 where people read them; :attr:`document` is the
    index from 0).
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
        """The document index inside the file (from 0; the message counts from 1), if any."""
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
            parts.append(elide(self.where.document_text or "", MAX_MESSAGE_CHARS))
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
