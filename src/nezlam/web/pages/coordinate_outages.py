"""The coordinator's next 24 hours of scheduled outages (issue 12): a timeline drawn by the
server (SVG, no JavaScript) with one row per queue that has points in their regions — its
definite and possible outages, and how many of its points are open, on standby and on a
generator — and, first, the localities that will have no open point with power, when, and the
standby points there that would have power then (the ones to ask to open). The same in words
and in a table for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nezlam.domain import outage_timeline
from nezlam.domain.errors import Forbidden, Invalid
from nezlam.domain.outage_timeline import DarkSpell, QueueRow, TimelinePoint
from nezlam.domain.outages import Outage
from nezlam.store import dashboard as board
from nezlam.store import emergency_shutdowns
from nezlam.store.actor import Actor
from nezlam.store.outage_schedules import current_outages, schedule_queues
from nezlam.web.plumbing.forms import done_redirect, form_context, run_form, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import SignedInCoordinator, form_sender, regions_of
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import local_zone

router = APIRouter(include_in_schema=False)
PAGE = "/coordinate/outages"
WINDOW = timedelta(hours=24)
WIDTH, LABEL_W, RIGHT, ROW_H, AXIS_H = 720, 150, 12, 26, 22  # the drawing, in viewBox units
PLOT_W = WIDTH - LABEL_W - RIGHT
TICK_EVERY_H = 3


@dataclass(frozen=True)
class Frame:
    """Where a moment of the window is drawn: x from the label column's edge."""

    start: datetime

    def x(self, moment: datetime) -> float:
        share = (moment - self.start) / WINDOW
        return round(LABEL_W + min(max(share, 0.0), 1.0) * PLOT_W, 1)

    def bar(self, start: datetime, end: datetime) -> dict[str, float]:
        left = self.x(start)
        return {"x": left, "width": round(max(self.x(end) - left, 1.0), 1)}


@router.get("/coordinate/outages", response_class=HTMLResponse)
def outages_page(request: Request, who: SignedInCoordinator) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    now = state.clock()
    settings = state.settings
    with state.db.read() as session:
        regions = regions_of(who, board.all_regions(session))
        rows = board.current_rows(
            session,
            regions,
            now=now,
            stale_after=settings.stale_after,
            no_response_after=settings.no_response_after,
        )
        outages = current_outages(session, now, now + WINDOW)
        imported = sorted(schedule_queues(session))
        emergencies = emergency_shutdowns.active(session)
    for provider in emergencies:  # the schedule does not hold: no outage is foreseen by it
        outages = {key: found for key, found in outages.items() if key[0] != provider}
    points = [timeline_point(row) for row in rows]
    queues = outage_timeline.queue_rows(points, outages, now, now + WINDOW)
    spells = outage_timeline.dark_spells(points, outages, now, now + WINDOW)
    names = {row.id: row.label(lang) for row in rows}
    return page(
        request,
        "coordinate_outages.html",
        imported=imported,
        unscheduled=sum(point.queue is None for point in points),
        points=len(points),
        spells=[spell_words(spell, names, now, _) for spell in spells],
        timeline=drawing(queues, spells, now),
        queues=[queue_words(row, now) for row in queues],
        now=local(now).strftime("%d.%m.%Y %H:%M"),
        **form_context(request, who),
        emergencies=[emergency_words(row) for _p, row in sorted(emergencies.items())],
        followed=followed_providers(rows, emergencies),
    )


def followed_providers(rows: list[board.PointRow], emergencies: dict[str, Any]) -> list[str]:
    """The power companies whose schedules the coordinator's points follow, and not already in
    an emergency: where they may declare one."""
    return sorted({r.outage_region for r in rows if r.outage_region} - set(emergencies))


def emergency_words(row: Any) -> dict[str, Any]:
    return {
        "provider": row.provider,
        "since": local(row.started_at).strftime("%d.%m.%Y %H:%M"),
        "note": row.note,
    }


@router.post("/coordinate/outages/emergency")
async def emergency(request: Request) -> Response:
    """Declare emergency shutdowns in a power company's region, or end them."""
    return await run_form(request, apply_emergency)


