"""How long a browser stays signed in: while it is used (a sliding, idle expiry), and never
longer than a fixed time after the password was typed (an absolute one).

Renewing on every request would be a database write for every page and every tap. A session
is renewed instead once `slack` (a twenty-fourth of the idle window: an hour of 24) has passed
since it last was, and each renewal grants `idle + slack`. So the promise holds exactly: a
browser used at least once every `idle` stays signed in; one left unused is signed out between
`idle` and `idle + slack` after its last use; none outlives `longest` after signing in.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

RENEWALS_PER_WINDOW = 24  # writes per idle window, at most, of a browser in constant use


@dataclass(frozen=True)
class LoginLifetime:
    # 24 h: a point open by day is left overnight (12 to 15 hours between the evening's last
    # tap and the morning's first), and its operator should not type the password again.
    idle: timedelta = timedelta(hours=24)
    # 14 days (Django's session age): the password is typed twice a month, not twice a day,
    # and a stolen or forgotten cookie works for two weeks at most.
    longest: timedelta = timedelta(days=14)

    @property
    def slack(self) -> timedelta:
        """How long after a renewal the next one may come."""
        return self.idle / RENEWALS_PER_WINDOW

    def first_expiry(self, now: datetime) -> datetime:
        """When a session started at `now` ends unless it is used."""
        return min(now + self.idle + self.slack, now + self.longest)

    def ends_at(self, created_at: datetime, expires_at: datetime) -> datetime:
        """When a session started at `created_at`, renewed up to `expires_at`, ends (a
        shorter `longest`, set since, counts at once)."""
        return min(expires_at, created_at + self.longest)

    def renewal(self, created_at: datetime, expires_at: datetime, now: datetime) -> datetime | None:
        """The later end a use at `now` earns, or None when no write is due: less than `slack`
        since the last renewal, or the absolute limit reached."""
        if self.ends_at(created_at, expires_at) - now >= self.idle:
            return None
        later = min(now + self.idle + self.slack, created_at + self.longest)
        return later if later > expires_at else None
