"""After a visit, in the bot: four quick questions — was it open, warm, could you charge, was
there internet — one message edited from question to question (the answers so far ride in the
buttons' data, nothing is kept meanwhile), then counted like the finder page's answers
(store/visits.py, source "telegram": no chat, no account), and an offer of a few words, which
wait for a coordinator's moderation. What visitors said over the last week is shown with a
point's answer ("12 visitors this week: warm 11, internet 7").

One chat answers about one point at most once in VISIT_EVERY (counted in memory, as a keyed
hash): a visitor's word, not a vote to repeat.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from nezlam.channels import telegram_words
from nezlam.channels.pacing import Pacing, SenderLimit
from nezlam.channels.telegram_api import Action, Button, Message
from nezlam.channels.telegram_words import esc
from nezlam.domain.point_view import pick_name
from nezlam.store import visits

if TYPE_CHECKING:
    from nezlam.channels.telegram_types import Bot, Handler, Incoming

NAME = "telegram"
VISIT_EVERY = 6 * 3600.0  # seconds between two visits of one chat to one point
COMMENT_MARK = "📝"
_COMMENT_ASKED = re.compile(r"📝\s*([a-z0-9][a-z0-9_-]*)\s*:")
ANSWER_CODES = {"y": True, "n": False, "-": None}

WORDS: dict[str, dict[str, object]] = {
    "uk": {
        "questions": ("Чи був пункт відчинений?", "Чи було там тепло?",
                      "Чи вдалося зарядити телефон?", "Чи був інтернет?"),
        "about": "📝 Ваш візит до «{name}»",
        "yes": "Так", "no": "Ні", "skip": "Пропустити",
        "thanks": "Дякуємо! Ваші відповіді враховано — без імені й номера чату.",
        "comment": "📝 {point_id}: хочете додати кілька слів для координаторів? Відповідайте на "
        "це повідомлення (необов'язково; з'явиться публічно лише після перевірки).",
        "comment_saved": "Дякуємо! Координатори прочитають і, можливо, опублікують.",
        "again": "Ви вже відповідали про цей пункт нещодавно. Дякуємо!",
        "summary": "👥 {n} відвідувачів за тиждень: {parts}",
        "parts": {"was_open": "відчинено {yes}", "warm": "тепло {yes}",
                  "charged": "зарядили {yes}", "internet": "інтернет {yes}"},
        "was_here": "📝 Я тут був(ла)",
        "follow": "🔔 Стежити",
    },
    "en": {
        "questions": ("Was the point open?", "Was it warm?", "Could you charge your phone?",
                      "Was there internet?"),
        "about": "📝 Your visit to '{name}'",
        "yes": "Yes", "no": "No", "skip": "Skip",
        "thanks": "Thank you! Your answers are counted — with no name and no chat kept.",
        "comment": "📝 {point_id}: a few words for the coordinators? Reply to this message "
        "(optional; shown publicly only once checked).",
        "comment_saved": "Thank you! The coordinators will read it and may publish it.",
        "again": "You answered about this point recently. Thank you!",
        "summary": "👥 {n} visitors this week: {parts}",
        "parts": {"was_open": "open {yes}", "warm": "warm {yes}", "charged": "charged {yes}",
                  "internet": "internet {yes}"},
        "was_here": "📝 I was here",
        "follow": "🔔 Follow",
    },
}  # fmt: skip


def words(lang: str) -> dict[str, object]:
    return WORDS["en" if lang == "en" else "uk"]


def said(lang: str, key: str) -> str:
    value = words(lang)[key]
    assert isinstance(value, str)
    return value


LIMITS: WeakKeyDictionary[Bot, SenderLimit] = WeakKeyDictionary()


def limit_of(bot: Bot) -> SenderLimit:
    """Each bot's own count of (chat, point) visits, on its clock."""
    limit = LIMITS.get(bot)
    if limit is None:
        limit = LIMITS[bot] = SenderLimit(Pacing(answers=1, answers_per=VISIT_EVERY), bot.monotonic)
    return limit


