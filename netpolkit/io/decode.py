"""Strict, bounded decoding of manifest text: YAML (libyaml when installed) and JSON, and bounded file reading.

Strict like the API server's decoder: a duplicate key is an error naming both lines (the API server's strict
decoding refuses it; a lenient reader would keep the last one, so two ``podSelector:`` keys could silently turn a
policy for one pod into one for every pod). JSON's ``NaN`` and ``Infinity`` are refused too, and YAML timestamps are
kept as the strings they are written as (Kubernetes reads ``2024-01-01`` as a string, not a date).

Bounded: every limit of :mod:`netpolkit.limits` (file size, object size, nesting depth, alias expansion) is checked
while reading, before the work it bounds is done, and is a :class:`~netpolkit.PolicyError` with the file, the
document, the object where known, the field path and the line.

YAML is composed by an iterative composer of netpolkit's own over libyaml's event parser (``yaml.CSafeLoader``'s
``CParser``), or over PyYAML's pure-Python parser when libyaml is missing; JSON by the C ``json`` decoder with an
``object_pairs_hook``. Finding the line of a JSON problem takes a second, slower pass over the one object it is in,
made only when there is an error.

Fast where it matters: with libyaml, a fast composer first builds the documents straight from the events (no
nodes, each distinct plain scalar resolved once) for what manifests and exports are made of; at anything else (an
explicit tag, a merge key, a complex key) or anything that is wrong, the text is read again by the full composer,
which decides and explains, so the two cannot disagree. A JSON value is walked for its depth only when it holds
more brackets than the depth limit. Syntax errors are worded by :mod:`netpolkit.io.yaml_syntax`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from netpolkit.errors import PolicyError, Where, elide, excerpt
from netpolkit.io.yaml_syntax import describe_syntax_error
from netpolkit.limits import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, MAX_OBJECT_CHARS

__all__ = ["LIBYAML", "decode", "decode_json_value", "read_file", "read_stream"]

try:
    from yaml.cyaml import CParser as _CParser

    LIBYAML = True
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None
    LIBYAML = False

_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_STR = "tag:yaml.org,2002:str"
_INT_DIGITS = 4300  # Python refuses to convert longer decimal integers (sys.get_int_max_str_digits)


# ---- reading --------------------------------------------------------------------------------------------------


def _too_big(size: str) -> str:
    limit = f"{MAX_FILE_BYTES / 1024**3:g} GiB" if MAX_FILE_BYTES >= 1024**3 else f"{MAX_FILE_BYTES:,} bytes"
    return f"is larger than {limit} ({size}), the most netpolkit reads from one file (see netpolkit.limits)"


def read_file(path: Path, name: str | None = None) -> str:
    """The UTF-8 text of a file, at most ``MAX_FILE_BYTES`` (devices and pipes included); PolicyError otherwise."""
    where = Where(name or str(path))
    try:
        with open(path, "rb") as handle:
            data = _read_bounded(handle, where)
    except FileNotFoundError:
        raise PolicyError("no such file or folder", where=where) from None
    except IsADirectoryError:
        raise PolicyError("is a folder, not a file", where=where) from None
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror or exc}", where=where) from None
    return _text(data, where)


def read_stream(stream: IO[Any], name: str = "<stdin>") -> str:
    """The text of a stream (standard input), at most ``MAX_FILE_BYTES``; PolicyError otherwise."""
    where = Where(name)
    source = getattr(stream, "buffer", stream)
    try:
        data = _read_bounded(source, where)
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror or exc}", where=where) from None
    except UnicodeDecodeError as exc:
        raise PolicyError(f"not UTF-8 text: {exc.reason} at byte {exc.start}", where=where) from None
    return _text(data, where) if isinstance(data, bytes) else data


_CHUNK = 16 * 1024**2


def _read_bounded(handle: Any, where: Where) -> bytes | str:
    """Read in chunks: stop past MAX_FILE_BYTES, or at a NUL (``/dev/zero``, a disk image: not YAML or JSON)."""
    chunks: list[Any] = []
    total = 0
    while chunk := handle.read(_CHUNK):
        nul = chunk.find(b"\0" if isinstance(chunk, bytes) else "\0")
        if nul >= 0:
            raise PolicyError(f"byte {total + nul}: a NUL character: not a YAML or JSON text file", where=where)
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise PolicyError(_too_big("more"), where=where)
        chunks.append(chunk)
    if not chunks:
        return b""
    return chunks[0][:0].join(chunks)


def _text(data: bytes, where: Where) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PolicyError(f"line {line}: not UTF-8 text: {exc.reason} at byte {exc.start}", where=where) from None
    return text[1:] if text.startswith("\ufeff") else text


# ---- decoding -------------------------------------------------------------------------------------------------


def decode(text: str, name: str = "<text>", *, as_json: bool | None = None) -> list[Any]:
    """The documents of ``text``: JSON (one document) when ``as_json`` or ``name`` ends in ``.json``, else YAML.

    Each document is plain data (dicts, lists, strings, numbers, booleans, None). Raises PolicyError on invalid
    text, a duplicate key, or a limit of :mod:`netpolkit.limits` exceeded.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if len(text) > MAX_FILE_BYTES:
        raise PolicyError(_too_big(f"{len(text):,} characters"), where=Where(name))
    if as_json is None:
        as_json = name.lower().endswith(".json")
    return [_decode_json(text, name)] if as_json else _decode_yaml(text, name)


