"""The GNOME tests' fixtures: a headless GNOME Shell 43 on Wayland per module, run as the
ordinary user `driftcheck-test`, and a Python that user runs driftcheck with. What they are
made of lives in tests/helpers/gnome.py.

- `user_python` (session): `UserPython`, Debian's /usr/bin/python3 with a copy of `widget`
  and its libraries (no Qt) in a world-readable folder of /tmp; `user_python_qt` adds PySide6
  to the same (made on first use: ~400 MB copied).
- `gnome_options` (module): `GnomeOptions()`: the extensions installed and enabled, XWayland
  on or off. A test module overrides this fixture to start its Shell otherwise.
- `gnome` (module): `GnomeSession`, the running Shell with the test helper extension
  (windows listed and activated over the bus), `run_as_user`, `spawn_as_user`, `env`,
  `open_window`, `touch`, `press`, `idle_ms`, `driftcheck(...)`; everything ended and removed
  after the module. A failed test prints the end of the Shell's log.
- `driftcheck_as_user` (module): `driftcheck_as_user(*args)` runs `python -m widget ARGS` as
  the test user inside the session.

They need root (to make the user and become it) and the packages of tests/system-deps.sh;
without them they skip loudly, and fail under REQUIRE_X11=1 (CI).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator

import pytest

from tests.helpers.gnome import (
    PACKAGES,
    GnomeOptions,
    GnomeSession,
    UserPython,
    gnome_session,
    missing_tools,
)
from tests.helpers.skips import skip_or_fail


def _need_gnome() -> None:
    if os.geteuid() != 0:
        skip_or_fail("the GNOME tests need root (to make the test user and run as it)")
    missing = missing_tools()
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages {PACKAGES})")


@pytest.fixture(scope="session")
def user_python() -> Iterator[UserPython]:
    python = UserPython.make()
    try:
        yield python
    finally:
        python.remove()


@pytest.fixture(scope="session")
def user_python_qt(user_python: UserPython) -> UserPython:
    return user_python.with_qt()


@pytest.fixture(scope="module")
def gnome_options() -> GnomeOptions:
    return GnomeOptions()


@pytest.fixture(scope="module")
def gnome(gnome_options: GnomeOptions, user_python: UserPython) -> Iterator[GnomeSession]:
    _need_gnome()
    with gnome_session(gnome_options.extensions, gnome_options.enabled, python=user_python,
                       xwayland=gnome_options.xwayland) as session:
        yield session


@pytest.fixture(scope="module")
def driftcheck_as_user(gnome: GnomeSession
                       ) -> Callable[..., subprocess.CompletedProcess[str]]:
    return gnome.driftcheck


@pytest.fixture(autouse=True)
def _shell_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "gnome" in request.fixturenames:
        session: GnomeSession = request.getfixturevalue("gnome")
        print(f"--- the end of GNOME Shell's log ({session.shell_log}) ---\n{session.said()}")
