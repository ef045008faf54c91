"""Opens the dashboard over a data folder on whatever screen Qt has, and prints (one JSON line)
where it landed: the screen's available area, the window's frame, the scroll area's visible
viewport and the top part's widgets (this week's total and its caption, the drift in words,
"How is this worked out?", the self-check), all in global screen pixels.

    QT_QPA_PLATFORM=offscreen:configfile=SCREEN.json python tests/helpers/dashboard_fit.py DATA
    DISPLAY=:99 python tests/helpers/dashboard_fit.py DATA

Used by tests/ui/test_dashboard_fit.py (offscreen, a screen of a given size) and
tests/e2e/test_dashboard_x11.py (a real Xvfb screen and window manager), with the demo folder
and the checks they share. Not a test itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QWidget

from widget.core.checkin import Checkin
from widget.desktop.localzone import local_zone
from widget.services.dashboard import load_dashboard
from widget.store import Store
from widget.store.resident import ResidentStore
from widget.ui.dashboard.window import DashboardWindow

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).resolve()
TOP = ("drift-explanation", "how-worked-out", "chart-checkins", "checkin-caption")
HEADER = ("week-total", "week-total-caption", "week-words")


def demo_folder(root: Path) -> Path:
    """Twelve weeks of demo history that drifts, and a self-check answer last week."""
    data = root / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    made = subprocess.run([sys.executable, "-m", "widget", "--data-dir", str(data), "demo-data",
                           "--weeks", "12", "--seed", "7"], env={**env, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    store = Store.open(data / "driftcheck.sqlite3")
    try:
        asked = datetime.now(UTC) - timedelta(days=7)
        store.add_checkin(Checkin(asked=asked, answered=asked, answer=4))
    finally:
        store.close()
    return data


def inside(inner: list[int], outer: list[int]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def check_fit(seen: dict, width: int, height: int) -> None:  # type: ignore[type-arg]
    """What the issue asks, on a screen of `width` x `height`."""
    assert seen["screen"] == [0, 0, width, height], "the screen is the size asked for"
    available = seen["available"]
    assert inside(seen["frame"], available), (seen["frame"], available)
    viewport = seen["viewport"]
    assert inside(viewport, seen["window"])
    assert seen["scrolled"] == 0
    for name in HEADER:  # above the scrolling part, inside the window
        item = seen["items"][name]
        assert inside(item, seen["window"]) and item[1] + item[3] <= viewport[1], (name, item)
    for name in TOP:  # inside the visible part, without scrolling
        assert inside(seen["items"][name], viewport), (name, seen["items"][name], viewport)
    assert seen["drift"].startswith("Your weekly time has "), "the demo drifts: words shown"


def global_rect(widget: QWidget) -> list[int]:
    top_left = widget.mapToGlobal(QPoint(0, 0))
    return [top_left.x(), top_left.y(), widget.width(), widget.height()]


def listed(rect: QRect) -> list[int]:
    return [rect.x(), rect.y(), rect.width(), rect.height()]


def settle(app: QApplication, done, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    """Let Qt handle events until `done()` holds (the window shown, placed and framed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if done():
            return True
        time.sleep(0.02)
    return False


def main() -> int:
    app = QApplication(sys.argv[:1])
    store = ResidentStore.open(Path(sys.argv[1]) / "driftcheck.sqlite3")
    try:
        window = DashboardWindow(lambda week: load_dashboard(store, week, datetime.now(UTC),
                                                            local_zone(), 4))
        window.show_week(None)
        window.show()
        handle = window.windowHandle()
        framed = app.platformName() == "offscreen"  # no window manager there to wait for
        settle(app, lambda: handle is not None and handle.isExposed()
               and (framed or window.frameGeometry() != window.geometry()))
        for _ in range(3):  # the layout's last passes, posted while it was shown
            window.layout().activate()
            app.processEvents()
        viewport = window.content_scroll.viewport()
        screen = window.screen()
        items = {name: global_rect(widget) for name, widget in (
            ("week-total", window.total_label), ("week-total-caption", window.total_caption),
            ("week-words", window.words_label), ("drift-explanation", window.drift_label),
            ("how-worked-out", window.how_button), ("chart-checkins", window.checkin_view),
            ("checkin-caption", window.checkin_label))}
        print(json.dumps({
            "platform": app.platformName(),
            "screen": listed(screen.geometry()),
            "available": listed(screen.availableGeometry()),
            "frame": listed(window.frameGeometry()),
            "window": global_rect(window),
            "viewport": global_rect(viewport),
            "scrolled": window.content_scroll.verticalScrollBar().value(),
            "content_height": window.content_scroll.widget().height(),
            "items": items,
            "drift": window.drift_label.text(),
        }), flush=True)
        window.close()
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
