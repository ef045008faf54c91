"""The dashboard's computers (issue 16), without Qt: three real data folders sharing one folder
through `driftcheck devices share`, read from the laptop. Each computer's time in the shown
week is merge.py's `by_device`; the filter's dashboards are, to the millisecond, the laptop's
own store's (this computer), the merged reader's (all), and the desktop's own store's (the
desktop alone); sharing off or `--this-device` adds nothing. `OneDeviceReader` keeps the
store's reading contract over one computer's histories."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.cli import Run
from tests.helpers.computers import AFTER, DESKTOP, DURING, LAPTOP, WEEK, WORK, share_three
from widget.core.calendar import week_window
from widget.core.dashboard import ALL_COMPUTERS, THIS_COMPUTER, DashboardData, computers_in_words
from widget.core.model import Interval
from widget.paths import DB_NAME
from widget.services.dashboard import ComputerDashboards, load_dashboard
from widget.services.devices import Reading, reader_for
from widget.store.resident import ResidentStore
from widget.sync.merge import histories_of, to_ms, window_totals
from widget.sync.one_device import OneDeviceReader


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")


@pytest.fixture
def three(tmp_path: Path) -> dict[str, Path]:
    return share_three(tmp_path)


@pytest.fixture
def laptop(three: dict[str, Path]) -> Iterator[tuple[ResidentStore, Reading]]:
    local = ResidentStore.open(three["Laptop"] / DB_NAME)
    try:
        yield local, reader_for(local, three["Laptop"], UTC)
    finally:
        local.close()


def plain(data: DashboardData) -> DashboardData:
    """`data` without its computers: what `load_dashboard` alone gives."""
    return replace(data, computers=(), computer=ALL_COMPUTERS)


def ids(reading: Reading) -> dict[str, str]:
    assert reading.view is not None
    return {d.name: d.device_id for d in reading.view.devices if not d.is_self}


@pytest.mark.parametrize("now", [AFTER, DURING])
def test_each_computers_time_is_its_own_as_merge_counts_it(
        laptop: tuple[ResidentStore, Reading], now: datetime) -> None:
    _local, reading = laptop
    data = ComputerDashboards.of_reading(reading).load(WEEK, now, UTC, 4)
    start, end = week_window(data.report.start.date(), UTC, 4)
    device = ids(reading)
    expected = window_totals({"this": histories_of(LAPTOP), device["Desktop"]:
                              histories_of(DESKTOP), device["Work"]: histories_of(WORK)},
                             start, min(end, now))
    assert [(r.key, r.name) for r in data.computers] == [
        (THIS_COMPUTER, "This computer (Laptop)"), (device["Desktop"], "Desktop"),
        (device["Work"], "Work")]
    assert {r.key: r.seconds for r in data.computers} == pytest.approx({
        THIS_COMPUTER: expected.by_device["this"],
        device["Desktop"]: expected.by_device[device["Desktop"]],
        device["Work"]: expected.by_device[device["Work"]]}, abs=1e-3)
    if now == AFTER:  # worked out by hand: 1 h 30, 1 h 45, 50 min
        assert [r.seconds for r in data.computers] == [5400, 6300, 3000]
    assert data.computer == ALL_COMPUTERS
    assert "count all your computers together" in computers_in_words(data)
    assert "counts once" in computers_in_words(data)


def test_all_is_the_merged_dashboard_and_this_computer_its_own_store(
        laptop: tuple[ResidentStore, Reading]) -> None:
    local, reading = laptop
    dashboards = ComputerDashboards.of_reading(reading)
    everything = dashboards.load(WEEK, AFTER, UTC, 4)
    assert plain(everything) == load_dashboard(reading.reader, WEEK, AFTER, UTC, 4)
    alone = dashboards.load(WEEK, AFTER, UTC, 4, THIS_COMPUTER)
    assert plain(alone) == load_dashboard(local, WEEK, AFTER, UTC, 4)
    assert alone.report.total_s == 5400
    assert alone.computer == THIS_COMPUTER and alone.computers == everything.computers
    assert "this computer's alone" in computers_in_words(alone)


def test_one_other_computer_is_its_own_dashboard(three: dict[str, Path],
                                                 laptop: tuple[ResidentStore, Reading]) -> None:
    _local, reading = laptop
    dashboards = ComputerDashboards.of_reading(reading)
    desktop_id = ids(reading)["Desktop"]
    there = dashboards.load(WEEK, AFTER, UTC, 4, desktop_id)
    expected = window_totals({desktop_id: histories_of(DESKTOP)},
                             *week_window(there.report.start.date(), UTC, 4))
    assert there.report.total_s == pytest.approx(expected.by_device[desktop_id], abs=1e-3)
    assert there.report.total_s == 6300
    # the very dashboard the desktop shows itself, from its own database
    own = ResidentStore.open(three["Desktop"] / DB_NAME)
    try:
        assert plain(there) == load_dashboard(own, WEEK, AFTER, UTC, 4)
    finally:
        own.close()
    assert there.first_week == "2026-W46"  # its history began before the laptop's
    assert there.computer == desktop_id
    assert computers_in_words(there).startswith("These figures are Desktop's alone")
    work = dashboards.load(WEEK, AFTER, UTC, 4, ids(reading)["Work"])
    assert work.report.total_s == 3000 and set(work.report.per_app) == {"character-ai"}


def test_a_computer_no_longer_there_shows_them_all(laptop: tuple[ResidentStore, Reading]
                                                   ) -> None:
    _local, reading = laptop
    dashboards = ComputerDashboards.of_reading(reading)
    data = dashboards.load(WEEK, AFTER, UTC, 4, "gone")
    assert data.computer == ALL_COMPUTERS
    assert data == dashboards.load(WEEK, AFTER, UTC, 4)


def test_the_weeks_total_is_wall_time_across_computers(laptop: tuple[ResidentStore, Reading]
                                                       ) -> None:
    _local, reading = laptop
    data = ComputerDashboards.of_reading(reading).load(WEEK, AFTER, UTC, 4)
    # Tuesday 19:00-20:30 once, though all three were in use, two of them with another app
    assert data.report.total_s == 3 * 3600 + 5 * 60
    # each app its own union: Replika 2 h, Character.AI 1 h 35 min (more than the total)
    assert data.report.per_app == {"replika": 7200, "character-ai": 5700}


def test_sharing_off_or_this_device_adds_nothing(three: dict[str, Path], run: Run,
                                                 laptop: tuple[ResidentStore, Reading]
                                                 ) -> None:
    local, _reading = laptop
    this_device = reader_for(local, three["Laptop"], UTC, this_device=True)
    dashboards = ComputerDashboards.of_reading(this_device)
    assert dashboards.choices() == []
    data = dashboards.load(WEEK, AFTER, UTC, 4)
    assert data == load_dashboard(local, WEEK, AFTER, UTC, 4)
    assert data.computers == () and computers_in_words(data) == ""
    assert run("devices", "stop", data_dir=three["Work"]).code == 0
    work = ResidentStore.open(three["Work"] / DB_NAME)
    try:
        off = ComputerDashboards.of_reading(reader_for(work, three["Work"], UTC))
        assert off.choices() == [] and off.load(WEEK, AFTER, UTC, 4).computers == ()
    finally:
        work.close()


def test_without_the_folders_read_the_other_computers_are_named_by_their_ids(
        laptop: tuple[ResidentStore, Reading]) -> None:
    """The tray's reader before its first read of names: still each computer, named plainly."""
    _local, reading = laptop
    device = ids(reading)
    labels = [c.label for c in ComputerDashboards(reading.reader).choices()]
    assert labels[:2] == ["All computers", "This computer"]
    assert sorted(labels[2:]) == sorted(f"Another computer ({device[n][:6]})"
                                        for n in ("Desktop", "Work"))


