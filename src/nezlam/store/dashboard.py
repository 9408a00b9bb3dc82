"""The coordinator's view of a region: every point's current state after the freshness rule,
counts per region, and open points over time replayed from the report history.

The current state is read from the `points` table's state columns (one query; nothing is
replayed per point), so a region of 13,000 points is one indexed read. Filtering, counting and
sorting then happen in Python with `domain.freshness.shown_status`, the same rule the finder
applies, rather than a second copy of that rule written in SQL.
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Float, cast, func, or_, select, union_all
from sqlalchemy.orm import Session

from nezlam.domain.collation import natural_key
from nezlam.domain.freshness import shown_status
from nezlam.domain.public import pick_name
from nezlam.domain.vocabulary import ShownStatus, Status
from nezlam.places.transliteration import fold
from nezlam.store.tables import Point, StatusReport, User, VisitorSignal

# The order of the count columns and the filters: working, then warnings, then silence.
STATUS_ORDER: tuple[ShownStatus, ...] = (
    ShownStatus.OPEN,
    ShownStatus.STANDBY,
    ShownStatus.UNCONFIRMED,
    ShownStatus.FULL,
    ShownStatus.CLOSED,
    ShownStatus.NO_RESPONSE,
    ShownStatus.UNKNOWN,
)
# Sorting by status puts first what needs a coordinator: silence, doubt, then trouble.
ATTENTION_ORDER: tuple[ShownStatus, ...] = (
    ShownStatus.NO_RESPONSE,
    ShownStatus.UNCONFIRMED,
    ShownStatus.CLOSED,
    ShownStatus.FULL,
    ShownStatus.UNKNOWN,
    ShownStatus.STANDBY,
    ShownStatus.OPEN,
)
STATUS_RANK = {status: i for i, status in enumerate(ATTENTION_ORDER)}
ROW_COLUMNS = (
    "id", "name", "locality", "region", "address", "lat", "lon", "visibility", "organisation_id",
    "status", "power", "occupancy", "capacity", "fuel_litres", "updated_at", "verified_at",
    "flagged_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PointRow:
    """One point as the dashboard lists it: its row's current state and its shown status."""

    id: str
    name: dict[str, str]
    locality: str
    region: str
    address: str | None
    lat: float
    lon: float
    visibility: str
    organisation_id: int | None
    status: str | None  # as last reported
    power: str | None
    occupancy: int | None
    capacity: int | None
    fuel_litres: float | None
    updated_at: datetime | None
    verified_at: datetime | None
    flagged_at: datetime | None
    shown: ShownStatus  # after the freshness rule

    def label(self, lang: str) -> str:
        return pick_name(self.name, lang)


@dataclass(frozen=True)
class Filters:
    """What the coordinator narrowed the table to; empty means no narrowing."""

    region: str | None = None
    shown: frozenset[str] = frozenset()
    power: str | None = None
    fuel_below: float | None = None  # litres; points that reported no fuel level are left out
    text: str = ""

    def keeps(self, row: PointRow) -> bool:
        if self.region and row.region != self.region:
            return False
        if self.shown and row.shown.value not in self.shown:
            return False
        if self.power and row.power != self.power:
            return False
        if self.fuel_below is not None and (
            row.fuel_litres is None or row.fuel_litres >= self.fuel_below
        ):
            return False
        return not self.text or _matches(row, self.text.casefold())


def _matches(row: PointRow, needle: str) -> bool:
    """Case-insensitively in any language's name or the locality (Cyrillic included, which
    SQLite's LIKE would not fold); typed in Latin letters, also in their transliteration, as
    the English workspace shows them ("brovary" finds Бровари)."""
    haystack = [*row.name.values(), row.locality]
    if any(needle in str(value).casefold() for value in haystack):
        return True
    return needle.isascii() and any(_folded(needle) in _folded(str(v)) for v in haystack)


@functools.lru_cache(maxsize=65_536)  # names and localities repeat from request to request
def _folded(text: str) -> str:
    return fold(text)


