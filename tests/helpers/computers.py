"""Three of a person's computers sharing their time through one folder (issue 16), made with
the real `driftcheck devices share` in-process: a laptop, a desktop and a work computer with a
week (2026-W48, UTC, the day starting at 04:00) whose figures are worked out by hand:

- Laptop 1 h 30 min, Desktop 1 h 45 min, Work 50 min, each as it recorded it;
- on Tuesday 19:00-20:30 all three were in use (Replika on two, Character.AI on the third);
- the desktop's history began two weeks earlier (2026-W46).

No interval is longer than an hour, as the tracker writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.helpers.cli import call
from widget.core.model import Interval
from widget.paths import DB_NAME
from widget.store.db import Store

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026
AFTER = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # the Monday after it
DURING = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # its Thursday noon


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


LAPTOP = [Interval("replika", at(24, 19), at(24, 20)),
          Interval("replika", at(25, 20), at(25, 20, 30))]
DESKTOP = [Interval("replika", at(10, 18), at(10, 19)),  # two weeks before: its own history
           Interval("replika", at(10, 19), at(10, 19, 15)),
           Interval("replika", at(24, 19, 30), at(24, 20, 30)),  # at once, the same app
           Interval("character-ai", at(26, 10), at(26, 10, 45))]
WORK = [Interval("character-ai", at(24, 19, 45), at(24, 20, 15)),  # at once, another app
        Interval("character-ai", at(27, 9), at(27, 9, 20))]
SECONDS = {"Laptop": 5400.0, "Desktop": 6300.0, "Work": 3000.0}  # each in WEEK
HISTORY = {"Laptop": LAPTOP, "Desktop": DESKTOP, "Work": WORK}


def fill(folder: Path, intervals: list[Interval]) -> None:
    """A data folder tracking Replika and Character.AI, with `intervals` recorded."""
    done = call("--data-dir", str(folder), "apps", "add", "replika", "character-ai")
    assert done.code == 0, done.err
    store = Store.open(folder / DB_NAME)
    try:
        for interval in intervals:
            store.insert_interval(interval)
    finally:
        store.close()


def share_three(root: Path, names: tuple[str, ...] = ("Laptop", "Desktop", "Work")
                ) -> dict[str, Path]:
    """The computers' data folders under `root`, each sharing `root/Sync/driftcheck` (a
    Syncthing folder); the first has read the others' files."""
    shared = root / "Sync" / "driftcheck"
    shared.mkdir(parents=True)
    (shared.parent / ".stfolder").mkdir()
    folders = {name: root / name.lower() for name in names}
    for name in names:
        fill(folders[name], HISTORY[name])
        done = call("--data-dir", str(folders[name]), "devices", "share", str(shared),
                    "--name", name)
        assert done.code == 0, done.err
        assert "was not written" not in done.out, done.out
    synced = call("--data-dir", str(folders[names[0]]), "devices", "sync")
    assert synced.code == 0, synced.err
    return folders
