"""Crafted imports (issue 11, findings 5 and 6): overlapping intervals, zip bombs, more rows
than a real history holds. Each is refused in one sentence that says why, with every table of
the data folder as it was; what a real export holds (intervals that touch, another app at the
same time) still comes in. The small files are kept in tests/data/imports/ (made by its
make_imports.py); the big ones are made here in tmp_path. No time or memory is asserted:
bench/bench_import_refusal.py prints those."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.data.imports import make_imports
from tests.helpers.cli import one_sentence, seed_history, table_digests
from widget.core import portable
from widget.core.model import Measure
from widget.core.portable import IntervalRecord
from widget.errors import ImportRefused
from widget.services import exchange

FILES = Path(make_imports.__file__).parent


@pytest.fixture
def folder(run, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A data folder with a history of its own, which a refused import must leave alone."""
    data = tmp_path / "data"
    seed_history(run, data)
    return data


def refused_alone(run, folder: Path, file: Path) -> str:  # type: ignore[no-untyped-def]
    """Import `file` over `folder` with --replace; assert the refusal changed nothing and
    return its sentence."""
    digests = table_digests(folder)
    result = run("import", str(file), "--replace", data_dir=folder)
    assert result.code == 1, (result.out, result.err)
    one_sentence(result.err)
    assert "Imported" not in result.out
    assert table_digests(folder) == digests
    assert not list(folder.glob("*before-import*"))
    return result.err


# --- finding 5: overlapping intervals -----------------------------------------------------------


@pytest.mark.parametrize("name", ["overlap-copies.json", "overlap-copies.zip"])
def test_twenty_copies_of_one_interval_are_refused_naming_the_first_two(  # type: ignore[no-untyped-def]
        run, folder: Path, name: str) -> None:
    err = refused_alone(run, folder, FILES / name)
    assert "intervals 1 and 2 of the same app both count the time from 2 March 2026, " \
           "18:00 UTC" in err, err


def test_an_overlap_among_rows_out_of_order_is_found_and_named(run, folder: Path) -> None:  # type: ignore[no-untyped-def]
    err = refused_alone(run, folder, FILES / "overlap-out-of-order.json")
    assert "intervals 1 and 3 of the same app both count the time from 2 March 2026, " \
           "19:20 UTC" in err, err


def test_intervals_that_touch_or_belong_to_other_apps_come_in(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("import", str(FILES / "touching.json"), data_dir=tmp_path / "data")
    assert result.code == 0, result.err
    assert "4 intervals" in result.out


def test_the_issues_twenty_copies_no_longer_count_sixteen_hours(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """As reported: after the import `status` said 16 h 40 min for a day an hour old."""
    data = tmp_path / "data"
    result = run("import", str(FILES / "overlap-copies.json"), data_dir=data)
    assert result.code == 1
    status = run("status", "--json", data_dir=data)
    assert "16 h" not in status.out and "60000" not in status.out


def test_first_overlap_rules() -> None:
    from widget.core.portable import first_overlap

    def iv(app: str, start: int, end: int) -> IntervalRecord:
        return IntervalRecord(app, start, end, Measure.FOREGROUND)

    assert first_overlap([iv("a", 0, 10), iv("a", 10, 20), iv("b", 5, 15)]) is None
    assert first_overlap([iv("a", 0, 10), iv("a", 5, 5), iv("a", 10, 10)]) is None  # no length
    found = first_overlap([iv("a", 0, 100), iv("a", 100, 120), iv("a", 50, 60)])
    assert found is not None and (found.earlier, found.later, found.from_ms) == (1, 3, 50)
    found = first_overlap([iv("a", 0, 100), iv("a", 20, 30), iv("a", 40, 50)])
    assert found is not None and (found.earlier, found.later) == (1, 2)  # the first, in order


def test_an_export_of_a_database_with_an_overlap_counts_each_moment_once(  # type: ignore[no-untyped-def]
        run, tmp_path: Path) -> None:
    """A database that holds an overlap (none is written since the tracking lock) can still be
    exported: the shared time is kept once, it says so in one sentence, and the file imports
    back (nothing lost, and never counted twice)."""
    from datetime import UTC, datetime, timedelta

    from widget.core.model import Interval, Rule, RuleKind, TrackedApp
    from widget.paths import DB_NAME
    from widget.store.db import Store

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    store = Store.open(data / DB_NAME)
    start = datetime(2026, 3, 2, 18, tzinfo=UTC)
    try:
        store.add_app(TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "replika"),)))
        for minutes in (50, 50, 70):  # the same 50 min twice, then 20 min more on the end
            store.insert_interval(Interval("replika", start, start + timedelta(minutes=minutes),
                                           Measure.FOREGROUND))
    finally:
        store.close()
    out = tmp_path / "export.json"
    result = run("export", "-o", str(out), data_dir=data)
    assert result.code == 0, result.err
    one_sentence(result.err)
    assert "2 intervals that overlapped" in result.err
    rows = [json.loads(line.strip().rstrip(","))
            for line in out.read_text(encoding="utf-8").splitlines() if '"start"' in line]
    assert len(rows) == 2, rows  # 18:00-18:50 and 18:50-19:10
    fresh = tmp_path / "fresh"
    fresh.mkdir(mode=0o700)
    back = run("import", str(out), data_dir=fresh)
    assert back.code == 0, back.err
    store = Store.open(fresh / DB_NAME)
    try:
        kept = store.intervals_overlapping(start - timedelta(hours=1), start + timedelta(hours=3))
    finally:
        store.close()
    assert sum((i.end - i.start).total_seconds() for i in kept) == 70 * 60


