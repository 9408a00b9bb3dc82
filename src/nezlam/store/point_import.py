"""The writes and reads an import of many points needs, a chunk at a time: what `create_point`
and `update_point` (store/points.py) do for one point, without a round trip per point.

`create_points` inserts a chunk of new points and their audit entries with one statement each
(executemany), with the same defaults, checks and audit entries as `create_point`: with the ORM
a point costs four statements (select, insert, change number, audit), which made a large import
spend most of its time in the driver.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Invalid
from nezlam.domain.points import PointCreate, PointFields
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.db import next_change_seq
from nezlam.store.points import DETAIL_FIELDS, REQUIRED_FIELDS
from nezlam.store.tables import Organisation, Point, PointPosition, table_of, utcnow

# What create_point gives a point its input leaves out.
DEFAULTS: dict[str, Any] = {
    "kind": "stationary", "visibility": "public", "timezone": "Europe/Kyiv", "anchor": False,
    "services": [], "external_id": None, "phone": None, "address": None, "capacity": None,
    "opening_hours": None, "notes": None, "organisation_id": None, "outage_region": None,
    "outage_queue": None,
}  # fmt: skip
INSERT_POINT = insert(table_of(Point))
ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # new_point_id's, 32 characters
INSERT_POSITION = insert(table_of(PointPosition))


def new_point_id() -> str:
    """An id like store.points.new_point_id's, ten times cheaper: ten random bytes, each
    taken modulo 32 (256 is a multiple of 32, so every character stays equally likely),
    instead of ten calls of secrets.choice (a fifth of a millisecond an id at import scale)."""
    return "p-" + "".join(ID_ALPHABET[byte & 31] for byte in secrets.token_bytes(10))


def point_keys(session: Session, batch: int = 5000) -> Iterator[Any]:
    """(id, external_id, name, lat, lon, region) of every point, streamed in batches: what an
    import matches rows against in memory (interchange/point_index.py)."""
    query = select(Point.id, Point.external_id, Point.name, Point.lat, Point.lon, Point.region)
    yield from session.execute(query.execution_options(yield_per=batch))


def organisation_slugs(session: Session) -> dict[str, tuple[int, str]]:
    """(id, name) of every organisation by its slug."""
    query = select(Organisation.slug, Organisation.id, Organisation.name)
    return {row.slug: (row.id, row.name) for row in session.execute(query)}


def points_by_id(
    session: Session, ids: Iterable[str], *, for_update: bool = False
) -> dict[str, Point]:
    """The points of `ids` in one query (locked on PostgreSQL when `for_update`)."""
    query = select(Point).where(Point.id.in_(list(ids)))
    if for_update and session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    return {point.id: point for point in session.execute(query).scalars()}


def changed_fields(point: Point, data: PointFields, organisation_id: int | None) -> list[str]:
    """The fields `data` would change on `point`, as update_point would set them;
    `organisation_id` is the id of `data.organisation`'s slug."""
    changed = []
    for name, value in data.model_dump(exclude_unset=True, exclude={"id"}).items():
        if name == "organisation":
            if organisation_id != point.organisation_id:
                changed.append(name)
            continue
        if name == "opening_hours" and value == "":
            value = None
        if (value.value if hasattr(value, "value") else value) != getattr(point, name):
            changed.append(name)
    return changed


def new_point_values(
    data: PointCreate, point_id: str, organisation_id: int | None, now: datetime
) -> dict[str, Any]:
    """The row create_point would insert for `data` (its change number aside)."""
    values = {**DEFAULTS, "id": point_id, "organisation_id": organisation_id, "demo": False}
    for name, value in data.model_dump(exclude_unset=True, exclude={"organisation", "id"}).items():
        if name in REQUIRED_FIELDS and value is None:
            raise Invalid("must not be null", field=name)
        if name == "opening_hours" and value == "":
            value = None
        values[name] = value.value if hasattr(value, "value") else value
    values["services"] = list(values["services"])
    values.update(created_at=now, edited_at=now)
    values["published_at"] = now if values["visibility"] != "hidden" else None
    return values


def create_points(
    session: Session,
    points: list[tuple[str, PointCreate, int | None]],
    actor: Actor,
    now: datetime | None = None,
) -> None:
    """Insert new points, given as (id, data, organisation id), with their audit entries.
    The caller has made sure that no id or external id is taken (an import's index)."""
    if not points:
        return
    now = now or utcnow()
    rows = [new_point_values(data, point_id, org, now) for point_id, data, org in points]
    sequence = next_change_seq(session)
    for row in rows:
        row["change_seq"] = sequence
    session.execute(INSERT_POINT, rows)
    mobile = [row for row in rows if row["kind"] == "mobile"]
    if mobile:
        session.execute(
            INSERT_POSITION,
            [
                {"point_id": r["id"], "lat": r["lat"], "lon": r["lon"], "recorded_at": now,
                 "recorded_by": actor.user_id}
                for r in mobile
            ],
        )  # fmt: skip
    session.execute(audit.INSERT_ENTRY, [audit_entry(row, actor, now) for row in rows])


def audit_entry(row: dict[str, Any], actor: Actor, now: datetime) -> dict[str, Any]:
    return {
        "at": now,
        "actor": actor.label,
        "actor_user_id": actor.user_id,
        "entity": "point",
        "entity_id": row["id"],
        "action": "create",
        "before": None,
        "after": {name: audit.plain(row.get(name)) for name in DETAIL_FIELDS},
    }
