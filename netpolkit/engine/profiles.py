"""Profiles: the implementation-defined choices of a network plugin, made explicit."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROFILES", "Profile", "get_profile"]


@dataclass(frozen=True, slots=True)
class Profile:
    """Choices the Kubernetes API leaves to the network plugin.

    ``self_traffic``: ``"policy"`` evaluates a pod's traffic to its own IP like any other pair (the upstream
    conformance tables do); ``"allow"`` never blocks it (it does not leave the pod's network namespace on most
    plugins). ``ipblock_matches_pods``: whether an ``ipBlock`` also matches in-cluster pod IPs (Calico: yes,
    Cilium: no). ``ordered``: Calico's tiers and ``order`` decide, first matching rule wins.
    """

    name: str
    self_traffic: str = "policy"
    ipblock_matches_pods: bool = True
    ordered: bool = False
    description: str = ""


PROFILES: dict[str, Profile] = {
    "upstream": Profile(
        "upstream",
        "policy",
        True,
        False,
        "Kubernetes semantics as written: self traffic evaluated like any pair; ipBlock matches any IP.",
    ),
    "calico": Profile(
        "calico",
        "allow",
        True,
        True,
        "Calico: tiers and order decide; a pod may always reach itself; ipBlock (nets) matches pod IPs too.",
    ),
    "cilium": Profile(
        "cilium",
        "allow",
        False,
        False,
        "Cilium: a pod may always reach itself; ipBlock (CIDR rules) never matches pods of the cluster.",
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
