"""Walking answers from the live index: the nearest point on foot, not as the crow flies, and
answers that follow a point opening or closing."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.geo.walking import Walking
from tests.test_spatial_index import view
from tests.test_streets import river_town

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
OPEN = Filters.build(statuses=["open"])


def fresh(point_id, lat, lon, **extra):
    return view(point_id, lat, lon, updated_at=NOW, verified_at=NOW, **extra)


@pytest.fixture
def town():
    return river_town()


@pytest.fixture
def walking(town):
    """Across the river, 100 m from the resident: "north". On the resident's bank, 600 m east
    along the street: "east"."""
    index = SpatialIndex(timedelta(hours=6), timedelta(hours=24))
    index.replace_all(
        [
            fresh("north", town.lat[11], town.lon[11]),
            fresh("east", town.lat[6], town.lon[6]),
        ],
        seq=1,
    )
    return Walking(town, index)


def test_the_nearest_on_foot_is_not_the_nearest_as_the_crow_flies(walking, town):
    snap, hits, metres = walking.nearest(town.lat[0], town.lon[0], 2, OPEN, NOW)
    names = [snap.views[row].id for row, *_ in hits]
    assert names == ["east", "north"]
    by_id = {snap.views[row].id: metres[row] for row, *_ in hits}
    assert by_id["east"] == pytest.approx(600, abs=1)
    assert by_id["north"] == pytest.approx(2_100, abs=1)
    # The straight-line distances stay in the hits: north is 100 m away as the crow flies.
    straight = {snap.views[row].id: m for row, m, *_ in hits}
    assert straight["north"] == pytest.approx(100, abs=1)


def test_a_point_closing_is_reflected_at_once_and_costs_one_recompute(walking, town):
    walking.nearest(town.lat[0], town.lon[0], 1, OPEN, NOW)
    walking.nearest(town.lat[1], town.lon[1], 1, OPEN, NOW)
    assert walking.recomputes == 1  # same open set: the reach is reused
    east = walking.index.snapshot.views[walking.index.snapshot.position["east"]]
    walking.index.apply([replace(east, status="closed", change_seq=east.change_seq + 1)])
    snap, hits, metres = walking.nearest(town.lat[0], town.lon[0], 1, OPEN, NOW)
    assert [snap.views[row].id for row, *_ in hits] == ["north"]
    assert walking.recomputes == 2


def test_a_point_going_stale_leaves_the_open_set_without_any_write(walking, town):
    later = NOW + timedelta(hours=7)  # nobody confirmed anything for 7 h: "unconfirmed"
    _snap, hits, _metres = walking.nearest(town.lat[0], town.lon[0], 2, OPEN, later)
    assert hits == []


def test_reach_gives_every_node_its_nearest_open_point(walking, town):
    snap, rows, reach = walking.reach(OPEN, NOW)
    ids = [snap.views[rows[i]].id for i in reach.source]
    # South bank nodes 0..10: "east" (node 6) is nearer than walking round by the bridge.
    assert ids[0] == "east" and ids[10] == "east"
    # North bank above node 0 holds "north".
    assert ids[11] == "north"
    assert reach.distance[6] == pytest.approx(0, abs=0.5)
    assert np.isfinite(reach.distance).all()


def test_a_change_that_keeps_the_open_set_costs_no_recompute(walking, town):
    walking.nearest(town.lat[0], town.lon[0], 1, OPEN, NOW)
    north = walking.index.snapshot.views[walking.index.snapshot.position["north"]]
    walking.index.apply([replace(north, occupancy=5, change_seq=north.change_seq + 1)])
    walking.nearest(town.lat[0], town.lon[0], 1, OPEN, NOW)
    assert walking.recomputes == 1


# --- through the app: the API's by=walking and the finder ------------------------------------


@pytest.fixture
def streets_file(tmp_path):
    return river_town().save(tmp_path / "streets.npz")


@pytest.fixture
def walking_client(db, clock, network, db_url, streets_file):
    """The app as served, with the river town's streets under point-a (50.45, 30.52)."""
    from dataclasses import replace as with_

    from fastapi.testclient import TestClient

    from nezlam.config import Settings
    from nezlam.web.app import create_app
    from nezlam.web.plumbing.fast_path import FastPath

    settings = with_(Settings(database_url=db_url), streets_file=streets_file)
    app = FastPath(create_app(settings, db, start_sync=False))
    app.state.nezlam.clock = clock
    with TestClient(app) as client:
        answer = client.post(
            "/api/v1/points/point-a/reports",
            json={"status": "open"},
            headers=network.headers("operator_a"),
        )
        assert answer.status_code == 201, answer.text
        app.state.nezlam.sync.load_all()
        yield client


def test_api_orders_by_walking_when_asked(walking_client, town):
    # From the far bank, 100 m north of point-a: 2.1 km on foot, by the bridge.
    here = {"lat": town.lat[11], "lon": town.lon[11], "status": "open"}
    straight = walking_client.get("/api/v1/points/nearest", params=here).json()
    assert straight["distance_by"] == "straight_line"
    assert "walking_m" not in straight["features"][0]["properties"]
    walked = walking_client.get("/api/v1/points/nearest", params={**here, "by": "walking"}).json()
    assert walked["distance_by"] == "walking" and walked["walking_speed_kmh"] == 4.5
    first = walked["features"][0]
    assert first["id"] == "point-a"
    assert first["properties"]["distance_m"] == pytest.approx(100, abs=2)
    assert first["properties"]["walking_m"] == pytest.approx(2_100, abs=2)


def test_api_names_the_field_for_an_unknown_ordering(walking_client):
    answer = walking_client.get(
        "/api/v1/points/nearest", params={"lat": 50.45, "lon": 30.52, "by": "crow"}
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "by"


def test_finder_says_minutes_on_foot_by_the_streets(walking_client, town):
    page = walking_client.get(
        "/",
        params={"lat": town.lat[11], "lon": town.lon[11], "f": "1", "lang": "en"},
    )
    assert page.status_code == 200
    # 2,100 m at 4.5 km/h (75 m a minute) is 28 minutes, not the straight-line guess of 2.
    assert "28 min on foot by the streets" in page.text
    assert "2.1 km" in page.text
