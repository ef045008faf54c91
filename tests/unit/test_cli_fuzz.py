"""Every sub-command's options under hostile values (hypothesis), run in-process against a
data folder that already holds history.

The sub-commands and their options are read from the parser itself, so a new one cannot go
unfuzzed: the first test fails until its values have a strategy here. Whatever the values,
the outcome is one of two: the command does what it says (exit 0), or it is refused in one
sentence on stderr (exit 1 for a refused value, 2 for usage) with no traceback and nothing
written: every row of the database as it was (a sha256 of SQLite's own dump), no file added to
or removed from the data folder or the folder the command ran in.

Three commands would run until stopped if they succeeded: `track` and `browser-host` are
replaced by a stand-in once their arguments have parsed, and the tray app is told there is no
display (it then says so in one sentence). `report --pdf` is given only places it must
refuse (a PDF written would start Qt inside the unit tests; tests/e2e/test_privacy_session.py
writes one). Everything else runs for real, `wipe --yes` and `demo-data --force` included; each
example starts from a fresh copy of the data.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import logging
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from widget.cli import build_parser, main
from widget.core.settings import SETTINGS
from widget.logs import LOG_NAME
from widget.paths import DB_NAME

# --- the commands, as the parser knows them ----------------------------------------------------


def sub_commands(parser: argparse.ArgumentParser,
                 path: tuple[str, ...] = ()) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every command path (`()` is the tray app, `("goals", "set")` a sub-sub-command) and its
    parser."""
    found = {path: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(sub_commands(sub, (*path, name)))
    return found


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The arguments a person can give a command (not --help, --version, or the sub-command)."""
    return [a for a in parser._actions
            if not isinstance(a, argparse._HelpAction | argparse._VersionAction
                              | argparse._SubParsersAction)]


COMMANDS = sub_commands(build_parser())
EXPECTED = {(), ("track",), ("apps",), ("apps", "catalog"), ("apps", "list"), ("apps", "add"),
            ("apps", "remove"), ("apps", "check"), ("status",), ("doctor",), ("settings",),
            ("goals",),
            ("goals", "set"), ("goals", "list"), ("goals", "clear"), ("checkin",), ("report",),
            ("checkin", "history"), ("checkin", "change"), ("checkin", "delete"),
            ("dashboard",), ("demo-data",), ("export",), ("import",), ("wipe",),
            ("browser",), ("browser", "install"), ("browser", "extension"), ("browser-host",),
            ("desktop",), ("desktop", "install"), ("devices",), ("devices", "share"),
            ("devices", "sync"), ("devices", "list"), ("devices", "stop"),
            ("devices", "resolve"), ("devices", "use-goals")}


def test_the_fuzz_sees_every_sub_command_and_option() -> None:
    assert set(COMMANDS) == EXPECTED, "a new sub-command: give its values a strategy below"
    seen = {(path, a.dest) for path, parser in COMMANDS.items() for a in options(parser)}
    assert {(("report",), "pdf"), (("export",), "include_notes"), (("goals", "set"), "quiet"),
            (("import",), "file"), (("track",), "idle_after")} <= seen
    unknown = {dest for _, dest in seen} - set(VALUES) - FLAGS
    assert not unknown, f"options with no hostile values yet: {sorted(unknown)}"


# --- hostile values -------------------------------------------------------------------------


def _undecodable(raw: bytes) -> str:
    """What Python makes of argv bytes that are not UTF-8: lone surrogates."""
    return (raw.replace(b"\x00", b"") + b"\xff").decode("utf-8", "surrogateescape")


# argv never holds NUL; everything else can arrive from a shell.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=24)
ANYTHING = [
    "", " ", "\t", "\n", "-", "--", "-1", "0", "00", "-0", "+1", "1e999", "-1e999", "nan",
    "NaN", "inf", "-inf", "1_000", "0x10", "0o7", "\u0661\u0662", "\u00b2", "\u00bd",
    "9" * 5000, "x" * 70_000, "'; DROP TABLE intervals; --", "%s%s%n", "{0}", "${HOME}",
    "$(reboot)", "`id`", "*", "**", "?", "[", "[]", "\u202eevil", "\ufeff5", "e\u0301",
    "\U0001f642", "ctrl\x01char", "true", "null", "{}", "--help", "-h", "--json", "--yes",
]
HOSTILE = st.one_of(st.sampled_from(ANYTHING), TEXT, st.integers().map(str),
                    st.floats().map(str), st.binary(max_size=8).map(_undecodable))


def hostile(*domain: str) -> st.SearchStrategy[str]:
    """Values near the edge of an option's domain, or anything at all."""
    return st.one_of(st.sampled_from(domain), HOSTILE) if domain else HOSTILE


SECONDS = ("0", "1", "2", "60", "61", "0.5", "1e-300", "1e308", "7200", "7201", "5e0", "1_0",
           "\u0665", "0x5", "True", " 5 ")
DURATIONS = ("45m", "0m", "0", "0:0", "1:-30", "-1:30", "1:99", "1:60", "0:59", "24:00", "24:01",
             "1441", "1440", "24h", "24h1m", "25h", "168h", "169h", "1h30", "h", "m", "1hm",
             "1m1", "1_0m", "1_0:30", "1.5h", "\u0661\u0660m", "9" * 30 + "h", "1d", " 45 m ",
             "10080", "10081", "-5m")
QUIET = ("23:00-06:00", "23:00-23:00", "24:00-06:00", "23:60-06:00", "23:00-", "-06:00",
         "23:00-06:00-07:00", "23-06", "11pm-6am", "23:00\u201306:00", "-1:00-06:00",
         "1_2:00-06:00", "+23:00-06:00", " 23:00 - 06:00 ", "23:00:00-06:00", "0:0-0:1",
         "23:-5-06:00")
WEEKS = ("2026-W48", "2026-W53", "2020-W53", "2026-W00", "2026-W99", "0000-W01", "0001-W01",
         "9999-W52", "10000-W01", "-001-W01", "2026-w48", "2026W48", "2026-48", "2026-W4",
         "2026-W048", "2026-W48-1", "\uff12\uff10\uff12\uff16-W48", "1969-W01", "2026-W48 ")
ANSWERS = ("0", "1", "5", "6", "-1", "3.0", "3 ", "\u0663", "three", "1e0", "0x3", "+3")
COUNTS = ("0", "1", "2", "104", "105", "-1", "2147483647", "2147483648", "1e2", "12.0",
          "\u0663", "9" * 5000)
IDS = ("replika", "Replika", "nomi", "kindroid", "nonexistent", "custom-mine", "../replika",
       "replika ", "REPLIKA", "*", "custom-my-bot", "re plika")
PATTERNS = ("*", "**", "?", "[", "[]", "[!]", "a", "*a*a*a*a*a*a*a*a*a*b", "ab" * 101,
            "kobold*", "\\", "(((", ".*", "[[]ab", "My Bot -", "  ", "a\tb")
ADDRESSES = ("mybot.example", "localhost:8000", "localhost", "ai", "co.uk", "*.example.com",
             "https://mybot.example", "user@mybot.example", "mybot.example:0",
             "mybot.example:65536", "[::1]:8080", "[::1]", "Bücher.example", "x" * 254,
             "example.com/chat?x", "example.com/../b", "127.1:5001", "\u202emybot.example")
NAMES = ("My bot", "x" * 80, "x" * 81, "   ", "tab\there", "\U0001f642 friend", "Replika")
KEYS = (*SETTINGS, "colour", "SAMPLE_INTERVAL", "sample-interval", "__class__")
# Files and folders, always relative to the folder the command runs in (never a real
# device: `export -o /dev/null` as root would be a test that damages the machine).
PATHS = ("missing/folder/file", ".", "..", "", "a-folder", "a-fifo", "a-file/below",
         "valid-export.json", "out.json", "out.zip", "a-folder/", "-", "a-link-to-fifo")
PDF_PATHS = ("missing/folder/week.pdf", ".", "..", "", "a-folder", "a-fifo", "a-file/week.pdf",
             "a-folder/", "a-link-to-fifo")
SAFE_NAME = TEXT.filter(lambda t: "/" not in t and t.strip(". ") != "" and not t.startswith("-"))

VALUES: dict[str, st.SearchStrategy[str]] = {
    "data_dir": st.just("data"),  # fuzzed on its own below
    "log_level": hostile("debug", "info", "warning", "DEBUG", "loud"),
    "interval": hostile(*SECONDS),
    "idle_after": hostile(*SECONDS),
    "wait": hostile(*SECONDS),
    "ids": hostile(*IDS),
    "name": hostile(*NAMES),
    "process": hostile(*PATTERNS),
    "app_id": hostile(*PATTERNS),
    "title": hostile(*PATTERNS),
    "address": hostile(*ADDRESSES),
    "app": hostile(*IDS),
    "daily": hostile(*DURATIONS),
    "weekly": hostile(*DURATIONS),
    "session": hostile(*DURATIONS),
    "quiet": hostile(*QUIET),
    "kind": hostile("daily", "weekly", "quiet_hours", "session", "quiet-hours", "Daily"),
    "answer": hostile(*ANSWERS),
    "note": hostile("a quiet week", "x" * 20_000, "x" * 20_001, "line\nbreak", "\u202e"),
    "note_value": hostile("a quiet week", "x" * 20_001, "line\nbreak", "\u202e"),
    "which": hostile("today", "yesterday", "2026-12-04", "2026-02-30", "1", "0", "-1", "TODAY",
                     "2026-W48", "9" * 5000),
    "answer_value": hostile(*ANSWERS),
    "week": hostile(*WEEKS),
    "pdf": st.sampled_from(PDF_PATHS),
    "weeks": hostile(*COUNTS),
    "seed": hostile(*COUNTS),
    "format": hostile("json", "csv", "JSON", "zip", "xml"),
    "output": st.one_of(st.sampled_from(PATHS), SAFE_NAME),
    "file": st.one_of(st.sampled_from(PATHS), SAFE_NAME),
    "key": hostile(*KEYS),
    "value": hostile(*SECONDS, "0.95", "0.96", "12", "13", "4.5"),
    "browser": hostile("firefox", "chromium", "chrome", "all", "Firefox", "safari"),
    "config_dir": st.one_of(st.sampled_from(PATHS), SAFE_NAME),
    "shell_version": hostile("43.9", "46.0", "50.beta", "42.5", "3.38", "", "x" * 300),
    "folder": st.one_of(st.sampled_from(PATHS), SAFE_NAME),
    "passphrase_file": st.one_of(st.sampled_from(PATHS), SAFE_NAME),
    "resolution": hostile("new-identity", "keep-writing", "New-Identity", "keep"),
    "computer": hostile(*NAMES, "Desktop", "0123abcd"),
    "browser_arguments": hostile("chrome-extension://abc/", "driftcheck@driftcheck.invalid",
                                 "/x/io.github.driftcheck.json", "--parent-window=0"),
}
FLAGS = {"json", "any_window", "force", "include_notes", "replace", "yes", "notes",
         "no_note", "uninstall", "this_device", "no_encryption", "share_goals", "share_notes",
         "remove_my_file"}


@st.composite
def argv_for(draw: st.DrawFn, path: tuple[str, ...]) -> list[str]:
    """Global options, the command, then some of its options in any order, each with a
    hostile value; sometimes a stray word at the end."""
    argv = ["--data-dir", "data"]
    if draw(st.booleans()):
        argv += ["--log-level", draw(VALUES["log_level"])]
    argv += list(path)
    chosen: list[list[str]] = []
    for action in options(COMMANDS[path]):
        if action.dest in FLAGS:
            if draw(st.booleans()):
                chosen.append([action.option_strings[0]])
            continue
        if not action.option_strings:  # positional: one value, several, or none at all
            many = action.nargs in ("*", "+")
            count = draw(st.integers(0, 3 if many else 1))
            chosen.append([draw(VALUES[action.dest]) for _ in range(count)])
            continue
        repeat = draw(st.integers(0, 2 if action.dest in ("process", "app_id", "title", "address")
                                  else 1))
        for _ in range(repeat):
            flag = draw(st.sampled_from(action.option_strings))
            chosen.append([flag, draw(VALUES[action.dest])])
    order = draw(st.permutations(range(len(chosen))))
    for index in order:
        argv += chosen[index]
    if draw(st.integers(0, 9)) == 0:
        argv.append(draw(HOSTILE))
    return argv


# --- the world each example runs in -----------------------------------------------------------


def _seeded_template(root: Path) -> Path:
    """A data folder with history of every kind, and a valid export of it."""
    template = root / "template"
    for argv in (("demo-data", "--weeks", "3", "--seed", "5"),
                 ("apps", "add", "--name", "My bot", "--process", "mybot*", "--title", "My Bot -"),
                 ("goals", "set", "--app", "replika", "--daily", "30m", "--quiet", "23:00-06:00"),
                 ("checkin", "--answer", "4", "--note", "a private note"),
                 ("settings", "sample_interval", "7")):
        code, _, err = call(root, "--data-dir", str(template / "data"), *argv)
        assert code == 0, (argv, err)
    code, _, err = call(root, "--data-dir", str(template / "data"), "export", "-o",
                        str(template / "valid-export.json"), "--include-notes")
    assert code == 0, err
    for leftover in (template / "data").iterdir():  # the stand-in's copies start without logs
        if leftover.name != DB_NAME:
            leftover.unlink()
    return template


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private HOME and config folder (wipe looks for the start-at-login entry there), no
    display, and the template every example copies."""
    root = tmp_path_factory.mktemp("cli-fuzz")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "DRIFTCHECK_DATA_DIR",
                     "DRIFTCHECK_LOG_LEVEL"):
            patch.delenv(name, raising=False)
        patch.setenv("HOME", str(root / "home"))
        patch.setenv("XDG_CONFIG_HOME", str(root / "home" / "config"))
        patch.setenv("XDG_DATA_HOME", str(root / "home" / "share"))
        # `desktop install` switches its GNOME extension on through gsettings: into a file
        # of this HOME, never the machine's own settings.
        patch.setenv("GSETTINGS_BACKEND", "keyfile")
        patch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        patch.setattr("widget.commands.track.track", _stand_in)
        # The host replaces the process it runs in (exec) and serves a browser until its
        # stdin closes: only its arguments are fuzzed here (tests/e2e/test_browser_host.py).
        patch.setattr("widget.browser.host.run", _stand_in)
        patch.setattr("widget.commands.apps.sleep", lambda seconds: None)  # `apps check --wait`
        # The tray app's own first check, whatever the platform: no desktop to draw on.
        patch.setattr("widget.desktop.display.display_problem",
                      lambda: "no display in a unit test")
        yield _seeded_template(root)


def _stand_in(args: argparse.Namespace) -> int:
    return 0  # `track` with arguments that parsed would now run until stopped


def call(cwd: Path, *argv: str) -> tuple[int, str, str]:
    """`main(argv)` in `cwd` with output captured; the process's umask, environment and log
    handlers as they were before."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")  # a zip goes to stdout's bytes
    err = io.StringIO()
    umask = os.umask(0o022)
    os.umask(umask)
    environ = dict(os.environ)  # `report --pdf` chooses Qt's platform through the environment
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else -1
    finally:
        os.chdir(before)
        os.umask(umask)
        os.environ.clear()
        os.environ.update(environ)
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, logging.FileHandler):
                root.removeHandler(handler)
                handler.close()
    out.flush()
    raw = out.buffer.getvalue()  # type: ignore[attr-defined]
    return code, raw.decode("utf-8", "replace"), err.getvalue()


