"""App names and patterns hold no character that steers a terminal or hides itself (issue 11,
finding 4): refused where they are typed or imported, and a name already stored with one (an
older version, an old import) is said escaped by every command, never as the character."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from widget.cli import printable
from widget.core.calendar import day_window, local_day
from widget.core.catalog import custom_app
from widget.core.model import Interval
from widget.core.rules import UNSAFE_IN_NAME, UNSAFE_IN_PATTERN, unsafe_characters
from widget.desktop.localzone import local_zone
from widget.errors import InvalidRule
from widget.paths import DB_NAME
from widget.store import Store

UNSAFE = {"right-to-left override": "\u202e", "line separator": "\u2028",
          "paragraph separator": "\u2029", "zero-width space": "\u200b",
          "soft hyphen": "\u00ad", "left-to-right isolate": "\u2066", "byte order mark": "\ufeff",
          "escape": "\x1b", "a lone joiner": "\u200d"}
FINE = ["💬 Kira ❤", "👩\u200d💻 Coder", "Ki ra", "<b style='color:red'>BIG</b>", "Zoë", "日本"]


@pytest.mark.parametrize("what", sorted(UNSAFE))
def test_a_name_with_an_unsafe_character_is_refused_in_one_sentence(
        run, what: str) -> None:  # type: ignore[no-untyped-def]
    name = f"Ki{UNSAFE[what]}ra"
    with pytest.raises(InvalidRule, match="invisible formatting"):
        custom_app(name, ["kira"], [], False)
    result = run("apps", "add", "--name", name, "--process", "kira")
    assert result.code == 1
    assert result.err.strip() == f"driftcheck: {UNSAFE_IN_NAME}"
    assert json.loads(run("apps", "list", "--json").out) == []


@pytest.mark.parametrize("what", sorted(UNSAFE))
def test_a_pattern_with_an_unsafe_character_is_refused(run, what: str) -> None:  # type: ignore[no-untyped-def]
    result = run("apps", "add", "--name", "Kira", "--title", f"*Ki{UNSAFE[what]}ra*")
    assert result.code == 1
    assert result.err.strip() == f"driftcheck: {UNSAFE_IN_PATTERN}"


@pytest.mark.parametrize("name", FINE)
def test_names_people_write_are_kept_as_written(run, name: str) -> None:  # type: ignore[no-untyped-def]
    assert unsafe_characters(name) == []
    result = run("apps", "add", "--name", name, "--process", "kira")
    assert result.code == 0, result.err
    [app] = json.loads(run("apps", "list", "--json").out)
    assert app["name"] == name
    assert printable(name) == name


def test_an_import_with_such_a_name_is_refused(run, data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "--name", "Kira", "--process", "kira").code == 0
    export = tmp_path / "export.json"
    assert run("export", "--output", str(export)).code == 0, run("export", "--help").out
    document = json.loads(export.read_text(encoding="utf-8"))
    document["apps"][0]["name"] = "Ki\u202era"
    export.write_text(json.dumps(document), encoding="utf-8")
    result = run("import", str(export), "--replace")
    assert result.code == 1
    assert "invisible formatting" in result.err and "\u202e" not in result.err


STORED = "Ki\u202era\x1b[2J\u2028Nomi\u200b"  # as an older version could have stored it


def seeded(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("apps", "add", "--name", "Kira", "--process", "kira").code == 0
    store = Store.open(data / DB_NAME)
    try:
        # Inside driftcheck's today (so inside this week too, which `report` shows): its day
        # begins at 04:00, and twenty minutes ago may still be yesterday, and last week.
        now = datetime.now(UTC)
        day_start = day_window(local_day(now, local_zone(), 4), local_zone(), 4)[0]
        start = max(now - timedelta(minutes=20), day_start)
        store.insert_interval(Interval("custom-kira", start, start + (now - start) * 0.75))
    finally:
        store.close()
    with sqlite3.connect(data / DB_NAME) as conn:
        conn.execute("UPDATE tracked_apps SET name = ? WHERE key = 'custom-kira'", (STORED,))


@pytest.mark.parametrize("argv", [("apps", "list"), ("status",), ("report",), ("goals", "list"),
                                  ("status", "--json"), ("apps", "list", "--json")])
def test_a_stored_name_is_said_escaped_by_every_command(
        run, data: Path, argv: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    seeded(run, data)
    if argv[0] == "goals":
        assert run("goals", "set", "--daily", "10m", "--app", "custom-kira").code == 0
    result = run(*argv)
    assert result.code == 0, result.err
    for char in ("\u202e", "\x1b", "\u2028", "\u200b"):
        assert char not in result.out and char not in result.err, (argv, char)
    if argv[-1] == "--json":
        loaded = json.loads(result.out)
        apps = loaded if isinstance(loaded, list) else loaded["apps"]
        assert [app["name"] for app in apps] == [STORED], "JSON carries the very name, escaped"
    else:
        assert printable(STORED) in result.out, result.out
