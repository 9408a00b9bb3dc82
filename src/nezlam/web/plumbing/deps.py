"""Request dependencies: the worker's state and who is asking."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from nezlam.domain.errors import Forbidden, TooManyRequests, Unauthenticated
from nezlam.domain.login_lifetime import LoginLifetime
from nezlam.domain.permissions import Principal
from nezlam.store import accounts, login_sessions
from nezlam.store.actor import Actor
from nezlam.web.plumbing.session_cookie import RENEWAL, SESSION_COOKIE, Renewal, cookie_header
from nezlam.web.plumbing.state import AppState

bearer = HTTPBearer(auto_error=False, description="An API token made with `nezlam token create`")


async def app_state(request: Request) -> AppState:  # async: no I/O, no thread hop
    return request.app.state.nezlam


CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Credentials:
    """What a request brought to say who it is, read before any database work."""

    token: str | None
    session_secret: str | None
    method: str
    csrf: str
    lifetime: LoginLifetime = login_sessions.DEFAULT_LIFETIME
    renewal: Renewal | None = None  # where a session's use that earned a later end is noted

    @classmethod
    def of(
        cls, request: Request, bearer_credentials: HTTPAuthorizationCredentials | None
    ) -> Credentials:
        state: AppState = request.app.state.nezlam
        renewal = request.scope.get(RENEWAL)
        return cls(
            token=bearer_credentials.credentials if bearer_credentials else None,
            session_secret=request.cookies.get(SESSION_COOKIE) or None,
            method=request.method,
            csrf=request.headers.get(CSRF_HEADER, ""),
            lifetime=state.settings.sessions,
            renewal=renewal if isinstance(renewal, Renewal) else None,
        )

    @property
    def present(self) -> bool:
        return bool(self.token or self.session_secret)

    def identify(self, session: Session, now: datetime) -> Principal | None:
        """Who is asking: an API token (Authorization: Bearer), or a signed-in browser (the
        session cookie, whose writes must carry the session's CSRF token in X-CSRF-Token)."""
        if self.token:
            return accounts.principal_for_token(session, self.token)
        if not self.session_secret:
            return None
        login = login_sessions.check(session, self.session_secret, now, self.lifetime)
        if self.method not in SAFE_METHODS and not hmac.compare_digest(self.csrf, login.csrf):
            raise Forbidden(
                "a write made with a session cookie needs its CSRF token in X-CSRF-Token",
                field=CSRF_HEADER,
            )
        if self.renewal is not None:
            self.renewal.note(self.session_secret, login)
        return login.principal


def optional_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Principal | None:
    given = Credentials.of(request, credentials)
    if not given.present:
        return None
    state: AppState = request.app.state.nezlam
    with state.db.read() as session:
        return given.identify(session, state.clock())


UNAUTHENTICATED = "this needs an API token (Authorization: Bearer <token>) or a signed-in session"


async def required_principal(
    principal: Principal | None = Depends(optional_principal),
) -> Principal:
    if principal is None:
        raise Unauthenticated(UNAUTHENTICATED)
    return principal


async def present_credentials(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Credentials:
    """What a write that identifies its sender later (in its own transaction) brought; an
    anonymous caller is refused here, before the body is even looked at."""
    given = Credentials.of(request, credentials)
    if not given.present:
        raise Unauthenticated(UNAUTHENTICATED)
    return given


def needs_credentials(request: Request) -> bool:
    """True when the route answering this request refuses anonymous callers and none were
    given: the answer is then 401, whatever else is wrong with the request."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or Credentials.of(request, None).present:
        return False
    if request.headers.get("authorization"):
        return False
    pending, seen = [dependant], set()
    while pending:
        current = pending.pop()
        if current.call in (required_principal, present_credentials):
            return True
        if id(current) not in seen:
            seen.add(id(current))
            pending.extend(current.dependencies)
    return False


def actor_of(principal: Principal) -> Actor:
    return Actor.of(principal)


# Failed sign-ins allowed in the limiter's window (a quarter of an hour): per account, from
# whatever addresses (guessing one password from many machines), and per address, across
# accounts (one password tried on many accounts). A team behind one address (a shelter's
# Starlink, a mobile network's shared address) is never locked out by signing in: a sign-in
# that succeeds is not counted. The price: someone who knows a username can keep that account
# from signing in for a quarter of an hour at a time; its API tokens keep working.
FAILURES_PER_ACCOUNT = 10
FAILURES_PER_ADDRESS = 30


def sign_in(request: Request, username: str, password: str) -> tuple[Any, str, str]:
    """Check the password (failed attempts rate-limited per account and per address) and start
    a login session: (user, the cookie's secret, the CSRF token). Raises TooManyRequests or
    Unauthenticated."""
    state: AppState = request.app.state.nezlam
    client = request.client.host if request.client else "unknown"
    limiter = state.login_attempts
    keys = [
        (limiter.client_key("account", username.casefold()), FAILURES_PER_ACCOUNT),
        (limiter.client_key("address", client), FAILURES_PER_ADDRESS),
    ]
    # Counted before the (slow) password check and taken back if it passes, so that many
    # attempts sent at once cannot all pass the check before any is counted.
    stamp = time.monotonic()
    if not limiter.allow_all(keys, stamp):
        raise TooManyRequests("too many sign-in attempts; wait a few minutes")
    with state.db.write() as session:
        user = accounts.authenticate(session, username, password)
        secret, csrf = login_sessions.start(session, user, state.clock(), state.settings.sessions)
    limiter.refund([key for key, _limit in keys], stamp)
    return user, secret, csrf


def first_max_age(state: AppState) -> int:
    """Seconds a session just started runs unless it is used (and renewed)."""
    now = state.clock()
    return int((state.settings.sessions.first_expiry(now) - now).total_seconds())


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    max_age = first_max_age(request.app.state.nezlam)
    response.raw_headers.append(cookie_header(secret, max_age, request.url.scheme == "https"))