@dataclass
class Example:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"


@contextlib.contextmanager
def example(template: Path) -> Iterator[Example]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(template / "data", root / "data")
        shutil.copy(template / "valid-export.json", root / "valid-export.json")
        (root / "a-folder").mkdir()
        (root / "a-file").write_text("in the way")
        os.mkfifo(root / "a-fifo")
        (root / "a-link-to-fifo").symlink_to(root / "a-fifo")
        yield Example(root)


def database_digest(folder: Path) -> str | None:
    """sha256 of SQLite's dump of the whole database: schema and every row."""
    db = folder / DB_NAME
    if not db.exists():
        return None
    with contextlib.closing(sqlite3.connect(db)) as conn:
        dump = "\n".join(conn.iterdump())
    return hashlib.sha256(dump.encode("utf-8", "surrogatepass")).hexdigest()


TRANSIENT = ("-wal", "-shm")


def files_of(root: Path) -> dict[str, str]:
    """Every path under `root` with its kind (and a FIFO stays a FIFO), but the log and
    SQLite's -wal/-shm, which come and go with any reader."""
    found = {}
    for path in sorted(root.rglob("*")):
        name = path.name
        if name.startswith(LOG_NAME) or name.endswith(TRANSIENT):
            continue
        mode = path.lstat().st_mode
        kind = ("link" if stat.S_ISLNK(mode) else "fifo" if stat.S_ISFIFO(mode)
                else "dir" if stat.S_ISDIR(mode) else "file")
        found[str(path.relative_to(root))] = kind
    return found


