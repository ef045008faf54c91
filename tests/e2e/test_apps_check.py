""""Is it counted now?" for real (issue 10 §3): `driftcheck apps check` reads the window in
front on a real X server with the tracker's probe and rules; "Running now" lists the programs
that own windows, by full name. The titles shown are never written to the data folder."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

# The dialog below draws offscreen; the probe it uses reads the real X server (xs.env).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.e2e.desktop import XSession
from tests.helpers.browser import FakeHost
from tests.helpers.program import ProgramLog, Tracker, driftcheck, program_env
from tests.helpers.waiting import wait_for
from widget.browser.channel import BrowserChannel
from widget.paths import BROWSER_SOCKET_NAME
from widget.ui.dialogs.app_picker import running_process_names

pytestmark = [pytest.mark.e2e, pytest.mark.x11]

KIRA_TITLE = "Talking with Kira 5d1e"
TAB_TITLE = "Evening chat 8c2f - Replika — Mozilla Firefox"
WINDOW_TITLE = "Replika 0a7b"  # a window that names Replika but is no browser
SECRETS = [b"5d1e", b"8c2f", b"0a7b"]


def check(run_driftcheck, data: Path, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return run_driftcheck("--data-dir", str(data), "apps", "check", "--wait", "0", *args)


def test_apps_check_says_what_is_in_front_and_which_app_it_counts_as(  # type: ignore[no-untyped-def]
        screen_on_failure: XSession, run_driftcheck, tmp_path: Path) -> None:
    xs = screen_on_failure
    data = tmp_path / "data"
    run_driftcheck("--data-dir", str(data), "apps", "add", "--name", "Kira", "--process",
                   "kira-chat")
    run_driftcheck("--data-dir", str(data), "apps", "add", "Replika")

    kira = xs.spawn("kira-chat", KIRA_TITLE)
    xs.activate(kira)
    found = json.loads(check(run_driftcheck, data, "--json").stdout)
    assert found["probe"] == "x11" and found["sees_window_in_front"] is True
    assert found["front"]["process"] == "kira-chat"
    assert found["front"]["title"] == KIRA_TITLE  # on screen, for the person to see
    assert found["counts_as"] == {"id": "custom-kira", "name": "Kira"}

    tab = xs.spawn("firefox", TAB_TITLE)  # a browser window: the catalog's title rule applies
    xs.activate(tab)
    words = check(run_driftcheck, data).stdout
    assert f'In front now: a browser tab of the program "firefox" titled "{TAB_TITLE}"' in words
    assert "It counts as Replika." in words

    # On Linux Replika is only a browser tab: a window of another program is not counted,
    # and the check says so rather than leaving the person to find 0 s at the end of the day.
    window = xs.spawn("replika-desktop", WINDOW_TITLE)
    xs.activate(window)
    found = json.loads(check(run_driftcheck, data, "--json").stdout)
    assert found["front"]["process"] == "replika-desktop"
    assert found["front"]["in_browser"] is False
    assert found["counts_as"] is None
    assert "not counted" in found["words"][1]

    for file in data.rglob("*"):  # the log and the database never hold a title
        if file.is_file():
            content = file.read_bytes()
            assert not any(secret in content for secret in SECRETS), file.name


def test_an_own_app_is_counted_by_its_app_id(  # type: ignore[no-untyped-def]
        screen_on_failure: XSession, tmp_path: Path, run_driftcheck) -> None:
    """`apps add --app-id`: a window whose program has another name counts by its own id (on
    X11 its WM_CLASS class; an xterm started with -class), and `apps check` says the id."""
    import shutil

    from tests.e2e.desktop import Window

    xs = screen_on_failure
    data = tmp_path / "data"
    run_driftcheck("--data-dir", str(data), "apps", "add", "--name", "Kira", "--app-id",
                   "kira.*")
    link = xs.bin_dir / "kira-launcher"
    if not link.exists():
        link.symlink_to(shutil.which("xterm") or "/usr/bin/xterm")
    proc = subprocess.Popen([str(link), "-class", "Kira.Chat", "-T", KIRA_TITLE, "-geometry",
                             "60x10", "-e", "sleep", "3600"], env=xs.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    xs.procs.append(proc)
    wid = wait_for(lambda: xs._window_of(proc.pid), 15, "the window of kira-launcher")
    xs.activate(Window(wid, proc, "kira-launcher"))
    found = json.loads(check(run_driftcheck, data, "--json").stdout)
    assert found["front"]["process"] == "kira-launcher"
    assert found["front"]["window_class"] == "Kira.Chat"
    assert found["counts_as"] == {"id": "custom-kira", "name": "Kira"}
    words = check(run_driftcheck, data).stdout
    assert "It counts as Kira." in words
    assert 'Its app id is "Kira.Chat"' in words
    listed = json.loads(run_driftcheck("--data-dir", str(data), "apps", "list",
                                       "--json").stdout)
    kira = next(app for app in listed if app["id"] == "custom-kira")
    assert kira["rules"] == [{"kind": "bundle", "pattern": "kira.*"}]


def test_running_now_lists_window_owners_by_full_name(screen_on_failure: XSession,
                                                      tmp_path: Path) -> None:
    xs = screen_on_failure
    long_name = "kira-companion-window"  # 21 characters; the kernel's comm keeps 15
    xs.spawn(long_name, "Kira")
    helper = subprocess.Popen(["timeout", "600", "sleep", "600"], env=xs.env)
    try:
        found = running_process_names(xs.env)
    finally:
        helper.kill()
        helper.wait()
    names = {app.process for app in found}
    assert long_name in names
    assert long_name[:15] not in names
    assert not names & {"timeout", "sleep", "Xvfb", "openbox"}


def test_the_dialogs_check_reads_the_real_window_in_front(  # type: ignore[no-untyped-def]
        screen_on_failure: XSession, qtbot, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The apps dialog's own check (its default, as in the tray app), on the X server; then
    with a tracker's channel in the store's data folder, where a browser's extension (a
    stand-in host) speaks for the tab, as in the tray app."""
    from PySide6.QtCore import Qt

    from widget.catalog_data import load_catalog
    from widget.store import Store
    from widget.ui.dialogs.app_picker import AppPicker

    xs = screen_on_failure
    monkeypatch.setenv("DISPLAY", xs.display)  # the tray app's own environment
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    store = Store.open(tmp_path / "db.sqlite3")
    try:
        picker = AppPicker(store, load_catalog(), "linux", lambda: [], countdown_s=0)
        qtbot.addWidget(picker)
        picker.load()
        [replika] = picker.apps.findItems("Replika", Qt.MatchFlag.MatchExactly)
        replika.setCheckState(Qt.CheckState.Checked)  # ticked, not yet saved
        tab = xs.spawn("firefox", TAB_TITLE)
        xs.activate(tab)
        with qtbot.waitSignal(picker.count_check.checked, timeout=15000) as seen:
            picker.count_check.button.click()
        assert seen.args[0].probe == "x11"
        answer = picker.count_check.answer.text()
        assert f'titled "{TAB_TITLE}"' in answer and "It counts as Replika." in answer

        channel = BrowserChannel(tmp_path / BROWSER_SOCKET_NAME)
        channel.set_rules({"replika": ("my.replika.com",)})
        assert channel.start()
        try:
            host = FakeHost(channel.path, "firefox", tab.process.pid)
            host.rules()
            host.state(None)
            wait_for(lambda: channel.app_for(tab.process.pid).known, 10, "the state to arrive")
            with qtbot.waitSignal(picker.count_check.checked, timeout=15000):
                picker.count_check.button.click()
            answer = picker.count_check.answer.text()
            assert "driftcheck's extension in Firefox says this tab is none of the apps you " \
                   "track, whatever its title, so it is not counted." in answer
            assert "Firefox: the extension is connected" in answer
            host.close()
        finally:
            channel.close()
    finally:
        store.close()


