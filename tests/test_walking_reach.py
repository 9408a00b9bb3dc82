"""Walking distances only where the street network reaches (issue 9, review finding M4): a place
or point more than NEZLAM_WALKING_SNAP_M from every street keeps its straight-line estimate, a
network for another city never ranks a point 20 km away above one 10 m away, and a running
server picks up a newly imported network at its next poll."""

from dataclasses import replace as with_
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from nezlam.config import ConfigError, Settings
from nezlam.domain.walk_estimate import DETOUR_FACTOR, FAR_WALK_M
from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.geo.streets import StreetNetwork, read_osm
from nezlam.geo.walking import Walking
from nezlam.store import points
from nezlam.store.actor import CLI
from nezlam.web.app import create_app
from nezlam.web.plumbing.fast_path import FastPath
from tests.conftest import REGION_A, point_create
from tests.test_spatial_index import view
from tests.test_streets import MONACO, NO_DATA, river_town

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
OPEN = Filters.build(statuses=["open"])
METRE_DEG = 1 / 111_195  # degrees of latitude in a metre
# The review's query: beside the yurt in Shevchenko Park, Kyiv.
HERE = (50.4419, 30.5133)
# 10 m north of it; and 20 km south-west (nearer Monaco, so first by a Monaco-snapped "walk").
YURT = (HERE[0] + 10 * METRE_DEG, HERE[1])
SOUTH_WEST = (50.31, 30.31)


def fresh(point_id, lat, lon, **extra):
    return view(point_id, lat, lon, updated_at=NOW, verified_at=NOW, **extra)


def engine(network, views, snap_m=400.0):
    index = SpatialIndex(timedelta(hours=6), timedelta(hours=24))
    index.replace_all(views, seq=1)
    return Walking(network, index, snap_m)


def ranked(walking, lat, lon, k=5):
    snap, hits, metres = walking.nearest(lat, lon, k, OPEN, NOW)
    return [snap.views[row].id for row, *_ in hits], {
        snap.views[row].id: metres[row] for row, *_ in hits if row in metres
    }


@pytest.fixture(scope="module")
def monaco() -> StreetNetwork:
    if not MONACO.exists():
        pytest.skip(NO_DATA)
    return read_osm(MONACO)


# --- a hand-built town: the river town, and a village 2 km south of it -----------------------


@pytest.fixture
def town():
    return river_town()


def south_of(town, node, metres):
    return town.lat[node] - metres * METRE_DEG, town.lon[node]


def test_a_point_2_km_off_the_network_keeps_its_straight_line_estimate(town):
    """From node 0: "east" at node 6 is 600 m along the street; "farm" stands 2 km south of
    node 0, off every street: no walk on the network, ranked by 2 km × the detour factor."""
    walking = engine(
        town, [fresh("east", town.lat[6], town.lon[6]), fresh("farm", *south_of(town, 0, 2_000))]
    )
    order, walked = ranked(walking, town.lat[0], town.lon[0])
    assert order == ["east", "farm"]
    assert walked == {"east": pytest.approx(600, abs=1)}  # nothing measured for the farm
    _snap, rows, _reach = walking.reach(OPEN, NOW)
    assert len(rows) == 1  # the farm is no source of the multi-source walk either


def test_from_a_village_off_the_network_the_point_10_m_away_comes_first(town):
    """The asker is in a village 2 km south of node 5, its point 10 m away; the town's point
    stands at node 5. Snapped to the town's street, both would be 2 km "walks" and the village
    point the longer one (2,010 + 2,000 m against 2,000 m)."""
    here = south_of(town, 5, 2_000)
    village = (here[0] - 10 * METRE_DEG, here[1])
    walking = engine(town, [fresh("town", town.lat[5], town.lon[5]), fresh("village", *village)])
    order, walked = ranked(walking, *here)
    assert order == ["village", "town"]
    assert walked == {}  # as the crow flies, all of it


