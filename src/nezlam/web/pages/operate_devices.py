"""A point's devices in the workspace (issue 12): the keys its routers, ESP32s and phones ping
with, what each last said, a new key made (shown once, on the page that made it, never again
and never stored), and a key revoked. For whoever may edit the point's details: its operators
and the coordinators of its region (`domain.permissions.can_edit_point`), on every route.

The same as `nezlam device add|list|revoke`, with the addresses a device pings shown beside a
new key, so an operator can set the device up from the page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nezlam.domain.device_facts import PoweredBy, device_state
from nezlam.domain.errors import DomainError, NotFound
from nezlam.store import device_points, devices
from nezlam.store import points as point_store
from nezlam.store.actor import Actor
from nezlam.store.tables import DeviceKey
from nezlam.web.plumbing.forms import Gettext, done_redirect, run_form, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import EditablePoint, editable_point, form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.words.device_words import local_moment

router = APIRouter(include_in_schema=False)


@router.get("/operate/{point_id}/devices", response_class=HTMLResponse)
def devices_page(request: Request, point_id: str, held: EditablePoint) -> Response:
    return devices_answer(request, point_id, held.who.csrf)


@router.post("/operate/{point_id}/devices")
async def add_device(request: Request, point_id: str) -> Response:
    return await run_form(request, _add, point_id)


@router.post("/operate/{point_id}/devices/{device_id}/revoke")
async def revoke_device(request: Request, point_id: str, device_id: int) -> Response:
    return await run_form(request, _revoke, point_id, device_id)


def _add(request: Request, point_id: str, form: Any) -> Response:
    who = form_sender(request, form, back=f"/operate/{point_id}/devices")
    state: AppState = request.app.state.nezlam
    name = str(form.get("name", "")).strip()
    powered_by = str(form.get("powered_by", PoweredBy.MAINS))
    try:
        with state.db.write() as session:
            editable_point(session, who.principal, point_id)
            key, row = devices.create_device(
                session, point_id, name, Actor.of(who.principal), powered_by, now=state.clock()
            )
    except DomainError as exc:
        if exc.status_code != 422:
            raise
        _ = words(request)[1]
        error = (
            {"powered_by": _("Choose what powers it.")}
            if exc.field == "powered_by"
            else {"name": _("Say what and where the device is, in at most 200 characters.")}
        )
        return devices_answer(request, point_id, who.csrf, errors=error, typed=name, status=422)
    return devices_answer(request, point_id, who.csrf, made=(row.id, key))


def _revoke(request: Request, point_id: str, device_id: int, form: Any) -> Response:
    who = form_sender(request, form, back=f"/operate/{point_id}/devices")
    state: AppState = request.app.state.nezlam
    with state.db.write() as session:
        editable_point(session, who.principal, point_id)
        row = session.get(DeviceKey, device_id)
        if row is None or row.point_id != point_id:  # a device of another point: not here
            raise NotFound(f"no device {device_id} at this point", field="device_id")
        now = state.clock()
        devices.revoke_device(session, device_id, Actor.of(who.principal), now=now)
        device_points.write_point_facts(session, point_id, now, state.settings.device_offline_after)
    return done_redirect(f"/operate/{point_id}/devices", "revoked", anchor="devices")


def devices_answer(
    request: Request,
    point_id: str,
    csrf: str,
    *,
    made: tuple[int, str] | None = None,
    errors: dict[str, str] | None = None,
    typed: str = "",
    status: int = 200,
) -> Response:
    """The page: the point's devices, the form for a new one, and a key just made."""
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    now = state.clock()
    with state.db.read() as session:
        rows = devices.devices(session, point_id)
        names = point_store.get_point(session, point_id).name
    base = (state.settings.public_url or str(request.base_url)).rstrip("/")
    answer = page(
        request,
        "operate_devices.html",
        status=status,
        point_id=point_id,
        title=names.get(lang) or names["uk"],
        csrf=csrf,
        rows=[device_row(row, now, state.settings.device_offline_after, lang, _) for row in rows],
        made=made,
        errors=errors or {},
        typed=typed,
        heartbeat_url=f"{base}/api/v1/heartbeat",
        channel_url=f"{base}/channelPing?channel_key=",
        done=request.query_params.get("done"),
    )
    answer.headers["Cache-Control"] = "no-store"  # a key on the page: never kept by anyone
    return answer


def device_row(
    row: DeviceKey, now: datetime, offline_after: timedelta, lang: str, _: Gettext
) -> dict[str, Any]:
    """A device as its operator reads it: name, state in words, last ping, what it said."""
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "powered_by": _("mains") if row.powered_by == PoweredBy.MAINS else _("battery"),
        "state": state_words(row, now, offline_after, lang, _),
        "revoked": row.revoked_at is not None,
        "seen": local_moment(row.last_seen_at, now, lang) if row.last_seen_at else None,
        "said": said_words(row, _),
    }


def state_words(
    row: DeviceKey, now: datetime, offline_after: timedelta, lang: str, _: Gettext
) -> tuple[str, str]:
    """(words, tone): online, offline for how long, never heard, or revoked."""
    if row.revoked_at is not None:
        return _("revoked {time}").format(time=local_moment(row.revoked_at, now, lang)), "muted"
    online = device_state(devices.facts_of(row), now, offline_after).online
    if online.value is None or online.since is None:
        return _("never heard"), "warn"
    if online.value:
        return _("online"), "ok"
    span = format_timedelta(now - online.since, locale=lang, format="short", threshold=1.1)
    return _("offline {span}").format(span=span), "bad"


def said_words(row: DeviceKey, _: Gettext) -> list[str]:
    """What the device said in its last ping, in words."""
    said = []
    if row.power is not None:
        power = {"grid": _("mains"), "generator": _("generator"), "battery": _("battery")}
        said.append(_("power: {source}").format(source=power.get(row.power, row.power)))
    if row.battery_pct is not None:
        said.append(_("battery {pct}%").format(pct=row.battery_pct))
    if row.internet is not None:
        said.append(_("internet up") if row.internet else _("internet down"))
    if row.occupancy is not None:
        said.append(_("{n} people").format(n=row.occupancy))
    return said
