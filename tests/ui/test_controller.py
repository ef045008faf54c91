"""The tray app's controller with a fake clock, a real store and a recording notifier: it
evaluates the reminders once a minute (and on the tracker's changes, at most every 10 s),
carries the desktop's answers to them and opens what they ask for (today's small window, the
check-in, the suggested goals, the dashboard), opens the welcome on the first run, restores a
pause after a restart, and once closed does nothing more. What the reminders decide (which
notification, when, and what an answer changes) is tested without Qt in
tests/unit/test_reminders.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.helpers.fakes import FakeClock
from widget.core import settings as S
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.options import Options, instant_from_setting, instant_to_setting
from widget.services.reminders import CHECKIN_ID, SUMMARY_ID, WATCH_ID
from widget.services.today import TodayService
from widget.store.db import Store
from widget.ui.controller import EVALUATE_EVERY_MS, TrayController
from widget.ui.tray import TrayPresence

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 25 November 2026, 14:00 in Berlin.
WEDNESDAY = datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN).astimezone(UTC)
# Sunday 29 November 2026, 19:05 in Berlin: five minutes after the weekly check-in's moment.
SUNDAY_EVENING = datetime(2026, 11, 29, 19, 5, tzinfo=BERLIN).astimezone(UTC)
APP = "kobold"
APP_NAME = "KoboldCpp"


class FakeNotifier(QObject):
    """Records what the controller shows; the test emits `action` as the desktop would."""

    action = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, str]] = []
        self.responses: list[str] = []
        self.closed = False

    def notify(self, alert_id: str, title: str, body: str) -> bool:
        self.calls.append((alert_id, title, body))
        return True

    def respond(self, key: str) -> None:
        self.responses.append(key)

    def close(self) -> None:
        self.closed = True

    def ids(self) -> list[str]:
        return [call[0] for call in self.calls]


class FakeTracker:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")

    def reload_apps(self) -> None:
        self.calls.append("reload_apps")


class Running:
    """One run of the tray app's controller on `store` (a restart makes another)."""

    def __init__(self, store: Store, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.tracker = FakeTracker()
        self.notifier = FakeNotifier()
        self.controller = TrayController(store, self.tracker, Options(),  # type: ignore[arg-type]
                                         tz=BERLIN, now=clock)
        self.presence = TrayPresence(TodayService(store, Options(), now=clock, tz=BERLIN),
                                     self.controller, store, now=clock, tz=BERLIN)
        self.controller.attach(self.presence, self.notifier)

    def stop(self) -> None:
        self.controller._timer.stop()
        self.presence.resume_timer.stop()
        self.presence._timer.stop()
        for dialog in list(self.controller._dialogs):
            dialog.close()  # type: ignore[attr-defined]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "driftcheck.sqlite3")
    s.add_app(TrackedApp(APP, APP_NAME, (Rule(RuleKind.PROCESS, "koboldcpp"),)))
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def runs(qapp: QApplication) -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for run in started:
        run.stop()


def start(runs: list[Running], store: Store, clock: FakeClock) -> Running:
    run = Running(store, clock)
    runs.append(run)
    return run


def used(store: Store, start_local: datetime, minutes: float) -> None:
    begin = start_local.astimezone(UTC)
    store.insert_interval(Interval(APP, begin, begin + timedelta(minutes=minutes)))


def settled(store: Store, at: datetime) -> None:
    """The welcome is done and the self-check was last settled at `at` (the weekly summary
    off: its own tests below switch it on)."""
    store.set_setting("first_run_done", True)
    store.set_setting("summary.weekly", False)
    store.set_setting("checkin.last_asked", instant_to_setting(at))


def snoozed(store: Store) -> dict[str, datetime]:
    raw = store.get_setting("alerts.snoozed") or {}
    assert isinstance(raw, dict)
    return {k: v for k, v in ((k, instant_from_setting(v)) for k, v in raw.items()) if v}


# --- the minute's evaluation and the desktop's answers ---------------------------------------


def test_the_reminders_are_evaluated_once_a_minute(store: Store, runs: list[Running],
                                                   qtbot: QtBot) -> None:
    settled(store, SUNDAY_EVENING - timedelta(days=7))
    run = start(runs, store, FakeClock(SUNDAY_EVENING))
    timer = run.controller._timer
    assert timer.isActive() and timer.interval() == EVALUATE_EVERY_MS == 60_000
    assert run.notifier.calls == [], "nothing before the first minute"
    timer.setInterval(1)  # the minute, shortened: the timer itself evaluates
    qtbot.waitUntil(lambda: run.notifier.ids() == [CHECKIN_ID])


def test_the_desktop_s_answers_reach_the_reminders(store: Store, runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY - timedelta(days=1))
    store.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    run = start(runs, store, clock)
    run.controller.evaluate()
    alert_id = "near|daily:*|2026-11-25"
    assert run.notifier.ids() == [alert_id]

    # "Snooze 15 min" in the notification.
    clock.advance(minutes=1)
    run.notifier.action.emit(alert_id, "snooze")
    assert snoozed(store) == {alert_id: clock.at + timedelta(minutes=15)}
    clock.advance(minutes=16)
    run.controller.evaluate()
    assert run.notifier.ids() == [alert_id, alert_id]


def test_an_answer_is_logged_by_kind_and_choice_alone(store: Store, runs: list[Running],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    run = start(runs, store, FakeClock(WEDNESDAY))
    with caplog.at_level("INFO", logger="widget.ui.controller"):
        run.notifier.action.emit("near|daily:koboldcpp|2026-11-25", "not-now")
    [record] = [r for r in caplog.records if getattr(r, "event", "") == "notification_answered"]
    assert record.getMessage() == "a notification was answered: near, not-now"


def test_a_message_clicked_opens_the_compact_widget(store: Store, runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY - timedelta(days=1))
    run = start(runs, store, clock)
    run.notifier.action.emit("near|daily:*|2026-11-25", "default")
    assert run.presence.compact is not None and run.presence.compact.isVisible()


def test_changes_from_the_tracker_are_looked_at_at_most_every_10_s(
        store: Store, runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY - timedelta(days=1))
    store.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60)])
    run = start(runs, store, clock)
    run.controller.evaluate()
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    clock.advance(seconds=3)
    run.controller.tracker_changed()
    assert run.notifier.calls == []
    clock.advance(seconds=8)
    run.controller.tracker_changed()
    assert run.notifier.ids() == ["near|daily:*|2026-11-25"]


