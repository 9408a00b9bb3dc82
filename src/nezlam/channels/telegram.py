"""The Telegram bot as a channel: what waits in the outbox for a chat — an answer to send later,
a resident's "a point near you opened", a coordinator's alert, one message of a broadcast — sent
through the Bot API (telegram_api.BotApi, python-telegram-bot), paced at Telegram's limits
(about 30 messages a second in all, one a second to a chat; NEZLAM_TELEGRAM_PER_SECOND), with a
429's `retry_after` honoured and a chat that blocked the bot given up.

Inbound, updates reach the bot's conversation (telegram_bot.py) through the webhook route
(web/api/telegram.py, checked by its secret token) or long polling (`nezlam bot run`).

What waits is JSON: a whole message (telegram_api.to_json), or an event (`{"event": "opened",
"lang": …, "point_id": …, "names": …}`) put into words only when it is sent, so that the store,
which queues events inside a report's transaction, never words anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from nezlam.channels import telegram_events
from nezlam.channels.answering import Directory
from nezlam.channels.interface import Channel, Delivery, Failed, Outcome
from nezlam.channels.operator_words import operator_text
from nezlam.channels.pacing import Pacing
from nezlam.channels.queued import QueuedMessages
from nezlam.channels.telegram_api import BotApi, Message, from_json
from nezlam.channels.telegram_bot import TelegramBot
from nezlam.channels.telegram_words import esc

if TYPE_CHECKING:
    from nezlam.config import Settings

NAME = "telegram"
TIMEOUT_S = 10.0


class TelegramChannel(Channel):
    name = NAME

    def __init__(self, api: BotApi, base_url: str | None = None, per_second: int = 25) -> None:
        self.api = api
        self.base_url = base_url
        self.send_timeout = api.timeout
        self.outbox = QueuedMessages(NAME)
        self.pacing = Pacing(per_destination=1.0, overall=1 / per_second)

    def send(self, delivery: Delivery, now: datetime) -> Outcome:
        if not delivery.text:
            return Failed("a Telegram message needs its words")
        message = message_of(delivery.destination, delivery.text, self.base_url)
        if message is None:
            return Failed("not a message this channel knows")
        return self.api.act(message)


def message_of(chat: str, stored: str, base_url: str | None) -> Message | None:
    """The message a queued row holds, words made for an event."""
    data: dict[str, Any] = orjson.loads(stored)
    event = data.get("event")
    if event is None:
        return from_json(stored)
    if event in ("opened", "closed"):
        return Message(chat, telegram_events.turn_text(data, base_url))
    if event == "alert":
        return Message(chat, telegram_events.alert_text(data, base_url))
    if event == "broadcast":
        return Message(chat, telegram_events.broadcast_text(data))
    if event == "operator_alert":
        return operator_message(chat, data, base_url)
    return None


def operator_message(chat: str, data: dict[str, Any], base_url: str | None) -> Message | None:
    """An operator told their point must open, with the way to their points."""
    text = operator_text(data)
    if text is None:
        return None
    mark = "⏰" if data.get("kind") == "outage_soon" else "🚨"
    page = f'\n<a href="{esc(base_url)}/operate">/operate</a>' if base_url else ""
    return Message(chat, f"{mark} {esc(text)}{page}")


def bot_of(directory: Directory, settings: Settings) -> TelegramBot:
    """The bot's conversation with all its rooms: residents' (in the bot itself), staff's,
    coordinators', and the questions after a visit."""
    from nezlam.channels import telegram_coordinators, telegram_staff, telegram_visits

    rooms = (telegram_staff, telegram_coordinators, telegram_visits)
    username = settings.telegram.username if settings.telegram else None
    return TelegramBot(directory, settings.public_url, username, rooms=rooms)


def make(settings: Settings | None = None) -> TelegramChannel | None:
    """The channel, when a bot token is configured; else None (no bot)."""
    if settings is None or settings.telegram is None:
        return None
    bot = settings.telegram
    api = BotApi(bot.token, bot.api_url, TIMEOUT_S)
    return TelegramChannel(api, settings.public_url, bot.per_second)
