from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.xsession import XSession, missing_tools, start_session, stop_processes
from tests.helpers.skips import skip_or_fail

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def xsession(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XSession]:
    missing = missing_tools()
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed")
    session, procs = start_session(tmp_path_factory.mktemp("x11"))
    try:
        yield session
    finally:
        session.close_windows()
        stop_processes(procs)


@pytest.fixture
def screen_on_failure(request: pytest.FixtureRequest, xsession: XSession) -> Iterator[XSession]:
    """The X session; when the test fails, a screenshot of the screen lands in tests/artifacts."""
    yield xsession
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        xsession.screenshot(ARTIFACTS / f"{request.node.name}.png")


def driftcheck_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "widget", *args]


@pytest.fixture
def run_driftcheck(xsession: XSession):  # type: ignore[no-untyped-def]
    """Run a driftcheck command to completion in the X session's environment."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**xsession.env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        env.pop("DRIFTCHECK_DATA_DIR", None)
        return subprocess.run(driftcheck_cmd(*args), env=env, capture_output=True, text=True,
                              timeout=60, check=check)

    return run
