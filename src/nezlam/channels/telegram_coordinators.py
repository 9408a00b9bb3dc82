"""The bot for coordinators (and admins), from a linked account (telegram_staff.py links it):

- `/broadcast <region>` and, from the next line, the words — or just `/broadcast <words>` from
  a coordinator of one region — shows the message exactly as residents will get it and how many
  chats it goes to, with [Send N] and [Cancel]; Send queues it (store/broadcasts.py: one
  message per chat, once, however often the button is pressed), paced by the dispatcher at
  Telegram's limits, and the message then offers how far it got.
- `/alerts` sends the coordinators' notifications (full, closed, no power, low fuel) to this
  chat: a private chat gets those of its owner's regions, looked up when a point turns; a group
  or channel gets one region's (`/alerts <region>`), or every region's from an admin.
  `/alerts off` stops them.

Permissions are the store's (checked again inside each write); the words here only say no
plainly, in the chat's language, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nezlam.channels.telegram_api import Action, Button, Message
from nezlam.channels.telegram_events import broadcast_text
from nezlam.channels.telegram_staff import who
from nezlam.channels.telegram_types import MAX_INBOUND
from nezlam.channels.telegram_words import esc
from nezlam.domain.errors import DomainError, Invalid
from nezlam.domain.permissions import Principal
from nezlam.store import alert_chats, broadcasts
from nezlam.store.broadcasts import Decided

if TYPE_CHECKING:
    from nezlam.channels.telegram_types import Bot, Handler, Incoming

NAME = "telegram"
OFF = frozenset({"off", "stop", "вимкнути", "стоп"})

WORDS = {
    "uk": {
        "not_linked": "Розсилки й сповіщення — для координаторів. Прив'яжіть свій обліковий "
        "запис кодом з робочого кабінету Nezlam.",
        "not_staff": "Розсилки й сповіщення — лише для координаторів регіонів і адміністраторів.",
        "not_theirs": "Ви не координуєте регіон «{region}».",
        "usage": "Напишіть /broadcast і регіон, а з нового рядка — текст (до {max} символів):\n"
        "<code>/broadcast {region}\nТекст повідомлення</code>",
        "which": "Для якого регіону? Ваші регіони: {regions}.",
        "bad_text": "Текст розсилки — від 1 до {max} символів.",
        "too_long": "Повідомлення задовге: текст розсилки — до {max} символів.",
        "will_send": "Одержувачів: {n} — чати, що стежать за пунктами в регіоні «{region}».",
        "nobody": "За пунктами в регіоні «{region}» ще ніхто не стежить: надсилати нікому.",
        "send": "📢 Надіслати {n}", "cancel": "✖ Скасувати", "progress": "↻ Скільки надіслано",
        "queued": "✅ У черзі: {n}. Надсилаємо з тією швидкістю, яку дозволяє Telegram.",
        "cancelled": "✖ Розсилку скасовано: нічого не надіслано.",
        "was_queued": "Розсилку вже поставлено в чергу: скасувати її не можна.",
        "sent": "📢 Надіслано {sent} з {n}; чекають {waiting}.",
        "refused": "Не зроблено: {problem}",
        "alerts_mine": "🔔 Сюди надходитимуть сповіщення (немає місць, зачинено, немає "
        "живлення, мало пального) про пункти {regions}. /alerts off — вимкнути.",
        "alerts_region": "🔔 У цей чат надходитимуть сповіщення про пункти в регіоні "
        "«{region}». /alerts off — вимкнути.",
        "alerts_all": "🔔 У цей чат надходитимуть сповіщення про пункти в усіх регіонах. "
        "/alerts off — вимкнути.",
        "alerts_which": "Для якого регіону? Напишіть /alerts і регіон. Ваші регіони: {regions}.",
        "alerts_off": "🔕 Сповіщення в цей чат вимкнено.",
        "alerts_none": "У цей чат сповіщення й так не надходять.",
        "alerts_not_yours": "Сповіщення в цей чат увімкнув інший координатор: змінити їх "
        "можуть координатори того регіону.",
        "your_regions": "ваших регіонів ({regions})", "every_region": "усіх регіонів",
    },
    "en": {
        "not_linked": "Broadcasts and alerts are for coordinators. Link your account with the "
        "code in the Nezlam workspace.",
        "not_staff": "Broadcasts and alerts are for regional coordinators and admins only.",
        "not_theirs": "You do not coordinate the region '{region}'.",
        "usage": "Send /broadcast and the region, then the words on the next line (up to {max} "
        "characters):\n<code>/broadcast {region}\nYour message</code>",
        "which": "Which region? Yours: {regions}.",
        "bad_text": "A broadcast is 1 to {max} characters.",
        "too_long": "That message is too long: a broadcast is at most {max} characters.",
        "will_send": "Recipients: {n} — the chats following points in '{region}'.",
        "nobody": "Nobody follows points in '{region}' yet: there is no one to send it to.",
        "send": "📢 Send {n}", "cancel": "✖ Cancel", "progress": "↻ How far",
        "queued": "✅ Queued: {n}, paced at Telegram's limit.",
        "cancelled": "✖ Broadcast cancelled: nothing was sent.",
        "was_queued": "This broadcast is already queued: it cannot be cancelled.",
        "sent": "📢 Sent {sent} of {n}; {waiting} waiting.",
        "refused": "Not done: {problem}",
        "alerts_mine": "🔔 Alerts (full, closed, no power, low on fuel) about points in "
        "{regions} will come here. /alerts off — stop them.",
        "alerts_region": "🔔 Alerts about points in '{region}' will come to this chat. "
        "/alerts off — stop them.",
        "alerts_all": "🔔 Alerts about points in every region will come to this chat. "
        "/alerts off — stop them.",
        "alerts_which": "Which region? Send /alerts and the region. Yours: {regions}.",
        "alerts_off": "🔕 No more alerts to this chat.",
        "alerts_none": "No alerts come to this chat anyway.",
        "alerts_not_yours": "Another coordinator set this chat's alerts: that region's "
        "coordinators may change them.",
        "your_regions": "your regions ({regions})", "every_region": "every region",
    },
}  # fmt: skip


def words(lang: str) -> dict[str, str]:
    return WORDS["en" if lang == "en" else "uk"]


def say(incoming: Incoming, text: str, **more: object) -> Message:
    return Message(incoming.chat, text, **more)  # type: ignore[arg-type]


def staff(bot: Bot, incoming: Incoming, lang: str) -> Principal | Message:
    """The linked coordinator or admin writing, or the words that say why not."""
    principal = who(bot, incoming)
    if principal is None:
        return say(incoming, words(lang)["not_linked"])
    if not principal.is_admin and not principal.regions:
        return say(incoming, words(lang)["not_staff"])
    return principal


def match_region(named: str, regions: Iterable[str]) -> str | None:
    """The region `named` spells (any case), or None."""
    wanted = named.strip().casefold()
    return next((region for region in regions if region.casefold() == wanted), None)


def addressed(rest: str, principal: Principal, known: list[str]) -> tuple[str | None, str]:
    """(region, words) of `/broadcast <region>\\n<words>`, or of `/broadcast <words>` from the
    coordinator of one region; region None when it must be named."""
    first, _, body = rest.partition("\n")
    named = match_region(first, [*principal.regions, *known])
    if named is not None:
        return named, body
    own = sorted(principal.regions)
    if len(own) == 1 and not principal.is_admin:
        return own[0], rest
    return None, rest


def listed(principal: Principal, said: dict[str, str]) -> str:
    return ", ".join(sorted(principal.regions)) or said["every_region"]


# --- /broadcast ---------------------------------------------------------------------------


def broadcast(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    """A draft and its preview, with the buttons that send or cancel it."""
    lang = bot.language(incoming)
    said = words(lang)
    principal = staff(bot, incoming, lang)
    if isinstance(principal, Message):
        return [principal]
    if len(incoming.text) >= MAX_INBOUND:  # the bot read no further: never send words cut off
        return [say(incoming, said["too_long"].format(max=broadcasts.TEXT_MAX))]
    with bot.directory.db.read() as session:
        known = broadcasts.known_regions(session)
    region, text = addressed(rest, principal, known)
    if not text.strip():
        example = esc(region or next(iter(sorted(principal.regions)), "Київ"))
        return [say(incoming, said["usage"].format(max=broadcasts.TEXT_MAX, region=example))]
    if region is None:
        return [say(incoming, esc(said["which"].format(regions=listed(principal, said))))]
    if not principal.coordinates_region(region):
        return [say(incoming, esc(said["not_theirs"].format(region=region)))]
    try:
        with bot.directory.db.write() as session:
            draft = broadcasts.draft(session, NAME, region, text, principal, bot.now())
    except Invalid:
        return [say(incoming, said["bad_text"].format(max=broadcasts.TEXT_MAX))]
    return [preview(incoming, lang, draft.id, region, draft.text, draft.recipients)]


def preview(
    incoming: Incoming, lang: str, number: int, region: str, text: str, recipients: int
) -> Message:
    said = words(lang)
    shown = broadcast_text({"lang": lang, "region": region, "text": text})
    if not recipients:
        return say(incoming, f"{shown}\n\n<i>{esc(said['nobody'].format(region=region))}</i>")
    note = esc(said["will_send"].format(n=recipients, region=region))
    rows = (
        (
            Button(said["send"].format(n=recipients), f"b|{number}|y"),
            Button(said["cancel"], f"b|{number}|n"),
        ),
    )
    return say(incoming, f"{shown}\n\n<i>{note}</i>", buttons=rows)


def decide(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    """[Send N] (y), [Cancel] (n) or [How far] (p) under a preview: the message says what
    became of the broadcast."""
    number, _, choice = rest.partition("|")
    if not number.isdigit() or choice not in ("y", "n", "p"):
        return []
    lang = bot.language(incoming)
    said = words(lang)
    principal = who(bot, incoming)
    if principal is None:
        return [say(incoming, said["not_linked"])]
    try:
        if choice == "p":
            return [how_far(bot, incoming, lang, int(number), principal)]
        act = broadcasts.confirm if choice == "y" else broadcasts.cancel
        with bot.directory.db.write() as session:
            done = act(session, int(number), principal, bot.now())
    except DomainError as refused:
        return [say(incoming, esc(said["refused"].format(problem=refused.problem)))]
    return [decision(incoming, lang, done, choice)]


def decision(incoming: Incoming, lang: str, done: Decided, choice: str) -> Message:
    """The preview, now saying it is queued (with [How far]) or cancelled."""
    said = words(lang)
    shown = broadcast_text({"lang": lang, "region": done.region, "text": done.text})
    if done.status != broadcasts.QUEUED:
        return say(incoming, f"{shown}\n\n<i>{said['cancelled']}</i>", edit=incoming.message_id)
    note = said["queued"].format(n=done.recipients)
    if choice == "n":  # too late: a Send before it queued the broadcast
        note = f"{said['was_queued']} {note}"
    rows = ((Button(said["progress"], f"b|{done.id}|p"),),)
    text = f"{shown}\n\n<i>{esc(note)}</i>"
    return say(incoming, text, buttons=rows, edit=incoming.message_id)


def how_far(bot: Bot, incoming: Incoming, lang: str, number: int, principal: Principal) -> Message:
    """How many of a queued broadcast's messages went, and how many wait."""
    said = words(lang)
    with bot.directory.db.read() as session:
        done = broadcasts.status_of(session, number, principal)
        waiting = broadcasts.progress(session, number)
    sent = max(done.recipients - waiting, 0)
    shown = broadcast_text({"lang": lang, "region": done.region, "text": done.text})
    note = said["sent"].format(sent=sent, n=done.recipients, waiting=waiting)
    rows = ((Button(said["progress"], f"b|{number}|p"),),) if waiting else ()
    text = f"{shown}\n\n<i>{esc(note)}</i>"
    return say(incoming, text, buttons=rows, edit=incoming.message_id)


