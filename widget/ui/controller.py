"""What happens in the tray app between the person, the tracker and the core.

Once a minute (and when the tracker reports a change, at most every 10 s) it asks the core
which gentle notifications are due and whether the self-check is due, and shows them; it
answers what the person chooses in the tray, the notifications and the dialogs. The
decisions themselves are the core's (`widget.core.alerts`, `widget.core.checkin`,
`widget.core.goals`); this module only reads settings, calls them and carries out the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from widget.catalog_data import load_catalog
from widget.core import alerts as core_alerts
from widget.core.checkin import (
    Checkin,
    checkin_due,
    not_now_until,
    reflection_for,
    skip_week_until,
    week_index,
)
from widget.core.format import duration
from widget.core.goals import Goal, GoalKind, parse_time_of_day, suggest_goals, watch_is_over
from widget.core.options import Options, instant_from_setting, instant_to_setting, setting
from widget.core.usage import UsageNow, usage_now, usage_window
from widget.errors import DriftcheckError
from widget.store.resident import ResidentStore
from widget.tracking import Tracker
from widget.ui.plain import plain_box
from widget.ui.tray import TrayPresence

if TYPE_CHECKING:
    from widget.core.dashboard import DashboardData
    from widget.store.db import Store
    from widget.ui.dashboard import DashboardWindow

log = logging.getLogger(__name__)

CHECKIN_ID = "checkin"
SUMMARY_ID = "week-summary"  # widget.notify names its click "Open dashboard"
USUAL_WEEKS = 8  # the usual week: the median of the weeks with use among these before it
WATCH_ID = "watch-over"
LONG_SESSION_S = 3600  # "after a long session" without a session goal of the person's own
EVALUATE_EVERY_MS = 60_000
DRIFT_WHY = ("Your tracked time has been rising for a few weeks (the dashboard shows how), so "
             "this week brings one extra check-in. What it means is yours to say.")


class TrayController(QObject):
    def __init__(self, store: ResidentStore, tracker: Tracker, options: Options, *, tz: tzinfo,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.store = store
        self.tracker = tracker
        self.options = options
        self.tz = tz
        self.now = now or (lambda: datetime.now(UTC))
        self.presence: TrayPresence | None = None
        self.notifier: object | None = None
        self._last_session_s = 0.0
        self._last_evaluated = datetime.min.replace(tzinfo=UTC)
        self._dialogs: list[QObject] = []  # keep open dialogs alive
        self._full: Store | None = None
        self._dashboard: DashboardWindow | None = None
        self._drift_cache: tuple[str, bool] | None = None  # (ISO week, drift signal stands)
        self._checkin_why: str | None = None  # said in the dialog: what brought the check-in
        self._end_writing: Callable[[], None] | None = None  # the app's: see attach
        self._ended = False
        self._last_word: QObject | None = None  # the message after "Delete everything"
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.evaluate)

    def attach(self, presence: TrayPresence, notifier: object,
               end_writing: Callable[[], None] | None = None) -> None:
        """`end_writing` (the app's, called on the main thread) stops and closes everything
        that writes into the data folder (tracker, stores, this controller); with it, Settings
        offers "Delete everything"."""
        self.presence = presence
        self.notifier = notifier
        self._end_writing = end_writing
        action = getattr(notifier, "action", None)
        if action is not None:
            action.connect(self.on_notification_action)
        self._timer.start(EVALUATE_EVERY_MS)

    # --- TrayActions ----------------------------------------------------------------------

    def pause(self, until: datetime) -> None:
        self.tracker.pause()
        self.store.set_setting("tracker.paused_until", instant_to_setting(until))

    def resume(self) -> None:
        self.tracker.resume()
        self.store.set_setting("tracker.paused_until", None)

    def check_in(self) -> None:
        from widget.ui.checkin_dialog import CheckinDialog

        now = self.now()
        settings = self.store.all_settings()
        usage = self._usage(now)
        reflection = reflection_for(week_index(usage.day),
                                    bool(setting(settings, "checkin.reflections")))
        dialog = CheckinDialog(self.store, self.now, int(usage.week_total), reflection,
                               asked=now, why=self._checkin_why)
        dialog.chosen.connect(lambda choice: self._checkin_chosen(choice, now))
        self._open(dialog)

    def open_apps_goals(self) -> None:
        from widget.ui.welcome import WelcomeDialog

        dialog = WelcomeDialog(self.full_store(), load_catalog(), self.now, first_run=False)
        dialog.load()
        dialog.finished.connect(lambda _code: self._apps_or_goals_changed())
        self._open(dialog)

    def open_settings(self) -> None:
        from widget.core.today import next_day_start
        from widget.ui.settings_dialog import SettingsDialog

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
        from widget.ui.answers_dialog import AnswersDialog

        dialog = AnswersDialog(self.store, self.tz)
        dialog.load()
        self._open(dialog)

    def open_dashboard(self, week: str | None = None) -> DashboardWindow | None:
        """The one dashboard window: made the first time (QtCharts is loaded then, not at
        start) at this week, or at `week` when one is asked for; asked for again while open,
        brought forward with its shown week read afresh (or moved to `week`). Closing it
        frees it; the next one starts at this week again. None once the app has stopped."""
        from widget.ui.dashboard import DashboardWindow

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

    def dashboard_data(self, week: str | None) -> DashboardData:
        """What the dashboard shows for `week` (None: this week), read through the lean store
        (no SQLAlchemy for this path)."""
        from widget.dashboard_data import load_dashboard

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

        from widget import wipe
        from widget.ui.form import window_title

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
        """The welcome, once; then the weekly rhythm counts from today."""
        if self.store.get_setting("checkin.last_asked") is None:
            # The rhythm counts from the first start, so the first evening is not a question.
            self.store.set_setting("checkin.last_asked", instant_to_setting(self.now()))
        if self.store.get_setting("first_run_done"):
            return
        from widget.ui.welcome import WelcomeDialog

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
        until = instant_from_setting(self.store.get_setting("tracker.paused_until"))
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
            settings = self.store.all_settings()
            usage = self._usage(now)
            self._notify_goals(now, usage, settings)
            self._offer_checkin(now, usage, settings)
            self._offer_suggestions(now, usage, settings)
            self._offer_week_summary(usage, settings)
        except DriftcheckError as exc:
            log.warning("could not look at today's goals (%s)", type(exc).__name__)
        except Exception as exc:  # a slip here must not end the tray; the next minute retries
            log.error("looking at today's goals failed (%s)", type(exc).__name__)

    def _usage(self, now: datetime) -> UsageNow:
        hour = self.options.day_start_hour
        intervals = self.store.intervals_overlapping(*usage_window(now, self.tz, hour))
        return usage_now(intervals, now, self.tz, hour)

    def _notify_goals(self, now: datetime, usage: UsageNow, settings: dict[str, object]) -> None:
        fired = list(setting(settings, "alerts.fired"))  # type: ignore[call-overload]
        snoozed = _instants(setting(settings, "alerts.snoozed"))
        fired, snoozed = core_alerts.prune(fired, snoozed, usage)
        share = self.options.near_share
        due = core_alerts.due_alerts(self.store.list_goals(), usage, now, fired, snoozed,
                                     near_share=share,
                                     discreet=bool(setting(settings, "discreet")),
                                     names=self.store.app_names())
        for alert in due:
            if self._send(alert.id, alert.title, alert.body):
                fired.append(alert.id)
                snoozed.pop(alert.id, None)
        self._save_alerts(fired, snoozed)

    def _offer_checkin(self, now: datetime, usage: UsageNow, settings: dict[str, object]
                       ) -> None:
        session = usage.session_all.seconds if usage.session_all is not None else 0.0
        ended_long = self._last_session_s >= self._long_session_s() and session == 0.0
        self._last_session_s = session
        quiet = next((g for g in self.store.list_goals()
                      if g.kind is GoalKind.QUIET_HOURS and g.app is None), None)
        week = usage.week
        drift_offer = bool(setting(settings, "checkin.on_drift")) \
            and settings.get("checkin.drift_week") != week and self._drift_stands(week)
        due = checkin_due(
            str(setting(settings, "checkin.rhythm")),
            weekday=int(setting(settings, "checkin.weekday")),  # type: ignore[call-overload]
            time_of_day_min=parse_time_of_day(str(setting(settings, "checkin.time"))),
            last_asked=instant_from_setting(settings.get("checkin.last_asked")),
            not_before=instant_from_setting(settings.get("checkin.not_before")),
            now=now, tz=self.tz, quiet_goal=quiet, long_session_ended=ended_long,
            drift_offer=drift_offer)
        if not due:
            return
        # Offered once: unanswered, it comes back tomorrow, never as a stream.
        self.store.set_setting("checkin.not_before",
                               instant_to_setting(not_now_until(now, self.tz)))
        text = "A quiet moment for your check-in, whenever suits you."
        if drift_offer:
            # The week's one extra check-in (or the scheduled one, if it fell due first).
            self.store.set_setting("checkin.drift_week", week)
            self._checkin_why = DRIFT_WHY
            text = ("Your tracked time has been rising for a few weeks. " + text)
        self._send(CHECKIN_ID, "driftcheck", text)

    def _drift_stands(self, week: str) -> bool:
        """Whether the drift signal stands this week, from the complete weeks before it;
        worked out once a week (complete weeks do not change)."""
        if self._drift_cache is None or self._drift_cache[0] != week:
            self._drift_cache = (week, self._drift_before(week))
        return self._drift_cache[1]

    def _drift_before(self, week: str) -> bool:
        """The dashboard's own drift signal for this week (weeks before the history began left
        out, weeks of no use after it counted as zero), from the weekly sums alone."""
        from widget.dashboard_data import drift_of_week_in_progress

        return drift_of_week_in_progress(self.store, week, self.now(), self.tz,
                                         self.options.day_start_hour) is not None

    def _offer_suggestions(self, now: datetime, usage: UsageNow,
                           settings: dict[str, object]) -> None:
        since = settings.get("watch_first_since")
        if not isinstance(since, str) or settings.get("watch.suggested"):
            return
        if not watch_is_over(date.fromisoformat(since), usage.day):
            return
        self.store.set_setting("watch.suggested", True)
        goals = self.suggested_goals(date.fromisoformat(since), usage.day)
        if not goals:
            return
        daily = duration(goals[0].limit_seconds or 0)
        self._send(WATCH_ID, "driftcheck",
                   f"A week of watching is done: a typical day was about {daily}. "
                   "Would you like to set goals from it?")

    def _offer_week_summary(self, usage: UsageNow, settings: dict[str, object]) -> None:
        """Once a week has ended (at the first start after it, or at the boundary while
        running): last week's time against the usual week, in one calm line."""
        if not setting(settings, "summary.weekly") or not settings.get("first_run_done"):
            return
        from widget.core.days import day_window, seconds_by_app
        from widget.core.report import week_monday
        from widget.core.usage import iso_week

        last_monday = week_monday(usage.week) - timedelta(weeks=1)
        last = iso_week(last_monday)
        if settings.get("summary.said_week") == last:
            return
        hour = self.options.day_start_hour

        def week_total(monday: date) -> float:
            start = day_window(monday, self.tz, hour)[0]
            end = day_window(monday + timedelta(days=7), self.tz, hour)[0]
            return sum(seconds_by_app(self.store.intervals_overlapping(start, end),
                                      start, end).values())

        total = week_total(last_monday)
        before = [week_total(last_monday - timedelta(weeks=k))
                  for k in range(1, USUAL_WEEKS + 1)]
        if total <= 0 and not any(before):
            self.store.set_setting("summary.said_week", last)  # nothing yet to tell
            return
        if self._send(SUMMARY_ID, "driftcheck", week_summary_text(total, before)):
            self.store.set_setting("summary.said_week", last)

    def suggested_goals(self, first: date, today: date) -> list[Goal]:
        return suggest_goals(self._daily_totals(first, today))

    def open_suggested_goals(self) -> None:
        """The goals dialog with the week's suggestions filled in, unsaved."""
        from widget.ui.goals_dialog import GoalsDialog

        since = self.store.get_setting("watch_first_since")
        today = self._usage(self.now()).day
        goals = self.suggested_goals(date.fromisoformat(since), today) \
            if isinstance(since, str) else []
        dialog = GoalsDialog(self.full_store(), self.now, self.tz)
        dialog.load()
        dialog.form.suggest(goals)
        dialog.finished.connect(lambda _code: self._apps_or_goals_changed())
        self._open(dialog)

    def _daily_totals(self, first: date, today: date) -> list[float]:
        from widget.core.days import day_window, seconds_by_app

        hour = self.options.day_start_hour
        totals = []
        for offset in range((today - first).days):
            window = day_window(first + timedelta(days=offset), self.tz, hour)
            totals.append(sum(seconds_by_app(self.store.intervals_overlapping(*window),
                                             *window).values()))
        return totals

    def _long_session_s(self) -> float:
        session_goals = [g.limit_seconds for g in self.store.list_goals()
                         if g.kind is GoalKind.SESSION and g.limit_seconds]
        return float(min(session_goals)) if session_goals else float(LONG_SESSION_S)

    # --- answers --------------------------------------------------------------------------

    def on_notification_action(self, alert_id: str, key: str) -> None:
        if self._ended:
            return
        now = self.now()
        if self.presence is not None and self.presence.compact is not None and key != "closed":
            self.presence.compact.hide_message()
        if alert_id == CHECKIN_ID:
            if key == "default":
                self.check_in()
            elif key == "snooze":
                self.store.set_setting("checkin.not_before",
                                       instant_to_setting(now + core_alerts.SNOOZE))
            elif key == "not-now":
                self.store.set_setting("checkin.not_before",
                                       instant_to_setting(not_now_until(now, self.tz)))
            return
        if alert_id == SUMMARY_ID:
            if key == "default":
                self.open_dashboard()
            return  # said once: Snooze and Not now leave it said
        if alert_id == WATCH_ID:
            if key == "default":
                self.open_suggested_goals()
            return
        if key == "snooze":
            settings = self.store.all_settings()
            fired, snoozed = core_alerts.snooze(
                alert_id, now, list(setting(settings, "alerts.fired")),  # type: ignore[call-overload]
                _instants(setting(settings, "alerts.snoozed")))
            self._save_alerts(fired, snoozed)
        elif key == "default" and self.presence is not None:
            self.presence.show_compact()

    def _checkin_chosen(self, choice: str, asked: datetime) -> None:
        if self._ended:
            return
        now = self.now()
        settings = self.store.all_settings()
        if choice in ("saved", "skip-week"):
            self._checkin_why = None  # settled: a later "Check in now" is an ordinary one
        if choice == "saved":
            self.store.set_setting("checkin.last_asked", instant_to_setting(asked))
            self.store.set_setting("checkin.not_before", None)
        elif choice == "skip-week":
            until = skip_week_until(
                str(setting(settings, "checkin.rhythm")),
                weekday=int(setting(settings, "checkin.weekday")),  # type: ignore[call-overload]
                time_of_day_min=parse_time_of_day(str(setting(settings, "checkin.time"))),
                now=now, tz=self.tz)
            self.store.add_checkin(Checkin(asked=asked))  # a skip is kept as a skip
            self.store.set_setting("checkin.not_before", instant_to_setting(until))
        else:
            self.store.set_setting("checkin.not_before",
                                   instant_to_setting(not_now_until(now, self.tz)))

    def _apps_or_goals_changed(self) -> None:
        if self._ended:
            return
        self.tracker.reload_apps()
        if self.presence is not None:
            self.presence.refresh()

    def _settings_saved(self) -> None:
        from widget.autostart import AutostartRefused, set_start_at_login

        if self._ended:
            return
        self.options = Options.from_settings(self.store.all_settings())
        try:
            set_start_at_login(bool(self.store.get_setting("start_at_login")))
        except OSError as exc:
            log.warning("could not change start at login (%s)", type(exc).__name__)
        except AutostartRefused as refused:
            from PySide6.QtWidgets import QMessageBox

            from widget.ui.form import window_title

            log.warning("start at login refused: %s", refused)
            self._open(plain_box(QMessageBox(QMessageBox.Icon.Information,
                                             window_title("Start at login"), str(refused))))
        if self.presence is not None:
            self.presence.refresh()

    # --- plumbing -------------------------------------------------------------------------

    def _send(self, alert_id: str, title: str, body: str) -> bool:
        """Show a notification; False (not shown, so not counted as said) on a day the person
        chose "No notifications today" in Settings."""
        quiet_until = instant_from_setting(self.store.get_setting("alerts.quiet_until"))
        if quiet_until is not None and self.now() < quiet_until:
            return False
        notify = getattr(self.notifier, "notify", None)
        return bool(notify(alert_id, title, body)) if notify is not None else False

    def _save_alerts(self, fired: list[str], snoozed: dict[str, datetime]) -> None:
        self.store.set_setting("alerts.fired", fired)
        self.store.set_setting("alerts.snoozed",
                               {k: instant_to_setting(v) for k, v in snoozed.items()})

    def _open(self, dialog: QObject) -> None:
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda *_: self._dialogs.remove(dialog))  # type: ignore[attr-defined]
        dialog.show()  # type: ignore[attr-defined]
        dialog.raise_()  # type: ignore[attr-defined]
        dialog.activateWindow()  # type: ignore[attr-defined]


def week_summary_text(total: float, weeks_before: list[float]) -> str:
    """'Last week: 3 h 10 min with your tracked apps, about your usual week (3 h).' The usual
    week is the median of the weeks before with any use (two at least); within a sixth of it
    is "about"."""
    said = f"Last week: {duration(total)} with your tracked apps"
    used = sorted(t for t in weeks_before if t > 0)
    if len(used) < 2:
        return said + "."
    middle = len(used) // 2
    usual = used[middle] if len(used) % 2 else (used[middle - 1] + used[middle]) / 2
    if abs(total - usual) <= usual / 6:
        how = "about your usual week"
    elif total > usual:
        how = "more than your usual week"
    else:
        how = "less than your usual week"
    return f"{said}, {how} ({duration(usual)})."


def _instants(raw: object) -> dict[str, datetime]:
    if not isinstance(raw, dict):
        return {}
    found = {k: instant_from_setting(v) for k, v in raw.items()}
    return {k: v for k, v in found.items() if v is not None}
