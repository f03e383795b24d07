"""Strict, path-tracking access to one manifest document.

A :class:`Reader` wraps a mapping and the field path that leads to it, so every error names the exact field
(``spec.ingress[0].from[1].podSelector.matchExpressions[0].operator``). Unknown fields are errors, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from netpolkit.errors import PolicyError, Where, excerpt
from netpolkit.limits import MAX_EXCERPT_CHARS

__all__ = ["UNSUPPORTED_MODES", "Reader", "Unsupported", "describe"]

UNSUPPORTED_MODES = ("error", "ignore")

_MAX_KEY = 253 + 1 + 63  # the longest label key (prefix/name): longer keys are elided in field paths
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", list: "a list", dict: "a mapping"}


class Unsupported:
    """What to do with a feature that changes verdicts but that netpolkit does not model.

    ``mode="error"`` (the default everywhere): a :class:`PolicyError`. ``mode="ignore"``: go on without it, and keep
    a warning naming the object, the field and what was left out (``warnings``), which every result shows.
    """

    __slots__ = ("mode", "warnings")

    def __init__(self, mode: str = "error") -> None:
        if mode not in UNSUPPORTED_MODES:
            raise ValueError(f"unsupported must be one of {', '.join(map(repr, UNSUPPORTED_MODES))}, got {mode!r}")
        self.mode = mode
        self.warnings: list[str] = []


class Reader:
    """Read fields of one mapping; every error carries ``where`` and the full field path."""

    __slots__ = ("_index", "_key", "_parent", "_path", "data", "sink", "where")

    def __init__(
        self,
        data: Any,
        path: str | None,
        where: Where,
        sink: Unsupported | None = None,
        parent: Reader | None = None,
        key: str | None = None,
        index: int | None = None,
    ) -> None:
        """``path`` is the field path of ``data``; or None, with the ``parent`` Reader, the ``key`` of ``data`` in it
        and its ``index`` when that field is a list: then the path is only spelled out when an error needs it
        (most fields are read without one)."""
        self.data = data
        self._path = path
        self.where = where
        self.sink = sink
        self._parent, self._key, self._index = parent, key, index
        if type(data) is not dict and not isinstance(data, Mapping):  # the common case without the ABC check
            self.fail(f"expected a mapping, got {describe(data)}")

    @property
    def path(self) -> str:
        """The field path of this mapping in its document (``spec.ingress[0].from[1]``)."""
        if self._path is None:
            assert self._parent is not None and self._key is not None
            path = self._parent.sub(self._key)
            self._path = path if self._index is None else f"{path}[{self._index}]"
            self._parent = None  # no longer needed: let it go
        return self._path

    def sub(self, key: str | int) -> str:
        """The field path of ``key`` below this mapping (or list index); a long key is elided."""
        if type(key) is int:
            return f"{self.path}[{key}]"
        if len(key) > _MAX_KEY:
            key = excerpt(key)
        return f"{self.path}.{key}" if self.path else key

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        """Raise a :class:`PolicyError` at this mapping or at its field ``key``."""
        raise PolicyError(message, where=self.where, path=self.sub(key) if key is not None else self.path)

    def unsupported(self, message: str, key: str | None = None, *, ignored: str = "ignored") -> None:
        """A feature netpolkit does not model: a PolicyError, or (``unsupported="ignore"``) a kept warning.

        ``message`` says what is not modelled; ``ignored`` what netpolkit does instead when told to go on.
        """
        if self.sink is None or self.sink.mode == "error":
            self.fail(
                f"{message}: not modelled by netpolkit, so the verdicts would be wrong (load with "
                "unsupported='ignore', CLI --ignore-unsupported, to go on without it)",
                key=key,
            )
        error = PolicyError(
            f"{message}: not modelled, {ignored}", where=self.where, path=self.sub(key) if key else None
        )
        self.sink.warnings.append(str(error))

    def fail_at(self, path: str, message: str) -> NoReturn:
        """Raise a :class:`PolicyError` at an explicit field path."""
        raise PolicyError(message, where=self.where, path=path)

    def only(self, allowed: Iterable[str], *, ignore: Iterable[str] = ()) -> None:
        """Reject any field not in ``allowed`` (``ignore`` lists fields accepted and not read)."""
        known = set(allowed) | set(ignore)
        for key in self.data:
            if key not in known:
                text = key if isinstance(key, str) else excerpt(key)
                hint = _closest(text, known) if len(text) <= MAX_EXCERPT_CHARS else None
                extra = f" (did you mean {hint!r}?)" if hint else ""
                choices = ", ".join(sorted(set(allowed)))
                self.fail(f"unknown field {excerpt(key)}{extra}; expected one of: {choices}", key=text)

    def has(self, key: str) -> bool:
        """Whether the field is present and not null."""
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        """The field's raw value (``default`` when missing or null)."""
        value = self.data.get(key)
        return default if value is None else value

    def typed(self, key: str, kind: type, *, required: bool = False, default: Any = None) -> Any:
        """The field's value, checked to be of ``kind`` (``bool`` is never accepted as ``int``)."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail("required field is missing", key=key)
            return default
        if type(value) is kind:  # the common case, and never bool for int (bool is its own type)
            return value
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(f"expected {_TYPE_NAMES.get(kind, kind.__name__)}, got {describe(value)}", key=key)
        return value

    def string(self, key: str, *, required: bool = False, default: str | None = None) -> str | None:
        """A string field."""
        return self.typed(key, str, required=required, default=default)

    def child(self, key: str, *, required: bool = False) -> Reader | None:
        """A nested mapping as a Reader (``None`` when missing and not required)."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail("required field is missing", key=key)
            return None
        return Reader(value, None, self.where, self.sink, self, key)

    def list(self, key: str) -> list[Any] | None:
        """A list field (``None`` when missing or null)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(f"expected a list, got {describe(value)}", key=key)
        return value

    def children(self, key: str) -> list[Reader] | None:
        """A list of mappings as Readers (``None`` when missing or null)."""
        items = self.list(key)
        if items is None:
            return None
        where, sink = self.where, self.sink
        return [Reader(item, None, where, sink, self, key, i) for i, item in enumerate(items)]

    def string_map(self, key: str) -> dict[str, str]:
        """A mapping of strings to strings (labels, selectors); empty when missing."""
        value = self.data.get(key)
        if value is None:
            return {}
        if type(value) is not dict and not isinstance(value, Mapping):
            self.fail(f"expected a mapping, got {describe(value)}", key=key)
        out: dict[str, str] = {}
        for k, v in value.items():
            if type(k) is str and type(v) is str:  # the common case, checked without isinstance
                out[k] = v
                continue
            if not isinstance(k, str):
                self.fail(f"keys must be strings, got {describe(k)}", key=key)
            if not isinstance(v, str):
                self.fail(f"value must be a string, got {describe(v)} (quote it in YAML)", key=f"{key}.{k}")
            out[k] = v
        return out


def describe(value: Any) -> str:
    """A value's type and, for a scalar, an excerpt of it: ``string 'web'``, ``number 80``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, int | float):
        return f"number {excerpt(value)}"
    if isinstance(value, str):
        return f"string {excerpt(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"{type(value).__name__} {excerpt(value)}"


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return found[0] if found else None
