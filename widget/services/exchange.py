"""`driftcheck export` and `driftcheck import`: the files around the export format.

Export reads every table in one transaction, checks the result against the import's own
rules (so a file it writes can always be imported again) and writes JSON, or a zip of CSV
tables, to a private file (0600) through a temporary file and a rename, or to stdout.

Import is all or nothing. The file's size is checked before a byte is read, a zip's members by
their names, number, unpacked size and how much more that is than their packed size, all
before a byte is unpacked; then the file is read as a stream, each row counted and checked by
a `Collector` as it comes (never the whole document at once), and refused at the first row
past what twenty years of use can hold. Only then is the database touched: one transaction
writes everything. A database that already holds history is refused unless `--replace`,
which first keeps a copy of it.
"""

from __future__ import annotations

import codecs
import io
import json
import lzma
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO

from widget.core.portable import (
    FORMAT_NAME,
    Snapshot,
    check_snapshot,
    counted_once,
    first_overlap,
    refused,
    to_document,
)
from widget.core.portable_csv import (
    COLUMNS,
    MANIFEST,
    collect_tables,
    read_manifest,
    table_lines,
    tables_from_document,
)
from widget.core.portable_json import read_document
from widget.core.portable_read import Collector
from widget.datafolder import database_users, instance_lock, still_running_sentence
from widget.errors import ExportRefused, ImportRefused
from widget.owner_only import write_owner_only
from widget.paths import EXPORT_TEMP_PREFIX, EXPORT_TEMP_SUFFIX, PRIVATE_FILE_MODE, is_ours
from widget.store.codec import SCHEMA_VERSION
from widget.store.portable import history_counts, keep_copy, read_snapshot, write_snapshot

MAX_IMPORT_BYTES = 512 * 1024 * 1024  # the file, and everything a zip unpacks to
# A zip member may unpack to this many times its packed size: driftcheck's own tables pack 5
# to 15 times (15 for an hour-by-hour history of one app); a zip bomb packs about 1,000 times.
MAX_RATIO = 100
_RATIO_FLOOR = 1024 * 1024  # a member that unpacks to less is never refused for its ratio
_MANIFEST_BYTES = 64 * 1024
_MEMBERS = (MANIFEST, *COLUMNS)
_CHUNK = 1024 * 1024
# What zipfile and its decompressors raise on damaged bytes (RuntimeError: "encrypted").
_DAMAGED_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
                ValueError, EOFError, OSError, zlib.error, lzma.LZMAError, struct.error)


@dataclass(frozen=True, slots=True)
class Counts:
    apps: int
    intervals: int
    goals: int
    checkins: int

    @classmethod
    def of(cls, snapshot: Snapshot) -> Counts:
        return cls(len(snapshot.apps), len(snapshot.intervals), len(snapshot.goals),
                   len(snapshot.checkins))

    def __str__(self) -> str:
        def some(n: int, word: str) -> str:
            return f"{n:,} {word}{'' if n == 1 else 's'}"

        return (f"{some(self.apps, 'app')}, {some(self.intervals, 'interval')}, "
                f"{some(self.goals, 'goal')} and {some(self.checkins, 'check-in')}")


# --- export -----------------------------------------------------------------------------------


def export_bytes(snapshot: Snapshot, fmt: str, schema_version: int, now: datetime) -> bytes:
    """The export file's bytes: JSON (one row a line) or a zip of CSV tables."""
    try:
        check_snapshot(snapshot)
    except ImportRefused as error:
        reason = str(error).removeprefix("Nothing was imported, because ").rstrip(".")
        raise ExportRefused(f"Nothing was exported, because the database holds something an "
                            f"import could not take back ({reason}).") from None
    exported_ms = int(now.astimezone(UTC).timestamp() * 1000)
    document = to_document(snapshot, exported_ms, schema_version)
    if fmt == "json":
        return dump_json(document).encode("utf-8")
    out = io.BytesIO()
    stamp = now.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in tables_from_document(document).items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = PRIVATE_FILE_MODE << 16
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()


