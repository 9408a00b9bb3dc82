"""Signed webhooks: POST each notification to the URLs that asked for it, retrying with backoff.

`deliver_due(db, now)` does one round: claim the deliveries that are due (a lease, so several
server processes never send the same one; see `store.notifications`), POST each, and record
the outcome — a 2xx is delivered; anything else is tried again after 30 s, 2 min, 8 min, 32 min
and then every hour (each with up to a quarter more, at random, so that receivers coming back
are not hit by every sender at once), and after MAX_ATTEMPTS it is `failed` with its last error.
Each server process runs rounds in a background thread (`Dispatcher`); `nezlam webhook deliver`
runs one from cron. Delivery is at least once: a receiver dedupes on `X-Nezlam-Delivery`.

The body is signed with HMAC-SHA256 over "<timestamp>.<body>" with the webhook's secret, the
scheme of Stripe and GitHub: the receiver can check who sent it and refuse old replays.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from nezlam.domain.vocabulary import Visibility
from nezlam.store import notifications
from nezlam.store.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
TIMEOUT_S = 5.0
PER_ROUND = 20
# Long enough to send a whole round to receivers that all time out.
LEASE = timedelta(seconds=TIMEOUT_S * PER_ROUND + 60)
SIGNATURE_HEADER = "X-Nezlam-Signature"


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s × 4^(attempts−1), at most an
    hour, plus up to 25 % jitter (never less, so the schedule is a lower bound)."""
    base = min(FIRST_DELAY * 4 ** (attempts - 1), MAX_DELAY)
    return base * (1 + 0.25 * (rng or random).random())


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Nezlam-Signature` value: "sha256=" and the hex HMAC of "<timestamp>.<body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def payload(row: Any) -> bytes:
    """The JSON body for one claimed delivery. The point's state is as it was when it turned;
    a point not plainly public (protected or hidden) never gives its address or coordinates."""
    point = row.Point
    about: dict[str, Any] = {
        "id": point.id,
        "name": point.name,
        "region": point.region,
        "locality": point.locality,
        **(row.details or {}),
    }
    if point.visibility == Visibility.PUBLIC:
        about.update(lat=point.lat, lon=point.lon, address=point.address)
    body = {"id": row.notification_id, "kind": row.kind, "point": about, "at": row.at.isoformat()}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: a signed POST is not replayed elsewhere."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
    """POST and return None on a 2xx, or what went wrong in a few words."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as answer:
        status = answer.code
    except (OSError, ValueError) as failure:  # refused, unreachable, timed out, bad URL
        return f"{type(failure).__name__}: {failure}"
    return None if 200 <= status < 300 else f"HTTP {status}"


@dataclass
class Round:
    """What one round did, by delivery id."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def deliver_due(
    db: Database,
    now: datetime,
    *,
    limit: int = PER_ROUND,
    timeout: float = TIMEOUT_S,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
) -> Round:
    """Send the deliveries due at `now`, once each, and record each outcome."""
    done = Round()
    with db.read() as session:
        if not notifications.any_due(session, now):
            return done
    with db.write() as session:
        ids = notifications.claim_due(session, now, LEASE, limit)
    if not ids:
        return done
    with db.read() as session:
        rows = notifications.claimed(session, ids)
    for row in rows:
        if stop is not None and stop.is_set():
            break  # the lease runs out and another round takes the rest
        _attempt(db, row, now, timeout, rng, done)
    return done


def _attempt(
    db: Database,
    row: Any,
    now: datetime,
    timeout: float,
    rng: random.Random | None,
    done: Round,
) -> None:
    body = payload(row)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Nezlam-Webhook",
        "X-Nezlam-Timestamp": timestamp,
        "X-Nezlam-Delivery": str(row.id),
        SIGNATURE_HEADER: signature(row.secret, timestamp, body),
    }
    error = post(row.url, body, headers, timeout)
    if error is None:
        outcome = {"status": "delivered", "next_attempt_at": now, "delivered_at": now}
        bucket = done.delivered
    elif row.attempts >= MAX_ATTEMPTS:
        outcome = {"status": "failed", "next_attempt_at": now, "last_error": error}
        bucket = done.failed
    else:
        later = now + retry_delay(row.attempts, rng)
        outcome = {"status": "pending", "next_attempt_at": later, "last_error": error}
        bucket = done.retrying
    with db.write() as session:
        if notifications.settle(session, row.id, row.locked_until, **outcome):
            bucket.append(row.id)
        else:
            log.warning(
                "webhook delivery %s: lease ran out before its outcome was recorded", row.id
            )


class Dispatcher:
    """Runs `deliver_due` every `interval` seconds in a thread of this process, until stopped."""

    def __init__(self, db: Database, clock: Callable[[], datetime], interval: float = 5.0) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="nezlam-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_S + 5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                deliver_due(self.db, self.clock(), stop=self._stop)
            except Exception:  # the database may be away for a while: try again next time
                log.exception("webhook round failed")
