"""The shared folder as this computer sees it: this device's identity, its own files written,
the others' files read, and the last good copy of each kept.

Reading (`SharedFolder.read`) never raises for anything the folder holds and never lets a bad
file change what is known:
- only names `driftcheck-<id>-<YYYY-MM>.dcsync` are device files; Syncthing's temporaries
  (`.syncthing.*.tmp`, `~syncthing~*`), our own temporary files and every other tool's partial
  files (`*.part`, `*.tmp`, `.~lock*`) never match, and links are never followed;
- a conflict copy (`<name>.sync-conflict-<date>-<time>-<by>.dcsync`) is never a device of its
  own: for another device's month, of the copies that verify, the one newest by its own
  written-at wins (a device only ever replaces its file with a newer one, so a conflict copy
  is an older or a rival version); for this device's own file conflict copies are not read
  for data at all (this device rewrites its file), only checked for a clone's writing;
- a file that is gone, damaged, cut short, from a newer driftcheck or sealed with another
  passphrase: the last good copy stays in use (in memory, and as a copy under the local data
  folder, `sync-cache/`, so a restart has it) and the device is marked "not refreshed since"
  the last good read;
- the folder missing, or empty where there were files (a drive not mounted): local tracking
  goes on, the others' last good copies stay, and the view says since when it is stale;
- two devices with the same name (their ids differ) are both shown, names told apart by the
  start of their ids;
- one id written by two installs (a copied data folder): every write records its random
  `write_id` locally before the rename, so a file of this device's id carrying a write id this
  install did not make was written by another computer. This computer then stops writing and
  says so, until the person tells it either "take a new identity" (on the copy) or "keep
  writing as this computer" (on the original);
- a device whose written-at is ahead of this computer's clock by more than `SKEW_TOLERANCE`:
  its data is kept as it is, the skew is reported;
- a retired device: its history stays, marked.

Writing touches only this device's own files, through a temporary file and a rename.

Thread: one `SharedFolder` is used by one thread at a time (the caller's sync job).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from widget.core.checkin import Checkin
from widget.core.format import about, when_said
from widget.core.goals import Goal
from widget.core.model import Interval
from widget.core.rules import has_unsafe_characters
from widget.core.text import printable
from widget.errors import UsageError
from widget.owner_only import write_owner_only
from widget.paths import SYNC_CACHE_NAME, SYNC_IDENTITY_NAME, SYNC_STATE_NAME, SYNC_TEMP_PREFIX
from widget.sync.covered import Worked
from widget.sync.crypto import KdfParams, KeyRing
from widget.sync.format import (
    FILE_PREFIX,
    MAX_FILE_BYTES,
    MAX_TEXT,
    DeviceFile,
    DeviceFileDamaged,
    DeviceFileLocked,
    DeviceFileNewer,
    DeviceFileProblem,
    DeviceHeader,
    WrongPassphrase,
    encode,
    file_name,
    month_copy,
    month_of,
    new_device_id,
    new_write_id,
    parse_name,
    split_by_month,
    write_atomically,
)
from widget.sync.merge import History
from widget.sync.view import DeviceView, FolderView, MonthCopy

# defined in widget.sync.view (the tray app reads them without this module); named here too
__all__ = ["DeviceView", "FolderView", "MonthCopy"]

# In the local data folder: widget.paths names them (and `is_ours` knows them).
IDENTITY_NAME = SYNC_IDENTITY_NAME
STATE_NAME = SYNC_STATE_NAME
CACHE_DIR_NAME = SYNC_CACHE_NAME
_LOCAL_TEMP_PREFIX = SYNC_TEMP_PREFIX

SKEW_TOLERANCE = timedelta(minutes=5)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_WRITE_IDS_KEPT = 2  # the write before the last too: a crash between recording and renaming


@dataclass(frozen=True, slots=True)
class Identity:
    """This computer in the shared folder: a random id (never the name), the person's name for
    it, and, when a passphrase is set, the parameters of the key its files are sealed with."""

    device_id: str
    name: str
    kdf: KdfParams | None = None

    def to_json(self) -> dict[str, object]:
        return {"device": self.device_id, "name": self.name,
                "kdf": None if self.kdf is None else self.kdf.to_json()}


def load_identity(data_dir: Path) -> Identity | None:
    """This computer's identity, or None when it has never shared (or the file is unreadable:
    then sharing is set up again)."""
    try:
        raw = json.loads((data_dir / IDENTITY_NAME).read_bytes())
        kdf = None if raw["kdf"] is None else KdfParams.from_json(raw["kdf"])
        identity = Identity(raw["device"], raw["name"], kdf)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if parse_name(file_name(identity.device_id, "2000-01")) is None \
            or not isinstance(identity.name, str):
        return None
    return identity


def save_identity(data_dir: Path, identity: Identity) -> None:
    _write_json(data_dir / IDENTITY_NAME, identity.to_json())


def check_device_name(name: str) -> str:
    """The name as kept (stripped), or UsageError with what a name may be."""
    name = name.strip()
    if not name:
        raise UsageError("Please give this computer a name, such as \"Laptop\".")
    if len(name) > MAX_TEXT:
        raise UsageError(f"A computer's name can be at most {MAX_TEXT} characters.")
    if has_unsafe_characters(name):
        raise UsageError("A computer's name cannot contain tabs, line breaks, control "
                         "characters or invisible formatting characters.")
    return name


def create_identity(data_dir: Path, name: str, sealed: bool) -> Identity:
    """A new identity with a fresh random id (and a fresh salt when `sealed`), saved;
    UsageError for a name that cannot be one (`check_device_name`)."""
    identity = Identity(new_device_id(), check_device_name(name),
                        KdfParams.fresh() if sealed else None)
    save_identity(data_dir, identity)
    _write_json(data_dir / STATE_NAME, {})
    return identity


def take_new_identity(data_dir: Path, identity: Identity) -> Identity:
    """The answer on a copied computer: the same name and passphrase setting under a new id.
    This computer's own history is in its database and goes out in new files; the old id's
    files belong to the computer it was copied from."""
    return create_identity(data_dir, identity.name, identity.kdf is not None)


def _write_json(path: Path, value: object) -> None:
    write_owner_only(path, json.dumps(value).encode("utf-8"), prefix=_LOCAL_TEMP_PREFIX)


# --- what a read shows ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    written: tuple[str, ...] = ()  # months written
    unchanged: tuple[str, ...] = ()  # months whose contents were as last written
    problem: str | None = None  # why nothing (more) was written, in words


@dataclass(slots=True)
class _Kept:
    file: MonthCopy
    digest: bytes  # of the file's bytes: whether the cached copy needs writing again
    good_at: datetime  # when this computer last read it whole
    problem: str | None = None  # why the folder's copy is not used now
    since: datetime | None = None  # the last good read before the problem


@dataclass(slots=True)
class _State:
    """What this install keeps about its own writing (sync-state.json)."""

    written: dict[str, list[str]] = field(default_factory=dict)  # month -> our write ids
    accepted: list[str] = field(default_factory=list)  # rival write ids taken as ours
    unavailable_since: int | None = None  # ms

    @classmethod
    def load(cls, path: Path) -> _State:
        try:
            raw = json.loads(path.read_bytes())
            state = cls({str(k): [str(i) for i in v] for k, v in raw.get("written", {}).items()},
                        [str(i) for i in raw.get("accepted", [])], raw.get("unavailable_since"))
        except (OSError, ValueError, TypeError, AttributeError):
            return cls()
        if not isinstance(state.unavailable_since, int):
            state.unavailable_since = None
        return state

    def save(self, path: Path) -> None:
        _write_json(path, {"written": self.written, "accepted": self.accepted,
                           "unavailable_since": self.unavailable_since})

    def ours(self, month: str, write_id: str) -> bool:
        return write_id in self.written.get(month, ()) or write_id in self.accepted

    def take_in(self, other: _State) -> None:
        """Add what another writer of this install kept (the sync child, Settings, a
        `devices sync` from a terminal: each has its own SharedFolder): its write ids are this
        install's too."""
        for month, ids in other.written.items():
            mine = self.written.get(month, [])
            self.written[month] = list(dict.fromkeys([*ids, *mine]))[-4 * _WRITE_IDS_KEPT:]
        self.accepted = list(dict.fromkeys([*other.accepted, *self.accepted]))[-64:]