def _at(line: int, column: int) -> str:
    return f"line {line}, column {column}"


def _size(chars: int) -> str:
    return f"{chars / 1024**2:g} MiB" if chars >= 1024**2 else f"{chars:,} characters"


def _object_too_big(chars: int) -> str:
    return (
        f"this object is {chars:,} characters long; netpolkit reads objects of at most {_size(MAX_OBJECT_CHARS)} "
        "(the API server refuses requests over 3 MiB)"
    )


def _too_deep() -> str:
    return f"nested more than {MAX_DEPTH} levels deep (mappings and lists), the most netpolkit reads"


def _item_where(name: str, document: int, path: list[str | int], kind: str | None) -> tuple[Where, str | None]:
    """Where a problem at ``path`` of a document is: inside a List's item, the item is the document."""
    if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int) and (kind is None or kind.endswith("List")):
        return Where(name, f"{document}, items[{path[1]}]"), _path(path[2:])
    return Where(name, document), _path(path)


def _path(parts: list[str | int]) -> str | None:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return elide(out, 160) or None


# ---- YAML -------------------------------------------------------------------------------------------------------


def _decode_yaml(text: str, name: str) -> list[Any]:
    if _CParser is not None:
        try:
            return _fast_yaml(text)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception:  # anything unusual or wrong: the full composer reads it, or says why not
            pass
    return _full_yaml(text, name)


