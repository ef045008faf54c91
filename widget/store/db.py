"""The store: one SQLite file, read and written in short transactions.

Callers give and get the dataclasses of `widget.core.model`, never ORM rows. Datetimes in and
out are aware UTC; on disk they are integer milliseconds since the Unix epoch (rounded half
up, the same way in both directions).

The tracker's hot path is `insert_interval` once per session and `update_interval_end`
every few seconds: each is one Core statement in one transaction. The file uses 1 KiB pages
so that rewriting the open interval's end appends about one page to the WAL.

`Store` keeps the contract written in `widget.store.api` (`StoreContract`, as the lean
`ResidentStore` does) and alone changes apps and goals (`AppEditor`, `GoalEditor`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    Select,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from widget.core.checkin import Checkin, KeptCheckin
from widget.core.goals import Goal, GoalKind, check_goals
from widget.core.intervals import MAX_SPAN
from widget.core.model import Interval, TrackedApp
from widget.errors import RowGone, StoreError, UnknownApp
from widget.paths import ensure_private_dir, make_private, private_file
from widget.store import migrations, recovery
from widget.store.changes import ChangeWatch
from widget.store.codec import (
    MARK_MODULUS,
    MEASURE_APPROXIMATE,
    MEASURE_TO_DB,
    apply_pragmas,
    apps_from_rows,
    checkin_values,
    decode_setting,
    encode_setting,
    from_ms,
    goals_from_rows,
    intervals_from_rows,
    kept_checkin,
    span_ms,
    to_ms,
)
from widget.store.models import (
    Base,
    CheckinRow,
    GoalRow,
    IntervalRow,
    MatchRuleRow,
    SettingRow,
    TrackedAppRow,
)

if TYPE_CHECKING:
    from widget.store.api import AppEditor, GoalEditor, StoreContract

_apps = Base.metadata.tables[TrackedAppRow.__tablename__]
_rules = Base.metadata.tables[MatchRuleRow.__tablename__]
_intervals = Base.metadata.tables[IntervalRow.__tablename__]
_settings = Base.metadata.tables[SettingRow.__tablename__]
_goals = Base.metadata.tables[GoalRow.__tablename__]
_checkins = Base.metadata.tables[CheckinRow.__tablename__]

# Built once: SQLAlchemy caches their compiled form, so the per-sample path only binds values.
_INSERT_INTERVAL = insert(_intervals).values(
    app_id=bindparam("app_id"),
    start_ms=bindparam("start_ms"),
    end_ms=bindparam("end_ms"),
    measure=bindparam("measure"),
)
_UPDATE_END = (
    update(_intervals)
    .where(_intervals.c.id == bindparam("row_id"))
    .values(end_ms=bindparam("end_ms"))
)
_DELETE_INTERVAL = delete(_intervals).where(_intervals.c.id == bindparam("row_id"))
# A rollup: the milliseconds of use inside one window [lo, hi), summed by SQLite; the start
# index bounds it (from_ms: lo less the longest interval the tracker writes).
_SECONDS_IN = select(
    func.coalesce(func.sum(func.min(_intervals.c.end_ms, bindparam("hi"))
                           - func.max(_intervals.c.start_ms, bindparam("lo"))), 0)
).where(_intervals.c.start_ms >= bindparam("from_ms"), _intervals.c.start_ms < bindparam("hi"),
        _intervals.c.end_ms > bindparam("lo"))
_MARKS = select(
    func.coalesce(func.sum(func.min(_intervals.c.end_ms, bindparam("hi"))
                           - func.max(_intervals.c.start_ms, bindparam("lo"))), 0),
    func.count(), func.coalesce(func.sum(
        (func.max(_intervals.c.start_ms, bindparam("lo")) % MARK_MODULUS)
        * (func.min(_intervals.c.end_ms, bindparam("hi")) % MARK_MODULUS) % MARK_MODULUS
        * (_intervals.c.app_id + 1)), 0),
).where(_intervals.c.start_ms >= bindparam("from_ms"), _intervals.c.start_ms < bindparam("hi"),
        _intervals.c.end_ms > bindparam("lo"))
_APP_MS = func.sum(func.min(_intervals.c.end_ms, bindparam("hi"))
                   - func.max(_intervals.c.start_ms, bindparam("lo")))
_APP_SECONDS_IN = select(_apps.c.key, _APP_MS).join_from(
    _intervals, _apps, _intervals.c.app_id == _apps.c.id
).where(_intervals.c.start_ms >= bindparam("from_ms"), _intervals.c.start_ms < bindparam("hi"),
        _intervals.c.end_ms > bindparam("lo")).group_by(_apps.c.key).having(_APP_MS > 0)
_FIRST_USE = select(func.min(_intervals.c.start_ms))  # one step down the start index


def _overlapping(query: Select[Any], start: datetime, end: datetime, max_span: timedelta
                 ) -> Select[Any]:
    """`query` over the intervals sharing time with [start, end), by start: the start index
    alone bounds it (no interval is longer than `max_span`: `intervals_overlapping`)."""
    start_ms, end_ms = to_ms(start), to_ms(end)
    return query.where(
        _intervals.c.start_ms >= start_ms - span_ms(max_span),
        _intervals.c.start_ms < end_ms,
        _intervals.c.end_ms > start_ms,
    ).order_by(_intervals.c.start_ms, _intervals.c.id)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The person's data in one private SQLite file. Safe to share between threads: each
    call checks a connection out of the pool for one short transaction."""

    def __init__(self, path: Path, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.path = path
        self._engine = engine
        self._clock = clock
        self._app_ids: dict[str, int] = {}
        self._changes = ChangeWatch(path)
        self._closed = False

    @classmethod
    def open(cls, path: Path, clock: Callable[[], datetime] = _utc_now) -> Store:
        """Open (creating if needed) and upgrade the database at `path`.

        A damaged file is set aside (`recovery`) and a fresh one started. Raises StoreError
        with a sentence for the person when the file is unreadable, busy or written by a newer
        driftcheck; a refused file is left byte-for-byte as it was. `clock` dates adding and
        removing apps, and a damaged file set aside.
        """
        path = Path(path)
        engine: Engine | None = None
        try:
            ensure_private_dir(path.parent)
            if path.exists():
                recovery.set_aside_if_damaged(path, clock)
            if path.exists():
                migrations.check_openable(path)
            private_file(path)
            engine = _make_engine(path)
            migrations.migrate(engine)
            store = cls(path, engine, clock)
            store._make_files_private()
            recovery.hold(path)
        except StoreError:
            if engine is not None:
                engine.dispose()
            raise
        except (sqlite3.Error, SQLAlchemyError, OSError) as error:
            if engine is not None:
                engine.dispose()
            raise StoreError(
                f"The driftcheck database at {path} could not be opened ({_reason(error)})."
            ) from error
        return store

    def close(self) -> None:
        """Close every connection; SQLite then folds the WAL back into the file."""
        if not self._closed:
            self._closed = True
            recovery.release(self.path)
        self._engine.dispose()

    def files(self) -> list[Path]:
        """The database file and its -wal and -shm companions that exist right now."""
        companions = [self.path.with_name(self.path.name + suffix) for suffix in ("-wal", "-shm")]
        return [self.path, *(p for p in companions if p.exists())]

    def changed_by_others(self) -> bool:
        """Whether another connection may have written since this was last asked; this
        store's own writes (through any of its pooled connections) do not count."""
        return self._changes.changed_by_others()

    def integrity_ok(self) -> bool:
        with self._read() as conn:
            rows = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
        return rows == ["ok"]

    # --- apps -----------------------------------------------------------------------------

    def add_app(self, app: TrackedApp) -> None:
        """Track `app`. If its key is known, bring it back (if removed) and replace its name,
        flags and rules; `added_ms` keeps the first time it was added."""
        with self._write() as conn:
            app_id = conn.execute(
                select(_apps.c.id).where(_apps.c.key == app.key)
            ).scalar_one_or_none()
            fields = {
                "name": app.name,
                "source": app.source,
                "any_window_titles": app.any_window_titles,
            }
            if app_id is None:
                app_id = conn.execute(
                    insert(_apps).values(key=app.key, added_ms=to_ms(self._clock()), **fields)
                ).lastrowid
            else:
                conn.execute(
                    update(_apps).where(_apps.c.id == app_id).values(removed_ms=None, **fields)
                )
                conn.execute(delete(_rules).where(_rules.c.app_id == app_id))
            unique_rules = list(dict.fromkeys(app.rules))
            if unique_rules:
                conn.execute(
                    insert(_rules),
                    [
                        {"app_id": app_id, "kind": rule.kind.value, "pattern": rule.pattern}
                        for rule in unique_rules
                    ],
                )
        self._app_ids[app.key] = int(app_id)

    def remove_app(self, key: str) -> bool:
        """Stop tracking `key`; its history stays. False if it is unknown or not tracked."""
        with self._write() as conn:
            result = conn.execute(
                update(_apps)
                .where(_apps.c.key == key, _apps.c.removed_ms.is_(None))
                .values(removed_ms=to_ms(self._clock()))
            )
        return result.rowcount == 1

    def list_apps(self, include_removed: bool = False) -> list[TrackedApp]:
        """Tracked apps with their rules, in the order they were first added."""
        query = select(
            _apps.c.id, _apps.c.key, _apps.c.name, _apps.c.source, _apps.c.any_window_titles
        ).order_by(_apps.c.added_ms, _apps.c.id)
        if not include_removed:
            query = query.where(_apps.c.removed_ms.is_(None))
        with self._read() as conn:
            apps = conn.execute(query).all()
            rules = conn.execute(
                select(_rules.c.app_id, _rules.c.kind, _rules.c.pattern).order_by(_rules.c.id)
            ).all()
        return apps_from_rows(apps, rules)

    def app_names(self) -> dict[str, str]:
        """Every app's display name by key, removed apps included, for showing history."""
        with self._read() as conn:
            rows = conn.execute(select(_apps.c.key, _apps.c.name)).all()
        return {key: name for key, name in rows}

    # --- intervals: the per-sample hot path ------------------------------------------------

    def insert_interval(self, iv: Interval) -> int:
        """Store a new interval and return its row id, for `update_interval_end`."""
        app_id = self._app_id(iv.app)
        with self._write() as conn:
            result = conn.execute(
                _INSERT_INTERVAL,
                {
                    "app_id": app_id,
                    "start_ms": to_ms(iv.start),
                    "end_ms": to_ms(iv.end),
                    "measure": MEASURE_TO_DB[iv.measure],
                },
            )
        return int(result.lastrowid)

    def update_interval_end(self, row_id: int, end: datetime) -> None:
        """Move the end of the open interval: one UPDATE of one column."""
        with self._write() as conn:
            result = conn.execute(_UPDATE_END, {"row_id": row_id, "end_ms": to_ms(end)})
        if result.rowcount != 1:
            raise RowGone("The interval being extended is no longer in the database.")

    def delete_interval(self, row_id: int) -> None:
        with self._write() as conn:
            conn.execute(_DELETE_INTERVAL, {"row_id": row_id})

    # --- reads ----------------------------------------------------------------------------

    def intervals_overlapping(
        self, start: datetime, end: datetime, max_span: timedelta = MAX_SPAN
    ) -> list[Interval]:
        """Intervals that share some time with [start, end), ordered by start.

        Contract: the tracker never lets one interval last longer than `max_span` (it closes
        it and opens a new one). That lets the start index alone bound the scan: an interval
        overlapping the window must start within `max_span` before it. An interval longer
        than `max_span` that starts earlier than that is not returned. Intervals that only
        touch the window (end == start, or start == end) do not overlap it.
        """
        query = _overlapping(select(_apps.c.key, _intervals.c.start_ms, _intervals.c.end_ms,
                                    _intervals.c.measure).join_from(
            _intervals, _apps, _intervals.c.app_id == _apps.c.id), start, end, max_span)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return intervals_from_rows(rows)

    def spans_ms(self, start: datetime, end: datetime,
                 max_span: timedelta = MAX_SPAN) -> list[tuple[int, int]]:
        """(start, end) in ms UTC of the intervals `intervals_overlapping` gives, ordered by
        start, without their apps."""
        query = _overlapping(select(_intervals.c.start_ms, _intervals.c.end_ms), start, end,
                             max_span)
        with self._read() as conn:
            return [(int(a), int(b)) for a, b in conn.execute(query).all()]

    def app_spans_ms(self, start: datetime, end: datetime,
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, str, bool]]:
        """(start, end, app key, approximate) of the intervals `intervals_overlapping`
        gives, in its order, in ms UTC."""
        query = _overlapping(select(_intervals.c.start_ms, _intervals.c.end_ms, _apps.c.key,
                                    _intervals.c.measure).join_from(
            _intervals, _apps, _intervals.c.app_id == _apps.c.id), start, end, max_span)
        with self._read() as conn:
            return [(int(s), int(e), key, measure == MEASURE_APPROXIMATE)
                    for s, e, key, measure in conn.execute(query).all()]

    def window_marks(self, windows: Sequence[tuple[datetime, datetime]],
                     max_span: timedelta = MAX_SPAN) -> list[tuple[int, int, int]]:
        """For each [start, end) window, (ms of use inside it, how many intervals reach it,
        their parts inside mixed, `codec.mark_mix`), summed by SQLite in one read transaction;
        (0, 0, 0) for an empty one."""
        marks = []
        with self._read() as conn:
            for start, end in windows:
                lo, hi = to_ms(start), to_ms(end)
                if hi <= lo:
                    marks.append((0, 0, 0))
                    continue
                ms, count, starts = conn.execute(_MARKS, {
                    "lo": lo, "hi": hi, "from_ms": lo - span_ms(max_span)}).one()
                marks.append((int(ms), int(count), int(starts)))
        return marks

    def seconds_in(self, windows: Sequence[tuple[datetime, datetime]],
                   max_span: timedelta = MAX_SPAN) -> list[float]:
        """Seconds of use of all apps inside each [start, end) window, summed by SQLite
        (0.0 for an empty one), in one read transaction."""
        totals = []
        with self._read() as conn:
            for start, end in windows:
                lo, hi = to_ms(start), to_ms(end)
                if hi <= lo:
                    totals.append(0.0)
                    continue
                ms = conn.execute(_SECONDS_IN, {"lo": lo, "hi": hi,
                                                "from_ms": lo - span_ms(max_span)}).scalar_one()
                totals.append(ms / 1000)
        return totals

    def app_seconds_in(self, start: datetime, end: datetime,
                       max_span: timedelta = MAX_SPAN) -> dict[str, float]:
        """Seconds of each app inside [start, end), apps with none left out, summed by
        SQLite (bounded by the start index as `intervals_overlapping` is)."""
        lo, hi = to_ms(start), to_ms(end)
        if hi <= lo:
            return {}
        with self._read() as conn:
            rows = conn.execute(_APP_SECONDS_IN, {"lo": lo, "hi": hi,
                                                  "from_ms": lo - span_ms(max_span)}).all()
        return {key: ms / 1000 for key, ms in rows}

    def first_use(self) -> datetime | None:
        """When the earliest stored interval began (removed apps' history included), or None
        with no history at all."""
        with self._read() as conn:
            first = conn.execute(_FIRST_USE).scalar_one()
        return None if first is None else from_ms(int(first))

    def interval_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(_intervals)).scalar_one())

    # --- settings -------------------------------------------------------------------------

    def get_setting(self, key: str) -> object | None:
        """The stored value of `key`, or None when it was never set."""
        with self._read() as conn:
            raw = conn.execute(
                select(_settings.c.value).where(_settings.c.key == key)
            ).scalar_one_or_none()
        return None if raw is None else decode_setting(key, raw)

    def set_setting(self, key: str, value: object) -> None:
        """Store `value` as JSON; raises TypeError for a value JSON cannot hold."""
        encoded = encode_setting(value)
        statement = sqlite_insert(_settings).values(key=key, value=encoded)
        statement = statement.on_conflict_do_update(
            index_elements=[_settings.c.key], set_={"value": statement.excluded.value}
        )
        with self._write() as conn:
            conn.execute(statement)

    def all_settings(self) -> dict[str, object]:
        with self._read() as conn:
            rows = conn.execute(select(_settings.c.key, _settings.c.value)).all()
        return {key: decode_setting(key, raw) for key, raw in rows}

    # --- goals ----------------------------------------------------------------------------

    def list_goals(self) -> list[Goal]:
        """Every stored goal in the order it was set, goals of removed apps included."""
        query = (
            select(_apps.c.key, _goals.c.kind, _goals.c.limit_seconds,
                   _goals.c.quiet_start_min, _goals.c.quiet_end_min)
            .select_from(_goals.outerjoin(_apps, _goals.c.app_id == _apps.c.id))
            .order_by(_goals.c.id)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return goals_from_rows(rows)

    def replace_goals(self, goals: Sequence[Goal]) -> None:
        """Make `goals` the whole set, atomically. Raises InvalidGoal (nothing changes) when
        the set breaks a rule of `check_goals`, and UnknownApp for a goal of an app that is not
        tracked, except a goal already stored unchanged (one of an app removed since)."""
        check_goals(goals)
        with self._write() as conn:
            stored = conn.execute(
                select(_goals.c.created_ms, _apps.c.key, _goals.c.kind, _goals.c.limit_seconds,
                       _goals.c.quiet_start_min, _goals.c.quiet_end_min)
                .select_from(_goals.outerjoin(_apps, _goals.c.app_id == _apps.c.id))
            ).all()
            created = {Goal(GoalKind(kind), key, limit, start, end): ms
                       for ms, key, kind, limit, start, end in stored}
            apps = conn.execute(select(_apps.c.key, _apps.c.id, _apps.c.removed_ms)).all()
            ids = {key: (app_id, removed is None) for key, app_id, removed in apps}
            now_ms = to_ms(self._clock())
            rows = []
            for goal in goals:
                app_id = None
                if goal.app is not None:
                    found = ids.get(goal.app)
                    if found is None or (not found[1] and goal not in created):
                        raise UnknownApp(f"'{goal.app}' is not among the apps you track; "
                                         "`driftcheck apps list` shows them.")
                    app_id = found[0]
                rows.append({"app_id": app_id, "kind": goal.kind.value,
                             "limit_seconds": goal.limit_seconds,
                             "quiet_start_min": goal.quiet_start,
                             "quiet_end_min": goal.quiet_end,
                             "created_ms": created.get(goal, now_ms)})
            conn.execute(delete(_goals))
            if rows:
                conn.execute(insert(_goals), rows)

    # --- check-ins ------------------------------------------------------------------------

    def add_checkin(self, checkin: Checkin) -> int:
        """Keep one check-in; returns its row id. The note is stored, never logged."""
        with self._write() as conn:
            result = conn.execute(insert(_checkins).values(**checkin_values(checkin)))
        return int(result.lastrowid)

    def list_checkins(self, since: datetime | None = None) -> list[Checkin]:
        """Check-ins asked at or after `since` (all when None), oldest first."""
        query = select(_checkins.c.asked_ms, _checkins.c.answered_ms, _checkins.c.answer,
                       _checkins.c.note, _checkins.c.week_seconds
                       ).order_by(_checkins.c.asked_ms, _checkins.c.id)
        if since is not None:
            query = query.where(_checkins.c.asked_ms >= to_ms(since))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [Checkin(from_ms(asked), None if answered is None else from_ms(answered),
                        answer, note, week_seconds)
                for asked, answered, answer, note, week_seconds in rows]

    def checkin_history(self) -> list[KeptCheckin]:
        """Every check-in kept, skipped weeks included (answer None), oldest first, each with
        its row id: what `driftcheck checkin history` lists. Any thread."""
        query = select(_checkins.c.id, _checkins.c.asked_ms, _checkins.c.answered_ms,
                       _checkins.c.answer, _checkins.c.note, _checkins.c.week_seconds
                       ).order_by(_checkins.c.asked_ms, _checkins.c.id)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [kept_checkin(row) for row in rows]

    def change_checkin(self, checkin_id: int, answer: int, note: str | None) -> None:
        """Set the answer and note of check-in `checkin_id`, as `check_answer` and
        `check_note` return them (None removes the note). When it was asked, and the week's
        time kept with it, stay; a skipped week answered now counts as answered when asked.
        RowGone when there is no such check-in."""
        change = (update(_checkins).where(_checkins.c.id == checkin_id)
                  .values(answer=answer, note=note,
                          answered_ms=func.coalesce(_checkins.c.answered_ms,
                                                    _checkins.c.asked_ms)))
        with self._write() as conn:
            changed = conn.execute(change).rowcount
        if changed != 1:
            raise RowGone("That check-in is no longer kept.")

    def delete_checkin(self, checkin_id: int) -> None:
        """Remove check-in `checkin_id` and its note for good. RowGone when there is none."""
        with self._write() as conn:
            gone = conn.execute(delete(_checkins).where(_checkins.c.id == checkin_id)).rowcount
        if gone != 1:
            raise RowGone("That check-in is no longer kept.")

    # --- plumbing -------------------------------------------------------------------------

    def _app_id(self, key: str) -> int:
        app_id = self._app_ids.get(key)
        if app_id is not None:
            return app_id
        # An app's id never changes once given (apps are only soft-removed), so a cached id
        # stays right; a miss only means this key has not been looked up yet.
        with self._read() as conn:
            found = conn.execute(select(_apps.c.id).where(_apps.c.key == key)).scalar_one_or_none()
        if found is None:
            raise UnknownApp(f"No app with the id {key!r} is being tracked.")
        self._app_ids[key] = int(found)
        return int(found)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with _store_errors(self.path), self._engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with _store_errors(self.path), self._engine.connect() as conn:
            conn.execution_options(driftcheck_write=True)
            with conn.begin():  # BEGIN IMMEDIATE: nobody else writes until the commit
                before = self._changes.before_write()
                yield conn
            self._changes.own_commit(before)

    def _make_files_private(self) -> None:
        for file in self.files():
            make_private(file)


def _make_engine(path: Path) -> Engine:
    # URL.create, not "sqlite:///{path}": in a URL string a '?' in a folder's name starts a
    # query, and the database would be written to another file outside the data folder.
    engine = create_engine(URL.create("sqlite", database=str(path)))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (migrations.use_real_transactions); sqlite3 must not.
        dbapi_connection.isolation_level = None
        apply_pragmas(dbapi_connection)

    migrations.use_real_transactions(engine)
    return engine


@contextmanager
def _store_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as error:
        raise StoreError(
            f"The driftcheck database at {path} could not be read or written ({_reason(error)})."
        ) from error


def _reason(error: BaseException) -> str:
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error).splitlines()[0] if str(error) else type(error).__name__


if TYPE_CHECKING:
    def _keeps_the_contract(store: Store) -> tuple[StoreContract, AppEditor, GoalEditor]:
        return store, store, store  # mypy checks every method of them against this store
