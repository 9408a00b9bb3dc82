"""The Telegram bot's conversation: one update in (a message, a shared location, a button
pressed), the actions that answer it out (telegram_api.Message, CallbackAnswer). The same for
webhook mode (web/api/telegram.py) and long polling (`nezlam bot run`).

Residents: a location, an address, a place or coordinates → the 3 nearest points that are
really open, in the finder's words (channels/answering.py decides what is found, for every
channel alike), with buttons to narrow by service and to follow the area or a point; `/lang`,
`/follows`, `/stop` (which forgets the chat). Staff commands and buttons (linking an account,
one-tap status, alerts, broadcasts, the questions after a visit) are telegram_staff.py's; this
module hands them what is theirs.

Nothing about a resident is kept but what a follow or a chosen language needs
(store/subscriptions.py); the per-chat limit keeps only a keyed hash, in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from types import ModuleType

import telegram

from nezlam.channels import answering, asking, telegram_words
from nezlam.channels.answering import Directory, Found
from nezlam.channels.conversation import Conversation
from nezlam.channels.pacing import Pacing, SenderLimit
from nezlam.channels.telegram_api import CALLBACK_MAX, Action, Button, CallbackAnswer, Message
from nezlam.channels.telegram_incoming import incoming_of
from nezlam.channels.telegram_types import Bot, Handler, Incoming
from nezlam.channels.telegram_words import FILTERS, esc, words
from nezlam.domain.errors import DomainError
from nezlam.domain.point_view import pick_name
from nezlam.geo.spatial_index import Filters
from nezlam.reading import answers
from nezlam.reading.point_public import Asker
from nezlam.store import subscriptions
from nezlam.store.db import Database

NAME = "telegram"
# A person reads an answer in seconds; 30 a minute is a robot, or a stuck key.
CHAT_PACING = Pacing(answers=30, answers_per=60.0)
FILTER_LETTERS = dict(zip(FILTERS, "hpwisa", strict=True))
LETTER_FILTERS = {letter: code for code, letter in FILTER_LETTERS.items()}


class ChatLanguages:
    """Every chat's `/lang` choice, in memory: a read per message would be most of an answer's
    cost in a rush, and few chats ever choose. Read again whole when the choices' stamp
    changes (`refresh`, on every index poll: a choice made through another server process is
    seen within a poll); this process's own choices count at once."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.chosen: dict[str, str] = {}
        self.stamp: tuple[int, int] | None = None

    def refresh(self) -> bool:
        with self.db.read() as session:
            stamp = subscriptions.languages_stamp(session, NAME)
            if stamp == self.stamp:
                return False
            self.chosen = subscriptions.languages(session, NAME)
        self.stamp = stamp
        return True

    def of(self, chat: str) -> str | None:
        if self.stamp is None:
            self.refresh()
        return self.chosen.get(chat)

    def choose(self, chat: str, language: str | None) -> None:
        """This process's own write: seen at once (None: forgotten)."""
        if language is None:
            self.chosen.pop(chat, None)
        else:
            self.chosen[chat] = language


