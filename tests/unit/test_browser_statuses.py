"""What each browser's tabs are matched by, as `doctor`, `apps check` and the apps dialog say it
(widget.services.browsers): from the browsers' folders in a made-up home, the host manifests
`driftcheck browser install` writes there, Snap and Flatpak packaging, and what the running
tracker answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from widget.browser.manifests import BY_KEY, manifest_folder, profile_root, write_manifest
from widget.browser.protocol import NOT_KNOWN, Answer
from widget.commands.doctor import diagnose, render
from widget.paths import BROWSER_LAUNCHER_NAME
from widget.services.browsers import (
    HOST_ELSEWHERE,
    HOST_HERE,
    HOST_NONE,
    BrowserStatus,
    browser_statuses,
)


def _install(home: Path, data: Path, key: str) -> None:
    """What `driftcheck --data-dir DATA browser install --browser KEY` writes in `home`."""
    browser = BY_KEY[key]
    folder = manifest_folder(browser, profile_root(browser, {"HOME": str(home)}, "linux"),
                             "linux")
    write_manifest(browser, folder, data.absolute() / BROWSER_LAUNCHER_NAME)


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A home with Firefox's and Chromium's folders, Chrome's host serving another data
    folder, Brave as a Flatpak; a root whose snap folder has Chromium; the data folder."""
    home, root, data = tmp_path / "home", tmp_path / "root", tmp_path / "data"
    (home / ".mozilla").mkdir(parents=True)
    (home / ".config" / "chromium").mkdir(parents=True)
    (home / ".config" / "google-chrome").mkdir(parents=True)
    (home / ".var" / "app" / "com.brave.Browser").mkdir(parents=True)
    (root / "snap" / "bin").mkdir(parents=True)
    (root / "snap" / "bin" / "chromium").touch()
    _install(home, data, "firefox")
    _install(home, tmp_path / "other-data", "chrome")
    return home, root, data


def test_each_browser_here_is_listed_with_its_host_packaging_and_connection(
        machine: tuple[Path, Path, Path]) -> None:
    home, root, data = machine
    answer = Answer(("firefox",), NOT_KNOWN)
    found = browser_statuses(data, answer, {"HOME": str(home)}, "linux", root)
    assert found == [
        BrowserStatus("firefox", "Firefox", True, HOST_HERE),
        BrowserStatus("chromium", "Chromium", False, HOST_NONE, "Snap"),
        BrowserStatus("chrome", "Google Chrome", False, HOST_ELSEWHERE),
        BrowserStatus("brave", "Brave", False, HOST_NONE, "Flatpak"),
    ]
    words = [status.words() for status in found]
    assert words == [
        "Firefox: the extension is connected, so its tabs count by their address.",
        "Chromium is a Snap, which cannot start driftcheck's host, so its tabs are matched by "
        "their titles only.",
        "Google Chrome: driftcheck's host there serves another data folder, so here its tabs "
        "are matched by their titles only (`driftcheck browser install --browser chrome` takes "
        "it over).",
        "Brave is a Flatpak, which cannot start driftcheck's host, so its tabs are matched by "
        "their titles only.",
    ]


def test_without_a_tracker_to_ask_connection_is_unknown_and_said_so(
        machine: tuple[Path, Path, Path]) -> None:
    home, root, data = machine
    found = browser_statuses(data, None, {"HOME": str(home)}, "linux", root)
    firefox = found[0]
    assert firefox.connected is None
    assert firefox.words() == ("Firefox: the host is installed; whether its extension is "
                               "connected shows while driftcheck runs.")


def test_an_installed_host_whose_extension_is_silent_and_a_firefox_snap(
        machine: tuple[Path, Path, Path]) -> None:
    home, root, data = machine
    (root / "snap" / "bin" / "firefox").touch()
    answer = Answer((), NOT_KNOWN)
    silent = BrowserStatus("firefox", "Firefox", False, HOST_HERE)
    assert "the host is installed but the extension is not connected" in silent.words()
    firefox = browser_statuses(data, answer, {"HOME": str(home)}, "linux", root)[0]
    assert firefox.packaged == "Snap"
    assert firefox.words().startswith("Firefox is a Snap: it can start driftcheck's host only "
                                      "through the desktop's WebExtensions portal")


def test_a_connected_browser_driftcheck_does_not_install_for_is_still_listed(
        tmp_path: Path) -> None:
    answer = Answer(("opera", "firefox"), NOT_KNOWN)
    found = browser_statuses(tmp_path, answer, {"HOME": str(tmp_path / "empty")}, "linux",
                             tmp_path / "root")
    assert [(s.key, s.connected) for s in found] == [("firefox", True), ("opera", True)]


def test_doctor_says_per_browser_what_tabs_are_matched_by(
        machine: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    home, _root, data = machine
    monkeypatch.setattr("widget.services.browsers._packaged", lambda *a: None)
    report = diagnose(data, {"HOME": str(home)})
    text = render(report)
    assert ("  Browser tabs:   Firefox by title; Chromium by title; Google Chrome by title"
            in text.splitlines())
    # No tracker runs for this folder: whether Firefox's extension is connected is not known.
    assert ("- Firefox: the host is installed; whether its extension is connected shows while "
            "driftcheck runs.") in text.splitlines()
    assert [b["key"] for b in report["browsers"]] == ["firefox", "chromium", "chrome"]
