"""Sharing this computer's time with the person's other computers (issue 16), without Qt: the
one place that decides whether a screen reads all devices (`reader_for`), this computer's
months written (`write_own`), and what a read of the shared folder says (`devices_json`).

The passphrase: given once to `driftcheck devices share --passphrase-file FILE`, it is kept in
the data folder as `sync-passphrase`, owner-only (0600, in the 0700 folder), so the tracker can
seal and read files at every start without asking. What that protects: the files in the
shared folder, wherever the person's sync tool carries them (a cloud provider, a backup, a
stolen disk holding the folder). What it does not: anyone who can read this person's data
folder on this computer can read the passphrase, but they can read the database it protects
anyway, which holds the same time in the clear. It is never in the settings table, an
export, the log or a D-Bus message.

Threads: everything here blocks on files (a folder read decodes new files; building a
`SharedFolder` takes the sync child's kept read, or decodes the cached copies, ~0.75 s per
device with 2 years, when there is none): the commands' own thread, or the tracker's
scheduler thread, never the Qt main thread. The tracker's syncs run in the sync child
(`ChildSyncJob`, `widget.sync.child`), so the tray app never decodes a device file itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from widget.core import settings as S
from widget.core.format import when_said
from widget.core.text import printable
from widget.errors import UsageError
from widget.owner_only import write_owner_only
from widget.paths import SYNC_LOCK_NAME, SYNC_PASSPHRASE_NAME, SYNC_TEMP_PREFIX
from widget.store.api import OwnStoreReader, StoreReader
from widget.sync.merge import History
from widget.sync.reader import MergedReader, shared_checkins
from widget.sync.view import FolderView

if TYPE_CHECKING:
    from widget.sync.covered import Memo, Window, Worked
    from widget.sync.crypto import KeyRing
    from widget.sync.folder import SharedFolder, WriteOutcome

# The shared folder's file format, its reading and sealing (widget.sync.format, .folder,
# .crypto: gzip, hashlib's OpenSSL, `cryptography`) are imported where they are used: the
# tray app and the tracker use this module with their syncs done by the sync child
# (`ChildSyncJob`), and never load them.

log = logging.getLogger(__name__)

SYNC_EVERY_S = 120.0  # how often the tracker writes its file and reads the others'
# Near the start of a UTC month the month before is written too, so its last minutes reach
# the other computers even when the tracker stopped just after midnight UTC.
PREVIOUS_MONTH_FOR = timedelta(days=2)
MAX_PASSPHRASE_BYTES = 4096


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- the passphrase ---------------------------------------------------------------------------


def read_passphrase_file(path: Path) -> str:
    """The passphrase in `path` (its first line, without the line break); UsageError when it
    cannot be one."""
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_PASSPHRASE_BYTES + 1)
    except OSError as error:
        raise UsageError(f"The passphrase file {printable(str(path))} could not be read "
                         f"({printable(error.strerror or str(error))}).") from None
    if len(raw) > MAX_PASSPHRASE_BYTES:
        raise UsageError("The passphrase file is longer than a passphrase can be (4 KB).")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("The passphrase file is not UTF-8 text.") from None
    lines = text.splitlines()
    passphrase = lines[0] if lines else ""
    if not passphrase.strip():
        raise UsageError("The passphrase file is empty; write the passphrase on its first "
                         "line.")
    return passphrase


def save_passphrase(data_dir: Path, passphrase: str) -> None:
    write_owner_only(data_dir / SYNC_PASSPHRASE_NAME, passphrase.encode("utf-8"),
                     prefix=SYNC_TEMP_PREFIX)


def forget_passphrase(data_dir: Path) -> None:
    (data_dir / SYNC_PASSPHRASE_NAME).unlink(missing_ok=True)


def load_keys(data_dir: Path) -> KeyRing | None:
    """The kept passphrase's key ring, or None when none is kept (or it cannot be read)."""
    from widget.sync.crypto import KeyRing

    try:
        text = (data_dir / SYNC_PASSPHRASE_NAME).read_bytes().decode("utf-8")
        return KeyRing(text) if text else None
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def is_syncthing_folder(folder: Path) -> bool:
    """Whether `folder` is inside a Syncthing folder: a `.stfolder` marker in it or a folder
    holding it (Syncthing carries the files between the person's own devices only, encrypted
    on the way, so a passphrase is offered rather than required)."""
    return any((place / ".stfolder").exists() for place in (folder, *folder.parents))


