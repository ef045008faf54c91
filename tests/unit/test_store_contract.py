"""The contract of `widget.store.api`, run over both stores: `Store` (SQLAlchemy) and the lean
`ResidentStore`, each on a real database file.

`other` is a second connection to the same file, a `Store`: what `driftcheck apps add`, a
dialog or an import writes through while the tracker or the tray holds theirs. Changing apps
and goals is `Store`'s alone (`AppEditor`, `GoalEditor`), so the tests write those through
`other` and read them through the store under test. Looking back at check-ins, changing and
deleting them: tests/unit/test_checkin_store.py, over both stores too.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from widget.core.checkin import Checkin
from widget.core.goals import Goal, GoalKind
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, Measure, Rule, RuleKind, TrackedApp
from widget.errors import RowGone, StoreError, UnknownApp
from widget.store.api import OwnStoreContract, StoreContract
from widget.store.codec import mark_mix, to_ms
from widget.store.db import Store
from widget.store.resident import ResidentStore

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
REPLIKA = TrackedApp("replika", "Replika",
                     (Rule(RuleKind.PROCESS, "Replika"), Rule(RuleKind.TITLE, "replika.com")))
CHARACTER = TrackedApp("character-ai", "Character.AI", (Rule(RuleKind.TITLE, "character.ai"),),
                       any_window_titles=True)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(params=["Store", "ResidentStore"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreContract]:
    path = tmp_path / "data" / "driftcheck.sqlite3"
    Store.open(path).close()  # created (and upgraded) as `open_for_tracking` would
    opened: StoreContract = Store.open(path) if request.param == "Store" \
        else ResidentStore.open(path)
    yield opened
    opened.close()


@pytest.fixture
def other(store: StoreContract) -> Iterator[Store]:
    """Another connection to the same file, as another process would hold."""
    editor = Store.open(store.path)
    editor.add_app(REPLIKA)
    editor.add_app(CHARACTER)
    yield editor
    editor.close()


# --- apps -----------------------------------------------------------------------------------


def test_apps_are_listed_in_the_order_added_with_their_rules_and_names(
        store: StoreContract, other: Store) -> None:
    assert store.list_apps() == [REPLIKA, CHARACTER]
    assert store.app_names() == {"replika": "Replika", "character-ai": "Character.AI"}


def test_a_removed_app_leaves_the_list_but_keeps_its_name_and_history(
        store: StoreContract, other: Store) -> None:
    store.insert_interval(Interval("replika", at(0), at(5)))
    other.remove_app("replika")
    assert store.list_apps() == [CHARACTER]
    assert store.list_apps(include_removed=True) == [REPLIKA, CHARACTER]
    assert store.app_names()["replika"] == "Replika"
    assert [iv.app for iv in store.intervals_overlapping(at(0), at(10))] == ["replika"]
    # Brought back with new rules: its first place, its rules as given, duplicates once.
    bundle = Rule(RuleKind.BUNDLE, "ai.replika.*")
    other.add_app(TrackedApp("replika", "Replika (desktop)", (bundle, bundle), source="custom"))
    assert store.list_apps() == [
        TrackedApp("replika", "Replika (desktop)", (bundle,), source="custom"), CHARACTER]
    assert store.app_names()["replika"] == "Replika (desktop)"


# --- intervals ------------------------------------------------------------------------------


def test_an_interval_is_inserted_extended_and_deleted(store: StoreContract,
                                                      other: Store) -> None:
    row = store.insert_interval(Interval("character-ai", at(0), at(0), Measure.APPROXIMATE))
    store.update_interval_end(row, T0 + timedelta(seconds=12.3456))  # to the millisecond
    written = [Interval("character-ai", at(0), T0 + timedelta(seconds=12.346),
                        Measure.APPROXIMATE)]
    assert store.intervals_overlapping(at(-5), at(5)) == written
    assert other.intervals_overlapping(at(-5), at(5)) == written, "one file, one truth"
    store.delete_interval(row)
    assert store.intervals_overlapping(at(-5), at(5)) == []
    store.delete_interval(row)  # a row already gone is no error
    with pytest.raises(RowGone):
        store.update_interval_end(row, at(1))


def test_an_unknown_app_is_refused_and_a_removed_one_still_counts(store: StoreContract,
                                                                  other: Store) -> None:
    with pytest.raises(UnknownApp):
        store.insert_interval(Interval("nobody", at(0), at(1)))
    assert other.interval_count() == 0, "the refused insert left nothing half-written"
    other.remove_app("replika")
    store.insert_interval(Interval("replika", at(0), at(1)))  # the last minutes before removal
    assert other.interval_count() == 1


def test_an_end_before_the_start_is_refused(store: StoreContract, other: Store) -> None:
    row = store.insert_interval(Interval("replika", at(10), at(10)))
    with pytest.raises(StoreError):
        store.update_interval_end(row, at(9))
    assert store.intervals_overlapping(at(0), at(20))[0].end == at(10)


def test_intervals_overlapping_returns_exactly_the_overlaps(store: StoreContract,
                                                            other: Store) -> None:
    inside = {
        "spans the start": Interval("replika", at(-10), at(10)),
        "inside": Interval("replika", at(20), at(30)),
        "other app": Interval("character-ai", at(40), at(45)),
        "spans the end": Interval("replika", at(50), at(70)),
        "other app across the start": Interval("character-ai", at(-1), at(59)),
    }
    outside = {
        "touches the start": Interval("replika", at(-30), at(0)),
        "touches the end": Interval("replika", at(60), at(80)),
        "well before": Interval("replika", at(-120), at(-90)),
        "zero length at the start": Interval("replika", at(0), at(0)),
    }
    for iv in [*outside.values(), *inside.values()]:
        store.insert_interval(iv)

    found = store.intervals_overlapping(at(0), at(60), max_span=timedelta(hours=1))

    assert found == sorted(inside.values(), key=lambda iv: iv.start)
    assert all(iv.start.tzinfo is UTC and iv.end.tzinfo is UTC for iv in found)


def test_intervals_longer_than_max_span_fall_outside_the_contract(store: StoreContract,
                                                                  other: Store) -> None:
    store.insert_interval(Interval("replika", at(-120), at(30)))
    assert store.intervals_overlapping(at(0), at(60), max_span=timedelta(hours=1)) == []
    assert len(store.intervals_overlapping(at(0), at(60), max_span=timedelta(hours=3))) == 1


def test_aware_datetimes_of_any_zone_come_back_in_utc(store: StoreContract,
                                                      other: Store) -> None:
    paris = timezone(timedelta(hours=1))
    store.insert_interval(Interval("replika", at(0).astimezone(paris), at(5).astimezone(paris)))
    (found,) = store.intervals_overlapping(at(-1), at(1))
    assert (found.start, found.end) == (at(0), at(5))
    assert found.start.tzinfo is UTC


def test_seconds_in_sums_each_window_s_share_of_every_app(store: StoreContract,
                                                          other: Store) -> None:
    for iv in (Interval("replika", at(-10), at(10)),  # 10 minutes inside the first window
               Interval("character-ai", at(5), at(7.5)),  # overlapping another app's: both
               Interval("replika", at(50), at(70)),  # across the two windows
               Interval("replika", at(119), at(119)),  # nothing
               Interval("replika", at(200), at(201))):  # after both
        store.insert_interval(iv)
    windows = [(at(0), at(60)), (at(60), at(120)), (at(60), at(60)), (at(60), at(55))]
    assert store.seconds_in(windows) == [(10 + 2.5 + 10) * 60, 10 * 60, 0.0, 0.0]
    assert store.seconds_in([]) == []
    # Bounded by the start index as intervals_overlapping is.
    store.insert_interval(Interval("replika", at(-300), at(200)))
    assert store.seconds_in([(at(120), at(180))], max_span=timedelta(hours=1)) == [0.0]
    assert store.seconds_in([(at(120), at(180))], max_span=timedelta(hours=9)) == [3600.0]


def test_spans_ms_are_the_overlapping_intervals_own_times(store: StoreContract,
                                                         other: Store) -> None:
    for iv in (Interval("replika", at(-10), at(10)), Interval("character-ai", at(5), at(7.5)),
               Interval("replika", at(50), at(70)), Interval("replika", at(200), at(201)),
               Interval("replika", at(-300), at(-250))):
        store.insert_interval(iv)
    for window, span in (((at(0), at(60)), MAX_SPAN), ((at(-400), at(0)), timedelta(hours=9)),
                         ((at(-400), at(0)), MAX_SPAN), ((at(60), at(60)), MAX_SPAN)):
        assert store.spans_ms(*window, max_span=span) == [
            (to_ms(iv.start), to_ms(iv.end))
            for iv in store.intervals_overlapping(*window, max_span=span)]
    assert len(store.spans_ms(at(0), at(60))) == 3


def test_first_use_is_the_earliest_start_removed_apps_included(store: StoreContract,
                                                               other: Store) -> None:
    assert store.first_use() is None
    store.insert_interval(Interval("character-ai", at(30), at(40)))
    store.insert_interval(Interval("replika", at(-90), at(-80)))
    assert store.first_use() == at(-90)
    other.remove_app("replika")
    assert store.first_use() == at(-90)


# --- seeing others' writes --------------------------------------------------------------------


def _shm(path: Path) -> bytes:
    return path.with_name(path.name + "-shm").read_bytes()


def test_own_writes_are_not_changes_by_others_and_asking_reads_nothing(
        store: StoreContract, other: Store) -> None:
    assert store.changed_by_others(), "nothing known yet: look"
    assert not store.changed_by_others()
    row = store.insert_interval(Interval("replika", at(0), at(0.1)))
    store.update_interval_end(row, at(0.2))
    store.set_setting("tracker.mode", "foreground")
    store.add_checkin(Checkin(asked=at(1)))
    shm = _shm(store.path)
    assert not store.changed_by_others(), "the store's own writes are not news"
    assert _shm(store.path) == shm, "asking wrote nothing to the WAL index"


def test_another_connection_writing_is_seen_once(store: StoreContract, other: Store) -> None:
    store.changed_by_others()
    store.insert_interval(Interval("replika", at(0), at(0.1)))
    assert not store.changed_by_others()
    other.add_app(TrackedApp("nomi", "Nomi", (Rule(RuleKind.PROCESS, "nomi"),)))
    assert store.changed_by_others(), "`apps add` from a terminal is seen"
    assert not store.changed_by_others()
    # Written by another, then by this store before it asked: still seen.
    other.remove_app("nomi")
    store.insert_interval(Interval("replika", at(1), at(1.1)))
    assert store.changed_by_others()
    assert not store.changed_by_others()


# --- goals, settings, check-ins ---------------------------------------------------------------


def test_goals_are_listed_in_the_order_set_those_of_removed_apps_included(
        store: StoreContract, other: Store) -> None:
    assert store.list_goals() == []
    goals = [Goal(GoalKind.DAILY, None, 45 * 60),
             Goal(GoalKind.QUIET_HOURS, None, None, 23 * 60, 6 * 60),
             Goal(GoalKind.SESSION, "character-ai", 3600)]
    other.replace_goals(goals)
    other.remove_app("character-ai")
    assert store.list_goals() == goals


def test_settings_round_trip_as_json_between_connections(store: StoreContract,
                                                         other: Store) -> None:
    assert store.get_setting("theme") is None and store.all_settings() == {}
    values: dict[str, object] = {
        "theme": "dark",
        "sample_seconds": 5,
        "ratio": 0.5,
        "paused": False,
        "apps_order": ["replika", "character-ai"],
        "quiet": {"start": 1320, "end": 420, "note": "ünïcode"},
        "nothing": None,
    }
    for key, value in values.items():
        store.set_setting(key, value)
    store.set_setting("theme", "light")
    other.set_setting("idle_after", 240)
    values |= {"theme": "light", "idle_after": 240}
    assert store.get_setting("quiet") == values["quiet"]
    assert store.get_setting("paused") is False
    assert store.all_settings() == values == other.all_settings()


def test_a_value_json_cannot_hold_is_refused(store: StoreContract) -> None:
    with pytest.raises(TypeError):
        store.set_setting("when", datetime.now(UTC))
    assert store.get_setting("when") is None


def test_check_ins_are_kept_and_listed_since_a_moment_oldest_first(store: StoreContract,
                                                                   other: Store) -> None:
    answered = Checkin(asked=at(0), answered=at(1), answer=2, note="mine", week_seconds=3600)
    skipped = Checkin(asked=at(-7 * 24 * 60))
    later = Checkin(asked=at(60), answered=at(60), answer=4)
    ids = [store.add_checkin(c) for c in (answered, skipped, later)]
    assert len(set(ids)) == 3
    assert store.list_checkins() == [skipped, answered, later]
    assert store.list_checkins(since=at(0)) == [answered, later], "at or after"
    assert store.list_checkins(since=at(61)) == []
    assert other.list_checkins() == store.list_checkins()
    assert [k.id for k in store.checkin_history()] == [ids[1], ids[0], ids[2]]


# --- the contract itself ---------------------------------------------------------------------


def test_closing_twice_does_nothing_more(store: StoreContract) -> None:
    store.close()
    store.close()


def test_the_contract_loads_neither_sqlalchemy_nor_sqlite3() -> None:
    """The tray and the tracker import it: a Protocol must not cost them a driver."""
    code = ("import sys, widget.store.api; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'sqlite3', '_sqlite3', 'PySide6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


# --- reading all computers as one: spans as integers, a window's mark ------------------------


def _fill_for_marks(store: StoreContract) -> list[int]:
    rows = [store.insert_interval(iv) for iv in (
        Interval("replika", at(-10), at(10)),  # across the first window's start
        Interval("character-ai", at(5), at(7.5), Measure.APPROXIMATE),
        Interval("replika", at(20), at(30)),
        Interval("character-ai", at(50), at(70)),  # across the two windows
        Interval("replika", at(119), at(119)),  # nothing
        Interval("replika", at(200), at(201)),  # after both
        Interval("replika", at(-300), at(-250), Measure.APPROXIMATE))]  # long before
    return rows


WINDOWS = ((at(0), at(60)), (at(60), at(120)), (at(-400), at(0)), (at(60), at(60)),
           (at(60), at(55)), (at(-400), at(400)))


def test_app_spans_ms_are_the_overlapping_intervals_as_integers_in_their_order(
        store: OwnStoreContract, other: Store) -> None:
    _fill_for_marks(store)
    store.insert_interval(Interval("replika", at(-300), at(200)))  # longer than an hour
    for window in WINDOWS:
        for span in (MAX_SPAN, timedelta(hours=9)):
            assert store.app_spans_ms(*window, max_span=span) == [
                (to_ms(iv.start), to_ms(iv.end), iv.app, iv.measure is Measure.APPROXIMATE)
                for iv in store.intervals_overlapping(*window, max_span=span)]
    assert store.app_spans_ms(at(0), at(60)) == [
        (to_ms(at(-10)), to_ms(at(10)), "replika", False),
        (to_ms(at(5)), to_ms(at(7.5)), "character-ai", True),
        (to_ms(at(20)), to_ms(at(30)), "replika", False),
        (to_ms(at(50)), to_ms(at(70)), "character-ai", False)]
    # the long interval is reached only when the bound lets it
    assert store.app_spans_ms(at(120), at(180), max_span=timedelta(hours=1)) == []
    assert store.app_spans_ms(at(120), at(180), max_span=timedelta(hours=9)) == [
        (to_ms(at(-300)), to_ms(at(200)), "replika", False)]
    assert all(type(n) is int for row in store.app_spans_ms(*WINDOWS[-1]) for n in row[:2])


def app_ids(store: StoreContract) -> dict[str, int]:
    """The apps' row ids, as the database holds them (a window's mark mixes them in)."""
    with contextlib.closing(sqlite3.connect(store.path)) as db:
        return dict(db.execute("SELECT key, id FROM tracked_apps").fetchall())


def inside(window: tuple[datetime, datetime], start_min: float, end_min: float,
           app_id: int) -> int:
    """One interval's number in `window`'s mark: its part inside and its app, mixed
    (codec.mark_mix)."""
    return mark_mix(max(to_ms(at(start_min)), to_ms(window[0])),
                    min(to_ms(at(end_min)), to_ms(window[1])), app_id)


def test_a_window_s_mark_is_its_ms_inside_its_intervals_and_their_parts(
        store: OwnStoreContract, other: Store) -> None:
    _fill_for_marks(store)
    ids = app_ids(store)
    marks = store.window_marks(WINDOWS)
    assert marks[0] == ((10 + 2.5 + 10 + 10) * 60_000, 4, sum(
        inside(WINDOWS[0], s, e, ids[app]) for s, e, app in (
            (-10, 10, "replika"), (5, 7.5, "character-ai"), (20, 30, "replika"),
            (50, 70, "character-ai"))))
    assert marks[3] == marks[4] == (0, 0, 0), "an empty or reversed window"
    for window, mark in zip(WINDOWS, marks, strict=True):
        if window[1] <= window[0]:
            continue
        (seconds,) = store.seconds_in([window])
        reaching = store.intervals_overlapping(*window)
        assert mark == (round(seconds * 1000), len(reaching), sum(
            mark_mix(max(to_ms(iv.start), to_ms(window[0])), min(to_ms(iv.end), to_ms(window[1])),
                     ids[iv.app]) for iv in reaching)), window
    assert store.window_marks([]) == []
    store.insert_interval(Interval("replika", at(-300), at(200)))
    assert store.window_marks([(at(120), at(180))], max_span=timedelta(hours=1)) == [(0, 0, 0)]
    assert store.window_marks([(at(120), at(180))], max_span=timedelta(hours=9)) == [
        (3_600_000, 1, inside((at(120), at(180)), -300, 200, ids["replika"]))]


def test_a_window_s_mark_changes_with_its_own_time_and_only_then(
        store: OwnStoreContract, other: Store) -> None:
    rows = _fill_for_marks(store)
    first, second = (at(0), at(60)), (at(60), at(120))

    def marks() -> list[tuple[int, int, int]]:
        return store.window_marks([first, second])

    before = marks()
    added = store.insert_interval(Interval("replika", at(35), at(40)))
    after_add = marks()
    assert after_add[0] != before[0] and after_add[1] == before[1]
    store.update_interval_end(added, at(38))  # cut inside the window
    after_cut = marks()
    assert after_cut[0] not in (before[0], after_add[0]) and after_cut[1] == before[1]
    store.delete_interval(added)
    assert marks() == before
    store.delete_interval(rows[2])  # replika 20-30 in the first window
    after_delete = marks()
    assert after_delete[0] != before[0] and after_delete[1] == before[1]
    # the one across both windows grows: the second window's time changes, not the first's
    store.update_interval_end(rows[3], at(80))
    grown = marks()
    assert grown[0] == after_delete[0] and grown[1] != after_delete[1]
    # a zero-length interval moved inside the window changes neither time nor count: its start
    zero = store.insert_interval(Interval("replika", at(100), at(100)))
    with_zero = marks()
    store.delete_interval(zero)
    store.insert_interval(Interval("replika", at(101), at(101)))
    assert marks()[1] != with_zero[1]
    # time added in another window leaves both alone
    unmoved = marks()
    store.insert_interval(Interval("character-ai", at(300), at(330)))
    assert marks() == unmoved


def test_edits_whose_lengths_and_starts_add_up_as_before_still_change_the_mark(
        store: OwnStoreContract, other: Store) -> None:
    window = (at(0), at(60))
    a = store.insert_interval(Interval("replika", at(0), at(10)))
    b = store.insert_interval(Interval("replika", at(20), at(30)))
    before = store.window_marks([window])[0]
    # the same time, count and starts: one interval 5 minutes longer, the other 5 shorter
    store.update_interval_end(a, at(15))
    store.delete_interval(b)
    store.insert_interval(Interval("replika", at(20), at(25)))
    after = store.window_marks([window])[0]
    assert after[:2] == before[:2] and after != before


def test_the_same_time_given_to_another_app_changes_the_mark(
        store: OwnStoreContract, other: Store) -> None:
    # each app's figures worked out ahead must not outlive an app's time moving to another
    # (an import with --replace of the same spans under other keys)
    window = (at(0), at(60))
    row = store.insert_interval(Interval("replika", at(0), at(30)))
    before = store.window_marks([window])[0]
    store.delete_interval(row)
    store.insert_interval(Interval("character-ai", at(0), at(30)))
    after = store.window_marks([window])[0]
    assert after[:2] == before[:2] and after != before


# --- each app's seconds in a window (the week before's apps beside the shown week's) -------


def clipped_by_app(store: StoreContract, window: tuple[datetime, datetime],
                   max_span: timedelta = MAX_SPAN) -> dict[str, float]:
    """The reference: each app's ms inside `window` summed from `intervals_overlapping`,
    apps with none left out."""
    lo, hi = to_ms(window[0]), to_ms(window[1])
    found: dict[str, int] = {}
    for iv in store.intervals_overlapping(*window, max_span=max_span):
        part = min(to_ms(iv.end), hi) - max(to_ms(iv.start), lo)
        if part > 0:
            found[iv.app] = found.get(iv.app, 0) + part
    return {app: part / 1000 for app, part in found.items()}


def test_app_seconds_in_sums_each_app_s_share_of_the_window(store: StoreContract,
                                                            other: Store) -> None:
    _fill_for_marks(store)
    store.insert_interval(Interval("character-ai", at(80), at(80)))  # nothing: no app
    store.insert_interval(Interval("replika", at(60), at(60.0005)))  # 30 ms
    assert store.app_seconds_in(at(0), at(60)) == {
        "replika": (10 + 10) * 60, "character-ai": (2.5 + 10) * 60}
    assert store.app_seconds_in(at(60), at(120)) == {"character-ai": 10 * 60, "replika": 0.03}
    assert store.app_seconds_in(at(75), at(119.5)) == {}, "only zero-length time inside"
    assert store.app_seconds_in(at(-400), at(0)) == {"replika": (50 + 10) * 60}
    for window in WINDOWS:
        assert store.app_seconds_in(*window) == clipped_by_app(store, window), window
    assert store.app_seconds_in(at(60), at(60)) == {} == store.app_seconds_in(at(60), at(55))
    # a removed app's time still counts, as its intervals still do
    other.remove_app("replika")
    assert store.app_seconds_in(at(0), at(60)) == clipped_by_app(store, (at(0), at(60)))
    assert "replika" in store.app_seconds_in(at(0), at(60))


def test_app_seconds_in_is_bounded_by_the_start_index_as_intervals_overlapping_is(
        store: StoreContract, other: Store) -> None:
    _fill_for_marks(store)
    store.insert_interval(Interval("replika", at(-300), at(200)))  # longer than an hour
    assert store.app_seconds_in(at(120), at(180), max_span=timedelta(hours=1)) == {}
    assert store.app_seconds_in(at(120), at(180), max_span=timedelta(hours=9)) == {
        "replika": 3600.0}
    for window in WINDOWS:
        for span in (timedelta(hours=1), timedelta(hours=9)):
            assert store.app_seconds_in(*window, max_span=span) == clipped_by_app(
                store, window, span), (window, span)
