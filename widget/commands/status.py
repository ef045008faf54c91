"""`driftcheck status`: today against the goals, from the store as it is now."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from widget.commands.common import open_store, print_json
from widget.core import settings as S
from widget.core.format import durations_with_total
from widget.core.options import Options


def run(args: argparse.Namespace) -> int:
    from widget.core.calendar import local_day
    from widget.core.standing import goal_standings, paused_words
    from widget.core.usage import usage_now, usage_window
    from widget.desktop.localzone import local_zone
    from widget.services.today import TodayService

    store = open_store(args)
    try:
        settings = store.all_settings()
        options = Options.from_settings(settings)
        tz = local_zone()
        now = datetime.now(UTC)
        day = local_day(now, tz, options.day_start_hour)
        tracked = store.list_apps()
        names = store.app_names()
        mode_known = S.value_of(settings, S.TRACKER_MODE) is not None  # once a tracker ran
        week = store.intervals_overlapping(*usage_window(now, tz, options.day_start_hour))
        result = TodayService(store, options, tz).view(now, week)
        standings = goal_standings(store.list_goals(),
                                   usage_now(week, now, tz, options.day_start_hour),
                                   week, names, tz, options.day_start_hour)
        paused_until = S.value_of(settings, S.TRACKER_PAUSED_UNTIL)
    finally:
        store.close()
    paused = paused_words(paused_until, now, tz)
    if args.json:
        print_json({**result.to_json(),
                     "paused_until": None if paused is None or paused_until is None
                     else paused_until.isoformat(),
                     "goals": [s.to_json() for s in standings]})
        return 0
    if paused:
        print(paused)
    if not tracked and not result.apps:
        print("You are not tracking any apps yet. `driftcheck apps catalog` lists the ones "
              "driftcheck knows; `driftcheck apps add ID` picks one.")
        return 0
    if not mode_known and not result.total_seconds:
        print(f"Today, {day:%A %d %B}, nothing counted yet:")  # no tracker has run here yet
    else:
        how = "approximately (while the app runs)" if result.approximate \
            else "in the foreground"
        print(f"Today, {day:%A %d %B}, measured {how}:")
    width = max([len(a.name) for a in result.apps] + [5])
    said, total = durations_with_total([a.seconds for a in result.apps])  # parts add up
    for a, amount in zip(result.apps, said, strict=True):
        mark = " (approximate)" if a.approximate and not result.approximate else ""
        print(f"  {a.name:<{width}}  {amount:>10}{mark}")
    print(f"  {'Total':<{width}}  {total:>10}")
    if standings:
        print("Your goals:")
        for standing in standings:
            print(f"  {standing.words}")
    return 0
