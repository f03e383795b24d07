"""Cilium's view of endpoint labels, and its endpoint selectors (``endpointSelector``, ``fromEndpoints``, ...).

Cilium matches selectors against an endpoint's *identity labels*, each with a source: a pod's Kubernetes labels
have source ``k8s``, and Cilium adds ``k8s:io.kubernetes.pod.namespace``, ``k8s:io.cilium.k8s.policy.serviceaccount``
and one ``k8s:io.cilium.k8s.namespace.labels.<key>`` per label of the pod's namespace. A selector key is written
``source:key``; a key without a source (``app``) is ``any:app`` and matches the label of any source
(``pkg/policy/api/selector.go``: ``<prefix>:<key>`` keeps the source, ``<key>`` and ``<a>.<b>`` become ``any``).

Here a selector is a :class:`~netpolkit.model.labels.LabelSelector` over canonical keys ``k8s:<key>`` /
``any:<key>``, and :func:`cilium_labels` gives every label of an endpoint under both spellings, so the plain
label-selector semantics hold (NotIn and DoesNotExist match an absent key, as in Kubernetes).

Namespace defaulting (``pkg/k8s/apis/cilium.io/utils``, ``getEndpointSelector`` and ``ParseCiliumRule``):

- the ``endpointSelector`` of a CiliumNetworkPolicy always gets ``k8s:io.kubernetes.pod.namespace=<its
  namespace>``, replacing a namespace the user wrote under that key ("always applies in namespace of the policy
  resource");
- a ``fromEndpoints``/``toEndpoints`` selector that names no namespace key (``k8s:`` or ``any:``
  ``io.kubernetes.pod.namespace``) gets the policy's namespace (CiliumNetworkPolicy; recent versions not when it
  names namespace labels, which is unsupported here) or a ``k8s:io.kubernetes.pod.namespace`` Exists term
  (clusterwide: every pod, never a reserved identity); a selector on reserved labels gets neither.

Unsupported (``Reader.unsupported``): reserved labels and the ``world`` names (Cilium's own identities), label
sources other than ``k8s`` and ``any``, ``io.cilium.k8s.policy.cluster`` (the cluster's name), and label keys the
default identity-label filter drops (``pkg/labelsfilter``: ``kubernetes.io``, ``pod-template-hash``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from netpolkit.model.fields import Reader
from netpolkit.model.labels import LabelSelector, Requirement, check_label_key, check_label_value, parse_requirement

__all__ = [
    "NAMESPACE_KEY",
    "NAMESPACE_LABELS_PREFIX",
    "SERVICE_ACCOUNT_KEY",
    "CiliumSelector",
    "cilium_labels",
    "parse_cilium_selector",
]

NAMESPACE_KEY = "io.kubernetes.pod.namespace"
NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels."
SERVICE_ACCOUNT_KEY = "io.cilium.k8s.policy.serviceaccount"
CLUSTER_KEY = "io.cilium.k8s.policy.cluster"
MODELLED_SOURCES = ("k8s", "any")
# Cilium's reserved labels of the identities outside the cluster (``reserved:world``, ...): a bare key of that name
# (source any) also matches them, and netpolkit's external endpoints stand for those identities.
WORLD_NAMES = frozenset({"world", "world-ipv4", "world-ipv6"})
# Label keys Cilium's default identity-label filter leaves out of a pod's identity (pkg/labelsfilter, defaults):
# a selector on them does not see the pod's label unless the agent's --labels setting keeps it.
_FILTERED_INFIXES = ("io.kubernetes", "kubernetes.io", "k8s.io")
_FILTERED_NAMES = frozenset(
    {"pod-template-generation", "pod-template-hash", "controller-revision-hash", "controller-uid", "etcd_node"}
)
_KEPT_PREFIXES = (NAMESPACE_KEY, NAMESPACE_LABELS_PREFIX, "io.cilium.k8s.policy.", "app.kubernetes.io/")


def _filtered(key: str) -> bool:
    """Whether Cilium's default label filter drops pod label ``key`` from the identity."""
    if key.startswith(_KEPT_PREFIXES):
        return False
    return key in _FILTERED_NAMES or key.startswith("annotation") or any(part in key for part in _FILTERED_INFIXES)


def cilium_labels(
    labels: Mapping[str, str], namespace: str, namespace_labels: Mapping[str, str], service_account: str
) -> dict[str, str]:
    """A pod's identity labels as Cilium selectors see them, each under ``k8s:<key>`` and ``any:<key>``."""
    bare = dict(labels)
    bare[NAMESPACE_KEY] = namespace
    bare[SERVICE_ACCOUNT_KEY] = service_account or "default"
    bare.update({NAMESPACE_LABELS_PREFIX + k: v for k, v in namespace_labels.items()})
    out: dict[str, str] = {}
    for key, value in bare.items():
        out[f"k8s:{key}"] = value
        out[f"any:{key}"] = value
    return out


