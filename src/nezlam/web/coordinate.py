"""The coordinator's dashboard: every point of their regions with its status after the freshness
rule, counts per region, open points over time, notifications, a map, exports of the filtered
view, and one point's history.

Plain HTML that works without JavaScript: filters are a GET form, sorting and paging are links.
`static/coordinate.js` only adds the map, drawn from the GeoJSON export of the same view.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import QueryParams

from nezlam.domain.errors import Forbidden, Invalid
from nezlam.domain.permissions import PointScope, Principal, can_see_protected
from nezlam.domain.public import iso, pick_name
from nezlam.domain.vocabulary import NotificationKind, Power, ShownStatus
from nezlam.geo.distance import coarse_position
from nezlam.store import audit
from nezlam.store import dashboard as board
from nezlam.store import notifications as notification_store
from nezlam.store import points as point_store
from nezlam.store import reports as report_store
from nezlam.web import i18n, presenters
from nezlam.web.finder import page
from nezlam.web.session import SignedIn, check_csrf, coordinator_page, regions_of
from nezlam.web.state import AppState

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
DEFAULT_DAYS, MAX_DAYS = 7, 31
LOCAL = ZoneInfo("Europe/Kyiv")
EPOCH = datetime(2022, 11, 1, tzinfo=LOCAL)  # any moment: only the headline is read
EXPORT_COLUMNS = (
    "id", "name", "locality", "region", "address", "lat", "lon", "status", "status_text",
    "reported_status", "updated_at_utc", "verified_at_utc", "occupancy", "capacity", "power",
    "fuel_litres", "flagged", "visibility",
)  # fmt: skip


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
        text=(params.get("q") or "").strip(),
    )
    return View(
        filters=filters,
        sort=sort,
        descending=params.get("dir") == "desc",
        page=_number(params.get("page"), "page", int, 1) or 1,
        days=_number(params.get("days"), "days", int, 1, MAX_DAYS) or DEFAULT_DAYS,
    )


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
        )
    chosen = board.sort_rows(
        (row for row in rows if view.filters.keeps(row)), view.sort, view.descending, lang
    )
    return Scope(who, regions, view, rows, chosen, now)


def language(request: Request) -> tuple[str, Any]:
    lang = i18n.choose_language(request)
    return lang, i18n.translations(lang).gettext


@router.get("/coordinate", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    who = coordinator_page(request)
    if isinstance(who, RedirectResponse):
        return who
    state: AppState = request.app.state.nezlam
    lang, _ = language(request)
    scope = load_scope(request, who, lang)
    view = scope.view
    chart_regions = [view.filters.region] if view.filters.region else scope.regions
    with state.db.read() as session:
        series = open_history(request).series(
            session,
            chart_regions,
            now=scope.now,
            days=view.days,
            stale_after=state.settings.stale_after,
        )
        notes = notification_store.unacknowledged(session, scope.regions)
        names = board.point_names(session, (note.point_id for note in notes))
    pages = max(1, -(-len(scope.chosen) // PAGE_SIZE))
    current = min(view.page, pages)
    shown = scope.chosen[(current - 1) * PAGE_SIZE : current * PAGE_SIZE]
    counts = board.counts_by_region(scope.rows)
    params = request.query_params
    return page(
        request,
        "coordinate.html",
        csrf=who.csrf,
        regions=scope.regions,
        view=view,
        form=params,
        rows=[table_row(row, scope.now, lang, _) for row in shown],
        total=len(scope.chosen),
        first=(current - 1) * PAGE_SIZE + 1,
        last=(current - 1) * PAGE_SIZE + len(shown),
        page_no=current,
        pages=pages,
        link=lambda **changes: link(params, **changes),
        export_query=link(params, page=None, sort=None, dir=None, days=None),
        columns=column_headers(_),
        counts=counts,
        total_counts=board.total_counts(counts),
        statuses=[(s.value, status_name(s.value, _)) for s in board.STATUS_ORDER],
        powers=list(presenters.power_labels(_).items()),
        chart=chart(
            [(hour, n) for hour, n in series if hour < scope.now]
            + [(scope.now, open_now(scope.rows, chart_regions))],
            view.days,
            _,
        ),
        notifications=[notification_item(n, names, scope.now, lang, _) for n in notes],
        done=params.get("done"),
        stale_hours=f"{state.settings.stale_after.total_seconds() / 3600:g}",
    )


def open_history(request: Request) -> board.OpenHistory:
    """This app's memory of past hours' open counts (one per app, so tests never share it)."""
    app_state = request.app.state
    if not hasattr(app_state, "open_history"):
        app_state.open_history = board.OpenHistory()
    return app_state.open_history  # type: ignore[no-any-return]


def open_now(rows: list[board.PointRow], regions: list[str]) -> int:
    """The chart's last point: open now, as the table and the counts say."""
    wanted = set(regions)
    return sum(row.shown == ShownStatus.OPEN and row.region in wanted for row in rows)


