"""Exports of the coordinator's filtered view, all pages: CSV (for Excel), GeoJSON and XLSX.

Every format writes the same records; a protected point's exact position and address go only
to those who may see them (its coordinators), as on the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from nezlam.domain.permissions import PointScope, Principal, can_see_protected
from nezlam.domain.public import iso
from nezlam.geo.distance import coarse_position
from nezlam.interchange import spreadsheet
from nezlam.store import dashboard as board
from nezlam.web.coordinate import load_scope
from nezlam.web.coordinate_words import LOCAL, status_name
from nezlam.web.forms import words
from nezlam.web.session import coordinator_page

router = APIRouter(include_in_schema=False)
EXPORT_COLUMNS = (
    "id", "name", "locality", "region", "address", "lat", "lon", "status", "status_text",
    "reported_status", "updated_at_utc", "verified_at_utc", "occupancy", "capacity", "power",
    "fuel_litres", "flagged", "visibility",
)  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Writer = Callable[[list[dict[str, Any]]], bytes]  # records → the file's bytes


def export_record(row: board.PointRow, principal: Principal, lang: str, _: Any) -> dict[str, Any]:
    """One point as every export format writes it. Exact position and address only for those
    who may see a protected point's (its coordinators)."""
    exact = can_see_protected(principal, PointScope(row.id, row.region, row.organisation_id))
    protected = row.visibility == "locality_only" and not exact
    lat, lon = coarse_position(row.lat, row.lon) if protected else (row.lat, row.lon)
    return {
        "id": row.id,
        "name": row.label(lang),
        "locality": row.locality,
        "region": row.region,
        "address": None if protected else row.address,
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
        "flagged": row.flagged_at is not None,
        "visibility": row.visibility,
    }


def export_records(request: Request) -> tuple[list[dict[str, Any]], str] | RedirectResponse:
    """The filtered view's records (all pages), and the file name's stem with today's date."""
    who = coordinator_page(request)
    if isinstance(who, RedirectResponse):
        return who
    lang, _ = words(request)
    scope = load_scope(request, who, lang)
    records = [export_record(row, who.principal, lang, _) for row in scope.chosen]
    return records, f"nezlam-points-{scope.now.astimezone(LOCAL):%Y-%m-%d}"


def attachment(request: Request, write: Writer, media_type: str, suffix: str) -> Response:
    """The filtered view written by `write`, as a file to download; every format answers a
    browser that is not signed in, or someone who is not a coordinator, the same way."""
    found = export_records(request)
    if isinstance(found, Response):
        return found
    records, stem = found
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{suffix}"'}
    return Response(write(records), media_type=media_type, headers=headers)


@router.get("/coordinate/export.csv")
def export_csv(request: Request) -> Response:
    return attachment(request, csv_bytes, "text/csv; charset=utf-8", "csv")


@router.get("/coordinate/export.geojson")
def export_geojson(request: Request) -> Response:
    return attachment(request, geojson_bytes, "application/geo+json", "geojson")


@router.get("/coordinate/export.xlsx")
def export_xlsx(request: Request) -> Response:
    return attachment(request, xlsx_bytes, XLSX, "xlsx")


def table(records: list[dict[str, Any]]) -> list[list[Any]]:
    """The header and a row per record, in EXPORT_COLUMNS order, for the spreadsheet writers."""
    rows = [[record[name] for name in EXPORT_COLUMNS] for record in records]
    return [list(EXPORT_COLUMNS), *rows]


def csv_bytes(records: list[dict[str, Any]]) -> bytes:
    # The byte order mark is how Excel knows the file is UTF-8 (Cyrillic intact).
    return ("\ufeff" + spreadsheet.csv_text(table(records))).encode("utf-8")


def geojson_bytes(records: list[dict[str, Any]]) -> bytes:
    features = [
        {
            "type": "Feature",
            "id": record["id"],
            "geometry": {"type": "Point", "coordinates": [record["lon"], record["lat"]]},
            "properties": record,
        }
        for record in records
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def xlsx_bytes(records: list[dict[str, Any]]) -> bytes:
    return spreadsheet.xlsx_bytes("points", table(records))
