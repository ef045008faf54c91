"""The app picker (issue 10 §2, §3): a running program the catalog or a tracked app already
matches is shown as that app, each app says how it is recognised here, "Running now" lists
only apps, and "Is it counted now?" answers in words."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget
from pytestqt.qtbot import QtBot

from widget.catalog_data import load_catalog
from widget.core.catalog import custom_app
from widget.core.model import Foreground, Rule, RuleKind, TrackedApp
from widget.core.rules import CountCheck, count_check
from widget.store import Store
from widget.ui.dialogs.app_picker import AppPicker, RunningApp, running_process_names

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def open_picker(qtbot: QtBot, store: Store, running: list[str | RunningApp],
                **kwargs: object) -> AppPicker:
    picker = AppPicker(store, load_catalog(), "linux", lambda: running, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(picker)
    picker.load()
    picker.show()
    return picker


def texts(items: QListWidget) -> list[str]:
    return [items.item(i).text() for i in range(items.count())]


def item(items: QListWidget, text: str):  # type: ignore[no-untyped-def]
    [found] = items.findItems(text, Qt.MatchFlag.MatchExactly)
    return found


# --- §2: a running program is shown as the app it already is -------------------------------


def test_running_replika_is_the_catalogs_replika_and_never_a_second_app(
        qtbot: QtBot, store: Store) -> None:
    picker = open_picker(qtbot, store, ["replika", "mychat"])
    assert texts(picker.running_list) == ["Replika (the program replika)", "mychat"]
    item(picker.running_list, "Replika (the program replika)").setCheckState(
        Qt.CheckState.Checked)
    assert item(picker.apps, "Replika").checkState() is Qt.CheckState.Checked  # the same app
    assert picker.save()
    [app] = store.list_apps()
    assert (app.key, app.name, app.source) == ("replika", "Replika", "catalog")
    # On Linux the catalog's Replika is a browser tab only: the program seen running is added.
    assert app.rules[0] == Rule(RuleKind.PROCESS, "replika")
    assert Rule(RuleKind.TITLE, "*Replika") in app.rules


def test_ticking_the_catalog_app_ticks_its_running_program_too(qtbot: QtBot,
                                                               store: Store) -> None:
    picker = open_picker(qtbot, store, ["replika"])
    item(picker.apps, "Replika").setCheckState(Qt.CheckState.Checked)
    running = item(picker.running_list, "Replika (the program replika)")
    assert running.checkState() is Qt.CheckState.Checked
    item(picker.apps, "Replika").setCheckState(Qt.CheckState.Unchecked)
    assert running.checkState() is Qt.CheckState.Unchecked
    assert picker.save()
    assert store.list_apps() == []


def test_a_program_a_tracked_app_already_matches_is_shown_as_that_app(qtbot: QtBot,
                                                                      store: Store) -> None:
    store.add_app(custom_app("Kira", ["kira-chat"], [], any_window=False))
    picker = open_picker(qtbot, store, ["kira-chat"])
    [shown] = texts(picker.running_list)
    assert shown == "Kira (the program kira-chat), tracked already"
    fixed = item(picker.running_list, shown)
    assert not fixed.flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert picker.save()
    assert [a.key for a in store.list_apps()] == ["custom-kira"]


def test_an_own_app_whose_name_makes_a_taken_id_gets_its_own(qtbot: QtBot,
                                                             store: Store) -> None:
    store.add_app(custom_app("Kira", ["replika"], [], any_window=False))
    picker = open_picker(qtbot, store, [])
    picker.own_name.setText("💬 Kira ❤")  # QTest cannot type characters beyond the BMP
    picker.own_process.setText("kira2")
    assert picker.add_own()
    assert picker.save()
    apps = {a.key: a for a in store.list_apps()}
    assert apps["custom-kira"].rules == (Rule(RuleKind.PROCESS, "replika"),)
    assert apps["custom-kira-2"].name == "💬 Kira ❤"
    qtbot.keyClicks(picker.own_name, "kira")
    qtbot.keyClicks(picker.own_process, "other")
    assert not picker.add_own()
    assert picker.name_error.text().startswith("There is already an app with that name")


# --- §3: how each app is recognised here ----------------------------------------------------


def test_choosing_replika_says_it_counts_only_as_a_browser_tab_on_linux(qtbot: QtBot,
                                                                        store: Store) -> None:
    picker = open_picker(qtbot, store, [])
    picker.apps.setCurrentItem(item(picker.apps, "Replika"))
    words = picker.how.text()
    assert ("counted as a browser tab at my.replika.com (with driftcheck's browser extension), "
            'or whose title says "Replika"') in words
    assert "no Linux desktop app" in words and "phone" in words
    claude = item(picker.apps, "Claude")
    assert claude.toolTip().startswith('On Linux, counted as the desktop app: the program '
                                       '"claude-desktop"')


def test_is_it_counted_now_answers_against_the_apps_ticked(qtbot: QtBot, store: Store) -> None:
    seen: list[list[TrackedApp]] = []
    browsers = load_catalog().browser_names("linux")

    def check(apps: list[TrackedApp]) -> CountCheck:
        seen.append(apps)
        return count_check(Foreground("firefox", title="Evening chat - Replika"), apps,
                           browsers, sees_front=True, probe="x11")

    picker = open_picker(qtbot, store, [], check=check, countdown_s=0)
    item(picker.apps, "Replika").setCheckState(Qt.CheckState.Checked)  # ticked, not saved
    with qtbot.waitSignal(picker.count_check.checked, timeout=5000):
        picker.count_check.button.click()
    assert [a.key for a in seen[0]] == ["replika"]
    answer = picker.count_check.answer.text()
    assert 'a browser tab of the program "firefox" titled "Evening chat - Replika"' in answer
    assert "It counts as Replika." in answer
    assert store.list_apps() == []  # looking stores nothing


def test_the_countdown_can_be_stopped_with_not_now(qtbot: QtBot, store: Store) -> None:
    calls: list[object] = []
    picker = open_picker(qtbot, store, [], check=lambda apps: calls.append(apps))  # type: ignore[arg-type, func-returns-value]
    picker.count_check.button.click()
    assert "looks in 5 s" in picker.count_check.answer.text()
    assert picker.count_check.not_now.isVisible()
    picker.count_check.not_now.click()
    assert picker.count_check.button.isEnabled() and not picker.count_check.answer.isVisible()
    assert calls == []


# --- §3: "Running now" lists apps, by their full names --------------------------------------


@pytest.fixture
def programs(tmp_path: Path) -> Iterator[tuple[dict[str, str], list[str]]]:
    """A `timeout` wrapper and a program with a desktop entry and a name longer than the
    kernel's 15 characters, running; the environment that points at that desktop entry."""
    share = tmp_path / "share"
    (share / "applications").mkdir(parents=True)
    long_name = "kira-companion-desktop"  # 22 characters; /proc/PID/comm keeps 15
    (share / "applications" / "kira.desktop").write_text(
        f"[Desktop Entry]\nType=Application\nName=Kira Companion\nExec={long_name} %U\n")
    link = tmp_path / long_name
    link.symlink_to(shutil.which("sleep") or "/bin/sleep")
    procs = [subprocess.Popen([str(link), "600"]),
             subprocess.Popen(["timeout", "600", "sleep", "600"])]
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(share),
           "XDG_DATA_DIRS": str(tmp_path / "nothing")}
    try:
        yield env, [long_name]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="desktop entries: Linux")
def test_running_now_lists_apps_by_full_name_and_never_wrappers(
        programs: tuple[dict[str, str], list[str]]) -> None:
    env, (long_name,) = programs
    found = running_process_names(env)
    assert RunningApp(long_name, "Kira Companion") in found
    names = {app.process for app in found}
    assert "timeout" not in names and "sleep" not in names
    assert not any(len(name) == 15 and long_name.startswith(name) for name in names)
    assert os.environ.get("DISPLAY") is None or True  # X windows: tests/e2e/test_apps_check.py
