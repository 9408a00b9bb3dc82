"""The coordinator's dashboard: every point of their regions with its status after the freshness
rule, counts per region, open points over time, notifications, a map, and one point's history.
The exports of the filtered view are `coordinate_exports`; the chart is `coordinate_chart`; the
history's wording is `coordinate_words`.

Plain HTML that works without JavaScript: filters are a GET form, sorting and paging are links.
`static/coordinate.js` only adds the map, drawn from the GeoJSON export of the same view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from nezlam.domain.device_snapshot import alarm_raised
from nezlam.domain.errors import Forbidden, Invalid
from nezlam.domain.point_view import iso
from nezlam.domain.vocabulary import Power, ShownStatus
from nezlam.store import audit, status_history, visits
from nezlam.store import dashboard as board
from nezlam.store import points as point_store
from nezlam.store import reports as report_store
from nezlam.store.tables import AuditEntry, Point, StatusReport, VisitorSignal
from nezlam.web.pages import (
    applications,
    coordinate_notifications,
    coordinate_outages,
    visit_answers,
    visit_comments,
)
from nezlam.web.pages.coordinate_chart import chart
from nezlam.web.pages.coordinate_notifications import summary as notification_summary
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.forms import words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import SignedIn, SignedInCoordinator, regions_of
from nezlam.web.plumbing.state import AppState
from nezlam.web.words import device_words, fuel_words, presenters
from nezlam.web.words.coordinate_words import (
    ChangeWords,
    dash,
    entry_item,
    local_name,
    moment,
    report_item,
    status_name,
)

router = APIRouter(include_in_schema=False)
# The dashboard's notifications, the applications and the visitors' comments are served with it.
router.include_router(coordinate_notifications.router)
router.include_router(coordinate_outages.router)  # the next 24 h of scheduled outages
router.include_router(applications.router)
router.include_router(visit_comments.router)
PAGE_SIZE = 100
# On the map and in its legend, each state that needs a coordinator has a shape and a sign of
# its own (workspace.css), so that it is never told by colour alone; open and standby are dots.
MAP_SIGNS = {"unconfirmed": "?", "full": "≡", "closed": "×", "no_response": "!", "unknown": "–"}
DEFAULT_DAYS, MAX_DAYS = 7, 31


@dataclass(frozen=True)
class View:
    """The dashboard's query: filters, sorting, page and the chart's span, as asked in the URL."""

    filters: board.Filters
    sort: str = "status"
    descending: bool = False
    page: int = 1
    days: int = DEFAULT_DAYS


def read_view(params: QueryParams, regions: list[str]) -> View:
    """The query, checked: a value that makes no sense is refused naming its field."""
    region = params.get("region") or None
    if region and region not in regions:
        raise Invalid(f"{region!r} is not one of your regions", field="region")
    shown = frozenset(params.getlist("status"))
    if unknown := shown - {s.value for s in board.STATUS_ORDER}:
        raise Invalid(f"unknown status {sorted(unknown)[0]!r}", field="status")
    power = params.get("power") or None
    if power and power not in {p.value for p in Power}:
        raise Invalid(f"unknown power source {power!r}", field="power")
    sort = params.get("sort") or "status"
    if sort not in board.SORT_KEYS:
        raise Invalid(f"cannot sort by {sort!r}", field="sort")
    filters = board.Filters(
        region=region,
        shown=shown,
        power=power,
        fuel_below=_number(params.get("fuel_below"), "fuel_below", float, 0),
        runs_out_within=_number(params.get("runs_out_within"), "runs_out_within", float, 0),
        text=(params.get("q") or "").strip(),
    )
    return View(
        filters=filters,
        sort=sort,
        descending=params.get("dir") == "desc",
        page=_number(params.get("page"), "page", int, 1) or 1,
        days=_number(params.get("days"), "days", int, 1, MAX_DAYS) or DEFAULT_DAYS,
    )


def _shown_number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _number(raw: str | None, name: str, kind: type, low: float, high: float | None = None) -> Any:
    if raw is None or not raw.strip():
        return None
    try:
        value = kind(raw.strip().replace(",", "."))
    except ValueError:
        raise Invalid(f"{raw!r} is not a number", field=name) from None
    if not math.isfinite(value):
        raise Invalid(f"{raw!r} is not a number", field=name)
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise Invalid(f"must be {bounds}", field=name)
    return value


@dataclass(frozen=True)
class Scope:
    """Who is looking, at which regions, and the rows of the view they asked for."""

    who: SignedIn
    regions: list[str]
    view: View
    rows: list[board.PointRow]  # every point of the regions, shown status at `now`
    chosen: list[board.PointRow]  # filtered and sorted: the table, all pages
    now: datetime


def load_scope(request: Request, who: SignedIn, lang: str) -> Scope:
    state: AppState = request.app.state.nezlam
    now = state.clock()
    with state.db.read() as session:
        regions = regions_of(who, board.all_regions(session))
        view = read_view(request.query_params, regions)
        rows = board.current_rows(
            session,
            regions,
            now=now,
            stale_after=state.settings.stale_after,
            no_response_after=state.settings.no_response_after,
            fuel_reserve=state.settings.fuel_reserve,
        )
    chosen = board.sort_rows(
        (row for row in rows if view.filters.keeps(row)), view.sort, view.descending, lang
    )
    return Scope(who, regions, view, rows, chosen, now)


@router.get("/coordinate", response_class=HTMLResponse)
def dashboard(request: Request, who: SignedInCoordinator) -> Response:
    """The asked view of the coordinator's regions: the table page by page, the filters, the
    counts per region, the chart and the notifications."""
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    scope = load_scope(request, who, lang)
    view, params = scope.view, request.query_params
    chart_regions = [view.filters.region] if view.filters.region else scope.regions
    with state.db.read() as session:
        series = chart_series(request, session, scope, chart_regions)
        notes = notification_summary(session, scope.regions, scope.now, lang, _)
    return page(
        request,
        "coordinate.html",
        csrf=who.csrf,
        regions=[(region, local_name(region, lang)) for region in scope.regions],
        view=view,
        fuel_below=_shown_number(view.filters.fuel_below),
        runs_out_within=_shown_number(view.filters.runs_out_within),
        form=params,
        **table_page(scope, lang, _),
        link=lambda **changes: link(params, **changes),
        export_query=link(params, page=None, sort=None, dir=None, days=None),
        columns=column_headers(_),
        **region_counts(scope.rows, lang),
        statuses=[(s.value, status_name(s.value, _)) for s in board.STATUS_ORDER],
        powers=list(presenters.power_labels(_).items()),
        map_signs=MAP_SIGNS,
        chart=chart(series, view.days, _),
        notifications=notes,
        done=params.get("done"),
        acknowledged=params.get("n"),
        stale_hours=f"{state.settings.stale_after.total_seconds() / 3600:g}",
    )


def table_page(scope: Scope, lang: str, _: Any) -> dict[str, Any]:
    """The table's rows on the asked page (the last one if it asks for more), and which of how
    many rows and pages they are."""
    pages = max(1, -(-len(scope.chosen) // PAGE_SIZE))
    current = min(scope.view.page, pages)
    shown = scope.chosen[(current - 1) * PAGE_SIZE : current * PAGE_SIZE]
    return {
        "rows": [table_row(row, scope.now, lang, _) for row in shown],
        "total": len(scope.chosen),
        "first": (current - 1) * PAGE_SIZE + 1,
        "last": (current - 1) * PAGE_SIZE + len(shown),
        "page_no": current,
        "pages": pages,
    }


def region_counts(rows: list[board.PointRow], lang: str) -> dict[str, Any]:
    """The counts of each shown status per region, by the region's name on the page, with the
    region each name is and the total row."""
    counts = board.counts_by_region(rows)
    return {
        "counts": {local_name(region, lang): c for region, c in counts.items()},
        "region_of": {local_name(region, lang): region for region in counts},
        "total_counts": board.total_counts(counts),
    }


def chart_series(
    request: Request, session: Session, scope: Scope, regions: list[str]
) -> list[tuple[datetime, int, int]]:
    """The chart's (moment, open, in doubt): the past hours of the view's days from this app's
    memory, and now as the table and the counts say."""
    state: AppState = request.app.state.nezlam
    series = open_history(request).series(
        session,
        regions,
        now=scope.now,
        days=scope.view.days,
        stale_after=state.settings.stale_after,
        no_response_after=state.settings.no_response_after,
    )
    past = [counted for counted in series if counted[0] < scope.now]
    return [*past, (scope.now, *counts_now(scope.rows, regions))]


def open_history(request: Request) -> status_history.OpenHistory:
    """This app's memory of past hours' counts (one per app, so tests never share it)."""
    app_state = request.app.state
    if not hasattr(app_state, "open_history"):
        app_state.open_history = status_history.OpenHistory()
    return app_state.open_history  # type: ignore[no-any-return]


IN_DOUBT = (ShownStatus.UNCONFIRMED, ShownStatus.NO_RESPONSE)


def counts_now(rows: list[board.PointRow], regions: list[str]) -> tuple[int, int]:
    """The chart's last point: open now, and in doubt now, as the table and the counts say."""
    wanted = [row.shown for row in rows if row.region in set(regions)]
    return wanted.count(ShownStatus.OPEN), sum(shown in IN_DOUBT for shown in wanted)


