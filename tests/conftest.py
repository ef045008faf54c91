"""Shared test settings: real-display tests skip loudly, and fail under REQUIRE_X11=1."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

REQUIRE_X11 = os.environ.get("REQUIRE_X11") == "1"

# CI (REQUIRE_X11=1) runs the property tests with a fixed seed, so a landing never depends on
# what a random search happened to find that day; runs elsewhere keep exploring, and what
# they find becomes a plain test case.
settings.register_profile("ci", derandomize=True, print_blob=True)
if REQUIRE_X11 or os.environ.get("HYPOTHESIS_PROFILE") == "ci":
    settings.load_profile("ci")


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
