"""Users and roles within a coordinator's scope, and one-time password reset links.

A coordinator creates operators for points of their regions, gives and takes operator roles,
deactivates users and issues reset links; an admin does so for everyone. A reset link is shown
once, to be handed over by phone or SMS — Nezlam sends nothing — and opens /reset/{token}.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from nezlam.domain.errors import Conflict, DomainError, Forbidden
from nezlam.domain.points import UserCreate
from nezlam.store import channel_links, people, resets
from nezlam.store.actor import Actor
from nezlam.web.pages.onboarding import anonymous_form_token, check_anonymous_form, with_form_cookie
from nezlam.web.plumbing.forms import done_redirect, form_context, gettext_for, run_form, typed
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import SignedIn, SignedInCoordinator, form_sender
from nezlam.web.plumbing.state import AppState

router = APIRouter(include_in_schema=False)
ACTIONS = ("grant", "revoke", "deactivate", "activate", "reset", "phone", "unphone", "untelegram")
LINK_ACTIONS = ("phone", "unphone", "untelegram")  # a channel address linked to the user
NO_STORE = {"Cache-Control": "no-store"}  # a page with a reset link is never kept


def users_page(
    request: Request,
    who: SignedIn,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    issued: dict[str, str] | None = None,
    matches: dict[str, list[people.PointChoice]] | None = None,
) -> Response:
    """The screen; `matches`: for the form of a user id (or "new"), the points that what was
    typed could mean, to choose one (a search that works without JavaScript)."""
    state: AppState = request.app.state.nezlam
    with state.db.read() as session:
        persons = people.users_in_scope(session, who.principal)
        choices = people.point_choices(session, who.principal)
        chats = telegram_links(session, persons)
    response = page(
        request,
        "users.html",
        status=status,
        persons=persons,
        choices=choices,
        me=who.principal.user_id,
        issued=issued,
        matches=matches or {},
        chats=chats,
        **form_context(request, who, errors, values),
    )
    if issued:
        response.headers.update(NO_STORE)
    return response


@router.get("/coordinate/users", response_class=HTMLResponse)
def users(request: Request, who: SignedInCoordinator) -> Response:
    return users_page(request, who)


def reset_link(request: Request, token: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/reset/{token}"


@router.post("/coordinate/users")
async def create_user(request: Request) -> Response:
    """A new operator of one point; the answer shows their first (reset) link, once."""
    return await run_form(request, apply_create_user)


def apply_create_user(request: Request, form: Any) -> Response:
    who = form_sender(request, form, coordinator=True)
    _ = gettext_for(request)
    values = typed(form, ("username", "display_name", "point"))
    try:
        data = UserCreate(username=values["username"], display_name=values["display_name"] or None)
    except ValidationError as exc:
        name = str(exc.errors()[0]["loc"][0])
        return users_page(request, who, 422, {name: field_problem(name, _)}, values)
    state: AppState = request.app.state.nezlam
    try:
        with state.db.write() as session:
            point_id = people.chosen_point(session, who.principal, typed_point(form))
            user, token = people.create_operator(
                session, who.principal, data, point_id, state.clock()
            )
    except people.PointNotChosen as several:
        return users_page(request, who, values=values, matches={"new": several.matches})
    except DomainError as exc:
        name = exc.field or "username"
        return users_page(request, who, 422, {name: field_problem(name, _)}, values)
    issued = {"username": user.username, "url": reset_link(request, token)}
    return users_page(request, who, 201, issued=issued)


def typed_point(form: Any) -> str:
    """The point as chosen from the matches (point_id), else as typed or picked from the list."""
    return str(form.get("point_id") or form.get("point") or "")[:300]


def field_problem(name: str, _: Any) -> str:
    return {
        "username": _("3 to 64 letters, digits or . _ @ - (no spaces), not taken by anyone."),
        "display_name": _("At most {n} characters.").format(n=200),
        "point_id": _(
            "No point of your regions is called that: type part of its name, locality or "
            "address, and choose it from the list."
        ),
    }.get(name, _("Not understood; check this field."))


@router.post("/coordinate/users/{user_id}")
async def change_user(request: Request, user_id: int) -> Response:
    """One action on one user: grant or revoke an operator role, deactivate or reactivate, or
    issue a reset link (shown in the answer, once)."""
    return await run_form(request, apply_user_change, user_id)


def apply_user_change(request: Request, user_id: int, form: Any) -> Response:
    who = form_sender(request, form, coordinator=True)
    action = str(form.get("action", ""))
    if action not in ACTIONS:
        return done_redirect("/coordinate/users", "invalid")
    state: AppState = request.app.state.nezlam
    principal, now = who.principal, state.clock()
    issued = None
    try:
        with state.db.write() as session:
            if action == "grant":
                people.grant_operator(session, principal, user_id, typed_point(form))
            elif action == "revoke":
                people.revoke(session, principal, user_id, int(str(form.get("grant_id", "0"))))
            elif action == "reset":
                user, token = people.issue_reset(session, principal, user_id, now)
                issued = {"username": user.username, "url": reset_link(request, token)}
            elif action in LINK_ACTIONS:
                change_link(session, principal, user_id, action, form, now)
            else:
                people.set_active(session, principal, user_id, action == "activate")
    except people.PointNotChosen as several:
        values = {f"point-{user_id}": typed_point(form)}
        return users_page(request, who, values=values, matches={str(user_id): several.matches})
    except DomainError as exc:
        if exc.field == "phone":
            return phone_refused(request, who, user_id, form, exc)
        if exc.field != "point_id":
            raise
        _ = gettext_for(request)
        key = f"point-{user_id}"
        problem = {key: field_problem("point_id", _)}
        return users_page(request, who, 422, problem, {key: typed_point(form)})
    except ValueError:  # a grant id that is not a number
        return done_redirect("/coordinate/users", "invalid")
    if issued:
        return users_page(request, who, issued=issued)
    return done_redirect("/coordinate/users", action, anchor=f"u-{user_id}")


def typed_phone(form: Any) -> str:
    return str(form.get("phone", "")).strip()[:40]


def change_link(
    session: Any, principal: Any, user_id: int, action: str, form: Any, now: Any
) -> None:
    """Link an SMS number to the user, or unlink one of their numbers or Telegram accounts
    (store.people checks the rights: only of a user the coordinator manages)."""
    if action == "phone":
        people.link_phone(session, principal, user_id, typed_phone(form), now)
    elif action == "unphone":
        people.unlink_phone(session, principal, user_id, typed_phone(form), now)
    else:
        user = people.managed_target(session, principal, user_id)
        chat = str(form.get("chat", "")).strip()[:64]
        channel_links.unlink_of_user(session, user.id, "telegram", chat, Actor.of(principal), now)


def telegram_links(session: Any, persons: list[people.PersonView]) -> dict[int, list[Any]]:
    """The Telegram accounts (as the form sends each, and masked) of the users the viewer
    manages, by user id: the others' are neither shown nor theirs to unlink."""
    managed = [person.user.id for person in persons if person.manageable]
    found = channel_links.addresses_by_user(session, managed, "telegram")
    return {
        user_id: [(chat, channel_links.masked(chat)) for chat in chats]
        for user_id, chats in found.items()
    }


