"""The database schema: SQLAlchemy 2 typed models, the same on SQLite and PostgreSQL.

Reports, signals and the audit log are append-only histories (a trigger refuses UPDATE and
DELETE); a point row carries the current state derived from its latest reports, so reading a point
never replays history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite has no BIGINT autoincrement; INTEGER PRIMARY KEY is its 64-bit rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back aware UTC datetimes (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for insert() and update(): SQLAlchemy types
    `__table__` as any FromClause, which a declarative class's always is a Table of."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


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


# --- The workspace (issue 4): needs, calls, inspections, onboarding, notifications -------------


class Need(Base):
    """What a point lacks, posted by whoever runs it: an item, how much, how urgently."""

    __tablename__ = "needs"
    __table_args__ = (Index("ix_needs_status_urgency", "status", "urgency"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    item: Mapped[str] = mapped_column(String(32))  # vocabulary.NeedItem
    details: Mapped[str | None] = mapped_column(String(300))
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16))  # vocabulary.Urgency
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, met, cancelled
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column()


class Pledge(Base):
    """An organisation's promise to bring (part of) a need, and whether it arrived."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    quantity: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(
        String(16), default="pledged"
    )  # pledged, delivered, withdrawn
    pledged_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class CallClaim(Base):
    """A coordinator's claim on a stale point to call it. Unfinished claims lapse at
    `expires_at` and the point returns to the pool; a finished one records the call's outcome."""

    __tablename__ = "call_claims"
    __table_args__ = (Index("ix_call_claims_point_expires", "point_id", "expires_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(16))  # vocabulary.CallOutcome
    note: Mapped[str | None] = mapped_column(String(300))


class Inspection(Base):
    """A visit with the checklist: each item passed or failed. Passing sets the point's
    `verified_at`; each failed item becomes a follow-up task."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    inspector_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    results: Mapped[dict[str, Any]] = mapped_column()  # {"generator": true, "heating": false, ...}
    notes: Mapped[str | None] = mapped_column(String(1000))
    passed: Mapped[bool] = mapped_column(Boolean)


class FollowUpTask(Base):
    __tablename__ = "follow_up_tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE")
    )
    item: Mapped[str] = mapped_column(String(32))  # vocabulary.InspectionItem
    note: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    priority: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")
    due_at: Mapped[datetime | None] = mapped_column()
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Application(Base):
    """An organisation asking to open point(s) itself. Its points stay hidden from every public
    view until a coordinator of `region` approves the application."""

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_region_status", "region", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the applicant's account
    region: Mapped[str] = mapped_column(String(120))
    contact_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str | None] = mapped_column(String(1000))
    point_ids: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/approved/rejected
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(String(500))


class Notification(Base):
    """Something coordinators must see: a point turned full, closed, without power or low on
    fuel. Written in the same transaction as the report that caused it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_region_at", "region", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # vocabulary.NotificationKind
    at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Webhook(Base):
    """A URL told about notifications, each POST signed with HMAC-SHA256 over its body."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(120))  # None: every region
    kinds: Mapped[list[str] | None] = mapped_column(JSON)  # None: every kind
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending/delivered/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))


class PasswordReset(Base):
    """A one-time link a coordinator or admin hands to a user; only its SHA-256 is kept."""

    __tablename__ = "password_resets"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
