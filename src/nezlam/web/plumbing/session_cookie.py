"""The session cookie, and its renewal as the browser uses it (review O5).

Whoever checks a session (`deps.Credentials`, `session.signed_in`, a tap on My points) notes on
the request when the use earned a later end (`login_sessions.Login.renew_to`, at most once per
`LoginLifetime.slack`). `SessionRenewal`, a plain ASGI layer, then writes the later end, in a
transaction of its own, before the answer's headers leave, and sends the cookie again with the
Max-Age of the new end: the browser keeps the cookie exactly as long as the server honours it.
Most requests note nothing, and cost nothing more.

An answer that sets the session cookie itself (a sign-in, a sign-out) is left as it is, and so
is one a shared cache may keep (`Cache-Control: public`): the next answer renews instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from nezlam.store import login_sessions
from nezlam.store.login_sessions import Login

log = logging.getLogger(__name__)

SESSION_COOKIE = "nezlam_session"
RENEWAL = "nezlam.session_renewal"  # the request scope's key of its Renewal
Header = tuple[bytes, bytes]


def cookie_header(secret: str, max_age: int, secure: bool) -> Header:
    """The Set-Cookie header of the session cookie: script cannot read it, and a cross-site
    form post does not carry it."""
    carrier = Response()
    carrier.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return carrier.raw_headers[-1]


@dataclass
class Renewal:
    """A request's note that its session earned a later end."""

    secret: str | None = None
    until: datetime | None = None

    def note(self, secret: str, login: Login) -> None:
        if login.renew_to is not None:
            self.secret, self.until = secret, login.renew_to

    def write(self, state: Any, secure: bool) -> Header | None:
        """Write the later end; the cookie that says it, or None when nothing was written (the
        session ended meanwhile, or a request beside this one renewed it)."""
        if self.secret is None or self.until is None:
            return None
        try:
            with state.db.write() as session:
                renewed = login_sessions.renew(session, self.secret, self.until)
        except SQLAlchemyError:  # the session still runs to its old end; a later use renews
            log.warning("a session's renewal was not written", exc_info=True)
            return None
        if not renewed:
            return None
        max_age = int((self.until - state.clock()).total_seconds())
        return cookie_header(self.secret, max_age, secure)


def note_use(scope: Any, secret: str, login: Login) -> None:
    """Note on the request (its ASGI scope) that `login` was used: renewed if it earned it."""
    renewal = scope.get(RENEWAL)
    if isinstance(renewal, Renewal):
        renewal.note(secret, login)


def may_renew(headers: list[Header]) -> bool:
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"set-cookie" and value.startswith(SESSION_COOKIE.encode() + b"="):
            return False  # signed in or out by this very answer
        if lowered == b"cache-control" and b"public" in value.lower():
            return False  # never hand a session's secret to a shared cache
    return True


class SessionRenewal:
    """ASGI middleware: the renewal a request noted, written and sent as its cookie."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        renewal = scope[RENEWAL] = Renewal()

        async def renewing(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and renewal.until is not None:
                headers = list(message.get("headers", []))
                if may_renew(headers):
                    state = scope["app"].state.nezlam
                    secure = scope.get("scheme") == "https"
                    cookie = await run_in_threadpool(renewal.write, state, secure)
                    if cookie is not None:
                        message = {**message, "headers": [*headers, cookie]}
            await send(message)

        await self.app(scope, receive, renewing)
