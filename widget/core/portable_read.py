"""Reading an untrusted export document: every field checked and converted, or refused.

`snapshot_from_document` checks the header first (a document that is not an export, and one
of a newer format version, each get a sentence of their own), then each row's fields by type
and range, then the rules across sections (`check_snapshot`). Its messages name positions
("interval 12"), never values from the file: a pattern may have been copied from a window
title and a note is private.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from widget.core.goals import Goal, GoalKind, parse_time_of_day
from widget.core.model import Measure, Rule, RuleKind
from widget.core.portable import (
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER,
    MAX_KEY_LENGTH,
    MAX_NOTE_LENGTH,
    MAX_ROWS,
    MAX_RULES_PER_APP,
    MAX_WEEK_SECONDS,
    PREFERENCES,
    SECTIONS,
    AppRecord,
    CheckinRecord,
    GoalRecord,
    ImportRefused,
    IntervalRecord,
    Snapshot,
    check_snapshot,
    iso_to_ms,
    refused,
    time_of_day,
    usable_setting,
)


class _Fields:
    """Typed reads of one object of the document; each failure is one refusal naming `where`."""

    def __init__(self, value: object, where: str, required: Sequence[str],
                 optional: Sequence[str] = ()) -> None:
        if not isinstance(value, dict):
            raise refused(f"{where} is not an object with named fields")
        missing = [name for name in required if name not in value]
        if missing:
            raise refused(f"{where} has no '{missing[0]}'")
        if any(name not in required and name not in optional for name in value):
            raise refused(f"{where} has a field driftcheck does not know")
        self.data: dict[str, object] = value
        self.where = where

    def text(self, name: str, max_length: int) -> str:
        value = self.maybe_text(name, max_length)
        if value is None:
            raise refused(f"the '{name}' of {self.where} is empty or not a text")
        return value

    def maybe_text(self, name: str, max_length: int) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise refused(f"the '{name}' of {self.where} is empty or not a text")
        if len(value) > max_length:
            raise refused(f"the '{name}' of {self.where} is longer than {max_length} characters")
        if "\x00" in value or not _encodable(value):
            raise refused(f"the '{name}' of {self.where} holds characters that cannot be stored")
        return value

    def whole(self, name: str, low: int, high: int, optional: bool = False) -> int | None:
        value = self.data.get(name)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise refused(f"the '{name}' of {self.where} is not a whole number")
        if not low <= value <= high:
            raise refused(f"the '{name}' of {self.where} is outside {low}-{high}")
        return value

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        if not isinstance(value, bool):
            raise refused(f"the '{name}' of {self.where} is not true or false")
        return value

    def time(self, name: str) -> int:
        value = self.maybe_time(name)
        if value is None:
            raise refused(f"the '{name}' of {self.where} is not a UTC time between 1970 and "
                          "2999 (like 2026-03-01T19:04:05.000000Z)")
        return value

    def maybe_time(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        ms = iso_to_ms(value) if isinstance(value, str) else None
        if ms is None:
            raise refused(f"the '{name}' of {self.where} is not a UTC time between 1970 and "
                          "2999 (like 2026-03-01T19:04:05.000000Z)")
        return ms

    def choice(self, name: str, choices: Callable[[str], object]) -> str:
        value = self.data.get(name)
        try:
            if isinstance(value, str):
                choices(value)
                return value
        except ValueError:
            pass
        raise refused(f"the '{name}' of {self.where} is not one driftcheck knows")

    def rows(self, name: str) -> list[object]:
        value = self.data.get(name)
        if not isinstance(value, list):
            raise refused(f"the '{name}' of {self.where} is not a list")
        if len(value) > MAX_ROWS:
            raise refused(f"the '{name}' of {self.where} has more than {MAX_ROWS:,} entries")
        return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_format(document: object) -> None:
    """Refuse, each with a sentence of its own, a document that is not an export and one of a
    newer or unknown format version."""
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ImportRefused("Nothing was imported, because this file is not a driftcheck "
                            "export (it does not say \"format\": \"driftcheck-export\").")
    version = document.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ImportRefused(f"This export was made by a newer driftcheck (export format "
                            f"{version}); nothing was imported, and an update of driftcheck "
                            "will bring it in.")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise refused("the export's format version is not one driftcheck knows")


def check_header(document: object) -> _Fields:
    """The document's header read and checked, its sections present."""
    check_format(document)
    header = _Fields(document, "the export", (*HEADER, *SECTIONS))
    header.whole("schema_version", 1, 1_000_000)
    header.time("exported_at")
    header.flag("notes_included")
    return header


