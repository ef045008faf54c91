"""The shared folder (widget.sync.folder) with real files in tmp_path: devices reading each
other, and everything a sync tool or a person can do to the folder -- temporaries, conflict
copies, files cut short or deleted, the folder unmounted, two devices of one name, a copied
data folder, clocks that disagree, a retired device, a newer driftcheck, another passphrase."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.fakes import FakeClock
from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval
from widget.errors import UsageError
from widget.sync import folder as folder_module
from widget.sync.crypto import KdfParams, KeyRing
from widget.sync.folder import (
    CACHE_DIR_NAME,
    IDENTITY_NAME,
    STATE_NAME,
    FolderView,
    Identity,
    SharedFolder,
    create_identity,
    load_identity,
    take_new_identity,
)
from widget.sync.format import file_name, month_of

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
APPS = {"replika": "Replika", "character-ai": "Character.AI"}
FAST = KdfParams(b"fast salt for tests", n=2**10)


class Computer:
    """One computer: its data folder, identity and view of the shared folder, on a fake clock
    of its own (so its clock can disagree with the others')."""

    def __init__(self, root: Path, shared: Path, name: str, clock: FakeClock,
                 passphrase: str | None = None, identity: Identity | None = None) -> None:
        self.data = root / f"data-{name.replace(' ', '_')}-{len(os.listdir(root))}"
        self.data.mkdir(mode=0o700)
        self.identity = identity or create_identity(self.data, name, passphrase is not None)
        if passphrase is not None and self.identity.kdf is not None:
            # the cheap parameters: scrypt's cost is not what these tests are about
            self.identity = Identity(self.identity.device_id, name, FAST)
        self.clock = clock
        self.shared = shared
        self.passphrase = passphrase
        self.folder = self.open()

    def open(self) -> SharedFolder:
        keys = KeyRing(self.passphrase) if self.passphrase else None
        return SharedFolder(self.shared, self.data, self.identity, keys, self.clock, UTC)

    def write(self, *intervals: Interval, **shared: object) -> folder_module.WriteOutcome:
        months: dict[str, list[Interval]] = {month_of(self.clock()): []}
        for iv in intervals:
            months.setdefault(month_of(iv.start), []).append(iv)
        return self.folder.write(months, APPS, **shared)  # type: ignore[arg-type]

    def path(self, month: str = "2026-12") -> Path:
        return self.shared / file_name(self.identity.device_id, month)


def use(minutes_after_t0: int, minutes: int, app: str = "replika") -> Interval:
    start = T0 + timedelta(minutes=minutes_after_t0)
    return Interval(app, start, start + timedelta(minutes=minutes))


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "shared"
    folder.mkdir()
    return folder


@pytest.fixture
def make(tmp_path: Path, shared: Path) -> Callable[..., Computer]:
    root = tmp_path / "computers"
    root.mkdir()
    common = FakeClock(T0)  # one clock for all, unless a test gives a computer its own

    def make(name: str, clock: FakeClock | None = None, **options: object) -> Computer:
        return Computer(root, shared, name, clock or common, **options)  # type: ignore[arg-type]
    return make


def only(view: FolderView) -> folder_module.DeviceView:
    assert len(view.devices) == 1, view.devices
    return view.devices[0]


def test_each_computer_reads_the_others_time_and_not_its_own(make: Callable[..., Computer]
                                                              ) -> None:
    laptop, desktop = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30), goals=[Goal(GoalKind.DAILY, None, 3600)])
    desktop.write(use(60, 15, "character-ai"))
    seen = only(desktop.folder.read())
    assert (seen.name, seen.is_self, seen.retired) == ("Laptop", False, False)
    assert seen.intervals() == [use(0, 30)]
    assert seen.newest is not None and seen.newest.goals == (Goal(GoalKind.DAILY, None, 3600),)
    assert only(laptop.folder.read()).intervals() == [use(60, 15, "character-ai")]
    view = laptop.folder.read()
    assert view.notes == () and view.clash is None and view.unavailable_since is None
    assert view.this_name == "Laptop"


def test_temporaries_and_other_files_are_never_read(make: Callable[..., Computer],
                                                    shared: Path) -> None:
    laptop, desktop = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    name = laptop.path().name
    for junk in (f".syncthing.{name}.tmp", f"~syncthing~{name}.tmp", f"{name}.part",
                 f"{name}.tmp", ".stfolder", "readme.txt"):
        (shared / junk).write_bytes(b"half a file")
    view = desktop.folder.read()
    assert only(view).intervals() == [use(0, 30)]
    assert view.notes == ()


