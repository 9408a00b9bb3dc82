"""Coordinators in the Telegram bot, through the real webhook route and python-telegram-bot
against the fake Bot API (tests/fake_telegram.py): a broadcast is previewed as residents will
read it, queued once however often Send is pressed, sent one message per following chat —
through a restart, a 429 and Telegram's pacing, on a virtual clock — and `/alerts` sends a
coordinator's notifications to their chat.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from nezlam.channels import telegram
from nezlam.channels.dispatcher import Round, run_round
from nezlam.channels.pacing import Pacer
from nezlam.channels.telegram_events import broadcast_text
from nezlam.config import Settings, TelegramSettings
from nezlam.domain.errors import Forbidden, Invalid
from nezlam.domain.points import ReportCreate
from nezlam.store import (
    accounts,
    alert_chats,
    broadcasts,
    link_codes,
    message_outbox,
    reports,
    subscriptions,
)
from nezlam.store.actor import CLI
from nezlam.store.tables import AlertChat, AuditEntry, User
from tests import test_telegram
from tests.fake_telegram import TOKEN, button_update, text_update
from tests.test_telegram import SECRET, buttons, post, reply

fake = test_telegram.fake
bot = test_telegram.bot

COORDINATOR = 5553003
OTHER_STAFF = 5554004
FOLLOWER = 7000000  # residents' chats are FOLLOWER, FOLLOWER + 1, …
GROUP = -1001234567
WORDS = "Завтра з 9:00 — <b>гаряча</b> їжа біля входу"


def link(db, clock, username: str, address: int = COORDINATOR) -> None:
    """`username`'s Telegram account is `address`, linked with a workspace code."""
    with db.write() as session:
        user_id = session.execute(sa.select(User.id).where(User.username == username)).scalar_one()
        code = link_codes.issue(session, user_id, "telegram", clock())
    with db.write() as session:
        link_codes.redeem(session, "telegram", code, str(address), clock())


def follow(db, clock, chats: range | list[int], point_id: str = "point-a", lang: str = "uk"):
    with db.write() as session:
        for chat in chats:
            subscriptions.follow_point(session, "telegram", str(chat), point_id, lang, clock())


def principal(db, username: str):
    with db.read() as session:
        return accounts.principal_for(session, accounts.get_user(session, username))


def queued(db) -> list[Any]:
    with db.read() as session:
        return session.execute(
            sa.select(message_outbox.MESSAGES).order_by(message_outbox.MESSAGES.c.id)
        ).all()


def ask_broadcast(client, text: str, chat: int = COORDINATOR) -> dict[str, Any]:
    return reply(post(client, text_update(chat, f"/broadcast {text}")))


def press(client, data: str, query_id: str, chat: int = COORDINATOR) -> dict[str, Any]:
    return reply(post(client, button_update(chat, data, message_id=41, query_id=query_id)))


def send_button(answer: dict[str, Any]) -> str:
    [send, _cancel] = buttons(answer)
    return send["callback_data"]


def resident_text(lang: str, region: str = "Київ", text: str = WORDS) -> str:
    return broadcast_text({"lang": lang, "region": region, "text": text})


# -- preview, confirm, cancel ---------------------------------------------------------------


