"""The table of the public feeds and `nezlam export`: its columns with their HXL hashtags, and
how a rendered public Feature becomes a row. A protected point's feature has no address or
geometry already, so nothing here has to hide anything."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nezlam.interchange.formats.interface import Cell, Column, Feature, Table

COLUMNS: tuple[Column, ...] = tuple(
    Column(name, tag)
    for name, tag in [
        ("id", "#loc+code"),
        ("name_uk", "#loc+name+i_uk"),
        ("name_en", "#loc+name+i_en"),
        ("category", "#loc+type"),
        ("kind", "#loc+type+kind"),
        ("anchor", "#loc+anchor"),
        ("organisation", "#org+name"),
        ("phone", "#contact+phone"),
        ("lat", "#geo+lat"),
        ("lon", "#geo+lon"),
        ("location_precision", "#geo+precision"),
        ("address", "#loc+address"),
        ("locality", "#adm3+name"),
        ("region", "#adm1+name"),
        ("timezone", "#date+timezone"),
        ("status", "#status"),
        ("reported_status", "#status+reported"),
        ("power", "#status+power"),
        ("heating", "#status+heating"),
        ("internet", "#status+internet"),
        ("occupancy", "#capacity+occupied"),
        ("capacity", "#capacity+total"),
        ("services", "#service+list"),
        ("opening_hours", "#date+opening_hours"),
        ("open_now", "#status+open_now"),
        ("next_change", "#date+next_change"),  # when the hours next open or close it
        ("out_of_order", "#service+out_of_order"),  # services an inspection found not working
        ("updated_at", "#date+updated"),
        ("verified_at", "#date+verified"),
        ("flagged", "#status+flagged"),
        ("demo", "#meta+demo"),
    ]
)
COLUMN_NAMES = [column.name for column in COLUMNS]


def _cell(value: Any) -> Cell:
    """A value as the row holds it: numbers stay numbers (the writer must not take -73.98 for
    a formula), everything else becomes the text the file shows."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def feature_to_row(feature: Feature) -> list[Cell]:
    """One feature as a row of COLUMNS."""
    props = feature["properties"]
    geometry = feature.get("geometry")
    lon, lat = geometry["coordinates"] if geometry else (None, None)
    values = {
        **props,
        "name_uk": props["names"].get("uk"),
        "name_en": props["names"].get("en"),
        "lat": lat,
        "lon": lon,
        "out_of_order": sorted({s for f in props.get("faults") or () for s in f["services"]}),
    }
    return [_cell(values.get(name)) for name in COLUMN_NAMES]


def public_table(features: Sequence[Feature], members: Mapping[str, Any]) -> Table:
    """Rendered public features as the table every writer takes; `members` go beside the
    features in a document format (a feed's `generated_at`, `next_cursor`)."""
    return Table(features, COLUMNS, feature_to_row, members)