def check_outcome(ex: Example, argv: list[str], code: int, out: str, err: str,
                  before: tuple[str | None, dict[str, str], bytes]) -> None:
    assert code in (0, 1, 2), (argv, code, err[-2000:])
    assert "Traceback" not in err and 'File "' not in err, (argv, err[-2000:])
    assert "something unexpected" not in err, (argv, err[-2000:])
    if code == 0:
        return
    lines = err.strip().splitlines()
    assert len(lines) == 1, (argv, err[-2000:])
    assert lines[0].startswith("driftcheck") and lines[0].endswith("."), (argv, lines[0][:500])
    if code == 2:
        assert "--help'." in lines[0], (argv, lines[0][:500])
    digest, files, export = before
    assert database_digest(ex.data) == digest, f"{argv} was refused but changed the database"
    assert files_of(ex.root) == files, f"{argv} was refused but added or removed a file"
    assert (ex.root / "valid-export.json").read_bytes() == export


FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: " ".join(p) or "tray")
@FUZZ
@given(data=st.data())
def test_hostile_values_are_done_or_refused_in_one_sentence_without_a_write(
        world: Path, path: tuple[str, ...], data: st.DataObject) -> None:
    argv = data.draw(argv_for(path), label="argv")
    with example(world) as ex:
        before = (database_digest(ex.data), files_of(ex.root),
                  (ex.root / "valid-export.json").read_bytes())
        code, out, err = call(ex.root, *argv)
        check_outcome(ex, argv, code, out, err, before)


