"""How netpolkit runs big jobs inside one Python process, independent of what it computes."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["quiet_gc"]


@contextlib.contextmanager
def quiet_gc() -> Iterator[None]:
    """No cyclic garbage collection while building millions of short-lived objects over a large heap (a loaded
    100,000-pod cluster): each full collection would walk the whole cluster again. Restores the previous state;
    nested uses are fine."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
