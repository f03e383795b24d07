"""Read manifests: YAML (multi-document) or JSON files and folders, ``kind: List`` flattened.

:func:`read_documents` yields :class:`Document` objects that remember their file and index, so every later error
names where the bad object came from. :func:`load` turns paths into a :class:`~netpolkit.cluster.Cluster`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from netpolkit.cluster import Cluster
from netpolkit.errors import PolicyError, Where
from netpolkit.model.document import Document

__all__ = ["Document", "load", "read_documents", "read_text"]

SUFFIXES = (".yaml", ".yml", ".json")


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        return [p for p in found if not any(part.startswith(".") for part in p.relative_to(path).parts)]
    if not path.exists():
        raise PolicyError("no such file or folder", where=Where(str(path)))
    return [path]


def read_text(text: str, name: str = "<text>") -> list[Document]:
    """Parse YAML or JSON text (several documents allowed) into Documents."""
    try:
        raw = [json.loads(text)] if name.lower().endswith(".json") else list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{line}invalid YAML: {problem}", where=Where(name)) from None
    except json.JSONDecodeError as exc:
        raise PolicyError(
            f"line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}", where=Where(name)
        ) from None
    docs: list[Document] = []
    for index, obj in enumerate(raw):
        if obj is None:
            continue
        where = Where(name, index)
        if not isinstance(obj, Mapping):
            raise PolicyError(f"expected a Kubernetes object (a mapping), got {type(obj).__name__}", where=where)
        kind = obj.get("kind")
        if kind is None and str(obj.get("schema", "")).startswith("netpolkit-"):
            continue  # netpolkit's own data files (tutorial.yaml, lab.yaml) live beside manifests
        if isinstance(kind, str) and kind.endswith("List") and "items" in obj:
            items = obj.get("items") or []
            if not isinstance(items, list):
                raise PolicyError("expected a list", where=where, path="items")
            docs.extend(Document(item, Where(name, f"{index}, items[{i}]")) for i, item in enumerate(items))
        else:
            docs.append(Document(obj, where))
    return docs


def read_documents(*paths: str | os.PathLike[str]) -> list[Document]:
    """All documents of the given files and folders (folders: every .yaml/.yml/.json below, sorted)."""
    docs: list[Document] = []
    for path in paths:
        for file in _files(Path(path)):
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise PolicyError(f"cannot read: {exc}", where=Where(str(file))) from None
            docs.extend(read_text(text, str(file)))
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
    docs: Iterable[Document] = read_documents(*paths)
    return Cluster.from_documents(
        docs,
        externals,
        replicas=replicas,
        default_namespace=default_namespace,
        replace=replace,
        unsupported=unsupported,
    )
