"""Issue 11, findings 1-3: the data folder, attacked for real by another local user.

dc-attacker plants symbolic links, files and names; dc-victim runs driftcheck. Nothing of the
attacker's may be written, created, chmodded or deleted by the victim's driftcheck, and every
refusal is one sentence (never "something unexpected").
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.local_users import SYSTEM_PYTHON, LocalUser, LocalUsers, Runtime

RACE_RUNS = 25  # victim's `status` runs while the attacker swaps the link without pause
TRACK_RUNS = 3  # and `track` runs (each refused at once; one that ran on is stopped at a cap)


def _fresh(path: Path, user: LocalUser, mode: int) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.chown(path, user.uid, user.gid)
    path.chmod(mode)  # explicit: mkdir's mode goes through the umask
    return path


@pytest.fixture
def places(local_users: LocalUsers) -> Iterator[dict[str, Path]]:
    """A folder of each user's for one test, emptied before and after."""
    victim, attacker = local_users.victim, local_users.attacker
    made = {"victim": _fresh(victim.home / "t11", victim, 0o755),
            "attacker": _fresh(attacker.home / "t11", attacker, 0o755)}
    yield made
    for path in made.values():
        shutil.rmtree(path, ignore_errors=True)


def _plant(path: Path, user: LocalUser, text: str = "", mode: int = 0o666) -> Path:
    path.write_text(text)
    os.chown(path, user.uid, user.gid)
    path.chmod(mode)
    return path


def _symlink(link: Path, target: Path, user: LocalUser) -> Path:
    link.symlink_to(target)
    os.chown(link, user.uid, user.gid, follow_symlinks=False)
    return link


def _track(runtime: Runtime, user: LocalUser, folder: Path) -> subprocess.CompletedProcess[str]:
    """`driftcheck track` on `folder`, which must refuse it: one that keeps tracking is
    stopped after a while (a cap, never the assertion) and counts as not refused."""
    try:
        return runtime.driftcheck(user, "--data-dir", str(folder), "track", timeout=15)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess([], 0, "track ran on", "")


def _one_calm_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "unexpected" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("driftcheck: "), result.stderr
    return result.stderr


_SWAPPER = """
import os, sys
link, here, there = sys.argv[1:4]
tmp = link + ".new"
for i in range(int(sys.argv[4])):
    for target in (here, there):
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(target, tmp)
        os.rename(tmp, link)
"""


