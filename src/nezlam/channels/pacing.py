"""How fast a channel may talk, in one place: sends paced per destination and overall (Telegram
allows about 1 message a second to one chat and 30 a second in all), and inbound messages
limited per sender (each SMS answer costs money; a flood gets no answers).

Both count in this process, on a monotonic clock that tests replace: with several server
processes each paces its own sends, so a channel with a hard overall limit is sent from one
process (NEZLAM_WEBHOOK_DISPATCH=false everywhere and `nezlam webhook deliver` from cron, or a
rate divided by the processes).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MAX_REMEMBERED = 10_000  # destinations or senders kept before the idle ones are forgotten


@dataclass(frozen=True)
class Pacing:
    per_destination: float = 0.0
    """Seconds between two sends to one destination (0: none)."""
    overall: float = 0.0
    """Seconds between any two sends of the channel (0: none)."""
    answers: int = 20
    """Inbound messages one sender is answered in `answers_per` seconds."""
    answers_per: float = 60.0

    @property
    def longest_wait(self) -> float:
        """The most one send may wait for its turn (what a round's lease must allow for)."""
        return max(self.per_destination, self.overall)


def pause(seconds: float) -> bool:
    """Wait `seconds`, with no one to say stop (a `Pacer`'s wait outside a dispatcher)."""
    time.sleep(seconds)
    return False


class Pacer:
    """Holds each send back until the channel's pacing allows it. `wait(seconds)` returns True
    when the dispatcher is stopping (a `threading.Event.wait`), which ends the wait early."""

    def __init__(
        self,
        pacing: Pacing,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], bool] = pause,
    ) -> None:
        self.pacing, self.clock, self.wait = pacing, clock, wait
        self.next_any = float("-inf")
        self.next_for: dict[str, float] = {}

    def take_turn(self, destination: str) -> bool:
        """Wait until `destination` may be sent to, and count the send; False if stopped."""
        turn = max(self.next_any, self.next_for.get(destination, float("-inf")))
        delay = turn - self.clock()
        if delay > 0 and self.wait(delay):
            return False
        now = self.clock()
        self.next_any = now + self.pacing.overall
        self._forget_idle(now)
        if self.pacing.per_destination:
            self.next_for[destination] = now + self.pacing.per_destination
        return True

    def hold(self, destination: str, seconds: float) -> None:
        """The destination asked for nothing more for `seconds` (a 429 with `retry_after`)."""
        until = self.clock() + seconds
        self.next_for[destination] = max(self.next_for.get(destination, until), until)

    def _forget_idle(self, now: float) -> None:
        if len(self.next_for) >= MAX_REMEMBERED:
            self.next_for = {key: at for key, at in self.next_for.items() if at > now}


class SenderLimit:
    """At most `pacing.answers` answers per sender in a sliding window. Senders are told apart
    by a keyed hash made with a key that lives only in this process's memory, so not even the
    memory holds a phone number."""

    def __init__(self, pacing: Pacing, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = pacing.answers, pacing.answers_per, clock
        self._key = secrets.token_bytes(32)
        self._hits: dict[bytes, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, sender: str) -> bool:
        """Count one message from `sender`; False (not counted) when they are over the limit."""
        key = hmac.new(self._key, sender.encode(), hashlib.sha256).digest()[:16]
        now = self.clock()
        with self._lock:
            if key not in self._hits and len(self._hits) >= MAX_REMEMBERED:
                self._forget_idle(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        self._hits = {k: h for k, h in self._hits.items() if h and h[-1] > now - self.window}
