"""Two things every answer gets right, whichever route (or none) gives it.

- `HEAD` is answered wherever `GET` is — pages, feeds, `/healthz`, static files — with the
  status and headers `GET` would give (Content-Length included) and no body. FastAPI routes
  declared with GET do not take HEAD by themselves; monitors and caches ask with it.
- Error answers (4xx, 5xx) carry the security headers the pages carry (`render.security_headers`):
  a JSON 404 or a 413 can be framed or sniffed like any page otherwise.
- Every answer says `X-Content-Type-Options: nosniff`: a feed or an export, whose text anyone
  may have typed, is never taken by a browser for a page or a script.
"""

from __future__ import annotations

from typing import Any

from nezlam.web.plumbing.render import security_headers

Scope = dict[str, Any]


class Hygiene:
    """ASGI middleware around the app (inside it, so that the app's error handlers answer)."""

    def __init__(self, app: Any, tile_url: str) -> None:
        self.app = app
        headers = security_headers(tile_url)
        self._security = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def tidy(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                extra = self._security if message["status"] >= 400 else NOSNIFF
                message = {**message, "headers": _with(message.get("headers", []), extra)}
            elif head and kind in ("http.response.body", "http.response.pathsend"):
                if message.get("more_body"):
                    return  # the body of a HEAD answer is never sent, only its end
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, tidy)


NOSNIFF = [(b"x-content-type-options", b"nosniff")]


def _with(headers: Any, extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` and those of `extra` that it does not set already."""
    present = {name.lower() for name, _value in headers}
    return list(headers) + [(n, v) for n, v in extra if n not in present]
