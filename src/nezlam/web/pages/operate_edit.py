"""Editing a point's details in the workspace: services, hours, phone, capacity, the
generator's tank, notes for visitors in each language, and whose outage schedule the point's
power follows (the power company's region and the point's queue, issue 12).

The form is checked as a whole: every field that is not valid is named beside it and nothing is
written; what is valid is one update, audited under the user, on a point they may edit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from nezlam.domain.errors import Invalid
from nezlam.domain.opening_hours import OpeningHoursError
from nezlam.domain.outages import queue_order
from nezlam.domain.permissions import Principal
from nezlam.domain.points import FUEL_CAP_LITRES, PointUpdate
from nezlam.domain.vocabulary import SERVICES
from nezlam.store import points as point_store
from nezlam.store.actor import Actor
from nezlam.store.tables import Point
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.forms import done_redirect, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import EditablePoint, editable_point, form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.words.hours_words import hours_problem, read_hours

router = APIRouter(include_in_schema=False)
NOTES_MAX = 1000  # characters per language: a few sentences on a card
NOTE_LANGUAGES = ("uk", "en")


@router.get("/operate/{point_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, point_id: str, held: EditablePoint) -> Response:
    point = held.point
    values = {
        "services": list(point.services or []),
        "opening_hours": point.opening_hours or "",
        "phone": point.phone or "",
        "capacity": "" if point.capacity is None else str(point.capacity),
        "fuel_tank_litres": str(point.fuel_tank_litres or ""),  # never 0: at least 1 l
        "outage_region": point.outage_region or "",
        "outage_queue": point.outage_queue or "",
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
        "outage_region": str(form.get("outage_region", "")).strip(),
        "outage_queue": str(form.get("outage_queue", "")).strip(),
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
    if bool(values["outage_region"]) != bool(values["outage_queue"]):
        # One without the other follows no schedule: both, or neither.
        missing = "outage_queue" if values["outage_region"] else "outage_region"
        errors[missing] = _(
            "The power company and the queue go together: fill in both, or neither."
        )
    try:
        update = PointUpdate(
            services=values["services"],
            opening_hours=None if mistake else values["opening_hours"] or None,
            phone=values["phone"] or None,
            capacity=values["capacity"] or None,
            fuel_tank_litres=values["fuel_tank_litres"] or None,
            notes=notes or None,
            outage_region=values["outage_region"] or None,
            outage_queue=values["outage_queue"] or None,
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
        "outage_region": _(
            "The region's id as its schedule is imported, e.g. vinnytsia: "
            "Latin letters, digits, dots, dashes."
        ),
        "outage_queue": _("The queue's number, e.g. 1.1 or 3."),
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
    state: AppState = request.app.state.nezlam  # the schedules' queues, kept in memory
    schedules = dict(state.schedules.queues()) if state.schedules else {}
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
        schedules=schedules,
        queues=sorted({q for qs in schedules.values() for q in qs}, key=queue_order),
    )
