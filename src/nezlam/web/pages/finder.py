"""The resident's pages: find the nearest point that is really open, a point's page, the poster.

Server-rendered and complete without JavaScript: the search form returns plain HTML. The script
(`static/app.js`) only adds "use my location", the map, sharing and the offline notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import QueryParams

from nezlam.domain.errors import DomainError, NotFound
from nezlam.domain.points import POINT_ID_PATTERN
from nezlam.domain.vocabulary import SERVICES, Category, SignalKind, Visibility
from nezlam.geo.spatial_index import Filters
from nezlam.reading import answers, typed_place
from nezlam.reading.features import feature
from nezlam.reading.point_public import Asker
from nezlam.web.api import query
from nezlam.web.api.points import load_view, public_view, record_signal, repeat_key
from nezlam.web.pages import finder_query, signal_receipts, visit_answers
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.render import STATIC, assets_version, page, with_param
from nezlam.web.plumbing.state import AppState
from nezlam.web.words import device_words, outage_words, presenters, stop_words

router = APIRouter(include_in_schema=False)
FINDER_SERVICES = ["heat", "power", "water", "hot_drinks", "food", "wifi", "satellite_internet",
                   "mobile_signal", "first_aid", "toilet", "beds", "mother_and_child",
                   "pets_allowed", "step_free"]  # fmt: skip
POINT_ID = re.compile(POINT_ID_PATTERN)


def find_places(state: AppState, text: str, near: tuple[float, float] | None) -> list[dict]:
    """Addresses and places matching what was typed, best first (empty without a gazetteer)."""
    try:
        from nezlam.places import search as gazetteer
    except ImportError:
        return []
    return gazetteer.search_places(state.db, text, limit=5, near=near)


def suggest_places(state: AppState, text: str) -> list[dict]:
    """When nothing matches: the streets and places whose names are most like what was typed."""
    from nezlam.places import search as gazetteer

    return gazetteer.suggest_places(state.db, text, limit=3)


def read_form(params: QueryParams) -> dict[str, Any]:
    """The finder form as submitted; the first visit (no `f`) has "open now" ticked."""
    submitted = params.get("f") == "1"
    services = [s for s in params.getlist("services") if s in SERVICES]
    categories = [c for c in params.getlist("category") if c in {x.value for x in Category}]
    return {
        "q": params.get("q", "").strip()[:200],
        "services": services,
        "categories": categories,
        "open_now": params.get("open_now") == "1" if submitted else True,
    }


@dataclass
class Where:
    """Where a search is centred, as the resident asked for it, or why it is not."""

    centre: tuple[float, float] | None = None
    place: str | None = None
    problem: str | None = None
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    swapped: str | None = None  # "50.4419, 30.5133" when the typed numbers look swapped
    suggestions: list[str] = field(default_factory=list)  # when nothing matched: similar names
    without_number: bool = False  # nothing matched an address with a house number
    named: bool = False  # `place` is a gazetteer name (worth printing on a poster)


def locate(state: AppState, params: QueryParams, form: dict[str, Any], lang: str) -> Where:
    _ = i18n.translations(lang).gettext
    try:
        if params.get("lat") or params.get("lon"):
            centre = (query.number(params, "lat", -90, 90), query.number(params, "lon", -180, 180))
            return Where(centre, _("your location"))
        if not form["q"]:
            return Where()
        typed = typed_place.typed_coordinates(form["q"])
        if typed is None:
            return gazetteer_place(state, form["q"], lang)
        turned = typed_place.swapped(state.index, typed[0], typed[1], state.clock())
        hint = typed_place.coordinates_text(*turned) if turned else None
        if not typed_place.on_earth(*typed):
            return Where(problem=_("those coordinates are outside the Earth"), swapped=hint)
        return Where(typed, form["q"], swapped=hint)
    except DomainError as exc:
        return Where(problem=exc.problem)


def gazetteer_place(state: AppState, text: str, lang: str) -> Where:
    _ = i18n.translations(lang).gettext
    found = find_places(state, text, None)
    if not found:
        message = _("No address or place matches “{q}”. Try a street name, or use your location.")
        return Where(
            problem=message.format(q=text),
            suggestions=[place_label(p, lang) for p in suggest_places(state, text)],
            without_number=any(ch.isdigit() for ch in text),
        )
    best = found[0]
    others = finder_query.distinct_alternatives(best, found[1:])
    for other in others:
        other["shown"] = place_label(other, lang)
    centre = (best["lat"], best["lon"])
    return Where(centre, place_label(best, lang), alternatives=others, named=True)


def place_label(place: dict[str, Any], lang: str) -> str:
    """A gazetteer label in the page's language: Latin letters on English pages."""
    return str(place.get("label_en") or place["label"]) if lang == "en" else str(place["label"])


