"""A real attack on an export written into a folder another local user can write: the
attacker (dc-attacker) watches the folder and swaps driftcheck's temporary file for a link to
a file of their own while the victim's `driftcheck export -o` is writing it. The export's
bytes never reach the attacker's file and the link is never renamed into the victim's place
(before, the link became the export: `shared/driftcheck.json -> the attacker's file`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from tests.helpers.local_users import LocalUsers, Runtime

RUNS = 6  # the victim's exports; here the attacker won the window in every one of them

ATTACKER = r"""
import os, sys, time
folder, bait, stop = sys.argv[1], sys.argv[2], sys.argv[3]
end = time.monotonic() + 60  # a cap only; the test stops it through `stop`
swapped = 0
while time.monotonic() < end and not os.path.exists(stop):
    try:
        names = os.listdir(folder)
    except OSError:
        continue
    for name in names:
        if name.startswith(".driftcheck-export-") and name.endswith(".tmp"):
            path = os.path.join(folder, name)
            if os.path.islink(path):  # already ours
                continue
            try:
                os.rename(path, path + ".aside")
                os.symlink(bait, path)
                swapped += 1
            except OSError:
                pass
print(swapped)
"""


def test_a_swapped_temporary_file_never_becomes_the_export(local_users: LocalUsers,
                                                           dc_runtime: Runtime) -> None:
    victim, attacker = local_users.victim, local_users.attacker
    data = victim.home / "swap-data"
    made = dc_runtime.driftcheck(victim, "--data-dir", str(data), "demo-data", "--weeks", "2",
                                 "--seed", "3", "--force")
    assert made.returncode == 0, made.stderr
    shared = Path(tempfile.mkdtemp(prefix="dc-shared-", dir="/tmp"))
    loot = Path(tempfile.mkdtemp(prefix="dc-loot-", dir="/tmp"))
    try:
        os.chown(shared, victim.uid, victim.gid)
        shared.chmod(0o777)  # an output folder others can write, not sticky
        os.chown(loot, attacker.uid, attacker.gid)
        bait = loot / "bait"
        stop = loot / "stop"
        watcher = dc_runtime.popen(attacker, ["/usr/bin/python3", "-c", ATTACKER, str(shared),
                                              str(bait), str(stop)],
                                   stdout=-1, stderr=-1)
        try:
            target = shared / "driftcheck.json"
            refused = 0
            for _ in range(RUNS):
                out = dc_runtime.driftcheck(victim, "--data-dir", str(data), "export", "-o",
                                            str(target))
                assert not target.is_symlink(), "the attacker's link became the export"
                assert not bait.exists() or bait.read_bytes() == b""
                if out.returncode != 0:
                    assert "another program replaced its temporary file" in out.stderr
                    refused += 1
                else:
                    assert target.stat().st_uid == victim.uid
                    assert target.stat().st_mode & 0o777 == 0o600
            for aside in shared.glob("*.aside"):  # the victim's own file, moved by the attacker
                assert aside.lstat().st_size == 0
        finally:
            stop.touch()
            swapped, _ = watcher.communicate(timeout=60)
        print(f"attacker swapped {swapped.strip()} times; {refused} of {RUNS} refused")
        assert int(swapped) > 0, "the attack never reached the window, so it proved nothing"
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        shutil.rmtree(loot, ignore_errors=True)
