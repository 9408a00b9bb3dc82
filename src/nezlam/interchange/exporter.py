"""Export the public view of the registry to a file: what the feeds serve, without a server."""

from __future__ import annotations

from datetime import datetime

from nezlam.config import Settings
from nezlam.domain.errors import Invalid
from nezlam.domain.public import render_hits
from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.index_sync import IndexSync
from nezlam.interchange.formats import EXPORTERS
from nezlam.store.db import Database
from nezlam.store.tables import utcnow


def export_public(
    settings: Settings, db: Database, fmt: str, lang: str = "uk", now: datetime | None = None
) -> bytes:
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        raise Invalid(f"unknown format {fmt!r}; known: {', '.join(EXPORTERS)}", field="format")
    now = now or utcnow()
    index = SpatialIndex(settings.stale_after, settings.no_response_after)
    IndexSync(db, index).load_all()
    snap, hits = index.within_bbox(-180, -90, 180, 90, Filters(), now, limit=len(index.snapshot))
    features = render_hits(
        snap.views,
        hits,
        now=now,
        stale_after=settings.stale_after,
        no_response_after=settings.no_response_after,
        lang=lang,
        with_distance=False,
    )
    return exporter.render(features, {"generated_at": now.isoformat()})
