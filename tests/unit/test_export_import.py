"""`driftcheck export` and `driftcheck import`, run in-process: a lossless round trip through
a wipe in both formats, notes only when asked for, private files, and every kind of bad file
refused with one sentence and the database unchanged."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers.cli import (
    SEEDED_NOTE,
    Result,
    call,
    one_sentence,
    seed_history,
    table_digests,
)
from tests.helpers.fs import mode
from widget.core.calendar import iso_week, local_day
from widget.core.portable import NOT_EXPORTED, PREFERENCES
from widget.core.settings import SETTINGS
from widget.errors import ImportRefused
from widget.paths import DB_NAME
from widget.services import exchange
from widget.store.db import Store


@pytest.fixture(autouse=True)
def _zone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def weeks_back(n: int) -> list[str]:
    """The `n` complete weeks before this one. Not this week: its report sets the week so far
    beside the week before up to the same moment, which moves between two looks (a demo
    interval a week ago spanning that moment made the two looks differ by seconds)."""
    today = local_day(datetime.now(UTC), ZoneInfo("Europe/Berlin"), 4)
    return [iso_week(today - timedelta(weeks=k)) for k in range(1, n + 1)]


def views(run, folder: Path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What a person sees of their data, through the commands and the store."""
    seen: dict[str, object] = {}
    for week in weeks_back(7):
        result = run("report", "--week", week, "--json", data_dir=folder)
        assert result.code == 0, result.err
        seen[f"report {week}"] = json.loads(result.out)
    for argv in (("apps", "list", "--json"), ("goals", "list", "--json")):
        result = run(*argv, data_dir=folder)
        assert result.code == 0, result.err
        seen[" ".join(argv)] = json.loads(result.out)
    store = Store.open(folder / DB_NAME)
    try:
        seen["all apps"] = store.list_apps(include_removed=True)
        seen["names"] = store.app_names()
        seen["checkins"] = store.list_checkins()
        settings = store.all_settings()
        seen["preferences"] = {k: settings.get(k) for k in PREFERENCES}
    finally:
        store.close()
    return seen


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_wipe_import_gives_back_the_same_reports(run, tmp_path: Path, fmt: str  # type: ignore[no-untyped-def]
                                                        ) -> None:
    folder = tmp_path / "data"
    seed_history(run, folder)
    before = views(run, folder)
    file = tmp_path / f"export.{'zip' if fmt == 'csv' else 'json'}"
    made = run("export", "--format", fmt, "-o", str(file), "--include-notes", data_dir=folder)
    assert made.code == 0, made.err
    assert run("wipe", "--yes", data_dir=folder).code == 0
    assert not folder.exists()
    brought = run("import", str(file), data_dir=folder)
    assert brought.code == 0, brought.err
    assert "Imported 4 apps" in brought.out
    after = views(run, folder)
    assert after == before
    assert any(c.note == SEEDED_NOTE for c in after["checkins"])  # type: ignore[attr-defined]
    total = sum(r["total_s"] for k, r in before.items() if k.startswith("report"))  # type: ignore[index]
    assert total > 0
    # Transient state stays behind; the rhythm goes on from the newest answered check-in.
    store = Store.open(folder / DB_NAME)
    try:
        assert store.get_setting("alerts.snoozed") is None
        assert store.get_setting("first_run_done") is True
        assert store.get_setting("checkin.last_asked") is not None
    finally:
        store.close()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_notes_travel_only_when_asked_for(run, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "data"
    seed_history(run, folder)
    plain, noted = tmp_path / "plain", tmp_path / "noted"
    assert run("export", "--format", fmt, "-o", str(plain), data_dir=folder).code == 0
    assert run("export", "--format", fmt, "-o", str(noted), "--include-notes",
               data_dir=folder).code == 0
    for file, with_notes in ((plain, False), (noted, True)):
        text = _all_text(file)
        assert (SEEDED_NOTE in text) is with_notes
        assert f'"notes_included": {"true" if with_notes else "false"}' in text
        if fmt == "json":
            checkins = json.loads(text)["checkins"]
            assert all(("note" in c) is with_notes for c in checkins)
        else:
            header = _member(file, "checkins.csv").splitlines()[0]
            assert header.endswith(",note") is with_notes
    # Imported without notes, every check-in is there with none; the output says so.
    other = tmp_path / "other"
    brought = run("import", str(plain), data_dir=other)
    assert brought.code == 0 and "no check-in notes" in brought.out
    store = Store.open(other / DB_NAME)
    try:
        checkins = store.list_checkins()
    finally:
        store.close()
    assert [c.answer for c in checkins] == [4, 0] and all(c.note is None for c in checkins)


def _all_text(file: Path) -> str:
    data = file.read_bytes()
    if not data.startswith(b"PK"):
        return data.decode()
    with zipfile.ZipFile(file) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist())


