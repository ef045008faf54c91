"""The other computers' histories as the sync child (`widget.sync.child`) leaves them for the
tray app: one binary file per month of each other computer and one small index of the read,
under the data folder's `sync-cache/`, owner-only, each written to a temporary name and renamed.

Why: decoding the shared folder's files (gzip, JSON lines, SHA-256, with a passphrase scrypt and
AES through `cryptography`) leaves megabytes in a long-running process that glibc does not give
back, and `cryptography` and hashlib's OpenSSL stay loaded. The child does that work and exits;
the tray loads these files with `array.frombytes` (no per-interval object, no JSON of
intervals, no gzip, no hashlib), and only the months a read reaches (`LazyHistory`): the
resting tray holds this week's months, not years.

A month file, `<device id>-<YYYY-MM>-<crc>.dchist` (the crc of its contents in its name: a
file never changes once written, so a read that began with one view never meets another's
bytes):

    b"DCHIST1\\n", then little-endian: base_ms (i64), count (u32), keys' length (u32);
    the apps' keys, UTF-8, one per line; starts (u32 x count); lengths (u32 x count);
    apps (u16 x count); and the CRC-32 of everything before it (u32).

The index, `view.dcindex`: the read as JSON (what `FolderView` says, each month's header,
apps, shared sections and file, and the child's memo of the folder's files it read), then a
line with its CRC-32. A file cut short or changed is refused whole (`CacheDamaged`): the tray
keeps the read it has.

What the files hold is in the clear, as the database beside them holds this computer's time
and `sync-passphrase` beside them holds the passphrase: owner-only files in the owner-only data
folder. The copies of the folder's sealed files stay sealed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import struct
import sys
import threading
import zlib
from array import array
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from widget.core.checkin import Checkin
from widget.core.goals import Goal, GoalKind
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval
from widget.errors import DriftcheckError
from widget.sync.merge import History
from widget.sync.view import DeviceHeader, DeviceView, FolderView, MonthCopy

if TYPE_CHECKING:
    from widget.sync.covered import Memo, Window, Worked

MAGIC = b"DCHIST1\n"
HISTORY_SUFFIX = ".dchist"
INDEX_NAME = "view.dcindex"
CACHE_DIR = "sync-cache"  # widget.paths.SYNC_CACHE_NAME
INDEX_FORMAT = 1
TEMP_PREFIX = ".driftcheck-sync-"  # widget.paths.SYNC_TEMP_PREFIX: `wipe` knows it
_HEAD = struct.Struct("<qII")
_CRC = struct.Struct("<I")
_LITTLE = sys.byteorder == "little"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_SPAN_MS = MAX_SPAN // _MS

log = logging.getLogger(__name__)


_KEPT_NAME = re.compile(rf"[0-9a-f]{{32}}-\d{{4}}-\d{{2}}-[0-9a-f]{{8}}{re.escape(HISTORY_SUFFIX)}")


def is_kept_name(name: str) -> bool:
    """Whether `name` under sync-cache/ is one of the files this module writes there (for
    `driftcheck wipe`, which removes only names driftcheck gives)."""
    return name == INDEX_NAME or _KEPT_NAME.fullmatch(name) is not None


class CacheDamaged(DriftcheckError):
    """A file under sync-cache/ that is cut short, changed or not ours: not used."""


def _at(ms: int) -> datetime:
    return _EPOCH + ms * _MS


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // _MS


# --- one month ----------------------------------------------------------------------------


def _le(values: array[int]) -> bytes:
    if _LITTLE:
        return values.tobytes()
    swapped = array(values.typecode, values)
    swapped.byteswap()
    return swapped.tobytes()


def history_bytes(history: History) -> bytes:
    """A History's file contents (every interval, exactly)."""
    keys = "\n".join(history.keys).encode("utf-8")
    body = b"".join((MAGIC, _HEAD.pack(history.base_ms, len(history), len(keys)), keys,
                     _le(history.starts), _le(history.lengths), _le(history.apps)))
    return body + _CRC.pack(zlib.crc32(body))


