"""The channels' shared parts, apart from any one channel: pacing per destination and overall,
a destination's own "retry after", the per-sender limit on inbound messages, and the dispatcher
recording each outcome through the one retry schedule. The webhook channel, over real HTTP, is
in test_webhooks.py.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from nezlam.channels import retry
from nezlam.channels.dispatcher import run_round
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
from nezlam.channels.pacing import Pacer, Pacing, SenderLimit

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class Clock:
    """A monotonic clock that moves only when the pacer waits."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(round(seconds, 6))
        self.now += seconds
        return False


def test_sends_to_one_destination_are_spaced_and_others_are_not_held_up():
    clock = Clock()
    pacer = Pacer(Pacing(per_destination=1.0), clock=clock, wait=clock.wait)
    assert pacer.take_turn("chat-1") and pacer.take_turn("chat-2")
    assert clock.waits == []  # two chats: no wait
    assert pacer.take_turn("chat-1")
    assert clock.waits == [1.0]  # the same chat again: a second after its last message


def test_the_overall_pace_spaces_every_send():
    clock = Clock()
    pacer = Pacer(Pacing(overall=1 / 30), clock=clock, wait=clock.wait)
    for n in range(31):
        assert pacer.take_turn(f"chat-{n}")
    assert len(clock.waits) == 30 and clock.now == pytest.approx(101.0)  # 30 a second


def test_a_destination_that_says_retry_after_is_held_that_long():
    clock = Clock()
    pacer = Pacer(Pacing(per_destination=1.0), clock=clock, wait=clock.wait)
    pacer.take_turn("chat-1")
    pacer.hold("chat-1", 7.0)
    pacer.hold("chat-1", 2.0)  # a shorter word later does not shorten the hold
    assert pacer.take_turn("chat-1")
    assert clock.waits == [7.0]


def test_a_stopping_dispatcher_ends_the_wait_and_sends_nothing():
    clock = Clock()
    pacer = Pacer(Pacing(per_destination=5.0), clock=clock, wait=lambda _seconds: True)
    assert pacer.take_turn("chat-1")
    assert not pacer.take_turn("chat-1")


def test_each_sender_is_answered_a_limited_number_of_times_in_a_sliding_window():
    clock = Clock()
    limit = SenderLimit(Pacing(answers=3, answers_per=60.0), clock=clock)
    assert [limit.allow("+380501112233") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("+380671112233")  # another sender is not held back
    clock.now += 60.0
    assert limit.allow("+380501112233")  # the window moved on


def test_the_sender_limit_keeps_no_phone_number_even_in_memory():
    limit = SenderLimit(Pacing())
    limit.allow("+380501112233")
    assert all(b"380501112233" not in key for key in limit._hits)


def notice(n: int) -> Notice:
    return Notice(n, "full", NOW, {"id": f"p-{n}", "name": {"uk": "Пункт"}})


class MemoryOutbox:
    """The outbox contract kept in memory: due deliveries, claimed under a lease, settled."""

    def __init__(self, destinations: list[str]) -> None:
        self.rows = {n: {"destination": d, "attempts": 0} for n, d in enumerate(destinations, 1)}
        self.settled: dict[int, Settlement] = {}

    def any_due(self, _db: object, _now: datetime) -> bool:
        return len(self.settled) < len(self.rows)

    def claim(self, _db: object, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        due = [n for n in self.rows if n not in self.settled][:limit]
        for n in due:
            self.rows[n]["attempts"] += 1
        return [
            Delivery(
                n, self.rows[n]["attempts"], now + lease, self.rows[n]["destination"], notice(n)
            )
            for n in due
        ]

    def settle(self, _db: object, delivery: Delivery, settlement: Settlement) -> bool:
        self.settled[delivery.id] = settlement
        return True


class Scripted(Channel):
    """A channel whose destinations answer as a script says, in the order it is sent to."""

    name = "scripted"

    def __init__(self, outbox: MemoryOutbox, answers: dict[str, Outcome | Exception]) -> None:
        self.outbox, self.answers = outbox, answers
        self.sent: list[str] = []

    def send(self, delivery: Delivery, now: datetime) -> Outcome:
        self.sent.append(delivery.destination)
        answer = self.answers[delivery.destination]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_round_records_every_outcome_through_the_one_retry_schedule():
    outbox = MemoryOutbox(["ok", "busy", "slow-down", "gone", "broken"])
    channel = Scripted(
        outbox,
        {
            "ok": DELIVERED,
            "busy": RetryLater("HTTP 503"),
            "slow-down": RetryLater("429", after=timedelta(seconds=40)),
            "gone": Failed("chat not found"),
            "broken": RuntimeError("surprise"),
        },
    )
    clock = Clock()
    pacer = Pacer(channel.pacing, clock=clock, wait=clock.wait)
    done = run_round(None, channel, NOW, rng=random.Random(1), pacer=pacer)  # type: ignore[arg-type]
    assert channel.sent == ["ok", "busy", "slow-down", "gone", "broken"]
    assert done.delivered == [("scripted", 1)] and done.failed == [("scripted", 4)]
    assert done.retrying == [("scripted", 2), ("scripted", 3), ("scripted", 5)]
    settled = outbox.settled
    assert settled[1].delivered_at == NOW
    busy_wait = settled[2].next_attempt_at - NOW
    assert retry.FIRST_DELAY <= busy_wait <= retry.FIRST_DELAY * (1 + retry.JITTER)
    told_wait = settled[3].next_attempt_at - NOW  # the destination's own word, jittered
    assert timedelta(seconds=40) <= told_wait <= timedelta(seconds=50)
    assert settled[4].status == "failed" and settled[4].last_error == "chat not found"
    assert settled[5].status == "pending" and "RuntimeError: surprise" in settled[5].last_error


def test_the_last_attempt_that_fails_is_failed_for_good():
    outcome = RetryLater("HTTP 503")
    assert retry.settlement(outcome, retry.MAX_ATTEMPTS - 1, NOW).status == "pending"
    last = retry.settlement(outcome, retry.MAX_ATTEMPTS, NOW)
    assert last.status == "failed" and last.last_error == "HTTP 503"


def test_a_woken_dispatcher_sends_at_once_not_at_its_next_interval():
    """A queued answer someone waits for (an SMS) is sent when the dispatcher is woken, though
    its next round would be an hour away; a wake for another channel does nothing here."""
    import threading

    from nezlam.channels.dispatcher import Dispatcher

    sent = threading.Event()

    class Waiting(Scripted):
        def send(self, delivery: Delivery, now: datetime) -> Outcome:
            sent.set()
            return super().send(delivery, now)

    outbox = MemoryOutbox(["+380501112233"])
    channel = Waiting(outbox, {"+380501112233": DELIVERED})
    dispatcher = Dispatcher(None, lambda: NOW, interval=3600.0, channels=[channel])  # type: ignore[arg-type]
    dispatcher.start()
    try:
        dispatcher.wake("another channel")
        assert not sent.wait(0.2)  # nothing woke it: an hour to go
        dispatcher.wake(channel.name)
        assert sent.wait(30), "the woken dispatcher did not send"
    finally:
        dispatcher.stop()
    assert channel.sent == ["+380501112233"]
    assert outbox.settled[1].status == "delivered"
