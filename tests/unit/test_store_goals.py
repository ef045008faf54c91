"""Goals and check-ins in a real SQLite file: whole-set replacement that stores nothing
invalid, goals of removed apps kept, check-ins with their week's time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from widget.core.checkin import Checkin
from widget.core.goals import Goal, GoalKind
from widget.core.model import Rule, RuleKind, TrackedApp
from widget.errors import InvalidGoal, UnknownApp
from widget.store import Store

H = 3600
REPLIKA = TrackedApp("replika", "Replika", (Rule(RuleKind.PROCESS, "Replika"),))
NOMI = TrackedApp("nomi", "Nomi", (Rule(RuleKind.TITLE, "nomi.ai"),))
GOALS = [
    Goal(GoalKind.DAILY, None, limit_seconds=45 * 60),
    Goal(GoalKind.WEEKLY, None, limit_seconds=5 * H),
    Goal(GoalKind.QUIET_HOURS, None, quiet_start=23 * 60, quiet_end=6 * 60),
    Goal(GoalKind.SESSION, "replika", limit_seconds=H),
    Goal(GoalKind.DAILY, "nomi", limit_seconds=30 * 60),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "driftcheck.sqlite3")
    s.add_app(REPLIKA)
    s.add_app(NOMI)
    yield s
    s.close()


def test_goals_round_trip_and_survive_reopening(store: Store, tmp_path: Path) -> None:
    assert store.list_goals() == []
    store.replace_goals(GOALS)
    assert store.list_goals() == GOALS
    store.close()
    again = Store.open(tmp_path / "driftcheck.sqlite3")
    try:
        assert again.list_goals() == GOALS
        again.replace_goals(GOALS[:2])
        assert again.list_goals() == GOALS[:2]
        again.replace_goals([])
        assert again.list_goals() == []
    finally:
        again.close()


@pytest.mark.parametrize("bad", [
    Goal(GoalKind.DAILY, "replika", limit_seconds=0),
    Goal(GoalKind.WEEKLY, None, limit_seconds=10 * 60),  # below the daily 45 min
    Goal(GoalKind.QUIET_HOURS, "nomi", quiet_start=60, quiet_end=60),
    Goal(GoalKind.DAILY, None, limit_seconds=H),  # a second daily goal for all apps
])
def test_an_invalid_set_changes_nothing(store: Store, bad: Goal) -> None:
    store.replace_goals(GOALS)
    with pytest.raises(InvalidGoal):
        store.replace_goals([*GOALS[:1], *GOALS[2:], bad])
    assert store.list_goals() == GOALS


def test_goals_only_for_tracked_apps(store: Store) -> None:
    store.replace_goals(GOALS)
    with pytest.raises(UnknownApp, match="'kindroid' is not among the apps you track"):
        store.replace_goals([*GOALS, Goal(GoalKind.DAILY, "kindroid", limit_seconds=H)])
    assert store.list_goals() == GOALS


def test_a_removed_apps_goal_is_kept_and_listed_but_not_newly_set(store: Store) -> None:
    store.replace_goals(GOALS)
    assert store.remove_app("nomi")
    assert store.list_goals() == GOALS  # still listed, with its app key
    store.replace_goals(store.list_goals())  # saving the same set back works
    assert store.list_goals() == GOALS
    changed = Goal(GoalKind.DAILY, "nomi", limit_seconds=20 * 60)
    with pytest.raises(UnknownApp):
        store.replace_goals([*GOALS[:4], changed])
    store.add_app(NOMI)  # tracked again: now it can change
    store.replace_goals([*GOALS[:4], changed])
    assert store.list_goals()[-1] == changed


def test_checkins_are_kept_with_their_week(store: Store) -> None:
    t0 = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
    first = Checkin(asked=t0, answered=t0 + timedelta(minutes=2), answer=2,
                    note="Talked to my sister after.", week_seconds=4 * H)
    skipped = Checkin(asked=t0 + timedelta(days=7))
    unsure = Checkin(asked=t0 + timedelta(days=14), answered=t0 + timedelta(days=14),
                     answer=0, week_seconds=0)
    ids = [store.add_checkin(c) for c in (skipped, first, unsure)]
    assert len(set(ids)) == 3
    assert store.list_checkins() == [first, skipped, unsure]  # oldest asked first
    assert store.list_checkins(since=t0 + timedelta(days=7)) == [skipped, unsure]
    assert store.list_checkins(since=t0 + timedelta(days=15)) == []
