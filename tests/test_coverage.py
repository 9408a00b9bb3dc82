"""Walking coverage: shares of people within each walk of an open point, exactly on a small
hand-built town, through the live index's filters, and end to end on Monaco's real streets and
buildings with points in the database."""

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.coverage.districts import OUTSIDE, label_by_nearest
from nezlam.coverage.population import make_demand
from nezlam.coverage.walk import (
    ALL,
    OpenPoints,
    coverage_layer,
    parse_minutes,
    uncovered_layer,
    walking_coverage,
)
from nezlam.domain.points import ReportCreate
from nezlam.geo.spatial_index import Filters, SpatialIndex
from nezlam.geo.streets import read_osm
from nezlam.geo.walking import Walking
from nezlam.store import points, reports
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from tests.conftest import point_create
from tests.test_spatial_index import view
from tests.test_streets import river_town

MONACO = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm" / "monaco.osm.pbf"
NO_DATA = f"the Monaco extract is not at {MONACO} (CI has ../shared/data)"
SPEED = 4.5  # km/h: 75 m a minute
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def town():
    return river_town()


def at_nodes(town, nodes, people, labels=None):
    """Demand standing exactly on street nodes of the town."""
    return make_demand(town.lat[nodes], town.lon[nodes], people, label=labels)


# --- exact answers on the river town ---------------------------------------------------------


def test_shares_on_a_town_where_the_answer_is_known(town):
    """One open point at node 6 of the south bank. Node 5 is 100 m away (1.3 min), node 0 is
    600 m (8 min); node 12, across the river 100 m north of node 1, walks 900 m to the bridge,
    100 m over it and 400 m back: 1,400 m, 18.7 min."""
    reach = town.nearest_sources(town.snap([town.lat[6]], [town.lon[6]]))
    demand = at_nodes(town, [5, 0, 12], [100, 200, 300], ["south", "south", "north"])
    result = walking_coverage(town, demand, reach, (5, 10, 15, 20), SPEED)
    assert result.minutes == pytest.approx([100 / 75, 8, 1400 / 75], abs=0.02)
    assert result.covered().tolist() == [100, 300, 300, 600]
    assert result.nearest.tolist() == [0, 0, 0]
    by = {name: (total, covered.tolist()) for name, total, covered in result.by_district()}
    assert by[ALL] == (600, [100, 300, 300, 600])
    assert by["north"] == (300, [0, 0, 0, 300])
    assert by["south"] == (300, [100, 300, 300, 300])
    assert [name for name, *_ in result.by_district()] == [ALL, "north", "south"]


def test_uncovered_cells_are_those_beyond_the_largest_threshold(town):
    reach = town.nearest_sources(town.snap([town.lat[6]], [town.lon[6]]))
    demand = at_nodes(town, [5, 0, 12, 11], [100, 200, 300, 50])
    result = walking_coverage(town, demand, reach, (5, 10, 15), SPEED)
    assert result.uncovered.tolist() == [2, 3]
    layer = uncovered_layer(result)
    assert [f["properties"]["population"] for f in layer["features"]] == [300, 50]
    assert layer["population"] == 350 and layer["beyond_minutes"] == 15
    assert layer["features"][0]["properties"]["band"] == "> 15 min"
    assert layer["features"][0]["geometry"]["type"] == "Point"  # bare places, not cells


def test_more_minutes_never_cover_fewer_people(town):
    rng = np.random.default_rng(7)
    lat = rng.uniform(town.lat.min() - 0.001, town.lat.max() + 0.001, 300)
    lon = rng.uniform(town.lon.min(), town.lon.max(), 300)
    demand = make_demand(lat, lon, rng.integers(1, 500, 300))
    reach = town.nearest_sources(town.snap(town.lat[[3, 15]], town.lon[[3, 15]]))
    result = walking_coverage(town, demand, reach, parse_minutes("1,2,4,8,16,32"), SPEED)
    covered = result.covered()
    assert np.all(np.diff(covered) >= 0)
    assert 0 < covered[0] < covered[-1] <= result.total
    assert covered[-1] == pytest.approx(result.total)  # 32 min covers the whole 1 km town