# --- the shared folder as this computer uses it ---------------------------------------------


def sharing_on(settings: Mapping[str, object]) -> bool:
    return S.value_of(settings, S.SYNC_ON) and S.value_of(settings, S.SYNC_FOLDER) is not None


def open_shared(data_dir: Path, settings: Mapping[str, object], tz: tzinfo,
                now: Callable[[], datetime] = _utc_now, known_keys: object = None
                ) -> SharedFolder | None:
    """The shared folder when sharing is on and this computer has an identity, else None.
    Blocks: it loads the kept copies of the other computers' files. `known_keys`: keys an
    earlier process derived from the kept passphrase (`KeyRing.known`; ignored when of
    the wrong shape)."""
    from widget.sync.folder import SharedFolder, load_identity

    folder = S.value_of(settings, S.SYNC_FOLDER)
    if not sharing_on(settings) or folder is None:
        return None
    identity = load_identity(data_dir)
    if identity is None:
        return None
    keys = load_keys(data_dir)
    if keys is not None and isinstance(known_keys, list):
        with contextlib.suppress(ValueError, TypeError):
            keys.add_known(known_keys)
    return SharedFolder(Path(folder), data_dir, identity, keys, now, tz)


def months_to_write(now: datetime) -> list[str]:
    """This UTC month, and the one before during its first days."""
    from widget.sync.format import month_of

    months = [month_of(now)]
    before = month_of(now - PREVIOUS_MONTH_FOR)
    if before != months[0]:
        months.insert(0, before)
    return months


SYNC_LOCK_WAIT_S = 30.0  # at most, for another writer's write to end (a folder that hangs)


