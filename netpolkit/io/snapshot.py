"""Write a cluster as a ``kubectl get -A -o json`` export that :func:`netpolkit.load` reads back to the same cluster.

:func:`snapshot` takes any :class:`~netpolkit.cluster.Cluster` (from :func:`netpolkit.load`,
:func:`~netpolkit.io.live.load_live`, :meth:`~netpolkit.cluster.Cluster.from_objects`, or a what-if derived with
``apply``, ``delete``, ``label_namespace`` or ``commit_staged``), or objects themselves (the plain dicts
:func:`~netpolkit.io.live.fetch_objects` returns, the :class:`~netpolkit.io.Document` objects of
:func:`~netpolkit.io.read_documents`), and writes one ``List`` document, as ``kubectl get
namespaces,pods,services,networkpolicies -A -o json`` prints it: every item with its ``apiVersion`` and ``kind``,
indented by four spaces.

Of a Cluster it writes every object the cluster holds, in load order, as its manifest was read
(:meth:`~netpolkit.cluster.Cluster.manifest_of`): an applied object's new manifest, a deleted object not at all, a
namespace labelled with ``label_namespace`` with its labels. Each namespaced item names its namespace (a manifest
that left it to the default namespace of ``load`` gets it written in), so the export means the same whatever
default it is loaded with. A namespace only named by the objects in it (no Namespace object) stays so: ``load``
makes it again from those objects. ``netpolkit.load(path)`` then builds the same cluster: the same namespaces,
endpoints, Services, policies and verdicts.

Not written, because they are not Kubernetes objects: external endpoints (``externals``; a kubectl ``List`` has
no place for them, and a side file would be lost), objects that loading left out (kinds netpolkit does not model,
policies left out under ``unsupported="ignore"``, and so the warnings about them) and the ``replicas`` view.
A cluster with externals is not written unless ``without_externals=True`` says they are left out; give them to
``load`` again (the error shows the call).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from netpolkit.cluster import Cluster
from netpolkit.errors import PolicyError, Where, excerpt
from netpolkit.model.document import Document

__all__ = ["export_document", "snapshot"]

Source = Cluster | Iterable[Mapping[str, Any] | Document]
_ITEM_INDENT = " " * 8  # an item of "items" in kubectl's four-space layout


def _cluster_documents(cluster: Cluster, *, without_externals: bool) -> list[Document]:
    """The manifests of every object of ``cluster``, each naming its namespace, with where they came from."""
    if cluster.externals and not without_externals:
        given = {name: str(ip) for name, ip in cluster.externals.items()}
        raise ValueError(
            f"this Cluster has external endpoints ({', '.join(f'{n} {ip}' for n, ip in given.items())}), which are "
            "not Kubernetes objects and have no place in a kubectl export: write the objects with "
            f"snapshot(cluster, path, without_externals=True) and load with npk.load(path, externals={given!r})"
        )
    documents, missing = [], []
    for i, obj in enumerate(cluster.objects):
        manifest = cluster.manifest_of(obj)
        if manifest is None:
            missing.append(getattr(obj, "ref", None) or f"{type(obj).__name__} {obj.name}")
            continue
        namespace = getattr(obj, "namespace", "")
        metadata = manifest.get("metadata")
        if namespace and isinstance(metadata, Mapping) and not metadata.get("namespace"):
            manifest["metadata"] = {**metadata, "namespace": namespace}
        documents.append(Document(manifest, cluster.source_of(obj) or Where("<cluster>", f"objects[{i}]")))
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ValueError(
            f"this Cluster holds objects without the manifests they were parsed from ({shown}): it was built from "
            "parsed objects (Cluster(objects)); build it from manifests (npk.load, Cluster.from_objects) to snapshot it"
        )
    return documents


def _documents(source: Source, *, without_externals: bool) -> Iterator[tuple[Any, Where]]:
    if isinstance(source, Cluster):
        for doc in _cluster_documents(source, without_externals=without_externals):
            yield doc.obj, doc.where
        return
    if isinstance(source, Mapping | str | bytes):
        raise TypeError("snapshot() takes a Cluster or an iterable of objects (dicts or Documents), not one object")
    for i, item in enumerate(source):
        if isinstance(item, Document):
            yield item.obj, item.where
        else:
            yield item, Where("<objects>", i)


def _items(source: Source, *, without_externals: bool) -> Iterator[tuple[dict[str, Any], Where]]:
    """The export's items, each checked to be a Kubernetes object with a string ``apiVersion`` and ``kind``."""
    for obj, where in _documents(source, without_externals=without_externals):
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
        yield dict(obj), where


def export_document(source: Source, *, without_externals: bool = False) -> dict[str, Any]:
    """The ``List`` :func:`snapshot` writes, as a dict (``apiVersion: v1``, ``kind: List``, ``items``).

    Every item must be an object with a string ``apiVersion`` and ``kind``; anything else is a
    :class:`~netpolkit.PolicyError` naming where the item came from. A Cluster: see the module (ValueError for
    one with externals unless ``without_externals``, or one built from parsed objects without manifests).
    """
    items = [item for item, _ in _items(source, without_externals=without_externals)]
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def _target(path: str | os.PathLike[str]) -> Path:
    """The file to write, refused with a clear error when it cannot be a snapshot."""
    name = os.fspath(path)
    if not name:
        raise ValueError("an empty path names no file: give the snapshot's file, e.g. 'state.json'")
    target = Path(name)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder: give the snapshot's file, e.g. <folder>/state.json", name)
    if target.suffix.lower() != ".json":
        raise ValueError(
            f"{name}: a snapshot is JSON, and load reads a file as JSON by its name: name it *.json, "
            f"e.g. {target.with_suffix('.json').name!r}"
        )
    if not target.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder to write the snapshot in", str(target.parent))
    return target


def _write_items(out: Any, items: Iterator[tuple[dict[str, Any], Where]]) -> None:
    """kubectl's layout, one item at a time (a 100,000-pod export is never one string in memory)."""
    out.write('{\n    "apiVersion": "v1",\n    "items": [')
    first = True
    for item, where in items:
        try:
            text = json.dumps(item, indent=4, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"cannot be written as JSON: {exc}", where=where) from None
        # JSON text holds no raw newline inside a string, so every newline starts a line to indent
        out.write(("\n" if first else ",\n") + _ITEM_INDENT + text.replace("\n", "\n" + _ITEM_INDENT))
        first = False
    out.write("]" if first else "\n    ]")
    out.write(',\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')


def snapshot(source: Source, path: str | os.PathLike[str], *, without_externals: bool = False) -> Path:
    """Write ``source`` (see the module) to ``path`` as a ``kubectl get -A -o json`` export; returns the path.

    ``npk.load(path)`` reads it back to the same cluster (``externals`` given again). The file is written whole or
    not at all (a temporary file beside it, then renamed), so an interrupted snapshot never leaves half an export
    behind. Raises :class:`~netpolkit.PolicyError` for an item that is not a Kubernetes object or not JSON data;
    ValueError for a path not named ``*.json``, a Cluster with externals (unless ``without_externals=True``) or
    one without manifests; IsADirectoryError / FileNotFoundError when ``path`` is a folder or its folder is missing.
    """
    target = _target(path)
    items = _items(source, without_externals=without_externals)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write the snapshot here: {exc.strerror}", str(target)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            _write_items(out, items)
        os.chmod(temporary, 0o644)  # as a plain new file would be, not the temporary file's 0600
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
