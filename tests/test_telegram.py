"""The Telegram bot through the real webhook route and the real python-telegram-bot, against a
fake Bot API on loopback (tests/fake_telegram.py): nothing reaches the internet.

Residents get the finder's answer (same points, same order) with filter and follow buttons;
follows are told when a point opens or closes, and /stop forgets the chat; operators link with
a one-time code and tap a status, with the web's permissions; a webhook without the secret is
refused; a 429 waits for its retry_after and a blocked chat is given up.
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from nezlam.channels.dispatcher import run_round
from nezlam.config import Settings, TelegramSettings
from nezlam.domain.points import ReportCreate
from nezlam.store import link_codes, message_outbox, reports
from nezlam.store.actor import CLI
from nezlam.store.tables import AuditEntry, ChannelLink, Point, StatusReport, Subscription, User
from nezlam.web.app import create_app
from nezlam.web.plumbing.fast_path import FastPath
from tests.fake_telegram import (
    TOKEN,
    FakeTelegram,
    button_update,
    location_update,
    text_update,
)
from tests.test_sms import open_points

SECRET = "webhook-secret-for-tests_123"
RESIDENT = 5551001
OPERATOR = 5552002


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def bot(settings: Settings, db, clock, network, fake) -> Iterator[TestClient]:
    telegram = TelegramSettings(TOKEN, fake.url, SECRET, "nezlam_test_bot")
    configured = replace(settings, telegram=telegram, public_url="https://nezlam.example")
    app = FastPath(create_app(configured, db, start_sync=False))
    app.state.nezlam.clock = clock
    with TestClient(app) as client:
        open_points(db, network, clock)
        client.app.state.nezlam.sync.load_all()
        yield client
    app.state.nezlam.telegram.api.close()


def post(client: TestClient, update: dict[str, Any], secret: str | None = SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return client.post("/api/v1/telegram/webhook", json={"update_id": 1, **update}, headers=headers)


def reply(response) -> dict[str, Any]:
    """The method the webhook's answer asks Telegram to call."""
    assert response.status_code == 200, response.text
    return orjson.loads(response.content)


def card_names(text: str) -> list[str]:
    return re.findall(r"^(?:\d\. )?<b>Пункт ([a-z0-9-]+)</b>", text, re.MULTILINE)


def buttons(answer: dict[str, Any]) -> list[dict[str, str]]:
    return [b for row in answer["reply_markup"]["inline_keyboard"] for b in row]


def send_outbox(client: TestClient, clock) -> None:
    state = client.app.state.nezlam
    run_round(state.db, state.telegram, clock())


# -- residents ------------------------------------------------------------------------------


def test_a_shared_location_gets_the_three_nearest_open_points(bot):
    answer = reply(post(bot, location_update(RESIDENT, 50.45, 30.52)))
    assert answer["method"] == "sendMessage" and answer["chat_id"] == str(RESIDENT)
    assert answer["parse_mode"] == "HTML"
    text = answer["text"]
    assert card_names(text) == ["point-a", "near-1", "near-2"]
    assert "🟢 Відчинено · підтверджено" in text
    assert "☎" in text or "вул. Тестова" in text
    assert "https://www.openstreetmap.org/directions?to=50.45000%2C30.52000" in text
    assert 'href="https://nezlam.example/points/point-a?lang=uk"' in text
    datas = [b.get("callback_data") for b in buttons(answer)]
    assert "n|h|50.45000|30.52000" in datas  # the heat filter, off: pressing turns it on
    assert "fa|50.45000|30.52000" in datas and "p|near-1" in datas  # a point's own card


def test_a_chat_answer_is_the_finders_answer(bot):
    """The same points in the same order as the finder's page for the same place."""
    page = bot.get("/", params={"q": "50.4505, 30.5195", "f": "1", "open_now": "1"})
    finder_ids = list(dict.fromkeys(re.findall(r'href="/points/([a-z0-9-]+)"', page.text)))
    answer = reply(post(bot, text_update(RESIDENT, "50.4505 30.5195")))
    assert card_names(answer["text"]) == finder_ids[:3]


def test_a_filter_button_edits_the_answer(bot):
    pressed = reply(post(bot, button_update(RESIDENT, "n|w|50.45000|30.52000", message_id=77)))
    assert pressed["method"] == "editMessageText" and pressed["message_id"] == 77
    assert card_names(pressed["text"]) == ["near-2"]  # water only
    assert "Лише: Питна вода" in pressed["text"]
    water = next(b for b in buttons(pressed) if "Вода" in b["text"])
    assert water["text"].startswith("✓") and water["callback_data"] == "n||50.45000|30.52000"


