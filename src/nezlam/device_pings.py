"""A device's ping as a job for the report writer (`nezlam.report_writer`): pings arriving at
the same moment are written with the reports in one transaction and one commit, never one
fsync each, and each is answered only once its batch has committed.

The device is found by its key inside the batch's transaction, as a report's sender is; an
unknown or revoked key is refused before the job writes anything, so it never disturbs the
others. A ping that changes what the point's devices say writes that onto the point
(`store.device_points`), which every worker's index picks up by its change number; most pings
change nothing of it and write only the device's last-seen time.

On PostgreSQL such a ping takes its point's row after the batch may have taken its change
number, where reports take their points first: two workers' batches can then wait for each
other, which the database breaks and the writer retries (`report_writer.is_transient`). Such
pings are rare (a power cut, a device coming back), so no lock is taken up front for the
many that change nothing."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nezlam.domain.device_facts import HeartbeatCreate
from nezlam.store import device_points, devices


@dataclass
class PingJob:
    key: str
    ping: HeartbeatCreate
    now: datetime
    offline_after: timedelta
    future: Future[tuple[Any, bool, Any]] = field(default_factory=Future)
    point_id: str | None = None  # no point to lock: a ping writes its device's row only

    def write(self, session: Session) -> tuple[Any, bool, Any]:
        """(the ping as recorded, no report made, no point): the index learns of a point the
        ping wrote from its change number, as the commit of this process is followed."""
        done = devices.record_ping(session, self.key, self.ping, self.now, self.offline_after)
        if device_points.DERIVING.intersection(done.changed):
            device_points.write_point_facts(session, done.point_id, self.now, self.offline_after)
        return done, False, None