def nearest_cards(
    state: AppState, centre: tuple[float, float], form: dict[str, Any], k: int, lang: str
) -> list[dict[str, Any]]:
    """The k nearest points the filters let through, as cards (on foot with a street network)."""
    filters = Filters.build(
        services=form["services"],
        categories=form["categories"],
        statuses=["open"] if form["open_now"] else (),
        open_now=True if form["open_now"] else None,
    )
    asker = Asker(lang, state.clock(), centre)
    # With a street network, nearest on foot.
    answer = answers.nearest(state.index, state.walking, asker, k, filters, on_foot=True)
    _ = i18n.translations(lang).gettext
    return [
        {
            **presenters.card(feature(public), asker.now, lang, _, state.walking_m_per_min),
            "schedule": outage_words.schedule_line(state.schedules, public, asker.now, lang, _),
        }
        for public in answer.points
    ]


def map_data(centre: tuple[float, float] | None, results: list[dict[str, Any]]) -> dict:
    """What the optional map draws: the search's centre and each card, numbered as the list."""
    points = [
        {
            "n": number,
            "id": r["id"],
            "name": r["props"]["name"],
            "tone": r["status"].tone,
            "status": r["status"].headline,
            "lat": r["lat"],
            "lon": r["lon"],
        }
        for number, r in enumerate(results, start=1)
        if r["lat"] is not None
    ]
    return {"centre": centre, "points": points}


@router.get("/", response_class=HTMLResponse)
def finder(request: Request) -> HTMLResponse:
    state: AppState = request.app.state.nezlam
    params = request.query_params
    form = read_form(params)
    lang = i18n.choose_language(request)
    _ = i18n.translations(lang).gettext
    where = locate(state, params, form, lang)
    k = finder_query.results_wanted(params)
    results = [] if where.centre is None else nearest_cards(state, where.centre, form, k, lang)
    more = len(results) == k and k < finder_query.MAX_RESULTS
    return page(
        request,
        "finder.html",
        status=422 if where.problem else 200,
        form=form,
        where=where,
        problem=where.problem,
        place=where.place,
        centre=where.centre,
        results=results,
        more_url=with_param(params, "k", str(k + finder_query.RESULTS)) + f"#r-{k + 1}"
        if more
        else None,
        swapped_url=with_param(params, "q", where.swapped) + "#results-title"
        if where.swapped
        else None,
        search_url=lambda text: with_param(params, "q", text) + "#results-title",
        from_query=f"?from={where.centre[0]:.5f},{where.centre[1]:.5f}" if where.centre else "",
        services=[
            (code, presenters.SERVICE_ICONS[code], SERVICES[code][lang]) for code in FINDER_SERVICES
        ],
        categories=list(presenters.category_labels(_).items()),
        map_data=map_data(where.centre, results),
    )


@router.get("/points/{point_id}", response_class=HTMLResponse)
def point_page(request: Request, point_id: str) -> HTMLResponse:
    state: AppState = request.app.state.nezlam
    lang = i18n.choose_language(request)
    _ = i18n.translations(lang).gettext
    try:
        if not POINT_ID.match(point_id):
            raise NotFound("no such point", field="id")
        view = load_view(state, point_id)
        if view.visibility == Visibility.HIDDEN:
            raise NotFound("no such point", field="id")
    except NotFound:
        return page(request, "not_found.html", status=404)
    public = public_view(state, view, lang)
    shown = feature(public)
    item = presenters.card(shown, state.clock(), lang, _)
    params = request.query_params
    given = params.get("from")  # the results link's "lat,lon"
    zone = public.details.timezone
    return page(
        request,
        "point.html",
        point=item,
        receipt=signal_receipts.receipt_words(state, point_id, params, zone, _),
        visitors_said=signal_receipts.visitors_said(state, point_id, _),
        devices_said=device_words.device_lines(view.devices, view.power, state.clock(), lang, _),
        schedule=outage_words.schedule_line(state.schedules, public, state.clock(), lang, _),
        stops=stop_words.stop_lines(state.schedules, public, state.clock(), lang, _),
        from_here=presenters.from_place(shown, given, lang, _, state.walking_m_per_min),
        osm=presenters.osm_link(item["lat"], item["lon"]),
        signal=request.query_params.get("signal"),
        signals=list(presenters.signal_labels(_).items()),
        **visit_answers.public_parts(state, point_id, params, zone, lang, i18n.translations(lang)),
    )


