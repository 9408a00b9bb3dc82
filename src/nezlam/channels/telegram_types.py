"""What the bot's rooms share with it, so that none of them imports the bot (which assembles
them, in channels/telegram.py): what one update says (`Incoming`), the bot as a room sees it
(`Bot`), and a room's handlers (`Handler`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from nezlam.channels.answering import Directory
from nezlam.channels.telegram_api import Action

MAX_INBOUND = 1000  # characters of a message read; the rest (4,000 emoji, say) is ignored


@dataclass(frozen=True)
class Incoming:
    """What one update says, read once: who (the chat, and the account writing), in which
    language, and what — text, a location, or a button's data."""

    chat: str
    user: str | None
    lang: str
    text: str = ""
    location: tuple[float, float] | None = None
    callback_id: str | None = None
    data: str | None = None
    message_id: int | None = None
    """The message a pressed button is under (for an edit)."""
    replying_to: str | None = None
    """The bot's words the message replies to (an answer to a question the bot asked)."""
    private: bool = True


class Bot(Protocol):
    """The bot, as its rooms use it."""

    directory: Directory
    monotonic: Callable[[], float]

    def now(self) -> datetime: ...

    def language(self, incoming: Incoming) -> str: ...

    def point_text(self, point_id: str, lang: str) -> str | None:
        """One point's card in the finder's words; None when there is no such point."""
        ...


Handler = Callable[[Bot, Incoming, str], list[Action]]
"""A command's, a button's or a reply's handler: (bot, what came, the rest of it) → actions."""
