"""Which policy APIs a cluster serves, beside the ones netpolkit models (API discovery: ``GET /apis`` and
``GET /apis/<group>/<version>``, nothing else).

:func:`discover_policy_apis` answers, before anything is read: will ``load_live`` see this cluster's Calico,
Cilium and network-policy-api policies? A row per kind netpolkit reads (served or not) and a row per version of a
policy API group that the cluster serves and netpolkit does not read (Calico's ``crd.projectcalico.org`` CRDs, a
newer ``cilium.io`` version, ...). Requests go through the same bounded, GET-only session as ``load_live``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pandas as pd

from netpolkit.io.live import (
    _CALICO_CRD_GROUP,
    _OPTIONAL,
    _REQUIRED,
    CALICO_GROUP,
    CALICO_VERSION,
    CILIUM_GROUP,
    NETWORK_POLICY_API_GROUP,
    _connect,
    _kubernetes,
    _limits,
    _Session,
)
from netpolkit.model import POLICY_GROUPS

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["API_NAMES", "DISCOVERY_COLUMNS", "discover_policy_apis"]

DISCOVERY_COLUMNS = ("api", "group", "version", "kind", "resource", "modelled", "served", "note")
"""Columns of :func:`discover_policy_apis`: ``modelled`` whether netpolkit reads this group version and kind,
``served`` whether the cluster serves it (None when API discovery could not be read)."""

API_NAMES = {
    "networking.k8s.io": "Kubernetes",
    CALICO_GROUP: "Calico",
    _CALICO_CRD_GROUP: "Calico",
    CILIUM_GROUP: "Cilium",
    NETWORK_POLICY_API_GROUP: "network-policy-api",
}
"""The policy API each group belongs to, as the ``api`` column names it."""


def _unmodelled_note(group: str) -> str:
    if group == _CALICO_CRD_GROUP:
        return (
            f"Calico's CRDs: netpolkit reads Calico policies through the Calico API server "
            f"({CALICO_GROUP}/{CALICO_VERSION}), not these"
        )
    read = sorted({spec.version for spec in (*_REQUIRED, *_OPTIONAL) if spec.group == group})
    if read:
        return f"a version netpolkit does not read (it reads {group}/{', '.join(read)})"
    return "a policy API netpolkit does not evaluate"


def discover_policy_apis(
    api_client: ApiClient | None = None,
    *,
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    in_cluster: bool = False,
    request_timeout: float | None = None,
    retries: int | None = None,
) -> pd.DataFrame:
    """The policy APIs netpolkit models and what the cluster serves of them (columns :data:`DISCOVERY_COLUMNS`).

    One row per kind ``load_live`` reads: Kubernetes ``networking.k8s.io/v1`` NetworkPolicy, Calico
    ``projectcalico.org/v3`` (Tier, GlobalNetworkPolicy, NetworkPolicy and the staged kinds), network-policy-api
    ``policy.networking.k8s.io`` (ClusterNetworkPolicy v1alpha2, AdminNetworkPolicy and
    BaselineAdminNetworkPolicy v1alpha1) and Cilium ``cilium.io/v2`` (CiliumNetworkPolicy,
    CiliumClusterwideNetworkPolicy), with ``served`` True when the group version is in ``GET /apis`` and its
    resource list (``GET /apis/<group>/<version>``) has the resource with the verb ``list``. Then one row per
    other served version of a policy API group (``modelled`` False: ``load_live`` does not read it), such as
    ``crd.projectcalico.org/v1``.

    Connects like :func:`~netpolkit.io.live.load_live` (``api_client``, or ``kubeconfig``/``context``, or
    ``in_cluster``); sends only GET requests to the discovery paths. When ``/apis`` cannot be read (an error
    status), ``served`` is None and ``note`` says so: ``load_live`` then tries every list. Raises
    :class:`~netpolkit.io.live.LiveClusterError` when the server cannot be reached or answers garbage.
    """
    k8s = _kubernetes()
    if api_client is not None and (kubeconfig is not None or context is not None or in_cluster):
        raise ValueError("give either api_client or kubeconfig/context/in_cluster, not both")
    limits = _limits(request_timeout=request_timeout, retries=retries)
    owned = api_client is None
    if api_client is None:
        api_client, _ = _connect(k8s, kubeconfig, context, in_cluster, limits.retries)
    try:
        session = _Session(api_client, limits, lambda message: None)
        served = session.groups()
        resources: dict[tuple[str, str], set[str] | None] = {}
        rows = []
        for spec in (_REQUIRED[3], *_OPTIONAL):
            gv = (spec.group, spec.version)
            is_served: bool | None
            if served is None:
                is_served, note = None, "API discovery (/apis) could not be read"
            elif spec.version not in served.get(spec.group, set()):
                is_served, note = False, f"no {spec.group}/{spec.version} in API discovery"
            else:
                if gv not in resources:
                    resources[gv] = session.resources(*gv)
                listed = resources[gv]
                if listed is None:
                    is_served, note = None, f"the resource list of {spec.group}/{spec.version} could not be read"
                elif spec.plural in listed:
                    is_served, note = True, ""
                else:
                    is_served, note = False, f"{spec.group}/{spec.version} serves no {spec.plural} to list"
            if is_served is False:
                note += ": load_live skips it"
            rows.append(
                {
                    "api": API_NAMES[spec.group],
                    "group": spec.group,
                    "version": spec.version,
                    "kind": spec.kind,
                    "resource": spec.resource,
                    "modelled": True,
                    "served": is_served,
                    "note": note,
                }
            )
        modelled = {(spec.group, spec.version) for spec in (*_REQUIRED, *_OPTIONAL)}
        for group, versions in sorted((served or {}).items()):
            if group not in POLICY_GROUPS:
                continue
            for version in sorted(versions):
                if (group, version) in modelled:
                    continue
                rows.append(
                    {
                        "api": API_NAMES.get(group, group),
                        "group": group,
                        "version": version,
                        "kind": None,
                        "resource": None,
                        "modelled": False,
                        "served": True,
                        "note": _unmodelled_note(group),
                    }
                )
    finally:
        if owned:
            api_client.close()
    frame = pd.DataFrame(rows, columns=list(DISCOVERY_COLUMNS))
    frame["served"] = frame["served"].astype("boolean")
    return frame
