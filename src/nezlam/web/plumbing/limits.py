"""How large a request body may be, enforced before anything parses it.

A 50 MB JSON body used to be read whole and parsed before validation refused it. This layer
refuses a body that says it is too large (Content-Length) without reading it, and counts a body
that does not say (chunked) as it arrives, stopping at the first chunk past the limit: no more
than the limit and one chunk is ever held in memory. The answer is 413 with the error body
every other refusal has, naming the limit; a browser posting a page's form gets a page.

Limits by address (the proxy in front should allow at least the largest, see
docs/deployment.md):

- visitor signals, API and form (`…/signal`, `…/signals`): 16 KB — a signal is a word;
- a device's ping (`/api/v1/heartbeat`): 1 KB — every field it may send is under 100 bytes;
- the JSON API: 256 KB — a point with every field at its longest is under 20 KB;
- the pages' forms: 64 KB — the longest, a point's details with two notes of 1,000 Cyrillic
  characters, is about 13 KB once percent-encoded.

There is no upload endpoint; imports run from the command line, which has no such limit.
"""

from __future__ import annotations

from typing import Any

from nezlam.domain.errors import DomainError

KB = 1024
SIGNAL_LIMIT = 16 * KB
PING_LIMIT = 1 * KB
PING_PATH = "/api/v1/heartbeat"
API_LIMIT = 256 * KB
FORM_LIMIT = 64 * KB

Scope = dict[str, Any]


class PayloadTooLarge(DomainError):
    status_code = 413


def limit_for(path: str) -> int:
    """The largest body, in bytes, that a request to `path` may carry."""
    if path.endswith("/signal") or path.endswith("/signals"):
        return SIGNAL_LIMIT
    if path == PING_PATH:
        return PING_LIMIT
    if path.startswith("/api/"):
        return API_LIMIT
    return FORM_LIMIT


def refusal(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than {limit // KB} KB, the most this address takes",
        field="body",
    )


class _TooLarge(Exception):
    """Raised out of `receive` when the body passes the limit; never leaves this module."""


class BodyLimit:
    """ASGI middleware: refuses request bodies over `limit_for(path)` with a 413."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            await answer(scope, send, limit)  # nothing of the body is read
            return
        received, over, started = 0, False, False

        async def counted() -> dict[str, Any]:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _TooLarge
            return message

        async def guarded(message: dict[str, Any]) -> None:
            nonlocal started
            if over:  # the app's answer to a cut-off body is not the answer
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _TooLarge:
            pass
        except Exception:
            if not over:  # the framework may wrap our signal in its own error
                raise
        if over and not started:
            await answer(scope, send, limit)


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def answer(scope: Scope, send: Any, limit: int) -> None:
    """The 413, as the app's error handlers would write it (a page for a browser's form)."""
    from starlette.requests import Request

    from nezlam.web.plumbing.errors import (
        error_response,  # errors imports the pages, which import us
    )

    async def no_body() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    request = Request(scope, no_body)
    response = error_response(request, refusal(limit))
    response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, no_body, send)
