"""JSON API of the address gazetteer: a resident types an address and gets positions, from which
the nearest invincibility points are one more request away."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request

from nezlam.domain.errors import Invalid
from nezlam.places.search import for_database
from nezlam.web.api import query

router = APIRouter(prefix="/api/v1", tags=["places"])
MAX_QUERY = 200
MAX_LIMIT = 50
ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"


def _parameter(
    name: str, description: str, schema: dict[str, Any], required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


SEARCH_PARAMETERS = [
    _parameter(
        "q",
        'what the resident typed: "Хрещатик 22", "вул. Хрещатик, 22", "Khreshchatyk 22", '
        '"Städtle 43", a town\'s name; prefixes and typos are fine',
        {"type": "string", "minLength": 1, "maxLength": MAX_QUERY, "example": "Хрещатик 22"},
        required=True,
    ),
    _parameter(
        "limit",
        "at most this many results",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
    ),
    _parameter(
        "lat",
        "prefer results near here (with lon): latitude, degrees WGS84",
        {"type": "number", "minimum": -90, "maximum": 90},
    ),
    _parameter(
        "lon",
        "prefer results near here (with lat): longitude, degrees WGS84",
        {"type": "number", "minimum": -180, "maximum": 180},
    ),
]


def text_query(params: Mapping[str, str]) -> str:
    raw = params.get("q")
    if raw is None or not raw.strip():
        raise Invalid("is required: the address or place to look for", field="q")
    if len(raw) > MAX_QUERY:
        raise Invalid(f"must be at most {MAX_QUERY} characters", field="q")
    if any(ord(char) < 32 for char in raw):
        raise Invalid("must not contain control characters", field="q")
    return raw.strip()


def near_position(params: Mapping[str, str]) -> tuple[float, float] | None:
    given = [name for name in ("lat", "lon") if params.get(name)]
    if not given:
        return None
    if len(given) == 1:
        missing = "lon" if given == ["lat"] else "lat"
        raise Invalid(f"is required together with {given[0]}", field=missing)
    return query.number(params, "lat", -90, 90), query.number(params, "lon", -180, 180)


@router.get(
    "/places/search",
    summary="Find an address, a street or a place by what a resident typed",
    openapi_extra={"parameters": SEARCH_PARAMETERS},
    responses={
        200: {
            "description": "Best matches first; `kind` is address, street or place; "
            "`score` runs to 100",
            "content": {
                "application/json": {
                    "example": {
                        "results": [
                            {
                                "label": "вулиця Хрещатик, 22, Київ",
                                "kind": "address",
                                "name": None,
                                "housenumber": "22",
                                "street": "вулиця Хрещатик",
                                "locality": "Київ",
                                "postcode": "01001",
                                "lat": 50.4478,
                                "lon": 30.5222,
                                "score": 98.0,
                            }
                        ],
                        "attribution": ATTRIBUTION,
                    }
                }
            },
        }
    },
)
def search_places(request: Request) -> dict[str, Any]:
    # Parsed by hand like the points API, so every refusal is a 422 naming its parameter.
    params = request.query_params
    text = text_query(params)
    limit = query.integer(params, "limit", 1, MAX_LIMIT, 10)
    near = near_position(params)
    hits = for_database(request.app.state.nezlam.db).search(text, limit=limit, near=near)
    body: dict[str, Any] = {"results": [hit.public() for hit in hits]}
    if any(hit.record.osm_id for hit in hits):
        body["attribution"] = ATTRIBUTION  # the ODbL asks for it wherever the data is shown
    return body
