"""JSON API for points: nearest, bounding box, detail, edits, status reports and visitor signals."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, Header, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError

from nezlam.domain import permissions
from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from nezlam.domain.permissions import Principal
from nezlam.domain.point_view import PointView, iso
from nezlam.domain.points import (
    POINT_ID_PATTERN,
    PointCreate,
    PointUpdate,
    ReportCreate,
    SignalCreate,
)
from nezlam.domain.reporting import REPORTED_FIELDS
from nezlam.domain.vocabulary import NEGATIVE_SIGNALS, SignalKind, Visibility
from nezlam.reading import answers
from nezlam.reading.answers import DEMO_NOTICE
from nezlam.reading.features import feature, fuel_properties, privileged_feature
from nezlam.reading.point_public import Asker, PointPublic, point_public
from nezlam.reading.power_schedule import power_schedule, stops_said
from nezlam.report_writer import ReportJob
from nezlam.store import accounts
from nezlam.store import audit as audit_store
from nezlam.store import points as point_store
from nezlam.store import reports as report_store
from nezlam.store import signals as signal_store
from nezlam.web.api import query
from nezlam.web.plumbing.deps import (
    Credentials,
    actor_of,
    app_state,
    optional_principal,
    present_credentials,
    required_principal,
)
from nezlam.web.plumbing.state import AppState

router = APIRouter(prefix="/api/v1", tags=["points"])
GEOJSON = "application/geo+json"
PointId = Path(pattern=POINT_ID_PATTERN, description="the point's stable id")


@router.get(
    "/points/nearest",
    summary="Nearest points, ordered by distance",
    response_class=Response,
    openapi_extra={"parameters": query.NEAREST_PARAMETERS},
    responses={200: {"content": {GEOJSON: {}}, "description": "GeoJSON FeatureCollection"}},
)
async def nearest(request: Request) -> Response:
    # Served by `web.plumbing.fast_path` in production; this route documents it and answers the
    # same.
    body = nearest_body(
        request.app.state.nezlam, request.query_params, request.headers.get("accept-language")
    )
    return Response(body, media_type=GEOJSON)


def nearest_body(state: AppState, params: Mapping[str, str], accept_language: str | None) -> bytes:
    """The resident's query, the hot path: parameters parsed by hand (see web/api/query.py),
    answered from memory by the read side, serialised once."""
    lat = query.number(params, "lat", -90, 90)
    lon = query.number(params, "lon", -180, 180)
    k = query.integer(params, "k", 1, 100, 5)
    max_m = query.number(params, "max_km", 1e-9, 20000) * 1000 if params.get("max_km") else None
    lang = query.language(params, accept_language)
    by = query.choice(params, "by", ("straight", "walking"), "straight")
    asker = Asker(lang, state.clock(), (lat, lon))
    filters = query.filters(params)
    answer = answers.nearest(
        state.index, state.walking, asker, k, filters, max_m=max_m, on_foot=by == "walking"
    )
    return answers.collection_json(answer, state.settings)


@router.get(
    "/points",
    summary="Points in a bounding box (or the whole network), with filters",
    response_class=Response,
    openapi_extra={"parameters": query.BBOX_PARAMETERS},
    responses={200: {"content": {GEOJSON: {}}, "description": "GeoJSON FeatureCollection"}},
)
async def list_points(request: Request) -> Response:
    state: AppState = request.app.state.nezlam
    params = request.query_params
    box = query.bbox(params) or (-180.0, -90.0, 180.0, 90.0)
    limit = query.integer(params, "limit", 1, query.POINTS_LIMIT, query.POINTS_LIMIT_DEFAULT)
    asker = Asker(query.language(params, request.headers.get("accept-language")), state.clock())
    snap, hits = state.index.within_bbox(*box, query.filters(params), asker.now, limit)
    body = answers.collection(answers.listing(snap, hits, asker), state.settings)
    return Response(orjson.dumps(body), media_type=GEOJSON)


def load_view(state: AppState, point_id: str) -> PointView:
    with state.db.read() as session:
        row = point_store.get_point(session, point_id)
        return state.sync.views([row])[0]


def point_feature(state: AppState, view: PointView, principal: Principal | None, lang: str) -> dict:
    privileged = permissions.can_see_protected(principal, point_store_scope(view))
    if view.visibility == Visibility.HIDDEN and not privileged:
        raise NotFound(f"no point with id {view.id!r}", field="id")
    public = public_view(state, view, lang)
    body = privileged_feature(public, view) if privileged else feature(public)
    body["properties"]["power_schedule"] = power_schedule(state.schedules, public.details)
    body["properties"]["stops"] = stops_said(state.schedules, public.details)
    if view.demo:
        body["notice"] = DEMO_NOTICE
    if privileged:
        body["properties"].update(fuel_properties(view, state.clock(), state.settings.fuel_reserve))
        since = state.clock() - state.settings.signal_window
        with state.db.read() as session:
            body["properties"]["signals"] = signal_store.signal_counts(session, view.id, since)
    return body


def public_view(state: AppState, view: PointView, lang: str) -> PointPublic:
    """The point on its own as the public sees it now, by this server's freshness thresholds."""
    settings = state.settings
    asker = Asker(lang, state.clock())
    return point_public(view, asker, settings.stale_after, settings.no_response_after)


