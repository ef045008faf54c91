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
    MAX_RULES,
    MAX_RULES_PER_APP,
    MAX_WEEK_SECONDS,
    PREFERENCES,
    ROW_LIMITS,
    SECTIONS,
    AppRecord,
    CheckinRecord,
    GoalRecord,
    IntervalColumns,
    IntervalRecord,
    OverlapWatch,
    Snapshot,
    check_snapshot,
    iso_to_ms,
    refused,
    time_of_day,
    too_many,
    usable_setting,
)
from widget.errors import ImportRefused

ROW_SECTIONS = ("apps", "intervals", "goals", "checkins")


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
    collector = Collector()
    if not isinstance(document, dict):
        raise collector.not_an_export()
    for key, value in document.items():
        collector.field(key, value)
    return collector.finish()


class Collector:
    """A snapshot built from an export's fields and rows as they come, each checked at once.

    Rows are counted as they arrive and refused at the first past `ROW_LIMITS` (and
    `MAX_RULES` for the rules of every app together); intervals are kept as columns and
    checked for overlaps as they come. The header may come in any order, before or after the
    rows (a JSON file whose keys a tool sorted); what needs all of it is checked in `finish`.
    """

    def __init__(self) -> None:
        self._fields: dict[str, object] = {}
        self._counts = dict.fromkeys(ROW_SECTIONS, 0)
        self._rules = 0
        self._apps: list[AppRecord] = []
        self._intervals = IntervalColumns()
        self._watch = OverlapWatch()
        self._goals: list[GoalRecord] = []
        self._checkins: list[CheckinRecord] = []
        self._noted: int | None = None  # the first check-in with a 'note' field

    def not_an_export(self) -> ImportRefused:
        try:
            check_format(None)
        except ImportRefused as error:
            return error
        raise AssertionError("check_format(None) refuses")  # pragma: no cover

    def field(self, key: str, value: object) -> None:
        """A top-level field: a header field, the settings, or a whole section's rows."""
        if key not in (*HEADER, *SECTIONS):
            raise refused("the export has a field driftcheck does not know")
        if key in ROW_SECTIONS and isinstance(value, list):
            self.section(key)
            for item in value:
                self.row(key, item)
            return
        self._fields[key] = value
        if key in ("format", "version") and "format" in self._fields:
            check_format({k: self._fields.get(k) for k in ("format", "version")}
                         if "version" in self._fields else
                         {"format": self._fields["format"], "version": FORMAT_VERSION})

    def section(self, key: str) -> None:
        """A section's rows begin (given one by one to `row`)."""
        self._fields[key] = []

    def row(self, section: str, item: object) -> None:
        n = self._counts[section] = self._counts[section] + 1
        if n > ROW_LIMITS[section]:
            raise too_many("check-ins" if section == "checkins" else section,
                           ROW_LIMITS[section])
        if section == "apps":
            app = _app(item, n)
            self._rules += len(app.rules)
            if self._rules > MAX_RULES:
                raise too_many("rules", MAX_RULES)
            self._apps.append(app)
        elif section == "intervals":
            interval = _interval(item, n)
            overlap = self._watch.see(n, interval)
            if overlap is not None:
                raise refused(overlap.sentence())
            self._intervals.append(interval)
        elif section == "goals":
            self._goals.append(_goal(item, n))
        else:
            notes = self._fields.get("notes_included")
            if notes is False or notes is True:
                self._checkins.append(_checkin(item, n, notes))
                return
            if self._noted is None and isinstance(item, dict) and "note" in item:
                self._noted = n
            self._checkins.append(_checkin(item, n, True))

    def finish(self) -> Snapshot:
        """The snapshot, once the header and the rules across sections are checked."""
        header = check_header(self._fields)
        notes = header.flag("notes_included")
        if not notes and self._noted is not None:
            raise refused(f"check-in {self._noted} carries a note though the export says "
                          "notes are left out")
        for name in ROW_SECTIONS:
            header.rows(name)  # a section given as something else than a list
        settings = header.data["settings"]
        if not isinstance(settings, dict):
            raise refused("the settings of the export are not an object with named fields")
        self._intervals.apart_checked = self._watch.in_order
        snapshot = Snapshot(tuple(self._apps), self._intervals, tuple(self._goals),
                            tuple(self._checkins), _settings(settings), notes)
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