def test_with_no_open_point_nobody_is_covered(town):
    reach = town.nearest_sources(town.snap([], []))
    demand = at_nodes(town, [0, 12], [10, 20])
    result = walking_coverage(town, demand, reach, (15,), SPEED)
    assert result.covered().tolist() == [0]
    assert result.nearest.tolist() == [-1, -1]
    layer = coverage_layer(result)
    assert [f["properties"]["minutes"] for f in layer["features"]] == [None, None]
    assert uncovered_layer(result)["population"] == 30


def test_cells_become_hexagons_with_their_minutes(town):
    import h3

    cells = [h3.latlng_to_cell(town.lat[i], town.lon[i], 10) for i in (0, 12)]
    demand = make_demand(town.lat[[0, 12]], town.lon[[0, 12]], [10, 20], cell=cells)
    reach = town.nearest_sources(town.snap([town.lat[6]], [town.lon[6]]))
    layer = coverage_layer(walking_coverage(town, demand, reach, (5, 10, 15, 20), SPEED))
    first = layer["features"][0]
    ring = first["geometry"]["coordinates"][0]
    assert first["geometry"]["type"] == "Polygon" and len(ring) == 7 and ring[0] == ring[-1]
    assert first["properties"]["minutes"] == pytest.approx(8, abs=0.05)
    assert first["properties"]["h3"] == cells[0] and first["properties"]["band"] == "≤ 10 min"
    assert layer["thresholds"] == [5, 10, 15, 20]
    assert layer["attribution"] == "© OpenStreetMap contributors"


@pytest.mark.parametrize("text", ["", "5,ten", "0,5", "-5"])
def test_bad_minutes_are_refused(text):
    with pytest.raises(ValueError, match="--minutes"):
        parse_minutes(text)


# --- only where the streets reach: the straight-line estimate off them ----------------------

METRE_DEG = 1 / 111_195


def test_people_and_points_off_the_streets_take_the_straight_line_estimate(town):
    """A village 2 km south of node 0 holds 40 people and, 100 m from them, a point the
    streets do not reach: 130 m on foot (× 1.3), 1.7 min. Node 5's 10 people walk 100 m to
    the point at node 6; node 0's 20 people have a 600 m walk (8 min) and the village point
    2 km × 1.3 away: the walk wins."""
    village = town.lat[0] - 2_000 * METRE_DEG
    points = OpenPoints(
        np.array([town.lat[6], village - 100 * METRE_DEG]),
        np.array([town.lon[6], town.lon[0]]),
        np.array([True, False]),
    )
    reach = town.nearest_sources(town.snap(points.lat[:1], points.lon[:1]))
    demand = make_demand(
        np.array([village, town.lat[5], town.lat[0]]), town.lon[[0, 5, 0]], [40, 10, 20]
    )
    result = walking_coverage(town, demand, reach, (2, 10), SPEED, 400, points)
    assert result.minutes == pytest.approx([130 / 75, 100 / 75, 8], abs=0.02)
    assert result.nearest.tolist() == [-1, 0, 0]  # the village's is an estimate
    assert result.covered().tolist() == [50, 70]
    # Snapped onto the town's street, the village would be a 2 km walk away from anything.
    unlimited = walking_coverage(town, demand, reach, (2, 10), SPEED)
    assert unlimited.minutes[0] > 26


def test_districts_come_from_the_nearest_point_only_within_its_area():
    labels = label_by_nearest(
        np.array([50.45, 43.74]), np.array([30.52, 7.42]),
        np.array([50.44]), np.array([30.50]), ["Печерський"],
    )  # fmt: skip
    assert list(labels) == ["Печерський", OUTSIDE]


# --- through the live index: freshness and the services filter -------------------------------