def link(params: QueryParams, **changes: Any) -> str:
    """This page's query with some parameters changed (None drops one)."""
    items = [(k, v) for k, v in params.multi_items() if k not in changes and k != "done"]
    items += [(k, str(v)) for k, v in changes.items() if v is not None]
    return "?" + urlencode(items) if items else ""


def column_headers(_: Any) -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("locality", _("Locality")),
        ("region", _("Region")),
        ("status", _("Status")),
        ("updated", _("Updated")),
        ("verified", _("Verified")),
        ("occupancy", _("People inside")),
        ("power", _("Power")),
        ("fuel", _("Fuel, l")),
        ("flagged", _("Flagged by visitors")),
    ]


def status_name(code: str, _: Any) -> str:
    """A shown status in the finder's words ("Unconfirmed", "No response")."""
    return presenters.status_words({"status": code}, EPOCH, "en", _).headline


def moment(value: datetime | None, now: datetime, lang: str) -> dict[str, str] | None:
    """A time as people read it ("2 hours ago"), with the exact local time beside it."""
    if value is None:
        return None
    return {
        "ago": presenters.ago(value, now, lang),
        "exact": value.astimezone(LOCAL).strftime("%d.%m.%Y %H:%M"),
        "iso": iso(value) or "",
    }


def table_row(row: board.PointRow, now: datetime, lang: str, _: Any) -> dict[str, Any]:
    props = {"status": row.shown.value, "updated_at": iso(row.updated_at)}
    props["verified_at"] = iso(row.verified_at)
    return {
        "id": row.id,
        "name": row.label(lang),
        "locality": row.locality,
        "region": row.region,
        "status": presenters.status_words(props, now, lang, _),
        "shown": row.shown.value,
        "updated": moment(row.updated_at, now, lang),
        "verified": moment(row.verified_at, now, lang),
        "occupancy": f"{_dash(row.occupancy)} / {_dash(row.capacity)}",
        "power": presenters.power_label(row.power, _) or "—",
        "fuel": _dash(row.fuel_litres),
        "flagged": moment(row.flagged_at, now, lang),
    }


