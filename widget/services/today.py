"""Today, read from a store: what the tray, the compact widget and `driftcheck status` show,
worked out by `widget.core.today` in one way for all three."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from widget.core import settings as S
from widget.core.calendar import week_so_far
from widget.core.goals import Goal
from widget.core.model import Interval, Measure
from widget.core.options import Options
from widget.core.today import TodayView, today_view
from widget.store.api import StoreReader


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TodayService:
    """Reads the week so far, the goals and the names from the store; the core computes the
    view. Calling it returns a `TodayView` (paused_until is the tray's to fill in). Called on
    the tray's main thread (or the command's only one); one short read each time."""

    def __init__(self, store: StoreReader, options: Options, tz: tzinfo,
                 now: Callable[[], datetime] = _utc_now) -> None:
        self._store = store
        self._options = options
        self._now = now
        self._tz = tz

    def goals(self) -> list[Goal]:
        return self._store.list_goals()

    def view(self, now: datetime, intervals: list[Interval] | None = None) -> TodayView:
        """Today as of `now`; `intervals` when the caller has read the week so far already."""
        hour = self._options.day_start_hour
        if intervals is None:
            intervals = self._store.intervals_overlapping(week_so_far(now, self._tz, hour)[0],
                                                          now)
        mode = S.value_of(self._store.all_settings(), S.TRACKER_MODE)
        return today_view(intervals, self.goals(), self._store.app_names(), now, self._tz, hour,
                          tracked=[a.key for a in self._store.list_apps()],
                          tracker_approximate=mode == Measure.APPROXIMATE.value)

    def __call__(self) -> TodayView:
        return self.view(self._now())
