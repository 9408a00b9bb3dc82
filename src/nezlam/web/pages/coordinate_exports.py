"""Exports of the coordinator's filtered view, all pages: CSV (for Excel), GeoJSON and XLSX.

Every format writes the same records, through the writers of `nezlam.interchange.formats`
(those of the feeds and `nezlam export`); a protected point's exact position and address go
only to those who may see them (its coordinators), as on the dashboard.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from nezlam.domain.permissions import PointScope, Principal, can_see_protected
from nezlam.domain.point_view import iso
from nezlam.domain.vocabulary import Visibility
from nezlam.interchange.formats import WRITERS
from nezlam.interchange.formats.interface import Column, Feature, Table, Writer
from nezlam.reading import protection
from nezlam.store import dashboard as board
from nezlam.web.pages.coordinate import load_scope
from nezlam.web.plumbing.forms import words
from nezlam.web.plumbing.session import SignedIn, SignedInCoordinator
from nezlam.web.plumbing.wall_clock import local_zone
from nezlam.web.words.coordinate_words import status_name

router = APIRouter(include_in_schema=False)
EXPORT_COLUMNS = (
    "id", "name", "locality", "region", "address", "lat", "lon", "status", "status_text",
    "reported_status", "updated_at_utc", "verified_at_utc", "occupancy", "capacity", "power",
    "fuel_litres", "fuel_runway_hours", "fuel_reserve_at_utc", "flagged", "visibility",
)  # fmt: skip
COLUMNS = tuple(Column(name) for name in EXPORT_COLUMNS)


def export_record(
    row: board.PointRow, principal: Principal, now: datetime, lang: str, _: Any
) -> dict[str, Any]:
    """One point as every export format writes it. Exact position and address only for those
    who may see a protected point's (its coordinators)."""
    exact = can_see_protected(principal, PointScope(row.id, row.region, row.organisation_id))
    hidden = row.visibility == Visibility.LOCALITY_ONLY and not exact
    lat, lon, address = protection.masked_whereabouts(row.lat, row.lon, row.address, hidden)
    return {
        "id": row.id,
        "name": row.label(lang),
        "locality": row.locality,
        "region": row.region,
        "address": address,
        "lat": float(lat),
        "lon": float(lon),
        "status": row.shown.value,
        "status_text": status_name(row.shown.value, _),
        "reported_status": row.status,
        "updated_at_utc": iso(row.updated_at),
        "verified_at_utc": iso(row.verified_at),
        "occupancy": row.occupancy,
        "capacity": row.capacity,
        "power": row.power,
        "fuel_litres": row.fuel_litres,
        # Hours on its generator until empty (from the last reading, less what ran since), and
        # when it reaches its reserve if it runs on the generator now.
        "fuel_runway_hours": round(row.runway.hours_left, 1) if row.runway else None,
        "fuel_reserve_at_utc": iso(row.runway.reserve_at(now)) if row.runway else None,
        "flagged": row.flagged_at is not None,
        "visibility": row.visibility,
    }


def export_records(request: Request, who: SignedIn) -> tuple[list[dict[str, Any]], str]:
    """The filtered view's records (all pages), and the file name's stem with today's date."""
    lang, _ = words(request)
    scope = load_scope(request, who, lang)
    records = [export_record(row, who.principal, scope.now, lang, _) for row in scope.chosen]
    return records, f"nezlam-points-{scope.now.astimezone(local_zone()):%Y-%m-%d}"


def attachment(request: Request, who: SignedIn, writer: Writer) -> Response:
    """The filtered view written by `writer`, as a file to download; every format answers a
    browser that is not signed in, or someone who is not a coordinator, the same way."""
    records, stem = export_records(request, who)
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{writer.suffix}"'}
    return Response(writer.write(table(records)), media_type=writer.media_type, headers=headers)


@router.get("/coordinate/export.csv")
def export_csv(request: Request, who: SignedInCoordinator) -> Response:
    return attachment(request, who, WRITERS["csv"])


@router.get("/coordinate/export.geojson")
def export_geojson(request: Request, who: SignedInCoordinator) -> Response:
    return attachment(request, who, WRITERS["geojson"])


@router.get("/coordinate/export.xlsx")
def export_xlsx(request: Request, who: SignedInCoordinator) -> Response:
    return attachment(request, who, WRITERS["xlsx"])


def feature(record: dict[str, Any]) -> Feature:
    return {
        "type": "Feature",
        "id": record["id"],
        "geometry": {"type": "Point", "coordinates": [record["lon"], record["lat"]]},
        "properties": record,
    }


def table(records: list[dict[str, Any]]) -> Table:
    """The records as every writer takes them: a feature each (the record its properties), and
    a row each in EXPORT_COLUMNS order. People open these files in Excel: the CSV starts with a
    byte order mark, which is how Excel knows it is UTF-8 (Cyrillic intact)."""
    return Table(
        [feature(record) for record in records],
        COLUMNS,
        cells,
        byte_order_mark=True,
    )


def cells(feature: Feature) -> list[Any]:
    return [feature["properties"][name] for name in EXPORT_COLUMNS]
