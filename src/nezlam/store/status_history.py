"""Points over time, replayed from the report history: per hour, how many points were shown
open, and how many were shown in doubt — unconfirmed (said open, nobody confirmed it within
`stale_after`) or not responding (no report at all within `no_response_after`) — by the same
freshness rule the finder and the dashboard apply now.

The replay counts in plain numbers (the store passes seconds since the epoch, the tests hours):
at a region's hundreds of thousands of reports a week, datetime arithmetic was most of the time.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Float, cast, func, or_, select, union_all
from sqlalchemy.orm import Session

from nezlam.domain.vocabulary import Status
from nezlam.store.tables import Point, StatusReport, table_of

Spans = list[tuple[float, float]]
NO_RESPONSE_AFTER = timedelta(hours=24)  # the settings' default, for callers that give none


class ReportEvent(NamedTuple):
    """What the replay needs of one status report (a result row has the same fields)."""

    point_id: str
    at: float  # when it was received
    status: str | None  # a stated status (it also confirms), or None
    confirms: bool  # a status, or "still current"


def replay(
    events: Iterable[ReportEvent], until: float, stale_after: float, no_response_after: float
) -> tuple[Spans, Spans]:
    """Pure: replay reports in time order into the spans [from, to) during which each point was
    shown open, and those during which it was shown in doubt (unconfirmed or not responding).

    Between two reports a point keeps its last status: `open` stays open until `stale_after`
    past its last confirmation, then unconfirmed, then (a day after its last report) silent —
    in doubt either way, so its doubt runs from the staleness on. Any other status is in doubt
    only once silent. (A confirmation is a report, so the staleness always comes first.)"""
    state: dict[str, tuple[str | None, float | None, float]] = {}  # status, confirmed, last
    shown_open: Spans = []
    in_doubt: Spans = []

    def close(status: str | None, confirmed: float | None, last: float, end: float) -> None:
        if status is None:
            return  # never stated a status: unknown, in neither series
        if status == Status.OPEN:
            stale = last if confirmed is None else confirmed + stale_after
            if confirmed is not None and min(end, stale) > last:
                shown_open.append((last, min(end, stale)))
        else:
            stale = last + no_response_after
        if end > max(stale, last):
            in_doubt.append((max(stale, last), end))

    for point_id, at, said, confirms in events:
        status, confirmed, last = state.get(point_id, (None, None, at))
        close(status, confirmed, last, at)
        state[point_id] = (said or status, at if confirms else confirmed, at)
    for status, confirmed, last in state.values():
        close(status, confirmed, last, until)
    return shown_open, in_doubt


def open_intervals(
    events: Iterable[ReportEvent], until: float, stale_after: float
) -> list[tuple[float, float]]:
    """Pure: the spans during which each point was shown open (see `replay`)."""
    return replay(events, until, stale_after, float("inf"))[0]


def count_at(spans: Iterable[tuple[float, float]], moments: Sequence[float]) -> list[int]:
    """Pure: how many spans [from, to) hold each of the (ascending) moments."""
    changes = [0] * (len(moments) + 1)
    for start, stop in spans:
        changes[bisect.bisect_left(moments, start)] += 1
        changes[bisect.bisect_left(moments, stop)] -= 1
    counts, running = [], 0
    for change in changes[:-1]:
        running += change
        counts.append(running)
    return counts


def hourly_moments(now: datetime, days: int) -> list[datetime]:
    """Every whole hour of the last `days` days up to `now`, oldest first."""
    last = now.replace(minute=0, second=0, microsecond=0)
    return [last - timedelta(hours=back) for back in range(days * 24, -1, -1)]


def epoch(column: Any) -> Any:
    """A time column as seconds since the epoch, computed by the database (either dialect)."""
    return cast(func.extract("epoch", column), Float)


REPORTS = table_of(StatusReport)
EVENT_COLUMNS = (
    REPORTS.c.point_id,
    epoch(REPORTS.c.received_at).label("at"),
    REPORTS.c.status,
    or_(REPORTS.c.verify, REPORTS.c.status.is_not(None)).label("confirms"),
    REPORTS.c.received_at,
    REPORTS.c.id,
)


def report_events(
    session: Session, regions: Sequence[str], since: datetime, until: datetime, lookback: timedelta
) -> Sequence[ReportEvent]:
    """One ordered query: the reports that can matter for `since`..`until` in `regions`. Those
    from `lookback` before `since` on (the longer of the stale and the silent spans: nothing
    earlier can make a point confirmed or responding after `since`), and, per point, the last
    status stated before that — an open said three days ago still counts if "still current"
    was pressed since.

    Both halves walk the (point, received) index: the window is a range per point, and each
    point's last earlier status is one backwards step, so the cost follows the points and the
    window, never the length of the whole history."""
    window_from = since - lookback
    in_regions = select(Point.id).where(Point.region.in_(list(regions)))
    window = select(*EVENT_COLUMNS).where(
        REPORTS.c.point_id.in_(in_regions),
        REPORTS.c.received_at >= window_from,
        REPORTS.c.received_at <= until,
    )
    last_status_before = (
        select(REPORTS.c.id)
        .where(
            REPORTS.c.point_id == Point.id,
            REPORTS.c.status.is_not(None),
            REPORTS.c.received_at < window_from,
        )
        .order_by(REPORTS.c.received_at.desc(), REPORTS.c.id.desc())
        .limit(1)
        .correlate(Point)
        .scalar_subquery()
    )
    carried_in = select(*EVENT_COLUMNS).where(
        REPORTS.c.id.in_(select(last_status_before).where(Point.region.in_(list(regions))))
    )
    both = union_all(window, carried_in).subquery()
    query = select(both.c.point_id, both.c.at, both.c.status, both.c.confirms).order_by(
        both.c.received_at, both.c.id
    )
    return session.connection().execute(query).all()  # type: ignore[return-value]


def counts_at(
    session: Session,
    regions: Sequence[str],
    moments: Sequence[datetime],
    stale_after: timedelta,
    no_response_after: timedelta = NO_RESPONSE_AFTER,
) -> list[tuple[int, int]]:
    """(shown open, shown in doubt) in `regions` at each of the (ascending) moments."""
    if not regions or not moments:
        return [(0, 0)] * len(moments)
    lookback = max(stale_after, no_response_after)
    events = report_events(session, regions, moments[0], moments[-1], lookback)
    # Whole seconds (SQLite's epoch has no fraction): a report at the hour counts at that hour.
    seconds = [float(int(moment.timestamp())) for moment in moments]
    spans = replay(
        events, seconds[-1] + 1, stale_after.total_seconds(), no_response_after.total_seconds()
    )
    return list(zip(count_at(spans[0], seconds), count_at(spans[1], seconds), strict=True))


def open_counts_at(
    session: Session, regions: Sequence[str], moments: Sequence[datetime], stale_after: timedelta
) -> list[int]:
    """How many points of `regions` were shown open at each of the (ascending) moments."""
    return [shown for shown, _doubt in counts_at(session, regions, moments, stale_after)]


class OpenHistory:
    """Open and in-doubt points per hour, each past hour replayed once per process. Reports are
    appended with the time they arrive, so an hour's counts are settled a few minutes after it
    (a report received just before the hour may be committed just after); younger hours are
    replayed again on each request, which is then a few minutes of history, not a week's."""

    SETTLED = timedelta(minutes=5)
    KEPT = timedelta(days=40)

    def __init__(self) -> None:
        self._counts: dict[Any, dict[datetime, tuple[int, int]]] = {}
        self._lock = threading.Lock()

    def series(
        self,
        session: Session,
        regions: Sequence[str],
        *,
        now: datetime,
        days: int,
        stale_after: timedelta,
        no_response_after: timedelta = NO_RESPONSE_AFTER,
    ) -> list[tuple[datetime, int, int]]:
        """(hour, shown open, shown in doubt) for every whole hour of the last `days` days."""
        moments = hourly_moments(now, days)
        key = (tuple(sorted(regions)), stale_after, no_response_after)
        with self._lock:
            known = dict(self._counts.get(key, {}))
        missing = [moment for moment in moments if moment not in known]
        if missing:
            span = [m for m in moments if missing[0] <= m <= missing[-1]]
            counted = counts_at(session, regions, span, stale_after, no_response_after)
            fresh = dict(zip(span, counted, strict=True))
            known.update(fresh)
            self._remember(key, fresh, now)
        return [(moment, *known[moment]) for moment in moments]

    def _remember(self, key: Any, fresh: dict[datetime, tuple[int, int]], now: datetime) -> None:
        settled = {moment: n for moment, n in fresh.items() if moment <= now - self.SETTLED}
        with self._lock:
            counts = self._counts.setdefault(key, {})
            counts.update(settled)
            for moment in [m for m in counts if m < now - self.KEPT]:
                del counts[moment]
