"""The device file (widget.sync.format) on real bytes and real files: a round trip of every
section, every truncation and every flipped bit of a small file refused and never partly read,
a newer format refused, names of conflict copies and temporaries told apart, owner-only files
replaced whole, and the bytes a dense month takes."""

from __future__ import annotations

import os
import random
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widget.core.checkin import Checkin
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Measure
from widget.sync import format as format_module
from widget.sync.format import (
    FORMAT,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    DeviceFile,
    DeviceFileDamaged,
    DeviceFileNewer,
    DeviceFileProblem,
    DeviceHeader,
    decode,
    encode,
    file_name,
    month_window,
    new_device_id,
    new_write_id,
    parse_name,
    split_by_month,
    write_atomically,
)

DEVICE = "0123456789abcdef0123456789abcdef"
WRITTEN = datetime(2026, 12, 7, 11, 0, 0, 123000, tzinfo=UTC)
APPS = {"replika": "Replika", "character-ai": "Character.AI"}


def at(day: int, hour: int, minute: int = 0, ms: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) + timedelta(milliseconds=ms)


def header(**changes: object) -> DeviceHeader:
    fields: dict[str, object] = dict(device_id=DEVICE, name="Laptop", month="2026-12",
                                     written_at=WRITTEN, utc_offset_s=3600, write_id="w1")
    fields.update(changes)
    return DeviceHeader(**fields)  # type: ignore[arg-type]


def small_file(**sections: object) -> DeviceFile:
    intervals = (Interval("replika", at(1, 9), at(1, 9, 20, 5)),
                 Interval("character-ai", at(1, 9, 20, 5), at(1, 9, 50), Measure.APPROXIMATE),
                 Interval("replika", at(31, 23, 30), at(31, 23, 59, 999)))
    fields: dict[str, object] = dict(header=header(), apps=APPS, intervals=intervals)
    fields.update(sections)
    return DeviceFile(**fields)  # type: ignore[arg-type]


def full_file() -> DeviceFile:
    return small_file(
        goals=(Goal(GoalKind.DAILY, None, 3600), Goal(GoalKind.QUIET_HOURS, "replika", None,
                                                         23 * 60, 6 * 60)),
        settings={"day_start_hour": 4, "near_share": 0.8},
        checkins=(Checkin(at(6, 20), at(6, 20, 5), 2, "Talked with Sam after", 5400),
                  Checkin(at(13, 20))))


def test_every_section_comes_back_as_it_went() -> None:
    file = full_file()
    assert decode(encode(file)) == file


def test_sections_not_shared_stay_unshared_and_empty_ones_stay_empty() -> None:
    unshared = decode(encode(small_file()))
    assert (unshared.goals, unshared.settings, unshared.checkins) == (None, None, None)
    empty = decode(encode(small_file(goals=(), settings={}, checkins=())))
    assert (empty.goals, empty.settings, empty.checkins) == ((), {}, ())


def test_the_header_says_who_wrote_it_when_and_from_which_offset() -> None:
    file = decode(encode(small_file(header=header(retired=True, utc_offset_s=-5 * 3600))))
    assert file.header.written_at == WRITTEN
    assert file.header.utc_offset_s == -5 * 3600
    assert file.header.retired is True
    assert file.header.format == FORMAT
    assert file.header.version


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 31 * 86400 * 1000 - 1), st.integers(0, 3600 * 1000),
                          st.sampled_from(list(APPS)), st.sampled_from(list(Measure))),
                max_size=40))
def test_any_month_of_intervals_comes_back_to_the_millisecond(
        spans: list[tuple[int, int, str, Measure]]) -> None:
    start = month_window("2026-12")[0]
    intervals = tuple(sorted(
        (Interval(app, start + timedelta(milliseconds=s),
                  start + timedelta(milliseconds=s + d), measure)
         for s, d, app, measure in spans), key=lambda iv: (iv.start, iv.end)))
    assert decode(encode(small_file(intervals=intervals))).intervals == intervals


def test_cut_at_any_byte_it_is_refused_whole_never_read_in_part() -> None:
    data = encode(full_file())
    for length in range(len(data)):
        with pytest.raises(DeviceFileProblem):
            decode(data[:length])