class TelegramBot:
    """Answers updates from one directory (the worker's index, streets, database, clock)."""

    def __init__(
        self,
        directory: Directory,
        base_url: str | None = None,
        username: str | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        rooms: Sequence[ModuleType] = (),
    ) -> None:
        self.directory = directory
        self.base_url = base_url
        self.username = username
        self.wording = telegram_words.Wording(base_url, directory.clock)
        self.conversation = Conversation(NAME, directory, self.wording)
        self.limit = SenderLimit(CHAT_PACING, monotonic)
        self.monotonic = monotonic  # the clock of the rooms' own limits
        self.languages = ChatLanguages(directory.db)
        self.commands: dict[str, Handler] = dict(RESIDENT_COMMANDS)
        self.buttons: dict[str, Handler] = dict(RESIDENT_BUTTONS)
        self.replies: dict[str, Handler] = {}
        self.point_card: Handler | None = None
        for room in rooms:  # each adds its commands, buttons, and answers to its questions
            self.commands |= room.COMMANDS
            self.buttons |= room.BUTTONS
            self.replies |= room.REPLIES
            self.point_card = getattr(room, "POINT_CARD", None) or self.point_card

    def now(self) -> datetime:
        return self.directory.clock()

    def handle(self, update: telegram.Update) -> list[Action]:
        """The answer to one update; none for what the bot does not answer, or past the
        chat's limit."""
        return self.answer(incoming_of(update))

    def answer(self, incoming: Incoming | None) -> list[Action]:
        """The answer to what an update said (`telegram_incoming`)."""
        if incoming is None or not self.limit.allow(incoming.chat):
            return []
        lang = self.language(incoming)
        try:
            if incoming.data is not None:
                return self.pressed(incoming, lang)
            return self.said(incoming, lang)
        except DomainError as refused:
            return [Message(incoming.chat, esc(refused.problem))]

    def language(self, incoming: Incoming) -> str:
        """The chat's `/lang` choice, else its Telegram's."""
        return self.languages.of(incoming.chat) or incoming.lang

    def said(self, incoming: Incoming, lang: str) -> list[Action]:
        text = incoming.text.strip()
        if incoming.location is not None:
            asked = asking.Nearest((), "")
            found = answering.nearest_open(self.directory, asked, lang, incoming.location)
            return [self.nearest(incoming, found, lang)]
        if text.startswith("/"):
            command, *rest = text[1:].split(maxsplit=1)  # "/broadcast\nwords" too
            handler = self.commands.get(command.split("@")[0].lower())
            if handler is not None:
                return handler(self, incoming, rest[0].strip() if rest else "")
        for marker, handler in self.replies.items():
            if incoming.replying_to and marker in incoming.replying_to:
                return handler(self, incoming, text)
        if not incoming.private:  # in a group, only commands are for the bot
            return []
        said = self.conversation.answer(incoming.user or incoming.chat, text, None, lang)
        if said.found is not None:
            return [self.nearest(incoming, said.found, lang)]
        if isinstance(said.question, asking.OnePoint):
            return self.one_point(incoming, said.question.point_id, lang)
        return [Message(incoming.chat, said.text)]

    def one_point(self, incoming: Incoming, point_id: str, lang: str) -> list[Action]:
        """One point's card: a room's, with more on it (what visitors said), else the words."""
        if self.point_card is not None:
            return self.point_card(self, incoming, point_id)
        text = self.point_text(point_id, lang)
        no_point = esc(words(lang)["no_point"].format(point_id=point_id))
        return [Message(incoming.chat, text or no_point)]

    def point_text(self, point_id: str, lang: str) -> str | None:
        point = answering.one_point(self.directory, point_id, lang)
        return None if point is None else self.wording.point_text(point, point_id, lang)

    def pressed(self, incoming: Incoming, lang: str) -> list[Action]:
        kind, _, rest = (incoming.data or "").partition("|")
        handler = self.buttons.get(kind)
        done = CallbackAnswer(incoming.callback_id or "")
        if handler is None:
            return [done]
        return [done, *handler(self, incoming, rest)]

    def nearest(
        self, incoming: Incoming, found: Found, lang: str, edit: int | None = None
    ) -> Message:
        """The nearest answer with its buttons: the filters, and following."""
        text = self.wording.nearest_text(found, lang)
        rows = nearest_buttons(found, lang) if found.where is not None else ()
        return Message(incoming.chat, text, rows, edit=edit)


def fits(data: str) -> str | None:
    """Callback data as Telegram takes it (at most 64 bytes), or None."""
    return data if len(data.encode()) <= CALLBACK_MAX else None


def place_data(where: tuple[float, float]) -> str:
    return f"{where[0]:.5f}|{where[1]:.5f}"


def nearest_buttons(found: Found, lang: str) -> tuple[tuple[Button, ...], ...]:
    """Filters that toggle (✓ on those chosen), "follow points nearby", and a button per point
    for its card (with "I was here" and follow)."""
    assert found.where is not None
    place = place_data(found.where)
    chosen = set(found.services)
    filters = []
    for code in FILTERS:
        toggled = chosen ^ {code}
        letters = "".join(FILTER_LETTERS[c] for c in FILTERS if c in toggled)
        mark = "✓ " if code in chosen else ""
        label = f"{mark}{telegram_words.ICONS[code]} {telegram_words.SERVICES_SHORT[lang][code]}"
        filters.append(Button(label, f"n|{letters}|{place}"))
    said = words(lang)
    follow = [Button(said["follow_area"], f"fa|{place}")]
    points = [
        Button(said["point_more"].format(n=i), data)
        for i, point in enumerate(found.points, 1)
        if (data := fits(f"p|{point.id}"))
    ]
    return (tuple(filters[:3]), tuple(filters[3:]), tuple(follow), tuple(points))


def read_place(text: str) -> tuple[float, float] | None:
    try:
        lat, lon = (float(part) for part in text.split("|"))
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


# --- the residents' commands and buttons ---------------------------------------------------


def remember_language(bot: Bot, chat: str, language: str | None) -> None:
    if isinstance(bot, TelegramBot):
        bot.languages.choose(chat, language)


