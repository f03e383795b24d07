"""Ports and protocols: port queries (``"TCP/80"``) and port-name syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass

from netpolkit.errors import excerpt

__all__ = ["PROTOCOLS", "PortQuery", "check_port_name", "is_decimal"]

PROTOCOLS = ("TCP", "UDP", "SCTP")
_IANA_SVC_NAME = re.compile(r"(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?")  # fullmatch: "$" passes a final "\n"


def is_decimal(text: str) -> bool:
    """Whether ``text`` is a plain decimal number of at most 9 digits (``str.isdigit`` accepts "²" and "٣")."""
    return 0 < len(text) <= 9 and text.isascii() and text.isdigit()


def check_port_name(name: str) -> str | None:
    """Why ``name`` is not a valid port name (IANA service name), or ``None`` when it is."""
    if len(name) > 15 or not _IANA_SVC_NAME.fullmatch(name) or "--" in name:
        return (
            f"port name {excerpt(name)} must be 1-15 lowercase letters, digits or '-', with at least one letter "
            "and no leading, trailing or double '-'"
        )
    return None


@dataclass(frozen=True, slots=True, order=True)
class PortQuery:
    """A destination pod port and its protocol, e.g. ``TCP/80``."""

    protocol: str
    port: int

    @classmethod
    def parse(cls, spec: str | int | PortQuery) -> PortQuery:
        """Parse ``"80"``, ``80``, ``"TCP/80"``, ``"udp/53"``, ``"SCTP/81"`` (protocol defaults to TCP)."""
        if isinstance(spec, PortQuery):
            return spec
        if isinstance(spec, int) and not isinstance(spec, bool):
            if not 1 <= spec <= 65535:
                raise ValueError(f"port number {excerpt(spec)} must be 1-65535")
            protocol, number = "TCP", str(spec)
        elif isinstance(spec, str):
            protocol, _, number = spec.strip().rpartition("/")
            protocol = protocol.upper() or "TCP"
        else:
            raise ValueError(f"port must be like 'TCP/80', got {excerpt(spec)}")
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol in port {excerpt(spec)}; expected one of: {', '.join(PROTOCOLS)}")
        if not is_decimal(number) or not 1 <= int(number) <= 65535:
            raise ValueError(f"port number in {excerpt(spec)} must be 1-65535")
        return cls(protocol, int(number))

    def __str__(self) -> str:
        return f"{self.protocol}/{self.port}"
