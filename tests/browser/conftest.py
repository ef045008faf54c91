"""The browser tests' fixtures: the X session (module-wide), the local sites, a sound server,
`browser`, which starts Chromium or Firefox ESR (each test runs in both) with driftcheck's
extension and a stand-in native host (or the real one), and `browsers`, which starts either
by name, for tests that run both side by side. What they are made of lives in
tests/helpers/real_browsers.py.
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.desktop import XSession, module_session
from tests.helpers.real_browsers import (
    HOSTS,
    TITLE_WORDS,
    UNTRACKED,
    BrowserRun,
    SiteServer,
    StandInHost,
    config_dir,
    null_sink_sound_server,
    rules_apps,
    start_chromium,
    start_firefox,
)
from tests.helpers.skips import skip_or_fail

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PROGRAMS = {"chromium": ("chromium",), "firefox": ("firefox-esr", "pulseaudio", "pactl")}
PACKAGES = {"chromium": "chromium", "firefox": "firefox-esr, pulseaudio"}


@pytest.fixture(scope="module")
def xsession(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XSession]:
    with module_session(tmp_path_factory.mktemp("x11")) as session:
        yield session


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A sound server with a null sink: the environment that reaches it."""
    with null_sink_sound_server(tmp_path_factory.mktemp("sound") / "pulse") as env:
        yield env


@pytest.fixture
def sites() -> Iterator[SiteServer]:
    with SiteServer() as server:
        yield server


def _missing(name: str) -> None:
    missing = [p for p in PROGRAMS[name] if shutil.which(p) is None]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not installed (packages {PACKAGES[name]})")


@contextlib.contextmanager
def _browsers_of_a_test(request: pytest.FixtureRequest, xsession: XSession, sites: SiteServer,
                        tmp_path: Path) -> Iterator[Callable[..., BrowserRun]]:
    """`start(name, urls, apps=..., install=..., reopen=...)` for one test (see `browser`);
    afterwards the stand-ins' records are checked, a failure leaves a screenshot and the
    browsers' logs in tests/artifacts, and every browser started is stopped."""
    runs: list[BrowserRun] = []

    def start(name: str, urls: list[str], apps: list[dict[str, Any]] | None = None,
              install: Callable[[str, Path], None] | None = None,
              reopen: BrowserRun | None = None) -> BrowserRun:
        _missing(name)
        sound = request.getfixturevalue("sound") if name == "firefox" else {}
        if reopen is not None:  # the same profile, and the host it had (installed there)
            assert reopen.name == name and reopen.process.poll() is not None, \
                "a browser is reopened once it has ended"
            folder, host = reopen.log.parent, reopen.host
        else:
            folder = tmp_path / f"{name}-{len(runs)}"
            host = None
            if install is None:
                host = StandInHost(folder / "host", rules_apps() if apps is None else apps)
            else:
                install(name, config_dir(name, folder))
        if name == "chromium":
            run = start_chromium(xsession, folder, sites, host, urls)
        else:
            run = start_firefox(xsession, folder, sites, host, urls, sound)
        runs.append(run)
        run.wait_page(urls[0])  # the first tab is in front, loaded: keys now reach it
        return run

    try:
        yield start
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.passed:
            forbidden = [*HOSTS, *UNTRACKED, "claude", "character", "example", "127.0.0.1",
                         str(sites.port), "http", "/", TITLE_WORDS, *TITLE_WORDS.split()]
            problems = [p for run in runs if run.host is not None
                        for p in run.host.problems(forbidden)]
            assert problems == [], "\n".join(problems)
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            # ImageMagick reads "[...]" in a file name as a frame list: none in the name.
            stem = re.sub(r"[^\w.-]", "_", request.node.name)
            xsession.screenshot(ARTIFACTS / f"{stem}.png")
            for run in runs:
                shutil.copyfile(run.log, ARTIFACTS / f"{stem}-{run.log.name}")
        for run in runs:
            run.stop()


@pytest.fixture(params=["chromium", "firefox"])
def browser(request: pytest.FixtureRequest, xsession: XSession, sites: SiteServer,
            tmp_path: Path) -> Iterator[Callable[..., BrowserRun]]:
    """Starts the browser of the parameter on the X session: `browser(urls, apps=...)` with the
    tabs `urls` and the stand-in host sending `apps` (claude.ai and character.ai tracked by
    default); `browser(urls, install=f)` with the real host instead, which `f(name,
    config_dir)` installs first; `browser(urls, reopen=run)` again with the profile (and the
    host) of `run`, a run of it that has ended. After the test, nothing the extension said to
    the stand-in may be anything but a bare state without a host, path, title or port; a
    failing test leaves a screenshot and the browser's log in tests/artifacts."""
    name = request.param
    _missing(name)
    with _browsers_of_a_test(request, xsession, sites, tmp_path) as start:
        yield functools.partial(start, name)


@pytest.fixture
def browsers(request: pytest.FixtureRequest, xsession: XSession, sites: SiteServer,
             tmp_path: Path) -> Iterator[Callable[..., BrowserRun]]:
    """Starts any of the browsers, side by side on the one X session: `browsers(name, urls,
    ...)`, with `name` "chromium" or "firefox" and the rest as `browser` takes it."""
    for name in PROGRAMS:
        _missing(name)
    with _browsers_of_a_test(request, xsession, sites, tmp_path) as start:
        yield start
