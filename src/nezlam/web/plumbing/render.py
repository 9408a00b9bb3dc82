"""The page renderer: one Jinja environment over `web/templates/`, and `page()`, which renders a
template with what every page shows (language, language switch, generated time, assets
version, tile server) and answers with the headers every page carries."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import QueryParams

from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import local_zone

WEB = Path(__file__).resolve().parents[1]
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    state: AppState = request.app.state.nezlam
    lang = i18n.choose_language(request)
    translations = i18n.translations(lang)
    now = state.clock()
    html = env.get_template(template).render(
        _=translations.gettext,
        lang=lang,
        languages=i18n.LANGUAGE_NAMES,
        switch_url=lambda code: with_param(request.query_params, "lang", code),
        demo=state.index.snapshot.has_demo,
        generated=now.astimezone(local_zone()).strftime("%H:%M"),
        generated_iso=now.isoformat(),
        path=request.url.path,
        assets_version=assets_version(),
        tile_url=state.settings.tile_url,
        # The offline copy re-ages its words on the device with the server's own thresholds.
        freshness_limits=(state.settings.stale_after, state.settings.no_response_after),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax")
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers.update(security_headers(state.settings.tile_url))
    return response


@lru_cache(maxsize=4)
def security_headers(tile_url: str) -> dict[str, str]:
    """For every page: scripts and styles only from this server (no inline script), map tiles
    from the tile server, never inside another site's frame."""
    tiles = urlsplit(tile_url.replace("{s}", "a"))
    tile_origin = f"{tiles.scheme}://{tiles.netloc}" if tiles.netloc else ""
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: {tile_origin}; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def with_param(params: QueryParams, name: str, value: str) -> str:
    items = [(k, v) for k, v in params.multi_items() if k != name] + [(name, value)]
    return "?" + "&".join(f"{k}={_quote(v)}" for k, v in items)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@lru_cache(maxsize=1)
def assets_version() -> str:
    """A short hash of the pages' scripts, styles and worker: changes whenever any does."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.glob("*.[cj]s")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
