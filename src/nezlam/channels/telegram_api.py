"""What the bot says to Telegram, and the one place it is said: a `Message` (a chat's text, with
its buttons) or a `CallbackAnswer`, made by the bot's handler (telegram_bot.py); sent through
python-telegram-bot's `Bot` (`BotApi`), or handed back to Telegram as the answer to its webhook
call (`webhook_reply`), or kept in the outbox as JSON (`to_json`) for the dispatcher.

python-telegram-bot is asynchronous; the dispatcher's and the CLI's threads are not. `BotApi`
runs the library on an event loop of its own, in a daemon thread, so any thread can make a call
and wait for it with a timeout (the library's httpx client is bound to that one loop).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import orjson

# python-telegram-bot's coming behaviour, now: durations (a 429's retry_after) as timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "true")
import telegram  # noqa: E402 (after the setting it reads)
from telegram import error as tg_error
from telegram.request import HTTPXRequest

from nezlam.channels.interface import DELIVERED, Failed, Outcome, RetryLater

PARSE_MODE = "HTML"  # every text is made with html.escape on what anyone typed (telegram_words)
CALLBACK_MAX = 64  # bytes of a button's callback data, Telegram's limit


@dataclass(frozen=True)
class Button:
    """One button under a message: it sends `data` back to the bot, or opens `url`."""

    text: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Message:
    """A message to a chat, or a new text for one the bot sent (`edit`: its message id)."""

    chat_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    """Rows of inline buttons."""
    edit: int | None = None
    ask_location: bool = False
    """Offer the chat's "share my location" key instead of inline buttons."""
    force_reply: bool = False
    """Open the reply field (the bot asks for a number or a few words)."""
    placeholder: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """Stops the spinner on the button someone pressed, with a short note if any."""

    callback_id: str
    text: str | None = None


Action = Message | CallbackAnswer


def reply_markup(message: Message) -> dict[str, Any] | None:
    if message.ask_location:
        key = {"text": message.placeholder or "📍", "request_location": True}
        return {"keyboard": [[key]], "resize_keyboard": True, "one_time_keyboard": True}
    if message.force_reply:
        markup: dict[str, Any] = {"force_reply": True}
        if message.placeholder:
            markup["input_field_placeholder"] = message.placeholder[:64]
        return markup
    if not message.buttons:
        return None
    rows = [
        [
            {"text": b.text, "url": b.url} if b.url else {"text": b.text, "callback_data": b.data}
            for b in row
        ]
        for row in message.buttons
    ]
    return {"inline_keyboard": rows}


def api_call(action: Action) -> tuple[str, dict[str, Any]]:
    """The Bot API method and its parameters, as JSON, for one action."""
    if isinstance(action, CallbackAnswer):
        params: dict[str, Any] = {"callback_query_id": action.callback_id}
        if action.text:
            params["text"] = action.text[:200]
        return "answerCallbackQuery", params
    params = {
        "chat_id": action.chat_id,
        "text": action.text,
        "parse_mode": PARSE_MODE,
        "link_preview_options": {"is_disabled": True},
    }
    markup = reply_markup(action)
    if markup is not None:
        params["reply_markup"] = markup
    if action.edit is not None:
        return "editMessageText", {**params, "message_id": action.edit}
    return "sendMessage", params


Markup = telegram.InlineKeyboardMarkup | telegram.ReplyKeyboardMarkup | telegram.ForceReply | None


def markup_object(markup: dict[str, Any] | None) -> Markup:
    """The library's object for a reply_markup made by `reply_markup`."""
    if markup is None:
        return None
    if "inline_keyboard" in markup:
        return telegram.InlineKeyboardMarkup.de_json(markup, None)
    if "keyboard" in markup:
        return telegram.ReplyKeyboardMarkup.de_json(markup, None)
    return telegram.ForceReply.de_json(markup, None)


def webhook_reply(action: Action) -> bytes:
    """The body that answers Telegram's webhook call with this action: Telegram makes the call
    itself, so the answer costs no request of ours."""
    method, params = api_call(action)
    return orjson.dumps({"method": method, **params})


def to_json(message: Message) -> str:
    """A message as the outbox keeps it."""
    return orjson.dumps(asdict(message)).decode()


def from_json(text: str) -> Message:
    data = orjson.loads(text)
    rows = tuple(tuple(Button(**button) for button in row) for row in data.pop("buttons", []))
    return Message(buttons=rows, **data)


def outcome_of(failure: Exception) -> Outcome:
    """What a failed call means for a delivery: a 429 comes back after its `retry_after`; a
    chat that blocked the bot, or that does not exist, never; the network, later."""
    if isinstance(failure, tg_error.RetryAfter):
        after = failure.retry_after
        seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
        return RetryLater("Telegram: too many requests", timedelta(seconds=seconds))
    if isinstance(failure, tg_error.Forbidden | tg_error.BadRequest | tg_error.InvalidToken):
        return Failed(f"Telegram: {failure}"[:300])
    return RetryLater(f"{type(failure).__name__}: {failure}"[:300])


@dataclass
class BotApi:
    """python-telegram-bot's Bot on a loop of its own; `call` from any thread."""

    token: str = field(repr=False)
    api_url: str = "https://api.telegram.org"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="nezlam-telegram-api", daemon=True
        )
        self.thread.start()
        request = HTTPXRequest(
            connection_pool_size=8, read_timeout=self.timeout, connect_timeout=self.timeout
        )
        polling = HTTPXRequest(connection_pool_size=1, read_timeout=self.timeout + 60)
        self.bot = telegram.Bot(
            self.token,
            base_url=f"{self.api_url}/bot",
            request=request,
            get_updates_request=polling,
        )

    def run(self, work: Coroutine[Any, Any, Any], wait: float | None = None) -> Any:
        """Run one of the library's calls on the bot's loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        return future.result(wait if wait is not None else self.timeout + 5)

    def act(self, action: Action) -> Outcome:
        """Make one action's call; the outcome as a delivery's."""
        try:
            self.run(self._call(action))
        except Exception as failure:  # the library's errors, and a call that took too long
            if isinstance(failure, TimeoutError):
                return RetryLater("Telegram: no answer in time")
            return outcome_of(failure)
        return DELIVERED

    async def _call(self, action: Action) -> Any:
        bot = self.bot
        if isinstance(action, CallbackAnswer):
            return await bot.answer_callback_query(action.callback_id, text=action.text)
        markup = markup_object(reply_markup(action))
        no_preview = telegram.LinkPreviewOptions(is_disabled=True)
        if action.edit is not None:
            inline = markup if isinstance(markup, telegram.InlineKeyboardMarkup) else None
            return await bot.edit_message_text(
                action.text,
                chat_id=action.chat_id,
                message_id=action.edit,
                parse_mode=PARSE_MODE,
                link_preview_options=no_preview,
                reply_markup=inline,
            )
        return await bot.send_message(
            action.chat_id,
            action.text,
            parse_mode=PARSE_MODE,
            link_preview_options=no_preview,
            reply_markup=markup,
        )

    def updates(self, offset: int | None, wait: int = 30) -> list[telegram.Update]:
        """Long polling: the next updates after `offset`, waiting up to `wait` seconds."""
        work = self.bot.get_updates(offset=offset, timeout=wait, allowed_updates=ALLOWED_UPDATES)
        return list(self.run(work, wait + self.timeout + 5))

    def close(self) -> None:
        self.run(self.bot.shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


ALLOWED_UPDATES = ["message", "callback_query", "channel_post"]
"""What the bot asks Telegram for (webhook and polling alike)."""
