"""The operator's workspace: sign in, see one's points, and keep each one's status true in a tap.

Plain forms that work without JavaScript on a phone with gloves on. Every form carries the
session's CSRF token and a fresh idempotency key, so a double tap or a resent form is stored once.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nezlam.domain.errors import DomainError, Forbidden, TooManyRequests
from nezlam.domain.points import ReportCreate
from nezlam.domain.public import public_properties
from nezlam.report_writer import ReportJob
from nezlam.store import login_sessions
from nezlam.store import points as point_store
from nezlam.web import i18n, presenters
from nezlam.web.deps import SESSION_COOKIE, set_session_cookie, sign_in
from nezlam.web.finder import page
from nezlam.web.state import AppState

router = APIRouter(include_in_schema=False)
STATUSES = ("open", "standby", "full", "closed")


def signed_in(request: Request) -> tuple[Any, str] | None:
    """(principal, CSRF token) of the browser's session, or None."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    state: AppState = request.app.state.nezlam
    try:
        with state.db.read() as session:
            return login_sessions.principal_for(session, secret, state.clock())
    except DomainError:
        return None


def to_login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return page(
        request, "login.html", next=safe_next(request.query_params.get("next")), problem=None
    )


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    _ = i18n.translations(i18n.choose_language(request)).gettext
    try:
        # argon2 is slow on purpose: keep it off the event loop.
        _user, secret, _csrf = await run_in_threadpool(sign_in, request, username, password)
    except TooManyRequests:
        problem = _("Too many attempts. Wait a few minutes and try again.")
        return page(request, "login.html", status=429, next=target, problem=problem)
    except DomainError:
        problem = _("Wrong username or password.")
        return page(request, "login.html", status=401, next=target, problem=problem)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, secret)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    state: AppState = request.app.state.nezlam
    form = await request.form()
    who = signed_in(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if who is not None and secret and hmac.compare_digest(str(form.get("csrf", "")), who[1]):
        with state.db.write() as session:
            login_sessions.end(session, secret, state.clock())
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this site: never send a signed-in person elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/operate"


@router.get("/operate", response_class=HTMLResponse)
def my_points(request: Request) -> Response:
    who = signed_in(request)
    if who is None:
        return to_login("/operate")
    principal, csrf = who
    state: AppState = request.app.state.nezlam
    lang = i18n.choose_language(request)
    _ = i18n.translations(lang).gettext
    now = state.clock()
    with state.db.read() as session:
        rows = point_store.points_in_charge(session, principal)
        views = state.sync.views(rows)
    cards = []
    for view in views:
        feature = {
            "type": "Feature",
            "id": view.id,
            "geometry": None,
            "properties": public_properties(
                view,
                now=now,
                stale_after=state.settings.stale_after,
                no_response_after=state.settings.no_response_after,
                lang=lang,
            ),
        }
        card = presenters.card(feature, now, lang, _)
        card["key"] = secrets.token_urlsafe(12)
        card["fuel"] = view.fuel_litres
        card["state"] = {"power": view.power, "heating": view.heating, "internet": view.internet}
        cards.append(card)
    return page(
        request,
        "operate.html",
        cards=cards,
        csrf=csrf,
        username=principal.username,
        statuses=status_labels(_),
        done=request.query_params.get("done"),
        powers=list(presenters.power_labels(_).items()),
    )


def status_labels(_: Any) -> list[tuple[str, str]]:
    return [
        ("open", _("Open")),
        ("standby", _("On standby")),
        ("full", _("Full")),
        ("closed", _("Closed")),
    ]


@router.post("/operate/{point_id}")
async def operate(request: Request, point_id: str) -> Response:
    """One tap: "still current", a status, or the occupancy one up or down."""
    state: AppState = request.app.state.nezlam
    form = await request.form()
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return to_login("/operate")
    action = str(form.get("action", ""))
    report = report_for(action, form)
    if report is None:
        return RedirectResponse("/operate?done=invalid", status_code=303)
    csrf = str(form.get("csrf", ""))
    now = state.clock()

    def identify(session: Any) -> Any:
        principal, expected = login_sessions.principal_for(session, secret, now)
        if not hmac.compare_digest(csrf, expected):
            raise Forbidden("the form is out of date; reload the page", field="csrf")
        return principal

    key = str(form.get("key", ""))[:128] or None
    job = ReportJob(point_id, report, identify, key, now)
    try:
        await asyncio.wrap_future(state.report_writer.submit(job))
    except DomainError:
        return RedirectResponse("/operate?done=refused", status_code=303)
    return RedirectResponse(f"/operate?done=saved#p-{quote(point_id)}", status_code=303)


def report_for(action: str, form: Any) -> ReportCreate | None:
    """The report a button stands for; None for anything else (nothing is stored then)."""
    if action == "verify":
        return ReportCreate(verify=True)
    if action == "details":
        return details_report(form)
    if action.startswith("status:") and action[7:] in STATUSES:
        return ReportCreate(status=action[7:])
    if action in ("occupancy:+1", "occupancy:-1"):
        try:
            current = int(str(form.get("occupancy", "0")) or 0)
        except ValueError:
            return None
        return ReportCreate(occupancy=max(0, current + (1 if action.endswith("+1") else -1)))
    return None


def details_report(form: Any) -> ReportCreate | None:
    """Power, heating, internet, people inside and fuel, as the operator set them."""

    def flag(name: str) -> bool | None:
        return {"yes": True, "no": False}.get(str(form.get(name, "")))

    def number(name: str) -> str | None:
        value = str(form.get(name, "")).strip().replace(",", ".")
        return value or None

    fields = {
        "power": str(form.get("power", "")) or None,
        "heating": flag("heating"),
        "internet": flag("internet"),
        "occupancy": number("occupancy_exact"),
        "fuel_litres": number("fuel_litres"),
    }
    try:
        return ReportCreate.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValueError:
        return None
