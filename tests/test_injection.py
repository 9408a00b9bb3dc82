"""No stored (or reflected) script injection: hostile text in every field a person can write
(tests/hostile.py) is shown as text on every page where it appears, for the role that sees it.

Each page is parsed as a browser would split it into elements: no `<meta http-equiv>`, no
element with an `on…` handler, no `<img>` or inline `<script>` of an attacker's; every
`<script type="application/json">` block is valid JSON whose strings are the hostile text
exactly; and the hostile text itself is on the page, as text or as a form field's value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient

from nezlam.web.app import create_app
from nezlam.web.plumbing.fast_path import FastPath
from tests.conftest import sign_in_as
from tests.hostile import IMG, META, POINT_R, SVG, TEXTS, Planted, plant, write_coverage

HTML = {"Accept": "text/html"}


class Page(HTMLParser):
    """A page as elements, text, form values and JSON data blocks."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.values: list[str] = []
        self.data_blocks: dict[str, str] = {}  # id (or position) -> text
        self._script: dict[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.elements.append((tag, found))
        if tag == "script":
            self._script = found
        if tag == "input" and found.get("value"):
            self.values.append(found["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is None:
            self.text.append(data)
        elif self._script.get("type") == "application/json":
            key = self._script.get("id") or str(len(self.data_blocks))
            self.data_blocks[key] = self.data_blocks.get(key, "") + data

    def injected(self) -> list[str]:
        """Elements an attacker's text would have made; the templates make none of them (the
        pages' CSP allows no inline script or handler, so the product never needs one)."""
        found = []
        for tag, attrs in self.elements:
            handlers = [name for name in attrs if name.startswith("on")]
            if handlers:
                found.append(f"<{tag} {' '.join(handlers)}>")
            if tag == "meta" and "http-equiv" in attrs:
                found.append(f"<meta http-equiv={attrs['http-equiv']}>")
            if tag == "img" and attrs.get("src") == "x":
                found.append("<img src=x>")
            if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
                found.append("an inline <script>")
        return found

    def shown(self) -> str:
        return "".join(self.text) + "\n" + "\n".join(self.values)


def assert_safe(html: str, expected: list[str]) -> Page:
    page = Page(html)
    assert page.injected() == [], "injected elements"
    for block in page.data_blocks.values():
        json.loads(block)
    for _tag, attrs in page.elements:  # data in attributes (data-facts='{…}') is JSON as well
        for name, value in attrs.items():
            if name.startswith("data-") and (value or "").startswith(("{", "[")):
                json.loads(value or "")
    shown = page.shown()
    missing = [text for text in expected if text not in shown]
    assert not missing, f"not shown as text: {missing}"
    return page


@pytest.fixture
def web(settings, db, clock, network, tmp_path) -> TestClient:
    covered, sited = tmp_path / "coverage", tmp_path / "siting"
    configured = replace(settings, coverage_dir=covered, siting_dir=sited)
    app = FastPath(create_app(configured, db, start_sync=False))
    app.state.nezlam.clock = clock
    with TestClient(app) as client:
        yield client


@pytest.fixture
def planted(web, db, clock, tmp_path) -> Planted:
    planted = plant(db, clock())
    write_coverage(tmp_path / "coverage", tmp_path / "siting", planted.texts)
    web.app.state.nezlam.sync.load_all()
    return planted


@dataclass(frozen=True)
class Shown:
    path: str
    who: str  # "anonymous" or a username of conftest's network or tests/hostile.py
    texts: tuple[str, ...]  # keys of hostile.TEXTS the page must show
    lang: str = "uk"
    status: int = 200
    names: dict[str, str] = field(default_factory=dict)  # JSON data block: point id -> key


NEAR = "/?" + urlencode({"q": "50.45,30.52", "f": "1"})
PAGES = [
    Shown(NEAR, "anonymous", ("name_uk", "address", "r_name_uk", "r_locality"),
          names={"point-a": "name_uk", POINT_R: "r_name_uk"}),
    Shown(NEAR, "anonymous", ("name_en", "address", "r_name_en", "r_locality"), lang="en",
          names={"point-a": "name_en", POINT_R: "r_name_en"}),
    Shown("/points/point-a", "anonymous",
          ("name_uk", "address", "notes_uk", "org", "hours", "display_coordinator")),
    Shown("/points/point-a", "anonymous", ("name_en", "notes_en", "org", "hours"), lang="en"),
    Shown(f"/points/{POINT_R}", "anonymous", ("r_name_uk", "r_locality", "org")),
    Shown("/operate", "operator_a", ("name_uk", "r_name_uk")),
    Shown("/operate", "operator_a", ("name_en", "r_name_en"), lang="en"),
    Shown("/operate/point-a/edit", "operator_a", ("name_uk", "notes_uk", "notes_en", "hours")),
    Shown("/operate/point-a/needs", "operator_a",
          ("name_uk", "need_details", "unit", "donor_org", "pledge_note")),
    Shown("/coordinate/needs", "donor", ("name_uk", "need_details", "unit", "donor_org")),
    Shown("/coordinate", "coordinator_a",
          ("name_uk", "locality", "r_name_uk", "r_locality", "region")),
    Shown("/coordinate/notifications", "coordinator_a", ("name_uk",)),
    Shown("/coordinate/points/point-a", "coordinator_a",
          ("name_uk", "address", "locality", "org", "hours")),
    Shown("/coordinate/points/point-a/inspect", "coordinator_a", ("name_uk", "inspection_notes")),
    Shown("/coordinate/calls", "coordinator_a", ("name_uk", "call_note", "r_name_uk", "org")),
    Shown("/coordinate/signals", "coordinator_a", ("name_uk", "address")),
    Shown("/coordinate/needs", "coordinator_a",
          ("name_uk", "address", "need_details", "unit", "donor_org")),
    Shown("/coordinate/tasks", "coordinator_a", ("name_uk", "task_note", "inspection_notes")),
    Shown("/coordinate/applications", "coordinator_a",
          ("app_org", "app_contact", "app_message", "app_point", "app_address", "app_locality",
           "rejected_org", "decision_note")),
    Shown("/coordinate/users", "coordinator_a", ("display_operator", "name_uk", "r_name_uk")),
    Shown("/coordinate/users", "admin", ("display_operator", "display_coordinator", "region")),
    Shown("/coordinate/coverage", "coordinator_a", ("district", "site")),
]  # fmt: skip


def open_page(web, db, clock, shown: Shown):
    if shown.who != "anonymous":
        sign_in_as(web, db, shown.who, clock())
    headers = {**HTML, "Accept-Language": shown.lang}
    answer = web.get(shown.path, headers=headers, follow_redirects=False)
    assert answer.status_code == shown.status, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/html")
    return answer


@pytest.mark.parametrize(
    "shown", PAGES, ids=[f"{s.path}-{s.who}-{s.lang}".replace("/", "_") for s in PAGES]
)
def test_hostile_text_is_shown_as_text(web, planted, db, clock, shown):
    answer = open_page(web, db, clock, shown)
    page = assert_safe(answer.text, [planted.texts[key] for key in shown.texts])
    if shown.names:
        points = json.loads(page.data_blocks["map-data"])["points"]
        names = {p["id"]: p["name"] for p in points}
        assert {k: names[k] for k in shown.names} == {
            k: planted.texts[v] for k, v in shown.names.items()
        }


def test_the_map_data_block_escapes_what_would_end_it(web, planted):
    """The finder's data block as bytes: `<`, `>`, `&` and `'` are JSON escapes, so no text can
    close the element or start another (review finding B1)."""
    html = web.get(NEAR, headers=HTML).text
    start = html.index('<script type="application/json" id="map-data">')
    block = html[start : html.index("</script>", start)].split(">", 1)[1]
    assert not set("<>&'") & set(block)
    assert "\\u003c/script\\u003e\\u003cmeta" in block


def test_the_dashboards_map_data_keeps_the_text_exactly(web, planted, db, clock):
    sign_in_as(web, db, "coordinator_a", clock())
    answer = web.get("/coordinate/export.geojson")
    assert answer.headers["content-type"].startswith("application/geo+json")
    by_id = {f["id"]: f["properties"] for f in answer.json()["features"]}
    t = planted.texts
    assert by_id["point-a"]["name"] == t["name_uk"] and by_id["point-a"]["address"] == t["address"]
    assert (by_id[POINT_R]["name"], by_id[POINT_R]["region"]) == (t["r_name_uk"], t["region"])


REFLECTED = META + IMG + SVG


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/?" + urlencode({"q": REFLECTED, "f": "1"}), "anonymous"),
        ("/login?" + urlencode({"next": "/operate" + REFLECTED}), "anonymous"),
        ("/coordinate?" + urlencode({"q": REFLECTED}), "coordinator_a"),
        ("/coordinate/points/" + quote(REFLECTED, safe=""), "coordinator_a"),
        ("/operate/" + quote(REFLECTED, safe="") + "/edit", "operator_a"),
    ],
    ids=["finder-query", "login-next", "dashboard-filter", "problem-page", "edit-unknown"],
)
def test_what_a_link_puts_in_the_page_is_shown_as_text(web, planted, db, clock, path, who):
    if who != "anonymous":
        sign_in_as(web, db, who, clock())
    answer = web.get(path, headers=HTML, follow_redirects=False)
    assert answer.status_code in (200, 403, 404, 422), answer.text[:300]
    assert_safe(answer.text, [])


def test_a_refused_application_shows_what_was_typed_as_text(web, planted):
    """/apply sends the form back with what was typed when something is wrong (here, a short
    password): every typed value comes back as a field's value, never as markup."""
    t = planted.texts
    form = {
        "organisation_name": t["app_org"], "organisation_kind": "business",
        "contact_name": t["app_contact"], "phone": "+380 67 555 1212", "username": "newcomer",
        "password": "short", "region": "Київ", "message": t["app_message"],
        "p1_name": t["app_point"], "p1_address": t["app_address"],
        "p1_locality": t["app_locality"], "p1_lat": "50.46", "p1_lon": "30.5",
        "p1_opening_hours": "24/7",
    }  # fmt: skip
    page = Page(web.get("/apply").text)
    form["csrf"] = next(a["value"] for tag, a in page.elements if a.get("name") == "csrf")
    answer = web.post("/apply", data=form, headers=HTML, follow_redirects=False)
    assert answer.status_code == 422
    keys = ("app_org", "app_contact", "app_message", "app_point", "app_address", "app_locality")
    assert_safe(answer.text, [t[key] for key in keys])


def test_every_field_is_planted_somewhere_checked():
    """A field added to hostile.TEXTS without a page showing it would test nothing."""
    checked = {key for shown in PAGES for key in shown.texts}
    assert set(TEXTS) == checked