def current_rows(
    session: Session,
    regions: Sequence[str],
    *,
    now: datetime,
    stale_after: timedelta,
    no_response_after: timedelta,
) -> list[PointRow]:
    """Every point in `regions` (hidden ones too: coordinators answer for them), with its status
    as shown at `now`."""
    if not regions:
        return []
    columns = [getattr(Point, name) for name in ROW_COLUMNS]
    query = select(*columns).where(Point.region.in_(list(regions)))
    # Core rows, built positionally: at 13,000 points the ORM's per-row work was most of it.
    return [
        PointRow(
            *row,
            shown_status(
                row.status, row.updated_at, row.verified_at, now, stale_after, no_response_after
            ),
        )
        for row in session.connection().execute(query)
    ]


def row_of(
    point: Point, *, now: datetime, stale_after: timedelta, no_response_after: timedelta
) -> PointRow:
    """One loaded point as the dashboard lists it."""
    return PointRow(
        **{name: getattr(point, name) for name in ROW_COLUMNS},
        shown=shown_status(
            point.status, point.updated_at, point.verified_at, now, stale_after, no_response_after
        ),
    )


def all_regions(session: Session) -> list[str]:
    """Every region that has a point: what an admin oversees."""
    return [str(r) for r in session.execute(select(Point.region).distinct()).scalars()]


def usernames(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in user_ids if i is not None})
    if not wanted:
        return {}
    query = select(User.id, User.username).where(User.id.in_(wanted))
    return {row.id: row.username for row in session.execute(query)}


SORT_KEYS: dict[str, Any] = {
    "name": None,  # by the name in the page's language, set in sort_rows
    "locality": lambda r: (natural_key(r.locality), natural_key(r.region)),
    "region": lambda r: (natural_key(r.region), natural_key(r.locality)),
    "status": lambda r: STATUS_RANK[r.shown],
    "updated": lambda r: r.updated_at,
    "verified": lambda r: r.verified_at,
    "occupancy": lambda r: r.occupancy,
    "power": lambda r: r.power,
    "fuel": lambda r: r.fuel_litres,
    "flagged": lambda r: r.flagged_at,
}


def sort_rows(rows: Iterable[PointRow], key: str, descending: bool, lang: str) -> list[PointRow]:
    """Sorted by a column; rows without a value (never reported, no fuel level) come last in
    either direction, and ties keep name order so that pages do not shuffle. Names sort as
    people read them: № 2 before № 10, і after и."""
    by_name = sorted(rows, key=lambda r: (natural_key(r.label(lang)), r.id))
    if key == "name":
        return list(reversed(by_name)) if descending else by_name
    value_of = SORT_KEYS[key]
    known = [r for r in by_name if value_of(r) is not None]
    missing = [r for r in by_name if value_of(r) is None]
    return sorted(known, key=value_of, reverse=descending) + missing


def counts_by_region(rows: Iterable[PointRow]) -> dict[str, Counter[str]]:
    """{region: {shown status: n, "total": n}}, regions in alphabetical order."""
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        counter = counts.setdefault(row.region, Counter())
        counter[row.shown.value] += 1
        counter["total"] += 1
    return dict(sorted(counts.items()))


