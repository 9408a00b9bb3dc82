"""Notifications and webhook deliveries: written with the report that caused them, claimed by
the channels' dispatcher (`nezlam.channels.dispatcher`) one lease at a time.

A notification and its deliveries are inserted in the report's own transaction: an acknowledged
report's notification survives a crash, and a refused or rolled-back report leaves none. A
delivery is claimed by setting `locked_until` (a lease) in a short transaction — with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several server processes never take the same one —
sent outside any transaction, and settled with a conditional UPDATE that checks the lease is
still ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from nezlam.domain.errors import Forbidden, NotFound
from nezlam.domain.notifications import NotificationRules, WebhookCreate
from nezlam.domain.permissions import Principal
from nezlam.domain.vocabulary import NotificationKind
from nezlam.store import alert_chats, audit, operator_messages
from nezlam.store.actor import Actor
from nezlam.store.db import NOTIFICATION_RULES, rows_matched
from nezlam.store.tables import Notification, Point, Webhook, WebhookDelivery, table_of, utcnow

NOTIFICATIONS = table_of(Notification)
WEBHOOKS = table_of(Webhook)
DELIVERIES = table_of(WebhookDelivery)


def rules_of(session: Session) -> NotificationRules:
    """The rules a write notifies by: those of the Database whose write() made `session`
    (Database(..., notification_rules=...), from Settings); else the defaults."""
    rules = session.info.get(NOTIFICATION_RULES)
    return rules if isinstance(rules, NotificationRules) else DEFAULT_RULES


DEFAULT_RULES = NotificationRules()


# Built once: they run on the report path whenever a point turns.
INSERT_NOTIFICATION = insert(NOTIFICATIONS).returning(NOTIFICATIONS.c.id)
ACTIVE_WEBHOOKS = select(WEBHOOKS.c.id, WEBHOOKS.c.region, WEBHOOKS.c.kinds).where(
    WEBHOOKS.c.active.is_(True)
)
INSERT_DELIVERY = insert(DELIVERIES)


def notify(
    session: Session,
    point: Any,
    kinds: Sequence[NotificationKind],
    now: datetime,
    rules: NotificationRules,
    more: dict[str, Any] | None = None,
) -> list[int]:
    """Record that `point` (attributes by column name, its state after the report) turned into
    each of `kinds` under `rules`, and queue one delivery per active webhook that wants it.
    `more` is added to the details (an outage's start and end). Returns the ids."""
    details = {
        "status": point.status,
        "power": point.power,
        "fuel_litres": point.fuel_litres,
        "occupancy": point.occupancy,
        "capacity": point.capacity,
        **(more or {}),
    }
    if NotificationKind.LOW_FUEL in kinds:
        details["low_fuel_litres"] = rules.low_fuel_litres
    webhooks = session.execute(ACTIVE_WEBHOOKS).all()
    ids = []
    for kind in kinds:
        values = {"point_id": point.id, "region": point.region, "kind": str(kind), "at": now}
        notification_id = session.execute(INSERT_NOTIFICATION, {**values, "details": details})
        ids.append(int(notification_id.scalar_one()))
        deliveries = [
            {"webhook_id": hook.id, "notification_id": ids[-1], "next_attempt_at": now}
            for hook in webhooks
            if hook.region in (None, point.region) and (hook.kinds is None or kind in hook.kinds)
        ]
        if deliveries:
            session.execute(INSERT_DELIVERY, deliveries)
    alert_chats.queue(session, point, kinds, now, more)
    operator_messages.tell_operators(session, point, kinds, now, more)
    return ids


def _waiting(regions: Iterable[str] | None, kind: str | None = None) -> ColumnElement[bool]:
    """Unacknowledged, in `regions` (None: every region, for an admin), of `kind` if given."""
    condition: ColumnElement[bool] = Notification.acknowledged_at.is_(None)
    if regions is not None:
        condition = and_(condition, Notification.region.in_(list(regions)))
    if kind is not None:
        condition = and_(condition, Notification.kind == kind)
    return condition


def unacknowledged(
    session: Session,
    regions: Iterable[str] | None,
    limit: int = 50,
    *,
    kind: str | None = None,
    before_id: int | None = None,
) -> list[Notification]:
    """Newest first, in `regions` (None: every region, for an admin); of one kind if given,
    and older than `before_id` for the next page."""
    query = select(Notification).where(_waiting(regions, kind))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(session.execute(query.order_by(Notification.id.desc()).limit(limit)).scalars())


@dataclass(frozen=True)
class NotificationGroup:
    """The unacknowledged notifications of one kind: how many, the newest few, and the newest
    id — what "acknowledge all" covers, so that one arriving meanwhile is not swept up unseen."""

    kind: NotificationKind
    count: int
    newest_id: int
    latest: list[Notification]


def unacknowledged_groups(
    session: Session, regions: Iterable[str] | None, newest: int = 3
) -> list[NotificationGroup]:
    """One group per kind that has any, in the order of `NotificationKind`: one counting query,
    then the newest few of each kind."""
    regions = None if regions is None else list(regions)
    counted = session.execute(
        select(Notification.kind, func.count(), func.max(Notification.id))
        .where(_waiting(regions))
        .group_by(Notification.kind)
    ).all()
    found = {str(kind): (int(n), int(top)) for kind, n, top in counted}
    return [
        NotificationGroup(
            kind,
            found[kind][0],
            found[kind][1],
            unacknowledged(session, regions, newest, kind=kind, before_id=found[kind][1] + 1),
        )
        for kind in NotificationKind
        if kind in found
    ]


def acknowledge_all(
    session: Session,
    principal: Principal,
    regions: Iterable[str] | None,
    kind: NotificationKind | None,
    up_to: int,
    now: datetime,
) -> int:
    """Acknowledge every unacknowledged notification (of `kind`, or all kinds) with an id up
    to `up_to` — the newest the coordinator was shown — in `regions` that `principal`
    coordinates. One conditional UPDATE: a notification someone acknowledged meanwhile is not
    taken again, so each is acknowledged and audited once. Returns how many."""
    wanted = None if regions is None else list(regions)
    if wanted is not None:
        wanted = [region for region in wanted if principal.coordinates_region(region)]
    elif not principal.is_admin:
        raise Forbidden("only an admin acknowledges in every region", field="region")
    changed = session.execute(
        update(NOTIFICATIONS)
        .where(
            NOTIFICATIONS.c.acknowledged_at.is_(None),
            NOTIFICATIONS.c.id <= up_to,
            *([NOTIFICATIONS.c.region.in_(wanted)] if wanted is not None else []),
            *([NOTIFICATIONS.c.kind == str(kind)] if kind is not None else []),
        )
        .values(acknowledged_at=now, acknowledged_by=principal.user_id)
        .returning(NOTIFICATIONS.c.id)
    ).scalars()
    ids = sorted(changed)
    if ids:
        _audit_acknowledged(session, ids, Actor.of(principal), kind, now)
    return len(ids)


def _audit_acknowledged(
    session: Session,
    ids: list[int],
    actor: Actor,
    kind: NotificationKind | None,
    now: datetime,
) -> None:
    """An audit row for each notification acknowledged all at once, in one statement."""
    session.execute(
        audit.INSERT_ENTRY,
        [
            {
                "at": now,
                "actor": actor.label,
                "actor_user_id": actor.user_id,
                "entity": "notification",
                "entity_id": str(notification_id),
                "action": "acknowledge",
                "before": {"acknowledged_at": None},
                "after": {"acknowledged_at": now.isoformat(), "all_of": str(kind or "all")},
            }
            for notification_id in ids
        ],
    )


def acknowledge(
    session: Session, notification_id: int, principal: Principal, now: datetime
) -> Notification:
    """A coordinator of the notification's region has seen it; said once, audited."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"no notification {notification_id}", field="notification_id")
    if not principal.coordinates_region(row.region):
        raise Forbidden("this notification is not in your regions", field="notification_id")
    if row.acknowledged_at is None:
        row.acknowledged_at, row.acknowledged_by = now, principal.user_id
        actor = Actor.of(principal)
        audit.record(
            session,
            actor=actor,
            entity="notification",
            entity_id=row.id,
            action="acknowledge",
            before={"acknowledged_at": None},
            after={"acknowledged_at": now.isoformat()},
            at=now,
        )
    return row


def add_webhook(session: Session, data: WebhookCreate, actor: Actor) -> Webhook:
    """Audited without its secret: the audit log is read by more people than the secret's."""
    row = Webhook(
        url=data.url,
        secret=data.secret,
        region=data.region,
        kinds=[str(kind) for kind in data.kinds] if data.kinds else None,
        active=True,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="webhook",
        entity_id=row.id,
        action="create",
        before=None,
        after={"url": row.url, "region": row.region, "kinds": row.kinds, "active": True},
    )
    return row


def disable_webhook(session: Session, webhook_id: int, actor: Actor) -> Webhook:
    """No new deliveries for it; ones already queued are still sent."""
    row = session.get(Webhook, webhook_id)
    if row is None:
        raise NotFound(f"no webhook {webhook_id}", field="webhook_id")
    if row.active:
        row.active = False
        audit.record(
            session,
            actor=actor,
            entity="webhook",
            entity_id=row.id,
            action="disable",
            before={"active": True},
            after={"active": False},
        )
    return row


def webhooks(session: Session) -> list[Webhook]:
    return list(session.execute(select(Webhook).order_by(Webhook.id)).scalars())


def _due(now: datetime) -> Any:
    return and_(
        WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
    )


def any_due(session: Session, now: datetime) -> bool:
    """A cheap read, so that an idle dispatcher never opens a write transaction."""
    return session.execute(select(WebhookDelivery.id).where(_due(now)).limit(1)).first() is not None


def claim_due(session: Session, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Take up to `limit` due deliveries for `lease`, counting the attempt now (a process that
    dies while sending still uses one up). Commit before sending: the lease is the lock."""
    ids = list(
        session.execute(
            select(WebhookDelivery.id)
            .where(_due(now))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(locked_until=now + lease, attempts=WebhookDelivery.attempts + 1)
        )
    return ids


def claimed(session: Session, ids: list[int]) -> list[Row[Any]]:
    """What sending the claimed deliveries needs: the delivery, its notification, webhook and
    point, in one query."""
    return list(
        session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.attempts,
                WebhookDelivery.locked_until,
                Webhook.url,
                Webhook.secret,
                Notification.id.label("notification_id"),
                Notification.kind,
                Notification.at,
                Notification.details,
                Point,
            )
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .join(Notification, Notification.id == WebhookDelivery.notification_id)
            .join(Point, Point.id == Notification.point_id)
            .where(WebhookDelivery.id.in_(ids))
            .order_by(WebhookDelivery.id)
        )
    )


SETTLE = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.id == bindparam("b_id"),
        DELIVERIES.c.locked_until == bindparam("b_lease"),
    )
    .values(
        status=bindparam("status"),
        next_attempt_at=bindparam("next_attempt_at"),
        delivered_at=bindparam("delivered_at"),
        # A delivered one keeps its last error: what went wrong before it went through.
        last_error=func.coalesce(bindparam("last_error"), DELIVERIES.c.last_error),
        locked_until=None,
    )
)


def settle(
    session: Session,
    delivery_id: int,
    lease: datetime,
    *,
    status: str,
    next_attempt_at: datetime,
    delivered_at: datetime | None = None,
    last_error: str | None = None,
) -> bool:
    """Record an attempt's outcome, if the lease is still ours (False: it ran out and another
    process may have taken the delivery; its word counts)."""
    result = session.execute(
        SETTLE,
        {
            "b_id": delivery_id,
            "b_lease": lease,
            "status": status,
            "next_attempt_at": next_attempt_at,
            "delivered_at": delivered_at,
            "last_error": last_error[:300] if last_error else None,
        },
    )
    return bool(rows_matched(result))
