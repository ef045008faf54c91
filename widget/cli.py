"""The command line: the tray app by default, sub-commands for tracking, apps, status, doctor.

Every bad argument gets one clear sentence and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from widget import __version__
from widget.core.text import printable as printable  # the one way a name is shown
from widget.errors import DriftcheckError, UsageError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNEXPECTED = 70
FIRST_YEAR, LAST_YEAR = 1970, 2999  # weeks a report can be asked for


class EscapingOutput:
    """A text stream (stdout or stderr) that writes through `printable` every character that
    could steer the terminal or hide itself, whatever printed it: an app's name or a note in
    `apps list`, `status`, `report`, `goals` or a refusal comes out as `\\u202e`, never as the
    character. Line breaks and tabs of driftcheck's own layout pass; in JSON the escapes read
    as the same strings. Bytes written to `.buffer` (a zip export) are not text and pass."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        lines = text.split("\n")
        self._stream.write("\n".join("\t".join(printable(part) for part in line.split("\t"))
                                     for line in lines))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _undecodable_argument(args: argparse.Namespace) -> str | None:
    """The name of an option whose text holds bytes that are not UTF-8 (Python keeps them as
    lone surrogates, which neither SQLite nor an export can store), or None. File and folder
    names are paths, which may hold any bytes, and are not looked at."""
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and any("\ud800" <= c <= "\udfff" for c in v) for v in values):
            return name
    return None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        message = printable(message)
        sentence = message[0].upper() + message[1:] if message else "That did not parse"
        self.exit(EXIT_USAGE, f"driftcheck: {sentence.rstrip('.')}. "
                              f"See '{self.prog} --help'.\n")


def _seconds(low: float, high: float) -> Callable[[str], float]:
    """A length in seconds, written as goals are ('90', '90s', '1.5m', '2 min')."""

    def parse(text: str) -> float:
        from widget.core.format import duration
        from widget.core.goals import NegativeLength, length_seconds

        try:
            value = float(length_seconds(text, bare_unit=1))
        except NegativeLength:
            raise argparse.ArgumentTypeError(f"'{text}' is below zero; give a positive length, "
                                             "like 5 or 5s") from None
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a length of time; try 5 (seconds), "
                                             "5s or 2m") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{duration(value)} is outside {duration(low)} to {duration(high)}"
                if value >= 1 else f"'{text}' is outside {duration(low)} to {duration(high)}")
        return value

    parse.__name__ = "seconds"
    return parse


