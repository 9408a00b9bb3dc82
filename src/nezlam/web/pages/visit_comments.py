"""The coordinators' queue of visitors' comments (/coordinate/comments): what residents wrote
after a visit to a point of their regions, oldest first, each with Publish and Reject. Only a
published comment reaches the point's public page (the newest three are shown there). The rule
— a coordinator of the point's region, or an admin — and the audit are `store.visits.moderate`.

Plain forms with the session's CSRF token, as on every coordinator screen; no JavaScript.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nezlam.domain.errors import Conflict
from nezlam.domain.point_view import pick_name
from nezlam.store import visits
from nezlam.store.actor import Actor
from nezlam.web.pages.applications import kyiv_time, scope_regions
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.forms import done_redirect, form_context, run_form, words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import SignedInCoordinator, form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.words.coordinate_words import local_name

router = APIRouter(include_in_schema=False)
QUEUE = "/coordinate/comments"
SHOWN = 100  # comments on the page at once; the next ones appear as these are decided


@router.get(QUEUE, response_class=HTMLResponse)
def comment_queue(request: Request, who: SignedInCoordinator) -> Response:
    """The comments waiting in the coordinator's regions (every region for an admin)."""
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    with state.db.read() as session:
        waiting = visits.pending(session, scope_regions(who), limit=SHOWN)
    return page(
        request,
        "visit_comments.html",
        comments=[comment_item(c, lang) for c in waiting],
        **form_context(request, who),
    )


def comment_item(comment: visits.WaitingComment, lang: str) -> dict[str, Any]:
    return {
        "id": comment.id,
        "point_id": comment.point_id,
        "point": pick_name(comment.point_name, lang),
        "region": local_name(comment.region, lang),
        "at": kyiv_time(comment.at),
        "lang": comment.language,
        "language": i18n.LANGUAGE_NAMES.get(comment.language, comment.language),
        "text": comment.text,
    }


@router.post(QUEUE + "/{comment_id:int}")
async def moderate_comment(request: Request, comment_id: int) -> Response:
    """Publish or Reject."""
    return await run_form(request, apply_decision, comment_id)


def apply_decision(request: Request, comment_id: int, form: Any) -> Response:
    who = form_sender(request, form, back=QUEUE, coordinator=True)
    decision = str(form.get("action", ""))
    if decision not in visits.DECISIONS:
        return done_redirect(QUEUE, "invalid")
    state: AppState = request.app.state.nezlam
    try:
        with state.db.write() as session:
            actor = Actor.of(who.principal)
            visits.moderate(session, comment_id, decision, actor, who.principal, state.clock())
    except Conflict:
        return done_redirect(QUEUE, "already")
    return done_redirect(QUEUE, visits.DECISIONS[decision])
