"""Needs: what a point lacks, posted by whoever runs it; the board where coordinators and
organisations see open needs by urgency, pledge and mark deliveries; and the public JSON feed of
open needs that donors' tools read. How a need is said on a page is `needs_words`.

Pages are plain forms that work without JavaScript; each carries the session's CSRF token. A form
that does not validate comes back with each problem beside its field and what was typed kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from nezlam.domain import permissions
from nezlam.domain.errors import Forbidden, Invalid
from nezlam.domain.point_view import iso, pick_name
from nezlam.domain.vocabulary import NEED_ITEMS, URGENCY_ORDER
from nezlam.store import needs as need_store
from nezlam.store import points as point_store
from nezlam.store.needs import MAX_QUANTITY, NeedInput, NeedSummary, Viewer
from nezlam.web.api import query
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
from nezlam.web.plumbing.session import SignedIn, SignedInPerson, form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.words import presenters
from nezlam.web.words.needs_words import (
    item_choices,
    item_label,
    need_view,
    region_choices,
    urgency_hints,
    urgency_labels,
)

# The JSON feed belongs in the API documentation; every page route opts out one by one.
router = APIRouter()


# --- Reading forms -------------------------------------------------------------------------------


def read_quantity(raw: str, _: Gettext) -> tuple[float | None, str | None]:
    """(the number, None) or (None, the problem in words)."""
    text = raw.strip().replace(",", ".").replace(" ", "")
    if not text:
        return None, _("Say how much is needed.")
    try:
        value = float(text)
    except ValueError:
        return None, _("Write a number, like 200 or 2.5.")
    if not 0 < value <= MAX_QUANTITY:
        return None, _("Must be more than 0 and at most 1,000,000.")
    return value, None


def read_need(form: Any, _: Gettext) -> tuple[NeedInput | None, dict[str, str], dict[str, str]]:
    """(the need or None, problems by field, what was typed)."""
    values = typed(form, ("item", "quantity", "unit", "urgency", "details"))
    errors: dict[str, str] = {}
    if values["item"] not in NEED_ITEMS:
        errors["item"] = _("Choose what is lacking.")
    quantity, problem = read_quantity(values["quantity"], _)
    if problem:
        errors["quantity"] = problem
    if values["urgency"] not in URGENCY_ORDER:
        errors["urgency"] = _("Choose how urgent it is.")
    if len(values["unit"]) > 16:
        errors["unit"] = _("At most 16 characters.")
    if len(values["details"]) > 300:
        errors["details"] = _("At most 300 characters.")
    if errors or quantity is None:
        return None, errors, values
    unit = values["unit"] or None
    return (
        NeedInput(values["item"], quantity, values["urgency"], unit, values["details"]),
        {},
        values,
    )


# --- The operator's page: the needs of one point --------------------------------------------------


@router.get("/operate/{point_id}/needs", include_in_schema=False, response_class=HTMLResponse)
def point_needs(request: Request, point_id: str, who: SignedInPerson) -> Response:
    return render_point_needs(request, who, point_id)


def render_point_needs(
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
    with state.db.read() as session:
        point = point_store.get_point(session, point_id)
        summaries = need_store.needs_of_point(session, point_id, who.principal)
    now = state.clock()
    return page(
        request,
        "needs_point.html",
        status=status,
        point_id=point.id,
        point_name=pick_name(point.name, lang),
        needs=[need_view(s, now, lang, _, lambda *_a: True) for s in summaries],
        items=item_choices(lang, _),
        urgencies=urgency_labels(_),
        hints=urgency_hints(_),
        **form_context(request, who, errors, values or {"urgency": "normal"}),
    )


@router.post("/operate/{point_id}/needs", include_in_schema=False)
async def change_point_needs(request: Request, point_id: str) -> Response:
    return await run_form(request, apply_point_form, point_id)


def apply_point_form(request: Request, point_id: str, form: Any) -> Response:
    """Post a need, close one (met or cancelled), or mark a pledge delivered."""
    who = form_sender(request, form)
    state: AppState = request.app.state.nezlam
    principal, now = who.principal, state.clock()
    action = str(form.get("action", ""))
    path = f"/operate/{quote(point_id)}/needs"
    if action == "post":
        data, errors, values = read_need(form, gettext_for(request))
        if data is None:
            return render_point_needs(
                request, who, point_id, status=422, errors=errors, values=values
            )
        with state.db.write() as session:
            need_store.post_need(session, point_id, data, principal, now)
        return done_redirect(path, "posted")
    if action in need_store.CLOSED_STATES:
        need_id = form_id(form, "need")
        with state.db.write() as session:
            need_store.close_need(session, point_id, need_id, action, principal, now)
        return done_redirect(path, action)
    if action == "delivered":
        pledge_id = form_id(form, "pledge")
        with state.db.write() as session:
            need_store.mark_delivered(session, pledge_id, principal, now)
        need = str(form.get("need", ""))
        return done_redirect(path, "delivered", f"need-{need}" if need.isdigit() else "")
    raise Invalid("not a known action", field="action")


# --- The board: open needs across points ----------------------------------------------------------


@router.get("/coordinate/needs", include_in_schema=False, response_class=HTMLResponse)
def needs_board(request: Request, who: SignedInPerson) -> Response:
    return render_board(request, who)


def board_viewer(state: AppState, who: SignedIn) -> tuple[Viewer, str | None]:
    """The viewer and their organisation's name; Forbidden for someone who may not see it."""
    with state.db.read() as session:
        viewer = need_store.viewer_of(session, who.principal)
        name = need_store.organisation_name(session, viewer.organisation_id)
    if not viewer.may_see_board:
        raise Forbidden("this page is for coordinators and organisations", field="role")
    return viewer, name