@FUZZ
@given(folder=st.one_of(st.sampled_from(["a-file", "a-file/below", "a-fifo", "a-fifo/x",
                                         "a-link-to-fifo", "", " "]), SAFE_NAME),
       command=st.sampled_from([["status"], ["goals", "list"], ["checkin", "--answer", "9"],
                                ["settings", "colour", "blue"], ["report", "--json"],
                                ["import", "a-fifo"], ["wipe"], ["export", "-o", "a-folder"]]))
def test_a_hostile_data_folder_is_used_or_refused_in_one_sentence(
        world: Path, folder: str, command: list[str]) -> None:
    with example(world) as ex:
        before = files_of(ex.root)
        argv = ["--data-dir", folder, *command]
        code, _, err = call(ex.root, *argv)
        assert code in (0, 1, 2), (argv, code, err[-2000:])
        assert "Traceback" not in err and "something unexpected" not in err, (argv, err)
        if code:
            assert len(err.strip().splitlines()) == 1, (argv, err)
        assert stat.S_ISFIFO((ex.root / "a-fifo").lstat().st_mode), "the FIFO was replaced"
        assert (ex.root / "a-file").read_text() == "in the way"
        inside = str((ex.root / folder).relative_to(ex.root))
        if inside != ".":
            new = set(files_of(ex.root)) - set(before)
            assert all(p == inside or p.startswith(inside + "/") for p in new), \
                f"{argv} wrote outside its data folder: {sorted(new)}"


