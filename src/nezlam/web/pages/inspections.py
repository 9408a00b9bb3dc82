"""Inspections: the checklist a coordinator fills in at a point, and the follow-up tasks that
failed items leave behind.

A visit with nothing failed verifies the point (the finder shows it as confirmed at once); each
failed item becomes a task on `/coordinate/tasks` until someone marks it done. Only coordinators
of the point's region and admins see these pages. Plain forms, each with the CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nezlam.domain.errors import Invalid
from nezlam.domain.point_view import pick_name
from nezlam.domain.vocabulary import INSPECTION_ITEMS
from nezlam.reading.features import properties
from nezlam.reading.point_public import Asker, point_public
from nezlam.store import inspections as inspection_store
from nezlam.store.inspections import ANSWERS, InspectionInput
from nezlam.web.plumbing.forms import (
    Gettext,
    done_redirect,
    form_context,
    form_id,
    gettext_for,
    run_form,
    typed,
    words,
)
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import SignedIn, SignedInCoordinator, form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import local_zone
from nezlam.web.words import presenters
from nezlam.web.words.needs_words import since

router = APIRouter(include_in_schema=False)


def item_label(code: str, lang: str) -> str:
    entry = INSPECTION_ITEMS.get(code, {"en": code})
    return entry.get(lang) or entry["en"]


def answer_labels(_: Gettext) -> dict[str, str]:
    return {"pass": _("Passed"), "fail": _("Failed"), "na": _("Not applicable")}


def read_inspection(
    form: Any, _: Gettext
) -> tuple[InspectionInput | None, dict[str, str], dict[str, str]]:
    """(the checklist or None, problems by field, what was typed)."""
    values = typed(form, (*INSPECTION_ITEMS, *(f"note_{name}" for name in INSPECTION_ITEMS)))
    values["notes"] = str(form.get("notes", "")).strip()
    errors: dict[str, str] = {}
    for name in INSPECTION_ITEMS:
        if values[name] not in ANSWERS:
            errors[name] = _("Choose passed, failed or not applicable.")
        if len(values[f"note_{name}"]) > 300:
            errors[f"note_{name}"] = _("At most 300 characters.")
    if len(values["notes"]) > 1000:
        errors["notes"] = _("At most 1000 characters.")
    if errors:
        return None, errors, values
    data = InspectionInput(
        answers={name: values[name] for name in INSPECTION_ITEMS},
        item_notes={n: values[f"note_{n}"] for n in INSPECTION_ITEMS if values[f"note_{n}"]},
        notes=values["notes"] or None,
    )
    return data, {}, values


def inspection_view(
    row: Any, point: Any, inspector: str | None, now: datetime, lang: str, _: Gettext
) -> dict[str, Any]:
    """One past inspection in words: when, who, and which items failed or did not apply."""
    return {
        "point_id": point.id,
        "point_name": pick_name(point.name, lang),
        "when": since(row.at, now, lang, _),
        "inspector": inspector or "—",
        "passed": row.passed,
        "failed": [item_label(k, lang) for k, v in row.results.items() if v is False],
        "not_applicable": [item_label(k, lang) for k, v in row.results.items() if v is None],
        "notes": row.notes,
    }


# --- The checklist -------------------------------------------------------------------------------


@router.get("/coordinate/points/{point_id}/inspect", response_class=HTMLResponse)
def inspect_form(request: Request, point_id: str, who: SignedInCoordinator) -> Response:
    return render_inspect(request, who, point_id)


def render_inspect(
    request: Request,
    who: SignedIn,
    point_id: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    now = state.clock()
    with state.db.read() as session:
        point = inspection_store.coordinated_point(session, point_id, who.principal)
        history = inspection_store.recent_inspections(session, who.principal, point_id, limit=5)
    settings = state.settings
    asker = Asker(lang, now)
    view = state.sync.views([point])[0]
    props = properties(point_public(view, asker, settings.stale_after, settings.no_response_after))
    return page(
        request,
        "inspect.html",
        status=status,
        point_id=point.id,
        point_name=pick_name(point.name, lang),
        shown=presenters.status_words(props, now, lang, _),
        items=[(code, item_label(code, lang)) for code in INSPECTION_ITEMS],
        answers=answer_labels(_),
        history=[inspection_view(r, p, u, now, lang, _) for r, p, u in history],
        **form_context(request, who, errors, values),
    )


@router.post("/coordinate/points/{point_id}/inspect")
async def submit_inspection(request: Request, point_id: str) -> Response:
    return await run_form(request, apply_inspection, point_id)


def apply_inspection(request: Request, point_id: str, form: Any) -> Response:
    who = form_sender(request, form, coordinator=True)
    state: AppState = request.app.state.nezlam
    data, errors, values = read_inspection(form, gettext_for(request))
    if data is None:
        return render_inspect(request, who, point_id, status=422, errors=errors, values=values)
    with state.db.write() as session:
        inspection = inspection_store.inspect(session, point_id, data, who.principal, state.clock())
        passed = inspection.passed
    path = f"/coordinate/points/{quote(point_id)}/inspect"
    return done_redirect(path, "passed" if passed else "failed")


# --- Follow-up tasks -----------------------------------------------------------------------------


@router.get("/coordinate/tasks", response_class=HTMLResponse)
def tasks(request: Request, who: SignedInCoordinator) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    now = state.clock()
    mine = request.query_params.get("mine") == "1"
    with state.db.read() as session:
        open_rows = inspection_store.open_tasks(session, who.principal, mine=mine)
        recent = inspection_store.recent_inspections(session, who.principal)
        people = {
            region: inspection_store.region_coordinators(session, region)
            for region in {point.region for _task, point, _user in open_rows}
        }
    return page(
        request,
        "tasks.html",
        tasks=[task_view(t, p, u, people[p.region], now, lang, _) for t, p, u in open_rows],
        inspections=[inspection_view(r, p, u, now, lang, _) for r, p, u in recent],
        mine=mine,
        priorities=priority_labels(_),
        **form_context(request, who),
    )


def priority_labels(_: Gettext) -> dict[str, str]:
    return {"urgent": _("Urgent"), "high": _("High"), "normal": _("Normal")}


def task_view(
    task: Any, point: Any, assignee: str | None, people: list[str], now: datetime, lang: str, _: Any
) -> dict[str, Any]:
    """One open task in words: what failed where, how urgent, due when, whose."""
    return {
        "id": task.id,
        "point_id": point.id,
        "point_name": pick_name(point.name, lang),
        "region": point.region,
        "item": item_label(task.item, lang),
        "note": task.note,
        "since": since(task.created_at, now, lang, _),
        "priority": task.priority,
        "priority_label": priority_labels(_).get(task.priority, task.priority),
        "due": due_words(task.due_at, now, lang, _),
        "overdue": task.due_at is not None and task.due_at < now,
        "due_value": local_input(task.due_at),
        "assignee": assignee,
        "people": people,
    }


def due_words(due: datetime | None, now: datetime, lang: str, _: Gettext) -> str:
    if due is None:
        return _("no due time")
    if due < now:
        return _("overdue by {span}").format(span=presenters.span(due, now, lang))
    return _("due in {span}").format(span=presenters.span(now, due, lang))


def local_input(moment: datetime | None) -> str:
    """A moment as a datetime-local field shows it: Kyiv's wall-clock time."""
    return moment.astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M") if moment else ""