def total_counts(counts: dict[str, Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counter in counts.values():
        total.update(counter)
    return total


# --- Open points over time --------------------------------------------------------------------
# The replay counts in plain numbers (the store passes seconds since the epoch, the tests hours):
# at a region's hundreds of thousands of reports a week, datetime arithmetic was most of the time.


class ReportEvent(NamedTuple):
    """What the replay needs of one status report (a result row has the same fields)."""

    point_id: str
    at: float  # when it was received
    status: str | None  # a stated status (it also confirms), or None
    confirms: bool  # a status, or "still current"


def open_intervals(
    events: Iterable[ReportEvent], until: float, stale_after: float
) -> list[tuple[float, float]]:
    """Pure: replay reports in time order into the spans [from, to) during which each point was
    shown open: its latest status at or before t was `open` and its latest confirmation was less
    than `stale_after` before t. (No-response needs a day of silence, longer than `stale_after`,
    so a freshly confirmed point can never be silent: that rule cannot cut a span short.)"""
    state: dict[str, tuple[str | None, float | None, float]] = {}  # status, confirmed, last
    spans: list[tuple[float, float]] = []

    def close(status: str | None, confirmed: float | None, start: float, end: float) -> None:
        if status == Status.OPEN and confirmed is not None:
            stop = min(end, confirmed + stale_after)
            if stop > start:
                spans.append((start, stop))

    for point_id, at, said, confirms in events:
        status, confirmed, last = state.get(point_id, (None, None, at))
        close(status, confirmed, last, at)
        state[point_id] = (said or status, at if confirms else confirmed, at)
    for status, confirmed, last in state.values():
        close(status, confirmed, last, until)
    return spans


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


REPORTS = StatusReport.__table__
EVENT_COLUMNS = (
    REPORTS.c.point_id,
    epoch(REPORTS.c.received_at).label("at"),
    REPORTS.c.status,
    or_(REPORTS.c.verify, REPORTS.c.status.is_not(None)).label("confirms"),
    REPORTS.c.received_at,
    REPORTS.c.id,
)


def report_events(
    session: Session,
    regions: Sequence[str],
    since: datetime,
    until: datetime,
    stale_after: timedelta,
) -> Sequence[ReportEvent]:
    """One ordered query: the reports that can matter for `since`..`until` in `regions`. Those
    from `stale_after` before `since` on, and, per point, the last status stated before that —
    an open said three days ago still counts if "still current" was pressed since.

    Both halves walk the (point, received) index: the window is a range per point, and each
    point's last earlier status is one backwards step, so the cost follows the points and the
    window, never the length of the whole history."""
    window_from = since - stale_after
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


def open_counts_at(
    session: Session, regions: Sequence[str], moments: Sequence[datetime], stale_after: timedelta
) -> list[int]:
    """How many points of `regions` were shown open at each of the (ascending) moments."""
    if not regions or not moments:
        return [0] * len(moments)
    events = report_events(session, regions, moments[0], moments[-1], stale_after)
    # Whole seconds (SQLite's epoch has no fraction): a report at the hour counts at that hour.
    seconds = [float(int(moment.timestamp())) for moment in moments]
    spans = open_intervals(events, seconds[-1] + 1, stale_after.total_seconds())
    return count_at(spans, seconds)


class OpenHistory:
    """Open points per hour, each past hour replayed once per process. Reports are appended with
    the time they arrive, so an hour's count is settled a few minutes after it (a report
    received just before the hour may be committed just after); younger hours are replayed
    again on each request, which is then a few minutes of history instead of a week's."""

    SETTLED = timedelta(minutes=5)
    KEPT = timedelta(days=40)

    def __init__(self) -> None:
        self._counts: dict[tuple[tuple[str, ...], timedelta], dict[datetime, int]] = {}
        self._lock = threading.Lock()

    def series(
        self,
        session: Session,
        regions: Sequence[str],
        *,
        now: datetime,
        days: int,
        stale_after: timedelta,
    ) -> list[tuple[datetime, int]]:
        """(hour, points shown open then) for every whole hour of the last `days` days."""
        moments = hourly_moments(now, days)
        key = (tuple(sorted(regions)), stale_after)
        with self._lock:
            known = dict(self._counts.get(key, {}))
        missing = [moment for moment in moments if moment not in known]
        if missing:
            span = [m for m in moments if missing[0] <= m <= missing[-1]]
            fresh = dict(
                zip(span, open_counts_at(session, regions, span, stale_after), strict=True)
            )
            known.update(fresh)
            self._remember(key, fresh, now)
        return [(moment, known[moment]) for moment in moments]

    def _remember(self, key: Any, fresh: dict[datetime, int], now: datetime) -> None:
        settled = {moment: n for moment, n in fresh.items() if moment <= now - self.SETTLED}
        with self._lock:
            counts = self._counts.setdefault(key, {})
            counts.update(settled)
            for moment in [m for m in counts if m < now - self.KEPT]:
                del counts[moment]


# --- A point's page ---------------------------------------------------------------------------


def point_names(session: Session, point_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """{point id: its names} for a few points (the notifications panel's)."""
    wanted = sorted(set(point_ids))
    if not wanted:
        return {}
    query = select(Point.id, Point.name).where(Point.id.in_(wanted))
    return {row.id: row.name for row in session.execute(query)}


def recent_signals(session: Session, point_id: str, limit: int = 50) -> list[VisitorSignal]:
    """A point's latest visitor signals, newest first (they hold nothing about the visitor)."""
    return list(
        session.execute(
            select(VisitorSignal)
            .where(VisitorSignal.point_id == point_id)
            .order_by(VisitorSignal.received_at.desc(), VisitorSignal.id.desc())
            .limit(limit)
        ).scalars()
    )
