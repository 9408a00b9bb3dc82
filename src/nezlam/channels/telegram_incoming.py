"""What one Telegram update says (`Incoming`), read once: from python-telegram-bot's `Update`
for anything (`incoming_of`), or, for the update a blackout brings by the thousand — a shared
location — straight from the decoded JSON (`located`), which costs a fifth of building the
`Update` with its couple of hundred attributes. Both read the same fields the same way, and a
test holds them to it (tests/test_telegram_incoming.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

import telegram

from nezlam.channels.telegram_types import MAX_INBOUND, Incoming


def app_language(code: str | None) -> str:
    """Ukrainian by default; English for a Telegram set to any language but Ukrainian or
    Russian (whose readers read Ukrainian far more often than English)."""
    if not code or code.split("-")[0].lower() in ("uk", "ru", "be"):
        return "uk"
    return "en"


def incoming_of(update: telegram.Update) -> Incoming | None:
    """The parts of an update the bot answers; None for what it does not (an edit, a
    sticker in a group)."""
    query = update.callback_query
    if query is not None:
        message = query.message
        chat = message.chat if message is not None else None
        return Incoming(
            chat=str(chat.id if chat is not None else query.from_user.id),
            user=str(query.from_user.id),
            lang=app_language(query.from_user.language_code),
            callback_id=query.id,
            data=query.data or "",
            message_id=message.message_id if message is not None else None,
            private=chat is None or chat.type == "private",
        )
    message = update.effective_message
    if message is None or message.chat is None:
        return None
    sender = message.from_user
    located = message.location
    replied = message.reply_to_message
    return Incoming(
        chat=str(message.chat.id),
        user=str(sender.id) if sender is not None else None,
        lang=app_language(sender.language_code if sender is not None else None),
        text=(message.text or "")[:MAX_INBOUND],
        location=(located.latitude, located.longitude) if located is not None else None,
        replying_to=(replied.text or None) if replied is not None else None,
        private=message.chat.type == "private",
    )


def located(payload: Mapping[str, Any]) -> Incoming | None:
    """A plain message sharing a location, as `incoming_of` would read it from its `Update`;
    None for any other update, or one whose fields are not what Telegram sends (the caller
    then reads it the long way, which says what is wrong)."""
    message = payload.get("message")
    if "callback_query" in payload or not isinstance(message, dict):
        return None
    where, chat, sender = message.get("location"), message.get("chat"), message.get("from")
    if not isinstance(where, dict) or not isinstance(chat, dict) or "text" in message:
        return None
    lat, lon, chat_id = where.get("latitude"), where.get("longitude"), chat.get("id")
    whole = (chat_id, message.get("message_id"), message.get("date"))
    if not (_number(lat) and _number(lon)) or not all(_whole(n) for n in whole):
        return None
    if "reply_to_message" in message or not isinstance(chat.get("type"), str):
        return None
    language = sender.get("language_code") if isinstance(sender, dict) else None
    if sender is not None and not (
        isinstance(sender, dict) and _whole(sender.get("id")) and _text_or_none(language)
    ):
        return None
    return Incoming(
        chat=str(chat_id),
        user=str(sender["id"]) if sender is not None else None,
        lang=app_language(language),
        location=(float(lat), float(lon)),
        private=chat.get("type") == "private",
    )


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)
