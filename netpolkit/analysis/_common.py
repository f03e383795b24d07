"""What the analyst tables and the linter share: picking endpoints, grouping them, naming plan entries.

Nothing here builds an endpoint x endpoint matrix: targets are boolean columns and groups are names over the
endpoint table.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from netpolkit.cluster import EXTERNAL, Cluster
from netpolkit.engine import get_profile
from netpolkit.engine.plan import Entry
from netpolkit.engine.profiles import Profile
from netpolkit.matrix import Reachability
from netpolkit.model.labels import LabelSelector, Requirement, check_label_key, check_label_value
from netpolkit.model.ports import PortQuery
from netpolkit.selectors import evaluate

__all__ = [
    "PortLike",
    "Target",
    "as_reachability",
    "entry_label",
    "group_codes",
    "parse_selector",
    "pick",
    "port_queries",
    "shown",
]

PortLike = str | int | PortQuery
Target = str | Mapping[str, str] | Sequence[str] | None

# How many endpoint ids a message lists before "and N more".
SHOWN = 5


def as_reachability(
    obj: Reachability | Cluster,
    profile: str | Profile = "upstream",
    *,
    engine: str = "vectorized",
    unsupported: str = "error",
) -> Reachability:
    """``obj`` itself when it is a Reachability; for a Cluster, a Reachability with no port evaluated yet (the
    profile's plugin must enforce every policy, unless ``unsupported="ignore"``)."""
    if isinstance(obj, Reachability):
        return obj
    if isinstance(obj, Cluster):
        return Reachability(obj, get_profile(profile), engine, unsupported=unsupported)
    raise TypeError(f"expected a Reachability or a Cluster, got {type(obj).__name__}")


def port_queries(reach: Reachability, ports: Iterable[PortLike] | PortLike | None) -> list[PortQuery]:
    """The ports to read: those given (evaluated now if needed), else every port the result holds."""
    if ports is None:
        queries = list(reach._results)
        if not queries:
            raise ValueError("this result holds no port yet: pass ports=, e.g. ports=['TCP/80']")
        return queries
    if isinstance(ports, str | int | PortQuery):
        ports = [ports]
    queries = list(dict.fromkeys(PortQuery.parse(p) for p in ports))
    if not queries:
        raise ValueError("ports is empty: pass at least one port, or None for every evaluated port")
    reach._compute(queries)
    return queries


# ---- picking endpoints -----------------------------------------------------------------------------------------

_SET_TERM = re.compile(r"^(?P<key>[^\s=!(),]+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EQ_TERM = re.compile(r"^(?P<key>[^\s=!(),]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^\s=!(),]*)$")
_KEY = re.compile(r"^(?P<not>!?)\s*(?P<key>[^\s=!(),]+)$")


def parse_selector(selector: str | Mapping[str, str] | LabelSelector) -> LabelSelector:
    """A label selector from a dict (``{"app": "web"}``, matchLabels) or the ``kubectl -l`` syntax
    (``"app=web,tier!=db"``, ``"env in (prod,staging)"``, ``"app"``, ``"!canary"``).

    >>> str(parse_selector("app=web, env in (prod,staging), !canary"))
    'app=web,!canary,env in (prod,staging)'
    """
    if isinstance(selector, LabelSelector):
        return selector
    if isinstance(selector, Mapping):
        for key, value in selector.items():
            problem = check_label_key(str(key)) or (
                check_label_value(value) if isinstance(value, str) else "label values must be strings"
            )
            if problem:
                raise ValueError(f"selector {dict(selector)!r}: {problem}")
        return LabelSelector.of(dict(selector))
    if not isinstance(selector, str):
        raise TypeError(f"a selector is a dict or a string like 'app=web', got {type(selector).__name__}")
    requirements = set()
    for term in _split_terms(selector):
        requirements.add(_requirement(term, selector))
    return LabelSelector(tuple(sorted(requirements)))


def _split_terms(text: str) -> list[str]:
    terms, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    terms.append("".join(current).strip())
    if depth != 0 or any(not t for t in terms):
        raise ValueError(f"selector {text!r}: expected terms like app=web separated by commas")
    return terms


def _requirement(term: str, text: str) -> Requirement:
    if match := _SET_TERM.match(term):
        values = tuple(sorted({v.strip() for v in match["values"].split(",") if v.strip()}))
        if not values:
            raise ValueError(f"selector {text!r}: {term!r} needs at least one value")
        key, operator = match["key"], "In" if match["op"] == "in" else "NotIn"
    elif match := _EQ_TERM.match(term):
        key, operator, values = match["key"], "NotIn" if match["op"] == "!=" else "In", (match["value"],)
    elif match := _KEY.match(term):
        key, operator, values = match["key"], "DoesNotExist" if match["not"] else "Exists", ()
    else:
        raise ValueError(f"selector {text!r}: cannot read the term {term!r}")
    problems = [check_label_key(key), *(check_label_value(v) for v in values)]
    if problem := next((p for p in problems if p), None):
        raise ValueError(f"selector {text!r}: {problem}")
    return Requirement(key, operator, values)


def _looks_like_selector(text: str) -> bool:
    return any(c in text for c in "=!(") or " in " in text or " notin " in text or "," in text


def pick(
    reach: Reachability,
    target: Target = None,
    *,
    namespace: str | None = None,
    labels: str | Mapping[str, str] | None = None,
) -> tuple[np.ndarray, str]:
    """(boolean column over endpoints, how to name it) for a target; the criteria given are ANDed.

    ``target``: an endpoint id (``"shop/web"``, ``"external/internet"``, or ``"internet"``), a list of them, a
    namespace name, ``"external"`` (every external endpoint, unless a namespace has that name), or a label
    selector (a dict or a string with ``=``, ``!=``, ``in``, ``notin``, ``!``, see :func:`parse_selector`).
    ``namespace``: pods of one namespace. ``labels``: pods whose labels match a selector.
    """
    table = reach.cluster.table
    is_pod = np.asarray(table.is_pod, dtype=bool)
    if target is None and namespace is None and labels is None:
        raise ValueError("name a target: an endpoint id, a namespace, or a label selector (e.g. 'app=web')")
    mask = np.ones(len(table), dtype=bool)
    names: list[str] = []
    selectors = [labels] if labels is not None else []
    namespaces = [namespace] if namespace is not None else []
    endpoints: list[str] = []
    if isinstance(target, Mapping):
        selectors.append(target)
    elif isinstance(target, str):
        if "/" in target:
            endpoints.append(target)
        elif target in table.namespaces:
            namespaces.append(target)
        elif target == EXTERNAL:
            mask &= ~is_pod
            names.append("every external endpoint")
        elif _looks_like_selector(target):
            selectors.append(target)
        else:
            endpoints.append(target)  # "internet" -> external/internet, or an error suggesting near ids
    elif target is not None:
        endpoints.extend(target)
        if not endpoints:
            raise ValueError("the target list is empty: name at least one endpoint id")
    if endpoints:
        ids = list(dict.fromkeys(reach.endpoint_id(t) for t in endpoints))
        chosen = np.zeros(len(table), dtype=bool)
        chosen[[table.index[i] for i in ids]] = True
        mask &= chosen
        names.append(shown(ids))
    for ns in namespaces:
        if ns not in table.namespaces:
            near = difflib.get_close_matches(ns, list(table.namespaces), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise ValueError(f"no namespace {ns!r} in this cluster{hint}")
        mask &= is_pod & (table.namespace_index == table.namespaces.index(ns))
        names.append(f"namespace {ns}")
    for text in selectors:
        selector = parse_selector(text)
        mask &= is_pod & evaluate(selector, table.pod_labels)
        names.append(f"pods [{selector}]")
    return mask, " and ".join(names)


# ---- grouping ------------------------------------------------------------------------------------------------------

GROUPINGS = ("endpoint", "namespace", "workload", "kind")


def group_codes(reach: Reachability, by: str) -> np.ndarray:
    """Each endpoint's group name (an object array aligned with the endpoint table).

    ``by``: ``"endpoint"`` (its id), ``"namespace"`` (``"external"`` for external endpoints), ``"workload"``
    (``namespace/workload``: the replicas of one workload together), ``"kind"`` (pod / external), or any other
    column of ``cluster.endpoints``.
    """
    frame = reach.cluster.endpoints
    if by in ("endpoint", "pod", "id"):
        return np.array(frame.index, dtype=object)
    if by == "workload":
        return (frame["namespace"].astype(str) + "/" + frame["workload"].astype(str)).to_numpy(dtype=object)
    if by not in frame.columns:
        raise ValueError(f"cannot group by {by!r}: expected one of {', '.join(GROUPINGS)} or an endpoints column")
    return frame[by].astype(str).to_numpy(dtype=object)


# ---- naming ----------------------------------------------------------------------------------------------------


def entry_label(entry: Entry) -> str:
    """How a row names a plan entry: ``GlobalNetworkPolicy deny-all rule 1 (Deny)``, with the rule's name."""
    name = f" {entry.rule.name!r}" if entry.rule.name else ""
    section = f" of {entry.rule.section}" if entry.rule.section else ""
    return f"{entry.policy.ref} rule {entry.number}{section}{name} ({entry.action})"


def shown(ids: Sequence[str], limit: int = SHOWN) -> str:
    """``a/web, a/api`` or ``a/web, a/api, ... and 7 more``."""
    ids = list(ids)
    if len(ids) <= limit:
        return ", ".join(ids)
    return f"{', '.join(ids[:limit])} and {len(ids) - limit} more"


@dataclass(frozen=True)
class Groups:
    """Endpoints of one side, grouped: which endpoints, their group codes and the group names."""

    rows: np.ndarray  # endpoint rows of this side
    code: np.ndarray  # group index of each of ``rows``
    names: np.ndarray  # group names

    @classmethod
    def of(cls, mask: np.ndarray, labels: np.ndarray) -> Groups:
        rows = np.flatnonzero(mask)
        names, code = np.unique(labels[rows].astype(str), return_inverse=True)
        return cls(rows, code.ravel().astype(np.intp), names.astype(object))

    def __len__(self) -> int:
        return len(self.names)
