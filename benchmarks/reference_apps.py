"""Reference servers for the HTTP benchmark, to show where a request's time goes:

- `hello`: FastAPI answering a constant at the same URL — the floor of FastAPI + uvicorn here;
- `bare_nearest`: a bare ASGI callable (no FastAPI, no Starlette) over Nezlam's own index and
  renderer, loaded from the same database — what the search and the JSON cost without a framework.

    .venv/bin/python -m uvicorn reference_apps:hello --app-dir benchmarks --workers 1
    NEZLAM_DATABASE_URL=sqlite:///... .venv/bin/python -m uvicorn reference_apps:bare_nearest \\
        --factory --app-dir benchmarks --workers 1
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Response

from nezlam.config import Settings
from nezlam.reading import answers
from nezlam.reading.point_public import Asker
from nezlam.web.api import query
from nezlam.web.plumbing.state import AppState

hello = FastAPI()


@hello.get("/healthz")
@hello.get("/api/v1/points/nearest")
async def hello_world() -> Response:
    return Response(b'{"hello":"world"}', media_type="application/json")


Scope = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def bare_nearest() -> Callable[[Scope, Any, Send], Awaitable[None]]:
    """The nearest endpoint as a plain ASGI callable: parse, search, render, send."""
    state = AppState.build(Settings.from_env())
    headers = [(b"content-type", b"application/geo+json")]

    async def respond(send: Send, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Scope, receive: Any, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                state.sync.load_all()
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["path"] == "/healthz":
            await respond(send, 200, b'{"status":"ok"}')
            return
        params = dict(parse_qsl(scope["query_string"].decode()))
        lat = query.number(params, "lat", -90, 90)
        lon = query.number(params, "lon", -180, 180)
        k = query.integer(params, "k", 1, 100, 5)
        lang = query.language(params, None)
        asker = Asker(lang, state.clock(), (lat, lon))
        answer = answers.nearest(state.index, None, asker, k, query.filters(params))
        await respond(send, 200, orjson.dumps(answers.collection(answer, state.settings)))

    return app
