"""Reads what the dashboard and `driftcheck report` need from a store, and nothing more.

The intervals of the shown week only (its days, hours, apps and sessions), the sixteen weekly
totals and the week before's part it is set beside (each app's and all apps') summed by SQLite
(`seconds_in`, `app_seconds_in`), when the history began (`first_use`, one step down the start
index), and the goals, names and the check-ins since the first shown week. Every store keeps
these (`widget.store.api.StoreReader`; over several computers the sums are mostly worked out
ahead, `widget.sync.covered`). Reading all sixteen weeks of intervals instead gives the same
numbers to the millisecond from about sixteen times the rows; tests/unit/test_dashboard_data.py
keeps that way as the reference the loader is checked against.

While the person shares their time with other computers (issue 16), `ComputerDashboards`
gives the same dashboard for all of them together, this computer alone or one other computer
alone (`computer_choices`), with each computer's own time in the shown week beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from widget.core.calendar import iso_week, local_day, week_monday, week_window
from widget.core.dashboard import (
    ALL_COMPUTERS,
    FETCH_WEEKS,
    SHOWN_WEEKS,
    THIS_COMPUTER,
    ComputerRow,
    DashboardData,
    dashboard_data,
    known_totals,
    same_part_before,
)
from widget.core.report import drift_while_in_progress
from widget.core.trend import DriftSignal
from widget.store.api import StoreReader
from widget.sync.merge import History
from widget.sync.one_device import OneDeviceReader
from widget.sync.reader import MergedReader

if TYPE_CHECKING:
    from widget.services.devices import Reading
    from widget.sync.folder import FolderView

ALL_LABEL = "All computers"


def load_dashboard(store: StoreReader, week: str | None, now: datetime, tz: tzinfo,
                   day_start_hour: int) -> DashboardData:
    """The dashboard of ISO `week` (None: the week of `now`), read from `store`."""
    week = week or iso_week(local_day(now, tz, day_start_hour))
    monday = week_monday(week)
    first_monday = monday - timedelta(weeks=FETCH_WEEKS - 1)
    intervals = store.intervals_overlapping(*week_window(monday, tz, day_start_hour))
    mondays = [first_monday + timedelta(weeks=k) for k in range(FETCH_WEEKS)]
    windows = [week_window(m, tz, day_start_hour) for m in mondays]
    upto = [(lo, max(lo, min(hi, now))) for lo, hi in windows]  # nothing after now
    before = same_part_before(week, now, tz, day_start_hour)
    *sums, before_s = store.seconds_in([*upto, before])
    totals = dict(zip((iso_week(m) for m in mondays), sums, strict=True))
    shown_start, _ = week_window(monday - timedelta(weeks=SHOWN_WEEKS - 1), tz, day_start_hour)
    checkins = store.list_checkins(since=shown_start - timedelta(days=1))
    return dashboard_data(intervals, week, now, tz, day_start_hour, goals=store.list_goals(),
                          names=store.app_names(), checkins=checkins,
                          first_use=store.first_use(), week_totals=totals,
                          week_before=(store.app_seconds_in(*before), before_s),
                          apps_tracked=bool(store.list_apps()))


def drift_of_week_in_progress(store: StoreReader, week: str, now: datetime, tz: tzinfo,
                              day_start_hour: int) -> DriftSignal | None:
    """The drift signal `load_dashboard(store, week, now, ...)` shows, for the week in progress
    at `now`: a week in progress is judged by the complete weeks before it alone, so only their
    sums are read, not one interval (the tray app asks this once a week and keeps what it once
    allocated). For a week not in progress at `now`, the dashboard's."""
    monday = week_monday(week)
    start, end = week_window(monday, tz, day_start_hour)
    if not start <= now < end:
        return load_dashboard(store, week, now, tz, day_start_hour).report.drift
    mondays = [monday - timedelta(weeks=k) for k in range(FETCH_WEEKS - 1, 0, -1)]
    keys = [iso_week(m) for m in mondays]
    sums = dict(zip(keys, store.seconds_in([week_window(m, tz, day_start_hour)
                                            for m in mondays]), strict=True))
    totals = known_totals(sums, keys, store.first_use(), tz, day_start_hour)
    return drift_while_in_progress(week, {k: t for k, t in totals.items() if t is not None})