def render_board(
    request: Request,
    who: SignedIn,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The board of the open needs the viewer may see, filtered by item and region as asked,
    with the pledge form beside each need (and, after a form that did not validate, its
    problems and what was typed)."""
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    viewer, organisation = board_viewer(state, who)
    with state.db.read() as session:
        summaries = need_store.board(session, viewer)
    item, region, shown = board_filters(summaries, request.query_params)
    now = state.clock()
    ours, may_deliver = pledge_rights(viewer, who)
    return page(
        request,
        "needs_board.html",
        status=status,
        layout="coordinate_base.html" if who.is_coordinator else "base.html",
        needs=[need_view(s, now, lang, _, may_deliver, ours) for s in shown],
        total=len(summaries),
        items=[c for c in item_choices(lang, _) if c["code"] in {s.need.item for s in summaries}],
        regions=region_choices((s.point.region for s in summaries), lang),
        item=item,
        region=region,
        urgencies=urgency_labels(_),
        organisation=organisation,
        organisation_latin=presenters.latin(organisation, lang),
        may_pledge=viewer.is_member,
        **form_context(request, who, errors, values),
    )


def board_filters(
    summaries: list[NeedSummary], params: QueryParams
) -> tuple[str, str, list[NeedSummary]]:
    """The item and region asked for ("" for any), and the needs they keep."""
    item = params.get("item", "")
    region = params.get("region", "")
    shown = [
        s
        for s in summaries
        if (not item or s.need.item == item) and (not region or s.point.region == region)
    ]
    return item, region, shown


def pledge_rights(
    viewer: Viewer, who: SignedIn
) -> tuple[Callable[[Any], bool], Callable[[Any, Any], bool]]:
    """What the viewer may do with a pledge on the board: withdraw it when it is their
    organisation's (`ours`), mark it delivered when it is theirs or they may report for the
    point (`may_deliver`)."""

    def ours(pledge: Any) -> bool:
        return viewer.is_member and pledge.organisation_id == viewer.organisation_id

    def may_deliver(pledge: Any, point: Any) -> bool:
        return ours(pledge) or permissions.can_report(who.principal, point_store.scope_of(point))

    return ours, may_deliver


@router.post("/coordinate/needs/{need_id}/pledge", include_in_schema=False)
async def pledge(request: Request, need_id: int) -> Response:
    return await run_form(request, apply_pledge, need_id)


def apply_pledge(request: Request, need_id: int, form: Any) -> Response:
    who = form_sender(request, form, back="/coordinate/needs")
    state: AppState = request.app.state.nezlam
    _ = gettext_for(request)
    values = {"need": str(need_id), **typed(form, ("quantity", "note"))}
    quantity, problem = read_quantity(values["quantity"], _)
    errors = {"quantity": problem} if problem else {}
    if len(values["note"]) > 300:
        errors["note"] = _("At most 300 characters.")
    if errors or quantity is None:
        return render_board(request, who, status=422, errors=errors, values=values)
    with state.db.write() as session:
        need_store.pledge(
            session, need_id, quantity, values["note"] or None, who.principal, state.clock()
        )
    return done_redirect("/coordinate/needs", "pledged", f"need-{need_id}")


@router.post("/coordinate/pledges/{pledge_id}/delivered", include_in_schema=False)
async def delivered(request: Request, pledge_id: int) -> Response:
    change = need_store.mark_delivered
    return await run_form(request, apply_pledge_change, pledge_id, change, "delivered")


@router.post("/coordinate/pledges/{pledge_id}/withdraw", include_in_schema=False)
async def withdraw(request: Request, pledge_id: int) -> Response:
    change = need_store.withdraw_pledge
    return await run_form(request, apply_pledge_change, pledge_id, change, "withdrawn")


def apply_pledge_change(
    request: Request, pledge_id: int, change: Callable[..., Any], done: str, form: Any
) -> Response:
    """Mark a pledge delivered or withdraw it: the store decides who may."""
    who = form_sender(request, form, back="/coordinate/needs")
    state: AppState = request.app.state.nezlam
    with state.db.write() as session:
        change(session, pledge_id, who.principal, state.clock())
    return done_redirect("/coordinate/needs", done)


# --- The public feed -----------------------------------------------------------------------------


@router.get(
    "/api/v1/needs",
    include_in_schema=True,
    tags=["needs"],
    summary="What the points lack: open needs, most urgent first",
)
def public_needs_feed(
    request: Request,
    item: str | None = Query(None, max_length=32, description="only this item, e.g. `diesel`"),
    region: str | None = Query(None, max_length=120, description="only this region, e.g. `Київ`"),
    lang: str | None = Query(None, description="`uk` (default) or `en`, for `item_label`"),
) -> dict[str, Any]:
    """Open needs of the network's points, for donors' tools: most urgent first (`critical`,
    `high`, `normal`), then the longest waiting.

    Each need has its `item` (a code: diesel, petrol, water, tea, food, blankets, power_banks,
    generator, heaters, starlink, first_aid, volunteers, other) with `item_label` in the asked
    language, `quantity` and `unit`, `urgency`, `posted_at`, and how much organisations have
    `pledged` (delivered included) and `delivered`, and what `remaining` nobody has promised.

    The same visibility as the rest of the public API: a hidden point's needs are never listed; a
    protected point (`location_precision: "locality"`) gives only its locality — no address, no
    coordinates, and no `details` (an operator's words may say where to bring things).
    Organisations pledge on the needs board (`/coordinate/needs`) after signing in."""
    state: AppState = request.app.state.nezlam
    if item is not None and item not in NEED_ITEMS:
        raise Invalid(f"unknown item; allowed: {', '.join(NEED_ITEMS)}", field="item")
    lang = query.language({"lang": lang} if lang else {}, request.headers.get("accept-language"))
    with state.db.read() as session:
        summaries = need_store.public_needs(session)
    needs = [
        public_need(s, lang)
        for s in summaries
        if (item is None or s.need.item == item) and (region is None or s.point.region == region)
    ]
    return {"needs": needs, "generated_at": iso(state.clock())}


def public_need(summary: NeedSummary, lang: str) -> dict[str, Any]:
    need, point = summary.need, summary.point
    exact = summary.precision == "exact"
    return {
        "id": need.id,
        "item": need.item,
        "item_label": item_label(need.item, lang),
        "quantity": need.quantity,
        "unit": need.unit,
        "urgency": need.urgency,
        "details": summary.details,
        "posted_at": iso(need.posted_at),
        "pledged": summary.pledged,
        "delivered": summary.delivered,
        "remaining": summary.remaining,
        "point": {
            "id": point.id,
            "name": pick_name(point.name, lang),
            "locality": point.locality,
            "region": point.region,
            "address": point.address if exact else None,
            "coordinates": [point.lon, point.lat] if exact else None,
            "location_precision": summary.precision,
            "demo": point.demo,
            "url": f"/points/{quote(point.id)}",
        },
    }