def read_plan(form: Any) -> inspection_store.TaskPlan:
    """The plan form; a due time that is not a date and time is refused naming the field."""
    raw = str(form.get("due_at", "")).strip()
    try:
        local = datetime.fromisoformat(raw).replace(tzinfo=local_zone()) if raw else None
        due = local.astimezone(UTC) if local else None
    except ValueError as exc:
        raise Invalid("a date and time like 2026-12-02T18:00", field="due_at") from exc
    assignee = str(form.get("assignee", "")).strip()[:64] or None
    return inspection_store.TaskPlan(str(form.get("priority", "")), due, assignee)


@router.post("/coordinate/tasks/{task_id}/plan")
async def task_plan(request: Request, task_id: str) -> Response:
    return await run_form(request, apply_task_plan, task_id)


def apply_task_plan(request: Request, task_id: str, form: Any) -> Response:
    who = form_sender(request, form, back="/coordinate/tasks", coordinator=True)
    state: AppState = request.app.state.nezlam
    number = form_id({"task": task_id}, "task")
    plan = read_plan(form)
    with state.db.write() as session:
        inspection_store.plan_task(session, number, plan, who.principal, state.clock())
    return done_redirect("/coordinate/tasks", "planned", anchor=f"task-{number}")


@router.post("/coordinate/tasks/{task_id}/done")
async def task_done(request: Request, task_id: str) -> Response:
    return await run_form(request, apply_task_done, task_id)


def apply_task_done(request: Request, task_id: str, form: Any) -> Response:
    who = form_sender(request, form, back="/coordinate/tasks", coordinator=True)
    state: AppState = request.app.state.nezlam
    number = form_id({"task": task_id}, "task")
    with state.db.write() as session:
        inspection_store.complete_task(session, number, who.principal, state.clock())
    return done_redirect("/coordinate/tasks", "done")
