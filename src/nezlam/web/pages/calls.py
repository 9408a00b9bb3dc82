"""The coordinator's call queue and visitor-signal inbox: plain pages and forms, no JavaScript.

A coordinator claims a batch of points in doubt, phones each (the numbers are `tel:` links),
and presses one big button for how it went: confirmed, full, on standby or closed (a report),
no answer, wrong number or call back later (only recorded: they move the point in the pool).
The inbox lists what visitors said against points in the last 48 hours and whether the point
has answered since.
Every form carries the session's CSRF token; the rules live in `store.calls`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_timedelta
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Invalid
from nezlam.domain.freshness import shown_status
from nezlam.domain.point_view import pick_name
from nezlam.domain.vocabulary import Status
from nezlam.store import call_screen, calls
from nezlam.store import signal_inbox as inbox
from nezlam.store.tables import Point, StatusReport
from nezlam.web.pages.workspace import status_labels
from nezlam.web.plumbing.forms import Gettext, done_redirect, run_form, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import (
    SignedIn,
    SignedInCoordinator,
    form_sender,
    regions_of,
)
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import local_zone
from nezlam.web.words import device_words, presenters
from nezlam.web.words.coordinate_words import local_name, outcome_words

router = APIRouter(include_in_schema=False)
BATCH = 10


# --- Pages ------------------------------------------------------------------------------------


@router.get("/coordinate/calls", response_class=HTMLResponse)
def call_queue(request: Request, who: SignedInCoordinator) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    now, rules = state.clock(), calls.CallRules.of(state.settings)
    with state.db.read() as session:
        regions = coordinated_regions(session, who)
        claims = call_screen.live_claims(session, regions, now)
        mine = [c for c in claims if c.claim.user_id == who.principal.user_id]
        reports = call_screen.last_reports(session, [c.point.id for c in mine])
        signals = inbox.negative_signals(session, regions, now - inbox.SIGNAL_INBOX_WINDOW)
        waiting = calls.pool_size(session, regions, now, rules)
        recent = call_screen.recent_calls(session, regions)
    say = Words(now, lang, _, state)
    return page(
        request,
        "calls.html",
        csrf=who.csrf,
        batch=BATCH,
        waiting=waiting,
        regions=[(region, presenters.latin(region, lang)) for region in regions],
        claim_for=format_timedelta(rules.claim_for, locale=lang, threshold=1.1),
        call_back_after=format_timedelta(calls.CALL_BACK_AFTER, locale=lang),
        mine=[say.call_card(c, reports.get(c.point.id), signals.get(c.point.id)) for c in mine],
        others=[say.claim_row(c) for c in claims if c.claim.user_id != who.principal.user_id],
        recent=[say.call_row(c) for c in recent],
        done=request.query_params.get("done"),
        count=request.query_params.get("n"),
    )


@router.get("/coordinate/signals", response_class=HTMLResponse)
def signal_inbox(request: Request, who: SignedInCoordinator) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    now = state.clock()
    with state.db.read() as session:
        regions = coordinated_regions(session, who)
        groups = inbox.signal_inbox(session, regions, now)
        claims = {c.point.id: c for c in call_screen.live_claims(session, regions, now)}
    say = Words(now, lang, _, state)
    return page(
        request,
        "signals_inbox.html",
        csrf=who.csrf,
        regions=regions,
        groups=[say.signal_card(g, claims.get(g.point.id), who) for g in groups],
        done=request.query_params.get("done"),
    )


def coordinated_regions(session: Session, who: SignedIn) -> list[str]:
    everywhere = call_screen.regions_with_points(session) if who.principal.is_admin else []
    return regions_of(who, everywhere)


# --- Forms ------------------------------------------------------------------------------------


@router.post("/coordinate/calls/claim")
async def claim_batch(request: Request) -> Response:
    """ "Claim 10 stale points"."""
    return await run_form(request, apply_claim_batch)


def apply_claim_batch(request: Request, form: Any) -> Response:
    who = caller(request, form)
    state: AppState = request.app.state.nezlam
    size = batch_size(form.get("size"))
    with state.db.write() as session:
        regions = coordinated_regions(session, who)
        rules = calls.CallRules.of(state.settings)
        claimed = calls.claim_batch(session, who.principal, regions, size, state.clock(), rules)
    return done_redirect("/coordinate/calls", "claimed", n=len(claimed))


@router.post("/coordinate/calls/{claim_id:int}")
async def record_call(request: Request, claim_id: int) -> Response:
    """One of the outcome buttons (with an optional note)."""
    return await run_form(request, apply_call, claim_id)


def apply_call(request: Request, claim_id: int, form: Any) -> Response:
    who = caller(request, form)
    state: AppState = request.app.state.nezlam
    outcome, note = str(form.get("outcome", "")), str(form.get("note", ""))
    try:
        with state.db.write() as session:
            calls.record_call(session, claim_id, outcome, note, who.principal, state.clock())
    except calls.ClaimExpired:
        return done_redirect("/coordinate/calls", "expired")
    except calls.AlreadyRecorded:
        return done_redirect("/coordinate/calls", "already")
    return done_redirect("/coordinate/calls", "recorded")


@router.post("/coordinate/signals/{point_id}/claim")
async def claim_point(request: Request, point_id: str) -> Response:
    """Claim one point from the inbox to call it now."""
    return await run_form(request, apply_claim_point, point_id)


def apply_claim_point(request: Request, point_id: str, form: Any) -> Response:
    who = caller(request, form)
    state: AppState = request.app.state.nezlam
    rules = calls.CallRules.of(state.settings)
    try:
        with state.db.write() as session:
            taken = calls.claim_point(session, who.principal, point_id, state.clock(), rules)
    except Conflict:
        return done_redirect("/coordinate/signals", "taken")
    return done_redirect("/coordinate/calls", "claimed", anchor=f"c-{taken.id}", n=1)


def caller(request: Request, form: Any) -> SignedIn:
    """The coordinator who sent a form of these screens; anyone not signed in signs in and
    comes back to the call queue."""
    return form_sender(request, form, back="/coordinate/calls", coordinator=True)


def batch_size(raw: Any) -> int:
    try:
        return int(str(raw or BATCH))
    except ValueError:
        raise Invalid("size must be a whole number of points", field="size") from None


# --- Words ------------------------------------------------------------------------------------


class Words:
    """What the two screens say about points, claims, reports and signals, in the page's
    language and Kyiv time."""

    def __init__(self, now: datetime, lang: str, _: Gettext, state: AppState) -> None:
        self.now, self.lang, self._, self.settings = now, lang, _, state.settings
        self.statuses = dict(status_labels(_))
        self.signals = presenters.signal_labels(_)
        self.outcomes = outcome_words(_)

    def time(self, moment: datetime) -> str:
        """14:05 today; 23.11 14:05 another day."""
        local, today = moment.astimezone(local_zone()), self.now.astimezone(local_zone()).date()
        return local.strftime("%H:%M" if local.date() == today else "%d.%m %H:%M")

    def point(self, point: Point) -> dict[str, Any]:
        shown = shown_status(
            point.status,
            point.updated_at,
            point.verified_at,
            self.now,
            self.settings.stale_after,
            self.settings.no_response_after,
        )
        props = {
            "status": str(shown),
            "verified_at": point.verified_at.isoformat() if point.verified_at else None,
            "updated_at": point.updated_at.isoformat() if point.updated_at else None,
        }
        return {
            "id": point.id,
            "name": pick_name(point.name, self.lang),
            "place": ", ".join(
                local_name(p, self.lang) for p in (point.locality, point.address) if p
            ),
            "status": presenters.status_words(props, self.now, self.lang, self._),
            "flagged": self.time(point.flagged_at) if point.flagged_at else None,
            # Why its devices put it here, beside the status a person reported (issue 12).
            "devices": device_words.lines_of_row(
                point.state_times, point.power, self.now, self.lang, self._
            ),
        }

    def report(self, report: StatusReport) -> str:
        """'reported “Open” at 14:05', '“still current” at 14:05', by a call or not."""
        _, at = self._, self.time(report.received_at)
        if report.status:
            status = self.statuses.get(report.status, report.status)
            said = _("reported “{status}” at {time}").format(status=status, time=at)
        elif report.verify:
            said = _("“still current” at {time}").format(time=at)
        else:
            said = _("an update without a status at {time}").format(time=at)
        return said + (" · " + _("by phone call") if report.source == "call" else "")

    def signal_counts(self, counts: dict[str, int]) -> list[tuple[str, int]]:
        return [(self.signals.get(kind, kind), n) for kind, n in sorted(counts.items()) if n]

    def call_card(
        self,
        view: call_screen.ClaimView,
        report: StatusReport | None,
        signals: inbox.SignalGroup | None,
    ) -> dict[str, Any]:
        _, point = self._, view.point
        phones = [(point.phone, _("the point"))] if point.phone else []
        if view.organisation_phone:
            phones.append((view.organisation_phone, local_name(view.organisation_name, self.lang)))
        left = format_timedelta(
            view.claim.expires_at - self.now, locale=self.lang, threshold=1.1, add_direction=True
        )
        reported = point.status or str(Status.OPEN)
        return {
            **self.point(point),
            "claim": view.claim.id,
            "phones": [(number, presenters.telephone(number), whose) for number, whose in phones],
            "last_report": self.report(report) if report else None,
            "signals": self.signal_counts(signals.counts) if signals else [],
            "until": self.time(view.claim.expires_at),
            "left": left,
            "confirm": _("Confirmed open")
            if reported == Status.OPEN
            else _("Confirmed: still “{status}”").format(status=self.statuses[reported]),
        }

    def claim_row(self, view: call_screen.ClaimView) -> dict[str, Any]:
        return {
            **self.point(view.point),
            "who": view.username,
            "until": self.time(view.claim.expires_at),
        }

    def call_row(self, view: call_screen.ClaimView) -> dict[str, Any]:
        finished = view.claim.finished_at or view.claim.claimed_at
        return {
            **self.point(view.point),
            "who": view.username,
            "when": self.time(finished),
            "outcome": self.outcomes.get(view.claim.outcome or "", ""),
            "note": view.claim.note,
        }

    def signal_card(
        self, group: inbox.SignalGroup, claim: call_screen.ClaimView | None, who: SignedIn
    ) -> dict[str, Any]:
        return {
            **self.point(group.point),
            "counts": self.signal_counts(group.counts),
            "first": self.time(group.first_at) if group.first_at else "",
            "last": self.time(group.last_at) if group.last_at else "",
            "reaction": self.report(group.reaction) if group.reaction else None,
            "mine": claim.claim.id
            if claim and claim.claim.user_id == who.principal.user_id
            else None,
            "caller": claim.username if claim else None,
            "until": self.time(claim.claim.expires_at) if claim else None,
        }