def test_a_preview_then_send_queues_one_message_per_following_chat(bot, db, clock, fake):
    link(db, clock, "coordinator_a")
    follow(db, clock, [FOLLOWER, FOLLOWER + 1])
    follow(db, clock, [FOLLOWER + 1], "near-1")  # two follows in the region: still one message
    follow(db, clock, [FOLLOWER + 2], "near-1", lang="en")
    follow(db, clock, [FOLLOWER + 3], "point-b")  # another region
    with db.write() as session:
        subscriptions.set_language(session, "telegram", str(FOLLOWER + 1), "en", clock())

    preview = ask_broadcast(bot, f"Київ\n{WORDS}")
    assert preview["text"].startswith(resident_text("uk"))
    assert "&lt;b&gt;гаряча&lt;/b&gt;" in preview["text"]  # the words are text, not markup
    assert "Одержувачів: 3" in preview["text"] and "«Київ»" in preview["text"]
    [send, cancel] = buttons(preview)
    assert send["text"] == "📢 Надіслати 3" and cancel["text"] == "✖ Скасувати"
    assert queued(db) == []  # nothing goes before Send

    sent = press(bot, send["callback_data"], "tap-send")
    assert sent["method"] == "editMessageText" and sent["message_id"] == 41
    assert "✅ У черзі: 3" in sent["text"] and sent["text"].startswith(resident_text("uk"))
    rows = queued(db)
    assert sorted(row.destination for row in rows) == [str(FOLLOWER + i) for i in range(3)]
    assert {row.priority for row in rows} == {message_outbox.BULK}
    langs = {row.destination: orjson.loads(row.text)["lang"] for row in rows}
    assert langs == {str(FOLLOWER): "uk", str(FOLLOWER + 1): "en", str(FOLLOWER + 2): "en"}

    deliver(bot, db, clock)
    told = {call["chat_id"]: call["text"] for call in fake.sent() if call["chat_id"] >= FOLLOWER}
    assert told == {
        FOLLOWER: resident_text("uk"),
        FOLLOWER + 1: resident_text("en"),
        FOLLOWER + 2: resident_text("en"),
    }
    with db.read() as session:
        [audited] = session.execute(
            sa.select(AuditEntry).where(AuditEntry.entity == "broadcast")
        ).scalars()
    assert (audited.actor, audited.action) == ("user:coordinator_a", "queue")
    assert audited.after["recipients"] == 3 and audited.after["text"] == WORDS


def test_a_second_send_queues_nothing_more(bot, db, clock):
    link(db, clock, "coordinator_a")
    follow(db, clock, range(FOLLOWER, FOLLOWER + 3))
    data = send_button(ask_broadcast(bot, f"Київ\n{WORDS}"))
    press(bot, data, "tap-1")
    again = press(bot, data, "tap-1")  # Telegram repeating its webhook call
    double = press(bot, data, "tap-2")  # a double tap
    assert "✅ У черзі: 3" in again["text"] and "✅ У черзі: 3" in double["text"]
    assert len(queued(db)) == 3
    late_cancel = press(bot, data.replace("|y", "|n"), "tap-3")
    assert "скасувати її не можна" in late_cancel["text"]
    assert len(queued(db)) == 3


def test_a_coordinator_of_one_region_need_not_name_it(bot, db, clock):
    link(db, clock, "coordinator_a")
    follow(db, clock, [FOLLOWER])
    preview = ask_broadcast(bot, "Вода є з 8:00")
    assert preview["text"].startswith(resident_text("uk", text="Вода є з 8:00"))
    assert "Одержувачів: 1" in preview["text"]


def test_the_command_may_end_its_line_before_the_words(bot, db, clock):
    link(db, clock, "coordinator_a")
    follow(db, clock, [FOLLOWER])
    preview = reply(post(bot, text_update(COORDINATOR, "/broadcast\nВода є з 8:00")))
    assert preview["text"].startswith(resident_text("uk", text="Вода є з 8:00"))


def test_cancel_queues_nothing_and_a_cancelled_broadcast_is_never_sent(bot, db, clock):
    link(db, clock, "coordinator_a")
    follow(db, clock, range(FOLLOWER, FOLLOWER + 2))
    data = send_button(ask_broadcast(bot, f"Київ\n{WORDS}"))
    cancelled = press(bot, data.replace("|y", "|n"), "tap-1")
    assert "Розсилку скасовано" in cancelled["text"] and "reply_markup" not in cancelled
    assert "скасовано" in press(bot, data, "tap-2")["text"]  # Send after Cancel
    assert queued(db) == []