def test_english_from_telegrams_language_and_from_lang(bot):
    english = reply(post(bot, location_update(RESIDENT, 50.45, 30.52, language="de")))
    assert "🟢 Open · confirmed" in english["text"]
    assert "<b>Point point-a</b>" in english["text"]
    post(bot, button_update(RESIDENT, "l|uk", language="de"))
    again = reply(post(bot, location_update(RESIDENT, 50.45, 30.52, language="de")))
    assert "Відчинено" in again["text"]


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (text_update(RESIDENT, "🔥" * 4000), "Не знайшли"),
        (location_update(RESIDENT, 0.0, -30.0), "Поблизу немає відчинених пунктів"),  # the sea
        (text_update(RESIDENT, "ТЕПЛО 95 200"), "поза Землею"),
        (text_update(RESIDENT, "ПУНКТ nowhere-1"), "Немає пункту «nowhere-1»"),
        (text_update(RESIDENT, "<b>Хрещатик</b> </a>"), "«&lt;b&gt;Хрещатик&lt;/b&gt; &lt;/a&gt;»"),
    ],
)
def test_bad_input_gets_a_plain_answer(bot, update, expected):
    assert expected in reply(post(bot, update))["text"]


def test_an_empty_message_and_start_say_how_to_ask(bot):
    started = reply(post(bot, text_update(RESIDENT, "/start")))
    assert "найближчі" in started["text"]
    assert started["reply_markup"]["keyboard"][0][0]["request_location"] is True
    assert "адресу" in reply(post(bot, text_update(RESIDENT, "")))["text"]


def test_a_name_with_markup_is_text_in_the_answer(bot, db, clock):
    with db.write() as session:
        point = session.get(Point, "near-1")
        point.name = {"uk": 'Юрта</b><a href="https://evil.example">тут</a>', "en": "x"}
    bot.app.state.nezlam.sync.load_all()
    text = reply(post(bot, location_update(RESIDENT, 50.45, 30.52)))["text"]
    assert "evil.example" not in text.replace("&quot;https://evil.example&quot;", "")
    assert "Юрта&lt;/b&gt;&lt;a href=&quot;https://evil.example&quot;&gt;тут&lt;/a&gt;" in text


def test_a_webhook_without_the_secret_is_refused(bot, fake):
    assert post(bot, text_update(RESIDENT, "/start"), secret=None).status_code == 403
    assert post(bot, text_update(RESIDENT, "/start"), secret="guessed-secret-x").status_code == 403
    assert fake.calls == []


def test_without_a_webhook_secret_there_is_no_route(settings, db, clock, fake):
    telegram = TelegramSettings(TOKEN, fake.url)  # polling only
    app = create_app(replace(settings, telegram=telegram), db, start_sync=False)
    with TestClient(app) as client:
        assert post(client, text_update(RESIDENT, "/start")).status_code == 404
    app.state.nezlam.telegram.api.close()


# -- follows and /stop ----------------------------------------------------------------------


def test_a_follower_is_told_when_a_point_opens_and_stop_forgets_the_chat(bot, db, clock, fake):
    post(bot, button_update(RESIDENT, "fa|50.45000|30.52000"))
    post(bot, button_update(RESIDENT, "fp|point-b"))  # far away, followed by its id
    with db.read() as session:
        kept = session.execute(sa.select(Subscription)).scalars().all()
    assert {(s.chat, s.point_id, s.region) for s in kept} == {
        (str(RESIDENT), None, "Київ"),
        (str(RESIDENT), "point-b", "Харківська область"),
    }
    with db.write() as session:
        reports.add_report(session, "near-1", ReportCreate(status="closed"), CLI, now=clock())
        reports.add_report(session, "point-b", ReportCreate(status="open"), CLI, now=clock())
    send_outbox(bot, clock)
    told = [call["text"] for call in fake.sent() if call["chat_id"] == RESIDENT]
    assert any(t.startswith("🔴 Зачинився: Пункт near-1") for t in told)
    assert any(t.startswith("🟢 Відчинився: Пункт point-b") for t in told)

    with db.write() as session:  # a message still waiting when the chat says /stop
        reports.add_report(session, "near-1", ReportCreate(status="open"), CLI, now=clock())
    stopped = reply(post(bot, text_update(RESIDENT, "/stop")))
    assert "Забуто все" in stopped["text"]
    with db.read() as session:
        assert session.execute(sa.select(Subscription)).scalars().all() == []
        assert message_outbox.waiting(session, "telegram") == 0