def test_the_snap_limit_decides_what_is_on_the_network(town):
    """A point 300 m off the street is walked on it with the default 400 m, not with 250 m."""
    views = [fresh("near", *south_of(town, 3, 300))]
    _order, walked = ranked(engine(town, views), town.lat[3], town.lon[3])
    assert walked == {"near": pytest.approx(300, abs=1)}
    _order, walked = ranked(engine(town, views, snap_m=250), town.lat[3], town.lon[3])
    assert walked == {}


# --- Monaco's real streets with Kyiv's points: the review's reproduction ---------------------


def kyiv_points():
    return [
        fresh("yurt", *YURT),
        fresh("school", HERE[0] + 0.006, HERE[1] + 0.004),  # about 800 m
        fresh("south-west", *SOUTH_WEST),
    ]


def test_monaco_streets_never_rank_kyiv_points_by_a_walk_through_monaco(monaco):
    walking = engine(monaco, kyiv_points())
    order, walked = ranked(walking, *HERE, k=3)
    assert order == ["yurt", "school", "south-west"]
    assert walked == {}
    assert not walking.on_network(walking.index.snapshot).any()


def test_in_monaco_a_kyiv_point_comes_after_every_walk_and_is_not_measured(monaco):
    casino, port = (43.7396, 7.4278), (43.7350, 7.4216)
    walking = engine(monaco, [fresh("casino", *casino), fresh("port", *port), *kyiv_points()])
    order, walked = ranked(walking, *casino, k=4)
    assert order[:2] == ["casino", "port"] and order[2] in {"yurt", "school", "south-west"}
    assert set(walked) == {"casino", "port"}
    straight = 714  # metres from the casino to the port as the crow flies
    assert straight < walked["port"] < 3 * straight  # a walk across Monaco, not 2,000 km


# --- through the app: the API and the finder, on PostgreSQL and SQLite -----------------------


@pytest.fixture(scope="module")
def monaco_file(monaco, tmp_path_factory):
    return monaco.save(tmp_path_factory.mktemp("monaco") / "streets.npz")


def make_client(db, clock, network, db_url, streets):
    """The app as served, with `streets` as its street network file, the network's point-a
    (Kyiv) and three more Kyiv points open."""
    with db.write() as session:
        for name, (lat, lon) in {"yurt": YURT, "south-west": SOUTH_WEST}.items():
            points.create_point(session, point_create(name, REGION_A, lat, lon), CLI, now=clock())
    settings = with_(Settings(database_url=db_url), streets_file=streets)
    app = FastPath(create_app(settings, db, start_sync=False))
    app.state.nezlam.clock = clock
    return app


def open_all(client, network):
    for point_id in ("point-a", "yurt", "south-west"):
        answer = client.post(
            f"/api/v1/points/{point_id}/reports",
            json={"status": "open"},
            headers=network.headers("admin"),
        )
        assert answer.status_code == 201, answer.text


@pytest.fixture
def kyiv_on_monaco(db, clock, network, db_url, monaco_file):
    app = make_client(db, clock, network, db_url, monaco_file)
    with TestClient(app) as client:
        open_all(client, network)
        yield client


def test_api_from_kyiv_with_monaco_streets_answers_as_the_crow_flies(kyiv_on_monaco):
    here = {"lat": HERE[0], "lon": HERE[1], "k": 3, "by": "walking", "status": "open"}
    answer = kyiv_on_monaco.get("/api/v1/points/nearest", params=here).json()
    ids = [f["id"] for f in answer["features"]]
    assert ids == ["yurt", "point-a", "south-west"]
    props = [f["properties"] for f in answer["features"]]
    assert all("walking_m" not in p and p["distance_by"] == "straight_line" for p in props)
    assert answer["distance_by"] == "straight_line" and "walking_speed_kmh" not in answer
    assert props[0]["distance_m"] == pytest.approx(10, abs=1) and props[0]["far"] is False
    assert props[2]["distance_m"] > 19_000 and props[2]["far"] is True


def test_finder_from_kyiv_with_monaco_streets_lists_the_yurt_first(kyiv_on_monaco):
    page = kyiv_on_monaco.get(
        "/", params={"q": f"{HERE[0]},{HERE[1]}", "f": "1", "lang": "en"}
    ).text
    assert page.index("Point yurt") < page.index("Point point-a") < page.index("Point south-west")
    assert "min on foot by the streets" not in page  # nothing was measured on Monaco's streets
    assert '<span class="dist">10 m</span>' in page


