"""Telegram's webhook: each update the bot gets, checked to come from Telegram by the secret
token it was registered with (`nezlam bot setup`), answered by the bot's conversation
(channels/telegram_bot.py).

The main answer goes back in the response itself (Telegram makes that call for us: no request
of ours on the hot path); anything more (the "done" on a pressed button) is sent through the
Bot API after the response. Without a bot, or without NEZLAM_TELEGRAM_WEBHOOK_SECRET (then
`nezlam bot run` polls instead), the route is not there (404); a call without the right secret
is refused (403) and nothing is answered.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import orjson
import telegram
from fastapi import APIRouter, Request, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from nezlam.channels.telegram import TelegramChannel
from nezlam.channels.telegram_api import Action, Message, webhook_reply
from nezlam.channels.telegram_bot import TelegramBot
from nezlam.domain.errors import Forbidden, Invalid, NotFound
from nezlam.web.plumbing.state import AppState

router = APIRouter(prefix="/api/v1/telegram", include_in_schema=False)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_bot(state: AppState) -> tuple[str, TelegramBot, TelegramChannel]:
    """The secret, the bot and its channel; NotFound when the webhook is off."""
    settings = state.settings.telegram
    bot, channel = state.telegram_bot, state.telegram
    if settings is None or settings.webhook_secret is None or bot is None or channel is None:
        raise NotFound("no Telegram webhook here", field="path")
    return settings.webhook_secret, bot, channel


def signed(secret: str, given: str | None) -> bool:
    """The secret token Telegram sends, compared in constant time."""
    return hmac.compare_digest((given or "").encode(), secret.encode())


def payload_of(body: bytes) -> dict[str, Any]:
    """The update's JSON object; Invalid for a body that is none."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid("the body is not a Telegram update", field="body") from exc
    if not isinstance(payload, dict):
        raise Invalid("the body is not a Telegram update", field="body")
    return payload


def update_of(payload: dict[str, Any]) -> telegram.Update:
    """python-telegram-bot's reading of the update; Invalid for what is not one."""
    try:
        return telegram.Update.de_json(payload, None)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise Invalid("the body is not a Telegram update", field="body") from exc


def split(actions: list[Action]) -> tuple[Action | None, list[Action]]:
    """The action the response carries (the first message), and the rest."""
    inline = next((a for a in actions if isinstance(a, Message)), actions[0] if actions else None)
    return inline, [action for action in actions if action is not inline]


@router.post("/webhook")
async def webhook(request: Request) -> Response:
    state: AppState = request.app.state.nezlam
    secret, bot, channel = webhook_bot(state)
    if not signed(secret, request.headers.get(SECRET_HEADER)):
        raise Forbidden("not signed by Telegram", field=SECRET_HEADER)
    update = update_of(payload_of(await request.body()))
    actions = await run_in_threadpool(bot.handle, update)
    inline, rest = split(actions)
    task = BackgroundTask(send_all, channel.api.act, rest) if rest else None
    if inline is None:
        return Response(status_code=200, background=task)
    return Response(webhook_reply(inline), media_type="application/json", background=task)


def send_all(act: Callable[[Action], object], actions: list[Action]) -> None:
    """The actions the response could not carry, one call each (a threadpool's thread)."""
    for action in actions:
        act(action)
