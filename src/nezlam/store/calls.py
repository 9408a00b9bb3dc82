"""The call queue: stale points a coordinator phones, a claimed batch at a time (the
visitor-signal inbox, which says whom visitors think should be called, is `store.signal_inbox`).

The US hurricane-shelter volunteers learned that keeping status true is mostly phoning, and that
callers must not phone the same shelter twice while another is left out (florence-api #15, #71).
So a coordinator *claims* points; a claim is exclusive while it lives, and one left unfinished
lapses after `claim_for` and its point returns to the pool. Each call's outcome is recorded, and
a confirmed or closed call is a report like any other (source "call").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.points import ReportCreate
from nezlam.domain.vocabulary import CallOutcome, Status, Visibility
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.db import rows_matched
from nezlam.store.points import get_point
from nezlam.store.reports import add_report
from nezlam.store.tables import (
    CallClaim,
    Point,
    User,
    table_of,
)


class ClaimExpired(Conflict):
    """The claim lapsed before the call was recorded; its point went back to the pool."""


class AlreadyRecorded(Conflict):
    """The call was recorded before (a second tap, or a second tab)."""


# A point nobody answered comes back behind the others for this long, so callers try the rest
# before ringing the same silent number again; a wrong number, until someone can fix it.
NO_ANSWER_BACKOFF = timedelta(hours=2)
WRONG_NUMBER_BACKOFF = timedelta(hours=24)
# "Call again later": out of the pool altogether for this long, then back in its place.
CALL_BACK_AFTER = timedelta(hours=1)
MAX_BATCH = 50
NOTE_MAX = 300


@dataclass(frozen=True)
class CallRules:
    """The durations the queue is built from (see `Settings`)."""

    stale_after: timedelta = timedelta(hours=6)
    no_response_after: timedelta = timedelta(hours=24)
    claim_for: timedelta = timedelta(minutes=30)

    @classmethod
    def of(cls, settings: Any) -> CallRules:
        return cls(settings.stale_after, settings.no_response_after, settings.call_claim_for)


# --- Which points wait for a call ----------------------------------------------------------


def in_doubt(now: datetime, rules: CallRules) -> ColumnElement[bool]:
    """SQL for `freshness.shown_status(...)` being unknown, no_response or unconfirmed: the same
    rule, said in SQL so the pool is one query (tests check the two agree)."""
    return or_(
        Point.status.is_(None),
        Point.updated_at.is_(None),
        Point.updated_at <= now - rules.no_response_after,
        and_(
            Point.status == str(Status.OPEN),
            or_(Point.verified_at.is_(None), Point.verified_at <= now - rules.stale_after),
        ),
    )


def is_live(now: datetime) -> ColumnElement[bool]:
    """A claim still being worked: not finished and not lapsed."""
    return and_(CallClaim.finished_at.is_(None), CallClaim.expires_at > now)


def device_alarm() -> ColumnElement[bool]:
    """SQL for `device_snapshot.alarm_raised`: the point's devices went silent, or say the mains
    is gone without a generator, and nobody has confirmed the point since."""
    flag: ColumnElement[bool] = Point.state_times[("devices", "alarm")].as_boolean()
    return flag.is_(True)


def urgency(now: datetime, rules: CallRules) -> tuple[Any, Any]:
    """SQL for (the bucket, how long within it) that orders the pool: first what visitors flagged
    (the oldest flag first), then points whose devices went silent or lost the mains with no
    generator said (issue 12; by when the point was last updated, which the devices' word
    did), then points residents are shown as unconfirmed — said open, not confirmed since —
    the longest unconfirmed first, then the silent, the longest silent first, and last the
    points that never reported (the oldest first): a point nobody has heard of yet is less
    likely to send anyone out in the cold than one the finder shows in doubt."""
    unknown = or_(Point.status.is_(None), Point.updated_at.is_(None))
    silent = Point.updated_at <= now - rules.no_response_after
    bucket = case(
        (Point.flagged_at.is_not(None), 0),
        (device_alarm(), 1),
        (unknown, 4),
        (silent, 3),
        else_=2,
    )
    since = case(
        (Point.flagged_at.is_not(None), Point.flagged_at),
        (device_alarm(), Point.updated_at),
        (unknown, Point.created_at),
        (silent, Point.updated_at),
        else_=func.coalesce(Point.verified_at, Point.updated_at),
    )
    return bucket, since


def pool_query(regions: list[str], now: datetime, rules: CallRules) -> Select[Any]:
    """Points of `regions` in doubt, flagged by visitors or by their devices, with no live
    claim, most urgent first
    (see `urgency`); points called lately without an answer or at a wrong number come after all
    the rest, and "call back later" ones are out of it for CALL_BACK_AFTER. Hidden points are in
    no public view, so nobody is misled by them: not in the pool."""
    claimed = exists().where(CallClaim.point_id == Point.id, is_live(now))
    unanswered = exists().where(
        CallClaim.point_id == Point.id,
        or_(
            and_(
                CallClaim.outcome == str(CallOutcome.NO_ANSWER),
                CallClaim.finished_at > now - NO_ANSWER_BACKOFF,
            ),
            and_(
                CallClaim.outcome == str(CallOutcome.WRONG_NUMBER),
                CallClaim.finished_at > now - WRONG_NUMBER_BACKOFF,
            ),
        ),
    )
    later = exists().where(
        CallClaim.point_id == Point.id,
        CallClaim.outcome == str(CallOutcome.CALL_BACK),
        CallClaim.finished_at > now - CALL_BACK_AFTER,
    )
    bucket, since = urgency(now, rules)
    return (
        select(Point)
        .where(
            Point.region.in_(regions),
            Point.visibility != str(Visibility.HIDDEN),
            or_(in_doubt(now, rules), Point.flagged_at.is_not(None), device_alarm()),
            ~claimed,
            ~later,
        )
        .order_by(unanswered, bucket, since, Point.id)
    )


def pool(
    session: Session, regions: list[str], now: datetime, rules: CallRules, limit: int = 100
) -> list[Point]:
    return list(session.execute(pool_query(regions, now, rules).limit(limit)).scalars())


def pool_size(session: Session, regions: list[str], now: datetime, rules: CallRules) -> int:
    counted = pool_query(regions, now, rules).order_by(None).with_only_columns(func.count())
    return int(session.execute(counted).scalar_one())


# --- Claiming -------------------------------------------------------------------------------


def claim_batch(
    session: Session,
    principal: Principal,
    regions: list[str],
    size: int,
    now: datetime,
    rules: CallRules = CallRules(),
) -> list[CallClaim]:
    """Claim up to `size` points from the pool of `regions` (those the principal coordinates).
    Two coordinators claiming at once never get the same point: on PostgreSQL the candidates
    are locked with SKIP LOCKED and checked again for claims once locked; SQLite has a single
    writer (`Database.write` begins IMMEDIATE)."""
    if not 1 <= size <= MAX_BATCH:
        raise Invalid(f"a batch is 1 to {MAX_BATCH} points", field="size")
    mine = sorted(region for region in set(regions) if principal.coordinates_region(region))
    if not mine:
        raise Forbidden("you coordinate none of these regions", field="region")
    claims: list[CallClaim] = []
    for _attempt in range(3):  # a race on PostgreSQL may leave a batch short: top it up
        wanted = size - len(claims)
        point_ids = _lock_candidates(session, mine, now, rules, wanted)
        claims += [_claim(session, principal, point_id, now, rules) for point_id in point_ids]
        if not point_ids or len(claims) >= size:
            break
    return claims


def _lock_candidates(
    session: Session, regions: list[str], now: datetime, rules: CallRules, size: int
) -> list[str]:
    query = pool_query(regions, now, rules).with_only_columns(Point.id).limit(size)
    if session.get_bind().dialect.name != "postgresql":
        return list(session.execute(query).scalars())
    locked = list(session.execute(query.with_for_update(of=Point, skip_locked=True)).scalars())
    # The query's snapshot may predate a claim committed just before we got the lock; this
    # statement's snapshot does not (READ COMMITTED), and the locks keep it true until commit.
    taken = set(
        session.execute(
            select(CallClaim.point_id).where(CallClaim.point_id.in_(locked), is_live(now))
        ).scalars()
    )
    return [point_id for point_id in locked if point_id not in taken]


def claim_point(
    session: Session,
    principal: Principal,
    point_id: str,
    now: datetime,
    rules: CallRules = CallRules(),
) -> CallClaim:
    """Claim one point to call now (from the signal inbox), pool or not. Your own live claim is
    returned as it is; someone else's is a conflict."""
    point = get_point(session, point_id, for_update=True)
    if not principal.coordinates_region(point.region):
        raise Forbidden("this point is not in your regions", field="point")
    current = session.execute(
        select(CallClaim, User.username)
        .join(User, User.id == CallClaim.user_id)
        .where(CallClaim.point_id == point_id, is_live(now))
    ).first()
    if current is not None:
        claim, username = current
        if claim.user_id == principal.user_id:
            return claim
        raise Conflict(f"{username} is already calling this point", field="point")
    return _claim(session, principal, point_id, now, rules)