def test_a_flipped_bit_anywhere_is_refused_or_changes_nothing() -> None:
    file = full_file()
    data = encode(file)
    refused = same = 0
    for index in range(len(data)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[index] ^= 1 << bit
            try:
                got = decode(bytes(flipped))
            except DeviceFileProblem:
                refused += 1
                continue
            # Only bytes that carry no meaning may flip unnoticed: gzip's time, flags and OS
            # fields, the name of the readable line's "seal" (null in a plain file).
            assert got == file, f"byte {index} bit {bit} changed what was read"
            same += 1
    assert refused > 0.95 * len(data) * 8, (refused, same)


def test_added_bytes_after_the_end_are_refused() -> None:
    data = encode(full_file())
    with pytest.raises(DeviceFileDamaged):
        decode(data + b"\x00")


def test_a_newer_format_is_refused_with_a_sentence_never_misread() -> None:
    data = encode(small_file())
    newer = data.replace(b'{"driftcheck-sync":1,', b'{"driftcheck-sync":2,', 1)
    with pytest.raises(DeviceFileNewer) as refused:
        decode(newer)
    assert refused.value.device_id == DEVICE
    assert "newer" in str(refused.value)


def test_not_a_device_file_is_damaged_not_a_crash() -> None:
    for junk in (b"", b"\n", b"hello\n", b"[]\n", b'{"driftcheck-sync":"1"}\n',
                 b"\xff\xfe\n", os.urandom(300), b"{" * 5000):
        with pytest.raises(DeviceFileDamaged):
            decode(junk)


def test_what_cannot_be_read_back_is_never_written() -> None:
    outside = (Interval("replika", datetime(2026, 11, 30, 23, tzinfo=UTC), at(1, 0)),)
    with pytest.raises(ValueError):
        encode(small_file(intervals=outside))
    with pytest.raises(ValueError):
        encode(small_file(intervals=(Interval("nomi", at(2, 9), at(2, 10)),)))
    with pytest.raises(ValueError):
        encode(small_file(header=header(name="Lap\x1b[31mtop")))


def test_a_file_names_its_device_and_month_and_conflict_copies_are_told_apart() -> None:
    name = file_name(DEVICE, "2026-12")
    assert name == f"driftcheck-{DEVICE}-2026-12.dcsync"
    own = parse_name(name)
    assert own is not None and (own.device_id, own.month, own.conflict) == (DEVICE, "2026-12",
                                                                             False)
    copy = parse_name(f"driftcheck-{DEVICE}-2026-12.sync-conflict-20261207-111213-ABCDEFG"
                      ".dcsync")
    assert copy is not None and (copy.device_id, copy.month, copy.conflict) == (
        DEVICE, "2026-12", True)
    twice = parse_name(f"driftcheck-{DEVICE}-2026-12.sync-conflict-20261207-111213-ABCDEFG"
                       ".sync-conflict-20261208-090000-HIJKLMN.dcsync")
    assert twice is not None and twice.conflict


@pytest.mark.parametrize("name", [
    f".syncthing.driftcheck-{DEVICE}-2026-12.dcsync.tmp",  # Syncthing's temporary (Unix)
    f"~syncthing~driftcheck-{DEVICE}-2026-12.dcsync.tmp",  # Syncthing's temporary (Windows)
    f"driftcheck-{DEVICE}-2026-12.dcsync.part",
    f"driftcheck-{DEVICE}-2026-12.dcsync.tmp",
    f".~lock.driftcheck-{DEVICE}-2026-12.dcsync#",
    f"{TEMP_PREFIX}abc123{TEMP_SUFFIX}",  # our own, before the rename
    f"driftcheck-{DEVICE}-2026-13.dcsync",
    f"driftcheck-{DEVICE.upper()}-2026-12.dcsync",
    "driftcheck-0123-2026-12.dcsync",
    "notes.txt",
])
def test_temporaries_and_other_names_are_no_device_file(name: str) -> None:
    assert parse_name(name) is None


def test_our_temporary_names_are_ones_syncthing_never_sends() -> None:
    # Syncthing (lib/fs/tempname.go) treats ".syncthing.*.tmp" as its own temporary file and
    # neither scans nor sends it.
    assert TEMP_PREFIX.startswith(".syncthing.") and TEMP_SUFFIX == ".tmp"


def test_a_written_file_is_owner_only_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        target = tmp_path / file_name(DEVICE, "2026-12")
        write_atomically(target, b"first")
        write_atomically(target, encode(full_file()))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert decode(target.read_bytes()) == full_file()
    assert sorted(os.listdir(tmp_path)) == [target.name]


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / file_name(DEVICE, "2026-12")
    write_atomically(target, b"old")
    (tmp_path / "blocker").mkdir()
    with pytest.raises(OSError):
        write_atomically(tmp_path / "blocker", b"new")  # a folder cannot be replaced by a file
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["blocker", target.name]


def test_intervals_are_split_by_the_utc_month_they_start_in() -> None:
    late = Interval("replika", datetime(2026, 11, 30, 23, 30, tzinfo=UTC), at(1, 0, 20))
    early = Interval("replika", at(1, 1), at(1, 2))
    assert split_by_month([early, late]) == {"2026-11": [late], "2026-12": [early]}
    assert month_window("2026-12") == (at(1, 0), datetime(2027, 1, 1, tzinfo=UTC))


def dense_month(seed: int = 1, per_day: int = 200) -> list[Interval]:
    """A dense user's month: 200 switches a day between three apps, seconds to minutes each,
    at millisecond resolution as the tracker stores them."""
    rnd = random.Random(seed)
    intervals: list[Interval] = []
    for day in range(31):
        moment = at(day + 1, 7)
        for _ in range(per_day):
            length = timedelta(milliseconds=rnd.randint(5_000, 240_000))
            intervals.append(Interval(rnd.choice(list(APPS)), moment, moment + length))
            moment += length + timedelta(milliseconds=rnd.randint(500, 60_000))
    return [iv for iv in intervals if iv.start < datetime(2027, 1, 1, tzinfo=UTC)]


def test_a_dense_month_is_compact() -> None:
    intervals = dense_month()
    file = small_file(intervals=tuple(intervals), goals=(Goal(GoalKind.DAILY, None, 3600),),
                      settings={"day_start_hour": 4})
    size = len(encode(file))
    per_interval = size / len(intervals)
    print(f"\nFIGURE bytes per device per month, 200 intervals a day: {size} "
          f"({per_interval:.1f} bytes an interval)")
    assert size < 100 * 1024  # a month's file stays small enough to sync every few minutes


def test_ids_are_random_and_of_the_shape_names_take() -> None:
    ids = {new_device_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(parse_name(file_name(i, "2026-12")) is not None for i in ids)
    assert new_write_id() != new_write_id()


def test_a_planted_file_cannot_make_a_reader_hold_more_than_a_month(
        monkeypatch: pytest.MonkeyPatch) -> None:
    many_apps = {f"app-{i}": f"App {i}" for i in range(1001)}
    with pytest.raises(ValueError):
        encode(small_file(apps=many_apps, intervals=()))
    monkeypatch.setattr(format_module, "MAX_RECORDS", 10)  # the rule, not 600,000 records
    start = month_window("2026-12")[0]
    crowded = tuple(Interval("replika", start + timedelta(seconds=i), start + timedelta(
        seconds=i)) for i in range(7))
    with pytest.raises(ValueError):
        encode(small_file(intervals=crowded))  # device, shares, 2 apps and 7: 11 records
    assert decode(encode(small_file(intervals=crowded[:6]))).intervals == crowded[:6]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 10_000), st.binary(max_size=8))
def test_any_bytes_give_a_file_or_a_refusal_never_another_error(
        junk: bytes, where: int, spliced: bytes) -> None:
    data = encode(full_file())
    where %= len(data)
    for candidate in (junk, data[:where] + spliced + data[where + len(spliced):],
                      data[:where] + junk):
        try:
            got = decode(candidate)
        except DeviceFileProblem:
            continue
        assert got == full_file()
