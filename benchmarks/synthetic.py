"""A synthetic national network for the benchmarks: points spread uniformly over Ukraine's
bounding box, with random categories, services, opening hours, statuses and report ages, so the
freshness rule yields a realistic mix of open, unconfirmed, silent and unknown points.

Deterministic (fixed seeds); report ages are relative to `now`. Also: the places queries come
from (half around Kyiv, half anywhere in the box), and the loaders that put the network into
Nezlam's own schema (the tables of `nezlam.store.tables`) or into a bare PostGIS table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from nezlam.domain.point_view import PointView, coarse_position
from nezlam.domain.vocabulary import SERVICE_BITS, SERVICES

SOUTH, NORTH, WEST, EAST = 44.4, 52.4, 22.1, 40.2  # Ukraine's bounding box, degrees WGS84
KYIV = (50.4501, 30.5234)
CATEGORIES = ("state", "business", "service")
STATUSES = ("open", "standby", "full", "closed")
HOURS = (
    None,
    None,
    "24/7",
    "24/7",
    "Mo-Fr 08:00-20:00; Sa 09:00-16:00; Su off",
    "Mo-Su 08:00-22:00",
)
# How likely each service is offered; heat and power, the point of the network, nearly always.
SERVICE_ODDS = {"heat": 0.95, "power": 0.8, "water": 0.6, "hot_drinks": 0.6, "wifi": 0.5}
REGION = "Україна"


@dataclass(frozen=True)
class Network:
    """Column arrays of n points; row i is one point."""

    ids: list[str]
    lat: np.ndarray
    lon: np.ndarray
    category: list[str]
    services: list[tuple[str, ...]]
    hours: list[str | None]
    visibility: list[str]
    status: list[str | None]
    updated_at: list[datetime | None]
    verified_at: list[datetime | None]
    occupancy: list[int | None]

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, i: int) -> dict[str, Any]:
        """The values of one `points` row in Nezlam's schema (change_seq = i + 1)."""
        return {
            "id": self.ids[i],
            "external_id": None,
            "name": {
                "uk": f"Пункт незламності № {i + 1}",
                "en": f"Invincibility point No. {i + 1}",
            },
            "category": self.category[i],
            "kind": "stationary",
            "anchor": False,
            "organisation_id": None,
            "phone": "+380 44 000 00 00",
            "lat": float(self.lat[i]),
            "lon": float(self.lon[i]),
            "address": f"вул. Тестова, {i % 200 + 1}",
            "locality": f"Громада {i % 1400 + 1}",
            "region": REGION,
            "timezone": "Europe/Kyiv",
            "visibility": self.visibility[i],
            "services": list(self.services[i]),
            "capacity": 50,
            "opening_hours": self.hours[i],
            "notes": None,
            "demo": False,
            "status": self.status[i],
            "power": "generator" if self.status[i] else None,
            "heating": True if self.status[i] else None,
            "internet": None,
            "occupancy": self.occupancy[i],
            "fuel_litres": None,
            "updated_at": self.updated_at[i],
            "verified_at": self.verified_at[i],
            "flagged_at": None,
            "change_seq": i + 1,
        }

    def view(self, i: int, now: datetime) -> PointView:
        row = self.row(i)
        row.update(services=tuple(row["services"]), organisation=None, edited_at=now)
        return PointView(**row)


def generate(n: int, now: datetime, seed: int = 20221122) -> Network:
    rng = np.random.default_rng(seed)
    lat = np.round(rng.uniform(SOUTH, NORTH, n), 6)
    lon = np.round(rng.uniform(WEST, EAST, n), 6)
    odds = np.array([SERVICE_ODDS.get(code, 0.25) for code in SERVICES])
    offered = rng.random((n, len(SERVICES))) < odds
    codes = list(SERVICES)
    services = [tuple(c for c, on in zip(codes, row, strict=True) if on) for row in offered]
    # Ages in hours: 6 % never reported, 8 % silent (no_response), 16 % stale, the rest fresh.
    roll = rng.random(n)
    ages = np.where(
        roll < 0.14,
        rng.uniform(25, 60, n),
        np.where(roll < 0.30, rng.uniform(7, 20, n), rng.uniform(0.1, 5.5, n)),
    )
    never = roll < 0.06
    status_pick = rng.choice(len(STATUSES), n, p=[0.72, 0.1, 0.06, 0.12])
    hour_pick = rng.integers(0, len(HOURS), n)
    category_pick = rng.integers(0, len(CATEGORIES), n)
    visibility = rng.choice(["public", "locality_only", "hidden"], n, p=[0.985, 0.01, 0.005])
    status: list[str | None] = []
    updated: list[datetime | None] = []
    occupancy: list[int | None] = []
    for i in range(n):
        if never[i]:
            status.append(None)
            updated.append(None)
            occupancy.append(None)
        else:
            status.append(STATUSES[status_pick[i]])
            updated.append(now - timedelta(hours=float(ages[i])))
            occupancy.append(int(i % 50))
    return Network(
        ids=[f"b-{i + 1:06d}" for i in range(n)],
        lat=lat,
        lon=lon,
        category=[CATEGORIES[c] for c in category_pick],
        services=services,
        hours=[HOURS[h] for h in hour_pick],
        visibility=[str(v) for v in visibility],
        status=status,
        updated_at=updated,
        verified_at=list(updated),
        occupancy=occupancy,
    )


