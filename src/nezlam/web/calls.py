"""The coordinator's call queue and visitor-signal inbox: plain pages and forms, no JavaScript.

A coordinator claims a batch of points in doubt, phones each (the numbers are `tel:` links),
and presses one of three big buttons: confirmed open, no answer, closed. The inbox lists what
visitors said against points in the last 48 hours and whether the point has answered since.
Every form carries the session's CSRF token; the rules live in `store.calls`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_timedelta
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Invalid
from nezlam.domain.freshness import shown_status
from nezlam.domain.public import pick_name
from nezlam.domain.vocabulary import CallOutcome, Status
from nezlam.store import calls
from nezlam.store.tables import Point, StatusReport
from nezlam.web import i18n, presenters
from nezlam.web.finder import page
from nezlam.web.session import SignedIn, check_csrf, coordinator_page, regions_of, to_login
from nezlam.web.state import AppState
from nezlam.web.workspace import status_labels

router = APIRouter(include_in_schema=False)
KYIV = ZoneInfo("Europe/Kyiv")
BATCH = 10
Gettext = Callable[[str], str]


# --- Pages ------------------------------------------------------------------------------------


@router.get("/coordinate/calls", response_class=HTMLResponse)
def call_queue(request: Request) -> Response:
    who = coordinator_page(request)
    if not isinstance(who, SignedIn):
        return who
    state: AppState = request.app.state.nezlam
    lang = i18n.choose_language(request)
    _ = i18n.translations(lang).gettext
    now, rules = state.clock(), calls.CallRules.of(state.settings)
    with state.db.read() as session:
        regions = coordinated_regions(session, who)
        claims = calls.live_claims(session, regions, now)
        mine = [c for c in claims if c.claim.user_id == who.principal.user_id]
        reports = calls.last_reports(session, [c.point.id for c in mine])
        signals = calls.negative_signals(session, regions, now - calls.SIGNAL_INBOX_WINDOW)
        waiting = calls.pool_size(session, regions, now, rules)
        recent = calls.recent_calls(session, regions)
    words = Words(now, lang, _, state)
    return page(
        request,
        "calls.html",
        csrf=who.csrf,
        batch=BATCH,
        waiting=waiting,
        regions=regions,
        claim_for=format_timedelta(rules.claim_for, locale=lang, threshold=1.1),
        mine=[words.call_card(c, reports.get(c.point.id), signals.get(c.point.id)) for c in mine],
        others=[words.claim_row(c) for c in claims if c.claim.user_id != who.principal.user_id],
        recent=[words.call_row(c) for c in recent],
        done=request.query_params.get("done"),
        count=request.query_params.get("n"),
    )


@router.get("/coordinate/signals", response_class=HTMLResponse)
def signal_inbox(request: Request) -> Response:
    who = coordinator_page(request)
    if not isinstance(who, SignedIn):
        return who
    state: AppState = request.app.state.nezlam
    lang = i18n.choose_language(request)
    _ = i18n.translations(lang).gettext
    now = state.clock()
    with state.db.read() as session:
        regions = coordinated_regions(session, who)
        groups = calls.signal_inbox(session, regions, now)
        claims = {c.point.id: c for c in calls.live_claims(session, regions, now)}
    words = Words(now, lang, _, state)
    return page(
        request,
        "signals_inbox.html",
        csrf=who.csrf,
        regions=regions,
        groups=[words.signal_card(g, claims.get(g.point.id), who) for g in groups],
        done=request.query_params.get("done"),
    )


def coordinated_regions(session: Session, who: SignedIn) -> list[str]:
    everywhere = calls.regions_with_points(session) if who.principal.is_admin else []
    return regions_of(who, everywhere)


# --- Forms ------------------------------------------------------------------------------------


@router.post("/coordinate/calls/claim")
async def claim_batch(request: Request) -> Response:
    """ "Claim 10 stale points"."""
    form = await request.form()
    state: AppState = request.app.state.nezlam

    def claim(who: SignedIn) -> Response:
        size = batch_size(form.get("size"))
        with state.db.write() as session:
            regions = coordinated_regions(session, who)
            rules = calls.CallRules.of(state.settings)
            claimed = calls.claim_batch(session, who.principal, regions, size, state.clock(), rules)
        return back("/coordinate/calls", done="claimed", n=len(claimed))

    return await run_in_threadpool(as_coordinator, request, form, claim)


@router.post("/coordinate/calls/{claim_id:int}")
async def record_call(request: Request, claim_id: int) -> Response:
    """One of the three buttons: confirmed, no answer, closed (with an optional note)."""
    form = await request.form()
    state: AppState = request.app.state.nezlam

    def record(who: SignedIn) -> Response:
        outcome, note = str(form.get("outcome", "")), str(form.get("note", ""))
        try:
            with state.db.write() as session:
                _claim, written = calls.record_call(
                    session, claim_id, outcome, note, who.principal, state.clock()
                )
        except calls.ClaimExpired:
            return back("/coordinate/calls", done="expired")
        except calls.AlreadyRecorded:
            return back("/coordinate/calls", done="already")
        if written is not None:
            state.sync.apply_written([written])  # the finder shows it now, not at the next poll
        return back("/coordinate/calls", done="recorded")

    return await run_in_threadpool(as_coordinator, request, form, record)


@router.post("/coordinate/signals/{point_id}/claim")
async def claim_point(request: Request, point_id: str) -> Response:
    """Claim one point from the inbox to call it now."""
    form = await request.form()
    state: AppState = request.app.state.nezlam

    def claim(who: SignedIn) -> Response:
        rules = calls.CallRules.of(state.settings)
        try:
            with state.db.write() as session:
                taken = calls.claim_point(session, who.principal, point_id, state.clock(), rules)
        except Conflict:
            return back("/coordinate/signals", done="taken")
        return back("/coordinate/calls", done="claimed", n=1, anchor=f"c-{taken.id}")

    return await run_in_threadpool(as_coordinator, request, form, claim)


def as_coordinator(request: Request, form: Any, act: Callable[[SignedIn], Response]) -> Response:
    """Run a form's action for the signed-in coordinator whose CSRF token it carries; send
    anyone not signed in to sign in (back to the call queue), refuse anyone else."""
    who = coordinator_page(request)
    if not isinstance(who, SignedIn):
        return to_login("/coordinate/calls")
    check_csrf(form, who)
    return act(who)


def batch_size(raw: Any) -> int:
    try:
        return int(str(raw or BATCH))
    except ValueError:
        raise Invalid("size must be a whole number of points", field="size") from None


def back(path: str, anchor: str | None = None, **params: Any) -> RedirectResponse:
    query = "&".join(f"{name}={quote(str(value))}" for name, value in params.items())
    return RedirectResponse(f"{path}?{query}" + (f"#{anchor}" if anchor else ""), status_code=303)


# --- Words ------------------------------------------------------------------------------------


class Words:
    """What the two screens say about points, claims, reports and signals, in the page's
    language and Kyiv time."""

    def __init__(self, now: datetime, lang: str, _: Gettext, state: AppState) -> None:
        self.now, self.lang, self._, self.settings = now, lang, _, state.settings
        self.statuses = dict(status_labels(_))
        self.signals = presenters.signal_labels(_)
        self.outcomes = {
            str(CallOutcome.CONFIRMED): _("Confirmed"),
            str(CallOutcome.NO_ANSWER): _("No answer"),
            str(CallOutcome.CLOSED): _("Closed"),
        }

    def time(self, moment: datetime) -> str:
        """14:05 today; 23.11 14:05 another day."""
        local, today = moment.astimezone(KYIV), self.now.astimezone(KYIV).date()
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
            "place": ", ".join(p for p in (point.locality, point.address) if p),
            "status": presenters.status_words(props, self.now, self.lang, self._),
            "flagged": self.time(point.flagged_at) if point.flagged_at else None,
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
        view: calls.ClaimView,
        report: StatusReport | None,
        signals: calls.SignalGroup | None,
    ) -> dict[str, Any]:
        _, point = self._, view.point
        phones = [(point.phone, _("the point"))] if point.phone else []
        if view.organisation_phone:
            phones.append((view.organisation_phone, view.organisation_name or ""))
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

    def claim_row(self, view: calls.ClaimView) -> dict[str, Any]:
        return {
            **self.point(view.point),
            "who": view.username,
            "until": self.time(view.claim.expires_at),
        }

    def call_row(self, view: calls.ClaimView) -> dict[str, Any]:
        finished = view.claim.finished_at or view.claim.claimed_at
        return {
            **self.point(view.point),
            "who": view.username,
            "when": self.time(finished),
            "outcome": self.outcomes.get(view.claim.outcome or "", ""),
            "note": view.claim.note,
        }

    def signal_card(
        self, group: calls.SignalGroup, claim: calls.ClaimView | None, who: SignedIn
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
