"""Kubernetes label selectors: validated, canonical, hashable, with a plain-Python ``matches``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from netpolkit.errors import excerpt
from netpolkit.model.fields import Reader, describe
from netpolkit.model.names import DNS_SUBDOMAIN

__all__ = ["LabelSelector", "Requirement", "check_label_key", "check_label_value", "parse_label_selector"]

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
SELECTOR_FIELDS = ("matchLabels", "matchExpressions")  # of a metav1.LabelSelector
EXPRESSION_FIELDS = ("key", "operator", "values")  # of one of its matchExpressions
# Whole strings only, always with ``fullmatch``: Python's ``$`` also matches before a trailing newline, so
# ``match("^...$")`` would take "web\n" (a YAML ``|`` block) that Kubernetes refuses (Go's ``$`` is the end of text).
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")


# Label keys and values repeat across every pod of a workload and every policy of a team: each distinct valid one
# is checked once. Bounded, so a hostile file of millions of distinct labels cannot grow them without end.
_VALID_KEYS: set[str] = set()
_VALID_VALUES: set[str] = set()
_MAX_REMEMBERED = 100_000


def _remember(valid: set[str], text: str) -> None:
    if len(valid) >= _MAX_REMEMBERED:
        valid.clear()
    valid.add(text)


def check_label_key(key: str) -> str | None:
    """Why ``key`` is not a valid label key, or ``None`` when it is."""
    if key in _VALID_KEYS:
        return None
    problem = _label_key_problem(key)
    if problem is None:
        _remember(_VALID_KEYS, key)
    return problem


def _label_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return "label key has an empty prefix"
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"label key prefix {excerpt(prefix)} must be a DNS subdomain (lowercase, dots, at most 253 characters)"
    if not name or len(name) > 63 or not _NAME.fullmatch(name):
        return (
            f"label key name {excerpt(name)} must be 1-63 characters of letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def check_label_value(value: str) -> str | None:
    """Why ``value`` is not a valid label value, or ``None`` when it is (the empty value is valid)."""
    if value == "" or value in _VALID_VALUES:
        return None
    if len(value) <= 63 and _NAME.fullmatch(value):
        _remember(_VALID_VALUES, value)
        return None
    return (
        f"label value {excerpt(value)} must be at most 63 characters of letters, digits, '-', '_' or '.', "
        "starting and ending with a letter or digit"
    )


@dataclass(frozen=True, slots=True, order=True)
class Requirement:
    """One ``key operator values`` term; ``values`` sorted and deduplicated."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies this term (NotIn and DoesNotExist match a missing key)."""
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        return self.key not in labels

    def __str__(self) -> str:
        if self.operator == "In" and len(self.values) == 1:
            return f"{self.key}={self.values[0]}"
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        word = "in" if self.operator == "In" else "notin"
        return f"{self.key} {word} ({','.join(self.values)})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A label selector as a canonical, sorted tuple of requirements (all ANDed); empty selects everything."""

    requirements: tuple[Requirement, ...] = ()

    @classmethod
    def of(cls, match_labels: Mapping[str, str] | None = None, *expressions: Requirement) -> LabelSelector:
        """Build a selector from ``matchLabels`` and extra requirements (trusted input, no validation)."""
        reqs = [Requirement(k, "In", (v,)) for k, v in (match_labels or {}).items()]
        return cls(tuple(sorted(set(reqs) | set(expressions))))

    @property
    def is_empty(self) -> bool:
        """Whether this selector matches everything (``{}``)."""
        return not self.requirements

    def keys(self) -> frozenset[str]:
        """Label keys this selector reads."""
        return frozenset(r.key for r in self.requirements)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies every requirement."""
        return all(r.matches(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements) if self.requirements else "{}"


def parse_label_selector(reader: Reader) -> LabelSelector:
    """Parse and validate a ``metav1.LabelSelector`` (``matchLabels`` and ``matchExpressions``)."""
    reader.only(SELECTOR_FIELDS)
    reqs: set[Requirement] = set()
    for key, value in reader.string_map("matchLabels").items():
        path = f"matchLabels.{key}"
        if problem := check_label_key(key):
            reader.fail(problem, key=path)
        if problem := check_label_value(value):
            reader.fail(problem, key=path)
        reqs.add(Requirement(key, "In", (value,)))
    for expr in reader.children("matchExpressions") or ():
        expr.only(EXPRESSION_FIELDS)
        key = expr.string("key", required=True)
        assert key is not None
        if problem := check_label_key(key):
            expr.fail(problem, key="key")
        reqs.add(parse_requirement(expr, key))
    return LabelSelector(tuple(sorted(reqs)))


def parse_requirement(expr: Reader, key: str) -> Requirement:
    """The ``operator`` and ``values`` of one ``matchExpressions`` entry whose (checked) key is ``key``."""
    operator = expr.string("operator", required=True)
    if operator not in OPERATORS:
        hint = [o for o in OPERATORS if o.lower() == str(operator).lower()]
        extra = f" (write {hint[0]!r})" if hint else ""
        expr.fail(f"unknown operator {excerpt(operator)}{extra}; expected one of: {', '.join(OPERATORS)}", "operator")
    raw_values = expr.list("values")
    values: list[str] = []
    for i, value in enumerate(raw_values or ()):
        if not isinstance(value, str):
            expr.fail(f"expected a string, got {describe(value)} (quote it in YAML)", key=f"values[{i}]")
        if problem := check_label_value(value):
            expr.fail(problem, key=f"values[{i}]")
        values.append(value)
    if operator in ("In", "NotIn") and not values:
        expr.fail(f"operator {operator} needs a non-empty list of values", key="values")
    if operator in ("Exists", "DoesNotExist") and raw_values:
        expr.fail(f"operator {operator} takes no values", key="values")
    assert operator is not None
    return Requirement(key, operator, tuple(sorted(set(values))))