def conflict_name(path: Path, stamp: str = "20261207-101500") -> Path:
    return path.with_name(path.name.replace(".dcsync", f".sync-conflict-{stamp}-ABCDEFG.dcsync"))


def test_a_conflict_copy_is_never_a_device_and_the_newest_whole_version_wins(
        make: Callable[..., Computer]) -> None:
    laptop, desktop = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    older = laptop.path().read_bytes()
    laptop.clock.advance(minutes=10)
    laptop.write(use(0, 30), use(40, 5))
    conflict_name(laptop.path()).write_bytes(older)  # the older version, kept by the sync tool
    assert only(desktop.folder.read()).intervals() == [use(0, 30), use(40, 5)]
    # The newer version as the conflict copy and the older one as the file: newest still wins.
    newer = laptop.path().read_bytes()
    laptop.path().write_bytes(older)
    conflict_name(laptop.path()).write_bytes(newer)
    view = desktop.folder.read()
    assert only(view).intervals() == [use(0, 30), use(40, 5)]
    assert view.notes == ()
    # A damaged conflict copy changes nothing and is not worth a sentence.
    conflict_name(laptop.path(), "20261207-102000").write_bytes(newer[:50])
    view = desktop.folder.read()
    assert only(view).intervals() == [use(0, 30), use(40, 5)] and view.notes == ()


