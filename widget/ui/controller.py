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

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from widget.core import settings as S
from widget.core.options import Options
from widget.errors import DriftcheckError
from widget.services.reminders import Reaction, Reminders
from widget.store.api import StoreContract
from widget.tracking import Tracker
from widget.ui.plain import plain_box
from widget.ui.tray import TrayPresence
from widget.ui.windows import TrayWindows

if TYPE_CHECKING:
    from widget.desktop.notify import Notifier
    from widget.store.db import Store
    from widget.ui.dashboard.window import DashboardWindow

log = logging.getLogger(__name__)

EVALUATE_EVERY_MS = 60_000


class TrayController(QObject):
    # A new read of the person's other computers (issue 16), emitted on the tracker's sync
    # thread: the goals are looked at again at once, on this object's (the main) thread, since
    # the combined total may have crossed one.
    others_read = Signal()

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
        self.windows = TrayWindows(store, self.reminders, self, now=self.now, tz=tz,
                                   options=lambda: self.options, parent=self)
        self._last_evaluated = datetime.min.replace(tzinfo=UTC)
        self._end_writing: Callable[[], None] | None = None  # the app's: see attach
        self._ended = False
        self._last_word: QObject | None = None  # the message after "Delete everything"
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.evaluate)
        self.others_read.connect(self.evaluate)

    def attach(self, presence: TrayPresence, notifier: Notifier,
               end_writing: Callable[[], None] | None = None) -> None:
        """`end_writing` (the app's, called on the main thread) stops and closes everything
        that writes into the data folder (tracker, stores, this controller); with it, Settings
        offers "Delete everything"."""
        self.presence = presence
        self.notifier = notifier
        self._end_writing = end_writing
        if end_writing is not None:
            self.windows.delete_everything = self.delete_everything
        notifier.action.connect(self.on_notification_action)
        self._timer.start(EVALUATE_EVERY_MS)

    @property
    def _dialogs(self) -> list[QObject]:
        return self.windows.dialogs

    @property
    def _dashboard(self) -> DashboardWindow | None:
        return self.windows.dashboard

    # --- TrayActions ----------------------------------------------------------------------

    def pause(self, until: datetime) -> None:
        self.tracker.pause()
        S.put(self.store, S.TRACKER_PAUSED_UNTIL, until)

    def resume(self) -> None:
        self.tracker.resume()
        S.put(self.store, S.TRACKER_PAUSED_UNTIL, None)

    def check_in(self) -> None:
        self.windows.check_in()

    def open_apps_goals(self) -> None:
        self.windows.apps_and_goals()

    def open_settings(self) -> None:
        self.windows.settings()

    def open_dashboard(self, week: str | None = None) -> DashboardWindow | None:
        return None if self._ended else self.windows.open_dashboard(week)

    def dashboard_asked(self, week: str) -> None:
        """`driftcheck dashboard [--week]` was heard from a terminal: the one dashboard
        window, in front, at `week` ("" for this week; one not begun yet is refused by the
        window)."""
        window = self.open_dashboard(week or None)
        shown = window.data.week if window is not None and window.data is not None else "none"
        log.info("dashboard shown, asked from the terminal (week %s)", shown)

    def full_store(self) -> Store:
        return self.windows.full_store()

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

    def close(self) -> None:
        """The app is ending: no more evaluations, the open windows closed unsaved (what they
        would do on closing is not carried out), the full store closed."""
        self._ended = True
        self._timer.stop()
        self.windows.close()

    # --- start-up -------------------------------------------------------------------------

    def first_run(self) -> None:
        """The welcome, once; the self-check's rhythm counts from the first start."""
        if self.reminders.started(self.now()):
            self.windows.apps_and_goals(first_run=True, then=self._say_where_it_lives)

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

    # --- answers (WindowAnswers, and the notifications') ----------------------------------

    def on_notification_action(self, alert_id: str, key: str) -> None:
        if self._ended:
            return
        # Only the alert's kind ("near", "checkin"...) and the choice: its id can name a goal.
        log.info("a notification was answered: %s, %s", alert_id.split("|", 1)[0], key,
                 extra={"event": "notification_answered"})
        if self.presence is not None and self.presence.compact is not None and key != "closed":
            self.presence.compact.hide_message()
        reaction = self.reminders.answer(alert_id, key, self.now())
        if reaction is Reaction.OPEN_CHECKIN:
            self.check_in()
        elif reaction is Reaction.OPEN_DASHBOARD:
            self.open_dashboard()
        elif reaction is Reaction.OPEN_SUGGESTED_GOALS:
            self.windows.suggested_goals()
        elif reaction is Reaction.SHOW_TODAY and self.presence is not None:
            self.presence.show_compact()

    def checkin_chosen(self, choice: str, asked: datetime) -> None:
        if not self._ended:
            self.reminders.checkin_settled(choice, asked, self.now())

    _checkin_chosen = checkin_chosen  # the name the tests have always used

    def apps_or_goals_changed(self) -> None:
        if self._ended:
            return
        self.tracker.reload_apps()
        if self.presence is not None:
            self.presence.refresh()

    def settings_saved(self) -> None:
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
            self.windows.open(plain_box(QMessageBox(
                QMessageBox.Icon.Information, window_title("Start at login"), str(refused))))
        if self.presence is not None:
            self.presence.refresh()

    _settings_saved = settings_saved

    def _notify(self, alert_id: str, title: str, body: str) -> bool:
        return self.notifier is not None and self.notifier.notify(alert_id, title, body)