def history_from_bytes(data: bytes) -> History:
    """The History of a month file's bytes; CacheDamaged unless they are whole."""
    fixed = len(MAGIC) + _HEAD.size
    if len(data) < fixed + _CRC.size or not data.startswith(MAGIC):
        raise CacheDamaged("not a kept month")
    if _CRC.unpack_from(data, len(data) - _CRC.size)[0] != zlib.crc32(
            memoryview(data)[:len(data) - _CRC.size]):
        raise CacheDamaged("a kept month changed or cut short")
    base_ms, count, keys_length = _HEAD.unpack_from(data, len(MAGIC))
    if len(data) != fixed + keys_length + count * 10 + _CRC.size:
        raise CacheDamaged("a kept month of the wrong length")
    at = fixed + keys_length
    keys = tuple(data[fixed:at].decode("utf-8").split("\n")) if keys_length else ()
    arrays = []
    for typecode, size in (("I", 4), ("I", 4), ("H", 2)):
        values = array(typecode)
        values.frombytes(data[at:at + count * size])
        if not _LITTLE:
            values.byteswap()
        arrays.append(values)
        at += count * size
    starts, lengths, apps = arrays
    if any(app & 0x7FFF >= len(keys) for app in set(apps)):
        raise CacheDamaged("a kept month naming an app it does not hold")
    return History(base_ms, starts, lengths, apps, keys)


def history_name(device_id: str, month: str, data: bytes) -> str:
    """The name of a month file with the contents `data` (`history_bytes`): its own CRC-32,
    the file's last four bytes, is in the name."""
    crc = _CRC.unpack_from(data, len(data) - _CRC.size)[0]
    return f"{device_id}-{month}-{crc:08x}{HISTORY_SUFFIX}"


def month_mark(history: History) -> tuple[int, int, int]:
    """(its first start, its latest end, the CRC-32 of its contents) in ms: a kept month's
    from its index and file name, without reading it (`widget.sync.covered`)."""
    if isinstance(history, LazyHistory):
        return history.mark
    data = history_bytes(history)
    return (*_bounds(history), _CRC.unpack_from(data, len(data) - _CRC.size)[0])


class LazyHistory(History):
    """A kept month read from its file when a read first reaches it (`span_of` and
    `overlapping` of a window outside its bounds never do), then kept by this object: a new
    read of the folder brings new objects, so a month an old week's dashboard loaded is let
    go at the next read. The same interface as `History`; safe from any thread."""

    __slots__ = ("_base", "_count", "_hi", "_lo", "_loaded", "_lock", "_path")
    _path: Path
    _count: int
    _base: int
    _lo: int
    _hi: int
    _loaded: History | None
    _lock: threading.Lock

    def __init__(self, path: Path, count: int, base_ms: int, lo_ms: int, hi_ms: int) -> None:
        # the dataclass's own fields are not set: the properties below stand for them
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_count", count)
        object.__setattr__(self, "_base", base_ms)
        object.__setattr__(self, "_lo", lo_ms)  # the first interval's start
        object.__setattr__(self, "_hi", hi_ms)  # no earlier than the latest end (`_bounds`)
        object.__setattr__(self, "_loaded", None)
        object.__setattr__(self, "_lock", threading.Lock())

    @property
    def mark(self) -> tuple[int, int, int]:
        """`month_mark`: its contents' CRC-32 is in its file's name (`history_name`)."""
        return self._lo, self._hi, int(self._path.name[-len(HISTORY_SUFFIX) - 8:
                                                       -len(HISTORY_SUFFIX)], 16)

    def _history(self) -> History:
        loaded: History | None = self._loaded
        if loaded is None:
            with self._lock:
                loaded = self._loaded
                if loaded is None:
                    loaded = self._read()
                    object.__setattr__(self, "_loaded", loaded)
        return loaded

    def _read(self) -> History:
        """The month from its file; should the file be gone or damaged under this read (the
        sync child removes only files neither of its last two reads names, so only someone
        else could), no month rather than an error in whatever screen reads: said in the log
        by kind, and the next read of the folder brings the month again."""
        try:
            loaded = _read_history(self._path)
            if len(loaded) != self._count or loaded.base_ms != self._base:
                raise CacheDamaged("a kept month is not the one the read named")
            return loaded
        except CacheDamaged as error:
            log.warning("a kept month of another computer could not be read (%s); it is "
                        "left out until the next sync", error, extra={"event": "sync-failed"})
            if self._path.is_file():  # damaged: gone, so the next sync child writes it again
                with contextlib.suppress(OSError):
                    self._path.unlink()
            object.__setattr__(self, "_count", 0)
            return History.of(())

    @property
    def is_loaded(self) -> bool:
        return self._loaded is not None

    @property
    def base_ms(self) -> int:
        return self._base

    @property
    def starts(self) -> array[int]:
        return self._history().starts

    @property
    def lengths(self) -> array[int]:
        return self._history().lengths

    @property
    def apps(self) -> array[int]:
        return self._history().apps

    @property
    def keys(self) -> tuple[str, ...]:
        return self._history().keys

    def __len__(self) -> int:
        return self._count

    def span_of(self, start_ms: int, end_ms: int) -> tuple[int, int]:
        # History.span_of: the intervals starting in [start - MAX_SPAN, end)
        if self._count == 0 or end_ms <= self._lo or start_ms - _MAX_SPAN_MS > self._hi:
            return 0, 0
        return self._history().span_of(start_ms, end_ms)

    def first_start_ms(self) -> int:
        return self._lo  # from the index: the month is not read for it

    def interval(self, i: int) -> Interval:
        return self._history().interval(i)

    def all(self) -> list[Interval]:
        return self._history().all()

    def overlapping(self, start: datetime, end: datetime) -> list[Interval]:
        if self._count == 0 or _ms(end) <= self._lo or _ms(start) >= self._hi:
            return []
        return self._history().overlapping(start, end)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"LazyHistory({self._path.name}, {self._count} intervals)"


