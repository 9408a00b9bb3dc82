"""A point's operators told directly that it must open (issue 12): the outage warning and the
emergency shutdowns reach every active operator of the point or its organisation on each
Telegram chat and SMS number they linked — the SMS through a fake gateway at the network's
edge — and nobody else's."""

from __future__ import annotations

import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from nezlam.channels.sms import sms_text
from nezlam.channels.telegram import message_of
from nezlam.cli import app
from nezlam.outage_warner import OutageWarner
from nezlam.store import accounts, channel_links, emergency_shutdowns
from nezlam.store.actor import CLI
from nezlam.store.operator_messages import operators_of
from nezlam.store.tables import OutboxMessage, Point
from tests import test_sms
from tests.test_emergency_shutdowns import vinnytsia  # noqa: F401 - the fixture
from tests.test_outage_warnings import LEAD, WARN_AT

gateway = test_sms.gateway  # the fixture: a fake SMS gateway on 127.0.0.1
SIGNING_KEY = test_sms.SIGNING_KEY
OPERATOR_CHAT, OTHER_CHAT, ORG_PHONE = "1001", "2002", "+380671112233"


@pytest.fixture
def linked(db, vinnytsia, clock):  # noqa: F811 - the fixture above
    """operator_a on Telegram, org_operator_a by SMS (both operate point A), operator_b on
    Telegram (point B's)."""
    with db.write() as session:
        channel_links.link(session, "operator_a", "telegram", OPERATOR_CHAT, CLI, clock())
        channel_links.link(session, "org_operator_a", "sms", ORG_PHONE, CLI, clock())
        channel_links.link(session, "operator_b", "telegram", OTHER_CHAT, CLI, clock())
    return vinnytsia


def waiting(db, channel):
    """(destination, event) of each message queued for `channel`, in the order queued."""
    with db.read() as session:
        query = sa.select(OutboxMessage).where(OutboxMessage.channel == channel)
        rows = session.execute(query.order_by(OutboxMessage.id)).scalars()
        return [(row.destination, orjson.loads(row.text)) for row in rows]


def test_the_operators_of_a_point_are_its_own_and_its_organisations_active_ones(db, linked):
    with db.read() as session:
        point = session.get(Point, linked.point_a)
        names = {accounts.get_user(session, n).id: n for n in ("operator_a", "org_operator_a")}
        assert operators_of(session, point) == sorted(names)
    with db.write() as session:
        accounts.get_user(session, "org_operator_a").is_active = False
    with db.read() as session:
        point = session.get(Point, linked.point_a)
        assert [names[i] for i in operators_of(session, point)] == ["operator_a"]


def test_emergency_shutdowns_reach_the_operators_chats_and_phones(
    db, db_url, linked, clock, gateway
):
    with db.write() as session:
        emergency_shutdowns.declare(session, "vinnytsia", CLI, clock(), "ГПВ скасовано")
    [(chat, event)] = waiting(db, "telegram")  # point C has no operators; point B's is not told
    assert chat == OPERATOR_CHAT and event["kind"] == "emergency"
    message = message_of(chat, orjson.dumps(event).decode(), "https://nezlam.example")
    assert message.text.startswith("🚨 Пункт point-a: аварійні відключення, графік не діє.")
    assert (
        "ГПВ скасовано" in message.text and 'href="https://nezlam.example/operate"' in message.text
    )
    [(phone, _event)] = waiting(db, "sms")
    assert phone == ORG_PHONE
    env = {"NEZLAM_DATABASE_URL": db_url, "NEZLAM_SMS_GATEWAY": "android",
           "NEZLAM_SMS_URL": gateway.url, "NEZLAM_SMS_SIGNING_KEY": SIGNING_KEY}  # fmt: skip
    result = CliRunner().invoke(app, ["webhook", "deliver"], env=env)
    assert result.exit_code == 0, result.output
    [sent] = [orjson.loads(s["body"]) for s in gateway.sent]
    assert sent["message"] == (
        "Пункт point-a: аварійні відключення, графік не діє. ГПВ скасовано "
        "Пункт у резерві має відчинитися: підтвердіть статус."
    )
    assert sent["phoneNumbers"] == [ORG_PHONE]


def test_the_outage_warning_tells_them_when_to_open(db, linked, clock):
    clock.now = WARN_AT
    [warning] = OutageWarner(db, clock, LEAD).warn()
    assert warning.point_id == linked.point_a
    [(_phone, event)] = waiting(db, "sms")
    assert sms_text(orjson.dumps(event).decode()) == (
        "Пункт point-a: світло вимкнуть за графіком 08:00–11:30 (черга 1.1). "
        "Відчиніть пункт до того часу і підтвердіть статус."
    )


def test_an_ordinary_sms_is_sent_as_it_is():
    assert sms_text("ТЕПЛО: 3 пункти поруч") == "ТЕПЛО: 3 пункти поруч"
    assert sms_text('{"event": "something new"}') is None