@pytest.mark.parametrize("folder", ["d?x=1", "d#part", "d%3Fy", "d%20y"])
def test_a_data_folder_with_url_characters_keeps_everything_inside(world: Path,
                                                                   folder: str) -> None:
    """SQLAlchemy read "sqlite:///.../d?x=1/driftcheck.sqlite3" as the file "d" with a query:
    `apps add` wrote the database beside the data folder, where `track` never looked."""
    with example(world) as ex:
        for argv in (["apps", "add", "replika"], ["doctor", "--json"], ["status", "--json"]):
            code, out, err = call(ex.root, "--data-dir", folder, *argv)
            assert code == 0, err
        assert '"id": "replika"' in out
        new = set(files_of(ex.root)) - {"data", "data/" + DB_NAME, "valid-export.json",
                                        "a-folder", "a-file", "a-fifo", "a-link-to-fifo"}
        assert new == {folder, f"{folder}/{DB_NAME}"}


# --- values found by the fuzz, kept as plain cases ---------------------------------------------

SURROGATE = _undecodable(b"ab")  # "ab" and a byte 0xff that is not UTF-8


@pytest.mark.parametrize("argv", [
    ["checkin", "--answer", "3", "--note", f"a note {SURROGATE}"],
    ["apps", "add", "--name", f"My {SURROGATE}", "--process", "mybot"],
    ["apps", "remove", SURROGATE],
    ["goals", "set", "--app", SURROGATE, "--daily", "45m"],
    ["settings", SURROGATE, "5"],
], ids=["note", "name", "remove", "goal app", "setting"])
def test_text_that_is_not_utf8_is_refused_in_one_sentence(world: Path, argv: list[str]) -> None:
    """Bytes that are not UTF-8 arrive as lone surrogates, which SQLite cannot store: they
    ended in "something unexpected" (exit 70) with the traceback's frames on stderr. Now the
    command line refuses them first, saying what is wrong with the text."""
    with example(world) as ex:
        before = (database_digest(ex.data), files_of(ex.root),
                  (ex.root / "valid-export.json").read_bytes())
        full = ["--data-dir", "data", *argv]
        code, out, err = call(ex.root, *full)
        assert code == 2, (code, err)
        check_outcome(ex, full, code, out, err, before)
        assert "not UTF-8 text" in err


