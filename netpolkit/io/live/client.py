"""A new ``kubernetes`` ApiClient for a kubeconfig context or the pod's service account, for callers above ``io``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from netpolkit.io.live import RETRIES, _connect, _kubernetes

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["connect"]


def connect(
    *, kubeconfig: str | os.PathLike[str] | None = None, context: str | None = None, in_cluster: bool = False
) -> ApiClient:
    """A new ApiClient as :func:`netpolkit.io.live.load_live` makes one (bounded retries); the caller closes it.

    Raises :class:`~netpolkit.io.live.LiveClusterError` when the kubeconfig or context cannot be used.
    """
    client, _ = _connect(_kubernetes(), kubeconfig, context, in_cluster, RETRIES)
    return client
