"""Status reports: append a report, derive the point's current state from it, once per key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, NotFound
from nezlam.domain.freshness import effective_time
from nezlam.domain.notifications import residents_turn, turned_into
from nezlam.domain.points import ReportCreate, check_plausible
from nezlam.domain.reporting import REPORTED_FIELDS, Outcome, apply_report
from nezlam.store import audit, notifications, subscriptions
from nezlam.store.actor import Actor
from nezlam.store.db import next_change_seq
from nezlam.store.points import STATE_FIELDS
from nezlam.store.tables import Point, StatusReport, table_of, utcnow

POINTS = table_of(Point)
REPORTS = table_of(StatusReport)


def request_fingerprint(report: ReportCreate) -> str:
    """Same key with a different body is a client bug, not a retry: we compare fingerprints."""
    # sent_at differs on every retry of the same queued tap: it is not part of what was said.
    body = report.model_dump(mode="json", exclude_unset=True, exclude={"sent_at"})
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


# The report path's statements, built once (building one costs more than running it here).
SELECT_POINT = select(POINTS).where(POINTS.c.id == bindparam("point_id"))
SELECT_POINT_FOR_UPDATE = SELECT_POINT.with_for_update()
FIND_BY_KEY = select(REPORTS).where(
    REPORTS.c.point_id == bindparam("point_id"), REPORTS.c.idempotency_key == bindparam("key")
)
INSERT_REPORT = insert(REPORTS).returning(REPORTS.c.id)
WRITTEN = (
    *REPORTED_FIELDS, "updated_at", "verified_at", "flagged_at", "state_times", "change_seq"
)  # fmt: skip
UPDATE_POINT = (
    update(POINTS)
    .where(POINTS.c.id == bindparam("b_point_id"))
    .values({name: bindparam(f"b_{name}") for name in WRITTEN})
)


def find_by_key(session: Session, point_id: str, key: str) -> Row[Any] | None:
    """The report stored under this idempotency key, as a row (attributes by column name)."""
    return session.execute(FIND_BY_KEY, {"point_id": point_id, "key": key}).first()


def lock_points(session: Session, point_ids: list[str]) -> None:
    """Lock several points up front, in id order, so that two writers taking several points
    each can never wait for each other in a circle (PostgreSQL; SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql" and point_ids:
        session.execute(
            select(POINTS.c.id)
            .where(POINTS.c.id.in_(sorted(set(point_ids))))
            .order_by(POINTS.c.id)
            .with_for_update()
        ).all()


def add_report(
    session: Session,
    point_id: str,
    report: ReportCreate,
    actor: Actor,
    *,
    idempotency_key: str | None = None,
    source: str = "api",
    now: datetime | None = None,
    authorize: Callable[[Any], None] | None = None,
) -> tuple[Any, bool, Any]:
    """Store a report and update the point, in one transaction. Returns (report, created,
    point), both with attributes by column name; a repeated idempotency key returns the first
    report and created=False. `authorize(point)` may refuse, by raising, before anything is
    written.

    The hot write path, so SQLAlchemy Core rather than the ORM: six statements and no unit of
    work (see benchmarks/ingest_profile.py)."""
    now = now or utcnow()
    point = _load_point(session, point_id)
    if authorize is not None:
        authorize(point)
    fingerprint = request_fingerprint(report)
    if idempotency_key:
        earlier = _earlier_report(session, point_id, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier, False, point
    stored = _store_new_report(
        session,
        point,
        report,
        actor,
        received_at=now,
        source=source,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
    )
    return stored, True, point


def _store_new_report(
    session: Session,
    point: Any,
    report: ReportCreate,
    actor: Actor,
    *,
    received_at: datetime,
    source: str,
    idempotency_key: str | None,
    request_hash: str,
) -> SimpleNamespace:
    """Apply a report not seen before to the point and store both; the point changes in place.
    Returns the stored report, with attributes by column name."""
    before = {name: audit.plain(getattr(point, name)) for name in STATE_FIELDS}
    effective_at = effective_time(report.client_time, report.sent_at, received_at)
    outcome = _report_outcome(session, point, report, effective_at)
    values = {
        "point_id": point.id,
        "received_at": received_at,
        "client_time": report.client_time,
        "effective_at": effective_at,
        "reporter_user_id": actor.user_id,
        "reporter_token_id": actor.token_id,
        "source": source,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "verify": report.verify,
        **{name: getattr(report, name) for name in REPORTED_FIELDS},
        # The count that resulted, also from a step (None when a newer count replaced it).
        "occupancy": outcome.changes.get("occupancy", report.occupancy),
    }
    values["status"] = str(values["status"]) if values["status"] is not None else None
    values["power"] = str(values["power"]) if values["power"] is not None else None
    report_id = session.execute(INSERT_REPORT, values).scalar()
    action = "verify" if report.verify else "report"
    _update_point(session, point, outcome.changes, actor, action, before, received_at)
    return SimpleNamespace(id=report_id, superseded=outcome.superseded, **values)


def _load_point(session: Session, point_id: str) -> SimpleNamespace:
    """The point as a plain namespace of its columns, locked for this transaction on PostgreSQL
    (SQLite has one writer). NotFound when there is no such point."""
    postgres = session.get_bind().dialect.name == "postgresql"
    query = SELECT_POINT_FOR_UPDATE if postgres else SELECT_POINT
    found = session.execute(query, {"point_id": point_id}).first()
    if found is None:
        raise NotFound(f"no point with id {point_id!r}", field="id")
    return SimpleNamespace(**found._mapping)


def _earlier_report(session: Session, point_id: str, key: str, fingerprint: str) -> Row[Any] | None:
    """The report already stored under this idempotency key, if this is a retry of it; a
    different report under the same key is a Conflict."""
    earlier = find_by_key(session, point_id, key)
    if earlier is not None and earlier.request_hash != fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used with a different report",
            field="Idempotency-Key",
        )
    return earlier


def _report_outcome(
    session: Session, point: Any, report: ReportCreate, effective_at: datetime
) -> Outcome:
    """What the report changes on the point, with the state times and this transaction's change
    number. Fuel or a head count the point cannot hold is refused first, naming its field."""
    outcome = apply_report(point, report, effective_at)
    # Before anything is written (the change counter included): the API and the operator's
    # page both pass here, so a typo is refused the same way on each, naming its field.
    counted = report.occupancy
    if counted is None and (report.occupancy_change or 0) > 0:  # one out is never refused
        counted = outcome.changes.get("occupancy")
    check_plausible(
        report.fuel_litres,
        counted,
        capacity=point.capacity,
        tank_litres=point.fuel_tank_litres,
        occupancy_field="occupancy" if report.occupancy is not None else "occupancy_change",
    )
    changes = outcome.changes
    changes["state_times"] = outcome.state_times
    changes["change_seq"] = next_change_seq(session)
    return outcome


def _update_point(
    session: Session,
    point: Any,
    changes: dict[str, Any],
    actor: Actor,
    action: str,
    before: dict[str, Any],
    at: datetime,
) -> None:
    """Write the report's changes to the point (in memory and in its row), audit them, and
    notify the turns they made (the point closed, fuel ran low, ...)."""
    vars(point).update(changes)
    session.execute(
        UPDATE_POINT,
        {"b_point_id": point.id, **{f"b_{name}": getattr(point, name) for name in WRITTEN}},
    )
    _forget_loaded_point(session, point.id)
    after = {name: audit.plain(getattr(point, name)) for name in STATE_FIELDS}
    audit.record(
        session,
        actor=actor,
        entity="point",
        entity_id=point.id,
        action=action,
        before=before,
        after=after,
        at=at,
    )
    # Most reports turn nothing: a few comparisons, no query. A turn is recorded in this
    # transaction, so it stands or falls with the report (a batch retried alone rolls back first).
    rules = notifications.rules_of(session)
    turned = turned_into(before, vars(point), rules.low_fuel_litres)
    if turned:
        notifications.notify(session, point, turned, at, rules)
    told = residents_turn(before, vars(point))
    if told is not None:
        subscriptions.queue_turn(session, point, told, at)


def _forget_loaded_point(session: Session, point_id: str) -> None:
    """An ORM copy of the point loaded earlier in this session is stale now: reload it on use."""
    loaded = session.identity_map.get(session.identity_key(Point, point_id))
    if loaded is not None:
        session.expire(loaded)


def history(session: Session, point_id: str, limit: int = 100) -> list[StatusReport]:
    return list(
        session.execute(
            select(StatusReport)
            .where(StatusReport.point_id == point_id)
            .order_by(StatusReport.id.desc())
            .limit(limit)
        ).scalars()
    )
