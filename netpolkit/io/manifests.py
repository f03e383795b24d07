"""Read manifests: YAML (multi-document) or JSON files and folders, lists (``kind: List``, ``PodList``, ...) flattened.

:func:`read_documents` yields :class:`Document` objects that remember their file and index, so every later error
names where the bad object came from. :func:`load` turns paths into a :class:`~netpolkit.cluster.Cluster`.
Reading is strict (a duplicate key is an error) and bounded (see :mod:`netpolkit.limits`): see
:mod:`netpolkit.io.decode`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from netpolkit.cluster import Cluster
from netpolkit.errors import PolicyError, Where, excerpt
from netpolkit.io.decode import decode, read_file
from netpolkit.model.document import Document
from netpolkit.runtime import quiet_gc

__all__ = ["Document", "load", "read_documents", "read_text"]

SUFFIXES = (".yaml", ".yml", ".json")


def _files(path: Path, name: str) -> list[Path]:
    where = Where(name)
    if not name:
        raise PolicyError("an empty path names no file or folder (write '.' for the current folder)")
    try:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            return [p for p in found if not any(part.startswith(".") for part in p.relative_to(path).parts)]
        exists = path.exists()
    except OSError as exc:  # a name too long, a loop of symbolic links, a folder that cannot be listed
        raise PolicyError(f"cannot read: {exc.strerror or exc}", where=where) from None
    if not exists:
        raise PolicyError("no such file or folder", where=where)
    return [path]


def read_text(text: str, name: str = "<text>") -> list[Document]:
    """Parse YAML or JSON text (several documents allowed) into Documents; lists are flattened into their items.

    JSON when ``name`` ends in ``.json``, else YAML. A typed list as the REST API returns it (``PodList``,
    ``NetworkPolicyList``, ...) may leave ``kind`` and ``apiVersion`` out of its items: they follow from the list's.
    """
    docs: list[Document] = []
    for index, obj in enumerate(decode(text, name)):
        if obj is None:
            continue
        where = Where(name, index)
        if not isinstance(obj, Mapping):
            raise PolicyError(f"expected a Kubernetes object (a mapping), got {_kind_of(obj)}", where=where)
        kind = obj.get("kind")
        schema = obj.get("schema")
        if kind is None and isinstance(schema, str) and schema.startswith("netpolkit-"):
            continue  # netpolkit's own data files (tutorial.yaml, lab.yaml) live beside manifests
        if isinstance(kind, str) and kind.endswith("List") and "items" in obj:
            docs.extend(_list_items(obj, kind, name, index))
        else:
            docs.append(Document(obj, where))
    return docs


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {excerpt(value)}"
    return f"{type(value).__name__} {excerpt(value)}"


def _list_items(obj: Mapping[str, Any], kind: str, name: str, index: int) -> list[Document]:
    """The items of a list document; a typed list's items get the kind and apiVersion the list implies."""
    where = Where(name, index)
    items = obj.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise PolicyError(f"expected a list, got {_kind_of(items)}", where=where, path="items")
    item_kind = kind[: -len("List")] if kind != "List" else None
    api_version = obj.get("apiVersion")
    if item_kind is not None and not isinstance(api_version, str):
        raise PolicyError(
            "required field is missing (a typed list names its items' group and version)",
            where=where,
            path="apiVersion",
        )
    docs = []
    for i, item in enumerate(items):
        item_where = Where(name, f"{index}, items[{i}]")
        if item_kind is not None and isinstance(item, Mapping):
            for field, implied in (("kind", item_kind), ("apiVersion", api_version)):
                given = item.get(field)
                if given is not None and given != implied:
                    raise PolicyError(
                        f"a {kind} ({api_version}) holds {api_version} {item_kind} objects, got {excerpt(given)}",
                        where=item_where,
                        path=field,
                    )
            if item.get("kind") is None or item.get("apiVersion") is None:
                item = {
                    "apiVersion": api_version,
                    "kind": item_kind,
                    **{k: v for k, v in item.items() if k not in ("kind", "apiVersion")},
                }
        docs.append(Document(item, item_where))
    return docs


def read_documents(*paths: str | os.PathLike[str]) -> list[Document]:
    """All documents of the given files and folders (folders: every .yaml/.yml/.json below, sorted)."""
    docs: list[Document] = []
    for path in paths:
        name = os.fspath(path)
        for file in _files(Path(name), name):
            with quiet_gc():
                docs.extend(read_text(read_file(file), str(file)))
    return docs


def load(
    *paths: str | os.PathLike[str],
    externals: Mapping[str, str] | None = None,
    replicas: str = "one",
    default_namespace: str = "default",
    replace: bool = False,
    unsupported: str = "error",
) -> Cluster:
    """Load manifests or ``kubectl get ... -o yaml|json`` exports into a :class:`Cluster`.

    ``externals`` names external endpoints (``{"internet": "203.0.113.10"}``); ``replicas="all"`` expands each
    workload into one pod per replica. ``replace=True`` applies the documents in order (a later object with the same
    kind/namespace/name replaces an earlier one), e.g. to load a tutorial folder as its final state.
    Raises :class:`PolicyError` on the first bad object; nothing half-loaded. A policy netpolkit cannot evaluate
    (an unknown policy kind or version, an unmodelled feature such as L7 rules) is such an error;
    ``unsupported="ignore"`` leaves it out instead and keeps a warning in ``Cluster.warnings``.
    """
    if not paths:
        raise ValueError("load() needs at least one file or folder")
    # One pause of the cyclic collector for the whole load, and the decoded documents dropped before it ends: the
    # first collection after a pause walks every object made during it, and the documents are millions of objects
    # for a large export (between separate pauses it would walk them again for every generation they pass through).
    with quiet_gc():
        docs: Iterable[Document] = read_documents(*paths)
        cluster = Cluster.from_documents(
            docs,
            externals,
            replicas=replicas,
            default_namespace=default_namespace,
            replace=replace,
            unsupported=unsupported,
        )
        del docs
    return cluster
