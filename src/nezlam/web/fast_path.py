"""The resident's nearest-points query, answered in front of the web framework.

It is the hot path of a blackout: thousands of phones asking at once. FastAPI's routing,
dependency solving and middleware cost more per request than the search itself, so this thin
ASGI layer answers `GET /api/v1/points/nearest` directly — with the same function, the same
parameter checks and the same error bodies as the documented FastAPI route — and hands every
other request to the app untouched.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI

from nezlam.domain.errors import DomainError
from nezlam.web.api.points import GEOJSON, nearest_body
from nezlam.web.errors import error_body

NEAREST_PATH = "/api/v1/points/nearest"
_GEOJSON_TYPE = GEOJSON.encode()
_JSON_TYPE = b"application/json"

Scope = dict[str, Any]


class FastPath:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state  # as on the app, so tools that look for `.state` find it
        self._nezlam = app.state.nezlam

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != NEAREST_PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        accept_language = None
        for name, value in scope["headers"]:
            if name == b"accept-language":
                accept_language = value.decode("latin-1")
                break
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        try:
            body = nearest_body(self._nezlam, params, accept_language)
            status, media_type = 200, _GEOJSON_TYPE
        except DomainError as exc:
            status, media_type = exc.status_code, _JSON_TYPE
            body = orjson.dumps(error_body(status, [{"field": exc.field, "problem": exc.problem}]))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", media_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