@contextlib.contextmanager
def sync_lock(data_dir: Path, wait: float = SYNC_LOCK_WAIT_S) -> Iterator[bool]:
    """One writer of this computer's shared files at a time, across its processes (the sync
    child, Settings' page, the commands): an `flock` on `sync.lock` in the data folder,
    waited for up to `wait` seconds (yields False when it was not had: a writer hangs on the
    folder, which then cannot be written by anyone either). Where there is no flock
    (Windows, unverified) it holds nothing and yields True."""
    if os.name != "posix":
        yield True
        return
    import fcntl
    import time

    fd = os.open(data_dir / SYNC_LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        until = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                had = True
                break
            except BlockingIOError:
                if time.monotonic() >= until:
                    had = False
                    break
                time.sleep(0.05)
        yield had
    finally:
        os.close(fd)  # and the lock with it


def write_own(shared: SharedFolder, store: StoreReader, months: Sequence[str]) -> WriteOutcome:
    """Write this computer's files for `months` from its own store, with the goals, settings
    and check-ins the person chose to share (notes only when chosen). Under `sync_lock`, and
    only while sharing is on as the store says then: turning sharing off (and taking this
    computer's files out) takes the same lock, so no write that began before it lands after."""
    from widget.sync.folder import WriteOutcome

    with sync_lock(shared.data_dir):
        if not sharing_on(store.all_settings()):
            return WriteOutcome()
        return _write_own(shared, store, months)


def _write_own(shared: SharedFolder, store: StoreReader, months: Sequence[str]
               ) -> WriteOutcome:
    from widget.sync.format import month_window

    settings = store.all_settings()
    intervals = {}
    for month in months:
        start, end = month_window(month)
        intervals[month] = [iv for iv in store.intervals_overlapping(start, end)
                            if start <= iv.start < end]
    goals = settings_shared = checkins = None
    if S.value_of(settings, S.SYNC_SHARE_GOALS):
        goals = store.list_goals()
        settings_shared = {key: value for key, value in settings.items()
                           if key in S.SETTINGS and S.SETTINGS[key].travels == S.PREFERENCE}
    if S.value_of(settings, S.SYNC_SHARE_NOTES):
        checkins = store.list_checkins()
    return shared.write(intervals, store.app_names(), goals=goals, settings=settings_shared,
                        checkins=checkins)


def all_months(store: StoreReader, now: datetime) -> list[str]:
    """Every UTC month from the first use until now (what `devices share` writes first)."""
    from widget.sync.format import month_of, month_window

    first = store.first_use()
    if first is None:
        return [month_of(now)]
    months: list[str] = []
    at = datetime(first.astimezone(UTC).year, first.astimezone(UTC).month, 1, tzinfo=UTC)
    while at <= now:
        months.append(month_of(at))
        at = month_window(month_of(at))[1]
    return months


def others_of(view: FolderView) -> dict[str, tuple[History, ...]]:
    return {d.device_id: d.histories() for d in view.devices if not d.is_self}


def names_of(view: FolderView) -> dict[str, str]:
    """The other computers' app names (the newest file's of each)."""
    names: dict[str, str] = {}
    for device in view.devices:
        newest = device.newest
        if newest is not None:
            for key, name in newest.apps.items():
                names.setdefault(key, name)
    return names


@dataclass(frozen=True, slots=True)
class Reading:
    """What a screen reads: `reader` (all devices, or this one), and the folder's read."""

    reader: StoreReader
    view: FolderView | None = None
    own_id: str | None = None
    this_device_only: bool = False


def reader_for(store: OwnStoreReader, data_dir: Path, tz: tzinfo, this_device: bool = False,
               now: Callable[[], datetime] = _utc_now) -> Reading:
    """The one switch: all devices when sharing is on, this computer alone when it is off or
    `this_device` is asked. Blocks on the shared folder (never on the Qt main thread)."""
    settings = store.all_settings()
    if this_device or not sharing_on(settings):
        return Reading(store, this_device_only=this_device)
    shared = open_shared(data_dir, settings, tz, now)
    if shared is None:
        return Reading(store)
    view = shared.read()
    own = shared.identity.device_id
    return Reading(MergedReader(store, others_of(view), own, names_of(view),
                                shared_checkins(view), view.covered), view, own)


def devices_json(reading: Reading, start: datetime, end: datetime) -> list[dict[str, object]]:
    """Each device's own seconds in [start, end), this computer first: what `status --json`
    and `report --json` say under "devices" (empty when not sharing)."""
    reader, view = reading.reader, reading.view
    if view is None or not isinstance(reader, MergedReader):
        return []
    by_device = reader.device_seconds(start, end)
    rows: list[dict[str, object]] = [{
        "id": reading.own_id, "name": view.this_name, "this_device": True,
        "seconds": round(by_device.get(reader.own_id, 0.0), 1),
        "last_written": None, "stale_since": None, "retired": False}]
    for device in view.devices:
        if device.is_self:
            continue
        rows.append({
            "id": device.device_id, "name": device.name, "this_device": False,
            "seconds": round(by_device.get(device.device_id, 0.0), 1),
            "last_written": None if device.last_written is None
            else device.last_written.isoformat(),
            "stale_since": None if device.stale_since is None
            else device.stale_since.isoformat(),
            "retired": device.retired})
    return rows


def sharing_json(reading: Reading) -> dict[str, object] | None:
    """The folder's state beside the devices: None when not sharing."""
    view = reading.view
    if view is None:
        return None
    return {"folder": str(view.folder),
            "unavailable_since": None if view.unavailable_since is None
            else view.unavailable_since.isoformat(),
            "notes": list(view.notes)}


def seen_words(view: FolderView, tz: tzinfo) -> list[str]:
    """One line per other computer: its name, when it last wrote, stale or retired."""
    lines = []
    for device in view.devices:
        if device.is_self:
            continue
        seen = "no file read yet" if device.last_written is None else \
            f"last wrote {when_said(device.last_written, view.read_at, tz)}"
        extra = ""
        if device.retired:
            extra += ", retired (its history stays)"
        if device.stale_since is not None:
            extra += f", not refreshed since {when_said(device.stale_since, view.read_at, tz)}"
        lines.append(f"{device.name}: {seen}{extra}")
    return lines


def stored_sharing(data_dir: Path) -> dict[str, object]:
    """The sharing settings as the database holds them, read without changing it (no store
    opened, nothing created): for `wipe` and `doctor`. Empty when there is no database."""
    import sqlite3

    from widget.paths import DB_NAME
    from widget.store.codec import decode_setting

    database = data_dir / DB_NAME
    if not database.is_file():
        return {}
    keys = (S.SYNC_ON.key, S.SYNC_FOLDER.key, S.SYNC_SHARE_GOALS.key, S.SYNC_SHARE_NOTES.key)
    try:
        with contextlib.closing(sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro",
                                                uri=True, timeout=2)) as db:
            rows = db.execute(f"SELECT key, value FROM settings WHERE key IN "
                              f"({', '.join('?' for _ in keys)})", keys).fetchall()
    except sqlite3.Error:
        return {}
    return {key: decode_setting(key, raw) for key, raw in rows}


