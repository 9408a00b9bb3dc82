"""The gazetteer's rows: written a source at a time, read whole into the in-memory index."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from nezlam.places.records import PlaceRecord
from nezlam.store.db import rows_matched
from nezlam.store.tables import Place, utcnow

BATCH = 5000
# Column widths (OSM allows 255 characters per value; the table is a little stricter).
WIDTHS = {
    "name": 300,
    "housenumber": 40,
    "street": 300,
    "locality": 200,
    "postcode": 20,
    "place_type": 32,
}


def _row(source: str, record: PlaceRecord, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "source": source,
        "kind": record.kind.value,
        "osm_id": record.osm_id,
        "names": record.names or None,
        "lat": record.lat,
        "lon": record.lon,
        "imported_at": now,
    }
    for column, width in WIDTHS.items():
        value = getattr(record, column)
        row[column] = value[:width] if value else None
    return row


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def add_places(
    session: Session,
    source: str,
    records: Iterable[PlaceRecord],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Adds records under `source`; returns how many."""
    now = utcnow()
    count = 0
    for batch in _batches(_row(source, record, now) for record in records):
        session.execute(insert(Place), batch)
        count += len(batch)
        if progress:
            progress(count)
    return count


def replace_source(
    session: Session,
    source: str,
    records: Iterable[PlaceRecord],
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Replaces every row of `source` by `records` (call inside one write transaction, so that
    searches see the old rows or the new ones, never both). Returns (removed, added)."""
    removed = rows_matched(session.execute(delete(Place).where(Place.source == source)))
    return removed, add_places(session, source, records, progress)


def sources(session: Session) -> list[tuple[str, int]]:
    """(source, rows) of every source, by name."""
    query = select(Place.source, func.count()).group_by(Place.source).order_by(Place.source)
    return [(source, int(count)) for source, count in session.execute(query)]


def signature(session: Session) -> tuple[Any, ...]:
    """Changes whenever rows are added or removed: what the in-memory index compares to know it
    is stale. (SQLite may reuse the ids of deleted rows, hence the time as well.)"""
    query = select(func.count(), func.max(Place.id), func.max(Place.imported_at))
    count, max_id, last = session.execute(query).one()
    return int(count), max_id, str(last)


def load_all(session: Session) -> list[PlaceRecord]:
    columns = (
        Place.id,
        Place.kind,
        Place.osm_id,
        Place.name,
        Place.names,
        Place.housenumber,
        Place.street,
        Place.locality,
        Place.postcode,
        Place.place_type,
        Place.lat,
        Place.lon,
    )
    records = []
    for row in session.execute(select(*columns).order_by(Place.id)):
        records.append(
            PlaceRecord(
                kind=row.kind,
                lat=row.lat,
                lon=row.lon,
                name=row.name,
                names=row.names or {},
                housenumber=row.housenumber,
                street=row.street,
                locality=row.locality,
                postcode=row.postcode,
                place_type=row.place_type,
                osm_id=row.osm_id,
                id=row.id,
            )
        )
    return records