@pytest.mark.parametrize(
    ("username", "text", "refusal"),
    [
        (None, f"Київ\n{WORDS}", "Прив'яжіть свій обліковий запис"),
        ("operator_a", f"Київ\n{WORDS}", "лише для координаторів"),
        ("coordinator_b", f"Київ\n{WORDS}", "Ви не координуєте регіон «Київ»"),
        ("admin", WORDS, "Для якого регіону?"),  # an admin names the region
        ("coordinator_a", "Київ", "/broadcast і регіон"),  # no words
    ],
)
def test_who_may_not_broadcast_is_told_so(bot, db, clock, username, text, refusal):
    follow(db, clock, [FOLLOWER])
    if username:
        link(db, clock, username)
    answer = ask_broadcast(bot, text)
    assert refusal in answer["text"] and "reply_markup" not in answer
    with db.read() as session:
        assert session.execute(sa.select(broadcasts.BROADCASTS)).all() == []


def test_another_coordinator_cannot_send_someone_elses_draft(bot, db, clock):
    link(db, clock, "coordinator_a")
    link(db, clock, "coordinator_b", OTHER_STAFF)
    follow(db, clock, [FOLLOWER])
    data = send_button(ask_broadcast(bot, f"Київ\n{WORDS}"))
    refused = press(bot, data, "tap-b", chat=OTHER_STAFF)
    assert "Не зроблено" in refused["text"]
    assert queued(db) == []


def test_an_admin_broadcasts_to_a_region_they_name(bot, db, clock):
    link(db, clock, "admin")
    follow(db, clock, [FOLLOWER], "point-b")
    preview = ask_broadcast(bot, f"харківська область\n{WORDS}")  # any case
    assert preview["text"].startswith(resident_text("uk", "Харківська область"))
    press(bot, send_button(preview), "tap-1")
    assert [row.destination for row in queued(db)] == [str(FOLLOWER)]


def test_the_store_refuses_bad_words_and_other_regions(db, clock, network):
    coordinator = principal(db, "coordinator_b")
    with db.write() as session:
        for words in ("   ", "a\x00b", "я" * 1001):
            with pytest.raises(Invalid) as refused:
                broadcasts.draft(
                    session, "telegram", "Харківська область", words, coordinator, clock()
                )
            assert refused.value.field == "text"
        with pytest.raises(Forbidden):
            broadcasts.draft(session, "telegram", "Київ", WORDS, coordinator, clock())
        kept = broadcasts.draft(
            session, "telegram", "Харківська область", "я" * 1000, coordinator, clock()
        )
        assert (kept.status, kept.recipients, len(kept.text)) == ("draft", 0, 1000)
    operator = principal(db, "operator_a")
    with db.write() as session, pytest.raises(Forbidden):
        broadcasts.confirm(session, kept.id, operator, clock())


def test_progress_counts_what_still_waits(bot, db, clock):
    link(db, clock, "coordinator_a")
    follow(db, clock, range(FOLLOWER, FOLLOWER + 3))
    data = send_button(ask_broadcast(bot, f"Київ\n{WORDS}"))
    [how_far] = buttons(press(bot, data, "tap-1"))
    number = int(data.split("|")[1])
    with db.read() as session:
        assert broadcasts.progress(session, number) == 3
    deliver(bot, db, clock)
    shown = press(bot, how_far["callback_data"], "tap-2")
    assert "Надіслано 3 з 3; чекають 0" in shown["text"]
    with db.read() as session:
        assert broadcasts.progress(session, number) == 0


# -- sending: a restart, a 429, pacing --------------------------------------------------------


class VirtualTime:
    """The pacer's monotonic clock and its wait, moved only by waiting: no sleeps. With
    `stop_at`, the `stop_at`-th wait says "stopping", as a dispatcher's stop event does."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.now, self.waits, self.stop_at = 0.0, 0, stop_at

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits += 1
        if self.stop_at is not None and self.waits >= self.stop_at:
            return True
        self.now += seconds
        return False


class RecordingPacer(Pacer):
    """The channel's own Pacer, noting the virtual moment of each turn it gives."""

    def __init__(self, channel: telegram.TelegramChannel, time_: VirtualTime) -> None:
        super().__init__(channel.pacing, clock=time_.clock, wait=time_.wait)
        self.turns: list[tuple[float, str]] = []

    def take_turn(self, destination: str) -> bool:
        given = super().take_turn(destination)
        if given:
            self.turns.append((self.clock(), destination))
        return given