def point_store_scope(view: PointView) -> permissions.PointScope:
    return permissions.PointScope(
        id=view.id, region=view.region, organisation_id=view.organisation_id
    )


@router.get(
    "/points/{point_id}",
    summary="One point",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "description": "GeoJSON Feature"}},
)
def get_point(
    request: Request,
    point_id: str = PointId,
    lang: str | None = None,
    principal: Principal | None = Depends(optional_principal),
    state: AppState = Depends(app_state),
) -> Response:
    lang = query.language({"lang": lang} if lang else {}, request.headers.get("accept-language"))
    body = point_feature(state, load_view(state, point_id), principal, lang)
    return Response(orjson.dumps(body), media_type=GEOJSON)


@router.post(
    "/points",
    status_code=201,
    summary="Create a point (coordinators of its region, admins)",
    response_class=Response,
    responses={201: {"content": {GEOJSON: {}}, "description": "The point, a GeoJSON Feature"}},
)
def create_point(
    data: PointCreate,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> Response:
    if not permissions.can_create_point(principal, data.region):
        raise Forbidden(f"you do not coordinate region {data.region!r}", field="region")
    with state.db.write() as session:
        accounts.check_may_give_point_to(session, principal, data.organisation)
        point = point_store.create_point(session, data, actor_of(principal), now=state.clock())
    body = point_feature(state, state.sync.views([point])[0], principal, "uk")
    return Response(
        orjson.dumps(body),
        status_code=201,
        media_type=GEOJSON,
        headers={"Location": f"/api/v1/points/{point.id}"},
    )


@router.patch(
    "/points/{point_id}",
    summary="Change a point's details",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "description": "The point, a GeoJSON Feature"}},
)
def update_point(
    data: PointUpdate,
    point_id: str = PointId,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> Response:
    with state.db.write() as session:
        point = point_store.get_point(session, point_id, for_update=True)
        scope = point_store.scope_of(point)
        if not permissions.can_edit_point(principal, scope):
            raise Forbidden("you may not edit this point", field="point_id")
        changes_scope = {"visibility", "region", "organisation"} & data.model_fields_set
        if changes_scope and not permissions.can_change_visibility(
            principal, scope, data.region or point.region
        ):
            raise Forbidden(
                "only a coordinator of the region may change this", field=sorted(changes_scope)[0]
            )
        if "organisation" in data.model_fields_set:
            accounts.check_may_give_point_to(session, principal, data.organisation)
        point = point_store.update_point(
            session, point_id, data, actor_of(principal), now=state.clock()
        )
    body = point_feature(state, state.sync.views([point])[0], principal, "uk")
    return Response(orjson.dumps(body), media_type=GEOJSON)


def report_body(report: Any) -> dict[str, Any]:
    return {
        "id": report.id,
        "point_id": report.point_id,
        "received_at": iso(report.received_at),
        "client_time": iso(report.client_time),
        # When the operator tapped, on the server's clock: what freshness counts from.
        "effective_at": iso(report.effective_at or report.received_at),
        "verify": report.verify,
        **{name: getattr(report, name) for name in REPORTED_FIELDS},
        "idempotency_key": report.idempotency_key,
        # Fields a newer report had already replaced: stored in the history, not shown.
        "superseded": list(getattr(report, "superseded", None) or ()),
    }


@router.post(
    "/points/{point_id}/reports",
    status_code=201,
    summary="Send a status report (the point's operators, its coordinators)",
)
async def post_report(
    data: ReportCreate,
    point_id: str = PointId,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="Retries with the same key are stored once and answered the same",
    ),
    given: Credentials = Depends(present_credentials),  # before the body: anonymous is 401
    state: AppState = Depends(app_state),
) -> Response:
    now = state.clock()
    # Who sends it is looked up inside the writer's transaction, with the reports arriving at
    # the same moment: one connection and one commit for all of them (nezlam.report_writer).
    job = ReportJob(
        point_id, data, lambda session: given.identify(session, now), idempotency_key, now
    )
    try:
        report, created, _point = await asyncio.wrap_future(state.report_writer.submit(job))
    except IntegrityError:
        if not idempotency_key:
            raise
        # The same key raced in from another process; answer with the stored one.
        report = await run_in_threadpool(stored_report, state, point_id, idempotency_key)
        created = False
    headers = {"Idempotent-Replayed": "true"} if not created else {}
    return Response(
        orjson.dumps(report_body(report)),
        status_code=201,
        media_type="application/json",
        headers=headers,
    )


