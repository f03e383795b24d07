"""A manifest document and where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netpolkit.errors import Where

__all__ = ["Document"]


@dataclass(frozen=True, slots=True)
class Document:
    """One manifest object (a dict as ``kubectl get -o json`` prints it) and where it came from."""

    obj: Any
    where: Where
