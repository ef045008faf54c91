"""What every way into the database shares, without SQLAlchemy: time and measure encodings,
connection pragmas, the schema version, and rows back into core dataclasses."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from widget.core.checkin import Checkin, KeptCheckin
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval, Measure, Rule, RuleKind, TrackedApp
from widget.errors import StoreError

SCHEMA_VERSION = 3  # the newest step of migrations.MIGRATIONS (a test keeps them equal)
PAGE_SIZE = 1024
BUSY_TIMEOUT_MS = 5000

MEASURE_FOREGROUND = 0
MEASURE_APPROXIMATE = 1
MEASURE_TO_DB: Mapping[Measure, int] = {
    Measure.FOREGROUND: MEASURE_FOREGROUND,
    Measure.APPROXIMATE: MEASURE_APPROXIMATE,
}
MEASURE_FROM_DB: Mapping[int, Measure] = {v: k for k, v in MEASURE_TO_DB.items()}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Each interval's part inside a window mixed into one number for the window's mark
# (`window_marks`): summed, it changes when any part is moved, cut or grown, also by edits
# whose starts, ends or lengths add up as before (the product is not linear in them), and when
# a part's app changes (times its app's row id plus one). In 64-bit integers: both factors stay
# below the modulus, about 2**31, and their product's rest times an app's id below 2**62.
MARK_MODULUS = 2_147_483_629


def mark_mix(start_ms: int, end_ms: int, app_id: int) -> int:
    """One part's number in a window's mark (what SQLite sums in `window_marks`)."""
    return (start_ms % MARK_MODULUS) * (end_ms % MARK_MODULUS) % MARK_MODULUS * (app_id + 1)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch for an aware datetime, rounded half up."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the store takes aware datetimes only")
    micros = (moment - _EPOCH) // timedelta(microseconds=1)
    return (micros + 500) // 1000


def from_ms(ms: int) -> datetime:
    """The aware UTC datetime of `to_ms`'s milliseconds."""
    return _EPOCH + timedelta(milliseconds=ms)


CACHE_KIB = 256


def apply_pragmas(connection: sqlite3.Connection) -> None:
    """WAL, NORMAL sync, foreign keys, a busy timeout and a small page cache on every
    connection; 1 KiB pages on a brand-new file (small pages keep the per-sample rewrite of
    one row to ~1 KiB of WAL)."""
    cursor = connection.cursor()
    try:
        (pages,) = cursor.execute("PRAGMA page_count").fetchone()
        if pages == 0:
            # Only a brand-new file can take a page size; WAL mode fixes it after that.
            cursor.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # A 256 KiB page cache, not SQLite's 2 MB: the tray app keeps its connection for
        # days, and a long history fills the cache once the dashboard or the drift check has
        # read it (1.1 MB more resident, measured). The system's file cache holds the pages
        # anyway; bench_dashboard.py's figures did not move.
        cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    finally:
        cursor.close()


def apps_from_rows(apps: Iterable[tuple[int, str, str, str, object]],
                   rules: Iterable[tuple[int, str, str]]) -> list[TrackedApp]:
    """TrackedApps from (id, key, name, source, any_window_titles) rows, in their order, and
    (app_id, kind, pattern) rule rows."""
    by_app: dict[int, list[Rule]] = {}
    for app_id, kind, pattern in rules:
        by_app.setdefault(app_id, []).append(Rule(RuleKind(kind), pattern))
    return [TrackedApp(key=key, name=name, rules=tuple(by_app.get(app_id, ())),
                       any_window_titles=bool(any_titles), source=source)
            for app_id, key, name, source, any_titles in apps]


def goals_from_rows(rows: Iterable[tuple[str | None, str, int | None, int | None, int | None]]
                    ) -> list[Goal]:
    """Goals from (app key or None, kind, limit_seconds, quiet_start, quiet_end) rows."""
    return [Goal(GoalKind(kind), key, limit, start, end) for key, kind, limit, start, end in rows]


def intervals_from_rows(rows: Iterable[tuple[str, int, int, int]]) -> list[Interval]:
    """Intervals from (app key, start_ms, end_ms, measure) rows."""
    return [Interval(app=key, start=from_ms(s), end=from_ms(e), measure=MEASURE_FROM_DB[m])
            for key, s, e, m in rows]


def checkin_values(checkin: Checkin) -> dict[str, object]:
    """A check-in as the checkins table's column values."""
    return {"asked_ms": to_ms(checkin.asked),
            "answered_ms": None if checkin.answered is None else to_ms(checkin.answered),
            "answer": checkin.answer, "note": checkin.note,
            "week_seconds": checkin.week_seconds}


def kept_checkin(row: Sequence[Any]) -> KeptCheckin:
    """A row (id, asked_ms, answered_ms, answer, note, week_seconds) of the checkins table."""
    checkin_id, asked, answered, answer, note, week_seconds = row
    return KeptCheckin(int(checkin_id),
                       Checkin(from_ms(asked), None if answered is None else from_ms(answered),
                               answer, note, week_seconds))


def span_ms(span: timedelta) -> int:
    return (span // timedelta(microseconds=1) + 500) // 1000


def encode_setting(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def decode_setting(key: str, raw: str) -> object:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise StoreError(f"The setting {key!r} in the database is not readable.") from error
