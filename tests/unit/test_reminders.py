"""The tray app's reminders (`widget.services.reminders`) on a real store file, with the fake
clock and a recording `send`, and no Qt: goal alerts come once, Snooze brings them back after
15 minutes, the weekly self-check comes on its evening (not on the first one), "Not now" moves
it to tomorrow, "Skip this week" to the next one, a drift brings one extra check-in a week, a
week of watching ends in one suggestion, last week is summed up once, and "No notifications
today" holds them all. What the window side does with the answers (the dialogs, the dashboard,
the timer, the notifier's signal): tests/ui/test_controller.py."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers.fakes import FakeClock
from widget.core import settings as S
from widget.core.checkin import Checkin
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Rule, RuleKind, TrackedApp
from widget.core.options import Options
from widget.services.reminders import (
    CHECKIN_ID,
    SUMMARY_ID,
    WATCH_ID,
    Reaction,
    Reminders,
    week_summary_text,
)
from widget.store.db import Store
from widget.store.resident import ResidentStore

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 25 November 2026, 14:00 in Berlin.
WEDNESDAY = datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN).astimezone(UTC)
# Sunday 29 November 2026, 19:05 in Berlin: five minutes after the weekly check-in's moment.
SUNDAY_EVENING = datetime(2026, 11, 29, 19, 5, tzinfo=BERLIN).astimezone(UTC)
APP = "kobold"
APP_NAME = "KoboldCpp"


class Sent:
    """The `send` the reminders are given: records what they show, and says it was shown."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, alert_id: str, title: str, body: str) -> bool:
        self.calls.append((alert_id, title, body))
        return True

    def ids(self) -> list[str]:
        return [call[0] for call in self.calls]


@pytest.fixture
def editor(tmp_path: Path) -> Iterator[Store]:
    """The full store on the file, holding one tracked app: what the dialogs and the command
    line change apps and goals through."""
    opened = Store.open(tmp_path / "driftcheck.sqlite3")
    opened.add_app(TrackedApp(APP, APP_NAME, (Rule(RuleKind.PROCESS, "koboldcpp"),)))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def store(editor: Store) -> Iterator[ResidentStore]:
    """The lean store the tray app holds, on the same file."""
    opened = ResidentStore.open(editor.path)
    try:
        yield opened
    finally:
        opened.close()


def start(store: ResidentStore) -> tuple[Reminders, Sent]:
    """One run of the tray app's reminders on `store` (a restart makes another)."""
    sent = Sent()
    return Reminders(store, Options(), BERLIN, sent), sent


def used(store: ResidentStore, start_local: datetime, minutes: float) -> None:
    begin = start_local.astimezone(UTC)
    store.insert_interval(Interval(APP, begin, begin + timedelta(minutes=minutes)))


def settled(store: ResidentStore, at: datetime) -> None:
    """The welcome is done and the self-check was last settled at `at` (the weekly summary
    off: its own tests below switch it on)."""
    S.put(store, S.FIRST_RUN_DONE, True)
    S.put(store, S.SUMMARY_WEEKLY, False)
    S.put(store, S.CHECKIN_LAST_ASKED, at)


def fired(store: ResidentStore) -> list[str]:
    return S.get(store, S.ALERTS_FIRED)


def snoozed(store: ResidentStore) -> dict[str, datetime]:
    return S.get(store, S.ALERTS_SNOOZED)


