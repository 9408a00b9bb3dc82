"""The offline copy in a real Chromium (review R2, R6, R7): a results page kept by the service
worker and opened 11 hours later says what the server would say then ("Не підтверджено", a
daytime point "Зараз зачинено"), its banner says the date and time it was saved and how long
ago; a stalled server (SIGSTOP) still gets the kept copy within about 3 s; a point page never
opened says it was not saved, under its own address; a point listed in the results opens
offline; a new search offline keeps the old results labelled as such and what was typed.
The device's rule (static/freshness.js) is held against the server's on the same inputs.

The page's clock is Playwright's (page.clock); the server's is the real one, and every time a
test expects is computed from what the page itself says it was made at (data-generated-at).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.dates import format_date
from playwright.sync_api import Browser, BrowserContext, Page, expect

from nezlam import demo
from nezlam.domain import opening_hours
from nezlam.domain.freshness import shown_status
from nezlam.domain.point_view import iso
from nezlam.store import points
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from nezlam.web.plumbing import i18n
from nezlam.web.words import presenters
from tests.browser_support import PHONE, assert_accessible, save_screenshots
from tests.conftest import REGION_A, Network, point_create
from tests.servers import Server, running_server
from tests.test_browser import HERE, RESULTS, TYPED, card_names

pytestmark = pytest.mark.slow

KYIV = ZoneInfo("Europe/Kyiv")
STALE, SILENT = timedelta(hours=6), timedelta(hours=24)  # the settings' defaults, as served
DAYTIME = "day-point"  # open for a few hours around the time the test runs, closed 11 h later


@dataclass
class Served:
    server: Server
    network: Network
    day_opens: str  # "HH:00", when the daytime point opens, Kyiv time


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, as for every browser test: the pages are the same on both backends."""
    path = tmp_path / "nezlam.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def hours_around_now() -> tuple[str, str]:
    """(OpenStreetMap hours open from an hour before now to three after, every day; the hour
    it opens): open now, closed in 11 hours, whatever the time of day the tests run."""
    hour = datetime.now(KYIV).hour
    opens, closes = (hour - 1) % 24, hour + 3
    closes = closes if closes <= 24 else closes - 24
    return f"Mo-Su {opens:02d}:00-{closes:02d}:00", f"{opens:02d}:00"


@pytest.fixture
def served(
    browser: Browser,
    db: Database,
    db_url: str,
    network: Network,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Served]:
    monkeypatch.setattr(demo, "DEMO_ACCOUNTS", [])  # the demo's "admin" would collide
    hours, opens = hours_around_now()
    with db.write() as session:
        demo.load(session, count=40)
        near = point_create(DAYTIME, REGION_A, HERE[0] + 0.0004, HERE[1], opening_hours=hours)
        points.create_point(session, near, CLI)
    with running_server(db_url, log_dir=tmp_path / "server") as server:
        for point_id in (network.point_a, DAYTIME):
            answer = httpx.post(
                f"{server.url}/api/v1/points/{point_id}/reports",
                json={"status": "open"},
                headers=network.headers("coordinator_a"),
            )
            assert answer.status_code == 201, answer.text
        yield Served(server, network, opens)


