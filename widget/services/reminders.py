"""The tray app's reminders, in plain Python: which gentle notifications are due at a moment,
whether to ask the self-check, and what the person's answers change.

The decisions are the core's (`widget.core.alerts`, `widget.core.checkin`,
`widget.core.goals`); this service reads the settings they need (typed, through
`widget.core.settings`), calls them at the moment it is given, keeps what must be remembered,
and says what the window side should do next (`Reaction`). No Qt: the controller
(`widget.ui.controller`) wires it to the tray, a timer and the notifier. Every method is
called on the tray app's main thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import Enum
from typing import Protocol

from widget.core import alerts as core_alerts
from widget.core import settings as S
from widget.core.calendar import day_window, iso_week, week_monday
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
from widget.core.options import Options
from widget.core.usage import UsageNow, usage_now, usage_window
from widget.store.api import CheckinWriter, SettingsStore, StoreReader

log = logging.getLogger(__name__)

CHECKIN_ID = "checkin"
SUMMARY_ID = "week-summary"  # widget.desktop.notify names its click "Open dashboard"
WATCH_ID = "watch-over"
USUAL_WEEKS = 8  # the usual week: the median of the weeks with use among these before it
LONG_SESSION_S = 3600  # "after a long session" without a session goal of the person's own
CHECKIN_TEXT = "A quiet moment for your check-in, whenever suits you."
DRIFT_WHY = ("Your tracked time has been rising for a few weeks (the dashboard shows how), so "
             "this week brings one extra check-in. What it means is yours to say.")


class ReminderStore(StoreReader, SettingsStore, CheckinWriter, Protocol):
    """What the reminders read and keep (the tray's lean store)."""


Send = Callable[[str, str, str], bool]  # (alert id, title, body) -> shown


class Reaction(Enum):
    """What the window side does after a notification's answer."""

    NOTHING = "nothing"
    OPEN_CHECKIN = "open-checkin"
    OPEN_DASHBOARD = "open-dashboard"
    OPEN_SUGGESTED_GOALS = "open-suggested-goals"
    SHOW_TODAY = "show-today"


@dataclass(frozen=True, slots=True)
class CheckinSchedule:
    """When the self-check is asked, as the person set it in Settings."""

    rhythm: str
    weekday: int
    time_of_day_min: int
    reflections: bool
    on_drift: bool

    @classmethod
    def from_settings(cls, values: Mapping[str, object]) -> CheckinSchedule:
        return cls(rhythm=S.value_of(values, S.CHECKIN_RHYTHM),
                   weekday=S.value_of(values, S.CHECKIN_WEEKDAY),
                   time_of_day_min=parse_time_of_day(S.value_of(values, S.CHECKIN_TIME)),
                   reflections=S.value_of(values, S.CHECKIN_REFLECTIONS),
                   on_drift=S.value_of(values, S.CHECKIN_ON_DRIFT))


@dataclass(frozen=True, slots=True)
class CheckinRequest:
    """What the check-in dialog shows when asked at `asked`."""

    asked: datetime
    week_seconds: int
    reflection: str | None
    why: str | None  # what brought this check-in, when it was not the schedule


class Reminders:
    """Evaluates the reminders at a moment and settles the answers (see the module)."""

    def __init__(self, store: ReminderStore, options: Options, tz: tzinfo, send: Send) -> None:
        self.store = store
        self.options = options  # replaced when Settings are saved
        self.tz = tz
        self._send_now = send
        self._last_session_s = 0.0
        self._drift_cache: tuple[str, bool] | None = None  # (ISO week, the signal stands)
        self._checkin_why: str | None = None  # what brought the check-in being offered

    # --- the moment's evaluation ----------------------------------------------------------

    def usage(self, now: datetime) -> UsageNow:
        hour = self.options.day_start_hour
        intervals = self.store.intervals_overlapping(*usage_window(now, self.tz, hour))
        return usage_now(intervals, now, self.tz, hour)

    def evaluate(self, now: datetime) -> None:
        """Send what is due at `now`: goal notifications, the self-check, the suggestions
        after a week of watching, last week's summary."""
        values = self.store.all_settings()
        usage = self.usage(now)
        self._notify_goals(now, usage, values)
        self._offer_checkin(now, usage, values)
        self._offer_suggestions(usage, values)
        self._offer_week_summary(usage, values)

    def _notify_goals(self, now: datetime, usage: UsageNow, values: Mapping[str, object]
                      ) -> None:
        fired = S.value_of(values, S.ALERTS_FIRED)
        snoozed = S.value_of(values, S.ALERTS_SNOOZED)
        fired, snoozed = core_alerts.prune(fired, snoozed, usage)
        due = core_alerts.due_alerts(self.store.list_goals(), usage, now, fired, snoozed,
                                     near_share=self.options.near_share,
                                     discreet=S.value_of(values, S.DISCREET),
                                     names=self.store.app_names())
        for alert in due:
            if self._send(now, alert.id, alert.title, alert.body):
                fired.append(alert.id)
                snoozed.pop(alert.id, None)
        self._save_alerts(fired, snoozed)

    def _offer_checkin(self, now: datetime, usage: UsageNow, values: Mapping[str, object]
                       ) -> None:
        session = usage.session_all.seconds if usage.session_all is not None else 0.0
        goals = self.store.list_goals()
        ended_long = self._last_session_s >= _long_session_s(goals) and session == 0.0
        self._last_session_s = session
        quiet = next((g for g in goals if g.kind is GoalKind.QUIET_HOURS and g.app is None),
                     None)
        schedule = CheckinSchedule.from_settings(values)
        week = usage.week
        drift_offer = schedule.on_drift \
            and S.value_of(values, S.CHECKIN_DRIFT_WEEK) != week \
            and self._drift_stands(week, now)
        due = checkin_due(
            schedule.rhythm, weekday=schedule.weekday, time_of_day_min=schedule.time_of_day_min,
            last_asked=S.value_of(values, S.CHECKIN_LAST_ASKED),
            not_before=S.value_of(values, S.CHECKIN_NOT_BEFORE),
            now=now, tz=self.tz, quiet_goal=quiet, long_session_ended=ended_long,
            drift_offer=drift_offer)
        if not due:
            return
        text = CHECKIN_TEXT
        if drift_offer:
            text = "Your tracked time has been rising for a few weeks. " + text
        if not self._send(now, CHECKIN_ID, "driftcheck", text):
            return  # a quiet day, or no way to show it: asked once it can be
        # Offered once: unanswered, it comes back tomorrow, never as a stream.
        S.put(self.store, S.CHECKIN_NOT_BEFORE, not_now_until(now, self.tz))
        if drift_offer:
            # The week's one extra check-in (or the scheduled one, if it fell due first).
            S.put(self.store, S.CHECKIN_DRIFT_WEEK, week)
            self._checkin_why = DRIFT_WHY

    def _drift_stands(self, week: str, now: datetime) -> bool:
        """Whether the drift signal stands this week, from the complete weeks before it;
        worked out once a week (complete weeks do not change)."""
        if self._drift_cache is None or self._drift_cache[0] != week:
            from widget.services.dashboard import drift_of_week_in_progress

            drift = drift_of_week_in_progress(self.store, week, now, self.tz,
                                              self.options.day_start_hour)
            self._drift_cache = (week, drift is not None)
        return self._drift_cache[1]

    def _offer_suggestions(self, usage: UsageNow, values: Mapping[str, object]) -> None:
        since = S.value_of(values, S.WATCH_FIRST_SINCE)
        if since is None or S.value_of(values, S.WATCH_SUGGESTED):
            return
        if not watch_is_over(since, usage.day):
            return
        goals = self.suggested_goals(since, usage.day)
        if goals:
            daily = duration(goals[0].limit_seconds or 0)
            if not self._send(usage.now, WATCH_ID, "driftcheck",
                              f"A week of watching is done: a typical day was about {daily}. "
                              "Would you like to set goals from it?"):
                return  # said once it can be
        S.put(self.store, S.WATCH_SUGGESTED, True)

    def _offer_week_summary(self, usage: UsageNow, values: Mapping[str, object]) -> None:
        """Once a week has ended (at the first start after it, or at the boundary while
        running): last week's time against the usual week, in one calm line."""
        if not S.value_of(values, S.SUMMARY_WEEKLY) or not S.value_of(values, S.FIRST_RUN_DONE):
            return
        last_monday = week_monday(usage.week) - timedelta(weeks=1)
        last = iso_week(last_monday)
        if S.value_of(values, S.SUMMARY_SAID_WEEK) == last:
            return
        mondays = [last_monday - timedelta(weeks=k) for k in range(USUAL_WEEKS + 1)]
        total, *before = self._totals([(m, m + timedelta(days=7)) for m in mondays])
        if total <= 0 and not any(before):
            S.put(self.store, S.SUMMARY_SAID_WEEK, last)  # nothing yet to tell
            return
        if self._send(usage.now, SUMMARY_ID, "driftcheck", week_summary_text(total, before)):
            S.put(self.store, S.SUMMARY_SAID_WEEK, last)

    # --- goals suggested after a week of watching -----------------------------------------

    def suggested_goals(self, first: date, today: date) -> list[Goal]:
        """Goals from the days watched, [first, today)."""
        days = [first + timedelta(days=k) for k in range((today - first).days)]
        return suggest_goals(self._totals([(d, d + timedelta(days=1)) for d in days]))

    def suggestions_now(self, now: datetime) -> list[Goal]:
        """The goals to suggest now, from the week of watching (none without one)."""
        since = S.get(self.store, S.WATCH_FIRST_SINCE)
        return self.suggested_goals(since, self.usage(now).day) if since is not None else []

    def _totals(self, spans: Sequence[tuple[date, date]]) -> list[float]:
        """Seconds of use in each span of local days [first, end), summed by the store."""
        hour = self.options.day_start_hour
        return self.store.seconds_in([(day_window(a, self.tz, hour)[0],
                                       day_window(b, self.tz, hour)[0]) for a, b in spans])

    # --- answers --------------------------------------------------------------------------

    def answer(self, alert_id: str, key: str, now: datetime) -> Reaction:
        """The person answered a notification: `key` is "default" (its click), "snooze",
        "not-now" or "closed"."""
        if alert_id == CHECKIN_ID:
            if key == "default":
                return Reaction.OPEN_CHECKIN
            if key == "snooze":
                S.put(self.store, S.CHECKIN_NOT_BEFORE, now + core_alerts.SNOOZE)
            elif key == "not-now":
                S.put(self.store, S.CHECKIN_NOT_BEFORE, not_now_until(now, self.tz))
            return Reaction.NOTHING
        if alert_id == SUMMARY_ID:  # said once: Snooze and Not now leave it said
            return Reaction.OPEN_DASHBOARD if key == "default" else Reaction.NOTHING
        if alert_id == WATCH_ID:
            return Reaction.OPEN_SUGGESTED_GOALS if key == "default" else Reaction.NOTHING
        if key == "snooze":
            values = self.store.all_settings()
            fired = S.value_of(values, S.ALERTS_FIRED)
            snoozed = S.value_of(values, S.ALERTS_SNOOZED)
            self._save_alerts(*core_alerts.snooze(alert_id, now, fired, snoozed))
            return Reaction.NOTHING
        return Reaction.SHOW_TODAY if key == "default" else Reaction.NOTHING

    def checkin_request(self, now: datetime) -> CheckinRequest:
        """What the check-in dialog asked at `now` shows."""
        usage = self.usage(now)
        enabled = S.get(self.store, S.CHECKIN_REFLECTIONS)
        return CheckinRequest(asked=now, week_seconds=int(usage.week_total),
                              reflection=reflection_for(week_index(usage.day), enabled),
                              why=self._checkin_why)

    def checkin_settled(self, choice: str, asked: datetime, now: datetime) -> None:
        """The check-in dialog closed with `choice`: "saved", "skip-week" or "not-now"."""
        if choice in ("saved", "skip-week"):
            self._checkin_why = None  # settled: a later "Check in now" is an ordinary one
        if choice == "saved":
            S.put(self.store, S.CHECKIN_LAST_ASKED, asked)
            S.put(self.store, S.CHECKIN_NOT_BEFORE, None)
        elif choice == "skip-week":
            schedule = CheckinSchedule.from_settings(self.store.all_settings())
            until = skip_week_until(schedule.rhythm, weekday=schedule.weekday,
                                    time_of_day_min=schedule.time_of_day_min, now=now,
                                    tz=self.tz)
            self.store.add_checkin(Checkin(asked=asked))  # a skip is kept as a skip
            S.put(self.store, S.CHECKIN_NOT_BEFORE, until)
        else:
            S.put(self.store, S.CHECKIN_NOT_BEFORE, not_now_until(now, self.tz))

    def started(self, now: datetime) -> bool:
        """The tray app started: the self-check's rhythm counts from the first start (so the
        first evening is not a question). True while the first run's welcome is still due."""
        if S.get(self.store, S.CHECKIN_LAST_ASKED) is None:
            S.put(self.store, S.CHECKIN_LAST_ASKED, now)
        return not S.get(self.store, S.FIRST_RUN_DONE)

    # --- plumbing -------------------------------------------------------------------------

    def _send(self, now: datetime, alert_id: str, title: str, body: str) -> bool:
        """Show a notification; False (not shown, so not counted as said) on a day the person
        chose "No notifications today" in Settings."""
        quiet_until = S.get(self.store, S.ALERTS_QUIET_UNTIL)
        if quiet_until is not None and now < quiet_until:
            return False
        return self._send_now(alert_id, title, body)

    def _save_alerts(self, fired: list[str], snoozed: dict[str, datetime]) -> None:
        S.put(self.store, S.ALERTS_FIRED, fired)
        S.put(self.store, S.ALERTS_SNOOZED, snoozed)


def _long_session_s(goals: Sequence[Goal]) -> float:
    limits = [g.limit_seconds for g in goals if g.kind is GoalKind.SESSION and g.limit_seconds]
    return float(min(limits)) if limits else float(LONG_SESSION_S)


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
