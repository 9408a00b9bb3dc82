"""The finder on a cold person's phone, in a real Chromium: after a search the first card is on
the first 390×844 screen (with and without JavaScript), nothing scrolls sideways at 200 % text on
a 320 px screen, and the map numbers its markers as the list, marks "you are here", and says so
when its tiles cannot load.

SQLite only, on the `network` points and a small demo network (tests/test_browser.py's site).
"""

# ruff: noqa: F811 (the fixtures imported from test_browser are parameters by the same names)
from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import Page, expect

from tests.browser_support import (
    PHONE,
    SCREENSHOTS,
    assert_accessible,
    overflow_px,
    save_screenshots,
)
from tests.test_browser import (  # noqa: F401 (fixtures)
    RESULTS,
    TYPED,
    YURT,
    card_names,
    db_url,
    open_context,
    page,
    search,
    site,
)

pytestmark = pytest.mark.slow
NARROW = {"width": 320, "height": 640}


def first_card_top(page: Page) -> float:
    """Where the first result card starts, in CSS pixels from the top of the window."""
    return page.locator("ol.results article").first.evaluate("a => a.getBoundingClientRect().top")


def assert_first_card_on_screen(page: Page, where: str) -> None:
    top = first_card_top(page)
    heading = page.locator("ol.results h3").first.evaluate("h => h.getBoundingClientRect().bottom")
    assert top >= 0 and heading <= PHONE["height"], f"{where}: first card at {top}..{heading} px"


@pytest.mark.parametrize("script", [True, False], ids=["javascript", "no-javascript"])
def test_after_a_search_the_first_card_is_on_the_first_phone_screen(open_context, script):
    page = open_context(java_script_enabled=script).new_page()
    page.goto("/")
    search(page)
    assert page.url.endswith("#results-title")
    assert_first_card_on_screen(page, "after the form")
    # A screen reader starts at the results, not at the top of the page (the fragment's target
    # is focusable: the browser moves focus there, script or not).
    assert page.evaluate("document.activeElement.id") == "results-title"
    # A results link opened as it is (shared, or from "use my location"): no jump needed.
    page.goto(RESULTS)
    assert page.evaluate("window.scrollY") == 0 or script
    assert_first_card_on_screen(page, "opened directly")
    save_screenshots(page, f"results-first-screen-{'js' if script else 'nojs'}")


def test_a_cold_phone_at_200_percent_text_never_scrolls_sideways(open_context):
    page = open_context(viewport=NARROW).new_page()
    for path in ("/", RESULTS, "/points/kyiv-shevchenko-park-yurt", "/?q=qwertyuiop+zxcv&f=1"):
        page.goto(path)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert overflow_px(page) <= 0, f"{path} scrolls sideways at 200 % text"
        notice = page.locator(".notice.demo")
        if notice.count():
            box = notice.evaluate("n => [n.scrollWidth, n.clientWidth]")
            assert box[0] <= box[1], f"{path}: the demo notice overflows its box {box}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(RESULTS)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.screenshot(path=SCREENSHOTS / "results-320px-200pct.png", full_page=True)
    # The header is one band, not the whole first screen.
    header = page.locator("header.top").evaluate("h => h.getBoundingClientRect().height")
    assert header < NARROW["height"] / 3, header


def test_map_numbers_its_markers_as_the_list_and_says_when_tiles_fail(open_context, site):
    page = open_context(bypass_csp=True).new_page()  # axe is injected as an inline script
    # Tiles are the outside world: refused here, as on a phone without a connection to them.
    page.context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda r: r.abort())
    page.goto(RESULTS)
    names = card_names(page)
    page.get_by_role("button", name="Показати мапу").click()
    expect(page.locator("#map.leaflet-container")).to_be_visible()
    pins = page.locator("#map .leaflet-marker-icon.pin")
    expect(pins).to_have_count(len(names))
    assert pins.all_inner_texts() == [str(n) for n in range(1, len(names) + 1)]
    expect(page.locator("#map .leaflet-marker-icon.here")).to_have_count(1)
    expect(page.locator("#map .leaflet-tooltip")).to_have_text("Ви тут")
    expect(page.locator("#map-note")).to_contain_text("Не вдалося завантажити мапу")
    expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("title", "Наблизити")
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("учасники OpenStreetMap")
    # The map opens below the first cards: the first card has not moved down.
    order = page.evaluate(
        "[document.querySelector('ol.results article').getBoundingClientRect().top,"
        " document.getElementById('map').getBoundingClientRect().top]"
    )
    assert order[0] < order[1]
    # A click event on the pin itself: a positional click can land while the map still
    # settles after fitting the pins (seen on a loaded machine), and then opens nothing.
    pins.first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content a")
    expect(popup).to_have_text(re.compile(rf"^1\. {re.escape(YURT)} — "))
    # Leaflet fades a popup in: checked half-transparent, its text would fail on contrast.
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")
    assert_accessible(page, "results with the map open")
    save_screenshots(page, "map-numbered")


def test_typed_coordinates_the_wrong_way_round_offer_the_right_way(page):
    page.goto("/")
    search(page, "30,5133, 50,4419")
    notice = page.get_by_role("status").filter(has_text="Можливо, ви мали на увазі")
    expect(notice).to_be_visible()
    with page.expect_navigation():
        notice.get_by_role("link", name="50.4419, 30.5133").click()
    assert card_names(page)[0] == YURT
    expect(page.get_by_label("Адреса, місце або координати")).to_have_value(TYPED)


def colour_emoji_font() -> bool:
    listed = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    return "emoji" in listed.lower()


def test_service_icons_drawn_as_boxes_are_hidden_and_the_words_stay(page):
    if colour_emoji_font():
        pytest.skip("this machine has a colour-emoji font: its icons are drawn, so they stay")
    page.goto(RESULTS)
    expect(page.locator("html")).to_have_class(re.compile(r"\bno-emoji\b"))
    first = page.locator("ol.results .services li").first
    expect(first.locator("[aria-hidden]")).to_be_hidden()
    expect(first).to_contain_text("Обігрів")  # the service's words are still there
    page.get_by_text("Послуги та види пунктів").click()
    expect(page.locator(".check .icon").first).to_be_hidden()
    expect(page.get_by_label("Обігрів")).to_be_visible()
