"""The command line as a person or a script uses it: in-process `main()` with a temp data
directory, and the real program as a subprocess for what only a new process shows."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.cli import one_error_line
from widget import __version__
from widget.cli import main
from widget.core.calendar import day_window, local_day
from widget.core.model import Interval, Measure
from widget.desktop.localzone import local_zone
from widget.paths import DB_NAME
from widget.store import Store

REPO = Path(__file__).resolve().parents[2]


def stored_apps(data: Path) -> list[str]:
    if not (data / DB_NAME).exists():
        return []
    store = Store.open(data / DB_NAME)
    try:
        return [a.key for a in store.list_apps()]
    finally:
        store.close()


# --- apps ---------------------------------------------------------------------------------


def test_apps_catalog_json_lists_the_known_companions(run) -> None:  # type: ignore[no-untyped-def]
    result = run("apps", "catalog", "--json")
    assert result.code == 0, result.err
    entries = json.loads(result.out)
    assert len(entries) >= 20
    ids = {e["id"] for e in entries}
    assert {"replika", "character-ai", "nomi", "kindroid", "sillytavern", "backyard-ai"} <= ids
    for entry in entries:
        assert entry["name"] and isinstance(entry["verified"], bool)


def test_apps_add_then_list_shows_it(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    added = run("apps", "add", "replika")
    assert added.code == 0, added.err
    assert "Replika" in added.out
    listed = run("apps", "list", "--json")
    assert listed.code == 0
    apps = json.loads(listed.out)
    assert [a["id"] for a in apps] == ["replika"]
    assert apps[0]["name"] == "Replika"
    assert apps[0]["rules"], "a catalog app comes with its patterns"


def test_adding_an_unknown_id_is_one_sentence_and_stores_nothing(  # type: ignore[no-untyped-def]
        run, data: Path) -> None:
    result = run("apps", "add", "replika", "nonexistent")
    assert result.code == 1
    assert "nonexistent" in one_error_line(result.err)
    assert stored_apps(data) == []  # not even the valid id before it


@pytest.mark.parametrize("argv", [
    ["--name", "Everything", "--process", "*"],
    ["--name", "Everything", "--title", "**"],
    ["--name", "Blank", "--process", "   "],
    ["--name", "Nothing"],
    ["--process", "kobold*"],  # no name
    ["--name", "   ", "--process", "kobold*"],
    ["replika", "--name", "Mine", "--process", "mine"],  # both at once
    [],
])
def test_bad_custom_apps_are_refused_and_nothing_is_stored(  # type: ignore[no-untyped-def]
        run, data: Path, argv: list[str]) -> None:
    result = run("apps", "add", *argv)
    assert result.code == 1
    one_error_line(result.err)
    assert stored_apps(data) == []


def test_a_custom_app_is_stored_with_its_patterns(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("apps", "add", "--name", "My Kobold", "--process", "kobold*",
                 "--title", "KoboldAI Lite")
    assert result.code == 0, result.err
    apps = json.loads(run("apps", "list", "--json").out)
    for app in apps:  # in words: tests/unit/test_apps_cli.py
        assert app.pop("counted") and app.pop("not_counted")
    assert apps == [{"id": "custom-my-kobold", "name": "My Kobold", "source": "custom",
                     "any_window_titles": False,
                     "rules": [{"kind": "process", "pattern": "kobold*"},
                               {"kind": "title", "pattern": "KoboldAI Lite"}]}]


def test_removing_an_app_that_is_not_tracked_fails(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("apps", "remove", "replika")
    assert result.code == 1
    assert "replika" in one_error_line(result.err)
    assert run("apps", "add", "replika").code == 0
    assert run("apps", "remove", "replika").code == 0
    assert stored_apps(data) == []
    assert run("apps", "remove", "replika").code == 1  # already removed


# --- status -------------------------------------------------------------------------------


def _today_window() -> tuple[str, tuple[datetime, datetime]]:
    tz = local_zone()
    day = local_day(datetime.now(UTC), tz, 4)
    return day.isoformat(), day_window(day, tz, 4)


def test_status_json_on_an_empty_dir_has_the_documented_shape(run) -> None:  # type: ignore[no-untyped-def]
    result = run("status", "--json")
    assert result.code == 0, result.err
    status = json.loads(result.out)
    assert set(status) == {"date", "mode", "apps", "total_seconds", "paused_until", "goals",
                           "devices", "sharing"}
    assert status["devices"] == [] and status["sharing"] is None  # not sharing (issue 16)
    assert status["paused_until"] is None
    assert status["goals"] == []
    assert status["date"] == _today_window()[0]
    assert status["mode"] == "foreground"
    assert status["apps"] == []
    assert status["total_seconds"] == 0


def test_status_json_counts_todays_intervals(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "replika", "nomi").code == 0
    today, (start, _) = _today_window()
    store = Store.open(data / DB_NAME)
    try:
        begin = start + timedelta(minutes=30)
        store.insert_interval(Interval("replika", begin, begin + timedelta(seconds=600)))
        # Yesterday's late night does not count today.
        store.insert_interval(Interval("replika", start - timedelta(minutes=20),
                                       start - timedelta(minutes=10)))
    finally:
        store.close()
    result = run("status", "--json")
    assert result.code == 0, result.err
    status = json.loads(result.out)
    assert status["date"] == today
    assert status["total_seconds"] == 600
    seconds = {a["id"]: a["seconds"] for a in status["apps"]}
    assert seconds == {"replika": 600, "nomi": 0}
    assert status["apps"][0]["id"] == "replika"

    text = run("status")
    assert text.code == 0
    assert "10 min" in text.out and "Nomi" in text.out


def test_status_parts_add_up_to_the_total(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    """1 h 30 min 36 s and 1 h 11 min 36 s were printed as 1 h 30 and 1 h 11 above a total
    of 2 h 42; now each line is rounded so that the lines sum to the total, and a whole
    hour carries no ' 00 min'."""
    assert run("apps", "add", "replika", "nomi").code == 0
    _, (start, _) = _today_window()
    store = Store.open(data / DB_NAME)
    try:
        store.insert_interval(Interval("replika", start, start + timedelta(seconds=90.6 * 60)))
        later = start + timedelta(hours=3)
        store.insert_interval(Interval("nomi", later, later + timedelta(seconds=71.6 * 60)))
    finally:
        store.close()
    text = run("status")
    assert text.code == 0, text.err
    lines = {line.split()[0]: line.split(None, 1)[1].strip() for line in text.out.splitlines()[1:]}
    assert lines == {"Replika": "1 h 31 min", "Nomi": "1 h 11 min", "Total": "2 h 42 min"}


def test_status_says_approximate_when_time_was_approximate(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "replika").code == 0
    _, (start, _) = _today_window()
    store = Store.open(data / DB_NAME)
    try:
        store.insert_interval(Interval("replika", start + timedelta(minutes=5),
                                       start + timedelta(minutes=6), Measure.APPROXIMATE))
    finally:
        store.close()
    status = json.loads(run("status", "--json").out)
    assert status["mode"] == "approximate"
    assert "approximately" in run("status").out


# --- settings -----------------------------------------------------------------------------


def test_settings_refuse_a_bad_value_and_keep_a_good_one(run) -> None:  # type: ignore[no-untyped-def]
    bad = run("settings", "sample_interval", "0")
    assert bad.code == 1
    assert "between 1 s and 1 min" in one_error_line(bad.err)
    unknown = run("settings", "colour", "blue")
    assert unknown.code == 1
    one_error_line(unknown.err)

    good = run("settings", "idle_after", "120")
    assert good.code == 0, good.err
    assert "idle_after is now 2 min;" in good.out
    shown = run("settings")
    assert "idle_after = 2 min  (" in shown.out  # said in minutes, not "120"
    assert "sample_interval = 5 s  (" in shown.out  # the others keep their defaults
    assert "near_share = 80%  (" in shown.out and "50% to 95%" in shown.out
    assert run("settings", "idle_after").out.strip() == "2 min"


@pytest.mark.parametrize(("value", "stored"), [
    ("5m", 300.0), ("180s", 180.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("45 min", 2700.0),
    ("90", 90.0), ("3 min", 180.0),
])
def test_a_duration_setting_takes_the_forms_goals_take(  # type: ignore[no-untyped-def]
        run, data: Path, value: str, stored: float) -> None:
    done = run("settings", "idle_after", value)
    assert done.code == 0, done.err
    store = Store.open(data / DB_NAME)
    try:
        assert store.get_setting("idle_after") == stored
    finally:
        store.close()


def test_near_share_takes_a_percentage(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    done = run("settings", "near_share", "80%")
    assert done.code == 0, done.err
    assert "near_share is now 80%;" in done.out
    assert run("settings", "near_share", "0.9").code == 0
    assert run("settings", "near_share").out.strip() == "90%"
    wrong = run("settings", "near_share", "lots")
    assert wrong.code == 1
    line = one_error_line(wrong.err)
    assert "near_share needs a share of a goal, like 80%, not 'lots'." in line
    assert "of of" not in line


def test_a_negative_setting_is_said_to_be_below_zero(run) -> None:  # type: ignore[no-untyped-def]
    """'-3m' looked like an option to argparse; now the setting's own check answers."""
    wrong = run("settings", "idle_after", "-3m")
    assert wrong.code == 1
    assert "idle_after needs a positive length, like 3m or 180s" in one_error_line(wrong.err)
    track = run("track", "--idle-after", "-3m", data_dir=None)
    assert track.code == 2
    assert "below zero" in one_error_line(track.err)


