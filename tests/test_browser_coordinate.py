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
from nezlam.domain.points import ReportCreate
from nezlam.store import login_sessions, points, reports
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from nezlam.store.tables import Notification, User, utcnow
from nezlam.web.plumbing.deps import SESSION_COOKIE
from tests.browser_support import DESKTOP, PHONE, assert_accessible, save_screenshots
from tests.conftest import REGION_A, point_create
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
        context = open_context(**{"viewport": DESKTOP, **options})
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda r: r.abort())
        signed_in(db, context, site.url, "coordinator_a")
        return context.new_page()

    return open_


def table_names(page: Page) -> list[str]:
    return page.locator("#points-table tbody td:first-child a").all_inner_texts()


def test_coordinator_sees_every_filtered_point_on_the_map(coordinator, site):  # noqa: F811
    page = coordinator()
    page.goto("/coordinate?status=open&status=unconfirmed&status=unknown")
    expect(page.get_by_role("heading", name="Пункти у ваших регіонах", level=1)).to_be_visible()
    expect(page.locator("#coordinate-map.leaflet-container")).to_be_visible()
    exported = page.context.request.get(
        "/coordinate/export.geojson?status=open&status=unconfirmed&status=unknown"
    ).json()["features"]
    assert 2 <= len(exported) < 60
    statuses = [f["properties"]["status"] for f in exported]
    assert set(statuses) <= {"open", "unconfirmed", "unknown"} and "open" in statuses
    expect(page.locator("#coordinate-map")).to_have_attribute("data-markers", str(len(exported)))
    # Open points are dots on a canvas; each one in doubt a marker of its own shape and sign.
    expect(page.locator("#coordinate-map")).to_have_attribute(
        "data-dots", str(statuses.count("open"))
    )
    in_doubt = len(exported) - statuses.count("open")
    expect(page.locator("#coordinate-map")).to_have_attribute("data-marks", re.compile(r"\d"))
    assert marked(page) == in_doubt  # each once: alone, or counted in a cluster
    # Zoomed in far enough, every one is a mark of its own, with its state's sign.
    map_ = page.locator("#coordinate-map")
    while int(map_.get_attribute("data-zoom")) < 14:
        zoom = map_.get_attribute("data-zoom")
        page.locator(".leaflet-control-zoom-in").click()
        expect(map_).not_to_have_attribute("data-zoom", zoom)
    expect(page.locator("#coordinate-map .map-cluster")).to_have_count(0)
    assert marked(page) == in_doubt
    unconfirmed = page.locator("#coordinate-map .leaflet-marker-pane .mark-unconfirmed")
    expect(unconfirmed).to_have_count(statuses.count("unconfirmed"))
    expect(unconfirmed.first).to_have_text("?")
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    # A coordinator of Kyiv never sees Kharkiv's point, on the map or in the table.
    assert "point-b" not in {f["id"] for f in exported}
    expect(page.locator('#points-table tr[data-id="point-b"]')).to_have_count(0)


def marked(page: Page) -> int:
    """How many points the problem marks on the map stand for (a cluster says how many)."""
    return page.locator("#coordinate-map .leaflet-marker-pane [data-count]").evaluate_all(
        "marks => marks.reduce((n, m) => n + Number(m.dataset.count), 0)"
    )