def test_the_reminders_load_no_qt() -> None:
    """They are the tray's, but plain Python: these tests, and the command line, run them
    without a display."""
    code = ("import sys, widget.services.reminders, widget.services.dashboard; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


# --- goal alerts ----------------------------------------------------------------------------


def test_near_a_daily_goal_one_discreet_heads_up_and_snooze_brings_it_back(
        store: ResidentStore, editor: Store, fake_clock: FakeClock) -> None:
    clock = fake_clock
    clock.at = WEDNESDAY
    settled(store, WEDNESDAY - timedelta(days=1))
    editor.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    reminders, sent = start(store)

    reminders.evaluate(clock())
    reminders.evaluate(clock())
    assert len(sent.calls) == 1, sent.calls
    alert_id, title, body = sent.calls[0]
    assert alert_id == "near|daily:*|2026-11-25"
    assert "88% of today's goal" in body and "40 min of 45 min" in body
    for text in (title, body):
        assert APP_NAME not in text and APP not in text.lower()
        assert "AI companion" not in text and "companion" not in text.lower()
    assert fired(store) == [alert_id]

    # "Snooze 15 min" in the notification.
    clock.advance(minutes=1)
    assert reminders.answer(alert_id, "snooze", clock()) is Reaction.NOTHING
    assert alert_id not in fired(store)
    assert snoozed(store) == {alert_id: clock.at + timedelta(minutes=15)}

    clock.advance(minutes=10)
    reminders.evaluate(clock())
    assert len(sent.calls) == 1, "a snoozed heads-up waits its 15 minutes"

    clock.advance(minutes=6)
    reminders.evaluate(clock())
    reminders.evaluate(clock())
    assert sent.ids() == [alert_id, alert_id], "it comes back once, after the snooze"
    assert fired(store) == [alert_id] and alert_id not in snoozed(store)

    # The goal is reached: one message saying so, once.
    used(store, datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN), 5)
    clock.advance(minutes=1)
    reminders.evaluate(clock())
    reminders.evaluate(clock())
    assert sent.ids() == [alert_id, alert_id, "reached|daily:*|2026-11-25"]
    reached = sent.calls[-1][2]
    assert "reached today's goal of 45 min" in reached
    assert APP_NAME not in reached and "companion" not in reached.lower()

    # "Not now" keeps it quiet for the rest of the day, even across a restart.
    assert reminders.answer("reached|daily:*|2026-11-25", "not-now", clock()) is Reaction.NOTHING
    clock.advance(hours=2)
    again, sent_again = start(store)
    again.evaluate(clock())
    assert sent_again.calls == []


def test_with_discreet_mode_off_the_message_names_the_app(
        store: ResidentStore, editor: Store) -> None:
    settled(store, WEDNESDAY - timedelta(days=1))
    S.put(store, S.DISCREET, False)
    editor.replace_goals([Goal(GoalKind.DAILY, APP, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    reminders, sent = start(store)
    reminders.evaluate(WEDNESDAY)
    assert sent.ids() == [f"near|daily:{APP}|2026-11-25"]
    assert APP_NAME in sent.calls[0][2]


def test_the_next_day_brings_a_new_alert_and_forgets_the_old_ones(
        store: ResidentStore, editor: Store, fake_clock: FakeClock) -> None:
    clock = fake_clock
    clock.at = WEDNESDAY
    settled(store, WEDNESDAY - timedelta(days=1))
    editor.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    reminders, sent = start(store)
    reminders.evaluate(clock())
    used(store, datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN), 40)
    clock.at = datetime(2026, 11, 26, 12, 0, tzinfo=BERLIN).astimezone(UTC)
    reminders.evaluate(clock())
    assert sent.ids() == ["near|daily:*|2026-11-25", "near|daily:*|2026-11-26"]
    clock.at = datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN).astimezone(UTC)
    reminders.evaluate(clock())
    assert fired(store) == [], "ids of days gone by are pruned"


def test_no_notifications_today_holds_them_until_the_new_day(
        store: ResidentStore, editor: Store) -> None:
    settled(store, WEDNESDAY - timedelta(days=1))
    editor.replace_goals([Goal(GoalKind.DAILY, None, 45 * 60)])
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 40)
    new_day = datetime(2026, 11, 26, 4, 0, tzinfo=BERLIN).astimezone(UTC)
    S.put(store, S.ALERTS_QUIET_UNTIL, new_day)  # chosen in Settings
    reminders, sent = start(store)
    reminders.evaluate(WEDNESDAY)
    assert sent.calls == [], "the person asked for a quiet day"
    assert fired(store) == [], "held back is not said"
    S.put(store, S.ALERTS_QUIET_UNTIL, None)
    reminders.evaluate(WEDNESDAY)
    assert len(sent.calls) == 1, "not lost: said once the quiet is over"


