"""Real local users of this machine, and a Python they can run driftcheck with: what the
attacks of tests/security are made of (tests/security/conftest.py makes them and hands them
out as the fixtures `local_users` and `dc_runtime`)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Debian's own Python, which every user may run (the default python3 here lives under /root).
SYSTEM_PYTHON = Path("/usr/bin/python3")


@dataclass(frozen=True)
class LocalUser:
    name: str
    uid: int
    gid: int
    home: Path


@dataclass(frozen=True)
class LocalUsers:
    victim: LocalUser
    attacker: LocalUser


@dataclass(frozen=True)
class Runtime:
    """A Python every local user can run driftcheck with (see tests/security/conftest.py)."""

    root: Path

    def env(self, user: LocalUser, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {"HOME": str(user.home), "USER": user.name, "LOGNAME": user.name,
               "PATH": "/usr/bin:/bin", "PYTHONPATH": str(self.root), "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", "TZ": "UTC"}
        env.update(extra or {})
        return env

    def popen(self, user: LocalUser, argv: Sequence[str], env: Mapping[str, str] | None = None,
              **kwargs: object) -> subprocess.Popen[str]:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            list(argv), user=user.uid, group=user.gid, extra_groups=[],
            env=self.env(user, env), cwd=user.home, text=True, **kwargs)

    def run(self, user: LocalUser, argv: Sequence[str], env: Mapping[str, str] | None = None,
            timeout: float = 60, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), user=user.uid, group=user.gid, extra_groups=[],
                              env=self.env(user, env), cwd=user.home, text=True,
                              capture_output=True, timeout=timeout, input=stdin, check=False)

    def driftcheck(self, user: LocalUser, *args: str, env: Mapping[str, str] | None = None,
                   timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return self.run(user, [str(SYSTEM_PYTHON), "-m", "widget", *args], env, timeout)

    def python(self, user: LocalUser, code: str, *args: str,
               env: Mapping[str, str] | None = None,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return self.run(user, [str(SYSTEM_PYTHON), "-c", code, *args], env, timeout)
