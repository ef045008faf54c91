"""`driftcheck report` and `driftcheck demo-data`, run in-process against a temporary folder."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from widget.core.calendar import iso_week, local_day
from widget.core.intervals import MAX_SPAN
from widget.core.report import weekly_totals
from widget.core.trend import drift_signal
from widget.paths import DB_NAME
from widget.services.demo import demo_intervals

REPORT_KEYS = {"week", "start", "end", "complete", "total_s", "apps", "days",
               "previous_week_s", "change_s", "change_pct", "baseline_s", "trend_weeks",
               "drift", "sessions", "quiet_share", "daily_goal_s", "days_over_goal", "words",
               "change_against",
               "devices", "sharing"}  # each computer's seconds when sharing (issue 16)


@pytest.fixture(autouse=True)
def _zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")


def _last_complete_week() -> str:
    today = local_day(datetime.now(UTC), ZoneInfo("Europe/Berlin"), 4)
    return iso_week(today - timedelta(weeks=1))


def _interval_rows(folder: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(folder / DB_NAME) as conn:
        return conn.execute("SELECT * FROM intervals ORDER BY id").fetchall()


def _report(run, week: str) -> dict:  # type: ignore[no-untyped-def]
    result = run("report", "--week", week, "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_demo_data_then_report_of_the_last_complete_week(run) -> None:  # type: ignore[no-untyped-def]
    made = run("demo-data", "--weeks", "12", "--seed", "7")
    assert made.code == 0, made.err
    report = _report(run, _last_complete_week())
    assert set(report) == REPORT_KEYS
    assert report["complete"] is True
    assert report["total_s"] > 0
    assert {app["key"] for app in report["apps"]} <= {"replika", "character-ai", "sillytavern"}
    assert report["daily_goal_s"] == 45 * 60
    assert report["quiet_share"] is not None


def test_the_drift_is_in_the_report_of_the_last_complete_week(run) -> None:  # type: ignore[no-untyped-def]
    assert run("demo-data", "--seed", "7").code == 0
    report = _report(run, _last_complete_week())
    assert report["drift"] is not None
    assert report["drift"]["slope_s_per_week"] > 0
    assert len(report["trend_weeks"]) == 8
    assert "rising" in report["words"]
    assert report["drift"]["p_value"] < 0.05  # the numbers stay in --json ...
    text = run("report", "--week", _last_complete_week())
    assert text.code == 0 and "Total" in text.out
    drift = [line for line in text.out.splitlines() if line.startswith("Drift: ")]
    # ... and the text says it as a person would (it printed "p = 0.003" before)
    assert len(drift) == 1 and drift[0].startswith("Drift: Your weekly time has "), text.out
    for jargon in ("p =", "p <", "Mann-Kendall", "Theil", "rising trend", "signal"):
        assert jargon not in text.out, jargon


def test_the_same_seed_gives_the_same_rows(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "a", tmp_path / "b"
    assert run("demo-data", "--seed", "7", data_dir=first).code == 0
    assert run("demo-data", "--seed", "7", data_dir=second).code == 0
    rows = _interval_rows(first)
    assert rows and rows == _interval_rows(second)
    assert run("demo-data", "--seed", "8", data_dir=tmp_path / "c").code == 0
    assert _interval_rows(tmp_path / "c") != rows


def test_a_second_demo_data_refuses_and_changes_nothing(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo-data", "--seed", "7").code == 0
    before = (data / DB_NAME).read_bytes()
    rows = _interval_rows(data)
    again = run("demo-data", "--seed", "8")
    assert again.code == 1
    assert again.err.count("\n") == 1 and "--force" in again.err
    assert _interval_rows(data) == rows
    assert (data / DB_NAME).read_bytes() == before


def test_force_sets_the_old_database_aside(run, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("demo-data", "--seed", "7").code == 0
    rows = _interval_rows(data)
    assert run("demo-data", "--seed", "8", "--force").code == 0
    kept = [p for p in data.iterdir() if p.name.startswith(f"{DB_NAME}.before-demo-")]
    assert len(kept) == 1
    with sqlite3.connect(kept[0]) as conn:
        assert conn.execute("SELECT * FROM intervals ORDER BY id").fetchall() == rows
    assert _interval_rows(data) != rows


def test_two_forces_in_the_same_second_keep_both_databases(run, data: Path,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    import widget.commands.demo_data as commands

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Frozen:  # type: ignore[override]
            return cls(2026, 11, 27, 20, 0, 0, tzinfo=UTC)

    assert run("demo-data", "--seed", "7").code == 0
    monkeypatch.setattr(commands, "datetime", Frozen)
    assert run("demo-data", "--seed", "8", "--force").code == 0
    assert run("demo-data", "--seed", "9", "--force").code == 0
    kept = sorted(p.name for p in data.iterdir() if p.name.startswith(f"{DB_NAME}.before-demo-")
                  and p.name.endswith(("Z", "-2")))
    assert kept == [f"{DB_NAME}.before-demo-20261127T200000Z",
                    f"{DB_NAME}.before-demo-20261127T200000Z-2"]


@pytest.mark.parametrize("week", ["garbage", "2026-W60", "2026-48"])
def test_a_malformed_week_gets_one_sentence(run, week: str) -> None:  # type: ignore[no-untyped-def]
    result = run("report", "--week", week)
    assert result.code != 0
    assert result.out == ""
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


@pytest.mark.parametrize("form", [[], ["--json"]])
def test_a_week_not_begun_is_refused_as_the_dashboard_refuses_it(run, form: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = run("report", "--week", "2999-W01", *form)
    assert result.code == 1
    assert result.out == ""
    assert result.err.count("\n") == 1 and "The week 2999-W01 has not begun yet" in result.err


def test_report_on_an_empty_folder(run) -> None:  # type: ignore[no-untyped-def]
    report = _report(run, "2026-W48")
    assert report["total_s"] == 0
    assert report["drift"] is None
    assert report["baseline_s"] is None
    default = run("report", "--json")
    assert default.code == 0 and json.loads(default.out)["total_s"] == 0
    assert run("report").code == 0


def test_demo_intervals_never_overlap_nor_exceed_max_span() -> None:
    zone = ZoneInfo("Europe/Berlin")
    today = date(2026, 11, 4)  # twelve weeks back crosses the end of summer time
    intervals = demo_intervals(7, 12, zone, 4, today)
    assert intervals
    assert all(iv.start < iv.end and iv.end - iv.start <= MAX_SPAN for iv in intervals)
    assert all(a.end <= b.start for a, b in pairwise(intervals))
    first_of_today = datetime(2026, 11, 4, 4, tzinfo=zone)
    assert intervals[-1].end <= first_of_today
    assert demo_intervals(7, 12, zone, 4, today) == intervals


@pytest.mark.parametrize("seed", [0, 7, 42])
def test_the_drift_shows_whatever_the_day(seed: int) -> None:
    zone = ZoneInfo("Europe/Berlin")
    for offset in range(0, 364, 13):
        today = date(2026, 1, 1) + timedelta(days=offset)
        monday = today - timedelta(days=today.weekday())
        weeks = [iso_week(monday - timedelta(weeks=k)) for k in range(8, 0, -1)]
        totals = weekly_totals(demo_intervals(seed, 12, zone, 4, today), weeks, zone, 4)
        assert drift_signal([totals[w] for w in weeks]) is not None, today


def test_report_text_parts_add_up_and_the_longest_session_is_counted_time() -> None:
    """The week's lines sum to its total, and the sessions line says the rule: a week of
    689 s counted has no session of 966 s."""
    from widget.commands.report import _report_text
    from widget.core.model import Interval
    from widget.core.report import week_report
    from widget.core.usage import SESSION_RULE

    tz = ZoneInfo("Europe/Berlin")
    evening = datetime(2026, 11, 25, 20, tzinfo=tz).astimezone(UTC)
    pieces = [(0, 200), (290, 489), (580, 780), (876, 966)]
    ivs = [Interval("replika", evening + timedelta(seconds=a), evening + timedelta(seconds=b))
           for a, b in pieces]
    text = _report_text(week_report(ivs, "2026-W48", {}, [], {"replika": "Replika"}, tz, 4))
    assert "Sessions: 1, typically 11 min, the longest 11 min." in text
    assert "16 min" not in text and SESSION_RULE in text

    morning = datetime(2026, 11, 24, 9, tzinfo=tz).astimezone(UTC)
    ivs = [Interval("replika", morning, morning + timedelta(seconds=90.6 * 60)),
           Interval("nomi", morning + timedelta(hours=3),
                    morning + timedelta(hours=3, seconds=71.6 * 60))]
    text = _report_text(week_report(ivs, "2026-W48", {}, [], {"replika": "Replika",
                                                              "nomi": "Nomi"}, tz, 4))
    rows = [line.split(None, 1) for line in text.splitlines()[1:4]]
    assert rows == [["Replika", "1 h 31 min"], ["Nomi", "1 h 11 min"], ["Total", "2 h 42 min"]]
