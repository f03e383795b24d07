"""Write what was read from a cluster as a ``kubectl get -A -o json`` export that :func:`netpolkit.load` reads back.

:func:`snapshot` takes a :class:`~netpolkit.cluster.Cluster` made by :func:`~netpolkit.io.live.load_live` (which
remembers the objects it read), the objects themselves (:func:`~netpolkit.io.live.fetch_objects` returns them as
plain dicts) or the :class:`~netpolkit.io.Document` objects of :func:`~netpolkit.io.read_documents`, and writes one
``List`` document, as ``kubectl get namespaces,pods,services,networkpolicies -A -o json`` prints it: every item
with its ``apiVersion`` and ``kind``, in the order read, indented by four spaces. ``netpolkit.load(path)`` then
builds the same cluster: the same endpoints, policies and verdicts.

External endpoints (an IP named "internet") are not cluster objects: give them to ``load`` again.
"""

from __future__ import annotations

import json
import os
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from netpolkit.cluster import Cluster
from netpolkit.errors import PolicyError, Where, excerpt
from netpolkit.model.document import Document

__all__ = ["export_document", "remember_read", "snapshot"]

_READ: weakref.WeakKeyDictionary[Cluster, tuple[dict[str, Any], ...]] = weakref.WeakKeyDictionary()


def remember_read(cluster: Cluster, objects: Iterable[Mapping[str, Any]]) -> None:
    """Keep the objects ``cluster`` was built from, for :func:`snapshot` (called by ``load_live``).

    Held only as long as the cluster lives; clusters derived from it (``apply``, ``delete``) are not what was read
    and are not remembered.
    """
    _READ[cluster] = tuple(dict(obj) for obj in objects)


def _objects(source: Cluster | Iterable[Mapping[str, Any] | Document]) -> list[tuple[Any, Where]]:
    if isinstance(source, Cluster):
        read = _READ.get(source)
        if read is None:
            raise ValueError(
                "this Cluster does not hold what was read (it was not made by load_live, or it was derived from "
                "one by apply/delete): snapshot the objects instead, e.g. snapshot(fetch_objects(client), path) "
                "or snapshot(read_documents(files), path)"
            )
        return [(obj, Where("<live>", f"items[{i}]")) for i, obj in enumerate(read)]
    if isinstance(source, Mapping | str | bytes):
        raise TypeError("snapshot() takes a Cluster or an iterable of objects (dicts or Documents), not one object")
    found = []
    for i, item in enumerate(source):
        if isinstance(item, Document):
            found.append((item.obj, item.where))
        else:
            found.append((item, Where("<objects>", i)))
    return found


def export_document(source: Cluster | Iterable[Mapping[str, Any] | Document]) -> dict[str, Any]:
    """The ``List`` :func:`snapshot` writes, as a dict (``apiVersion: v1``, ``kind: List``, ``items``).

    Every item must be an object with a string ``apiVersion`` and ``kind``; anything else is a
    :class:`~netpolkit.PolicyError` naming where the item came from.
    """
    items = []
    for obj, where in _objects(source):
        if not isinstance(obj, Mapping):
            raise PolicyError(f"expected a Kubernetes object (a mapping), got {excerpt(obj)}", where=where)
        for field in ("apiVersion", "kind"):
            if not isinstance(obj.get(field), str) or not obj.get(field):
                raise PolicyError(
                    f"required field is missing or not a string (got {excerpt(obj.get(field))}): an export names "
                    "every item's apiVersion and kind",
                    where=where,
                    path=field,
                )
        items.append(dict(obj))
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def snapshot(source: Cluster | Iterable[Mapping[str, Any] | Document], path: str | os.PathLike[str]) -> Path:
    """Write ``source`` (see the module) to ``path`` as a ``kubectl get -A -o json`` export; returns the path.

    The file is written whole or not at all (a temporary file beside it, then renamed), so an interrupted
    snapshot never leaves half an export behind. Raises :class:`~netpolkit.PolicyError` for an item that is not a
    Kubernetes object or not JSON data, ValueError for a Cluster that does not hold what was read.
    """
    document = export_document(source)
    try:
        text = json.dumps(document, indent=4, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"cannot be written as JSON: {exc}", where=Where(os.fspath(path))) from None
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)  # as a plain new file would be, not the temporary file's 0600
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
