"""The one small interface every message channel implements (webhooks today; Telegram, SMS and
e-mail next): send a notification to a destination and say how it went, and answer a message
someone sent. What every channel shares — retries with backoff, pacing, leases, recording the
outcome — is the dispatcher's (dispatcher.py, retry.py, pacing.py), so a channel only says
how to talk to its kind of destination. See docs/channels.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from nezlam.channels.pacing import Pacing

if TYPE_CHECKING:
    from nezlam.store.db import Database


@dataclass(frozen=True)
class Notice:
    """What happened, as any channel may tell it: a point turned full, closed, without power or
    low on fuel. `point` holds its id, name, region and locality, and its state when it turned;
    its coordinates and address only when it is plainly public (notices.py decides)."""

    id: int
    """The notification's: the same for every destination and in every retry."""
    kind: str
    at: datetime
    point: dict[str, Any]


@dataclass(frozen=True)
class Delivery:
    """One notice on its way to one destination, as the dispatcher claimed it."""

    id: int
    """The delivery's idempotency key: the same in every retry of it, never another's."""
    attempts: int
    """Attempts so far, this one included."""
    lease: datetime
    """It is this process's until then; its outcome is recorded only while it is."""
    destination: str
    """Where it goes (a URL, a chat id, a phone number); what pacing counts by."""
    notice: Notice | None
    """The notification it carries; None for a message's text (`text`: an answer queued for a
    gateway that does not take answers inline)."""
    secret: str | None = field(default=None, repr=False)
    """A key the destination shares with us (a webhook's), to sign with."""
    text: str | None = field(default=None, repr=False)
    """The words of a message that is no notice (an answer to someone who wrote)."""


@dataclass(frozen=True)
class Delivered:
    """The destination took it."""


@dataclass(frozen=True)
class RetryLater:
    """It did not go through this time; it may next time."""

    reason: str
    after: timedelta | None = None
    """The destination's own word on when (Telegram's `retry_after`); else the schedule's."""


@dataclass(frozen=True)
class Failed:
    """It never will go through (a chat that blocked the bot, a number that does not exist):
    no more attempts."""

    reason: str


Outcome = Delivered | RetryLater | Failed
DELIVERED = Delivered()


@dataclass(frozen=True)
class Inbound:
    """A message someone sent to a channel. `sender` is what the channel knows them by (a chat
    id, a phone number): the key of their rate limit, never written anywhere by the dispatcher."""

    sender: str
    text: str = ""
    location: tuple[float, float] | None = None
    """(lat, lon) in degrees WGS84, when they shared a location."""
    language: str | None = None
    """The language their app says they read ("uk", "en"), if it says."""


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[str, ...] = ()
    """Quick answers to offer (a chat's keyboard); a channel without buttons leaves them out."""


@dataclass(frozen=True)
class Settlement:
    """What is recorded for an attempt: delivered, pending (with when to try again) or failed."""

    status: str
    next_attempt_at: datetime
    delivered_at: datetime | None = None
    last_error: str | None = None


class Outbox(Protocol):
    """Where a channel's deliveries wait, in the database: so that due ones survive a restart,
    and several processes never send the same one at once (a lease taken with a conditional
    UPDATE, `FOR UPDATE SKIP LOCKED` on PostgreSQL)."""

    def any_due(self, db: Database, now: datetime) -> bool:
        """A cheap read, so that an idle dispatcher never opens a write transaction."""
        ...

    def claim(self, db: Database, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        """Take up to `limit` due deliveries until `now + lease`, counting the attempt."""
        ...

    def settle(self, db: Database, delivery: Delivery, settlement: Settlement) -> bool:
        """Record the outcome if the lease is still ours (False: it ran out, and another
        process may have taken the delivery)."""
        ...


class Channel:
    """A kind of destination. Subclass it, set `name` and `outbox`, implement `send`, and
    `receive` if people can write to it; list the module in `channels.MODULES`."""

    name: ClassVar[str]
    """What logs and the dispatcher's thread (`nezlam-<name>`) call it."""
    pacing: Pacing = Pacing()
    """How fast it may send, and how often one sender is answered."""
    send_timeout: float = 5.0
    """Seconds one `send` may take at most; the lease of a round is sized by it."""
    outbox: Outbox

    def send(self, delivery: Delivery, now: datetime) -> Outcome:
        """Send one delivery and say how it went. Raising is taken as "retry later" with the
        error as the reason; a send may happen twice (at least once), so pass `delivery.id` on
        where the destination can dedupe on it."""
        raise NotImplementedError

    def receive(self, message: Inbound, now: datetime) -> Reply | None:
        """The answer to a message someone sent, or None to say nothing. A channel that only
        sends (webhooks) keeps this."""
        return None
