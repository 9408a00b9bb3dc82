"""Feeds for aggregators and spreadsheets: GeoJSON (RFC 7946), CSV and HXL CSV.

They honour the same filters as the API. `ETag` is a hash of the body, so a 304 is never wrong
even though statuses decay with time alone. `?changed_since=CURSOR` returns what changed since a
previous response's `Nezlam-Next-Cursor`: points written since, and points whose shown status
crossed a freshness boundary since (an `open` turning `unconfirmed` is a change, too).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from nezlam.domain.errors import Invalid
from nezlam.geo.spatial_index import STATUS_CODES, Hit, Snapshot
from nezlam.interchange.exporter import FEED_FORMATS, feed_writer
from nezlam.interchange.formats.interface import Writer
from nezlam.interchange.public_table import public_table
from nezlam.reading import answers
from nezlam.reading.answers import DEMO_NOTICE
from nezlam.reading.point_public import Asker
from nezlam.store.tables import Point
from nezlam.web.api import query
from nezlam.web.plumbing.state import AppState

router = APIRouter(prefix="/api/v1/feeds", tags=["feeds"])

FEED_PARAMETERS = [
    *query.FEED_BBOX_PARAMETERS,
    query._param(
        "changed_since",
        "a cursor from a previous response's Nezlam-Next-Cursor header",
        {"type": "string", "pattern": r"^\d+-\d+$"},
    ),
]


def parse_cursor(raw: str) -> tuple[int, float]:
    seq, _, stamp = raw.partition("-")
    if not (seq.isdigit() and stamp.isdigit() and len(seq) <= 18 and len(stamp) <= 12):
        raise Invalid(
            "must be a cursor like 1234-1700000000 from Nezlam-Next-Cursor", field="changed_since"
        )
    return int(seq), float(stamp)


def changed_rows(
    snap: Snapshot, rows: np.ndarray, since_seq: int, since_ts: float, now: float, state: AppState
) -> np.ndarray:
    """Rows written after `since_seq`, or whose freshness boundary fell in (since_ts, now]."""
    settings = state.settings
    written = np.fromiter((snap.views[r].change_seq > since_seq for r in rows), bool, len(rows))
    with np.errstate(invalid="ignore"):
        stale_at = snap.verified[rows] + settings.stale_after.total_seconds()
        silent_at = snap.updated[rows] + settings.no_response_after.total_seconds()
        is_open = snap.status[rows] == STATUS_CODES["open"]
        decayed = (is_open & (stale_at > since_ts) & (stale_at <= now)) | (
            (silent_at > since_ts) & (silent_at <= now)
        )
    return rows[written | decayed]


def removed_since(state: AppState, since_seq: int) -> list[str]:
    """Points that left public view since the cursor; a point that never was public (an
    application awaiting approval) is not mentioned at all."""
    with state.db.read() as session:
        return list(
            session.execute(
                select(Point.id).where(
                    Point.change_seq > since_seq,
                    Point.visibility == "hidden",
                    Point.published_at.is_not(None),
                )
            ).scalars()
        )


def serve_feed(request: Request, writer: Writer) -> Response:
    """One format's feed: the points the query matches (only those changed since the cursor,
    when one is given), with what a reader needs beside them (`extra`)."""
    state: AppState = request.app.state.nezlam
    params = request.query_params
    box = query.bbox(params) or (-180.0, -90.0, 180.0, 90.0)
    limit = query.integer(params, "limit", 1, query.FEED_LIMIT, query.FEED_LIMIT)
    lang = query.language(params, request.headers.get("accept-language"))
    cursor = params.get("changed_since")
    now = state.clock()
    snap, hits = state.index.within_bbox(*box, query.filters(params), now, limit)
    extra: dict[str, Any] = {"generated_at": now.isoformat().replace("+00:00", "Z")}
    if cursor:
        hits, extra["removed"] = since_cursor(state, snap, hits, cursor, now)
    extra["next_cursor"] = f"{snap.seq}-{int(now.timestamp())}"
    if snap.has_demo:
        extra["notice"] = DEMO_NOTICE
    features = answers.features(answers.listing(snap, hits, Asker(lang, now)))
    return feed_answer(request, writer, features, extra)


def since_cursor(
    state: AppState, snap: Snapshot, hits: list[Hit], cursor: str, now: datetime
) -> tuple[list[Hit], list[str]]:
    """The hits that changed since the cursor (`changed_rows`), and the points that left
    public view since (`removed_since`)."""
    since_seq, since_ts = parse_cursor(cursor)
    wanted = set(
        changed_rows(
            snap,
            np.array([h[0] for h in hits], dtype=np.intp),
            since_seq,
            since_ts,
            now.timestamp(),
            state,
        ).tolist()
    )
    return [h for h in hits if h[0] in wanted], removed_since(state, since_seq)


def feed_answer(
    request: Request, writer: Writer, features: list[dict[str, Any]], extra: dict[str, Any]
) -> Response:
    """The feed written by `writer`, with an ETag of what was found, and a 304 for a reader
    who has it already."""
    # The tag covers what was found, not generated_at and next_cursor, which tick every second.
    tag_source = orjson.dumps([writer.name, features, extra.get("removed")])
    etag = '"' + hashlib.sha256(tag_source).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=30",
        "Nezlam-Next-Cursor": extra["next_cursor"],
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Expose-Headers": "ETag, Nezlam-Next-Cursor",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    filename = f"nezlam-points-{datetime.now(UTC):%Y%m%d}.{writer.suffix}"
    if writer.name != "geojson":
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    body = writer.write(public_table(features, extra))  # not for a 304
    return Response(body, media_type=writer.media_type, headers=headers)


def _route(writer: Writer) -> None:
    async def feed(request: Request) -> Response:
        return serve_feed(request, writer)

    router.add_api_route(
        f"/points.{writer.suffix}",
        feed,
        methods=["GET"],
        response_class=Response,
        summary=f"All matching points as {writer.name.upper()}",
        name=f"feed_{writer.name}",
        openapi_extra={"parameters": FEED_PARAMETERS},
        responses={
            200: {"content": {writer.media_type.split(";")[0]: {}}},
            304: {"description": "Not modified (If-None-Match)"},
        },
    )


for _name in FEED_FORMATS:
    _route(feed_writer(_name))
