"""The walking network: which ways are walkable, how it is stored, and that its walking
distances agree with networkx (the reference) on the real Monaco and Liechtenstein extracts."""

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.geo.distance import haversine_m
from nezlam.geo.streets import StreetNetwork, from_edges, is_walkable, read_osm
from nezlam.store import points
from nezlam.store.actor import CLI
from tests.conftest import REGION_A, point_create

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
MONACO = DATA / "monaco.osm.pbf"
LIECHTENSTEIN = DATA / "liechtenstein.osm.pbf"
NO_DATA = f"the OSM extracts are not at {DATA} (CI has ../shared/data)"


@pytest.fixture(scope="module")
def monaco() -> StreetNetwork:
    if not MONACO.exists():
        pytest.skip(NO_DATA)
    return read_osm(MONACO)


@pytest.fixture(scope="module")
def liechtenstein() -> StreetNetwork:
    if not LIECHTENSTEIN.exists():
        pytest.skip(NO_DATA)
    return read_osm(LIECHTENSTEIN)


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "residential", "oneway": "yes"}, True),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "track", "access": "no"}, False),
        ({"highway": "path", "foot": "no"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "trunk", "foot": "designated"}, True),
        ({"highway": "construction"}, False),
        ({"highway": "raceway"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_which_ways_people_may_walk(tags, walkable):
    assert is_walkable(tags) is walkable


def test_one_way_streets_stay_two_way_on_foot(monaco):
    matrix = monaco.matrix
    assert (matrix != matrix.T).nnz == 0


def test_monaco_is_read_whole_and_connected(monaco):
    # The issue measured 24k nodes for Monaco's walking graph.
    assert 20_000 < monaco.nodes < 30_000
    from scipy.sparse.csgraph import connected_components

    count, _labels = connected_components(monaco.matrix, directed=False)
    assert count == 1
    # Every edge is as long as the straight line between its ends (consecutive way nodes).
    rows = np.repeat(np.arange(monaco.nodes), np.diff(monaco.indptr))
    straight = haversine_m(
        monaco.lat[rows], monaco.lon[rows], monaco.lat[monaco.indices], monaco.lon[monaco.indices]
    )
    assert np.allclose(monaco.weights, straight)
    # No motorway node: the tunnel motorway in Monaco is not walkable.
    assert 43.72 < monaco.lat.mean() < 43.75


def test_saved_network_loads_back_identically_and_fast(monaco, tmp_path):
    path = monaco.save(tmp_path / "monaco.npz")
    again = StreetNetwork.load(path)
    for name in ("lat", "lon", "indptr", "indices", "weights", "osm_ids"):
        assert np.array_equal(getattr(again, name), getattr(monaco, name)), name
    assert again.name == "monaco"


def river_town() -> StreetNetwork:
    """Two streets 100 m apart on either side of a river, joined by one bridge 1 km away."""
    lat0, lon0, dlat = 50.45, 30.52, 100 / 111_195  # 100 m north
    dlon = 100 / (111_195 * np.cos(np.radians(lat0)))  # 100 m east
    # South bank: nodes 0..10 eastwards every 100 m; north bank: 11..21 likewise.
    lat = np.array([lat0] * 11 + [lat0 + dlat] * 11)
    lon = np.array([lon0 + i * dlon for i in range(11)] * 2)
    u = list(range(10)) + list(range(11, 21)) + [10]
    v = list(range(1, 11)) + list(range(12, 22)) + [21]  # the bridge joins 10 and 21
    return from_edges(lat, lon, np.array(u), np.array(v))


def test_a_river_turns_100_metres_into_2_kilometres():
    town = river_town()
    # A point on the north bank above node 0; a resident on the south bank at node 0.
    point = town.snap([town.lat[11]], [town.lon[11]])
    reach = town.nearest_sources(point)
    resident = town.snap([town.lat[0]], [town.lon[0]])
    metres, which = town.walking_distance(reach, resident)
    assert which[0] == 0
    # 1 km east, 100 m over the bridge, 1 km back west.
    assert metres[0] == pytest.approx(2_100, abs=1)


def test_a_location_off_the_street_is_snapped_to_the_nearest_segment():
    town = river_town()
    # 30 m south of the south street, 250 m from its west end: between nodes 2 and 3.
    lat = town.lat[0] - 30 / 111_195
    lon = town.lon[0] + 2.5 * (town.lon[1] - town.lon[0])
    snap = town.snap([lat], [lon])
    assert {int(snap.u[0]), int(snap.v[0])} == {2, 3}
    assert snap.offset[0] == pytest.approx(30, abs=0.5)
    assert snap.along[0] == pytest.approx(50, abs=0.5)
    # A point at the west end of the same street: 30 m to the street, then 250 m along it.
    reach = town.nearest_sources(town.snap([town.lat[0]], [town.lon[0]]))
    metres, _which = town.walking_distance(reach, snap)
    assert metres[0] == pytest.approx(280, abs=1)


def test_two_locations_on_one_segment_walk_straight_along_it():
    town = river_town()
    step = town.lon[1] - town.lon[0]
    source = town.snap([town.lat[0]], [town.lon[0] + 0.2 * step])
    reach = town.nearest_sources(source)
    metres, which = town.walking_distance(
        reach, town.snap([town.lat[0]], [town.lon[0] + 0.7 * step])
    )
    assert which[0] == 0 and metres[0] == pytest.approx(50, abs=0.5)


def networkx_graph(network: StreetNetwork, sources) -> tuple[nx.Graph, list]:
    """The same graph in networkx, each source tied to both ends of its segment at the snapped
    lengths."""
    graph = nx.Graph()
    rows = np.repeat(np.arange(network.nodes), np.diff(network.indptr))
    for a, b, w in zip(
        rows.tolist(), network.indices.tolist(), network.weights.tolist(), strict=True
    ):
        graph.add_edge(a, b, weight=w)
    starts = []
    for i in range(len(sources)):
        name = ("source", i)
        graph.add_edge(name, int(sources.u[i]), weight=sources.offset[i] + sources.along[i])
        graph.add_edge(
            name,
            int(sources.v[i]),
            weight=sources.offset[i] + sources.length[i] - sources.along[i],
        )
        starts.append(name)
    return graph, starts


@pytest.mark.parametrize("extract", ["monaco", "liechtenstein"])
def test_walking_distances_agree_with_networkx_within_a_metre(extract, request):
    network: StreetNetwork = request.getfixturevalue(extract)
    rng = np.random.default_rng(7)
    # Points at 1 % of the nodes, a few metres off the street, half of them open.
    at = rng.choice(network.nodes, size=network.nodes // 100, replace=False)
    lat = network.lat[at] + rng.normal(0, 10 / 111_195, len(at))
    lon = network.lon[at] + rng.normal(0, 10 / 111_195, len(at))
    sources = network.snap(lat[::2], lon[::2])
    reach = network.nearest_sources(sources)
    graph, starts = networkx_graph(network, sources)
    reference = nx.multi_source_dijkstra_path_length(graph, starts, weight="weight")
    expected = np.array([reference[i] for i in range(network.nodes)])
    assert np.isfinite(reach.distance).all()
    assert np.abs(reach.distance - expected).max() < 1.0
    # And the source named for a node is one at that distance.
    for node in rng.choice(network.nodes, size=10, replace=False).tolist():
        source = starts[reach.source[node]]
        alone = nx.dijkstra_path_length(graph, source, node, weight="weight")
        assert alone == pytest.approx(reach.distance[node], abs=1.0)


# --- `nezlam streets import` says how many points the new streets reach ---------------------


def import_streets(db_url, target):
    result = CliRunner().invoke(
        app,
        ["streets", "import", str(MONACO), "--output", str(target)],
        env={"NEZLAM_DATABASE_URL": db_url},
    )
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # rich wraps long lines


def add_point(db, point_id, lat, lon):
    with db.write() as session:
        points.create_point(session, point_create(point_id, REGION_A, lat, lon), CLI)


@pytest.mark.skipif(not MONACO.exists(), reason=NO_DATA)
def test_importing_another_citys_streets_warns_that_they_cover_no_point(
    db, db_url, network, tmp_path
):
    """The database holds Kyiv's point-a and Kharkiv's point-b; the extract is Monaco's."""
    said = import_streets(db_url, tmp_path / "streets.npz")
    assert "the network covers 0 of 2 points" in said
    assert "walking distances will be used for none of them — is this the right city?" in said
    add_point(db, "casino", 43.7396, 7.4278)
    said = import_streets(db_url, tmp_path / "streets.npz")
    assert "covers only 1 of 3 points (33 %)" in said and "the other 2 keep straight-line" in said
    for n, (lat, lon) in enumerate([(43.7350, 7.4216), (43.7275, 7.4155)]):
        add_point(db, f"monaco-{n}", lat, lon)
    said = import_streets(db_url, tmp_path / "streets.npz")
    assert "the network covers 3 of 5 points (60 %) within 400 m" in said
    assert "warning" not in said


@pytest.mark.skipif(not MONACO.exists(), reason=NO_DATA)
def test_importing_streets_before_the_database_exists_still_stores_them(tmp_path):
    said = import_streets(f"sqlite:///{tmp_path / 'none.sqlite3'}", tmp_path / "streets.npz")
    assert "were not checked against the new streets" in said
    assert StreetNetwork.load(tmp_path / "streets.npz").name == "monaco"