def _dash(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


def visibility_words(_: Any) -> dict[str, str]:
    return {
        "public": _("public"),
        "locality_only": _("protected: only the locality is published"),
        "hidden": _("hidden from the public"),
    }


def notification_words(_: Any) -> dict[str, str]:
    return {
        NotificationKind.FULL: _("Full"),
        NotificationKind.CLOSED: _("Closed"),
        NotificationKind.NO_POWER: _("No power"),
        NotificationKind.LOW_FUEL: _("Low on fuel"),
    }


def notification_item(
    note: Any, names: dict[str, dict[str, str]], now: datetime, lang: str, _: Any
) -> dict[str, Any]:
    low_fuel = note.kind == NotificationKind.LOW_FUEL
    return {
        "id": note.id,
        "point_id": note.point_id,
        "name": pick_name(names.get(note.point_id) or {"uk": note.point_id}, lang),
        "kind": notification_words(_).get(note.kind, note.kind),
        "fuel": _dash((note.details or {}).get("fuel_litres")) if low_fuel else None,
        "at": moment(note.at, now, lang),
    }


# --- The chart of open points over time -------------------------------------------------------

CHART_W, CHART_H, LEFT, RIGHT, BOTTOM, TOP = 720, 220, 44, 24, 28, 12  # room for the labels


def chart(series: list[tuple[datetime, int]], days: int, _: Any) -> dict[str, Any]:
    """Geometry of the SVG line (in its viewBox, x by time), its axes, and its words for screen
    readers. `series` is hourly, ending with the present moment."""
    counts = [n for _moment, n in series]
    top = max(max(counts), 1)
    width, height = CHART_W - LEFT - RIGHT, CHART_H - BOTTOM - TOP
    start, end = series[0][0], series[-1][0]
    scale = width / max((end - start).total_seconds(), 1)

    def x(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() * scale, 1)

    def y(n: float) -> float:
        return round(TOP + height - n / top * height, 1)

    local = [(moment.astimezone(LOCAL), n) for moment, n in series]
    peak = max(range(len(counts)), key=counts.__getitem__)
    summary = _(
        "Now {now} open; at most {peak} ({peak_at}), at least {low} over the last {days} days."
    ).format(
        now=counts[-1],
        peak=counts[peak],
        peak_at=local[peak][0].strftime("%d.%m %H:%M"),
        low=min(counts),
        days=days,
    )
    return {
        "viewbox": f"0 0 {CHART_W} {CHART_H}",
        "points": " ".join(f"{x(moment)},{y(n)}" for moment, n in series),
        "left": LEFT,
        "right": CHART_W - RIGHT,
        "base": TOP + height,
        "y_ticks": [(y(n), n) for n in sorted({0, top // 2, top})],
        "x_ticks": [
            (x(moment), when.strftime("%d.%m"))
            for (moment, _n), (when, _m) in zip(series, local, strict=True)
            if when.hour == 0 and when.minute == 0
        ],
        "label_y": CHART_H - 6,
        "summary": summary,
        "table": [(when.strftime("%d.%m %H:%M"), n) for when, n in local],
    }


# --- Exports of the filtered view -------------------------------------------------------------


def export_record(row: board.PointRow, principal: Principal, lang: str, _: Any) -> dict[str, Any]:
    """One point as every export format writes it. Exact position and address only for those
    who may see a protected point's (its coordinators)."""
    exact = can_see_protected(principal, PointScope(row.id, row.region, row.organisation_id))
    protected = row.visibility == "locality_only" and not exact
    lat, lon = coarse_position(row.lat, row.lon) if protected else (row.lat, row.lon)
    return {
        "id": row.id,
        "name": row.label(lang),
        "locality": row.locality,
        "region": row.region,
        "address": None if protected else row.address,
        "lat": float(lat),
        "lon": float(lon),
        "status": row.shown.value,
        "status_text": status_name(row.shown.value, _),
        "reported_status": row.status,
        "updated_at_utc": iso(row.updated_at),
        "verified_at_utc": iso(row.verified_at),
        "occupancy": row.occupancy,
        "capacity": row.capacity,
        "power": row.power,
        "fuel_litres": row.fuel_litres,
        "flagged": row.flagged_at is not None,
        "visibility": row.visibility,
    }


def export_records(request: Request) -> tuple[list[dict[str, Any]], str] | RedirectResponse:
    """The filtered view's records (all pages), and the file name's stem with today's date."""
    who = coordinator_page(request)
    if isinstance(who, RedirectResponse):
        return who
    lang, _ = language(request)
    scope = load_scope(request, who, lang)
    records = [export_record(row, who.principal, lang, _) for row in scope.chosen]
    return records, f"nezlam-points-{scope.now.astimezone(LOCAL):%Y-%m-%d}"


def attachment(body: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


@router.get("/coordinate/export.csv")
def export_csv(request: Request) -> Response:
    found = export_records(request)
    if isinstance(found, Response):
        return found
    records, stem = found
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    # The byte order mark is how Excel knows the file is UTF-8 (Cyrillic intact).
    body = ("\ufeff" + text.getvalue()).encode("utf-8")
    return attachment(body, "text/csv; charset=utf-8", f"{stem}.csv")


@router.get("/coordinate/export.geojson")
def export_geojson(request: Request) -> Response:
    found = export_records(request)
    if isinstance(found, Response):
        return found
    records, stem = found
    features = [
        {
            "type": "Feature",
            "id": record["id"],
            "geometry": {"type": "Point", "coordinates": [record["lon"], record["lat"]]},
            "properties": record,
        }
        for record in records
    ]
    body = orjson.dumps({"type": "FeatureCollection", "features": features})
    return attachment(body, "application/geo+json", f"{stem}.geojson")


@router.get("/coordinate/export.xlsx")
def export_xlsx(request: Request) -> Response:
    found = export_records(request)
    if isinstance(found, Response):
        return found
    records, stem = found
    from openpyxl import Workbook  # imported on use: only this export needs it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("points")
    sheet.append(list(EXPORT_COLUMNS))
    for record in records:
        sheet.append([record[name] for name in EXPORT_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return attachment(buffer.getvalue(), media, f"{stem}.xlsx")


# --- Notifications ----------------------------------------------------------------------------


@router.post("/coordinate/notifications/{notification_id}/acknowledge")
async def acknowledge(request: Request, notification_id: int) -> Response:
    who = coordinator_page(request)
    if isinstance(who, RedirectResponse):
        return who
    check_csrf(await request.form(), who)
    state: AppState = request.app.state.nezlam
    with state.db.write() as session:
        notification_store.acknowledge(session, notification_id, who.principal, state.clock())
    return RedirectResponse("/coordinate?done=acknowledged#notifications", status_code=303)


# --- One point ----------------------------------------------------------------------------------


@router.get("/coordinate/points/{point_id}", response_class=HTMLResponse)
def point_page(request: Request, point_id: str) -> Response:
    who = coordinator_page(request)
    if isinstance(who, RedirectResponse):
        return who
    state: AppState = request.app.state.nezlam
    lang, _ = language(request)
    now = state.clock()
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
    words = ChangeWords(now, lang, _)
    return page(
        request,
        "coordinate_point.html",
        point=point,
        name=row.label(lang),
        organisation=organisation,
        current=table_row(row, now, lang, _),
        visibility=words.value("visibility", point.visibility),
        heating=words.value("heating", point.heating),
        internet=words.value("internet", point.internet),
        services=presenters.services({"services": point.services}, lang),
        reports=[report_item(r, authors, words) for r in history],
        signals=[
            (presenters.signal_labels(_).get(s.kind, s.kind), moment(s.received_at, now, lang))
            for s in signals
        ],  # fmt: skip
        entries=[entry_item(e, words) for e in entries],
    )


def report_item(report: Any, authors: dict[int, str], words: ChangeWords) -> dict[str, Any]:
    said = [
        words.change(name, None, getattr(report, name))[0::2]
        for name in ("status", "power", "heating", "internet", "occupancy", "fuel_litres")
        if getattr(report, name) is not None
    ]
    return {
        "at": moment(report.received_at, words.now, words.lang),
        "by": authors.get(report.reporter_user_id or -1) or report.source,
        "verify": report.verify,
        "said": said,
    }


def entry_item(entry: Any, words: ChangeWords) -> dict[str, Any]:
    after, before = entry.after or {}, entry.before or {}
    return {
        "at": moment(entry.at, words.now, words.lang),
        "actor": entry.actor,
        "action": words.action(entry.action),
        "changes": [words.change(name, before.get(name), after.get(name)) for name in after],
    }


class ChangeWords:
    """The audit log in words: field names and values a coordinator reads, not column codes."""

    def __init__(self, now: datetime, lang: str, _: Any) -> None:
        self.now, self.lang, self._ = now, lang, _
        self.fields = {
            "status": _("Status"),
            "power": _("Power"),
            "heating": _("Heating"),
            "internet": _("Internet"),
            "occupancy": _("People inside"),
            "fuel_litres": _("Generator fuel, litres"),
            "updated_at": _("Updated"),
            "verified_at": _("Verified"),
            "flagged_at": _("Flagged by visitors"),
            "name": _("Name"),
            "address": _("Address"),
            "locality": _("Locality"),
            "region": _("Region"),
            "phone": _("Phone"),
            "capacity": _("Places"),
            "opening_hours": _("Opening hours"),
            "services": _("Services"),
            "visibility": _("Visibility"),
        }

    def action(self, code: str) -> str:
        _ = self._
        return {
            "create": _("Created"),
            "update": _("Details edited"),
            "report": _("Report"),
            "verify": _("Still current"),
            "flag": _("Flagged by visitors"),
        }.get(code, code)

    def value(self, name: str, value: Any) -> str:
        _ = self._
        if value is None:
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if name == "status":
            return status_name(str(value), _)
        if name == "power":
            return presenters.power_label(str(value), _) or str(value)
        if name == "visibility":
            return visibility_words(_).get(str(value), str(value))
        if name.endswith("_at") and isinstance(value, str):
            return value and moment(presenters.parse_iso(value), self.now, self.lang)["exact"]
        if isinstance(value, dict):
            return pick_name(value, self.lang)
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return _dash(value)

    def change(self, name: str, before: Any, after: Any) -> tuple[str, str, str]:
        """(field, value before, value after), each in words."""
        return self.fields.get(name, name), self.value(name, before), self.value(name, after)
