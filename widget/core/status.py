"""Today at a glance: what `driftcheck status` prints and the tray shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from widget.core.days import approximate_apps, seconds_by_app
from widget.core.model import Interval, Measure


@dataclass(frozen=True, slots=True)
class AppTime:
    key: str
    name: str
    seconds: float
    approximate: bool


@dataclass(frozen=True, slots=True)
class TodayStatus:
    day: date
    mode: Measure
    apps: tuple[AppTime, ...]

    @property
    def total_seconds(self) -> float:
        return sum(a.seconds for a in self.apps)

    def to_json(self) -> dict[str, object]:
        return {
            "date": self.day.isoformat(),
            "mode": self.mode.value,
            "apps": [{"id": a.key, "name": a.name, "seconds": round(a.seconds, 1),
                      "approximate": a.approximate} for a in self.apps],
            "total_seconds": round(self.total_seconds, 1),
        }


def today_status(intervals: Iterable[Interval], *, day: date, window: tuple[datetime, datetime],
                 tracked: Sequence[str], names: Mapping[str, str], tracker_mode: Measure
                 ) -> TodayStatus:
    """Time per app inside the day's window: every tracked app (even at zero) and any other app
    with time that day (one removed since, say), most used first.

    The mode is approximate when the tracker measures approximately or any of the day's time
    was measured that way."""
    intervals = list(intervals)
    start, end = window
    seconds = seconds_by_app(intervals, start, end)
    approx = approximate_apps(intervals, start, end)
    keys = list(dict.fromkeys([*tracked, *seconds]))
    apps = [AppTime(k, names.get(k, k), seconds.get(k, 0.0), k in approx) for k in keys]
    apps.sort(key=lambda a: (-a.seconds, a.name.lower()))
    mode = Measure.APPROXIMATE if approx or tracker_mode is Measure.APPROXIMATE \
        else Measure.FOREGROUND
    return TodayStatus(day, mode, tuple(apps))

