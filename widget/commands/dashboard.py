"""`driftcheck dashboard [--week 2026-W48]`: the dashboard window, from a terminal.

When a driftcheck tray app runs on the data folder, it is asked (over the single-instance
FIFO, `widget.desktop.single_instance`: local only) to open its own dashboard at that week, and this
command leaves at once. Otherwise the dashboard opens on its own: a Qt window of its own over
the data folder, until it is closed. A week that has not begun yet is refused in one sentence
(the dashboard shows this week and the weeks before it); a malformed one is refused by the
parser.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from widget.core.calendar import iso_week, local_day, week_monday
from widget.errors import UsageError

if TYPE_CHECKING:
    from widget.ui.dashboard.window import DashboardWindow

log = logging.getLogger(__name__)

OPENED_IN_TRAY = "The dashboard is open in the driftcheck that is running."
NOT_BEGUN = ("The week {week} has not begun yet, so there is nothing to show for it; this "
             "week is {this}.")  # said by `dashboard --week` and `report --week` alike
NO_DISPLAY = ("The dashboard needs a graphical desktop to open its window, and none was found "
              "({why}); `driftcheck report` shows the week's numbers here.")


def refuse_future(week: str | None, now: datetime, tz: tzinfo, day_start_hour: int) -> None:
    """Raise a one-sentence `UsageError` when ISO `week` begins after the week of `now`."""
    if week is None:
        return
    this = iso_week(local_day(now, tz, day_start_hour))
    if week_monday(week) > week_monday(this):
        raise UsageError(NOT_BEGUN.format(week=week, this=this))


def dashboard(args: argparse.Namespace) -> int:
    """Ask the running tray app for its dashboard, or open one here."""
    from widget.core.options import Options
    from widget.datafolder import prepare_data_dir
    from widget.desktop.localzone import local_zone
    from widget.paths import DB_NAME
    from widget.store.resident import open_for_tracking

    directory = prepare_data_dir(args)
    tz = local_zone()
    store = open_for_tracking(directory / DB_NAME)
    try:
        day_start = int(Options.from_settings(store.all_settings()).day_start_hour)
    finally:
        store.close()
    week: str | None = args.week
    refuse_future(week, datetime.now(UTC), tz, day_start)

    from widget.desktop.single_instance import SingleInstance, dashboard_message

    instance = SingleInstance(directory)
    # A running `driftcheck track` holds the same lock but does not listen: then it opens here.
    if instance.is_running() and instance.ask_running(dashboard_message(week)):
        log.info("asked the running driftcheck for its dashboard")
        print(OPENED_IN_TRAY)
        return 0
    return standalone(directory / DB_NAME, week, tz, day_start)


def standalone(path: Path, week: str | None, tz: tzinfo, day_start: int) -> int:
    """The dashboard in a window of its own over the database at `path`, until it is
    closed."""
    from widget.desktop.display import display_problem

    problem = display_problem()
    if problem is not None:
        print(f"driftcheck: {NO_DISPLAY.format(why=problem)}", file=sys.stderr)
        return 1
    from widget.services.dashboard import ComputerDashboards
    from widget.services.devices import reader_for
    from widget.store.resident import open_for_tracking

    local = open_for_tracking(path)
    # all the person's computers while they share their time, as the tray shows, and each
    # alone through the dashboard's filter (issue 16)
    dashboards = ComputerDashboards.of_reading(reader_for(local, path.parent, tz))
    from widget.desktop.qt_guard import keep_singletons_alive

    keep_singletons_alive()
    from PySide6.QtWidgets import QApplication

    from widget.ui.dashboard.window import DashboardWindow
    from widget.ui.icon import RingLook, ring_icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("driftcheck")
    app.setDesktopFileName("driftcheck")
    app.setWindowIcon(ring_icon(RingLook(fill=0.75)))
    try:
        window = DashboardWindow(
            lambda shown: dashboards.load(shown, datetime.now(UTC), tz, day_start),
            by_computer=lambda shown, computer: dashboards.load(
                shown, datetime.now(UTC), tz, day_start, computer))
        window.choose_apps.connect(lambda: _choose_apps(window, path))
        window.show_week(week)
        window.show()
        window.raise_()
        window.activateWindow()
        log.info("dashboard opened on its own (no tray app runs here)")
        return int(app.exec())
    finally:
        local.close()


def _choose_apps(window: DashboardWindow, path: Path) -> None:
    """'Choose apps...' on a dashboard of its own: the same apps dialog as the tray's."""
    from widget.catalog_data import load_catalog
    from widget.store.db import Store
    from widget.ui.dialogs.welcome import WelcomeDialog

    full = Store.open(path)
    dialog = WelcomeDialog(full, load_catalog(), lambda: datetime.now(UTC), first_run=False,
                           parent=window)
    dialog.load()

    def done(_code: int) -> None:
        full.close()
        window.refresh()

    dialog.finished.connect(done)
    dialog.open()