def _member(file: Path, name: str) -> str:
    with zipfile.ZipFile(file) as archive:
        return archive.read(name).decode()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_exported_files_are_owner_only_and_leave_no_temporary_file(run, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                   fmt: str) -> None:
    folder = tmp_path / "data"
    seed_history(run, folder)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "mine"
    target.write_text("an older export")
    os.chmod(target, 0o644)
    os.umask(0o022)
    assert run("export", "--format", fmt, "-o", str(target), data_dir=folder).code == 0
    assert mode(target) == 0o600
    assert [p.name for p in out.iterdir()] == ["mine"]


def test_an_export_never_lands_on_the_database(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "data"
    seed_history(run, folder)
    digests = table_digests(folder)
    result = run("export", "-o", str(folder / DB_NAME), data_dir=folder)
    assert result.code == 1 and "another one" in result.err
    one_sentence(result.err)
    assert table_digests(folder) == digests


def test_json_goes_to_stdout_and_a_zip_never_to_a_terminal(run, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    seed_history(run, folder)
    result = run("export", data_dir=folder)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert (document["format"], document["version"]) == ("driftcheck-export", 1)
    assert len(document["apps"]) == 4
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    refused = run("export", "--format", "csv", data_dir=folder)
    assert refused.code == 1 and "-o FILE" in refused.err
    one_sentence(refused.err)


def test_import_refuses_a_folder_with_history_unless_replace(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source, target = tmp_path / "source", tmp_path / "target"
    seed_history(run, source, seed=3)
    seed_history(run, target, seed=4)
    file = tmp_path / "export.json"
    assert run("export", "-o", str(file), "--include-notes", data_dir=source).code == 0
    digests = table_digests(target)
    refused = run("import", str(file), data_dir=target)
    assert refused.code == 1 and "--replace" in refused.err
    one_sentence(refused.err)
    assert table_digests(target) == digests
    replaced = run("import", str(file), "--replace", data_dir=target)
    assert replaced.code == 0, replaced.err
    copies = sorted(target.glob(f"{DB_NAME}.before-import-*"))
    assert len(copies) == 1 and copies[0].name in replaced.out
    assert mode(copies[0]) == 0o600
    assert table_digests(target) != digests
    assert views(run, target) == views(run, source)
    # The copy is the database as it was, whole.
    conn = sqlite3.connect(f"{copies[0].as_uri()}?mode=ro", uri=True)
    try:
        kept = conn.execute("SELECT count(*) FROM intervals").fetchone()[0]
    finally:
        conn.close()
    assert kept > 0
    # A second replace in the same second keeps both copies.
    assert run("import", str(file), "--replace", data_dir=target).code == 0
    copies = [p for p in target.glob(f"{DB_NAME}.before-import-*")
              if not p.name.endswith(("-wal", "-shm"))]
    assert len(copies) == 2


def test_every_setting_is_either_carried_or_left_behind_on_purpose() -> None:
    known = set(SETTINGS)
    assert set(PREFERENCES) | set(NOT_EXPORTED) == known
    assert not set(PREFERENCES) & set(NOT_EXPORTED)


# --- bad files --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A valid export of one history in both formats, and the database of another."""
    root = tmp_path_factory.mktemp("exports")

    def run_in(*argv: str, data_dir: Path) -> Result:
        return call("--data-dir", str(data_dir), *argv)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Europe/Berlin")
        seed_history(run_in, root / "source", seed=3)
        seed_history(run_in, root / "target", seed=4)
        files = {}
        for fmt in ("json", "csv"):
            file = root / f"valid.{fmt}"
            made = run_in("export", "--format", fmt, "-o", str(file), "--include-notes",
                          data_dir=root / "source")
            assert made.code == 0, made.err
            files[fmt] = file.read_bytes()
    files["db"] = (root / "target" / DB_NAME).read_bytes()
    return files


@pytest.fixture
def exported(prepared: dict[str, bytes], data: Path) -> dict[str, bytes]:
    """The valid exports, and the data folder holding the other history to import into."""
    data.mkdir(mode=0o700)
    (data / DB_NAME).write_bytes(prepared["db"])
    os.chmod(data / DB_NAME, 0o600)
    return prepared


def _doc(files: dict[str, bytes]) -> dict:  # type: ignore[type-arg]
    return json.loads(files["json"])


def _json(change) -> object:  # type: ignore[no-untyped-def]
    def make(files: dict[str, bytes]) -> bytes:
        document = _doc(files)
        change(document)
        return json.dumps(document).encode()

    return make


def _set(*path_and_value: object):  # type: ignore[no-untyped-def]
    *path, value = path_and_value

    def change(document: dict) -> None:  # type: ignore[type-arg]
        target = document
        for key in path[:-1]:
            target = target[key]  # type: ignore[index]
        target[path[-1]] = value  # type: ignore[index]

    return _json(change)


def _zip(change) -> object:  # type: ignore[no-untyped-def]
    """A zip made from the valid one with its members changed by `change(dict)`."""
    def make(files: dict[str, bytes]) -> bytes:
        with zipfile.ZipFile(io.BytesIO(files["csv"])) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        change(members)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return out.getvalue()

    return make


def _csv_cell(member: str, row: int, column: int, value: str):  # type: ignore[no-untyped-def]
    def change(members: dict[str, bytes]) -> None:
        lines = members[member].decode().split("\r\n")
        cells = lines[row].split(",")
        cells[column] = value
        lines[row] = ",".join(cells)
        members[member] = "\r\n".join(lines).encode()

    return _zip(change)


def _duplicate_member(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO(files["csv"])
    with zipfile.ZipFile(out, "a") as archive, pytest.warns(UserWarning):
        archive.writestr("apps.csv", b"id\r\n")
    return out.getvalue()


def _bomb(files: dict[str, bytes]) -> bytes:
    """A valid zip whose intervals.csv unpacks to just over the limit (zeros pack tightly)."""
    with zipfile.ZipFile(io.BytesIO(files["csv"])) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name != "intervals.csv":
                archive.writestr(name, data)
                continue
            with archive.open(name, "w", force_zip64=True) as member:
                block = b"0" * (1024 * 1024)
                for _ in range(exchange.MAX_IMPORT_BYTES // len(block) + 1):
                    member.write(block)
    return out.getvalue()


def _nested(files: dict[str, bytes]) -> bytes:
    return b'{"format": "driftcheck-export", "version": 1, "apps": ' + b"[" * 100_000


def _hours_after(stamp: str, hours: float) -> str:
    start = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


BAD_FILES = {
    "malformed JSON": lambda files: b'{"format": "driftcheck-export", version: 1}',
    "truncated JSON": lambda files: files["json"][: len(files["json"]) // 2],
    "truncated zip": lambda files: files["csv"][: len(files["csv"]) // 2],
    "empty file": lambda files: b"",
    "not an export": lambda files: b"Week 2026-W10: 3 h 20 min\n",
    "a JSON list": lambda files: b"[1, 2, 3]",
    "nested too deeply": _nested,
    "NaN in JSON": lambda files: files["json"].replace(b'"answer": 4', b'"answer": NaN'),
    "a name twice in an object": lambda files: files["json"].replace(
        b'"answer": 4', b'"answer": 4, "answer": 3'),
    "not UTF-8": lambda files: files["json"].replace(b"Replika", b"Repl\xffka"),
    "wrong format name": _set("format", "driftcheck-backup"),
    "newer version": _set("version", 2),
    "version as text": _set("version", "1"),
    "version true": _set("version", True),
    "missing section": _json(lambda d: d.pop("goals")),
    "unknown field": _set("apps", 0, "colour", "blue"),
    "section not a list": _set("intervals", {"0": 1}),
    "interval ends before it starts": _set("intervals", 0, "end", "2020-01-01T00:00:00.000000Z"),
    "interval longer than an hour": _json(lambda d: d["intervals"][0].update(
        end=_hours_after(d["intervals"][0]["start"], 2))),
    "interval of an unknown app": _set("intervals", 0, "app", "someone-else"),
    "interval time without zone": _set("intervals", 0, "start", "2026-01-05T19:00:00"),
    "interval time not a time": _set("intervals", 0, "start", "yesterday evening"),
    "interval time in year 9999": _set("intervals", 0, "end", "9999-12-31T23:59:59Z"),
    "interval measure unknown": _set("intervals", 0, "measure", "sideways"),
    "duplicate app ids": _json(lambda d: d["apps"].append(dict(d["apps"][0]))),
    "app id with capitals": _set("apps", 0, "id", "Replika"),
    "app name with a line break": _set("apps", 0, "name", "Rep\nlika"),
    "app name empty": _set("apps", 0, "name", ""),
    "app source unknown": _set("apps", 0, "source", "friend"),
    "app flag not a boolean": _set("apps", 0, "any_window_titles", 1),
    "rule of only wildcards": _set("apps", 0, "rules", 0, "pattern", "*"),
    "rule with an open bracket": _set("apps", 0, "rules", 0, "pattern", "[abc"),
    "rule kind unknown": _set("apps", 0, "rules", 0, "kind", "colour"),
    "duplicate rule": _json(lambda d: d["apps"][0]["rules"].append(d["apps"][0]["rules"][0])),
    "goal limit zero": _set("goals", 0, "limit_seconds", 0),
    "goal daily over a day": _set("goals", 0, "limit_seconds", 25 * 3600),
    "goal limit a float": _set("goals", 0, "limit_seconds", 2700.0),
    "goal of an unknown app": _set("goals", 0, "app", "someone-else"),
    "goal quiet hours not a time": _set("goals", 2, "quiet_start", "25:00"),
    "goal twice": _json(lambda d: d["goals"].append(dict(d["goals"][0]))),
    "weekly goal below daily": _json(lambda d: [g.update(limit_seconds=600) for g in d["goals"]
                                                if g["kind"] == "weekly" and g["app"] is None]),
    "answer out of range": _set("checkins", 0, "answer", 7),
    "answer true": _set("checkins", 0, "answer", True),
    "week seconds negative": _set("checkins", 0, "week_seconds", -5),
    "note though notes are left out": _set("notes_included", False),
    "note with a lone surrogate": _set("checkins", 0, "note", "\ud800"),
    "setting unknown": _set("settings", "colour", "blue"),
    "setting out of range": _set("settings", "sample_interval", 9999),
    "setting of the wrong type": _set("settings", "discreet", "yes"),
    "huge number": lambda files: files["json"].replace(b'"answer": 4',
                                                       b'"answer": ' + b"9" * 5000),
    "zip with an extra member": _zip(lambda m: m.update({"readme.txt": b"hello"})),
    "zip without a member": _zip(lambda m: m.pop("goals.csv")),
    "zip with a member twice": _duplicate_member,
    "zip manifest of another format": _zip(lambda m: m.update(
        {"manifest.json": m["manifest.json"].replace(b"driftcheck-export", b"other")})),
    "zip manifest of a newer version": _zip(lambda m: m.update(
        {"manifest.json": m["manifest.json"].replace(b'"version": 1', b'"version": 3')})),
    "zip member not UTF-8": _zip(lambda m: m.update({"apps.csv": b"\xff\xfe\x00"})),
    "csv header changed": _zip(lambda m: m.update(
        {"apps.csv": m["apps.csv"].replace(b"added_at", b"added")})),
    "csv bad whole number": _csv_cell("goals.csv", 1, 2, "45 minutes"),
    "csv bad boolean": _csv_cell("apps.csv", 1, 3, "yes"),
    "csv rule of an unknown app": _csv_cell("rules.csv", 1, 0, "someone-else"),
    "csv row too short": _zip(lambda m: m.update({"intervals.csv": m["intervals.csv"] + b"x\r\n"})),
    "csv setting not JSON": _zip(lambda m: m.update(
        {"settings.csv": b'key,value\r\ndiscreet,"{"\r\n'})),
    "csv setting twice": _zip(lambda m: m.update(
        {"settings.csv": b"key,value\r\ndiscreet,true\r\ndiscreet,false\r\n"})),
}


@pytest.mark.parametrize("replace", [False, True], ids=["keep", "replace"])
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_bad_file_is_refused_in_one_sentence_and_changes_nothing(  # type: ignore[no-untyped-def]
        run, tmp_path: Path, exported: dict[str, bytes], kind: str, replace: bool) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(BAD_FILES[kind](exported))  # type: ignore[operator]
    folder = tmp_path / "data"
    digests = table_digests(folder)
    result = run("import", str(bad), *(["--replace"] if replace else []))
    assert result.code == 1, (result.out, result.err)
    one_sentence(result.err)
    assert "Imported" not in result.out
    assert table_digests(folder) == digests
    assert not list(folder.glob("*before-import*"))
    if kind.endswith("newer version"):
        assert "newer driftcheck" in result.err


def test_a_zip_bomb_member_is_refused_before_it_is_unpacked(  # type: ignore[no-untyped-def]
        run, tmp_path: Path, exported: dict[str, bytes]) -> None:
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(_bomb(exported))
    assert bomb.stat().st_size < 5 * 1024 * 1024  # a small file...
    digests = table_digests(tmp_path / "data")
    result = run("import", str(bomb), "--replace")
    assert result.code == 1 and "unpacks to more than 512 MB" in result.err  # ...of 512 MB
    one_sentence(result.err)
    assert table_digests(tmp_path / "data") == digests


def test_unpacking_stops_at_the_limit_whatever_the_headers_say(
        exported: dict[str, bytes]) -> None:
    with zipfile.ZipFile(io.BytesIO(exported["csv"])) as archive:
        assert exchange._unpack(archive, "apps.csv", 10_000).startswith(b"id,")
        with pytest.raises(ImportRefused, match="unpacks to more than"):
            exchange._unpack(archive, "apps.csv", 10)


def test_the_valid_files_themselves_import(run, tmp_path: Path,  # type: ignore[no-untyped-def]
                                           exported: dict[str, bytes]) -> None:
    for fmt in ("json", "csv"):
        file = tmp_path / fmt
        file.write_bytes(exported[fmt])
        result = run("import", str(file), "--replace")
        assert result.code == 0, result.err


def test_a_file_over_the_limit_is_refused_before_it_is_read(  # type: ignore[no-untyped-def]
        run, tmp_path: Path, exported: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    digests = table_digests(folder)
    sparse = tmp_path / "huge.json"
    with sparse.open("wb") as out:
        out.write(b"{")
        out.truncate(exchange.MAX_IMPORT_BYTES + 1)  # sparse: no disk used, nothing to read
    opened: list[object] = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self)
                        or real_open(self, *a, **k))
    result = run("import", str(sparse), "--replace")
    assert result.code == 1 and "512 MB" in result.err
    one_sentence(result.err)
    assert sparse not in opened
    monkeypatch.undo()
    # A small limit refuses the ordinary export the same way.
    monkeypatch.setattr(exchange, "MAX_IMPORT_BYTES", 1000)
    small = tmp_path / "valid.json"
    small.write_bytes(exported["json"])
    result = run("import", str(small), "--replace")
    assert result.code == 1 and "larger than" in result.err
    one_sentence(result.err)
    assert table_digests(folder) == digests


def test_a_zip_that_unpacks_past_a_small_limit_is_refused(run, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                         exported: dict[str, bytes],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    digests = table_digests(folder)
    file = tmp_path / "valid.zip"
    file.write_bytes(exported["csv"])
    limit = len(exported["csv"]) + 10  # the file passes; its members unpack to more
    monkeypatch.setattr(exchange, "MAX_IMPORT_BYTES", limit)
    result = run("import", str(file), "--replace")
    assert result.code == 1 and "unpacks to more than" in result.err, result.err
    one_sentence(result.err)
    assert table_digests(folder) == digests


def test_a_file_too_big_for_memory_is_one_sentence(run, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                   exported: dict[str, bytes],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    digests = table_digests(folder)
    file = tmp_path / "valid.json"
    file.write_bytes(exported["json"])

    def no_memory(*_args: object, **_kw: object) -> object:
        raise MemoryError

    monkeypatch.setattr(exchange, "read_document", no_memory)  # as a computer short of memory might
    result = run("import", str(file), "--replace")
    assert result.code == 1 and "memory" in result.err, result.err
    one_sentence(result.err)
    assert table_digests(folder) == digests


def test_a_missing_file_or_a_folder_is_refused(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for path in (tmp_path / "nowhere.json", tmp_path):
        result = run("import", str(path))
        assert result.code == 1
        one_sentence(result.err)


def test_import_waits_for_a_running_driftcheck(run, tmp_path: Path,  # type: ignore[no-untyped-def]
                                               exported: dict[str, bytes]) -> None:
    from widget.desktop.single_instance import SingleInstance

    folder = tmp_path / "data"
    file = tmp_path / "valid.json"
    file.write_bytes(exported["json"])
    digests = table_digests(folder)
    running = SingleInstance(folder)
    assert running.acquire()
    try:
        result = run("import", str(file), "--replace")
    finally:
        running.release()
    assert result.code == 1 and "Quit" in result.err
    one_sentence(result.err)
    assert table_digests(folder) == digests


def test_a_failure_half_way_through_the_write_leaves_everything_as_it_was(  # type: ignore[no-untyped-def]
        run, tmp_path: Path, exported: dict[str, bytes]) -> None:
    folder = tmp_path / "data"
    conn = sqlite3.connect(folder / DB_NAME)
    try:  # the last table written refuses, as a full disk would, after the others were written
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON checkins "
                     "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
        conn.commit()
    finally:
        conn.close()
    digests = table_digests(folder)
    file = tmp_path / "valid.json"
    file.write_bytes(exported["json"])
    result = run("import", str(file), "--replace")
    assert result.code == 1 and "nothing was changed" in result.err, result.err
    one_sentence(result.err)
    assert table_digests(folder) == digests
