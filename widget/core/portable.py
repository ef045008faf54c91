"""The export format: everything a person keeps in driftcheck, as one document they own.

A document is plain JSON-shaped data (dicts, lists, strings, numbers) with a header -- the
format name `driftcheck-export`, its version, the store's schema version, when it was made and
whether check-in notes are in it -- and five sections: apps (with their rules), intervals,
goals, check-ins and settings. Times are ISO-8601 UTC strings with microseconds; the store
keeps milliseconds, so a round trip is exact.

Here: the rows as dataclasses (`Snapshot`), the document they make, which settings travel,
and `check_snapshot`, the rules across sections that hold both ways (an export is refused
before it is written if it could not be imported again). Reading an untrusted document is
`widget.core.portable_read`; the CSV tables are `widget.core.portable_csv`.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from widget.core.checkin import ANSWERS
from widget.core.checkin import MAX_NOTE_LENGTH as MAX_NOTE_LENGTH  # the reader's too
from widget.core.goals import Goal, check_goal, check_goals, parse_time_of_day
from widget.core.intervals import MAX_SPAN
from widget.core.model import Measure, Rule
from widget.core.rules import has_unsafe_characters, validate_pattern
from widget.core.settings import DEVICE, PREFERENCE, SETTINGS
from widget.errors import ImportRefused, InvalidGoal, InvalidRule

_MAX_SPAN_MS = int(MAX_SPAN.total_seconds() * 1000)
_MAX_SPAN_TEXT = "an hour" if timedelta(hours=1) == MAX_SPAN else str(MAX_SPAN)

FORMAT_NAME = "driftcheck-export"
FORMAT_VERSION = 1
# What a real history can hold (docs/DESIGN.md, "Export, import and wipe", says how these were
# chosen): twenty years of switch-heavy use, with room to spare. An import counts rows as they
# come and is refused at the first one past these.
MAX_INTERVALS = 2_000_000
MAX_APPS = 1_000
MAX_RULES = 20_000  # in all, over every app
MAX_RULES_PER_APP = 500
MAX_GOALS = 10_000
MAX_CHECKINS = 20_000
ROW_LIMITS: Mapping[str, int] = {"apps": MAX_APPS, "intervals": MAX_INTERVALS,
                                 "goals": MAX_GOALS, "checkins": MAX_CHECKINS}
MAX_NAME_LENGTH = 80  # as for apps of one's own (widget.core.catalog)
MAX_KEY_LENGTH = 100
MAX_WEEK_SECONDS = 2**31 - 1

# Which settings travel with an export is declared with each (widget.core.settings).
PREFERENCES: tuple[str, ...] = tuple(key for key, s in SETTINGS.items() if s.travels == PREFERENCE)
# Kept by an import that replaces everything: they describe this device, not the history.
DEVICE_SETTINGS: tuple[str, ...] = tuple(key for key, s in SETTINGS.items()
                                         if s.travels == DEVICE)
# Settings that stay behind, and why.
NOT_EXPORTED: Mapping[str, str] = {
    key: "belongs to this device" if s.travels == DEVICE else s.travels
    for key, s in SETTINGS.items() if s.travels != PREFERENCE}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_MS = 0  # a computer whose clock was reset starts in 1970
_LATEST_MS = int((datetime(3000, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * 1000
_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_CLOCK = re.compile(r"\d\d:\d\d\Z")
SECTIONS = ("apps", "intervals", "goals", "checkins", "settings")
HEADER = ("format", "version", "schema_version", "exported_at", "notes_included")


def refused(reason: str) -> ImportRefused:
    """The one sentence for a file that is refused for `reason` (no final period)."""
    return ImportRefused(f"Nothing was imported, because {reason}.")


@dataclass(frozen=True, slots=True)
class AppRecord:
    """One row of the apps table with its rules: everything the store holds about an app."""

    key: str
    name: str
    source: str  # "catalog" | "custom"
    any_window_titles: bool
    added_ms: int
    removed_ms: int | None
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class IntervalRecord:
    app: str
    start_ms: int
    end_ms: int
    measure: Measure


@dataclass(frozen=True, slots=True)
class GoalRecord:
    goal: Goal
    created_ms: int


@dataclass(frozen=True, slots=True)
class CheckinRecord:
    asked_ms: int
    answered_ms: int | None
    answer: int | None
    note: str | None
    week_seconds: int | None


_MEASURES = tuple(Measure)


class IntervalColumns(Sequence[IntervalRecord]):
    """Intervals kept as columns of machine numbers, about 21 bytes each instead of some 200
    for a tuple of records: two million of them fit in 42 MB while an import is checked.

    It reads as a sequence of `IntervalRecord`, and compares equal to any sequence of the same
    records (a snapshot read back from the store holds a tuple)."""

    def __init__(self) -> None:
        self._apps: list[str] = []
        self._app_index: dict[str, int] = {}
        self._app = array("I")
        self._start = array("q")
        self._end = array("q")
        self._measure = array("B")
        self.apart_checked = False  # set by whoever has checked `first_overlap` as rows came

    def append(self, record: IntervalRecord) -> None:
        index = self._app_index.get(record.app)
        if index is None:
            index = self._app_index[record.app] = len(self._apps)
            self._apps.append(record.app)
        self._app.append(index)
        self._start.append(record.start_ms)
        self._end.append(record.end_ms)
        self._measure.append(_MEASURES.index(record.measure))

    def __len__(self) -> int:
        return len(self._start)

    def _record(self, i: int) -> IntervalRecord:
        return IntervalRecord(self._apps[self._app[i]], self._start[i], self._end[i],
                              _MEASURES[self._measure[i]])

    def __getitem__(self, i: int) -> IntervalRecord:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._record(i % len(self))

    def __iter__(self) -> Iterator[IntervalRecord]:
        return (self._record(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two intervals of one app that count the same time: their places in the file (1-based)
    and the moment the shared time begins."""

    earlier: int
    later: int
    from_ms: int

    def sentence(self) -> str:
        moment = (_EPOCH + timedelta(milliseconds=self.from_ms)).strftime("%-d %B %Y, %H:%M")
        return (f"intervals {self.earlier} and {self.later} of the same app both count the "
                f"time from {moment} UTC, and driftcheck never counts a moment twice")


