"""When a point's own power is scheduled off (issue 12): the next outage of its power company's
queue, for the finder and the point's page ("світло за графіком немає 09:30–16:30").

The pages answer from memory, so the current schedules are too: `Schedules` holds every
outage of the current imports from now to a day and a half ahead, read again from the
database at most once a `refresh` (a minute) when a page asks. A schedule is a few hundred
rows for a whole country; a page never waits on more than one such read a minute, and a
failed read keeps what was read before (an outage is better said late than not at all).
Emergency shutdowns declared in a provider's region are read with them: while they are on,
the pages say the schedule does not hold. So are the mobile points' stops, the other plan
with times that the pages show ("here today 10:00–18:00").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from nezlam.domain.mobile_stops import Stop, ahead
from nezlam.domain.outages import Outage, next_outage
from nezlam.domain.point_view import iso
from nezlam.reading.point_public import PublicDetails
from nezlam.store import point_stops
from nezlam.store.db import Database
from nezlam.store.emergency_shutdowns import active
from nezlam.store.outage_schedules import current_outages, schedule_queues

log = logging.getLogger(__name__)

AHEAD = timedelta(hours=36)  # more than the 24 h a page looks ahead, so a minute's reuse holds
HORIZON = timedelta(hours=24)  # the outages a page speaks of: under way, or starting in a day
REFRESH = timedelta(minutes=1)


@dataclass(frozen=True)
class Read:
    at: datetime
    outages: Mapping[tuple[str, str], list[Outage]]
    queues: Mapping[str, list[str]]  # each provider with a current schedule, and its queues
    emergencies: Mapping[str, datetime]  # providers whose schedules are suspended, since when
    stops: Mapping[str, list[Stop]]  # mobile points' stops from now on, by point


class Schedules:
    def __init__(self, db: Database, clock: Callable[[], datetime], refresh: timedelta = REFRESH):
        self.db = db
        self.clock = clock
        self.refresh = refresh
        self._read: Read | None = None
        self._lock = threading.Lock()

    def next_outage(self, region: str | None, queue: str | None) -> Outage | None:
        """The outage of (provider `region`, `queue`) under way now or starting within a day."""
        if not region or not queue:
            return None
        now = self.clock()
        outages = self._current(now).outages.get((region, queue), ())
        return next_outage(outages, now, HORIZON)

    def emergency_since(self, region: str | None) -> datetime | None:
        """When emergency shutdowns were declared in the provider's region, if they are on."""
        return self._current(self.clock()).emergencies.get(region) if region else None

    def stops_of(self, point_id: str) -> list[Stop]:
        """A mobile point's stop under way and the next ones, for its page."""
        now = self.clock()
        return ahead(self._current(now).stops.get(point_id, ()), now)

    def queues(self) -> Mapping[str, list[str]]:
        """Each provider with a current schedule, and its queues in order."""
        return self._current(self.clock()).queues

    def outages_of(self, region: str, queue: str) -> list[Outage]:
        """The queue's outages under way now or starting within the day ahead."""
        now = self.clock()
        ahead = self._current(now).outages.get((region, queue), ())
        return [o for o in ahead if o.end > now and o.start < now + HORIZON]

    def _current(self, now: datetime) -> Read:
        read = self._read
        if read is not None and read.at <= now < read.at + self.refresh:
            return read
        with self._lock:  # one read at a time; the others wait for it and use it
            read = self._read
            if read is None or not read.at <= now < read.at + self.refresh:
                read = self._read = self._fetch(now, read)
        return read

    def _fetch(self, now: datetime, before: Read | None) -> Read:
        try:
            with self.db.read() as session:
                outages = current_outages(session, now, now + AHEAD)
                emergencies = {p: row.started_at for p, row in active(session).items()}
                stops = point_stops.upcoming(session, now, now + AHEAD)
                return Read(now, outages, schedule_queues(session), emergencies, stops)
        except SQLAlchemyError as exc:
            log.warning("outage schedules not read again, the last read kept: %s", exc)
            if before is None:
                return Read(now, {}, {}, {}, {})
            return Read(now, before.outages, before.queues, before.emergencies, before.stops)


def power_schedule(schedules: Schedules | None, details: PublicDetails) -> dict[str, Any] | None:
    """What the point's outage schedule says of the next day, for the API: emergency shutdowns
    (the schedule does not hold), or the outage under way or next within a day, or none; None
    for a point that follows no schedule (or before the schedules are read)."""
    region, queue = details.outage_region, details.outage_queue
    if schedules is None or not region or not queue:
        return None
    emergency = schedules.emergency_since(region)
    outage = None if emergency else schedules.next_outage(region, queue)
    return {
        "emergency_since": iso(emergency),
        "next_outage": None
        if outage is None
        else {"start": iso(outage.start), "end": iso(outage.end), "possible": outage.possible},
    }


def stops_said(schedules: Schedules | None, details: PublicDetails) -> list[dict[str, Any]] | None:
    """A mobile point's stop under way and the next ones, for the API; None for a fixed point
    or a protected one (its stops would say where it is)."""
    if schedules is None or details.kind != "mobile" or details.protected:
        return None
    return [
        {"start": iso(s.start), "end": iso(s.end), "lat": s.lat, "lon": s.lon, "place": s.place}
        for s in schedules.stops_of(details.id)
    ]
