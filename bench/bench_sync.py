"""One mirror across computers (widget.sync): the bytes a device leaves in the shared folder,
the cost of the passphrase, reading two years of another device's files, and the all-devices
week against one device's.

The history: a dense user, 200 intervals a day (5 s to 4 min each, switches 0.5 s to 1 min
apart, three apps) for two years, per device, made in memory. "One device's week" is the
totals of the seven days of a week from one device's intervals (`widget.core.days`, what the
dashboard computes after its store read); "three devices' week" is `widget.sync.merge` over
three such histories, overlap counted once. No X server needed. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import Figure, result

from widget.core.days import seconds_by_app
from widget.core.model import Interval
from widget.sync.crypto import KdfParams, KeyRing, derive_key
from widget.sync.folder import SharedFolder, create_identity
from widget.sync.format import DeviceFile, DeviceHeader, encode, split_by_month
from widget.sync.merge import histories_of, merged_totals

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
APPS = {"replika": "Replika", "character-ai": "Character.AI", "chatgpt": "ChatGPT"}
PER_DAY = 200


def dense(days: int, seed: int) -> list[Interval]:
    rnd = random.Random(seed)
    out: list[Interval] = []
    first = (NOW - timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)
    for day in range(days):
        at = first + timedelta(days=day, minutes=rnd.randint(0, 120))
        for _ in range(PER_DAY):
            length = timedelta(milliseconds=rnd.randint(5_000, 240_000))
            out.append(Interval(rnd.choice(list(APPS)), at, at + length))
            at += length + timedelta(milliseconds=rnd.randint(500, 60_000))
    return out


def timed(step: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        step()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def month_file(intervals: list[Interval], month: str) -> DeviceFile:
    return DeviceFile(DeviceHeader("0" * 32, "Laptop", month, NOW, 3600, "w"), APPS,
                      tuple(intervals), goals=(), settings={"day_start_hour": 4})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    runs = 5 if args.quick else 20
    figures: list[Figure] = []

    # --- bytes a month --------------------------------------------------------------------
    months = split_by_month(dense(62, 1))
    month = sorted(months)[-2]  # a whole month
    plain = len(encode(month_file(months[month], month)))
    keys = KeyRing("a passphrase")
    sealed = len(encode(month_file(months[month], month), keys, KdfParams.fresh()))
    per_day = len(months[month]) / 30.5
    figures.append(Figure(f"bytes per device per month ({per_day:.0f} intervals/day)",
                          f"{plain / 1024:.1f} KiB", "n/a", None, plain))
    figures.append(Figure("  the same, sealed with a passphrase", f"{sealed / 1024:.1f} KiB",
                          "n/a", None, sealed))

    # --- the passphrase ---------------------------------------------------------------------
    derive = timed(lambda: derive_key("a passphrase", KdfParams.fresh()), 3)
    figures.append(Figure("scrypt key (n=2**17, r=8, p=1), once per device", f"{derive:.3f} s",
                          "n/a", None, derive))

    # --- two years of histories ---------------------------------------------------------------
    two_years = [dense(730, seed) for seed in (11, 12, 13)]
    count = len(two_years[0])

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        shared, mine, theirs = root / "shared", root / "mine", root / "theirs"
        for folder in (shared, mine, theirs):
            folder.mkdir()
        writer = SharedFolder(shared, theirs, create_identity(theirs, "Desktop", False), None,
                              lambda: NOW, UTC)
        by_month = split_by_month(two_years[1])
        began = time.perf_counter()
        writer.write(by_month, APPS)
        write_all = time.perf_counter() - began
        current = sorted(by_month)[-1]
        grown = list(by_month[current])

        def write_current() -> None:  # a minute more of use each time: the file changes
            grown.append(Interval("replika", NOW + timedelta(minutes=len(grown)),
                                  NOW + timedelta(minutes=len(grown), seconds=30)))
            assert writer.write({current: grown}, APPS).written == (current,)

        write_month = timed(write_current, 5)
        unchanged = timed(lambda: writer.write({current: grown}, APPS), 5)
        total_bytes = sum(p.stat().st_size for p in shared.iterdir())
        tracemalloc.start()
        reader = SharedFolder(shared, mine, create_identity(mine, "Laptop", False), None,
                              lambda: NOW, UTC)
        began = time.perf_counter()
        view = reader.read()
        first_read = time.perf_counter() - began
        held = tracemalloc.get_traced_memory()[0]  # what the reader keeps of 2 years
        tracemalloc.stop()
        again = timed(reader.read, runs)
        (mine / "sync-cache").rename(mine / "sync-cache-aside")
        fresh = SharedFolder(shared, mine, reader.identity, None, lambda: NOW, UTC)
        began = time.perf_counter()
        fresh.read()
        first_read = time.perf_counter() - began  # without tracemalloc's own cost
        assert len(view.devices[0].intervals()) == count + 5  # and the ones written since
    figures.append(Figure("write 2 years (25 files) of one device", f"{write_all:.2f} s", "n/a",
                          None, write_all))
    figures.append(Figure("write this month's file again", f"{write_month * 1000:.0f} ms", "n/a",
                          None, write_month))
    figures.append(Figure("a sync with this month unchanged", f"{unchanged * 1000:.0f} ms",
                          "n/a", None, unchanged))
    figures.append(Figure("shared folder, one device, 2 years", f"{total_bytes / 1024:.0f} KiB",
                          "n/a", None, total_bytes))
    figures.append(Figure("first read of another device's 2 years", f"{first_read:.2f} s", "n/a",
                          None, first_read))
    figures.append(Figure("a read again, nothing changed", f"{again * 1000:.1f} ms", "n/a", None,
                          again))

    tracemalloc.start()
    histories = {f"device-{i}": histories_of(ivs) for i, ivs in enumerate(two_years)}
    compact = tracemalloc.get_traced_memory()[0] / len(histories)
    tracemalloc.stop()
    figures.append(Figure(f"memory for 2 years of a device ({count} intervals)",
                          f"{compact / 2**20:.1f} MiB compact", "n/a", None, compact))
    figures.append(Figure("  held by SharedFolder after a read", f"{held / 2**20:.1f} MiB",
                          "n/a", None, held))

    # --- a week: one device against three ---------------------------------------------------
    monday = (NOW - timedelta(days=NOW.weekday())).replace(hour=4, minute=0)
    days = [(monday + timedelta(days=d), monday + timedelta(days=d + 1)) for d in range(7)]
    week = (days[0][0], days[-1][1])
    one = histories["device-0"]

    def one_device() -> None:
        intervals = [iv for part in one for iv in part.overlapping(*week)]
        for start, end in days:
            seconds_by_app(intervals, start, end)

    def three_devices() -> None:
        merged_totals(histories, days)

    single = timed(one_device, runs)
    triple = timed(three_devices, runs)
    alone = timed(lambda: merged_totals({"device-0": one}, days), runs)
    ratio = triple / single
    figures.append(Figure("one device's week (7 days' totals)", f"{single * 1000:.1f} ms", "n/a",
                          None, single))
    figures.append(Figure("three devices' week, overlap once", f"{triple * 1000:.1f} ms", "n/a",
                          None, triple))
    figures.append(Figure("three devices / one device", f"{ratio:.2f}x", "<= 2x", ratio <= 2,
                          ratio))
    figures.append(Figure("  the merge's own code on one device", f"{alone * 1000:.1f} ms",
                          "n/a", None, alone))
    result("sync", figures, intervals_per_device=count, runs=runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
