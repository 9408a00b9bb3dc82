"""Export the public view of the registry to a file: what the feeds serve, without a server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from nezlam.config import Settings
from nezlam.domain.errors import Invalid
from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.index_sync import IndexSync
from nezlam.interchange.formats import WRITERS
from nezlam.interchange.formats.interface import Writer
from nezlam.interchange.public_table import public_table
from nezlam.reading import answers
from nezlam.reading.point_public import Asker
from nezlam.store.db import Database
from nezlam.store.tables import utcnow

# The formats of the public feeds and of `nezlam export`: what aggregators and scripts read.
# XLSX is for a person's own view (the coordinator's export), not a feed.
FEED_FORMATS = ("geojson", "csv", "hxl")


def feed_writer(fmt: str) -> Writer:
    if fmt not in FEED_FORMATS:
        raise Invalid(f"unknown format {fmt!r}; known: {', '.join(FEED_FORMATS)}", field="format")
    return WRITERS[fmt]


def export_chunks(
    settings: Settings, db: Database, fmt: str, lang: str = "uk", now: datetime | None = None
) -> Iterator[bytes]:
    """The public view of every visible point in `fmt`, a piece at a time (for a file or a
    pipe: the whole export is never held twice). The format is checked before anything is
    read, and before the first piece."""
    writer = feed_writer(fmt)
    now = now or utcnow()
    index = SpatialIndex(settings.stale_after, settings.no_response_after)
    IndexSync(db, index).load_all()
    snap, hits = index.within_bbox(-180, -90, 180, 90, Filters(), now, limit=len(index.snapshot))
    features = answers.features(answers.listing(snap, hits, Asker(lang, now)))
    return writer.chunks(public_table(features, {"generated_at": now.isoformat()}))


def export_public(
    settings: Settings, db: Database, fmt: str, lang: str = "uk", now: datetime | None = None
) -> bytes:
    return b"".join(export_chunks(settings, db, fmt, lang, now))
