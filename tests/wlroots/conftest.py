"""The wlroots tests' fixtures: real headless compositors run as the ordinary user
`driftcheck-test` (tests/helpers/wlroots.py), one per module, and a Python that user runs
driftcheck with.

- `sway` (module): a headless Sway 1.7 (`WlrSession`).
- `phoc` (module): a headless phoc 0.24, Phosh's wlroots compositor, which has no Sway IPC:
  the wlr-foreign-toplevel probe's own ground. (Wayfire 0.7 cannot start without a DRM render
  node, which this machine and CI runners lack: see tests/helpers/wlroots.py.)
- `cage` (module): a headless cage 0.1.4, a wlroots kiosk that lists no windows to others
  (no wlr-foreign-toplevel-management).
- `user_python` (session): `UserPython` of tests/helpers/gnome.py (no Qt).

They need root (to make the user and become it) and the packages sway, phoc, cage and foot;
without them they skip loudly, and fail under REQUIRE_X11=1 (CI). A failed test prints the
end of the compositor's log.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers.gnome import UserPython
from tests.helpers.skips import skip_or_fail
from tests.helpers.wlroots import PACKAGES, WlrSession, missing_tools, wlroots_session


def need(compositor: str) -> None:
    if os.geteuid() != 0:
        skip_or_fail(f"the {compositor} tests need root (to make the test user and run as it)")
    missing = missing_tools(compositor)
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages {PACKAGES[compositor]})")


@pytest.fixture(scope="session")
def user_python() -> Iterator[UserPython]:
    python = UserPython.make()
    try:
        yield python
    finally:
        python.remove()


@pytest.fixture(scope="module")
def sway(user_python: UserPython) -> Iterator[WlrSession]:
    need("sway")
    with wlroots_session("sway", python=user_python) as session:
        yield session


@pytest.fixture(scope="module")
def phoc(user_python: UserPython) -> Iterator[WlrSession]:
    need("phoc")
    with wlroots_session("phoc", python=user_python) as session:
        yield session


@pytest.fixture(scope="module")
def cage() -> Iterator[WlrSession]:
    need("cage")
    with wlroots_session("cage") as session:
        yield session


@pytest.fixture(autouse=True)
def _compositor_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    for name in ("sway", "phoc", "cage"):
        if name in request.fixturenames:
            session: WlrSession = request.getfixturevalue(name)
            print(f"--- the end of {name}'s log ({session.log}) ---\n{session.said()}")
