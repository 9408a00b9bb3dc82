"""Devices' pings (issue 12): `POST /api/v1/heartbeat` with the device's key in `X-Device-Key`
and, optionally, what it says (power, battery, internet, occupancy); and SvitloBot's
`GET /channelPing?channel_key=KEY` for devices already set up that way, which says only that
the device is alive (the key is then in the address, which proxies log: prefer the header).

A ping answers to its device key, never to a role: a token or a session counts for nothing
here. A key not shaped like one is refused without a look at the database; a device pinging
more than `PINGS_PER_MINUTE` times a minute is told to slow down, also before the database.
Pings go through the report writer, batched with each other and with the reports
(`nezlam.device_pings`); a plain ping is answered in front of the framework
(`web.plumbing.fast_path`) with this module's functions.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from nezlam.domain.device_facts import HeartbeatCreate
from nezlam.domain.errors import Invalid, TooManyRequests, Unauthenticated
from nezlam.domain.point_view import iso
from nezlam.store import devices
from nezlam.web.plumbing.deps import app_state
from nezlam.web.plumbing.state import PINGS_PER_MINUTE, AppState

router = APIRouter(tags=["devices"])
DEVICE_KEY_HEADER = "X-Device-Key"
# The refusals (401 no key or an unknown one, 403 a revoked one, 422, 429) are documented by
# web.plumbing.openapi, with the error body.
RECORDED: dict[int | str, dict[str, Any]] = {
    200: {"description": "the ping is recorded (committed)"}
}
# The body is read by the route, after the key (`ping_of`): documented here.
BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": HeartbeatCreate.model_json_schema()}},
    }
}


def admitted(state: AppState, key: str | None, field: str) -> str:
    """The key, if it may be looked up: there, shaped like a key, and not pinging too often."""
    if not key:
        raise Unauthenticated(f"a device pings with its key in {field}", field=field)
    if not devices.could_be_key(key):
        raise Unauthenticated("unknown device key", field=field)
    limiter = state.device_limiter
    # On the app's clock, as everything a device is judged by (a test's fake one too).
    if not limiter.allow(limiter.client_key("device", key), state.clock().timestamp()):
        raise TooManyRequests(
            f"this device pings too often: at most {PINGS_PER_MINUTE} times a minute", field=field
        )
    return key


async def device_key(
    request: Request,
    key: str | None = Header(
        None,
        alias=DEVICE_KEY_HEADER,
        description="the device's key, from `nezlam device add` (shown once)",
    ),
) -> str:
    # A dependency, so that it is judged before the body: no key is a 401, whatever the body.
    return admitted(request.app.state.nezlam, key, DEVICE_KEY_HEADER)


@router.post(
    "/api/v1/heartbeat",
    summary="A device's ping: alive, and optionally what it runs on, its battery, the "
    "internet and the people in",
    responses=RECORDED,
    openapi_extra=BODY,
)
async def heartbeat(
    request: Request, key: str = Depends(device_key), state: AppState = Depends(app_state)
) -> Response:
    return await recorded(state, key, await ping_of(request))


async def ping_of(request: Request) -> HeartbeatCreate:
    """The body, read once the key has passed (who is asking comes first, even for a garbled
    body): none is an empty ping; what is not a JSON object of the known fields is a 422
    naming the field, as the framework's own validation names it."""
    raw = await request.body()
    if not raw.strip():
        return HeartbeatCreate()
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Invalid("is not valid JSON: it is not UTF-8 text", field="body") from None
    except json.JSONDecodeError as exc:
        error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error",
                 "input": {}, "ctx": {"error": exc.msg}}  # fmt: skip
        raise RequestValidationError([error]) from None
    try:
        return HeartbeatCreate.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


@router.get(
    "/channelPing",
    summary="SvitloBot's ping, for devices set up that way: alive, and for a mobile point "
    "where it is (the OsmAnd / Traccar fields)",
    responses=RECORDED,
)
async def channel_ping(
    request: Request,
    channel_key: str | None = Query(None, description="the device's key"),
    lat: float | None = Query(None, description="where the device is (a mobile point's)"),
    lon: float | None = Query(None, description="where the device is (a mobile point's)"),
    accuracy: float | None = Query(None, description="how far off the position may be, metres"),
    state: AppState = Depends(app_state),
) -> Response:
    key = admitted(state, channel_key, "channel_key")
    try:
        ping = HeartbeatCreate(lat=lat, lon=lon, accuracy=accuracy)
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    return await recorded(state, key, ping)


def ping_in(raw: bytes) -> HeartbeatCreate | None:
    """The body as a ping if it plainly is one (none, or a JSON object of the known fields),
    else None: for the fast path (`web.plumbing.fast_path`), which leaves the rest to the route
    and its error bodies."""
    if not raw.strip():
        return HeartbeatCreate()
    try:
        data = orjson.loads(raw)
        return HeartbeatCreate.model_validate(data) if isinstance(data, dict) else None
    except (orjson.JSONDecodeError, ValidationError):
        return None


async def recorded(state: AppState, key: str, ping: HeartbeatCreate) -> Response:
    return Response(await recorded_body(state, key, ping), media_type="application/json")


async def recorded_body(state: AppState, key: str, ping: HeartbeatCreate) -> bytes:
    """Write the ping with whatever else the writer has at this moment; answer once committed."""
    assert state.pings is not None  # made with the app's state
    done = await state.pings.record(key, ping, state.clock())
    return orjson.dumps(
        {"device_id": done.device_id, "point_id": done.point_id, "seen_at": iso(done.seen_at)}
    )