def test_a_feature_is_far_beyond_an_hours_walk_measured_or_estimated():
    from nezlam.domain.walk_estimate import distance_facts

    assert FAR_WALK_M == 4_500  # an hour at 4.5 km/h
    assert distance_facts(3_400, None) == {"distance_by": "straight_line", "far": False}
    assert distance_facts(3_500, None)["far"] is True  # 3.5 km × 1.3 = 4.55 km on foot
    assert 3_500 * DETOUR_FACTOR > FAR_WALK_M > 3_400 * DETOUR_FACTOR
    assert distance_facts(3_000, 4_600) == {"distance_by": "walking", "far": True}
    assert distance_facts(4_000, 4_400)["far"] is False  # measured: the walk decides


# --- a new network reaches a running server at its next poll ---------------------------------


def test_a_running_server_uses_a_newly_imported_network_at_its_next_poll(
    db, clock, network, db_url, monaco, tmp_path
):
    """No street network at start: straight lines. `nezlam streets import` writes the river
    town (laid out under point-a): the next poll loads it. Importing Monaco over it swaps the
    file; the next poll loads Monaco, whose streets are 2,000 km from every point."""
    path = tmp_path / "var" / "streets.npz"
    app = make_client(db, clock, network, db_url, path)
    here = {"lat": 50.45 + 100 * METRE_DEG, "lon": 30.52, "by": "walking", "status": "open"}
    with TestClient(app) as client:
        open_all(client, network)
        state = app.state.nezlam

        def point_a():
            answer = client.get("/api/v1/points/nearest", params=here).json()
            return next(f["properties"] for f in answer["features"] if f["id"] == "point-a")

        assert state.walking is None and "walking_m" not in point_a()
        state.sync.poll()  # no file yet: nothing to load
        assert state.walking is None
        river_town().save(path)
        state.sync.poll()
        assert state.walking is not None and state.walking.network.nodes == 22
        assert point_a()["walking_m"] == pytest.approx(2_100, abs=2)
        state.sync.poll()  # the same file: the same network, not read again
        loaded = state.walking
        state.sync.poll()
        assert state.walking is loaded
        monaco.save(path)
        state.sync.poll()
        assert state.walking is not loaded and state.walking.network.name == "monaco"
        assert "walking_m" not in point_a()


def test_an_unreadable_network_file_leaves_the_loaded_one_in_place(
    db, clock, network, db_url, tmp_path
):
    path = river_town().save(tmp_path / "streets.npz")
    app = make_client(db, clock, network, db_url, path)
    with TestClient(app):
        state = app.state.nezlam
        loaded = state.walking
        assert loaded is not None
        path.write_bytes(b"PK\x03\x04 not a whole network")
        assert state.reload_streets() is False
        assert state.walking is loaded
        path.unlink()
        state.sync.poll()
        assert state.walking is loaded


def test_saving_a_network_replaces_the_file_whole(tmp_path):
    path = river_town().save(tmp_path / "streets.npz")
    before = path.stat().st_ino
    river_town().save(path)
    assert path.stat().st_ino != before  # renamed over, never rewritten in place
    assert [p.name for p in tmp_path.iterdir()] == ["streets.npz"]
    assert StreetNetwork.load(path).nodes == 22


# --- the setting -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["5", "6000", "nan", "inf", "far"])
def test_a_bad_snap_limit_stops_start_up_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("NEZLAM_WALKING_SNAP_M", raw)
    with pytest.raises(ConfigError, match="NEZLAM_WALKING_SNAP_M"):
        Settings.from_env()


def test_the_snap_limit_is_read_from_the_environment(monkeypatch):
    assert Settings.from_env().walking_snap_m == 400
    monkeypatch.setenv("NEZLAM_WALKING_SNAP_M", "250")
    assert Settings.from_env().walking_snap_m == 250
    assert np.isfinite(Settings.from_env().walking_snap_m)
