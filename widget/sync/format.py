"""The device file: what one computer puts in the shared folder, as bytes, and back.

A device writes one file per UTC month of its history, `driftcheck-<device id>-<YYYY-MM>.dcsync`,
and only it writes them: a month that is over does not change again, so the sync tool carries
the current month alone (a few tens of KiB), not years of history every minute. Every file is
self-contained (the device's name, apps, goals and shared settings are in each), so any one of
them read alone is whole.

A file is one readable line, then a payload of exactly `size` bytes:

    {"driftcheck-sync":1,"device":"<id>","month":"2026-12","seal":null,"size":N}\\n
    payload = gzip(body)                       when not sealed
            = nonce || AES-256-GCM(gzip(body)) when sealed: "seal" then holds the scrypt
              parameters, the salt and a key check value (`crypto.key_check`, which tells a
              wrong passphrase from changed bytes); the readable line is the AEAD's associated
              data, so it cannot be changed either

The body is JSON lines, each a list whose first item names the record:

    ["device", id, name, month, written_at_ms, utc_offset_s, version, write_id, retired]
    ["shares", goals, settings, checkins]     which optional sections are in the file
    ["app", key, name]
    ["iv", app_index, start_delta_ms, duration_ms, "f" | "a"]
    ["goal", kind, app, limit_seconds, quiet_start, quiet_end]
    ["setting", key, value]
    ["checkin", asked_ms, answered_ms, answer, note, week_seconds]
    ["end", records, sha256]

An interval's start is the milliseconds after the previous interval's start (the first one's
after the month's start), which packs a dense month to about 7 bytes an interval. `end` is
last: how many records came before it and the SHA-256 of every line before it. A file is
taken whole or not at all: nothing is returned before the payload's size, the gzip check
(CRC-32 and length), the trailer's count and hash (and, sealed, the AEAD tag) all agree, and
the readable line's device and month equal the body's; so a file caught half synced, cut at
any byte or with a bit flipped is refused (`DeviceFileDamaged`, or `DeviceFileNewer` should a
flip turn the format number into a higher one), never partial data. One hash over the whole
body rather than one per line: a per-line hash would add ~16 bytes that do not compress to
every interval (~100 KiB a month for a dense user) and buy nothing when nothing is taken
before the trailer is checked.

Never in a file: a window title (there is no field that could hold one), a match rule, a note
unless the person chose to share check-ins with notes.

`format` is an integer. A reader refuses a file of a newer format with `DeviceFileNewer`
(never a guess at what it means) and reads every older one it knows (`_READERS`).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import re
import secrets
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from widget.core.checkin import ANSWERS, MAX_NOTE_LENGTH, Checkin
from widget.core.goals import Goal, GoalKind, check_goal
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, Measure
from widget.core.rules import has_unsafe_characters
from widget.errors import DriftcheckError, InvalidGoal
from widget.owner_only import write_owner_only
from widget.sync.crypto import (
    NONCE_BYTES,
    TAG_BYTES,
    KdfParams,
    KeyRing,
    SealBroken,
    SealParamsRefused,
    key_check,
    seal,
    unseal,
)
from widget.sync.merge import History
from widget.sync.view import DeviceHeader, MonthCopy

__all__ = ["DeviceHeader"]  # defined in widget.sync.view (the tray reads it without this)

FORMAT = 1  # widget.sync.view.FORMAT, which DeviceHeader defaults to
MAGIC = "driftcheck-sync"
FILE_PREFIX = "driftcheck-"
FILE_SUFFIX = ".dcsync"
# The temporary file a device writes before the rename: Syncthing neither sends nor reads a
# name that starts with ".syncthing." and ends with ".tmp" (its own temporaries), and other
# tools skip dot files ending in .tmp; our reader skips it too (widget.sync.folder).
TEMP_PREFIX = ".syncthing.driftcheck-"
TEMP_SUFFIX = ".tmp"

DEVICE_ID = re.compile(r"[0-9a-f]{32}")
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")

# What a reader takes from a folder others' tools write into: far above any real month, far
# below what could hurt this computer.
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
# A month of a switch every five seconds around the clock, and far more apps than anyone
# tracks: what a file planted in the folder can make a reader hold is bounded by these.
MAX_RECORDS = 600_000
MAX_APPS = 1000
MAX_TEXT = 200  # an app's key or name, a device's name, a setting's key
MAX_LINE = 64 * 1024 + MAX_NOTE_LENGTH * 6
_MAX_SPAN_MS = int(MAX_SPAN.total_seconds() * 1000)
_MAX_OFFSET_S = 18 * 3600
_MEASURES = {Measure.FOREGROUND: "f", Measure.APPROXIMATE: "a"}
_MEASURE_OF = {code: measure for measure, code in _MEASURES.items()}


class DeviceFileProblem(DriftcheckError):
    """A device file that cannot be taken as it is. `device_id` is the id its name or readable
    line gives (None when not even that could be read); the folder says the sentence with the
    device's name."""

    def __init__(self, message: str, device_id: str | None = None) -> None:
        super().__init__(message)
        self.device_id = device_id