def _read_history(path: Path) -> History:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise CacheDamaged(f"a kept month could not be read ({type(error).__name__})") from None
    return history_from_bytes(data)


# --- the read, for the tray -----------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    from widget.owner_only import write_owner_only

    write_owner_only(path, data, prefix=TEMP_PREFIX)


def _ms_or_none(at: datetime | None) -> int | None:
    return None if at is None else _ms(at)


def _at_or_none(ms: int | None) -> datetime | None:
    return None if ms is None else _at(ms)


def _month_json(copy: MonthCopy, digest: str, history: dict[str, int | str]) -> dict[str, Any]:
    h = copy.header
    return {"header": [h.device_id, h.name, h.month, _ms(h.written_at), h.utc_offset_s,
                       h.write_id, h.version, h.retired, h.format],
            "apps": list(copy.apps.items()),
            "goals": None if copy.goals is None else [
                [g.kind.value, g.app, g.limit_seconds, g.quiet_start, g.quiet_end]
                for g in copy.goals],
            "settings": None if copy.settings is None else dict(copy.settings),
            "checkins": None if copy.checkins is None else [
                [_ms(c.asked), _ms_or_none(c.answered), c.answer, c.note, c.week_seconds]
                for c in copy.checkins],
            "sealed": copy.sealed, "digest": digest, "history": history}


def _bounds(history: History) -> tuple[int, int]:
    """(its first start, the last start plus its longest length): every interval lies
    inside, found without adding up each one (the last start plus the longest length is no
    earlier than the latest end)."""
    if not len(history):
        return 0, 0
    base, starts, lengths = history.base_ms, history.starts, history.lengths
    return base + starts[0], base + starts[-1] + max(lengths)


def write_view(cache: Path, view: FolderView, digests: Mapping[tuple[str, str], str],
               memo: Mapping[str, object], covered: Memo | None = None) -> None:
    """Leave `view` for the tray under `cache` (the sync child's last step): each month's
    file unless one with its contents is there, then the index, then the month files that
    neither this read nor the one before names are removed (the tray may still be reading
    the one before's). `digests` are the kept copies' SHA-256s ((device, month) -> hex);
    `memo` is kept in the index for the next child, and `covered` (all computers' totals
    worked out ahead, `widget.sync.covered`; the view's own when None) for every reader.
    OSError when the index cannot be written."""
    from widget.sync.covered import memo_json

    cache.mkdir(mode=0o700, exist_ok=True)
    before: set[str] | None = None  # None: the read before is not known, so nothing goes
    with contextlib.suppress(CacheDamaged):
        before = set(_named_files(_read_index(cache)))
    devices = []
    named: set[str] = set()
    for device in view.devices:
        files = []
        for month, copy in sorted(device.files.items()):
            data = history_bytes(copy.history)
            name = history_name(device.device_id, month, data)
            if not (cache / name).is_file():
                _write_private(cache / name, data)
            named.add(name)
            lo, hi = _bounds(copy.history)
            files.append([month, _month_json(copy, digests.get((device.device_id, month), ""),
                                             {"file": name, "count": len(copy.history),
                                              "base": copy.history.base_ms, "lo": lo,
                                              "hi": hi})])
        devices.append({"id": device.device_id, "name": device.name, "is_self": device.is_self,
                        "retired": device.retired,
                        "last_written": _ms_or_none(device.last_written),
                        "stale_since": _ms_or_none(device.stale_since),
                        "skew_ms": None if device.skew is None else device.skew // _MS,
                        "problems": list(device.problems), "files": files})
    index = {"format": INDEX_FORMAT, "folder": str(view.folder), "read_at": _ms(view.read_at),
             "this_name": view.this_name, "devices": devices,
             "unavailable_since": _ms_or_none(view.unavailable_since), "clash": view.clash,
             "notes": list(view.notes), "memo": dict(memo),
             "covered": memo_json(view.covered if covered is None else covered)}
    text = json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    _write_private(cache / INDEX_NAME, text + f"\n{zlib.crc32(text):08x}\n".encode("ascii"))
    if before is None:  # the tray may hold a read whose months are not loaded yet
        return
    for entry in os.scandir(cache):
        if entry.name.endswith(HISTORY_SUFFIX) and entry.name not in named \
                and entry.name not in before:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _named_files(index: Mapping[str, Any]) -> Iterable[str]:
    for device in index["devices"]:
        for _month, month in device["files"]:
            yield month["history"]["file"]


