"""The command line: the tray app by default, sub-commands for tracking, apps, status, doctor.

Every bad argument gets one clear sentence and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from widget import __version__
from widget.errors import DriftcheckError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 70


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sentence = message[0].upper() + message[1:] if message else "That did not parse"
        self.exit(EXIT_USAGE, f"driftcheck: {sentence.rstrip('.')}. "
                              f"See '{self.prog} --help'.\n")


def _seconds(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{value:g} is outside {low:g}-{high:g} seconds")
        return value

    parse.__name__ = "seconds"
    return parse


def _iso_week(text: str) -> str:
    from widget.core.report import week_monday
    from widget.core.usage import iso_week

    try:
        return iso_week(week_monday(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).rstrip(".")) from None


def _count(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} {what} is outside {low}-{high}")
        return value

    parse.__name__ = what
    return parse


def build_parser() -> argparse.ArgumentParser:
    from widget.core.options import SPECS

    p = _Parser(prog="driftcheck",
                description="A private, on-device mirror of the time you spend with AI "
                            "companions. With no command, starts the tray app.")
    p.add_argument("--version", action="version", version=f"driftcheck {__version__}")
    p.add_argument("--data-dir", type=Path, metavar="DIR",
                   help="where the data lives (default: $DRIFTCHECK_DATA_DIR or the "
                        "platform's data folder)")
    p.add_argument("--log-level", choices=["debug", "info", "warning"], default=None,
                   help="how much to write to the log (default: info)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    iv, idle = SPECS["sample_interval"], SPECS["idle_after"]
    track = sub.add_parser("track", help="track in the foreground, no UI, until Ctrl-C")
    track.add_argument("--interval", type=_seconds(iv.low, iv.high), metavar="S",
                       help=f"seconds between samples ({iv.low:g}-{iv.high:g}, "
                            f"default {iv.default:g})")
    track.add_argument("--idle-after", type=_seconds(idle.low, idle.high), metavar="S",
                       help=f"stop counting after this many seconds without input "
                            f"(default {idle.default:g})")

    apps = sub.add_parser("apps", help="the catalog and the apps you track")
    apps_sub = apps.add_subparsers(dest="apps_command", metavar="ACTION", required=True,
                                   parser_class=_Parser)
    for name, text in (("catalog", "the companion apps driftcheck knows"),
                       ("list", "the apps you track")):
        q = apps_sub.add_parser(name, help=text)
        q.add_argument("--json", action="store_true")
    add = apps_sub.add_parser("add", help="track catalog apps by id, or one of your own")
    add.add_argument("ids", nargs="*", metavar="ID")
    add.add_argument("--name", help="name of your own app")
    add.add_argument("--process", action="append", default=[], metavar="P",
                     help="process name: exact (any case) or a glob like 'kobold*'")
    add.add_argument("--title", action="append", default=[], metavar="T",
                     help="browser tab title: a substring (any case) or a glob")
    add.add_argument("--any-window", action="store_true",
                     help="match title patterns in every window, not only browsers")
    remove = apps_sub.add_parser("remove", help="stop tracking an app (its history stays)")
    remove.add_argument("ids", nargs="+", metavar="ID")

    status = sub.add_parser("status", help="today's time per tracked app")
    status.add_argument("--json", action="store_true")
    doctor = sub.add_parser("doctor", help="what this machine gives driftcheck")
    doctor.add_argument("--json", action="store_true")

    goals = sub.add_parser("goals", help="the goals you set yourself")
    goals_sub = goals.add_subparsers(dest="goals_command", metavar="ACTION", required=True,
                                     parser_class=_Parser)
    gset = goals_sub.add_parser("set", help="set one or more goals (they replace goals of the "
                                            "same kind)")
    gset.add_argument("--app", metavar="ID",
                      help="a goal for one tracked app (default: all tracked apps together)")
    gset.add_argument("--daily", metavar="TIME", help="at most this much a day, like 45m")
    gset.add_argument("--weekly", metavar="TIME", help="at most this much a week, like 5h")
    gset.add_argument("--quiet", metavar="HH:MM-HH:MM",
                      help="quiet hours, like 23:00-06:00")
    gset.add_argument("--session", metavar="TIME", help="the longest session, like 1h")
    glist = goals_sub.add_parser("list", help="the goals you set")
    glist.add_argument("--json", action="store_true")
    gclear = goals_sub.add_parser("clear", help="remove goals (all, or those you name)")
    gclear.add_argument("--app", metavar="ID", help="only this app's goals")
    gclear.add_argument("--kind", choices=["daily", "weekly", "quiet_hours", "session"],
                        help="only goals of this kind")

    checkin = sub.add_parser("checkin", help="answer the honest self-check from a terminal")
    checkin.add_argument("--answer", required=True, metavar="N",
                         help="1 (it adds to my life) to 5 (it is replacing connection), "
                              "or 0 for not sure")
    checkin.add_argument("--note", metavar="TEXT", help="a private note, kept on this device")

    report = sub.add_parser("report", help="the numbers of one week: totals, trend, drift")
    report.add_argument("--week", type=_iso_week, metavar="YYYY-Www",
                        help="the ISO week, like 2026-W48 (default: this week)")
    report.add_argument("--json", action="store_true")
    demo = sub.add_parser("demo-data", help="fill the data folder with made-up history that "
                                            "drifts, for trying driftcheck out")
    demo.add_argument("--weeks", type=_count(1, 104, "weeks"), default=12, metavar="N",
                      help="complete weeks of history before this one (1-104, default 12)")
    demo.add_argument("--seed", type=_count(0, 2**31 - 1, "seed"), default=0, metavar="N",
                      help="the same seed gives the same history (default 0)")
    demo.add_argument("--force", action="store_true",
                      help="even if the data folder holds history: set the database aside "
                           "(renamed, not deleted) and start afresh")

    settings = sub.add_parser("settings", help="show or change a setting")
    settings.add_argument("key", nargs="?")
    settings.add_argument("value", nargs="?")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from widget import commands

        return commands.run(args)
    except DriftcheckError as exc:
        print(f"driftcheck: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `driftcheck status | head`: the reader left; nothing more to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:
        # The frames, not the message: an exception's text could quote a window title.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        logging.getLogger(__name__).error("unexpected %s\n%s", type(exc).__name__, frames)
        print(f"driftcheck: something unexpected went wrong ({type(exc).__name__}); "
              "the log in the data folder has the details.", file=sys.stderr)
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    raise SystemExit(main())
