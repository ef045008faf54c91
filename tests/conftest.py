"""Shared test settings and fixtures: real-display tests skip loudly, and fail under
REQUIRE_X11=1 (tests/helpers/skips.py); the fake clock, the scripted probe and a loose umask for
every test that wants them (tests/helpers)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.helpers import fs
from tests.helpers.fakes import FakeClock, ScriptedProbe
from tests.helpers.skips import REQUIRE_X11
from widget.desktop.qt_guard import keep_singletons_alive

# The UI tests call PySide6 many thousands of times in one process: without this, Python 3.11
# aborts at exit with "bool_dealloc" or "none_dealloc" (widget/desktop/qt_guard.py).
keep_singletons_alive()

# CI (REQUIRE_X11=1) runs the property tests with a fixed seed, so a landing never depends on
# what a random search happened to find that day; runs elsewhere keep exploring, and what
# they find becomes a plain test case.
settings.register_profile("ci", derandomize=True, print_blob=True)
if REQUIRE_X11 or os.environ.get("HYPOTHESIS_PROFILE") == "ci":
    settings.load_profile("ci")


@pytest.fixture
def fake_clock() -> FakeClock:
    """Wall and monotonic time at tests.helpers.fakes.T0, moved only by the test."""
    return FakeClock()


@pytest.fixture
def scripted_probe() -> ScriptedProbe:
    """A probe with nothing in front, no idle time and an unlocked screen, until the test says."""
    return ScriptedProbe()


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A typical desktop umask (022) for the test, so a private mode can only come from the code
    under test."""
    with fs.loose_umask():
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _umask_kept() -> Iterator[None]:
    """Every test ends with the umask it started with. Code under test run in-process (the data
    folder's preparation, wipe) sets 077 for the process, as the program does; left behind, it
    made later harnesses' 0755 folders 0700 and the test user could not run what was in them."""
    before = os.umask(0o022)
    os.umask(before)
    try:
        yield
    finally:
        os.umask(before)