class DeviceFileDamaged(DeviceFileProblem):
    """Incomplete, changed, or not a device file: a copy caught half way, truncated, a bit
    flipped. Nothing of it is used."""


class DeviceFileNewer(DeviceFileProblem):
    """Written by a newer driftcheck in a format this one does not know; never misread."""


class DeviceFileLocked(DeviceFileProblem):
    """Sealed with a passphrase, and none is set on this computer."""


class WrongPassphrase(DeviceFileProblem):
    """Sealed with a passphrase other than this computer's."""


@dataclass(frozen=True, slots=True)
class DeviceFile:
    """Everything in one device file. None for a section means "not shared", not "none"."""

    header: DeviceHeader
    apps: Mapping[str, str]  # key -> name, of every app the intervals name (and others)
    intervals: tuple[Interval, ...]  # sorted by start; each starts in header.month (UTC)
    goals: tuple[Goal, ...] | None = None
    settings: Mapping[str, object] | None = None
    checkins: tuple[Checkin, ...] | None = field(default=None)


@dataclass(frozen=True, slots=True)
class FileName:
    """What a name in the shared folder says: whose file, which month, and whether it is a
    sync tool's conflict copy (Syncthing's `name.sync-conflict-<date>-<time>-<by>.dcsync`, a
    conflict of a conflict copy repeating the middle part)."""

    device_id: str
    month: str
    conflict: bool


_NAME = re.compile(rf"{re.escape(FILE_PREFIX)}(?P<id>[0-9a-f]{{32}})-(?P<month>\d{{4}}-\d{{2}})"
                   rf"(?P<conflict>(?:\.sync-conflict-[0-9A-Za-z-]+)+)?{re.escape(FILE_SUFFIX)}")


def new_device_id() -> str:
    return secrets.token_hex(16)


def new_write_id() -> str:
    return secrets.token_hex(8)


def file_name(device_id: str, month: str) -> str:
    return f"{FILE_PREFIX}{device_id}-{month}{FILE_SUFFIX}"


def parse_name(name: str) -> FileName | None:
    """The device file `name` stands for, or None for any other name (temporaries included:
    they never end in FILE_SUFFIX)."""
    found = _NAME.fullmatch(name)
    if found is None or MONTH.fullmatch(found["month"]) is None:
        return None
    return FileName(found["id"], found["month"], found["conflict"] is not None)


def month_of(at: datetime) -> str:
    """The UTC month of an aware instant, "2026-12"."""
    at = at.astimezone(UTC)
    return f"{at.year:04d}-{at.month:02d}"