def test_each_answer_says_what_the_window_side_does(store: ResidentStore) -> None:
    """A click on a goal's message shows today; on the check-in, the question; on the
    summary, the dashboard; after the week of watching, the goals. Closing one does nothing."""
    reminders, _sent = start(store)
    goal = "near|daily:*|2026-11-25"
    assert reminders.answer(goal, "default", WEDNESDAY) is Reaction.SHOW_TODAY
    assert reminders.answer(CHECKIN_ID, "default", WEDNESDAY) is Reaction.OPEN_CHECKIN
    assert reminders.answer(SUMMARY_ID, "default", WEDNESDAY) is Reaction.OPEN_DASHBOARD
    assert reminders.answer(WATCH_ID, "default", WEDNESDAY) is Reaction.OPEN_SUGGESTED_GOALS
    for alert_id in (goal, CHECKIN_ID, SUMMARY_ID, WATCH_ID):
        for key in ("closed", "not-now", "snooze"):
            assert reminders.answer(alert_id, key, WEDNESDAY) is Reaction.NOTHING, (alert_id, key)


def test_closing_a_message_postpones_nothing(store: ResidentStore) -> None:
    reminders, _sent = start(store)
    assert reminders.answer(CHECKIN_ID, "closed", SUNDAY_EVENING) is Reaction.NOTHING
    assert reminders.answer("near|daily:*|2026-11-25", "closed", WEDNESDAY) is Reaction.NOTHING
    assert S.get(store, S.CHECKIN_NOT_BEFORE) is None
    assert fired(store) == [] and snoozed(store) == {}


# --- the weekly self-check -----------------------------------------------------------------


def test_the_weekly_check_in_comes_once_and_not_now_means_tomorrow(
        store: ResidentStore, fake_clock: FakeClock) -> None:
    clock = fake_clock
    clock.at = SUNDAY_EVENING - timedelta(hours=1)
    settled(store, SUNDAY_EVENING - timedelta(days=7, minutes=4))
    reminders, sent = start(store)
    reminders.evaluate(clock())
    assert sent.calls == [], "18:05 on Sunday: not yet"

    clock.at = SUNDAY_EVENING
    reminders.evaluate(clock())
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID]
    text = " ".join(sent.calls[0][1:])
    assert "companion" not in text.lower()

    clock.advance(minutes=2)
    assert reminders.answer(CHECKIN_ID, "not-now", clock()) is Reaction.NOTHING
    tomorrow = datetime(2026, 11, 30, 19, 7, tzinfo=BERLIN).astimezone(UTC)
    assert S.get(store, S.CHECKIN_NOT_BEFORE) == tomorrow
    clock.advance(hours=3)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID], "nothing more tonight"

    clock.at = tomorrow - timedelta(minutes=5)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID]
    clock.at = tomorrow + timedelta(minutes=1)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID, CHECKIN_ID], "asked again the next evening"


def test_snooze_on_the_check_in_asks_again_in_15_minutes(
        store: ResidentStore, fake_clock: FakeClock) -> None:
    clock = fake_clock
    clock.at = SUNDAY_EVENING
    settled(store, SUNDAY_EVENING - timedelta(days=7))
    reminders, sent = start(store)
    reminders.evaluate(clock())
    assert reminders.answer(CHECKIN_ID, "snooze", clock()) is Reaction.NOTHING
    clock.advance(minutes=14)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID]
    clock.advance(minutes=2)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID, CHECKIN_ID]


def test_first_run_lets_the_first_evening_pass_without_a_question(
        store: ResidentStore, fake_clock: FakeClock) -> None:
    clock = fake_clock
    clock.at = SUNDAY_EVENING - timedelta(hours=2)  # installed on Sunday at 17:05
    assert S.get(store, S.CHECKIN_LAST_ASKED) is None
    reminders, sent = start(store)
    assert reminders.started(clock()), "the first run's welcome is due"
    assert S.get(store, S.CHECKIN_LAST_ASKED) == clock.at
    clock.at = SUNDAY_EVENING
    reminders.evaluate(clock())
    assert CHECKIN_ID not in sent.ids()
    clock.at = SUNDAY_EVENING + timedelta(days=7)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID], "a week later it comes"


def test_a_later_start_keeps_an_earlier_last_asked(store: ResidentStore) -> None:
    before = SUNDAY_EVENING - timedelta(days=7)
    settled(store, before)
    reminders, _sent = start(store)
    assert not reminders.started(SUNDAY_EVENING), "no welcome once it was done"
    assert S.get(store, S.CHECKIN_LAST_ASKED) == before


