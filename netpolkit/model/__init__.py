"""Parse and validate manifests into immutable objects: one module per policy dialect.

:func:`parse_object` turns one manifest document (a dict, as ``kubectl get -o json`` prints it) into a
:class:`~netpolkit.model.resources.Namespace`, :class:`~netpolkit.model.resources.Workload`,
:class:`~netpolkit.model.resources.Service` or a policy object, or ``None`` for kinds netpolkit does not model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from netpolkit.errors import PolicyError, Where, elide, excerpt
from netpolkit.model.fast import COMMON_KINDS, forget_kind, parse_common
from netpolkit.model.fields import Reader, Unsupported
from netpolkit.model.k8s import IPBlock, NetworkPolicy, Peer, PortSpec, Rule, parse_network_policy
from netpolkit.model.labels import LabelSelector, Requirement
from netpolkit.model.names import API_VERSION, DNS_LABEL, DNS_SUBDOMAIN, KIND, METADATA_FIELDS
from netpolkit.model.ports import PortQuery
from netpolkit.model.resources import (
    WORKLOAD_API_VERSIONS,
    ContainerPort,
    Namespace,
    Service,
    ServicePort,
    Workload,
    check_metadata,
    parse_namespace,
    parse_service,
    parse_workload,
)

__all__ = [
    "ContainerPort",
    "IPBlock",
    "LabelSelector",
    "Namespace",
    "NetworkPolicy",
    "Peer",
    "PortQuery",
    "PortSpec",
    "Requirement",
    "Rule",
    "Service",
    "ServicePort",
    "Unsupported",
    "Workload",
    "object_key",
    "parse_object",
    "policy_like",
    "register_kind",
]

# (apiVersion, kind) -> (namespaced, parser(doc, namespace, name)); strict parsers check top-level fields.
Parser = Callable[[Reader, str, str], Any]
_KINDS: dict[tuple[str, str], tuple[bool, Parser, bool]] = {}


def register_kind(api_version: str, kind: str, parser: Parser, *, namespaced: bool = True, strict: bool = True) -> None:
    """Teach :func:`parse_object` a kind (used by the policy dialect modules); ``parser`` alone reads it then."""
    _KINDS[(api_version, kind)] = (namespaced, parser, strict)
    forget_kind(api_version, kind)


def _register_common(api_version: str, kind: str, parser: Parser, *, namespaced: bool = True, strict: bool) -> None:
    """A kind of :data:`~netpolkit.model.fast.COMMON_KINDS`: its plain shape read there, the rest by ``parser``."""
    assert (api_version, kind) in COMMON_KINDS
    _KINDS[(api_version, kind)] = (namespaced, parser, strict)


_register_common("v1", "Namespace", lambda doc, ns, name: parse_namespace(doc, name), namespaced=False, strict=False)
_register_common("v1", "Service", parse_service, strict=False)
_register_common("networking.k8s.io/v1", "NetworkPolicy", parse_network_policy, strict=True)
for _kind, _api_version in WORKLOAD_API_VERSIONS.items():
    _register_common(_api_version, _kind, lambda doc, ns, name, k=_kind: parse_workload(doc, k, ns, name), strict=False)


def _register_calico() -> None:
    from netpolkit.model.calico import parse_calico

    for version, legacy in (("projectcalico.org/v3", False), ("crd.projectcalico.org/v1", True)):
        register_kind(version, "NetworkPolicy", parse_calico("NetworkPolicy", legacy=legacy))
        register_kind(
            version,
            "GlobalNetworkPolicy",
            parse_calico("GlobalNetworkPolicy", legacy=legacy),
            namespaced=False,
        )
        register_kind(version, "Tier", parse_calico("Tier", legacy=legacy), namespaced=False)
        # Staged policies: parsed and listed, never enforced (see Cluster.commit_staged for the what-if).
        for kind in ("StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"):
            register_kind(version, kind, parse_calico(kind, legacy=legacy))
        register_kind(
            version,
            "StagedGlobalNetworkPolicy",
            parse_calico("StagedGlobalNetworkPolicy", legacy=legacy),
            namespaced=False,
        )


_register_calico()


def _register_cilium() -> None:
    from netpolkit.model.cilium import API_VERSION, CLUSTERWIDE, NAMESPACED, parse_cilium

    # Not strict here: the parser checks the top-level fields itself (a Cilium policy may have "specs").
    register_kind(API_VERSION, NAMESPACED, parse_cilium(NAMESPACED), strict=False)
    register_kind(API_VERSION, CLUSTERWIDE, parse_cilium(CLUSTERWIDE), namespaced=False, strict=False)


_register_cilium()


def _register_admin() -> None:
    from netpolkit.model import admin

    register_kind(admin.V1ALPHA2, "ClusterNetworkPolicy", admin.parse_cluster_network_policy, namespaced=False)
    register_kind(admin.V1ALPHA1, "AdminNetworkPolicy", admin.parse_admin_network_policy, namespaced=False)
    register_kind(
        admin.V1ALPHA1, "BaselineAdminNetworkPolicy", admin.parse_baseline_admin_network_policy, namespaced=False
    )


_register_admin()


# API groups whose objects decide verdicts. In these groups an object netpolkit cannot evaluate is an error (or, with
# unsupported="ignore", a warning): never silently skipped. The kinds listed as harmless are not policies.
POLICY_GROUPS: dict[str, frozenset[str] | None] = {
    # group -> the kinds of the group that are policies (None: every kind of the group is one)
    "networking.k8s.io": frozenset({"NetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}),
    "policy.networking.k8s.io": None,
    "projectcalico.org": frozenset(
        {
            "NetworkPolicy",
            "GlobalNetworkPolicy",
            "Tier",
            "StagedNetworkPolicy",
            "StagedGlobalNetworkPolicy",
            "StagedKubernetesNetworkPolicy",
            "NetworkSet",
            "GlobalNetworkSet",
            "HostEndpoint",
            "AdminNetworkPolicy",
        }
    ),
    "crd.projectcalico.org": frozenset(
        {
            "NetworkPolicy",
            "GlobalNetworkPolicy",
            "Tier",
            "StagedNetworkPolicy",
            "StagedGlobalNetworkPolicy",
            "StagedKubernetesNetworkPolicy",
            "NetworkSet",
            "GlobalNetworkSet",
            "HostEndpoint",
        }
    ),
    "cilium.io": frozenset({"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "CiliumCIDRGroup"}),
    "crd.antrea.io": frozenset({"NetworkPolicy", "ClusterNetworkPolicy", "Tier", "ClusterGroup", "Group"}),
    "networking.gke.io": frozenset({"FQDNNetworkPolicy", "GKENetworkParamSet"}),
    "k8s.ovn.org": frozenset({"EgressFirewall", "AdminNetworkPolicy"}),
    "security.openshift.io": frozenset(),
    "networking.x-k8s.io": None,
}


def policy_like(api_version: str, kind: str) -> str | None:
    """Why an object netpolkit does not model would change verdicts (a policy kind or version), or None."""
    group = api_version.rpartition("/")[0]
    kinds = POLICY_GROUPS.get(group)
    if group not in POLICY_GROUPS or (kinds is not None and kind not in kinds):
        return None
    known = sorted({v for (v, k) in _KINDS if k == kind and v.rpartition("/")[0] == group})
    if known:
        return (
            f"{kind} {api_version} is not a version netpolkit evaluates (it reads {', '.join(known)}): "
            "check the apiVersion"
        )
    return f"{kind} ({api_version}) is a policy kind netpolkit does not evaluate yet"


def is_supported(obj: Mapping[str, Any]) -> bool:
    """Whether netpolkit models this object's apiVersion and kind."""
    return (obj.get("apiVersion"), obj.get("kind")) in _KINDS


