"""Organisations open points themselves: the public application form, and the coordinators'
screen that approves or rejects what was applied for.

/apply needs no account. Everything it asks for is created in one transaction or not at all; a
refused field comes back next to that field with what was typed (never the password). The
points stay `hidden` — out of every public view — until a coordinator of the region approves.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from nezlam.domain.errors import DomainError, Forbidden
from nezlam.domain.vocabulary import SERVICES, OrganisationKind
from nezlam.store import onboarding
from nezlam.web.pages.apply_places import locate_points
from nezlam.web.plumbing.forms import gettext_for, words
from nezlam.web.plumbing.ratelimit import RateLimiter
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.state import AppState
from nezlam.web.words.hours_words import cause_of, hours_problem

router = APIRouter(include_in_schema=False)
FORM_COOKIE = "nezlam_form"
APPLICATIONS_PER_HOUR = 10  # per client address: typos fixed and resent fit well within it
TOP_FIELDS = ("organisation_name", "organisation_kind", "contact_name", "phone", "username",
              "region", "message")  # fmt: skip
POINT_FIELDS = ("name", "address", "locality", "lat", "lon", "opening_hours", "capacity",
                "located")  # fmt: skip
POINT_FIELD = re.compile(r"^p(\d)_(\w+)$")
# Coordinates are not asked for: the address gives them (apply_places), unless it is not found.
REQUIRED = {"organisation_name", "organisation_kind", "contact_name", "phone", "username",
            "password", "region", "name", "address", "locality"}  # fmt: skip


# --- Anonymous forms: a double-submit token ---------------------------------------------------


def anonymous_form_token(request: Request) -> str:
    """The token an anonymous form carries: the browser's own from its cookie, or a new one."""
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)


def with_form_cookie(response: Response, request: Request, token: str) -> Response:
    """Keep the token in a strict same-site cookie: a page on another site that posts the form
    cannot send it, so the form's copy and the cookie's differ and nothing is stored."""
    if request.cookies.get(FORM_COOKIE) != token:
        response.set_cookie(
            FORM_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def check_anonymous_form(request: Request, form: Any) -> None:
    cookie = request.cookies.get(FORM_COOKIE, "")
    if not cookie or not hmac.compare_digest(str(form.get("csrf", "")), cookie):
        raise Forbidden("the form is out of date; reload the page", field="csrf")


# --- /apply ------------------------------------------------------------------------------------


def applications_limiter(request: Request) -> RateLimiter:
    """This worker's limit on applications per client (kept beside the app's other state)."""
    holder = request.app.state
    limiter = getattr(holder, "application_attempts", None)
    if limiter is None:
        limiter = holder.application_attempts = RateLimiter(APPLICATIONS_PER_HOUR, 3600)
    return limiter


def kind_labels(_: Any) -> list[tuple[str, str]]:
    labels = {
        OrganisationKind.MUNICIPALITY: _("Municipality or administration"),
        OrganisationKind.EMERGENCY_SERVICE: _("Emergency service"),
        OrganisationKind.BUSINESS: _("Business"),
        OrganisationKind.NGO: _("Charity or NGO"),
        OrganisationKind.DIASPORA: _("Diaspora community"),
        OrganisationKind.OTHER: _("Other"),
    }
    return [(kind.value, label) for kind, label in labels.items()]


def form_page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    problem: str | None = None,
    found: dict[str, dict[str, Any]] | None = None,
) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    with state.db.read() as session:
        regions = onboarding.known_regions(session)
    token = anonymous_form_token(request)
    labels = field_labels(_)
    response = page(
        request,
        "apply.html",
        status=status,
        values=values,
        errors=errors,
        labels=labels,
        summary=error_summary(errors, labels, _),
        problem=problem,
        regions=regions,
        kinds=kind_labels(_),
        services=[(code, labels[lang]) for code, labels in SERVICES.items()],
        numbers=range(1, onboarding.MAX_POINTS + 1),
        csrf=token,
        submitted=None,
        found=found or {},
    )
    return with_form_cookie(response, request, token)


def field_labels(_: Any) -> dict[str, str]:
    """The form's labels, by field (a point's fields without their "p1_")."""
    return {
        "organisation_name": _("Name of the organisation"),
        "organisation_kind": _("Kind of organisation"),
        "region": _("Region"),
        "contact_name": _("Contact person"),
        "phone": _("Phone"),
        "username": _("Username for signing in"),
        "password": _("Password"),
        "message": _("Anything the coordinator should know (optional)"),
        "name": _("Name of the point"),
        "address": _("Address"),
        "locality": _("Town or village"),
        "lat": _("Latitude"),
        "lon": _("Longitude"),
        "services": _("What people will find there"),
        "opening_hours": _("Opening hours"),
        "capacity": _("How many people fit inside"),
    }


