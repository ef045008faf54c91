"""The honest self-check: the question, its answers, and what is kept of them.

The question is the seed article's: is my companion use adding to a full life, or quietly
replacing the human connection I would otherwise pursue? The answers are the person's own
and private; a note is never logged and leaves the device only in an export they ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from widget.core.goals import Goal

QUESTION = ("Is your time with AI companions adding to a full life, or quietly replacing "
            "connection with people you would otherwise reach for?")

# The five steps, from "adds" to "replaces"; 0 is "Not sure". Stored as these numbers.
ANSWERS: dict[int, str] = {
    1: "It adds to my life",
    2: "Mostly adds",
    3: "Somewhere in between",
    4: "Some of it replaces connection",
    5: "It is replacing connection",
    0: "Not sure",
}


@dataclass(frozen=True, slots=True)
class Checkin:
    asked: datetime  # aware UTC
    answered: datetime | None = None
    answer: int | None = None  # 1..5, 0 = not sure, None = skipped
    note: str | None = None  # private
    week_seconds: int | None = None  # the week's tracked time when answered


@dataclass(frozen=True, slots=True)
class KeptCheckin:
    """A check-in as the store keeps it, with the row id that `Store.change_checkin` and
    `Store.delete_checkin` (and the lean store's methods of the same names) take."""

    id: int
    checkin: Checkin


def answer_words(answer: int | None) -> str:
    """The answer as the person chose it ("Mostly adds"); "Skipped" for a skipped week."""
    return "Skipped" if answer is None else ANSWERS.get(answer, str(answer))


def check_answer(answer: int) -> int:
    from widget.errors import UsageError

    if answer not in ANSWERS:
        raise UsageError("The answer is a number from 1 (it adds to my life) to 5 (it is "
                         "replacing connection), or 0 for not sure.")
    return answer


MAX_NOTE_LENGTH = 20_000  # an export carries notes up to this long (widget.core.portable)


def check_note(note: str | None) -> str | None:
    """The note as it is kept (stripped; None when there is none), or UsageError: a note
    must fit in an export and be text that can be stored."""
    from widget.errors import UsageError

    note = note.strip() if note else None
    if not note:
        return None
    if len(note) > MAX_NOTE_LENGTH:
        raise UsageError(f"A note can be at most {MAX_NOTE_LENGTH:,} characters.")
    if "\x00" in note or any("\ud800" <= char <= "\udfff" for char in note):
        raise UsageError("The note holds characters that cannot be stored; please write it "
                         "again.")
    return note


# --- when to ask ---------------------------------------------------------------------------


class Rhythm(StrEnum):
    WEEKLY = "weekly"  # on `weekday` at `time_of_day_min`, local
    DAILY = "daily"  # every day at `time_of_day_min`, local
    AFTER_LONG_SESSION = "after_long_session"  # when a session past the SESSION goal ends
    OFF = "off"


MIN_GAP = timedelta(hours=24)  # never asked twice within this...
# ...except that a scheduled moment keeps its time of day when it is at least this close to
# a day after the last one: a daily 19:00 is 23 hours after the one before on a spring-forward
# day, and the last one may have been shown a minute late.
SLOT_GRACE = timedelta(minutes=90)

def parse_rhythm(raw: object) -> Rhythm:
    """The stored rhythm, or the default (weekly) for anything unreadable."""
    try:
        return Rhythm(str(raw))
    except ValueError:
        return Rhythm.WEEKLY


def next_checkin(rhythm: Rhythm | str, *, weekday: int, time_of_day_min: int,
                 last_asked: datetime | None, not_before: datetime | None, now: datetime,
                 tz: tzinfo, quiet_goal: Goal | None = None,
                 long_session_ended: bool = False, drift_offer: bool = False
                 ) -> datetime | None:
    """When the next check-in is due (aware UTC); at or before `now` means due now; None
    means not scheduled (rhythm off, or after_long_session with no long session ending).

    - A scheduled moment that passed since `last_asked` (the computer was off, say) is due
      now, and only the latest one: missed weeks never come in a burst.
    - Never within 24 hours of `last_asked`: a scheduled moment closer than that is left
      out for the next one (with `SLOT_GRACE`, so a daily check-in keeps its time of day);
      never before `not_before` ("Not now" stores `not_now_until`, "Skip this week"
      `skip_week_until`); never in the quiet hours of `quiet_goal` (moved to their end).
    - `last_asked` is when the person was last asked (the dialog shown) a check-in they then
      settled (an answer, "Not sure", or `driftcheck checkin`); "Not now" and "Skip this
      week" leave it as it was. None means never: then the latest moment that has passed is
      due, so store `last_asked` (now) when the first run ends, to let the first check-in
      wait for its day.
    - after_long_session: due when `long_session_ended` is true on this call; a moment held
      back by the rules above is then dropped, not kept.
    - `drift_offer`: the drift signal stands this week and its one extra check-in has not
      been offered yet (the caller keeps that); with any rhythm but off it is due now under
      the same rules (24 hours, `not_before`, quiet hours), or else the scheduled moment
      stands. It never makes a rhythm of "off" ask.
    """
    rhythm = parse_rhythm(rhythm)
    if rhythm is Rhythm.OFF:
        return None
    if drift_offer:
        extra = _extra_due(now, last_asked, not_before, quiet_goal, tz)
        if extra is not None:
            return extra
    if rhythm is Rhythm.AFTER_LONG_SESSION:
        if not long_session_ended:
            return None
        return _extra_due(now, last_asked, not_before, quiet_goal, tz)

    def too_soon(slot: datetime) -> bool:
        return last_asked is not None and slot < last_asked + MIN_GAP - SLOT_GRACE

    due = _slot_at_or_before(rhythm, weekday, time_of_day_min, now, tz)
    if too_soon(due):  # asked since it (or just before): the next one, far enough on
        due = _slot_after(rhythm, weekday, time_of_day_min, now, tz)
        while too_soon(due):
            due = _slot_after(rhythm, weekday, time_of_day_min, due, tz)
    if not_before is not None:
        due = max(due, not_before)
    return _after_quiet_hours(due, quiet_goal, tz)


def _extra_due(now: datetime, last_asked: datetime | None, not_before: datetime | None,
               quiet_goal: Goal | None, tz: tzinfo) -> datetime | None:
    """Now, for a check-in that an event brings (a long session ended, the drift signal),
    if the rules allow it now; None when they hold it back: the event's moment has passed."""
    due = now if last_asked is None else max(now, last_asked + MIN_GAP)
    if not_before is not None:
        due = max(due, not_before)
    due = _after_quiet_hours(due, quiet_goal, tz)
    return due if due <= now else None


def checkin_due(rhythm: Rhythm | str, *, weekday: int, time_of_day_min: int,
                last_asked: datetime | None, not_before: datetime | None, now: datetime,
                tz: tzinfo, quiet_goal: Goal | None = None,
                long_session_ended: bool = False, drift_offer: bool = False) -> bool:
    """Whether to ask now (see `next_checkin`)."""
    due = next_checkin(rhythm, weekday=weekday, time_of_day_min=time_of_day_min,
                       last_asked=last_asked, not_before=not_before, now=now, tz=tz,
                       quiet_goal=quiet_goal, long_session_ended=long_session_ended,
                       drift_offer=drift_offer)
    return due is not None and due <= now


def not_now_until(now: datetime, tz: tzinfo) -> datetime:
    """"Not now": the same local time tomorrow (aware UTC), right across a DST change."""
    local = now.astimezone(tz)
    return _at(local.date() + timedelta(days=1), local.hour * 60 + local.minute, tz)


def skip_week_until(rhythm: Rhythm | str, *, weekday: int, time_of_day_min: int,
                    now: datetime, tz: tzinfo) -> datetime:
    """"Skip this week": the first scheduled moment of next week (from local Monday 00:00);
    for rhythms without a schedule, next Monday 00:00 itself."""
    today = now.astimezone(tz).date()
    monday = _at(today + timedelta(days=7 - today.weekday()), 0, tz)
    rhythm = parse_rhythm(rhythm)
    if rhythm not in (Rhythm.WEEKLY, Rhythm.DAILY):
        return monday
    return _slot_after(rhythm, weekday, time_of_day_min, monday - timedelta(microseconds=1), tz)


def _at(day: date, minute_of_day: int, tz: tzinfo) -> datetime:
    """Local `day` at `minute_of_day` in aware UTC. A time that a spring-forward change skips
    lands on the same instant an hour later on the clock."""
    local = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=tz)
    return local.astimezone(UTC)