def start(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    assert isinstance(bot, TelegramBot)
    link = bot.commands.get("link")
    if rest and link is not None:  # /start CODE: staff link this chat (the workspace's link)
        return link(bot, incoming, rest)
    lang = bot.language(incoming)
    said = words(lang)
    return [Message(incoming.chat, said["start"], ask_location=True, placeholder=said["share"])]


def help_(bot: Bot, incoming: Incoming, _rest: str) -> list[Action]:
    return [Message(incoming.chat, words(bot.language(incoming))["help"])]


def choose_language(bot: Bot, incoming: Incoming, _rest: str) -> list[Action]:
    buttons = ((Button("🇺🇦 Українська", "l|uk"), Button("🇬🇧 English", "l|en")),)
    return [Message(incoming.chat, words(bot.language(incoming))["lang"], buttons=buttons)]


def set_language(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    lang = "en" if rest == "en" else "uk"
    with bot.directory.db.write() as session:
        subscriptions.set_language(session, NAME, incoming.chat, lang, bot.now())
    remember_language(bot, incoming.chat, lang)
    return [Message(incoming.chat, words(lang)["lang_set"])]


def stop(bot: Bot, incoming: Incoming, _rest: str) -> list[Action]:
    lang = bot.language(incoming)
    with bot.directory.db.write() as session:
        staff = subscriptions.forget_chat(session, NAME, incoming.chat, incoming.user)
    remember_language(bot, incoming.chat, None)
    said = words(lang)
    forgotten = said["stopped"].format(staff=said["stopped_staff"] if staff else "")
    return [Message(incoming.chat, forgotten)]


def follows(bot: Bot, incoming: Incoming, _rest: str) -> list[Action]:
    lang = bot.language(incoming)
    said = words(lang)
    with bot.directory.db.read() as session:
        held = subscriptions.of_chat(session, NAME, incoming.chat)
    if not held:
        return [Message(incoming.chat, said["no_follows"])]
    rows = []
    for follow in held:
        if follow.point_id is not None:
            what = pick_name(follow.names or {"uk": follow.point_id}, lang)
        else:
            what = said["area"].format(place=f"{follow.lat:.4f}, {follow.lon:.4f}")
        rows.append((Button(said["unfollow"].format(what=what)[:60], f"uf|{follow.id}"),))
    return [Message(incoming.chat, said["follows"], buttons=tuple(rows))]


def filtered(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    letters, _, place = rest.partition("|")
    where = read_place(place)
    if where is None:
        return []
    lang = bot.language(incoming)
    services = tuple(LETTER_FILTERS[c] for c in letters if c in LETTER_FILTERS)
    asked = asking.Nearest(services, "")
    found = answering.nearest_open(bot.directory, asked, lang, where)
    assert isinstance(bot, TelegramBot)
    return [bot.nearest(incoming, found, lang, edit=incoming.message_id)]


def follow_area(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    where = read_place(rest)
    if where is None:
        return []
    lang = bot.language(incoming)
    region = nearest_region(bot, where, lang)
    with bot.directory.db.write() as session:
        subscriptions.follow_area(session, NAME, incoming.chat, where, region, lang, bot.now())
    km = subscriptions.AREA_RADIUS_M // 1000
    return [Message(incoming.chat, words(lang)["followed_area"].format(km=km))]


def nearest_region(bot: Bot, where: tuple[float, float], lang: str) -> str | None:
    """The region of the point nearest a place, open or not: whose broadcasts it gets."""
    asker = Asker(lang, bot.now(), where)
    found = answers.nearest(bot.directory.index, None, asker, 1, Filters.build())
    return found.points[0].details.region if found.points else None


def follow_point(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    lang = bot.language(incoming)
    with bot.directory.db.write() as session:
        point = subscriptions.follow_point(session, NAME, incoming.chat, rest, lang, bot.now())
        name = pick_name(point.name, lang)
    return [Message(incoming.chat, esc(words(lang)["followed_point"].format(name=name)))]


def point_card(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    assert isinstance(bot, TelegramBot)
    return bot.one_point(incoming, rest, bot.language(incoming))


def unfollow(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    if not rest.isdigit():
        return []
    with bot.directory.db.write() as session:
        subscriptions.unfollow(session, NAME, incoming.chat, int(rest))
    return [Message(incoming.chat, words(bot.language(incoming))["unfollowed"])]


RESIDENT_COMMANDS: dict[str, Handler] = {
    "start": start,
    "help": help_,
    "lang": choose_language,
    "language": choose_language,
    "stop": stop,
    "follows": follows,
}
RESIDENT_BUTTONS: dict[str, Handler] = {
    "n": filtered,
    "l": set_language,
    "fa": follow_area,
    "fp": follow_point,
    "p": point_card,
    "uf": unfollow,
}