# --- bad arguments ------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [
    ["track", "--interval", "0"],
    ["track", "--interval", "abc"],
    ["track", "--interval", "61"],
    ["track", "--idle-after", "-1"],
    ["--data-dir"],
    ["frobnicate"],
    ["apps"],
    ["apps", "explode"],
    ["apps", "remove"],
    ["status", "--jsno"],
    ["--log-level", "loud", "status"],
])
def test_every_bad_argument_gets_one_sentence_and_status_2(  # type: ignore[no-untyped-def]
        run, data: Path, argv: list[str]) -> None:
    result = run(*argv, data_dir=None)
    assert result.code == 2
    line = one_error_line(result.err)
    assert line.endswith("See 'driftcheck --help'.") or "--help'." in line
    assert result.out == ""
    assert not data.exists()  # nothing was opened or created


_WORDS = ["apps", "catalog", "list", "add", "remove", "status", "settings", "--json",
          "--name", "--process", "--title", "--any-window", "replika", "nomi", "*", "",
          "sample_interval", "idle_after", "day_start_hour", "0", "5", "4.5", "-1", "1e999",
          "nan", "--log-level", "debug", "-h", "--", "-", "--data-dir"]
_TOKEN = st.one_of(st.sampled_from(_WORDS), st.text(max_size=12))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["apps", "status", "settings"]),
       rest=st.lists(_TOKEN, max_size=6))