def heard(check: Callable[[], dict], done: Callable[[dict], bool]) -> dict:  # type: ignore[type-arg]
    """`check()` once the tracker has heard what the stand-in host said (another connection,
    so it may read it a moment after the next check asks)."""
    def found() -> dict | None:  # type: ignore[type-arg]
        answer = check()
        return answer if done(answer) else None

    return wait_for(found, 20, "the tracker to hear the stand-in host")  # type: ignore[no-any-return]


def test_a_tab_counts_as_the_running_trackers_browser_extension_says(
        screen_on_failure: XSession, tmp_path: Path) -> None:
    """`apps check` asks the running tracker (a real `driftcheck track`) what a connected
    browser's extension says of the window in front: the tab's address decides, whatever its
    title; with no extension connected the title decides again. A stand-in host speaks for
    the browser (tests/helpers/browser.py); real browsers: tests/browser."""
    xs = screen_on_failure
    data = tmp_path / "data"
    home = tmp_path / "home"  # no browser's folder: only what the tracker says is listed
    env = program_env(xs.env, HOME=str(home))
    assert driftcheck(data, "apps", "add", "claude", env=env).returncode == 0

    def check() -> dict:  # type: ignore[type-arg]
        done = driftcheck(data, "apps", "check", "--wait", "0", "--json", env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    browser = xs.spawn("firefox", "Plans 3e9a - Claude — Mozilla Firefox")  # names Claude
    xs.activate(browser)
    found = check()  # no tracker runs: the title decides, no browser is listed
    assert found["counts_as"]["id"] == "claude"
    assert found["front"]["tab_by_extension_of"] is None and found["browsers"] == []

    tracker = Tracker(xs, data)
    try:
        ProgramLog(data).wait("browsers_listening", proc=tracker.proc)
        host = FakeHost(data / BROWSER_SOCKET_NAME, "firefox", browser.process.pid)
        assert host.rules()["apps"][0]["id"] == "claude"
        host.state(None)  # the extension: none of the tracked apps in the tab in front
        found = heard(check, lambda f: f["front"]["tab_by_extension_of"] is not None)
        assert found["counts_as"] is None
        assert found["front"]["tab_by_extension_of"] == "Firefox"
        assert "driftcheck's extension in Firefox says this tab is none of the apps you " \
               "track, whatever its title, so it is not counted." in found["words"]
        assert found["browsers"] == ["Firefox: the extension is connected, so its tabs count "
                                     "by their address."]
        host.state("claude", audible=True)
        found = heard(check, lambda f: f["counts_as"] is not None)
        assert found["counts_as"]["id"] == "claude"
        assert "It counts as Claude: driftcheck's extension in Firefox recognises the tab by " \
               "its address." in found["words"]
        host.close()
        ProgramLog(data).wait("browser_gone", proc=tracker.proc)
        found = check()  # the extension is gone: the title decides again
        assert found["counts_as"]["id"] == "claude"
        assert found["front"]["tab_by_extension_of"] is None
        assert found["browsers"] == []
    finally:
        tracker.end()
    assert b"3e9a" not in b"".join(f.read_bytes() for f in data.rglob("*") if f.is_file())