def deliver(client, db, clock) -> Round:
    """Send what waits through the app's channel, its pacing on a virtual clock."""
    channel = client.app.state.nezlam.telegram
    idle = VirtualTime()
    return rounds_until_idle(db, channel, clock, Pacer(channel.pacing, idle.clock, idle.wait))


def queue_broadcast(bot, db, clock, chats: range, times: int = 1) -> None:
    link(db, clock, "coordinator_a")
    follow(db, clock, chats)
    for n in range(times):
        data = send_button(ask_broadcast(bot, f"Київ\n{WORDS} {n}"))
        press(bot, data, f"tap-{n}")
    assert len(queued(db)) == len(chats) * times


def restarted(fake) -> telegram.TelegramChannel:
    """The channel a new process builds from the same settings."""
    settings = Settings(
        database_url="sqlite://", telegram=TelegramSettings(TOKEN, fake.url, SECRET)
    )
    channel = telegram.make(settings)
    assert channel is not None
    return channel


def sends_to(fake, chats: range) -> dict[int, int]:
    counted = {chat: 0 for chat in chats}
    for call in fake.sent():
        if call["chat_id"] in counted:
            counted[call["chat_id"]] += 1
    return counted


def rounds_until_idle(db, channel, clock, pacer: Pacer) -> Round:
    """Rounds at the same moment until none claims anything."""
    done = Round()
    while (one := run_round(db, channel, clock(), limit=20, pacer=pacer)).claimed:
        done.add(one)
    return done


def test_a_restart_mid_broadcast_sends_each_chat_exactly_once(bot, db, clock, fake):
    chats = range(FOLLOWER, FOLLOWER + 60)
    queue_broadcast(bot, db, clock, chats)
    first = bot.app.state.nezlam.telegram
    stopping = VirtualTime(stop_at=12)  # the process stops after 12 sends of its 20
    pacer = Pacer(first.pacing, stopping.clock, stopping.wait)
    done = run_round(db, first, clock(), limit=20, pacer=pacer)
    assert (done.claimed, len(done.delivered)) == (20, 12)
    assert sum(sends_to(fake, chats).values()) == 12

    channel = restarted(fake)  # a new process; 8 messages are still leased to the old one
    try:
        fake.fail("sendMessage", 429, retry_after=5)
        before = len(fake.sent())
        idle = VirtualTime()
        pacer = Pacer(channel.pacing, idle.clock, idle.wait)
        done = rounds_until_idle(db, channel, clock, pacer)
        throttled = fake.sent()[before]["chat_id"]
        assert (len(done.delivered), len(done.retrying)) == (39, 1)
        [row] = [r for r in queued(db) if r.destination == str(throttled)]
        assert (row.next_attempt_at - clock()).total_seconds() >= 5  # Telegram's word
        assert sends_to(fake, chats)[throttled] == 1  # not again before retry_after

        clock.advance(seconds=7)  # past 5 s and its jitter, not past the old lease
        assert len(rounds_until_idle(db, channel, clock, pacer).delivered) == 1
        assert sends_to(fake, chats)[throttled] == 2
        assert len(queued(db)) == 8  # the old process's lease still holds them

        clock.advance(minutes=10)  # its lease runs out: the new process takes them
        assert len(rounds_until_idle(db, channel, clock, pacer).delivered) == 8
    finally:
        channel.api.close()
    assert queued(db) == []
    expected = {chat: 1 for chat in chats} | {throttled: 2}  # the 429'd call, then the one
    assert sends_to(fake, chats) == expected


def test_no_more_than_per_second_sends_in_any_second(bot, db, clock, fake):
    chats = range(FOLLOWER, FOLLOWER + 60)
    queue_broadcast(bot, db, clock, chats)
    channel = bot.app.state.nezlam.telegram
    per_second = round(1 / channel.pacing.overall)
    pacer = RecordingPacer(channel, VirtualTime())
    rounds_until_idle(db, channel, clock, pacer)
    moments = [at for at, _chat in pacer.turns]
    assert len(moments) == 60
    most = max(sum(1 for t in moments if start <= t < start + 1 - 1e-6) for start in moments)
    assert most == per_second  # at the limit, never past it
    assert [int(chat) for _at, chat in pacer.turns] == [c["chat_id"] for c in fake.sent()[-60:]]


