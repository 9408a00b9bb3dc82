"""The fuel warner (issue 13): every few minutes, tell the coordinators (and operators) of the
points on their generator that reach their fuel reserve within NEZLAM_FUEL_WARN_WITHIN
(`store.fuel_warnings.warn_due`), once per fuel reading.

Each worker runs one, started and stopped by the app's lifespan as the outage warner is;
`nezlam fuel warn` runs it once from the command line (or from cron). Several at once are safe
(the module above says how)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from nezlam.periodic import Periodic
from nezlam.store import fuel_warnings
from nezlam.store.db import Database

WARN_EVERY_S = 120.0  # a runway is hours long: two minutes late is nothing


class FuelWarner(Periodic):
    name = "nezlam-fuel-warner"

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        reserve: timedelta,
        within: timedelta,
        every_seconds: float = WARN_EVERY_S,
    ) -> None:
        super().__init__(every_seconds)
        self.db, self.clock, self.reserve, self.within = db, clock, reserve, within

    def warn(self) -> list[fuel_warnings.FuelWarning]:
        """One run at the clock's now; returns the warnings it gave."""
        with self.db.write() as session:
            return fuel_warnings.warn_due(session, self.clock(), self.reserve, self.within)

    def run_once(self) -> object:
        return self.warn()