def test_follows_lists_and_unfollows(bot, db):
    post(bot, button_update(RESIDENT, "fp|near-1"))
    listed = reply(post(bot, text_update(RESIDENT, "/follows")))
    [unfollow] = buttons(listed)
    assert unfollow["text"].startswith("✖ Пункт near-1")
    post(bot, button_update(RESIDENT, unfollow["callback_data"]))
    assert "Підписок немає" in reply(post(bot, text_update(RESIDENT, "/follows")))["text"]


# -- operators ------------------------------------------------------------------------------


def link_operator(db, clock, username: str = "operator_a") -> None:
    with db.write() as session:
        user_id = session.execute(sa.select(User.id).where(User.username == username)).scalar_one()
        code = link_codes.issue(session, user_id, "telegram", clock())
    with db.write() as session:
        link_codes.redeem(session, "telegram", code, str(OPERATOR), clock())


def test_an_operator_links_with_the_workspace_code(bot, db, clock):
    with db.write() as session:
        user_id = session.execute(
            sa.select(User.id).where(User.username == "operator_a")
        ).scalar_one()
        code = link_codes.issue(session, user_id, "telegram", clock())
    linked = reply(post(bot, text_update(OPERATOR, f"/start {code}")))
    assert "operator_a" in linked["text"]
    with db.read() as session:
        [link] = session.execute(sa.select(ChannelLink)).scalars().all()
    assert (link.channel, link.address) == ("telegram", str(OPERATOR))
    again = reply(post(bot, text_update(OPERATOR + 1, f"/start {code}")))  # used once only
    assert "operator_a" not in again["text"]


def test_an_operators_tap_is_their_report(bot, db, clock, fake):
    link_operator(db, clock)
    [card] = [reply(post(bot, text_update(OPERATOR, "/points")))]
    assert "<code>point-a</code>" in card["text"]
    full = next(b for b in buttons(card) if b["callback_data"] == "o|point-a|full")
    tapped = post(bot, button_update(OPERATOR, full["callback_data"], query_id="tap-1"))
    edited = reply(tapped)
    assert edited["method"] == "editMessageText" and "✅ Записано." in edited["text"]
    fake.wait_for(1, "answerCallbackQuery")  # the button's spinner stops
    post(bot, button_update(OPERATOR, full["callback_data"], query_id="tap-1"))  # Telegram again
    with db.read() as session:
        point = session.get(Point, "point-a")
        written = (
            session.execute(sa.select(StatusReport).where(StatusReport.source == "telegram"))
            .scalars()
            .all()
        )
        audited = (
            session.execute(
                sa.select(AuditEntry).where(
                    AuditEntry.actor.like("user:%"), AuditEntry.entity_id == "point-a"
                )
            )
            .scalars()
            .all()
        )
    assert point.status == "full"
    assert len(written) == 1  # the repeated call wrote nothing more
    assert audited


def test_an_operator_cannot_tap_another_point(bot, db, clock):
    link_operator(db, clock)
    refused = reply(post(bot, button_update(OPERATOR, "o|point-b|closed", query_id="tap-2")))
    assert "не ваш" in refused["text"]
    with db.read() as session:
        assert session.get(Point, "point-b").status is None


def test_fuel_by_reply_and_status_words(bot, db, clock):
    link_operator(db, clock)
    asked = reply(post(bot, button_update(OPERATOR, "o|point-a|f")))
    assert asked["reply_markup"]["force_reply"] is True
    update = text_update(OPERATOR, "120")
    update["message"]["reply_to_message"] = {
        "message_id": 9,
        "date": 0,
        "chat": update["message"]["chat"],
        "text": html.unescape(asked["text"]),
    }
    saved = reply(post(bot, update))
    assert "⛽ 120 л" in saved["text"]
    ok = reply(post(bot, text_update(OPERATOR, "OK")))  # the SMS words work in a chat too
    assert "усе актуально" in ok["text"]
    with db.read() as session:
        assert session.get(Point, "point-a").fuel_litres == 120


def test_a_resident_saying_open_is_asking_not_reporting(bot, db):
    answer = reply(post(bot, text_update(RESIDENT, "OPEN")))
    assert "Записано" not in answer["text"]


