"""The tray's menu, tooltip and pause, with a fake clock and recorded actions; and the small
window that takes the tray's place on a desktop without one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from tests.helpers.fakes import FakeClock
from widget.core import settings as S
from widget.core.today import AppRow, TodayView
from widget.ui.tray import (
    MemorySettings,
    TrayPresence,
    place_near,
    tooltip_text,
    where_it_lives_text,
    where_on_screen,
)

# The offscreen platform says these of every top-level window; they are not driftcheck's doing.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")

BERLIN = ZoneInfo("Europe/Berlin")
NOON = datetime(2026, 11, 26, 14, 0, tzinfo=BERLIN).astimezone(UTC)  # 14:00 in Berlin


class Actions:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def pause(self, until: datetime) -> None:
        self.calls.append(("pause", until))

    def resume(self) -> None:
        self.calls.append(("resume", None))

    def check_in(self) -> None:
        self.calls.append(("check_in", None))

    def open_apps_goals(self) -> None:
        self.calls.append(("apps_goals", None))

    def open_settings(self) -> None:
        self.calls.append(("settings", None))

    def open_dashboard(self) -> None:
        self.calls.append(("dashboard", None))

    def quit(self) -> None:
        self.calls.append(("quit", None))


class Today:
    """The view the tray reads; tests change `seconds` as time is recorded."""

    def __init__(self) -> None:
        self.seconds = 38 * 60.0
        self.goal: int | None = 45 * 60
        self.calls = 0

    def __call__(self) -> TodayView:
        self.calls += 1
        return TodayView(self.seconds, self.goal,
                         (AppRow("replika", "Replika", self.seconds, None),),
                         3 * 3600, None, None, False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOON)


@pytest.fixture
def actions() -> Actions:
    return Actions()


@pytest.fixture
def today() -> Today:
    return Today()


@pytest.fixture
def settings() -> MemorySettings:
    return MemorySettings()


@pytest.fixture
def with_tray(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A desktop with a tray (offscreen has none): records the tooltip the tray shows."""
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    shown: list[str] = []

    def record(self: QSystemTrayIcon, visible: bool = True) -> None:
        assert not self.icon().isNull(), "a tray must never get an empty slot"
        shown.append(self.toolTip())

    monkeypatch.setattr(QSystemTrayIcon, "setVisible", record)
    monkeypatch.setattr(QSystemTrayIcon, "show", record)
    return shown


@pytest.fixture
def make(qtbot: QtBot, clock: FakeClock, actions: Actions, today: Today,
         settings: MemorySettings) -> Iterator[type[TrayPresence]]:
    made: list[TrayPresence] = []

    def build(**kw: object) -> TrayPresence:
        presence = TrayPresence(today, kw.pop("actions", actions),  # type: ignore[arg-type]
                                settings, now=clock, tz=BERLIN, day_start_hour=4, **kw)  # type: ignore[arg-type]
        made.append(presence)
        return presence

    yield build  # type: ignore[misc]
    for presence in made:
        if presence.compact is not None:
            presence.compact.close()
            presence.compact.deleteLater()


