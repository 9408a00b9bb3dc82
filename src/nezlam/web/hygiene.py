"""Two things every answer gets right, whichever route (or none) gives it.

- `HEAD` is answered wherever `GET` is — pages, feeds, `/healthz`, static files — with the
  status and headers `GET` would give (Content-Length included) and no body. FastAPI routes
  declared with GET do not take HEAD by themselves; monitors and caches ask with it.
- Error answers (4xx, 5xx) carry the security headers the pages carry (`finder.security_headers`):
  a JSON 404 or a 413 can be framed or sniffed like any page otherwise.
"""

from __future__ import annotations

from typing import Any

from nezlam.web.finder import security_headers

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
            if kind == "http.response.start" and message["status"] >= 400:
                message = {**message, "headers": self._with_security(message.get("headers", []))}
            elif head and kind in ("http.response.body", "http.response.pathsend"):
                if message.get("more_body"):
                    return  # the body of a HEAD answer is never sent, only its end
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, tidy)

    def _with_security(self, headers: Any) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _value in headers}
        return list(headers) + [(n, v) for n, v in self._security if n not in present]
