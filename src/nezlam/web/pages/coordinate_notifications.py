"""Notifications on the coordinator's screens: a compact summary at the top of the dashboard —
one line per kind (full, closed, no power, low fuel) with its count, the newest few, and
"acknowledge all of this kind" — and a page with every unacknowledged notification of a kind.

Acknowledging all is one POST carrying the CSRF token and the newest id the coordinator was
shown, so a notification that arrives while they read is never swept up unseen; the store
acknowledges each once, in the coordinator's regions only, and audits each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nezlam.domain.errors import Invalid
from nezlam.domain.point_view import pick_name
from nezlam.domain.vocabulary import NotificationKind
from nezlam.store import dashboard as board
from nezlam.store import notifications as notification_store
from nezlam.web.plumbing.forms import done_redirect, run_form, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import (
    SignedInCoordinator,
    form_sender,
    regions_of,
)
from nezlam.web.plumbing.state import AppState
from nezlam.web.words.coordinate_words import dash, moment

router = APIRouter(include_in_schema=False)
NEWEST_SHOWN = 3  # per kind on the dashboard
PAGE_SIZE = 100  # on the page of one kind
LIST_PAGE = "/coordinate/notifications"


def notification_words(_: Any) -> dict[str, str]:
    return {
        NotificationKind.FULL: _("Full"),
        NotificationKind.CLOSED: _("Closed"),
        NotificationKind.NO_POWER: _("No power"),
        NotificationKind.LOW_FUEL: _("Low on fuel"),
        NotificationKind.OUTAGE_SOON: _("Power off soon by schedule"),
        NotificationKind.EMERGENCY_SHUTDOWN: _("Emergency shutdowns"),
        NotificationKind.OFF_STOP: _("Away from its scheduled stop"),
        NotificationKind.FUEL_RESERVE: _("Fuel reaches its reserve soon"),
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
        "fuel": dash((note.details or {}).get("fuel_litres"), lang) if low_fuel else None,
        "at": moment(note.at, now, lang),
        "ago_short": short_ago(note.at, now, lang),  # "4 год тому": where room is tight
    }


def short_ago(at: datetime, now: datetime, lang: str) -> str:
    elapsed = max(now - at, timedelta(0))
    return format_timedelta(
        -elapsed, format="short", locale=lang, threshold=1.1, add_direction=True
    )


def summary(session: Any, regions: list[str], now: datetime, lang: str, _: Any) -> dict[str, Any]:
    """The dashboard's panel: per kind its count and newest few; the total, and the newest id
    of all (what "acknowledge all" covers)."""
    groups = notification_store.unacknowledged_groups(session, regions, NEWEST_SHOWN)
    names = board.point_names(session, (n.point_id for g in groups for n in g.latest))
    said = notification_words(_)
    return {
        "total": sum(g.count for g in groups),
        "newest_id": max((g.newest_id for g in groups), default=0),
        "groups": [
            {
                "kind": str(g.kind),
                "label": said[g.kind],
                "count": g.count,
                "newest_id": g.newest_id,
                "latest": [notification_item(n, names, now, lang, _) for n in g.latest],
            }
            for g in groups
        ],
    }


def read_kind(raw: str | None) -> NotificationKind | None:
    """A kind from a form or link; empty means every kind."""
    if not raw:
        return None
    try:
        return NotificationKind(raw)
    except ValueError:
        raise Invalid(f"unknown kind of notification {raw!r}", field="kind") from None


def read_id(raw: Any, name: str) -> int | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise Invalid(f"{raw!r} is not a notification id", field=name) from None


# --- One kind, every notification ----------------------------------------------------------------


@router.get(LIST_PAGE, response_class=HTMLResponse)
def notification_list(request: Request, who: SignedInCoordinator) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    kind = read_kind(request.query_params.get("kind"))
    before = read_id(request.query_params.get("before"), "before")
    now = state.clock()
    with state.db.read() as session:
        regions = regions_of(who, board.all_regions(session))
        panel = summary(session, regions, now, lang, _)
        notes = notification_store.unacknowledged(
            session, regions, PAGE_SIZE + 1, kind=kind and str(kind), before_id=before
        )
        names = board.point_names(session, (n.point_id for n in notes))
    shown, more = notes[:PAGE_SIZE], len(notes) > PAGE_SIZE
    group = next((g for g in panel["groups"] if kind and g["kind"] == kind), None)
    return page(
        request,
        "notifications.html",
        csrf=who.csrf,
        kind=str(kind) if kind else "",
        kind_label=notification_words(_)[kind] if kind else None,
        panel=panel,
        count=group["count"] if group else (0 if kind else panel["total"]),
        newest_id=group["newest_id"] if group else (0 if kind else panel["newest_id"]),
        items=[notification_item(n, names, now, lang, _) for n in shown],
        older=shown[-1].id if more else None,
        done=request.query_params.get("done"),
        acknowledged=request.query_params.get("n"),
    )


# --- Acknowledging ---------------------------------------------------------------------------


@router.post("/coordinate/notifications/acknowledge")
async def acknowledge_all(request: Request) -> Response:
    """ "Acknowledge all" (of one kind, or every kind) that the coordinator was shown."""
    return await run_form(request, apply_acknowledge_all)


def apply_acknowledge_all(request: Request, form: Any) -> Response:
    who = form_sender(request, form, coordinator=True)
    kind = read_kind(str(form.get("kind", "")))
    up_to = read_id(form.get("up_to"), "up_to")
    if up_to is None:
        raise Invalid("say up to which notification", field="up_to")
    state: AppState = request.app.state.nezlam
    with state.db.write() as session:
        regions = regions_of(who, board.all_regions(session))
        count = notification_store.acknowledge_all(
            session, who.principal, regions, kind, up_to, state.clock()
        )
    return back(form, count)


@router.post("/coordinate/notifications/{notification_id}/acknowledge")
async def acknowledge(request: Request, notification_id: int) -> Response:
    return await run_form(request, apply_acknowledgement, notification_id)


def apply_acknowledgement(request: Request, notification_id: int, form: Any) -> Response:
    who = form_sender(request, form, coordinator=True)
    state: AppState = request.app.state.nezlam
    with state.db.write() as session:
        notification_store.acknowledge(session, notification_id, who.principal, state.clock())
    return back(form, 1)


def back(form: Any, count: int) -> Response:
    """Back to the page the form was on — the dashboard, or the list of one kind; never another
    site: only these two are offered — saying how many were acknowledged."""
    if form.get("back") != "list":
        return done_redirect("/coordinate", "acknowledged", anchor="notifications", n=count)
    kind = read_kind(str(form.get("back_kind", "") or ""))
    extra = {"kind": str(kind)} if kind else {}
    return done_redirect(LIST_PAGE, "acknowledged", anchor="notifications", n=count, **extra)
