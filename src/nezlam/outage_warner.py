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

from collections.abc import Callable
from datetime import datetime, timedelta

from nezlam.domain.outage_warnings import Warning
from nezlam.periodic import Periodic
from nezlam.store import outage_notices
from nezlam.store.db import Database

WARN_EVERY_S = 60.0


class OutageWarner(Periodic):
    name = "nezlam-outage-warner"

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        lead: timedelta,
        every_seconds: float = WARN_EVERY_S,
    ) -> None:
        super().__init__(every_seconds)
        self.db, self.clock, self.lead = db, clock, lead

    def warn(self) -> list[Warning]:
        """One run at the clock's now; returns the warnings it sent."""
        with self.db.write() as session:
            return outage_notices.warn_due(session, self.clock(), self.lead)

    def run_once(self) -> object:
        return self.warn()
