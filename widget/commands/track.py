"""`driftcheck track`: the tracker in the foreground, no UI, until Ctrl-C.

It says on stdout, like every command's own answer, what it tracks and how when it starts,
and how long it ran and what it counted when it stops; problems go to stderr, as everywhere.
It loads the lean store only (no SQLAlchemy: `driftcheck track` runs all day).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from widget.core.format import duration, durations_with_total
from widget.core.options import SPECS, Options
from widget.datafolder import prepare_data_dir, tell_set_aside
from widget.errors import UsageError
from widget.paths import DB_NAME

if TYPE_CHECKING:
    from widget.store.resident import ResidentStore


def track(args: argparse.Namespace) -> int:
    """Track in the foreground until Ctrl-C, holding the data folder's tracking lock."""
    from widget.datafolder import take_tracking_lock
    from widget.store.resident import open_for_tracking

    store = open_for_tracking(prepare_data_dir(args) / DB_NAME)  # refusals come first
    try:
        lock = take_tracking_lock(store.path.parent)
    except BaseException:
        store.close()
        raise
    if lock is None:
        store.close()
        raise UsageError("driftcheck is already tracking this folder (the tray app, or "
                         "another `driftcheck track`); each second is counted once, so this "
                         "one stops here.")
    try:
        return _track(args, store)
    finally:
        if lock >= 0:
            os.close(lock)  # closing lets the lock go


def _track(args: argparse.Namespace, store: ResidentStore) -> int:
    from widget.core import settings as S
    from widget.core.days import seconds_by_app
    from widget.core.standing import paused_words
    from widget.desktop.localzone import local_zone
    from widget.tracking import Tracker

    tell_set_aside(store.path.parent)
    options = Options.from_settings(store.all_settings())
    overrides = {}
    if args.interval is not None:
        overrides["sample_interval"] = args.interval
    if args.idle_after is not None:
        overrides["idle_after"] = args.idle_after
    options = Options(**{**_as_dict(options), **overrides})
    stopping = threading.Event()
    interrupted: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        interrupted.append(signum)
        stopping.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    tracker = Tracker(store, options)
    apps = store.list_apps()
    if not apps:
        print("driftcheck: you are not tracking any apps yet, so nothing will count; "
              "`driftcheck apps catalog` lists the ones driftcheck knows.", file=sys.stderr)
    began, clock_began = datetime.now(UTC), time.monotonic()
    # A pause chosen in the tray app holds here too, so that `status` stays true.
    paused_until = S.get(store, S.TRACKER_PAUSED_UNTIL)
    paused = paused_words(paused_until, began, local_zone())
    if paused:
        tracker.pause()
    tracker.start()
    info = tracker.probe.info()
    say(started_words([a.name for a in apps], info.name, info.measure.value == "approximate",
                      info.idle_source is not None, options))
    if paused:
        say(paused)
    try:
        while not stopping.wait(1.0):
            if paused and paused_until is not None and datetime.now(UTC) >= paused_until:
                paused = None
                tracker.resume()
                say("The pause you chose has ended; counting again.")
    finally:
        tracker.stop()
        try:
            ended = datetime.now(UTC)
            counted = seconds_by_app(store.intervals_overlapping(began, ended), began, ended)
            names = store.app_names()
        finally:
            store.close()
    if interrupted and interrupted[-1] == signal.SIGINT and sys.stdout.isatty():
        print()  # past the "^C" the terminal echoed
    say(stopped_words(time.monotonic() - clock_began, counted, names))
    return 0


def say(text: str) -> None:
    """One message on stdout, at once even when stdout is a pipe or a file."""
    print(text, flush=True)


def _as_dict(options: Options) -> dict[str, float]:
    return {k: getattr(options, k) for k in SPECS}


def _names_in_words(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def started_words(names: Sequence[str], probe: str, approximate: bool, idle_known: bool,
                  options: Options) -> str:
    """What `track` says when it starts: the apps by name, how time counts here (the same
    sentence as `driftcheck doctor`), and how to stop."""
    from widget.commands.doctor import how_time_counts

    what = f"Tracking {_names_in_words(names)}" if names else "Tracking no apps yet"
    counts = how_time_counts(approximate, idle_known, options.idle_after)
    return (f"{what} (looking every {duration(options.sample_interval)}, through the "
            f"{probe} probe).\n{counts}\nCtrl-C stops; what was counted stays.")


def stopped_words(ran_seconds: float, counted: Mapping[str, float],
                  names: Mapping[str, str]) -> str:
    """What `track` says when it stops: how long it ran and what it counted in that time,
    per app, the parts adding up to the total shown."""
    ran = f"Stopped after {duration(ran_seconds)}"
    used = {key: seconds for key, seconds in counted.items() if seconds > 0}
    if not used:
        return f"{ran}; nothing was counted this time."
    keys = sorted(used, key=lambda k: (-used[k], names.get(k, k).lower()))
    parts, total = durations_with_total([used[k] for k in keys])
    if len(keys) == 1:
        return f"{ran}; counted {total} for {names.get(keys[0], keys[0])}."
    each = ", ".join(f"{names.get(k, k)} {part}" for k, part in zip(keys, parts, strict=True))
    return f"{ran}; counted {total} ({each})."
