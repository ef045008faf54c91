"""The entry point of the PyInstaller build: `driftcheck` exactly as the console script runs it.

One addition for the frozen program: `driftcheck doctor` asks whether a tray exists in a child
process, `[sys.executable, "-c", TRAY_CHECK]`, so that Qt's start-up cannot take the doctor
down. Frozen, `sys.executable` is this program, which has no `-c`; this file answers that one
exact command (the doctor's own constant, nothing else) and leaves every other argument to the
normal command line.
"""

from __future__ import annotations

import sys


def is_frozen_tray_check(argv: list[str]) -> bool:
    if not getattr(sys, "frozen", False) or argv[1:2] != ["-c"]:
        return False
    from widget.commands.doctor import TRAY_CHECK

    return argv[1:] == ["-c", TRAY_CHECK]


def run() -> int:
    if is_frozen_tray_check(sys.argv):
        from widget.commands.doctor import TRAY_CHECK

        exec(compile(TRAY_CHECK, "<driftcheck tray check>", "exec"), {"__name__": "__tray__"})
        return 0
    from widget.cli import program

    return program()


if __name__ == "__main__":
    raise SystemExit(run())