def stored_report(state: AppState, point_id: str, key: str) -> Any:
    with state.db.read() as session:
        report = report_store.find_by_key(session, point_id, key)
    if report is None:
        raise Conflict(
            "the report conflicts with one written at the same moment; retry",
            field="Idempotency-Key",
        )
    return report


@router.get("/points/{point_id}/reports", summary="Status history (operators, coordinators)")
def list_reports(
    point_id: str = PointId,
    limit: int = 100,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> Response:
    if not 1 <= limit <= 1000:
        raise Invalid("must be between 1 and 1000", field="limit")
    with state.db.read() as session:
        scope = point_store.scope_of(point_store.get_point(session, point_id))
        if not permissions.can_report(principal, scope):
            raise Forbidden("you may not see this point's history", field="point_id")
        rows = report_store.history(session, point_id, limit)
        body = {"reports": [report_body(r) for r in rows]}
    return Response(orjson.dumps(body), media_type="application/json")


@router.post(
    "/points/{point_id}/signals",
    status_code=202,
    summary="A visitor says the point is closed, full, without power, or confirms it open",
)
def post_signal(
    request: Request,
    data: SignalCreate = Body(...),
    point_id: str = PointId,
    state: AppState = Depends(app_state),
) -> Response:
    client = request.client.host if request.client else "unknown"
    answer = record_signal(state, client, point_id, data.kind)
    return Response(orjson.dumps(answer), status_code=202, media_type="application/json")


def repeat_key(state: AppState, client: str, point_id: str, kind: SignalKind) -> bytes:
    """A visitor's slot for a point in the signal-repeat limiter: one for "it is open" and one
    for all the negative kinds together, so that one visitor tapping "closed", "full" and "no
    power" is one voice towards the flag, not three (review R12)."""
    bucket = "negative" if kind in NEGATIVE_SIGNALS else str(kind)
    return state.signal_repeat.client_key(client, point_id, bucket)


def record_signal(state: AppState, client: str, point_id: str, kind: SignalKind) -> dict[str, Any]:
    """Count a visitor's signal, at most once per visitor and point in the window for the
    negative kinds together, and once for "it is open" (`repeat_key`). `client` (an address)
    is only hashed in memory by the rate limiters, never stored."""
    limiter = state.signal_volume
    if not limiter.allow(limiter.client_key(client)):
        raise TooManyRequests("too many signals from this connection; try again later")
    with state.db.read() as session:
        point = point_store.get_point(session, point_id)
        if point.visibility == Visibility.HIDDEN:
            raise NotFound(f"no point with id {point_id!r}", field="id")
    if not state.signal_repeat.allow(repeat_key(state, client, point_id, kind)):
        return {"counted": False}  # acknowledged, not counted twice
    now = state.clock()
    with state.db.write() as session:
        flagged = signal_store.add_signal(
            session,
            point_id,
            kind,
            window=state.settings.signal_window,
            threshold=state.settings.signal_flag_threshold,
            now=now,
        )
    # "at": when it was recorded, which the visitor's page says and its undo names
    return {"counted": True, "flagged": flagged, "at": now.isoformat()}


@router.get("/points/{point_id}/positions", summary="Where a mobile point has stood")
def list_positions(
    point_id: str = PointId,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> Response:
    with state.db.read() as session:
        scope = point_store.scope_of(point_store.get_point(session, point_id))
        if not permissions.can_see_protected(principal, scope):
            raise Forbidden("you may not see this point's positions", field="point_id")
        rows = point_store.positions(session, point_id)
        body = {
            "positions": [
                {"lat": r.lat, "lon": r.lon, "recorded_at": iso(r.recorded_at)} for r in rows
            ]
        }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/points/{point_id}/audit", summary="Every change to a point (operators, coordinators)")
def point_audit(
    point_id: str = PointId,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> Response:
    with state.db.read() as session:
        scope = point_store.scope_of(point_store.get_point(session, point_id))
        if not permissions.can_report(principal, scope):
            raise Forbidden("you may not see this point's audit log", field="point_id")
        rows = audit_store.entries(session, "point", point_id)
        body = {
            "entries": [
                {
                    "at": iso(r.at),
                    "actor": r.actor,
                    "action": r.action,
                    "before": r.before,
                    "after": r.after,
                }
                for r in rows
            ]
        }
    return Response(orjson.dumps(body), media_type="application/json")
