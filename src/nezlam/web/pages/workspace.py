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

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from nezlam.domain.errors import DomainError, Forbidden, Invalid, TooManyRequests, Unauthenticated
from nezlam.domain.opening_hours import OpeningHoursError
from nezlam.domain.permissions import Principal
from nezlam.domain.points import FUEL_CAP_LITRES, Implausible, PointUpdate
from nezlam.domain.vocabulary import SERVICES, Visibility
from nezlam.reading import features
from nezlam.reading.point_public import Asker, point_public
from nezlam.report_writer import ReportJob
from nezlam.store import login_sessions
from nezlam.store import points as point_store
from nezlam.store.actor import Actor
from nezlam.store.tables import Point
from nezlam.web.pages import operate_devices, workspace_telegram
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
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.deps import set_session_cookie
from nezlam.web.plumbing.forms import done_redirect, gettext_for, words
from nezlam.web.plumbing.origin import is_cross_site
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import (
    EditablePoint,
    SignedIn,
    SignedInPerson,
    check_csrf,
    editable_point,
    form_sender,
    signed_in,
    to_login,
)
from nezlam.web.plumbing.session_cookie import SESSION_COOKIE, note_use
from nezlam.web.plumbing.state import AppState
from nezlam.web.words import presenters
from nezlam.web.words.hours_words import hours_problem, read_hours

router = APIRouter(include_in_schema=False)
router.include_router(workspace_telegram.router)  # linking one's Telegram, from My points
router.include_router(operate_devices.router)  # a point's devices and their keys
NOTES_MAX = 1000  # characters per language: a few sentences on a card
NOTE_LANGUAGES = ("uk", "en")


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
        title = point_title(editable_point(session, who.principal, point_id), lang)
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


# --- Editing a point's services, hours and contacts ----------------------------------------


@router.get("/operate/{point_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, point_id: str, held: EditablePoint) -> Response:
    point = held.point
    values = {
        "services": list(point.services or []),
        "opening_hours": point.opening_hours or "",
        "phone": point.phone or "",
        "capacity": "" if point.capacity is None else str(point.capacity),
        "fuel_tank_litres": str(point.fuel_tank_litres or ""),  # never 0: at least 1 l
        **{f"notes_{lang}": (point.notes or {}).get(lang, "") for lang in NOTE_LANGUAGES},
    }
    title = point_title(point, i18n.choose_language(request))
    return edit_page(request, point_id, title, held.who.csrf, values, errors={})


@router.post("/operate/{point_id}/edit")
async def edit_save(request: Request, point_id: str) -> Response:
    form = await request.form()
    who = form_sender(request, form, back=f"/operate/{point_id}/edit")
    values = typed_values(form)
    errors, title = await run_in_threadpool(save_edit, request, who.principal, point_id, values)
    if errors:
        return edit_page(request, point_id, title, who.csrf, values, errors, status=422)
    return done_redirect("/operate", "edited", anchor=f"p-{quote(point_id)}")


def point_title(point: Point, lang: str) -> str:
    return str(point.name.get(lang) or point.name["uk"])


def typed_values(form: Any) -> dict[str, Any]:
    """The form as typed (kept to show it again beside any error)."""
    return {
        "services": [str(code) for code in form.getlist("services")],
        "opening_hours": str(form.get("opening_hours", "")).strip(),
        "phone": str(form.get("phone", "")).strip(),
        "capacity": str(form.get("capacity", "")).strip(),
        "fuel_tank_litres": str(form.get("fuel_tank_litres", "")).strip(),
        **{f"notes_{lang}": str(form.get(f"notes_{lang}", "")).strip() for lang in NOTE_LANGUAGES},
    }


class EditRefused(Exception):
    """Some fields are not valid: nothing is written, and the form shows why beside each."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def save_edit(
    request: Request, principal: Principal, point_id: str, values: dict[str, Any]
) -> tuple[dict[str, str], str]:
    """Check and store the edit in one transaction: (errors by field, the point's name). With
    errors nothing is written."""
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    title = point_id
    try:
        with state.db.write() as session:
            point = editable_point(session, principal, point_id, for_update=True)
            title = point_title(point, lang)
            update = point_update(point, values, _)
            try:
                point_store.update_point(
                    session, point_id, update, Actor.of(principal), now=state.clock()
                )
            except Invalid as refused:  # e.g. hours that do not parse in the point's timezone
                field = refused.field or "form"
                raise EditRefused({field: field_message(field, refused.problem, _)}) from refused
    except EditRefused as refused:
        return refused.errors, title
    return {}, title


def point_update(point: Point, values: dict[str, Any], _: Any) -> PointUpdate:
    """The change the form asks for, or EditRefused naming each field that is not valid."""
    errors: dict[str, str] = {}
    notes = dict(point.notes or {})  # notes in other languages stay as they are
    for lang in NOTE_LANGUAGES:
        text = values[f"notes_{lang}"]
        if len(text) > NOTES_MAX:
            errors[f"notes_{lang}"] = _("At most {count} characters.").format(count=NOTES_MAX)
        notes.pop(lang, None)
        if text:
            notes[lang] = text
    # "Пн-Пт 9-18" is read as Mo-Fr 09:00-18:00, and shown back so, beside any other mistake.
    values["opening_hours"], mistake = read_hours(values["opening_hours"], _)
    if mistake:
        errors["opening_hours"] = mistake
    try:
        update = PointUpdate(
            services=values["services"],
            opening_hours=None if mistake else values["opening_hours"] or None,
            phone=values["phone"] or None,
            capacity=values["capacity"] or None,
            fuel_tank_litres=values["fuel_tank_litres"] or None,
            notes=notes or None,
        )
    except ValidationError as invalid:
        errors.update(field_errors(invalid, _))
    if errors:
        raise EditRefused(errors)
    return update


def field_errors(invalid: ValidationError, _: Any) -> dict[str, str]:
    """One message per field of the form, in the page's language."""
    errors: dict[str, str] = {}
    for error in invalid.errors():
        loc = [str(part) for part in error.get("loc", ())]
        name = "notes_" + loc[1] if loc[:1] == ["notes"] and len(loc) > 1 else (loc or ["form"])[0]
        errors.setdefault(name, field_message(name, str(error.get("msg", "")), _))
    return errors


def field_message(name: str | None, problem: str, _: Any) -> str:
    if name == "opening_hours":  # e.g. hours that do not parse in the point's own timezone
        return hours_problem(OpeningHoursError(problem), _)
    messages = {
        "phone": _("A phone number: digits, spaces, +, brackets and dashes, 3 to 40 characters."),
        "capacity": _("A whole number of places, from 0 to 100000."),
        "fuel_tank_litres": _("A whole number of litres, from 1 to 100000."),
        "services": _("Choose services from the list."),
    }
    return messages.get(name or "", _("Not valid: {problem}").format(problem=problem))


def edit_page(
    request: Request,
    point_id: str,
    title: str,
    csrf: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    lang = i18n.choose_language(request)
    services = [(code, labels.get(lang) or labels["en"]) for code, labels in SERVICES.items()]
    return page(
        request,
        "operate_edit.html",
        status=status,
        point_id=point_id,
        title=title,
        csrf=csrf,
        values=values,
        errors=errors,
        services=services,
        notes_max=NOTES_MAX,
        fuel_cap=format_decimal(FUEL_CAP_LITRES, locale=lang),
    )