def test_a_swapped_symlink_never_puts_the_victims_data_in_the_attackers_folder(
        local_users: LocalUsers, dc_runtime: Runtime, places: dict[str, Path]) -> None:
    """Finding 1: `t -> victim's own folder` passes an owner check; swapped to the attacker's
    folder between check and use, the old code created the database and log there."""
    victim, attacker = local_users.victim, local_users.attacker
    own = _fresh(places["victim"] / "data", victim, 0o700)
    trap = _fresh(places["attacker"] / "trap", attacker, 0o777)  # anyone may create files
    link = _symlink(places["attacker"] / "t", own, attacker)
    swapper = dc_runtime.popen(attacker, [str(SYSTEM_PYTHON), "-c", _SWAPPER, str(link),
                                          str(own), str(trap), "100000000"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        outcomes = [dc_runtime.driftcheck(victim, "--data-dir", str(link), "status")
                    for _ in range(RACE_RUNS)]
        outcomes += [_track(dc_runtime, victim, link) for _ in range(TRACK_RUNS)]
    finally:
        swapper.kill()
        swapper.wait()
    assert sorted(os.listdir(trap)) == []
    for result in outcomes:
        assert "symbolic link" in _one_calm_sentence(result)
    assert os.listdir(own) == []  # refused before anything is made, wherever the link points


def test_a_symlinked_data_folder_is_refused_even_to_a_folder_of_ones_own(
        local_users: LocalUsers, dc_runtime: Runtime, places: dict[str, Path]) -> None:
    """Finding 1: a link is refused in one sentence, not followed, wherever it points."""
    victim = local_users.victim
    own = _fresh(places["victim"] / "data", victim, 0o700)
    link = _symlink(places["victim"] / "link", own, victim)
    result = dc_runtime.driftcheck(victim, "--data-dir", str(link), "status")
    assert "symbolic link" in _one_calm_sentence(result)
    assert os.listdir(own) == []


def test_a_data_folder_inside_a_folder_others_can_change_is_refused(
        local_users: LocalUsers, dc_runtime: Runtime, places: dict[str, Path]) -> None:
    """Finding 1 without a link: a folder of the victim's inside the attacker's folder can be
    renamed away and replaced by the attacker at any moment, so it is refused, untouched."""
    victim, attacker = local_users.victim, local_users.attacker
    _fresh(places["attacker"] / "open", attacker, 0o777)
    own = _fresh(places["attacker"] / "open" / "data", victim, 0o700)
    result = dc_runtime.driftcheck(victim, "--data-dir", str(own), "status")
    assert "can be changed by other people" in _one_calm_sentence(result)
    assert os.listdir(own) == []


def test_a_planted_log_link_in_a_world_writable_folder_is_never_followed(
        local_users: LocalUsers, dc_runtime: Runtime, places: dict[str, Path]) -> None:
    """Finding 2: `driftcheck.log -> ~/notes.txt` planted in the victim's 0777 folder made
    `track` chmod the notes to 0600, append a JSON line to them and die of an ELOOP."""
    victim, attacker = local_users.victim, local_users.attacker
    notes = _plant(places["victim"] / "notes.txt", victim, "my own notes\n", 0o644)
    shared = _fresh(places["victim"] / "data", victim, 0o777)
    _symlink(shared / "driftcheck.log", notes, attacker)
    result = _track(dc_runtime, victim, shared)
    assert notes.read_text() == "my own notes\n"
    assert stat.S_IMODE(notes.stat().st_mode) == 0o644
    assert "other people" in _one_calm_sentence(result)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o777  # refused, not tightened silently
    assert sorted(os.listdir(shared)) == ["driftcheck.log"]


def test_a_planted_lock_link_is_never_created_or_locked(
        local_users: LocalUsers, dc_runtime: Runtime, places: dict[str, Path]) -> None:
    """Finding 2: a `driftcheck.lock` link, planted while the folder was open to all, made
    driftcheck create (and flock) a file of the attacker's choosing. The folder is private now:
    entries of someone else's in it are refused."""
    victim, attacker = local_users.victim, local_users.attacker
    trap = _fresh(places["attacker"] / "trap", attacker, 0o777)
    own = _fresh(places["victim"] / "data", victim, 0o700)
    _symlink(own / "driftcheck.lock", trap / "chosen", attacker)
    result = _track(dc_runtime, victim, own)
    assert os.listdir(trap) == []
    assert "someone else" in _one_calm_sentence(result)
    assert sorted(os.listdir(own)) == ["driftcheck.lock"]


def test_a_planted_wal_is_never_fed_or_chmodded(
        local_users: LocalUsers, dc_runtime: Runtime, places: dict[str, Path]) -> None:
    """Finding 2: a 0666 `-wal` of the attacker's, left in the folder, got the schema's frames
    before the open was refused."""
    victim, attacker = local_users.victim, local_users.attacker
    own = _fresh(places["victim"] / "data", victim, 0o700)
    wal = _plant(own / "driftcheck.sqlite3-wal", attacker, "", 0o666)
    result = dc_runtime.driftcheck(victim, "--data-dir", str(own), "status")
    assert "someone else" in _one_calm_sentence(result)
    assert wal.stat().st_size == 0
    assert stat.S_IMODE(wal.stat().st_mode) == 0o666
    assert wal.stat().st_uid == attacker.uid
    assert sorted(os.listdir(own)) == ["driftcheck.sqlite3-wal"]


ESCAPES = "\x1b[2J\x1b[Hdriftcheck: run  curl x | sh  to repair"


def test_a_refused_folder_keeps_its_notices_and_no_name_reaches_the_terminal_raw(
        local_users: LocalUsers, dc_runtime: Runtime, places: dict[str, Path]) -> None:
    """Finding 3: after the "shared with others" refusal, `tell_set_aside` still deleted the
    notices there and printed their names raw (a cleared screen and a fake instruction)."""
    victim, attacker = local_users.victim, local_users.attacker
    theirs = _fresh(places["attacker"] / "data", attacker, 0o777)
    note = _plant(theirs / f"driftcheck.sqlite3.corrupt-{ESCAPES}.notice", attacker)
    result = dc_runtime.driftcheck(victim, "--data-dir", str(theirs), "status")
    _one_calm_sentence(result)
    assert note.exists()
    assert "\x1b" not in result.stderr


def test_a_notice_in_a_private_folder_is_said_through_printable(
        local_users: LocalUsers, dc_runtime: Runtime, places: dict[str, Path]) -> None:
    """Finding 3: a folder that passed still has its notes told, each name escaped."""
    victim = local_users.victim
    own = _fresh(places["victim"] / "data", victim, 0o700)
    note = _plant(own / f"driftcheck.sqlite3.corrupt-{ESCAPES}.notice", victim, "", 0o600)
    result = dc_runtime.driftcheck(victim, "--data-dir", str(own), "status")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr
    assert "\\x1b[2J" in result.stderr
    assert not note.exists()


def test_the_tray_never_follows_a_lock_or_fifo_link(tmp_path: Path) -> None:
    """Finding 2, the tray's own opens: even in a folder not checked first, a link as the lock
    is never created through or locked (O_NOFOLLOW), and the FIFO is never made through one."""
    pytest.importorskip("PySide6")
    from widget.desktop.single_instance import SingleInstance

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "driftcheck.lock").symlink_to(elsewhere / "chosen")
    with pytest.raises(OSError) as raised:
        SingleInstance(folder).acquire()
    assert raised.value.errno == errno.ELOOP
    assert os.listdir(elsewhere) == []


def test_a_folder_open_to_others_writing_is_refused_as_it_is(tmp_path: Path) -> None:
    """Finding 2: a pre-existing 0777 folder is refused in one sentence and left 0777 (the
    person made it so); one only others may read (0755) is made 0700, as before."""
    from widget.errors import DataFolderRefused
    from widget.paths import ensure_private_dir

    open_folder = tmp_path / "open"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    with pytest.raises(DataFolderRefused, match="can be changed by other people"):
        ensure_private_dir(open_folder)
    assert stat.S_IMODE(open_folder.stat().st_mode) == 0o777
    readable = tmp_path / "readable"
    readable.mkdir()
    readable.chmod(0o755)
    ensure_private_dir(readable)
    assert stat.S_IMODE(readable.stat().st_mode) == 0o700
