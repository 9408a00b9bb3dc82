"""Needs and inspections in a real Chromium, as people use them on a phone: an operator posts
what the point lacks, a donor pledges it on the board and marks it delivered (the need is met
and leaves the public feed), and a coordinator inspects the point, fails one item and closes the
follow-up task. axe-core finds no serious problem on these screens; screenshots are saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from nezlam.domain.points import OrganisationCreate, RoleGrantCreate, UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from tests.browser_support import PHONE, assert_accessible, save_screenshots
from tests.conftest import REGION_A
from tests.servers import running_server
from tests.test_browser import db_url  # noqa: F401  (Chromium; SQLite only)

pytestmark = pytest.mark.slow

PASSWORD = "a long test passphrase"
PEOPLE = {  # username: (role grant or None, organisation slug or None)
    "ivan": (RoleGrantCreate(role="operator", point_id="point-a"), None),
    "maria": (None, "teplo"),
    "olena": (RoleGrantCreate(role="coordinator", region=REGION_A), None),
}


@pytest.fixture
def needs_site(db: Database, db_url: str, network, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    """The network's points; an operator of point-a, a donor of the organisation "Тепло" and a
    coordinator of point-a's region, each with a password."""
    with db.write() as session:
        accounts.create_organisation(
            session, OrganisationCreate(slug="teplo", name="Фонд «Тепло»", kind="ngo"), CLI
        )
        for username, (grant, organisation) in PEOPLE.items():
            user = accounts.create_user(
                session,
                UserCreate(username=username, password=PASSWORD, organisation=organisation),
                CLI,
            )
            if grant is not None:
                accounts.grant_role(session, user, grant, CLI)
    with running_server(db_url, log_dir=tmp_path / "server") as server:
        yield server.url


@pytest.fixture
def phone_for(browser: Browser, needs_site: str) -> Iterator:  # noqa: F811
    """A fresh phone-sized browser per person."""
    contexts = []

    def open_phone() -> Page:
        context = browser.new_context(  # bypass_csp: axe-core is injected as an inline script
            base_url=needs_site, locale="uk-UA", viewport=PHONE, bypass_csp=True
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def sign_in(page: Page, path: str, username: str) -> None:
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.login button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_operator_posts_a_need_a_donor_pledges_and_delivers_it(phone_for, needs_site: str):
    operator = phone_for()
    sign_in(operator, "/operate/point-a/needs", "ivan")
    operator.get_by_label("Дизельне пальне").check()
    operator.fill("#f-quantity", "200")
    operator.get_by_label("Критична").check()
    operator.fill("#f-details", "Генератор працює цілодобово")
    operator.get_by_role("button", name="Опублікувати потребу").click()
    expect(operator.locator(".notice.ok")).to_contain_text("Опубліковано")
    expect(operator.locator("article.need h3")).to_contain_text("Дизельне пальне: 200 л")
    save_screenshots(operator, "operator-needs")
    assert_accessible(operator, "the operator's needs page")
    feed = httpx.get(f"{needs_site}/api/v1/needs").json()["needs"]
    assert [(n["item"], n["quantity"], n["urgency"]) for n in feed] == [
        ("diesel", 200.0, "critical")
    ]

    donor = phone_for()
    sign_in(donor, "/coordinate/needs", "maria")
    card = donor.locator("article.need").first
    expect(card).to_contain_text("Пункт point-a")
    expect(card.locator("input[name=quantity]")).to_have_value("200")  # all that is still needed
    card.locator("input[name=note]").fill("Привеземо завтра зранку")
    card.get_by_role("button", name="Пообіцяти").click()
    expect(donor.locator(".notice.ok")).to_contain_text("Обіцянку записано")
    expect(card).to_contain_text("Фонд «Тепло»: 200 л")
    save_screenshots(donor, "needs-board")
    assert_accessible(donor, "the needs board")
    card.get_by_role("button", name="Доставлено").click()
    expect(donor.locator(".notice.ok")).to_contain_text("доставлене")
    expect(donor.locator("article.need")).to_have_count(0)  # delivered in full: met
    assert httpx.get(f"{needs_site}/api/v1/needs").json()["needs"] == []


def test_coordinator_inspects_a_point_and_closes_the_follow_up_task(phone_for):
    page = phone_for()
    sign_in(page, "/coordinate/points/point-a/inspect", "olena")
    for item in ("heating", "internet", "water", "first_aid", "step_free"):
        page.locator(f"#f-{item}").get_by_label("Так", exact=True).check()
    page.locator("#f-mother_and_child").get_by_label("Не стосується").check()
    page.locator("#f-generator").get_by_label("Ні", exact=True).check()
    page.fill("#f-note_generator", "Не запускається на морозі")
    save_screenshots(page, "inspection-checklist")
    assert_accessible(page, "the inspection checklist")
    page.get_by_role("button", name="Зберегти перевірку").click()
    expect(page.get_by_role("status").filter(has_text="Перевірку записано")).to_be_visible()

    page.goto("/coordinate/tasks")
    task = page.locator("li.task")
    expect(task).to_have_count(1)
    expect(task).to_contain_text("Генератор працює")
    expect(task).to_contain_text("Не запускається на морозі")
    save_screenshots(page, "follow-up-tasks")
    assert_accessible(page, "the follow-up tasks")
    task.get_by_role("button").click()
    expect(page.locator(".notice.ok")).to_contain_text("виконаним")
    expect(page.locator("li.task")).to_have_count(0)
    expect(page.locator("ul.inspections")).to_contain_text("не пройдено")
