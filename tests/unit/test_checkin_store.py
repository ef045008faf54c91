"""Looking back at check-ins, changing and deleting one: one contract over both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from widget.core.checkin import Checkin, KeptCheckin
from widget.errors import RowGone
from widget.store import Store
from widget.store.resident import ResidentStore

T0 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


@pytest.fixture(params=["full", "lean"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store | ResidentStore]:
    path = tmp_path / "db.sqlite3"
    Store.open(path).close()
    opened: Store | ResidentStore = Store.open(path) if request.param == "full" \
        else ResidentStore.open(path)
    yield opened
    opened.close()


def test_history_holds_every_checkin_with_its_id_oldest_first(store) -> None:  # type: ignore[no-untyped-def]
    later = store.add_checkin(Checkin(T0 + timedelta(days=7), T0 + timedelta(days=7), 2,
                                      "walked instead", 3600))
    skipped = store.add_checkin(Checkin(T0 + timedelta(days=3)))
    first = store.add_checkin(Checkin(T0, T0 + timedelta(minutes=1), 4, None, 7200))
    assert store.checkin_history() == [
        KeptCheckin(first, Checkin(T0, T0 + timedelta(minutes=1), 4, None, 7200)),
        KeptCheckin(skipped, Checkin(T0 + timedelta(days=3))),
        KeptCheckin(later, Checkin(T0 + timedelta(days=7), T0 + timedelta(days=7), 2,
                                   "walked instead", 3600)),
    ]
    assert [c for c in store.list_checkins()] == [k.checkin for k in store.checkin_history()]


def test_change_sets_answer_and_note_and_keeps_the_rest(store) -> None:  # type: ignore[no-untyped-def]
    row = store.add_checkin(Checkin(T0, T0 + timedelta(minutes=1), 4, "old note", 7200))
    other = store.add_checkin(Checkin(T0 + timedelta(days=7), T0 + timedelta(days=7), 1))
    store.change_checkin(row, 2, None)
    kept = {k.id: k.checkin for k in store.checkin_history()}
    assert kept[row] == Checkin(T0, T0 + timedelta(minutes=1), 2, None, 7200)
    assert kept[other] == Checkin(T0 + timedelta(days=7), T0 + timedelta(days=7), 1)


def test_a_skipped_week_answered_later_counts_as_answered_when_asked(store) -> None:  # type: ignore[no-untyped-def]
    row = store.add_checkin(Checkin(T0))
    store.change_checkin(row, 0, "not sure yet")
    assert store.checkin_history() == [KeptCheckin(row, Checkin(T0, T0, 0, "not sure yet"))]


def test_delete_removes_one_checkin_and_its_note(store) -> None:  # type: ignore[no-untyped-def]
    row = store.add_checkin(Checkin(T0, T0, 5, "private words"))
    kept = store.add_checkin(Checkin(T0 + timedelta(days=1), T0 + timedelta(days=1), 3))
    store.delete_checkin(row)
    assert [k.id for k in store.checkin_history()] == [kept]
    with pytest.raises(RowGone):
        store.delete_checkin(row)
    with pytest.raises(RowGone):
        store.change_checkin(row, 1, None)