def test_unlink_from_the_bot(bot, db, clock):
    link_operator(db, clock)
    assert "відв'язано" in reply(post(bot, text_update(OPERATOR, "/unlink")))["text"]
    with db.read() as session:
        assert session.execute(sa.select(ChannelLink)).scalars().all() == []


# -- sending: limits and failures -----------------------------------------------------------


def test_a_429_waits_for_retry_after_and_a_blocked_chat_is_given_up(bot, db, clock, fake):
    post(bot, button_update(RESIDENT, "fp|near-1"))
    post(bot, button_update(RESIDENT + 1, "fp|near-1"))
    fake.blocked.add(str(RESIDENT + 1))
    fake.fail("sendMessage", 429, retry_after=7)
    with db.write() as session:
        reports.add_report(session, "near-1", ReportCreate(status="closed"), CLI, now=clock())
    send_outbox(bot, clock)
    with db.read() as session:
        [waiting] = session.execute(sa.select(message_outbox.MESSAGES)).all()
    assert waiting.destination == str(RESIDENT)
    assert (waiting.next_attempt_at - clock()).total_seconds() >= 7  # Telegram's word
    clock.advance(seconds=9)  # 7 s and at most a quarter more (retry.JITTER)
    send_outbox(bot, clock)
    with db.read() as session:
        assert message_outbox.waiting(session, "telegram") == 0
    delivered = [c for c in fake.sent() if c["chat_id"] == RESIDENT]
    assert len(delivered) == 2  # the 429'd attempt, then the one that went through


# -- long polling and setup, as real processes ----------------------------------------------


