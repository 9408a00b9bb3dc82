"""Request dependencies: the worker's state and who is asking."""

from __future__ import annotations

import hmac

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nezlam.domain.errors import Forbidden, Unauthenticated
from nezlam.domain.permissions import Principal
from nezlam.store import accounts, login_sessions
from nezlam.store.actor import Actor
from nezlam.web.state import AppState

bearer = HTTPBearer(auto_error=False, description="An API token made with `nezlam token create`")


async def app_state(request: Request) -> AppState:  # async: no I/O, no thread hop
    return request.app.state.nezlam


SESSION_COOKIE = "nezlam_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def optional_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Principal | None:
    """Who is asking: an API token (Authorization: Bearer), or a signed-in browser (the session
    cookie, whose writes must carry the session's CSRF token in X-CSRF-Token)."""
    state: AppState = request.app.state.nezlam
    if credentials is not None:
        with state.db.read() as session:
            return accounts.principal_for_token(session, credentials.credentials)
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    with state.db.read() as session:
        principal, csrf = login_sessions.principal_for(session, secret, state.clock())
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        request.headers.get(CSRF_HEADER, ""), csrf
    ):
        raise Forbidden(
            "a write made with a session cookie needs its CSRF token in X-CSRF-Token",
            field=CSRF_HEADER,
        )
    return principal


async def required_principal(
    principal: Principal | None = Depends(optional_principal),
) -> Principal:
    if principal is None:
        raise Unauthenticated(
            "this needs an API token (Authorization: Bearer <token>) or a signed-in session"
        )
    return principal


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.label, user_id=principal.user_id, token_id=principal.token_id)
