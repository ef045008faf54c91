"""The KWin tests' fixtures: a virtual KWin 5.27 on Wayland per module, run as the ordinary user
`driftcheck-test`, and a Python (with PySide6, for the windows) that user runs driftcheck with.
What they are made of lives in tests/helpers/kwin.py.

- `user_python_qt` (session): `UserPython` with PySide6 (~400 MB copied once).
- `kwin` (module): `KWinSession`, the running KWin: `open_qt_window`, `activate`,
  `focused_title`, `touch`, `load_script`, `script_loaded`, `stop_kwin` / `start_kwin`,
  `driftcheck(...)`, `run_as_user`, `spawn_as_user`, `call`; everything ended and removed after
  the module. A failed test prints the end of KWin's log.

They need root (to make the user and become it) and kwin-wayland and python3-dbusmock; without
them they skip loudly, and fail under REQUIRE_X11=1 (CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers.gnome import UserPython
from tests.helpers.kwin import PACKAGES, KWinSession, kwin_session, missing_tools
from tests.helpers.skips import skip_or_fail


def _need_kwin() -> None:
    if os.geteuid() != 0:
        skip_or_fail("the KWin tests need root (to make the test user and run as it)")
    missing = missing_tools()
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages {PACKAGES})")


@pytest.fixture(scope="session")
def user_python_qt() -> Iterator[UserPython]:
    python = UserPython.make().with_qt()
    try:
        yield python
    finally:
        python.remove()


@pytest.fixture(scope="module")
def kwin(user_python_qt: UserPython) -> Iterator[KWinSession]:
    _need_kwin()
    with kwin_session(python=user_python_qt) as session:
        yield session


@pytest.fixture(autouse=True)
def _kwin_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "kwin" in request.fixturenames:
        session: KWinSession = request.getfixturevalue("kwin")
        print(f"--- the end of KWin's log ({session.shell_log}) ---\n{session.said()}")
