"""Render the compact widget with numbers that must add up, and save it as PNGs.

    python docs/make_numbers_screenshots.py [OUT_DIR]

Two fixed days, drawn offscreen (unless DISPLAY is set): one with two apps whose minutes
used to fall short of the total (1 h 30 min 36 s + 1 h 11 min 36 s, said 1 h 30 + 1 h 11 under
2 h 42), one with a two-minute goal, where seconds matter. Writes compact-numbers.png and
compact-seconds.png into OUT_DIR (default docs/screenshots/).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication

from widget.core.goals import Goal, GoalKind
from widget.core.model import Interval
from widget.core.today import today_view
from widget.ui.compact import CompactWidget

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 20, 0, tzinfo=BERLIN).astimezone(UTC)
NAMES = {"replika": "Replika", "character-ai": "Character.AI"}
KEEP: list[CompactWidget] = []


def at(hour: int, minutes: float) -> tuple[datetime, datetime]:
    start = datetime(2026, 11, 26, hour, tzinfo=BERLIN).astimezone(UTC)
    return start, start + timedelta(minutes=minutes)


def render(intervals: list[Interval], goals: list[Goal], path: Path) -> None:
    view = today_view(intervals, goals, NAMES, NOW, BERLIN, 4, tracked=list(NAMES))
    widget = CompactWidget(BERLIN, as_window=True)
    widget.show_view(view, NOW)
    widget.show()
    widget.resize(widget.sizeHint().expandedTo(widget.size()))
    for _ in range(3):
        QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    print(path)
    widget.close()
    KEEP.append(widget)  # let go with the application, not while it runs


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(["driftcheck"])
    render([Interval("replika", *at(10, 90.6)), Interval("character-ai", *at(14, 71.6))],
           [Goal(GoalKind.DAILY, "replika", 2 * 3600), Goal(GoalKind.DAILY, None, 3 * 3600),
            Goal(GoalKind.WEEKLY, None, 10 * 3600)], out / "compact-numbers.png")
    render([Interval("replika", *at(19, 119.9 / 60))], [Goal(GoalKind.DAILY, None, 120)],
           out / "compact-seconds.png")
    for widget in KEEP:
        widget.deleteLater()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
