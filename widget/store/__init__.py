"""Persistence: one private SQLite file behind `Store`, which speaks `widget.core.model`."""

from widget.store.db import Store

__all__ = ["Store"]
