"""Every setting driftcheck keeps, declared once: its key, its type, its default, what it is
for, and whether it travels with an export.

A setting is read through its declaration (`value_of`), which gives its type: a stored value
that is missing, null or not one driftcheck would use reads as the default, so no caller
repeats a default or checks a type. Keys are lowercase words joined by `_`, with a section
before a dot where several settings belong together (`checkin.time`); `first_run_done` and
`watch_first_since` keep the names earlier versions stored and exported.

The ranged numbers the tracker reads (`sample_interval`, ...) are declared here too, with
their ranges in `widget.core.options.SPECS` (which `driftcheck settings` shows and checks).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

from widget.core.goals import parse_time_of_day
from widget.core.options import SPECS, check_option, instant_from_setting, instant_to_setting
from widget.errors import DriftcheckError

T = TypeVar("T")

KEY_STYLE = re.compile(r"[a-z]+(?:_[a-z]+)*(?:\.[a-z]+(?:_[a-z]+)*)?\Z")
_WEEK = re.compile(r"\d{4}-W\d{2}\Z")

# Whether a setting travels with an export (widget.core.portable): a preference does; a
# device's own setting stays, and an import that replaces everything keeps it; bookkeeping
# stays, with the reason given where it is declared.
PREFERENCE = "preference"
DEVICE = "device"


def _same(value: Any) -> object:
    return value


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One setting: `read` turns a stored (JSON) value into its type, raising ValueError or
    TypeError for one driftcheck would not use; `write` turns a value back into JSON."""

    key: str
    default: T
    help: str
    read: Callable[[object], T]
    write: Callable[[Any], object] = _same  # given a value of T, never None
    travels: str = "bookkeeping"  # PREFERENCE, DEVICE, or why it stays behind

    def usable(self, raw: object) -> bool:
        """Whether `raw` is a stored value driftcheck would use (not the default instead)."""
        try:
            self.read(raw)
        except (TypeError, ValueError, DriftcheckError):
            return False
        return True


def value_of(values: Mapping[str, object], setting: Setting[T]) -> T:
    """The value of `setting` among stored `values`: its default (a copy) when missing, null
    or unusable."""
    raw = values.get(setting.key)
    if raw is not None:
        try:
            return setting.read(raw)
        except (TypeError, ValueError, DriftcheckError):
            pass
    return copy.deepcopy(setting.default)


def stored(setting: Setting[T], value: T) -> object:
    """`value` as the store keeps it (None clears the setting)."""
    return None if value is None else setting.write(value)


class SettingsWriter(Protocol):
    """What writing a setting needs of a store (`widget.store.api` has the whole contract)."""

    def set_setting(self, key: str, value: object) -> None: ...


class SettingsStore(SettingsWriter, Protocol):
    """What reading and writing settings needs of a store (both stores have it)."""

    def get_setting(self, key: str) -> object | None: ...


def get(store: SettingsStore, setting: Setting[T]) -> T:
    """The value of `setting` in `store`, typed."""
    return value_of({setting.key: store.get_setting(setting.key)}, setting)


def put(store: SettingsWriter, setting: Setting[T], value: T) -> None:
    store.set_setting(setting.key, stored(setting, value))


# --- readers ------------------------------------------------------------------------------


