"""The operator's workspace: sign in, see one's points, keep each one's status true in a tap, and
edit a point's services, hours and contacts.

Plain forms that work without JavaScript on a phone with gloves on. Every form carries the
session's CSRF token and a fresh idempotency key, so a double tap or a resent form is stored once
(`static/operate.js` relies on that when it resends what it queued offline).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nezlam.domain.errors import DomainError, Forbidden, TooManyRequests, Unauthenticated
from nezlam.domain.fuel_runway import HOUR, runway
from nezlam.domain.permissions import Principal
from nezlam.domain.points import Implausible
from nezlam.domain.vocabulary import Visibility
from nezlam.reading import features
from nezlam.reading.point_public import Asker, point_public
from nezlam.report_writer import ReportJob
from nezlam.store import login_sessions
from nezlam.store import points as point_store
from nezlam.web.pages import (
    operate_devices,
    operate_edit,
    operate_fuel,
    operate_stops,
    workspace_telegram,
)
from nezlam.web.pages.landing import operated_only, safe_next, sign_in_and_land
from nezlam.web.pages.login_page import login_page
from nezlam.web.pages.operate_forms import (
    card_details,
    implausible_words,
    litres,
    read_report,
    suggests_full,
    typed_details,
)
from nezlam.web.plumbing.deps import set_session_cookie
from nezlam.web.plumbing.forms import done_redirect, gettext_for, words
from nezlam.web.plumbing.origin import is_cross_site
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import (
    SignedIn,
    SignedInPerson,
    check_csrf,
    editable_point,
    signed_in,
    to_login,
)
from nezlam.web.plumbing.session_cookie import SESSION_COOKIE, note_use
from nezlam.web.plumbing.state import AppState
from nezlam.web.words import fuel_words, presenters

router = APIRouter(include_in_schema=False)
router.include_router(workspace_telegram.router)  # linking one's Telegram, from My points
router.include_router(operate_devices.router)  # a point's devices and their keys
router.include_router(operate_edit.router)  # a point's details
router.include_router(operate_stops.router)  # a mobile point's stops
router.include_router(operate_fuel.router)  # its generators, runway and deliveries


# --- Signing in and out -------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    target = safe_next(request.query_params.get("next")) or ""
    return login_page(request, target)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))  # asked for; else where their work is
    _ = gettext_for(request)
    state: AppState = request.app.state.nezlam
    if is_cross_site(request, state.settings.public_url):  # a forged sign-in (login CSRF)
        problem = _("This sign-in came from another website. Sign in on this page instead.")
        return login_page(request, target or "", problem, status=403)
    try:
        # argon2 is slow on purpose: keep it off the event loop.
        secret, landing = await run_in_threadpool(sign_in_and_land, request, username, password)
    except TooManyRequests:
        problem = _("Too many attempts. Wait a few minutes and try again.")
        return login_page(request, target or "", problem, status=429)
    except DomainError:
        problem = _("Wrong username or password.")
        return login_page(request, target or "", problem, status=401)
    response = RedirectResponse(target or landing, status_code=303)
    set_session_cookie(response, request, secret)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    state: AppState = request.app.state.nezlam
    form = await request.form()
    who = signed_in(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if who is not None and secret:
        try:
            check_csrf(form, who)
        except Forbidden:
            pass  # a forged sign-out only loses the forger's cookie, never ends the session
        else:
            with state.db.write() as session:
                login_sessions.end(session, secret, state.clock())
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- My points: one tap each -----------------------------------------------------------------


@router.get("/operate", response_class=HTMLResponse)
def my_points(request: Request, who: SignedInPerson) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    with state.db.read() as session:
        # Only what they run themselves, for a coordinator too: the region is the dashboard's.
        mine = point_store.points_in_charge(session, operated_only(who.principal))
        views = state.sync.views(mine)
        telegram = workspace_telegram.telegram_section(state, session, who.principal.user_id)
    return page(
        request,
        "operate.html",
        cards=[operator_card(state, view, lang, _) for view in views],
        coordinator=who.is_coordinator,
        csrf=who.csrf,
        username=who.principal.username,
        statuses=status_labels(_),
        done=request.query_params.get("done"),
        powers=list(presenters.power_labels(_).items()),
        telegram=telegram,
    )


def operator_card(state: AppState, view: Any, lang: str, _: Any) -> dict[str, Any]:
    """A result card's words, plus what only the operator's card shows."""
    now = state.clock()
    settings = state.settings
    public = point_public(view, Asker(lang, now), settings.stale_after, settings.no_response_after)
    properties = features.properties(public)
    feature = {"type": "Feature", "id": view.id, "geometry": None, "properties": properties}
    card = presenters.card(feature, now, lang, _)
    card["key"] = secrets.token_urlsafe(12)
    card["fuel"] = litres(view.fuel_litres, lang)  # "140", "37,5": never "140.0"
    card["details"] = card_details(view, lang)
    card["suggest_full"] = suggests_full(view)
    card["hidden"] = view.visibility == Visibility.HIDDEN  # e.g. an application not yet approved
    card["mobile"] = view.kind == "mobile"  # it has stops to keep
    found = runway(view.fuel_litres, view.fuel_use_lph, view.fuel_burn, now=now,
                   reserve_hours=settings.fuel_reserve / HOUR)  # fmt: skip
    card["runway"] = fuel_words.runway_sentence(found, now, lang, _)
    return card


def status_labels(_: Any) -> list[tuple[str, str]]:
    return [
        ("open", _("Open")),
        ("standby", _("On standby")),
        ("full", _("Full")),
        ("closed", _("Closed")),
    ]


@router.post("/operate/{point_id}")
async def operate(request: Request, point_id: str) -> Response:
    """One tap: "still current", a status, one person in or out, or the details form. A wrong
    number comes back beside its field, as typed (422); a session that ended sends the person
    to sign in, and operate.js keeps the taps until then."""
    state: AppState = request.app.state.nezlam
    form = await request.form()
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return to_login("/operate")
    lang, _ = words(request)
    report, mistakes = read_report(str(form.get("action", "")), form, _)
    if mistakes:
        return await run_in_threadpool(details_again, request, point_id, form, mistakes)
    if report is None:
        return done_redirect("/operate", "invalid")
    now = state.clock()

    def identify(session: Any) -> Principal:
        # Inside the report writer's batch: one connection for many operators' taps.
        login = login_sessions.check(session, secret, now, state.settings.sessions)
        check_csrf(form, SignedIn(login.principal, login.csrf))
        note_use(request.scope, secret, login)
        return login.principal

    key = str(form.get("key", ""))[:128] or None
    job = ReportJob(point_id, report, identify, key, now)
    try:
        await asyncio.wrap_future(state.report_writer.submit(job))
    except Unauthenticated:
        return to_login("/operate")
    except Implausible as refused:
        if report.occupancy_change is not None:  # the +1 button: no field to show it beside
            return done_redirect("/operate", "crowded", anchor=f"p-{quote(point_id)}")
        field, said = implausible_words(refused, lang, _)
        return await run_in_threadpool(details_again, request, point_id, form, {field: said})
    except Forbidden as refused:  # a page from before the last sign-in has an old token
        return done_redirect("/operate", "outdated" if refused.field == "csrf" else "refused")
    except DomainError:
        return done_redirect("/operate", "refused")
    return done_redirect("/operate", "saved", anchor=f"p-{quote(point_id)}")


def details_again(request: Request, point_id: str, form: Any, mistakes: dict[str, str]) -> Response:
    """The details form once more, as typed, with each mistake beside its field."""
    who = signed_in(request)
    if who is None:
        return to_login("/operate")
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    with state.db.read() as session:
        title = operate_edit.point_title(editable_point(session, who.principal, point_id), lang)
    return page(
        request,
        "operate_details.html",
        status=422,
        point_id=point_id,
        title=title,
        csrf=who.csrf,
        key=secrets.token_urlsafe(12),
        values=typed_details(form),
        errors=mistakes,
        powers=list(presenters.power_labels(_).items()),
    )