def bot_env(db_url: str, fake: FakeTelegram, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEZLAM_")}
    return {
        **env,
        "NEZLAM_DATABASE_URL": db_url,
        "NEZLAM_TELEGRAM_TOKEN": TOKEN,
        "NEZLAM_TELEGRAM_API_URL": fake.url,
        "NEZLAM_WEBHOOK_DISPATCH": "false",
        **more,
    }


@pytest.mark.slow
def test_nezlam_bot_run_answers_by_long_polling(db_url, db, network, fake, tmp_path):
    open_points(db, network, lambda: datetime.now(UTC))  # the process runs on the real clock
    env = bot_env(db_url, fake, NEZLAM_SECRET_KEY="k" * 32)
    command = [sys.executable, "-m", "nezlam.cli", "bot", "run", "--poll-seconds", "1"]
    log = (tmp_path / "bot.log").open("w+")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        fake.feed(location_update(RESIDENT, 50.45, 30.52))
        fake.wait_for(1)
        fake.feed(text_update(RESIDENT, "/stop"))
        fake.wait_for(2)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        log.seek(0)
        output = log.read()
    first, second = fake.sent()
    assert card_names(first["text"]) == ["point-a", "near-1", "near-2"], output
    assert "Забуто все" in second["text"]
    assert [call.method for call in fake.calls][0] == "deleteWebhook"  # polling needs none
    assert code == 0, output


def test_nezlam_bot_setup_registers_the_webhook_and_commands(db_url, fake):
    env = bot_env(
        db_url,
        fake,
        NEZLAM_PUBLIC_URL="https://nezlam.example",
        NEZLAM_TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    command = [sys.executable, "-m", "nezlam.cli", "bot", "setup"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [hook] = fake.sent("setWebhook")
    assert hook["url"] == "https://nezlam.example/api/v1/telegram/webhook"
    assert hook["secret_token"] == SECRET
    commands = fake.sent("setMyCommands")
    assert {c.get("language_code") for c in commands} == {None, "en"}
    assert "@nezlam_test_bot" in done.stdout + done.stderr


def test_nezlam_bot_setup_without_a_public_address_says_what_is_missing(db_url, fake):
    done = subprocess.run(
        [sys.executable, "-m", "nezlam.cli", "bot", "setup"],
        env=bot_env(db_url, fake),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "NEZLAM_PUBLIC_URL" in done.stderr + done.stdout
    assert fake.calls == []


# -- after a visit --------------------------------------------------------------------------


def test_four_questions_after_a_visit_are_counted_and_a_comment_waits(bot, db, clock):
    from nezlam.store import visits

    card = reply(post(bot, button_update(RESIDENT, "p|point-a")))
    assert "<b>Пункт point-a</b>" in card["text"]
    start = next(b for b in buttons(card) if b["callback_data"] == "v|point-a|")
    asked = reply(post(bot, button_update(RESIDENT, start["callback_data"], message_id=40)))
    assert "Чи був пункт відчинений?" in asked["text"] and asked["message_id"] == 40
    for given in ("y", "yy", "yyn"):
        asked = reply(post(bot, button_update(RESIDENT, f"v|point-a|{given}", message_id=40)))
    assert "Чи був інтернет?" in asked["text"]
    offer = reply(post(bot, button_update(RESIDENT, "v|point-a|yyn-", message_id=40)))
    assert offer["method"] == "editMessageText" and "Дякуємо" in offer["text"]
    with db.read() as session:
        counted = visits.summary(session, "point-a", clock() - visits.WEEK)
    assert counted.visitors == 1
    assert counted.tallies["charged"].no == 1 and counted.tallies["internet"].yes == 0

    again = reply(post(bot, button_update(RESIDENT, "v|point-a|yyyy", message_id=41)))
    assert "нещодавно" in again["text"]  # one chat, one point: once in a while

    comment = text_update(RESIDENT, "Тепло, але <b>черга</b>")
    comment["message"]["reply_to_message"] = {
        "message_id": 9, "date": 0, "chat": comment["message"]["chat"],
        "text": "📝 point-a: хочете додати кілька слів для координаторів?",
    }  # fmt: skip
    assert "Координатори прочитають" in reply(post(bot, comment))["text"]
    with db.read() as session:
        [waiting] = visits.pending(session, None)
    assert waiting.text == "Тепло, але <b>черга</b>" and waiting.source == "telegram"
    shown = reply(post(bot, text_update(RESIDENT + 7, "ПУНКТ point-a")))["text"]
    assert "👥 1 відвідувачів за тиждень: відчинено 1, тепло 1" in shown
    assert "черга" not in shown  # not published


def test_a_language_chosen_through_another_process_is_seen_after_a_poll(bot, db, clock):
    from nezlam.store import subscriptions

    state = bot.app.state.nezlam
    assert "Відчинено" in reply(post(bot, location_update(RESIDENT, 50.45, 30.52)))["text"]
    with db.write() as session:  # as another server process would write it
        subscriptions.set_language(session, "telegram", str(RESIDENT), "en", clock())
    assert "Відчинено" in reply(post(bot, location_update(RESIDENT, 50.45, 30.52)))["text"]
    state.sync.poll()  # the index's poll: the choices' stamp changed
    assert "🟢 Open" in reply(post(bot, location_update(RESIDENT, 50.45, 30.52)))["text"]
    post(bot, text_update(RESIDENT, "/stop"))
    assert "Відчинено" in reply(post(bot, location_update(RESIDENT, 50.45, 30.52)))["text"]


def test_a_points_hours_today_are_in_its_card(bot, db, clock):
    with db.write() as session:
        session.get(Point, "near-1").opening_hours = "Mo-Su 08:00-20:00"
    bot.app.state.nezlam.sync.load_all()
    text = reply(post(bot, button_update(RESIDENT, "p|near-1")))["text"]
    assert "сьогодні 08:00–20:00" in text  # the day's hours, whatever the hour
    assert "цілодобово" in reply(post(bot, button_update(RESIDENT, "p|point-a")))["text"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"update_id": "x", "message": 5}'])
def test_a_body_that_is_no_update_is_refused_naming_it(bot, fake, body):
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    answer = bot.post("/api/v1/telegram/webhook", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "body"
    assert fake.calls == []


def test_a_card_worded_once_changes_when_its_point_does(bot, db, clock):
    """A point's fixed lines are kept with its snapshot; a report or an edit makes a new one."""
    first = reply(post(bot, location_update(RESIDENT, 50.45, 30.52)))["text"]
    again = reply(post(bot, location_update(RESIDENT + 1, 50.45, 30.52)))["text"]
    assert again == first and "зайнято 7 з 40 місць" not in first
    with db.write() as session:
        report = ReportCreate(status="open", occupancy=7)
        reports.add_report(session, "point-a", report, CLI, now=clock())
        session.get(Point, "point-a").phone = "+380 44 000 11 22"
    bot.app.state.nezlam.sync.load_all()
    text = reply(post(bot, location_update(RESIDENT + 2, 50.45, 30.52)))["text"]
    card = text.split("\n\n")[1]  # the first point's card
    assert card_names(card) == ["point-a"]
    assert "зайнято 7 з 40 місць" in card and "☎ +380 44 000 11 22" in card