# --- the weekly self-check -----------------------------------------------------------------


def test_clicking_the_check_in_message_opens_the_question(store: Store,
                                                          runs: list[Running]) -> None:
    from widget.ui.dialogs.checkin import CheckinDialog

    clock = FakeClock(SUNDAY_EVENING)
    settled(store, SUNDAY_EVENING - timedelta(days=7))
    run = start(runs, store, clock)
    run.controller.evaluate()
    run.notifier.action.emit(CHECKIN_ID, "default")
    dialogs = [d for d in run.controller._dialogs if isinstance(d, CheckinDialog)]
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    # Esc on the question is "Not now": tomorrow, same time.
    clock.advance(minutes=1)
    dialogs[0].reject()
    assert instant_from_setting(store.get_setting("checkin.not_before")) == \
        SUNDAY_EVENING + timedelta(days=1, minutes=1)
    assert run.controller._dialogs == []


def test_the_welcome_opens_on_the_first_run_only(store: Store, runs: list[Running]) -> None:
    from widget.ui.dialogs.welcome import WelcomeDialog

    clock = FakeClock(SUNDAY_EVENING - timedelta(hours=2))  # installed on Sunday at 17:05
    run = start(runs, store, clock)
    run.controller.first_run()
    assert [type(d) for d in run.controller._dialogs] == [WelcomeDialog]
    assert S.get(store, S.CHECKIN_LAST_ASKED) == clock.at, "the rhythm counts from here"
    run.stop()

    before = SUNDAY_EVENING - timedelta(days=7)
    settled(store, before)
    again = start(runs, store, FakeClock(SUNDAY_EVENING))
    again.controller.first_run()
    assert again.controller._dialogs == [], "no welcome once it was done"
    assert S.get(store, S.CHECKIN_LAST_ASKED) == before


# --- pausing --------------------------------------------------------------------------------


def test_a_pause_holds_across_a_restart_and_ends_by_itself(store: Store,
                                                           runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY)
    run = start(runs, store, clock)
    until = WEDNESDAY + timedelta(hours=1)
    run.presence.pause(until)  # the tray's "Pause tracking > 1 hour"
    assert run.tracker.calls == ["pause"]
    assert instant_from_setting(store.get_setting("tracker.paused_until")) == until

    # The computer restarts 10 minutes later.
    run.stop()
    clock.advance(minutes=10)
    again = start(runs, store, clock)
    again.controller.restore_pause()
    assert again.tracker.calls == ["pause"]
    assert again.presence.paused_until == until
    assert again.presence.pause_menu.title().startswith("Paused until")

    # The hour passes: tracking resumes by itself, and the pause is forgotten.
    clock.at = until + timedelta(seconds=1)
    again.presence.refresh()
    assert again.tracker.calls == ["pause", "resume"]
    assert store.get_setting("tracker.paused_until") is None
    assert again.presence.paused_until is None

    third = start(runs, store, clock)
    third.controller.restore_pause()
    assert third.tracker.calls == []


