"""The windows the tray app opens when the person asks, each kept alive while it is open: the
check-in, apps and goals (welcome), goals with suggestions, settings, the answers, the one
dashboard, and the SQLAlchemy store that the apps and goals dialogs change (opened the first
time one needs it: a tray nobody opens never loads SQLAlchemy).

What a closed dialog changes goes back to the controller through `WindowAnswers`. Every
method runs on the Qt main thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Protocol

import shiboken6
from PySide6.QtCore import QObject, Qt

from widget.catalog_data import load_catalog
from widget.core.options import Options
from widget.services.reminders import Reminders
from widget.store.api import StoreContract

if TYPE_CHECKING:
    from widget.core.dashboard import DashboardData
    from widget.services.dashboard import ComputerDashboards
    from widget.store.db import Store
    from widget.sync.view import FolderView
    from widget.ui.dashboard.window import DashboardWindow


class WindowAnswers(Protocol):
    """What the windows tell the controller when the person has done something in them."""

    def apps_or_goals_changed(self) -> None: ...
    def settings_saved(self) -> None: ...
    def checkin_chosen(self, choice: str, asked: datetime) -> None: ...


class TrayWindows(QObject):
    def __init__(self, store: StoreContract, reminders: Reminders, answers: WindowAnswers, *,
                 now: Callable[[], datetime], tz: tzinfo, options: Callable[[], Options],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.reminders = reminders
        self.answers = answers
        self.now = now
        self.tz = tz
        self.options = options  # the controller's, as Settings last saved them
        self.dialogs: list[QObject] = []  # kept alive while open
        self.dashboard: DashboardWindow | None = None
        # The shared folder's last read (the app sets it while sharing): the names the
        # dashboard gives the person's computers (without it, "Another computer (1a2b3c)").
        self.folder_view: Callable[[], FolderView | None] = lambda: None
        self._dashboards: ComputerDashboards | None = None
        self.delete_everything: Callable[[], None] | None = None  # offered in Settings if set
        self._full: Store | None = None
        self._ended = False

    def open(self, dialog: QObject) -> None:
        """Show `dialog` in front and keep it until it is finished; then it is deleted (a
        finished dialog held by the connection to its own signal would otherwise live on)."""
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda *_: self._finished(dialog))  # type: ignore[attr-defined]
        dialog.show()  # type: ignore[attr-defined]
        dialog.raise_()  # type: ignore[attr-defined]
        dialog.activateWindow()  # type: ignore[attr-defined]

    def _finished(self, dialog: QObject) -> None:
        if dialog in self.dialogs:
            self.dialogs.remove(dialog)
        dialog.deleteLater()  # after the slots of its `finished` have run

    def check_in(self) -> None:
        from widget.ui.dialogs.checkin import CheckinDialog

        asked = self.reminders.checkin_request(self.now())
        dialog = CheckinDialog(self.store, self.now, asked.week_seconds, asked.reflection,
                               asked=asked.asked, why=asked.why)
        dialog.chosen.connect(lambda choice: self.answers.checkin_chosen(choice, asked.asked))
        self.open(dialog)

    def apps_and_goals(self, first_run: bool = False,
                       then: Callable[[], None] | None = None) -> None:
        """The welcome (`first_run`), or later the same dialog as "Apps and goals"."""
        from widget.ui.dialogs.welcome import WelcomeDialog

        dialog = WelcomeDialog(self.full_store(), load_catalog(), self.now, first_run=first_run)
        dialog.load()
        dialog.finished.connect(lambda _code: self.answers.apps_or_goals_changed())
        if then is not None:
            dialog.finished.connect(lambda _code: then())
        self.open(dialog)

    def suggested_goals(self) -> None:
        """The goals dialog with the week of watching's suggestions filled in, unsaved."""
        from widget.ui.dialogs.goals import GoalsDialog

        goals = self.reminders.suggestions_now(self.now())
        dialog = GoalsDialog(self.full_store(), self.now, self.tz)
        dialog.load()
        dialog.form.suggest(goals)
        dialog.finished.connect(lambda _code: self.answers.apps_or_goals_changed())
        self.open(dialog)

    def settings(self) -> None:
        from widget.core.calendar import next_day_start
        from widget.ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.store, data_dir=self.store.path.parent,
                                new_day=lambda: next_day_start(
                                    self.now(), self.tz, self.options().day_start_hour),
                                open_answers=self.answers_kept,
                                delete_everything=self.delete_everything)
        dialog.load()
        dialog.accepted.connect(self.answers.settings_saved)
        self.open(dialog)

    def answers_kept(self) -> None:
        """The kept check-in answers, to look back on, change or delete."""
        from widget.ui.dialogs.answers import AnswersDialog

        dialog = AnswersDialog(self.store, self.tz)
        dialog.load()
        self.open(dialog)

    def open_dashboard(self, week: str | None = None) -> DashboardWindow | None:
        """The one dashboard window: made the first time (QtCharts is loaded then, not at
        start) at this week, or at `week` when one is asked for; asked for again while open,
        brought forward with its shown week read afresh (or moved to `week`). Closing it
        frees it; the next one starts at this week again. None once the app has stopped."""
        from widget.ui.dashboard.window import DashboardWindow

        if self._ended:  # its store is closed (after Quit, or Delete everything)
            return None
        window = self.dashboard
        if window is None or not shiboken6.isValid(window):
            window = DashboardWindow(self.dashboard_data, by_computer=self.computer_dashboard)
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.destroyed.connect(self._dashboard_gone)
            window.choose_apps.connect(self.apps_and_goals)  # its empty page's button
            self.dashboard = window
            window.show_week(week)
        elif week:
            window.show_week(week)
        else:
            window.refresh()
            if window.isMinimized():
                window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def dashboard_data(self, week: str | None) -> DashboardData:
        """What the dashboard shows for `week` (None: this week), read through the lean store
        (no SQLAlchemy for this path): all the person's computers while they share their
        time."""
        from widget.core.dashboard import ALL_COMPUTERS

        return self.computer_dashboard(week, ALL_COMPUTERS)

    def computer_dashboard(self, week: str | None, computer: str) -> DashboardData:
        """The dashboard of `week` for the computers chosen in its filter (issue 16): all
        of them, this one, or another one alone."""
        from widget.services.dashboard import ComputerDashboards

        if self._dashboards is None:
            self._dashboards = ComputerDashboards(self.store, lambda: self.folder_view())
        return self._dashboards.load(week, self.now(), self.tz,
                                     self.options().day_start_hour, computer)

    def _dashboard_gone(self) -> None:
        self.dashboard = None

    def full_store(self) -> Store:
        """The SQLAlchemy store, for the dialogs that change apps and goals."""
        if self._ended:
            # Opening it would make the database anew, also in a folder just emptied.
            raise RuntimeError("the app is ending; its store is closed")
        if self._full is None:
            from widget.store.db import Store

            self._full = Store.open(self.store.path)
        return self._full

    def close(self) -> None:
        """The app is ending: every window closed unsaved (what it would do on closing is not
        carried out: the controller has ended first), the full store closed."""
        self._ended = True
        for dialog in list(self.dialogs):
            dialog.close()  # type: ignore[attr-defined]
        if self.dashboard is not None and shiboken6.isValid(self.dashboard):
            self.dashboard.close()
        self.dashboard = None
        if self._full is not None:
            self._full.close()
            self._full = None
