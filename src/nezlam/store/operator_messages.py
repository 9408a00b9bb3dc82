"""The point's own operators told directly (issue 12): a standby point that must open because
its queue's power goes off soon, or because emergency shutdowns were declared, is told not only
to the coordinators (webhooks, alert chats) but to the people who open it — every active
operator of the point or of its organisation, on each Telegram chat and SMS number they have
linked. Queued in the notification's own transaction as events, put into words by each channel
when it is sent (`channels.operator_words`), as the alert chats' are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nezlam.domain.vocabulary import NotificationKind, Role
from nezlam.store import channel_links, message_outbox
from nezlam.store.tables import RoleGrant, User

# What an operator must act on: the rest (full, closed, no power) they reported themselves.
FOR_OPERATORS = frozenset(
    {
        NotificationKind.OUTAGE_SOON,
        NotificationKind.EMERGENCY_SHUTDOWN,
        NotificationKind.FUEL_RESERVE,  # they measure, and ask for the truck
    }
)
CHANNELS = ("telegram", "sms")


def operators_of(session: Session, point: Any) -> list[int]:
    """The active users who operate the point: by a grant on it, or on its organisation."""
    scope = [RoleGrant.point_id == point.id]
    if point.organisation_id is not None:
        scope.append(RoleGrant.organisation_id == point.organisation_id)
    query = (
        select(RoleGrant.user_id)
        .join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.role == Role.OPERATOR, User.is_active.is_(True), or_(*scope))
        .distinct()
    )
    return sorted(int(user_id) for user_id in session.execute(query).scalars())


def tell_operators(
    session: Session,
    point: Any,
    kinds: Sequence[NotificationKind],
    now: datetime,
    more: Mapping[str, Any] | None = None,
) -> int:
    """Queue an event for each linked chat and number of the point's operators, per kind they
    must act on; returns how many."""
    wanted = [kind for kind in kinds if kind in FOR_OPERATORS]
    if not wanted:
        return 0
    users = operators_of(session, point)
    if not users:
        return 0
    queued = 0
    for channel in CHANNELS:
        addresses = sorted(
            {a for found in channel_links.addresses_by_user(session, users, channel).values()
             for a in found}
        )  # fmt: skip
        for kind in wanted:
            about = {"event": "operator_alert", "kind": str(kind), "point_id": point.id,
                     "names": point.name, **(more or {})}  # fmt: skip
            text = orjson.dumps(about).decode()
            for address in addresses:
                message_outbox.enqueue(session, channel, address, text, now)
                queued += 1
    return queued