def test_points_in_doubt_are_drawn_above_the_open_ones_and_the_legend_has_words(
    coordinator,
    site,  # noqa: F811
    db,
):
    with db.write() as session:  # a dozen closed points on one block, as in a city centre
        for i in range(12):
            data = point_create(f"block-{i}", REGION_A, 50.4501 + i / 10_000, 30.5234)
            points.create_point(session, data, CLI)
            reports.add_report(session, data.id, ReportCreate(status="closed"), CLI)
    page = coordinator()
    page.goto("/coordinate")
    expect(page.locator("#coordinate-map.leaflet-container")).to_be_visible()
    marks = page.locator("#coordinate-map .map-mark")
    expect(marks.first).to_be_visible()
    # Whatever lies under it, the top thing at each problem mark's centre is that mark.
    on_top = marks.evaluate_all(
        """marks => marks.filter(m => {
            const r = m.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return true;
            const hit = document.elementFromPoint(x, y);
            return hit && hit.closest('.map-mark');
        }).length"""
    )
    assert on_top == marks.count()
    # Zoomed out, the dozen are one mark that says how many and what they are; a click zooms in.
    biggest = page.locator(".map-cluster .mark-closed").evaluate_all(
        "shapes => Math.max(...shapes.map(s => Number(s.dataset.count)))"
    )
    assert biggest >= 12
    block = page.locator(f'.map-cluster:has(.mark-closed[data-count="{biggest}"])').first
    assert "Зачинено: " in block.get_attribute("title")
    zoom = page.locator("#coordinate-map").get_attribute("data-zoom")
    block.click()
    expect(page.locator("#coordinate-map")).not_to_have_attribute("data-zoom", zoom)
    legend = page.get_by_role("list", name="Легенда мапи")
    for words in ("Відчинено", "У резерві", "Не підтверджено", "Немає відповіді", "Зачинено"):
        expect(legend).to_contain_text(words)
    expect(legend.locator(".mark-closed")).to_have_text("×")
    # The tiles (the outside world) are refused here: the map says so, and still shows points.
    expect(page.locator("#map-tiles-note")).to_be_visible()
    expect(page.locator("#map-tiles-note")).to_contain_text("пункти все одно показано")


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
    for path in ("/coordinate", "/coordinate/points/point-a", "/coordinate/notifications"):
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


def test_on_a_phone_each_point_shows_its_status_verified_time_and_fuel(coordinator, site):  # noqa: F811
    page = coordinator(viewport=PHONE)
    page.goto("/coordinate?sort=fuel")
    first = page.locator("#points-table tbody tr").first
    for cell in ("td.c-name", "td.c-status", "td.c-verified", "td.c-fuel"):
        box = first.locator(cell).bounding_box()
        assert box is not None and box["width"] > 0, cell
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], cell
    # The status sits right under the name, not off to the side.
    name, status = (first.locator(c).bounding_box() for c in ("td.c-name", "td.c-status"))
    assert status["y"] >= name["y"] + name["height"] - 1 and status["x"] == name["x"]
    # Each value says what it is (the header row is out of sight).
    said = first.locator("td.c-fuel").evaluate("td => getComputedStyle(td, '::before').content")
    assert said == '"Пальне, л"'
    expect(page.locator("#points-table thead")).not_to_be_in_viewport()
    # Sorting without the header row: the form's own control.
    page.get_by_label("Сортувати за").select_option("name")
    with page.expect_navigation():
        page.get_by_role("button", name="Застосувати").click()
    assert "sort=name" in page.url
    save_screenshots(page, "coordinator-dashboard-phone-table")


def test_notifications_are_a_summary_above_the_counts_and_the_table(coordinator, site, db):  # noqa: F811
    with db.write() as session:  # the review's wall: fifty of them, of every kind
        session.add_all(
            Notification(point_id="point-a", region=REGION_A, kind=kind, at=utcnow())
            for kind in ("full", "closed", "no_power", "low_fuel")
            for _ in range(15)
        )
    page = coordinator()
    page.goto("/coordinate")
    expect(page.locator(".note-group")).to_have_count(4)
    expect(page.get_by_role("heading", name=re.compile("Сповіщення: 6\\d нових"))).to_be_visible()
    panel = page.locator("#notifications")
    counts = page.get_by_role("heading", name="Кількість за регіонами")
    assert panel.bounding_box()["height"] < 400
    assert counts.bounding_box()["y"] < DESKTOP["height"]  # within the first screen
    full = page.locator(".note-group.kind-full")
    count = int(full.locator(".note-count").inner_text())
    assert count >= 15
    with page.expect_navigation():
        full.get_by_role("button").click()
    expect(page.locator(".notice.ok")).to_have_text(f"Позначено переглянутими: {count}.")
    expect(page.locator(".note-group")).to_have_count(3)
    save_screenshots(page, "coordinator-dashboard-notifications")
