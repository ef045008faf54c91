"""What each sub-command does: open the data, ask the core, print the answer."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from widget.core import settings as S
from widget.core.catalog import entry_to_app
from widget.core.format import duration, durations_with_total
from widget.core.model import Measure
from widget.core.options import SPECS, Options, check_option, say_option
from widget.errors import DataFolderRefused, StoreError, UsageError
from widget.paths import default_data_dir, ensure_private_dir
from widget.traces import DB_NAME as DB_NAME  # where callers have always found it

if TYPE_CHECKING:
    from widget.core.dashboard import DashboardData
    from widget.core.goals import Goal
    from widget.core.report import WeekReport
    from widget.store.db import Store

log = logging.getLogger(__name__)



def data_dir(args: argparse.Namespace) -> Path:
    path = args.data_dir if args.data_dir is not None else default_data_dir()
    try:
        return Path(path).expanduser()
    except RuntimeError:  # "~someone" for a user this system does not know
        from widget.core.text import printable

        raise UsageError(f"The data folder {printable(str(path))} starts with a home folder "
                         "this computer does not know; give the whole path.") from None


def prepare_data_dir(args: argparse.Namespace, log_to_stderr: bool = True) -> Path:
    """The data directory, private, with the log set up; a sentence if it cannot be used."""
    from widget.logs import setup_logging

    os.umask(0o077)  # files SQLite makes later (-wal, -shm) are born owner-only
    path = data_dir(args)
    level = args.log_level or os.environ.get("DRIFTCHECK_LOG_LEVEL", "info")
    from widget.core.text import printable

    try:
        directory = ensure_private_dir(path)
        setup_logging(directory, level, stderr=log_to_stderr)  # a read-only folder fails here
    except DataFolderRefused as refused:
        raise StoreError(f"The data folder {printable(str(path))} cannot be used: "
                         f"{refused.strerror}.") from None
    except OSError as exc:
        raise StoreError(f"The data folder {printable(str(path))} cannot be used "
                         f"({exc.strerror or exc}); choose another with --data-dir.") from None
    _PASSED.add(directory)
    return directory


# Data folders that passed `prepare_data_dir` in this process: the only ones `tell_set_aside`
# reads (and removes) notes from.
_PASSED: set[Path] = set()


def open_store(args: argparse.Namespace, log_to_stderr: bool = True) -> Store:
    """The store in the data directory, with owner-only files and the log set up."""
    from widget.store.db import Store

    store = Store.open(prepare_data_dir(args, log_to_stderr) / DB_NAME)
    tell_set_aside(store.path.parent)
    return store


def tell_set_aside(folder: Path) -> None:
    """Say once, on stderr, that a damaged database was set aside (widget/store/recovery.py).

    Only in a folder that passed `prepare_data_dir` in this run: a refused one (someone
    else's, open to others) is not ours to remove notes from, nor are the names in it."""
    from widget.store.recovery import take_notices

    if folder not in _PASSED:
        return
    for sentence in take_notices(folder):
        print(f"driftcheck: {sentence}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    command = args.command
    if command is None:
        from widget.app import run_tray

        return run_tray(args)
    handler = {"track": track, "apps": apps, "status": status, "doctor": doctor,
               "settings": settings, "goals": goals, "checkin": checkin,
               "report": report, "dashboard": dashboard, "demo-data": demo_data,
               "export": export_data, "import": import_data, "wipe": wipe}[command]
    try:
        return handler(args)
    finally:
        tell_set_aside(data_dir(args))  # whichever way in found the damage


def track(args: argparse.Namespace) -> int:
    """`driftcheck track`: widget.track_cli."""
    from widget.track_cli import track as run_track

    return run_track(args)


def dashboard(args: argparse.Namespace) -> int:
    """`driftcheck dashboard`: widget.dashboard_cli."""
    from widget.dashboard_cli import dashboard as run_dashboard

    return run_dashboard(args)


def apps(args: argparse.Namespace) -> int:
    """`driftcheck apps ...`: widget.apps_cli."""
    from widget.apps_cli import apps as run_apps

    return run_apps(args)


def status(args: argparse.Namespace) -> int:
    from widget.core.calendar import day_window, local_day
    from widget.core.standing import goal_standings, paused_words
    from widget.core.status import today_status
    from widget.core.usage import usage_now, usage_window
    from widget.localzone import local_zone

    store = open_store(args)
    try:
        settings = store.all_settings()
        options = Options.from_settings(settings)
        tz = local_zone()
        now = datetime.now(UTC)
        day = local_day(now, tz, options.day_start_hour)
        window = day_window(day, tz, options.day_start_hour)
        tracked = store.list_apps()
        names = store.app_names()
        known_mode = S.value_of(settings, S.TRACKER_MODE)  # set once a tracker has run
        mode_known = known_mode is not None
        mode = Measure(known_mode or Measure.FOREGROUND.value)
        week = store.intervals_overlapping(*usage_window(now, tz, options.day_start_hour))
        result = today_status(week, day=day, window=window,
                              tracked=[a.key for a in tracked], names=names, tracker_mode=mode)
        standings = goal_standings(store.list_goals(),
                                   usage_now(week, now, tz, options.day_start_hour),
                                   week, names, tz, options.day_start_hour)
        paused_until = S.value_of(settings, S.TRACKER_PAUSED_UNTIL)
    finally:
        store.close()
    paused = paused_words(paused_until, now, tz)
    if args.json:
        _print_json({**result.to_json(),
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
        how = "approximately (while the app runs)" if result.mode is Measure.APPROXIMATE \
            else "in the foreground"
        print(f"Today, {day:%A %d %B}, measured {how}:")
    width = max([len(a.name) for a in result.apps] + [5])
    said, total = durations_with_total([a.seconds for a in result.apps])  # parts add up
    for a, amount in zip(result.apps, said, strict=True):
        mark = " (approximate)" if a.approximate and result.mode is Measure.FOREGROUND else ""
        print(f"  {a.name:<{width}}  {amount:>10}{mark}")
    print(f"  {'Total':<{width}}  {total:>10}")
    if standings:
        print("Your goals:")
        for standing in standings:
            print(f"  {standing.words}")
    return 0


def doctor(args: argparse.Namespace) -> int:
    from widget.doctor import diagnose, render

    report = diagnose(data_dir(args))
    if args.json:
        _print_json(report)
    else:
        print(render(report))
    return 0


def settings(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        stored = store.all_settings()
        options = Options.from_settings(stored)
        if args.key is None:
            for key, spec in SPECS.items():
                print(f"{key} = {say_option(key, getattr(options, key))}  ({spec.help}; "
                      f"{say_option(key, spec.low)} to {say_option(key, spec.high)})")
            return 0
        if args.value is None:
            if args.key not in SPECS:
                raise UsageError(f"There is no setting called '{args.key}'; "
                                 f"the settings are {', '.join(sorted(SPECS))}.")
            print(say_option(args.key, getattr(options, args.key)))
            return 0
        value = check_option(args.key, args.value)
        store.set_setting(args.key, value)
        print(f"{args.key} is now {say_option(args.key, value)}; a running tracker picks it up "
              "when restarted.")
        return 0
    finally:
        store.close()


def goals(args: argparse.Namespace) -> int:
    from widget.core.goals import GoalKind, check_goals

    action = args.goals_command
    if action == "set":
        new = _goals_from_args(args)  # every part checked before anything is stored
    store = open_store(args)
    try:
        stored = store.list_goals()
        if action == "list":
            _print_goals(stored, store.app_names(), args.json)
            return 0
        if action == "set":
            keys = {g.key for g in new}
            merged = [g for g in stored if g.key not in keys] + new
            check_goals(merged)
            store.replace_goals(merged)
            names = store.app_names()
            for goal in new:
                print(f"{_describe_goal(goal, names, ' set')}.")
            return 0
        if action == "clear":
            app = getattr(args, "app", None)
            kind = GoalKind(args.kind) if args.kind else None

            def matches(goal: Goal) -> bool:
                return (app is None or goal.app == app) and (kind is None or goal.kind is kind)

            kept = [g for g in stored if not matches(g)]
            gone = len(stored) - len(kept)
            if gone:
                store.replace_goals(kept)
                print(f"Cleared {gone} goal{'s' if gone != 1 else ''}.")
            else:
                print("There were no goals like that to clear.")
            return 0
    finally:
        store.close()
    raise UsageError(f"Unknown goals action '{action}'.")


def _goals_from_args(args: argparse.Namespace) -> list[Goal]:
    from widget.core.goals import Goal, GoalKind, check_goals, parse_duration, parse_time_of_day
    from widget.errors import InvalidGoal

    app = args.app
    new: list[Goal] = []
    for kind, raw in ((GoalKind.DAILY, args.daily), (GoalKind.WEEKLY, args.weekly),
                      (GoalKind.SESSION, args.session)):
        if raw is not None:
            new.append(Goal(kind, app, limit_seconds=parse_duration(raw)))
    if args.quiet is not None:
        start, sep, end = args.quiet.partition("-")
        if not sep:
            raise InvalidGoal("quiet_start", f"'{args.quiet}' is not a span of quiet hours; "
                                             "try 23:00-06:00.")
        quiet_end = parse_time_of_day(end)
        new.append(Goal(GoalKind.QUIET_HOURS, app, quiet_start=parse_time_of_day(start),
                        quiet_end=quiet_end))
    if not new:
        raise UsageError("Say which goal to set: --daily, --weekly, --quiet or --session "
                         "(for example `driftcheck goals set --daily 45m`).")
    return check_goals(new)


# The goals dialog's own names for each kind ("goal" is the one word for a limit you chose).
_KIND_WORDS = {"daily": "Daily goal", "weekly": "Weekly goal", "quiet_hours": "Quiet hours",
               "session": "Longest session"}


def _describe_goal(goal: Goal, names: dict[str, str], done: str = "") -> str:
    """'Daily goal: 45 min, all tracked apps' (with `done` = ' set': 'Daily goal set: ...')."""
    from widget.core.alerts import say_clock

    who = "all tracked apps" if goal.app is None else names.get(goal.app, goal.app)
    if goal.quiet_start is not None and goal.quiet_end is not None:
        what = f"{say_clock(goal.quiet_start)}-{say_clock(goal.quiet_end)}"
    else:
        what = duration(goal.limit_seconds or 0)
    return f"{_KIND_WORDS[goal.kind.value]}{done}: {what}, {who}"


def _print_goals(goals: list[Goal], names: dict[str, str], as_json: bool) -> None:
    from widget.core.alerts import say_clock

    if as_json:
        _print_json([{"kind": g.kind.value, "app": g.app, "limit_seconds": g.limit_seconds,
                      "quiet_start": None if g.quiet_start is None else say_clock(g.quiet_start),
                      "quiet_end": None if g.quiet_end is None else say_clock(g.quiet_end)}
                     for g in goals])
        return
    if not goals:
        print("You have not set any goals yet; `driftcheck goals set --daily 45m` sets one, "
              "and so does Apps and goals... in the tray.")
        return
    for goal in goals:
        print(_describe_goal(goal, names))


def checkin(args: argparse.Namespace) -> int:
    """`driftcheck checkin`: widget.checkin_cli."""
    from widget.checkin_cli import checkin as run_checkin

    return run_checkin(args)


def report(args: argparse.Namespace) -> int:
    """The week's numbers, read as the dashboard reads them (`load_dashboard`), so both show
    the same; through the lean store, so no SQLAlchemy is loaded for a read."""
    from widget.dashboard_cli import refuse_future
    from widget.dashboard_data import load_dashboard
    from widget.localzone import local_zone
    from widget.store.resident import open_for_tracking

    store = open_for_tracking(prepare_data_dir(args) / DB_NAME)
    try:
        options = Options.from_settings(store.all_settings())
        now, tz = datetime.now(UTC), local_zone()
        refuse_future(args.week, now, tz, int(options.day_start_hour))
        data = load_dashboard(store, args.week, now, tz, int(options.day_start_hour))
    finally:
        store.close()
    result = data.report
    if args.json:
        _print_json(result.to_json())
        return 0
    if args.pdf is not None:
        return _report_pdf(data, args.pdf)
    print(_report_text(result))
    return 0


def _report_pdf(data: DashboardData, target: Path) -> int:
    """Draw the report into a PDF with Qt, offscreen unless a platform was chosen."""
    if target.is_dir():
        raise UsageError(f"{target} is a folder; give the PDF a file name, like week.pdf.")
    if not target.parent.is_dir():
        raise UsageError(f"There is no folder {target.parent} to put the PDF in.")
    if target.exists() and not target.is_file():  # a FIFO, or a device such as /dev/null
        raise UsageError(f"{target} is not a regular file; give the PDF a file name, like "
                         "week.pdf.")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from widget.ui.pdf_report import write_report_pdf

    app = QApplication.instance() or QApplication(["driftcheck"])
    try:
        pages = write_report_pdf(data, target)
    except OSError as exc:
        raise UsageError(f"The PDF could not be written to {target} "
                         f"({exc.strerror or exc}).") from None
    del app
    print(f"Wrote {target} ({pages} page{'s' if pages != 1 else ''}, for you alone: it is "
          "not sent anywhere).")
    return 0


def _report_text(r: WeekReport) -> str:
    from widget.core.calendar import week_monday
    from widget.core.usage import SESSION_RULE

    monday = week_monday(r.week)
    sunday = monday + timedelta(days=6)
    state = "" if r.complete else " (so far)"
    lines = [f"Week {r.week}, {monday:%a %d %b} to {sunday:%a %d %b %Y}{state}:"]
    width = max([len(r.names.get(k, k)) for k in r.per_app] + [5])
    said, total = durations_with_total(list(r.per_app.values()))  # the parts add up
    for key, amount in zip(r.per_app, said, strict=True):
        lines.append(f"  {r.names.get(key, key):<{width}}  {amount:>10}")
    lines.append(f"  {'Total':<{width}}  {total:>10}")
    if r.sessions.count:
        lines.append(f"Sessions: {r.sessions.count}, typically {duration(r.sessions.median_s)}, "
                     f"the longest {duration(r.sessions.longest_s)}. {SESSION_RULE}")
    if r.baseline_s is not None:
        lines.append(f"Usual week (the four before): {duration(r.baseline_s)}")
    if r.change_pct is not None:
        against = "the same days of the week before" if r.change_same_part \
            else "the week before"
        lines.append(f"Against {against}: {r.change_pct:+.0f}%")
    if r.drift is not None:  # in the dashboard's plain words; the numbers are in --json
        from widget.core.dashboard import drift_seen

        lines.append(f"Drift: {drift_seen(r.drift, r.trend_weeks)}")
    lines.append(r.words)
    return "\n".join(lines)


def demo_data(args: argparse.Namespace) -> int:
    from widget.catalog_data import current_platform, load_catalog
    from widget.core.calendar import local_day
    from widget.demo import DEMO_APPS, DEMO_GOALS, demo_intervals
    from widget.localzone import local_zone
    from widget.store.db import Store

    store = open_store(args)
    set_aside: Path | None = None
    try:
        held = store.interval_count()
        if held and not args.force:
            raise UsageError(f"The data folder already holds {held} intervals of history, so "
                             "demo data would mix with it; add --force to set the database "
                             "aside and start afresh.")
    finally:
        store.close()
    if held:
        set_aside = _set_aside_unless_tracking(store)
        store = Store.open(store.path)
    try:
        options = Options.from_settings(store.all_settings())
        tz = local_zone()
        start_hour = int(options.day_start_hour)
        today = local_day(datetime.now(UTC), tz, start_hour)
        intervals = demo_intervals(args.seed, args.weeks, tz, start_hour, today)
        catalog, platform = load_catalog(), current_platform()
        for key in DEMO_APPS:
            store.add_app(entry_to_app(catalog.get(key), platform))
        for interval in intervals:
            store.insert_interval(interval)
        store.replace_goals(list(DEMO_GOALS))
        S.put(store, S.FIRST_RUN_DONE, True)
    finally:
        store.close()
    if set_aside is not None:
        print(f"The earlier database is now {set_aside}.")
    print(f"Made {args.weeks} weeks of demo history ({len(intervals)} intervals, seed "
          f"{args.seed}); `driftcheck report` shows it.")
    return 0


def _set_aside_unless_tracking(store: Store) -> Path:
    """`_set_aside`, refused in one sentence while the tray app or `driftcheck track` runs on
    the folder: it would go on writing into the file set aside (as `import` and `wipe` refuse)."""
    from widget.traces import database_users, instance_lock, still_running_sentence

    folder = store.path.parent
    with instance_lock(folder) as free:
        users = [] if not free else database_users(folder)
        if not free or users:
            raise UsageError(still_running_sentence("run `driftcheck demo-data --force` again",
                                                    users))
        return _set_aside(store)


def _set_aside(store: Store) -> Path:
    """Rename the closed database and its companions to a name with a timestamp."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = store.path.with_name(f"{store.path.name}.before-demo-{stamp}")
    number = 1
    while target.exists():  # a second --force within the same second
        number += 1
        target = store.path.with_name(f"{store.path.name}.before-demo-{stamp}-{number}")
    for file in store.files():
        file.rename(target.with_name(target.name + file.name[len(store.path.name):]))
    return target


def export_data(args: argparse.Namespace) -> int:
    """`driftcheck export`: everything the person keeps, to a file or stdout (widget.exchange)."""
    from widget.exchange import run_export

    store = open_store(args)
    store.close()
    return run_export(store.path, args.format, args.output, args.include_notes)


def import_data(args: argparse.Namespace) -> int:
    """`driftcheck import FILE`: the file checked in full first, then one transaction."""
    from widget.exchange import read_import, run_import

    snapshot = read_import(args.file)
    store = open_store(args)
    store.close()
    return run_import(store.path, snapshot, args.replace)


def wipe(args: argparse.Namespace) -> int:
    """`driftcheck wipe`: every trace removed (widget.wipe). It never creates the data folder
    or a log in it."""
    from widget.wipe import run_wipe

    os.umask(0o077)
    return run_wipe(data_dir(args), args.yes)


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
