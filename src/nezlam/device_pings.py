"""Devices' pings as jobs for the report writer (`nezlam.report_writer`): pings arriving at the
same moment are written together, with the reports, in one transaction and one commit, never
one fsync each, and each is answered only once its batch has committed.

`PingBatcher` gathers a worker's pings: a ping joins the batch that is open (waiting for the
writer) or opens one; the writer takes the batch whole (`PingBatch.write`), which closes it, and
records all its pings with one read of their devices and one statement for their last-seen
times (`store.devices.record_pings`). Every ping of a batch is answered from one wake-up of the
event loop. An unknown or revoked key is refused without writing anything, so it never
disturbs the others. A ping that changes what the point's devices say writes that onto the
point (`store.device_points`), which every worker's index picks up by its change number.

On PostgreSQL such a ping takes its point's row after the batch may have taken its change
number, where reports take their points first: two workers' batches can then wait for each
other, which the database breaks and the writer retries (`report_writer.is_transient`). Such
pings are rare (a power cut, a device coming back), so no lock is taken up front for the
many that change nothing."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nezlam.domain.device_facts import HeartbeatCreate
from nezlam.domain.errors import DomainError
from nezlam.report_writer import ReportWriter
from nezlam.store import device_points, device_positions, devices
from nezlam.store.device_positions import Fix
from nezlam.store.devices import Arrival, Ping

# Pings in one batch at most: a batch is one transaction, and a long one holds the devices'
# rows (and SQLite's whole database) while the next pings wait.
BATCH_MAX = 1000


def write_pings(
    session: Session, arrivals: list[Arrival], offline_after: timedelta
) -> list[Ping | DomainError]:
    """Record the pings, then write onto each point whose devices now say something else what
    they say (at the latest of its pings), and move each mobile point whose device says it is
    somewhere else."""
    outcomes = devices.record_pings(session, arrivals, offline_after)
    write_points(session, arrivals, outcomes, offline_after)
    return outcomes


def write_probe_pings(
    session: Session, device_ids: list[int], now: datetime, offline_after: timedelta
) -> list[Ping | DomainError]:
    """Record that each probe of `device_ids` reached its point's internet link at `now`, as a
    ping of its device that says the internet works, and what that changes on the points."""
    arrivals = [Arrival("", HeartbeatCreate(internet=True), now) for _id in device_ids]
    outcomes = devices.record_probes(session, device_ids, arrivals, offline_after)
    write_points(session, arrivals, outcomes, offline_after)
    return outcomes


def write_points(
    session: Session,
    arrivals: list[Arrival],
    outcomes: list[Ping | DomainError],
    offline_after: timedelta,
) -> None:
    """What the recorded pings (`outcomes`, one for each of `arrivals`) change on their points."""
    changed: dict[str, datetime] = {}
    for outcome in outcomes:
        if isinstance(outcome, Ping) and device_points.DERIVING.intersection(outcome.changed):
            changed[outcome.point_id] = outcome.seen_at
    for point_id in sorted(changed):
        device_points.write_point_facts(session, point_id, changed[point_id], offline_after)
    fixes = {  # each point's latest position said, in the order the pings arrived
        outcome.point_id: Fix(
            arrival.ping.lat, arrival.ping.lon, arrival.ping.accuracy, arrival.now
        )
        for arrival, outcome in zip(arrivals, outcomes, strict=True)
        if isinstance(outcome, Ping)
        and arrival.ping.lat is not None
        and arrival.ping.lon is not None
    }
    device_positions.move_mobile_points(session, fixes)


@dataclass
class PingJob:
    """One ping as a job of its own."""

    key: str
    ping: HeartbeatCreate
    now: datetime
    offline_after: timedelta
    future: Future[tuple[Any, bool, Any]] = field(default_factory=Future)
    point_id: str | None = None  # no point to lock: a ping writes its device's row only

    def write(self, session: Session) -> tuple[Any, bool, Any]:
        """(the ping as recorded, no report made, no point): the index learns of a point the
        ping wrote from its change number, as the commit of this process is followed."""
        arrival = Arrival(self.key, self.ping, self.now)
        (outcome,) = write_pings(session, [arrival], self.offline_after)
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome, False, None


class PingBatch:
    """Pings waiting for the writer together; closed once the writer has taken them."""

    point_id: str | None = None  # as PingJob

    def __init__(self, offline_after: timedelta, loop: asyncio.AbstractEventLoop) -> None:
        self.offline_after = offline_after
        self.loop = loop
        self.arrivals: list[Arrival] = []
        self.closed = False
        self._lock = threading.Lock()
        self.future: Future[tuple[Any, bool, Any]] = Future()
        self.done: asyncio.Future[None] = loop.create_future()
        self.future.add_done_callback(self._wake)

    def join(self, arrival: Arrival) -> int | None:
        """The arrival's place in this batch, or None if the writer has taken it already."""
        with self._lock:
            if self.closed or len(self.arrivals) >= BATCH_MAX:
                return None
            self.arrivals.append(arrival)
            return len(self.arrivals) - 1

    def write(self, session: Session) -> tuple[Any, bool, Any]:
        with self._lock:
            self.closed = True
        return write_pings(session, self.arrivals, self.offline_after), False, None

    def outcome(self, index: int) -> Ping:
        """The ping's own outcome, once the batch is done: its Ping, or its refusal raised (or
        the batch's failure, when it could not be written at all)."""
        outcome = self.future.result()[0][index]
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    def _wake(self, _future: Future[Any]) -> None:
        self.loop.call_soon_threadsafe(self._set_done)

    def _set_done(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class PingBatcher:
    """A worker's pings, gathered into batches for its report writer."""

    def __init__(self, writer: ReportWriter, offline_after: timedelta) -> None:
        self.writer = writer
        self.offline_after = offline_after
        self._open: PingBatch | None = None

    async def record(self, key: str, ping: HeartbeatCreate, now: datetime) -> Ping:
        """Record a ping; returns once it is committed."""
        arrival = Arrival(key, ping, now)
        loop = asyncio.get_running_loop()
        batch = self._open
        index = batch.join(arrival) if batch is not None and batch.loop is loop else None
        if batch is None or index is None:
            batch = self._open = PingBatch(self.offline_after, loop)
            index = batch.join(arrival)
            assert index is not None  # a batch nobody has seen yet is open
            self.writer.submit(batch)
        await asyncio.shield(batch.done)  # one ping's cancellation is not its batch's
        return batch.outcome(index)