class OverlapWatch:
    """Finds the first overlap between intervals of the same app as they come, one at a time.

    Two intervals overlap when they share some time: one that ends as the next begins does
    not, nor does one of no length. For each app's rows in order of their start, as
    driftcheck writes them, it answers at the row that overlaps; when an app's rows come out
    of that order it cannot tell, and says so (`in_order`)."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, int, int]] = {}  # app -> (start, furthest end, its n)
        self.in_order = True

    def see(self, n: int, record: IntervalRecord) -> Overlap | None:
        if record.end_ms <= record.start_ms:
            return None  # no time, nothing to share
        last = self._last.get(record.app)
        if last is None:
            self._last[record.app] = (record.start_ms, record.end_ms, n)
            return None
        start, end, where = last
        if record.start_ms < start:
            self.in_order = False
        elif self.in_order and record.start_ms < end:
            return Overlap(where, n, record.start_ms)
        if record.end_ms > end:
            end, where = record.end_ms, n
        self._last[record.app] = (max(start, record.start_ms), end, where)
        return None


def counted_once(intervals: Sequence[IntervalRecord]) -> tuple[list[IntervalRecord], int]:
    """The intervals with the time two of the same app share given to the earlier one alone
    (the later starts where the earlier ended; one left with no time is dropped), in order of
    their start, and how many were trimmed or dropped. The tracker never writes overlaps; a
    database from before the tracking lock may hold some, and an export of it must still be
    one that import takes back."""
    ordered = sorted(intervals, key=lambda r: (r.start_ms, r.end_ms))
    furthest: dict[str, int] = {}
    kept: list[IntervalRecord] = []
    trimmed = 0
    for record in ordered:
        end = furthest.get(record.app)
        if end is not None and record.start_ms < end and record.end_ms > record.start_ms:
            trimmed += 1
            if record.end_ms <= end:
                continue
            record = IntervalRecord(record.app, end, record.end_ms, record.measure)
        if record.end_ms > record.start_ms:
            furthest[record.app] = max(end or record.end_ms, record.end_ms)
        kept.append(record)
    return kept, trimmed


def first_overlap(intervals: Sequence[IntervalRecord]) -> Overlap | None:
    """The first overlap between two intervals of the same app: in the file's order when each
    app's rows come by their start (one pass, nothing kept but a row per app), otherwise the
    earliest in time (each app's rows sorted by their start, packed in one number each)."""
    watch = OverlapWatch()
    for n, record in enumerate(intervals, 1):
        found = watch.see(n, record)
        if found is not None:
            return found
    if watch.in_order:
        return None
    shift = max(len(intervals), 1).bit_length()
    by_app: dict[str, list[int]] = {}
    for n, record in enumerate(intervals, 1):
        by_app.setdefault(record.app, []).append((record.start_ms << shift) | (n - 1))
    earliest: Overlap | None = None
    for packed in by_app.values():
        packed.sort()
        sorted_watch = OverlapWatch()
        for key in packed:
            n = (key & ((1 << shift) - 1)) + 1
            found = sorted_watch.see(n, intervals[n - 1])
            if found is not None:
                if earliest is None or found.from_ms < earliest.from_ms:
                    earliest = Overlap(min(found.earlier, found.later),
                                       max(found.earlier, found.later), found.from_ms)
                break
        packed.clear()
    return earliest


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything an export carries, in the store's order."""

    apps: tuple[AppRecord, ...] = ()
    intervals: Sequence[IntervalRecord] = ()
    goals: tuple[GoalRecord, ...] = ()
    checkins: tuple[CheckinRecord, ...] = ()
    settings: Mapping[str, object] = field(default_factory=dict)
    notes_included: bool = False


# --- times ----------------------------------------------------------------------------------


def ms_to_iso(ms: int) -> str:
    """`2026-03-01T19:04:05.123000Z`: UTC, always with microseconds."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_to_ms(text: str) -> int | None:
    """Milliseconds of an ISO-8601 time with a UTC offset (rounded half up, as the store
    does); None when it is not one or lies outside 1970-2999."""
    if len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    try:
        micros = (moment - _EPOCH) // timedelta(microseconds=1)
    except OverflowError:
        return None
    ms = (micros + 500) // 1000
    return ms if _EARLIEST_MS <= ms < _LATEST_MS else None


def _clock(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- snapshot -> document -------------------------------------------------------------------


def to_document(snapshot: Snapshot, exported_ms: int, schema_version: int) -> dict[str, object]:
    """The JSON-shaped document of `snapshot`; check-ins carry a `note` only when notes are
    included."""

    def checkin(c: CheckinRecord) -> dict[str, object]:
        row: dict[str, object] = {
            "asked_at": ms_to_iso(c.asked_ms),
            "answered_at": None if c.answered_ms is None else ms_to_iso(c.answered_ms),
            "answer": c.answer, "week_seconds": c.week_seconds}
        if snapshot.notes_included:
            row["note"] = c.note
        return row

    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "schema_version": schema_version,
        "exported_at": ms_to_iso(exported_ms),
        "notes_included": snapshot.notes_included,
        "apps": [{"id": a.key, "name": a.name, "source": a.source,
                  "any_window_titles": a.any_window_titles, "added_at": ms_to_iso(a.added_ms),
                  "removed_at": None if a.removed_ms is None else ms_to_iso(a.removed_ms),
                  "rules": [{"kind": r.kind.value, "pattern": r.pattern} for r in a.rules]}
                 for a in snapshot.apps],
        "intervals": [{"app": i.app, "start": ms_to_iso(i.start_ms), "end": ms_to_iso(i.end_ms),
                       "measure": i.measure.value} for i in snapshot.intervals],
        "goals": [{"kind": g.goal.kind.value, "app": g.goal.app,
                   "limit_seconds": g.goal.limit_seconds, "quiet_start": _clock(g.goal.quiet_start),
                   "quiet_end": _clock(g.goal.quiet_end), "created_at": ms_to_iso(g.created_ms)}
                  for g in snapshot.goals],
        "checkins": [checkin(c) for c in snapshot.checkins],
        "settings": dict(snapshot.settings),
    }


# --- settings ---------------------------------------------------------------------------------


def time_of_day(value: object) -> bool:
    """Whether `value` is a time of day written as `HH:MM`, as goals and the check-in keep it."""
    if not isinstance(value, str) or not _CLOCK.match(value):
        return False
    try:
        parse_time_of_day(value)
    except InvalidGoal:
        return False
    return True


def usable_setting(key: str, value: object) -> bool:
    """Whether `value` is one driftcheck would use for the preference `key` (False for a key
    that is not a preference)."""
    setting = SETTINGS.get(key)
    return setting is not None and setting.travels == PREFERENCE and setting.usable(value)


def exported_settings(stored: Mapping[str, object]) -> dict[str, object]:
    """The preferences among stored settings; a value driftcheck would not use (it reads as
    the default) is left out rather than carried along."""
    return {key: stored[key] for key in PREFERENCES
            if stored.get(key) is not None and usable_setting(key, stored[key])}


# --- the rules across sections ----------------------------------------------------------------


def check_snapshot(snapshot: Snapshot) -> Snapshot:
    """The rules a snapshot must keep to be stored, across sections; ImportRefused naming the
    first break."""
    keys: set[str] = set()
    rules = 0
    for n, app in enumerate(snapshot.apps, 1):
        _check_app(app, n)
        if app.key in keys:
            raise refused(f"app {n} has the same id as an app before it")
        keys.add(app.key)
        rules += len(app.rules)
    _check_counts(len(snapshot.apps), rules, len(snapshot.intervals), len(snapshot.goals),
                  len(snapshot.checkins))
    for n, interval in enumerate(snapshot.intervals, 1):
        if interval.app not in keys:
            raise refused(f"interval {n} belongs to an app the export does not list")
        if interval.end_ms < interval.start_ms:
            raise refused(f"interval {n} ends before it starts")
        if interval.end_ms - interval.start_ms > _MAX_SPAN_MS:
            # driftcheck never writes one longer (its range queries rely on that)
            raise refused(f"interval {n} lasts longer than {_MAX_SPAN_TEXT}, which no interval "
                          "driftcheck keeps ever does")
    if not (isinstance(snapshot.intervals, IntervalColumns) and snapshot.intervals.apart_checked):
        overlap = first_overlap(snapshot.intervals)
        if overlap is not None:
            raise refused(overlap.sentence())
    for n, record in enumerate(snapshot.goals, 1):
        if record.goal.app is not None and record.goal.app not in keys:
            raise refused(f"goal {n} belongs to an app the export does not list")
        try:
            check_goal(record.goal)
        except InvalidGoal as error:
            raise refused(f"goal {n} cannot be kept ({_inner(error)})") from None
    try:
        check_goals([record.goal for record in snapshot.goals])
    except InvalidGoal as error:
        raise refused(f"the goals cannot be kept together ({_inner(error)})") from None
    for n, c in enumerate(snapshot.checkins, 1):
        if c.answer is not None and c.answer not in ANSWERS:
            raise refused(f"the answer of check-in {n} is not one of 0-5")
        if not snapshot.notes_included and c.note is not None:
            raise refused(f"check-in {n} carries a note though the export says notes are left out")
        if c.note is not None and (not c.note or len(c.note) > MAX_NOTE_LENGTH
                                   or "\x00" in c.note):  # as the reader takes notes
            raise refused(f"the 'note' of check-in {n} is empty, longer than {MAX_NOTE_LENGTH} "
                          "characters or holds characters that cannot be stored")
    return snapshot


def too_many(what: str, limit: int) -> ImportRefused:
    """The refusal of a file with more of `what` than a real history holds."""
    return refused(f"the file holds more than {limit:,} {what}, more than twenty years of "
                   "driftcheck ever gather")


def _check_counts(apps: int, rules: int, intervals: int, goals: int, checkins: int) -> None:
    for count, limit, what in ((apps, MAX_APPS, "apps"), (rules, MAX_RULES, "rules"),
                               (intervals, MAX_INTERVALS, "intervals"),
                               (goals, MAX_GOALS, "goals"), (checkins, MAX_CHECKINS, "check-ins")):
        if count > limit:
            raise too_many(what, limit)


def _check_app(app: AppRecord, n: int) -> None:
    if not _KEY.match(app.key) or len(app.key) > MAX_KEY_LENGTH:
        raise refused(f"the id of app {n} is not lowercase letters, digits and dashes")
    if not app.name.strip() or len(app.name) > MAX_NAME_LENGTH \
            or has_unsafe_characters(app.name):
        raise refused(f"the name of app {n} is empty, longer than {MAX_NAME_LENGTH} characters "
                      "or holds control or invisible formatting characters")
    seen: set[Rule] = set()
    for m, rule in enumerate(app.rules, 1):
        try:
            validate_pattern(rule.kind, rule.pattern)
        except InvalidRule as error:
            raise refused(f"rule {m} of app {n} cannot be kept ({_inner(error)})") from None
        if rule in seen:
            raise refused(f"rule {m} of app {n} repeats a rule before it")
        seen.add(rule)


def _inner(error: Exception) -> str:
    """A message sentence made to sit inside another: lower first letter, no final period."""
    text = str(error).rstrip(".")
    return text[:1].lower() + text[1:]
