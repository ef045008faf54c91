"""The written contract of driftcheck's two stores, as `typing.Protocol`s.

`Store` (`widget.store.db`, on SQLAlchemy: the terminal's commands that change things, the
dialogs) and `ResidentStore` (`widget.store.resident`, on the stdlib sqlite3 driver: the tray
app and `driftcheck track`, which run all day) read and write the same file, and both keep
all of `StoreContract`; `tests/unit/test_store_contract.py` runs every test of it over both.
Changing which apps are tracked and which goals are set (`AppEditor`, `GoalEditor`) is
`Store`'s alone: the tray opens a `Store` for the dialogs that do it.

A caller names the smallest of these that covers what it uses. Both stores are thread-safe:
every method may be called from any thread, and each is one short transaction. Datetimes in
and out are aware; what comes out is UTC, to the millisecond.

This module is imported by the always-running processes: it imports no SQLAlchemy, no
sqlite3, nothing but `widget.core`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from widget.core.checkin import Checkin, KeptCheckin
from widget.core.goals import Goal
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, TrackedApp

# --- reading --------------------------------------------------------------------------------


class AppReader(Protocol):
    """The tracked apps and every app's name."""

    def list_apps(self, include_removed: bool = False) -> list[TrackedApp]:
        """Tracked apps with their rules in the order they were first added; apps removed
        since are left out unless `include_removed`."""
        ...

    def app_names(self) -> dict[str, str]:
        """Every app's display name by key, removed apps included, for showing history."""
        ...


class GoalReader(Protocol):
    """The goals the person set."""

    def list_goals(self) -> list[Goal]:
        """Every stored goal in the order it was set, goals of removed apps included."""
        ...


class IntervalReader(Protocol):
    """The stored time of use."""

    def intervals_overlapping(self, start: datetime, end: datetime,
                              max_span: timedelta = MAX_SPAN) -> list[Interval]:
        """Intervals sharing some time with [start, end), ordered by start; one only touching
        the window is not among them. Found by the start index alone, so an interval longer
        than `max_span` (the tracker never writes one) that starts before the window is not
        either."""
        ...

    def spans_ms(self, start: datetime, end: datetime,
                  max_span: timedelta = MAX_SPAN) -> list[tuple[int, int]]:
        """(start, end) in milliseconds UTC of the intervals `intervals_overlapping` gives,
        ordered by start, without their apps: what counting time shared with the person's
        other computers needs (`widget.sync.reader`), read without making an object of each
        of sixteen weeks' rows."""
        ...

    def seconds_in(self, windows: Sequence[tuple[datetime, datetime]],
                   max_span: timedelta = MAX_SPAN) -> list[float]:
        """Seconds of use of all apps inside each [start, end) window (0.0 for an empty or
        reversed one), summed by SQLite: the dashboard's weekly totals without reading their
        rows. Bounded by the start index as `intervals_overlapping` is."""
        ...

    def app_seconds_in(self, start: datetime, end: datetime,
                       max_span: timedelta = MAX_SPAN) -> dict[str, float]:
        """Seconds of each app inside [start, end) (apps with none left out), summed by
        SQLite: the week before's apps beside the shown week's, without reading its rows.
        Bounded by the start index as `intervals_overlapping` is."""
        ...

    def first_use(self) -> datetime | None:
        """When the earliest stored interval began (removed apps' included), or None with no
        history at all: what tells "before the history began" from a week of no use."""
        ...


class OwnIntervalReader(IntervalReader, Protocol):
    """What a store of this computer's own time reads beyond `IntervalReader` for reading all
    the person's computers as one (`widget.sync.reader`), without an object per row."""

    def app_spans_ms(self, start: datetime, end: datetime,
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, str, bool]]:
        """(start, end, app key, approximate) of the intervals `intervals_overlapping`
        gives, in its order: ms UTC, the measure a flag."""
        ...

    def window_marks(self, windows: Sequence[tuple[datetime, datetime]],
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, int]]:
        """For each [start, end) window, (ms of use inside it, how many intervals reach it,
        the sum of each one's part inside and app mixed into a number, `codec.mark_mix`),
        summed by SQLite as `seconds_in` is: a mark that changes when the window's own time
        does (an interval added, removed, moved, cut, grown or given to another app), so a
        figure worked out from it earlier can be checked (`widget.sync.covered`). (0, 0, 0)
        for an empty or reversed window."""
        ...


class CheckinReader(Protocol):
    """The weekly check-ins kept."""

    def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
        """Check-ins asked at or after `since` (all of them when None), oldest first."""
        ...

    def checkin_history(self) -> list[KeptCheckin]:
        """Every check-in kept, skipped weeks included (answer None), oldest first, each with
        its row id for `change_checkin` and `delete_checkin`."""
        ...


