"""The dispatcher: sends every channel's due deliveries, the same way for all of them.

A round of one channel claims its due deliveries under a lease (so that several server processes
never send the same one at once; they are in the database, so they survive a restart), sends
each when its pacing allows (pacing.py), and records each outcome through the one retry schedule
(retry.py). Delivery is at least once: a process that dies after a destination took a message and
before it recorded that leaves it to be sent again when the lease runs out, with the same
delivery id for the destination to dedupe on.

Each server process runs rounds in a thread per channel (`Dispatcher`, named `nezlam-<channel>`,
so a slow channel never holds up another); `nezlam webhook deliver` runs one round of each from
cron (`deliver_due`).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nezlam.channels import built_in, retry
from nezlam.channels.interface import Channel, Delivery, Outcome, RetryLater, Settlement
from nezlam.channels.pacing import Pacer, pause
from nezlam.store.db import Database

log = logging.getLogger(__name__)

PER_ROUND = 20
LEASE_MARGIN = timedelta(seconds=60)

Sent = tuple[str, int]
"""(channel name, delivery id): ids are a channel's own."""


@dataclass
class Round:
    """What one round did."""

    delivered: list[Sent] = field(default_factory=list)
    retrying: list[Sent] = field(default_factory=list)
    failed: list[Sent] = field(default_factory=list)
    claimed: int = 0

    def add(self, other: Round) -> None:
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.claimed += other.claimed


def lease_for(channel: Channel, limit: int) -> timedelta:
    """Long enough to send a whole round to destinations that all time out, each after waiting
    its turn."""
    per_send = channel.send_timeout + channel.pacing.longest_wait
    return timedelta(seconds=per_send * limit) + LEASE_MARGIN


def deliver_due(
    db: Database,
    now: datetime,
    channels: Sequence[Channel] | None = None,
    *,
    limit: int = PER_ROUND,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
) -> Round:
    """One round of each channel (the built-in ones unless given) at `now`."""
    done = Round()
    for channel in built_in() if channels is None else channels:
        done.add(run_round(db, channel, now, limit=limit, rng=rng, stop=stop))
    return done


def run_round(
    db: Database,
    channel: Channel,
    now: datetime,
    *,
    limit: int = PER_ROUND,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
    pacer: Pacer | None = None,
) -> Round:
    """Send the channel's deliveries due at `now`, once each, and record each outcome."""
    done = Round()
    if not channel.outbox.any_due(db, now):
        return done
    deliveries = channel.outbox.claim(db, now, lease_for(channel, limit), limit)
    done.claimed = len(deliveries)
    pacer = pacer or Pacer(channel.pacing, wait=stop.wait if stop else pause)
    for delivery in deliveries:
        if (stop is not None and stop.is_set()) or not pacer.take_turn(delivery.destination):
            break  # stopping: the lease runs out and another round takes the rest
        outcome = attempt(channel, delivery, now)
        if isinstance(outcome, RetryLater) and outcome.after:
            pacer.hold(delivery.destination, outcome.after.total_seconds())
        settlement = retry.settlement(outcome, delivery.attempts, now, rng)
        record(db, channel, delivery, settlement, done)
    return done


def attempt(channel: Channel, delivery: Delivery, now: datetime) -> Outcome:
    """The channel's send; an error it did not expect is one more reason to try again later,
    never the end of the round."""
    try:
        return channel.send(delivery, now)
    except Exception as error:
        log.exception("%s delivery %s: sending raised", channel.name, delivery.id)
        return RetryLater(f"{type(error).__name__}: {error}")


def record(
    db: Database, channel: Channel, delivery: Delivery, settlement: Settlement, done: Round
) -> None:
    if not channel.outbox.settle(db, delivery, settlement):
        name, number = channel.name, delivery.id
        log.warning("%s delivery %s: lease ran out before its outcome was recorded", name, number)
        return
    if settlement.status == "delivered":
        done.delivered.append((channel.name, delivery.id))
    elif settlement.status == "failed":
        done.failed.append((channel.name, delivery.id))
    else:
        done.retrying.append((channel.name, delivery.id))


class Dispatcher:
    """Runs rounds of each channel every `interval` seconds, in a thread per channel of this
    process, until stopped; a round that claimed a full batch is followed by the next at once."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        interval: float = 5.0,
        channels: Sequence[Channel] | None = None,
    ) -> None:
        self.db, self.clock, self.interval = db, clock, interval
        self.channels = list(built_in() if channels is None else channels)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._wakes = {channel.name: threading.Event() for channel in self.channels}

    def start(self) -> None:
        self._stop.clear()
        for channel in self.channels:
            thread = threading.Thread(
                target=self._run, args=(channel,), name=f"nezlam-{channel.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def wake(self, name: str) -> None:
        """Run a round of channel `name` now, not at its next interval (a message was queued
        that someone is waiting for)."""
        wake = self._wakes.get(name)
        if wake is not None:
            wake.set()

    def stop(self) -> None:
        self._stop.set()
        for wake in self._wakes.values():
            wake.set()
        for channel, thread in zip(self.channels, self._threads, strict=False):
            thread.join(timeout=channel.send_timeout + 5)
        self._threads = []

    def _run(self, channel: Channel) -> None:
        pacer = Pacer(channel.pacing, wait=self._stop.wait)  # kept across rounds
        wait = self.interval
        wake = self._wakes[channel.name]
        while True:
            wake.wait(wait)
            wake.clear()
            if self._stop.is_set():
                break
            try:
                done = run_round(self.db, channel, self.clock(), stop=self._stop, pacer=pacer)
            except Exception:  # the database may be away for a while: try again next time
                log.exception("%s round failed", channel.name)
                done = Round()
            wait = 0 if done.claimed >= PER_ROUND else self.interval
