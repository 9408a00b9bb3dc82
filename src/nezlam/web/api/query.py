"""Parsing of the shared query parameters (filters, position, bbox) with errors that name them.

Hand-written rather than declared per parameter, because the nearest endpoint is the hot path:
this does the same checks with a fraction of the per-request cost. The OpenAPI description of
these parameters is in `FILTER_PARAMETERS` / `NEAREST_PARAMETERS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nezlam.domain.errors import Invalid
from nezlam.domain.vocabulary import SERVICES, Category, ShownStatus
from nezlam.geo.spatial_index import Filters

SHOWN_VALUES = [s.value for s in ShownStatus]
CATEGORY_VALUES = [c.value for c in Category]
LANGUAGES = ("uk", "en")


def _list(params: Mapping[str, str], name: str, allowed: list[str]) -> list[str]:
    raw = params.get(name)
    if not raw:
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise Invalid(
            f"unknown value(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}", field=name
        )
    return values


def number(
    params: Mapping[str, str], name: str, low: float, high: float, default: float | None = None
) -> float:
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise Invalid("is required", field=name)
        return default
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(f"must be a number, got {raw[:40]!r}", field=name) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Invalid(f"must be between {low:g} and {high:g}", field=name)
    return value


def integer(params: Mapping[str, str], name: str, low: int, high: int, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.lstrip("-").isdigit():
        raise Invalid(f"must be a whole number, got {raw[:40]!r}", field=name)
    value = int(raw)
    if not low <= value <= high:
        raise Invalid(f"must be between {low} and {high}", field=name)
    return value


def boolean(params: Mapping[str, str], name: str) -> bool | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise Invalid("must be true or false", field=name)


def choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise Invalid(f"must be one of {', '.join(allowed)}", field=name)
    return raw


def filters(params: Mapping[str, str]) -> Filters:
    return Filters.build(
        services=_list(params, "services", list(SERVICES)),
        statuses=_list(params, "status", SHOWN_VALUES),
        categories=_list(params, "category", CATEGORY_VALUES),
        open_now=boolean(params, "open_now"),
    )


def language(params: Mapping[str, str], accept_language: str | None) -> str:
    lang = params.get("lang")
    if lang:
        if lang not in LANGUAGES:
            raise Invalid(f"must be one of {', '.join(LANGUAGES)}", field="lang")
        return lang
    if accept_language:
        for part in accept_language.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return "uk"


def bbox(params: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    raw = params.get("bbox")
    if not raw:
        return None
    parts = raw.split(",")
    if len(parts) != 4:
        raise Invalid("must be west,south,east,north", field="bbox")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise Invalid("must be four numbers: west,south,east,north", field="bbox") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise Invalid("must be finite numbers", field="bbox")
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise Invalid(
            "longitudes must be within ±180, latitudes within ±90 and south ≤ north", field="bbox"
        )
    return west, south, east, north


def _param(
    name: str, description: str, schema: dict[str, Any], required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


FILTER_PARAMETERS = [
    _param(
        "services",
        "comma-separated; every one must be offered",
        {"type": "string", "example": "heat,power"},
    ),
    _param(
        "status",
        "comma-separated shown statuses (after the freshness rule)",
        {"type": "string", "example": "open"},
    ),
    _param("category", "comma-separated: " + ", ".join(CATEGORY_VALUES), {"type": "string"}),
    _param("open_now", "by opening hours, in the point's timezone", {"type": "boolean"}),
    _param(
        "lang",
        "language of names: uk or en (default from Accept-Language, else uk)",
        {"type": "string", "enum": list(LANGUAGES)},
    ),
]
NEAREST_PARAMETERS = [
    _param(
        "lat", "latitude, degrees WGS84", {"type": "number", "minimum": -90, "maximum": 90}, True
    ),
    _param(
        "lon", "longitude, degrees WGS84", {"type": "number", "minimum": -180, "maximum": 180}, True
    ),
    _param("k", "how many points", {"type": "integer", "minimum": 1, "maximum": 100, "default": 5}),
    _param(
        "max_km",
        "only points within this distance",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 20000},
    ),
    _param(
        "by",
        "order by straight-line distance, or by walking distance on the streets (`walking_m` "
        "in each point; needs an imported street network, else `distance_by` says "
        "straight_line)",
        {"type": "string", "enum": ["straight", "walking"], "default": "straight"},
    ),
    *FILTER_PARAMETERS,
]
# How many points one answer may hold: the API's bounding box, and the feeds (a whole
# national network). Each check, its error text and its documentation read these.
POINTS_LIMIT, POINTS_LIMIT_DEFAULT = 20_000, 5_000
FEED_LIMIT = 200_000


def bbox_parameters(limit_max: int, limit_default: int) -> list[dict[str, Any]]:
    return [
        _param(
            "bbox",
            "west,south,east,north in degrees",
            {"type": "string", "example": "30.3,50.3,30.8,50.6"},
        ),
        _param(
            "limit",
            "at most this many points",
            {"type": "integer", "minimum": 1, "maximum": limit_max, "default": limit_default},
        ),
        *FILTER_PARAMETERS,
    ]


BBOX_PARAMETERS = bbox_parameters(POINTS_LIMIT, POINTS_LIMIT_DEFAULT)
FEED_BBOX_PARAMETERS = bbox_parameters(FEED_LIMIT, FEED_LIMIT)
