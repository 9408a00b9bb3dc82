"""Who is signed in on a workspace page, and the checks every workspace form shares.

Pages answer a browser that is not signed in with a redirect to the sign-in page; forms check
the session's CSRF token before anything is written. Each screen then applies its own rule from
`domain.permissions` to what it shows and what it changes.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from nezlam.domain.errors import DomainError, Forbidden
from nezlam.domain.permissions import Principal
from nezlam.store import login_sessions
from nezlam.web.plumbing.deps import SESSION_COOKIE
from nezlam.web.plumbing.state import AppState


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    csrf: str

    @property
    def is_coordinator(self) -> bool:
        return self.principal.is_admin or bool(self.principal.regions)


def signed_in(request: Request) -> SignedIn | None:
    """The browser's session, or None (no cookie, expired, ended or unknown)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    state: AppState = request.app.state.nezlam
    try:
        with state.db.read() as session:
            principal, csrf = login_sessions.principal_for(session, secret, state.clock())
    except DomainError:
        return None
    return SignedIn(principal, csrf)


def to_login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def check_csrf(form: Any, who: SignedIn) -> None:
    """A form must carry the token of the session that sends it (a forged cross-site post
    cannot read it)."""
    if not hmac.compare_digest(str(form.get("csrf", "")), who.csrf):
        raise Forbidden("the form is out of date; reload the page", field="csrf")


def coordinator_page(request: Request) -> SignedIn | RedirectResponse:
    """The signed-in coordinator or admin; a redirect to sign in otherwise. Someone signed in
    without a coordinator's role gets Forbidden (403), which the error handler renders."""
    who = signed_in(request)
    if who is None:
        return to_login(request.url.path)
    require_coordinator(who)
    return who


def form_sender(
    request: Request, form: Any, *, back: str | None = None, coordinator: bool = False
) -> SignedIn | RedirectResponse:
    """Who sent a form: the signed-in person whose session's CSRF token it carries. Without a
    session, a redirect to sign in and then to the page `back` (by default the form's own
    address). With `coordinator`, someone without a coordinator's role gets Forbidden before
    the token is even looked at, as on the coordinator's pages."""
    who = signed_in(request)
    if who is None:
        return to_login(back or request.url.path)
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
