"""Calico's selector language (projectcalico.org/v3 ``selector``, ``namespaceSelector``, rule ``selector`` /
``notSelector`` / ``namespaceSelector``, ``serviceAccounts.selector``): tokenizer, parser and AST.

Grammar (EBNF); whitespace (space, tab, CR, LF) may separate any two tokens::

    selector = [ or ] ;                                  (* empty or blank: all() *)
    or       = and { "||" and } ;                        (* left-associative, lowest precedence *)
    and      = unary { "&&" unary } ;                    (* left-associative *)
    unary    = "!" unary | primary ;                     (* "!" binds tightest *)
    primary  = "(" or ")" | "all(" ")" | "global(" ")" | "has(" key ")" | key op ;  (* no space before "(" *)
    op       = ( "==" | "!=" | "contains" | "starts" "with" | "ends" "with" ) string
             | ( "in" | "not" "in" ) "{" [ string { "," string } [ "," ] ] "}" ;
    key      = { letter | digit | "_" | "." | "/" | "-" }- ;       (* e.g. kubernetes.io/metadata.name *)
    string   = '"' { any char but '"' } '"' | "'" { any char but "'" } "'" ;   (* no escapes *)

As in Calico, ``startswith``, ``endswith`` and ``notin`` are accepted too, and a set may be empty.

Bounded: a syntax tree is at most :data:`~netpolkit.limits.MAX_SELECTOR_DEPTH` (100) levels deep, counting each
``!``, each pair of parentheses and each term of an ``&&`` / ``||`` chain (``a && b && c`` is three levels: the
operators are left-associative). Deeper input is a :class:`SelectorSyntaxError` at the operator that goes too deep,
and building a deeper tree by hand a ValueError, so parsing, ``evaluate``, ``matches``, ``str``, ``==`` and ``hash``
never recurse further. A long chain can be split into parenthesized groups (``(a && b) && (c && d)``, three levels).

Semantics (as in Calico): ``==``, ``in``, ``contains``, ``starts with``, ``ends with`` and ``has`` are false
on an object that lacks the key; ``!=`` and ``not in`` are true there. ``global()`` matches non-namespaced
objects only: ``evaluate`` / ``matches`` take ``namespaced=True`` (pods, namespaces), where it is false.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import numpy as np
import pandas as pd

from netpolkit.errors import excerpt
from netpolkit.limits import MAX_SELECTOR_DEPTH

__all__ = ["All", "And", "Compare", "Global", "Has", "Not", "Or", "Selector", "SelectorSyntaxError", "parse"]


class SelectorSyntaxError(ValueError):
    """A malformed selector; ``position`` is the 0-based offset in ``text`` where parsing failed."""

    def __init__(self, reason: str, text: str, position: int) -> None:
        self.reason, self.text, self.position = reason, text, position
        # Show at most _WINDOW characters either side of the position, so the message stays short.
        start, end = max(0, position - _WINDOW), min(len(text), position + _WINDOW)
        head, tail = ("..." if start else ""), ("..." if end < len(text) else "")
        shown = head + text[start:end].translate(str.maketrans("\t\r\n", "   ")) + tail
        caret = " " * (position - start + len(head))
        super().__init__(f"{reason} at position {position}\n    {shown}\n    {caret}^")


_WINDOW = 40


class Selector:
    """Base of the AST nodes: frozen, hashable, equal when structurally equal; ``str()`` is canonical text."""

    def evaluate(self, frame: pd.DataFrame, *, namespaced: bool = True) -> np.ndarray:
        """Bool array, one entry per row of ``frame`` (one column per label key; missing = None/NaN)."""
        raise NotImplementedError

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        """Whether one label set matches (a key mapped to None counts as absent)."""
        raise NotImplementedError

    def keys(self) -> frozenset[str]:
        """The label keys this selector reads."""
        return frozenset()

    @property
    def depth(self) -> int:
        """Levels of this syntax tree (1 for a leaf), at most MAX_SELECTOR_DEPTH."""
        return 1


def _set_depth(node: Selector, *children: Any) -> None:
    depth = 1 + max(getattr(child, "depth", 1) for child in children)
    if depth > MAX_SELECTOR_DEPTH:
        raise ValueError(f"a Calico selector nests at most {MAX_SELECTOR_DEPTH} levels deep, got {depth}")
    object.__setattr__(node, "_depth", depth)


@dataclass(frozen=True)
class All(Selector):
    def evaluate(self, frame: pd.DataFrame, *, namespaced: bool = True) -> np.ndarray:
        return np.ones(len(frame), dtype=bool)

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        return True

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True)
class Global(Selector):
    """Matches non-namespaced objects (global network sets, host endpoints): false when ``namespaced``."""

    def evaluate(self, frame: pd.DataFrame, *, namespaced: bool = True) -> np.ndarray:
        return np.full(len(frame), not namespaced)

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        return not namespaced

    def __str__(self) -> str:
        return "global()"


_KEY = re.compile(r"[A-Za-z0-9_./-]+")


def _column(frame: pd.DataFrame, key: str) -> tuple[np.ndarray, pd.Series]:
    """(present mask, the column as Python objects with missing entries replaced by "")."""
    if key not in frame.columns:
        return np.zeros(len(frame), dtype=bool), pd.Series("", index=frame.index, dtype=object)
    present = frame[key].notna().to_numpy(dtype=bool)
    return present, frame[key].astype(object).where(present, "")


@dataclass(frozen=True)
class _Keyed(Selector):
    key: str

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _KEY.fullmatch(self.key):
            raise ValueError(f"invalid Calico label key {excerpt(self.key)}")

    def keys(self) -> frozenset[str]:
        return frozenset((self.key,))


@dataclass(frozen=True)
class Has(_Keyed):
    def evaluate(self, frame: pd.DataFrame, *, namespaced: bool = True) -> np.ndarray:
        return _column(frame, self.key)[0]

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        return labels.get(self.key) is not None

    def __str__(self) -> str:
        return f"has({self.key})"


class _Op(NamedTuple):
    vector: Callable[[pd.Series, Any], Any]  # over a column of strings (missing entries are "")
    scalar: Callable[[str, Any], bool]
    when_missing: bool  # the result for an object without the key


_OPS: dict[str, _Op] = {
    "==": _Op(lambda col, v: col == v, operator.eq, False),
    "!=": _Op(lambda col, v: col != v, operator.ne, True),
    "contains": _Op(lambda col, v: col.str.contains(v, regex=False), operator.contains, False),
    "starts with": _Op(lambda col, v: col.str.startswith(v), str.startswith, False),
    "ends with": _Op(lambda col, v: col.str.endswith(v), str.endswith, False),
    "in": _Op(lambda col, v: col.isin(v), lambda x, v: x in v, False),
    "not in": _Op(lambda col, v: ~col.isin(v), lambda x, v: x not in v, True),
}
_SET_OPS = ("in", "not in")


def _quote(value: str) -> str:
    return f"'{value}'" if '"' in value else f'"{value}"'


@dataclass(frozen=True)
class Compare(_Keyed):
    """``key op value``; for ``in`` / ``not in`` the value is a tuple, stored sorted and de-duplicated."""

    op: str
    value: str | tuple[str, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.op not in _OPS:
            raise ValueError(f"unknown Calico selector operator {excerpt(self.op)}")
        is_set = self.op in _SET_OPS
        values = tuple(self.value) if is_set and not isinstance(self.value, str) else (self.value,)
        if is_set == isinstance(self.value, str) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{self.op!r} needs " + ("a tuple of strings" if is_set else "a string"))
        if any('"' in v and "'" in v for v in values):
            raise ValueError("a Calico selector string cannot contain both quote characters")
        if is_set:
            object.__setattr__(self, "value", tuple(sorted(set(values))))

    def evaluate(self, frame: pd.DataFrame, *, namespaced: bool = True) -> np.ndarray:
        op = _OPS[self.op]
        present, values = _column(frame, self.key)
        hit = np.asarray(op.vector(values, self.value), dtype=bool)
        return np.where(present, hit, op.when_missing)

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        op, value = _OPS[self.op], labels.get(self.key)
        return op.when_missing if value is None else bool(op.scalar(value, self.value))

    def __str__(self) -> str:
        if isinstance(self.value, tuple):
            return f"{self.key} {self.op} {{{', '.join(map(_quote, self.value))}}}"
        return f"{self.key} {self.op} {_quote(self.value)}"


def _wrap(node: Selector, parenthesize: bool) -> str:
    return f"({node})" if parenthesize else str(node)


@dataclass(frozen=True)
class Not(Selector):
    operand: Selector

    def __post_init__(self) -> None:
        _set_depth(self, self.operand)

    @property
    def depth(self) -> int:
        return self._depth  # type: ignore[attr-defined]

    def evaluate(self, frame: pd.DataFrame, *, namespaced: bool = True) -> np.ndarray:
        return ~self.operand.evaluate(frame, namespaced=namespaced)

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        return not self.operand.matches(labels, namespaced=namespaced)

    def keys(self) -> frozenset[str]:
        return self.operand.keys()

    def __str__(self) -> str:
        return "!" + _wrap(self.operand, isinstance(self.operand, _Binary))


@dataclass(frozen=True)
class _Binary(Selector):
    """``left <symbol> right``; And and Or set the symbol, its precedence and how to combine two results."""

    left: Selector
    right: Selector
    symbol: ClassVar[str]
    precedence: ClassVar[int]
    combine: ClassVar[Callable[[Any, Any], Any]]

    def __post_init__(self) -> None:
        _set_depth(self, self.left, self.right)

    @property
    def depth(self) -> int:
        return self._depth  # type: ignore[attr-defined]

    def evaluate(self, frame: pd.DataFrame, *, namespaced: bool = True) -> np.ndarray:
        left = self.left.evaluate(frame, namespaced=namespaced)
        return type(self).combine(left, self.right.evaluate(frame, namespaced=namespaced))

    def matches(self, labels: Mapping[str, str], *, namespaced: bool = True) -> bool:
        left = self.left.matches(labels, namespaced=namespaced)
        return bool(type(self).combine(left, self.right.matches(labels, namespaced=namespaced)))

    def keys(self) -> frozenset[str]:
        return self.left.keys() | self.right.keys()

    def __str__(self) -> str:
        # Left-associative: a left operand needs parentheses if it binds looser, a right one also if equal.
        left = _wrap(self.left, isinstance(self.left, _Binary) and self.left.precedence < self.precedence)
        right = _wrap(self.right, isinstance(self.right, _Binary) and self.right.precedence <= self.precedence)
        return f"{left} {self.symbol} {right}"


@dataclass(frozen=True)
class And(_Binary):
    symbol = "&&"
    precedence = 2
    combine = operator.and_


@dataclass(frozen=True)
class Or(_Binary):
    symbol = "||"
    precedence = 1
    combine = operator.or_


class _Token(NamedTuple):
    kind: str  # "word", "call" (a word glued to "("), "op" (after a word), "string", "eof" or the punctuation
    value: str  # the word, function name, canonical operator or string contents
    pos: int
    text: str  # the source text, for messages


_SPACE = " \t\r\n"
_OPERATOR = re.compile(
    r"==|!=|(?:in|not[ \t\r\n]*in|contains|starts[ \t\r\n]*with|ends[ \t\r\n]*with)(?![A-Za-z0-9_./-])"
)
_PUNCTUATION = ("==", "!=", "&&", "||", "!", "(", ")", "{", "}", ",")
_SPELLINGS = {op.replace(" ", ""): op for op in _OPS}  # "notin" -> "not in"; Calico accepts both


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i == n:
            tokens.append(_Token("eof", "", n, "end of selector"))
            return tokens
        char = text[i]
        if char in "\"'":
            end = text.find(char, i + 1)
            if end < 0:
                raise SelectorSyntaxError(f"unterminated string (no closing {char})", text, i)
            tokens.append(_Token("string", text[i + 1 : end], i, text[i : end + 1]))
            i = end + 1
        elif tokens and tokens[-1].kind == "word" and (match := _OPERATOR.match(text, i)):
            op = _SPELLINGS[re.sub(r"[ \t\r\n]+", "", match.group())]
            tokens.append(_Token("op", op, i, match.group()))
            i = match.end()
        elif word := _KEY.match(text, i):
            call = word.end() < n and text[word.end()] == "("
            source = text[i : word.end() + call]
            tokens.append(_Token("call" if call else "word", word.group(), i, source))
            i += len(source)
        elif punct := next((p for p in _PUNCTUATION if text.startswith(p, i)), None):
            tokens.append(_Token(punct, punct, i, punct))
            i += len(punct)
        elif char in "=&|":
            raise SelectorSyntaxError(f"expected {char * 2!r}, not a single {char!r}", text, i)
        else:
            raise SelectorSyntaxError(f"unexpected character {char!r}", text, i)


class _Parser:
    """Recursive descent over the token list, one method per grammar rule; nesting bounded by MAX_SELECTOR_DEPTH."""

    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.i = text, _tokenize(text), 0
        self.parens = 0  # parentheses open: each costs four levels of Python recursion

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        self.i += 1
        return self.tokens[self.i - 1]

    def fail(self, expected: str) -> SelectorSyntaxError:
        after = f" after {excerpt(self.tokens[self.i - 1].text)}" if self.i else ""
        token = self.peek()
        found = "" if token.kind == "eof" else f", found {excerpt(token.text)}"
        return SelectorSyntaxError(f"expected {expected}{after}{found}", self.text, token.pos)

    def nest(self, depth: int, token: _Token) -> None:
        """Refuse a tree deeper than MAX_SELECTOR_DEPTH, at the token that makes it so."""
        if depth > MAX_SELECTOR_DEPTH:
            raise SelectorSyntaxError(
                f"nested more than {MAX_SELECTOR_DEPTH} levels deep (each '!', each pair of parentheses and each "
                "term of an && or || chain is a level; split a long chain into parenthesized groups)",
                self.text,
                token.pos,
            )

    def expect(self, kind: str, expected: str) -> _Token:
        if self.peek().kind != kind:
            raise self.fail(expected)
        return self.advance()

    def selector(self) -> Selector:
        if self.peek().kind == "eof":
            return All()
        node = self.or_()
        self.expect("eof", "'&&', '||' or the end of the selector")
        return node

    def or_(self) -> Selector:
        node = self.and_()
        while self.peek().kind == "||":
            token = self.advance()
            right = self.and_()
            self.nest(1 + max(node.depth, right.depth), token)
            node = Or(node, right)
        return node

    def and_(self) -> Selector:
        node = self.unary()
        while self.peek().kind == "&&":
            token = self.advance()
            right = self.unary()
            self.nest(1 + max(node.depth, right.depth), token)
            node = And(node, right)
        return node

    def unary(self) -> Selector:
        bangs: list[_Token] = []
        while self.peek().kind == "!":  # iterative: "!!!!x" does not recurse
            bangs.append(self.advance())
            self.nest(len(bangs) + 1, bangs[-1])
        node = self.primary()
        for token in reversed(bangs):
            self.nest(node.depth + 1, token)
            node = Not(node)
        return node

    def primary(self) -> Selector:
        token = self.peek()
        if token.kind == "call" and token.value not in ("all", "global", "has"):
            reason = f"unknown function {excerpt(token.value)} (expected has, all or global)"
            raise SelectorSyntaxError(reason, self.text, token.pos)
        if token.kind not in ("(", "call", "word"):
            raise self.fail("a selector expression")
        self.advance()
        if token.kind == "(":
            self.parens += 1
            self.nest(self.parens, token)
            node = self.or_()
            self.expect(")", "'&&', '||' or ')'")
            self.parens -= 1
            return node
        if token.kind == "call":
            node = Has(self.expect("word", "a label key").value) if token.value == "has" else None
            self.expect(")", "')'")
            return node or (All() if token.value == "all" else Global())
        op = self.expect("op", "an operator (==, !=, in, not in, contains, starts with, ends with)").value
        if op not in _SET_OPS:
            return Compare(token.value, op, self.expect("string", "a quoted string").value)
        self.expect("{", "'{'")
        values: list[str] = []
        while self.peek().kind != "}":
            values.append(self.expect("string", "a quoted string or '}'").value)
            if self.peek().kind != "}":
                self.expect(",", "',' or '}'")
        self.advance()
        return Compare(token.value, op, tuple(values))


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Selector:
    """Parse a Calico selector (cached); raise :class:`SelectorSyntaxError`, a ValueError, if malformed."""
    if not isinstance(text, str):
        raise TypeError(f"a Calico selector is a string, not {type(text).__name__}")
    return _Parser(text).selector()
