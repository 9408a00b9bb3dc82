"""Signed webhooks, the first channel: POST each notification to the URLs that asked for it.

A 2xx is delivered; anything else (a redirect too: a signed POST is not replayed elsewhere, a
timeout, a refused connection) is retried on the dispatcher's schedule (retry.py). The
deliveries wait in `webhook_deliveries`, one per webhook that wants the notification, written
with the report that caused it (store/notifications.py). A receiver dedupes on
`X-Nezlam-Delivery`.

The body is signed with HMAC-SHA256 over "<timestamp>.<body>" with the webhook's secret, the
scheme of Stripe and GitHub: the receiver can check who sent it and refuse old replays. Webhooks
only send: `receive` is the interface's, answering nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

import orjson

from nezlam.channels.interface import (
    DELIVERED,
    Channel,
    Delivery,
    Failed,
    Notice,
    Outcome,
    RetryLater,
    Settlement,
)
from nezlam.channels.notices import notice_of
from nezlam.store import notifications
from nezlam.store.db import Database

TIMEOUT_S = 5.0
SIGNATURE_HEADER = "X-Nezlam-Signature"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Nezlam-Signature` value: "sha256=" and the hex HMAC of "<timestamp>.<body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def payload(notice: Notice) -> bytes:
    """The JSON body for one notice (docs/webhooks.md), keys sorted."""
    body = {
        "id": notice.id,
        "kind": notice.kind,
        "point": notice.point,
        "at": notice.at.isoformat(),
    }
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: a signed POST is not replayed elsewhere."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """POST and return None on a 2xx, or what went wrong in a few words."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with OPENER.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as answer:
        status = answer.code
    except (OSError, ValueError) as failure:  # refused, unreachable, timed out, bad URL
        return f"{type(failure).__name__}: {failure}"
    return None if 200 <= status < 300 else f"HTTP {status}"


class WebhookOutbox:
    """The `webhook_deliveries` table, through store/notifications.py."""

    def any_due(self, db: Database, now: datetime) -> bool:
        with db.read() as session:
            return notifications.any_due(session, now)

    def claim(self, db: Database, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        with db.write() as session:
            ids = notifications.claim_due(session, now, lease, limit)
        if not ids:
            return []
        with db.read() as session:
            return [delivery_of(row) for row in notifications.claimed(session, ids)]

    def settle(self, db: Database, delivery: Delivery, settlement: Settlement) -> bool:
        with db.write() as session:
            return notifications.settle(
                session,
                delivery.id,
                delivery.lease,
                status=settlement.status,
                next_attempt_at=settlement.next_attempt_at,
                delivered_at=settlement.delivered_at,
                last_error=settlement.last_error,
            )


def delivery_of(row: Any) -> Delivery:
    return Delivery(row.id, row.attempts, row.locked_until, row.url, notice_of(row), row.secret)


class WebhookChannel(Channel):
    name = "webhooks"

    def __init__(self, timeout: float = TIMEOUT_S) -> None:
        self.send_timeout = timeout
        self.outbox = WebhookOutbox()

    def send(self, delivery: Delivery, now: datetime) -> Outcome:
        if delivery.notice is None:
            return Failed("a webhook carries notifications only")
        body = payload(delivery.notice)
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Nezlam-Webhook",
            "X-Nezlam-Timestamp": timestamp,
            "X-Nezlam-Delivery": str(delivery.id),
            SIGNATURE_HEADER: signature(delivery.secret or "", timestamp, body),
        }
        error = post(delivery.destination, body, headers, self.send_timeout)
        return DELIVERED if error is None else RetryLater(error)


def make(_settings: Any = None) -> WebhookChannel:
    """The channel as the registry builds it; webhooks need no settings (each has its URL and
    secret in the database)."""
    return WebhookChannel()
