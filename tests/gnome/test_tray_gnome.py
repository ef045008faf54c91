"""The real tray app (`python -m widget`, Qt on Wayland, as the test user) in a real headless
GNOME Shell 43 (tests/helpers/gnome.py): with the AppIndicator extension on, its
StatusNotifierItem is registered with the extension's watcher, shows the ring and today, and
its menu (com.canonical.dbusmenu, clicked as the extension clicks it) opens the dashboard and
quits; its goal notification reaches GNOME Shell's own notification daemon with "Snooze 15 min"
and "Not now", and the button clicked there comes back and is honoured; with the extension
off there is no tray, and the small window shows in its place.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.gnome import (
    APPINDICATOR_UUID,
    HELPER_UUID,
    SYSTEM_PYTHON,
    GnomeOptions,
    GnomeSession,
    end_process,
)
from tests.helpers.program import ProgramLog
from tests.helpers.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.gnome]

WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
DBUSMENU = "com.canonical.dbusmenu"
NOTIFICATIONS = "org.freedesktop.Notifications"
DB = "driftcheck.sqlite3"


@pytest.fixture(scope="module")
def gnome_options() -> GnomeOptions:
    """GNOME's AppIndicator extension (Ubuntu's default; installed system-wide) switched on."""
    return GnomeOptions(enabled=(APPINDICATOR_UUID,))


# --- the data folder and the app -------------------------------------------------------------


# Written by the test user's Python (the store refuses a folder another user can change).
SEED = """
import sys
from datetime import UTC, datetime, timedelta
from widget.core.calendar import day_window, local_day
from widget.core.model import Interval
from widget.core.options import instant_to_setting
from widget.desktop.localzone import local_zone
from widget.store import Store

tz = local_zone()
now = datetime.now(UTC)
hour = 4
if now - day_window(local_day(now, tz, hour), tz, hour)[0] < timedelta(minutes=50):
    hour = 0  # 04:00-04:50: today started too recently to hold 40 minutes
start, _ = day_window(local_day(now, tz, hour), tz, hour)
store = Store.open(sys.argv[1])
app = sys.argv[2]
try:
    if hour != 4:
        store.set_setting("day_start_hour", hour)
    begin = max(start, now - timedelta(minutes=45))
    store.insert_interval(Interval(app, begin, begin + timedelta(minutes=40)))
    store.set_setting("first_run_done", True)
    store.set_setting("discreet", sys.argv[3] == "discreet")
    store.set_setting("checkin.last_asked", instant_to_setting(now))
finally:
    store.close()
print(local_day(now, tz, hour).isoformat())
"""


def prepare(gnome: GnomeSession, data: Path, *, near_goal: bool,
            app: tuple[str, ...] = ("koboldcpp",), app_id: str = "koboldcpp",
            discreet: bool = True) -> str:
    """A data folder of the test user's: `app` tracked (`apps add APP`, its id `app_id`)
    with 40 minutes of use today, the welcome done and the self-check just settled; with
    `near_goal`, a daily goal of 45 min for all apps (the near-goal notification is due at
    start); without `discreet`, notifications name apps. Returns the day the alerts are
    for."""
    commands = [["apps", "add", *app]]
    if near_goal:
        commands.append(["goals", "set", "--daily", "45m"])
    for command in commands:
        done = gnome.driftcheck("--data-dir", str(data), *command)
        assert done.returncode == 0, done.stderr
    seeded = gnome.run_as_user([str(SYSTEM_PYTHON), "-c", SEED, str(data / DB), app_id,
                                "discreet" if discreet else "open"])
    assert seeded.returncode == 0, seeded.stderr
    return seeded.stdout.strip()


def read_setting(data: Path, key: str) -> object:
    conn = sqlite3.connect(f"file:{data / DB}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    finally:
        conn.close()
    return None if row is None else json.loads(row[0])


@pytest.fixture
def tray_app(gnome: GnomeSession, user_python_qt: Any) -> Iterator[Any]:
    """Starts the tray app as the user on GNOME's Wayland: `tray_app(data)` -> its process."""
    started: list[subprocess.Popen[Any]] = []

    def start(data: Path) -> subprocess.Popen[Any]:
        err = (data.parent / f"{data.name}-stderr.txt").open("wb")
        proc = gnome.spawn_as_user(user_python_qt.argv("--data-dir", str(data)),
                                   env={"QT_QPA_PLATFORM": "wayland",
                                        "PYTHONPATH": user_python_qt.pythonpath},
                                   stderr=err)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        end_process(proc, timeout=10)


