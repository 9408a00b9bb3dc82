"""Who is signed in on a workspace page, and the checks every workspace form shares.

Pages answer a browser that is not signed in with a redirect to the sign-in page; forms check
the session's CSRF token before anything is written. Each screen then applies its own rule from
`domain.permissions` to what it shows and what it changes.

A page takes who is asking as a typed dependency (`SignedInPerson`, `SignedInCoordinator`,
`EditablePoint`); a form handler calls `form_sender`. Either raises `SignInFirst` for a browser
that is not signed in, which `install` answers with the redirect to sign in (and then back), and
`Forbidden` for someone without the role, which the error handlers answer with a 403 page.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from nezlam.domain.errors import DomainError, Forbidden
from nezlam.domain.permissions import Principal, can_edit_point
from nezlam.store import login_sessions
from nezlam.store import points as point_store
from nezlam.store.tables import Point
from nezlam.web.plumbing.session_cookie import SESSION_COOKIE, note_use
from nezlam.web.plumbing.state import AppState


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    csrf: str

    @property
    def is_coordinator(self) -> bool:
        return self.principal.is_admin or bool(self.principal.regions)


def signed_in(request: Request) -> SignedIn | None:
    """The browser's session, or None (no cookie, expired, ended or unknown). A use that
    earned the session a later end is noted, for the answer to renew it."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    state: AppState = request.app.state.nezlam
    try:
        with state.db.read() as session:
            login = login_sessions.check(session, secret, state.clock(), state.settings.sessions)
    except DomainError:
        return None
    note_use(request.scope, secret, login)
    return SignedIn(login.principal, login.csrf)


def to_login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def check_csrf(form: Any, who: SignedIn) -> None:
    """A form must carry the token of the session that sends it (a forged cross-site post
    cannot read it)."""
    if not hmac.compare_digest(str(form.get("csrf", "")), who.csrf):
        raise Forbidden("the form is out of date; reload the page", field="csrf")


class SignInFirst(Exception):
    """A page or form that needs someone signed in, asked by a browser that is not: answered
    with a redirect to sign in and then to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def install(app: FastAPI) -> None:
    async def sign_in_first(_request: Request, exc: Exception) -> RedirectResponse:
        assert isinstance(exc, SignInFirst)
        return to_login(exc.next_path)

    app.add_exception_handler(SignInFirst, sign_in_first)


def signed_in_page(request: Request) -> SignedIn:
    """The signed-in person; a browser that is not signed in signs in and comes back here."""
    who = signed_in(request)
    if who is None:
        raise SignInFirst(request.url.path)
    return who


def coordinator_page(request: Request) -> SignedIn:
    """The signed-in coordinator or admin; a redirect to sign in otherwise. Someone signed in
    without a coordinator's role gets Forbidden (403), which the error handler renders."""
    who = signed_in_page(request)
    require_coordinator(who)
    return who


SignedInPerson = Annotated[SignedIn, Depends(signed_in_page)]
SignedInCoordinator = Annotated[SignedIn, Depends(coordinator_page)]


@dataclass(frozen=True)
class PointInHand:
    """A point and the signed-in person who may change its details."""

    who: SignedIn
    point: Point


def editable_point(
    session: Session, principal: Principal, point_id: str, *, for_update: bool = False
) -> Point:
    """The point, if this person may change its details (NotFound or Forbidden otherwise)."""
    point = point_store.get_point(session, point_id, for_update=for_update)
    if not can_edit_point(principal, point_store.scope_of(point)):
        raise Forbidden("you may not edit this point", field="point_id")
    return point


def point_in_hand(request: Request, point_id: str, who: SignedInPerson) -> PointInHand:
    state: AppState = request.app.state.nezlam
    with state.db.read() as session:
        return PointInHand(who, editable_point(session, who.principal, point_id))


EditablePoint = Annotated[PointInHand, Depends(point_in_hand)]


def form_sender(
    request: Request, form: Any, *, back: str | None = None, coordinator: bool = False
) -> SignedIn:
    """Who sent a form: the signed-in person whose session's CSRF token it carries. Without a
    session, SignInFirst: a redirect to sign in and then to the page `back` (by default the
    form's own address). With `coordinator`, someone without a coordinator's role gets
    Forbidden before the token is even looked at, as on the coordinator's pages."""
    who = signed_in(request)
    if who is None:
        raise SignInFirst(back or request.url.path)
    if coordinator:
        require_coordinator(who)
    check_csrf(form, who)
    return who


def require_coordinator(who: SignedIn) -> None:
    if not who.is_coordinator:
        raise Forbidden("this page is for coordinators", field="role")


def regions_of(who: SignedIn, all_regions: list[str]) -> list[str]:
    """The regions a coordinator sees: their own; an admin sees every region."""
    if who.principal.is_admin:
        return sorted(all_regions)
    return sorted(who.principal.regions)