# --- the person's computers (issue 16) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComputerChoice:
    """One choice of the dashboard's computer filter, with the store it reads."""

    key: str  # ALL_COMPUTERS, THIS_COMPUTER, or another computer's device id
    label: str  # "All computers", "This computer (Laptop)", "Desktop"
    reader: StoreReader


def this_computer_label(name: str | None) -> str:
    return f"This computer ({name})" if name else "This computer"


class ComputerDashboards:
    """The dashboard over all the person's computers (`reader`, a `MergedReader` while they
    share their time), this computer alone (its store) or one other computer alone
    (`OneDeviceReader`). `view` gives the shared folder's last read, for the computers'
    names (without one, another computer is "Another computer (1a2b3c)"). Each load asks
    again which computers there are (the tray's reader is refreshed as the other computers'
    files are read), keeping one reader per other computer while its histories stay the same.

    Thread: whichever calls it (the dashboard's loads run where `load_dashboard` runs); one
    at a time."""

    def __init__(self, reader: StoreReader,
                 view: Callable[[], FolderView | None] | None = None) -> None:
        self.reader = reader
        self._view = view or (lambda: None)
        self._alone: dict[str, tuple[tuple[History, ...], OneDeviceReader]] = {}

    @classmethod
    def of_reading(cls, reading: Reading) -> ComputerDashboards:
        view = reading.view
        return cls(reading.reader, lambda: view)

    def choices(self) -> list[ComputerChoice]:
        """All computers, this computer, then each other computer whose time has been read
        (the shared folder's order: by name); empty unless the reader counts at least one
        other computer (sharing off, `--this-device`, or nobody else's file read yet)."""
        merged = self.reader
        if not isinstance(merged, MergedReader):
            return []
        others = {device: parts for device, parts in merged.others.items()
                  if any(len(history) for history in parts)}
        if not others:
            return []
        view = self._view()
        names: dict[str, str] = {}
        this_name: str | None = None
        if view is not None:
            this_name = view.this_name
            for seen in view.devices:
                if not seen.is_self:
                    names[seen.device_id] = \
                        f"{seen.name} (retired)" if seen.retired else seen.name
        ordered = [d for d in names if d in others] + sorted(d for d in others
                                                             if d not in names)
        app_names = merged.app_names()
        choices = [ComputerChoice(ALL_COMPUTERS, ALL_LABEL, merged),
                   ComputerChoice(THIS_COMPUTER, this_computer_label(this_name), merged.local)]
        for device in ordered:
            choices.append(ComputerChoice(device, names.get(
                device, f"Another computer ({device[:6]})"),
                self._reader_of(device, others[device], app_names)))
        self._alone = {d: kept for d, kept in self._alone.items() if d in others}
        return choices

    def _reader_of(self, device: str, parts: tuple[History, ...],
                   names: Mapping[str, str]) -> OneDeviceReader:
        kept = self._alone.get(device)
        if kept is not None and kept[0] is parts:
            return kept[1]
        assert isinstance(self.reader, MergedReader)
        reader = OneDeviceReader(self.reader.local, parts, names)
        self._alone[device] = (parts, reader)
        return reader

    def load(self, week: str | None, now: datetime, tz: tzinfo, day_start_hour: int,
             computer: str = ALL_COMPUTERS) -> DashboardData:
        """`load_dashboard` of the computers chosen (`computer`, a choice's key; one no longer
        there is all of them), with each computer's own time in the shown week. Without other
        computers: `load_dashboard(reader, ...)` itself, nothing added."""
        choices = self.choices()
        if not choices:
            return load_dashboard(self.reader, week, now, tz, day_start_hour)
        chosen = next((c for c in choices if c.key == computer), choices[0])
        data = load_dashboard(chosen.reader, week, now, tz, day_start_hour)
        start, end = week_window(week_monday(data.week), tz, day_start_hour)
        rows = computer_rows(choices, start, min(end, max(start, now)))
        return replace(data, computers=rows, computer=chosen.key)


def computer_rows(choices: list[ComputerChoice], start: datetime, end: datetime
                  ) -> tuple[ComputerRow, ...]:
    """Each computer's own seconds in [start, end), this one first (`window_totals`'
    `by_device`, as `devices_json` says them)."""
    merged = choices[0].reader
    assert isinstance(merged, MergedReader)
    by_device = merged.device_seconds(start, end)
    return tuple(ComputerRow(c.key, c.label, by_device.get(
        merged.own_id if c.key == THIS_COMPUTER else c.key, 0.0))
        for c in choices if c.key != ALL_COMPUTERS)
