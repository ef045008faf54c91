"""Real local users for the attacks of tests/security: a victim, an attacker, and a Python
they can both run driftcheck with.

Fixtures (session-scoped, shared by every module here; reuse them rather than writing others):

- `local_users` -> `LocalUsers` with `.victim` and `.attacker` (`LocalUser`: name, uid, gid,
  home). The users `dc-victim` and `dc-attacker` are made with `useradd -m` once and reused when
  present (idempotent), so a run leaves them on the machine. Their homes are 0755 here, like a
  stock Debian home, so that an attacker can reach a folder the victim makes in its home.
- `dc_runtime` -> `Runtime`: the `widget` package (with its `resources`) and the pure-Python
  and cp311 libraries the command line needs (SQLAlchemy, psutil, APScheduler, tzlocal,
  python-xlib, jeepney...; not PySide6) copied from this venv into a root-owned 0755 folder
  under /tmp, byte-compiled by /usr/bin/python3 (Debian's 3.11, which every user may run; the
  default python3 here lives under /root, mode 0700). `runtime.driftcheck(user, *args)` runs
  `/usr/bin/python3 -m widget ARGS` as that user (subprocess's `user=`/`group=`/
  `extra_groups=[]`, so the process holds no root privilege at all) with a clean environment:
  HOME the user's, PATH=/usr/bin:/bin, no DISPLAY, PYTHONPATH the runtime. `runtime.python(user,
  code)` runs a Python snippet as the user (an attacker's script), `runtime.popen(...)` starts
  one without waiting. Each takes `env=` (added to the clean one) and `timeout=`.

Both need root (to make users and to become them). Without root they skip, loudly; under
REQUIRE_X11=1 (CI, which runs as root) they fail instead, so the attacks never silently
stop running.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.local_users import SYSTEM_PYTHON, LocalUser, LocalUsers, Runtime
from tests.helpers.skips import REQUIRE_X11

VICTIM = "dc-victim"
ATTACKER = "dc-attacker"
REPO = Path(__file__).resolve().parents[2]
# What `python -m widget` needs short of the tray (top-level names in site-packages).
_LIBRARIES = ("sqlalchemy", "psutil", "apscheduler", "tzlocal", "Xlib", "six.py", "jeepney",
              "typing_extensions.py")


def need_root(what: str) -> None:
    """Skip (fail under REQUIRE_X11=1) unless this test runs as root."""
    if os.geteuid() == 0:
        return
    if REQUIRE_X11:
        pytest.fail(f"REQUIRE_X11=1 but not root, so {what} cannot run", pytrace=False)
    pytest.skip(f"SECURITY TEST SKIPPED: {what} needs root to make local users")


def _user(name: str) -> LocalUser:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", name], check=True,
                       capture_output=True)
        entry = pwd.getpwnam(name)
    home = Path(entry.pw_dir)
    home.mkdir(exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o755)
    return LocalUser(name, entry.pw_uid, entry.pw_gid, home)


@pytest.fixture(scope="session")
def local_users() -> LocalUsers:
    need_root("a real attack by one local user on another")
    return LocalUsers(victim=_user(VICTIM), attacker=_user(ATTACKER))


def _site_packages() -> Path:
    return Path(next(p for p in sys.path if p.endswith("site-packages")
                     and (Path(p) / "sqlalchemy").is_dir()))


@pytest.fixture(scope="session")
def dc_runtime(local_users: LocalUsers) -> Iterator[Runtime]:
    if not SYSTEM_PYTHON.exists():
        raise AssertionError(f"{SYSTEM_PYTHON} is missing: the test users need a Python "
                             "outside /root")
    root = Path(tempfile.mkdtemp(prefix="dc-runtime-", dir="/tmp"))
    try:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(REPO / "widget", root / "widget", ignore=ignore)
        shutil.copytree(REPO / "resources", root / "widget" / "resources", ignore=ignore)
        site = _site_packages()
        for name in _LIBRARIES:
            source = site / name
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=ignore)
            else:
                shutil.copy2(source, root / name)
        subprocess.run([str(SYSTEM_PYTHON), "-m", "compileall", "-q", str(root)], check=True,
                       capture_output=True)
        for folder, _dirs, files in os.walk(root):
            os.chmod(folder, 0o755)
            for file in files:
                os.chmod(os.path.join(folder, file), 0o644)
        os.chmod(root, 0o755)
        runtime = Runtime(root)
        probe = runtime.python(local_users.victim,
                               "import widget.cli, sqlalchemy, psutil; print('ok')")
        assert probe.stdout.strip() == "ok", probe.stderr
        yield runtime
    finally:
        shutil.rmtree(root, ignore_errors=True)
