"""What a point's devices say, written onto the point (issue 12): by a ping that changed its
device's facts, and by the sweeper for devices that went silent, which no ping tells.

The point is written only when its snapshot of machine facts changes
(`domain.device_snapshot`): its `power` and `internet` for the facts that changed, its
`updated_at` and its change number (so every worker's index shows it at its next poll), never
`verified_at`. The write is conditional on the change number it was judged against: another
worker's ping or sweep, or a report, in between makes it judge again, so several workers
sweeping at once write each change once.

The sweep reads only devices whose window ran out since the last sweep, by `last_seen_at`.
That column has no index, on purpose: every ping writes it, and an index on it would turn
each ping's update on PostgreSQL from an in-place (HOT) update into one that writes every
index of the table. The sweep scans the device table instead (one row per device: 13,000 for
the whole country, a few milliseconds).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from nezlam.domain.device_snapshot import point_changes, snapshot_of, stored_snapshot
from nezlam.store.db import next_change_seq, rows_matched
from nezlam.store.devices import DEVICES, point_device_facts
from nezlam.store.reports import lock_points
from nezlam.store.tables import Point, table_of

POINTS = table_of(Point)
READ_POINT = select(
    POINTS.c.id, POINTS.c.state_times, POINTS.c.power, POINTS.c.updated_at, POINTS.c.change_seq
).where(POINTS.c.id == bindparam("point_id"))
ATTEMPTS = 3
# The device facts a ping changes that can change what the point's devices say (a battery's
# percentage or a head count alone cannot).
DERIVING = frozenset({"online_since", "power", "power_since", "internet", "internet_since"})


def write_point_facts(
    session: Session, point_id: str, now: datetime, offline_after: timedelta
) -> bool:
    """Derive what the point's devices say at `now` and write it onto the point if it changed.
    Returns whether the point was written."""
    for _attempt in range(ATTEMPTS):
        point = session.execute(READ_POINT, {"point_id": point_id}).first()
        if point is None:
            return False
        after = snapshot_of(point_device_facts(session, point_id, now, offline_after))
        changes = point_changes(point, stored_snapshot(point.state_times), after, now)
        if not changes:
            return False
        if _written(session, point, changes):
            return True
    return False  # written by others this moment: they judged the same facts, or newer


def _written(session: Session, point: Any, changes: dict[str, Any]) -> bool:
    changes["change_seq"] = next_change_seq(session)
    statement = (
        update(POINTS)
        .where(POINTS.c.id == point.id, POINTS.c.change_seq == point.change_seq)
        .values(**changes)
    )
    return rows_matched(session.execute(statement)) == 1


def silent_points(
    session: Session, now: datetime, offline_after: timedelta, since: datetime | None = None
) -> list[str]:
    """The points (by id) with a device whose window ran out after `since` and by `now`: its
    last ping in (since - window, now - window]. Every point with a silent device without
    `since`."""
    query = (
        select(DEVICES.c.point_id)
        .distinct()
        .where(DEVICES.c.revoked_at.is_(None), DEVICES.c.last_seen_at <= now - offline_after)
    )
    if since is not None:
        query = query.where(DEVICES.c.last_seen_at > since - offline_after)
    return sorted(session.execute(query).scalars())


def sweep(
    session: Session, now: datetime, offline_after: timedelta, since: datetime | None = None
) -> list[str]:
    """Write what the devices say onto the points whose devices went silent since `since`
    (`silent_points`). Returns the points written; a second sweep at the same moment writes
    none. The points are locked first, in id order, as a batch of reports locks them before
    it takes its change number: a sweep and reports never wait for each other in a circle."""
    silent = silent_points(session, now, offline_after, since)
    lock_points(session, silent)
    return [
        point_id for point_id in silent if write_point_facts(session, point_id, now, offline_after)
    ]