def own_shared_files(data_dir: Path) -> list[Path]:
    """This computer's own files in the shared folder it was last set to (conflict copies of
    them included), for `driftcheck wipe`: found by this computer's id, read from the
    identity file, and the folder, read from the database. Nothing of another computer's;
    empty when there is no identity, folder or database to say."""
    from widget.sync.folder import load_identity
    from widget.sync.format import parse_name

    identity = load_identity(data_dir)
    if identity is None:
        return []
    folder = S.value_of(stored_sharing(data_dir), S.SYNC_FOLDER)
    if folder is None:
        return []
    try:
        names = [entry.name for entry in os.scandir(folder)
                 if entry.is_file(follow_symlinks=False)]
    except OSError:
        return []
    found = []
    for name in names:
        parsed = parse_name(name)
        if parsed is not None and parsed.device_id == identity.device_id:
            found.append(Path(folder) / name)
    return sorted(found)


def doctor_devices(data_dir: Path, tz: tzinfo) -> dict[str, object]:
    """What `driftcheck doctor` says of sharing: off, or the folder, each computer and when
    it was last seen, and every sentence of the folder's read."""
    settings = stored_sharing(data_dir)
    if not sharing_on(settings):
        return {"sharing": False}
    shared = open_shared(data_dir, settings, tz)
    if shared is None:
        return {"sharing": True, "folder": S.value_of(settings, S.SYNC_FOLDER),
                "notes": ["Sharing is on but this computer has no identity in the folder; "
                          "`driftcheck devices share FOLDER --name NAME` sets it up again."]}
    view = shared.read()
    return {"sharing": True, "folder": str(view.folder), "this_device": view.this_name,
            "unavailable_since": None if view.unavailable_since is None
            else view.unavailable_since.isoformat(),
            "devices": seen_words(view, tz), "notes": list(view.notes)}


class SyncJob:
    """This computer's file written and the others' read, every `SYNC_EVERY_S` on the
    tracker's scheduler thread and once when it stops: never on the sampler's lock (it reads
    the store through its own short transactions) and never blocking sampling. A folder that
    is missing or refuses is no error for tracking: the read says since when it is stale.
    `on_read` gets each read (the tray refreshes its merged reader from it), with all
    computers' totals worked out ahead as the sync child works them out (kept in this
    process between runs: `widget.sync.covered`)."""

    def __init__(self, store: OwnStoreReader, data_dir: Path, tz: tzinfo,
                 on_read: Callable[[FolderView], None] | None = None,
                 now: Callable[[], datetime] = _utc_now) -> None:
        self._store = store
        self._data_dir = data_dir
        self._tz = tz
        self._on_read = on_read
        self._now = now
        self._shared: SharedFolder | None = None
        self._made_from: tuple[object, ...] = ()
        self._lock = threading.Lock()  # the scheduler's run and the stop's, never both
        self.last_outcome: WriteOutcome | None = None
        self._covered: Memo = {}  # the last run's totals worked out ahead

    def __call__(self) -> None:
        with self._lock:
            try:
                self._run()
            except Exception as error:  # never the tracker's end; said by kind only
                log.warning("sharing with the other computers failed (%s)",
                            type(error).__name__, extra={"event": "sync-failed"})

    def _run(self) -> None:
        from widget.sync.folder import load_identity

        settings = self._store.all_settings()
        if not sharing_on(settings):
            self._shared = None
            return
        identity = load_identity(self._data_dir)
        made_from = (S.value_of(settings, S.SYNC_FOLDER), identity,
                     (self._data_dir / SYNC_PASSPHRASE_NAME).exists())
        if self._shared is None or made_from != self._made_from:
            self._shared = open_shared(self._data_dir, settings, self._tz, self._now)
            self._made_from = made_from
        if self._shared is None:
            return
        outcome = write_own(self._shared, self._store, months_to_write(self._now()))
        self.last_outcome = outcome
        view = self._shared.read()
        from dataclasses import replace

        from widget.core.options import Options
        self._covered = work_out_ahead(self._store, view, self._covered, self._now(),
                                       self._tz,
                                       int(Options.from_settings(settings).day_start_hour))
        view = replace(view, covered=self._covered)
        log.info("shared folder: %d month(s) written, %d other computer(s) read%s",
                 len(outcome.written), len(view.devices),
                 ", not written" if outcome.problem else "",
                 extra={"event": "synced", "written": len(outcome.written),
                        "devices": len(view.devices),
                        "stale": view.unavailable_since is not None})
        if self._on_read is not None:
            self._on_read(view)