def object_key(obj: Any) -> tuple[str, str, str]:
    """Identity of a parsed object: (kind, namespace, name); apply replaces an object with the same key."""
    if isinstance(obj, Namespace):
        return ("Namespace", "", obj.name)
    if isinstance(obj, Workload):
        return (obj.kind, obj.namespace, obj.name)
    if isinstance(obj, Service):
        return ("Service", obj.namespace, obj.name)
    kind = obj.kind if getattr(obj, "api_version", "") != "projectcalico.org/v3" else f"projectcalico.org/{obj.kind}"
    return (kind, getattr(obj, "namespace", "") or "", obj.name)


def parse_object(
    obj: Any, where: Where, *, default_namespace: str = "default", unsupported: Unsupported | None = None
) -> Any:
    """Parse one manifest document; ``None`` for a kind that is not a policy and that netpolkit does not model.

    A policy kind or version netpolkit cannot evaluate, or an unmodelled feature inside a policy, raises
    PolicyError unless ``unsupported`` says ignore (then a warning is kept in it and ``None`` returned for the kind).
    The plain shape of the common kinds is read by :func:`~netpolkit.model.fast.parse_common`, anything else here.
    """
    common = parse_common(obj, default_namespace)
    if common is not None:
        return common
    doc = Reader(obj, "", where, unsupported)
    kind = doc.string("kind", required=True)
    api_version = doc.string("apiVersion", required=True)
    assert kind is not None and api_version is not None
    entry = _KINDS.get((api_version, kind))
    if entry is None:  # the kinds netpolkit reads are valid; another must still be one the API server could hold
        if not KIND.fullmatch(kind):
            doc.fail(f"{excerpt(kind)} is not a kind (a letter, then letters, digits or '-', at most 63)", key="kind")
        if len(api_version) > 317 or not API_VERSION.fullmatch(api_version):
            doc.fail(f"{excerpt(api_version)} is not an apiVersion (like v1 or networking.k8s.io/v1)", "apiVersion")
        reason = policy_like(api_version, kind)
        if reason is not None:
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
            name, namespace = meta.get("name"), meta.get("namespace")
            shown = elide(name, 256) if isinstance(name, str) else excerpt(name)
            label = f"{kind} {elide(namespace, 256) + '/' if isinstance(namespace, str) else ''}{shown}"
            Reader(obj, "", where.with_obj(label), unsupported).unsupported(reason, "apiVersion", ignored="skipped")
        return None
    namespaced, parser, strict = entry
    meta = doc.child("metadata", required=True)
    assert meta is not None
    name = meta.string("name", required=True)
    assert name is not None
    namespace = ""
    if namespaced:
        namespace = meta.string("namespace", default=default_namespace) or default_namespace
    shown_name, shown_namespace = elide(name, 256), elide(namespace, 256)  # valid ones are shorter
    where = where.with_obj(f"{kind} {shown_namespace}/{shown_name}" if namespace else f"{kind} {shown_name}")
    doc.where = meta.where = where  # from here on, errors name the object too
    if namespaced and (len(namespace) > 63 or not DNS_LABEL.fullmatch(namespace)):
        meta.fail(f"{excerpt(namespace)} is not a valid namespace name (lowercase DNS label)", key="namespace")
    if strict:
        doc.only(("apiVersion", "kind", "metadata", "spec"), ignore=("status",))
        meta.only(METADATA_FIELDS)
    valid = DNS_LABEL if kind == "Namespace" else DNS_SUBDOMAIN
    if len(name) > 253 or not valid.fullmatch(name):
        meta.fail(f"{excerpt(name)} is not a valid name (lowercase letters, digits, '-' and '.')", key="name")
    check_metadata(meta)  # labels and annotations, on every kind, as the API server checks them
    try:
        return parser(doc, namespace, name)
    except PolicyError:
        raise
    # A malformed structure or value the parser did not foresee (int("²"), int(inf), a list where it wanted a
    # string): still a PolicyError naming the file, document and object, though without the field path.
    except (TypeError, AttributeError, LookupError, ValueError, ArithmeticError, RecursionError) as exc:
        detail = elide(" ".join(str(exc).split()), 200) or type(exc).__name__
        raise PolicyError(f"malformed object: {detail}", where=where) from exc
