"""kill -9 of the real `driftcheck track` at random moments of a real X11 session.

Shared by tests/e2e/test_faults.py (a few rounds in every `make test`) and bench/bench_faults.py
(50 rounds). Each round starts the tracker (1 s samples) and, at a moment drawn from a seeded
generator, kills it with SIGKILL in one of three phases:

- "starting": the tracked window is in front before the tracker starts; the kill comes 0-1.5 s
  after the process is spawned (while Python imports, the store opens, the first sample and
  its first row are written);
- "tracked": the tracked window comes to the front once the tracker runs; the kill comes
  0.1-4 s later, at any point of the 1 s sampling cycle;
- "switched": the tracked window in front for 0.3-2.5 s, then another one, and the kill
  0-1.5 s after that.

After each kill, read-only: `PRAGMA integrity_check` says "ok", no two intervals overlap, and
the database gained the time the tracked window was in front up to the kill (while the tracker
ran: from its first stored start in the "starting" phase), less at most one sampling interval.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.desktop import ActivePerson, XSession
from tests.helpers.program import Tracker

DB = "driftcheck.sqlite3"
APP = "koboldcpp"
INTERVAL = 1.0  # seconds between samples: at most this much may be lost
SLACK = 0.3  # xdotool's round trip and reading the clocks around it
PHASES = ("starting", "tracked", "switched")
DEFAULT_SEED = 20261127


@dataclass
class Round:
    number: int
    phase: str
    wait: float  # the random delay drawn for the kill, seconds
    focused: float  # seconds the tracked window was in front while the tracker ran
    counted: float  # seconds the database gained in this round
    integrity: str
    overlaps: int

    @property
    def lost(self) -> float:
        return self.focused - self.counted

    @property
    def ok(self) -> bool:
        return (self.integrity == "ok" and self.overlaps == 0
                and -SLACK <= self.lost <= INTERVAL + SLACK)

    def line(self) -> str:
        return (f"round {self.number:2d} {self.phase:<8} kill after {self.wait:4.2f} s: "
                f"in front {self.focused:5.2f} s, stored {self.counted:5.2f} s, "
                f"lost {self.lost:+5.2f} s, integrity {self.integrity}, "
                f"overlaps {self.overlaps}{'' if self.ok else '  <-- FAILED'}")


def read_db(db: Path) -> tuple[list[tuple[int, int]], str]:
    """(start_ms, end_ms) of every interval, by start, and the integrity check's answer; read
    only, so the file stays as the kill left it for the next round."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute("SELECT start_ms, end_ms FROM intervals ORDER BY start_ms, id"
                            ).fetchall()
        check = "; ".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()
    return [(int(s), int(e)) for s, e in rows], check


def _overlaps(rows: list[tuple[int, int]]) -> int:
    return sum(1 for (_, end), (start, _) in itertools.pairwise(rows) if start < end)


def start_tracker(xs: XSession, data: Path, err: Path) -> Tracker:
    """The tracker with INTERVAL samples, spawned now and not waited for."""
    return Tracker(xs, data, "--interval", f"{INTERVAL:g}", "--idle-after", "30", err=err,
                   wait=False)


def run_rounds(xs: XSession, data: Path, rounds: int, seed: int,
               say: Callable[[str], None] = print) -> list[Round]:
    """`rounds` kills; returns what each one left. `data` must already track APP."""
    rng = random.Random(seed)
    db = data / DB
    err = data.parent / "kill-rounds-stderr.txt"
    tracked = xs.spawn(APP, "KoboldCpp console")
    other = xs.spawn("notes", "Notes")
    done: list[Round] = []
    with ActivePerson(xs):  # real input all along: idle never builds up between rounds
        for number in range(1, rounds + 1):
            phase = rng.choices(PHASES, weights=(2, 5, 3))[0]
            before_rows, _ = read_db(db)
            before = sum(e - s for s, e in before_rows) / 1000
            if phase == "starting":
                xs.activate(tracked)
                wait = rng.uniform(0.0, 1.5)
                tracker = start_tracker(xs, data, err)
                time.sleep(max(0.0, wait - (time.monotonic() - tracker.spawned)))
                killed_wall = tracker.kill()
                rows, check = read_db(db)
                new = rows[len(before_rows):] if rows[:len(before_rows)] == before_rows \
                    else [r for r in rows if r not in before_rows]
                focused = killed_wall - new[0][0] / 1000 if new else 0.0
            else:
                xs.activate(other)
                tracker = start_tracker(xs, data, err)
                tracker.wait_started(step=0.02)
                front = xs.activate(tracked)
                if phase == "tracked":
                    wait = rng.uniform(0.1, 4.0)
                    time.sleep(wait)
                    killed = time.monotonic()
                    tracker.kill()
                    focused = killed - front
                else:
                    shown = rng.uniform(0.3, 2.5)
                    wait = rng.uniform(0.0, 1.5)
                    time.sleep(shown)
                    away = xs.activate(other)
                    time.sleep(wait)
                    tracker.kill()
                    focused = away - front
                rows, check = read_db(db)
            counted = sum(e - s for s, e in rows) / 1000 - before
            result = Round(number, phase, wait, focused, counted, check, _overlaps(rows))
            say(result.line())
            done.append(result)
    return done


def summary(rounds: list[Round]) -> str:
    lost = sorted(r.lost for r in rounds)
    bad = [r.number for r in rounds if not r.ok]
    return (f"{len(rounds)} kills: integrity ok {sum(r.integrity == 'ok' for r in rounds)}/"
            f"{len(rounds)}, overlaps {sum(r.overlaps for r in rounds)}, lost per kill "
            f"median {lost[len(lost) // 2]:.2f} s, max {lost[-1]:.2f} s (allowed "
            f"{INTERVAL:g} s + {SLACK:g} s); failed rounds: {bad or 'none'}")