def test_what_is_chosen_in_the_check_in_is_kept(
        store: ResidentStore, fake_clock: FakeClock) -> None:
    clock = fake_clock
    clock.at = SUNDAY_EVENING
    settled(store, SUNDAY_EVENING - timedelta(days=7))
    reminders, sent = start(store)
    asked = SUNDAY_EVENING

    reminders.checkin_settled("not-now", asked, clock())
    assert S.get(store, S.CHECKIN_NOT_BEFORE) == asked + timedelta(days=1)
    assert S.get(store, S.CHECKIN_LAST_ASKED) == asked - timedelta(days=7), \
        "not now leaves last_asked alone"

    clock.advance(minutes=3)
    reminders.checkin_settled("skip-week", asked, clock())
    next_sunday = datetime(2026, 12, 6, 19, 0, tzinfo=BERLIN).astimezone(UTC)
    assert S.get(store, S.CHECKIN_NOT_BEFORE) == next_sunday
    skipped = store.list_checkins()
    assert len(skipped) == 1 and skipped[0].answer is None and skipped[0].asked == asked

    store.add_checkin(Checkin(asked=asked, answered=clock.at, answer=2, week_seconds=600))
    reminders.checkin_settled("saved", asked, clock())
    assert S.get(store, S.CHECKIN_NOT_BEFORE) is None
    assert S.get(store, S.CHECKIN_LAST_ASKED) == asked
    clock.advance(hours=20)
    reminders.evaluate(clock())
    assert CHECKIN_ID not in sent.ids(), "answered: not again the next day"
    clock.at = next_sunday + timedelta(minutes=1)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID]


def test_a_check_in_missed_while_off_comes_once_at_the_next_start(
        store: ResidentStore, fake_clock: FakeClock) -> None:
    clock = fake_clock
    settled(store, SUNDAY_EVENING - timedelta(days=21))  # three Sundays missed
    clock.at = SUNDAY_EVENING + timedelta(days=2)  # Tuesday evening
    reminders, sent = start(store)
    assert not reminders.started(clock())
    reminders.evaluate(clock())
    clock.advance(minutes=1)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID]


# --- the drift signal's extra check-in -------------------------------------------------------


def drifting_weeks(store: ResidentStore) -> None:
    """Eight complete weeks before WEDNESDAY's week, each Tuesday evening longer than the last
    (2 h, 2.5 h, ... 5.5 h): a significant rising trend (drift rule a)."""
    tuesday = datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN)
    for weeks_ago in range(1, 9):
        used(store, tuesday - timedelta(weeks=weeks_ago), 120 + 30 * (8 - weeks_ago))


LAST_SUNDAY_CHECKIN = datetime(2026, 11, 22, 19, 0, tzinfo=BERLIN).astimezone(UTC)


def test_a_drift_brings_one_extra_check_in_that_week(
        store: ResidentStore, fake_clock: FakeClock) -> None:
    clock = fake_clock
    clock.at = WEDNESDAY
    drifting_weeks(store)
    settled(store, LAST_SUNDAY_CHECKIN)
    reminders, sent = start(store)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID]
    text = sent.calls[0][2]
    assert "rising" in text and "companion" not in text.lower()
    assert S.get(store, S.CHECKIN_DRIFT_WEEK) == "2026-W48"

    # Opened, the question says what brought it; answered, a later "Check in now" that week
    # is an ordinary one.
    asked = reminders.checkin_request(clock())
    assert asked.asked == clock.at
    assert asked.why is not None and "rising" in asked.why
    store.add_checkin(Checkin(asked=asked.asked, answered=clock.at, answer=2,
                              week_seconds=asked.week_seconds))
    reminders.checkin_settled("saved", asked.asked, clock())
    assert reminders.checkin_request(clock()).why is None

    clock.advance(days=1, minutes=5)  # "Not now" came and went: only the week's one
    S.put(store, S.CHECKIN_NOT_BEFORE, None)
    reminders.evaluate(clock())
    assert sent.ids() == [CHECKIN_ID], "one extra check-in in a week, not more"


