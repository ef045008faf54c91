"""What a read of the shared folder shows, as plain data: who wrote a file (`DeviceHeader`),
one month of another computer as kept (`MonthCopy`), one computer (`DeviceView`) and the
whole read (`FolderView`).

Kept apart from `widget.sync.format` and `widget.sync.folder` so that the tray app, which only
takes the sync child's reads (`widget.sync.compact`), loads neither the file format's decoding
(gzip, JSON lines, hashlib's OpenSSL) nor `cryptography`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from widget import __version__
from widget.core.checkin import Checkin
from widget.core.goals import Goal
from widget.core.model import Interval
from widget.sync.merge import History

if TYPE_CHECKING:
    from widget.sync.covered import Memo

FORMAT = 1  # the device file's format number (widget.sync.format reads and writes it)


@dataclass(frozen=True, slots=True)
class DeviceHeader:
    """Who wrote a file, when, and which month it holds."""

    device_id: str  # 32 hex digits, random: never derived from the name or the hardware
    name: str  # the person's name for the computer
    month: str  # "2026-12": the UTC month in which every interval of the file starts
    written_at: datetime  # the writer's own wall clock, aware UTC, to the millisecond
    utc_offset_s: int  # the writer's offset from UTC when it wrote, for "its local time"
    write_id: str  # random for every write: how a device knows the file it reads is its own
    version: str = __version__  # the driftcheck that wrote it
    retired: bool = False  # the person retired this computer: history stays, marked
    format: int = FORMAT


@dataclass(frozen=True, slots=True)
class MonthCopy:
    """One month of another device as this computer keeps it: the file's header and sections,
    its intervals compact (`History`: years of a device fit in about 1.5 MB)."""

    header: DeviceHeader
    apps: Mapping[str, str]
    history: History
    goals: tuple[Goal, ...] | None
    settings: Mapping[str, object] | None
    checkins: tuple[Checkin, ...] | None
    sealed: bool  # whether the file was sealed with a passphrase
    # (made from a file's bytes by `widget.sync.format.month_copy`)


@dataclass(frozen=True, slots=True)
class DeviceView:
    """One device as the shared folder shows it, with the files of its months kept."""

    device_id: str
    name: str  # as shown: told apart when another device has the same name
    is_self: bool
    retired: bool
    last_written: datetime | None  # by its own clock: the newest of its files (None: none read)
    files: Mapping[str, MonthCopy]  # by month
    stale_since: datetime | None = None  # some file not refreshed since this read
    skew: timedelta | None = None  # how far its clock is ahead of this computer's
    problems: tuple[str, ...] = ()

    def intervals(self) -> list[Interval]:
        """Every interval of every month kept, sorted by start (made on demand)."""
        return [iv for month in sorted(self.files) for iv in self.files[month].history.all()]

    def histories(self) -> tuple[History, ...]:
        """Its months' histories, oldest first: what `widget.sync.merge` takes."""
        return tuple(self.files[month].history for month in sorted(self.files))

    @property
    def newest(self) -> MonthCopy | None:
        """The file written last: whose name, goals and shared settings stand."""
        return max(self.files.values(), key=lambda f: f.header.written_at, default=None)


@dataclass(frozen=True, slots=True)
class FolderView:
    """One read of the shared folder: the other devices (this one's own time is in its
    database), and what the person should know."""

    folder: Path
    read_at: datetime
    this_name: str  # this computer's name as shown beside the others'
    devices: tuple[DeviceView, ...]  # the other devices, this one's name first then by name
    unavailable_since: datetime | None = None  # the folder missing or emptied since then
    clash: str | None = None  # one id written by two installs: what to do, in words
    notes: tuple[str, ...] = ()  # every sentence for the person, the devices' problems too
    # all computers' totals worked out ahead, from the kept read (`widget.sync.covered`)
    covered: Memo = field(default_factory=dict)


def identity_name(data_dir: Path) -> str | None:
    """This computer's name in the shared folder, as its identity file says it, read without
    the sharing code (`widget.sync.folder.load_identity` checks the whole file and brings
    hashlib's OpenSSL with it): for the tray's Settings page. None when it has none."""
    import json

    from widget.paths import SYNC_IDENTITY_NAME

    try:
        name = json.loads((data_dir / SYNC_IDENTITY_NAME).read_bytes())["name"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return name if isinstance(name, str) else None
