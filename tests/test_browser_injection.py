"""Hostile text (tests/hostile.py) in a real Chromium: every page of test_injection.PAGES, as the
role that sees it, and the three maps that JavaScript draws — the finder's (after "Show map"),
the coordinator's dashboard and the coverage map — with their popups and tooltips opened.

On each page nothing navigates away (no `<meta http-equiv=refresh>` reached the page), no
dialog opens (no injected handler ran), no injected element is in the document, and the hostile
text is there as text. The contexts bypass the pages' Content-Security-Policy: CSP would stop
an injected `onerror` from running, and escaping alone must hold. SQLite only, like the other
browser tests; the server runs on the real clock, and so does everything planted here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from nezlam.store.db import Database
from tests.browser_support import DESKTOP
from tests.conftest import FakeClock, Network
from tests.hostile import INJECTED, META, SVG, Planted, plant, write_coverage
from tests.servers import running_server
from tests.test_browser import db_url  # noqa: F401  (SQLite only)
from tests.test_browser_coordinate import signed_in
from tests.test_injection import NEAR, PAGES, Shown

pytestmark = pytest.mark.slow
LOCALES = {"uk": "uk-UA", "en": "en-GB"}
OUTSIDE = re.compile(r"^https?://(?!127\.0\.0\.1:\d+/)")  # map tiles: the outside world
PHISH = re.compile(r"^https?://127\.0\.0\.1:9/")  # where the planted refresh would send people
# Every Leaflet map the page makes, kept where the test can reach it (Leaflet keeps no list):
# a hook on L.Map, installed the moment leaflet.js defines `L`.
KEEP_MAPS = """(() => {
  const maps = window.__maps = [];
  Object.defineProperty(window, "L", {
    configurable: true,
    get() { return undefined; },
    set(leaflet) {
      Object.defineProperty(window, "L", { value: leaflet, writable: true, configurable: true });
      leaflet.Map.addInitHook(function () { maps.push(this); });
    },
  });
})();"""
# Open every popup and tooltip of every layer, as a click or a hover would, and say what each
# showed and whether anything injected was in the document while it was open.
OPEN_ALL = """selector => {
  const seen = [];
  for (const map of window.__maps) {
    map.eachLayer(layer => {
      for (const [get, open, close] of [["getPopup", "openPopup", "closePopup"],
                                        ["getTooltip", "openTooltip", "closeTooltip"]]) {
        const bound = layer[get] && layer[get]();
        if (!bound) continue;
        layer[open]();
        seen.push({ text: bound.getElement().textContent,
                    injected: document.querySelector(selector) !== null });
        layer[close]();
      }
    });
  }
  return seen;
}"""
# As text on the page, or as what a form field holds.
SHOWN = """t => document.body.textContent.includes(t)
  || [...document.querySelectorAll("input, textarea")].some(e => e.value.includes(t))"""


@pytest.fixture
def clock() -> FakeClock:
    """conftest's network is built on this clock: the real one, at which the server serves."""
    return FakeClock(datetime.now(UTC))


@dataclass
class HostileSite:
    url: str
    planted: Planted
    db: Database


@pytest.fixture
def hostile_site(
    db: Database,
    db_url: str,  # noqa: F811
    network: Network,
    clock: FakeClock,
    tmp_path: Path,
) -> Iterator[HostileSite]:
    planted = plant(db, clock())
    covered, sited = tmp_path / "coverage", tmp_path / "siting"
    write_coverage(covered, sited, planted.texts)
    env = {"NEZLAM_COVERAGE_DIR": str(covered), "NEZLAM_SITING_DIR": str(sited)}
    with running_server(db_url, extra_env=env, log_dir=tmp_path / "server") as server:
        yield HostileSite(server.url, planted, db)


@dataclass
class Tab:
    """A page and what happened in it: main-frame navigations, dialogs, requests to the phish."""

    page: Page
    site: HostileSite
    navigations: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    phished: list[str] = field(default_factory=list)

    def text(self, key: str) -> str:
        return self.site.planted.texts[key]


