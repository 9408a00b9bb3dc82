"""The table of the points' devices (migration 0009, issue 12's heartbeats): one row per device
key, with the device's last-known facts beside it, so that a ping is one indexed read and one
update of one row; and the stops of a mobile point's schedule (migration 0013), which its
device's position is held against.

Import it from `nezlam.store.tables`, which imports this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nezlam.store.table_base import Base, BigId, utcnow


class DeviceKey(Base):
    """A device that pings for a point. Only the SHA-256 of its key is kept (as for API tokens):
    the key is shown once, when made. A revoked key is refused and its device left out of what
    the point's devices say; its row stays, for the audit log's sake.

    `last_seen_at` is the device's last ping, the one column most pings write; the facts after
    it change only when the device says something new (`domain.device_facts.after_ping`). No
    index holds `last_seen_at`, so PostgreSQL updates the row in place (a HOT update)."""

    __tablename__ = "device_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the key's start, to tell keys apart
    powered_by: Mapped[str] = mapped_column(String(8), default="mains")  # mains, battery
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    # A probe instead of a device (`nezlam probe run`): the host:port of the point's own
    # internet link, whose answer to a TCP connect is recorded as this device's ping.
    probe_address: Mapped[str | None] = mapped_column(String(255))

    last_seen_at: Mapped[datetime | None] = mapped_column()
    online_since: Mapped[datetime | None] = mapped_column()
    power: Mapped[str | None] = mapped_column(String(16))  # grid, battery, generator
    power_since: Mapped[datetime | None] = mapped_column()
    battery_pct: Mapped[int | None] = mapped_column(Integer)
    internet: Mapped[bool | None] = mapped_column(Boolean)
    internet_since: Mapped[datetime | None] = mapped_column()
    occupancy: Mapped[int | None] = mapped_column(Integer)


class PointStop(Base):
    """Where a mobile point will stand and when (migration 0013): a stop of its schedule, from
    `starts_at` to `ends_at`, at (lat, lon), with the place as people call it. `off_stop_at` is
    when its device was first seen far from it during the stop (coordinators were told)."""

    __tablename__ = "point_stops"
    __table_args__ = (Index("ix_point_stops_point_ends", "point_id", "ends_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    place: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    off_stop_at: Mapped[datetime | None] = mapped_column()
