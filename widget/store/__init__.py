"""Persistence: one private SQLite file behind `Store`, which speaks `widget.core.model`.

`Store` (SQLAlchemy) is imported on first use, so that the always-running tracker, which
writes through `widget.store.resident` on the stdlib driver, never loads SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from widget.store.db import Store

__all__ = ["Store"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from widget.store.db import Store

        return Store
    raise AttributeError(name)
