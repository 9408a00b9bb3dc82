"""The few plain pages of the core: health and a front page that says what this server is."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nezlam.web.responses import OrjsonResponse
from nezlam.web.state import AppState

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


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    state: AppState = request.app.state.nezlam
    snap = state.index.snapshot
    demo = (
        '<p role="note"><strong>Демонстраційні дані / Demo data:</strong> these points are '
        "generated for trying Nezlam out and do not exist.</p>"
        if snap.has_demo
        else ""
    )
    body = f"""<!doctype html>
<html lang="uk"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Незламність · Nezlam</title></head>
<body><main>
<h1>Пункти незламності · Invincibility points</h1>
{demo}
<p>{len(snap)} пунктів у реєстрі · {len(snap)} points in the registry.</p>
<ul>
<li><a href="/api/v1/points/nearest?lat=50.4445&amp;lon=30.5159&amp;k=5">Найближчі до центру Києва
 (JSON) · Nearest to central Kyiv</a></li>
<li><a href="/api/v1/feeds/points.geojson">GeoJSON</a> ·
<a href="/api/v1/feeds/points.csv">CSV</a> ·
<a href="/api/v1/feeds/points.hxl.csv">HXL</a></li>
<li><a href="/api/docs">API</a></li>
</ul>
</main></body></html>"""
    return HTMLResponse(body)