@pytest.mark.parametrize("argv", [
    ["apps", "remove", "replika", "nonexistent"],  # removed replika, then refused
    ["report", "--week", "9999-W52"],  # OverflowError (exit 70)
    ["report", "--week", "0001-W01"],  # ValueError (exit 70)
    ["settings", "line\nbreak", "5"],  # the name quoted back over two lines
    ["import", "a\x1b]0;title\x07"],  # an escape sequence quoted back to the terminal
    ["goals", "set", "--daily", "1:-30"],  # was kept as 30 minutes
    ["goals", "set", "--quiet", "1_2:00-06:00"],  # was kept as 12:00-06:00
], ids=["remove", "week 9999", "week 1", "newline", "escape", "1:-30", "1_2:00"])
def test_values_the_fuzz_found(world: Path, argv: list[str]) -> None:
    with example(world) as ex:
        before = (database_digest(ex.data), files_of(ex.root),
                  (ex.root / "valid-export.json").read_bytes())
        full = ["--data-dir", "data", *argv]
        code, out, err = call(ex.root, *full)
        assert code in (1, 2), (code, err)
        check_outcome(ex, full, code, out, err, before)
        assert "\x1b" not in err and "\x07" not in err


def test_an_app_name_that_cannot_be_stored_is_refused_where_it_is_made() -> None:
    """The goals and apps dialogs make apps through `custom_app` too, with no command line
    in front of them."""
    from widget.core.catalog import custom_app
    from widget.errors import InvalidRule

    with pytest.raises(InvalidRule, match="control characters"):
        custom_app(f"My {SURROGATE}", ["mybot"], [], False)


