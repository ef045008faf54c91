"""The headless GNOME Shell the GNOME tests run on, proven: it starts as the test user and
answers, real Wayland and XWayland windows open under chosen process names, focus follows the
window a test activates and real keys, real input resets the idle time, driftcheck runs as
the user inside the session, and nothing in it reaches past loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import psutil
import pytest

from tests.helpers.gnome import KEY_ALT, KEY_TAB, GnomeOptions, GnomeSession
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.gnome]


SAMPLE_UUID = "sample@driftcheck.invalid"


@pytest.fixture(scope="module")
def gnome_options(tmp_path_factory: pytest.TempPathFactory) -> GnomeOptions:
    """XWayland on, and a small extension of the test's own installed and enabled."""
    sample = tmp_path_factory.mktemp("extension") / "any-folder-name"
    sample.mkdir()
    (sample / "metadata.json").write_text(json.dumps(
        {"uuid": SAMPLE_UUID, "name": "sample", "description": "a test's own extension",
         "shell-version": ["43"]}))
    (sample / "extension.js").write_text(
        "function init() { return {enable() {}, disable() {}}; }\n")
    return GnomeOptions(extensions=(sample,), enabled=(SAMPLE_UUID,), xwayland=True)


def test_the_shell_answers_as_the_test_user_with_its_overview_hidden(
        gnome: GnomeSession) -> None:
    assert gnome.shell_version.startswith("43.")
    assert gnome.shell is not None
    assert Path(f"/proc/{gnome.shell.pid}").stat().st_uid == gnome.user.uid != 0
    assert not gnome.overview_visible()
    assert gnome.idle_ms() >= 0
    assert gnome.extension_state("driftcheck-test-helper@driftcheck.invalid") == 1
    assert gnome.extension_state(SAMPLE_UUID) == 1, gnome.extension_error(SAMPLE_UUID)


def test_windows_open_under_chosen_names_and_focus_follows(gnome: GnomeSession) -> None:
    kobold = gnome.open_window("koboldcpp", "Kobold chat")
    replika = gnome.open_window("replika", "Replika chat")
    assert Path(f"/proc/{kobold.pid}/comm").read_text().strip() == "koboldcpp"
    assert Path(f"/proc/{replika.pid}/comm").read_text().strip() == "replika"
    shown = {title: (wm_class, pid, x11) for title, wm_class, _app, pid, x11 in gnome.windows()}
    assert shown["Kobold chat"] == ("koboldcpp", kobold.pid, False)
    assert shown["Replika chat"] == ("replika", replika.pid, False)
    for title in ("Kobold chat", "Replika chat", "Kobold chat"):
        gnome.activate(title)
        assert gnome.focused_title() == title
    gnome.press(KEY_ALT, KEY_TAB)  # real keys: back to the window used before
    wait_for(lambda: gnome.focused_title() == "Replika chat", 10, "Alt+Tab to switch")


def test_an_xwayland_window_is_one_window_of_its_process(gnome: GnomeSession) -> None:
    nomi = gnome.open_x11_window("nomi", "Nomi on X")
    assert Path(f"/proc/{nomi.pid}/comm").read_text().strip() == "nomi"
    mine = [w for w in gnome.windows() if w[0] == "Nomi on X"]
    assert [(pid, x11) for _title, _class, _app, pid, x11 in mine] == [(nomi.pid, True)]
    gnome.activate("Nomi on X")
    gnome.close_window(nomi)


def test_real_input_resets_the_idle_time(gnome: GnomeSession) -> None:
    wait_for(lambda: gnome.idle_ms() >= 1500, 10, "idle time to build up", step=0.1)
    gnome.touch()
    assert gnome.idle_ms() < 1000


def test_driftcheck_runs_as_the_user_inside_the_session(
        gnome: GnomeSession,
        driftcheck_as_user: Callable[..., CompletedProcess[str]]) -> None:
    done = driftcheck_as_user("doctor", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    print("doctor's probe here:", report["probe"])
    assert report["probe"]["name"]
    # It read the session's own bus, as the user, and keeps its data in the user's HOME.
    assert report["probe"]["idle_source"] == "org.gnome.Mutter.IdleMonitor"
    assert report["probe"]["idle_readable"] is True
    assert Path(report["data_dir"]["path"]).is_relative_to(gnome.home)


def test_the_shell_restarts_under_the_same_session(gnome: GnomeSession) -> None:
    window = gnome.open_window("kindroid", "Before the restart")
    gnome.stop_shell()
    window.process.wait(timeout=10)  # a Wayland client ends with its compositor
    took = gnome.start_shell()
    print(f"GNOME Shell answered again after {took:.2f} s")
    assert gnome.extension_state("driftcheck-test-helper@driftcheck.invalid") == 1
    gnome.open_window("kindroid", "After the restart")
    assert gnome.focused_title() == "After the restart"
    gnome.touch()
    assert gnome.idle_ms() < 1000


def test_nothing_in_the_session_reaches_past_loopback(gnome: GnomeSession) -> None:
    assert gnome.user_pids()
    assert gnome.outside_connections() == []


def test_gnome_shells_own_daemon_owns_the_notification_names(gnome: GnomeSession) -> None:
    """org.freedesktop.Notifications is served by the Shell's gjs service (which needs the
    package gjs; without it D-Bus would start dunst instead), org.gtk.Notifications by the
    Shell itself."""
    def owner(name: str) -> list[str]:
        (pid,) = gnome.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                            "org.freedesktop.DBus", "GetConnectionUnixProcessID", "s", name)
        return list(psutil.Process(pid).cmdline())

    assert owner("org.freedesktop.Notifications")[-1].endswith("org.gnome.Shell.Notifications")
    assert owner("org.gtk.Notifications")[0] == "gnome-shell"