def test_the_services_filter_and_freshness_change_the_answer(town):
    """ "east" (node 6, heat only) is 8 min from node 0; "north" (node 11, heat and power) is
    2,100 m (28 min) round by the bridge. Asking for power leaves only "north"."""
    fresh = {"updated_at": NOW, "verified_at": NOW}
    index = SpatialIndex(timedelta(hours=6), timedelta(hours=24))
    index.replace_all(
        [
            view("east", town.lat[6], town.lon[6], services=("heat",), **fresh),
            view("north", town.lat[11], town.lon[11], services=("heat", "power"), **fresh),
        ],
        seq=1,
    )
    walking = Walking(town, index)
    demand = at_nodes(town, [0], [1000])

    def covered_within(minutes, filters, now=NOW):
        _snap, _rows, reach = walking.reach(filters, now)
        return walking_coverage(town, demand, reach, (minutes,), SPEED).covered()[0]

    assert covered_within(10, Filters.build(statuses=["open"])) == 1000
    assert covered_within(10, Filters.build(services=["power"], statuses=["open"])) == 0
    assert covered_within(30, Filters.build(services=["power"], statuses=["open"])) == 1000
    # Seven hours without a confirmation: nothing is shown open any more.
    later = NOW + timedelta(hours=7)
    assert covered_within(30, Filters.build(statuses=["open"]), later) == 0


# --- the command, end to end on Monaco --------------------------------------------------------


@pytest.fixture(scope="module")
def monaco_streets(tmp_path_factory):
    if not MONACO.exists():
        pytest.skip(NO_DATA)
    return read_osm(MONACO).save(tmp_path_factory.mktemp("streets") / "monaco.npz")


@pytest.fixture
def monaco_db(sqlite_template, tmp_path):
    """A SQLite database with five Monaco points: three open and confirmed just now (two with
    heat and power, one with heat only), one closed, one open but not confirmed for 8 hours.
    (The command only reads points, so one backend is enough.)"""
    path = tmp_path / "nezlam.sqlite3"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    now = datetime.now(UTC)
    places = [
        ("casino", 43.7396, 7.4278, ["heat", "power"], "open", now),
        ("fontvieille", 43.7275, 7.4155, ["heat", "power"], "open", now),
        ("port", 43.7350, 7.4216, ["heat"], "open", now),
        ("palace", 43.7314, 7.4201, ["heat", "power"], "closed", now),
        ("larvotto", 43.7465, 7.4360, ["heat", "power"], "open", now - timedelta(hours=8)),
    ]
    with db.write() as session:
        for name, lat, lon, services, status, at in places:
            fields = {"services": services, "locality": "Monaco"}
            points.create_point(session, point_create(name, "Monaco", lat, lon, **fields), CLI)
            reports.add_report(session, name, ReportCreate(status=status), CLI, now=at)
    db.dispose()
    return url


