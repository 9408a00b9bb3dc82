"""A device's ping as a job for the report writer (`nezlam.report_writer`): pings arriving at
the same moment are written with the reports in one transaction and one commit, never one
fsync each, and each is answered only once its batch has committed.

The device is found by its key inside the batch's transaction, as a report's sender is; an
unknown or revoked key is refused before the job writes anything, so it never disturbs the
others. A ping changes no point, so the index is not told of it."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nezlam.domain.device_facts import HeartbeatCreate
from nezlam.store import devices


@dataclass
class PingJob:
    key: str
    ping: HeartbeatCreate
    now: datetime
    offline_after: timedelta
    future: Future[tuple[Any, bool, Any]] = field(default_factory=Future)
    point_id: str | None = None  # no point to lock: a ping writes its device's row only

    def write(self, session: Session) -> tuple[Any, bool, Any]:
        """(the ping as recorded, no point changed, no point)."""
        done = devices.record_ping(session, self.key, self.ping, self.now, self.offline_after)
        return done, False, None