def dump_json(document: dict[str, object]) -> str:
    """The document as JSON with each row of a section on a line of its own: small, and
    still readable and diffable."""
    parts = []
    for key, value in document.items():
        if isinstance(value, list) and value:
            rows = ",\n    ".join(_compact(row) for row in value)
            parts.append(f"  {json.dumps(key)}: [\n    {rows}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write_private(target: Path, data: bytes) -> None:
    """Write `data` to `target` as an owner-only file, atomically: a temporary file in the
    same folder, flushed to disk, then renamed over `target`."""
    if target.exists() and not target.is_file():
        # A FIFO or a device (as root, /dev/null): the rename below would replace it.
        raise ExportRefused(f"{target} is not a regular file; please give the export a file "
                            "name, like driftcheck.json.")
    try:
        # Through the descriptor, renamed only while the name is still that file (see there).
        write_owner_only(target, data, prefix=EXPORT_TEMP_PREFIX, suffix=EXPORT_TEMP_SUFFIX)
    except OSError as error:
        raise ExportRefused(f"The export could not be written to {target} "
                            f"({_why(error)}).") from None


def write_stdout(data: bytes, fmt: str) -> None:
    """JSON to stdout as text; a zip only when stdout is not a terminal, where it would show
    as noise."""
    if fmt == "json":
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    if sys.stdout.isatty():
        raise ExportRefused("A zip file would only show as noise in the terminal; please add "
                            "-o FILE (for example -o driftcheck.zip) or redirect the output.")
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _why(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


# --- import -----------------------------------------------------------------------------------


def read_import(path: Path) -> Snapshot:
    """The checked snapshot in the export file at `path`; ImportRefused with one sentence for
    anything else. Nothing is written anywhere."""
    try:
        return _read_import(path)
    except MemoryError:  # a file under the size limit can still hold more than this computer
        raise refused("the file holds more than this computer's memory can read at once; "
                      "an export of driftcheck is far smaller") from None


def _read_import(path: Path) -> Snapshot:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise refused(f"{path} is not a file")
    except OSError as error:
        raise refused(f"{path} cannot be read ({_why(error)})") from None
    if size > MAX_IMPORT_BYTES:
        raise refused(f"the file is larger than {_limit_mb()} MB, more than an export of "
                      "driftcheck ever needs")
    try:
        with path.open("rb") as file:
            start = file.read(4)
            file.seek(0)
            if start.startswith(b"PK"):
                return _read_zip(file)
            return _read_json(file)
    except OSError as error:
        raise refused(f"{path} cannot be read ({_why(error)})") from None


def _limit_mb() -> int:
    return MAX_IMPORT_BYTES // (1024 * 1024)


def _read_json(file: BinaryIO) -> Snapshot:
    first = file.read(_CHUNK)
    if not first.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        raise refused(f"the file is not a driftcheck export (neither the JSON nor the zip "
                      f"of CSV tables that `driftcheck export` writes, with \"{FORMAT_NAME}\" "
                      "inside)")
    collector = Collector()
    read_document(_text_chunks(first, file), collector)
    return collector.finish()


def _text_chunks(first: bytes, file: BinaryIO) -> Iterator[str]:
    """The file's text, a chunk at a time, never past the size limit (it may have grown
    since its size was checked)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    total, chunk = 0, first
    try:
        while chunk:
            total += len(chunk)
            if total > MAX_IMPORT_BYTES:
                raise refused(f"the file is larger than {_limit_mb()} MB")
            yield decoder.decode(chunk)
            chunk = file.read(_CHUNK)
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise refused("the file is not UTF-8 text, as every export of driftcheck is") from None


def _read_zip(file: BinaryIO) -> Snapshot:
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            names = [m.filename for m in members]
            if sorted(names) != sorted(_MEMBERS):
                raise refused("the zip does not hold exactly the files `driftcheck export "
                              "--format csv` writes (manifest.json and six CSV tables)")
            if sum(m.file_size for m in members) > MAX_IMPORT_BYTES:
                raise refused(f"the zip unpacks to more than {_limit_mb()} MB")
            for member in members:
                if member.file_size > _ratio_limit(member):
                    raise _too_packed(member.filename)
            manifest = read_manifest(_text(_unpack(archive, MANIFEST, _MANIFEST_BYTES),
                                           MANIFEST))
            budget = _Budget(MAX_IMPORT_BYTES)
            collector = Collector()
            collect_tables(manifest, lambda name: _member_lines(archive, name, budget),
                           collector)
            return collector.finish()
    except ImportRefused:
        raise
    except _DAMAGED_ZIP:
        raise refused("the zip is damaged or cut short") from None


def _ratio_limit(member: zipfile.ZipInfo) -> int:
    return max(_RATIO_FLOOR, MAX_RATIO * member.compress_size)


def _too_packed(name: str) -> ImportRefused:
    return refused(f"{name} in the zip unpacks to more than {MAX_RATIO} times its packed "
                   "size, far more than any export of driftcheck, so it was not unpacked")


class _Budget:
    """What is left of the bytes all members together may unpack to."""

    def __init__(self, left: int) -> None:
        self.left = left


class _Guarded(io.RawIOBase):
    """One member's bytes as they are unpacked, refused as soon as they pass its ratio limit
    or the budget of the whole zip, whatever its headers said."""

    def __init__(self, member: IO[bytes], name: str, limit: int, budget: _Budget) -> None:
        self._member, self._name, self._left, self._budget = member, name, limit, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._member.read(len(buffer))
        self._left -= len(data)
        self._budget.left -= len(data)
        if self._left < 0:
            raise _too_packed(self._name)
        if self._budget.left < 0:
            raise refused(f"the zip unpacks to more than {_limit_mb()} MB")
        buffer[: len(data)] = data
        return len(data)


def _member_lines(archive: zipfile.ZipFile, name: str, budget: _Budget) -> Iterator[str]:
    """A table's lines, unpacked and decoded a little at a time."""
    with archive.open(name) as member:
        guarded = _Guarded(member, name, _ratio_limit(archive.getinfo(name)), budget)
        text = io.TextIOWrapper(io.BufferedReader(guarded, _CHUNK), encoding="utf-8-sig",
                                newline="")
        yield from table_lines(name, text)


def _unpack(archive: zipfile.ZipFile, name: str, left: int) -> bytes:
    """One member's bytes, read in chunks and never past `left` bytes, whatever its header
    says."""
    chunks, total = [], 0
    with archive.open(name) as member:
        while chunk := member.read(_CHUNK):
            total += len(chunk)
            if total > left:
                raise refused(f"{name} in the zip unpacks to more than an export of "
                              "driftcheck holds")
            chunks.append(chunk)
    return b"".join(chunks)


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refused(f"{name} in the zip is not UTF-8 text") from None


# --- the two commands -------------------------------------------------------------------------


def _say_trimmed(trimmed: int) -> None:
    """Once the export is written: that overlapping intervals were kept once, if any were."""
    if not trimmed:
        return
    some = f"{trimmed} intervals that overlapped" if trimmed != 1 else "1 interval that overlapped"
    print(f"driftcheck: {some} another of the same app (from an older version) "
          f"{'were' if trimmed != 1 else 'was'} trimmed in the export, so no moment counts "
          "twice; the database is unchanged.", file=sys.stderr)


def run_export(db_path: Path, fmt: str, output: Path | None, include_notes: bool) -> int:
    """Export the database at `db_path` to `output`, or to stdout when None."""
    if output is not None and is_ours(output.name) \
            and output.absolute().parent.resolve() == db_path.parent.resolve():
        raise ExportRefused(f"{output.name} is a name driftcheck keeps for its own files in "
                            "this folder; please choose another one for the export.")
    snapshot = read_snapshot(db_path, include_notes)
    trimmed = 0
    if first_overlap(snapshot.intervals) is not None:
        intervals, trimmed = counted_once(snapshot.intervals)
        snapshot = replace(snapshot, intervals=tuple(intervals))
    data = export_bytes(snapshot, fmt, SCHEMA_VERSION, datetime.now(UTC))
    if output is None:
        write_stdout(data, fmt)
        _say_trimmed(trimmed)
        return 0
    write_private(output, data)
    _say_trimmed(trimmed)
    notes = "with your check-in notes" if include_notes else \
        "without check-in notes (--include-notes adds them)"
    print(f"Exported {Counts.of(snapshot)} to {output}, {notes}; only you can read the file.")
    return 0


def run_import(db_path: Path, snapshot: Snapshot, replace: bool) -> int:
    """Bring a checked snapshot into the database at `db_path`, all or nothing."""
    data_dir = db_path.parent
    with instance_lock(data_dir) as free:
        users = [] if not free else database_users(data_dir)
        if not free or users:
            raise ImportRefused(still_running_sentence("try the import again", users))
        held = history_counts(db_path)
        if any(held.values()) and not replace:
            have = Counts(held["tracked_apps"], held["intervals"], held["goals"],
                          held["checkins"])
            raise ImportRefused(
                f"This data folder already holds history ({have}), so "
                "nothing was imported; add --replace to "
                "keep a copy of it and bring the export in instead.")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        copy = keep_copy(db_path, stamp) if any(held.values()) else None
        write_snapshot(db_path, snapshot, replace)
    print(f"Imported {Counts.of(snapshot)}.")
    if snapshot.checkins and not snapshot.notes_included:
        print("This export carried no check-in notes, so none came with it.")
    if copy is not None:
        print(f"The database as it was before is kept as {copy.name}.")
    return 0
