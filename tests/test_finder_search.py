"""The finder's search as a resident types it, without a browser: coordinates with decimal
commas or the wrong way round, the demo finding what its own page suggests and its cards print,
suggestions instead of a dead end, alternatives that add something, and "show 10 more"."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from nezlam import demo
from tests.test_finder_pages import text

EN = {"Accept-Language": "en"}


def find(client, q, **params):
    return client.get("/", params={"q": q, "f": "1", **params}, headers=EN)


def first_card(html: str) -> str:
    start = html.index('<ol class="results">')
    return html[start : html.index("</article>", start)]


@pytest.fixture
def demo_client(client, db, clock):
    with db.write() as session:
        demo.load(session, now=clock(), count=40)
    client.app.state.nezlam.sync.load_all()
    return client


@pytest.mark.parametrize("typed", ["50,451, 30,521", "50,451 30,521", "50,451;30,521"])
def test_coordinates_with_decimal_commas_are_read_as_ukrainians_write_them(app_client, typed):
    page = find(app_client, typed)
    assert page.status_code == 200, text(page.text)[:300]
    assert "130 m" in first_card(page.text) and "Point point-a" in first_card(page.text)


def test_swapped_coordinates_are_answered_with_the_right_way_round(app_client):
    page = find(app_client, "30.521, 50.451", category="state")
    assert page.status_code == 200
    html = page.text
    assert "Did you mean" in html and "Latitude comes first" in html
    link = re.search(r'Did you mean <a href="([^"]+)">50\.451, 30\.521</a>\?', html)
    assert link, text(html)[:600]
    target = urlsplit(link[1].replace("&amp;", "&"))
    assert parse_qs(target.query)["q"] == ["50.451, 30.521"] and target.fragment == "results-title"
    assert parse_qs(target.query)["category"] == ["state"]  # the filters come along
    followed = app_client.get(link[1].replace("&amp;", "&"), headers=EN)
    assert "Did you mean" not in followed.text and "130 m" in first_card(followed.text)


def test_coordinates_near_points_are_not_second_guessed(app_client):
    assert "Did you mean" not in find(app_client, "50.451, 30.521").text
    # Far from every point either way: nothing to suggest (e.g. a test in the Atlantic).
    assert "Did you mean" not in find(app_client, "10.0, -30.0").text


def test_swapped_coordinates_outside_the_earth_still_get_the_suggestion(app_client):
    page = find(app_client, "120.5, 49.99")  # no latitude is 120: the person meant 49.99, 120.5?
    assert page.status_code == 422 and "outside the Earth" in page.text
    assert "Did you mean" not in page.text  # nothing is near 49.99, 120.5 either
    near_b = find(app_client, "36.23, 49.99")  # point-b is in Kharkiv, at 49.99, 36.23
    assert "Did you mean" in near_b.text and "49.99, 36.23" in near_b.text


@pytest.mark.parametrize(
    "typed",
    [
        "Хрещатик 22",
        "Khreshchatyk 22",
        "Хрещатик",
        "Maidan",
        "вокзал",
        "Троєщина",
        "Майдан Незалежності",
        "Бажана",
        "проспект Перемоги",  # the old name of Берестейський проспект
    ],
)
def test_the_demo_finds_what_its_page_and_readme_suggest(demo_client, typed):
    page = demo_client.get("/", params={"q": typed, "f": "1"})
    assert page.status_code == 200, text(page.text)[:400]
    assert '<ol class="results">' in page.text


def test_the_placeholder_example_is_found_at_the_main_post_office(demo_client):
    page = demo_client.get("/", params={"q": "Хрещатик 22", "f": "1"})
    heading = re.search(r'<h2 id="results-title"[^>]*>([^<]+)</h2>', page.text)
    assert heading and "вулиця Хрещатик, 22" in heading[1]


def test_every_address_a_demo_card_prints_is_found_where_the_point_is(demo_client):
    api = demo_client.get("/api/v1/points", params={"limit": 100}).json()["features"]
    printed = [f for f in api if f["geometry"] and f["properties"].get("address")]
    assert len(printed) >= 30
    for feature in printed:
        address = feature["properties"]["address"]
        answer = demo_client.get("/api/v1/places/search", params={"q": address}).json()
        best = answer["results"][0]
        lon, lat = feature["geometry"]["coordinates"]
        assert abs(best["lat"] - lat) < 0.001 and abs(best["lon"] - lon) < 0.0015, (address, best)


def test_nothing_found_suggests_similar_names_and_the_street_without_a_number(demo_client):
    page = demo_client.get("/", params={"q": "вул. Тестова, 99", "f": "1"}, headers=EN)
    assert page.status_code == 422
    alert = page.text[page.text.index('role="alert"') :]
    alert = alert[: alert.index("</div>")]
    assert "Try the street name without the house number." in alert
    assert "Perhaps you meant:" in alert and "Poshtova Square, Kyiv" in alert  # Тестова ~ Поштова
    link = re.search(r'<a href="([^"]+)">Poshtova Square, Kyiv</a>', alert)
    assert link and "#results-title" in link[1]
    again = demo_client.get(link[1].replace("&amp;", "&"), headers=EN)
    assert again.status_code == 200 and '<ol class="results">' in again.text


def test_a_landmark_before_the_address_is_looked_past(demo_client):
    html = demo_client.get("/", params={"q": "парк Шевченка, вул. Володимирська, 57", "f": "1"})
    assert "Юрта незламності в парку Шевченка" in first_card(html.text)


def test_alternatives_never_repeat_the_match_less_precisely(demo_client):
    html = demo_client.get("/", params={"q": "Володимирська 57", "f": "1"}).text
    offered = re.search(r'<p class="alternatives">(.*?)</p>', html, re.S)
    shown = text(offered[1]) if offered else ""
    assert "вулиця Володимирська, Київ" not in shown
    assert "вулиця Володимирська, 57, Київ" in html


def test_show_more_asks_for_ten_more_and_lands_on_the_eleventh(demo_client):
    page = demo_client.get("/", params={"q": "50.4419, 30.5133", "f": "1"}, headers=EN)
    assert page.text.count('class="card ') == 10
    link = re.search(r'<a class="button secondary" href="([^"]+)">Show 10 more</a>', page.text)
    assert link, "no 'show 10 more' link"
    href = link[1].replace("&amp;", "&")
    assert "k=20" in href and href.endswith("#r-11")
    more = demo_client.get(href, headers=EN).text
    assert more.count('class="card ') == 20 and 'id="r-11"' in more
    fewer = demo_client.get("/", params={"q": "50.4419, 30.5133", "f": "1", "k": "9999"})
    assert fewer.text.count('class="card ') == 42 and "Show 10 more" not in fewer.text


def test_staff_links_are_in_the_footer_not_in_the_language_navigation(app_client):
    html = app_client.get("/", headers=EN).text
    languages = re.search(r'<nav aria-label="Language"[^>]*>(.*?)</nav>', html, re.S)[1]
    assert "/operate" not in languages and "English" in languages
    staff = re.search(r'<nav aria-label="For staff"[^>]*>(.*?)</nav>', html, re.S)[1]
    assert all(href in staff for href in ('"/operate"', '"/coordinate"', '"/apply"'))
    assert html.index("<footer>") < html.index('aria-label="For staff"')


def test_a_search_form_lands_on_its_results(app_client):
    html = app_client.get("/", headers=EN).text
    assert 'action="/#results-title"' in html
    results = find(app_client, "50.451, 30.521").text
    assert '<section id="results"' in results and 'id="results-title" tabindex="-1"' in results