class SettingsReader(Protocol):
    """The stored settings, as JSON values (`widget.core.options` holds their defaults)."""

    def get_setting(self, key: str) -> object | None:
        """The stored value of `key`, or None when it was never set."""
        ...

    def all_settings(self) -> dict[str, object]:
        """Every stored setting by key."""
        ...


class StoreReader(AppReader, GoalReader, IntervalReader, CheckinReader, SettingsReader,
                  Protocol):
    """Everything the dashboard, `driftcheck report` and `status`, and the tray read. The tray
    reads on the Qt main thread, so each read is one short transaction of a bounded size."""


# --- writing --------------------------------------------------------------------------------


class SettingsWriter(Protocol):
    def set_setting(self, key: str, value: object) -> None:
        """Store `value` as JSON (None included); TypeError for a value JSON cannot hold."""
        ...


class SettingsStore(SettingsReader, SettingsWriter, Protocol):
    """Reading and writing settings: the settings dialog, the tray's own state."""


class CheckinWriter(Protocol):
    """Keeping, changing and deleting check-ins (the note is stored, never logged)."""

    def add_checkin(self, checkin: Checkin) -> int:
        """Keep one check-in (a skipped week too, with no answer); returns its row id."""
        ...

    def change_checkin(self, checkin_id: int, answer: int, note: str | None) -> None:
        """Set the answer and note of check-in `checkin_id` (None removes the note); when it
        was asked and the week's time kept with it stay, and a skipped week answered now counts
        as answered when asked. RowGone when there is no such check-in."""
        ...

    def delete_checkin(self, checkin_id: int) -> None:
        """Remove check-in `checkin_id` and its note for good; RowGone when there is none."""
        ...


class CheckinStore(CheckinReader, CheckinWriter, Protocol):
    """The check-ins, read and changed: the tray's check-in and the answers dialog."""


class IntervalWriter(Protocol):
    """What the sampler writes: from the tracker's scheduler thread (ticks), the probe's focus
    thread (focus changes) and the thread that pauses or stops the tracker, never two at once
    (the sampler's lock)."""

    def insert_interval(self, iv: Interval) -> int:
        """Store a new interval; returns its row id, for `update_interval_end`. UnknownApp when
        `iv.app` is no app's key (a removed app's key is known: its time still counts)."""
        ...

    def update_interval_end(self, row_id: int, end: datetime) -> None:
        """Move the end of the open interval: one UPDATE of one column, every few seconds.
        RowGone when the row is no longer there; StoreError for an end before its start."""
        ...

    def delete_interval(self, row_id: int) -> None:
        """Remove one interval (one that came to nothing); a row already gone is no error."""
        ...


class TrackerStore(IntervalWriter, AppReader, SettingsWriter, Protocol):
    """What the tracker needs: the apps to match, where to write, and whether to look again."""

    def changed_by_others(self) -> bool:
        """Whether another connection (`driftcheck apps add`, a dialog, an import) may have
        written since this was last asked; this store's own writes do not count. True the
        first time. The tracker asks every `APPS_RELOAD_S` seconds on its scheduler thread,
        and reloads the apps only then: answered from the files' size, time and inode, without
        reading the database or writing the WAL index (`-shm`)."""
        ...


# --- the whole contract, and what only `Store` does ---------------------------------------


class OwnStoreReader(StoreReader, OwnIntervalReader, Protocol):
    """A store of this computer's own time, read: both stores (a reader of several computers'
    time keeps `StoreReader` only)."""


class StoreContract(StoreReader, TrackerStore, SettingsStore, CheckinStore, Protocol):
    """All that `Store` and `ResidentStore` both offer."""

    path: Path  # the database file; its folder is the data folder

    def close(self) -> None:
        """Close every connection this store holds; calling it again does nothing more."""
        ...


class OwnStoreContract(StoreContract, OwnStoreReader, Protocol):
    """All of `StoreContract` over this computer's own time: `Store` and `ResidentStore` (the
    tray's all-computers store keeps `StoreContract` only)."""


class AppEditor(AppReader, Protocol):
    """Changing which apps are tracked: `Store` only (the terminal's `apps` commands, the app
    picker)."""

    path: Path  # the database file; its folder is the data folder

    def add_app(self, app: TrackedApp) -> None:
        """Track `app`; a known key is brought back (if removed) with its name, flags and
        rules replaced, and keeps its place in the order."""
        ...

    def remove_app(self, key: str) -> bool:
        """Stop tracking `key`, keeping its history; False if it is unknown or not tracked."""
        ...


class GoalEditor(AppReader, GoalReader, Protocol):
    """Setting the goals: `Store` only (`driftcheck goals`, the goals dialog)."""

    def replace_goals(self, goals: Sequence[Goal]) -> None:
        """Make `goals` the whole set, atomically. InvalidGoal (nothing changes) when the set
        breaks a rule of `check_goals`; UnknownApp for a goal of an app not tracked, unless
        that goal is stored unchanged already (one of an app removed since)."""
        ...
