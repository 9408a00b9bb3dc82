"""One raw record checked on its own: mapped to point fields, defaults filled in, placed by its
address when asked to, and validated as a PointCreate. Problems name the field and say what to
do; the hints name the command's options, since `nezlam import` is where rows come from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from nezlam.domain.points import PointCreate
from nezlam.interchange import mapping as mappings
from nezlam.interchange.geocoding import Geocoder
from nezlam.interchange.point_values import point_values

DEFAULTED = ("category", "locality", "region")
HINTS = {
    "category": "give --category state|business|service, or a category column",
    "locality": "give --locality, or a locality column",
    "region": "give --region, or a region column",
    "name": "a name, name_uk or names column",
}
NO_COORDINATES = "no coordinates (lat and lon)"
GEOCODE_HINT = "; give --geocode to place it by its address through the gazetteer"


@dataclass
class Checked:
    point: PointCreate | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    fields: frozenset[str] = frozenset()
    """The point fields the record itself gave (before defaults)."""


def check_record(
    record: dict[str, Any],
    mapping: mappings.Mapping,
    defaults: dict[str, str],
    organisation_of: Any,
    geocoder: Geocoder | None = None,
) -> Checked:
    """`organisation_of(name or slug)` -> (slug, problem or None)."""
    flat, hours_problems = mappings.apply(mapping, record)
    checked = Checked(fields=frozenset(flat))
    checked.problems += [("opening_hours", text) for text in hours_problems]
    checked.problems += list(getattr(record, "problems", ()))
    checked.warnings += list(getattr(record, "warnings", ()))
    values = point_values(flat)
    for name, value in defaults.items():
        values.setdefault(name, value)
    if values.get("organisation") is not None:
        values["organisation"], problem = organisation_of(str(values["organisation"]))
        if problem:
            checked.problems.append(("organisation", problem))
    has_geometry_problem = any(name == "geometry" for name, _ in checked.problems)
    if "lat" not in values and "lon" not in values and not has_geometry_problem:
        _place(values, geocoder, checked)
    try:
        checked.point = PointCreate.model_validate(values)
    except ValidationError as exc:
        quiet = {"lat", "lon"} if has_geometry_problem or _no_place(checked) else set()
        checked.problems += [p for p in validation_problems(exc) if p[0] not in quiet]
    point = checked.point
    if point is not None and point.lat == 0 and point.lon == 0:
        checked.problems.append(("coordinates", "0, 0 is a placeholder, not a place"))
    if checked.problems:
        checked.point = None
    return checked


def _no_place(checked: Checked) -> bool:
    return any(name == "coordinates" for name, _ in checked.problems)


def _place(values: dict[str, Any], geocoder: Geocoder | None, checked: Checked) -> None:
    """Coordinates from the address through the gazetteer, or the problem of having none."""
    address = values.get("address")
    if geocoder is None or not address:
        hint = GEOCODE_HINT if geocoder is None and address else ""
        checked.problems.append(("coordinates", NO_COORDINATES + hint))
        return
    placed = geocoder(str(address), values.get("locality"))
    if placed is None:
        checked.problems.append(
            ("coordinates", f"{NO_COORDINATES}, and the gazetteer has no house at {address!r}")
        )
        return
    values["lat"], values["lon"] = placed.lat, placed.lon
    checked.warnings.append(
        (
            "coordinates",
            f"placed by its address at «{placed.label}» (gazetteer score {placed.score:.0f})",
        )
    )


def validation_problems(error: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if not name and ": " in message and message.split(": ", 1)[0] in mappings.SIMPLE_FIELDS:
            # A check across fields names its field first, like "opening_hours: ...".
            name, message = message.split(": ", 1)
        if item["type"] == "missing":
            message = "is required" + (f": {HINTS[name]}" if name in HINTS else "")
        problems.append((name or "row", message))
    return problems