def _full_yaml(text: str, name: str) -> list[Any]:
    """Every YAML feature, every limit, every error with its line: netpolkit's composer over libyaml's events."""
    loader = None
    try:
        loader = (_CLoader if _CParser is not None else _PyLoader)(text)
        loader.npk_name = name
        documents = []
        while loader.check_data():
            documents.append(loader.get_data())
        return documents
    except (yaml.scanner.ScannerError, yaml.parser.ParserError) as exc:  # the syntax: said in plain words
        line, column, words = describe_syntax_error(exc, text)
        raise PolicyError(f"{_at(line, column)}: invalid YAML: {elide(words, 500)}", where=Where(name)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{_at(mark.line + 1, mark.column + 1)}: " if mark is not None else ""
        problem = elide(exc.problem or exc.context or "malformed", 300)
        raise PolicyError(f"{line}invalid YAML: {problem}", where=Where(name)) from None
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        raise PolicyError(f"invalid YAML: {' '.join(str(exc).split())}", where=Where(name)) from None
    except UnicodeEncodeError as exc:  # a lone surrogate in the text given to read_text (libyaml encodes it)
        raise PolicyError(f"invalid text: {exc.reason} at character {exc.start}", where=Where(name)) from None
    finally:
        if loader is not None:
            loader.dispose()


class _UnusualError(Exception):
    """What the fast composer leaves to the full one: an anchor, alias, tag, merge key, complex key, or a problem."""


_NO_KEY = object()
_PLAIN_CACHE_MAX = 100_000


def _fast_yaml(text: str) -> list[Any]:
    """The documents of ``text`` built straight from libyaml's events, for the YAML that manifests and exports are
    made of: mappings, sequences, plain and quoted scalars, anchors and aliases.

    Raises :class:`_UnusualError` (or the parser's own error) at anything else (an explicit tag, a merge key, a key
    that is not a scalar) and at anything the full composer would refuse (a duplicate key or anchor, an undefined or
    recursive alias, aliases expanding past ``MAX_ALIAS_NODES``, nesting deeper than ``MAX_DEPTH``, an object over
    ``MAX_OBJECT_CHARS``, a scalar the constructor refuses): the caller then reads the text again with
    :func:`_full_yaml`, which decides and explains. So both always agree, and the fast path needs no error messages
    of its own. Plain scalars are resolved (null, bool, int, float; timestamps kept as text) once per distinct text.
    """
    parser = _CParser(text)
    get_event = parser.get_event
    plain: dict[str, Any] = {}  # plain scalar text -> its value
    documents: list[Any] = []
    # Open collections: (the dict or list, is it a dict, start index, anchor). Pending keys of the open dicts: ``keys``.
    stack: list[tuple[Any, bool, int, str | None]] = []
    keys: list[Any] = []
    anchors: dict[str, list[Any]] = {}  # anchor -> [value, start, end, expanded size or None]; None while open
    aliased = 0  # nodes that aliases add in this file, as the full composer counts them
    root: Any = None
    root_start = root_end = 0
    items: list[Any] | None = None  # the root mapping's ``items`` sequence
    spans: list[int] = []  # the length in characters of each element of ``items``
    try:
        while True:
            event = get_event()
            cls = type(event)
            if cls is ScalarEvent:
                if event.tag is not None:
                    raise _UnusualError
                if event.implicit[0]:
                    text_value = event.value
                    value = plain.get(text_value, _NO_KEY)
                    if value is _NO_KEY:
                        value = _plain_scalar(text_value)
                        if len(plain) >= _PLAIN_CACHE_MAX:
                            plain.clear()
                        plain[text_value] = value
                else:
                    value = event.value
                start, end = event.start_mark.index, event.end_mark.index
                if event.anchor is not None:
                    if event.anchor in anchors:
                        raise _UnusualError
                    anchors[event.anchor] = [value, start, end, 1]
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                anchor = event.anchor
                if event.tag is not None or len(stack) >= MAX_DEPTH or (anchor is not None and anchor in anchors):
                    raise _UnusualError
                is_map = cls is MappingStartEvent
                value = {} if is_map else []
                start = event.start_mark.index
                if anchor is not None:
                    anchors[anchor] = [value, start, start, None]
                if not stack:
                    root, root_start = value, start
                else:
                    parent, parent_is_map, _, _ = stack[-1]
                    if parent_is_map:
                        key = keys[-1]
                        if key is _NO_KEY:  # a collection as a key
                            raise _UnusualError
                        parent[key] = value
                        keys[-1] = _NO_KEY
                        if len(stack) == 1 and key == "items" and not is_map:
                            items = value
                    else:
                        parent.append(value)
                stack.append((value, is_map, start, anchor))
                if is_map:
                    keys.append(_NO_KEY)
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                value, is_map, start, anchor = stack.pop()
                if is_map and keys.pop() is not _NO_KEY:  # pragma: no cover - the parser pairs keys and values
                    raise _UnusualError
                end = event.end_mark.index
                if anchor is not None:
                    anchors[anchor][2] = end
                    anchors[anchor][3] = _expanded_size(value, MAX_ALIAS_NODES - aliased)
                if not stack:
                    root_end = end
                elif stack[-1][0] is items:
                    spans.append(end - start)
                continue
            elif cls is AliasEvent:
                target = anchors.get(event.anchor)
                if target is None or target[3] is None:  # undefined, or inside the node it names
                    raise _UnusualError
                value, start, end, size = target
                aliased += size
                if aliased > MAX_ALIAS_NODES:
                    raise _UnusualError
            elif cls is DocumentStartEvent:
                root, items, spans, anchors = None, None, [], {}
                continue
            elif cls is DocumentEndEvent:
                _check_fast_document(root, items, spans, root_end - root_start)
                documents.append(root)
                continue
            elif cls is StreamEndEvent:
                return documents
            else:  # the stream's start
                continue
            # a scalar or an alias: the root, a list element, a key, or a value
            if not stack:
                root, root_start, root_end = value, start, end
                continue
            parent, parent_is_map, _, _ = stack[-1]
            if not parent_is_map:
                parent.append(value)
                if parent is items:
                    spans.append(end - start)
            elif keys[-1] is _NO_KEY:
                if value in parent:  # a duplicate key (or an unhashable one: a TypeError)
                    raise _UnusualError
                keys[-1] = value
            else:
                parent[keys[-1]] = value
                keys[-1] = _NO_KEY
    finally:
        parser.dispose()


def _expanded_size(value: Any, budget: int) -> int:
    """Nodes in a composed value, aliases expanded (a mapping counts itself, its keys and its values' nodes), as the
    full composer counts them; _UnusualError past ``budget``, so an alias bomb is never walked to its end."""
    size = 0
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        size += 1
        if type(node) is dict:
            size += len(node)
            for child in node.values():
                if type(child) is dict or type(child) is list:
                    push(child)
                else:
                    size += 1
        elif type(node) is list:
            for child in node:
                if type(child) is dict or type(child) is list:
                    push(child)
                else:
                    size += 1
        if size > budget:
            raise _UnusualError
    return size


def _plain_scalar(text: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar, resolved and constructed as the full composer does."""
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))
    if tag in _STR_LIKE:  # a string; a timestamp is kept as the text it is written as
        return text
    if tag not in _SCALAR_TAGS:  # the merge key "<<" and the value key "="
        raise _UnusualError
    # The constructor's own function for the tag, called directly: construct_object would remember every node.
    return _SCALARS.yaml_constructors[tag](_SCALARS, ScalarNode(tag, text))


def _check_fast_document(root: Any, items: list[Any] | None, spans: list[int], root_chars: int) -> None:
    """Leave an object over ``MAX_OBJECT_CHARS`` to the full composer (measured as it measures them)."""
    kind = root.get("kind") if type(root) is dict else None
    if items is not None and type(kind) is str and kind.endswith("List"):
        if any(chars > MAX_OBJECT_CHARS for chars in spans):
            raise _UnusualError
    elif root_chars > MAX_OBJECT_CHARS:
        raise _UnusualError


class _Open:
    """A mapping or sequence being composed."""

    __slots__ = ("anchor", "is_map", "key", "keys", "node", "size")

    def __init__(self, node: Node, anchor: str | None, is_map: bool) -> None:
        self.node, self.anchor, self.is_map = node, anchor, is_map
        self.key: Node | None = None  # a mapping's key waiting for its value
        self.keys: dict[Any, Node] = {}
        self.size = 1  # nodes, aliases expanded


class _Composer:
    """PyYAML's composer, iterative and bounded: depth, alias expansion, object size; duplicate keys refused."""

    npk_name = "<text>"

    def __init__(self) -> None:
        self.anchors: dict[str, Node] = {}
        self.npk_sizes: dict[str, int] = {}  # anchor -> expanded size, once its node is complete
        self.npk_aliased = 0
        self.npk_document = 0
        self.npk_duplicate: tuple[list[str | int], Any, str] | None = None

    # The three entry points of yaml's Composer (check_node, get_node, get_single_node).

    def check_node(self) -> bool:
        if self.check_event(yaml.StreamStartEvent):
            self.get_event()
        return not self.check_event(yaml.StreamEndEvent)

    def get_node(self) -> Node | None:
        if not self.check_event(yaml.StreamEndEvent):
            return self.compose_document()
        return None

    def get_single_node(self) -> Node | None:
        self.get_event()
        node = None
        if not self.check_event(yaml.StreamEndEvent):
            node = self.compose_document()
        if not self.check_event(yaml.StreamEndEvent):
            event = self.get_event()
            raise yaml.composer.ComposerError(
                "expected a single document in the stream", None, "but found another document", event.start_mark
            )
        self.get_event()
        return node

    def compose_document(self) -> Node:
        self.get_event()  # DocumentStartEvent
        node = self._compose()
        self.get_event()  # DocumentEndEvent
        if self.npk_duplicate is not None:
            self._raise(node, *self.npk_duplicate, [])
        self._check_object_size(node)
        self.anchors, self.npk_sizes = {}, {}
        self.npk_document += 1
        return node

    def _compose(self) -> Node:
        stack: list[_Open] = []
        while True:
            event = self.get_event()
            cls = type(event)
            size = 1
            if cls is ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":
                    tag = self.resolve(ScalarNode, event.value, event.implicit)
                node: Node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                self._anchor(event, node, stack)
                if event.anchor is not None:
                    self.npk_sizes[event.anchor] = 1
            elif cls is SequenceStartEvent or cls is MappingStartEvent:
                if len(stack) >= MAX_DEPTH:
                    self._fail(stack, event.start_mark, _too_deep())
                tag = event.tag
                is_map = cls is MappingStartEvent
                kind = MappingNode if is_map else SequenceNode
                if tag is None or tag == "!":
                    tag = self.resolve(kind, None, event.implicit)
                node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
                self._anchor(event, node, stack)
                stack.append(_Open(node, event.anchor, is_map))
                continue
            elif cls is SequenceEndEvent or cls is MappingEndEvent:
                done = stack.pop()
                node, size = done.node, done.size
                node.end_mark = event.end_mark
                if done.anchor is not None:
                    self.npk_sizes[done.anchor] = size
            elif cls is AliasEvent:
                anchor = event.anchor
                if anchor not in self.anchors:
                    raise yaml.composer.ComposerError(
                        None, None, f"found undefined alias {excerpt(anchor)}", event.start_mark
                    )
                if anchor not in self.npk_sizes:
                    shown = excerpt(anchor)[1:-1]
                    self._fail(stack, event.start_mark, f"the alias *{shown} is inside the node it names (recursive)")
                node, size = self.anchors[anchor], self.npk_sizes[anchor]
                self.npk_aliased += size
                if self.npk_aliased > MAX_ALIAS_NODES:
                    self._fail(
                        stack,
                        event.start_mark,
                        f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes in this file, the most netpolkit "
                        "reads (an alias counts as every node it repeats)",
                    )
            else:  # pragma: no cover - the parser emits nothing else inside a document
                raise yaml.composer.ComposerError(None, None, f"unexpected {cls.__name__}", event.start_mark)
            if not stack:
                return node
            parent = stack[-1]
            parent.size += size
            if not parent.is_map:
                parent.node.value.append(node)
            elif parent.key is None:
                if isinstance(node, ScalarNode) and node.tag != _MERGE:
                    self._check_key(parent, node, stack)
                parent.key = node
            else:
                parent.node.value.append((parent.key, node))
                parent.key = None

    def _anchor(self, event: Any, node: Node, stack: list[_Open]) -> None:
        anchor = event.anchor
        if anchor is None:
            return
        if anchor in self.anchors:
            first = self.anchors[anchor].start_mark
            self._fail(
                stack,
                event.start_mark,
                f"duplicate anchor &{excerpt(anchor)[1:-1]} (first at {_at(first.line + 1, first.column + 1)})",
            )
        self.anchors[anchor] = node

    def _check_key(self, parent: _Open, node: ScalarNode, stack: list[_Open]) -> None:
        # The key as the constructor reads it ("a" and 'a' are one key); cached, so constructing the document reuses it.
        key = node.value if node.tag in (_STR, _VALUE) else self.construct_object(node)
        try:
            first = parent.keys.get(key)
        except TypeError:  # unhashable: the constructor says so with the line
            return
        if first is not None:
            if self.npk_duplicate is None:  # raised once the document is composed, to name its object
                mark = first.start_mark
                message = (
                    f"duplicate key {excerpt(key)} (first at {_at(mark.line + 1, mark.column + 1)}): the API "
                    "server refuses duplicate fields, and which one wins would decide what the object means"
                )
                self.npk_duplicate = (self._parts(stack, key), node.start_mark, message)
            return
        parent.keys[key] = node

    def _fail(self, stack: list[_Open], mark: Any, message: str, *, key: Any = None) -> NoReturn:
        """Raise a PolicyError at ``mark`` inside the open collections ``stack``."""
        root = stack[0].node if stack else None
        self._raise(root, self._parts(stack, key), mark, message, stack)

    @staticmethod
    def _parts(stack: list[_Open], key: Any) -> list[str | int]:
        """The field path to where the composer is, as keys and indexes."""
        parts: list[str | int] = []
        for frame in stack:
            if frame.is_map:
                if frame.key is not None:
                    parts.append(_key_text(frame.key))
            else:
                parts.append(len(frame.node.value))
        if key is not None:
            parts.append(key if isinstance(key, str) else excerpt(key))
        return parts

    def _raise(
        self, root: Node | None, parts: list[str | int], mark: Any, message: str, stack: list[_Open]
    ) -> NoReturn:
        kind = _scalar(root, "kind")
        where, path = _item_where(self.npk_name, self.npk_document, parts, kind)
        item = root
        if isinstance(where.document, str):  # inside items[i]: the item is the object
            items, index = _value(root, "items"), parts[1]
            assert isinstance(index, int)
            if isinstance(items, SequenceNode) and index < len(items.value):
                item = items.value[index]
            else:  # still being composed
                item = stack[2].node if len(stack) > 2 else None
        label = _identity(item, kind, {id(frame.node) for frame in stack})
        if label:
            where = where.with_obj(label)
        raise PolicyError(f"{_at(mark.line + 1, mark.column + 1)}: {message}", where=where, path=path)

    def _check_object_size(self, root: Node) -> None:
        items = _value(root, "items")
        kind = _scalar(root, "kind")
        if isinstance(items, SequenceNode) and isinstance(kind, str) and kind.endswith("List"):
            for i, item in enumerate(items.value):
                chars = item.end_mark.index - item.start_mark.index
                if chars > MAX_OBJECT_CHARS:
                    where = Where(self.npk_name, f"{self.npk_document}, items[{i}]")
                    label = _identity(item, kind)
                    mark = item.start_mark
                    raise PolicyError(
                        f"{_at(mark.line + 1, mark.column + 1)}: {_object_too_big(chars)}",
                        where=where.with_obj(label) if label else where,
                    )
            return
        chars = root.end_mark.index - root.start_mark.index
        if chars > MAX_OBJECT_CHARS:
            where = Where(self.npk_name, self.npk_document)
            label = _identity(root, None)
            mark = root.start_mark
            raise PolicyError(
                f"{_at(mark.line + 1, mark.column + 1)}: {_object_too_big(chars)}",
                where=where.with_obj(label) if label else where,
            )


def _key_text(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return node.value if len(node.value) <= 253 else excerpt(node.value)
    return f"<{node.id} key>"


def _value(node: Node | None, key: str) -> Node | None:
    """The value node of the plain key ``key`` in a mapping node (composed so far), or None."""
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return v
    return None


def _scalar(node: Node | None, key: str) -> str | None:
    value = _value(node, key)
    return value.value if isinstance(value, ScalarNode) else None


def _identity(node: Node | None, list_kind: str | None, open_nodes: set[int] | None = None) -> str | None:
    """``Kind namespace/name`` of an object node; None when its kind or its complete metadata is not known yet."""
    kind = _scalar(node, "kind")
    if kind is None and list_kind and list_kind.endswith("List") and list_kind != "List":
        kind = list_kind[: -len("List")]
    meta = _value(node, "metadata")
    if meta is None or id(meta) in (open_nodes or ()):
        return None
    name, namespace = _scalar(meta, "name"), _scalar(meta, "namespace")
    if not kind or not name or len(kind) > 63:
        return None
    return f"{kind} {excerpt(namespace)[1:-1] + '/' if namespace else ''}{excerpt(name)[1:-1]}"


class _Constructor(SafeConstructor):
    """SafeConstructor, with timestamps kept as strings (as Kubernetes reads them) and int conversion bounded."""

    def construct_bounded_int(self, node: ScalarNode) -> int:
        digits = node.value.lstrip("+-").replace("_", "")
        if len(digits) > _INT_DIGITS and not digits.startswith(("0b", "0x")) and digits[:1] != "0":
            raise ConstructorError(
                None, None, f"an integer of {len(digits):,} digits is too long to read", node.start_mark
            )
        try:
            return self.construct_yaml_int(node)
        except ValueError:  # a sexagesimal part too long
            raise ConstructorError(None, None, "an integer too long to read", node.start_mark) from None


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_bounded_int)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)

# What the fast composer resolves plain scalars with: the full composer's resolver and constructor.
_RESOLVER = Resolver()
_SCALARS = _Constructor()
_STR_LIKE = frozenset({_STR, "tag:yaml.org,2002:timestamp"})
_SCALAR_TAGS = frozenset(
    {"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
)


class _PyLoader(
    yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, _Composer, _Constructor, Resolver
):  # pragma: no cover - used when PyYAML has no libyaml
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _Composer.__init__(self)
        _Constructor.__init__(self)
        Resolver.__init__(self)


if _CParser is not None:

    class _CLoader(_Composer, _CParser, _Constructor, Resolver):
        """libyaml's scanner and parser (C), netpolkit's composer, PyYAML's safe constructor."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _Composer.__init__(self)
            _Constructor.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover
    _CLoader = _PyLoader


# ---- JSON -------------------------------------------------------------------------------------------------------


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant)
_WS = re.compile(r"[ \t\n\r]*")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]|[^\s{}\[\],:"]+')


def _decode_json(text: str, name: str) -> Any:
    """One JSON document; a top-level ``items`` list is decoded item by item, so each item's size is known."""
    start = _WS.match(text).end()
    if start == len(text):
        raise PolicyError(f"{_at(1, 1)}: invalid JSON: no value (the text is empty)", where=Where(name))
    spans: list[tuple[int, int]] = []
    if text.startswith("{", start):
        document, end, spans = _top_object(text, name, start)
    else:
        document, end = _value_at(text, name, start, [], None)
    kind = document.get("kind") if isinstance(document, dict) else None
    if isinstance(kind, str) and kind.endswith("List") and isinstance(document.get("items"), list):
        for i, (item_start, item_end) in enumerate(spans):
            if item_end - item_start > MAX_OBJECT_CHARS:
                line, column = _line_column(text, item_start)
                where = Where(name, f"0, items[{i}]")
                raise PolicyError(f"{_at(line, column)}: {_object_too_big(item_end - item_start)}", where=where)
    elif end - start > MAX_OBJECT_CHARS:
        line, column = _line_column(text, start)
        raise PolicyError(f"{_at(line, column)}: {_object_too_big(end - start)}", where=Where(name, 0))
    end = _WS.match(text, end).end()
    if end != len(text):
        _json_syntax(text, name, end, "extra data after the document")
    return document


def _top_object(text: str, name: str, start: int) -> tuple[dict[str, Any], int, list[tuple[int, int]]]:
    """Decode the top-level object at ``start``: its members one by one, the elements of ``items`` one by one."""
    obj: dict[str, Any] = {}
    spans: list[tuple[int, int]] = []
    i = _WS.match(text, start + 1).end()
    if text.startswith("}", i):
        return obj, i + 1, spans
    while True:
        if not text.startswith('"', i):
            _json_syntax(text, name, i, "Expecting property name enclosed in double quotes")
        try:
            key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            _json_syntax(text, name, exc.pos, exc.msg)
        if key in obj:
            _locate(text, name, start, [], None, fallback=_DuplicateKeyError(key))
        i = _WS.match(text, i).end()
        if not text.startswith(":", i):
            _json_syntax(text, name, i, "Expecting ':' delimiter")
        i = _WS.match(text, i + 1).end()
        if key == "items" and text.startswith("[", i):
            obj[key], i, spans = _items(text, name, i)
        else:
            obj[key], i = _value_at(text, name, i, [key], None)
        i = _WS.match(text, i).end()
        if text.startswith(",", i):
            i = _WS.match(text, i + 1).end()
            continue
        if text.startswith("}", i):
            return obj, i + 1, spans
        _json_syntax(text, name, i, "Expecting ',' delimiter")


def _items(text: str, name: str, start: int) -> tuple[list[Any], int, list[tuple[int, int]]]:
    items: list[Any] = []
    spans: list[tuple[int, int]] = []
    i = _WS.match(text, start + 1).end()
    if text.startswith("]", i):
        return items, i + 1, spans
    while True:
        value, end = _value_at(text, name, i, ["items", len(items)], len(items))
        items.append(value)
        spans.append((i, end))
        i = _WS.match(text, end).end()
        if text.startswith(",", i):
            i = _WS.match(text, i + 1).end()
            continue
        if text.startswith("]", i):
            return items, i + 1, spans
        _json_syntax(text, name, i, "expected ',' delimiter")


def decode_json_value(text: str, name: str = "<text>") -> Any:
    """One small JSON value, such as a JSON Lines record: C speed, with :func:`decode`'s strictness and errors
    (duplicate keys, NaN, nesting deeper than ``MAX_DEPTH``, where the syntax breaks)."""
    value, end = _value_at(text, name, _WS.match(text).end(), [], None)
    end = _WS.match(text, end).end()
    if end != len(text):
        _json_syntax(text, name, end, "extra data after the document")
    return value


def _value_at(text: str, name: str, start: int, path: list[str | int], item: int | None) -> tuple[Any, int]:
    """Decode the value at ``start`` (C speed); locate any problem in it by a second pass."""
    base = len(path)  # collections enclosing the value: the top object, and the items list
    try:
        value, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        _json_syntax(text, name, exc.pos, exc.msg)
    except (_DuplicateKeyError, RecursionError, ValueError) as exc:
        _locate(text, name, start, path, item, fallback=exc)
    # A value cannot nest deeper than the brackets it contains: count them (C speed) before walking it.
    if (
        text.count("{", start, end) + text.count("[", start, end) + base > MAX_DEPTH
        and _depth(value) + base > MAX_DEPTH
    ):
        _locate(text, name, start, path, item, fallback=None)
    return value, end


def _depth(root: Any) -> int:
    """Nesting depth of decoded JSON (a scalar 0, ``[]`` 1), without recursion."""
    deepest = 0
    stack = [(root, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        if type(value) is dict:
            value = value.values()
        elif type(value) is not list:
            continue
        if depth > deepest:
            deepest = depth
        for child in value:
            if type(child) is dict or type(child) is list:
                push((child, depth + 1))
    return deepest


def _json_syntax(text: str, name: str, pos: int, msg: str) -> NoReturn:
    line, column = _line_column(text, pos)
    raise PolicyError(f"{_at(line, column)}: invalid JSON: {msg}", where=Where(name))


def _line_column(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _locate(
    text: str, name: str, start: int, path: list[str | int], item: int | None, *, fallback: BaseException | None
) -> NoReturn:
    """Find the first problem in the JSON value at ``start`` (slow, only after the fast decoder failed)."""
    where = Where(name, 0 if item is None else f"0, items[{item}]")
    prefix = path if item is None else []
    for line, column, at, detail in _scan(text, start, len(path)):
        raise PolicyError(f"{_at(line, column)}: {detail}", where=where, path=_path([*prefix, *at]))
    # Not found again (should not happen): report what the decoder said, without a line.
    if isinstance(fallback, _DuplicateKeyError):
        message = f"duplicate key {excerpt(fallback.key)}"
    elif isinstance(fallback, RecursionError) or fallback is None:
        message = _too_deep()
    else:
        message = f"invalid JSON: {excerpt(str(fallback))[1:-1]}"
    raise PolicyError(message, where=where, path=_path(prefix))


def _scan(text: str, start: int, base: int) -> Iterator[tuple[int, int, list[str | int], str]]:
    """Walk the tokens of one JSON value from ``start``; yield (line, column, path, message) for its first duplicate
    key, nesting beyond MAX_DEPTH, NaN/Infinity or over-long integer, and stop there or at the end of the value."""
    # frames: [is_object, keys seen (key -> line, column), current key or index, expecting a key]
    frames: list[list[Any]] = []
    line, last = 1 + text.count("\n", 0, start), start
    for match in _TOKEN.finditer(text, start):
        pos = match.start()
        line += text.count("\n", last, pos)
        last = pos
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        token = match.group()
        top = frames[-1] if frames else None
        if token in ("{", "["):
            if top is not None and top[0] and top[3]:
                return  # malformed (a key expected): the decoder reports it
            if len(frames) + base >= MAX_DEPTH:
                yield line, column, _frames_path(frames), _too_deep()
                return
            frames.append([token == "{", {}, None if token == "{" else 0, token == "{"])
        elif token in ("}", "]"):
            if not frames:
                return
            frames.pop()
            if not frames:
                return
        elif token == ",":
            if top is None:
                return
            if top[0]:
                top[3] = True
            else:
                top[2] += 1
        elif token == ":":
            continue
        elif token.startswith('"'):
            if top is not None and top[0] and top[3]:
                try:
                    key = json.loads(token)
                except ValueError:
                    return
                top[3] = False
                top[2] = key
                if key in top[1]:
                    first_line, first_column = top[1][key]
                    yield (
                        line,
                        column,
                        _frames_path(frames),
                        f"duplicate key {excerpt(key)} (first at {_at(first_line, first_column)}): the API server "
                        "refuses duplicate fields, and which one wins would decide what the object means",
                    )
                    return
                top[1][key] = (line, column)
            elif top is None:
                return
        else:
            if token in ("NaN", "Infinity", "-Infinity"):
                yield line, column, _frames_path(frames), f"invalid JSON: {token} is not a JSON number"
                return
            if len(token.lstrip("-")) > _INT_DIGITS and token.lstrip("-").isdigit():
                yield (
                    line,
                    column,
                    _frames_path(frames),
                    f"an integer of {len(token.lstrip('-')):,} digits is too long to read",
                )
                return
            if top is None:
                return


def _frames_path(frames: list[list[Any]]) -> list[str | int]:
    return [frame[2] for frame in frames if frame[2] is not None]
