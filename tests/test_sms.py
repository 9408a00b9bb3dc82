"""SMS for residents and operators, through the real webhook routes and a fake gateway on loopback
(the network edge): the Android gateway app's API and a Twilio-style provider.

A resident's answer is the finder's (same points, same order); an operator's "OPEN" from a
linked number is their report, with the web's permissions; a post not signed by the gateway is
refused; a number over its limit gets nothing; a 429 waits and a refused number is given up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from nezlam.channels.dispatcher import run_round
from nezlam.config import Settings, SmsSettings
from nezlam.store import channel_links, message_outbox
from nezlam.store.actor import CLI
from nezlam.store.tables import AuditEntry, Point, StatusReport
from nezlam.web.app import create_app
from nezlam.web.plumbing.fast_path import FastPath
from tests.conftest import FakeClock, point_create

SIGNING_KEY = "android-signing-key"
TWILIO_TOKEN = "twilio-auth-token"
OPERATOR_PHONE = "+380671234567"
RESIDENT = "+380501112233"


@dataclass
class Gateway:
    """A fake SMS gateway API: records what it is asked to send, answers with `statuses`."""

    url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    fake = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.sent.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status, headers = fake.statuses.pop(0) if fake.statuses else (202, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            fake.arrived.set()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


def sms_client(settings: Settings, db, clock, sms: SmsSettings) -> TestClient:
    app = FastPath(create_app(replace(settings, sms=sms), db, start_sync=False))
    app.state.nezlam.clock = clock
    return TestClient(app)


@pytest.fixture
def android(settings, db, clock, network, gateway) -> Iterator[TestClient]:
    sms = SmsSettings("android", gateway.url, "sms", "app-password", signing_key=SIGNING_KEY)
    with sms_client(settings, db, clock, sms) as client:
        yield client


@pytest.fixture
def twilio(settings, db, clock, network, gateway) -> Iterator[TestClient]:
    sms = SmsSettings("twilio", gateway.url, "AC123", TWILIO_TOKEN, sender="+15550001111")
    with sms_client(settings, db, clock, sms) as client:
        yield client


def android_post(client: TestClient, text: str, sender: str, clock, key: str = SIGNING_KEY):
    event = {
        "deviceId": "ffffffffceb0b1db",
        "event": "sms:received",
        "id": "Ey6ECgOkVVFjz3CL48B8C",
        "payload": {"messageId": "abc", "message": text, "phoneNumber": sender, "simNumber": 1},
    }
    body = orjson.dumps(event)
    timestamp = str(int(clock().timestamp()))
    signature = hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    headers = {"X-Signature": signature, "X-Timestamp": timestamp}
    return client.post("/api/v1/sms/android", content=body, headers=headers)


def twilio_signature(url: str, form: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    signed = url + "".join(f"{key}{form[key]}" for key in sorted(form))
    return base64.b64encode(
        hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()


def twilio_post(client: TestClient, text: str, sender: str, token: str = TWILIO_TOKEN):
    form = {"From": sender, "Body": text, "To": "+15550001111", "MessageSid": "SM1"}
    url = "http://testserver/api/v1/sms/twilio"
    headers = {"X-Twilio-Signature": twilio_signature(url, form, token)}
    return client.post("/api/v1/sms/twilio", content=urlencode(form), headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip


def twiml_message(response) -> str | None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    found = re.search(r"<Message>(.*)</Message>", response.text, re.DOTALL)
    return found.group(1) if found else None


def send_queued(client: TestClient, clock) -> None:
    state = client.app.state.nezlam
    run_round(state.db, state.sms, clock())


def queued(db) -> int:
    with db.read() as session:
        return message_outbox.waiting(session, "sms")


def link_operator(db, username: str, clock, phone: str = OPERATOR_PHONE) -> None:
    with db.write() as session:
        channel_links.link(session, username, "sms", phone, CLI, clock())


def status_of(db, point_id: str) -> str | None:
    with db.read() as session:
        return session.get(Point, point_id).status


def open_points(db, network, clock) -> None:
    """point-a open and confirmed now; two more open points near it, one with water only."""
    from nezlam.domain.points import ReportCreate
    from nezlam.store import points, reports

    with db.write() as session:
        points.create_point(
            session, point_create("near-1", "Київ", 50.452, 30.522), CLI, now=clock()
        )
        points.create_point(
            session,
            point_create("near-2", "Київ", 50.449, 30.515, services=["water"]),
            CLI,
            now=clock(),
        )
        for point_id in (network.point_a, "near-1", "near-2"):
            reports.add_report(session, point_id, ReportCreate(status="open"), CLI, now=clock())


# -- residents ------------------------------------------------------------------------------


def test_a_resident_texting_the_android_gateway_gets_the_nearest_open_points(
    android, db, network, clock, gateway
):
    open_points(db, network, clock)
    android.app.state.nezlam.sync.load_all()
    response = android_post(android, "ТЕПЛО 50.45 30.52", RESIDENT, clock)
    assert response.status_code == 202, response.text
    assert queued(db) == 1 and gateway.sent == []  # answered by the dispatcher, not inline

    send_queued(android, clock)
    [sent] = gateway.sent
    assert sent["path"] == "/message"
    assert (
        sent["headers"]["Authorization"]
        == "Basic " + base64.b64encode(b"sms:app-password").decode()
    )
    body = orjson.loads(sent["body"])
    assert body["phoneNumbers"] == [RESIDENT]
    assert body["id"].startswith("nezlam-")  # the app dedupes a resend on it
    lines = body["message"].split("\n")
    assert len(lines) == 2  # near-2 has no heating
    assert lines[0].startswith("1. Пункт point-a") and "відкрито" in lines[0]
    assert lines[1].startswith("2. Пункт near-1")
    assert queued(db) == 0  # sent: the number and the words are forgotten


def test_an_sms_answer_is_the_finders_answer(twilio, db, network, clock):
    """The same points in the same order as the finder's page for the same place."""
    open_points(db, network, clock)
    twilio.app.state.nezlam.sync.load_all()
    page = twilio.get("/", params={"q": "50.4505, 30.5195", "f": "1", "open_now": "1"})
    finder_ids = list(dict.fromkeys(re.findall(r'href="/points/([a-z0-9-]+)"', page.text)))
    answer = twiml_message(twilio_post(twilio, "50.4505 30.5195", RESIDENT))
    assert answer is not None
    names = re.findall(r"^\d\. Пункт ([a-z0-9-]+)", answer, re.MULTILINE)
    assert names == finder_ids[:3]
    assert len(names) == 3


