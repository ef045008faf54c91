from __future__ import annotations

from tests.helpers.skips import skip_or_fail


def test_qt_loads(qt_problem: str | None) -> None:
    """Qt's widgets load here; when they cannot, every UI test is skipped, and this says why."""
    if qt_problem is not None:
        skip_or_fail(f"Qt cannot load ({qt_problem}); `make test` as root installs its libraries")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    assert app.platformName() == "offscreen"