def error_summary(
    errors: dict[str, str], labels: dict[str, str], _: Any
) -> list[tuple[str, str, str]]:
    """(field, its label, the problem) for the list at the top, which links to each field."""
    listed = []
    for name, problem in errors.items():
        numbered = POINT_FIELD.match(name)
        if numbered:
            point = _("Point {n}").format(n=numbered[1])
            label = f"{labels.get(numbered[2], numbered[2])} ({point})"
        else:
            label = labels.get(name, "")
        listed.append((name, label, problem))
    return listed


@router.get("/apply", response_class=HTMLResponse)
def apply_form(request: Request) -> Response:
    if "submitted" in request.query_params:
        return confirmation(request, request.query_params["submitted"])
    return form_page(request, values=empty_values(), errors={})


def confirmation(request: Request, region: str) -> Response:
    """After applying: who reviews it next (a region only if it is one we know)."""
    state: AppState = request.app.state.nezlam
    with state.db.read() as session:
        known = region in onboarding.known_regions(session)
    return page(request, "apply.html", submitted={"region": region if known else None})


def empty_values() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(TOP_FIELDS, "")
    for number in range(1, onboarding.MAX_POINTS + 1):
        values[f"p{number}"] = {**dict.fromkeys(POINT_FIELDS, ""), "services": []}
    return values


@router.post("/apply")
async def apply(request: Request) -> Response:
    form = await request.form()
    _ = gettext_for(request)
    values = read_values(form)
    check_anonymous_form(request, form)
    state: AppState = request.app.state.nezlam
    if form.get("locate"):  # "Find this address": look it up, create nothing
        return await run_in_threadpool(find_address, request, state, values, str(form["locate"]))
    limiter = applications_limiter(request)
    client = request.client.host if request.client else "unknown"
    if not limiter.allow(limiter.client_key(client)):
        problem = _("Too many applications from here. Wait an hour and try again.")
        return form_page(request, values, {}, status=429, problem=problem)
    located = await run_in_threadpool(locate_points, state, values, offered(values), _)
    data, errors = parse_application(values, str(form.get("password", "")), _)
    errors = without_coordinates_of(errors, located.errors, values)
    if data is None or located.errors:
        return form_page(request, values, errors, status=422, found=located.found)
    if located.found:  # shown back first: the applicant confirms where the points are
        problem = _("Check where we found your points, type your password again and send.")
        return form_page(request, values, {}, problem=problem, found=located.found)
    try:
        # argon2 hashes the password: slow on purpose, so off the event loop.
        await run_in_threadpool(submit, state, data)
    except DomainError as exc:
        return form_page(request, values, {exc.field or "form": store_problem(exc, _)}, 422)
    except IntegrityError:  # the same username taken at the same moment
        return form_page(
            request, values, {"username": _("This username is taken; choose another.")}, 422
        )
    region = quote(data.region, safe="")
    return RedirectResponse(f"/apply?submitted={region}", status_code=303)


def find_address(request: Request, state: AppState, values: dict[str, Any], raw: str) -> Response:
    """ "Find this address" of one point: the form back with the place found and its
    coordinates, or with why not; nothing stored, no application counted."""
    _ = gettext_for(request)
    number = int(raw) if raw.isdigit() and 1 <= int(raw) <= onboarding.MAX_POINTS else 1
    point = values[f"p{number}"]
    point["located"] = ""  # asked for: look it up whatever coordinates there are
    if not point["address"]:
        return form_page(request, values, {f"p{number}_address": _("Required.")}, 422)
    point["lat"] = point["lon"] = ""
    located = locate_points(state, values, [number], _)
    return form_page(request, values, located.errors, found=located.found)


def offered(values: dict[str, Any]) -> list[int]:
    """The points the form describes: the first, and each further one begun."""
    return [n for n in range(1, onboarding.MAX_POINTS + 1) if n == 1 or point_given(values, n)]


def without_coordinates_of(
    errors: dict[str, str], unfound: dict[str, str], values: dict[str, Any]
) -> dict[str, str]:
    """A point's address missing or not found is its problem: "latitude required" beside it
    says nothing more (a badly typed latitude still says what is wrong with it)."""
    merged = {**errors, **unfound}
    dropped = {
        f"{name[: -len('address')]}{c}"
        for name in merged
        if name.endswith("_address")
        for c in ("lat", "lon")
        if not values[name.split("_")[0]][c]
    }
    return {name: problem for name, problem in merged.items() if name not in dropped}


