"""UI tests run without a screen: Qt draws offscreen (set before Qt is imported).

Qt needs a few system libraries (libEGL, fontconfig...). Where they are missing, the UI tests
are not collected and `test_qt_loads` skips loudly naming the problem (fails with REQUIRE_X11=1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from widget.store import Store

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

try:
    from PySide6 import QtGui, QtWidgets  # noqa: F401

    QT_PROBLEM: str | None = None
except ImportError as exc:
    QT_PROBLEM = str(exc)
    collect_ignore_glob = ["test_[!q]*.py"]  # every UI test but test_qt_loads


@pytest.fixture
def qt_problem() -> str | None:
    """Why Qt's widgets cannot load here (None when they can)."""
    return QT_PROBLEM


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "db.sqlite3")
    try:
        yield opened
    finally:
        opened.close()
