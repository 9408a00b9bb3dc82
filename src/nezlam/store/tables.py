"""The database schema: SQLAlchemy 2 typed models, the same on SQLite and PostgreSQL.

Reports, signals and the audit log are append-only histories (a trigger refuses UPDATE and
DELETE); a point row carries the current state derived from its latest reports, so reading a point
never replays history.

Every table, and what they are built on, is imported from here: the declarative base and the
column types are in `table_base`, the coordinators' workspace (needs, calls, inspections,
applications, notifications) in `workspace_tables`, the message channels' in `channel_tables`,
the points' devices in `device_tables`, the power-outage schedules in `outage_tables`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from nezlam.store.channel_tables import (
    AlertChat,
    Broadcast,
    ChannelLink,
    ChatSetting,
    LinkCode,
    OutboxMessage,
    Subscription,
    VisitAnswer,
    VisitComment,
)
from nezlam.store.device_tables import DeviceKey, PointStop
from nezlam.store.fuel_tables import FuelDelivery, PointGenerator
from nezlam.store.outage_tables import (
    EmergencyShutdown,
    OutageImport,
    OutageInterval,
    OutageWarning,
)
from nezlam.store.table_base import Base, BigId, UTCDateTime, table_of, utcnow

# The workspace's tables live in a module of their own; imported here, so that importing this
# module puts every table on Base.metadata (Alembic compares it with the migrations).
from nezlam.store.workspace_tables import (
    Application,
    CallClaim,
    FollowUpTask,
    Inspection,
    Need,
    Notification,
    PasswordReset,
    Pledge,
    Webhook,
    WebhookDelivery,
)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Point(Base):
    __tablename__ = "points"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    name: Mapped[dict[str, Any]] = mapped_column()  # {"uk": ..., "en": ...}; "uk" required
    category: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="stationary")
    anchor: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(40))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    locality: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(120), index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Kyiv")
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    services: Mapped[list[str]] = mapped_column(default=list)
    capacity: Mapped[int | None] = mapped_column(Integer)
    opening_hours: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"uk": ..., "en": ...}
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the public could first see it. A point hidden from the start (an organisation's,
    # awaiting approval) has none, so the feeds never mention it, not even as removed.
    published_at: Mapped[datetime | None] = mapped_column()

    # Current state, derived from the latest reports (see store/reports.py).
    status: Mapped[str | None] = mapped_column(String(16))
    power: Mapped[str | None] = mapped_column(String(16))
    heating: Mapped[bool | None] = mapped_column(Boolean)
    internet: Mapped[bool | None] = mapped_column(Boolean)
    occupancy: Mapped[int | None] = mapped_column(Integer)
    fuel_litres: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime | None] = mapped_column()
    verified_at: Mapped[datetime | None] = mapped_column()
    flagged_at: Mapped[datetime | None] = (
        mapped_column()
    )  # several visitors said something is wrong

    # Per reported field, the effective time of the value shown: a late report never overrides
    # a newer one (store/reports.py). {"status": "2026-12-01T20:00:00Z", ...}
    state_times: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Services an inspection found not working, until fixed: {"heat": {"item": "heating",
    # "since": ISO, "by": "Олена (coordinator)", "note": "..."}}
    faults: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fuel_tank_litres: Mapped[int | None] = mapped_column(Integer)
    # Litres an hour its generators burn (not the backups), kept with them (store.generators):
    # what its runway is read by. None: no generator known, no runway.
    fuel_use_lph: Mapped[float | None] = mapped_column(Float)
    # Whose outage schedule the point's power follows: the provider's region id ("vinnytsia")
    # and its queue ("1.1"), as `nezlam outages import` stores them.
    outage_region: Mapped[str | None] = mapped_column(String(64))
    outage_queue: Mapped[str | None] = mapped_column(String(16))

    # Position in the global change sequence: what pollers and feeds read to see changes.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)


class PointPosition(Base):
    """Where a mobile point has stood, newest last."""

    __tablename__ = "point_positions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class StatusReport(Base):
    __tablename__ = "status_reports"
    __table_args__ = (
        UniqueConstraint("point_id", "idempotency_key", name="uq_report_idempotency"),
        Index("ix_reports_point_received", "point_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="RESTRICT"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    client_time: Mapped[datetime | None] = mapped_column()
    # When the operator tapped: client_time corrected for the device's clock and never after
    # received_at. NULL in rows from before it was kept: those count as received_at.
    effective_at: Mapped[datetime | None] = mapped_column()
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    source: Mapped[str] = mapped_column(String(16), default="api")
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    verify: Mapped[bool] = mapped_column(Boolean, default=False)  # "still current"
    status: Mapped[str | None] = mapped_column(String(16))
    power: Mapped[str | None] = mapped_column(String(16))
    heating: Mapped[bool | None] = mapped_column(Boolean)
    internet: Mapped[bool | None] = mapped_column(Boolean)
    occupancy: Mapped[int | None] = mapped_column(Integer)
    fuel_litres: Mapped[float | None] = mapped_column(Float)


class VisitorSignal(Base):
    """An anonymous visitor's word about a point. Deliberately nothing about the visitor."""

    __tablename__ = "visitor_signals"
    __table_args__ = (Index("ix_signals_point_received", "point_id", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleGrant(Base):
    """One role of a user, with its scope: a region, a point or an organisation's points."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(120))
    point_id: Mapped[str | None] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for an integration or an operator's device; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(120))  # "user:olena", "token:7", "cli", "import"
    entity: Mapped[str] = mapped_column(
        String(32)
    )  # point, report, user, role, token, organisation
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ChangeCounter(Base):
    """One row: the last change sequence number handed out. Bumped in every write transaction
    that changes what the index or the feeds show; holding its row lock until commit makes
    sequence order equal commit order, so a poller never skips a change."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


APPEND_ONLY_TABLES = ("status_reports", "visitor_signals", "audit_log")


class Place(Base):
    """One entry of the address gazetteer: an address, a street or a named place, read from an
    OpenStreetMap file (`source`) or written directly. Re-importing a source replaces its rows."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # address, street, place
    osm_id: Mapped[str | None] = mapped_column(String(24))  # "n123", "w456", "r789"
    name: Mapped[str | None] = mapped_column(String(300))
    names: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"name:uk": ..., "alt_name": ...}
    housenumber: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(String(300))
    locality: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(20))
    place_type: Mapped[str | None] = mapped_column(String(32))  # OSM place=* or highway=* value
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's secret is kept; `csrf_token` must
    come back in a header with every write made with the cookie."""

    __tablename__ = "login_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


__all__ = [
    "APPEND_ONLY_TABLES",
    "AlertChat",
    "ApiToken",
    "Application",
    "AuditEntry",
    "EmergencyShutdown",
    "Base",
    "BigId",
    "Broadcast",
    "CallClaim",
    "ChangeCounter",
    "ChannelLink",
    "ChatSetting",
    "DeviceKey",
    "FollowUpTask",
    "FuelDelivery",
    "Inspection",
    "LinkCode",
    "LoginSession",
    "Need",
    "Notification",
    "Organisation",
    "OutageImport",
    "OutageInterval",
    "OutageWarning",
    "OutboxMessage",
    "PasswordReset",
    "Place",
    "Pledge",
    "Point",
    "PointPosition",
    "PointGenerator",
    "PointStop",
    "RoleGrant",
    "StatusReport",
    "Subscription",
    "UTCDateTime",
    "User",
    "VisitAnswer",
    "VisitComment",
    "VisitorSignal",
    "Webhook",
    "WebhookDelivery",
    "table_of",
    "utcnow",
]