@dataclass(frozen=True, slots=True)
class CiliumSelector:
    """An endpoint selector with Cilium's namespace defaulting applied, over :func:`cilium_labels` keys.

    ``nothing``: the selector names identities netpolkit does not model and was kept (``unsupported="ignore"``)
    as matching no endpoint. ``written`` is the selector as the manifest spells it, for messages.
    """

    selector: LabelSelector
    written: str = ""
    nothing: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an endpoint with these Cilium labels is selected."""
        return not self.nothing and self.selector.matches(labels)

    def __str__(self) -> str:
        return self.written or str(self.selector)


def _canonical(reader: Reader, path: str, key: str, *, role: str, namespaced: bool) -> tuple[str, bool]:
    """The canonical ``source:key`` of a selector key, and whether the selector must match nothing (ignored)."""
    source, colon, bare = key.partition(":")
    if not colon:
        source, bare = "any", key
    if not source:
        reader.fail(f"label key {key!r} has an empty source before ':'", key=path)
    problem = check_label_key(
        bare[len(NAMESPACE_LABELS_PREFIX) :] if bare.startswith(NAMESPACE_LABELS_PREFIX) else bare
    )
    if problem:
        reader.fail(problem, key=path)
    nothing = "treated as matching no endpoint"
    if source == "reserved" or (source == "any" and bare in WORLD_NAMES):
        reader.unsupported(f"reserved identity label {key!r} (Cilium's own identities)", path, ignored=nothing)
        return f"{source}:{bare}", True
    if source not in MODELLED_SOURCES:
        reader.unsupported(f"label source {source!r} in {key!r}", path, ignored=nothing)
        return f"{source}:{bare}", True
    if bare == CLUSTER_KEY or bare.startswith(CLUSTER_KEY + "."):
        reader.unsupported(f"{key!r} (the cluster name)", path, ignored=nothing)
        return f"{source}:{bare}", True
    if bare.startswith(NAMESPACE_LABELS_PREFIX) and role == "peer" and namespaced:
        reader.unsupported(
            f"namespace labels ({key!r}) in a CiliumNetworkPolicy peer: Cilium versions differ on whether the "
            "policy's own namespace still applies",
            path,
            ignored="read as recent Cilium versions do (pods of any namespace whose labels match)",
        )
    elif _filtered(bare):
        reader.unsupported(
            f"label {key!r}: Cilium's default identity-label filter leaves it out of a pod's identity (agent "
            "option --labels)",
            path,
            ignored="matched against the pod's labels as if the filter kept it",
        )
    return f"{source}:{bare}", False


def parse_cilium_selector(reader: Reader, *, role: str, namespace: str) -> CiliumSelector:
    """Parse an ``endpointSelector`` (``role="subject"``) or a ``fromEndpoints``/``toEndpoints`` entry
    (``role="peer"``); ``namespace`` is the policy's namespace, ``""`` for a clusterwide policy."""
    reader.only(("matchLabels", "matchExpressions"))
    namespaced = bool(namespace)
    nothing = False
    labels: dict[str, str] = {}
    for key, value in reader.string_map("matchLabels").items():
        path = f"matchLabels.{key}"
        canonical, ignored = _canonical(reader, path, key, role=role, namespaced=namespaced)
        nothing |= ignored
        if problem := check_label_value(value):
            reader.fail(problem, key=path)
        labels[canonical] = value
    expressions: set[Requirement] = set()
    for expr in reader.children("matchExpressions") or ():
        expr.only(("key", "operator", "values"))
        key = expr.string("key", required=True)
        assert key is not None
        canonical, ignored = _canonical(expr, "key", key, role=role, namespaced=namespaced)
        nothing |= ignored
        expressions.add(parse_requirement(expr, canonical))
    keys = set(labels) | {r.key for r in expressions}
    ns_key = f"k8s:{NAMESPACE_KEY}"
    if role == "subject":
        if namespaced:  # always the policy's own namespace, replacing a namespace written under the same key
            labels[ns_key] = namespace
    elif not keys & {ns_key, f"any:{NAMESPACE_KEY}"} and not nothing:
        if not namespaced:
            expressions.add(Requirement(ns_key, "Exists"))
        elif not any(k.split(":", 1)[1].startswith(NAMESPACE_LABELS_PREFIX) for k in keys):
            labels[ns_key] = namespace
    selector = LabelSelector.of(labels, *expressions)
    return CiliumSelector(selector, _written(reader), nothing)


def _written(reader: Reader) -> str:
    """The selector as written: ``k=v`` pairs and expressions, ``{}`` when empty."""
    parts = [f"{k}={v}" for k, v in reader.string_map("matchLabels").items()]
    for expr in reader.list("matchExpressions") or ():
        values = ",".join(str(v) for v in expr.get("values") or ())
        parts.append(f"{expr.get('key')} {expr.get('operator')}" + (f" ({values})" if values else ""))
    return ",".join(parts) or "{}"