# --- the StatusNotifierItem, read over the bus -----------------------------------------------


def items(gnome: GnomeSession) -> list[str]:
    if not gnome.name_owned(WATCHER):
        return []
    return [str(i) for i in gnome.get_property(WATCHER, WATCHER_PATH, WATCHER,
                                               "RegisteredStatusNotifierItems")]


def pid_of(gnome: GnomeSession, name: str) -> int:
    return int(gnome.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixProcessID", "s", name)[0])


def item_of(gnome: GnomeSession, pid: int) -> tuple[str, str] | None:
    """(bus name, object path) of the item process `pid` registered, None while none."""
    for entry in items(gnome):
        # The AppIndicator extension lists "NAME@PATH"; other watchers "NAME/PATH" or "NAME".
        if "@" in entry:
            service, _, path = entry.partition("@")
        else:
            service, slash, path = entry.partition("/")
            path = slash + path
        try:
            if pid_of(gnome, service) == pid:
                return service, path or "/StatusNotifierItem"
        except Exception:  # a name that left the bus meanwhile
            continue
    return None


def menu_entries(gnome: GnomeSession, service: str, menu: str) -> dict[str, int]:
    """label -> id of every entry of the item's menu, submenus included (GetLayout)."""
    _revision, layout = gnome.call(service, menu, DBUSMENU, "GetLayout", "iias", 0, -1, [])
    found: dict[str, int] = {}

    def walk(node: tuple[int, dict[str, tuple[str, Any]], list[tuple[str, Any]]]) -> None:
        entry_id, props, children = node
        if "label" in props:
            found[str(props["label"][1]).replace("_", "")] = int(entry_id)
        for _signature, child in children:
            walk(child)

    walk(layout)
    return found


def click(gnome: GnomeSession, service: str, menu: str, entry_id: int) -> None:
    """What the AppIndicator extension sends when a person clicks a menu entry."""
    gnome.call(service, menu, DBUSMENU, "Event", "isvu", entry_id, "clicked", ("i", 0), 0)


def app_windows(gnome: GnomeSession, pid: int) -> list[str]:
    return [title for title, _class, _app, wpid, _x11 in gnome.windows() if wpid == pid]


# --- the tests -------------------------------------------------------------------------------


def test_the_ring_is_an_appindicator_item_whose_menu_opens_the_dashboard_and_quits(
        gnome: GnomeSession, tray_app: Any) -> None:
    assert gnome.extension_state(APPINDICATOR_UUID) == 1, gnome.extension_error(APPINDICATOR_UUID)
    data = gnome.home / "tray"
    prepare(gnome, data, near_goal=False)
    app = tray_app(data)
    service, path = wait_for(lambda: item_of(gnome, app.pid) or app.poll() is not None, 30,
                             "driftcheck's item in RegisteredStatusNotifierItems", step=0.1)
    assert app.poll() is None, (data.parent / "tray-stderr.txt").read_text()

    # The extension made the item an icon of the top bar, and shows it.
    print("watcher:", items(gnome), "panel:", gnome.panel_items())
    wait_for(lambda: gnome.panel_items().get(f"appindicator-{service}@{path}"), 20,
             f"the ring in GNOME's top bar (it has {gnome.panel_items()})")

    def prop(name: str) -> Any:
        return gnome.get_property(service, path, ITEM_IFACE, name)

    assert prop("Title") == "driftcheck"
    assert prop("Status") == "Active"
    pixmaps = prop("IconPixmap")
    assert pixmaps and all(w > 0 and h > 0 and len(argb) == 4 * w * h
                           for w, h, argb in pixmaps), "the ring, drawn"
    _icon, _pixmaps, tip_title, tip_text = prop("ToolTip")
    assert "Today 40 min" in tip_title + tip_text
    assert "KoboldCpp" not in tip_title + tip_text, "discreet by default"
    assert app_windows(gnome, app.pid) == [], "in the tray, no window of its own"

    # A left click on the ring in GNOME's top bar: the extension calls Activate; today's
    # panel opens, and a second click closes it.
    gnome.call(service, path, ITEM_IFACE, "Activate", "ii", 0, 0)
    wait_for(lambda: app_windows(gnome, app.pid) == ["driftcheck"], 20,
             "today's panel in GNOME Shell")
    gnome.call(service, path, ITEM_IFACE, "Activate", "ii", 0, 0)
    wait_for(lambda: app_windows(gnome, app.pid) == [], 20, "the panel to close")

    menu = str(prop("Menu"))
    entries = menu_entries(gnome, service, menu)
    for label in ("Pause tracking", "15 minutes", "Check in now", "Open dashboard",
                  "Settings...", "Quit driftcheck"):
        assert label in entries, (label, sorted(entries))

    click(gnome, service, menu, entries["Open dashboard"])
    wait_for(lambda: "driftcheck — Dashboard" in app_windows(gnome, app.pid), 20,
             "the dashboard window in GNOME Shell")

    click(gnome, service, menu, entries["Quit driftcheck"])
    assert app.wait(timeout=20) == 0
    wait_for(lambda: item_of(gnome, app.pid) is None, 10, "the item to leave the watcher")
    assert ProgramLog(data).count("stopped") == 1


def goal_notification(gnome: GnomeSession, tray_app: Any, name: str
                      ) -> tuple[subprocess.Popen[Any], Path, str, str]:
    """The tray app started near its daily goal, once its notification is in GNOME Shell's
    message tray: (the app, its data folder, the alert's id, the notification's title)."""
    data = gnome.home / name
    alert_id = f"near|daily:*|{prepare(gnome, data, near_goal=True)}"
    app = tray_app(data)

    def shown() -> list[tuple[str, str, str, list[str]]]:
        assert app.poll() is None, (data.parent / f"{name}-stderr.txt").read_text()
        return [n for n in gnome.notifications() if "of today's goal" in n[2]]

    [(source, title, body, buttons)] = wait_for(shown, 30, "the notification in GNOME Shell",
                                                step=0.1)
    print(f"GNOME Shell shows: {source!r} {title!r} {body!r} {buttons}")
    assert buttons == ["Snooze 15 min", "Not now"]  # "default" is the banner's own click
    assert "KoboldCpp" not in title + body, "discreet by default"
    assert app_windows(gnome, app.pid) == [], "on the desktop's daemon, not in a window"
    return app, data, alert_id, title


def answered(data: Path) -> list[str]:
    return [e["msg"] for e in ProgramLog(data).entries()
            if e.get("event") == "notification_answered"]


def test_gnome_shell_s_own_daemon_answers_for_notifications(gnome: GnomeSession) -> None:
    name, vendor, _version, spec = gnome.call(NOTIFICATIONS, "/org/freedesktop/Notifications",
                                              NOTIFICATIONS, "GetServerInformation")
    assert (name, vendor, spec) == ("gnome-shell", "GNOME", "1.2")
    (caps,) = gnome.call(NOTIFICATIONS, "/org/freedesktop/Notifications", NOTIFICATIONS,
                         "GetCapabilities")
    assert {"actions", "body-markup"} <= set(caps)


def test_snooze_clicked_in_gnome_shell_comes_back_and_is_kept(
        gnome: GnomeSession, tray_app: Any) -> None:
    app, data, alert_id, title = goal_notification(gnome, tray_app, "snoozed")
    gnome.click_notification_action(title, "Snooze 15 min")

    def snoozed() -> dict[str, Any]:
        raw = read_setting(data, "alerts.snoozed")
        return raw if isinstance(raw, dict) else {}

    kept = wait_for(snoozed, 20, "the app to keep the alert snoozed", step=0.1)
    assert list(kept) == [alert_id]
    until = datetime.fromisoformat(str(kept[alert_id]))
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    assert alert_id not in (read_setting(data, "alerts.fired") or [])
    assert answered(data) == ["a notification was answered: near, snooze"]
    assert [n for n in gnome.notifications() if n[1] == title] == []
    assert app.poll() is None


def test_not_now_clicked_in_gnome_shell_comes_back_and_the_goal_stays_quiet(
        gnome: GnomeSession, tray_app: Any) -> None:
    app, data, alert_id, title = goal_notification(gnome, tray_app, "not-now")
    gnome.click_notification_action(title, "Not now")
    wait_for(lambda: answered(data), 20, "the app to hear the answer", step=0.1)
    assert answered(data) == ["a notification was answered: near, not-now"]
    # Said for this period: not snoozed to come back, and nothing opened.
    assert read_setting(data, "alerts.fired") == [alert_id]
    assert not read_setting(data, "alerts.snoozed")
    assert app_windows(gnome, app.pid) == []
    assert [n for n in gnome.notifications() if n[1] == title] == []
    assert app.poll() is None


def test_without_the_appindicator_extension_the_small_window_shows(
        gnome: GnomeSession, tray_app: Any) -> None:
    gnome.gsettings("set", "org.gnome.shell", "enabled-extensions", f"['{HELPER_UUID}']")
    try:
        wait_for(lambda: not gnome.name_owned(WATCHER), 15, "the tray's watcher to go")
        data = gnome.home / "no-tray"
        prepare(gnome, data, near_goal=False)
        app = tray_app(data)

        def window() -> list[str]:
            assert app.poll() is None, (data.parent / "no-tray-stderr.txt").read_text()
            return app_windows(gnome, app.pid)

        assert wait_for(window, 30, "driftcheck's window in GNOME Shell", step=0.1) == \
            ["driftcheck"]
        assert item_of(gnome, app.pid) is None
    finally:
        gnome.gsettings("set", "org.gnome.shell", "enabled-extensions",
                        f"['{HELPER_UUID}', '{APPINDICATOR_UUID}']")


def test_an_app_s_name_shows_as_written_in_gnome_shell_s_banner(
        gnome: GnomeSession, tray_app: Any) -> None:
    """GNOME's daemon reads bodies as markup ("body-markup"): driftcheck escapes them, so an
    app named with `<b>` and `&` is shown by its name, not in bold."""
    name = "Kobold <b>&</b> Co"
    data = gnome.home / "markup"
    prepare(gnome, data, near_goal=False, app=("--name", name, "--process", "koboldcpp"),
            app_id="custom-kobold-b-b-co", discreet=False)
    done = gnome.driftcheck("--data-dir", str(data), "goals", "set", "--app",
                            "custom-kobold-b-b-co", "--daily", "45m")
    assert done.returncode == 0, done.stderr
    app = tray_app(data)

    def shown() -> str:
        assert app.poll() is None, (data.parent / "markup-stderr.txt").read_text()
        return next((gnome.shown_body(title) for _source, title, body, _buttons
                     in gnome.notifications() if "of today's goal" in body), "")

    text = wait_for(shown, 30, "the notification in GNOME Shell", step=0.1)
    assert f"for {name} (40 min of 45 min)" in text, text
