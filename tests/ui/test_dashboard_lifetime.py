"""The dashboard's lifetime in the tray app: opened from the tray and closed again, several
times, nothing of it stays behind. Each closed window is deleted (its C++ object gone), no
Python reference keeps its wrapper (and the week's data it holds) alive, and every chart it
showed is deleted with it, also the ones a week step replaced; after the rounds the
application holds no more widgets than before the first. bench/bench_dashboard_lifetime.py
measures the same in the running tray app."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import shiboken6
from PySide6.QtCharts import QChart, QChartView
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from widget.catalog_data import load_catalog
from widget.core.calendar import local_day
from widget.core.catalog import entry_to_app
from widget.core.options import Options
from widget.desktop.qt_guard import keep_singletons_alive
from widget.services.demo import DEMO_APPS, DEMO_GOALS, demo_intervals
from widget.store import Store
from widget.store.resident import ResidentStore
from widget.ui.controller import TrayController
from widget.ui.dashboard.window import DashboardWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=BERLIN).astimezone(UTC)  # Thursday of 2026-W48
ROUNDS = 4


@pytest.fixture(autouse=True, scope="module")
def _singletons_outlive_pyside() -> None:
    keep_singletons_alive()  # done by tests/conftest.py already; the app does it at start


class NoTracker:
    """The controller's tracker is not needed to open the dashboard."""


@pytest.fixture
def controller(tmp_path: Path) -> Iterator[TrayController]:
    """The tray's controller over twelve weeks of demo history, as `driftcheck demo-data`
    writes it."""
    path = tmp_path / "driftcheck.sqlite3"
    full = Store.open(path, clock=lambda: NOW)
    try:
        catalog = load_catalog()
        for key in DEMO_APPS:
            full.add_app(entry_to_app(catalog.get(key), "linux"))
        for interval in demo_intervals(7, 12, BERLIN, 4, local_day(NOW, BERLIN, 4)):
            full.insert_interval(interval)
        full.replace_goals(list(DEMO_GOALS))
    finally:
        full.close()
    store = ResidentStore.open(path)
    made = TrayController(store, NoTracker(), Options(), tz=BERLIN,  # type: ignore[arg-type]
                          now=lambda: NOW)
    try:
        yield made
    finally:
        made.close()
        store.close()


def charts_of(window: DashboardWindow) -> list[QChart]:
    return [view.chart() for view in window.findChildren(QChartView)]


def settle() -> None:
    """What the event loop does next: deferred deletions, then Python's cycle collector."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def still_there() -> list[object]:
    """Dashboards, chart views and charts whose C++ object still exists, among the objects
    Python knows."""
    return [o for o in gc.get_objects()
            if isinstance(o, DashboardWindow | QChart | QChartView) and shiboken6.isValid(o)]


def test_a_closed_dashboard_leaves_nothing_behind(qtbot: QtBot,
                                                  controller: TrayController) -> None:
    settle()
    widgets_before = len(QApplication.allWidgets())
    for _ in range(ROUNDS):
        window = controller.open_dashboard()
        assert window is not None and window.isVisible() and window.data is not None
        shown = charts_of(window)
        window.previous_week()  # a week step replaces every chart
        assert window.data.week == "2026-W47"
        shown += charts_of(window)
        assert len(shown) == 6 and all(shiboken6.isValid(chart) for chart in shown[3:])
        window.show_method()  # "How is this worked out?": a box of the window's own
        box = window.method_box
        assert isinstance(box, QMessageBox) and box.isVisible()
        held = weakref.ref(window)

        window.close()  # what Ctrl+W and the window manager's close button do
        del window
        settle()

        assert controller._dashboard is None, "the controller let go of it"
        assert held() is None, "nothing in Python holds the closed window (nor its data)"
        assert not shiboken6.isValid(box), "its box went with it"
        alive = [chart for chart in shown if shiboken6.isValid(chart)]
        assert not alive, f"{len(alive)} of its {len(shown)} charts outlived the window"
        assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, DashboardWindow)]
        assert not still_there()

    assert len(QApplication.allWidgets()) == widgets_before, \
        "the closed dashboards left widgets behind"


def test_asked_again_while_open_it_stays_one_window(qtbot: QtBot,
                                                    controller: TrayController) -> None:
    """The tray's "Open dashboard" with the window already open brings the same window
    forward; its charts are redrawn, and the ones replaced are deleted, not kept."""
    window = controller.open_dashboard()
    assert window is not None
    first = charts_of(window)
    for _ in range(ROUNDS):
        assert controller.open_dashboard() is window
    settle()
    assert [chart for chart in first if shiboken6.isValid(chart)] == [], \
        "the charts of the first drawing were replaced, so deleted"
    assert all(shiboken6.isValid(chart) for chart in charts_of(window))
    assert len([w for w in QApplication.allWidgets() if isinstance(w, QChartView)]) == 3
    assert [w for w in QApplication.topLevelWidgets() if isinstance(w, DashboardWindow)] \
        == [window]
    window.close()
    del window
    settle()
    assert controller._dashboard is None and not still_there()


def test_a_finished_dialog_is_deleted_not_kept(qtbot: QtBot,
                                               controller: TrayController) -> None:
    """The answers, settings and check-in dialogs, once finished, are gone: their C++ objects
    deleted and nothing of ours holding them (each closed one used to stay, with its widgets,
    held by the connection to its own `finished`)."""
    opened = []
    for open_one in (controller.windows.answers_kept, controller.open_settings,
                     controller.check_in):
        open_one()
        opened.append(controller._dialogs[-1])
    for dialog in opened:
        dialog.reject()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not any(shiboken6.isValid(d) for d in opened), timeout=5000)
    assert controller._dialogs == []
