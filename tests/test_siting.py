"""Siting (issue 5): where the next points should open; people from the population sources
`nezlam coverage` reads, and the points open now in the database counted as covering.

The reference is the San Francisco facility-location benchmark of the PySAL spopt test suite
(205 census tracts, 16 candidate stores, street-network distances): spopt + CBC's optimum for
4 sites within 5,000 m leaves 21 tracts uncovered, its `perc_cov` 89.76 % (a share of tracts,
not of people), and covers 875,247 of 955,113 people.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.geo.distance import haversine_m
from nezlam.geo.streets import from_edges
from nezlam.siting.build import network_distances
from nezlam.siting.exact import exact
from nezlam.siting.greedy import (
    gain_bound,
    greedy_lazy,
    greedy_plain,
    perturbed_search,
    swap_search,
)
from nezlam.siting.inputs import InputError, Places, read_distance_table, read_places
from nezlam.siting.problem import CoveringProblem, MedianProblem
from nezlam.siting.solve import solve
from tests import test_coverage
from tests.test_coverage import MONACO

# The Monaco street network and database of points that the coverage tests use.
monaco_streets = test_coverage.monaco_streets
monaco_db = test_coverage.monaco_db
kyiv_db = test_coverage.kyiv_db

SF = Path(__file__).resolve().parents[2] / "shared" / "data" / "siting"
SF_DEMAND = SF / "SF_demand_205_centroid_uniform_weight.csv"
SF_SITES = SF / "SF_store_site_16_longlat.csv"
SF_DISTANCES = SF / "SF_network_distance_candidateStore_16_censusTract_205_new.csv"
SF_OPTIMUM = {"Store_2", "Store_11", "Store_12", "Store_15"}

needs_sf = pytest.mark.skipif(
    not SF_DISTANCES.exists(), reason=f"the San Francisco siting data is not at {SF}"
)


@pytest.fixture(scope="module")
def sf():
    """(population, distance matrix tracts × stores, store names)."""
    demand = read_places(SF_DEMAND, population="POP2000", name="NAME")
    stores = read_places(SF_SITES)
    matrix = read_distance_table(
        SF_DISTANCES, stores.names, demand.names, ("name", "DestinationName", "distance")
    )
    return demand.population, matrix, stores.names


def covering(sf, radius=5000.0, covered=None) -> CoveringProblem:
    population, matrix, names = sf
    today = np.zeros(len(population), bool) if covered is None else covered
    return CoveringProblem(population, csr_matrix((matrix <= radius).T), today, names)


def random_covering(seed: int, n: int = 400, m: int = 40, radius: float = 0.12):
    rng = np.random.default_rng(seed)
    people, sites = rng.random((n, 2)), rng.random((m, 2))
    near = np.hypot(*(people[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) <= radius
    return CoveringProblem(
        rng.integers(1, 100, n).astype(float), csr_matrix(near.T), np.zeros(n, bool)
    )


# --- San Francisco: the published optimum ---------------------------------------------------


@needs_sf
@pytest.mark.parametrize("method", ["exact", "greedy"])
def test_sf_maximal_covering_reaches_the_published_optimum(sf, method):
    problem = covering(sf)
    solution = solve(problem, 4, method=method)
    population, matrix, _names = sf
    reached = (matrix[:, solution.sites] <= 5000).any(axis=1)
    assert set(solution.names) == SF_OPTIMUM
    assert len(population) - reached.sum() == 21  # spopt's n_cli_uncov
    assert 100 * reached.mean() == pytest.approx(89.75609756097561)  # spopt's perc_cov
    assert solution.objective == 875_247
    assert solution.optimal and solution.gap == pytest.approx(0, abs=1e-6)


@needs_sf
def test_sf_p_median_exact_equals_brute_force_over_every_four_stores(sf):
    population, matrix, names = sf
    costs = {
        combo: float(population @ matrix[:, list(combo)].min(axis=1))
        for combo in itertools.combinations(range(len(names)), 4)
    }
    best = min(costs, key=costs.get)
    solution = solve(MedianProblem(population, matrix, names=names), 4, method="exact")
    assert sorted(solution.sites) == list(best)
    assert solution.objective == pytest.approx(costs[best], rel=1e-9)
    assert solution.optimal
    assert solve(MedianProblem(population, matrix, names=names), 4, "greedy").objective == (
        pytest.approx(costs[best], rel=1e-9)
    )


@needs_sf
def test_sites_ranked_by_what_each_adds_after_those_before(sf):
    solution = solve(covering(sf), 4, method="exact")
    assert solution.gains == sorted(solution.gains, reverse=True)
    assert solution.names[0] == "Store_15"  # the one store that covers most on its own
    assert sum(solution.gains) == 875_247


# --- the heuristic against the exact answer ------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_greedy_with_swaps_is_within_a_few_percent_of_exact_and_never_above(seed):
    problem = random_covering(seed)
    best = exact(problem, 8, time_limit=30)
    assert best.optimal
    sites, _local = swap_search(problem, greedy_lazy(problem, 8))
    found = problem.value(problem.state(sites))
    assert found <= best.gain + 1e-9
    assert found >= 0.97 * best.gain
    # The bound holds: no set of 8 sites does better than it.
    assert gain_bound(problem, sites, 8) >= best.gain - 1e-9


def test_every_swap_is_priced_as_making_it_would_change_the_coverage():
    problem = random_covering(7)
    chosen = greedy_lazy(problem, 6)
    deltas = problem.swap_deltas(chosen)
    now = problem.value(problem.state(chosen))
    for k in range(len(chosen)):
        for j in range(problem.candidates):
            if j in chosen:
                assert deltas[j, k] == -np.inf
                continue
            swapped = chosen[:k] + [j] + chosen[k + 1 :]
            assert deltas[j, k] == pytest.approx(problem.value(problem.state(swapped)) - now)


def test_perturbed_search_only_ever_improves_and_stays_below_the_optimum():
    problem = random_covering(11, n=800, m=80, radius=0.1)
    start, _local = swap_search(problem, greedy_lazy(problem, 10))
    better = perturbed_search(problem, start, 10, seconds=0.5)
    best = exact(problem, 10, time_limit=30)
    assert len(better) == 10
    value = problem.value(problem.state(better))
    assert problem.value(problem.state(start)) <= value <= best.gain + 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_lazy_greedy_picks_what_plain_greedy_picks(seed):
    problem = random_covering(seed, n=600, m=60)
    assert greedy_lazy(problem, 15) == greedy_plain(problem, 15)
    rng = np.random.default_rng(seed)
    median = MedianProblem(rng.integers(1, 50, 300).astype(float), rng.random((300, 30)) * 5000)
    assert greedy_lazy(median, 6) == greedy_plain(median, 6)


def test_people_near_an_open_point_are_not_counted_again():
    # Site 0 reaches people 0-2 (30 people), site 1 reaches people 2-3 (25 people); people 0
    # and 1 are near a point that is open already.
    covers = csr_matrix(np.array([[1, 1, 1, 0], [0, 0, 1, 1]], float))
    population = np.array([10.0, 10.0, 10.0, 15.0])
    problem = CoveringProblem(population, covers, np.array([True, True, False, False]))
    solution = solve(problem, 1, method="exact")
    assert solution.sites == [1] and solution.gains == [25.0]
    assert solution.objective == 45.0  # 20 already covered + 25
    assert solve(problem, 1, method="greedy").sites == [1]


def test_existing_points_shorten_the_p_median_walks():
    distance = np.array([[100.0, 900.0], [900.0, 100.0], [900.0, 100.0]])
    population = np.array([10.0, 1.0, 1.0])
    # Without a point today, the heavy demand 0 wins; with one already next to it, site 1.
    assert solve(MedianProblem(population, distance), 1, "exact").sites == [0]
    near_zero = MedianProblem(population, distance, existing=np.array([50.0, 2000.0, 2000.0]))
    assert solve(near_zero, 1, "exact").sites == [1]


# --- walking distances on a street network --------------------------------------------------


def grid_town(size: int = 6, step_m: float = 100.0):
    """A size × size street grid, `step_m` between crossings."""
    lat0, lon0 = 50.45, 30.52
    dlat, dlon = step_m / 111_195, step_m / (111_195 * np.cos(np.radians(lat0)))
    ii, jj = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    lat, lon = (lat0 + ii * dlat).ravel(), (lon0 + jj * dlon).ravel()
    node = np.arange(size * size).reshape(size, size)
    u = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    v = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    return from_edges(lat, lon, u, v), lat, lon


def test_walking_distances_follow_the_grid_not_the_straight_line():
    town, lat, lon = grid_town()
    corners = [0, 35]  # opposite corners of the grid
    people = Places(lat, lon, [str(i) for i in range(36)], np.ones(36))
    sites = Places(lat[corners], lon[corners], ["south-west", "north-east"])
    metres = network_distances(town, people, sites)
    row, col = np.divmod(np.arange(36), 6)
    assert metres[:, 0] == pytest.approx(100 * (row + col), abs=1.0)  # Manhattan, not diagonal
    assert metres[:, 1] == pytest.approx(100 * (10 - row - col), abs=1.0)
    bounded = network_distances(town, people, sites, limit=300)
    assert np.isinf(bounded[35, 0]) and bounded[7, 0] == pytest.approx(200, abs=1.0)


def test_places_off_the_streets_take_the_straight_line_estimate():
    """A site and a person 2 km south of the grid's south-west corner (node 0): no walk on the
    network for any pair of theirs, but the straight line × 1.3; snapped, both would be 2 km
    "walks" through the grid, the person-to-corner one 2,000 m instead of 2,600 m."""
    town, lat, lon = grid_town()
    south = lat[0] - 2_000 / 111_195
    people = Places(np.array([lat[35], south]), lon[[35, 0]], ["corner", "village"], np.ones(2))
    sites = Places(np.array([lat[0], south + 10 / 111_195]), lon[[0, 0]], ["school", "farm"])
    metres = network_distances(town, people, sites, snap_m=400)
    assert metres[0, 0] == pytest.approx(1_000, abs=1)  # walked: 5 blocks east, 5 north
    assert metres[1, 0] == pytest.approx(2_600, abs=2)  # the village to the school
    assert metres[1, 1] == pytest.approx(13, abs=0.5)  # 10 m × 1.3 within the village
    straight = haversine_m(lat[35], lon[35], sites.lat[1], sites.lon[1])  # 2,490 m S, 500 m W
    assert metres[0, 1] == pytest.approx(1.3 * straight, abs=1)
    bounded = network_distances(town, people, sites, limit=2_000, snap_m=400)
    assert np.isinf(bounded[1, 0]) and np.isfinite(bounded[1, 1])


# --- bad input files ------------------------------------------------------------------------


def test_a_bad_population_cell_is_named_by_file_row_and_column(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("lat,lon,population\n50.1,30.5,100\n50.2,30.6,many\n")
    with pytest.raises(InputError, match=r"people\.csv, row 3, column 'population': 'many'"):
        read_places(path, need_population=True)


def test_a_latitude_out_of_range_and_a_missing_column_are_refused(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("name,lat,lon\nschool,95,30.5\n")
    with pytest.raises(InputError, match=r"sites\.csv, row 2, column 'lat': 95 should be between"):
        read_places(path)
    path.write_text("name,y,x\nschool,50,30.5\n")
    with pytest.raises(InputError, match=r"no latitude column .*the columns are name, y, x"):
        read_places(path)


def test_a_distance_row_naming_an_unknown_candidate_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("candidate,demand,metres\nA,t1,100\nB,t1,200\n")
    with pytest.raises(
        InputError, match=r"d\.csv, row 3, column 'candidate': no candidate named 'B'"
    ):
        read_distance_table(path, ["A"], ["t1"])


# --- the command ----------------------------------------------------------------------------


@needs_sf
def test_nezlam_site_ranks_the_sf_stores_and_writes_csv_geojson_and_a_map(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "site", "--new", "4", "--metres", "5000", "--demand", str(SF_DEMAND),
            "--population-column", "POP2000", "--name-column", "NAME",
            "--candidates", str(SF_SITES), "--distances", str(SF_DISTANCES),
            "--distance-columns", "name,DestinationName,distance", "--out", str(tmp_path),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Store_15" in result.output and "91.6 %" in result.output and "optimal" in result.output
    with (tmp_path / "sites.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["Store_15", "Store_12", "Store_2", "Store_11"]
    assert rows[-1]["population_covered"] == "875247"
    geojson = json.loads((tmp_path / "sites.geojson").read_text())
    assert len(geojson["features"]) == 4 and geojson["properties"]["optimal"] is True
    assert geojson["features"][0]["geometry"]["coordinates"] == [-122.430982, 37.782964]
    assert (tmp_path / "sites.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nezlam_site_names_the_bad_row_of_a_demand_file(tmp_path):
    demand = tmp_path / "demand.csv"
    demand.write_text("lon,lat,population\n30.5,50.4,10\n30.6,50.4,-3\n")
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nschool,50.4,30.55\n")
    result = CliRunner().invoke(
        app, ["site", "--demand", str(demand), "--candidates", str(sites), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "demand.csv, row 3, column 'population': -3 should be at least 0" in result.output


# --- people from the population sources, points open now from the database ------------------

# Three places in Monaco, beside the open points of `monaco_db`: the port (heat only, open), the
# casino (open) and Larvotto (open, but not confirmed for 8 hours: shown unconfirmed; on the
# beach, 116 m from the nearest street). Walks between them are 950 m and longer.
PLACES = {"port": (43.7352, 7.4216, 100), "casino": (43.7394, 7.4276, 50),
          "larvotto": (43.7466, 7.4360, 20)}  # fmt: skip


def write_places(path: Path, names: list[str], population: bool) -> Path:
    header = "name,lat,lon" + (",population" if population else "")
    rows = [
        f"{n},{PLACES[n][0]},{PLACES[n][1]}" + (f",{PLACES[n][2]}" if population else "")
        for n in names
    ]
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def site_cli(db_url: str, *args: str):
    return CliRunner().invoke(app, ["site", *args], env={"NEZLAM_DATABASE_URL": db_url})


def first_site(out: Path) -> dict:
    with (out / "sites.csv").open() as handle:
        return next(csv.DictReader(handle))


def test_points_open_now_in_the_database_count_as_covering_unless_told_otherwise(
    monaco_db, monaco_streets, tmp_path
):
    """One new point within 4 minutes' walk. The port and the casino are open now, so their
    150 people are covered already and Larvotto (its point stale) is where the next goes; with
    --no-existing the port's 100 people win; with --existing at the port, the casino's 50."""
    people = write_places(tmp_path / "people.csv", list(PLACES), population=True)
    sites = write_places(tmp_path / "sites.csv", list(PLACES), population=False)
    common = ["--new", "1", "--minutes", "4", "--population", str(people),
              "--candidates", str(sites), "--streets", str(monaco_streets)]  # fmt: skip
    live = site_cli(monaco_db, *common, "--out", str(tmp_path / "live"))
    assert live.exit_code == 0, live.output
    assert "3 points open now (from the database)" in live.output
    best = first_site(tmp_path / "live")
    assert (best["name"], best["population_added"], best["population_covered"]) == (
        "larvotto", "20", "170"
    )  # fmt: skip
    ignored = site_cli(monaco_db, *common, "--no-existing", "--out", str(tmp_path / "none"))
    assert ignored.exit_code == 0, ignored.output
    assert first_site(tmp_path / "none")["name"] == "port"
    at_port = write_places(tmp_path / "today.csv", ["port"], population=False)
    given = site_cli(
        monaco_db, *common, "--existing", str(at_port), "--out", str(tmp_path / "given")
    )
    assert given.exit_code == 0, given.output
    assert "from the database" not in given.output
    assert first_site(tmp_path / "given")["name"] == "casino"


def test_the_services_filter_chooses_which_open_points_count(monaco_db, monaco_streets, tmp_path):
    # The port's point has no power: asking for power leaves its 100 people to the new point.
    people = write_places(tmp_path / "people.csv", list(PLACES), population=True)
    sites = write_places(tmp_path / "sites.csv", list(PLACES), population=False)
    result = site_cli(
        monaco_db, "--new", "1", "--minutes", "4", "--population", str(people),
        "--candidates", str(sites), "--streets", str(monaco_streets), "--services", "power",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 points open now" in result.output
    assert first_site(tmp_path)["name"] == "port"


def test_site_takes_its_people_from_monacos_buildings(monaco_db, monaco_streets, tmp_path):
    """The estimate `nezlam coverage` uses (about 87,000 people in the extract), in H3 cells;
    two new points among five places (two of them at points open now, which add nobody),
    5 minutes' walk."""
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "name,lat,lon\nport,43.7352,7.4216\ncasino,43.7394,7.4276\nlarvotto,43.7466,7.4360\n"
        "moneghetti,43.7335,7.4145\nbeausoleil,43.7440,7.4250\n"
    )
    result = site_cli(
        monaco_db, "--new", "2", "--minutes", "5", "--from-buildings", str(MONACO),
        "--candidates", str(sites), "--streets", str(monaco_streets), "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with (tmp_path / "sites.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and {r["name"] for r in rows} <= {"larvotto", "moneghetti", "beausoleil"}
    covered, share = int(rows[-1]["population_covered"]), float(rows[-1]["coverage_percent"])
    assert 60_000 < covered / (share / 100) < 130_000  # everyone the estimate found
    assert 0 < int(rows[-1]["population_added"]) <= int(rows[0]["population_added"])


def test_site_refuses_two_sources_of_people_or_of_open_points(monaco_db, tmp_path):
    people = write_places(tmp_path / "people.csv", list(PLACES), population=True)
    sites = write_places(tmp_path / "sites.csv", list(PLACES), population=False)
    both = site_cli(monaco_db, "--demand", str(people), "--population", str(people),
                    "--candidates", str(sites), "--out", str(tmp_path))  # fmt: skip
    assert both.exit_code == 1 and "give one of --demand FILE.csv, --population" in both.output
    twice = site_cli(monaco_db, "--population", str(people), "--candidates", str(sites),
                     "--existing", str(sites), "--no-existing", "--out", str(tmp_path))  # fmt: skip
    assert twice.exit_code == 1 and "--existing and --no-existing" in twice.output


def test_site_names_the_bad_row_of_a_population_file(monaco_db, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("lon,lat,population\n7.42,43.73,12\n7.42,43.73,many\n")
    sites = write_places(tmp_path / "sites.csv", ["port"], population=False)
    result = site_cli(
        monaco_db, "--population", str(people), "--candidates", str(sites), "--out", str(tmp_path)
    )
    assert result.exit_code == 1
    assert "people.csv: row 3, column population: 'many' is not a number" in result.output


def test_without_a_migrated_database_site_says_how_to_do_without(tmp_path):
    people = write_places(tmp_path / "people.csv", list(PLACES), population=True)
    sites = write_places(tmp_path / "sites.csv", list(PLACES), population=False)
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    args = ["--population", str(people), "--candidates", str(sites), "--out", str(tmp_path)]
    result = site_cli(empty, *args)
    assert result.exit_code == 2 and "nezlam db upgrade" in result.output
    assert "--no-existing" in result.output
    assert site_cli(empty, *args, "--no-existing").exit_code == 0


def test_site_with_kyiv_points_and_monaco_streets_says_they_cover_nobody_here(
    kyiv_db, monaco_streets, tmp_path
):
    people = write_places(tmp_path / "people.csv", list(PLACES), population=True)
    sites = write_places(tmp_path / "sites.csv", list(PLACES), population=False)
    result = site_cli(
        kyiv_db, "--new", "1", "--minutes", "4", "--population", str(people),
        "--candidates", str(sites), "--streets", str(monaco_streets), "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "2 points open now (from the database)" in said
    assert "none of the 2 points open now lies within 400 m of these streets" in said
    assert said.count("warning:") == 1  # Monaco's people and candidates are on its streets
    assert first_site(tmp_path)["name"] == "port"  # Kyiv's points cover nobody in Monaco


def test_site_and_coverage_files_hold_no_live_spreadsheet_formula(
    monaco_db, monaco_streets, tmp_path
):
    """A candidate named like a formula (names come from a CSV or OpenStreetMap) is written with
    an apostrophe in sites.csv, and the coordinators' coverage page reads it back as typed."""
    from nezlam.web.pages.coverage_page import read_sites

    formula = '=HYPERLINK("http://evil","click")'
    people = write_places(tmp_path / "people.csv", list(PLACES), population=True)
    sites = tmp_path / "sites.csv"
    sites.write_text(f'name,lat,lon\n"{formula.replace(chr(34), chr(34) * 2)}",43.7466,7.4360\n')
    result = site_cli(
        monaco_db, "--new", "1", "--minutes", "4", "--population", str(people),
        "--candidates", str(sites), "--streets", str(monaco_streets), "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert first_site(tmp_path / "o")["name"] == "'" + formula
    assert read_sites(tmp_path / "o" / "sites.csv")[0]["name"] == formula