def _claim(
    session: Session, principal: Principal, point_id: str, now: datetime, rules: CallRules
) -> CallClaim:
    claim = CallClaim(
        point_id=point_id,
        user_id=principal.user_id,
        claimed_at=now,
        expires_at=now + rules.claim_for,
    )
    session.add(claim)
    session.flush()
    _audit(session, principal, point_id, "claim", {"claim": claim.id}, now)
    return claim


def _audit(
    session: Session,
    principal: Principal,
    point_id: str,
    action: str,
    after: dict[str, Any],
    now: datetime,
) -> None:
    actor = Actor.of(principal)
    audit.record(
        session,
        actor=actor,
        entity="point",
        entity_id=point_id,
        action=action,
        before=None,
        after=after,
        at=now,
    )


# --- Recording a call -------------------------------------------------------------------------


def record_call(
    session: Session,
    claim_id: int,
    outcome: str,
    note: str | None,
    principal: Principal,
    now: datetime,
) -> tuple[CallClaim, Any | None]:
    """Record how the call went, by the claim's owner while the claim lives. Returns the claim
    and the point as written by its report (None for no answer), for the index.

    confirmed: a "still current" report (sets verified_at; a never-reported point is reported
    open, as the button says); closed, full, standby: a report of that status; no_answer,
    wrong_number, call_back: only recorded (they change the point's place in the pool)."""
    kind = _outcome(outcome)
    note = _note(note)
    claim = session.get(CallClaim, claim_id)
    if claim is None:
        raise NotFound(f"no call claim {claim_id}", field="claim")
    if claim.user_id != principal.user_id:
        raise Forbidden("this call is claimed by someone else", field="claim")
    point = get_point(session, claim.point_id, for_update=True)
    if not principal.coordinates_region(point.region):
        raise Forbidden("this point is not in your regions", field="point")
    _finish(session, claim, kind, note, now)
    report = _report_for(kind, point)
    written = None
    if report is not None:
        _report, _created, written = add_report(
            session, point.id, report, Actor.of(principal), source="call", now=now
        )
    _audit(session, principal, claim.point_id, "call", _call_entry(claim, kind, note), now)
    return claim, written