@pytest.fixture
def tab(browser: Browser, hostile_site: HostileSite) -> Iterator[Callable[..., Tab]]:
    contexts: list[BrowserContext] = []

    def open_(who: str, lang: str = "uk") -> Tab:
        context = browser.new_context(
            base_url=hostile_site.url, locale=LOCALES[lang], viewport=DESKTOP, bypass_csp=True
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        if who != "anonymous":
            signed_in(hostile_site.db, context, hostile_site.url, who)
        context.add_init_script(KEEP_MAPS)
        tab = Tab(context.new_page(), hostile_site)
        context.route(OUTSIDE, lambda route: route.abort())
        context.route(PHISH, lambda route: (tab.phished.append(route.request.url), route.abort()))
        tab.page.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
        tab.page.on(
            "framenavigated",
            lambda frame: (
                tab.navigations.append(frame.url) if frame == tab.page.main_frame else None
            ),
        )
        return tab

    yield open_
    for context in contexts:
        context.close()


def visit(tab: Tab, path: str, status: int = 200) -> None:
    tab.navigations.clear()
    answer = tab.page.goto(path)
    assert answer is not None and answer.status == status, path


def assert_untouched(tab: Tab, path: str, keys: tuple[str, ...] = ()) -> None:
    """After everything on the page has run (the network is idle: a refresh would be loading):
    still at `path`, nothing injected, no dialog, and the hostile text shown as text."""
    tab.page.wait_for_load_state("networkidle")
    where = tab.site.url + path
    assert (tab.navigations, tab.page.url) == ([where], where), f"navigated away from {path}"
    assert tab.phished == [] and tab.dialogs == [], path
    assert tab.page.evaluate("s => document.querySelector(s)", INJECTED) is None, path
    for key in keys:
        shown = tab.page.evaluate(SHOWN, tab.text(key))
        assert shown, f"{path}: {key} is not shown as text"


def pages_of(who: str) -> list[Shown]:
    return [shown for shown in PAGES if shown.who == who]


@pytest.mark.parametrize("who", sorted({shown.who for shown in PAGES}))
def test_every_page_of_a_role_stays_put_and_shows_the_text_as_text(tab, who):
    for lang in LOCALES:
        pages = [shown for shown in pages_of(who) if shown.lang == lang]
        if not pages:
            continue
        opened = tab(who, lang)
        for shown in pages:
            visit(opened, shown.path, shown.status)
            assert_untouched(opened, shown.path, shown.texts)


def open_everything(tab: Tab, texts: list[str]) -> list[str]:
    """Open each popup and tooltip of the page's maps; each of `texts` must be in one of them,
    and nothing injected may appear while any is open."""
    seen = tab.page.evaluate(OPEN_ALL, INJECTED)
    assert [s["text"] for s in seen if s["injected"]] == []
    shown = [s["text"] for s in seen]
    missing = [text for text in texts if not any(text in one for one in shown)]
    assert not missing, (missing, shown)
    return shown


def test_the_finders_map_shows_names_as_text_in_its_popups(tab):
    opened = tab("anonymous")
    visit(opened, NEAR)
    data = opened.page.evaluate("JSON.parse(document.getElementById('map-data').textContent)")
    names = [point["name"] for point in data["points"]]
    assert opened.text("name_uk") in names and opened.text("r_name_uk") in names
    opened.page.locator("#show-map").click()
    expect(opened.page.locator("#show-map")).to_be_hidden()  # hidden once the map is drawn
    open_everything(opened, names)
    assert_untouched(opened, NEAR)


def test_the_dashboards_map_shows_names_as_text_in_its_popups(tab):
    opened = tab("coordinator_a")
    visit(opened, "/coordinate")
    features = opened.page.context.request.get("/coordinate/export.geojson").json()["features"]
    names = [f["properties"]["name"] for f in features if f["geometry"]]
    assert opened.text("name_uk") in names and opened.text("r_name_uk") in names
    drawn = opened.page.locator("#coordinate-map")
    expect(drawn).to_have_attribute("data-markers", str(len(names)))  # set once it is drawn
    open_everything(opened, names)
    assert_untouched(opened, "/coordinate")


def test_the_coverage_maps_tooltips_show_district_and_site_as_text(tab):
    """Leaflet takes a tooltip given as a string for HTML: the district (a point's locality or
    an OpenStreetMap name) and the site's name must reach it as text."""
    opened = tab("coordinator_a")
    visit(opened, "/coordinate/coverage")
    expect(opened.page.locator("#coverage-map")).to_have_attribute("data-layers-shown", "2")
    expect(opened.page.locator(".site-marker")).to_have_text("1")
    open_everything(opened, [opened.text("district"), "#1 " + opened.text("site")])
    assert_untouched(opened, "/coordinate/coverage", ("district", "site"))


def test_a_link_carrying_markup_shows_a_problem_page_that_stays_put(tab):
    opened = tab("coordinator_a")
    path = "/coordinate/points/" + quote(META + SVG, safe="")
    visit(opened, path, 404)
    assert_untouched(opened, path)
