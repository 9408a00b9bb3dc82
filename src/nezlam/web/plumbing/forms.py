"""What every workspace screen does the same way with a form: read it off the event loop, speak
the page's language, keep what was typed, and answer with a redirect that says what was done.

Who may send a form (the session and its CSRF token) is `web.plumbing.session`; the rules of each
screen stay in its own module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from nezlam.domain.errors import Invalid
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.session import SignedIn

Gettext = Callable[[str], str]


def words(request: Request) -> tuple[str, Gettext]:
    """The page's language (?lang=, the remembered choice, the browser's) and its gettext."""
    lang = i18n.choose_language(request)
    return lang, i18n.translations(lang).gettext


def gettext_for(request: Request) -> Gettext:
    """Only the gettext, for a handler that formats no dates or numbers."""
    return words(request)[1]


async def run_form(request: Request, apply: Callable[..., Response], *args: Any) -> Response:
    """Read the posted form on the event loop (the body is read asynchronously), then run
    `apply(request, *args, form)` in a worker thread: it checks the session and reads and writes
    the database, blocking calls that would stall every other request sharing the loop."""
    form = await request.form()
    return await run_in_threadpool(apply, request, *args, form)


def typed(form: Any, names: Iterable[str]) -> dict[str, str]:
    """The named fields as typed, trimmed: what a refused form shows again beside its problems."""
    return {name: str(form.get(name, "")).strip() for name in names}


def form_id(form: Any, name: str) -> int:
    """A field that names a row by its number; anything else is refused naming the field."""
    raw = str(form.get(name, ""))
    if not raw.isdigit():
        raise Invalid("must be a whole number", field=name)
    return int(raw)


def form_context(
    request: Request,
    who: SignedIn,
    errors: Mapping[Any, str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What a page with forms gives its template: the session's CSRF token for every form, the
    `?done=` of the redirect that brought the browser here (the page says what was done), and,
    after a refused form, the problems by field and what was typed."""
    return {
        "csrf": who.csrf,
        "done": request.query_params.get("done"),
        "errors": errors or {},
        "values": values or {},
    }


def done_redirect(path: str, done: str, anchor: str = "", **params: Any) -> RedirectResponse:
    """After a form: 303 See Other to `path?done=…` (with `params`), at `#anchor`. The browser
    loads the page with GET, so reloading it never sends the form again, and `done` lets the
    page say what happened."""
    pairs = {"done": done, **params}.items()
    query = "&".join(f"{name}={quote(str(value))}" for name, value in pairs)
    return RedirectResponse(f"{path}?{query}" + (f"#{anchor}" if anchor else ""), status_code=303)