def _outcome(raw: str) -> CallOutcome:
    try:
        return CallOutcome(raw)
    except ValueError:
        choices = ", ".join(CallOutcome)
        raise Invalid(f"outcome must be one of {choices}", field="outcome") from None


def _note(raw: str | None) -> str | None:
    note = (raw or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"a note is at most {NOTE_MAX} characters", field="note")
    return note or None


def _finish(
    session: Session, claim: CallClaim, kind: CallOutcome, note: str | None, now: datetime
) -> None:
    """Finish the claim if it is still live: a conditional UPDATE and its row count, so a late
    or repeated answer is refused the same way on both databases."""
    claims = table_of(CallClaim)
    done = rows_matched(
        session.execute(
            update(claims)
            .where(
                claims.c.id == claim.id,
                claims.c.finished_at.is_(None),
                claims.c.expires_at > now,
            )
            .values(finished_at=now, outcome=str(kind), note=note)
        )
    )
    session.refresh(claim)  # as it is now, whoever got there first
    if done != 1:
        if claim.finished_at is not None:
            raise AlreadyRecorded("this call is already recorded", field="claim")
        raise ClaimExpired("your claim expired; claim again", field="claim")


# Someone answered and said what the point is now: a status report like any other.
STATED = {
    CallOutcome.CLOSED: Status.CLOSED,
    CallOutcome.FULL: Status.FULL,
    CallOutcome.STANDBY: Status.STANDBY,
}


def _report_for(kind: CallOutcome, point: Point) -> ReportCreate | None:
    if kind == CallOutcome.CONFIRMED:
        if point.status is None:
            return ReportCreate(status=Status.OPEN, verify=True)
        return ReportCreate(verify=True)
    if kind in STATED:
        return ReportCreate(status=STATED[kind])
    return None  # no answer, a wrong number, call back later: only recorded


def _call_entry(claim: CallClaim, kind: CallOutcome, note: str | None) -> dict[str, Any]:
    return {"claim": claim.id, "outcome": str(kind), "note": note}
