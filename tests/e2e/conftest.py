"""The e2e fixtures: the X session (module-wide), a screenshot when a test fails, the tray
(trayer), a session bus with a notification daemon (dunst), and driftcheck's commands run in
that session. What they are made of lives in tests/e2e/desktop.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.desktop import (
    NOTIFY_TOOLS,
    TRAY_TOOLS,
    NotificationDesktop,
    XSession,
    module_session,
    notification_desktop,
    running_trayer,
)
from tests.helpers.program import driftcheck_argv, program_env
from tests.helpers.skips import skip_or_fail

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def xsession(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XSession]:
    with module_session(tmp_path_factory.mktemp("x11")) as session:
        yield session


@pytest.fixture
def screen_on_failure(request: pytest.FixtureRequest, xsession: XSession) -> Iterator[XSession]:
    """The X session; when the test fails, a screenshot of the screen lands in tests/artifacts."""
    yield xsession
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        # ImageMagick reads "[...]" in a file name as a frame list: a parametrised test's
        # screenshot was never written.
        stem = re.sub(r"[^\w.-]", "_", request.node.name)
        xsession.screenshot(ARTIFACTS / f"{stem}.png")


@pytest.fixture
def trayer(xsession: XSession) -> Iterator[tuple[int, int, int, int]]:
    """trayer as the X session's tray; its panel's x, y, width, height."""
    missing = [tool for tool in TRAY_TOOLS if shutil.which(tool) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages trayer, imagemagick)")
    with running_trayer(xsession) as panel:
        yield panel


@pytest.fixture
def desktop(tmp_path: Path, xsession: XSession,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[NotificationDesktop]:
    """A private session bus on the X session with dunst as its notification daemon and
    dbus-monitor recording; this process's DBUS_SESSION_BUS_ADDRESS points at it meanwhile."""
    missing = [tool for tool in NOTIFY_TOOLS if shutil.which(tool) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages dbus, dunst)")
    with notification_desktop(xsession, tmp_path) as made:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", made.address)
        yield made


@pytest.fixture
def run_driftcheck(xsession: XSession):  # type: ignore[no-untyped-def]
    """Run a driftcheck command to completion in the X session's environment."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(driftcheck_argv(*args), env=program_env(xsession.env),
                              capture_output=True, text=True, timeout=60, check=check)

    return run
