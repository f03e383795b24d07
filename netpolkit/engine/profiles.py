"""Profiles: which dialects a network plugin enforces, and its implementation-defined choices, made explicit."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROFILES", "Profile", "get_profile"]


@dataclass(frozen=True, slots=True)
class Profile:
    """A network plugin: the policy dialects it enforces and the choices the Kubernetes API leaves to it.

    ``dialects``: names of the dialects it enforces (``Dialect.name``: "NetworkPolicy", "Calico",
    "ClusterNetworkPolicy", "AdminNetworkPolicy", "Cilium"); a policy of another dialect is an error unless
    ignored. ``self_traffic``: ``"policy"`` evaluates a pod's traffic to its own IP like any other pair (the
    upstream conformance tables do); ``"allow"`` never blocks it. ``ipblock_matches_pods``: whether a Kubernetes
    ``ipBlock`` also matches in-cluster pod IPs (Calico: yes, Cilium: no). Dialects that fix this themselves ignore
    it: Calico ``nets`` and ClusterNetworkPolicy ``networks`` always match pod IPs, Cilium CIDR rules never do.
    ``ordered``: Calico's tiers and ``order`` decide, first matching rule wins. ``enforced_by``: the plugin's name
    in messages.
    """

    name: str
    self_traffic: str = "policy"
    ipblock_matches_pods: bool = True
    ordered: bool = False
    description: str = ""
    dialects: frozenset[str] = frozenset({"NetworkPolicy"})
    enforced_by: str = ""


PROFILES: dict[str, Profile] = {
    "upstream": Profile(
        "upstream",
        "policy",
        True,
        False,
        "Kubernetes semantics as written: self traffic evaluated like any pair; ipBlock matches any IP; "
        "NetworkPolicy and the network-policy-api kinds (ClusterNetworkPolicy, AdminNetworkPolicy).",
        frozenset({"NetworkPolicy", "ClusterNetworkPolicy", "AdminNetworkPolicy"}),
        "the Kubernetes API as written (network-policy-api implementations)",
    ),
    "calico": Profile(
        "calico",
        "allow",
        True,
        True,
        "Calico: tiers and order decide; a pod may always reach itself; ipBlock (nets) matches pod IPs too; "
        "Calico policies, NetworkPolicy, ClusterNetworkPolicy and AdminNetworkPolicy (kube-admin/kube-baseline tiers).",
        frozenset({"NetworkPolicy", "Calico", "ClusterNetworkPolicy", "AdminNetworkPolicy"}),
        "Calico",
    ),
    "cilium": Profile(
        "cilium",
        "allow",
        False,
        False,
        "Cilium: a pod may always reach itself; ipBlock (CIDR rules) never matches pods of the cluster; "
        "CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, NetworkPolicy and ClusterNetworkPolicy.",
        frozenset({"NetworkPolicy", "Cilium", "ClusterNetworkPolicy"}),
        "Cilium",
    ),
}


def get_profile(profile: str | Profile) -> Profile:
    """A profile by name ("upstream", "calico", "cilium") or the given Profile itself."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; expected one of: {', '.join(PROFILES)}") from None
