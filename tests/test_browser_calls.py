"""The call queue in a real Chromium, as a coordinator works it on a phone: sign in with a
password, claim a batch, see the numbers to call, record one call as confirmed, and watch the
unfinished claims lapse back into the pool. The server is a real `nezlam serve` whose claims
last seconds instead of 30 minutes (NEZLAM_CALL_CLAIM_FOR), so the lapse can be waited for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from nezlam.domain.points import ReportCreate, RoleGrantCreate, UserCreate
from nezlam.store import accounts, reports
from nezlam.store import points as point_store
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from tests.browser_support import PHONE, assert_accessible, save_screenshots
from tests.conftest import REGION_A, point_create
from tests.servers import running_server
from tests.test_browser import db_url  # noqa: F401  (Chromium; SQLite only)

pytestmark = pytest.mark.slow

CLAIM_FOR_S = 8  # long enough to record one call on a busy machine, short enough to wait out
PASSWORD = "a long coordinator passphrase"
STALE = ["c-stale-1", "c-stale-2", "c-stale-3"]  # open, unconfirmed for 8, 9 and 10 hours


@pytest.fixture
def queue_site(db: Database, db_url: str, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    """Three stale points with phones in REGION_A (and point-a, never reported), a coordinator
    of REGION_A with a password; a server whose claims lapse after CLAIM_FOR_S seconds.

    The server runs on the real clock, so every time here is the real clock's too: a point
    made on a fixed test date would grow older as the calendar moves on."""
    now = datetime.now(UTC)
    with db.write() as session:
        point_store.create_point(
            session, point_create("point-a", REGION_A, 50.45, 30.52), CLI, now=now
        )
        for n, point_id in enumerate(STALE):
            data = point_create(
                point_id, REGION_A, 50.43 + n / 100, 30.50, phone=f"+380 67 111 22 0{n}"
            )
            point_store.create_point(session, data, CLI, now=now - timedelta(days=2))
            at = now - timedelta(hours=10 - n)
            reports.add_report(session, point_id, ReportCreate(status="open"), CLI, now=at)
        user = accounts.create_user(session, UserCreate(username="olena", password=PASSWORD), CLI)
        accounts.grant_role(
            session, user, RoleGrantCreate(role="coordinator", region=REGION_A), CLI
        )
    env = {"NEZLAM_CALL_CLAIM_FOR": f"{CLAIM_FOR_S}s"}
    with running_server(db_url, extra_env=env, log_dir=tmp_path / "server") as server:
        yield server.url


@pytest.fixture
def phone(browser: Browser, queue_site: str) -> Iterator[Page]:  # noqa: F811
    # axe is injected as an inline script, which the pages' CSP forbids: this context lets it in
    # (test_calls checks the pages need no inline script or style).
    context = browser.new_context(
        base_url=queue_site, locale="uk-UA", viewport=PHONE, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_coordinator_claims_a_batch_calls_one_and_the_rest_return_to_the_pool(
    phone: Page, queue_site: str
):
    phone.goto("/coordinate/calls")
    expect(phone).to_have_url(f"{queue_site}/login?next=/coordinate/calls")
    phone.fill("input[name=username]", "olena")
    phone.fill("input[name=password]", PASSWORD)
    phone.locator("form.login button[type=submit]").click()
    expect(phone).to_have_url(f"{queue_site}/coordinate/calls")
    expect(phone.locator(".pool")).to_contain_text("Чекають на дзвінок: 4")
    expect(phone.locator("main")).to_contain_text(f"через {CLAIM_FOR_S} секунд")

    phone.get_by_role("button", name="Взяти 10 застарілих пунктів").click()
    claimed_at = time.monotonic()
    cards = phone.locator("section.call")
    expect(cards).to_have_count(4)
    # The most urgent first: the longest unconfirmed; each with its number to call.
    expect(cards.first.locator("h3")).to_have_text("Пункт c-stale-1")
    expect(cards.first.locator("a.tel")).to_have_attribute("href", "tel:+380671112200")
    expect(phone.locator("a.tel")).to_have_count(3)  # point-a has no phone of its own
    # Never reported comes last; each card leads to the coordinator's page of the point.
    expect(cards.last.locator("h3")).to_have_text("Пункт point-a")
    link = cards.first.locator("h3 a")
    expect(link).to_have_attribute("href", "/coordinate/points/c-stale-1")
    answered = cards.first.get_by_role("group", name="Відповіли — пункт зараз:")
    expect(answered.get_by_role("button")).to_have_count(4)
    not_through = cards.first.get_by_role("group", name="Не вдалося поговорити:")
    for outcome in ("Не відповіли", "Помилковий номер", "Передзвонити пізніше"):
        expect(not_through.get_by_role("button", name=outcome)).to_be_visible()

    cards.first.get_by_role("button", name="Підтверджено: відчинено").click()
    expect(phone.locator(".notice.ok")).to_contain_text("Дзвінок записано")
    expect(cards).to_have_count(3)
    assert time.monotonic() - claimed_at < CLAIM_FOR_S, "too slow to test the claim's lapse"
    shown = httpx.get(f"{queue_site}/api/v1/points/c-stale-1").json()["properties"]["status"]
    assert shown == "open"  # it was "unconfirmed": the call confirmed it, for the public too

    save_screenshots(phone, "coordinator-call-queue")
    assert_accessible(phone, "the call queue")

    time.sleep(max(0.0, CLAIM_FOR_S + 0.5 - (time.monotonic() - claimed_at)))
    phone.reload()
    expect(cards).to_have_count(0)
    expect(phone.locator(".pool")).to_contain_text("Чекають на дзвінок: 3")
    recent = phone.locator("table").last
    expect(recent).to_contain_text("Пункт c-stale-1")
    expect(recent).to_contain_text("Підтверджено")
    phone.goto("/coordinate/signals")
    expect(phone.locator("h1")).to_have_text("Повідомлення відвідувачів")
    assert_accessible(phone, "the visitor-signal inbox")