def test_a_note_longer_than_an_import_takes_is_refused(world: Path) -> None:
    """A note of 20,001 characters was kept and exported, and then the export could not be
    imported again."""
    with example(world) as ex:
        before = (database_digest(ex.data), files_of(ex.root),
                  (ex.root / "valid-export.json").read_bytes())
        argv = ["--data-dir", "data", "checkin", "--answer", "3", "--note", "x" * 20_001]
        code, out, err = call(ex.root, *argv)
        assert code == 1, (code, err)
        assert "20,000 characters" in err
        check_outcome(ex, argv, code, out, err, before)
        argv[-1] = "x" * 20_000
        assert call(ex.root, *argv)[0] == 0
        assert call(ex.root, "--data-dir", "data", "export", "--include-notes", "-o",
                    "again.json")[0] == 0
        fresh = ["--data-dir", "fresh", "import", "again.json"]
        code, out, err = call(ex.root, *fresh)
        assert code == 0, err


@pytest.mark.parametrize("holder", ["the tray app", "another program"])
@pytest.mark.parametrize(("argv", "ending"), [
    (["wipe", "--yes"], "then run `driftcheck wipe` again."),
    (["import", "valid-export.json", "--replace"], "then try the import again."),
], ids=["wipe", "import"])
def test_while_driftcheck_runs_the_refusal_is_one_plain_sentence(
        world: Path, argv: list[str], ending: str, holder: str) -> None:
    """It said "...then run `driftcheck wipe` again again." """
    import fcntl
    import subprocess
    import sys

    with example(world) as ex:
        before = (database_digest(ex.data), files_of(ex.root),
                  (ex.root / "valid-export.json").read_bytes())
        fd = os.open(ex.data / "driftcheck.lock", os.O_RDWR | os.O_CREAT, 0o600)
        reader = None
        try:
            if holder == "the tray app":
                fcntl.flock(fd, fcntl.LOCK_EX)  # as the running tray app holds it
            else:  # `driftcheck track` in a terminal: the database open in another process
                reader = subprocess.Popen(
                    [sys.executable, "-c", "import sqlite3, sys, time\n"
                     "c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1')\n"
                     "print('open', flush=True); time.sleep(60)", str(ex.data / DB_NAME)],
                    stdout=subprocess.PIPE, text=True)
                assert reader.stdout is not None and reader.stdout.readline() == "open\n"
            before = (before[0], files_of(ex.root), before[2])
            full = ["--data-dir", "data", *argv]
            code, out, err = call(ex.root, *full)
        finally:
            os.close(fd)
            if reader is not None:
                reader.kill()
                reader.wait(timeout=10)
        assert code == 1, err
        check_outcome(ex, full, code, out, err, before)
        assert err.strip().endswith(ending) and "again again" not in err


@pytest.mark.parametrize("target", ["a-fifo", "a-link-to-fifo"])
@pytest.mark.parametrize("command", [["export", "-o"], ["export", "--format", "csv", "-o"],
                                     ["report", "--pdf"]], ids=["json", "csv", "pdf"])
def test_an_output_that_is_not_a_file_is_refused_and_left_alone(
        world: Path, command: list[str], target: str) -> None:
    """`-o` or `--pdf` naming a FIFO (or, as root, a device such as /dev/null) replaced it
    with a regular file through the rename meant for atomic writes."""
    with example(world) as ex:
        before = (database_digest(ex.data), files_of(ex.root),
                  (ex.root / "valid-export.json").read_bytes())
        argv = ["--data-dir", "data", *command, target]
        code, out, err = call(ex.root, *argv)
        assert code == 1, (code, out, err)
        assert "not a regular file" in err
        check_outcome(ex, argv, code, out, err, before)
        assert stat.S_ISFIFO((ex.root / "a-fifo").lstat().st_mode)
        assert (ex.root / "a-link-to-fifo").is_symlink()