def link(params: QueryParams, **changes: Any) -> str:
    """This page's query with some parameters changed (None drops one)."""
    items = [(k, v) for k, v in params.multi_items() if k not in changes and k != "done"]
    items += [(k, str(v)) for k, v in changes.items() if v is not None]
    return "?" + urlencode(items) if items else ""


def column_headers(_: Any) -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("locality", _("Locality, region")),
        ("status", _("Status")),
        ("updated", _("Updated")),
        ("verified", _("Verified")),
        ("occupancy", _("People inside")),
        ("power", _("Power")),
        ("fuel", _("Fuel, l")),
        ("runway", _("Fuel lasts")),
        ("flagged", _("Flagged by visitors")),
    ]


def table_row(row: board.PointRow, now: datetime, lang: str, _: Any) -> dict[str, Any]:
    props = {"status": row.shown.value, "updated_at": iso(row.updated_at)}
    props["verified_at"] = iso(row.verified_at)
    return {
        "id": row.id,
        "name": row.label(lang),
        "place": place_of(row.locality, row.region, lang),
        "locality": local_name(row.locality, lang),
        "region": local_name(row.region, lang),
        "status": presenters.status_words(props, now, lang, _),
        "shown": row.shown.value,
        "updated": moment(row.updated_at, now, lang),
        "verified": moment(row.verified_at, now, lang),
        "occupancy": f"{dash(row.occupancy, lang)} / {dash(row.capacity, lang)}",
        "power": presenters.power_label(row.power, _) or "—",
        "fuel": dash(row.fuel_litres, lang),
        "runway": fuel_words.runway_short(row.runway, lang),
        "runway_note": fuel_words.runway_note(row.runway, now, lang, _),
        "flagged": moment(row.flagged_at, now, lang),
        # Beside the status, never in its place: the devices' word is no verification.
        "devices": device_words.lines_of_row(row.state_times, row.power, now, lang, _),
        "device_flag": alarm_raised(row.state_times),
    }


