"""A mobile point's stops in the workspace (issue 12): where it will stand and when, as its
residents will read it on its page; a stop added (a day, from, to, where, the place's name) or
removed. For whoever may edit the point (`domain.permissions.can_edit_point`), on every route;
the same as `nezlam stop add|list|remove`, in the network's local time.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nezlam.domain.errors import DomainError, NotFound
from nezlam.domain.mobile_stops import Stop
from nezlam.store import point_stops
from nezlam.store import points as point_store
from nezlam.store.actor import Actor
from nezlam.store.tables import PointStop
from nezlam.web.plumbing.forms import done_redirect, run_form, typed, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import EditablePoint, editable_point, form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import local_zone
from nezlam.web.words.stop_words import stop_line

router = APIRouter(include_in_schema=False)
FIELDS = ("day", "start", "end", "lat", "lon", "place")


@router.get("/operate/{point_id}/stops", response_class=HTMLResponse)
def stops_page(request: Request, point_id: str, held: EditablePoint) -> Response:
    return stops_answer(request, point_id, held.who.csrf)


@router.post("/operate/{point_id}/stops")
async def add_stop(request: Request, point_id: str) -> Response:
    return await run_form(request, _add, point_id)


@router.post("/operate/{point_id}/stops/{stop_id}/remove")
async def remove_stop(request: Request, point_id: str, stop_id: int) -> Response:
    return await run_form(request, _remove, point_id, stop_id)


def _add(request: Request, point_id: str, form: Any) -> Response:
    who = form_sender(request, form, back=f"/operate/{point_id}/stops")
    state: AppState = request.app.state.nezlam
    values = typed(form, FIELDS)
    _ = words(request)[1]
    stop, errors = read_stop(values, _)
    if stop is not None:
        try:
            with state.db.write() as session:
                editable_point(session, who.principal, point_id)
                actor = Actor.of(who.principal)
                point_stops.add_stop(session, point_id, stop, actor, state.clock())
        except DomainError as exc:
            if exc.status_code != 422:
                raise
            errors = {exc.field or "day": exc.problem}
    if errors:
        return stops_answer(request, point_id, who.csrf, errors, values, status=422)
    return done_redirect(f"/operate/{point_id}/stops", "added", anchor="stops")


def read_stop(values: dict[str, str], _: Any) -> tuple[Stop | None, dict[str, str]]:
    """The stop the form asks for, or the problem with each field."""
    errors: dict[str, str] = {}
    try:
        day = datetime.strptime(values["day"], "%Y-%m-%d").date()
    except ValueError:
        errors["day"] = _("A day, as the calendar gives it.")
    moments = {}
    for name in ("start", "end"):
        try:
            moments[name] = time.fromisoformat(values[name])
        except ValueError:
            errors[name] = _("A time, e.g. 09:30.")
    position = {}
    for name, high in (("lat", 90), ("lon", 180)):
        try:
            position[name] = float(values[name].replace(",", "."))
            if not -high <= position[name] <= high:
                raise ValueError(name)
        except ValueError:
            errors[name] = _("Degrees, e.g. 50.4501 and 30.5234.")
    if errors:
        return None, errors
    start, end = (datetime.combine(day, moments[n], local_zone()) for n in ("start", "end"))
    if end <= start:  # leaving after midnight: the next day
        end = datetime.combine(day.fromordinal(day.toordinal() + 1), moments["end"], local_zone())
    return Stop(start, end, position["lat"], position["lon"], values["place"]), {}


def _remove(request: Request, point_id: str, stop_id: int, form: Any) -> Response:
    who = form_sender(request, form, back=f"/operate/{point_id}/stops")
    state: AppState = request.app.state.nezlam
    with state.db.write() as session:
        editable_point(session, who.principal, point_id)
        row = session.get(PointStop, stop_id)
        if row is None or row.point_id != point_id:  # another point's stop: not here
            raise NotFound(f"no stop {stop_id} at this point", field="stop_id")
        point_stops.remove_stop(session, stop_id, Actor.of(who.principal), state.clock())
    return done_redirect(f"/operate/{point_id}/stops", "removed", anchor="stops")


def stops_answer(
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
        rows = point_stops.stops_of(session, point_id, now)
        names, mobile = point.name, point.kind == "mobile"
    return page(
        request,
        "operate_stops.html",
        status=status,
        point_id=point_id,
        title=names.get(lang) or names["uk"],
        csrf=csrf,
        mobile=mobile,
        stops=[(row.id, stop_line(point_stops.stop_of(row), now, lang, _)) for row in rows],
        errors=errors or {},
        values=values or {"day": now.astimezone(local_zone()).date().isoformat()},
        done=request.query_params.get("done"),
    )