def _iso_week(text: str) -> str:
    from widget.core.calendar import iso_week, week_monday

    try:
        monday = week_monday(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).rstrip(".")) from None
    # The report reads sixteen weeks before this one and a day after it: years at the edge of
    # what dates can hold would overflow. An export's times lie in 1970-2999 too.
    if not FIRST_YEAR <= monday.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(
            f"'{text}' is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return iso_week(monday)


def _data_dir(text: str) -> Path:
    from widget.paths import data_dir_argument

    try:
        return data_dir_argument(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    p.add_argument("--data-dir", type=_data_dir, metavar="DIR",
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
    for name, text in (("catalog", "the companion apps driftcheck knows, and how each is "
                                   "recognised here"),
                       ("list", "the apps you track, and how each is recognised here")):
        q = apps_sub.add_parser(name, help=text)
        q.add_argument("--json", action="store_true")
    add = apps_sub.add_parser("add", help="track catalog apps by name or id (any case), or "
                                          "one of your own")
    add.add_argument("ids", nargs="*", metavar="NAME")
    add.add_argument("--name", help="name of your own app")
    add.add_argument("--process", action="append", default=[], metavar="P",
                     help="process name: exact (any case) or a glob like 'kobold*'")
    add.add_argument("--app-id", action="append", default=[], metavar="ID",
                     help="the app's own id, as `driftcheck apps check` shows it: its Wayland "
                          "app id or X11 window class on Linux, its bundle id on macOS "
                          "(any case, or a glob)")
    add.add_argument("--title", action="append", default=[], metavar="T",
                     help="browser tab title: a substring (any case) or a glob")
    add.add_argument("--address", action="append", default=[], metavar="A",
                     help="web address: a site and its subdomains, with an optional :port "
                          "and /path, such as mybot.example or localhost:8000 (matched by "
                          "driftcheck's browser extension)")
    add.add_argument("--any-window", action="store_true",
                     help="match title patterns in every window, not only browsers")
    remove = apps_sub.add_parser("remove", help="stop tracking an app (its history stays)")
    remove.add_argument("ids", nargs="+", metavar="NAME")
    check = apps_sub.add_parser(
        "check", help="is it counted now? what is in front and which app it counts as",
        description="Looks at the window in front after a moment (time to switch to it) and "
                    "says which tracked app, if any, it counts as. The window title is shown "
                    "here only; driftcheck never keeps it.")
    check.add_argument("--wait", type=_seconds(0, 60), default=5.0, metavar="S",
                       help="seconds to switch to the window first (0-60, default 5)")
    check.add_argument("--json", action="store_true")

    status = sub.add_parser("status", help="today's time per tracked app")
    status.add_argument("--json", action="store_true")
    status.add_argument("--this-device", action="store_true",
                        help="this computer alone, when it shares with your other computers")
    doctor = sub.add_parser("doctor", help="what this machine gives driftcheck")
    doctor.add_argument("--json", action="store_true")

    goals = sub.add_parser("goals", help="the goals you set yourself")
    goals_sub = goals.add_subparsers(dest="goals_command", metavar="ACTION", required=True,
                                     parser_class=_Parser)
    gset = goals_sub.add_parser("set", help="set one or more goals (they replace goals of the "
                                            "same kind)")
    gset.add_argument("--app", metavar="ID",
                      help="a goal for one tracked app (default: all tracked apps together)")
    gset.add_argument("--daily", metavar="TIME",
                      help="at most this much a day, like 45m, 1h30m, 1.5h or 90s")
    gset.add_argument("--weekly", metavar="TIME", help="at most this much a week, like 5h")
    gset.add_argument("--quiet", metavar="HH:MM-HH:MM",
                      help="quiet hours, like 23:00-06:00")
    gset.add_argument("--session", metavar="TIME",
                      help="the longest session, like 1h (a break of 5 minutes ends a session; "
                           "its length is the time counted in it)")
    glist = goals_sub.add_parser("list", help="the goals you set")
    glist.add_argument("--json", action="store_true")
    gclear = goals_sub.add_parser("clear", help="remove goals (all, or those you name)")
    gclear.add_argument("--app", metavar="ID", help="only this app's goals")
    gclear.add_argument("--kind", choices=["daily", "weekly", "quiet_hours", "session"],
                        help="only goals of this kind")

    checkin = sub.add_parser(
        "checkin", help="answer the honest self-check, look back at your answers",
        description="With no action, asks the question on the terminal (Enter or Ctrl-D is "
                    "'Not now'); --answer answers it without asking. A check-in is named by "
                    "the date it was answered on (2026-12-04, today, yesterday) or by the "
                    "number `checkin history` shows.")
    checkin.add_argument("--answer", metavar="N",
                         help="1 (it adds to my life) to 5 (it is replacing connection), "
                              "or 0 for not sure")
    checkin.add_argument("--note", metavar="TEXT", help="a private note, kept on this device")
    checkin_sub = checkin.add_subparsers(dest="checkin_command", metavar="ACTION",
                                         parser_class=_Parser)
    chistory = checkin_sub.add_parser("history", help="your check-ins: date and answer")
    chistory.add_argument("--notes", action="store_true", help="show the private notes too")
    chistory.add_argument("--json", action="store_true")
    cchange = checkin_sub.add_parser("change", help="change the answer of one check-in")
    cchange.add_argument("which", metavar="DATE", help="2026-12-04, today, yesterday, or the "
                                                       "number `checkin history` shows")
    cchange.add_argument("answer_value", metavar="N", help="the new answer: 1 to 5, or 0")
    cnote = cchange.add_mutually_exclusive_group()
    cnote.add_argument("--note", dest="note_value", metavar="TEXT",
                       help="a new note (default: keep the one it has)")
    cnote.add_argument("--no-note", action="store_true", help="remove its note")
    cdelete = checkin_sub.add_parser("delete", help="delete one check-in and its note")
    cdelete.add_argument("which", metavar="DATE", help="2026-12-04, today, yesterday, or the "
                                                       "number `checkin history` shows")

    report = sub.add_parser("report", help="the numbers of one week: totals, trend, drift")
    report.add_argument("--week", type=_iso_week, metavar="YYYY-Www",
                        help="the ISO week, like 2026-W48 (default: this week)")
    report.add_argument("--this-device", action="store_true",
                        help="this computer alone, when it shares with your other computers")
    shape = report.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="the numbers as JSON")
    shape.add_argument("--pdf", type=Path, metavar="FILE",
                       help="a printable one- or two-page summary with the charts")
    dash = sub.add_parser("dashboard", help="open the dashboard window (in the running tray "
                                            "app, or on its own)")
    dash.add_argument("--week", type=_iso_week, metavar="YYYY-Www",
                      help="the ISO week, like 2026-W48 (default: this week; not one that "
                           "has not begun)")
    demo = sub.add_parser("demo-data", help="fill the data folder with made-up history that "
                                            "drifts, for trying driftcheck out")
    demo.add_argument("--weeks", type=_count(1, 104, "weeks"), default=12, metavar="N",
                      help="complete weeks of history before this one (1-104, default 12)")
    demo.add_argument("--seed", type=_count(0, 2**31 - 1, "seed"), default=0, metavar="N",
                      help="the same seed gives the same history (default 0)")
    demo.add_argument("--force", action="store_true",
                      help="even if the data folder holds history: set the database aside "
                           "(renamed, not deleted) and start afresh")
    export = sub.add_parser("export", help="write everything driftcheck keeps to one file "
                                           "of your own")
    export.add_argument("--format", choices=["json", "csv"], default="json",
                        help="json (one document) or csv (a zip of one table per file); "
                             "default json")
    export.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="the file to write (owner-only); default: standard output")
    export.add_argument("--include-notes", action="store_true",
                        help="include the private notes of your check-ins")
    import_ = sub.add_parser("import", help="bring back an export, all of it or nothing")
    import_.add_argument("file", type=Path, metavar="FILE",
                         help="a file `driftcheck export` wrote (JSON or zip)")
    import_.add_argument("--replace", action="store_true",
                         help="even if the data folder holds history: keep a copy of the "
                              "database, then replace everything with the export")
    wipe = sub.add_parser("wipe", help="remove everything driftcheck keeps on this device")
    wipe.add_argument("--yes", action="store_true", help="do not ask first")

    settings = sub.add_parser("settings", help="show or change a setting")
    settings.add_argument("key", nargs="?")
    settings.add_argument("value", nargs="?")

    # The browser extension (issue 13, docs/BROWSER.md).
    from widget.browser import BROWSERS

    browser = sub.add_parser("browser", help="let your browsers tell driftcheck which tracked "
                                             "site is in the tab in front")
    browser_sub = browser.add_subparsers(dest="browser_command", metavar="ACTION",
                                         required=True, parser_class=_Parser)
    binstall = browser_sub.add_parser(
        "install", help="let a browser start driftcheck's part of the extension (the native "
                        "messaging host), or with --uninstall no longer")
    binstall.add_argument("--browser", choices=[*BROWSERS, "all"], default="all",
                          help="which browser (default: all, each one whose folder exists)")
    binstall.add_argument("--config-dir", type=Path, metavar="DIR",
                          help="the browser's profile root instead of its usual place: "
                               "Chromium's user data dir, or the folder that holds Firefox's "
                               "native-messaging-hosts/ (needs --browser)")
    binstall.add_argument("--uninstall", action="store_true",
                          help="remove what install wrote")
    bextension = browser_sub.add_parser(
        "extension", help="write the extension for a browser here and say how to load it")
    bextension.add_argument("--browser", choices=["chromium", "firefox"], required=True,
                            help="chromium: an unpacked folder (Chrome, Brave, Edge, Vivaldi "
                                 "too); firefox: an .xpi")
    bextension.add_argument("--output", metavar="PATH",
                            help="where to write it (default: driftcheck-extension-chromium or "
                                 "driftcheck.xpi in this folder)")
    # The desktop's own part (issue 14, docs/GNOME.md): GNOME Shell's extension.
    desktop = sub.add_parser("desktop", help="let the desktop tell driftcheck which window is "
                                             "in front (GNOME on Wayland)")
    desktop_sub = desktop.add_subparsers(dest="desktop_command", metavar="ACTION",
                                         required=True, parser_class=_Parser)
    dinstall = desktop_sub.add_parser(
        "install", help="install and switch on driftcheck's GNOME Shell extension, or with "
                        "--uninstall remove it")
    dinstall.add_argument("--uninstall", action="store_true",
                          help="switch the extension off and remove it")
    dinstall.add_argument("--shell-version", metavar="VERSION",
                          help="build for this GNOME Shell (default: the installed one)")
    # One mirror across the person's computers (issue 16, widget.commands.devices).
    devices = sub.add_parser("devices", help="share your time with your other computers "
                                             "through a folder you keep in step yourself")
    devices_sub = devices.add_subparsers(dest="devices_command", metavar="ACTION",
                                         required=True, parser_class=_Parser)
    dshare = devices_sub.add_parser(
        "share", help="share this computer's time through FOLDER (Syncthing's, or any folder "
                      "your sync tool keeps in step)")
    dshare.add_argument("folder", type=Path, metavar="FOLDER")
    dshare.add_argument("--name", required=True, metavar="NAME",
                        help="this computer's name as your other computers show it")
    seal = dshare.add_mutually_exclusive_group()
    seal.add_argument("--passphrase-file", type=Path, metavar="FILE",
                      help="protect this computer's files with the passphrase on FILE's first "
                           "line (the same on each computer; kept owner-only in the data "
                           "folder)")
    seal.add_argument("--no-encryption", action="store_true",
                      help="no passphrase, even for a folder that is not Syncthing's")
    dshare.add_argument("--share-goals", action="store_true",
                        help="your goals and preferences go into the file too")
    dshare.add_argument("--share-notes", action="store_true",
                        help="your check-ins and their private notes go into the file too")
    devices_sub.add_parser("sync", help="write this computer's file now and read the others'")
    dlist = devices_sub.add_parser("list", help="each computer, and when it was last seen")
    dlist.add_argument("--json", action="store_true")
    duse = devices_sub.add_parser(
        "use-goals", help="make the goals another computer shares (--share-goals there) this "
                          "computer's too")
    duse.add_argument("computer", metavar="NAME", help="that computer's name, as `devices "
                                                        "list` shows it")
    dstop = devices_sub.add_parser("stop", help="stop sharing this computer's time")
    dstop.add_argument("--remove-my-file", action="store_true",
                       help="also take this computer's files out of the shared folder")
    dresolve = devices_sub.add_parser(
        "resolve", help="when two computers write under one identity (a copied data folder)")
    dresolve.add_argument("resolution", choices=["new-identity", "keep-writing"],
                          metavar="{new-identity,keep-writing}",
                          help="new-identity on the copy, keep-writing on the original")
    # Started by the browser, never typed: Chromium passes the extension's origin, Firefox
    # the manifest's path and the extension's id. Taken as they come (bytes: a path may hold
    # any) and ignored.
    host = sub.add_parser("browser-host", help="what a browser starts for driftcheck's "
                                               "extension (not to be run by hand)")
    host.add_argument("browser_arguments", nargs=argparse.REMAINDER, type=os.fsencode,
                      metavar="...", help="what the browser passes; ignored")
    return p


_POSITIONAL_WORDS = {"ids": "app id", "key": "setting's name", "value": "setting's value"}


def _argument_words(dest: str) -> str:
    """How the person typed the argument kept under `dest`."""
    return _POSITIONAL_WORDS.get(dest) or "value of --" + dest.replace("_", "-")


def program() -> int:
    """The program's entry (the `driftcheck` command, `python -m widget`, the frozen build):
    `main` in a process that keeps TLS out (widget.desktop.offline)."""
    from widget.desktop.offline import keep_tls_out

    keep_tls_out()
    return main()


# Options whose value is a length. After one of them argparse takes '-3m' for an option of its
# own and says only "expected one argument"; joined as '--daily=-3m', the value reaches the
# check that says what is wrong with it.
_LENGTH_OPTIONS = frozenset({"--daily", "--weekly", "--session", "--interval", "--idle-after"})
_GLOBAL_VALUED = frozenset({"--data-dir", "--log-level"})
_SIGNED = re.compile(r"-[0-9.]")


def keep_signed_values(argv: Sequence[str]) -> list[str]:
    """`argv` with each signed value ('-3m', '-5') kept as the value it was typed as: joined to
    a length option before it, or after a '--' in `settings KEY VALUE`."""
    out: list[str] = []
    command = None
    expects_value = False
    for token in argv:
        if out and out[-1] in _LENGTH_OPTIONS and _SIGNED.match(token):
            out[-1] = f"{out[-1]}={token}"
            continue
        if command == "settings" and _SIGNED.match(token) and "--" not in out:
            out.append("--")
        elif command is None and not expects_value and not token.startswith("-"):
            command = token
        expects_value = command is None and token in _GLOBAL_VALUED
        out.append(token)
    return out


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The arguments, or one sentence and exit status 2. The parser itself is let go on return:
    it holds every sub-command's help, about 0.5 MB the tray app would keep for nothing."""
    parser = build_parser()
    args = parser.parse_args(keep_signed_values(sys.argv[1:] if argv is None else argv))
    undecodable = _undecodable_argument(args)
    if undecodable is not None:
        parser.error(f"the {_argument_words(undecodable)} holds bytes that are not UTF-8 text; "
                     "please type it again")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingOutput(out), EscapingOutput(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


Command = Callable[[argparse.Namespace], int]


def command(name: str | None) -> Command:
    """The function that runs sub-command `name` (None: the tray app), imported only now, so
    each command loads only what it needs. Every import is written out, for the privacy
    check (tests/unit/test_privacy_code.py) to read."""
    match name:
        case None:
            from widget.app import run_tray as run
        case "track":
            from widget.commands.track import track as run
        case "apps":
            from widget.commands.apps import apps as run
        case "status":
            from widget.commands.status import run
        case "doctor":
            from widget.commands.doctor import run
        case "settings":
            from widget.commands.settings import run
        case "goals":
            from widget.commands.goals import run
        case "checkin":
            from widget.commands.checkin import checkin as run
        case "report":
            from widget.commands.report import run
        case "dashboard":
            from widget.commands.dashboard import dashboard as run
        case "demo-data":
            from widget.commands.demo_data import run
        case "export":
            from widget.commands.exchange import export as run
        case "import":
            from widget.commands.exchange import import_ as run
        case "wipe":
            from widget.commands.wipe import run
        case "browser":
            from widget.commands.browser import run
        case "browser-host":
            from widget.browser.host import run
        case "desktop":
            from widget.commands.desktop import run
        case "devices":
            from widget.commands.devices import run
        case _:
            raise UsageError(f"There is no command '{name}'.")
    return run


def dispatch(args: argparse.Namespace) -> int:
    """Run what `args` asks for; a sub-command's damage notes are said whichever way in."""
    run = command(args.command)
    if args.command is None:
        return run(args)
    from widget.datafolder import data_dir, tell_set_aside

    try:
        return run(args)
    finally:
        tell_set_aside(data_dir(args))


def _main(argv: Sequence[str] | None) -> int:
    args = parse_arguments(argv)
    try:
        return dispatch(args)
    except DriftcheckError as exc:
        print(f"driftcheck: {printable(str(exc))}", file=sys.stderr)
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
    raise SystemExit(program())