def apply_emergency(request: Request, form: Any) -> Response:
    who = form_sender(request, form, coordinator=True)
    state: AppState = request.app.state.nezlam
    provider = emergency_shutdowns.checked_provider(str(form.get("provider", "")))
    action = str(form.get("action", ""))
    if action not in ("start", "end"):
        raise Invalid("start or end", field="action")
    actor = Actor.of(who.principal)
    with state.db.write() as session:
        regions = regions_of(who, board.all_regions(session))
        if provider not in board.providers_followed(session, regions):
            raise Forbidden(f"no point of your regions follows {provider}'s schedule")
        if action == "start":
            note = str(form.get("note", ""))
            emergency_shutdowns.declare(session, provider, actor, state.clock(), note)
        else:
            emergency_shutdowns.end(session, provider, actor, state.clock())
    done = "emergency_declared" if action == "start" else "emergency_ended"
    return done_redirect(PAGE, done)


def timeline_point(row: board.PointRow) -> TimelinePoint:
    region, number = row.outage_region, row.outage_queue
    return TimelinePoint(
        row.id,
        row.locality,
        row.shown,
        (region, number) if region and number else None,
        outage_timeline.runs_on_generator(row.power, row.fuel_litres),
    )


def local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def span(start: datetime, end: datetime, now: datetime) -> str:
    """'08:00–11:30', with the date where it starts on another day than today's."""
    first, last = local(start), local(end)
    day = "" if first.date() == local(now).date() else first.strftime("%d.%m ")
    return f"{day}{first:%H:%M}–{last:%H:%M}"


def spell_words(spell: DarkSpell, names: dict[str, str], now: datetime, _: Any) -> dict[str, Any]:
    if spell.open_points:
        said = _("no open point with power {when}").format(when=span(spell.start, spell.end, now))
    else:
        said = _("no point is open")
    return {
        "locality": spell.locality,
        "said": said,
        "ready": [(point_id, names.get(point_id, point_id)) for point_id in spell.ready],
    }


def queue_words(row: QueueRow, now: datetime) -> dict[str, Any]:
    return {
        "region": row.queue[0],
        "queue": row.queue[1],
        "definite": [span(o.start, o.end, now) for o in row.outages if not o.possible],
        "possible": [span(o.start, o.end, now) for o in row.outages if o.possible],
        "open": row.open,
        "standby": row.standby,
        "generator": row.generator,
        "points": row.points,
    }


def drawing(queues: list[QueueRow], spells: list[DarkSpell], now: datetime) -> dict[str, Any]:
    """The SVG's geometry: hour ticks, a row per queue with its outages, then a row per dark
    locality with its spells."""
    frame = Frame(now)
    dark: dict[str, list[DarkSpell]] = {}
    for spell in spells:
        dark.setdefault(spell.locality, []).append(spell)
    rows = [queue_row(row, frame) for row in queues]
    rows += [
        {"label": locality, "dark": [frame.bar(s.start, s.end) for s in found], "bars": []}
        for locality, found in sorted(dark.items())
    ]
    for number, row in enumerate(rows):
        row["y"] = AXIS_H + number * ROW_H
    return {
        "viewbox": f"0 0 {WIDTH} {AXIS_H + len(rows) * ROW_H + 4}",
        "rows": rows,
        "ticks": ticks(frame),
        "left": LABEL_W,
        "right": WIDTH - RIGHT,
        "bottom": AXIS_H + len(rows) * ROW_H,
        "row_h": ROW_H,
        "queues": len(queues),
    }


def queue_row(row: QueueRow, frame: Frame) -> dict[str, Any]:
    def bar(outage: Outage) -> dict[str, Any]:
        return {**frame.bar(outage.start, outage.end), "possible": outage.possible}

    label = f"{row.queue[0]} {row.queue[1]} · {row.open}/{row.points}"
    return {"label": label, "bars": [bar(o) for o in row.outages], "dark": []}


def ticks(frame: Frame) -> list[tuple[float, str]]:
    """A tick at every third local full hour of the window, the date at midnight (hours counted
    in UTC, so that a change to or from summer time neither skips nor repeats one)."""
    first = frame.start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    found = []
    for hours in range(24):
        moment = first + timedelta(hours=hours)
        wall = local(moment)
        if wall.minute == 0 and wall.hour % TICK_EVERY_H == 0:
            label = wall.strftime("%d.%m") if wall.hour == 0 else wall.strftime("%H:%M")
            found.append((frame.x(moment), label))
    return found
