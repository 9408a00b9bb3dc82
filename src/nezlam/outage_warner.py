"""The outage warner (issue 12): every minute, tell the standby and open points whose queue's
power goes off within NEZLAM_OUTAGE_LEAD (`store.outage_notices.warn_due`), so that a standby
point opens before its district goes dark.

Each worker runs one, started and stopped by the app's lifespan as the dispatcher is; `nezlam
outages notify` runs it once from the command line (or from cron, for a server run without
its background threads). Several at once are safe: a warning's row, unique by point and
outage, is taken by one transaction only, and the rest say nothing. A minute between runs
means a point is told between 2 h and 1 h 59 min before its outage.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from nezlam.domain.outage_warnings import Warning
from nezlam.store import outage_notices
from nezlam.store.db import Database

log = logging.getLogger(__name__)
WARN_EVERY_S = 60.0


class OutageWarner:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        lead: timedelta,
        every_seconds: float = WARN_EVERY_S,
    ) -> None:
        self.db, self.clock, self.lead = db, clock, lead
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def warn(self) -> list[Warning]:
        """One run at the clock's now; returns the warnings it sent."""
        with self.db.write() as session:
            return outage_notices.warn_due(session, self.clock(), self.lead)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="nezlam-outage-warner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            try:
                self.warn()
            except Exception:  # the database may be restarting: again next time
                log.exception("outage warning run failed")