def test_a_twilio_style_gateway_gets_the_answer_inline(twilio, db, network, clock, gateway):
    open_points(db, network, clock)
    twilio.app.state.nezlam.sync.load_all()
    answer = twiml_message(twilio_post(twilio, "HEAT 50.45 30.52", RESIDENT))
    assert answer is not None and answer.startswith("1. Point point-a, ")
    assert "open" in answer
    assert gateway.sent == [] and queued(db) == 0  # nothing queued, nothing kept


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Надішліть ТЕПЛО і адресу"),
        ("🔥" * 4000, "Не знайшли"),
        ("HEAT 0.0 0.0", "No open point nearby with heating"),  # the sea off Africa
        ("HEAT 95 200", "outside the Earth"),
        ("ПУНКТ nowhere-1", "Немає пункту «nowhere-1»"),
    ],
)
def test_bad_input_gets_a_plain_answer(twilio, network, text, expected):
    answer = twiml_message(twilio_post(twilio, text, RESIDENT))
    assert answer is not None and expected in answer


def test_a_point_by_its_id(twilio, db, network, clock):
    open_points(db, network, clock)
    twilio.app.state.nezlam.sync.load_all()
    answer = twiml_message(twilio_post(twilio, "ПУНКТ point-a", RESIDENT))
    assert answer.startswith("Пункт point-a. відкрито 20:00. вул. Тестова, 7")


# -- forged and flooded ---------------------------------------------------------------------


def test_a_forged_webhook_is_refused_and_answers_nothing(android, twilio, db, network, clock):
    assert android_post(android, "ТЕПЛО Київ", RESIDENT, clock, key="guessed").status_code == 403
    stale = FakeClock(clock() - timedelta(minutes=10))
    assert android_post(android, "ТЕПЛО Київ", RESIDENT, stale).status_code == 403  # a replay
    assert twilio_post(twilio, "ТЕПЛО Київ", RESIDENT, token="guessed").status_code == 403
    unsigned = twilio.post("/api/v1/sms/twilio", data={"From": RESIDENT, "Body": "HEAT"})
    assert unsigned.status_code == 403
    assert queued(db) == 0


def test_without_a_gateway_there_is_no_sms_route(client, network):
    assert client.post("/api/v1/sms/twilio", data={"From": RESIDENT}).status_code == 404
    assert client.post("/api/v1/sms/android", content=b"{}").status_code == 404


def test_a_number_over_its_limit_gets_nothing(settings, db, clock, network, gateway):
    sms = SmsSettings("twilio", gateway.url, "AC123", TWILIO_TOKEN, answers_per_hour=2)
    with sms_client(settings, db, clock, sms) as client:
        assert twiml_message(twilio_post(client, "HEAT 50.45 30.52", RESIDENT))
        assert twiml_message(twilio_post(client, "HEAT 50.45 30.52", RESIDENT))
        assert twiml_message(twilio_post(client, "HEAT 50.45 30.52", RESIDENT)) is None
        assert twiml_message(twilio_post(client, "HEAT 50.45 30.52", "+380509998877"))