def entries(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def action(menu: QMenu, text: str) -> QAction:
    found = [a for a in menu.actions() if a.text() == text]
    assert len(found) == 1, entries(menu)
    return found[0]


def test_the_menu_offers_what_the_person_needs(make) -> None:  # type: ignore[no-untyped-def]
    presence = make()
    assert entries(presence.menu) == ["Pause tracking", "Check in now", "Open dashboard",
                                      "Apps and goals...", "Settings...", "Quit driftcheck"]
    assert entries(presence.pause_menu) == ["15 minutes", "1 hour", "Until tomorrow, 04:00",
                                            "Resume"]
    assert not action(presence.pause_menu, "Resume").isEnabled()  # nothing to resume yet


def test_the_dashboard_opens_from_the_menu_and_the_widget(make, actions: Actions  # type: ignore[no-untyped-def]
                                                           ) -> None:
    presence = make(dashboard=True)  # as the app builds it
    dashboard = action(presence.menu, "Open dashboard")
    assert dashboard.isEnabled()
    assert dashboard.toolTip() != "Coming soon"
    dashboard.trigger()
    presence.show_compact()
    assert presence.compact is not None and presence.compact.dashboard_button.isVisible()
    presence.compact.dashboard_button.click()
    assert actions.calls == [("dashboard", None), ("dashboard", None)]


def test_the_panel_by_the_tray_steps_aside_for_the_dashboard_and_the_check_in(
        make, with_tray: list[str], actions: Actions) -> None:  # type: ignore[no-untyped-def]
    presence = make(dashboard=True)
    presence.show()
    assert presence.tray is not None
    for button in ("dashboard_button", "check_in_button"):
        presence.show_compact()
        assert presence.compact is not None and presence.compact.isVisible()
        getattr(presence.compact, button).click()
        assert not presence.compact.isVisible(), button
    assert [c[0] for c in actions.calls] == ["dashboard", "check_in"]


def test_without_a_tray_the_widget_window_stays_when_the_dashboard_opens(make) -> None:  # type: ignore[no-untyped-def]
    presence = make(dashboard=True)
    presence.show()  # offscreen: no tray, the widget is a window
    assert presence.compact is not None and presence.compact.isVisible()
    presence.compact.dashboard_button.click()
    assert presence.compact.isVisible()


def test_menu_entries_reach_the_app(make, actions: Actions) -> None:  # type: ignore[no-untyped-def]
    presence = make()
    for text in ("Check in now", "Apps and goals...", "Settings...", "Quit driftcheck"):
        action(presence.menu, text).trigger()
    assert [c[0] for c in actions.calls] == ["check_in", "apps_goals", "settings", "quit"]


def test_a_pause_says_until_when_and_ends_by_itself(make, clock: FakeClock,  # type: ignore[no-untyped-def]
                                                     actions: Actions) -> None:
    presence = make()
    action(presence.pause_menu, "15 minutes").trigger()
    assert actions.calls == [("pause", NOON + timedelta(minutes=15))]
    assert presence.pause_menu.title() == "Paused until 14:15"
    assert action(presence.pause_menu, "Resume").isEnabled()
    assert presence.resume_timer.isActive()
    assert 15 * 60_000 <= presence.resume_timer.interval() <= 15 * 60_000 + 1000

    clock.at += timedelta(minutes=10)
    presence.refresh()
    assert presence.paused_until is not None  # still paused

    clock.at += timedelta(minutes=6)
    presence.resume_timer.timeout.emit()  # the moment comes
    assert actions.calls[-1] == ("resume", None)
    assert presence.pause_menu.title() == "Pause tracking"
    assert not action(presence.pause_menu, "Resume").isEnabled()
    assert presence.view is not None and presence.view.paused_until is None


def test_a_pause_the_computer_slept_through_ends_at_the_next_look(  # type: ignore[no-untyped-def]
        make, clock: FakeClock, actions: Actions) -> None:
    presence = make()
    action(presence.pause_menu, "1 hour").trigger()
    assert presence.pause_menu.title() == "Paused until 15:00"
    clock.at += timedelta(hours=3)
    presence.refresh()  # the minute timer, after a sleep
    assert [c[0] for c in actions.calls] == ["pause", "resume"]


def test_until_tomorrow_means_when_the_next_day_starts(  # type: ignore[no-untyped-def]
        make, actions: Actions) -> None:
    presence = make()
    action(presence.pause_menu, "Until tomorrow, 04:00").trigger()
    tomorrow_4 = datetime(2026, 11, 27, 4, 0, tzinfo=BERLIN)
    assert actions.calls == [("pause", tomorrow_4)]
    assert presence.pause_menu.title() == "Paused until tomorrow, 04:00"


def test_resume_from_the_menu(make, actions: Actions) -> None:  # type: ignore[no-untyped-def]
    presence = make()
    action(presence.pause_menu, "1 hour").trigger()
    action(presence.pause_menu, "Resume").trigger()
    assert [c[0] for c in actions.calls] == ["pause", "resume"]
    assert not presence.resume_timer.isActive()


def test_the_tooltip_tells_today_against_the_goal(  # type: ignore[no-untyped-def]
        make, with_tray: list[str], today: Today) -> None:
    presence = make()
    presence.show()
    assert with_tray == ["Today 38 min of 45 min"]
    today.goal = None
    presence.refresh()
    assert presence.tray is not None and presence.tray.toolTip() == "Today 38 min"


def test_the_tooltip_names_no_app_in_discreet_mode(  # type: ignore[no-untyped-def]
        make, with_tray: list[str], settings: MemorySettings) -> None:
    presence = make()
    presence.show()
    assert presence.tray is not None
    assert "Replika" not in presence.tray.toolTip()  # discreet is the default
    S.put(settings, S.DISCREET, False)
    presence.refresh()
    assert presence.tray.toolTip() == "Today 38 min of 45 min\nReplika 38 min"


def test_tooltip_parts_add_up_to_the_total() -> None:
    """1 h 30 min 36 s and 1 h 11 min 36 s were said as "1 h 30 min" and "1 h 11 min"
    under a total of "2 h 42 min"; the parts now add up to the total shown."""
    a, b = 90.6 * 60, 71.6 * 60
    view = TodayView(a + b, 3 * 3600, (AppRow("replika", "Replika", a, None),
                                       AppRow("nomi", "Nomi", b, 2 * 3600)),
                     0.0, None, None, False)
    text = tooltip_text(view, NOON, BERLIN, discreet=False)
    assert text.split("\n") == ["Today 2 h 42 min of 3 h", "Replika 1 h 31 min",
                                 "Nomi 1 h 11 min of 2 h"]
    # Under a minute is said too (it was left out, so the rows fell short of the total).
    view = TodayView(150.0, None, (AppRow("replika", "Replika", 100.0, None),
                                   AppRow("nomi", "Nomi", 50.0, None)), 0.0, None, None, False)
    assert tooltip_text(view, NOON, BERLIN, discreet=False).split("\n") == [
        "Today 2 min 30 s", "Replika 1 min 40 s", "Nomi 50 s"]


def test_the_tooltip_says_until_when_it_is_paused(make, with_tray: list[str]) -> None:  # type: ignore[no-untyped-def]
    presence = make()
    presence.show()
    presence.pause_for(timedelta(minutes=30))
    assert presence.tray is not None
    assert presence.tray.toolTip() == "Today 38 min of 45 min\nPaused until 14:30"


def test_the_icon_is_redrawn_only_when_what_it_shows_changes(  # type: ignore[no-untyped-def]
        make, with_tray: list[str], today: Today) -> None:
    presence = make()
    presence.show()
    assert presence.icon_draws == 1
    for _ in range(5):  # a few seconds more: the same 1/48 of the goal
        today.seconds += 5
        presence.changed.emit()
    assert presence.icon_draws == 1
    today.seconds += 45 * 60 / 48  # the next step of the ring
    presence.refresh()
    assert presence.icon_draws == 2
    presence.pause_for(timedelta(minutes=15))
    assert presence.icon_draws == 3  # paused looks different
    presence.refresh()
    assert presence.icon_draws == 3


def test_a_left_click_toggles_the_compact_widget(  # type: ignore[no-untyped-def]
        make, with_tray: list[str]) -> None:
    presence = make()
    presence.show()
    assert presence.tray is not None
    presence.tray.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert presence.compact is not None and presence.compact.isVisible()
    assert presence.compact.today_label.text() == "Today 38 min of 45 min"
    presence.tray.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert not presence.compact.isVisible()
    presence.tray.activated.emit(QSystemTrayIcon.ActivationReason.Context)
    assert not presence.compact.isVisible()  # the right button is the menu's


def test_the_widget_opens_next_to_the_icon_and_inside_the_screen() -> None:
    screen = QRect(0, 0, 1280, 800)
    top_right_icon = QRect(1250, 2, 24, 24)
    at = place_near(top_right_icon, (300, 200), screen)
    assert at.y() > top_right_icon.bottom() and at.x() + 300 <= 1280
    bottom_icon = QRect(600, 776, 24, 24)
    at = place_near(bottom_icon, (300, 200), screen)
    assert at.y() + 200 < bottom_icon.top() and abs(at.x() + 150 - 612) <= 1


def without_tray_window(presence: TrayPresence):  # type: ignore[no-untyped-def]
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen has none
    presence.show()
    window = presence.compact
    assert window is not None and window.isVisible() and window.windowTitle() == "driftcheck"
    return window


def test_without_a_tray_a_small_window_says_once_why(make, settings: MemorySettings) -> None:  # type: ignore[no-untyped-def]
    first = without_tray_window(make())
    assert first.note_label.isVisible() and "no tray" in first.note_label.text()
    assert first.today_label.text() == "Today 38 min of 45 min"
    first.close()
    second = without_tray_window(make())
    assert not second.note_label.isVisible()  # said once is enough
    assert S.get(settings, S.UI_NO_TRAY_TOLD) is True


def test_the_window_remembers_its_place(make, settings: MemorySettings) -> None:  # type: ignore[no-untyped-def]
    first = without_tray_window(make())
    first.move(130, 170)
    first.close()
    assert isinstance(S.get(settings, S.UI_WINDOW_GEOMETRY), str)
    second = without_tray_window(make())
    assert (second.x(), second.y()) == (130, 170)


def test_the_window_offers_the_menu_and_a_way_to_quit(make, actions: Actions) -> None:  # type: ignore[no-untyped-def]
    window = without_tray_window(make())
    from PySide6.QtWidgets import QPushButton

    menus = [b.menu() for b in window.findChildren(QPushButton) if b.menu() is not None]
    assert len(menus) == 1
    action(menus[0], "Quit driftcheck").trigger()
    assert actions.calls == [("quit", None)]


def test_a_message_in_the_widget_offers_snooze_and_not_now(make, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    presence = make()
    window = without_tray_window(presence)
    presence.show_message("near|daily:*|2026-11-26", "driftcheck",
                          "You are at 80% of today's goal.")
    assert window.message.isVisible()
    assert window.message_body.text() == "You are at 80% of today's goal."
    with qtbot.waitSignal(presence.message_action) as got:
        window.snooze_button.click()
    assert got.args == ["near|daily:*|2026-11-26", "snooze"]
    assert not window.message.isVisible()
    presence.show_message("reached|daily:*|2026-11-26", "driftcheck", "Today's goal is met.")
    with qtbot.waitSignal(presence.message_action) as got:
        window.not_now_button.click()
    assert got.args == ["reached|daily:*|2026-11-26", "not-now"]


def test_without_actions_the_menu_is_quit_alone(make, qtbot: QtBot,  # type: ignore[no-untyped-def]
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    presence = make(actions=None)
    assert entries(presence.menu) == ["Quit driftcheck"]
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", staticmethod(lambda: quits.append(True)))
    action(presence.menu, "Quit driftcheck").trigger()
    assert quits == [True]


def test_after_midnight_the_new_day_pause_says_its_exact_time(  # type: ignore[no-untyped-def]
        make, clock: FakeClock, actions: Actions) -> None:
    # 02:21 on the 27th: the new day begins at 04:00 the same night. The item said "Until
    # tomorrow" and paused for 1 h 39 min; now it says when it ends.
    clock.at = datetime(2026, 11, 27, 2, 21, tzinfo=BERLIN).astimezone(UTC)
    presence = make()
    presence.pause_menu.aboutToShow.emit()
    action(presence.pause_menu, "Until 04:00").trigger()
    assert actions.calls == [("pause", datetime(2026, 11, 27, 4, 0, tzinfo=BERLIN))]
    assert presence.pause_menu.title() == "Paused until 04:00"


def test_with_no_apps_tracked_the_menu_offers_choose_apps(  # type: ignore[no-untyped-def]
        make, today: Today, actions: Actions) -> None:
    empty = TodayView(0.0, None, (), 0.0, None, None, False)
    presence = make()
    presence._view = lambda: empty
    presence.refresh()
    action(presence.menu, "Choose apps...").trigger()
    assert actions.calls == [("apps_goals", None)]
    presence._view = today
    presence.refresh()
    assert "Apps and goals..." in entries(presence.menu)


def test_where_the_icon_sits_is_said_in_words() -> None:
    screen = QRect(0, 0, 1280, 800)
    assert where_on_screen(QRect(1240, 2, 22, 22), screen) == "top right"
    assert where_on_screen(QRect(10, 770, 22, 22), screen) == "bottom left"
    assert where_on_screen(QRect(), screen) is None
    assert "in the tray, top right" in where_it_lives_text("top right")
    assert "in your panel's tray" in where_it_lives_text(None)


def test_after_the_first_run_where_it_lives_is_said_once(  # type: ignore[no-untyped-def]
        make, with_tray: list[str], settings: MemorySettings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    monkeypatch.setattr(QSystemTrayIcon, "showMessage",
                        lambda self, title, body, *args: said.append(body))
    presence = make()
    presence.show()
    assert presence.say_where_it_lives() is not None
    assert presence.say_where_it_lives() is None
    assert len(said) == 1 and said[0].startswith("driftcheck now lives in")
    assert S.get(settings, S.UI_WHERE_TOLD) is True
