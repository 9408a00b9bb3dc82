"""How the fields of a foreign file become our point fields.

Without a mapping file the file already speaks our language: the column names of our own CSV
export (`name_uk`, `lat`, `services`, ...), which an export can therefore be re-imported with.
Columns our export writes but that are not an editor's to set (`status`, `updated_at`, ...) are
ignored; any other column is reported, since it is most often a typo that would silently drop
data.

A mapping file (JSON) describes a foreign schema:

    {"fields": {"name_uk": "{site_name} ({site_type})", "lat": "location.latitude",
                "address": "location.human_address.address"},
     "constants": {"region": "Illinois", "timezone": "America/Chicago", "services": "heat"},
     "hours": {"per_day": {"open": "{day}_open", "close": "{day}_close"},
               "closed_values": ["CLOSED"]}}

A field is a dotted path into the record (a step may enter a value that is itself a JSON
string), or a template with {path} placeholders. Constants are set on every row. `hours` builds
`opening_hours` from per-day columns; `{day}` is replaced by each of `day_names` (default
monday ... sunday). With a mapping only mapped fields are read, except `lat` and `lon`, which a
GeoJSON geometry provides without being mapped. A mapping without "fields" reads the file's
own columns and adds its constants and hours to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from nezlam.domain.errors import Invalid
from nezlam.interchange import weekly_hours

SIMPLE_FIELDS = frozenset({
    "id", "category", "kind", "anchor", "organisation", "phone", "lat", "lon", "address",
    "locality", "region", "timezone", "visibility", "services", "capacity", "opening_hours",
    "external_id", "outage_region", "outage_queue",
})  # fmt: skip
# Written by our exports, not set by editors: re-importing an export must not trip on them.
OUTPUT_ONLY = frozenset({
    "location_precision", "status", "reported_status", "power", "heating", "internet",
    "occupancy", "open_now", "next_change", "out_of_order", "updated_at", "verified_at",
    "flagged", "flagged_at", "demo",
    "distance_m", "fuel_litres",
})  # fmt: skip
LANGUAGE_FIELD = re.compile(r"^(name|notes)_([a-z]{2,3})$")
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
MISSING = object()


def is_native(name: str) -> bool:
    """A flat field this module turns into point fields: `lat`, `name_en`, `names`, ..."""
    return (
        name in SIMPLE_FIELDS
        or name in ("name", "names", "notes")
        or bool(LANGUAGE_FIELD.match(name))
    )


@dataclass(frozen=True)
class HoursSpec:
    open_path: str
    close_path: str
    day_names: tuple[str, ...] = DAY_NAMES
    closed_values: frozenset[str] = frozenset({"closed"})

    def paths(self) -> list[str]:
        return [
            template.format(day=day)
            for day in self.day_names
            for template in (self.open_path, self.close_path)
        ]


@dataclass(frozen=True)
class Mapping:
    fields: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    hours: HoursSpec | None = None

    @property
    def native(self) -> bool:
        """Whether the record's own columns are read (no "fields" mapped)."""
        return not self.fields

    def sources(self) -> list[tuple[str, str]]:
        """(target field, source path) for every path the mapping reads."""
        pairs = [(target, path) for target, spec in self.fields.items() for path in paths_in(spec)]
        if self.hours:
            pairs += [("opening_hours", path) for path in self.hours.paths()]
        return pairs


NATIVE = Mapping()


def load_mapping(path: Path) -> Mapping:
    try:
        raw = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise Invalid(f"cannot read mapping {path}: {exc}", field="mapping") from exc
    return mapping_from_dict(raw)