def coverage_cli(db_url, *args):
    result = CliRunner().invoke(app, ["coverage", *args], env={"NEZLAM_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    return result


def read_shares(path):
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {(row["district"], float(row["minutes"])): row for row in rows}


def test_coverage_command_on_monaco_writes_tables_layers_and_a_map(
    monaco_db, monaco_streets, tmp_path
):
    out = tmp_path / "coverage"
    result = coverage_cli(
        monaco_db, "--minutes", "5,10,15,20", "--from-buildings", str(MONACO),
        "--districts", str(MONACO), "--streets", str(monaco_streets), "--out", str(out),
    )  # fmt: skip
    assert "3 points open now" in result.output  # not the closed one, not the stale one
    assert "Monte-Carlo" in result.output and "≤ 20 min" in result.output
    shares = read_shares(out / "coverage.csv")
    overall = [float(shares[("all", m)]["share"]) for m in (5, 10, 15, 20)]
    assert overall == sorted(overall) and 0 < overall[0] < overall[-1] <= 1
    assert 60_000 < int(shares[("all", 5)]["population"]) < 130_000  # 87,000 in the extract
    # Fontvieille, 1 km across, holds a point; La Turbie, up the mountain in France, is far
    # from all three.
    assert float(shares[("Fontvieille", 10)]["share"]) > 0.8
    assert float(shares[("Fontvieille", 15)]["share"]) > 0.99
    assert float(shares[("La Turbie", 10)]["share"]) < 0.1
    layer = json.loads((out / "coverage.geojson").read_text(encoding="utf-8"))
    minutes = [f["properties"]["minutes"] for f in layer["features"]]
    assert len(minutes) > 1_000 and min(minutes) < 2 and max(minutes) > 20
    uncovered = json.loads((out / "uncovered.geojson").read_text(encoding="utf-8"))
    assert all(f["properties"]["minutes"] > 20 for f in uncovered["features"])
    assert uncovered["population"] == pytest.approx(
        int(shares[("all", 5)]["population"]) * (1 - overall[-1]), rel=0.01
    )
    assert (out / "coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_coverage_command_with_a_services_filter_and_a_csv(monaco_db, monaco_streets, tmp_path):
    """Three places: beside the port (heat only), beside the casino, and in Larvotto."""
    people = tmp_path / "people.csv"
    people.write_text(
        "lon,lat,population\n7.4216,43.7352,100\n7.4276,43.7394,50\n7.4360,43.7466,20\n"
    )
    common = ["--minutes", "3,10", "--population", str(people), "--streets", str(monaco_streets)]
    coverage_cli(monaco_db, *common, "--out", str(tmp_path / "all"))
    power = coverage_cli(
        monaco_db, *common, "--services", "heat,power", "--out", str(tmp_path / "power")
    )
    assert "2 points open now with heat, power" in power.output
    within_3 = read_shares(tmp_path / "all" / "coverage.csv")[("all", 3)]
    assert int(within_3["covered"]) == 150  # the port and the casino, not Larvotto
    within_3 = read_shares(tmp_path / "power" / "coverage.csv")[("all", 3)]
    assert int(within_3["covered"]) == 50  # the port has no power: only the casino's


def test_coverage_command_names_bad_input(monaco_db, monaco_streets, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("lon,lat,population\n7.42,43.73,many\n")
    runner = CliRunner()
    env = {"NEZLAM_DATABASE_URL": monaco_db}
    base = ["coverage", "--streets", str(monaco_streets), "--out", str(tmp_path)]
    bad_csv = runner.invoke(app, [*base, "--population", str(people)], env=env)
    assert bad_csv.exit_code == 1 and "row 2, column population" in bad_csv.output
    neither = runner.invoke(app, base, env=env)
    assert neither.exit_code == 2 and "--from-buildings" in neither.output
    unknown = runner.invoke(
        app, [*base, "--population", str(people), "--services", "sauna"], env=env
    )
    assert unknown.exit_code == 2 and "unknown sauna" in unknown.output


@pytest.fixture
def kyiv_db(sqlite_template, tmp_path):
    """The Kyiv demo in small: two points open and confirmed just now, in Kyiv."""
    path = tmp_path / "kyiv.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    now = datetime.now(UTC)
    with db.write() as session:
        for name, lat, lon in (("yurt", 50.4419, 30.5133), ("school", 50.4501, 30.5234)):
            points.create_point(session, point_create(name, "Київ", lat, lon), CLI)
            reports.add_report(session, name, ReportCreate(status="open"), CLI, now=now)
    db.dispose()
    return f"sqlite:///{path}"


def test_coverage_of_monaco_with_kyiv_points_says_so_instead_of_labelling_it_kyiv(
    kyiv_db, monaco_streets, tmp_path
):
    """The review's m3: Monaco's buildings against the Kyiv demo reported "Київ │ 86,816 │
    0.0 %", silently."""
    out = tmp_path / "coverage"
    result = coverage_cli(
        kyiv_db, "--minutes", "5,10,15", "--from-buildings", str(MONACO),
        "--streets", str(monaco_streets), "--out", str(out),
    )  # fmt: skip
    said = " ".join(result.output.split())
    assert "none of the 2 points open now lies within 400 m of these streets" in said
    assert "live more than 5 km from every point in the database" in said
    assert "is this the right city's population?" in said
    shares = read_shares(out / "coverage.csv")
    districts = {district for district, _minutes in shares}
    assert districts == {"all", OUTSIDE}
    assert int(shares[(OUTSIDE, 15)]["covered"]) == 0
