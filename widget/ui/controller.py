"""The tray app's window side: it wires the reminders (`widget.services.reminders`, which
decide what to notify and when to ask) to a timer, the notifier and the tray, and opens the
windows the person asks for (check-in, apps and goals, settings, answers, the dashboard).

Once a minute (and when the tracker reports a change, at most every 10 s) it asks the
reminders to evaluate; it carries out what the person chooses in the tray, the notifications
and the dialogs. Every method runs on the Qt main thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from widget.catalog_data import load_catalog
from widget.core import settings as S
from widget.core.options import Options
from widget.errors import DriftcheckError
from widget.services.reminders import Reaction, Reminders
from widget.store.api import StoreContract
from widget.tracking import Tracker
from widget.ui.plain import plain_box
from widget.ui.tray import TrayPresence

if TYPE_CHECKING:
    from widget.core.dashboard import DashboardData
    from widget.desktop.notify import Notifier
    from widget.store.db import Store
    from widget.ui.dashboard.window import DashboardWindow

log = logging.getLogger(__name__)

EVALUATE_EVERY_MS = 60_000


class TrayController(QObject):
    def __init__(self, store: StoreContract, tracker: Tracker, options: Options, *, tz: tzinfo,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.store = store
        self.tracker = tracker
        self.options = options
        self.tz = tz
        self.now = now or (lambda: datetime.now(UTC))
        self.presence: TrayPresence | None = None
        self.notifier: Notifier | None = None
        self.reminders = Reminders(store, options, tz, self._notify)
        self._last_evaluated = datetime.min.replace(tzinfo=UTC)
        self._dialogs: list[QObject] = []  # keep open dialogs alive
        self._full: Store | None = None
        self._dashboard: DashboardWindow | None = None
        self._end_writing: Callable[[], None] | None = None  # the app's: see attach
        self._ended = False
        self._last_word: QObject | None = None  # the message after "Delete everything"
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.evaluate)

    def attach(self, presence: TrayPresence, notifier: Notifier,
               end_writing: Callable[[], None] | None = None) -> None:
        """`end_writing` (the app's, called on the main thread) stops and closes everything
        that writes into the data folder (tracker, stores, this controller); with it, Settings
        offers "Delete everything"."""
        self.presence = presence
        self.notifier = notifier
        self._end_writing = end_writing
        notifier.action.connect(self.on_notification_action)
        self._timer.start(EVALUATE_EVERY_MS)

    # --- TrayActions ----------------------------------------------------------------------

    def pause(self, until: datetime) -> None:
        self.tracker.pause()
        S.put(self.store, S.TRACKER_PAUSED_UNTIL, until)

    def resume(self) -> None:
        self.tracker.resume()
        S.put(self.store, S.TRACKER_PAUSED_UNTIL, None)

    def check_in(self) -> None:
        from widget.ui.dialogs.checkin import CheckinDialog

        asked = self.reminders.checkin_request(self.now())
        dialog = CheckinDialog(self.store, self.now, asked.week_seconds, asked.reflection,
                               asked=asked.asked, why=asked.why)
        dialog.chosen.connect(lambda choice: self._checkin_chosen(choice, asked.asked))
        self._open(dialog)

    def open_apps_goals(self) -> None:
        from widget.ui.dialogs.welcome import WelcomeDialog

        dialog = WelcomeDialog(self.full_store(), load_catalog(), self.now, first_run=False)
        dialog.load()
        dialog.finished.connect(lambda _code: self._apps_or_goals_changed())
        self._open(dialog)

    def open_settings(self) -> None:
        from widget.core.calendar import next_day_start
        from widget.ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.store, data_dir=self.store.path.parent,
                                new_day=lambda: next_day_start(self.now(), self.tz,
                                                               self.options.day_start_hour),
                                open_answers=self.open_answers,
                                delete_everything=self.delete_everything
                                if self._end_writing is not None else None)
        dialog.load()
        dialog.accepted.connect(self._settings_saved)
        self._open(dialog)

    def open_answers(self) -> None:
        """The kept check-in answers, to look back on, change or delete."""
        from widget.ui.dialogs.answers import AnswersDialog

        dialog = AnswersDialog(self.store, self.tz)
        dialog.load()
        self._open(dialog)

    def open_dashboard(self, week: str | None = None) -> DashboardWindow | None:
        """The one dashboard window: made the first time (QtCharts is loaded then, not at
        start) at this week, or at `week` when one is asked for; asked for again while open,
        brought forward with its shown week read afresh (or moved to `week`). Closing it
        frees it; the next one starts at this week again. None once the app has stopped."""
        from widget.ui.dashboard.window import DashboardWindow

        if self._ended:  # its store is closed (after Quit, or Delete everything)
            return None
        window = self._dashboard
        if window is None or not shiboken6.isValid(window):
            window = DashboardWindow(self.dashboard_data)
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.destroyed.connect(self._dashboard_gone)
            window.choose_apps.connect(self.open_apps_goals)  # its empty page's "Choose apps..."
            self._dashboard = window
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

    def dashboard_asked(self, week: str) -> None:
        """`driftcheck dashboard [--week]` was heard from a terminal: the one dashboard
        window, in front, at `week` ("" for this week; one not begun yet is refused by the
        window)."""
        window = self.open_dashboard(week or None)
        shown = window.data.week if window is not None and window.data is not None else "none"
        log.info("dashboard shown, asked from the terminal (week %s)", shown)

    def dashboard_data(self, week: str | None) -> DashboardData:
        """What the dashboard shows for `week` (None: this week), read through the lean store
        (no SQLAlchemy for this path)."""
        from widget.services.dashboard import load_dashboard

        return load_dashboard(self.store, week, self.now(), self.tz,
                              self.options.day_start_hour)

    def _dashboard_gone(self) -> None:
        self._dashboard = None

    def quit(self) -> None:
        QApplication.quit()

    def delete_everything(self) -> None:
        """The person confirmed "Delete everything" in Settings: everything that writes into
        the data folder stops (the app's `end_writing`), every trace goes as `driftcheck
        wipe` removes it, one last message says so, and the app quits when it is closed.
        Another program with the database open stops it before anything is stopped."""
        from PySide6.QtWidgets import QMessageBox

        from widget.services import wipe
        from widget.ui.dialogs.form import window_title

        if self._end_writing is None or self._ended:
            return
        data_dir = self.store.path.parent
        busy = wipe.others_using(data_dir)
        if busy is not None:
            self._say_last(plain_box(QMessageBox(
                QMessageBox.Icon.Information, window_title("Delete everything"),
                busy.replace("`", ""))))  # a window, not a terminal
            return
        log.info("deleting everything, as asked in Settings", extra={"event": "wipe"})
        self._end_writing()
        _removed, failed = wipe.wipe_for_running_app(data_dir)  # the log is closed now
        box = plain_box(QMessageBox(  # it names the folder, which could hold anything
            QMessageBox.Icon.Information,
            window_title("Delete everything" if failed else "Everything deleted"),
            wipe.farewell_text(data_dir, failed)))
        box.finished.connect(lambda _code: QApplication.quit())
        self._say_last(box)

    def _say_last(self, box: QObject) -> None:
        self._last_word = box
        box.open()  # type: ignore[attr-defined]
        box.raise_()  # type: ignore[attr-defined]
        box.activateWindow()  # type: ignore[attr-defined]

    def bring_forward(self) -> None:
        """A second launch asked for driftcheck: its widget in front of the person, brought
        back first should they have minimized the window (showing a minimized window again
        leaves it minimized)."""
        if self.presence is None or self._ended:
            return
        compact = self.presence.compact
        if compact is not None and compact.isMinimized():
            compact.showNormal()
        self.presence.show_compact()

    def full_store(self) -> Store:
        """The SQLAlchemy store, for the dialogs that change apps and goals. Opened the first
        time one is needed: the tray that nobody opens never loads SQLAlchemy."""
        if self._ended:
            # Opening it would make the database anew, also in a folder just emptied.
            raise RuntimeError("the app is ending; its store is closed")
        if self._full is None:
            from widget.store.db import Store

            self._full = Store.open(self.store.path)
        return self._full

    def close(self) -> None:
        """The app is ending: no more evaluations, the open windows closed unsaved (what they
        would do on closing is not carried out), the full store closed."""
        self._ended = True
        self._timer.stop()
        for dialog in list(self._dialogs):
            dialog.close()  # type: ignore[attr-defined]
        if self._dashboard is not None and shiboken6.isValid(self._dashboard):
            self._dashboard.close()
        self._dashboard = None
        if self._full is not None:
            self._full.close()
            self._full = None

    # --- start-up -------------------------------------------------------------------------

    def first_run(self) -> None:
        """The welcome, once; the self-check's rhythm counts from the first start."""
        if not self.reminders.started(self.now()):
            return
        from widget.ui.dialogs.welcome import WelcomeDialog

        dialog = WelcomeDialog(self.full_store(), load_catalog(), self.now, first_run=True)
        dialog.load()
        dialog.finished.connect(lambda _code: self._apps_or_goals_changed())
        dialog.finished.connect(lambda _code: self._say_where_it_lives())
        self._open(dialog)

    def _say_where_it_lives(self) -> None:
        if self.presence is not None:
            self.presence.say_where_it_lives()

    def restore_pause(self) -> None:
        """A pause chosen before a restart still holds until its time."""
        until = S.get(self.store, S.TRACKER_PAUSED_UNTIL)
        if until is not None and until > self.now() and self.presence is not None:
            self.presence.pause(until)

    # --- the minute's evaluation ----------------------------------------------------------

    def tracker_changed(self) -> None:
        if self.now() - self._last_evaluated >= timedelta(seconds=10):
            self.evaluate()

    def evaluate(self) -> None:
        if self._ended:
            return
        now = self.now()
        self._last_evaluated = now
        try:
            self.reminders.evaluate(now)
        except DriftcheckError as exc:
            log.warning("could not look at today's goals (%s)", type(exc).__name__)
        except Exception as exc:  # a slip here must not end the tray; the next minute retries
            log.error("looking at today's goals failed (%s)", type(exc).__name__)

    def open_suggested_goals(self) -> None:
        """The goals dialog with the week's suggestions filled in, unsaved."""
        from widget.ui.dialogs.goals import GoalsDialog

        goals = self.reminders.suggestions_now(self.now())
        dialog = GoalsDialog(self.full_store(), self.now, self.tz)
        dialog.load()
        dialog.form.suggest(goals)
        dialog.finished.connect(lambda _code: self._apps_or_goals_changed())
        self._open(dialog)

    # --- answers --------------------------------------------------------------------------

    def on_notification_action(self, alert_id: str, key: str) -> None:
        if self._ended:
            return
        if self.presence is not None and self.presence.compact is not None and key != "closed":
            self.presence.compact.hide_message()
        reaction = self.reminders.answer(alert_id, key, self.now())
        if reaction is Reaction.OPEN_CHECKIN:
            self.check_in()
        elif reaction is Reaction.OPEN_DASHBOARD:
            self.open_dashboard()
        elif reaction is Reaction.OPEN_SUGGESTED_GOALS:
            self.open_suggested_goals()
        elif reaction is Reaction.SHOW_TODAY and self.presence is not None:
            self.presence.show_compact()

    def _checkin_chosen(self, choice: str, asked: datetime) -> None:
        if not self._ended:
            self.reminders.checkin_settled(choice, asked, self.now())

    def _apps_or_goals_changed(self) -> None:
        if self._ended:
            return
        self.tracker.reload_apps()
        if self.presence is not None:
            self.presence.refresh()

    def _settings_saved(self) -> None:
        from widget.desktop.autostart import set_start_at_login
        from widget.errors import AutostartRefused

        if self._ended:
            return
        self.options = self.reminders.options = Options.from_settings(self.store.all_settings())
        try:
            set_start_at_login(S.get(self.store, S.START_AT_LOGIN))
        except OSError as exc:
            log.warning("could not change start at login (%s)", type(exc).__name__)
        except AutostartRefused as refused:
            from PySide6.QtWidgets import QMessageBox

            from widget.ui.dialogs.form import window_title

            log.warning("start at login refused: %s", refused)
            self._open(plain_box(QMessageBox(QMessageBox.Icon.Information,
                                             window_title("Start at login"), str(refused))))
        if self.presence is not None:
            self.presence.refresh()

    # --- plumbing -------------------------------------------------------------------------

    def _notify(self, alert_id: str, title: str, body: str) -> bool:
        return self.notifier is not None and self.notifier.notify(alert_id, title, body)

    def _open(self, dialog: QObject) -> None:
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda *_: self._dialogs.remove(dialog))  # type: ignore[attr-defined]
        dialog.show()  # type: ignore[attr-defined]
        dialog.raise_()  # type: ignore[attr-defined]
        dialog.activateWindow()  # type: ignore[attr-defined]
