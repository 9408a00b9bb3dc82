"""A staff member links their Telegram account with a one-time code from the workspace: the right
code links once, for 15 minutes, and is audited; wrong, expired, used and replaced codes link
nothing, even two redeeming at once; My points shows the section only with a bot, and the code,
link and QR code that redeem; unlinking works from My points and from the users page."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from nezlam.config import TelegramSettings
from nezlam.domain.errors import Conflict, Forbidden, Invalid
from nezlam.domain.points import UserUpdate
from nezlam.store import accounts, channel_links, link_codes
from nezlam.store.actor import CLI
from nezlam.store.tables import AuditEntry, ChannelLink, LinkCode
from tests.conftest import sign_in_as

CHAT = "123456789"  # a Telegram user id, as the bot passes it
OTHER_CHAT = "987654321"
HTML = {"Accept": "text/html"}
TOKEN = "123456:" + "A" * 35
CODE_ON_PAGE = re.compile(r"<kbd>([0-9A-Z]{8})</kbd>")


def issue(db, clock, username="operator_a", **ttl) -> str:
    with db.write() as session:
        user = accounts.get_user(session, username)
        return link_codes.issue(session, user.id, "telegram", clock(), **ttl)


def redeem(db, code, chat=CHAT, now=None) -> str:
    with db.write() as session:
        return link_codes.redeem(session, "telegram", code, chat, now)


def linked_to(db, chat=CHAT) -> str | None:
    with db.read() as session:
        principal = channel_links.principal_for_sender(session, "telegram", chat)
    return None if principal is None else principal.username


def audit_rows(db) -> list[tuple[str, str, str]]:
    with db.read() as session:
        query = sa.select(AuditEntry.action, AuditEntry.actor, AuditEntry.entity_id)
        rows = session.execute(query.where(AuditEntry.entity == "channel_link").order_by("id"))
        return [tuple(row) for row in rows]


def refusal(db, code, clock, chat=CHAT, **later) -> str:
    with pytest.raises(Invalid) as refused:
        redeem(db, code, chat, clock() + timedelta(**later))
    assert refused.value.field == "code"
    return refused.value.reason


# --- Issuing and redeeming -------------------------------------------------------------------


def test_the_right_code_links_the_chat_once_and_the_audit_log_says_who(db, network, clock):
    code = issue(db, clock)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{8}", code)  # Crockford's base32: no I, L, O, U
    with db.read() as session:
        kept = session.execute(sa.select(LinkCode.code_hash)).scalars().all()
    assert kept == [link_codes._hash(code)]  # only the hash, never the code

    typed = f" {code[:4].lower()}-{code[4:]} "  # as typed from a phone screen
    assert redeem(db, typed, now=clock() + timedelta(minutes=14)) == "operator_a"
    assert linked_to(db) == "operator_a"
    assert audit_rows(db) == [("link", "user:operator_a", "telegram:123456…789")]
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(LinkCode)).scalar() == 0
    assert refusal(db, code, clock, chat=OTHER_CHAT) == "unknown"  # used: gone
    assert linked_to(db, OTHER_CHAT) is None


def test_a_code_typed_with_o_for_zero_and_l_for_one_still_counts(db, network, clock):
    code = issue(db, clock)
    mistyped = code.replace("0", "o").replace("1", "L")
    assert redeem(db, mistyped, now=clock()) == "operator_a"


@pytest.mark.parametrize("typed", ["", "ABCD", "ABCDEFGHJ", "ABCD!EFG", "UUUUUUUU", "ZZZZZZZZ"])
def test_a_wrong_code_links_nothing(db, network, clock, typed):
    issue(db, clock)
    assert refusal(db, typed, clock) == "unknown"
    assert linked_to(db) is None and audit_rows(db) == []


def test_an_expired_code_is_refused_saying_so(db, network, clock):
    code = issue(db, clock)
    assert refusal(db, code, clock, minutes=15) == "expired"
    assert linked_to(db) is None
    short = issue(db, clock, ttl=timedelta(minutes=2))
    assert refusal(db, short, clock, minutes=3) == "expired"


def test_a_second_code_replaces_the_first(db, network, clock):
    first = issue(db, clock)
    second = issue(db, clock)
    assert first != second
    assert refusal(db, first, clock) == "unknown"
    assert redeem(db, second, now=clock()) == "operator_a"


def test_codes_of_other_users_and_channels_stay_apart(db, network, clock):
    mine, theirs = issue(db, clock), issue(db, clock, "operator_b")
    assert redeem(db, theirs, OTHER_CHAT, clock()) == "operator_b"
    with pytest.raises(Invalid), db.write() as session:
        link_codes.redeem(session, "sms", mine, "+380671234567", clock())
    assert redeem(db, mine, now=clock()) == "operator_a"


def test_a_deactivated_user_cannot_redeem(db, network, clock):
    code = issue(db, clock)
    with db.write() as session:
        user = accounts.get_user(session, "operator_a")
        accounts.update_user(session, user, UserUpdate(is_active=False), CLI)
    assert refusal(db, code, clock) == "inactive"
    assert linked_to(db) is None and audit_rows(db) == []


def test_a_chat_linked_to_another_account_is_a_conflict_and_the_code_stays(db, network, clock):
    with db.write() as session:
        channel_links.link(session, "operator_b", "telegram", CHAT, CLI, clock())
    code = issue(db, clock)
    with pytest.raises(Conflict) as taken:
        redeem(db, code, now=clock())
    assert taken.value.field == "chat"  # not "phone": a chat is no number
    assert redeem(db, code, OTHER_CHAT, clock()) == "operator_a"


def test_two_redeeming_one_code_at_once_link_once(db, network, clock, monkeypatch):
    """Both have read the code before either spends it (PostgreSQL: the second's delete waits
    for the first to commit, then deletes nothing); SQLite lets one writer in at a time."""
    code = issue(db, clock)
    both_read = threading.Barrier(1 if db.is_sqlite else 2, timeout=10)
    looked_up = link_codes.waiting_code

    def waiting_code(*args):
        found = looked_up(*args)
        both_read.wait()
        return found

    monkeypatch.setattr(link_codes, "waiting_code", waiting_code)
    results: dict[str, object] = {}

    def attempt(chat: str) -> None:
        try:
            results[chat] = redeem(db, code, chat, clock())
        except Invalid as refused:
            results[chat] = refused

    workers = [threading.Thread(target=attempt, args=(chat,)) for chat in (CHAT, OTHER_CHAT)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(type(result).__name__ for result in results.values()) == ["CodeRefused", "str"]
    with db.read() as session:
        links = session.execute(sa.select(ChannelLink.address)).scalars().all()
    assert len(links) == 1 and linked_to(db, links[0]) == "operator_a"
    assert [action for action, _actor, _id in audit_rows(db)] == ["link"]


def test_unlinking_someone_elses_chat_is_forbidden(db, network, clock):
    with db.write() as session:
        channel_links.link(session, "operator_b", "telegram", CHAT, CLI, clock())
        operator_a = accounts.get_user(session, "operator_a")
    with pytest.raises(Forbidden) as refused, db.write() as session:
        channel_links.unlink_of_user(session, operator_a.id, "telegram", CHAT, CLI, clock())
    assert refused.value.field == "chat"
    assert linked_to(db) == "operator_b"


# --- My points: the Telegram section -----------------------------------------------------------


def with_bot(client, username: str | None = "nezlam_test_bot") -> None:
    state = client.app.state.nezlam
    state.settings = replace(state.settings, telegram=TelegramSettings(TOKEN, username=username))


def post(client, url: str, csrf: str, **fields):
    data = {"csrf": csrf, **fields}
    return client.post(url, data=data, headers=HTML, follow_redirects=False)


def section(html: str) -> str:
    return html[html.index('id="telegram"') :]


def test_without_a_bot_my_points_has_no_telegram_section(app_client, db, clock):
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    assert 'id="telegram"' not in app_client.get("/operate").text
    assert post(app_client, "/operate/telegram/code", csrf).status_code == 404
    with db.read() as session:
        assert session.execute(sa.select(LinkCode)).first() is None


def test_link_telegram_shows_a_code_the_bot_redeems_and_unlink_undoes_it(app_client, db, clock):
    with_bot(app_client)
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    mine = section(app_client.get("/operate").text)
    assert "Прив'язати Telegram" in unescape(mine) and 'action="/operate/telegram/code"' in mine

    shown = post(app_client, "/operate/telegram/code", csrf)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    code = CODE_ON_PAGE.search(shown.text)[1]
    text = unescape(shown.text)
    assert f'href="https://t.me/nezlam_test_bot?start={code}"' in text
    assert '<svg width="' in text and 'class="qr"' in text  # the QR code, inline
    assert f"або надішліть /start {code} боту @nezlam_test_bot" in text
    assert "Він діє один раз, 15 хвилин (до 20:15)" in text  # 18:00 UTC is 20:00 in Kyiv

    assert redeem(db, code, now=clock()) == "operator_a"  # what the bot does with /start CODE
    listed = section(app_client.get("/operate").text)
    assert "123456…789" in listed and 'value="123456789"' in listed

    gone = post(app_client, "/operate/telegram/unlink", csrf, chat=CHAT)
    assert gone.status_code == 303
    assert gone.headers["location"] == "/operate?done=unlinked#telegram"
    assert linked_to(db) is None
    assert [row[:2] for row in audit_rows(db)] == [
        ("link", "user:operator_a"),
        ("unlink", "user:operator_a"),
    ]
    after = unescape(app_client.get("/operate?done=unlinked").text)
    assert "Обліковий запис Telegram відв'язано" in after and "123456…789" not in after


def test_without_the_bots_username_the_code_page_says_what_to_send(app_client, db, clock):
    with_bot(app_client, username=None)
    csrf = sign_in_as(app_client, db, "coordinator_a", clock())  # a coordinator links too
    shown = post(app_client, "/operate/telegram/code", csrf)
    code = CODE_ON_PAGE.search(shown.text)[1]
    assert f"Надішліть /start {code} боту Nezlam у Telegram." in shown.text
    assert "t.me" not in shown.text and "<svg" not in shown.text
    assert redeem(db, code, now=clock()) == "coordinator_a"


def test_an_odd_bot_username_is_escaped_in_the_link(app_client, db, clock):
    with_bot(app_client, username='bot"><script>x</script>')
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    shown = post(app_client, "/operate/telegram/code", csrf).text
    assert "<script>x" not in shown
    assert "https://t.me/bot%22%3E%3Cscript%3Ex%3C%2Fscript%3E?start=" in shown


def test_the_forms_need_the_sessions_token_and_unlink_only_ones_own(app_client, db, clock):
    with_bot(app_client)
    with db.write() as session:
        channel_links.link(session, "operator_b", "telegram", CHAT, CLI, clock())
    csrf = sign_in_as(app_client, db, "operator_a", clock())
    assert post(app_client, "/operate/telegram/code", "forged").status_code == 403
    assert post(app_client, "/operate/telegram/unlink", "forged", chat=CHAT).status_code == 403
    assert post(app_client, "/operate/telegram/unlink", csrf, chat=CHAT).status_code == 403
    assert linked_to(db) == "operator_b"
    with db.read() as session:
        assert session.execute(sa.select(LinkCode)).first() is None
    app_client.cookies.clear()
    signed_out = post(app_client, "/operate/telegram/code", csrf)
    assert signed_out.headers["location"] == "/login?next=/operate"


# --- The users page ----------------------------------------------------------------------------


def users_page_person(client, db, username: str) -> str:
    page = client.get("/coordinate/users").text
    with db.read() as session:
        user_id = accounts.get_user(session, username).id
    return page[page.index(f'id="u-{user_id}"') :].split("</li>\n<li")[0]


def test_a_coordinator_unlinks_the_telegram_of_an_operator_they_manage(app_client, db, clock):
    with db.write() as session:
        channel_links.link(session, "operator_a", "telegram", CHAT, CLI, clock())
        operator_a = accounts.get_user(session, "operator_a").id
    csrf_b = sign_in_as(app_client, db, "coordinator_b", clock())
    url = f"/coordinate/users/{operator_a}"
    assert post(app_client, url, csrf_b, action="untelegram", chat=CHAT).status_code in (403, 404)
    assert linked_to(db) == "operator_a"

    csrf = sign_in_as(app_client, db, "coordinator_a", clock())
    person = unescape(users_page_person(app_client, db, "operator_a"))
    assert "Обліковий запис Telegram 123456…789" in person and 'value="untelegram"' in person
    assert post(app_client, url, csrf, action="untelegram", chat=OTHER_CHAT).status_code == 403
    done = post(app_client, url, csrf, action="untelegram", chat=CHAT)
    assert done.status_code == 303 and "done=untelegram" in done.headers["location"]
    assert linked_to(db) is None
    assert audit_rows(db)[-1][:2] == ("unlink", "user:coordinator_a")
    assert "123456…789" not in users_page_person(app_client, db, "operator_a")
