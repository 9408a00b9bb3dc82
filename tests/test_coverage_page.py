"""The coordinators' coverage page shows the last `nezlam coverage` run: its table, PNG map and
map layer — to coordinators only."""

import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from nezlam.web.app import create_app
from nezlam.web.plumbing.fast_path import FastPath
from tests.conftest import sign_in_as

CSV = """district,population,minutes,covered,share
all,1000,5.0,250,0.25
all,1000,15,900,0.9
Поділ,400,5,0,0.0
Поділ,400,15.0,300,0.75
"""


@pytest.fixture
def coverage_dir(tmp_path):
    return tmp_path / "coverage"


@pytest.fixture
def siting_dir(tmp_path):
    return tmp_path / "siting"


@pytest.fixture
def web(settings, db, clock, network, coverage_dir, siting_dir):
    configured = replace(settings, coverage_dir=coverage_dir, siting_dir=siting_dir)
    app = FastPath(create_app(configured, db, start_sync=False))
    app.state.nezlam.clock = clock
    with TestClient(app) as client:
        yield client


def text_of(html: str) -> str:
    """The page as read, without its tags (a command's options are spans of their own)."""
    return re.sub(r"<[^>]+>", "", html)


def written(coverage_dir):
    coverage_dir.mkdir(parents=True)
    (coverage_dir / "coverage.csv").write_text(CSV, encoding="utf-8")
    (coverage_dir / "coverage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    (coverage_dir / "coverage.geojson").write_text(
        '{"type":"FeatureCollection","features":[]}', encoding="utf-8"
    )


def test_needs_a_coordinator(web, db, clock):
    answer = web.get("/coordinate/coverage", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    sign_in_as(web, db, "operator_a", clock())
    assert web.get("/coordinate/coverage", headers={"Accept": "text/html"}).status_code == 403
    assert web.get("/coordinate/coverage.png").status_code == 403


def test_says_how_to_compute_it_before_the_first_run(web, db, clock):
    sign_in_as(web, db, "coordinator_a", clock())
    page = web.get("/coordinate/coverage", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "nezlam coverage --minutes" in text_of(page.text)
    # In words first: who does it and what each step is for, each command on a line of its own.
    assert "ask whoever runs the server (an administrator)" in page.text
    assert page.text.count('<code class="command">') == 3 and "<pre>" not in page.text
    missing = web.get("/coordinate/coverage.png")
    assert missing.status_code == 404 and "nezlam coverage" in missing.text


def test_shows_the_shares_the_map_and_the_layer(web, db, clock, coverage_dir):
    written(coverage_dir)
    sign_in_as(web, db, "coordinator_b", clock())
    page = web.get("/coordinate/coverage", headers={"Accept-Language": "en"}).text
    row = page[page.index(">All<") :]
    assert "25.0 %" in row and "90.0 %" in row
    assert ">Podil</th>" in page and "Поділ" not in page  # in English, as it is said
    podil = page[page.index(">Podil<") :]
    assert "0.0 %" in podil and "75.0 %" in podil
    assert "≤ 5 min" in page and "≤ 15 min" in page
    assert 'src="/coordinate/coverage.png"' in page
    assert 'data-layers="/coordinate/coverage.geojson"' in page
    png = web.get("/coordinate/coverage.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    layer = web.get("/coordinate/coverage.geojson")
    assert layer.headers["content-type"] == "application/geo+json"
    assert layer.json()["type"] == "FeatureCollection"
    assert web.get("/coordinate/coverage.csv").status_code == 404


SITES = """rank,name,population_added,population_covered,coverage_percent
1,School 12,5400,60400,63.5
2,Library 3,2100,62500,65.71
"""


def test_shows_the_proposed_sites_on_the_same_map(web, db, clock, coverage_dir, siting_dir):
    written(coverage_dir)
    siting_dir.mkdir()
    (siting_dir / "sites.csv").write_text(SITES, encoding="utf-8")
    (siting_dir / "sites.geojson").write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":'
        '{"type":"Point","coordinates":[30.5,50.4]},"properties":{"rank":1,"name":"School 12"}}]}',
        encoding="utf-8",
    )
    sign_in_as(web, db, "coordinator_a", clock())
    page = web.get("/coordinate/coverage", headers={"Accept-Language": "en"}).text
    first = page[page.index("School 12") :]
    assert (
        "5400" in first and "63.5 %" in first and page.index("School 12") < page.index("Library 3")
    )
    assert 'data-layers="/coordinate/coverage.geojson /coordinate/sites.geojson"' in page
    assert "/coordinate/sites.png" not in page  # no PNG was written
    layer = web.get("/coordinate/sites.geojson").json()
    assert layer["features"][0]["properties"]["name"] == "School 12"
    assert web.get("/coordinate/sites.png").status_code == 404


def test_before_any_siting_it_says_which_command_to_run(web, db, clock):
    sign_in_as(web, db, "coordinator_a", clock())
    page = web.get("/coordinate/coverage", headers={"Accept-Language": "en"}).text
    assert "nezlam site --new 10" in text_of(page) and "data-layers" not in page
