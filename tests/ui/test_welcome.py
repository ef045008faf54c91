"""The first run over a real temp store: what driftcheck keeps is said plainly, apps are
picked from the catalog, from what is running, or described by the person."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget
from pytestqt.qtbot import QtBot

from widget.catalog_data import load_catalog
from widget.core.model import Rule, RuleKind
from widget.store import Store
from widget.ui.dialogs.app_picker import plausible_app_names
from widget.ui.dialogs.welcome import WelcomeDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RUNNING = ["bash", "koboldcpp", "mychat", "systemd", "mychat", "kworker/0:1"]


def open_welcome(qtbot: QtBot, store: Store, first_run: bool = True) -> WelcomeDialog:
    dialog = WelcomeDialog(store, load_catalog(), lambda: NOW, first_run=first_run,
                           platform="linux", running=lambda: plausible_app_names(RUNNING),
                           tz=ZoneInfo("UTC"))
    qtbot.addWidget(dialog)
    dialog.load()
    dialog.show()
    return dialog


def visible_items(items: QListWidget) -> list[str]:
    return [items.item(i).text() for i in range(items.count()) if not items.item(i).isHidden()]


def tick(items: QListWidget, text: str) -> None:
    [found] = items.findItems(text, Qt.MatchFlag.MatchExactly)
    found.setCheckState(Qt.CheckState.Checked)


def test_the_first_page_says_what_is_kept_and_what_never_is(qtbot: QtBot,
                                                           store: Store) -> None:
    dialog = open_welcome(qtbot, store)
    text = " ".join(label.text() for label in dialog.intro_page.findChildren(QLabel))
    assert "Time in the apps you choose" in text
    assert "Window titles, and anything you write or read" in text
    assert "stays on this device" in text
    assert dialog.not_now_button.isVisible()


def test_not_now_with_no_apps_brings_the_welcome_back_once_then_never(
        qtbot: QtBot, store: Store) -> None:
    dialog = open_welcome(qtbot, store)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert store.list_apps() == []
    assert not store.get_setting("first_run_done"), "Not now is not never: once more"
    again = open_welcome(qtbot, store)
    again.not_now_button.click()
    assert store.get_setting("first_run_done") is True


def test_a_first_run_that_chose_apps_is_done_even_when_goals_get_not_now(
        qtbot: QtBot, store: Store) -> None:
    dialog = open_welcome(qtbot, store)
    dialog.primary_button.click()
    tick(dialog.picker.apps, "Kindroid")
    dialog.primary_button.click()
    dialog.not_now_button.click()
    assert store.get_setting("first_run_done") is True


def test_a_later_visit_does_not_read_like_the_first_run(qtbot: QtBot, store: Store) -> None:
    store.replace_goals([])
    dialog = open_welcome(qtbot, store, first_run=False)
    assert dialog.windowTitle() == "driftcheck \u2014 Apps and goals"
    assert dialog.not_now_button.text() == "Cancel"
    tick(dialog.picker.apps, "Kindroid")
    dialog.primary_button.click()
    words = " ".join(label.text() for label in dialog.goals_page.findChildren(QLabel))
    assert "Would you like to set yourself a goal?" not in words
    first = open_welcome(qtbot, store)
    assert first.windowTitle() == "driftcheck \u2014 Welcome"
    assert first.not_now_button.text() == "Not now"


def test_searching_kin_finds_kindroid_and_ticking_it_tracks_it(qtbot: QtBot,
                                                              store: Store) -> None:
    dialog = open_welcome(qtbot, store)
    dialog.primary_button.click()
    assert dialog.pages.currentWidget() is dialog.apps_page
    qtbot.keyClicks(dialog.picker.search, "kin")
    assert visible_items(dialog.picker.apps) == ["Kindroid"]
    tick(dialog.picker.apps, "Kindroid")
    dialog.primary_button.click()
    [app] = store.list_apps()
    assert (app.key, app.name, app.source) == ("kindroid", "Kindroid", "catalog")
    assert dialog.pages.currentWidget() is dialog.goals_page, "goals are offered next"
    dialog.not_now_button.click()
    assert not dialog.isVisible()
    assert store.list_goals() == []


def test_a_running_program_can_be_tracked_by_its_process_name(qtbot: QtBot,
                                                              store: Store) -> None:
    dialog = open_welcome(qtbot, store, first_run=False)
    running = dialog.picker.running_list
    assert visible_items(running) == ["KoboldCpp (the program koboldcpp)", "mychat"]
    tick(running, "mychat")
    tick(running, "KoboldCpp (the program koboldcpp)")  # the catalog's: tracked as that app
    dialog.primary_button.click()
    apps = {app.key: app for app in store.list_apps()}
    assert set(apps) == {"custom-mychat", "koboldcpp"}
    assert apps["custom-mychat"].source == "custom"
    assert apps["custom-mychat"].rules == (Rule(RuleKind.PROCESS, "mychat"),)
    assert apps["koboldcpp"].source == "catalog"


def test_an_own_app_without_a_process_or_title_is_explained_next_to_the_field(
        qtbot: QtBot, store: Store) -> None:
    dialog = open_welcome(qtbot, store, first_run=False)
    picker = dialog.picker
    qtbot.keyClicks(picker.own_name, "My chat")
    picker.add_button.click()
    assert picker.process_error.isVisibleTo(dialog)
    assert picker.process_error.text() == ("Please give at least one process name or title "
                                           "pattern.")
    dialog.primary_button.click()  # Save does not go past the problem either
    assert store.list_apps() == []
    assert dialog.pages.currentWidget() is dialog.apps_page


def test_an_own_app_is_added_by_name_and_tab_title(qtbot: QtBot, store: Store) -> None:
    dialog = open_welcome(qtbot, store, first_run=False)
    picker = dialog.picker
    qtbot.keyClicks(picker.own_name, "My chat")
    qtbot.keyClicks(picker.own_title, "My Chat -")
    qtbot.keyClick(picker.own_title, Qt.Key.Key_Return)  # Enter adds; it does not save yet
    assert store.list_apps() == []
    assert "My chat (your own)" in visible_items(picker.apps)
    dialog.primary_button.click()
    [app] = store.list_apps()
    assert app.name == "My chat" and app.rules == (Rule(RuleKind.TITLE, "My Chat -"),)


def test_unticking_a_tracked_app_stops_tracking_it(qtbot: QtBot, store: Store) -> None:
    dialog = open_welcome(qtbot, store, first_run=False)
    tick(dialog.picker.apps, "Replika")
    tick(dialog.picker.apps, "Nomi")
    dialog.primary_button.click()
    assert {a.key for a in store.list_apps()} == {"replika", "nomi"}
    again = open_welcome(qtbot, store, first_run=False)
    [replika] = again.picker.apps.findItems("Replika", Qt.MatchFlag.MatchExactly)
    assert replika.checkState() is Qt.CheckState.Checked
    replika.setCheckState(Qt.CheckState.Unchecked)
    again.primary_button.click()
    assert [a.key for a in store.list_apps()] == ["nomi"]


def test_only_plausible_app_names_are_offered_from_running_programs() -> None:
    assert plausible_app_names(["bash", "Replika", "replika", "kworker/0:1", "systemd-logind",
                                "firefox-esr", "python3.11", "Xvfb", "", "a"]) == [
        "firefox-esr", "Replika"]


def test_on_gnome_without_its_extension_the_first_run_says_so_and_installs_it(
        qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.ui.dialogs import welcome

    monkeypatch.setattr(welcome, "desktop_words",
                        lambda: ("On GNOME, driftcheck sees which app is in front through a "
                                 "small extension. You can install it now.", True))
    asked: list[str | None] = []

    def install(version: str | None) -> int:
        asked.append(version)
        print("driftcheck's GNOME Shell extension is installed and switched on.")
        return 0

    monkeypatch.setattr(welcome, "install_desktop_extension", install)
    dialog = open_welcome(qtbot, store)
    assert dialog.desktop_note is not None and dialog.desktop_button is not None
    assert dialog.desktop_note.isVisible() and "small extension" in dialog.desktop_note.text()
    dialog.desktop_button.click()
    assert asked == [None]
    assert dialog.desktop_note.text() == ("driftcheck's GNOME Shell extension is installed and "
                                          "switched on.")
    assert not dialog.desktop_button.isEnabled()


def test_the_first_run_says_a_refused_install_in_its_own_words(
        qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.errors import DesktopInstallRefused
    from widget.ui.dialogs import welcome

    monkeypatch.setattr(welcome, "desktop_words", lambda: ("On GNOME...", True))

    def refuse(version: str | None) -> int:
        raise DesktopInstallRefused("GNOME's settings could not be read.")

    monkeypatch.setattr(welcome, "install_desktop_extension", refuse)
    dialog = open_welcome(qtbot, store)
    assert dialog.desktop_button is not None
    dialog.desktop_button.click()
    assert dialog.desktop_note is not None
    assert dialog.desktop_note.text() == ("It could not be installed: GNOME's settings could "
                                          "not be read.")
    assert dialog.desktop_button.isEnabled()  # another try stays possible


def test_elsewhere_or_once_installed_nothing_is_offered(
        qtbot: QtBot, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from widget.probes.gnome import first_run_words
    from widget.ui.dialogs import welcome

    assert first_run_words({"DISPLAY": ":0"}) is None  # X11: nothing to say
    monkeypatch.setattr(welcome, "desktop_words",
                        lambda: ("It is installed; GNOME loads it when you next log in.",
                                 False))
    dialog = open_welcome(qtbot, store)
    assert dialog.desktop_note is not None and dialog.desktop_button is None
    monkeypatch.setattr(welcome, "desktop_words", lambda: None)
    assert open_welcome(qtbot, store).desktop_note is None