def test_no_extra_check_in_without_drift_or_when_switched_off(store: ResidentStore) -> None:
    settled(store, LAST_SUNDAY_CHECKIN)
    tuesday = datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN)
    for weeks_ago in range(1, 9):  # the same two hours every week: no drift
        used(store, tuesday - timedelta(weeks=weeks_ago), 120)
    reminders, sent = start(store)
    reminders.evaluate(WEDNESDAY)
    assert sent.calls == []

    drifting_weeks(store)
    S.put(store, S.CHECKIN_ON_DRIFT, False)
    again, sent_again = start(store)
    again.evaluate(WEDNESDAY)
    assert sent_again.calls == []
    S.put(store, S.CHECKIN_ON_DRIFT, True)
    third, sent_third = start(store)
    third.evaluate(WEDNESDAY)
    assert sent_third.ids() == [CHECKIN_ID]


def test_the_tray_s_drift_is_the_dashboard_s_after_a_break(store: ResidentStore) -> None:
    """Used ten weeks ago, then three weeks of nothing, then rising: the weeks of nothing are
    part of the history (not before it), for the tray as for the dashboard."""
    from widget.services.dashboard import load_dashboard

    settled(store, LAST_SUNDAY_CHECKIN)
    tuesday = datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN)
    used(store, tuesday - timedelta(weeks=10), 60)
    for weeks_ago, hours in zip(range(5, 0, -1), (4, 3, 4, 4, 5), strict=True):
        for part in range(hours):  # an hour at most per interval, as the tracker writes
            used(store, tuesday - timedelta(weeks=weeks_ago, hours=part + 1), 60)
    dashboard = load_dashboard(store, None, WEDNESDAY, BERLIN, 4)
    assert dashboard.report.drift is not None, "the dashboard marks the drift"
    reminders, sent = start(store)
    reminders.evaluate(WEDNESDAY)
    assert sent.ids() == [CHECKIN_ID], "and the tray offers its check-in"


# --- watch for a week first -----------------------------------------------------------------


def test_a_quiet_day_holds_the_drift_check_in_and_the_suggestion_without_losing_them(
        store: ResidentStore, fake_clock: FakeClock) -> None:
    """'No notifications today' holds the week's extra check-in and the end of a week of
    watching back; neither is marked as said, so both come once the quiet is over."""
    clock = fake_clock
    clock.at = WEDNESDAY
    drifting_weeks(store)
    settled(store, LAST_SUNDAY_CHECKIN)
    S.put(store, S.WATCH_FIRST_SINCE, date(2026, 11, 17))
    S.put(store, S.ALERTS_QUIET_UNTIL, WEDNESDAY + timedelta(hours=14))
    reminders, sent = start(store)
    reminders.evaluate(clock())
    assert sent.calls == []
    assert S.get(store, S.CHECKIN_DRIFT_WEEK) is None
    assert S.get(store, S.CHECKIN_NOT_BEFORE) is None
    assert S.get(store, S.WATCH_SUGGESTED) is False
    assert reminders.checkin_request(clock()).why is None, "nothing was offered yet"

    clock.advance(hours=15)  # the new day: the quiet is over
    reminders.evaluate(clock())
    assert sorted(sent.ids()) == sorted([CHECKIN_ID, WATCH_ID])
    assert S.get(store, S.CHECKIN_DRIFT_WEEK) == "2026-W48"
    assert S.get(store, S.WATCH_SUGGESTED) is True


def test_after_a_week_of_watching_one_suggestion(
        store: ResidentStore, editor: Store, fake_clock: FakeClock) -> None:
    clock = fake_clock
    clock.at = WEDNESDAY
    settled(store, WEDNESDAY)
    S.put(store, S.WATCH_FIRST_SINCE, date(2026, 11, 17))  # 8 days before
    for day in range(17, 25):
        used(store, datetime(2026, 11, day, 20, 0, tzinfo=BERLIN), 50)
    reminders, sent = start(store)
    reminders.evaluate(clock())
    reminders.evaluate(clock())
    assert sent.ids() == [WATCH_ID]
    body = sent.calls[0][2]
    assert "about 1 h" in body and "companion" not in body.lower()

    clock.advance(days=1)
    again, sent_again = start(store)
    again.evaluate(clock())
    assert sent_again.calls == [], "never twice, not even after a restart"

    # Clicking it opens the goals with the week's suggestion (50 minutes a day, rounded up to
    # the hour; the 6 h 40 min of the week, to 7 h), not yet saved.
    assert again.answer(WATCH_ID, "default", clock()) is Reaction.OPEN_SUGGESTED_GOALS
    assert again.suggestions_now(clock()) == [Goal(GoalKind.DAILY, None, 60 * 60),
                                              Goal(GoalKind.WEEKLY, None, 7 * 60 * 60)]
    assert store.list_goals() == [] and editor.list_goals() == []


