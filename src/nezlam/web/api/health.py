"""Health: answers 200 when the app and its database are up."""

from __future__ import annotations

from fastapi import APIRouter, Request

from nezlam.web.plumbing.responses import OrjsonResponse
from nezlam.web.plumbing.state import AppState

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz(request: Request) -> OrjsonResponse:
    state: AppState = request.app.state.nezlam
    try:
        state.db.ping()
    except Exception as exc:  # any database failure means "not healthy"
        return OrjsonResponse({"status": "error", "database": str(exc)[:200]}, status_code=503)
    return OrjsonResponse(
        {"status": "ok", "points_indexed": len(state.index.snapshot), "change_seq": state.index.seq}
    )