# --- /alerts ------------------------------------------------------------------------------


def alerts(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    """This chat gets the coordinators' notifications: its owner's regions in a private chat,
    one region's (or an admin's every region) in a group or channel; `off` stops them."""
    lang = bot.language(incoming)
    said = words(lang)
    principal = staff(bot, incoming, lang)
    if isinstance(principal, Message):
        return [principal]
    if rest.strip().casefold() in OFF:
        return [alerts_off(bot, incoming, principal, said)]
    if incoming.private:
        region, user_id = None, principal.user_id
        regions = said["every_region"] if principal.is_admin else said["your_regions"]
        answer = said["alerts_mine"].format(regions=regions.format(regions=listed(principal, said)))
    else:
        chosen = group_region(bot, principal, rest)
        if isinstance(chosen, Refusal):
            return [say(incoming, esc(said[chosen.key].format(**chosen.facts)))]
        region, user_id = chosen, None
        answer = said["alerts_region"].format(region=region) if region else said["alerts_all"]
    with bot.directory.db.write() as session:
        if not alert_chats.may_change(principal, alert_chats.of_chat(session, NAME, incoming.chat)):
            return [say(incoming, said["alerts_not_yours"])]
        alert_chats.add(session, NAME, incoming.chat, region, lang, user_id, bot.now())
    return [say(incoming, esc(answer))]


@dataclass(frozen=True)
class Refusal:
    """Why a group's region was not chosen: a key of WORDS and what it names."""

    key: str
    facts: dict[str, str]


def group_region(bot: Bot, principal: Principal, rest: str) -> str | None | Refusal:
    """The region a group's alerts are for: the one named, the coordinator's only one, or None
    (every region) from an admin who names none."""
    regions = ", ".join(sorted(principal.regions)) or "—"
    if not rest.strip():
        own = sorted(principal.regions)
        if principal.is_admin:
            return None
        return own[0] if len(own) == 1 else Refusal("alerts_which", {"regions": regions})
    with bot.directory.db.read() as session:
        known = broadcasts.known_regions(session)
    region = match_region(rest, [*principal.regions, *known])
    if region is None:
        return Refusal("alerts_which", {"regions": regions})
    if not principal.coordinates_region(region):
        return Refusal("not_theirs", {"region": region})
    return region


def alerts_off(bot: Bot, incoming: Incoming, principal: Principal, said: dict[str, str]) -> Message:
    with bot.directory.db.write() as session:
        row = alert_chats.of_chat(session, NAME, incoming.chat)
        if row is None:
            return say(incoming, said["alerts_none"])
        if not alert_chats.may_change(principal, row):
            return say(incoming, said["alerts_not_yours"])
        alert_chats.remove(session, NAME, incoming.chat)
    return say(incoming, said["alerts_off"])


COMMANDS: dict[str, Handler] = {"broadcast": broadcast, "alerts": alerts}
BUTTONS: dict[str, Handler] = {"b": decide}
REPLIES: dict[str, Handler] = {}