# --- OneDeviceReader against merge.py --------------------------------------------------------

BASE = datetime(2026, 11, 2, tzinfo=UTC)
some_intervals = st.lists(
    st.builds(lambda start, length, app: Interval(
        app, BASE + timedelta(milliseconds=start), BASE + timedelta(milliseconds=start + length)),
        st.integers(0, 60 * 86_400_000), st.integers(0, 3_600_000),
        st.sampled_from(["replika", "nomi"])),
    max_size=40)
windows = st.lists(st.tuples(st.integers(-86_400_000, 62 * 86_400_000),
                             st.integers(0, 14 * 86_400_000)), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(some_intervals, windows)
def test_one_devices_reads_agree_with_its_merged_totals(
        intervals: list[Interval], spans: list[tuple[int, int]]) -> None:
    histories = histories_of(intervals)
    reader = OneDeviceReader(None, histories)  # type: ignore[arg-type] # its time alone here
    asked = [(BASE + timedelta(milliseconds=s), BASE + timedelta(milliseconds=s + n))
             for s, n in spans]
    for (start, end), seconds in zip(asked, reader.seconds_in(asked), strict=True):
        assert seconds == pytest.approx(
            window_totals({"d": histories}, start, end).by_device["d"], abs=1e-6)
        found = reader.intervals_overlapping(start, end)
        assert [(iv.start, iv.end) for iv in found] == sorted((iv.start, iv.end) for iv in found)
        assert sorted(found, key=key) == sorted(
            (iv for iv in intervals if iv.start < end and iv.end > start), key=key)
        assert reader.spans_ms(start, end) == [(to_ms(iv.start), to_ms(iv.end)) for iv in found]
    assert reader.first_use() == min((iv.start for iv in intervals), default=None)


def key(iv: Interval) -> tuple[datetime, datetime, str]:
    return iv.start, iv.end, iv.app


def test_a_week_in_progress_is_set_beside_the_wall_time_before(
        laptop: tuple[ResidentStore, Reading]) -> None:
    """Thursday noon of the week after: the same part of WEEK counts Tuesday evening once
    (1 h 30 min, though two apps were in front on three computers), with Wednesday's 30 min
    and Thursday morning's 45 min: 2 h 45 min, not the apps' 3 h 15 min."""
    _local, reading = laptop
    thursday = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    data = ComputerDashboards.of_reading(reading).load("2026-W49", thursday, UTC, 4)
    assert data.report.change_same_part and data.report.total_s == 0
    assert data.report.change_s == -(2 * 3600 + 45 * 60)


def test_report_and_status_text_say_the_counted_total_under_apps_that_add_up_to_more(
        three: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Tuesday 19:00-20:30: Replika on the laptop and the desktop, Character.AI on the work
    computer at once. The apps' rows add up to more than the total; the Total line is the
    total counted once (as --json and the ring say it), with the one sentence why."""
    import json
    from datetime import datetime as real_datetime

    from tests.helpers.cli import call
    from widget.commands import status as status_command
    from widget.core.days import APPS_ADD_UP_TO_MORE
    from widget.core.format import duration

    folder = str(three["Laptop"])
    report = json.loads(call("--data-dir", folder, "report", "--week", WEEK, "--json").out)
    apps = sum(a["seconds"] for a in report["apps"])
    assert apps > report["total_s"]
    text = call("--data-dir", folder, "report", "--week", WEEK).out
    total_line = next(line for line in text.splitlines() if line.strip().startswith("Total"))
    assert total_line.strip().removeprefix("Total").strip() == duration(report["total_s"])
    assert APPS_ADD_UP_TO_MORE in text

    class Tuesday(real_datetime):
        @classmethod
        def now(cls, tz: object = None) -> Tuesday:  # type: ignore[override]
            return cls(2026, 11, 24, 21, 0, tzinfo=UTC)

    monkeypatch.setattr(status_command, "datetime", Tuesday)
    said = json.loads(call("--data-dir", folder, "status", "--json").out)
    assert said["total_seconds"] == 5400.0  # 19:00-20:30 once
    assert sum(a["seconds"] for a in said["apps"]) == 5400.0 + 1800.0
    text = call("--data-dir", folder, "status").out
    total_line = next(line for line in text.splitlines() if line.strip().startswith("Total"))
    assert total_line.strip().removeprefix("Total").strip() == duration(5400.0)
    assert APPS_ADD_UP_TO_MORE in text
    alone = call("--data-dir", folder, "status", "--this-device").out
    assert APPS_ADD_UP_TO_MORE not in alone


def test_check_ins_a_computer_shares_reach_the_others_readers(three: dict[str, Path]) -> None:
    """The desktop shares its check-ins (`devices share --share-notes`): after a sync the
    laptop's all-computers reader lists them beside its own (the dashboard's answers); the
    work computer, which shares none, adds none; --this-device lists the laptop's alone."""
    from tests.helpers.cli import call

    desk, laptop = str(three["Desktop"]), str(three["Laptop"])
    assert call("--data-dir", desk, "checkin", "--answer", "4").code == 0
    shared = three["Laptop"].parent / "Sync" / "driftcheck"
    again = call("--data-dir", desk, "devices", "share", str(shared), "--name", "Desktop",
                 "--share-notes")
    assert again.code == 0, again.err
    assert call("--data-dir", laptop, "checkin", "--answer", "2").code == 0
    assert call("--data-dir", laptop, "devices", "sync").code == 0
    local = ResidentStore.open(three["Laptop"] / DB_NAME)
    try:
        answers = [c.answer for c in reader_for(local, three["Laptop"], UTC).reader
                   .list_checkins()]
        alone = [c.answer for c in reader_for(local, three["Laptop"], UTC, True).reader
                 .list_checkins()]
    finally:
        local.close()
    assert sorted(answers) == [2, 4] and alone == [2]
