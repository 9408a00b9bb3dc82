"""The coordinator's dashboard in a real Chromium: signed in as the Kyiv coordinator on a desktop,
the map marks every filtered point, the table sorts by its headers, axe-core finds no serious
problem, and without JavaScript the table still works. SQLite only, like test_browser.py."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from nezlam.domain.collation import natural_key
from nezlam.store import login_sessions
from nezlam.store.db import Database
from nezlam.store.tables import User
from nezlam.web.deps import SESSION_COOKIE
from tests.browser_support import DESKTOP, assert_accessible, save_screenshots
from tests.test_browser import Site, db_url, open_context, site  # noqa: F401

pytestmark = pytest.mark.slow


def signed_in(db: Database, context: BrowserContext, url: str, username: str) -> None:
    """Give the browser a session cookie as signing in would (argon2 is slow on purpose)."""
    with db.write() as session:
        user = session.execute(sa.select(User).where(User.username == username)).scalar_one()
        secret, _csrf = login_sessions.start(session, user)
    context.add_cookies([{"name": SESSION_COOKIE, "value": secret, "url": url}])


@pytest.fixture
def coordinator(open_context: Callable[..., BrowserContext], site: Site, db: Database):  # noqa: F811
    """A desktop browser signed in as the Kyiv coordinator, tiles (the outside world) refused."""

    def open_(**options: object) -> Page:
        context = open_context(viewport=DESKTOP, **options)
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda r: r.abort())
        signed_in(db, context, site.url, "coordinator_a")
        return context.new_page()

    return open_


def table_names(page: Page) -> list[str]:
    return page.locator("#points-table tbody td:first-child a").all_inner_texts()


def test_coordinator_sees_every_filtered_point_on_the_map(coordinator, site):  # noqa: F811
    page = coordinator()
    page.goto("/coordinate?status=open&status=unconfirmed")
    expect(page.get_by_role("heading", name="Пункти у ваших регіонах", level=1)).to_be_visible()
    expect(page.locator("#coordinate-map.leaflet-container")).to_be_visible()
    exported = page.context.request.get(
        "/coordinate/export.geojson?status=open&status=unconfirmed"
    ).json()["features"]
    assert 2 <= len(exported) < 40
    assert {f["properties"]["status"] for f in exported} <= {"open", "unconfirmed"}
    expect(page.locator("#coordinate-map path.leaflet-interactive")).to_have_count(len(exported))
    assert page.locator("#coordinate-map path.marker-open").count() == sum(
        f["properties"]["status"] == "open" for f in exported
    )
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    # A coordinator of Kyiv never sees Kharkiv's point, on the map or in the table.
    assert "point-b" not in {f["id"] for f in exported}
    expect(page.locator('#points-table tr[data-id="point-b"]')).to_have_count(0)


def test_the_table_sorts_by_its_headers_both_ways(coordinator, site):  # noqa: F811
    page = coordinator()
    page.goto("/coordinate")
    header = page.locator("#points-table th").filter(has_text="Назва")
    expect(header).not_to_have_attribute("aria-sort", re.compile("."))
    with page.expect_navigation():
        header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    ascending = table_names(page)
    assert len(ascending) >= 20 and ascending == sorted(ascending, key=natural_key)
    numbered = [name for name in ascending if "№" in name]  # the demo is seeded: always some
    assert len(numbered) >= 2
    assert numbered == sorted(numbered, key=lambda n: (n.split("№")[0], int(n.split("№")[1])))
    with page.expect_navigation():
        header.get_by_role("link").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    assert table_names(page) == sorted(ascending, key=natural_key, reverse=True)
    save_screenshots(page, "coordinator-dashboard")


def test_without_javascript_the_table_filters_and_the_map_stays_away(coordinator, site):  # noqa: F811
    page = coordinator(java_script_enabled=False)
    page.goto("/coordinate")
    expect(page.locator("#coordinate-map-wrap")).to_be_hidden()
    page.get_by_label("Назва або населений пункт").fill("юрта")
    with page.expect_navigation():
        page.get_by_role("button", name="Застосувати").click()
    names = table_names(page)
    assert names and all("юрта" in name.casefold() for name in names)
    with page.expect_navigation():
        page.get_by_role("link", name=names[0]).click()
    expect(page.get_by_role("heading", name="Журнал змін")).to_be_visible()


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_dashboard_and_point_history_have_no_serious_accessibility_problems(
    coordinator,
    site,  # noqa: F811
    lang,
):
    # The pages forbid inline scripts (CSP); axe is injected as one, so this context lets it in.
    page = coordinator(locale={"uk": "uk-UA", "en": "en-GB"}[lang], bypass_csp=True)
    for path in ("/coordinate", "/coordinate/points/point-a"):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        if path == "/coordinate":
            expect(page.locator("#coordinate-map.leaflet-container")).to_be_visible()
        assert_accessible(page, f"{path} ({lang})")


def test_an_operator_is_refused_the_dashboard(open_context, site, db):  # noqa: F811
    context = open_context()
    signed_in(db, context, site.url, "operator_a")
    page = context.new_page()
    answer = page.goto("/coordinate")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", name="Неможливо", level=1)).to_be_visible()
    assert httpx.get(site.url + "/coordinate", follow_redirects=False).status_code == 303