def _stat_key(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev


class SharedFolder:
    """This computer's reading and writing of one shared folder.

    `data_dir` is driftcheck's private data folder (the identity, the state and the cache
    live there); `keys` is the passphrase's key ring (None: no passphrase here); `now` gives
    aware UTC; `tz` is where "its local time" and the sentences' moments are said.
    """

    def __init__(self, folder: Path, data_dir: Path, identity: Identity,
                 keys: KeyRing | None, now: Callable[[], datetime], tz: tzinfo) -> None:
        self.folder = folder
        self.data_dir = data_dir
        self.identity = identity
        self._keys = keys
        self._now = now
        self._tz = tz
        self._cache = data_dir / CACHE_DIR_NAME
        self._state_path = data_dir / STATE_NAME
        self._state = _State.load(self._state_path)
        self._kept: dict[tuple[str, str], _Kept] = {}
        # all computers' totals worked out ahead, as the kept read holds them: each is checked
        # where it is used (`widget.sync.covered`), so an old one is only left unused
        self._covered: dict[tuple[int, int], Worked] = {}
        # each name's last version read (size, time, inode, device) and what it gave
        self._decoded: dict[str, tuple[tuple[int, int, int, int], MonthCopy | None,
                                       DeviceFileProblem | None]] = {}
        # write ids seen in our own files that are not ours, and the months they were in
        self._rivals: dict[str, str] = {}
        self._unread: dict[tuple[str, str], str] = {}  # never read whole: why
        self._last_written: dict[str, str] = {}  # month -> hash of what was written
        self.decodes = 0  # files decoded: what the stat cache saves is visible
        self._load_cache()

    @property
    def keys(self) -> KeyRing | None:
        """The passphrase's key ring (None: no passphrase here)."""
        return self._keys

    def now(self) -> datetime:
        return self._now()

    # --- reading -------------------------------------------------------------------------

    def read(self) -> FolderView:
        """Read the folder once: the others' new files taken, the last good copies kept for
        the rest, every problem said. Never raises for what the folder holds."""
        now = self._now()
        entries = self._list()
        groups: dict[tuple[str, str], list[tuple[str, bool]]] = {}
        for name in entries or ():
            parsed = parse_name(name)
            if parsed is not None:
                groups.setdefault((parsed.device_id, parsed.month), []).append(
                    (name, parsed.conflict))
        notes: list[str] = []
        if entries is None or (not groups and self._has_others_kept()):
            since = self._mark_unavailable(now)
            notes.append(self._unavailable_sentence(since, now, emptied=entries is not None))
        else:
            since = None
            self._unread = {}
            if self._state.unavailable_since is not None:
                self._state.unavailable_since = None
                self._save_state()
            self._rivals = {}
            present = {name for names in groups.values() for name, _ in names}
            for name in [name for name in self._decoded if name not in present]:
                del self._decoded[name]  # gone from the folder: nothing to remember of it
            for (device, month), names in groups.items():
                if device == self.identity.device_id:
                    self._check_own(month, names)
                else:
                    self._take(device, month, names, now)
            for (device, month), kept in self._kept.items():
                if device != self.identity.device_id and (device, month) not in groups \
                        and kept.problem is None:
                    kept.problem = "gone"
                    kept.since = kept.good_at
        clash = self.clash_sentence() if self._rivals else None
        if clash:
            notes.append(clash)
        views = self._devices(now)
        for view in views:
            notes.extend(view.problems)
        return FolderView(self.folder, now, self._this_name(), views, since, clash,
                          tuple(notes), self._covered)

    def _list(self) -> list[str] | None:
        try:
            with os.scandir(self.folder) as scan:
                return [entry.name for entry in scan
                        if entry.is_file(follow_symlinks=False)]
        except OSError:  # missing, not a folder, not mounted, not allowed
            return None

    def _has_others_kept(self) -> bool:
        return any(device != self.identity.device_id for device, _ in self._kept)

    def _mark_unavailable(self, now: datetime) -> datetime:
        if self._state.unavailable_since is None:
            self._state.unavailable_since = _ms(now)
            self._save_state()
        return _from_ms(self._state.unavailable_since)

    def _decode(self, name: str) -> tuple[MonthCopy | None, DeviceFileProblem | None, bytes]:
        """The file under `name`, decoded once per version of it (size, modification time,
        inode, device). Sync tools replace a file by renaming a new one over it, which changes
        the inode; a file rewritten in place to the same size within one tick of the kernel's
        coarse file clock (a few ms) would be missed until its next change."""
        path = self.folder / name
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None, DeviceFileDamaged("it could not be opened"), b""
        try:
            info = os.fstat(fd)
            key = _stat_key(info)
            known = self._decoded.get(name)
            if known is not None and known[0] == key:
                return known[1], known[2], b""
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                return None, DeviceFileDamaged("it is not a device file"), b""
            with os.fdopen(os.dup(fd), "rb") as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
        except OSError:
            return None, DeviceFileDamaged("it could not be read"), b""
        finally:
            os.close(fd)
        self.decodes += 1
        file: MonthCopy | None
        try:
            file, problem = month_copy(data, self._keys), None
        except DeviceFileProblem as refused:
            file, problem = None, refused
        self._decoded[name] = (key, file, problem)
        return file, problem, data

    def _take(self, device: str, month: str, names: list[tuple[str, bool]],
              now: datetime) -> None:
        best: tuple[MonthCopy, bytes] | None = None
        problem: DeviceFileProblem | None = None
        for name, conflict in sorted(names, key=lambda n: n[1]):  # the file itself first
            file, refused, data = self._decode(name)
            if file is None:
                if not conflict or problem is None:
                    problem = refused
                continue
            if (file.header.device_id, file.header.month) != (device, month):
                problem = DeviceFileDamaged("its name and its contents name different devices")
                continue
            if best is None or file.header.written_at > best[0].header.written_at:
                best = (file, data)
        kept = self._kept.get((device, month))
        if best is not None and kept is not None \
                and kept.file.header.written_at > best[0].header.written_at:
            best = None  # only an older copy is left (the file itself gone): never go back
            problem = DeviceFileDamaged("only an older copy is in the folder") \
                if not any(not conflict for _, conflict in names) else problem
        if best is not None:
            file, data = best
            digest = hashlib.sha256(data).digest() if data else kept.digest if kept else b""
            if data and (kept is None or kept.digest != digest):
                self._store_cache(device, month, data, now)
            self._kept[(device, month)] = _Kept(file, digest, now)
            return
        if kept is not None:
            if kept.problem is None:
                kept.since = kept.good_at
            kept.problem = _kind(problem)
        else:
            self._unread[(device, month)] = _kind(problem)

    def _check_own(self, month: str, names: list[tuple[str, bool]]) -> None:
        for name, _ in names:
            file, _problem, _data = self._decode(name)
            if file is None or file.header.device_id != self.identity.device_id \
                    or self._state.ours(month, file.header.write_id):
                continue
            # Another writer of this install may have written since this one last looked.
            self._state.take_in(_State.load(self._state_path))
            if not self._state.ours(month, file.header.write_id):
                self._rivals[file.header.write_id] = month

    # --- the devices, as shown -------------------------------------------------------------

    def _this_name(self) -> str:
        names = {view_name.casefold() for view_name in
                 (kept.file.header.name for kept in self._kept.values())}
        name = printable(self.identity.name)
        if self.identity.name.casefold() in names:
            return f"{name} ({self.identity.device_id[:6]})"
        return name

    def _devices(self, now: datetime) -> tuple[DeviceView, ...]:
        by_device: dict[str, dict[str, _Kept]] = {}
        for (device, month), kept in self._kept.items():
            by_device.setdefault(device, {})[month] = kept
        views: list[DeviceView] = []
        for device, months in by_device.items():
            files = {month: kept.file for month, kept in months.items()}
            newest = max(files.values(), key=lambda f: f.header.written_at)
            ahead = newest.header.written_at - now
            stale = [kept for kept in months.values() if kept.problem is not None]
            views.append(DeviceView(
                device, newest.header.name, device == self.identity.device_id,
                newest.header.retired, newest.header.written_at, files,
                min((k.since or k.good_at for k in stale), default=None),
                ahead if ahead > SKEW_TOLERANCE else None))
        for (device, _month), kind in self._unread.items():
            if device not in by_device:
                said = _sentence(kind, None, None, now, self._tz, f"A computer ({device[:6]})")
                views.append(DeviceView(device, f"a computer ({device[:6]})", False, False,
                                        None, {}, problems=(said,)))
        named = _told_apart(views, self.identity.name)
        done: list[DeviceView] = []
        for view in named:
            problems = list(view.problems)
            for month, kept in sorted(by_device.get(view.device_id, {}).items()):
                if kept.problem is not None:
                    problems.append(_sentence(kept.problem, month, kept.since, now, self._tz,
                                              view.name))
            latest = view.newest
            if self._keys is not None and latest is not None and not latest.sealed:
                problems.append(f"{view.name}'s file is not protected with a passphrase, though "
                                "this computer's is; set the same passphrase there to protect "
                                "it too.")
            if view.skew is not None:
                problems.append(f"{view.name}'s clock is about {about(view.skew.total_seconds())} "
                                "ahead of this computer's; its time is counted as it recorded "
                                "it.")
            done.append(replace(view, problems=tuple(dict.fromkeys(problems))))
        return tuple(sorted(done, key=lambda v: (not v.is_self, v.name.casefold(), v.device_id)))

    def _unavailable_sentence(self, since: datetime, now: datetime, emptied: bool = False
                              ) -> str:
        state = "holds none of the computers' files" if emptied else "cannot be reached"
        return (f"The shared folder {printable(str(self.folder))} {state} since "
                f"{when_said(since, now, self._tz)} (is its drive connected?). This computer "
                "keeps tracking; the other computers' time is as it was then.")

    def clash_sentence(self) -> str:
        return ("Another computer is writing its time under this computer's identity, most "
                "likely a copy of this computer's driftcheck data folder. On the copy, choose "
                "\"Take a new identity\"; on this computer, \"Keep writing as this computer\". "
                "Until then this computer leaves its file in the shared folder as it is.")

    def keep_writing_as_this_computer(self) -> tuple[str, ...]:
        """The person's answer on the original: the rival writes seen so far count as ours,
        so this computer writes again. Returns the months the copy wrote: the caller writes
        each of them again from this computer's own history (an empty month too), so that no
        time of the copy's stays under this computer's id."""
        months = tuple(sorted(set(self._rivals.values())))
        self._state.accepted = [*self._state.accepted, *sorted(self._rivals)][-64:]
        self._rivals = {}
        self._save_state()
        return months

    def remove_my_files(self) -> tuple[str, ...] | None:
        """Remove this device's own files from the shared folder (`devices stop
        --remove-my-file`), conflict copies of them included, and nothing else; the names
        removed, or None when the folder cannot be reached. A clash leaves them alone too:
        the files under this id may be the other computer's."""
        entries = self._list()
        if entries is None or self._rivals:
            return None
        removed = []
        for name in entries:
            parsed = parse_name(name)
            if parsed is not None and parsed.device_id == self.identity.device_id:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.folder / name)
                    removed.append(name)
        return tuple(sorted(removed))

    def forget(self, device_id: str) -> None:
        """Drop a device's kept copies (the person removed it for good); its files, if still
        in the folder, come back at the next read."""
        prefix = f"{FILE_PREFIX}{device_id}-"
        for name in [name for name in self._decoded if name.startswith(prefix)]:
            del self._decoded[name]
        for key in [key for key in self._kept if key[0] == device_id]:
            del self._kept[key]
            with contextlib.suppress(OSError):
                (self._cache / file_name(*key)).unlink()

    # --- the cache of last good copies -----------------------------------------------------

    def _load_cache(self) -> None:
        """The last good copies of the other computers' files. A copy the sync child's kept
        read (`widget.sync.compact`) holds with the same SHA-256 is taken from there, its
        intervals from their binary file, without decoding the copy again (a child starts
        every 2 minutes; decoding two years of a computer takes ~0.75 s)."""
        try:
            names = sorted(os.listdir(self._cache))
        except OSError:
            return
        from widget.sync import compact

        kept_months: dict[tuple[str, str], dict[str, Any]] = {}
        memo: dict[str, Any] = {}
        with contextlib.suppress(compact.CacheDamaged):
            index, memo = compact.read_memo(self._cache)
            self._covered = compact.covered_of(index)
            with contextlib.suppress(KeyError, TypeError, ValueError):
                for device in index["devices"]:
                    for month, kept in device["files"]:
                        kept_months[(device["id"], month)] = kept
        for name in names:
            parsed = parse_name(name)
            if parsed is None or parsed.conflict or parsed.device_id == self.identity.device_id:
                continue
            path = self._cache / name
            try:
                data = path.read_bytes()
                good_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                digest = hashlib.sha256(data).digest()
                file = self._kept_month(kept_months.get((parsed.device_id, parsed.month)),
                                        digest)
                if file is None:
                    file = month_copy(data, self._keys)
            except (OSError, DeviceFileProblem):
                continue  # a cached copy that no longer opens (a passphrase changed)
            self._kept[(parsed.device_id, parsed.month)] = _Kept(file, digest, good_at)
        self._take_memo(memo)

    def _kept_month(self, kept: dict[str, Any] | None, digest: bytes) -> MonthCopy | None:
        """The month as the child's kept read has it, when it is of the copy with `digest`
        (and, sealed, this computer still has a passphrase that opened it)."""
        from widget.sync import compact

        if kept is None or kept.get("digest") != digest.hex() \
                or (kept.get("sealed") and self._keys is None):
            return None
        try:
            history = compact.history_from_bytes(
                (self._cache / kept["history"]["file"]).read_bytes())
            return compact.month_copy(kept, history)
        except (OSError, compact.CacheDamaged, KeyError, TypeError, ValueError):
            return None

    def memo(self) -> dict[str, object]:
        """What the next `SharedFolder` of this data folder may take without reading again
        (`take_memo` after the cache): each folder file's version (size, time, inode, device)
        whose decoding gave a kept copy (its SHA-256) or, for this computer's own files, its
        write id; and a hash of each month this computer last wrote."""
        decoded: dict[str, list[object]] = {}
        for name, (key, file, problem) in self._decoded.items():
            if file is None or problem is not None:
                continue
            header = file.header
            if header.device_id == self.identity.device_id:
                decoded[name] = [*key, "own", header.month, header.write_id]
                continue
            kept = self._kept.get((header.device_id, header.month))
            if kept is not None and kept.file is file:
                decoded[name] = [*key, "kept", header.month, kept.digest.hex()]
        return {"decoded": decoded, "written": dict(self._last_written)}

    def _take_memo(self, memo: Mapping[str, Any]) -> None:
        try:
            written = memo.get("written") or {}
            self._last_written = {str(m): str(h) for m, h in written.items()}
            for name, (size, mtime, ino, dev, kind, month, value) in \
                    (memo.get("decoded") or {}).items():
                parsed = parse_name(name)
                if parsed is None or parsed.month != month:
                    continue
                key = (int(size), int(mtime), int(ino), int(dev))
                if kind == "own" and parsed.device_id == self.identity.device_id:
                    header = DeviceHeader(parsed.device_id, self.identity.name, month,
                                          _from_ms(0), 0, str(value))
                    stub = MonthCopy(header, {}, History.of(()), None, None, None, False)
                    self._decoded[name] = (key, stub, None)
                elif kind == "kept":
                    kept = self._kept.get((parsed.device_id, month))
                    if kept is not None and kept.digest.hex() == value:
                        self._decoded[name] = (key, kept.file, None)
        except (AttributeError, TypeError, ValueError):
            self._decoded = {}  # a memo of another shape: everything is read again
            self._last_written = {}

    def kept_digests(self) -> dict[tuple[str, str], str]:
        """Each kept copy's SHA-256 (hex), by (device, month)."""
        return {key: kept.digest.hex() for key, kept in self._kept.items()}

    def _store_cache(self, device: str, month: str, data: bytes, now: datetime) -> None:
        """Keep a copy; its modification time is when it was read (by this SharedFolder's
        clock), which a restart takes as the copy's last good read."""
        with contextlib.suppress(OSError):  # the cache helps a restart; never a failure
            self._cache.mkdir(mode=0o700, exist_ok=True)
            path = self._cache / file_name(device, month)
            write_owner_only(path, data, prefix=_LOCAL_TEMP_PREFIX)
            os.utime(path, (now.timestamp(), now.timestamp()))

    def _save_state(self) -> None:
        """Kept with what other writers of this install saved (never dropping their ids)."""
        self._state.take_in(_State.load(self._state_path))
        with contextlib.suppress(OSError):
            self._state.save(self._state_path)

    # --- writing ----------------------------------------------------------------------------

    def write(self, months: Mapping[str, Sequence[Interval]], apps: Mapping[str, str],
              goals: Sequence[Goal] | None = None, settings: Mapping[str, object] | None = None,
              checkins: Sequence[Checkin] | None = None, retired: bool = False
              ) -> WriteOutcome:
        """Write this device's files for the UTC months named in `months`, each with all of
        its intervals (an interval goes to the month it starts in, whichever key it came
        under; one of a month not named is not written), the apps, and the goals, settings
        and check-ins the person chose to share (None: not shared; a check-in's note goes as
        given: the caller leaves notes out unless the person chose to share them). A month whose
        contents are as last written is left alone. Touches no other device's file; never raises
        for the folder: the outcome says what happened."""
        now = self._now()
        if self.identity.kdf is not None and self._keys is None:
            return WriteOutcome(problem="This computer's files are protected with a "
                                "passphrase; enter it to share this computer's time again.")
        if not self.folder.is_dir():
            return WriteOutcome(problem=self._unavailable_sentence(
                self._mark_unavailable(now), now))
        for month in months:
            self._check_own(month, [(file_name(self.identity.device_id, month), False)])
        if self._rivals:
            return WriteOutcome(problem=self.clash_sentence())
        by_month = split_by_month(iv for ivs in months.values() for iv in ivs)
        checkins_by_month: dict[str, list[Checkin]] = {}
        for checkin in checkins or ():
            checkins_by_month.setdefault(month_of(checkin.asked), []).append(checkin)
        offset = now.astimezone(self._tz).utcoffset() or timedelta(0)
        written: list[str] = []
        unchanged: list[str] = []
        for month in sorted(months):
            header = DeviceHeader(self.identity.device_id, self.identity.name, month,
                                  now, int(offset.total_seconds()), new_write_id(),
                                  retired=retired)
            file = DeviceFile(header, dict(apps), tuple(by_month.get(month, ())),
                              None if goals is None else tuple(goals),
                              None if settings is None else dict(settings),
                              None if checkins is None else tuple(checkins_by_month.get(month,
                                                                                        ())))
            if self._same_as_written(file):
                unchanged.append(month)
                continue
            try:
                data = encode(file, self._keys if self.identity.kdf else None,
                              self.identity.kdf if self._keys else None)
            except (ValueError, TypeError) as refused:  # TypeError: a setting JSON cannot hold
                return WriteOutcome(tuple(written), tuple(unchanged),
                                    f"This computer's file for {month} was not written: "
                                    f"{refused}.")
            ids = self._state.written.get(month, [])
            self._state.written[month] = [*ids, header.write_id][-_WRITE_IDS_KEPT:]
            self._save_state()  # before the rename: a crash after it leaves no false clash
            try:
                write_atomically(self.folder / file_name(self.identity.device_id, month), data)
            except OSError as error:
                return WriteOutcome(tuple(written), tuple(unchanged),
                                    f"This computer's file could not be written to the shared "
                                    f"folder ({printable(error.strerror or str(error))}); it "
                                    "is tried again at the next sync.")
            self._last_written[month] = _contents(file)
            written.append(month)
        return WriteOutcome(tuple(written), tuple(unchanged))

    def _same_as_written(self, file: DeviceFile) -> bool:
        month = file.header.month
        if self._last_written.get(month) != _contents(file):
            return False
        return (self.folder / file_name(self.identity.device_id, month)).is_file()


