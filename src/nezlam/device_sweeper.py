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

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from nezlam.store import device_points
from nezlam.store.db import Database

log = logging.getLogger(__name__)
# Often enough that "offline" is shown within a fraction of the 5-minute window.
SWEEP_EVERY_S = 15.0


class DeviceSweeper:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        offline_after: timedelta,
        every_seconds: float = SWEEP_EVERY_S,
    ) -> None:
        self.db = db
        self.clock = clock
        self.offline_after = offline_after
        self.every_seconds = every_seconds
        self.swept_at: datetime | None = None  # the last sweep that committed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> list[str]:
        """One sweep at the clock's now; returns the points written."""
        now = self.clock()
        with self.db.write() as session:
            written = device_points.sweep(session, now, self.offline_after, self.swept_at)
        self.swept_at = now  # only once committed: a failed sweep is done again, whole
        return written

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="nezlam-device-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            try:
                self.sweep()
            except Exception:  # the database may be restarting: again next time
                log.exception("device sweep failed")
