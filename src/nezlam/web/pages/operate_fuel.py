"""A point's fuel in the workspace (issue 13): how long it lasts ("≈ 14 h of fuel left"), its
generators (added with their plate's kW, fuel and tank, and the litres an hour the operator
measured, or removed), and a fuel delivery recorded (litres, by whom), which tops up what was
left. For whoever may edit the point (`domain.permissions.can_edit_point`), on every route;
the same as `nezlam fuel generator|remove-generator|deliver`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from nezlam.domain.errors import DomainError, NotFound
from nezlam.domain.fuel import DeliveryCreate, GeneratorCreate
from nezlam.domain.fuel_runway import point_runway
from nezlam.store import generators
from nezlam.store import points as point_store
from nezlam.store.actor import Actor
from nezlam.store.tables import PointGenerator
from nezlam.web.plumbing.forms import done_redirect, run_form, typed, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import EditablePoint, editable_point, form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.words.device_words import local_moment
from nezlam.web.words.fuel_words import fuel_hints, generator_line, runway_sentence

router = APIRouter(include_in_schema=False)
GENERATOR_FIELDS = ("label", "rated_kw", "fuel", "tank_litres", "litres_per_hour")
DELIVERY_FIELDS = ("litres", "delivered_by")


@router.get("/operate/{point_id}/fuel", response_class=HTMLResponse)
def fuel_page(request: Request, point_id: str, held: EditablePoint) -> Response:
    return fuel_answer(request, point_id, held.who.csrf)


@router.post("/operate/{point_id}/fuel/generators")
async def add_generator(request: Request, point_id: str) -> Response:
    return await run_form(request, _add_generator, point_id)


@router.post("/operate/{point_id}/fuel/generators/{generator_id}/remove")
async def remove_generator(request: Request, point_id: str, generator_id: int) -> Response:
    return await run_form(request, _remove_generator, point_id, generator_id)


@router.post("/operate/{point_id}/fuel/deliveries")
async def add_delivery(request: Request, point_id: str) -> Response:
    return await run_form(request, _add_delivery, point_id)


def checked(model: type[Any], values: dict[str, Any], _: Any) -> tuple[Any, dict[str, str]]:
    """The model from the form's fields (blank is none), or a problem beside each field."""
    try:
        return model.model_validate({k: v for k, v in values.items() if v != ""}), {}
    except ValidationError as exc:
        hints = fuel_hints(_)
        return None, {str(e["loc"][0]): hints.get(str(e["loc"][0]), "") for e in exc.errors()}


def _add_generator(request: Request, point_id: str, form: Any) -> Response:
    back = f"/operate/{point_id}/fuel"
    who = form_sender(request, form, back=back)
    state: AppState = request.app.state.nezlam
    values: dict[str, Any] = typed(form, GENERATOR_FIELDS)
    for name in ("rated_kw", "tank_litres", "litres_per_hour"):
        values[name] = values[name].replace(",", ".")
    data, errors = checked(
        GeneratorCreate, {**values, "backup": form.get("backup") == "on"}, words(request)[1]
    )
    if data is None:
        return fuel_answer(request, point_id, who.csrf, errors, values, status=422)
    with state.db.write() as session:
        editable_point(session, who.principal, point_id)
        generators.add_generator(session, point_id, data, Actor.of(who.principal), state.clock())
    return done_redirect(back, "added", anchor="generators")


def _remove_generator(request: Request, point_id: str, generator_id: int, form: Any) -> Response:
    back = f"/operate/{point_id}/fuel"
    who = form_sender(request, form, back=back)
    state: AppState = request.app.state.nezlam
    with state.db.write() as session:
        editable_point(session, who.principal, point_id)
        row = session.get(PointGenerator, generator_id)
        if row is None or row.point_id != point_id:  # another point's: not here
            raise NotFound(f"no generator {generator_id} at this point", field="generator_id")
        generators.remove_generator(session, generator_id, Actor.of(who.principal), state.clock())
    return done_redirect(back, "removed", anchor="generators")


def _add_delivery(request: Request, point_id: str, form: Any) -> Response:
    back = f"/operate/{point_id}/fuel"
    who = form_sender(request, form, back=back)
    state: AppState = request.app.state.nezlam
    values = typed(form, DELIVERY_FIELDS)
    values["litres"] = values["litres"].replace(",", ".")
    data, errors = checked(DeliveryCreate, values, words(request)[1])
    if data is not None:
        try:
            with state.db.write() as session:
                editable_point(session, who.principal, point_id)
                actor = Actor.of(who.principal)
                generators.record_delivery(session, point_id, data, actor, state.clock())
        except DomainError as exc:
            if exc.status_code != 422:
                raise
            errors = {"litres": exc.problem}
    if errors:
        return fuel_answer(request, point_id, who.csrf, errors, values, status=422)
    return done_redirect(back, "delivered", anchor="runway")


def fuel_answer(
    request: Request,
    point_id: str,
    csrf: str,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    now = state.clock()
    with state.db.read() as session:
        point = point_store.get_point(session, point_id)
        found = point_runway(point, now, state.settings.fuel_reserve)
        sets = [
            (row.id, generator_line(row, lang, _))
            for row in generators.generators_of(session, point_id)
        ]
        delivered = [
            (local_moment(d.delivered_at, now, lang), d.litres, d.delivered_by)
            for d in generators.deliveries_of(session, point_id)
        ]
        names, litres, tank = point.name, point.fuel_litres, point.fuel_tank_litres
    return page(
        request,
        "operate_fuel.html",
        status=status,
        point_id=point_id,
        title=names.get(lang) or names["uk"],
        csrf=csrf,
        runway=runway_sentence(found, now, lang, _),
        litres=litres,
        tank=tank,
        generators=sets,
        deliveries=delivered,
        errors=errors or {},
        values=values or {},
        done=request.query_params.get("done"),
    )
