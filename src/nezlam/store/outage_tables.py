"""The tables of the power-outage schedules (migration 0010, issue 12): each import of a power
company's schedule, its outages by queue, the warnings already sent for them (and, migration
0011, the emergency shutdowns declared in a region, when its schedules do not hold).

An import never changes an earlier one: a later import of the same provider is marked current
and the earlier ones stay as its history, so what a schedule said yesterday can be read back.
A warning sent is remembered by its point and outage, so that no restart or second worker
warns of one outage twice.

Import them from `nezlam.store.tables`, which imports this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from nezlam.store.table_base import Base, BigId, utcnow


class OutageImport(Base):
    """One import of a provider's schedule (`provider`: its region id, "vinnytsia"). The newest
    import of a provider marked `current` is its schedule; the others are history."""

    __tablename__ = "outage_imports"
    __table_args__ = (Index("ix_outage_imports_provider_current", "provider", "current"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    source_updated_at: Mapped[datetime | None] = mapped_column()  # the file's lastUpdated
    source: Mapped[str] = mapped_column(String(500))  # the files or URL it was read from
    queues: Mapped[list[str]] = mapped_column(default=list)
    current: Mapped[bool] = mapped_column(Boolean, default=True)


class OutageInterval(Base):
    """One outage of a queue in an import: UTC start and end, definite or possible."""

    __tablename__ = "outage_intervals"
    __table_args__ = (Index("ix_outage_intervals_import_queue", "import_id", "queue"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("outage_imports.id", ondelete="CASCADE"))
    queue: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))  # definite, possible


class OutageWarning(Base):
    """A point told that its power goes off at `starts_at`: one row per point and outage start,
    the unique key that makes the warning job say it once, whoever runs it."""

    __tablename__ = "outage_warnings"
    __table_args__ = (UniqueConstraint("point_id", "starts_at", name="uq_outage_warning"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmergencyShutdown(Base):
    """Emergency shutdowns declared in a power company's region (`provider`): its schedules do
    not hold from `started_at` until `ended_at`. At most one is open per provider at a time (a
    partial unique index), so two coordinators declaring at once make one."""

    __tablename__ = "emergency_shutdowns"
    __table_args__ = (
        Index(
            "uq_emergency_shutdown_open",
            "provider",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column()
    started_by: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
