"""The refusals each API operation can answer, in the OpenAPI document, with the error body.

Derived from the route table rather than written per route, so that a new route is documented
as the others are: a route that asks who is calling can answer 401 and 403; one with a path
parameter 404; one with parameters or a body 422 (the error body, not FastAPI's default
shape, which the API never sends); a write 409, and 413 when it takes a body; those that
are rate-limited 429 (and signing in, 401; a device's ping, 401 and 403). `OPTIONS` is not an
operation of any route: it is answered 405 with `Allow`, like any other method a route does not
take.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from nezlam.web.plumbing.deps import bearer
from nezlam.web.plumbing.limits import KB, limit_for

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every refusal: the status again, and what is wrong, field by field.",
    "required": ["status", "errors"],
    "properties": {
        "status": {"type": "integer", "example": 422},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "problem"],
                "properties": {
                    "field": {
                        "type": ["string", "null"],
                        "description": "the field, parameter or header; null for the request",
                        "example": "lat",
                    },
                    "in": {"type": "string", "enum": ["query", "body", "path", "header"]},
                    "problem": {"type": "string", "example": "must be between -90 and 90"},
                },
            },
        },
    },
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# What the route table cannot tell: the rate-limited routes, and signing in with a password.
ALSO = {
    ("POST", "/api/v1/points/{point_id}/signals"): [429],
    ("POST", "/api/v1/session"): [401, 429],
    # A device's ping answers to its key (web/api/heartbeats.py reads the body itself).
    ("POST", "/api/v1/heartbeat"): [401, 403, 413, 422, 429],
    ("GET", "/channelPing"): [401, 403, 429],
}
DESCRIPTIONS = {
    401: "No API token or signed-in session, or one that is unknown, revoked or expired",
    403: "Signed in, but not allowed this (outside your points or regions), or a session "
    "write without its X-CSRF-Token",
    404: "No such thing, or not shown to you",
    409: "Conflicts with what is stored (already done, or written at the same moment)",
    413: "The request body is larger than this address takes",
    422: "A parameter, header or field is not valid; each is named",
    429: "Too many requests from this connection or for this account; wait and retry",
}


def install(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            document_errors(schema, operations(app))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def operations(app: FastAPI) -> list[Any]:
    """Every API route, however deeply included (FastAPI keeps included routers as such)."""
    return [r for r in iter_route_contexts(app.routes) if getattr(r, "dependant", None)]


def document_errors(schema: dict[str, Any], routes: list[Any]) -> None:
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)  # FastAPI's 422 shape: never sent
    for route in routes:
        if not route.include_in_schema:
            continue
        for method in route.methods:
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                responses = operation.setdefault("responses", {})
                for status in refusals(route, method):
                    responses[str(status)] = response_for(status, route.path_format)


def refusals(route: Any, method: str) -> list[int]:
    dependant = route.dependant
    flat = list(walk(dependant))
    found: list[int] = []
    if any(d.call is bearer for d in flat):
        found += [401, 403]
    if any(d.path_params for d in flat):
        found.append(404)
    if method in WRITES:
        found.append(409)
        if dependant.body_params:
            found.append(413)
    if any(d.path_params or d.query_params or d.header_params or d.body_params for d in flat) or (
        route.openapi_extra and route.openapi_extra.get("parameters")
    ):
        found.append(422)
    found += [s for s in ALSO.get((method, route.path_format), []) if s not in found]
    return sorted(found)


def walk(dependant: Dependant) -> Any:
    yield dependant
    for sub in dependant.dependencies:
        yield from walk(sub)


def response_for(status: int, path: str) -> dict[str, Any]:
    description = DESCRIPTIONS[status]
    if status == 413:
        limit = limit_for(path)
        description += f" ({limit // KB} KB here)"
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": description, "content": content}