def _read_index(cache: Path) -> dict[str, Any]:
    try:
        with open(cache / INDEX_NAME, "rb") as file:
            data = file.read()
    except OSError:
        raise CacheDamaged("no read kept yet") from None
    text, _, tail = data.rstrip(b"\n").rpartition(b"\n")
    try:
        if int(tail, 16) != zlib.crc32(text):
            raise CacheDamaged("the kept read changed or cut short")
        index = json.loads(text)
    except ValueError:
        raise CacheDamaged("the kept read changed or cut short") from None
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
        raise CacheDamaged("a kept read of another format")
    return index


def covered_of(index: Mapping[str, Any]) -> dict[Window, Worked]:
    """The totals worked out ahead that a kept read holds (`widget.sync.covered`)."""
    from widget.sync.covered import memo_from_json

    return memo_from_json(index.get("covered"))


def read_memo(cache: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the index, its memo) for the sync child; CacheDamaged when there is none whole."""
    index = _read_index(cache)
    return index, dict(index.get("memo") or {})


def month_copy(month: Mapping[str, Any], history: History) -> MonthCopy:
    """A kept month of the index, with `history`."""
    device_id, name, month_name, written, offset, write_id, version, retired, fmt = \
        month["header"]
    header = DeviceHeader(device_id, name, month_name, _at(written), offset, write_id, version,
                          retired, fmt)
    goals = None if month["goals"] is None else tuple(
        Goal(GoalKind(kind), app, limit, start, end)
        for kind, app, limit, start, end in month["goals"])
    checkins = None if month["checkins"] is None else tuple(
        Checkin(_at(asked), _at_or_none(answered), answer, note, week)
        for asked, answered, answer, note, week in month["checkins"])
    return MonthCopy(header, {key: value for key, value in month["apps"]}, history, goals,
                     month["settings"], checkins, bool(month["sealed"]))


def lazy_history(cache: Path, month: Mapping[str, Any]) -> LazyHistory:
    kept = month["history"]
    return LazyHistory(cache / kept["file"], int(kept["count"]), int(kept["base"]),
                       int(kept["lo"]), int(kept["hi"]))


def load_view(cache: Path) -> FolderView:
    """The read the sync child left under `cache`, its months not loaded until a read reaches
    them; CacheDamaged when the index is not whole (the caller keeps the read it has)."""
    index = _read_index(cache)
    try:
        devices = []
        for device in index["devices"]:
            files = {month_name: month_copy(month, lazy_history(cache, month))
                     for month_name, month in device["files"]}
            skew = device["skew_ms"]
            devices.append(DeviceView(
                device["id"], device["name"], bool(device["is_self"]), bool(device["retired"]),
                _at_or_none(device["last_written"]), files, _at_or_none(device["stale_since"]),
                None if skew is None else skew * _MS, tuple(device["problems"])))
        return FolderView(Path(index["folder"]), _at(index["read_at"]), index["this_name"],
                          tuple(devices), _at_or_none(index["unavailable_since"]),
                          index["clash"], tuple(index["notes"]), covered_of(index))
    except (KeyError, TypeError, ValueError) as error:
        raise CacheDamaged(f"a kept read of the wrong shape ({type(error).__name__})") from None
