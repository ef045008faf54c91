"""`driftcheck status`: today against the goals, from the store as it is now."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from widget.commands.common import open_store, print_json
from widget.core import settings as S
from widget.core.format import duration, durations_with_total
from widget.core.options import Options


def run(args: argparse.Namespace) -> int:
    from widget.core.calendar import day_window, local_day
    from widget.core.standing import goal_standings, paused_words
    from widget.core.usage import usage_now, usage_window
    from widget.desktop.localzone import local_zone
    from widget.services.devices import devices_json, reader_for, seen_words, sharing_json
    from widget.services.today import TodayService

    local = open_store(args)
    try:
        tz = local_zone()
        # all the person's computers when sharing is on (or this one: --this-device)
        reading = reader_for(local, local.path.parent, tz, args.this_device)
        store = reading.reader
        settings = store.all_settings()
        options = Options.from_settings(settings)
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
        devices = devices_json(reading, *day_window(day, tz, options.day_start_hour))
    finally:
        local.close()
    paused = paused_words(paused_until, now, tz)
    if args.json:
        print_json({**result.to_json(),
                     "paused_until": None if paused is None or paused_until is None
                     else paused_until.isoformat(),
                     "goals": [s.to_json() for s in standings],
                     "devices": devices, "sharing": sharing_json(reading)})
        return 0
    if paused:
        print(paused)
    if not tracked and not result.apps:
        print("You are not tracking any apps yet. `driftcheck apps catalog` lists the ones "
              "driftcheck knows; `driftcheck apps add ID` picks one.")
        return 0
    if reading.view is not None:
        print(f"All your computers ({len(devices)}; `--this-device` for this one alone):")
        today_of = {d["id"]: float(d["seconds"]) for d in devices}  # type: ignore[arg-type]
        print(f"  {reading.view.this_name}: this computer, "
              f"{duration(today_of.get(reading.own_id, 0.0))} today")
        others = [d for d in reading.view.devices if not d.is_self]
        for device, line in zip(others, seen_words(reading.view, tz), strict=True):
            print(f"  {line}; {duration(today_of.get(device.device_id, 0.0))} today")
        for note in reading.view.notes:
            print(note)
    if not mode_known and not result.total_seconds:
        print(f"Today, {day:%A %d %B}, nothing counted yet:")  # no tracker has run here yet
    else:
        how = "approximately (while the app runs)" if result.approximate \
            else "in the foreground"
        print(f"Today, {day:%A %d %B}, measured {how}:")
    width = max([len(a.name) for a in result.apps] + [5])
    said, total = durations_with_total([a.seconds for a in result.apps])  # parts add up
    apart = result.total_seconds < sum(a.seconds for a in result.apps) - 1
    if apart:  # two computers had different apps in front at once: that time counts once
        total = duration(result.total_seconds)
    for a, amount in zip(result.apps, said, strict=True):
        mark = " (approximate)" if a.approximate and not result.approximate else ""
        print(f"  {a.name:<{width}}  {amount:>10}{mark}")
    print(f"  {'Total':<{width}}  {total:>10}")
    if apart:
        from widget.core.days import APPS_ADD_UP_TO_MORE

        print(APPS_ADD_UP_TO_MORE)
    if standings:
        print("Your goals:")
        for standing in standings:
            print(f"  {standing.words}")
    return 0