def test_a_file_cut_short_keeps_the_last_good_copy_until_a_whole_one_arrives(
        make: Callable[..., Computer]) -> None:
    laptop, desktop = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    good_read = desktop.clock()
    desktop.folder.read()
    laptop.clock.advance(minutes=5)
    laptop.write(use(0, 30), use(40, 5))
    whole = laptop.path().read_bytes()
    laptop.path().write_bytes(whole[: len(whole) // 2])  # caught half synced
    desktop.clock.advance(minutes=7)
    view = desktop.folder.read()
    seen = only(view)
    assert seen.intervals() == [use(0, 30)]
    assert seen.stale_since == good_read
    assert view.notes == ("Laptop's file for 2026-12 arrived incomplete or changed; it is read "
                          "again when a whole copy arrives. Its time as of 10:00 is kept "
                          "meanwhile.",)
    laptop.path().write_bytes(whole)
    seen = only(desktop.folder.read())
    assert seen.intervals() == [use(0, 30), use(40, 5)] and seen.stale_since is None


def test_a_deleted_file_keeps_its_last_copy_marked(make: Callable[..., Computer]) -> None:
    laptop, desktop = make("Laptop"), make("Desktop")
    desktop.write()
    laptop.write(use(0, 30))
    desktop.folder.read()
    laptop.path().unlink()
    desktop.clock.advance(hours=1)
    view = desktop.folder.read()
    assert only(view).intervals() == [use(0, 30)]
    assert only(view).stale_since == T0
    assert view.notes == ("Laptop's file for 2026-12 is no longer in the shared folder. Its "
                          "time as of 10:00 is kept meanwhile.",)


def test_after_a_restart_the_last_good_copy_is_still_there(make: Callable[..., Computer]
                                                           ) -> None:
    laptop, desktop = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    desktop.folder.read()
    laptop.path().write_bytes(laptop.path().read_bytes()[:-3])  # truncated while we were off
    desktop.clock.advance(hours=2)
    restarted = desktop.open()
    seen = only(restarted.read())
    assert seen.intervals() == [use(0, 30)]
    assert seen.stale_since == T0
    for entry in (desktop.data / CACHE_DIR_NAME).iterdir():
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_the_folder_unmounted_keeps_the_others_time_and_says_since_when(
        make: Callable[..., Computer], shared: Path, tmp_path: Path) -> None:
    laptop, desktop = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    desktop.write()
    desktop.folder.read()
    away = tmp_path / "unmounted"
    shared.rename(away)
    desktop.clock.advance(minutes=30)
    view = desktop.folder.read()
    assert view.unavailable_since == T0 + timedelta(minutes=30)
    assert only(view).intervals() == [use(0, 30)]
    assert "cannot be reached since 10:30" in view.notes[0]
    assert "keeps tracking" in view.notes[0]
    desktop.clock.advance(minutes=30)
    outcome = desktop.write(use(100, 10))
    assert outcome.written == () and outcome.problem and "10:30" in outcome.problem
    assert desktop.folder.read().unavailable_since == T0 + timedelta(minutes=30)
    # An empty mount point where the files were says the same.
    shared.mkdir()
    assert desktop.folder.read().unavailable_since == T0 + timedelta(minutes=30)
    shared.rmdir()
    away.rename(shared)
    view = desktop.folder.read()
    assert view.unavailable_since is None and view.notes == ()


def test_two_computers_of_one_name_are_both_shown_and_told_apart(
        make: Callable[..., Computer]) -> None:
    first, second, me = make("Laptop"), make("Laptop"), make("Desktop")
    first.write(use(0, 10))
    second.write(use(20, 10))
    view = me.folder.read()
    names = sorted(device.name for device in view.devices)
    assert names == sorted([f"Laptop ({first.identity.device_id[:6]})",
                            f"Laptop ({second.identity.device_id[:6]})"])
    # This computer's own name is told apart too when another has it.
    assert first.folder.read().this_name == f"Laptop ({first.identity.device_id[:6]})"


def test_a_copied_data_folder_is_noticed_and_stops_writing_until_told(
        make: Callable[..., Computer], tmp_path: Path) -> None:
    original = make("Laptop")
    original.write(use(0, 10))
    copy_data = tmp_path / "copied-data"
    shutil.copytree(original.data, copy_data)
    copy = make("Laptop", identity=load_identity(copy_data))
    shutil.rmtree(copy.data)
    shutil.copytree(copy_data, copy.data)
    copy.folder = copy.open()
    assert copy.identity.device_id == original.identity.device_id
    copy.clock.advance(minutes=1)
    assert copy.write(use(30, 10)).written == ("2026-12",)  # the copy writes first
    view = original.folder.read()
    assert view.clash is not None and "copy" in view.clash
    before = original.path().read_bytes()
    outcome = original.write(use(0, 10), use(50, 5))
    assert outcome.written == () and outcome.problem == view.clash
    assert original.path().read_bytes() == before  # the rival's file left as it is
    # On the copy: a new identity; on the original: keep writing.
    renewed = take_new_identity(copy.data, copy.identity)
    assert renewed.device_id != original.identity.device_id and renewed.name == "Laptop"
    assert load_identity(copy.data) == renewed
    assert original.folder.keep_writing_as_this_computer() == ("2026-12",)
    assert original.write(use(0, 10), use(50, 5)).written == ("2026-12",)
    assert original.folder.read().clash is None


def test_two_writers_of_one_install_are_no_clash(make: Callable[..., Computer]) -> None:
    """This computer writes through more than one SharedFolder (the tracker's sync child,
    Settings, `devices sync` from a terminal), each loading sync-state.json when it was made:
    each takes the others' writes as this install's, never as a copied data folder's."""
    laptop = make("Laptop")
    first = laptop.folder
    assert laptop.write(use(0, 10)).written == ("2026-12",)
    second = laptop.open()  # made later, in another process or screen
    laptop.clock.advance(minutes=1)
    assert second.write({"2026-12": [use(0, 10), use(20, 5)]}, APPS).written == ("2026-12",)
    laptop.clock.advance(minutes=1)
    assert first.read().clash is None
    outcome = first.write({"2026-12": [use(0, 10), use(20, 5), use(30, 5)]}, APPS)
    assert outcome.written == ("2026-12",) and outcome.problem is None
    laptop.clock.advance(minutes=1)
    assert second.read().clash is None
    assert second.write({"2026-12": [use(0, 10), use(20, 5), use(30, 9)]}, APPS).problem is None
    assert laptop.open().read().clash is None


class Crash(BaseException):
    """The process ending at a given point (a power cut, kill -9)."""


def test_a_crash_right_after_the_rename_is_no_clash_after_the_restart(
        make: Callable[..., Computer], monkeypatch: pytest.MonkeyPatch) -> None:
    laptop = make("Laptop")
    laptop.write(use(0, 10))
    real_write = folder_module.write_atomically

    def write_then_die(path: Path, data: bytes) -> None:
        real_write(path, data)
        raise Crash

    monkeypatch.setattr(folder_module, "write_atomically", write_then_die)
    with pytest.raises(Crash):
        laptop.write(use(0, 10), use(20, 5))
    monkeypatch.undo()
    laptop.folder = laptop.open()  # the restart
    assert laptop.folder.read().clash is None
    assert laptop.write(use(0, 10), use(20, 5), use(30, 1)).written == ("2026-12",)


def test_a_write_that_fails_is_said_and_tried_again(make: Callable[..., Computer],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    laptop = make("Laptop")
    laptop.write(use(0, 10))

    def refuse(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(folder_module, "write_atomically", refuse)
    outcome = laptop.write(use(0, 10), use(20, 5))
    assert outcome.written == ()
    assert outcome.problem == ("This computer's file could not be written to the shared folder "
                               "(No space left on device); it is tried again at the next sync.")
    monkeypatch.undo()
    assert laptop.folder.read().clash is None
    assert laptop.write(use(0, 10), use(20, 5)).written == ("2026-12",)


def test_a_clock_far_ahead_is_reported_and_its_time_kept(make: Callable[..., Computer]) -> None:
    ahead = make("Laptop", FakeClock(T0 + timedelta(hours=3)))
    me = make("Desktop")
    ahead.write(use(0, 20))
    view = me.folder.read()
    seen = only(view)
    assert seen.skew == timedelta(hours=3)
    assert seen.intervals() == [use(0, 20)]
    assert view.notes == ("Laptop's clock is about 3 h ahead of this computer's; its time is "
                          "counted as it recorded it.",)
    close = make("Tablet", FakeClock(T0 + timedelta(minutes=2)))
    close.write()
    assert all(d.skew is None for d in me.folder.read().devices if d.name == "Tablet")


def test_a_retired_computer_keeps_its_history_marked(make: Callable[..., Computer]) -> None:
    old, me = make("Old laptop"), make("Desktop")
    old.write(use(0, 45), retired=True)
    seen = only(me.folder.read())
    assert seen.retired and seen.intervals() == [use(0, 45)]


def test_a_newer_driftcheck_is_said_and_the_last_good_copy_kept(
        make: Callable[..., Computer]) -> None:
    laptop, me = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    me.folder.read()
    data = laptop.path().read_bytes()
    laptop.path().write_bytes(data.replace(b'"driftcheck-sync":1', b'"driftcheck-sync":7', 1))
    view = me.folder.read()
    assert only(view).intervals() == [use(0, 30)]
    assert view.notes[0].startswith("Laptop uses a newer driftcheck; update driftcheck on this "
                                    "computer to include its latest time.")


def test_another_passphrase_is_refused_by_name(make: Callable[..., Computer]) -> None:
    laptop = make("Laptop", passphrase="one passphrase")
    me = make("Desktop", passphrase="one passphrase")
    stranger = make("Desktop", passphrase="another passphrase")
    laptop.write(use(0, 30))
    assert only(me.folder.read()).intervals() == [use(0, 30)]
    laptop.clock.advance(minutes=1)
    laptop.passphrase = "a new passphrase"
    laptop.folder = laptop.open()
    laptop.write(use(0, 30), use(40, 5))
    view = me.folder.read()
    assert only(view).intervals() == [use(0, 30)]  # what it had stays
    assert view.notes[0].startswith("This computer's passphrase does not open Laptop's file; "
                                    "set the same passphrase on both computers")
    never = stranger.folder.read()
    assert never.notes[0].startswith(
        f"This computer's passphrase does not open A computer ({laptop.identity.device_id[:6]})"
        "'s file")
    assert all(not d.files for d in never.devices)


def test_a_sealed_file_read_where_no_passphrase_is_set_says_so(
        make: Callable[..., Computer]) -> None:
    laptop, me = make("Laptop", passphrase="p"), make("Desktop")
    laptop.write(use(0, 30))
    assert "protected with a passphrase" in me.folder.read().notes[0]


def test_writing_touches_only_this_computers_own_files(make: Callable[..., Computer],
                                                       shared: Path) -> None:
    laptop, me = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    (shared / "someone-elses.txt").write_text("keep me")
    others = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in shared.iterdir()}
    me.folder.read()
    me.write(use(60, 30), use(-60 * 24 * 10, 30))  # this month and the one before
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in shared.iterdir()
             if p.name in others}
    assert after == others
    mine = sorted(p.name for p in shared.iterdir() if p.name not in others)
    assert mine == [file_name(me.identity.device_id, "2026-11"),
                    file_name(me.identity.device_id, "2026-12")]
    for name in mine:
        assert stat.S_IMODE((shared / name).stat().st_mode) == 0o600


def test_a_month_as_last_written_is_not_written_again(make: Callable[..., Computer]) -> None:
    laptop = make("Laptop")
    assert laptop.write(use(0, 30)).written == ("2026-12",)
    before = laptop.path().stat().st_mtime_ns, laptop.path().stat().st_ino
    laptop.clock.advance(minutes=1)
    assert laptop.write(use(0, 30)).unchanged == ("2026-12",)
    assert (laptop.path().stat().st_mtime_ns, laptop.path().stat().st_ino) == before
    assert laptop.write(use(0, 31)).written == ("2026-12",)


def test_an_unchanged_file_is_not_decoded_again(make: Callable[..., Computer]) -> None:
    laptop, me = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    for _ in range(5):
        me.folder.read()
    assert me.folder.decodes == 1


def test_the_identity_and_state_are_owner_only_and_the_id_is_not_the_name(
        make: Callable[..., Computer]) -> None:
    laptop = make("Laptop")
    laptop.write(use(0, 30))
    for name in (IDENTITY_NAME, STATE_NAME):
        assert stat.S_IMODE((laptop.data / name).stat().st_mode) == 0o600
    assert "laptop" not in laptop.identity.device_id.lower()
    assert load_identity(laptop.data) == laptop.identity
    (laptop.data / IDENTITY_NAME).write_text("{not json")
    assert load_identity(laptop.data) is None


def test_a_name_that_could_steer_a_terminal_is_refused_before_anything_is_written(
        tmp_path: Path) -> None:
    for name in ("Lap\u202etop", "Lap\ntop", "\x1b[31mLaptop", "  ", "x" * 201):
        with pytest.raises(UsageError):
            create_identity(tmp_path, name, sealed=False)
    assert not (tmp_path / IDENTITY_NAME).exists()
    assert create_identity(tmp_path, "  Kitchen laptop ", sealed=False).name == "Kitchen laptop"


def test_a_conflict_copy_of_this_computers_own_file_is_never_read_as_data(
        make: Callable[..., Computer]) -> None:
    laptop = make("Laptop")
    laptop.write(use(0, 30))
    conflict_name(laptop.path()).write_bytes(laptop.path().read_bytes())  # its own, older
    view = laptop.folder.read()
    assert view.devices == () and view.clash is None and view.notes == ()


def test_a_conflict_copy_written_by_a_copied_computer_is_a_clash(
        make: Callable[..., Computer], tmp_path: Path) -> None:
    original = make("Laptop")
    original.write(use(0, 10))
    copy = make("Laptop")
    shutil.rmtree(copy.data)
    shutil.copytree(original.data, copy.data)
    copy.identity = original.identity
    copy.folder = copy.open()
    copy.clock.advance(minutes=1)
    copy.write(use(30, 10))
    rival = original.path().read_bytes()
    original.path().unlink()
    conflict_name(original.path()).write_bytes(rival)  # the sync tool kept the rival aside
    assert original.folder.read().clash is not None


def test_a_file_in_the_clear_where_this_computer_has_a_passphrase_is_said(
        make: Callable[..., Computer]) -> None:
    laptop, me = make("Laptop"), make("Desktop", passphrase="p")
    laptop.write(use(0, 30))
    view = me.folder.read()
    assert only(view).intervals() == [use(0, 30)]
    assert view.notes == ("Laptop's file is not protected with a passphrase, though this "
                          "computer's is; set the same passphrase there to protect it too.",)
    sealed = make("Tablet", passphrase="p")
    sealed.write(use(40, 5))
    assert len(me.folder.read().notes) == 1


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0))
def test_whatever_a_file_holds_a_read_never_raises_and_keeps_what_it_had(
        junk: bytes, cut: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        shared = root / "shared"
        shared.mkdir()
        clock = FakeClock(T0)
        laptop = Computer(root, shared, "Laptop", clock)
        me = Computer(root, shared, "Desktop", clock)
        laptop.write(use(0, 30))
        me.folder.read()
        whole = laptop.path().read_bytes()
        for data in (junk, whole[:cut % len(whole)] + junk):
            laptop.path().write_bytes(data)
            assert only(me.folder.read()).intervals() == [use(0, 30)]


def test_stopping_removes_this_computers_files_and_nothing_else(
        make: Callable[..., Computer], shared: Path) -> None:
    laptop, me = make("Laptop"), make("Desktop")
    laptop.write(use(0, 30))
    me.write(use(60, 30), use(-60 * 24 * 10, 30))
    conflict_name(me.path()).write_bytes(me.path().read_bytes())
    (shared / "notes.txt").write_text("keep me")
    removed = me.folder.remove_my_files()
    assert removed is not None and len(removed) == 3
    assert sorted(p.name for p in shared.iterdir()) == sorted([laptop.path().name, "notes.txt"])


def test_a_protected_computer_never_writes_in_the_clear_without_its_passphrase(
        make: Callable[..., Computer]) -> None:
    laptop = make("Laptop", passphrase="p")
    laptop.passphrase = None
    laptop.folder = laptop.open()
    outcome = laptop.write(use(0, 30))
    assert outcome.written == () and outcome.problem is not None
    assert "passphrase" in outcome.problem
    assert not laptop.path().exists()
