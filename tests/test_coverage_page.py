"""The coordinators' coverage page shows the last `nezlam coverage` run: its table, PNG map and
map layer — to coordinators only."""

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from nezlam.web.app import create_app
from nezlam.web.fast_path import FastPath
from tests.conftest import sign_in_as

CSV = """district,population,minutes,covered,share
all,1000,5,250,0.25
all,1000,15,900,0.9
Поділ,400,5,0,0.0
Поділ,400,15,300,0.75
"""


@pytest.fixture
def coverage_dir(tmp_path):
    return tmp_path / "coverage"


@pytest.fixture
def web(settings, db, clock, network, coverage_dir):
    app = FastPath(create_app(replace(settings, coverage_dir=coverage_dir), db, start_sync=False))
    app.state.nezlam.clock = clock
    with TestClient(app) as client:
        yield client


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
    assert page.status_code == 200 and "nezlam coverage --minutes" in page.text
    missing = web.get("/coordinate/coverage.png")
    assert missing.status_code == 404 and "nezlam coverage" in missing.text


def test_shows_the_shares_the_map_and_the_layer(web, db, clock, coverage_dir):
    written(coverage_dir)
    sign_in_as(web, db, "coordinator_b", clock())
    page = web.get("/coordinate/coverage", headers={"Accept-Language": "en"}).text
    row = page[page.index(">All<") :]
    assert "25.0 %" in row and "90.0 %" in row
    podil = page[page.index("Поділ") :]
    assert "0.0 %" in podil and "75.0 %" in podil
    assert "≤ 5 min" in page and "≤ 15 min" in page
    assert 'src="/coordinate/coverage.png"' in page and 'id="coverage-map"' in page
    png = web.get("/coordinate/coverage.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    layer = web.get("/coordinate/coverage.geojson")
    assert layer.headers["content-type"] == "application/geo+json"
    assert layer.json()["type"] == "FeatureCollection"
    assert web.get("/coordinate/coverage.csv").status_code == 404
