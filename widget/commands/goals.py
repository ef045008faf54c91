"""`driftcheck goals ...`: the goals the person sets, listed, set and cleared."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from widget.commands.common import open_store, print_json
from widget.core.alerts import describe_goal
from widget.errors import UsageError

if TYPE_CHECKING:
    from widget.core.goals import Goal


def run(args: argparse.Namespace) -> int:
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
                print(f"{describe_goal(goal, names, ' set')}.")
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




def _print_goals(goals: list[Goal], names: dict[str, str], as_json: bool) -> None:
    from widget.core.alerts import say_clock

    if as_json:
        print_json([{"kind": g.kind.value, "app": g.app, "limit_seconds": g.limit_seconds,
                      "quiet_start": None if g.quiet_start is None else say_clock(g.quiet_start),
                      "quiet_end": None if g.quiet_end is None else say_clock(g.quiet_end)}
                     for g in goals])
        return
    if not goals:
        print("You have not set any goals yet; `driftcheck goals set --daily 45m` sets one, "
              "and so does Apps and goals... in the tray.")
        return
    for goal in goals:
        print(describe_goal(goal, names))
