"""How netpolkit runs big jobs inside one Python process, independent of what it computes."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["PROGRESS_MIN_ITEMS", "progress", "quiet_gc"]

T = TypeVar("T")


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


# Work smaller than this many items finishes before a bar would help.
PROGRESS_MIN_ITEMS = 5_000


def progress(items: Iterable[T], *, total: int, desc: str) -> Iterable[T]:
    """``items`` with a progress bar on standard error when the work is long (``total`` of at least
    :data:`PROGRESS_MIN_ITEMS`) and someone watches: never in CI (``CI`` set), when ``NETPOLKIT_PROGRESS=0``, or
    when standard error is not a terminal (``NETPOLKIT_PROGRESS=1`` forces it on, e.g. in a notebook)."""
    wanted = os.environ.get("NETPOLKIT_PROGRESS")
    if wanted == "0" or total < PROGRESS_MIN_ITEMS:
        return items
    if wanted != "1" and (os.environ.get("CI") or not _stderr_is_a_terminal()):
        return items
    from tqdm.auto import tqdm

    return tqdm(items, total=total, desc=desc, unit=" objects" if "load" in desc else "", leave=False)


def _stderr_is_a_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
