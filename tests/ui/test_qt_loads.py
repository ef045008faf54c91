from __future__ import annotations

from tests.conftest import skip_or_fail
from tests.ui.conftest import QT_PROBLEM


def test_qt_loads() -> None:
    """Qt's widgets load here; when they cannot, every UI test is skipped, and this says why."""
    if QT_PROBLEM is not None:
        skip_or_fail(f"Qt cannot load ({QT_PROBLEM}); `make test` as root installs its libraries")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    assert app.platformName() == "offscreen"
