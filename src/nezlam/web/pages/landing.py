"""Where a person lands after signing in: where their work is, unless they asked for a page.

A coordinator's work is the dashboard, not 400 operator cards whose "still current" buttons
confirm points nobody visited; a donor's (a member of an organisation who runs no point) is
the needs board; an operator's is their points.
"""

from __future__ import annotations

from starlette.requests import Request

from nezlam.domain.permissions import Principal
from nezlam.domain.vocabulary import Role
from nezlam.store import accounts
from nezlam.web.plumbing.deps import sign_in
from nezlam.web.plumbing.state import AppState

MY_POINTS = "/operate"
DASHBOARD = "/coordinate"
NEEDS_BOARD = "/coordinate/needs"


def landing(principal: Principal, organisation_id: int | None) -> str:
    if principal.is_admin or principal.regions:
        return DASHBOARD
    operates = any(grant.role == Role.OPERATOR for grant in principal.grants)
    if organisation_id is not None and not operates:
        return NEEDS_BOARD
    return MY_POINTS


def safe_next(target: str | None) -> str | None:
    """A path on this site, or None: never send a signed-in person elsewhere. Browsers read
    `/\\host` and a path with a tab or newline inside as another site's address too."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 0x20 or char == "\\" for char in target):
        return None
    return target


def operated_only(principal: Principal) -> Principal:
    """The same person with only their operator roles: what "My points" lists for them, so a
    coordinator sees the points they themselves run there, not every point of their regions."""
    grants = tuple(grant for grant in principal.grants if grant.role == Role.OPERATOR)
    return Principal(principal.user_id, principal.username, grants, principal.token_id)


def sign_in_and_land(request: Request, username: str, password: str) -> tuple[str, str]:
    """Sign in (`deps.sign_in`: rate limits, password, a new session) and find where this
    person's work is: (the session cookie's secret, the page to land on)."""
    user, secret, _csrf = sign_in(request, username, password)
    state: AppState = request.app.state.nezlam
    with state.db.read() as session:
        principal = accounts.principal_for(session, user)
    return secret, landing(principal, user.organisation_id)
