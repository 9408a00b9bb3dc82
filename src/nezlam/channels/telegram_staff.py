"""The bot for operators: link a Telegram account to a Nezlam account with the one-time code the
workspace shows (`/start CODE`, `/link CODE`), then a card per point with one-tap buttons —
still current, open / standby / full / closed, people inside ±1, fuel — and `/unlink`.

Every tap is a report through the web's own ReportJob: the same permission check (an operator
only on their points, a coordinator in their regions), looked up again inside the write, the
same audit log and notifications, `source = "telegram"`, and the pressed button's callback id as
the idempotency key, so a webhook call Telegram repeats writes once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from nezlam.channels.telegram_api import Action, Button, Message
from nezlam.channels.telegram_words import esc, status_dot
from nezlam.domain.errors import DomainError, Forbidden, NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.point_view import pick_name
from nezlam.domain.points import ReportCreate
from nezlam.domain.vocabulary import Role, Status
from nezlam.report_writer import ReportJob
from nezlam.store import channel_links, link_codes
from nezlam.store.actor import Actor
from nezlam.store.tables import Point

if TYPE_CHECKING:
    from nezlam.channels.telegram_types import Bot, Handler, Incoming

NAME = "telegram"
MAX_CARDS = 10  # /points shows at most this many cards; more by /points <id>
FUEL_MARK = "⛽"
_FUEL_ASKED = re.compile(r"⛽\s*([a-z0-9][a-z0-9_-]*)\s*:")
_NUMBER = re.compile(r"^\s*(\d{1,6}(?:[.,]\d{1,2})?)\s*(?:л|l|litres|liters|літрів)?\s*$", re.I)

WORDS = {
    "uk": {
        "linked": "✅ Цей Telegram прив'язано до облікового запису {username}. /points — ваші "
        "пункти, /unlink — відв'язати.",
        "unlinked": "Telegram відв'язано від облікового запису.",
        "not_linked": "Цей Telegram не прив'язано до облікового запису. Код для прив'язки є "
        "у робочому кабінеті Nezlam.",
        "private": "Прив'язати обліковий запис можна лише в особистому чаті з ботом.",
        "no_points": "За вами не закріплено жодного пункту. Напишіть /points і номер пункту.",
        "more": "Ще {n} пунктів: /points і номер пункту.",
        "verify": "✅ Усе актуально", "open": "Відчинено", "standby": "Резерв",
        "full": "Немає місць", "closed": "Зачинено", "fuel": "⛽ Пальне",
        "people": "👥 {occupancy} з {capacity}", "people_none": "👥 людей не вказано",
        "litres": "⛽ {litres} л", "fuel_ask": "⛽ {point_id}: скільки літрів пального зараз? "
        "Напишіть число у відповідь.",
        "fuel_bad": "Напишіть кількість літрів числом, напр. 120.",
        "saved": "✅ Записано.", "replayed": "Уже записано.",
        "forbidden": "Не записано: пункт {point_id} не ваш.",
        "no_point": "Немає пункту {point_id}.",
        "refused": "Не записано: {problem}",
    },
    "en": {
        "linked": "✅ This Telegram is linked to the account {username}. /points — your points, "
        "/unlink — unlink.",
        "unlinked": "Telegram unlinked from the account.",
        "not_linked": "This Telegram is not linked to an account. The link code is in the "
        "Nezlam workspace.",
        "private": "Link an account only in a private chat with the bot.",
        "no_points": "No point is assigned to you. Send /points and a point's id.",
        "more": "{n} more points: /points and a point's id.",
        "verify": "✅ Still current", "open": "Open", "standby": "Standby", "full": "Full",
        "closed": "Closed", "fuel": "⛽ Fuel",
        "people": "👥 {occupancy} of {capacity}", "people_none": "👥 people not given",
        "litres": "⛽ {litres} l", "fuel_ask": "⛽ {point_id}: how many litres of fuel now? "
        "Reply with a number.",
        "fuel_bad": "Send the litres as a number, e.g. 120.",
        "saved": "✅ Saved.", "replayed": "Already saved.",
        "forbidden": "Not saved: point {point_id} is not yours.",
        "no_point": "No point {point_id}.", "refused": "Not saved: {problem}",
    },
}  # fmt: skip
ACTIONS = ("v", "open", "standby", "full", "closed", "+", "-")


def words(lang: str) -> dict[str, str]:
    return WORDS["en" if lang == "en" else "uk"]


def who(bot: Bot, incoming: Incoming) -> Principal | None:
    if incoming.user is None:
        return None
    with bot.directory.db.read() as session:
        return channel_links.principal_for_sender(session, NAME, incoming.user)


def link(bot: Bot, incoming: Incoming, code: str) -> list[Action]:
    """`/start CODE` or `/link CODE`: this Telegram account becomes the code's account."""
    lang = bot.language(incoming)
    if not incoming.private or incoming.user is None:
        return [Message(incoming.chat, words(lang)["private"])]
    with bot.directory.db.write() as session:
        username = link_codes.redeem(session, NAME, code, incoming.user, bot.now())
    return [Message(incoming.chat, esc(words(lang)["linked"].format(username=username)))]


