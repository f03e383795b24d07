"""``python -m netpolkit``: the ``netpolkit`` command (see :mod:`netpolkit.cli`)."""

from __future__ import annotations

from netpolkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