def phone_refused(
    request: Request, who: SignedIn, user_id: int, form: Any, exc: DomainError
) -> Response:
    """The users page again, with what was wrong with the number beside its field."""
    _ = gettext_for(request)
    key = f"phone-{user_id}"
    if isinstance(exc, Conflict):
        problem = _("This number is already linked to another account.")
    elif isinstance(exc, Forbidden):
        problem = _("That number is not linked to this user.")
    else:
        problem = _("Not a phone number: type it as you would dial it, e.g. 067 123 45 67.")
    return users_page(request, who, 422, {key: problem}, {key: typed_phone(form)})


# --- /reset/{token} -------------------------------------------------------------------------------


def reset_page(request: Request, token: str, status: int = 200, **context: Any) -> Response:
    form_token = anonymous_form_token(request)
    context = {"refused": None, "username": None, "errors": {}, "done": False, **context}
    response = page(request, "reset.html", status=status, csrf=form_token, token=token, **context)
    response.headers.update(NO_STORE)
    return with_form_cookie(response, request, form_token)


REFUSED_STATUS = {"unknown": 404, "used": 410, "expired": 410, "inactive": 410}


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, token: str) -> Response:
    state: AppState = request.app.state.nezlam
    try:
        with state.db.read() as session:
            user = resets.user_for(session, token[:200], state.clock())
    except resets.LinkRefused as refused:
        return reset_page(request, token, REFUSED_STATUS[refused.reason], refused=refused.reason)
    return reset_page(request, token, username=user.username)


@router.post("/reset/{token}")
async def reset(request: Request, token: str) -> Response:
    """Set the new password: the link is spent, and every session of the user ends."""
    form = await request.form()
    check_anonymous_form(request, form)
    _ = gettext_for(request)
    password, repeated = str(form.get("password", "")), str(form.get("password2", ""))
    state: AppState = request.app.state.nezlam
    errors = {}
    if len(password) < resets.MIN_PASSWORD:
        errors["password"] = _("At least {n} characters.").format(n=resets.MIN_PASSWORD)
    elif password != repeated:
        errors["password2"] = _("The two passwords differ.")
    try:
        if errors:
            with state.db.read() as session:
                user = resets.user_for(session, token[:200], state.clock())
            return reset_page(request, token, 422, username=user.username, errors=errors)
        # argon2 is slow on purpose: keep it off the event loop.
        user = await run_in_threadpool(use_link, state, token[:200], password)
    except resets.LinkRefused as refused:
        return reset_page(request, token, REFUSED_STATUS[refused.reason], refused=refused.reason)
    return reset_page(request, token, username=user.username, done=True)


def use_link(state: AppState, token: str, password: str) -> Any:
    with state.db.write() as session:
        return resets.use(session, token, password, state.clock())