def unlink(bot: Bot, incoming: Incoming, _rest: str) -> list[Action]:
    lang = bot.language(incoming)
    principal = who(bot, incoming)
    if principal is None or incoming.user is None:
        return [Message(incoming.chat, words(lang)["not_linked"])]
    with bot.directory.db.write() as session:
        channel_links.unlink(session, NAME, incoming.user, Actor.of(principal), bot.now())
    return [Message(incoming.chat, words(lang)["unlinked"])]


def operated(principal: Principal) -> list[str]:
    return sorted({g.point_id for g in principal.grants if g.role == Role.OPERATOR and g.point_id})


def points(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    """A card per point the account operates (or the one named), each with its buttons."""
    lang = bot.language(incoming)
    principal = who(bot, incoming)
    if principal is None:
        return [Message(incoming.chat, words(lang)["not_linked"])]
    wanted = [rest.strip().lower()] if rest.strip() else operated(principal)
    if not wanted:
        return [Message(incoming.chat, words(lang)["no_points"])]
    cards: list[Action] = []
    with bot.directory.db.read() as session:
        for point_id in wanted[:MAX_CARDS]:
            point = session.get(Point, point_id)
            if point is None:
                cards.append(
                    Message(incoming.chat, esc(words(lang)["no_point"].format(point_id=point_id)))
                )
            else:
                cards.append(card(incoming.chat, point, lang))
    if len(wanted) > MAX_CARDS:
        cards.append(Message(incoming.chat, words(lang)["more"].format(n=len(wanted) - MAX_CARDS)))
    return cards


def card(
    chat: str, point: Any, lang: str, note: str | None = None, edit: int | None = None
) -> Message:
    """A point as its operator sees it in a chat, with the one-tap buttons."""
    said = words(lang)
    lines = [f"<b>{esc(pick_name(point.name, lang))}</b> · <code>{esc(point.id)}</code>"]
    lines.append(f"{status_dot(point.status)} {esc(said.get(point.status or '', '—'))}")
    if point.occupancy is not None and point.capacity:
        lines.append(said["people"].format(occupancy=point.occupancy, capacity=point.capacity))
    if point.fuel_litres is not None:
        lines.append(said["litres"].format(litres=f"{point.fuel_litres:g}"))
    if note:
        lines.append(esc(note))
    return Message(chat, "\n".join(lines), buttons(point.id, lang), edit=edit)


def buttons(point_id: str, lang: str) -> tuple[tuple[Button, ...], ...]:
    said = words(lang)
    if len(f"o|{point_id}|standby".encode()) > 64:
        return ()
    data = f"o|{point_id}|"
    return (
        (Button(said["verify"], data + "v"),),
        tuple(Button(said[s], data + s) for s in ("open", "standby", "full", "closed")),
        (
            Button("👥 −1", data + "-"),
            Button("👥 +1", data + "+"),
            Button(said["fuel"], data + "f"),
        ),
    )


def report_of(action: str) -> ReportCreate:
    if action == "v":
        return ReportCreate(verify=True)
    if action in ("+", "-"):
        return ReportCreate(occupancy_change=1 if action == "+" else -1)
    return ReportCreate(status=Status(action))


def tapped(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    """One of a card's buttons: write the report, then show the card as it is now."""
    point_id, _, action = rest.rpartition("|")
    lang = bot.language(incoming)
    if action == "f":
        ask = words(lang)["fuel_ask"].format(point_id=point_id)
        return [Message(incoming.chat, esc(ask), force_reply=True, placeholder="120")]
    if action not in ACTIONS or not point_id:
        return []
    key = f"telegram:{incoming.callback_id}"
    return [write(bot, incoming, point_id, report_of(action), key, lang, incoming.message_id)]


def write(
    bot: Bot,
    incoming: Incoming,
    point_id: str,
    report: ReportCreate,
    key: str | None,
    lang: str,
    edit: int | None = None,
) -> Message:
    said = words(lang)
    user = incoming.user or ""

    def identify(session: Session) -> Principal | None:
        return channel_links.principal_for_sender(session, NAME, user)

    job = ReportJob(point_id, report, identify, key, bot.now(), NAME)
    try:
        with bot.directory.db.write() as session:
            _report, created, point = job.write(session)
    except Forbidden:
        return Message(incoming.chat, esc(said["forbidden"].format(point_id=point_id)))
    except NotFound:
        return Message(incoming.chat, esc(said["no_point"].format(point_id=point_id)))
    except DomainError as exc:
        return Message(incoming.chat, esc(said["refused"].format(problem=exc.problem)))
    note = said["saved"] if created else said["replayed"]
    return card(incoming.chat, point, lang, note, edit)


def fuel_reply(bot: Bot, incoming: Incoming, text: str) -> list[Action]:
    """The number an operator sent in answer to "how many litres?"."""
    lang = bot.language(incoming)
    asked = _FUEL_ASKED.search(incoming.replying_to or "")
    number = _NUMBER.match(text)
    if asked is None:
        return []
    if number is None:
        return [Message(incoming.chat, words(lang)["fuel_bad"], force_reply=True)]
    litres = float(number.group(1).replace(",", "."))
    report = ReportCreate(fuel_litres=litres)
    return [write(bot, incoming, asked.group(1), report, None, lang)]


COMMANDS: dict[str, Handler] = {
    "link": link,
    "unlink": unlink,
    "points": points,
}
BUTTONS: dict[str, Handler] = {"o": tapped}
REPLIES: dict[str, Handler] = {FUEL_MARK: fuel_reply}
