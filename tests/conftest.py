"""Shared test settings: real-display tests skip loudly, and fail under REQUIRE_X11=1."""

from __future__ import annotations

import os

import pytest

REQUIRE_X11 = os.environ.get("REQUIRE_X11") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip a real-display test, naming what is missing; in CI (REQUIRE_X11=1) fail instead."""
    if REQUIRE_X11:
        pytest.fail(f"REQUIRE_X11=1 but {reason}", pytrace=False)
    pytest.skip(f"REAL-DISPLAY TEST SKIPPED: {reason} (`make test` as root installs it)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