def test_a_pause_that_ended_while_off_is_not_restored(store: Store,
                                                      runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    run = start(runs, store, clock)
    run.controller.pause(WEDNESDAY + timedelta(minutes=15))
    assert run.tracker.calls == ["pause"]
    run.stop()
    clock.advance(hours=1)
    again = start(runs, store, clock)
    again.controller.restore_pause()
    assert again.tracker.calls == [] and again.presence.paused_until is None


def test_resume_from_the_menu(store: Store, runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    run = start(runs, store, clock)
    run.presence.pause_for(timedelta(minutes=15))
    run.presence.resume()
    assert run.tracker.calls == ["pause", "resume"]
    assert store.get_setting("tracker.paused_until") is None


# --- watch for a week first -----------------------------------------------------------------


def test_the_week_of_watching_s_message_opens_the_suggested_goals(
        store: Store, runs: list[Running]) -> None:
    from widget.ui.dialogs.goals import GoalsDialog

    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY)
    store.set_setting("watch_first_since", "2026-11-17")  # 8 days before
    for day in range(17, 25):
        used(store, datetime(2026, 11, day, 20, 0, tzinfo=BERLIN), 50)
    run = start(runs, store, clock)
    run.controller.evaluate()
    assert run.notifier.ids() == [WATCH_ID]

    # Clicking it opens the goals with the week's suggestion filled in, not yet saved.
    clock.advance(days=1)
    run.notifier.action.emit(WATCH_ID, "default")
    dialog = next(d for d in run.controller._dialogs if isinstance(d, GoalsDialog))
    assert dialog.form.daily_on.isChecked() and dialog.form.daily.seconds() == 60 * 60
    assert dialog.form.weekly_on.isChecked()
    assert store.list_goals() == []
    assert dialog.save()
    assert {g.kind.value for g in store.list_goals()} == {"daily", "weekly"}


# --- a second launch ------------------------------------------------------------------------


def test_a_second_launch_brings_a_minimized_window_back(store: Store,
                                                        runs: list[Running]) -> None:
    run = start(runs, store, FakeClock(WEDNESDAY))
    run.presence.show()  # offscreen has no tray: the small window
    compact = run.presence.compact
    assert compact is not None and compact.isWindow() and compact.isVisible()
    compact.showMinimized()
    assert compact.isMinimized()
    run.controller.bring_forward()
    assert not compact.isMinimized() and compact.isVisible()
    compact.close()


# --- the drift signal's extra check-in -------------------------------------------------------


def drifting_weeks(store: Store) -> None:
    """Eight complete weeks before WEDNESDAY's week, each Tuesday evening longer than the last
    (2 h, 2.5 h, ... 5.5 h): a significant rising trend (drift rule a)."""
    tuesday = datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN)
    for weeks_ago in range(1, 9):
        used(store, tuesday - timedelta(weeks=weeks_ago), 120 + 30 * (8 - weeks_ago))


def test_the_drift_s_check_in_says_what_brought_it(store: Store, runs: list[Running]) -> None:
    from widget.ui.dialogs.checkin import CheckinDialog

    drifting_weeks(store)
    settled(store, datetime(2026, 11, 22, 19, 0, tzinfo=BERLIN).astimezone(UTC))
    run = start(runs, store, FakeClock(WEDNESDAY))
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID]

    run.notifier.action.emit(CHECKIN_ID, "default")  # opened: it says what brought it
    dialog = next(d for d in run.controller._dialogs if isinstance(d, CheckinDialog))
    assert dialog.why_label is not None and "rising" in dialog.why_label.text()
    dialog.answer_buttons[2].setChecked(True)
    dialog.save_button.click()
    dialog.close_button.click()  # the thanks, closed
    assert len(store.list_checkins()) == 1
    assert instant_from_setting(store.get_setting("checkin.last_asked")) == WEDNESDAY
    run.controller.check_in()  # a later "Check in now" that week is an ordinary one
    again = next(d for d in run.controller._dialogs if isinstance(d, CheckinDialog))
    assert again.why_label is None
    again.reject()


# --- the weekly summary ---------------------------------------------------------------------


def test_the_summary_s_click_opens_the_dashboard(store: Store, runs: list[Running]) -> None:
    run = start(runs, store, FakeClock(WEDNESDAY))
    opened: list[bool] = []
    run.controller.open_dashboard = lambda: opened.append(True)  # type: ignore[method-assign]
    run.notifier.action.emit(SUMMARY_ID, "not-now")
    assert opened == []
    run.notifier.action.emit(SUMMARY_ID, "default")  # "Open dashboard"
    assert opened == [True]


# --- the end ---------------------------------------------------------------------------------


def test_once_closed_it_evaluates_nothing_and_carries_out_nothing(
        store: Store, runs: list[Running]) -> None:
    """Quit (or Delete everything): the windows close unsaved, and neither the timer, the
    tracker nor a late answer on the desktop brings anything back."""
    from widget.ui.dialogs.checkin import CheckinDialog

    settled(store, SUNDAY_EVENING - timedelta(days=7))
    clock = FakeClock(SUNDAY_EVENING)
    run = start(runs, store, clock)
    run.controller.check_in()
    dialog = next(d for d in run.controller._dialogs if isinstance(d, CheckinDialog))
    run.controller.close()
    assert not dialog.isVisible()
    assert store.get_setting("checkin.not_before") is None, "closed, not answered 'Not now'"
    assert not run.controller._timer.isActive()

    clock.advance(seconds=30)
    run.controller.evaluate()
    run.controller.tracker_changed()
    run.notifier.action.emit(CHECKIN_ID, "default")
    run.notifier.action.emit(CHECKIN_ID, "snooze")
    assert run.notifier.calls == []
    assert [d for d in run.controller._dialogs if d.isVisible()] == []  # type: ignore[attr-defined]
    assert store.get_setting("checkin.not_before") is None
