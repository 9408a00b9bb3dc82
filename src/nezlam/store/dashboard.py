"""The coordinator's view of a region: every point's current state after the freshness rule,
and counts per region (points over time, replayed from the report history, are
`status_history`).

The current state is read from the `points` table's state columns (one query; nothing is
replayed per point), so a region of 13,000 points is one indexed read. Filtering, counting and
sorting then happen in Python with `domain.freshness.shown_status`, the same rule the finder
applies, rather than a second copy of that rule written in SQL.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.collation import natural_key
from nezlam.domain.freshness import shown_status
from nezlam.domain.fuel_runway import DEFAULT_RESERVE, Runway, point_runway, runs_out_within
from nezlam.domain.point_view import pick_name
from nezlam.domain.transliteration import fold
from nezlam.domain.vocabulary import ShownStatus
from nezlam.store.tables import Point, User, VisitorSignal

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
    "flagged_at", "state_times", "outage_region", "outage_queue", "fuel_use_lph",
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
    state_times: dict[str, Any] | None  # with what its devices say (issue 12)
    outage_region: str | None  # whose outage schedule its power follows, and its queue
    outage_queue: str | None
    fuel_use_lph: float | None  # litres an hour its generators burn
    shown: ShownStatus  # after the freshness rule
    runway: Runway | None  # its fuel at `now`, when its fuel and generators are known

    def label(self, lang: str) -> str:
        return pick_name(self.name, lang)


@dataclass(frozen=True)
class Filters:
    """What the coordinator narrowed the table to; empty means no narrowing."""

    region: str | None = None
    shown: frozenset[str] = frozenset()
    power: str | None = None
    fuel_below: float | None = None  # litres; points that reported no fuel level are left out
    runs_out_within: float | None = None  # hours on generator; points with no runway left out
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
        if self.runs_out_within is not None and not runs_out_within(
            row.runway, self.runs_out_within
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
    fuel_reserve: timedelta = DEFAULT_RESERVE,
) -> list[PointRow]:
    """Every point in `regions` (hidden ones too: coordinators answer for them), with its status
    as shown at `now` and its fuel's runway."""
    if not regions:
        return []
    columns = [getattr(Point, name) for name in ROW_COLUMNS]
    query = select(*columns).where(Point.region.in_(list(regions)))
    # Core rows, built positionally: at 13,000 points the ORM's per-row work was most of it.
    # (One tuple of the row's ROW_COLUMNS and its shown status: a row of columns chosen at run
    # time has no length the type checker knows, to put an argument after.)
    return [
        PointRow(
            *(
                *row,
                shown_status(
                    row.status,
                    row.updated_at,
                    row.verified_at,
                    now,
                    stale_after,
                    no_response_after,
                ),
                point_runway(row, now, fuel_reserve),
            )
        )  # fmt: skip
        for row in session.connection().execute(query)
    ]


def row_of(
    point: Point,
    *,
    now: datetime,
    stale_after: timedelta,
    no_response_after: timedelta,
    fuel_reserve: timedelta = DEFAULT_RESERVE,
) -> PointRow:
    """One loaded point as the dashboard lists it."""
    return PointRow(
        **{name: getattr(point, name) for name in ROW_COLUMNS},
        shown=shown_status(
            point.status, point.updated_at, point.verified_at, now, stale_after, no_response_after
        ),
        runway=point_runway(point, now, fuel_reserve),
    )


def providers_followed(session: Session, regions: Sequence[str]) -> set[str]:
    """The power companies whose outage schedules some point of `regions` follows."""
    query = (
        select(Point.outage_region)
        .where(Point.region.in_(list(regions)), Point.outage_region.is_not(None))
        .distinct()
    )
    return {str(provider) for provider in session.execute(query).scalars()}


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
    "runway": lambda r: r.runway.hours_left if r.runway is not None else None,
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


# --- A point's page ---------------------------------------------------------------------------


def point_names(session: Session, point_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """{point id: its names} for a few points (the notifications panel's)."""
    wanted = sorted(set(point_ids))
    if not wanted:
        return {}
    query = select(Point.id, Point.name).where(Point.id.in_(wanted))
    return {row.id: row.name for row in session.execute(query)}


def recent_signals(session: Session, point_id: str, limit: int = 50) -> list[VisitorSignal]:
    """A point's latest visitor signals, newest first (they hold nothing about the visitor);
    not those a visitor took back, nor the withdrawals themselves."""
    from nezlam.store.signals import WITHDRAWN, standing

    return list(
        session.execute(
            select(VisitorSignal)
            .where(
                VisitorSignal.point_id == point_id,
                ~VisitorSignal.kind.startswith(WITHDRAWN),
                standing(),
            )
            .order_by(VisitorSignal.received_at.desc(), VisitorSignal.id.desc())
            .limit(limit)
        ).scalars()
    )