@router.post("/points/{point_id}/signal")
async def point_signal(request: Request, point_id: str) -> Response:
    """The visitor buttons on a point page: a plain form, no account, no script. Only from
    this site's own page: another site must not flag points through its visitors' browsers."""
    from nezlam.web.plumbing.origin import refuse_cross_site  # only this handler needs it

    state: AppState = request.app.state.nezlam
    refuse_cross_site(request, state.settings.public_url)  # 403, before the body is read
    form = await request.form()
    kind = str(form.get("kind", ""))
    if kind not in {k.value for k in SignalKind} or not POINT_ID.match(point_id):
        return RedirectResponse(f"/points/{point_id}?signal=invalid", status_code=303)
    client = request.client.host if request.client else "unknown"
    try:
        answer = record_signal(state, client, point_id, SignalKind(kind))
        outcome = "thanks" if answer["counted"] else "already"
    except DomainError as exc:
        outcome = "busy" if exc.status_code == 429 else "invalid"
        answer = {}
    # What was said, and a way to undo it.
    receipt = signal_receipts.receipt_query(state.signing_key, point_id, kind, answer)
    return RedirectResponse(f"/points/{point_id}?signal={outcome}{receipt}", status_code=303)


@router.post("/points/{point_id}/visit")
async def point_visit(request: Request, point_id: str) -> Response:
    """ "Were you here?" on a point page: four answers and an optional comment, a plain form,
    no account, no script. Guarded as the visitor buttons are: only from this site's own page
    (checked before the body is read), and within the connection's budget of signals."""
    from nezlam.web.plumbing.origin import refuse_cross_site

    state: AppState = request.app.state.nezlam
    refuse_cross_site(request, state.settings.public_url)
    form = await request.form()
    outcome = "visit=invalid"
    if POINT_ID.match(point_id):
        client = request.client.host if request.client else "unknown"
        lang = i18n.choose_language(request)
        record = visit_answers.record_visit
        outcome = await run_in_threadpool(record, state, client, point_id, form, lang)
    return RedirectResponse(f"/points/{quote(point_id)}?{outcome}", status_code=303)


@router.post("/points/{point_id}/signal/undo")
async def point_signal_undo(request: Request, point_id: str) -> Response:
    """ "Undo" on the thank-you: takes back the signal its receipt names, for a few minutes."""
    from nezlam.web.plumbing.origin import refuse_cross_site

    state: AppState = request.app.state.nezlam
    refuse_cross_site(request, state.settings.public_url)
    form = await request.form()
    outcome = "invalid"
    if POINT_ID.match(point_id):
        outcome = await run_in_threadpool(signal_receipts.undo, state, point_id, form)
    if outcome == "undone":  # the visitor may now say what they meant
        client = request.client.host if request.client else "unknown"
        kind = SignalKind(str(form.get("kind")))
        state.signal_repeat.forget(repeat_key(state, client, point_id, kind))
    return RedirectResponse(f"/points/{point_id}?signal={outcome}", status_code=303)


@router.get("/poster")
def poster(request: Request) -> Response:
    """An A4 PDF of the nearest points with QR codes, to hang on a door when phones are dead."""
    from nezlam.poster import nearest_features_for_poster, place_name, render_poster

    state: AppState = request.app.state.nezlam
    params = request.query_params
    lang = i18n.choose_language(request)
    try:
        lat, lon = query.number(params, "lat", -90, 90), query.number(params, "lon", -180, 180)
    except DomainError as exc:
        return Response(f"{exc.field}: {exc.problem}", status_code=422, media_type="text/plain")
    now = state.clock()
    features = nearest_features_for_poster(state.index, lat, lon, now=now, lang=lang)
    # The place as the finder named it, else what the gazetteer calls the spot.
    place = params.get("place") or place_name(state.db, lat, lon, lang)
    pdf = render_poster(
        features,
        place_label=place,
        lat=lat,
        lon=lon,
        base_url=str(request.base_url).rstrip("/"),
        generated_at=now,
        lang=lang,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="nezlam-poster-{lat:.4f}-{lon:.4f}.pdf"'
        },
    )


@router.get("/sw.js")
def service_worker() -> Response:
    """Served from the root so that it may control every page."""
    script = (STATIC / "sw.js").read_text().replace("__ASSETS_VERSION__", assets_version())
    return Response(script, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
