"""Request dependencies: the worker's state and who is asking."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nezlam.domain.errors import Unauthenticated
from nezlam.domain.permissions import Principal
from nezlam.store import accounts
from nezlam.store.actor import Actor
from nezlam.web.state import AppState

bearer = HTTPBearer(auto_error=False, description="An API token made with `nezlam token create`")


async def app_state(request: Request) -> AppState:  # async: no I/O, no thread hop
    return request.app.state.nezlam


def optional_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Principal | None:
    if credentials is None:
        return None
    state: AppState = request.app.state.nezlam
    with state.db.read() as session:
        return accounts.principal_for_token(session, credentials.credentials)


async def required_principal(
    principal: Principal | None = Depends(optional_principal),
) -> Principal:
    if principal is None:
        raise Unauthenticated("this needs an API token: Authorization: Bearer <token>")
    return principal


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.label, user_id=principal.user_id, token_id=principal.token_id)