# --- finding 6: memory ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bomb-zeros.zip", "identical-rows.zip"])
def test_a_zip_that_packs_far_tighter_than_an_export_is_refused_unopened(  # type: ignore[no-untyped-def]
        run, folder: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def watched(self: zipfile.ZipFile, member: str | zipfile.ZipInfo, *args: object,
                **kwargs: object) -> object:
        opened.append(member if isinstance(member, str) else member.filename)
        return real_open(self, member, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", watched)
    err = refused_alone(run, folder, FILES / name)
    assert "intervals.csv in the zip unpacks to more than 100 times its packed size" in err, err
    assert "intervals.csv" not in opened  # refused from the zip's directory alone


def test_rows_past_the_limit_are_refused_as_they_come(  # type: ignore[no-untyped-def]
        run, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is damaged after its 300th row; with the limit at 100 the refusal names the
    count, so it came before the reader got anywhere near the end."""
    monkeypatch.setitem(portable.ROW_LIMITS, "intervals", 100)
    err = refused_alone(run, folder, FILES / "rows-then-damage.json")
    assert "more than 100 intervals" in err, err


def test_rows_past_the_limit_in_a_zip_are_refused_as_they_come(  # type: ignore[no-untyped-def]
        run, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = make_imports.write_zip(tmp_path / "many.zip", intervals=make_imports.back_to_back(300))
    monkeypatch.setitem(portable.ROW_LIMITS, "intervals", 100)
    err = refused_alone(run, folder, file)
    assert "more than 100 intervals" in err, err


def test_more_rules_than_twenty_years_hold_are_refused(  # type: ignore[no-untyped-def]
        run, folder: Path, tmp_path: Path) -> None:
    file = make_imports.write_json(tmp_path / "rules.json", apps=make_imports.many_rules())
    err = refused_alone(run, folder, file)
    assert f"more than {portable.MAX_RULES:,} rules" in err, err


def test_more_apps_or_check_ins_than_twenty_years_hold_are_refused(  # type: ignore[no-untyped-def]
        run, folder: Path, tmp_path: Path) -> None:
    apps = [{**make_imports.APP, "id": f"app-{n}", "name": f"App {n}"}
            for n in range(portable.MAX_APPS + 1)]
    err = refused_alone(run, folder, make_imports.write_json(tmp_path / "apps.json", apps=apps))
    assert f"more than {portable.MAX_APPS:,} apps" in err, err
    checkins = ({"asked_at": make_imports.EXPORTED, "answered_at": None, "answer": None,
                 "week_seconds": None} for _ in range(portable.MAX_CHECKINS + 1))
    err = refused_alone(run, folder, make_imports.write_json(tmp_path / "checkins.json",
                                                             checkins=checkins))
    assert f"more than {portable.MAX_CHECKINS:,} check-ins" in err, err


def test_one_entry_larger_than_any_export_holds_is_refused(  # type: ignore[no-untyped-def]
        run, folder: Path, tmp_path: Path) -> None:
    file = make_imports.write_json(tmp_path / "huge.json", apps=[
        {**make_imports.APP, "rules": [{"kind": "process", "pattern": "x" * (9 << 20)}]}])
    err = refused_alone(run, folder, file)
    assert "one entry of the file is larger than any export" in err, err


def test_a_table_line_longer_than_any_export_writes_is_refused(  # type: ignore[no-untyped-def]
        run, folder: Path, tmp_path: Path) -> None:
    file = make_imports.write_zip(tmp_path / "line.zip",
                                  intervals_bytes=[make_imports.long_line()])
    assert make_imports.ratio(file) < exchange.MAX_RATIO  # not a bomb: random letters
    err = refused_alone(run, folder, file)
    assert "intervals.csv has a line longer than any export" in err, err


def test_a_json_export_with_its_keys_sorted_still_comes_in(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A stream reader must not need the header first: `jq -S` puts "apps" before "format"."""
    document = json.loads((FILES / "touching.json").read_text())
    file = tmp_path / "sorted.json"
    file.write_text(json.dumps(document, sort_keys=True, indent=1))
    result = run("import", str(file), data_dir=tmp_path / "data")
    assert result.code == 0, result.err


def test_the_json_reader_refuses_what_json_loads_would(tmp_path: Path) -> None:
    """The stream reader's own edges: a number cut by a chunk, a key not a string, a
    duplicate top-level key, trailing data."""
    text = (FILES / "touching.json").read_text()
    good = tmp_path / "good.json"
    good.write_text(text)
    for chunk in (1, 7, 64):  # every cut of the text between chunks
        exchange._CHUNK = chunk
        try:
            assert len(exchange.read_import(good).intervals) == 4
        finally:
            exchange._CHUNK = 1024 * 1024
    for bad, words in ((text.replace('"version": 1', '"version": 1, "version": 1'), "twice"),
                       (text.replace('"format"', "1", 1), "not valid JSON"),
                       (text + "{}", "not valid JSON")):
        file = tmp_path / "bad.json"
        file.write_text(bad)
        with pytest.raises(ImportRefused, match=words):
            exchange.read_import(file)