def query_positions(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Where people ask from: half around Kyiv (σ ≈ 10 km), half anywhere in the box."""
    rng = np.random.default_rng(seed)
    kyiv = rng.random(n) < 0.5
    lat = np.where(kyiv, rng.normal(KYIV[0], 0.09, n), rng.uniform(SOUTH, NORTH, n))
    lon = np.where(kyiv, rng.normal(KYIV[1], 0.14, n), rng.uniform(WEST, EAST, n))
    return lat, lon


# --- loaders ---------------------------------------------------------------------------------
def load_nezlam(url: str, network: Network, batch: int = 10_000) -> None:
    """Migrate a Nezlam database at `url` and insert the network in one transaction, with the
    change counter at the last point's change_seq (so a worker's index loads them all)."""
    from sqlalchemy import insert, update

    from nezlam.store.db import Database, upgrade
    from nezlam.store.tables import ChangeCounter, Point

    upgrade(url)
    db = Database(url)
    try:
        with db.write() as session:
            for start in range(0, len(network), batch):
                rows = [
                    network.row(i)
                    | {"created_at": network.updated_at[i] or _epoch(), "edited_at": _epoch()}
                    for i in range(start, min(start + batch, len(network)))
                ]
                session.execute(insert(Point), rows)
            session.execute(
                update(ChangeCounter).where(ChangeCounter.id == 1).values(value=len(network))
            )
    finally:
        db.dispose()


def _epoch() -> datetime:
    return datetime(2026, 1, 1).astimezone()


# The columns the PostGIS app renders: the same public properties Nezlam renders.
POSTGIS_COLUMNS = (
    "id",
    "name",
    "category",
    "kind",
    "anchor",
    "phone",
    "address",
    "locality",
    "region",
    "timezone",
    "visibility",
    "services",
    "capacity",
    "opening_hours",
    "notes",
    "demo",
    "status",
    "power",
    "heating",
    "internet",
    "occupancy",
    "updated_at",
    "verified_at",
    "flagged_at",
    "lat",
    "lon",
)
POSTGIS_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE points (
    id text PRIMARY KEY,
    name jsonb NOT NULL,
    category text NOT NULL,
    kind text NOT NULL,
    anchor boolean NOT NULL,
    phone text,
    address text,
    locality text NOT NULL,
    region text NOT NULL,
    timezone text NOT NULL,
    visibility text NOT NULL,
    services text[] NOT NULL,
    capacity integer,
    opening_hours text,
    notes jsonb,
    demo boolean NOT NULL,
    status text,
    power text,
    heating boolean,
    internet boolean,
    occupancy integer,
    updated_at timestamptz,
    verified_at timestamptz,
    flagged_at timestamptz,
    lat double precision NOT NULL,
    lon double precision NOT NULL,
    services_mask bigint NOT NULL,
    geog geography(Point, 4326) NOT NULL  -- the public position (a protected point's grid cell)
);
"""


def load_postgis(libpq_url: str, network: Network) -> None:
    """The same network in a bare PostGIS table with a GiST index on its geography column.
    Hidden points are left out, as Nezlam's index leaves them out."""
    import orjson
    import psycopg

    columns = ", ".join((*POSTGIS_COLUMNS, "services_mask", "geog"))
    with psycopg.connect(libpq_url) as conn:
        conn.execute(POSTGIS_SCHEMA)
        with conn.cursor().copy(f"COPY points ({columns}) FROM STDIN") as copy:
            for i in range(len(network)):
                if network.visibility[i] == "hidden":
                    continue
                row = network.row(i)
                lat, lon = row["lat"], row["lon"]
                if row["visibility"] == "locality_only":
                    lat, lon = coarse_position(lat, lon)
                row["name"] = orjson.dumps(row["name"]).decode()
                mask = sum(SERVICE_BITS[s] for s in row["services"])
                copy.write_row(
                    (*(row[c] for c in POSTGIS_COLUMNS), mask, f"SRID=4326;POINT({lon} {lat})")
                )
        conn.execute("CREATE INDEX points_geog ON points USING gist (geog)")
        conn.commit()
        conn.execute("ANALYZE points")
        conn.commit()
