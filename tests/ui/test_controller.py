"""The tray app's controller with a fake clock, a real store and a recording notifier: goal
alerts come once, Snooze brings them back after 15 minutes, the weekly self-check comes on its
evening (not on the first one), "Not now" moves it to tomorrow, a pause survives a restart,
and a week of watching ends in one suggestion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from tests.helpers.fakes import FakeClock
from widget.core.checkin import Checkin
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.options import Options, instant_from_setting, instant_to_setting
from widget.services.reminders import CHECKIN_ID, SUMMARY_ID, WATCH_ID, week_summary_text
from widget.store.db import Store
from widget.ui.controller import TrayController
from widget.ui.tray import TodayService, TrayPresence

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


def fired(store: Store) -> list[str]:
    raw = store.get_setting("alerts.fired") or []
    assert isinstance(raw, list)
    return raw


# --- goal alerts ----------------------------------------------------------------------------


def test_near_a_daily_goal_one_discreet_heads_up_and_snooze_brings_it_back(
        store: Store, runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY - timedelta(days=1))
    store.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    run = start(runs, store, clock)

    run.controller.evaluate()
    run.controller.evaluate()
    assert len(run.notifier.calls) == 1, run.notifier.calls
    alert_id, title, body = run.notifier.calls[0]
    assert alert_id == "near|daily:*|2026-11-25"
    assert "88% of today's goal" in body and "40 min of 45 min" in body
    for text in (title, body):
        assert APP_NAME not in text and APP not in text.lower()
        assert "AI companion" not in text and "companion" not in text.lower()
    assert fired(store) == [alert_id]

    # "Snooze 15 min" in the notification.
    clock.advance(minutes=1)
    run.notifier.action.emit(alert_id, "snooze")
    assert alert_id not in fired(store)
    assert snoozed(store) == {alert_id: clock.at + timedelta(minutes=15)}

    clock.advance(minutes=10)
    run.controller.evaluate()
    assert len(run.notifier.calls) == 1, "a snoozed heads-up waits its 15 minutes"

    clock.advance(minutes=6)
    run.controller.evaluate()
    run.controller.evaluate()
    assert run.notifier.ids() == [alert_id, alert_id], "it comes back once, after the snooze"
    assert fired(store) == [alert_id] and alert_id not in snoozed(store)

    # The goal is reached: one message saying so, once.
    used(store, datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN), 5)
    clock.advance(minutes=1)
    run.controller.evaluate()
    run.controller.evaluate()
    assert run.notifier.ids() == [alert_id, alert_id, "reached|daily:*|2026-11-25"]
    reached = run.notifier.calls[-1][2]
    assert "reached today's goal of 45 min" in reached
    assert APP_NAME not in reached and "companion" not in reached.lower()

    # "Not now" keeps it quiet for the rest of the day, even across a restart.
    run.notifier.action.emit("reached|daily:*|2026-11-25", "not-now")
    clock.advance(hours=2)
    run.stop()
    again = start(runs, store, clock)
    again.controller.evaluate()
    assert again.notifier.calls == []


def test_with_discreet_mode_off_the_message_names_the_app(store: Store,
                                                          runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY - timedelta(days=1))
    store.set_setting("discreet", False)
    store.replace_goals([Goal(GoalKind.DAILY, APP, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    run = start(runs, store, clock)
    run.controller.evaluate()
    assert run.notifier.ids() == [f"near|daily:{APP}|2026-11-25"]
    assert APP_NAME in run.notifier.calls[0][2]


def test_the_next_day_brings_a_new_alert_and_forgets_the_old_ones(store: Store,
                                                                 runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY - timedelta(days=1))
    store.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    run = start(runs, store, clock)
    run.controller.evaluate()
    used(store, datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN), 40)
    clock.at = datetime(2026, 11, 26, 12, 0, tzinfo=BERLIN).astimezone(UTC)
    run.controller.evaluate()
    assert run.notifier.ids() == ["near|daily:*|2026-11-25", "near|daily:*|2026-11-26"]
    clock.at = datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN).astimezone(UTC)
    run.controller.evaluate()
    assert fired(store) == [], "ids of days gone by are pruned"


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


def test_the_weekly_check_in_comes_once_and_not_now_means_tomorrow(
        store: Store, runs: list[Running]) -> None:
    clock = FakeClock(SUNDAY_EVENING - timedelta(hours=1))
    settled(store, SUNDAY_EVENING - timedelta(days=7, minutes=4))
    run = start(runs, store, clock)
    run.controller.evaluate()
    assert run.notifier.calls == [], "18:05 on Sunday: not yet"

    clock.at = SUNDAY_EVENING
    run.controller.evaluate()
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID]
    text = " ".join(run.notifier.calls[0][1:])
    assert "companion" not in text.lower()

    clock.advance(minutes=2)
    run.notifier.action.emit(CHECKIN_ID, "not-now")
    tomorrow = datetime(2026, 11, 30, 19, 7, tzinfo=BERLIN).astimezone(UTC)
    assert instant_from_setting(store.get_setting("checkin.not_before")) == tomorrow
    clock.advance(hours=3)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID], "nothing more tonight"

    clock.at = tomorrow - timedelta(minutes=5)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID]
    clock.at = tomorrow + timedelta(minutes=1)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID, CHECKIN_ID], "asked again the next evening"


def test_snooze_on_the_check_in_asks_again_in_15_minutes(store: Store,
                                                         runs: list[Running]) -> None:
    clock = FakeClock(SUNDAY_EVENING)
    settled(store, SUNDAY_EVENING - timedelta(days=7))
    run = start(runs, store, clock)
    run.controller.evaluate()
    run.notifier.action.emit(CHECKIN_ID, "snooze")
    clock.advance(minutes=14)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID]
    clock.advance(minutes=2)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID, CHECKIN_ID]


def test_clicking_the_check_in_message_opens_the_question(store: Store,
                                                          runs: list[Running]) -> None:
    from widget.ui.checkin_dialog import CheckinDialog

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


def test_first_run_lets_the_first_evening_pass_without_a_question(
        store: Store, runs: list[Running]) -> None:
    clock = FakeClock(SUNDAY_EVENING - timedelta(hours=2))  # installed on Sunday at 17:05
    assert store.get_setting("checkin.last_asked") is None
    run = start(runs, store, clock)
    run.controller.first_run()
    assert instant_from_setting(store.get_setting("checkin.last_asked")) == clock.at
    assert run.controller._dialogs, "the welcome opens on the first run"
    clock.at = SUNDAY_EVENING
    run.controller.evaluate()
    assert CHECKIN_ID not in run.notifier.ids()
    clock.at = SUNDAY_EVENING + timedelta(days=7)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID], "a week later it comes"


def test_first_run_keeps_an_earlier_last_asked(store: Store, runs: list[Running]) -> None:
    before = SUNDAY_EVENING - timedelta(days=7)
    settled(store, before)
    run = start(runs, store, FakeClock(SUNDAY_EVENING))
    run.controller.first_run()
    assert instant_from_setting(store.get_setting("checkin.last_asked")) == before
    assert run.controller._dialogs == [], "no welcome once it was done"


def test_what_is_chosen_in_the_check_in_is_kept(store: Store, runs: list[Running]) -> None:
    clock = FakeClock(SUNDAY_EVENING)
    settled(store, SUNDAY_EVENING - timedelta(days=7))
    run = start(runs, store, clock)
    asked = SUNDAY_EVENING

    run.controller._checkin_chosen("not-now", asked)
    assert instant_from_setting(store.get_setting("checkin.not_before")) == \
        asked + timedelta(days=1)
    assert instant_from_setting(store.get_setting("checkin.last_asked")) == \
        asked - timedelta(days=7), "not now leaves last_asked alone"

    clock.advance(minutes=3)
    run.controller._checkin_chosen("skip-week", asked)
    next_sunday = datetime(2026, 12, 6, 19, 0, tzinfo=BERLIN).astimezone(UTC)
    assert instant_from_setting(store.get_setting("checkin.not_before")) == next_sunday
    skipped = store.list_checkins()
    assert len(skipped) == 1 and skipped[0].answer is None and skipped[0].asked == asked

    store.add_checkin(Checkin(asked=asked, answered=clock.at, answer=2, week_seconds=600))
    run.controller._checkin_chosen("saved", asked)
    assert store.get_setting("checkin.not_before") is None
    assert instant_from_setting(store.get_setting("checkin.last_asked")) == asked
    clock.advance(hours=20)
    run.controller.evaluate()
    assert CHECKIN_ID not in run.notifier.ids(), "answered: not again the next day"
    clock.at = next_sunday + timedelta(minutes=1)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID]


def test_a_check_in_missed_while_off_comes_once_at_the_next_start(
        store: Store, runs: list[Running]) -> None:
    settled(store, SUNDAY_EVENING - timedelta(days=21))  # three Sundays missed
    clock = FakeClock(SUNDAY_EVENING + timedelta(days=2))  # Tuesday evening
    run = start(runs, store, clock)
    run.controller.restore_pause()
    run.controller.first_run()
    run.controller.evaluate()
    clock.advance(minutes=1)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID]


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


def test_after_a_week_of_watching_one_suggestion(store: Store, runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY)
    store.set_setting("watch_first_since", "2026-11-17")  # 8 days before
    for day in range(17, 25):
        used(store, datetime(2026, 11, day, 20, 0, tzinfo=BERLIN), 50)
    run = start(runs, store, clock)
    run.controller.evaluate()
    run.controller.evaluate()
    assert run.notifier.ids() == [WATCH_ID]
    body = run.notifier.calls[0][2]
    assert "about 1 h" in body and "companion" not in body.lower()

    run.stop()
    clock.advance(days=1)
    again = start(runs, store, clock)
    again.controller.evaluate()
    assert again.notifier.calls == [], "never twice, not even after a restart"

    # Clicking it opens the goals with the week's suggestion filled in, not yet saved.
    again.notifier.action.emit(WATCH_ID, "default")
    from widget.ui.goals_dialog import GoalsDialog

    dialog = next(d for d in again.controller._dialogs if isinstance(d, GoalsDialog))
    assert dialog.form.daily_on.isChecked() and dialog.form.daily.seconds() == 60 * 60
    assert dialog.form.weekly_on.isChecked()
    assert store.list_goals() == []
    assert dialog.save()
    assert {g.kind.value for g in store.list_goals()} == {"daily", "weekly"}


def test_a_week_of_watching_not_over_yet_says_nothing(store: Store,
                                                      runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY)
    store.set_setting("watch_first_since", "2026-11-20")
    used(store, datetime(2026, 11, 21, 20, 0, tzinfo=BERLIN), 50)
    run = start(runs, store, clock)
    run.controller.evaluate()
    assert run.notifier.calls == []
    assert not store.get_setting("watch.suggested")


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


def test_a_drift_brings_one_extra_check_in_that_week(store: Store,
                                                     runs: list[Running]) -> None:
    drifting_weeks(store)
    settled(store, datetime(2026, 11, 22, 19, 0, tzinfo=BERLIN).astimezone(UTC))
    run = start(runs, store, FakeClock(WEDNESDAY))
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID]
    text = run.notifier.calls[0][2]
    assert "rising" in text and "companion" not in text.lower()
    assert store.get_setting("checkin.drift_week") == "2026-W48"

    from widget.ui.checkin_dialog import CheckinDialog

    run.notifier.action.emit(CHECKIN_ID, "default")  # opened: it says what brought it
    dialog = next(d for d in run.controller._dialogs if isinstance(d, CheckinDialog))
    assert dialog.why_label is not None and "rising" in dialog.why_label.text()
    dialog.answer_buttons[2].setChecked(True)
    dialog.save_button.click()
    dialog.close_button.click()  # the thanks, closed
    run.controller.check_in()  # a later "Check in now" that week is an ordinary one
    again = next(d for d in run.controller._dialogs if isinstance(d, CheckinDialog))
    assert again.why_label is None
    again.reject()

    run.clock.advance(days=1, minutes=5)  # "Not now" came and went: only the week's one
    store.set_setting("checkin.not_before", None)
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID], "one extra check-in in a week, not more"


def test_no_extra_check_in_without_drift_or_when_switched_off(store: Store,
                                                              runs: list[Running]) -> None:
    settled(store, datetime(2026, 11, 22, 19, 0, tzinfo=BERLIN).astimezone(UTC))
    tuesday = datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN)
    for weeks_ago in range(1, 9):  # the same two hours every week: no drift
        used(store, tuesday - timedelta(weeks=weeks_ago), 120)
    run = start(runs, store, FakeClock(WEDNESDAY))
    run.controller.evaluate()
    assert run.notifier.calls == []

    drifting_weeks(store)
    store.set_setting("checkin.on_drift", False)
    again = start(runs, store, FakeClock(WEDNESDAY))
    again.controller.evaluate()
    assert again.notifier.calls == []
    store.set_setting("checkin.on_drift", True)
    third = start(runs, store, FakeClock(WEDNESDAY))
    third.controller.evaluate()
    assert third.notifier.ids() == [CHECKIN_ID]


def test_the_tray_s_drift_is_the_dashboard_s_after_a_break(store: Store,
                                                            runs: list[Running]) -> None:
    """Used ten weeks ago, then three weeks of nothing, then rising: the weeks of nothing are
    part of the history (not before it), for the tray as for the dashboard."""
    from widget.dashboard_data import load_dashboard

    settled(store, datetime(2026, 11, 22, 19, 0, tzinfo=BERLIN).astimezone(UTC))
    tuesday = datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN)
    used(store, tuesday - timedelta(weeks=10), 60)
    for weeks_ago, hours in zip(range(5, 0, -1), (4, 3, 4, 4, 5), strict=True):
        for part in range(hours):  # an hour at most per interval, as the tracker writes
            used(store, tuesday - timedelta(weeks=weeks_ago, hours=part + 1), 60)
    dashboard = load_dashboard(store, None, WEDNESDAY, BERLIN, 4)
    assert dashboard.report.drift is not None, "the dashboard marks the drift"
    run = start(runs, store, FakeClock(WEDNESDAY))
    run.controller.evaluate()
    assert run.notifier.ids() == [CHECKIN_ID], "and the tray offers its check-in"


def test_no_notifications_today_holds_them_until_the_new_day(store: Store,
                                                             runs: list[Running]) -> None:
    clock = FakeClock(WEDNESDAY)
    settled(store, WEDNESDAY - timedelta(days=1))
    store.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    new_day = datetime(2026, 11, 26, 4, 0, tzinfo=BERLIN).astimezone(UTC)
    store.set_setting("alerts.quiet_until", instant_to_setting(new_day))  # chosen in Settings
    run = start(runs, store, clock)
    run.controller.evaluate()
    assert run.notifier.calls == [], "the person asked for a quiet day"
    store.set_setting("alerts.quiet_until", None)
    run.controller.evaluate()
    assert len(run.notifier.calls) == 1, "not lost: said once the quiet is over"


# --- the weekly summary ---------------------------------------------------------------------


def test_a_week_ended_is_summed_up_once_in_one_calm_line(store: Store,
                                                         runs: list[Running]) -> None:
    store.set_setting("first_run_done", True)
    store.set_setting("checkin.last_asked", instant_to_setting(WEDNESDAY))
    for weeks_ago in range(2, 6):  # the usual week: 2 hours
        used(store, datetime(2026, 11, 17, 20, 0, tzinfo=BERLIN) - timedelta(weeks=weeks_ago - 1),
             120)
    used(store, datetime(2026, 11, 17, 20, 0, tzinfo=BERLIN), 200)  # last week: 3 h 20 min
    run = start(runs, store, FakeClock(WEDNESDAY))
    run.controller.evaluate()
    assert run.notifier.ids() == [SUMMARY_ID]
    text = run.notifier.calls[0][2]
    assert text == ("Last week: 3 h 20 min with your tracked apps, more than your usual week "
                    "(2 h).")
    assert APP_NAME not in text, "discreet: no app named"
    run.controller.evaluate()
    again = start(runs, store, FakeClock(WEDNESDAY + timedelta(hours=2)))  # a restart that week
    again.controller.evaluate()
    assert run.notifier.ids() == [SUMMARY_ID] and again.notifier.ids() == [], "once a week"
    opened: list[bool] = []
    run.controller.open_dashboard = lambda: opened.append(True)  # type: ignore[method-assign]
    run.notifier.action.emit(SUMMARY_ID, "default")  # "Open dashboard"
    assert opened == [True]


def test_the_weekly_summary_can_be_switched_off(store: Store, runs: list[Running]) -> None:
    store.set_setting("first_run_done", True)
    store.set_setting("summary.weekly", False)
    used(store, datetime(2026, 11, 17, 20, 0, tzinfo=BERLIN), 200)
    run = start(runs, store, FakeClock(WEDNESDAY))
    run.controller.evaluate()
    assert SUMMARY_ID not in run.notifier.ids()


def test_the_summary_line_compares_with_the_usual_week() -> None:
    assert week_summary_text(3600, []) == "Last week: 1 h with your tracked apps."
    assert "about your usual week" in week_summary_text(3600, [3500, 3700, 0])
    assert "less than your usual week" in week_summary_text(1800, [3600, 3600])