def point_buttons(point_id: str, lang: str) -> tuple[tuple[Button, ...], ...]:
    """Under one point's answer: follow it, and "I was here"."""
    row = []
    if len(f"v|{point_id}|yyy".encode()) <= 64:
        row.append(Button(said(lang, "was_here"), f"v|{point_id}|"))
    row.append(Button(said(lang, "follow"), f"fp|{point_id}"))
    return (tuple(row),)


def card(bot: Bot, incoming: Incoming, point_id: str) -> list[Action]:
    """One point's card (its answer, a "ℹ️" button), what its visitors said this week, and
    "I was here" / follow."""
    lang = bot.language(incoming)
    text = bot.point_text(point_id, lang)
    if text is None:
        missing = telegram_words.words(lang)["no_point"].format(point_id=point_id)
        return [Message(incoming.chat, esc(missing))]
    visited = summary_line(bot, point_id, lang)
    if visited:
        text += "\n" + esc(visited)
    return [Message(incoming.chat, text, point_buttons(point_id, lang))]


def summary_line(bot: Bot, point_id: str, lang: str) -> str | None:
    """ "👥 12 відвідувачів за тиждень: відчинено 12, тепло 11, …", or None before anyone."""
    with bot.directory.db.read() as session:
        found = visits.summary(session, point_id, bot.now() - visits.WEEK)
    if found.visitors == 0:
        return None
    parts = words(lang)["parts"]
    assert isinstance(parts, dict)
    listed = ", ".join(
        parts[q].format(yes=found.tallies[q].yes)
        for q in visits.QUESTIONS
        if found.tallies[q].yes or found.tallies[q].no
    )
    return said(lang, "summary").format(n=found.visitors, parts=listed)


def question(
    chat: str, point_id: str, name: str, given: str, lang: str, edit: int | None
) -> Message:
    asked = words(lang)["questions"]
    assert isinstance(asked, tuple)
    text = f"{esc(said(lang, 'about').format(name=name))}\n\n<b>{esc(asked[len(given)])}</b>"
    data = f"v|{point_id}|{given}"
    buttons = (
        (
            Button(said(lang, "yes"), data + "y"),
            Button(said(lang, "no"), data + "n"),
            Button(said(lang, "skip"), data + "-"),
        ),
    )
    return Message(chat, text, buttons, edit=edit)


def answered(bot: Bot, incoming: Incoming, rest: str) -> list[Action]:
    """A press in the questions: the next question, or — after the fourth — the count."""
    point_id, _, given = rest.partition("|")
    lang = bot.language(incoming)
    if any(code not in ANSWER_CODES for code in given) or len(given) > 4 or not point_id:
        return []
    if len(given) < 4:
        point = bot.directory.index.snapshot.position.get(point_id)
        if point is None:
            return []
        name = bot.directory.index.snapshot.views[point].name
        named = pick_name(name, lang)
        return [question(incoming.chat, point_id, named, given, lang, incoming.message_id)]
    if not limit_of(bot).allow(f"{incoming.chat}:{point_id}"):
        return [Message(incoming.chat, said(lang, "again"), edit=incoming.message_id)]
    answers = visits.Answers(*(ANSWER_CODES[code] for code in given))
    if answers.given:
        with bot.directory.db.write() as session:
            visits.record(session, point_id, answers, language=lang, source=NAME, now=bot.now())
    offer = said(lang, "comment").format(point_id=point_id)
    return [
        Message(incoming.chat, said(lang, "thanks"), edit=incoming.message_id),
        Message(incoming.chat, esc(offer), force_reply=True),
    ]


def commented(bot: Bot, incoming: Incoming, text: str) -> list[Action]:
    """A reply to "a few words?": the comment, waiting for moderation."""
    asked = _COMMENT_ASKED.search(incoming.replying_to or "")
    if asked is None or not text.strip():
        return []
    lang = bot.language(incoming)
    with bot.directory.db.write() as session:
        visits.record(
            session,
            asked.group(1),
            visits.Answers(),
            text[: visits.COMMENT_LIMIT],
            language=lang,
            source=NAME,
            now=bot.now(),
        )
    return [Message(incoming.chat, said(lang, "comment_saved"))]


POINT_CARD: Handler = card
COMMANDS: dict[str, Handler] = {}
BUTTONS: dict[str, Handler] = {"v": answered}
REPLIES: dict[str, Handler] = {COMMENT_MARK: commented}
