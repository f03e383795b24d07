"""``python -m netpolkit.cli``: the same command as ``python -m netpolkit`` and ``netpolkit``."""

from __future__ import annotations

from netpolkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