def _bool(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise TypeError("not a bool")
    return raw


def _whole(low: int, high: int) -> Callable[[object], int]:
    def read(raw: object) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise ValueError("not a whole number in range")
        return raw

    return read


def _one_of(*choices: str) -> Callable[[object], str]:
    def read(raw: object) -> str:
        if raw not in choices:
            raise ValueError("not one of the choices")
        return str(raw)

    return read


def _text(raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError("not a text")
    return raw


def _clock(raw: object) -> str:
    """A time of day as 'HH:MM'."""
    text = _text(raw)
    if not re.fullmatch(r"\d\d:\d\d", text):
        raise ValueError("not HH:MM")
    parse_time_of_day(text)
    return text


def instant(raw: object) -> datetime:
    """An aware UTC instant from its ISO string (one without a zone is taken as UTC)."""
    moment = instant_from_setting(_text(raw))
    if moment is None:
        raise ValueError("not an instant")
    return moment


write_instant = instant_to_setting


def _day(raw: object) -> date:
    return date.fromisoformat(_text(raw))


def _week(raw: object) -> str:
    if not _WEEK.match(_text(raw)):
        raise ValueError("not an ISO week")
    return str(raw)


def _texts(raw: object) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise TypeError("not a list of texts")
    return list(raw)


def _instants(raw: object) -> dict[str, datetime]:
    """Alert ids and until when each waits; an entry that cannot be read is left out."""
    if not isinstance(raw, dict):
        raise TypeError("not a mapping")
    found: dict[str, datetime] = {}
    for key, value in raw.items():
        try:
            found[str(key)] = instant(value)
        except (TypeError, ValueError):
            continue
    return found


def _write_instants(values: dict[str, datetime]) -> dict[str, str]:
    return {key: write_instant(moment) for key, moment in values.items()}


def _option(key: str) -> Callable[[object], float]:
    def read(raw: object) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise TypeError("not a number")
        return check_option(key, raw)

    return read


# --- the settings -------------------------------------------------------------------------

SAMPLE_INTERVAL = Setting("sample_interval", float(SPECS["sample_interval"].default),
                          SPECS["sample_interval"].help, _option("sample_interval"),
                          travels=PREFERENCE)
IDLE_AFTER = Setting("idle_after", float(SPECS["idle_after"].default), SPECS["idle_after"].help,
                     _option("idle_after"), travels=PREFERENCE)
DAY_START_HOUR = Setting("day_start_hour", float(SPECS["day_start_hour"].default),
                         SPECS["day_start_hour"].help, _option("day_start_hour"),
                         travels=PREFERENCE)
NEAR_SHARE = Setting("near_share", float(SPECS["near_share"].default), SPECS["near_share"].help,
                     _option("near_share"), travels=PREFERENCE)

DISCREET = Setting("discreet", True, "notifications name no app", _bool, travels=PREFERENCE)
START_AT_LOGIN = Setting("start_at_login", False, "driftcheck starts when the person logs in",
                         _bool, travels=DEVICE)

CHECKIN_RHYTHM = Setting("checkin.rhythm", "weekly", "how often the self-check is asked",
                         _one_of("weekly", "daily", "after_long_session", "off"),
                         travels=PREFERENCE)
CHECKIN_WEEKDAY = Setting("checkin.weekday", 6, "the day of a weekly check-in (0 = Monday)",
                          _whole(0, 6), travels=PREFERENCE)
CHECKIN_TIME = Setting("checkin.time", "19:00", "the local time of day of the check-in", _clock,
                       travels=PREFERENCE)
CHECKIN_REFLECTIONS = Setting("checkin.reflections", True,
                              "offer one of the article's other reflections", _bool,
                              travels=PREFERENCE)
CHECKIN_ON_DRIFT = Setting("checkin.on_drift", True,
                           "ask once in a week when the drift signal stands", _bool,
                           travels=PREFERENCE)
CHECKIN_NOT_BEFORE: Setting[datetime | None] = Setting(
    "checkin.not_before", None, "'Not now' or 'Skip this week' moved the check-in here",
    instant, write_instant, travels="a 'Not now' or 'Skip this week' in flight")
CHECKIN_LAST_ASKED: Setting[datetime | None] = Setting(
    "checkin.last_asked", None, "the last check-in the person settled", instant, write_instant,
    travels="import derives it again from the check-ins")
CHECKIN_DRIFT_WEEK: Setting[str | None] = Setting(
    "checkin.drift_week", None, "the ISO week whose drift check-in was offered", _week,
    travels="bookkeeping of one week's extra check-in")

ALERTS_FIRED: Setting[list[str]] = Setting(
    "alerts.fired", [], "ids of the notifications already shown (widget.core.alerts)", _texts,
    travels="bookkeeping of notifications already shown")
ALERTS_SNOOZED: Setting[dict[str, datetime]] = Setting(
    "alerts.snoozed", {}, "notification id -> until when it waits", _instants, _write_instants,
    travels="snoozes in flight")
ALERTS_QUIET_UNTIL: Setting[datetime | None] = Setting(
    "alerts.quiet_until", None, "'No notifications today' in Settings, until then", instant,
    write_instant, travels="a 'No notifications today' in flight")

SUMMARY_WEEKLY = Setting("summary.weekly", True,
                         "a calm line about last week, once, when a week has ended", _bool,
                         travels=PREFERENCE)
SUMMARY_SAID_WEEK: Setting[str | None] = Setting(
    "summary.said_week", None, "the ISO week whose summary was said", _week,
    travels="bookkeeping of weekly summaries already shown")

WATCH_FIRST_SINCE: Setting[date | None] = Setting(
    "watch_first_since", None, "the day 'Watch for a week first' began", _day, date.isoformat,
    travels="a first-run step in flight")
WATCH_SUGGESTED = Setting("watch.suggested", False,
                          "goals were suggested once the week of watching was over", _bool,
                          travels="a first-run step in flight")

TRACKER_PAUSED_UNTIL: Setting[datetime | None] = Setting(
    "tracker.paused_until", None, "a pause the person chose, until then", instant,
    write_instant, travels="a pause in flight")
TRACKER_MODE: Setting[str | None] = Setting(
    "tracker.mode", None, "how the last tracker measured: 'foreground' or 'approximate'",
    _one_of("foreground", "approximate"), travels="belongs to the tracker that ran here")
TRACKER_PROBE: Setting[str | None] = Setting(
    "tracker.probe", None, "the probe the last tracker used", _text,
    travels="belongs to the tracker that ran here")

UI_WINDOW_GEOMETRY: Setting[str | None] = Setting(
    "ui.window_geometry", None, "base64 of the small window's QWidget.saveGeometry()", _text,
    travels=DEVICE)
UI_NO_TRAY_TOLD = Setting("ui.no_tray_told", False, "the no-tray explanation was shown once",
                          _bool, travels=DEVICE)
UI_WHERE_TOLD = Setting("ui.where_told", False,
                        "after the first run, where driftcheck lives was said once", _bool,
                        travels=DEVICE)
WELCOME_DEFERRED = Setting("welcome.deferred", False,
                           "'Not now' on a first run with no apps: the welcome once more", _bool,
                           travels="a first-run step in flight")
FIRST_RUN_DONE = Setting("first_run_done", False, "the first run's welcome was answered", _bool,
                         travels="import sets it: whoever brings history has been through the "
                                 "first run")

# One mirror across the person's computers (issue 16, `driftcheck devices`). This computer's
# name and whether its files are sealed live in `sync-identity.json` (widget.sync.folder), the
# passphrase in `sync-passphrase` beside it (owner-only), never here: the settings table is
# exported and shown by `driftcheck settings`.
SYNC_ON = Setting("sync.on", False, "this computer shares its time through a shared folder",
                  _bool, travels=DEVICE)
SYNC_FOLDER: Setting[str | None] = Setting(
    "sync.folder", None, "the folder the person's own sync tool keeps in step", _text,
    travels=DEVICE)
SYNC_SHARE_GOALS = Setting("sync.share_goals", False,
                           "this computer's goals and settings go into its shared file",
                           _bool, travels=DEVICE)
SYNC_SHARE_NOTES = Setting("sync.share_notes", False,
                           "check-ins' notes go into this computer's shared file", _bool,
                           travels=DEVICE)

SETTINGS: Mapping[str, Setting[Any]] = {s.key: s for s in (
    SAMPLE_INTERVAL, IDLE_AFTER, DAY_START_HOUR, NEAR_SHARE, DISCREET, START_AT_LOGIN,
    CHECKIN_RHYTHM, CHECKIN_WEEKDAY, CHECKIN_TIME, CHECKIN_REFLECTIONS, CHECKIN_ON_DRIFT,
    CHECKIN_NOT_BEFORE, CHECKIN_LAST_ASKED, CHECKIN_DRIFT_WEEK, ALERTS_FIRED, ALERTS_SNOOZED,
    ALERTS_QUIET_UNTIL, SUMMARY_WEEKLY, SUMMARY_SAID_WEEK, WATCH_FIRST_SINCE, WATCH_SUGGESTED,
    TRACKER_PAUSED_UNTIL, TRACKER_MODE, TRACKER_PROBE, UI_WINDOW_GEOMETRY, UI_NO_TRAY_TOLD,
    UI_WHERE_TOLD, WELCOME_DEFERRED, FIRST_RUN_DONE, SYNC_ON, SYNC_FOLDER, SYNC_SHARE_GOALS,
    SYNC_SHARE_NOTES,
)}