def work_out_ahead(store: OwnStoreReader, view: FolderView, held: Memo, now: datetime,
                   tz: tzinfo, day_start_hour: int) -> dict[Window, Worked]:
    """All computers' totals of the complete weeks and recent days (`widget.sync.covered`)
    over `view`'s other computers, those `held` (the last ones worked out) kept where nothing
    they came from changed; none without another computer's time."""
    from widget.sync.covered import memo_windows, work_out
    from widget.sync.reader import MergedReader

    others = others_of(view)
    if not any(len(history) for parts in others.values() for history in parts):
        return {}
    reader = MergedReader(store, others, covered=held)
    try:
        return work_out(reader, memo_windows(reader.first_use(), now, tz, day_start_hour))
    except Exception as error:  # only a speed-up: the read is left without it
        log.warning("the totals were not worked out ahead (%s)", type(error).__name__,
                    extra={"event": "sync-failed"})
        return {}


def tracker_sync_job(store: OwnStoreReader, data_dir: Path,
                     on_read: Callable[[FolderView], None] | None = None
                     ) -> Callable[[], None]:
    """The tracker's sync: in the sync child (`ChildSyncJob`), or in this process
    (`SyncJob`) in a frozen build, whose program has no `-m` to start the child with
    (packaging/launcher.py would have to answer `-m widget.sync.child` first)."""
    import sys

    if getattr(sys, "frozen", False):
        from widget.desktop.localzone import local_zone

        return SyncJob(store, data_dir, local_zone(), on_read)
    return ChildSyncJob(store, data_dir, on_read)


CHILD_TIMEOUT_S = 300.0  # a folder on a slow network drive may take long; never forever
# At the tracker's stop (the person quits): the last sync may take this long, no more, so a
# folder that hangs (a network drive gone) never holds up quitting.
FINAL_TIMEOUT_S = 15.0


