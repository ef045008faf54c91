"""What every desktop session of the tests (GNOME, KWin, Sway, phoc...) does to run programs
as the test user: one mixin, so the harnesses differ only in their compositor."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.helpers.gnome import SessionUser, UserPython


class RunsAsUser:
    """Needs `user`, `home`, `env` (the session's environment), `python` (or None), `bin_dir`
    and `_spawned` (what `spawn_as_user` started, ended by the session)."""

    user: SessionUser
    home: Path
    python: UserPython | None
    bin_dir: Path
    _spawned: list[subprocess.Popen[Any]]

    def _as_user(self, env: Mapping[str, str] | None) -> dict[str, Any]:
        return {"user": self.user.uid, "group": self.user.gid, "extra_groups": [],
                "env": {**self.env, **(env or {})}, "cwd": str(self.home)}

    def run_as_user(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
                    timeout: float = 30, input: str | None = None,
                    check: bool = False) -> subprocess.CompletedProcess[str]:
        """`argv` as the test user in the session, to its end; its output as text."""
        return subprocess.run(list(argv), **self._as_user(env), capture_output=True,
                              text=True, timeout=timeout, input=input, check=check)

    def spawn_as_user(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
                      **popen: Any) -> subprocess.Popen[Any]:
        """`argv` started as the test user in the session (stdout/stderr to /dev/null unless
        given); ended at the session's end if the test has not."""
        popen.setdefault("stdout", subprocess.DEVNULL)
        popen.setdefault("stderr", subprocess.DEVNULL)
        proc = subprocess.Popen(list(argv), **self._as_user(env), **popen)
        self._spawned.append(proc)
        return proc

    def driftcheck(self, *args: str, env: Mapping[str, str] | None = None,
                   timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`python -m widget ARGS` as the test user in the session, to its end."""
        if self.python is None:
            raise AssertionError("this session was made without a UserPython")
        return self.run_as_user(self.python.argv(*args), env=env, timeout=timeout)

    def named(self, name: str, target: str) -> Path:
        """A symlink called `name` to the program `target`: started through it, a process
        is called `name` (its /proc/PID/comm)."""
        link = self.bin_dir / name
        if not link.exists():
            link.symlink_to(shutil.which(target) or target)
        return link
