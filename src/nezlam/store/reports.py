"""Status reports: append a report, derive the point's current state from it, once per key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict
from nezlam.domain.points import ReportCreate
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.db import next_change_seq
from nezlam.store.points import STATE_FIELDS, get_point
from nezlam.store.tables import Point, StatusReport, utcnow

REPORTED_FIELDS = ("status", "power", "heating", "internet", "occupancy", "fuel_litres")


def request_fingerprint(report: ReportCreate) -> str:
    """Same key with a different body is a client bug, not a retry: we compare fingerprints."""
    body = report.model_dump(mode="json", exclude_unset=True)
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def find_by_key(session: Session, point_id: str, key: str) -> StatusReport | None:
    return session.execute(
        select(StatusReport).where(
            StatusReport.point_id == point_id, StatusReport.idempotency_key == key
        )
    ).scalar_one_or_none()


def add_report(
    session: Session,
    point_id: str,
    report: ReportCreate,
    actor: Actor,
    *,
    idempotency_key: str | None = None,
    source: str = "api",
    now: datetime | None = None,
    authorize: Callable[[Point], None] | None = None,
) -> tuple[StatusReport, bool, Point]:
    """Store a report and update the point, in one transaction and few statements. Returns
    (report, created, point); a repeated idempotency key returns the first report and
    created=False. `authorize(point)` may refuse, by raising, before anything is written."""
    now = now or utcnow()
    point = get_point(session, point_id, for_update=True)
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
    # Taken before the point changes, so the point is written once, with its number.
    seq = next_change_seq(session)
    before = audit.snapshot(point, STATE_FIELDS)
    row = StatusReport(
        point_id=point_id,
        received_at=now,
        client_time=report.client_time,
        reporter_user_id=actor.user_id,
        reporter_token_id=actor.token_id,
        source=source,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
        verify=report.verify,
        **{name: getattr(report, name) for name in REPORTED_FIELDS},
    )
    session.add(row)
    for name in REPORTED_FIELDS:
        value = getattr(report, name)
        if value is not None:
            setattr(point, name, str(value) if name in ("status", "power") else value)
    point.updated_at = now
    if report.confirms_status:
        point.verified_at = now
        point.flagged_at = None  # whoever answers for the point has spoken since the visitors
    point.change_seq = seq
    audit.record(
        session,
        actor=actor.label,
        actor_user_id=actor.user_id,
        entity="point",
        entity_id=point_id,
        action="verify" if report.verify else "report",
        before=before,
        after=audit.snapshot(point, STATE_FIELDS),
        at=now,
    )
    session.flush()
    return row, True, point


def history(session: Session, point_id: str, limit: int = 100) -> list[StatusReport]:
    return list(
        session.execute(
            select(StatusReport)
            .where(StatusReport.point_id == point_id)
            .order_by(StatusReport.id.desc())
            .limit(limit)
        ).scalars()
    )
