"""The resident's pages without a browser: the no-JavaScript search, words for freshness,
languages, the point page and its visitor buttons. (A real browser runs them in
test_browser.py.)"""

import gzip
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from nezlam.web.plumbing import i18n

NEAR_A = {"lat": "50.451", "lon": "30.521", "f": "1"}


def text(html: str) -> str:
    """What a reader sees: the page without its tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def report(client, network, body, who="operator_a", point="point-a"):
    answer = client.post(f"/api/v1/points/{point}/reports", json=body, headers=network.headers(who))
    assert answer.status_code == 201


def test_no_javascript_search_lists_nearest_points_as_html(app_client, network):
    report(app_client, network, {"status": "open"})
    page = app_client.get("/", params=NEAR_A, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Point point-a" in html and "Point point-b" in html
    assert html.index("Point point-a") < html.index("Point point-b")  # nearest first
    assert "Open · confirmed just now" in text(html)
    # 131 m in a straight line × 1.3 for the streets, at 75 m a minute: 2.3, said as 3.
    assert "130 m</span> · <span>≈ 3 min walk" in html
    # Directions that work on any phone or computer; the geo: link for a maps app beside it.
    assert 'href="https://www.google.com/maps/dir/?api=1&amp;destination=50.45,30.52' in html
    assert 'href="geo:50.45,30.52' in html


def test_open_now_filter_is_on_at_first_and_hides_unconfirmed_points(app_client, network, clock):
    report(app_client, network, {"status": "open"})
    clock.advance(hours=7)
    default = app_client.get(
        "/", params={"lat": "50.451", "lon": "30.521"}, headers={"Accept-Language": "en"}
    ).text
    assert "Point point-a" not in default and "No point matches" in default
    everything = app_client.get("/", params=NEAR_A, headers={"Accept-Language": "en"}).text
    card = everything[everything.index("Point point-a") :]
    assert "Unconfirmed · last confirmed 7 hours ago" in text(card)
    assert "Call before you go." in card
    assert "Open</strong>" not in everything


def test_silent_points_say_no_response(app_client, network, clock):
    report(app_client, network, {"status": "open"}, who="operator_b", point="point-b")
    clock.advance(hours=25)
    html = app_client.get("/", params=NEAR_A, headers={"Accept-Language": "en"}).text
    assert "No response · no news for" in text(html)


def test_ukrainian_is_the_default_and_the_switch_is_remembered(app_client, network):
    first = app_client.get("/", params=NEAR_A)
    assert '<html lang="uk">' in first.text and "Знайти тепле місце" in first.text
    switched = app_client.get("/", params={**NEAR_A, "lang": "en"})
    assert '<html lang="en">' in switched.text and switched.cookies.get("lang") == "en"
    remembered = app_client.get("/", params=NEAR_A)  # the client keeps the cookie
    assert '<html lang="en">' in remembered.text
    assert 'lang="uk" hreflang="uk"' in remembered.text  # the switcher offers the other one


def test_filters_narrow_the_list(app_client, network):
    html = app_client.get(
        "/", params={**NEAR_A, "services": ["heat", "beds"]}, headers={"Accept-Language": "en"}
    ).text
    assert "No point matches" in html
    html = app_client.get(
        "/", params={**NEAR_A, "category": "business"}, headers={"Accept-Language": "en"}
    ).text
    assert "Point point-a" not in html


def test_typed_coordinates_work_and_nonsense_is_explained(app_client, network):
    html = app_client.get(
        "/", params={"q": "50.45, 30.52", "f": "1"}, headers={"Accept-Language": "en"}
    ).text
    assert "Point point-a" in html
    bad = app_client.get(
        "/", params={"q": "qwertyuiop zxcv", "f": "1"}, headers={"Accept-Language": "en"}
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "qwertyuiop" in bad.text


def test_point_page_shows_details_and_takes_a_visitor_signal(app_client, network):
    page = app_client.get(f"/points/{network.point_a}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "<h1>Point point-a</h1>" in page.text
    for label in ("It is open", "It is full", "No power here", "It is closed"):
        assert label in page.text
    sent = app_client.post(
        f"/points/{network.point_a}/signal", data={"kind": "full"}, follow_redirects=False
    )
    assert sent.status_code == 303 and "?signal=thanks&kind=full&at=" in sent.headers["location"]
    again = app_client.post(f"/points/{network.point_a}/signal", data={"kind": "full"})
    assert "You already told us this recently" in again.text or "Ви вже повідомляли" in again.text
    counts = app_client.get(
        f"/api/v1/points/{network.point_a}", headers=network.headers("coordinator_a")
    ).json()
    assert counts["properties"]["signals"]["full"] == 1


def test_missing_or_hidden_point_page_is_404(app_client, network):
    assert app_client.get("/points/no-such-point").status_code == 404
    app_client.patch(
        f"/api/v1/points/{network.point_b}",
        json={"visibility": "hidden"},
        headers=network.headers("coordinator_b"),
    )
    assert app_client.get(f"/points/{network.point_b}").status_code == 404


def test_first_page_fits_the_weight_budget(app_client, network):
    """40 KB compressed for the first page with its stylesheet and script, without the map."""
    total = 0
    for url in ("/?lat=50.451&lon=30.521&f=1", "/static/app.css", "/static/app.js"):
        raw = app_client.get(url, headers={"Accept-Encoding": "identity"}).content
        total += len(gzip.compress(raw, 6))
    assert total < 40_000, total


def test_every_page_string_has_a_ukrainian_translation():
    translations = i18n.translations("uk")
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        "src/nezlam/web", method_map=[("**/templates/**.html", "jinja2"), ("**.py", "python")]
    ):
        ids.add(message if isinstance(message, str) else message[0])
    assert len(ids) > 50
    untranslated = [m for m in ids if translations.gettext(m) == m and re.search("[a-z]", m)]
    assert untranslated == []


def test_no_message_is_translated_twice():
    """A second entry of one msgid in the catalog silently wins over the first: each once."""
    catalog = Path("src/nezlam/web/locales/uk/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid "(.+)"$', catalog, re.M)
    assert [m for m, n in Counter(ids).items() if n > 1] == []


def test_offline_pieces_are_served(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and "caches.open" in worker.text
    assert client.get("/static/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/manifest.webmanifest").status_code == 200


def test_poster_is_a_pdf_of_the_nearest_points(app_client, network):
    from io import BytesIO

    from pypdf import PdfReader

    response = app_client.get("/poster", params={"lat": "50.451", "lon": "30.521"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert "Пункт point-a" in text and "Пункт point-b" in text
    assert app_client.get("/poster", params={"lat": "x", "lon": "1"}).status_code == 422


def test_the_demo_yurt_is_found_by_typing_its_address(client, db, clock):
    from nezlam import demo

    with db.write() as session:
        demo.load(session, now=clock(), count=30)
    client.app.state.nezlam.sync.load_all()
    for typed in ("Володимирська 57", "volodymyrska 57", "парк Шевченка", "Shevchenko Park"):
        html = client.get("/", params={"q": typed, "f": "1"}).text
        first = html.index('<ol class="results">')
        assert "Юрта незламності в парку Шевченка" in html[first : first + 1500], typed


def test_pages_forbid_inline_scripts_and_framing(app_client, network):
    for url in ("/", "/points/point-a", "/login"):
        headers = app_client.get(url).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy and headers["x-frame-options"] == "DENY"
        assert "https://tile.openstreetmap.org" in policy  # the map's tiles may load
    for url in ("/", "/points/point-a", "/login", "/operate"):
        html = app_client.get(url).text
        # Scripts come from files only; the one inline block is data, which is never run.
        for script in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
            attributes, body = script
            assert 'src="' in attributes or 'type="application/json"' in attributes
            assert body.strip() == "" or 'type="application/json"' in attributes


def test_point_page_says_how_far_it_is_from_the_searched_place(app_client, network):
    results = app_client.get("/", params=NEAR_A, headers={"Accept-Language": "en"}).text
    assert 'href="/points/point-a?from=50.45100,30.52100"' in results
    page = app_client.get(
        "/points/point-a?from=50.45100,30.52100", headers={"Accept-Language": "en"}
    )
    assert "130 m from where you searched · ≈ 3 min walk" in text(page.text)
    plain = app_client.get("/points/point-a", headers={"Accept-Language": "en"}).text
    assert "from where you searched" not in plain
    nonsense = app_client.get("/points/point-a?from=<b>,1", headers={"Accept-Language": "en"})
    assert nonsense.status_code == 200 and "from where you searched" not in nonsense.text


def test_point_page_gives_its_coordinates_and_an_openstreetmap_link(app_client, network):
    html = app_client.get("/points/point-a", headers={"Accept-Language": "en"}).text
    assert "50.45000, 30.52000" in text(html)
    assert (
        'href="https://www.openstreetmap.org/?mlat=50.45&amp;mlon=30.52#map=18/50.45/30.52"' in html
    )


def test_english_pages_write_addresses_and_organisations_in_latin_letters(app_client, network):
    results = app_client.get("/", params=NEAR_A, headers={"Accept-Language": "en"}).text
    card = results[results.index("Point point-a") :]
    assert 'vul. Testova, 7 <span class="original" lang="uk">(вул. Тестова, 7)</span>' in card
    ukrainian = app_client.get("/", params=NEAR_A).text
    assert "vul. Testova" not in ukrainian and "вул. Тестова, 7" in ukrainian


@pytest.mark.parametrize(("zone", "shown"), [("Europe/Kyiv", "20:00"), ("Asia/Tokyo", "03:00")])
def test_a_page_says_when_it_was_made_on_the_networks_wall_clock(settings, db, clock, zone, shown):
    """NEZLAM_TIMEZONE, not a zone written into the code: 18:00 UTC is 20:00 in Kyiv in
    November, and 03:00 the next day in Tokyo."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from nezlam.web.app import create_app
    from nezlam.web.plumbing.fast_path import FastPath

    app = FastPath(create_app(replace(settings, timezone=zone), db, start_sync=False))
    app.state.nezlam.clock = clock
    with TestClient(app) as client:
        answer = client.get("/offline")
    assert f'data-generated="{shown}"' in answer.text
