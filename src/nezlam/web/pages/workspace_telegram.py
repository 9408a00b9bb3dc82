"""Linking one's own Telegram account to one's Nezlam account, from My points (/operate): the
"Telegram" section, shown only when a bot is configured (`settings.telegram`).

"Link Telegram" shows a one-time code (store/link_codes.py) for the bot's `/start CODE`: with
the bot's username known, also as the t.me link that sends it in one tap, and as a QR code of
that link to scan from a computer's screen. Each linked account is listed, masked, with an
"Unlink" button. Plain forms with the session's CSRF token: no JavaScript needed. The page with a
code is never kept (no-store), and the service worker never keeps the answer to a POST.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from nezlam.config import TelegramSettings
from nezlam.domain.errors import NotFound
from nezlam.store import channel_links, link_codes
from nezlam.store.actor import Actor
from nezlam.web.plumbing.forms import done_redirect, run_form
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.session import form_sender
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import local_zone

router = APIRouter(include_in_schema=False)
CHANNEL = "telegram"
MY_POINTS = "/operate"
NO_STORE = {"Cache-Control": "no-store"}  # a page with a code is never kept


def telegram_section(state: AppState, session: Session, user_id: int) -> dict[str, Any] | None:
    """What My points shows about Telegram: the user's linked accounts (each as the form sends
    it and as shown, masked); None without a bot, and the page shows no section."""
    if state.settings.telegram is None:
        return None
    return {"links": linked(session, user_id)}


def linked(session: Session, user_id: int) -> list[tuple[str, str]]:
    addresses = channel_links.links_of(session, user_id, CHANNEL)
    return [(address, channel_links.masked(address)) for address in addresses]


def deep_link(bot: TelegramSettings, code: str) -> str | None:
    """The t.me link that opens the bot and sends it `/start CODE` in one tap; None when the
    bot's username is not configured."""
    if not bot.username:
        return None
    return f"https://t.me/{quote(bot.username, safe='')}?start={quote(code, safe='')}"


def qr_svg(url: str) -> Markup:
    """The link as a QR code, an inline SVG: made here from the link alone (no text of anyone's
    inside), and its one attribute value escaped by segno."""
    code = segno.make_qr(url, error="m")
    return Markup(code.svg_inline(scale=5, border=4, light="#fff", svgclass="qr", title=url))


@router.post("/operate/telegram/code")
async def link_code(request: Request) -> Response:
    """A new one-time code for the signed-in person (earlier ones stop working)."""
    return await run_form(request, issue_code)


def issue_code(request: Request, form: Any) -> Response:
    who = form_sender(request, form, back=MY_POINTS)
    state: AppState = request.app.state.nezlam
    bot = state.settings.telegram
    if bot is None:
        raise NotFound("no Telegram bot is configured", field="telegram")
    now = state.clock()
    with state.db.write() as session:
        code = link_codes.issue(session, who.principal.user_id, CHANNEL, now)
        links = linked(session, who.principal.user_id)
    url = deep_link(bot, code)
    response = page(
        request,
        "operate_telegram.html",
        code=code,
        minutes=int(link_codes.TTL.total_seconds() // 60),
        until=wall_time(now + link_codes.TTL),
        bot=bot.username,
        url=url,
        qr=qr_svg(url) if url else None,
        telegram={"links": links},
        csrf=who.csrf,
        done=None,
    )
    response.headers.update(NO_STORE)
    return response


def wall_time(at: datetime) -> str:
    return at.astimezone(local_zone()).strftime("%H:%M")


@router.post("/operate/telegram/unlink")
async def unlink(request: Request) -> Response:
    """Unlink one of the signed-in person's own Telegram accounts (anyone else's: 403)."""
    return await run_form(request, unlink_own)


def unlink_own(request: Request, form: Any) -> Response:
    who = form_sender(request, form, back=MY_POINTS)
    state: AppState = request.app.state.nezlam
    chat = str(form.get("chat", "")).strip()[:64]
    with state.db.write() as session:
        channel_links.unlink_of_user(
            session, who.principal.user_id, CHANNEL, chat, Actor.of(who.principal), state.clock()
        )
    return done_redirect(MY_POINTS, "unlinked", anchor="telegram")
