"""JSON API for organisations, users, roles and API tokens."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field

from nezlam.domain import permissions
from nezlam.domain.errors import Forbidden, Invalid, NotFound, TooManyRequests, Unauthenticated
from nezlam.domain.permissions import Grant, OrganisationScope, Principal
from nezlam.domain.point_view import iso
from nezlam.domain.points import (
    SLUG_PATTERN,
    USERNAME_PATTERN,
    OrganisationCreate,
    OrganisationUpdate,
    RoleGrantCreate,
    Strict,
    UserCreate,
    UserUpdate,
)
from nezlam.domain.vocabulary import Role
from nezlam.store import accounts, login_sessions, resets
from nezlam.store import points as point_store
from nezlam.store.tables import ApiToken, RoleGrant
from nezlam.web.plumbing.deps import (
    SESSION_COOKIE,
    actor_of,
    app_state,
    first_max_age,
    required_principal,
    set_session_cookie,
)
from nezlam.web.plumbing.deps import sign_in as sign_in_with_password
from nezlam.web.plumbing.state import AppState

router = APIRouter(prefix="/api/v1", tags=["accounts"])


# Factories, not shared instances: FastAPI binds a parameter object to its first name.
def Username() -> Any:  # noqa: N802
    return Path(pattern=USERNAME_PATTERN)


def Slug() -> Any:  # noqa: N802
    return Path(pattern=SLUG_PATTERN)


def RowId() -> Any:  # noqa: N802
    return Path(ge=1, le=2**63 - 1)


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100, description="what device or integration")


def grant_body(grant: RoleGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "role": grant.role,
        "region": grant.region,
        "point_id": grant.point_id,
        "organisation_id": grant.organisation_id,
    }


def token_body(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": iso(row.created_at),
        "revoked_at": iso(row.revoked_at),
    }


@router.get("/me", summary="Who the token belongs to, and what they may do")
def me(principal: Principal = Depends(required_principal)) -> dict[str, Any]:
    return {
        "user_id": principal.user_id,
        "username": principal.username,
        "token_id": principal.token_id,
        "roles": [
            {
                "role": g.role,
                "region": g.region,
                "point_id": g.point_id,
                "organisation_id": g.organisation_id,
            }
            for g in principal.grants
        ],
    }


@router.get("/organisations", summary="Organisations that run points")
def list_organisations(state: AppState = Depends(app_state)) -> dict[str, Any]:
    with state.db.read() as session:
        return {
            "organisations": [
                {"slug": o.slug, "name": o.name, "kind": o.kind, "phone": o.phone}
                for o in accounts.list_organisations(session)
            ]
        }


@router.post("/organisations", status_code=201, summary="Register an organisation")
def create_organisation(
    data: OrganisationCreate,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    if not permissions.can_create_organisation(principal):
        raise Forbidden("only coordinators and admins register organisations", field=None)
    with state.db.write() as session:
        org = accounts.create_organisation(session, data, actor_of(principal))
        return {"id": org.id, "slug": org.slug, "name": org.name, "kind": org.kind}


NOT_YOURS = "nobody sets another person's password: issue them a one-time reset link instead"


@router.post(
    "/users",
    status_code=201,
    summary="Create a user (admins; coordinators: in an organisation of their regions)",
)
def create_user(
    data: UserCreate,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    """The new user has no password: they choose it through a one-time reset link, which the
    coordinator issues on the users screen (`/coordinate/users`)."""
    if data.password is not None:
        raise Forbidden(NOT_YOURS, field="password")
    with state.db.write() as session:
        organisation = known_organisation(session, data.organisation)
        if not permissions.can_create_user(principal, organisation):
            raise Forbidden(
                "a coordinator creates users in an organisation that works only in their "
                "regions (or an operator of one point, on /coordinate/users)",
                field="organisation",
            )
        user = accounts.create_user(session, data, actor_of(principal))
        return {"id": user.id, "username": user.username}


def known_organisation(session: Any, slug: str | None) -> OrganisationScope | None:
    if slug is None:
        return None
    found = accounts.organisation_scope(session, slug)
    if found is None:
        raise Invalid(f"no organisation with slug {slug!r}", field="organisation")
    return found


class UserChange(UserUpdate):
    current_password: str | None = Field(
        None, min_length=1, max_length=200, description="to change your own password"
    )


OWN_FIELDS = frozenset({"password", "current_password", "display_name"})


@router.patch("/users/{username}", summary="Change or deactivate a user")
def update_user(
    request: Request,
    data: UserChange,
    username: str = Username(),
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    """Your own name, and your own password with your current one; as an admin, or a
    coordinator of every region the user works in, their name, organisation and whether they
    are active. Nobody sets another person's password."""
    fields = data.model_fields_set
    with state.db.read() as session:
        own = accounts.get_user(session, username).id == principal.user_id
    if not own and fields & {"password", "current_password"}:
        raise Forbidden(NOT_YOURS, field="password")
    if own and data.password:
        check_current_password(request, state, principal, data.current_password)
    change = UserUpdate.model_validate(data.model_dump(include=fields - {"current_password"}))
    with state.db.write() as session:
        user = accounts.get_user(session, username)
        if not (own and fields <= OWN_FIELDS):
            check_may_manage(session, principal, user, change)
        user = accounts.update_user(session, user, change, actor_of(principal))
        if change.password:  # every browser signed in with the old one signs in again
            resets.end_sessions(session, user, state.clock())
        return {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "is_active": user.is_active,
        }