class ChildSyncJob:
    """`SyncJob`'s work done by the sync child (`python -m widget.sync.child`), a process that
    ends after each sync, so the decoding's garbage, hashlib's OpenSSL and `cryptography` never
    stay in the tracker's memory (the tray app's: bench/bench_devices.py). Each read the child
    leaves under `sync-cache/` is loaded here (`widget.sync.compact.load_view`: the months
    as binary arrays, each loaded when a read first reaches it) and handed to `on_read`.

    A child that fails, is killed or leaves a kept read that is not whole changes nothing:
    the last good read stays in use, and the log says it by kind only. The passphrase's keys
    the child derived are kept in this process's memory (as `KeyRing` kept them before) and
    handed to the next child on its stdin, so a child every 2 minutes derives none again;
    they are dropped when the kept passphrase changes.

    At the tracker's stop, `cancel` ends a child still running (from the stopping thread, so
    the scheduler's shutdown never waits on a folder that hangs) and no scheduled sync starts
    another; then `final` runs the last one, for `FINAL_TIMEOUT_S` at most.

    Thread: the tracker's scheduler thread, and once at its stop (a lock keeps them apart);
    `cancel` from any.
    """

    def __init__(self, store: StoreReader, data_dir: Path,
                 on_read: Callable[[FolderView], None] | None = None,
                 args: Sequence[str] | None = None) -> None:
        self._store = store
        self._data_dir = data_dir
        self._on_read = on_read
        # Python's arguments: -P, not the current folder first on the path (a `widget` folder
        # there is not us). Tests give others (a child that hangs).
        self._args = list(args) if args is not None else [
            "-P", "-m", "widget.sync.child", str(data_dir)]
        self._keys: list[object] = []
        self._keys_of: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
        self._child: subprocess.Popen[str] | None = None  # the one running now
        self._stopping = False
        self._guard = threading.Lock()  # _child and _stopping, between cancel and a run
        self.last_problem: str | None = None  # what the last child's writing said, in words
        self.last_view: FolderView | None = None
        self.last_seconds: float | None = None  # the last child's run, start to end
        self.last_failure: str | None = None  # "timeout", or the child's exit status; None: read

    def __call__(self) -> None:
        if self._stopping:
            return
        with self._lock:
            self._guarded(CHILD_TIMEOUT_S, final=False)

    def final(self) -> None:
        """The last sync, at the tracker's stop: the last minutes reach the other computers,
        unless the folder takes longer than `FINAL_TIMEOUT_S` (or a scheduled one that
        `cancel` could not end holds on: then none)."""
        if not self._lock.acquire(timeout=FINAL_TIMEOUT_S):
            log.warning("the last sync with the other computers was left out (the one before "
                        "it had not ended)", extra={"event": "sync-failed"})
            return
        try:
            self._guarded(FINAL_TIMEOUT_S, final=True)
        finally:
            self._lock.release()

    def cancel(self) -> None:
        """End the child running now, if any, and start no other until `final`."""
        with self._guard:
            self._stopping = True
            child = self._child
        if child is not None:
            _end_child(child, close_pipes=False)

    def _guarded(self, timeout: float, *, final: bool) -> None:
        try:
            self._run(timeout, final)
        except Exception as error:  # never the tracker's end; said by kind only
            log.warning("sharing with the other computers failed (%s)",
                        type(error).__name__, extra={"event": "sync-failed"})

    def _passphrase_key(self) -> tuple[int, int, int] | None:
        try:
            info = (self._data_dir / SYNC_PASSPHRASE_NAME).stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size, info.st_ino

    def _run(self, timeout: float, final: bool) -> None:
        import json
        import time

        if not sharing_on(self._store.all_settings()):
            return
        passphrase = self._passphrase_key()
        if passphrase != self._keys_of:
            self._keys, self._keys_of = [], passphrase
        began = time.monotonic()
        import sys

        child = subprocess.Popen([sys.executable, *self._args], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with self._guard:
            self._child = child
            ended = self._stopping and not final  # cancelled while it was being started
        if ended:
            _end_child(child, close_pipes=False)
        try:
            stdout, stderr = child.communicate(json.dumps({"keys": self._keys}),
                                               timeout=timeout)
        except subprocess.TimeoutExpired:
            _end_child(child)
            self.last_failure = "timeout"
            log.warning("sharing with the other computers failed (the shared folder took "
                        "longer than %d s); the last read stays in use", timeout,
                        extra={"event": "sync-failed", "code": "timeout"})
            return
        finally:
            with self._guard:
                self._child = None
            self.last_seconds = time.monotonic() - began
        said = _child_said(stdout) if child.returncode == 0 else None
        self.last_failure = None if said is not None else str(child.returncode)
        if said is None:
            # the child's own line names the kind of error only (widget.sync.child)
            kind = next((line for line in reversed(stderr.splitlines())
                         if line.startswith("the sync child failed (")), "")
            log.warning("sharing with the other computers failed (the sync child ended with "
                        "%s%s); the last read stays in use", child.returncode,
                        f": {kind[len('the sync child failed '):]}" if kind else "",
                        extra={"event": "sync-failed", "code": child.returncode})
            return
        if said.get("off"):
            return
        keys = said.get("keys")
        if isinstance(keys, list) and keys:
            self._keys = keys
        problem = said.get("problem")
        self.last_problem = problem if isinstance(problem, str) else None
        from widget.paths import SYNC_CACHE_NAME
        from widget.sync.compact import CacheDamaged, load_view

        try:
            view = load_view(self._data_dir / SYNC_CACHE_NAME)
        except CacheDamaged:
            log.warning("sharing with the other computers failed (the kept read is not "
                        "whole); the last read stays in use", extra={"event": "sync-failed"})
            return
        self.last_view = view
        log.info("shared folder: %d month(s) written, %d other computer(s) read%s",
                 said.get("written", 0), len(view.devices),
                 ", not written" if self.last_problem else "",
                 extra={"event": "synced", "written": said.get("written", 0),
                        "devices": len(view.devices),
                        "stale": view.unavailable_since is not None,
                        "child_s": round(self.last_seconds, 3)})
        if self._on_read is not None:
            self._on_read(view)


def _end_child(child: subprocess.Popen[str], *, close_pipes: bool = True) -> None:
    """End a sync child: asked first (SIGTERM: it ends as an exception would, so a file it was
    writing leaves no temporary behind), killed after 2 s, never waited on for ever (a child
    stuck on a network drive the kernel cannot interrupt); its pipes closed unless the thread
    that runs it is still reading them (`cancel`)."""
    with contextlib.suppress(OSError):
        child.terminate()
    try:
        child.wait(timeout=2)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            child.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=3)
    for pipe in (child.stdin, child.stdout, child.stderr) if close_pipes else ():
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _child_said(stdout: str) -> dict[str, object] | None:
    import json

    try:
        said = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return said if isinstance(said, dict) else None
