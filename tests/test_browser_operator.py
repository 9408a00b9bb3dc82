"""The operator's screens in a real Chromium, used as an operator would on a phone: signing in
with a password, "still current" in one tap, a status tapped with the connection gone — queued
on the card, delivered once when the connection returns, never again on reload — and the page
opening offline; axe-core finds no serious problem on My points or Edit details.

A real `nezlam serve` process (tests.test_browser's `site`) on a SQLite file this test reads
directly: the reports counted are the ones the server stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, Route, expect

from nezlam.domain.points import RoleGrantCreate, UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from nezlam.store.tables import StatusReport, User
from tests.browser_support import PHONE, assert_accessible, save_screenshots
from tests.test_browser import Site, db_url, open_context, site  # noqa: F401

pytestmark = pytest.mark.slow

USERNAME, PASSWORD = "olena", "a long operator passphrase"
QUEUED = "У черзі: {taps} — буде надіслано, щойно з'явиться зв'язок."
SENT = "Надіслано. Збережено."
QUEUE = f"nezlam-operate-queue:{USERNAME}"  # each person's taps apart
CARD = "#p-point-a"
WORKSPACE_POSTS = "**/operate/**"  # what a tap posts to
KEPT = (  # whether any of the service worker's caches holds a copy of My points
    "caches.keys().then(names => Promise.all(names.map(n => caches.open(n)"
    ".then(c => c.match('/operate'))))).then(hits => hits.some(Boolean))"
)


@pytest.fixture
def olena(db: Database, network) -> str:
    """An operator of point-a who signs in with a password."""
    with db.write() as session:
        user = accounts.create_user(session, UserCreate(username=USERNAME, password=PASSWORD), CLI)
        accounts.grant_role(
            session, user, RoleGrantCreate(role="operator", point_id=network.point_a), CLI
        )
    return USERNAME


@pytest.fixture
def operator_site(olena: str, site: Site) -> Site:  # noqa: F811
    """The running site, started after the operator's account exists."""
    return site


def sign_in(page: Page) -> None:
    """Through the sign-in page, as a person: My points asks for it first."""
    page.goto("/operate")
    expect(page).to_have_url(re.compile(r"/login\?next=/operate$"))
    page.get_by_label("Ім'я користувача").fill(USERNAME)
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page.get_by_role("heading", name="Мої пункти", level=1)).to_be_visible()


def reports_by_operator(db: Database) -> list[tuple[str | None, bool]]:
    with db.read() as session:
        rows = session.execute(
            sa.select(StatusReport.status, StatusReport.verify)
            .join(User, User.id == StatusReport.reporter_user_id)
            .where(User.username == USERNAME)
            .order_by(StatusReport.id)
        ).all()
    return [tuple(row) for row in rows]


def verified_at(running: Site) -> datetime:
    props = running.api("/api/v1/points/point-a")["properties"]
    return datetime.fromisoformat(props["verified_at"])