# -- the gateway's answers ------------------------------------------------------------------


def test_a_busy_gateway_is_tried_again_and_a_refused_number_given_up(
    android, db, network, clock, gateway
):
    android_post(android, "?", RESIDENT, clock)
    gateway.statuses = [(429, {"Retry-After": "120"})]
    send_queued(android, clock)
    assert len(gateway.sent) == 1 and queued(db) == 1  # waits
    send_queued(android, clock)
    assert len(gateway.sent) == 1  # not before its Retry-After
    clock.advance(seconds=151)  # 120 s and the schedule's jitter (at most a quarter more)
    gateway.statuses = [(400, {})]  # the gateway will never send to it
    send_queued(android, clock)
    assert len(gateway.sent) == 2
    assert queued(db) == 0  # given up, and forgotten
    first, second = (orjson.loads(s["body"]) for s in gateway.sent)
    assert first["id"] == second["id"]  # the same message both times


# -- operators ------------------------------------------------------------------------------


def test_an_operator_texts_closed_and_the_point_closes(twilio, db, network, clock):
    link_operator(db, "operator_a", clock, "067 123 45 67")  # typed as people write it
    answer = twiml_message(twilio_post(twilio, "ЗАЧИНЕНО", OPERATOR_PHONE))
    assert answer == "Записано: Пункт point-a — зачинено."
    assert status_of(db, network.point_a) == "closed"
    with db.read() as session:
        report = session.execute(sa.select(StatusReport)).scalars().one()
        actors = session.execute(sa.select(AuditEntry.actor)).scalars().all()
    assert report.source == "sms" and report.status == "closed"
    assert "user:operator_a" in actors
    # the index shows it at once, as after a report from the web
    snapshot = twilio.app.state.nezlam.index.snapshot
    assert snapshot.views[snapshot.position[network.point_a]].status == "closed"


def test_an_operator_may_update_only_their_points(twilio, db, network, clock):
    link_operator(db, "operator_a", clock)
    answer = twiml_message(twilio_post(twilio, "OPEN point-b", OPERATOR_PHONE))
    assert answer == "Not saved: point point-b is not yours."
    assert status_of(db, network.point_b) is None


def test_an_operator_of_several_points_is_asked_which(twilio, db, network, clock):
    link_operator(db, "org_operator_a", clock)
    answer = twiml_message(twilio_post(twilio, "OK", OPERATOR_PHONE))
    assert answer.startswith("Which point? Send e.g. OK ")
    answer = twiml_message(twilio_post(twilio, "OK point-a", OPERATOR_PHONE))
    assert answer == "Saved: Point point-a - still current."
    with db.read() as session:
        assert session.get(Point, network.point_a).verified_at is not None


def test_status_words_from_an_unknown_number_are_a_residents_question(twilio, db, network):
    answer = twiml_message(twilio_post(twilio, "CLOSED", RESIDENT))
    assert answer is not None and "Saved" not in answer
    assert status_of(db, network.point_a) is None


def test_a_number_is_linked_to_one_account_and_unlinked(db, network, clock):
    from nezlam.domain.errors import Conflict, Invalid, NotFound

    link_operator(db, "operator_a", clock, "0671234567")
    with db.write() as session, pytest.raises(Conflict):
        channel_links.link(session, "operator_b", "sms", "+380 67 123 45 67", CLI, clock())
    with db.write() as session, pytest.raises(Invalid):
        channel_links.link(session, "operator_b", "sms", "not a number", CLI, clock())
    with db.read() as session:
        principal = channel_links.principal_for_sender(session, "sms", "380671234567")
    assert principal is not None and principal.username == "operator_a"
    with db.write() as session:
        channel_links.unlink(session, "sms", OPERATOR_PHONE, CLI, clock())
    with db.read() as session:
        assert channel_links.principal_for_sender(session, "sms", OPERATOR_PHONE) is None
    with db.write() as session, pytest.raises(NotFound):
        channel_links.unlink(session, "sms", OPERATOR_PHONE, CLI, clock())


# -- the command line -----------------------------------------------------------------------


def test_the_command_line_links_a_number_and_answers_as_an_sms_would(db_url, db, network, clock):
    from typer.testing import CliRunner

    from nezlam.cli import app

    def nezlam(*args: str):
        return CliRunner().invoke(app, list(args), env={"NEZLAM_DATABASE_URL": db_url})

    linked = nezlam("sms", "link", "operator_a", "067 123 45 67")
    assert linked.exit_code == 0, linked.output
    assert "+380671234567 linked to operator_a" in linked.output
    taken = nezlam("sms", "link", "operator_b", "+380671234567")
    assert taken.exit_code == 1 and "already linked" in taken.output

    closed = nezlam("sms", "ask", "CLOSED", "--from", "0671234567")
    assert closed.exit_code == 0, closed.output
    assert "Saved: Point point-a - closed." in closed.output
    assert status_of(db, network.point_a) == "closed"
    asked = nezlam("sms", "ask", "ТЕПЛО 50.45 30.52")
    assert "Поблизу немає відкритих пунктів з послугами: обігрів" in asked.output  # all closed

    assert nezlam("sms", "unlink", "+380671234567").exit_code == 0
    assert nezlam("sms", "unlink", "+380671234567").exit_code == 1


