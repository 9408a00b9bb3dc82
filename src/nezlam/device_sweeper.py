"""The sweeper of devices gone silent (issue 12): a device that stops pinging tells nothing, so
the point it went silent at would go on showing its device online and its mains on. Every
`every_seconds` the sweeper writes what the devices of the points whose devices' windows ran
out since its last sweep say now (`store.device_points.sweep`): offline, or the mains gone.

Each worker runs one, beside its index's sync (started and stopped by the app's lifespan);
`nezlam device sweep` runs one sweep from the command line. Several at once are safe: each
point is written on a condition, so the second to come writes nothing. The first sweep of a
worker looks at every silent device, since nobody knows what happened while it was down.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from nezlam.periodic import Periodic
from nezlam.store import device_points
from nezlam.store.db import Database

# Often enough that "offline" is shown within a fraction of the 5-minute window.
SWEEP_EVERY_S = 15.0


class DeviceSweeper(Periodic):
    name = "nezlam-device-sweeper"

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        offline_after: timedelta,
        every_seconds: float = SWEEP_EVERY_S,
    ) -> None:
        super().__init__(every_seconds)
        self.db = db
        self.clock = clock
        self.offline_after = offline_after
        self.swept_at: datetime | None = None  # the last sweep that committed

    def sweep(self) -> list[str]:
        """One sweep at the clock's now; returns the points written."""
        now = self.clock()
        with self.db.write() as session:
            written = device_points.sweep(session, now, self.offline_after, self.swept_at)
        self.swept_at = now  # only once committed: a failed sweep is done again, whole
        return written

    def run_once(self) -> object:
        return self.sweep()
