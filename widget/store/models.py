"""The database schema as SQLAlchemy 2.x models: the current shape of every table.

These models describe the schema that `migrations.MIGRATIONS` builds step by step in frozen
SQL; a test checks the two never drift apart. Nothing outside `widget.store` sees these
classes: the store converts rows to and from the dataclasses in `widget.core.model`.

Times are integer milliseconds since the Unix epoch, UTC, to keep rows small.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class TrackedAppRow(Base):
    """An app the person chose. Removing it is soft (`removed_ms`) so its history keeps a name;
    adding it again clears `removed_ms`."""

    __tablename__ = "tracked_apps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)  # "catalog" | "custom"
    any_window_titles: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("0")
    )
    added_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    removed_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)


class MatchRuleRow(Base):
    __tablename__ = "match_rules"
    __table_args__ = (UniqueConstraint("app_id", "kind", "pattern"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tracked_apps.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(Text, nullable=False)  # a RuleKind: "process", "title", ...
    pattern: Mapped[str] = mapped_column(Text, nullable=False)


class IntervalRow(Base):
    """One span of use. The tracker rewrites `end_ms` of the open interval every few seconds,
    so `end_ms` deliberately has no index: one would double the writes of that hot path."""

    __tablename__ = "intervals"
    __table_args__ = (
        CheckConstraint("end_ms >= start_ms", name="ck_intervals_end_after_start"),
        Index("ix_intervals_start", "start_ms"),
        Index("ix_intervals_app_start", "app_id", "start_ms"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tracked_apps.id", ondelete="CASCADE"), nullable=False
    )
    start_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    end_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    measure: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # 0 foreground, 1 approx


class SettingRow(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)  # JSON


class GoalRow(Base):
    """A limit the person set: daily or weekly seconds, quiet hours, or the longest session.
    `app_id` NULL means all tracked apps together."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("tracked_apps.id", ondelete="CASCADE"), nullable=True
    )
    kind: Mapped[str] = mapped_column(Text, nullable=False)  # daily|weekly|quiet_hours|session
    limit_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quiet_start_min: Mapped[int | None] = mapped_column(Integer, nullable=True)  # minute of day
    quiet_end_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_ms: Mapped[int] = mapped_column(Integer, nullable=False)


class CheckinRow(Base):
    """One weekly check-in: `answer` 1..5, 0 for "not sure", NULL when skipped."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    answered_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answer: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # private, never logged
    week_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