def _slot_at_or_before(rhythm: Rhythm, weekday: int, minute: int, at: datetime, tz: tzinfo
                       ) -> datetime:
    day = at.astimezone(tz).date()
    step = 1
    if rhythm is Rhythm.WEEKLY:
        day -= timedelta(days=(day.weekday() - weekday) % 7)
        step = 7
    slot = _at(day, minute, tz)
    if slot > at:
        slot = _at(day - timedelta(days=step), minute, tz)
    return slot


def _slot_after(rhythm: Rhythm, weekday: int, minute: int, at: datetime, tz: tzinfo
                ) -> datetime:
    day = _slot_at_or_before(rhythm, weekday, minute, at, tz).astimezone(tz).date()
    return _at(day + timedelta(days=7 if rhythm is Rhythm.WEEKLY else 1), minute, tz)


def _after_quiet_hours(moment: datetime, goal: Goal | None, tz: tzinfo) -> datetime:
    if goal is None or goal.quiet_start is None or goal.quiet_end is None:
        return moment
    local = moment.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if not goal.in_quiet_hours(minute):
        return moment
    end_day = local.date()
    if goal.quiet_start > goal.quiet_end and minute >= goal.quiet_start:
        end_day += timedelta(days=1)  # 23:00-06:00 at 23:30 ends tomorrow morning
    return _at(end_day, goal.quiet_end, tz)


# --- the article's other reflections, one a week if the person wants them ---------------------

REFLECTIONS: tuple[str, ...] = (
    "The connection you feel in these conversations is real as a feeling. It can be worth "
    "noticing, gently, that there is no inner life on the other side feeling it back the way "
    "a person would.",
    "Think of something personal you have shared with a companion. Do you know where it is "
    "kept, and who could read it? Knowing that lets you choose what you share.",
    "What does your companion give you that you value: patience, a space without judgement, "
    "somewhere to practise saying things? Naming it can show where it fits in your life.",
)


def week_index(day: date) -> int:
    """A number that goes up by one every ISO week (Monday to Sunday)."""
    return (day.toordinal() - 1) // 7  # date(1, 1, 1) was a Monday


def reflection_for(week_index: int, enabled: bool = True) -> str | None:
    """This week's reflection, rotating through `REFLECTIONS`; None when switched off."""
    if not enabled or not REFLECTIONS:
        return None
    return REFLECTIONS[week_index % len(REFLECTIONS)]