def _contents(file: DeviceFile) -> str:
    """A hash of what a file says apart from when it was written and its write id (a hash,
    not the contents: years written at once are not kept in memory). SHA-256 of the values'
    text, the same in every process: the sync child of the next minutes compares with it."""
    h = file.header
    said = (h.name, h.retired, tuple(file.apps.items()), file.intervals, file.goals,
            None if file.settings is None else json.dumps(file.settings, sort_keys=True),
            file.checkins)
    return hashlib.sha256(repr(said).encode("utf-8")).hexdigest()


def _ms(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


def _from_ms(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def _kind(problem: DeviceFileProblem | None) -> str:
    if isinstance(problem, DeviceFileNewer):
        return "newer"
    if isinstance(problem, WrongPassphrase):
        return "passphrase"
    if isinstance(problem, DeviceFileLocked):
        return "locked"
    return "damaged"


def _sentence(kind: str, month: str | None, since: datetime | None, now: datetime, tz: tzinfo,
              name: str) -> str:
    kept = ("" if since is None else
            f" Its time as of {when_said(since, now, tz)} is kept meanwhile.")
    if kind == "newer":
        return (f"{name} uses a newer driftcheck; update driftcheck on this computer to include "
                f"its latest time.{kept}")
    if kind == "passphrase":
        return (f"This computer's passphrase does not open {name}'s file; set the same "
                f"passphrase on both computers to include its time.{kept}")
    if kind == "locked":
        return (f"{name}'s file is protected with a passphrase; set the same passphrase on "
                f"this computer to include its time.{kept}")
    which = f"{name}'s file" if month is None else f"{name}'s file for {month}"
    if kind == "gone":
        return f"{which} is no longer in the shared folder.{kept}"
    return (f"{which} arrived incomplete or changed; it is read again when a whole copy "
            f"arrives.{kept}")


def _told_apart(views: list[DeviceView], own_name: str) -> list[DeviceView]:
    """Names shown printable, and with the start of the id where two devices (this one
    included) share one."""
    counts: dict[str, int] = {own_name.casefold(): 1}
    for view in views:
        counts[view.name.casefold()] = counts.get(view.name.casefold(), 0) + 1
    result = []
    for view in views:
        name = printable(view.name)
        if counts[view.name.casefold()] > 1:
            name = f"{name} ({view.device_id[:6]})"
        result.append(replace(view, name=name))
    return result