def place_of(locality: str, region: str, lang: str) -> str:
    """ "Бровари, Київська область"; the city alone when it is its own region ("Київ")."""
    if locality.casefold() == region.casefold():
        return local_name(locality, lang)
    return f"{local_name(locality, lang)}, {local_name(region, lang)}"


# --- One point ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointRecord:
    """One point as its coordinator's page reads it: the point, its row, and its history."""

    point: Point
    row: board.PointRow  # the shown status at the moment it was read
    reports: list[StatusReport]
    authors: dict[int, str]  # the reports' authors' usernames
    signals: list[VisitorSignal]
    entries: list[AuditEntry]
    organisation: str | None
    answers: visits.Summary  # the visitors' answers of the last week


def load_point(state: AppState, who: SignedIn, point_id: str, now: datetime) -> PointRecord:
    """The point and its history; Forbidden for a point outside the coordinator's regions."""
    with state.db.read() as session:
        point = point_store.get_point(session, point_id)
        if not who.principal.coordinates_region(point.region):
            raise Forbidden("this point is in a region you do not coordinate", field="id")
        row = board.row_of(
            point,
            now=now,
            stale_after=state.settings.stale_after,
            no_response_after=state.settings.no_response_after,
        )
        history = report_store.history(session, point_id, limit=50)
        authors = board.usernames(session, {r.reporter_user_id for r in history})
        signals = board.recent_signals(session, point_id)
        entries = audit.entries(session, "point", point_id, limit=100)
        organisation = point_store.organisation_names(session).get(point.organisation_id or -1)
        week = visits.summary(session, point_id, now - visits.WEEK)
    return PointRecord(point, row, history, authors, signals, entries, organisation, week)


@router.get("/coordinate/points/{point_id}", response_class=HTMLResponse)
def point_page(request: Request, point_id: str, who: SignedInCoordinator) -> Response:
    """One point for its coordinator: what and where it is, its status now, and its history of
    reports, visitors' signals and answers, and changes."""
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    now = state.clock()
    record = load_point(state, who, point_id, now)
    point, say = record.point, ChangeWords(now, lang, _)
    return page(
        request,
        "coordinate_point.html",
        point=point,
        name=record.row.label(lang),
        organisation=local_name(record.organisation, lang) or None,
        where={
            "address": local_name(point.address, lang) or "—",
            "locality": local_name(point.locality, lang),
            "region": local_name(point.region, lang),
            "capacity": dash(point.capacity, lang),
        },
        current=table_row(record.row, now, lang, _),
        visibility=say.value("visibility", point.visibility),
        heating=say.value("heating", point.heating),
        internet=say.value("internet", point.internet),
        services=presenters.services({"services": point.services}, lang),
        reports=[report_item(r, record.authors, say) for r in record.reports],
        signals=[
            (presenters.signal_labels(_).get(s.kind, s.kind), moment(s.received_at, now, lang))
            for s in record.signals
        ],  # fmt: skip
        entries=[entry_item(e, say) for e in record.entries],
        visits=visit_answers.coordinator_summary(record.answers, i18n.translations(lang)),
    )