def snapshot_from_document(document: object) -> Snapshot:
    """Every field of an untrusted document checked and converted; ImportRefused otherwise."""
    header = check_header(document)
    notes = header.flag("notes_included")
    apps = tuple(_app(item, n) for n, item in enumerate(header.rows("apps"), 1))
    intervals = tuple(_interval(item, n) for n, item in enumerate(header.rows("intervals"), 1))
    goals = tuple(_goal(item, n) for n, item in enumerate(header.rows("goals"), 1))
    checkins = tuple(_checkin(item, n, notes)
                     for n, item in enumerate(header.rows("checkins"), 1))
    settings = header.data["settings"]
    if not isinstance(settings, dict):
        raise refused("the settings of the export are not an object with named fields")
    snapshot = Snapshot(apps, intervals, goals, checkins, _settings(settings), notes)
    check_snapshot(snapshot)
    return snapshot


def _app(item: object, n: int) -> AppRecord:
    f = _Fields(item, f"app {n}", ("id", "name", "source", "any_window_titles", "added_at",
                                    "removed_at", "rules"))
    rules = f.rows("rules")
    if len(rules) > MAX_RULES_PER_APP:
        raise refused(f"app {n} has more than {MAX_RULES_PER_APP} rules")
    parsed = []
    for m, rule in enumerate(rules, 1):
        r = _Fields(rule, f"rule {m} of app {n}", ("kind", "pattern"))
        parsed.append(Rule(RuleKind(r.choice("kind", RuleKind)), r.text("pattern", 1000)))
    return AppRecord(key=f.text("id", MAX_KEY_LENGTH), name=f.text("name", 1000),
                     source=f.choice("source", _source),
                     any_window_titles=f.flag("any_window_titles"),
                     added_ms=f.time("added_at"), removed_ms=f.maybe_time("removed_at"),
                     rules=tuple(parsed))


def _source(value: str) -> str:
    if value not in ("catalog", "custom"):
        raise ValueError(value)
    return value


def _interval(item: object, n: int) -> IntervalRecord:
    f = _Fields(item, f"interval {n}", ("app", "start", "end", "measure"))
    return IntervalRecord(app=f.text("app", MAX_KEY_LENGTH), start_ms=f.time("start"),
                          end_ms=f.time("end"), measure=Measure(f.choice("measure", Measure)))


def _goal(item: object, n: int) -> GoalRecord:
    f = _Fields(item, f"goal {n}", ("kind", "app", "limit_seconds", "quiet_start",
                                     "quiet_end", "created_at"))
    quiet: list[int | None] = []
    for name in ("quiet_start", "quiet_end"):
        text = f.maybe_text(name, 5)
        if text is not None and not time_of_day(text):
            raise refused(f"the '{name}' of goal {n} is not a time of day like 23:00")
        quiet.append(None if text is None else parse_time_of_day(text))
    goal = Goal(GoalKind(f.choice("kind", GoalKind)), f.maybe_text("app", MAX_KEY_LENGTH),
                f.whole("limit_seconds", 0, 2**31, optional=True), quiet[0], quiet[1])
    return GoalRecord(goal, f.time("created_at"))


def _checkin(item: object, n: int, notes: bool) -> CheckinRecord:
    if not notes and isinstance(item, dict) and "note" in item:
        raise refused(f"check-in {n} carries a note though the export says notes are left out")
    f = _Fields(item, f"check-in {n}", ("asked_at", "answered_at", "answer", "week_seconds"),
                ("note",) if notes else ())
    return CheckinRecord(asked_ms=f.time("asked_at"), answered_ms=f.maybe_time("answered_at"),
                         answer=f.whole("answer", 0, 5, optional=True),
                         note=f.maybe_text("note", MAX_NOTE_LENGTH),
                         week_seconds=f.whole("week_seconds", 0, MAX_WEEK_SECONDS,
                                              optional=True))


def _settings(data: dict[str, object]) -> dict[str, object]:
    settings: dict[str, object] = {}
    for key, value in data.items():
        if key not in PREFERENCES:
            raise refused("the settings of the export include one driftcheck does not know")
        if value is None:
            continue  # null: the default
        if not usable_setting(key, value):
            raise refused(f"the setting '{key}' in the export has a value driftcheck cannot use")
        settings[key] = value
    return settings