def test_never_two_messages_to_one_chat_within_a_second(bot, db, clock, fake):
    chats = range(FOLLOWER, FOLLOWER + 3)
    queue_broadcast(bot, db, clock, chats, times=3)  # three broadcasts to the same three chats
    channel = bot.app.state.nezlam.telegram
    pacer = RecordingPacer(channel, VirtualTime())
    rounds_until_idle(db, channel, clock, pacer)
    assert sends_to(fake, chats) == {chat: 3 for chat in chats}
    for chat in chats:
        times = [at for at, to in pacer.turns if to == str(chat)]
        assert all(b - a >= 1.0 - 1e-9 for a, b in zip(times, times[1:], strict=False))
    assert pacer.turns[-1][0] >= 2.0  # the third round of three chats waited its turn


# -- /alerts ------------------------------------------------------------------------------------


def group_update(chat: int, sender: int, text: str) -> dict[str, Any]:
    person = {"id": sender, "is_bot": False, "first_name": "Staff", "language_code": "uk"}
    group = {"id": chat, "type": "supergroup", "title": "Координатори"}
    message = {"message_id": 1, "date": int(time.time()), "text": text}
    return {"message": {**message, "from": person, "chat": group}}


def turn(db, clock, point_id: str, status: str) -> None:
    with db.write() as session:
        reports.add_report(session, point_id, ReportCreate(status=status), CLI, now=clock())


def test_a_coordinators_alerts_come_to_their_chat_for_their_region_only(bot, db, clock, fake):
    link(db, clock, "coordinator_a")
    on = reply(post(bot, text_update(COORDINATOR, "/alerts")))
    assert "🔔" in on["text"] and "Київ" in on["text"]
    turn(db, clock, "point-a", "full")
    turn(db, clock, "point-b", "full")  # another region
    [waiting] = [row for row in queued(db) if row.destination == str(COORDINATOR)]
    assert orjson.loads(waiting.text)["point_id"] == "point-a"
    deliver(bot, db, clock)
    [alert] = [call["text"] for call in fake.sent() if call["chat_id"] == COORDINATOR]
    assert alert.startswith("<b>🟣 Немає місць</b>: Пункт point-a (<code>point-a</code>)")

    off = reply(post(bot, text_update(COORDINATOR, "/alerts off")))
    assert "вимкнено" in off["text"]
    turn(db, clock, "point-a", "closed")
    assert [row for row in queued(db) if row.destination == str(COORDINATOR)] == []


def test_a_group_gets_one_regions_alerts_from_its_coordinator(bot, db, clock):
    link(db, clock, "coordinator_a")
    link(db, clock, "coordinator_b", OTHER_STAFF)
    refused = reply(post(bot, group_update(GROUP, OTHER_STAFF, "/alerts Київ")))
    assert "Ви не координуєте регіон «Київ»" in refused["text"]
    on = reply(post(bot, group_update(GROUP, COORDINATOR, "/alerts")))
    assert on["chat_id"] == str(GROUP) and "«Київ»" in on["text"]
    with db.read() as session:
        [row] = session.execute(sa.select(AlertChat)).scalars()
    assert (row.chat, row.region, row.user_id) == (str(GROUP), "Київ", None)
    not_theirs = reply(post(bot, group_update(GROUP, OTHER_STAFF, "/alerts off")))
    assert "інший координатор" in not_theirs["text"]
    turn(db, clock, "point-a", "full")
    assert [row.destination for row in queued(db)] == [str(GROUP)]


def test_alerts_are_for_linked_coordinators_and_admins(bot, db, clock):
    assert "Прив'яжіть" in reply(post(bot, text_update(COORDINATOR, "/alerts")))["text"]
    link(db, clock, "operator_a", OTHER_STAFF)
    assert "лише для" in reply(post(bot, text_update(OTHER_STAFF, "/alerts")))["text"]
    with db.read() as session:
        assert alert_chats.of_chat(session, "telegram", str(OTHER_STAFF)) is None