def keep_a_copy_offline(page: Page) -> None:
    """Let the service worker take the page over and keep its copy of My points."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    for _ in range(50):
        if page.evaluate(KEPT) and page.evaluate("!!navigator.serviceWorker.controller"):
            return
        page.wait_for_timeout(100)
    pytest.fail("the service worker did not control My points and keep a copy of it")


def go_offline(context: BrowserContext) -> None:
    """The connection gone. Chromium's offline emulation reaches a document a moment after it
    loads (a reload's script could send before it did, and the server got a report once in
    CI), so every post to the workspace is also refused at Playwright's edge, as a phone
    without a connection refuses it: the taps cannot slip out whatever the timing."""
    context.route(WORKSPACE_POSTS, refuse_posts)
    context.set_offline(True)


def go_online(context: BrowserContext) -> None:
    context.unroute(WORKSPACE_POSTS, refuse_posts)
    context.set_offline(False)


def refuse_posts(route: Route) -> None:
    if route.request.method == "POST":
        route.abort("internetdisconnected")
    else:
        route.fallback()


def test_an_operator_signs_in_on_a_phone_and_confirms_the_point_in_one_tap(
    open_context: Callable[..., BrowserContext],  # noqa: F811
    operator_site: Site,
    db: Database,
):
    page = open_context(viewport=PHONE).new_page()
    sign_in(page)
    before = verified_at(operator_site)
    card = page.locator(CARD)
    card.get_by_role("button", name="Усе актуально").click()
    expect(page.get_by_role("status").filter(has_text="Збережено. Дякуємо.")).to_be_visible()
    expect(card.locator(".queue-note")).to_have_text(SENT)
    assert reports_by_operator(db) == [(None, True)]
    assert verified_at(operator_site) > before
    expect(card.get_by_role("link", name="Змінити дані")).to_have_attribute(
        "href", "/operate/point-a/edit"
    )
    save_screenshots(page, "operator-my-points")


def test_a_status_tapped_offline_is_queued_and_delivered_once_when_the_connection_returns(
    open_context: Callable[..., BrowserContext],  # noqa: F811
    operator_site: Site,
    db: Database,
):
    context = open_context()
    page = context.new_page()
    sign_in(page)
    keep_a_copy_offline(page)
    card = page.locator(CARD)

    go_offline(context)
    card.get_by_role("button", name="Немає місць").click()
    card.get_by_role("button", name="На одну людину більше").click()
    card.get_by_role("button", name="На одну людину більше").click()
    waiting = QUEUED.format(taps="«Немає місць», +2 людини")
    expect(card.get_by_role("status")).to_have_text(waiting)
    # The status line still says what the server knows, and so does the pressed button; the
    # tapped one is marked as waiting.
    expect(card.locator(".status strong")).to_have_text("Відчинено")
    expect(card.get_by_role("button", name="Відчинено")).to_have_attribute("aria-pressed", "true")
    expect(card.get_by_role("button", name="Немає місць")).not_to_have_attribute(
        "aria-pressed", "true"
    )
    expect(card.get_by_role("button", name="Немає місць")).to_have_class("queued")
    expect(card.locator(".queue-note")).to_have_class("queue-note queued")
    page.reload()  # offline: the kept copy, and the queue still waiting
    expect(page.get_by_role("heading", name="Мої пункти", level=1)).to_be_visible()
    expect(page.locator(CARD).get_by_role("status")).to_have_text(waiting)
    expect(page.locator(CARD).locator(".count")).to_have_text("2")  # 0 counted, 2 waiting
    expect(page.locator(CARD).get_by_role("button", name="Немає місць")).to_have_class("queued")
    # The page's own offline notice speaks of taps kept, not of search results.
    expect(page.locator("#offline")).to_contain_text("ваші натискання збережено")
    save_screenshots(page, "operator-offline-queued")
    assert reports_by_operator(db) == []

    go_online(context)
    expect(page.locator(CARD).get_by_role("status")).to_have_text(SENT)
    expect(page.locator(CARD).locator(".queue-note")).to_have_class("queue-note sent")
    expect(page.locator(CARD).locator(".status strong")).to_have_text("Немає місць")
    assert reports_by_operator(db) == [("full", False), (None, False), (None, False)]
    assert operator_site.api("/api/v1/points/point-a")["properties"]["status"] == "full"

    page.reload()
    expect(page.get_by_role("heading", name="Мої пункти", level=1)).to_be_visible()
    page.wait_for_timeout(500)  # time enough for a resend, were anything still queued
    assert page.evaluate(f"localStorage.getItem('{QUEUE}')") == "[]"
    assert reports_by_operator(db) == [("full", False), (None, False), (None, False)]

    page.get_by_role("button", name="Вийти").click()  # the kept copy leaves with the session
    expect(page).to_have_url(re.compile(r"/$"))
    for _ in range(50):
        if not page.evaluate(KEPT):
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("signing out left a copy of My points in the service worker's cache")


def test_an_update_whose_answer_was_lost_is_resent_and_stored_once(
    open_context: Callable[..., BrowserContext],  # noqa: F811
    operator_site: Site,
    db: Database,
):
    # Without the service worker, so that the test can stand between the page and the server.
    context = open_context(service_workers="block")
    page = context.new_page()
    sign_in(page)
    lost: list[str] = []

    def arrive_then_lose_the_answer(route: Route) -> None:
        route.fetch()  # the server stores it...
        lost.append(route.request.url)
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/operate/point-a", arrive_then_lose_the_answer)
    card = page.locator(CARD)
    card.get_by_role("button", name="Зачинено").click()
    expect(card.get_by_role("status")).to_have_text(QUEUED.format(taps="«Зачинено»"))
    assert lost and reports_by_operator(db) == [("closed", False)]

    page.unroute("**/operate/point-a")
    page.reload()  # opening the page again resends the queue, with the same key
    expect(page.locator(CARD).get_by_role("status")).to_have_text(SENT)
    assert reports_by_operator(db) == [("closed", False)]


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_my_points_and_edit_details_have_no_serious_accessibility_violations(
    open_context: Callable[..., BrowserContext],  # noqa: F811
    operator_site: Site,
    lang: str,
):
    # axe is injected as an inline script, which the pages' CSP forbids: this context lets it in.
    page = open_context(bypass_csp=True).new_page()
    sign_in(page)
    for path in ("/operate", "/operate/point-a/edit"):
        page.goto(f"{path}?lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        assert_accessible(page, f"{path} ({lang})")
    page.goto("/operate/point-a/edit")
    page.get_by_label({"uk": "Розклад роботи", "en": "Opening hours"}[lang]).fill("Mo-Fr 25:00")
    page.get_by_role("button", name={"uk": "Зберегти", "en": "Save"}[lang]).click()
    expect(page.locator("#opening_hours-error")).to_be_visible()
    assert_accessible(page, f"edit details with an error ({lang})")
    save_screenshots(page, f"operator-edit-error-{lang}")


def report_times(db: Database) -> list[tuple[datetime, datetime]]:
    """(received, counted from) of each of the operator's reports, on the server's clock."""
    with db.read() as session:
        rows = session.execute(
            sa.select(StatusReport.received_at, StatusReport.effective_at)
            .join(User, User.id == StatusReport.reporter_user_id)
            .where(User.username == USERNAME)
            .order_by(StatusReport.id)
        ).all()
    return [tuple(row) for row in rows]


def test_taps_kept_when_the_session_ended_offline_are_sent_after_signing_in(
    open_context: Callable[..., BrowserContext],  # noqa: F811
    operator_site: Site,
    db: Database,
):
    context = open_context()
    context.clock.install()  # the phone's own clock, which moves on while the taps wait
    page = context.new_page()
    sign_in(page)
    keep_a_copy_offline(page)
    card = page.locator(CARD)
    go_offline(context)
    card.get_by_role("button", name="Немає місць").click()
    card.get_by_role("button", name="На одну людину більше").click()
    expect(card.get_by_role("status")).to_have_text(QUEUED.format(taps="«Немає місць», +1 людина"))
    context.clear_cookies()  # the session ended meanwhile: a day unused, or signed out elsewhere
    page.clock.fast_forward("07:00:00")
    go_online(context)
    note = page.locator(CARD).get_by_role("status")
    expect(note).to_have_text("2 натискання чекають: увійдіть, щоб їх надіслати. Увійти")
    kept = page.evaluate(f"JSON.parse(localStorage.getItem('{QUEUE}'))")
    assert [entry["point"] for entry in kept] == ["point-a", "point-a"]
    assert all({"key", "client_time"} <= {name for name, _ in e["fields"]} for e in kept)
    assert reports_by_operator(db) == []
    save_screenshots(page, "operator-sign-in-to-send")

    note.get_by_role("link", name="Увійти").click()
    expect(page).to_have_url(re.compile(r"/login\?next=/operate$"))
    page.get_by_label("Ім'я користувача").fill(USERNAME)
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Увійти").click()
    expect(page.get_by_role("heading", name="Мої пункти", level=1)).to_be_visible()
    expect(page.locator(CARD).get_by_role("status")).to_have_text(SENT)
    assert reports_by_operator(db) == [("full", False), (None, False)]
    # Dated by the taps, seven hours before they arrived: not "confirmed just now".
    for received, counted in report_times(db):
        assert timedelta(hours=6, minutes=59) < received - counted < timedelta(hours=7, minutes=5)
    page.reload()
    expect(page.get_by_role("heading", name="Мої пункти", level=1)).to_be_visible()
    assert page.evaluate(f"localStorage.getItem('{QUEUE}')") == "[]"
    assert len(reports_by_operator(db)) == 2  # each stored once


def test_a_bad_fuel_number_is_said_beside_the_field_with_what_was_typed(
    open_context: Callable[..., BrowserContext],  # noqa: F811
    operator_site: Site,
    db: Database,
):
    page = open_context(bypass_csp=True).new_page()  # axe is injected as an inline script
    sign_in(page)
    card = page.locator(CARD)
    card.get_by_text("Живлення, обігрів, інтернет, пальне").click()
    card.get_by_label("генератор", exact=True).check()
    card.get_by_label("Пальне для генератора, л").fill("-20")
    card.get_by_role("button", name="Зберегти").click()
    fuel = card.get_by_label("Пальне для генератора, л")
    expect(card.locator("#fuel-point-a-error")).to_have_text("Не може бути менше за 0.")
    expect(fuel).to_have_value("-20")
    expect(fuel).to_have_attribute("aria-invalid", "true")
    expect(card.get_by_label("генератор", exact=True)).to_be_checked()
    expect(card.locator("details")).to_have_attribute("open", "")
    expect(card.get_by_role("status")).to_have_text("Не збережено: перевірте позначене поле нижче.")
    expect(card).not_to_contain_text("вийшли з облікового запису")
    assert reports_by_operator(db) == []
    assert_accessible(page, "My points with a wrong fuel number")
    save_screenshots(page, "operator-bad-fuel")
    fuel.fill("37,5")
    card.get_by_role("button", name="Зберегти").click()
    expect(page.locator(CARD).get_by_role("status")).to_have_text(SENT)
    expect(page.locator(CARD)).to_contain_text("пальне 37,5 л")
    assert reports_by_operator(db) == [(None, False)]