def mapping_from_dict(raw: Any) -> Mapping:
    def fail(problem: str) -> Invalid:
        return Invalid(f"mapping: {problem}", field="mapping")

    if not isinstance(raw, dict):
        raise fail("must be a JSON object")
    unknown = set(raw) - {"fields", "constants", "hours", "description"}
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))}")
    fields, constants = raw.get("fields", {}), raw.get("constants", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        raise fail('"fields" must map point fields to paths (strings)')
    if not isinstance(constants, dict):
        raise fail('"constants" must be an object')
    for target in [*fields, *constants]:
        if not is_native(target):
            raise fail(f"{target!r} is not a point field")
    both = set(fields) & set(constants)
    if both:
        raise fail(f"{', '.join(sorted(both))} both mapped and constant")
    hours = hours_from_dict(raw["hours"], fail) if "hours" in raw else None
    if hours and "opening_hours" in {*fields, *constants}:
        raise fail('"hours" and an opening_hours field exclude each other')
    return Mapping(fields, constants, hours)


def hours_from_dict(raw: Any, fail: Any) -> HoursSpec:
    per_day = raw.get("per_day") if isinstance(raw, dict) else None
    if not isinstance(per_day, dict) or not all(
        isinstance(per_day.get(key), str) and "{day}" in per_day[key] for key in ("open", "close")
    ):
        raise fail('"hours" needs "per_day": {"open": "...{day}...", "close": "...{day}..."}')
    day_names = tuple(raw.get("day_names", DAY_NAMES))
    if len(day_names) != 7:
        raise fail('"day_names" must list seven days, Monday first')
    closed = frozenset(str(value).casefold() for value in raw.get("closed_values", ["closed"]))
    return HoursSpec(per_day["open"], per_day["close"], day_names, closed)


def paths_in(spec: str) -> list[str]:
    return _PLACEHOLDER.findall(spec) if "{" in spec else [spec]


def lookup(record: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, entering JSON-in-a-string values; MISSING if absent."""
    value: Any = record
    for step in path.split("."):
        if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                return MISSING
        if isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return MISSING
    return value


def is_blank(value: Any) -> bool:
    return value is None or value is MISSING or (isinstance(value, str) and not value.strip())


def resolve(record: dict[str, Any], spec: str) -> Any:
    """A path's value, or a template filled in; None when anything it needs is blank."""
    if "{" not in spec:
        value = lookup(record, spec)
        return None if is_blank(value) else value
    parts = {path: lookup(record, path) for path in paths_in(spec)}
    if any(is_blank(value) for value in parts.values()):
        return None
    return _PLACEHOLDER.sub(lambda match: str(parts[match[1]]).strip(), spec)


def apply(mapping: Mapping, record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(flat native fields of the record, problems with the opening hours)."""
    if mapping.native:
        flat = {k: v for k, v in record.items() if is_native(k) and not is_blank(v)}
    else:
        flat = {name: value for name in ("lat", "lon") if not is_blank(value := record.get(name))}
        for target, spec in mapping.fields.items():
            value = resolve(record, spec)
            if value is not None:
                flat[target] = value
    flat.update(mapping.constants)
    hours_problems: list[str] = []
    if mapping.hours:
        try:
            hours = opening_hours_of(mapping.hours, record)
        except weekly_hours.HoursError as exc:
            hours_problems.append(str(exc))
        else:
            if hours is not None:
                flat["opening_hours"] = hours
    return flat, hours_problems


def opening_hours_of(spec: HoursSpec, record: dict[str, Any]) -> str | None:
    """The week's hours as an OSM string; None when the record gives no hours at all."""
    raw = [
        (
            resolve(record, spec.open_path.format(day=day)),
            resolve(record, spec.close_path.format(day=day)),
        )
        for day in spec.day_names
    ]
    if all(opens is None and closes is None for opens, closes in raw):
        return None
    week = []
    for day, (opens, closes) in zip(spec.day_names, raw, strict=True):
        try:
            week.append(
                weekly_hours.day_hours(
                    None if opens is None else str(opens),
                    None if closes is None else str(closes),
                    spec.closed_values,
                )
            )
        except weekly_hours.HoursError as exc:
            raise weekly_hours.HoursError(f"{day}: {exc}") from exc
    return weekly_hours.osm_week(week)


def unknown_columns(mapping: Mapping, record: dict[str, Any]) -> set[str]:
    """Columns of a record read natively that are not point fields, nor our export's output,
    nor read by the mapping's hours."""
    used = {path.split(".", 1)[0] for _target, path in mapping.sources()}
    return {
        name
        for name in record
        if not is_native(name) and name not in OUTPUT_ONLY and name not in used
    }