def test_random_arguments_never_end_in_a_traceback(command: str, rest: list[str]) -> None:
    import contextlib
    import io

    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)  # a --data-dir among the random words lands in here
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                try:
                    code = main(["--data-dir", str(Path(tmp) / "data"), command, *rest])
                except SystemExit as stop:
                    code = stop.code
        finally:
            os.chdir(cwd)
            root = logging.getLogger()
            for handler in list(root.handlers):
                if isinstance(handler, logging.FileHandler):
                    root.removeHandler(handler)
                    handler.close()
    assert code is None or isinstance(code, int)
    assert code in (None, 0, 1, 2), (code, err.getvalue())
    assert "Traceback" not in err.getvalue()
    assert "something unexpected" not in err.getvalue()


# --- the real program ---------------------------------------------------------------------


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_version(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "widget", "--version"], capture_output=True,
                          text=True, timeout=60, env=_env(), cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.strip() == f"driftcheck {__version__}" == "driftcheck 0.1.0"


def test_the_tray_without_a_display_says_so_in_one_sentence(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "widget", "--data-dir", str(data)], capture_output=True,
        text=True, timeout=60, cwd=tmp_path,
        env=_env(DISPLAY=None, WAYLAND_DISPLAY=None, QT_QPA_PLATFORM=None))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "`driftcheck track`" in lines[0]
    assert lines[0].endswith(".") and lines[0].count(". ") == 0
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not data.exists()


def test_an_unusable_data_dir_is_one_sentence(tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-m", "widget", "--data-dir", str(in_the_way / "data"), "status"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=_env())
    assert done.returncode in (1, 2)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert 'File "' not in done.stderr


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX-only")
@pytest.mark.parametrize("existing", [False, True])
def test_data_files_are_owner_only_whatever_the_umask(  # type: ignore[no-untyped-def]
        run, data: Path, existing: bool) -> None:
    if existing:  # a folder made earlier by hand, open to everyone
        data.mkdir(mode=0o755)
        os.chmod(data, 0o755)
        (data / "driftcheck.log").write_text("")
        os.chmod(data / "driftcheck.log", 0o644)
    os.umask(0o022)
    assert run("apps", "add", "replika").code == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = list(data.iterdir())
    assert {DB_NAME, "driftcheck.log"} <= {f.name for f in files}
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


@pytest.mark.parametrize("command", [["status"], ["track"], ["wipe", "--yes"], ["report"]])
def test_a_home_folder_of_an_unknown_user_is_one_sentence(
        run, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    result = run(*command, data_dir=Path("~no-such-user-here/driftcheck"))
    assert result.code == 1
    assert result.err.startswith("driftcheck: The data folder ~no-such-user-here/driftcheck ")
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_track_counts_once_per_folder_and_refuses_beside_a_running_tracker(
        run, data: Path) -> None:  # type: ignore[no-untyped-def]
    import fcntl

    from widget.datafolder import take_tracking_lock
    from widget.paths import LOCK_NAME

    data.mkdir(mode=0o700)
    held = take_tracking_lock(data)  # the tray app (or another `track`) holds it
    assert held is not None and held >= 0
    try:
        result = run("track")
        assert result.code == 1
        assert "already tracking this folder" in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert take_tracking_lock(data) is None
    finally:
        os.close(held)
    again = take_tracking_lock(data)  # let go: the next tracker may start
    assert again is not None
    os.close(again)
    # The tray app's own lock is the same file, taken the same way (widget.desktop.single_instance).
    fd = os.open(data / LOCK_NAME, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        assert run("track").code == 1
    finally:
        os.close(fd)