@pytest.fixture
def open_page(browser: Browser, served: Served) -> Iterator[Callable[..., Page]]:
    contexts: list[BrowserContext] = []

    def open_(**options: object) -> Page:
        settings = {"base_url": served.server.url, "locale": "uk-UA", "viewport": PHONE}
        context = browser.new_context(**{**settings, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


KEPT = "async (path) => !!(await caches.match(path || location.href, {ignoreVary: true}))"
POINT_KEPT = "async (path) => !!(await caches.match(path, {ignoreVary: true, ignoreSearch: true}))"


def kept_copies(page: Page) -> object:
    """Every cache of the service worker and the addresses it holds, and who controls."""
    return page.evaluate(
        """async () => ({controller: !!navigator.serviceWorker.controller,
          caches: await Promise.all((await caches.keys()).map(async name =>
            [name, (await (await caches.open(name)).keys()).map(r => r.url)]))})"""
    )


def keep_offline(page: Page, path: str = RESULTS) -> datetime:
    """Open `path` with the service worker in control and its copy kept; when it was made."""
    page.goto(path)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now through the worker, which keeps a copy
    until(page, f"async () => !!navigator.serviceWorker.controller && ({KEPT})()", "a copy kept")
    return made_at(page)


def until(page: Page, predicate: str, what: str, arg: object = None) -> None:
    """Wait for an async predicate of the page to hold. Not `page.wait_for_function`: that
    takes the promise an async function returns for a truthy answer at once, and these
    waits waited for nothing (the worker's copies came in time, mostly; not in CI)."""
    for _ in range(150):
        if page.evaluate(predicate, arg):
            return
        page.wait_for_timeout(100)
    pytest.fail(f"still not so after 15 s: {what}")


def made_at(page: Page) -> datetime:
    return datetime.fromisoformat(page.locator("body").get_attribute("data-generated-at") or "")


def card(page: Page, point_id: str):
    return page.locator(f"article:has(h3#p-{point_id})")


def saved_words(made: datetime) -> str:
    """ "2 грудня о 01:48": when a copy was saved, as the banner says it (Kyiv time)."""
    local = made.astimezone(KYIV)
    return f"{format_date(local, 'd MMMM', locale='uk')} о {local:%H:%M}"


def test_the_offline_copy_eleven_hours_later_says_what_the_server_would(open_page, served):
    page = open_page(bypass_csp=True)  # axe is injected as an inline script
    made = keep_offline(page)
    expect(card(page, "point-a").locator(".headline")).to_have_text("Відчинено")
    expect(card(page, DAYTIME).locator(".headline")).to_have_text("Відчинено")

    page.context.set_offline(True)
    page.clock.install(time=made + timedelta(hours=11))
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-saved-copy", "saved")
    point_a = card(page, "point-a")
    expect(point_a.locator(".headline")).to_have_text("Не підтверджено")
    expect(point_a.locator(".detail")).to_have_text("востаннє підтверджено 11 годин тому")
    expect(point_a).to_have_class(re.compile(r"\btone-warn\b"))
    expect(point_a.locator(".advice")).to_contain_text("Зателефонуйте, перш ніж іти.")
    daytime = card(page, DAYTIME)
    expect(daytime.locator(".headline")).to_have_text("Зараз зачинено")
    expect(daytime.locator(".detail")).to_contain_text(f"о {served.day_opens}")
    expect(daytime.locator(".detail")).to_contain_text("востаннє підтверджено 11 годин тому")
    expect(daytime).to_have_class(re.compile(r"\btone-bad\b"))
    expect(page.locator("#offline")).to_have_text(
        f"Немає з'єднання — показано результати, збережені {saved_words(made)} (11 годин тому)"
    )
    assert_accessible(page, "the offline copy, 11 hours later")
    save_screenshots(page, "offline-11-hours-later")


def test_a_page_left_open_ages_as_its_clock_moves(open_page, served):
    page = open_page()
    page.clock.install()
    page.goto(RESULTS)
    expect(card(page, "point-a").locator(".headline")).to_have_text("Відчинено")
    page.clock.fast_forward("07:00:00")  # the minute's re-ageing runs
    expect(card(page, "point-a").locator(".headline")).to_have_text("Не підтверджено")
    expect(page.locator("#offline")).to_be_hidden()  # still online: old, not offline


def test_a_stalled_server_still_gets_the_kept_copy_within_three_seconds(open_page, served):
    page = open_page()
    made = keep_offline(page)
    os.killpg(served.server.pgid, signal.SIGSTOP)  # one bar of signal: connected, no answer
    try:
        started = time.monotonic()
        page.reload(timeout=12_000)  # before the fix: nothing until the network gave up
        waited = time.monotonic() - started
        expect(page.locator("body")).to_have_attribute("data-saved-copy", "saved")
        assert 2.5 <= waited <= 8.0, f"the kept copy came after {waited:.1f} s"
        expect(page.locator("#offline")).to_contain_text(saved_words(made))
        assert card_names(page)[:1] == ["Юрта незламності в парку Шевченка"]
    finally:
        os.killpg(served.server.pgid, signal.SIGCONT)
    # The late answer still reaches the worker, which keeps it for next time.
    until(
        page,
        """async (before) => {
          const hit = await caches.match(location.href, {ignoreVary: true});
          const html = hit ? await hit.text() : "";
          const at = (html.match(/data-generated-at="([^"]+)"/) || [])[1];
          return at && at !== before;
        }""",
        "the late answer kept",
        page.locator("body").get_attribute("data-generated-at"),
    )


def test_a_point_page_never_opened_says_it_was_not_saved_under_its_own_address(open_page, served):
    page = open_page(bypass_csp=True)  # axe is injected as an inline script
    keep_offline(page)
    # The results' point pages are kept with them (the first ten).
    until(page, f"() => ({POINT_KEPT})('/points/point-a')", "point-a's page kept")
    page.context.set_offline(True)
    page.goto("/points/point-b")  # far away in Kharkiv: never listed, never opened
    expect(page).to_have_url(re.compile(r"/points/point-b$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Цю сторінку не збережено для перегляду без зв'язку"
    )
    expect(page.get_by_role("heading", name="Знайти тепле місце зі світлом")).to_have_count(0)
    expect(page.locator("#offline")).to_be_hidden()
    assert_accessible(page, "the page for what was not saved")
    save_screenshots(page, "offline-not-saved")
    page.goto("/points/point-a")  # listed in the results: kept, it opens
    try:
        expect(page.get_by_role("heading", name="Пункт point-a", level=1)).to_be_visible()
    except AssertionError as failed:  # once in CI: say what the worker kept, for next time
        raise AssertionError(
            f"{failed}\nat {page.url}, the worker kept: {kept_copies(page)}"
        ) from failed
    expect(page.locator("#offline")).to_contain_text("Немає з'єднання — показано сторінку")


def test_a_new_search_offline_keeps_the_old_results_labelled_and_what_was_typed(open_page, served):
    page = open_page()
    made = keep_offline(page)
    page.context.set_offline(True)
    box = page.get_by_label("Адреса, місце або координати")
    box.fill("Харків, Сумська 1")
    with page.expect_navigation():
        box.press("Enter")
    expect(page.locator("#offline")).to_have_text(
        "Немає з'єднання, тож новий пошук неможливий: нижче — результати попереднього пошуку, "
        f"збережені {saved_words(made)} (щойно)."
    )
    expect(page.get_by_role("heading", name=f"Найближчі пункти · {TYPED}")).to_be_visible()
    expect(box).to_have_value("Харків, Сумська 1")  # not silently reset to the old query
    save_screenshots(page, "offline-new-search")


# --- the device's rule against the server's, on the same inputs ---------------------------------

MADE = datetime(2026, 12, 1, 21, 48, tzinfo=UTC)  # a Tuesday, 23:48 in Kyiv
HOURS = [
    (None, "Europe/Kyiv"),
    ("24/7", "Europe/Kyiv"),
    ("Mo-Su 09:00-21:00", "Europe/Kyiv"),
    ("Mo-Fr 09:00-18:00", "Europe/Kyiv"),
    ("Mo-Su 18:00-06:00", "Europe/Kyiv"),
    ("Mo-Fr 08:00-12:30; Sa off", "Europe/Kyiv"),
    ("Mo 09:00-10:00", "Europe/Kyiv"),  # next opens beyond what the page carries
    ("Mo-Su 10:00-18:00", "America/Chicago"),
]
AGES = [  # (since the last update, since the last confirmation) when the page was made
    (timedelta(seconds=30), timedelta(seconds=30)),
    (timedelta(minutes=31), timedelta(minutes=31)),
    (timedelta(hours=2, minutes=30), timedelta(hours=2, minutes=30)),  # Python rounds half even
    (timedelta(hours=5, minutes=59), timedelta(hours=5, minutes=59)),
    (timedelta(hours=1), timedelta(hours=9)),
    (timedelta(hours=23), timedelta(hours=23)),
    (timedelta(hours=25), timedelta(hours=25)),
    (timedelta(hours=3), None),
]
LATER = [timedelta(0), timedelta(seconds=90), timedelta(hours=11), timedelta(hours=21),
         timedelta(hours=26), timedelta(days=2, hours=13), timedelta(days=3, hours=2)]  # fmt: skip


def server_says(reported, updated, verified, hours, zone, now, lang):
    """presenters.status_words at `now`, as the server would render the card then."""
    props = {
        "status": str(shown_status(reported, updated, verified, now, STALE, SILENT)),
        "updated_at": iso(updated),
        "verified_at": iso(verified),
        "timezone": zone,
        "open_now": opening_hours.is_open(hours, zone, now),
        "next_change": iso(opening_hours.next_change(hours, zone, now)),
    }
    change = opening_hours.next_change(hours, zone, now)
    if change is not None and change > MADE + timedelta(days=opening_hours.OFFLINE_DAYS):
        props["next_change"] = None  # beyond what the page carries: not said offline
    words = presenters.status_words(props, now, lang, i18n.translations(lang).gettext)
    return [words.headline, words.detail, words.tone, words.advice]


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_device_says_what_the_server_would_say_at_the_same_moment(open_page, lang):
    cases, expected, unknown = [], [], []
    for reported in ("open", "standby", "full", "closed", None):
        for since_update, since_verified in AGES:
            updated = MADE - since_update
            verified = None if since_verified is None else MADE - since_verified
            for hours, zone in HOURS:
                made_props = {
                    "status": "unknown",
                    "reported_status": reported,
                    "updated_at": iso(updated),
                    "verified_at": iso(verified),
                    "opening_hours": hours,
                    "timezone": zone,
                }
                facts = presenters.offline_facts(made_props, MADE)
                for later in LATER:
                    now = MADE + later
                    said = server_says(reported, updated, verified, hours, zone, now, lang)
                    beyond = hours is not None and later >= timedelta(days=3)
                    (unknown if beyond else expected).append(said)
                    cases.append({"facts": facts, "now": now.timestamp() * 1000, "beyond": beyond})
    page = open_page()
    page.goto(f"/?lang={lang}")
    answers = page.evaluate(
        """([cases, made]) => cases.map(c => {
          const w = nezlamFreshness.wordsFor(c.facts, c.now, made);
          return [w.headline, w.detail, w.tone, w.advice || null];
        })""",
        [cases, MADE.timestamp() * 1000],
    )
    known = [a for a, c in zip(answers, cases, strict=True) if not c["beyond"]]
    mismatches = [(e, a) for e, a in zip(expected, known, strict=True) if e != a]
    assert not mismatches, f"{len(mismatches)} of {len(known)} differ, e.g. {mismatches[:3]}"
    # Past the intervals the page carries, the device says so rather than guess.
    hours_unknown = {"uk": "розклад на цей час невідомий", "en": "hours unknown this far ahead"}
    beyond = [a for a, c in zip(answers, cases, strict=True) if c["beyond"]]
    assert beyond and all(a[1].endswith(hours_unknown[lang]) for a in beyond)