def check_current_password(
    request: Request, state: AppState, principal: Principal, current: str | None
) -> None:
    """A new password of one's own needs the current one (a stolen token or an unattended
    session is not enough to lock the owner out); the checks count as sign-in attempts."""
    if not current:
        raise Invalid("give your current password to change it", field="current_password")
    client = request.client.host if request.client else "unknown"
    limiter = state.login_attempts
    if not limiter.allow(limiter.client_key(client, principal.username.casefold())):
        raise TooManyRequests("too many password attempts; wait a few minutes")
    try:
        with state.db.read() as session:
            accounts.authenticate(session, principal.username, current)
    except Unauthenticated:
        raise Forbidden("that is not your current password", field="current_password") from None


def check_may_manage(session: Any, principal: Principal, user: Any, change: UserUpdate) -> None:
    """The principal must manage the user as they are and as the change would leave them (a
    coordinator moves no one into, or out of, an organisation beyond their regions)."""
    before = accounts.user_scope(session, user)
    after = before
    if "organisation" in change.model_fields_set:
        moved_to = known_organisation(session, change.organisation)
        known = {**before.organisations, **({moved_to.id: moved_to} if moved_to else {})}
        moved_id = moved_to.id if moved_to else None
        after = replace(before, organisation_id=moved_id, organisations=known)
    if not (
        permissions.can_manage_user(principal, before)
        and permissions.can_manage_user(principal, after)
    ):
        raise Forbidden("you may not change this user", field="username")


@router.patch("/organisations/{slug}", summary="Change an organisation's details")
def update_organisation(
    data: OrganisationUpdate,
    slug: str = Slug(),
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    """Admins; a coordinator, for an organisation whose points (and pending applications) all
    lie in their regions."""
    with state.db.write() as session:
        scope = accounts.organisation_scope(session, slug)
        if scope is None:
            raise NotFound(f"no organisation {slug!r}", field="slug")
        if not permissions.can_manage_organisation(principal, scope):
            raise Forbidden("this organisation works beyond your regions", field="slug")
        org = accounts.update_organisation(session, slug, data, actor_of(principal))
        return {
            "id": org.id,
            "slug": org.slug,
            "name": org.name,
            "kind": org.kind,
            "phone": org.phone,
        }


@router.post("/users/{username}/roles", status_code=201, summary="Grant a role")
def grant_role(
    data: RoleGrantCreate,
    username: str = Username(),
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    """Admins grant any role; a coordinator, an operator role on a point of their regions to
    someone who already works in them."""
    with state.db.write() as session:
        user = accounts.get_user(session, username)
        scope = None
        if data.point_id:
            scope = point_store.scope_of(point_store.get_point(session, data.point_id))
        wanted = Grant(role=Role(data.role), region=data.region, point_id=data.point_id)
        if not permissions.can_grant(principal, wanted, scope):
            raise Forbidden("you may not grant this role", field="role")
        target = accounts.user_scope(session, user)
        if not permissions.can_grant_to(principal, target, wanted, scope):
            raise Forbidden("this user works in none of your regions", field="username")
        return grant_body(accounts.grant_role(session, user, data, actor_of(principal)))


@router.delete("/roles/{grant_id}", status_code=204, summary="Revoke a role")
def revoke_role(
    grant_id: int = RowId(),
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> None:
    """Who may grant a role may take it back: admins any; a coordinator, operator roles on
    points of their regions (as on the users screen)."""
    with state.db.write() as session:
        held = accounts.grant_scope(session, grant_id)
        if held is None:
            raise NotFound(f"no role grant {grant_id}", field="grant_id")
        if not permissions.can_grant(principal, *held):
            raise Forbidden("you may not take this role away", field="grant_id")
        accounts.revoke_role(session, grant_id, actor_of(principal))


@router.post(
    "/tokens", status_code=201, summary="Create an API token for yourself; it is shown once"
)
def create_token(
    data: TokenCreate,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    with state.db.write() as session:
        user = accounts.get_user(session, principal.username)
        token, row = accounts.create_token(session, user, data.name, actor_of(principal))
        return {**token_body(row), "token": token}


@router.get("/tokens", summary="Your API tokens (never the tokens themselves)")
def list_tokens(
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    with state.db.read() as session:
        user = accounts.get_user(session, principal.username)
        return {"tokens": [token_body(t) for t in accounts.tokens_of(session, user)]}


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token (yours; admins: any)")
def revoke_token(
    token_id: int = RowId(),
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> None:
    with state.db.write() as session:
        row = session.get(ApiToken, token_id)
        if row is not None and row.user_id != principal.user_id and not principal.is_admin:
            raise Forbidden("not your token", field="token_id")
        accounts.revoke_token(session, token_id, actor_of(principal))


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


@router.post("/session", summary="Sign in with a password: sets the session cookie")
def sign_in(
    request: Request,
    data: LoginRequest,
    state: AppState = Depends(app_state),
) -> Response:
    user, secret, csrf = sign_in_with_password(request, data.username, data.password)
    body = {
        "username": user.username,
        "csrf_token": csrf,
        "expires_in": first_max_age(state),  # unless used: each use renews, up to a limit
    }
    response = Response(orjson.dumps(body), media_type="application/json")
    set_session_cookie(response, request, secret)
    return response


@router.delete("/session", status_code=204, summary="Sign out")
def sign_out(request: Request, state: AppState = Depends(app_state)) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with state.db.write() as session:
            login_sessions.end(session, secret, state.clock())
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
