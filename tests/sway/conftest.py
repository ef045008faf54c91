"""The Sway tests' fixtures: a real headless Sway 1.7 per module, run as the ordinary user
`driftcheck-test` (Sway refuses root), and a Python that user runs driftcheck with. What they
are made of lives in tests/helpers/wlroots.py (the session) and tests/helpers/gnome.py (the
user and its Python).

- `user_python` (session): `UserPython`, Debian's /usr/bin/python3 with a copy of `widget` and
  its libraries (no Qt) in a world-readable folder of /tmp.
- `sway` (module): `WlrSession` running Sway: `env` (with SWAYSOCK), `open_window`, `focus`,
  `swaymsg`, `touch` (real input), `restart`, `spawn_as_user`, `driftcheck(...)`; everything
  ended and removed after the module. A failed test prints the end of Sway's log.

They need root (to make the user and become it) and Sway and foot (tests/system-deps.sh);
without them they skip loudly, and fail under REQUIRE_X11=1 (CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers.gnome import UserPython
from tests.helpers.skips import skip_or_fail
from tests.helpers.wlroots import WlrSession, missing_tools, wlroots_session


def _need_sway() -> None:
    if os.geteuid() != 0:
        skip_or_fail("the Sway tests need root (to make the test user and run as it)")
    missing = missing_tools("sway")
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages sway, foot)")


@pytest.fixture(scope="session")
def user_python() -> Iterator[UserPython]:
    _need_sway()
    python = UserPython.make()
    try:
        yield python
    finally:
        python.remove()


@pytest.fixture(scope="module")
def sway(user_python: UserPython) -> Iterator[WlrSession]:
    _need_sway()
    with wlroots_session("sway", python=user_python) as session:
        yield session


@pytest.fixture(autouse=True)
def _sway_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "sway" in request.fixturenames:
        session: WlrSession = request.getfixturevalue("sway")
        print(f"--- the end of Sway's log ({session.log}) ---\n{session.said()}")
