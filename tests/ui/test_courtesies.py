"""Small courtesies of issue 10 §6 that had no test of their own: the week's summary offers
"Open dashboard" wherever it is shown (the desktop's notification, and driftcheck's own window,
which offered a "Snooze 15 min" that did nothing for a once-a-week line), and every window's
title follows "driftcheck — X"."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pytestqt.qtbot import QtBot

from widget.desktop.notify import actions_for, choose_notifier, window_alert
from widget.services.reminders import CHECKIN_ID, SUMMARY_ID
from widget.ui.compact import CompactWidget

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
UI = Path(__file__).resolve().parents[2] / "widget" / "ui"


def test_the_desktop_s_notification_names_the_summary_s_click_open_dashboard() -> None:
    assert actions_for(SUMMARY_ID)[:2] == ("default", "Open dashboard")
    assert actions_for(CHECKIN_ID)[:2] == ("default", "Open driftcheck")


def test_in_driftcheck_s_window_the_summary_offers_open_dashboard(qtbot: QtBot) -> None:
    compact = CompactWidget(ZoneInfo("UTC"), as_window=True)
    qtbot.addWidget(compact)
    # As the app wires it (widget.app): the window shows what the notifier hands it, and its
    # answers go back through the notifier.
    notifier = choose_notifier(None, lambda title, body: compact.show_message(
        window_alert(notifier), title, body), platform="win32")
    compact.message_action.connect(lambda _id, key: notifier.respond(key))
    compact.show()

    assert notifier.notify(SUMMARY_ID, "driftcheck", "Last week: 3 h with your tracked apps.")
    assert compact.snooze_button.text() == "Open dashboard"
    with qtbot.waitSignal(notifier.action, timeout=2000) as said:
        compact.snooze_button.click()
    assert said.args == [SUMMARY_ID, "default"], "a click opens the dashboard"

    alert = "near|daily:*|2026-11-25"
    assert notifier.notify(alert, "driftcheck", "You are at 80% of today's goal.")
    assert compact.snooze_button.text() == "Snooze 15 min"
    with qtbot.waitSignal(notifier.action, timeout=2000) as said:
        compact.snooze_button.click()
    assert said.args == [alert, "snooze"]
    assert window_alert(notifier) == ""


def test_every_window_title_follows_one_pattern() -> None:
    """Each title in widget/ui is made by form.window_title ('driftcheck — Settings'), or is
    the widget's own 'driftcheck'; message boxes and file dialogs too."""
    found = 0
    for source in sorted(UI.rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        for match in re.finditer(r"setWindowTitle\(([^)]*)\)", text):
            found += 1
            assert re.match(r'window_title\(|TITLE$|"driftcheck"$', match.group(1)), \
                f"{source.name}: setWindowTitle({match.group(1)})"
        for match in re.finditer(r"QMessageBox\(|QFileDialog\.get\w+\(", text):
            found += 1
            call = text[match.end():match.end() + 160]
            assert "window_title(" in call, f"{source.name}: {match.group(0)}{call[:60]}"
    assert found >= 8
