"""Loaders: manifests and ``kubectl`` exports from files, or a live cluster through the kubernetes client."""

from __future__ import annotations

from netpolkit.io.manifests import Document, load, read_documents, read_text

__all__ = ["Document", "load", "load_live", "read_documents", "read_text"]


def load_live(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Load a live cluster (see :func:`netpolkit.io.live.load_live`); needs ``pip install 'netpolkit[live]'``."""
    from netpolkit.io.live import load_live as _load_live

    return _load_live(*args, **kwargs)
