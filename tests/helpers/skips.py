"""Loud skips: a test that needs something this machine lacks says what, and CI (REQUIRE_X11=1)
fails instead of skipping."""

from __future__ import annotations

import os

import pytest

REQUIRE_X11 = os.environ.get("REQUIRE_X11") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip a real-display test, naming what is missing; in CI (REQUIRE_X11=1) fail instead."""
    if REQUIRE_X11:
        pytest.fail(f"REQUIRE_X11=1 but {reason}", pytrace=False)
    pytest.skip(f"REAL-DISPLAY TEST SKIPPED: {reason} (`make test` as root installs it)")
