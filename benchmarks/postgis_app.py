"""The baseline for the HTTP benchmark: the same nearest endpoint answered by PostgreSQL + PostGIS.

A minimal FastAPI app with the same URL, parameters and GeoJSON shape as Nezlam's
`/api/v1/points/nearest`, but every request runs
`ORDER BY geog <-> ST_MakePoint(lon, lat)::geography LIMIT k` on a GiST index (the table made by
`synthetic.load_postgis`). The freshness rule is evaluated in SQL; open-now by the same opening
hours library Nezlam uses. Connections come from a small asyncio pool of psycopg async
connections (prepared statements, autocommit).

    NEZLAM_BENCH_POSTGIS_URL=postgresql://postgres@127.0.0.1:5432/db \\
        .venv/bin/python -m uvicorn postgis_app:create_app --factory --app-dir benchmarks \\
        --workers 1
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from fastapi import FastAPI, Request, Response
from psycopg.types.json import set_json_loads

from nezlam.domain import opening_hours
from nezlam.domain.point_view import iso
from nezlam.domain.vocabulary import SERVICE_BITS

APPLICATION_NAME = "nezlam-bench-postgis"
# The planner underestimates how many rows pass the service and status filters (it guesses
# 0.5 % for each expression), and then prefers a parallel sequential scan and a sort — 40 ms
# instead of 0.3 ms. For nearest-k the ordered GiST scan is always the right plan, so say so;
# no parallel workers either, so all of PostgreSQL's CPU is in the backends we measure.
SESSION_OPTIONS = "-c enable_seqscan=off -c max_parallel_workers_per_gather=0"
POOL_SIZE = int(os.environ.get("NEZLAM_BENCH_POOL_SIZE", "8"))
STALE_AFTER_S, NO_RESPONSE_AFTER_S = 6 * 3600, 24 * 3600
GEOJSON = "application/geo+json"

SHOWN = f"""CASE
    WHEN status IS NULL OR updated_at IS NULL THEN 'unknown'
    WHEN now() - updated_at >= interval '{NO_RESPONSE_AFTER_S} seconds' THEN 'no_response'
    WHEN status = 'open' AND (verified_at IS NULL
         OR now() - verified_at >= interval '{STALE_AFTER_S} seconds') THEN 'unconfirmed'
    ELSE status END"""
CENTRE = "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography"
NEAREST = f"""
SELECT id, name, category, kind, anchor, phone, address, locality, region, timezone, visibility,
       services, capacity, opening_hours, notes, demo, status, power, heating, internet,
       occupancy, updated_at, verified_at, flagged_at, lat, lon,
       {SHOWN} AS shown, geog <-> {CENTRE} AS metres
FROM points
WHERE services_mask & %(mask)s = %(mask)s
  AND (%(shown)s::text[] IS NULL OR {SHOWN} = ANY(%(shown)s::text[]))
  AND (%(categories)s::text[] IS NULL OR category = ANY(%(categories)s::text[]))
ORDER BY geog <-> {CENTRE}
LIMIT %(k)s
"""


class Pool:
    """A fixed set of async connections handed out one request at a time."""

    def __init__(self, url: str, size: int) -> None:
        self.url, self.size = url, size
        self.idle: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.size):
            conn = await psycopg.AsyncConnection.connect(
                self.url,
                autocommit=True,
                application_name=APPLICATION_NAME,
                options=SESSION_OPTIONS,
            )
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        conn = await self.idle.get()
        try:
            yield conn
        finally:
            self.idle.put_nowait(conn)


def bad_request(field: str, problem: str) -> Response:
    body = {"status": 422, "errors": [{"field": field, "problem": problem}]}
    return Response(orjson.dumps(body), status_code=422, media_type="application/json")


def number(raw: str | None, low: float, high: float) -> float | None:
    try:
        value = float(raw) if raw else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def feature(row: tuple[Any, ...], lang: str, now: datetime) -> dict[str, Any]:
    (
        pid,
        name,
        category,
        kind,
        anchor,
        phone,
        address,
        locality,
        region,
        timezone,
        visibility,
        services,
        capacity,
        hours,
        notes,
        demo,
        status,
        power,
        heating,
        internet,
        occupancy,
        updated_at,
        verified_at,
        flagged_at,
        lat,
        lon,
        shown,
        metres,
    ) = row
    protected = visibility == "locality_only"
    properties = {
        "id": pid,
        "name": name.get(lang) or name["uk"],
        "names": name,
        "category": category,
        "kind": kind,
        "anchor": anchor,
        "organisation": None,
        "phone": phone,
        "address": None if protected else address,
        "locality": locality,
        "region": region,
        "location_precision": "locality" if protected else "exact",
        "timezone": timezone,
        "services": services,
        "capacity": capacity,
        "opening_hours": hours,
        "notes": (notes or {}).get(lang) or (notes or {}).get("uk"),
        "demo": demo,
        "status": shown,
        "reported_status": status,
        "power": power,
        "heating": heating,
        "internet": internet,
        "occupancy": occupancy,
        "updated_at": iso(updated_at),
        "verified_at": iso(verified_at),
        "flagged": flagged_at is not None,
        "open_now": opening_hours.is_open(hours, timezone, now),
        "distance_m": round(metres, -3) if protected else round(metres),
    }
    geometry = None if protected else {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "id": pid, "geometry": geometry, "properties": properties}


def create_app() -> FastAPI:
    set_json_loads(orjson.loads)
    pool = Pool(os.environ["NEZLAM_BENCH_POSTGIS_URL"], POOL_SIZE)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await pool.open()
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> Response:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.get("/api/v1/points/nearest")
    async def nearest(request: Request) -> Response:
        params = request.query_params
        lat = number(params.get("lat"), -90, 90)
        lon = number(params.get("lon"), -180, 180)
        if lat is None or lon is None:
            return bad_request("lat" if lat is None else "lon", "a number is required")
        k = int(params.get("k") or 5)
        lang = params.get("lang") or "uk"
        services = [s for s in (params.get("services") or "").split(",") if s]
        shown = [s for s in (params.get("status") or "").split(",") if s] or None
        categories = [c for c in (params.get("category") or "").split(",") if c] or None
        mask = sum(SERVICE_BITS[s] for s in services)
        arguments = {
            "lat": lat,
            "lon": lon,
            "k": k,
            "mask": mask,
            "shown": shown,
            "categories": categories,
        }
        async with pool.connection() as conn:
            cursor = await conn.execute(NEAREST, arguments, prepare=True)
            rows = await cursor.fetchall()
        now = datetime.now(UTC)
        body = {
            "type": "FeatureCollection",
            "features": [feature(r, lang, now) for r in rows],
            "generated_at": iso(now),
            "stale_after_s": STALE_AFTER_S,
        }
        return Response(orjson.dumps(body), media_type=GEOJSON)

    return app
