"""The retry schedule of every channel, in one place: after a failed attempt, wait 30 s × 4^(n−1)
(30 s, 2 min, 8 min, 32 min, then every hour), each with up to a quarter more at random, so that
a destination coming back is not hit by every sender at the same second; after MAX_ATTEMPTS the
delivery is failed with its last error. A destination that says when to come back (Telegram's
`retry_after`) is believed, with the same jitter.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from nezlam.channels.interface import Delivered, Failed, Outcome, Settlement

MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
GROWTH = 4
JITTER = 0.25


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s × 4^(attempts−1), at most an
    hour, plus up to 25 % jitter (never less, so the schedule is a lower bound)."""
    base = min(FIRST_DELAY * GROWTH ** (attempts - 1), MAX_DELAY)
    return jittered(base, rng)


def jittered(wait: timedelta, rng: random.Random | None = None) -> timedelta:
    return wait * (1 + JITTER * (rng or random).random())


def settlement(
    outcome: Outcome, attempts: int, now: datetime, rng: random.Random | None = None
) -> Settlement:
    """What to record for an attempt (the `attempts`-th) that ended with `outcome`."""
    if isinstance(outcome, Delivered):
        return Settlement("delivered", now, delivered_at=now)
    if isinstance(outcome, Failed) or attempts >= MAX_ATTEMPTS:
        return Settlement("failed", now, last_error=outcome.reason)
    wait = jittered(outcome.after, rng) if outcome.after else retry_delay(attempts, rng)
    return Settlement("pending", now + wait, last_error=outcome.reason)
