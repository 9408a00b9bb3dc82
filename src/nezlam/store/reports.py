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
from nezlam.domain.notifications import turned_into
from nezlam.domain.points import ReportCreate, check_plausible
from nezlam.domain.reporting import REPORTED_FIELDS, apply_report
from nezlam.store import audit, notifications
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
    postgres = session.get_bind().dialect.name == "postgresql"
    query = SELECT_POINT_FOR_UPDATE if postgres else SELECT_POINT
    found = session.execute(query, {"point_id": point_id}).first()
    if found is None:
        raise NotFound(f"no point with id {point_id!r}", field="id")
    point = SimpleNamespace(**found._mapping)
    if authorize is not None:
        authorize(point)
    fingerprint = request_fingerprint(report)
    if idempotency_key:
        earlier = find_by_key(session, point_id, idempotency_key)
        if earlier is not None:
            if earlier.request_hash != fingerprint:
                raise Conflict(
                    "this Idempotency-Key was already used with a different report",
                    field="Idempotency-Key",
                )
            return earlier, False, point
    before = {name: audit.plain(getattr(point, name)) for name in STATE_FIELDS}
    effective_at = effective_time(report.client_time, report.sent_at, now)
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
    values = {
        "point_id": point_id,
        "received_at": now,
        "client_time": report.client_time,
        "effective_at": effective_at,
        "reporter_user_id": actor.user_id,
        "reporter_token_id": actor.token_id,
        "source": source,
        "idempotency_key": idempotency_key,
        "request_hash": fingerprint,
        "verify": report.verify,
        **{name: getattr(report, name) for name in REPORTED_FIELDS},
        # The count that resulted, also from a step (None when a newer count replaced it).
        "occupancy": changes.get("occupancy", report.occupancy),
    }
    values["status"] = str(values["status"]) if values["status"] is not None else None
    values["power"] = str(values["power"]) if values["power"] is not None else None
    report_id = session.execute(INSERT_REPORT, values).scalar()
    vars(point).update(changes)
    session.execute(
        UPDATE_POINT,
        {"b_point_id": point_id, **{f"b_{name}": getattr(point, name) for name in WRITTEN}},
    )
    _forget_loaded_point(session, point_id)
    audit.record(
        session,
        actor=actor,
        entity="point",
        entity_id=point_id,
        action="verify" if report.verify else "report",
        before=before,
        after={name: audit.plain(getattr(point, name)) for name in STATE_FIELDS},
        at=now,
    )
    # Most reports turn nothing: a few comparisons, no query. A turn is recorded in this
    # transaction, so it stands or falls with the report (a batch retried alone rolls back first).
    rules = notifications.rules_of(session)
    turned = turned_into(before, vars(point), rules.low_fuel_litres)
    if turned:
        notifications.notify(session, point, turned, now, rules)
    stored = SimpleNamespace(id=report_id, superseded=outcome.superseded, **values)
    return stored, True, point


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
