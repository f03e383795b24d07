"""The one error type for bad input: :class:`PolicyError`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PolicyError", "UnknownEndpointError", "Where"]


@dataclass(frozen=True, slots=True)
class Where:
    """Where an object came from: file, document index (and list item), object name."""

    file: str | None = None
    document: int | str | None = None
    obj: str | None = None

    def with_obj(self, obj: str) -> Where:
        """The same place, naming the object found there (``kind namespace/name``)."""
        return Where(self.file, self.document, obj)


class PolicyError(ValueError):
    """Bad input: names the file, the document, the object and the field path.

    ``str(error)`` reads like
    ``policies.yaml: document 2: NetworkPolicy shop/web: spec.ingress[0].ports[0].port: must be 1-65535, got 70000``.
    """

    def __init__(self, message: str, *, where: Where | None = None, path: str | None = None) -> None:
        self.message = message
        self.where = where or Where()
        self.path = path or None
        super().__init__(self._render())

    @property
    def file(self) -> str | None:
        """The file the bad object came from, if any."""
        return self.where.file

    @property
    def document(self) -> int | str | None:
        """The document index inside the file (0-based), if any."""
        return self.where.document

    @property
    def obj(self) -> str | None:
        """The object, as ``kind namespace/name``, if known."""
        return self.where.obj

    def _render(self) -> str:
        parts: list[str] = []
        if self.where.file:
            parts.append(str(self.where.file))
        if self.where.document is not None:
            parts.append(f"document {self.where.document}")
        if self.where.obj:
            parts.append(self.where.obj)
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ": ".join(parts)


class UnknownEndpointError(KeyError):
    """An endpoint id that the cluster does not have; the message suggests near matches."""

    def __init__(self, endpoint: str, suggestions: tuple[str, ...] = ()) -> None:
        self.endpoint = endpoint
        self.suggestions = suggestions
        super().__init__(endpoint)

    def __str__(self) -> str:
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"no endpoint {self.endpoint!r} in this cluster{hint}"
