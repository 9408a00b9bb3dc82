"""The outbox of the channels whose messages are words, not notifications (SMS, Telegram): due
messages claimed under a lease, settled, and deleted once sent or given up."""

from __future__ import annotations

from datetime import datetime, timedelta

from nezlam.channels.interface import Delivery, Settlement
from nezlam.store import message_outbox
from nezlam.store.db import Database


class QueuedMessages:
    """A channel's messages waiting in `outbox_messages` (store/message_outbox.py): an SMS
    answer, a chat's alert, one message of a broadcast."""

    def __init__(self, name: str) -> None:
        self.name = name

    def any_due(self, db: Database, now: datetime) -> bool:
        with db.read() as session:
            return message_outbox.any_due(session, self.name, now)

    def claim(self, db: Database, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        with db.write() as session:
            rows = message_outbox.claim_due(session, self.name, now, lease, limit)
        return [
            Delivery(row.id, row.attempts, row.locked_until, row.destination, None, text=row.text)
            for row in rows
        ]

    def settle(self, db: Database, delivery: Delivery, settlement: Settlement) -> bool:
        with db.write() as session:
            if settlement.status == "pending":
                return message_outbox.retry_at(
                    session,
                    delivery.id,
                    delivery.lease,
                    settlement.next_attempt_at,
                    settlement.last_error,
                )
            return message_outbox.finish(session, delivery.id, delivery.lease)