def test_a_week_of_watching_not_over_yet_says_nothing(store: ResidentStore) -> None:
    settled(store, WEDNESDAY)
    S.put(store, S.WATCH_FIRST_SINCE, date(2026, 11, 20))
    used(store, datetime(2026, 11, 21, 20, 0, tzinfo=BERLIN), 50)
    reminders, sent = start(store)
    reminders.evaluate(WEDNESDAY)
    assert sent.calls == []
    assert not S.get(store, S.WATCH_SUGGESTED)


def test_suggestions_come_from_the_days_watched_only(store: ResidentStore) -> None:
    """Today (not over) is left out; without a week of watching there is nothing to suggest."""
    reminders, _sent = start(store)
    assert reminders.suggestions_now(WEDNESDAY) == []
    used(store, datetime(2026, 11, 23, 20, 0, tzinfo=BERLIN), 20)
    used(store, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 600)  # today
    assert reminders.suggested_goals(date(2026, 11, 23), date(2026, 11, 25)) == [
        Goal(GoalKind.DAILY, None, 15 * 60), Goal(GoalKind.WEEKLY, None, 60 * 60)]


# --- the weekly summary ---------------------------------------------------------------------


def test_a_week_ended_is_summed_up_once_in_one_calm_line(store: ResidentStore) -> None:
    S.put(store, S.FIRST_RUN_DONE, True)
    S.put(store, S.CHECKIN_LAST_ASKED, WEDNESDAY)
    for weeks_ago in range(2, 6):  # the usual week: 2 hours
        used(store, datetime(2026, 11, 17, 20, 0, tzinfo=BERLIN) - timedelta(weeks=weeks_ago - 1),
             120)
    used(store, datetime(2026, 11, 17, 20, 0, tzinfo=BERLIN), 200)  # last week: 3 h 20 min
    reminders, sent = start(store)
    reminders.evaluate(WEDNESDAY)
    assert sent.ids() == [SUMMARY_ID]
    text = sent.calls[0][2]
    assert text == ("Last week: 3 h 20 min with your tracked apps, more than your usual week "
                    "(2 h).")
    assert APP_NAME not in text, "discreet: no app named"
    # Snooze and Not now leave it said.
    assert reminders.answer(SUMMARY_ID, "snooze", WEDNESDAY) is Reaction.NOTHING
    assert reminders.answer(SUMMARY_ID, "not-now", WEDNESDAY) is Reaction.NOTHING
    reminders.evaluate(WEDNESDAY + timedelta(minutes=20))
    again, sent_again = start(store)
    again.evaluate(WEDNESDAY + timedelta(hours=2))  # a restart that week
    assert sent.ids() == [SUMMARY_ID] and sent_again.ids() == [], "once a week"
    assert reminders.answer(SUMMARY_ID, "default", WEDNESDAY) is Reaction.OPEN_DASHBOARD


def test_the_weekly_summary_can_be_switched_off(store: ResidentStore) -> None:
    S.put(store, S.FIRST_RUN_DONE, True)
    S.put(store, S.SUMMARY_WEEKLY, False)
    used(store, datetime(2026, 11, 17, 20, 0, tzinfo=BERLIN), 200)
    reminders, sent = start(store)
    reminders.evaluate(WEDNESDAY)
    assert SUMMARY_ID not in sent.ids()


def test_the_summary_line_compares_with_the_usual_week() -> None:
    assert week_summary_text(3600, []) == "Last week: 1 h with your tracked apps."
    assert "about your usual week" in week_summary_text(3600, [3500, 3700, 0])
    assert "less than your usual week" in week_summary_text(1800, [3600, 3600])
