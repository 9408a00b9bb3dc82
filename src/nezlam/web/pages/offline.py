"""What makes the finder work offline and on a home screen, beside the service worker (/sw.js,
in web.pages.finder): the page a phone shows for a page it never saved, and the site's icon.

Importing this module also gives the pages the words their scripts need (web.words.page_words).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from nezlam.web.plumbing.render import STATIC, page
from nezlam.web.words import page_words  # noqa: F401  (registers the pages' script words)

router = APIRouter(include_in_schema=False)


@router.get("/offline", response_class=HTMLResponse)
def not_saved(request: Request) -> HTMLResponse:
    """Kept by the service worker when it installs, and shown under the address of any page it
    has no copy of while there is no connection: never the finder under a point's address."""
    return page(request, "offline.html")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for it whatever the page links: the icon, not a 404 in every log."""
    return FileResponse(
        STATIC / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=604800"},
    )