def submit(state: AppState, data: onboarding.ApplicationCreate) -> None:
    with state.db.write() as session:
        onboarding.submit_application(session, data, state.clock())


def read_values(form: Any) -> dict[str, Any]:
    """What was typed, to give back with the errors (the password is never sent back)."""
    values: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TOP_FIELDS}
    for number in range(1, onboarding.MAX_POINTS + 1):
        point: dict[str, str | list[str]] = {
            name: str(form.get(f"p{number}_{name}", "")).strip() for name in POINT_FIELDS
        }
        point["services"] = [str(s) for s in form.getlist(f"p{number}_services")]
        values[f"p{number}"] = point
    return values


def parse_application(
    values: dict[str, Any], password: str, _: Any
) -> tuple[onboarding.ApplicationCreate | None, dict[str, str]]:
    """The validated application and errors by form field name ("phone", "p2_lat"); the
    application is None when anything is wrong. Points 2 and 3 count only when begun."""
    numbers = offered(values)
    errors = missing_fields(values, password, numbers, _)
    raw = {name: values[name] or None for name in TOP_FIELDS}
    raw["password"] = password
    raw["points"] = [point_input(values[f"p{n}"]) for n in numbers]
    try:
        data = onboarding.ApplicationCreate.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            name = form_name(error["loc"], numbers)
            errors.setdefault(name, explain(error, name, _))
        return None, errors
    return (None if errors else data), errors


def missing_fields(
    values: dict[str, Any], password: str, numbers: list[int], _: Any
) -> dict[str, str]:
    given = {**values, "password": password}
    errors = {name: _("Required.") for name in (*TOP_FIELDS, "password") if name in REQUIRED}
    errors = {name: problem for name, problem in errors.items() if not given[name]}
    for n in numbers:
        for name in POINT_FIELDS:
            if name in REQUIRED and not values[f"p{n}"][name]:
                errors[f"p{n}_{name}"] = _("Required.")
    return errors


def point_given(values: dict[str, Any], number: int) -> bool:
    return any(values[f"p{number}"][name] for name in POINT_FIELDS if name != "located")


def point_input(point: dict[str, Any]) -> dict[str, Any]:
    decimal = {name: point[name].replace(",", ".") for name in ("lat", "lon")}
    return {
        **{name: point[name] or None for name in ("name", "address", "locality")},
        **{name: value or None for name, value in decimal.items()},
        "services": point["services"],
        "opening_hours": point["opening_hours"] or None,
        "capacity": point["capacity"] or None,
    }


def form_name(loc: tuple[Any, ...], numbers: list[int]) -> str:
    if len(loc) >= 3 and loc[0] == "points" and isinstance(loc[1], int):
        return f"p{numbers[loc[1]]}_{loc[2]}"
    return str(loc[0]) if loc else "form"


def explain(error: Any, name: str, _: Any) -> str:
    """A pydantic error, said for a person and in their language."""
    numbered = POINT_FIELD.match(name)
    field = numbered[2] if numbered else name
    kind = error["type"]
    limit = (error.get("ctx") or {}).get("min_length") or (error.get("ctx") or {}).get("max_length")
    hints = {
        "username": _("3 to 64 letters, digits or . _ @ - (no spaces)."),
        "phone": _("Digits, spaces and + ( ) - only, e.g. +380 67 123 4567."),
        "lat": _("Latitude in degrees, between -90 and 90 (Kyiv is about 50.45)."),
        "lon": _("Longitude in degrees, between -180 and 180 (Kyiv is about 30.52)."),
        "capacity": _("A whole number of people, 0 to 100000."),
        "opening_hours": _("Not understood. Write e.g. 24/7 or Mo-Fr 08:00-20:00; Sa 10:00-16:00."),
        "organisation_kind": _("Choose one of the options."),
        "services": _("Choose from the listed services."),
    }
    if kind in ("missing", "string_too_short") and limit in (None, 1):
        return _("Required.")
    if kind == "string_too_short":
        return _("At least {n} characters.").format(n=limit)
    if kind == "string_too_long":
        return _("At most {n} characters.").format(n=limit)
    if kind == "too_short" and field == "points":
        return _("Describe at least one point.")
    if field == "opening_hours" and (cause := cause_of(error)) is not None:
        return hours_problem(cause, _)  # "hour 25 does not exist", in the page's language
    return hints.get(field, _("Not understood; check this field."))


def store_problem(exc: DomainError, _: Any) -> str:
    return {
        "region": _("Choose one of the listed regions."),
        "username": _("This username is taken; choose another."),
    }.get(exc.field or "", exc.problem)
