"""Use right now: today, this week and the current session, as goals and alerts need them.

"Today" is the local day of `widget.core.days` (it starts at `day_start_hour`); "this week" is
the ISO week of that local day, from Monday's day start to the next Monday's, computed through
the time zone so that weeks with a daylight-saving change are 167 or 169 hours long.

SESSION_RULE says what a session is, in the words the program shows: a run of use whose
breaks are each shorter than `session_gap_s` (per app, and for all apps together: switching
between two companion apps is one session), as long as the time counted in it. The breaks it
bridges are not use, so they never lengthen it: a week with 689 s counted can never have a
966-second session, and a session goal never fires on time away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from widget.core.calendar import day_window, iso_week, local_day, week_window
from widget.core.days import seconds_by_app, total_seconds
from widget.core.model import Interval

SESSION_GAP_S = 300.0
#: The session rule in one sentence, for tooltips, `report` and the README.
SESSION_RULE = (f"A session is a stretch of use with no break of {SESSION_GAP_S / 60:g} minutes "
                "or more; its length is the time counted in it, so short breaks do not make "
                "it longer.")
# The tracker moves the open interval's end every few seconds; use that ended this recently
# still counts as "in use right now".
IN_USE_WITHIN_S = 90.0


@dataclass(frozen=True, slots=True)
class Session:
    start: datetime  # aware UTC
    end: datetime  # the end of its last interval (never after now)
    counted_s: float  # the time counted inside it: its length (SESSION_RULE)

    @property
    def seconds(self) -> float:
        """The session's length: the time counted in it, never the breaks it bridges."""
        return self.counted_s

    @property
    def span_s(self) -> float:
        """From its first start to its last end, breaks included (not its length)."""
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class UsageNow:
    """What the tracked apps have been used for, as of `now`."""

    now: datetime  # aware UTC
    local: datetime  # `now` in the local zone
    day: date  # the local day (day_start_hour applied)
    week: str  # ISO week of `day`, "2026-W48"
    today: Mapping[str, float] = field(default_factory=dict)  # seconds per app key
    week_seconds: Mapping[str, float] = field(default_factory=dict)  # seconds per app key
    sessions: Mapping[str, Session] = field(default_factory=dict)  # current session per app
    session_all: Session | None = None  # current session of all apps together
    in_use: frozenset[str] = frozenset()  # apps in use right now
    # all apps together, time shared by two intervals once (None: the sum of the apps'; they
    # differ only across computers, `widget.core.days.total_seconds`)
    today_all: float | None = None
    week_all: float | None = None

    @property
    def minute_of_day(self) -> int:
        """Local minutes after midnight (the clock's midnight, not the day start)."""
        return self.local.hour * 60 + self.local.minute

    @property
    def today_total(self) -> float:
        return sum(self.today.values()) if self.today_all is None else self.today_all

    @property
    def week_total(self) -> float:
        return sum(self.week_seconds.values()) if self.week_all is None else self.week_all

    def today_for(self, app: str | None) -> float:
        """Today's seconds of one app, or of all apps for None."""
        return self.today_total if app is None else self.today.get(app, 0.0)

    def week_for(self, app: str | None) -> float:
        return self.week_total if app is None else self.week_seconds.get(app, 0.0)

    def session_for(self, app: str | None) -> Session | None:
        return self.session_all if app is None else self.sessions.get(app)

    def in_use_for(self, app: str | None) -> bool:
        return bool(self.in_use) if app is None else app in self.in_use


def usage_window(now: datetime, tz: tzinfo, day_start_hour: int) -> tuple[datetime, datetime]:
    """The intervals `usage_now` needs: this week, and the day before it for a session that
    began before Monday's day start."""
    start, end = week_window(local_day(now, tz, day_start_hour), tz, day_start_hour)
    return start - timedelta(days=1), max(end, now)


def usage_now(intervals: Iterable[Interval], now: datetime, tz: tzinfo, day_start_hour: int,
              session_gap_s: float = SESSION_GAP_S, *,
              in_use_within_s: float = IN_USE_WITHIN_S) -> UsageNow:
    """Today, this week and the current sessions as of `now` (aware), from stored intervals
    (fetch `usage_window`). Time after `now` is ignored."""
    ivs = sorted((iv for iv in intervals if iv.start < now),
                 key=lambda iv: (iv.start, iv.end))
    ivs = [iv if iv.end <= now else Interval(iv.app, iv.start, now, iv.measure) for iv in ivs]
    day = local_day(now, tz, day_start_hour)
    day_start, _ = day_window(day, tz, day_start_hour)
    week_start, _ = week_window(day, tz, day_start_hour)
    gap = timedelta(seconds=session_gap_s)
    sessions = {}
    for app in dict.fromkeys(iv.app for iv in ivs):
        found = _current_session([iv for iv in ivs if iv.app == app], now, gap)
        if found is not None:
            sessions[app] = found
    recent = now - timedelta(seconds=in_use_within_s)
    today = seconds_by_app(ivs, day_start, now)
    week_seconds = seconds_by_app(ivs, week_start, now)
    return UsageNow(
        now=now,
        local=now.astimezone(tz),
        day=day,
        week=iso_week(day),
        today=today,
        week_seconds=week_seconds,
        sessions=sessions,
        session_all=_current_session(ivs, now, gap),
        in_use=frozenset(iv.app for iv in ivs if iv.end >= recent),
        today_all=total_seconds(ivs, day_start, now, today),
        week_all=total_seconds(ivs, week_start, now, week_seconds),
    )


def sessions_of(intervals: Iterable[Interval], gap_s: float = SESSION_GAP_S) -> list[Session]:
    """Runs of use whose breaks are shorter than `gap_s` (a break of exactly `gap_s` starts a
    new session), oldest first, each as long as the time counted in it (SESSION_RULE).

    Time covered by two intervals at once (two apps measured while both run) counts once, so a
    session is never longer than its span either."""
    gap = timedelta(seconds=gap_s)
    runs: list[Session] = []
    covered_to: datetime | None = None  # the end of the run's time counted so far
    for iv in sorted(intervals, key=lambda iv: (iv.start, iv.end)):
        if iv.end <= iv.start:
            continue
        if runs and covered_to is not None and iv.start - covered_to < gap:
            last = runs[-1]
            added = (iv.end - max(iv.start, covered_to)).total_seconds()
            covered_to = max(covered_to, iv.end)
            runs[-1] = Session(last.start, covered_to, last.counted_s + max(0.0, added))
        else:
            covered_to = iv.end
            runs.append(Session(iv.start, iv.end, (iv.end - iv.start).total_seconds()))
    return runs


def _current_session(ivs: list[Interval], now: datetime, gap: timedelta) -> Session | None:
    """The run of `ivs` that is still going at `now` or ended less than `gap` before it."""
    runs = sessions_of(ivs, gap.total_seconds())
    if not runs or now - runs[-1].end >= gap:
        return None
    return runs[-1]