def month_window(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a UTC month written "2026-12"."""
    found = MONTH.fullmatch(month)
    if found is None:
        raise ValueError(f"{month!r} is not a month like 2026-12")
    year, number = int(found[1]), int(found[2])
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def split_by_month(intervals: Iterable[Interval]) -> dict[str, list[Interval]]:
    """Intervals grouped by the UTC month they start in, each group sorted by start."""
    months: dict[str, list[Interval]] = {}
    for interval in intervals:
        months.setdefault(month_of(interval.start), []).append(interval)
    for group in months.values():
        group.sort(key=lambda iv: (iv.start, iv.end))
    return months


# --- writing ---------------------------------------------------------------------------------


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // _MS


def _at(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _line(record: list[Any] | dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8") + b"\n"


def _records(file: DeviceFile) -> Iterator[list[Any]]:
    h = file.header
    yield ["device", h.device_id, h.name, h.month, _ms(h.written_at), h.utc_offset_s, h.version,
           h.write_id, h.retired]
    yield ["shares", file.goals is not None, file.settings is not None, file.checkins is not None]
    index: dict[str, int] = {}
    for key, name in file.apps.items():
        index[key] = len(index)
        yield ["app", key, name]
    previous = _ms(month_window(h.month)[0])
    for iv in sorted(file.intervals, key=lambda iv: (iv.start, iv.end)):
        start, end = _ms(iv.start), _ms(iv.end)
        yield ["iv", index[iv.app], start - previous, end - start, _MEASURES[iv.measure]]
        previous = start
    for goal in file.goals or ():
        yield ["goal", goal.kind.value, goal.app, goal.limit_seconds, goal.quiet_start,
               goal.quiet_end]
    for key, value in (file.settings or {}).items():
        yield ["setting", key, value]
    for c in file.checkins or ():
        yield ["checkin", _ms(c.asked), None if c.answered is None else _ms(c.answered),
               c.answer, c.note, c.week_seconds]


def encode(file: DeviceFile, keys: KeyRing | None = None, kdf: KdfParams | None = None
           ) -> bytes:
    """The bytes of `file`, sealed with `keys` under `kdf` when both are given.

    ValueError when the file breaks the format's own rules (an interval outside its month or
    of an app it does not name, a name with control characters): what is written can always
    be read back.
    """
    if (keys is None) != (kdf is None):
        raise ValueError("sealing needs both the key ring and the key's parameters")
    body = _body(file)
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    if keys is None or kdf is None:
        return _readable(file, None, len(packed)) + packed
    key = keys.key(kdf)
    seal_json = {"aead": "AES-256-GCM", **kdf.to_json(), "check": key_check(key)}
    readable = _readable(file, seal_json, NONCE_BYTES + len(packed) + TAG_BYTES)
    nonce, sealed = seal(key, packed, readable)
    return readable + nonce + sealed


def _readable(file: DeviceFile, seal_json: dict[str, object] | None, size: int) -> bytes:
    return _line({MAGIC: FORMAT, "device": file.header.device_id, "month": file.header.month,
                  "seal": seal_json, "size": size})


def _body(file: DeviceFile) -> bytes:
    digest = hashlib.sha256()
    body = bytearray()
    count = 0
    try:
        for record in _records(file):
            line = _line(record)
            digest.update(line)
            body += line
            count += 1
    except KeyError as missing:
        raise ValueError(f"an interval of an app the file does not name: {missing}") from None
    body += _line(["end", count, digest.hexdigest()])
    try:  # the same checks a reader makes, before a byte leaves
        decode_body(bytes(body))
    except DeviceFileDamaged as damaged:
        raise ValueError(f"this file would not read back: {damaged}") from None
    return bytes(body)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` whole: a temporary file in the same folder (a name sync tools
    leave alone), owner-only (0600), flushed to disk, renamed over `path`, and the folder
    flushed so the rename itself survives a power cut. OSError when that cannot be done;
    `path` is then as it was."""
    write_owner_only(path, data, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        fd = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # Windows: no descriptor of a folder; the rename stands anyway
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (network ones) refuse to flush a folder: the rename stands
    finally:
        os.close(fd)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Readable:
    """The readable first line of a file: what can be known without the passphrase."""

    format: int
    device_id: str
    month: str
    kdf: KdfParams | None
    check: str | None  # the sealing key's check value (crypto.key_check)
    size: int  # the payload's length in bytes
    line: bytes


def read_readable(data: bytes) -> Readable:
    """The readable line of a file's bytes; DeviceFileNewer for a newer format,
    DeviceFileDamaged for anything that is not such a line."""
    end = data.find(b"\n", 0, 4096)
    if end < 0:
        raise DeviceFileDamaged("the file ends before its first line does")
    line = data[:end + 1]
    try:
        raw = json.loads(line)
    except ValueError:
        raise DeviceFileDamaged("the first line is not what driftcheck writes") from None
    if not isinstance(raw, dict) or type(raw.get(MAGIC)) is not int:
        raise DeviceFileDamaged("the first line is not what driftcheck writes")
    device_id = raw.get("device")
    ident = device_id if isinstance(device_id, str) and DEVICE_ID.fullmatch(device_id) else None
    if raw[MAGIC] > FORMAT:
        raise DeviceFileNewer(f"written in format {raw[MAGIC]}, newer than this driftcheck's "
                              f"{FORMAT}", ident)
    if raw[MAGIC] not in _READERS or ident is None:
        raise DeviceFileDamaged("the first line is not what driftcheck writes", ident)
    month = raw.get("month")
    if not isinstance(month, str) or MONTH.fullmatch(month) is None:
        raise DeviceFileDamaged("the first line names no month", ident)
    size = raw.get("size")
    if type(size) is not int or size < 0:
        raise DeviceFileDamaged("the first line gives no size", ident)
    seal_json = raw.get("seal")
    kdf = check = None
    if seal_json is not None:
        if not isinstance(seal_json, dict) or seal_json.get("aead") != "AES-256-GCM" \
                or not isinstance(seal_json.get("check"), str):
            raise DeviceFileDamaged("sealed in a way driftcheck does not know", ident)
        try:
            kdf = KdfParams.from_json(seal_json)
        except SealParamsRefused as refused:
            raise DeviceFileDamaged(str(refused), ident) from None
        check = seal_json["check"]
    return Readable(raw[MAGIC], ident, month, kdf, check, size, line)


def decode(data: bytes, keys: KeyRing | None = None) -> DeviceFile:
    """The file in `data`, whole and checked, or one of the DeviceFileProblem errors; never
    part of a file, never another exception."""
    if len(data) > MAX_FILE_BYTES:
        raise DeviceFileDamaged("the file is larger than any device file")
    readable = read_readable(data)
    payload = data[len(readable.line):]
    if len(payload) != readable.size:
        raise DeviceFileDamaged("it is not as long as its first line says (cut short?)",
                                readable.device_id)
    if readable.kdf is not None:
        if keys is None:
            raise DeviceFileLocked("sealed with a passphrase", readable.device_id)
        key = keys.key(readable.kdf)
        if not hmac.compare_digest(key_check(key), readable.check or ""):
            raise WrongPassphrase("the passphrase does not open it", readable.device_id)
        nonce, sealed = payload[:NONCE_BYTES], payload[NONCE_BYTES:]
        try:
            payload = unseal(key, nonce, sealed, readable.line)
        except SealBroken:
            raise DeviceFileDamaged("its sealed part was changed or is incomplete",
                                    readable.device_id) from None
    body = _gunzip(payload, readable.device_id)
    try:
        file = _READERS[readable.format](body)
    except DeviceFileDamaged as damaged:
        raise DeviceFileDamaged(str(damaged), readable.device_id) from None
    if (file.header.device_id, file.header.month) != (readable.device_id, readable.month):
        raise DeviceFileDamaged("its first line and its contents name different devices",
                                readable.device_id)
    return file


def _gunzip(payload: bytes, device_id: str) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    try:
        body = inflater.decompress(payload, MAX_BODY_BYTES + 1)
    except zlib.error:
        raise DeviceFileDamaged("its compressed part is damaged", device_id) from None
    if len(body) > MAX_BODY_BYTES:
        raise DeviceFileDamaged("it unpacks to more than any device file", device_id)
    if not inflater.eof:
        raise DeviceFileDamaged("it ends before its last byte (cut short)", device_id)
    if inflater.unused_data:
        raise DeviceFileDamaged("it has bytes after its end", device_id)
    return body


class _Bad(Exception):
    """A record that breaks the format; becomes DeviceFileDamaged with the reason."""


def decode_body(body: bytes) -> DeviceFile:
    """Format 1's body, checked record by record after the trailer: DeviceFileDamaged for any
    break of the rules."""
    try:
        return _decode_v1(body)
    except _Bad as bad:
        raise DeviceFileDamaged(str(bad)) from None
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as error:
        raise DeviceFileDamaged(f"a record of the wrong shape ({type(error).__name__})") from None


def _decode_v1(body: bytes) -> DeviceFile:
    if not body.endswith(b"\n"):
        raise _Bad("it ends in the middle of a line")
    last = body.rfind(b"\n", 0, len(body) - 1) + 1
    end = json.loads(body[last:])
    if not (isinstance(end, list) and len(end) == 3 and end[0] == "end"):
        raise _Bad("it ends before its last record")
    digest = hashlib.sha256(body[:last])
    if end[2] != digest.hexdigest():
        raise _Bad("its contents do not match their checksum")
    if not _int(end[1]) or end[1] > MAX_RECORDS:
        raise _Bad("more records than any month holds")
    lines = body[:last].split(b"\n")[:-1]
    if end[1] != len(lines):
        raise _Bad("it holds another number of records than its trailer says")
    if not lines:
        raise _Bad("it has no records")
    records = iter(lines)
    header = _header(json.loads(next(records)))
    shares = json.loads(next(records, b"null"))
    if not (isinstance(shares, list) and len(shares) == 4 and shares[0] == "shares"
            and all(type(flag) is bool for flag in shares[1:])):
        raise _Bad("its second record is not what it shares")
    apps: dict[str, str] = {}
    keys: list[str] = []
    intervals: list[Interval] = []
    goals: list[Goal] = []
    settings: dict[str, object] = {}
    checkins: list[Checkin] = []
    month_start, month_end = (_ms(at) for at in month_window(header.month))
    previous = month_start
    for line in records:
        if len(line) > MAX_LINE:
            raise _Bad("a line longer than any record")
        record = json.loads(line)
        if not isinstance(record, list) or not record:
            raise _Bad("a record of the wrong shape")
        kind, rest = record[0], record[1:]
        if kind == "iv":
            index, delta, duration, measure = rest
            if not (_int(index) and 0 <= index < len(keys) and _int(delta) and delta >= 0
                    and _int(duration) and 0 <= duration <= _MAX_SPAN_MS):
                raise _Bad("an interval of the wrong shape")
            start = previous + delta
            if not month_start <= start < month_end:
                raise _Bad("an interval outside the file's month")
            intervals.append(Interval(keys[index], _at(start), _at(start + duration),
                                      _MEASURE_OF[measure]))
            previous = start
        elif kind == "app":
            key, name = rest
            _text(key, "an app's key")
            _text(name, "an app's name")
            if key in apps or len(apps) >= MAX_APPS:
                raise _Bad("an app named twice, or more apps than anyone tracks")
            apps[key] = name
            keys.append(key)
        elif kind == "goal" and shares[1]:
            goals.append(_goal(rest))
        elif kind == "setting" and shares[2]:
            key, value = rest
            _text(key, "a setting's key")
            settings[key] = value
        elif kind == "checkin" and shares[3]:
            checkins.append(_checkin(rest))
        else:
            raise _Bad(f"a record driftcheck does not know here ({str(kind)[:20]!r})")
    return DeviceFile(header, apps, tuple(intervals),
                      tuple(goals) if shares[1] else None,
                      settings if shares[2] else None,
                      tuple(checkins) if shares[3] else None)


def _int(value: object) -> bool:
    return type(value) is int


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT \
            or has_unsafe_characters(value):
        raise _Bad(f"{what} that is not a short line of text")
    return value


def _header(record: object) -> DeviceHeader:
    if not isinstance(record, list) or len(record) != 9 or record[0] != "device":
        raise _Bad("its first record is not the device's")
    _, device_id, name, month, written_ms, offset, version, write_id, retired = record
    if not (isinstance(device_id, str) and DEVICE_ID.fullmatch(device_id)):
        raise _Bad("a device id of the wrong shape")
    _text(name, "a device's name")
    _text(version, "a version")
    _text(write_id, "a write id")
    if not (isinstance(month, str) and MONTH.fullmatch(month) and _int(written_ms)
            and _int(offset) and abs(offset) <= _MAX_OFFSET_S and type(retired) is bool):
        raise _Bad("a device record of the wrong shape")
    return DeviceHeader(device_id, name, month, _at(written_ms), offset, write_id, version,
                        retired)


def _optional_int(value: object) -> int | None:
    if value is None or _int(value):
        return value  # type: ignore[return-value]
    raise _Bad("a number of the wrong kind")


def _goal(rest: list[Any]) -> Goal:
    kind, app, limit, quiet_start, quiet_end = rest
    if app is not None:
        _text(app, "a goal's app")
    try:
        return check_goal(Goal(GoalKind(kind), app, _optional_int(limit),
                               _optional_int(quiet_start), _optional_int(quiet_end)))
    except InvalidGoal:
        raise _Bad("a goal driftcheck would not keep") from None


def _checkin(rest: list[Any]) -> Checkin:
    asked, answered, answer, note, week_seconds = rest
    answer = _optional_int(answer)
    if not _int(asked) or (answer is not None and answer not in ANSWERS):
        raise _Bad("a check-in of the wrong shape")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH
                             or "\x00" in note):
        raise _Bad("a check-in's note that cannot be kept")
    answered_ms = _optional_int(answered)
    return Checkin(_at(asked), None if answered_ms is None else _at(answered_ms), answer, note,
                   _optional_int(week_seconds))


_READERS = {1: decode_body}


def month_copy(data: bytes, keys: KeyRing | None) -> MonthCopy:
    """The month in a file's bytes, as this computer keeps it; DeviceFileProblem as
    `decode`."""
    file = decode(data, keys)
    try:
        history = History.of(file.intervals)
    except ValueError:  # the format's own limits keep a month inside what a History holds
        raise DeviceFileDamaged("more than a month holds", file.header.device_id) from None
    return MonthCopy(file.header, file.apps, history, file.goals, file.settings, file.checkins,
                     read_readable(data).kdf is not None)