def test_coordinates_typed_the_wrong_way_round_are_tried_the_right_way(twilio, db, network, clock):
    open_points(db, network, clock)
    twilio.app.state.nezlam.sync.load_all()
    answer = twiml_message(twilio_post(twilio, "HEAT 30.52 50.45", RESIDENT))
    assert answer is not None and answer.startswith("1. Point point-a, ")


def test_the_android_gateways_other_events_and_a_broken_body_are_answered_plainly(
    android, db, network, clock
):
    def signed(body: bytes):
        timestamp = str(int(clock().timestamp()))
        signature = hmac.new(SIGNING_KEY.encode(), body + timestamp.encode(), hashlib.sha256)
        headers = {"X-Signature": signature.hexdigest(), "X-Timestamp": timestamp}
        return android.post("/api/v1/sms/android", content=body, headers=headers)

    sent = orjson.dumps({"event": "sms:sent", "payload": {"phoneNumber": RESIDENT}})
    assert signed(sent).status_code == 204  # nothing to answer
    broken = signed(b'{"event": "sms:rece')
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == "body"
    assert signed(b"[]").status_code == 422
    assert queued(db) == 0


def test_webhook_deliver_sends_the_queued_sms_answers_too(db_url, db, network, clock, gateway):
    """With NEZLAM_WEBHOOK_DISPATCH=false, cron's `nezlam webhook deliver` sends every channel."""
    from typer.testing import CliRunner

    from nezlam.cli import app

    with db.write() as session:
        message_outbox.enqueue(session, "sms", RESIDENT, "Тест", clock())
    env = {
        "NEZLAM_DATABASE_URL": db_url,
        "NEZLAM_SMS_GATEWAY": "android",
        "NEZLAM_SMS_URL": gateway.url,
        "NEZLAM_SMS_SIGNING_KEY": SIGNING_KEY,
    }
    result = CliRunner().invoke(app, ["webhook", "deliver"], env=env)
    assert result.exit_code == 0, result.output
    assert "delivered 1" in result.output
    assert [orjson.loads(s["body"])["message"] for s in gateway.sent] == ["Тест"]
    assert queued(db) == 0


@pytest.mark.parametrize(
    ("text", "memory"),
    [
        ("HEAT 50.45 30.52", True),  # coordinates: the index alone
        ("ПУНКТ point-a", True),
        ("", True),
        ("ТЕПЛО Хрещатик 22", False),  # the gazetteer is in the database
        ("OPEN", False),  # an operator's word: whose it is is in the database
    ],
)
def test_which_messages_are_answered_from_memory(text, memory):
    from nezlam.channels.conversation import from_memory

    assert from_memory(text) is memory


def test_the_fast_path_answers_a_twilio_post_as_the_framework_route_does(
    twilio, db, network, clock
):
    """In front of the framework (web/plumbing/fast_path.py), the same TwiML, status and type
    as the route behind it, for an answer from memory, one from the database, a forged post."""
    open_points(db, network, clock)
    twilio.app.state.nezlam.sync.load_all()
    texts = ["ТЕПЛО 50.45 30.52", "ПУНКТ point-a", "Хрещатик 1", "HELP"]
    framework = twilio.app.app

    async def nothing_gets_here(scope, receive, send):
        raise AssertionError(f"the framework was asked for {scope['path']}")

    twilio.app.app = nothing_gets_here
    try:
        fast = [twilio_post(twilio, t, f"+38050000{n:04d}") for n, t in enumerate(texts)]
        fast_forged = twilio_post(twilio, texts[0], RESIDENT, "wrong")
    finally:
        twilio.app.app = framework
    with TestClient(framework) as route:  # the FastAPI app itself, no fast path
        slow = [twilio_post(route, t, f"+38060000{n:04d}") for n, t in enumerate(texts)]
        slow_forged = twilio_post(route, texts[0], RESIDENT, "wrong")
    for text, mine, theirs in zip(texts, fast, slow, strict=True):
        assert twiml_message(mine) == twiml_message(theirs), text
        assert mine.headers["content-type"] == theirs.headers["content-type"]
        assert mine.headers["x-content-type-options"] == "nosniff"
    assert "ПУНКТ" not in twiml_message(fast[1]) and twiml_message(fast[0])  # real answers
    assert (fast_forged.status_code, slow_forged.status_code) == (403, 403)
    assert fast_forged.json() == slow_forged.json()
