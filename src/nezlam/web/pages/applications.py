"""The coordinators' screen of applications (/coordinate/applications): what each organisation
applied for — every point on a small map with its address and coordinates, and a warning of the
points already within 100 m of it or with its name in its locality — and the decision, approve
(the points become public) or reject with a note (they stay hidden). /apply is
`web.pages.onboarding`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nezlam.config import Settings
from nezlam.domain.errors import DomainError
from nezlam.domain.freshness import shown_status
from nezlam.domain.point_view import pick_name
from nezlam.domain.vocabulary import SERVICES
from nezlam.store import onboarding
from nezlam.store.application_checks import Existing, possible_duplicates
from nezlam.web.pages.onboarding import kind_labels
from nezlam.web.plumbing.forms import done_redirect, form_context, gettext_for, run_form, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import SignedIn, SignedInCoordinator, form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import local_zone
from nezlam.web.words.coordinate_words import local_name, status_name

router = APIRouter(include_in_schema=False)


def kyiv_time(moment: datetime | None) -> str:
    return moment.astimezone(local_zone()).strftime("%d.%m.%Y %H:%M") if moment else ""


def scope_regions(who: SignedIn) -> frozenset[str] | None:
    """None for an admin (every region), else the coordinator's regions."""
    return None if who.principal.is_admin else who.principal.regions


def applications_page(
    request: Request, who: SignedIn, status: int = 200, errors: dict[int, str] | None = None
) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    with state.db.read() as session:
        pending = onboarding.pending_applications(session, scope_regions(who))
        decided = onboarding.recent_decisions(session, scope_regions(who))
        offered = {
            view.application.id: [
                offered_point(session, p, view, state, lang, _) for p in view.points
            ]
            for view in pending
        }
    return page(
        request,
        "applications.html",
        status=status,
        pending=pending,
        offered=offered,
        decided=decided,
        local=lambda text: local_name(text, lang),
        **form_context(request, who, errors),
        when=kyiv_time,
        kinds=dict(kind_labels(_)),
        service_labels={code: labels[lang] for code, labels in SERVICES.items()},
    )


def offered_point(
    session: Session,
    point: Any,
    view: onboarding.ApplicationView,
    state: AppState,
    lang: str,
    _: Any,
) -> dict[str, Any]:
    """One applied point as the coordinator checks it: where it is, and what is there already."""
    others = [p for p in view.application.point_ids if p != point.id]
    settings, now = state.settings, state.clock()
    existing = [
        existing_point(found, now, settings, lang, _)
        for found in possible_duplicates(session, point, exclude=others)
    ]
    return {
        "point": point,
        "name": pick_name(point.name, lang),
        "where": ", ".join(local_name(t, lang) for t in (point.address, point.locality) if t),
        "lat": f"{point.lat:.5f}",
        "lon": f"{point.lon:.5f}",
        "existing": existing,
    }


def existing_point(
    found: Existing, now: datetime, settings: Settings, lang: str, _: Any
) -> dict[str, Any]:
    """A point already there (near the applied one, or with its name in its locality) as the
    coordinator compares it: how far, why it is shown, and its status after the freshness
    rule."""
    shown = shown_status(
        found.point.status,
        found.point.updated_at,
        found.point.verified_at,
        now,
        settings.stale_after,
        settings.no_response_after,
    )
    return {
        "id": found.point.id,
        "name": pick_name(found.point.name, lang),
        "address": local_name(found.point.address, lang),
        "metres": round(found.distance_m),
        "nearby": found.nearby,
        "same_name": found.same_name,
        "status": status_name(str(shown), _),
        "lat": f"{found.point.lat:.6f}",
        "lon": f"{found.point.lon:.6f}",
    }


@router.get("/coordinate/applications", response_class=HTMLResponse)
def applications(request: Request, who: SignedInCoordinator) -> Response:
    return applications_page(request, who)


@router.post("/coordinate/applications/{application_id}")
async def decide(request: Request, application_id: int) -> Response:
    """Approve (the points become public) or reject with a note (they stay hidden)."""
    return await run_form(request, apply_decision, application_id)


def apply_decision(request: Request, application_id: int, form: Any) -> Response:
    who = form_sender(request, form, coordinator=True)
    action = str(form.get("action", ""))
    if action not in ("approve", "reject"):
        return done_redirect("/coordinate/applications", "invalid")
    state: AppState = request.app.state.nezlam
    _ = gettext_for(request)
    try:
        with state.db.write() as session:
            onboarding.decide(
                session,
                application_id,
                who.principal,
                approve=action == "approve",
                note=str(form.get("note", ""))[:600],
                now=state.clock(),
            )
    except DomainError as exc:
        if exc.field != "note":
            raise
        return applications_page(request, who, 422, {application_id: note_problem(exc, _)})
    done = "approved" if action == "approve" else "rejected"
    return done_redirect("/coordinate/applications", done)


def note_problem(exc: DomainError, _: Any) -> str:
    if "500" in exc.problem:
        return _("At most {n} characters.").format(n=500)
    return _("Say why, so that the organisation can be told.")
