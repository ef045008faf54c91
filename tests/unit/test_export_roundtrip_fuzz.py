"""Whatever a person's history holds, an export of it comes back (hypothesis).

test_import_fuzz.py damages valid files; this file builds random histories in a real store,
with every value that is valid but awkward (names and rule patterns with commas, quotes,
emoji, right-to-left text, text that a spreadsheet would run as a formula; notes with line
breaks, up to and just past the longest an import takes; times from 1970 to 2999), and
exports them in both formats. Each export is either refused in one sentence with no file
written, or imports into an empty folder as exactly the same rows: never a file that
driftcheck itself then refuses (a note of 20,001 characters was one)."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.cli import call, one_sentence
from widget.core.catalog import custom_app
from widget.core.checkin import MAX_NOTE_LENGTH, Checkin
from widget.core.goals import Goal, GoalKind, check_goals
from widget.core.model import Interval, Measure, TrackedApp
from widget.core.portable import IntervalRecord, counted_once
from widget.errors import DriftcheckError
from widget.paths import DB_NAME
from widget.store.db import Store
from widget.store.portable import read_snapshot

AWKWARD = ["a, b", 'say "hi"', "=cmd|' /C calc'!A0", "+1", "@SUM(1)", "\u202eevil",
           "\U0001f642 friend", "caf\u00e9", "e\u0301", "\u65e5\u672c\u8a9e", "line\u2028sep",
           "tab-less", "x" * 80, "   spaced   ", "\ufeffbom", "\\back\\slash"]
NAME = st.one_of(st.sampled_from(AWKWARD), st.text(min_size=1, max_size=80))
PATTERN = st.one_of(st.sampled_from(["My, bot", 'say "hi"*', "=cmd*", "\u202eevil*",
                                     "\U0001f642 *", "[[]ab", "*a*b*c", "ab?cd"]),
                    st.text(min_size=2, max_size=40))
NOTE = st.one_of(
    st.none(),
    st.sampled_from(["a, b\r\nc", '"quoted"', "=1+1", "  ", "x" * MAX_NOTE_LENGTH,
                     "x" * (MAX_NOTE_LENGTH + 1), "\u202e\U0001f642"]),
    st.text(min_size=1, max_size=200),
)
EPOCH_MS = st.integers(0, int(datetime(2999, 12, 1, tzinfo=UTC).timestamp() * 1000))


def _app(name: str, processes: list[str], titles: list[str], any_window: bool
         ) -> TrackedApp | None:
    try:
        return custom_app(name, processes, titles, any_window)
    except DriftcheckError:
        return None


APPS = st.lists(st.builds(_app, NAME, st.lists(PATTERN, max_size=2),
                          st.lists(PATTERN, max_size=2), st.booleans()),
                min_size=1, max_size=4)


@st.composite
def histories(draw: st.DrawFn) -> dict[str, object]:
    apps = {a.key: a for a in draw(APPS) if a is not None}  # one app per id, as add_app keeps
    keys = sorted(apps)
    intervals = []
    for _ in range(draw(st.integers(0, 6))) if keys else ():
        start = draw(EPOCH_MS)
        intervals.append(Interval(draw(st.sampled_from(keys)),
                                  datetime.fromtimestamp(start / 1000, UTC),
                                  datetime.fromtimestamp(start / 1000, UTC)
                                  + timedelta(milliseconds=draw(st.integers(0, 7_200_000))),
                                  draw(st.sampled_from(list(Measure)))))
    goals = []
    for app in [None, *keys[:1]]:
        for kind in draw(st.sets(st.sampled_from(list(GoalKind)))):
            if kind is GoalKind.QUIET_HOURS:
                start, end = draw(st.integers(0, 1439)), draw(st.integers(0, 1439))
                goals.append(Goal(kind, app, quiet_start=start, quiet_end=end))
            else:
                goals.append(Goal(kind, app, limit_seconds=draw(st.integers(60, 24 * 3600))))
    try:
        goals = check_goals(goals)
    except DriftcheckError:
        goals = []
    checkins = [Checkin(asked=datetime.fromtimestamp(draw(EPOCH_MS) / 1000, UTC),
                        answered=None, answer=draw(st.sampled_from([None, 0, 1, 3, 5])),
                        note=draw(NOTE), week_seconds=draw(st.none() | st.integers(0, 10**6)))
                for _ in range(draw(st.integers(0, 3)))]
    checkins = [c if c.answer is None else Checkin(c.asked, c.asked, c.answer, c.note,
                                                   c.week_seconds) for c in checkins]
    return {"apps": list(apps.values()), "intervals": intervals, "goals": goals,
            "checkins": checkins, "remove": draw(st.booleans())}


def _store(folder: Path, history: dict[str, object]) -> None:
    folder.mkdir(mode=0o700)
    store = Store.open(folder / DB_NAME)
    try:
        apps: list[TrackedApp] = history["apps"]  # type: ignore[assignment]
        for app in apps:
            store.add_app(app)
        for interval in history["intervals"]:  # type: ignore[attr-defined]
            store.insert_interval(interval)
        store.replace_goals(history["goals"])  # type: ignore[arg-type]
        for checkin in history["checkins"]:  # type: ignore[attr-defined]
            store.add_checkin(checkin)
        if history["remove"] and apps:
            store.remove_app(apps[-1].key)  # its history stays, and travels
    finally:
        store.close()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(history=histories(), fmt=st.sampled_from(["json", "csv"]))
def test_an_export_is_refused_in_one_sentence_or_comes_back_whole(
        history: dict[str, object], fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _store(root / "source", history)
        file = root / f"export.{fmt}"
        code, _, err = _call("--data-dir", str(root / "source"), "export", "--format", fmt,
                               "--include-notes", "-o", str(file))
        if code != 0:
            assert code == 1, err
            one_sentence(err)
            assert "Nothing was exported" in err
            assert not file.exists()
            assert sorted(p.name for p in root.iterdir()) == ["source"]
            return
        code, _, err = _call("--data-dir", str(root / "target"), "import", str(file))
        assert code == 0, f"driftcheck refused its own export: {err}"
        # Whole, with time two intervals of one app share kept once (export's counted_once).
        source = read_snapshot(root / "source" / DB_NAME, True)
        target = read_snapshot(root / "target" / DB_NAME, True)
        assert replace(target, intervals=()) == replace(source, intervals=())

        def order(r: IntervalRecord) -> tuple[int, int, str]:
            return (r.start_ms, r.end_ms, r.app)

        assert sorted(target.intervals, key=order) == \
            sorted(counted_once(source.intervals)[0], key=order)


def _call(*argv: str) -> tuple[int, str, str]:
    result = call(*argv)
    return result.code, result.out, result.err


def test_a_note_longer_than_an_import_takes_stops_the_export_not_the_import(
        tmp_path: Path) -> None:
    """The case the fuzz is after, every time: a note of 20,001 characters (kept before the
    check-in refused such notes) was exported, and the file then refused by import."""
    asked = datetime(2026, 3, 1, 19, tzinfo=UTC)
    history = {"apps": [], "intervals": [], "goals": [], "remove": False,
               "checkins": [Checkin(asked, asked, 3, "x" * (MAX_NOTE_LENGTH + 1), 600)]}
    _store(tmp_path / "source", history)
    for fmt in ("json", "csv"):
        file = tmp_path / f"export.{fmt}"
        code, _, err = _call("--data-dir", str(tmp_path / "source"), "export", "--format", fmt,
                             "--include-notes", "-o", str(file))
        assert code == 1, "an export that import would refuse"
        one_sentence(err)
        assert "longer than 20000 characters" in err and not file.exists()

