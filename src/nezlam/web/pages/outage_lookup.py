"""A resident's own queue (issue 12): `/outages?queue=vinnytsia/1.1` says when that queue's power
is scheduled off in the next day and a half — definite and possible outages in words — with
the way to a point that is open. The queues are those of the imported schedules, chosen from
a list (the schedules name no addresses: a resident reads their queue on the power company's
site or bill). Answered from memory, as the finder is; nothing about the asker is kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nezlam.reading.power_schedule import HORIZON, Schedules
from nezlam.web.plumbing.forms import words
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.state import AppState
from nezlam.web.words.outage_words import outage_words

router = APIRouter(include_in_schema=False)


@router.get("/outages", response_class=HTMLResponse)
def my_queue(request: Request) -> Response:
    state: AppState = request.app.state.nezlam
    lang, _ = words(request)
    schedules: Schedules | None = state.schedules  # none before the app has started
    known = schedules.queues() if schedules else {}
    asked = request.query_params.get("queue", "")
    region, _slash, queue = asked.partition("/")
    chosen = asked if queue in known.get(region, ()) else None
    said = None
    if chosen and schedules:
        now = state.clock()
        said = [
            {"words": outage_words(outage, now, lang, _), "possible": outage.possible}
            for outage in schedules.outages_of(region, queue)
        ]
    answer = page(
        request,
        "outages.html",
        status=422 if asked and not chosen else 200,
        known=known,
        asked=asked,
        chosen=chosen,
        region=region,
        queue=queue,
        said=said,
        emergency=bool(chosen and schedules and schedules.emergency_since(region)),
        hours=int(HORIZON.total_seconds() // 3600),
    )
    answer.headers["Cache-Control"] = "public, max-age=60"  # the schedule is read once a minute
    return answer
