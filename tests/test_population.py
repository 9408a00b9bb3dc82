"""Population sources: a Kontur Population GeoPackage (written here in Kontur's schema), a CSV
of places with errors named by row and column, and an estimate from buildings: its rules on a
small hand-written OSM file, its figures on Monaco's and Liechtenstein's real extracts."""

import sqlite3
import struct
from pathlib import Path

import h3
import numpy as np
import pytest

from nezlam.coverage import population
from nezlam.coverage.buildings import (
    NO_LANDUSE,
    OTHER_LANDUSE,
    RESIDENTIAL,
    home_share,
    levels,
    read_homes,
    ring_areas_m2,
    tagged_levels,
)
from nezlam.coverage.districts import label_by_areas, label_by_nearest, read_admin_areas
from nezlam.coverage.population import (
    BUILDINGS_RESOLUTION,
    DEFAULT_FLOOR_M2_PER_PERSON,
    PopulationError,
    to_cells,
)

OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
MONACO = OSM / "monaco.osm.pbf"
LIECHTENSTEIN = OSM / "liechtenstein.osm.pbf"
NO_DATA = f"the OSM extracts are not in {OSM} (CI has ../shared/data)"
# Residents by census: Monaco 37,308 (2016), Liechtenstein 37,622 (end of 2015; the extracts
# are from 2016 and 2015). The building estimate must land within ±50 % of both.
MONACO_RESIDENTS = 37_308
LIECHTENSTEIN_RESIDENTS = 37_622

# Three Kyiv cells of resolution 8, as Kontur stores them.
KYIV_CELLS = [h3.latlng_to_cell(50.45 + 0.01 * i, 30.52, 8) for i in range(3)]


def gpkg_point(lon: float, lat: float) -> bytes:
    """A minimal GeoPackage geometry: the "GP" header (version 0, no envelope, little-endian)
    and a WKB point. Kontur stores hexagons in EPSG:3857; only `h3` is read, so a point will do."""
    return (
        b"GP"
        + bytes([0, 0b00000001])
        + struct.pack("<i", 4326)
        + struct.pack("<BIdd", 1, 1, lon, lat)
    )


def write_kontur(
    path: Path, rows: list[tuple[object, object]], table: str = "population", h3_type: str = "TEXT"
) -> Path:
    """A GeoPackage in the schema of Kontur Population: gpkg_spatial_ref_sys, gpkg_contents,
    gpkg_geometry_columns and a feature table (fid, geom, h3, population)."""
    connection = sqlite3.connect(path)
    connection.executescript(
        f"""
        PRAGMA application_id = 1196444487;  -- 'GPKG'
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL, description TEXT);
        INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 / Pseudo-Mercator', 3857, 'EPSG', 3857,
            'PROJCS["WGS 84 / Pseudo-Mercator"]', NULL);
        CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME,
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
            VALUES ('{table}', 'features', '{table}', 3857);
        CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
            m TINYINT NOT NULL, PRIMARY KEY (table_name, column_name));
        INSERT INTO gpkg_geometry_columns VALUES ('{table}', 'geom', 'POLYGON', 3857, 0, 0);
        CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, h3 {h3_type},
            population REAL);
        """
    )
    connection.executemany(
        f'INSERT INTO "{table}" (geom, h3, population) VALUES (?, ?, ?)',
        [(gpkg_point(30.52, 50.45), cell, people) for cell, people in rows],
    )
    connection.commit()
    connection.close()
    return path


# --- Kontur GeoPackage -----------------------------------------------------------------------


def test_kontur_geopackage_gives_each_cell_at_its_centre(tmp_path):
    path = write_kontur(
        tmp_path / "kontur_population_UA.gpkg", list(zip(KYIV_CELLS, [10, 250.5, 0], strict=True))
    )
    demand = population.load(path)
    assert list(demand.cell) == KYIV_CELLS
    assert demand.population.tolist() == [10, 250.5, 0]
    assert demand.total == pytest.approx(260.5)
    for cell, lat, lon in zip(KYIV_CELLS, demand.lat, demand.lon, strict=True):
        assert (lat, lon) == pytest.approx(h3.cell_to_latlng(cell))
        assert h3.latlng_to_cell(lat, lon, 8) == cell
    assert set(demand.label) == {""}  # Kontur has no districts


def test_kontur_cells_stored_as_integers_are_read_too(tmp_path):
    rows = [(h3.str_to_int(KYIV_CELLS[0]), 42)]
    demand = population.load(
        write_kontur(tmp_path / "ints.gpkg", rows, table="kontur", h3_type="INTEGER")
    )
    assert list(demand.cell) == [KYIV_CELLS[0]] and demand.total == 42


def test_a_bad_kontur_row_is_named_by_row_and_column(tmp_path):
    path = write_kontur(tmp_path / "bad.gpkg", [(KYIV_CELLS[0], 5), ("not-a-cell", 7)])
    with pytest.raises(PopulationError, match=r"bad.gpkg, row 2, column h3: 'not-a-cell'"):
        population.load(path)
    path = write_kontur(tmp_path / "neg.gpkg", [(KYIV_CELLS[0], -3)])
    with pytest.raises(PopulationError, match=r"row 1, column population: -3"):
        population.load(path)


def test_a_geopackage_without_kontur_columns_is_refused_with_its_tables(tmp_path):
    path = write_kontur(tmp_path / "other.gpkg", [(KYIV_CELLS[0], 5)])
    connection = sqlite3.connect(path)
    connection.execute('ALTER TABLE "population" RENAME COLUMN population TO people')
    connection.commit()
    connection.close()
    with pytest.raises(PopulationError, match=r"no feature table with columns h3 and population"):
        population.load(path)
    plain = tmp_path / "plain.gpkg"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(PopulationError, match="not a GeoPackage"):
        population.load(plain)


# --- CSV -------------------------------------------------------------------------------------


def test_csv_places_with_their_districts(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Population,lat,lon,district\n120,50.45,30.52,Печерський\n80,50.46,30.51,\n")
    demand = population.load(path)
    assert demand.lat.tolist() == [50.45, 50.46] and demand.lon.tolist() == [30.52, 30.51]
    assert demand.population.tolist() == [120, 80]
    assert list(demand.label) == ["Печерський", ""] and list(demand.cell) == ["", ""]


def test_csv_errors_name_every_bad_row_and_column(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "lon,lat,population\n30.52,50.45,100\n30.5x,50.45,10\n30.5,95,10\n30.5,50.4,-2\n"
    )
    with pytest.raises(PopulationError) as caught:
        population.load(path)
    message = str(caught.value)
    assert "row 3, column lon: '30.5x' is not a number" in message
    assert "row 4, column lat: 95 is out of range" in message
    assert "row 5, column population: -2 is out of range" in message
    assert "row 2" not in message


def test_csv_without_a_population_column_says_which_columns_it_found(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("lon,lat,residents\n30.52,50.45,100\n")
    with pytest.raises(
        PopulationError, match=r"row 1: no population column .*found lon, lat, residents"
    ):
        population.load(path)


def test_other_kinds_of_files_are_refused(tmp_path):
    with pytest.raises(PopulationError, match=r"\.gpkg \(Kontur\) or a \.csv"):
        population.load(tmp_path / "people.xlsx")


# --- buildings: the rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"building": "yes"}, None),
        ({"building": "apartments", "building:levels": "9"}, 9),
        ({"building": "yes", "height": "31 m"}, 10),
        ({"building": "yes", "building:levels": "2;3"}, 2),
        ({"building": "yes", "building:levels": "lots"}, None),
        ({"building": "yes", "building:levels": "0"}, None),
    ],
)
def test_levels_tagged_on_a_building(tags, expected):
    found = tagged_levels(tags)
    assert np.isnan(found) if expected is None else found == expected


def test_home_share_by_building_type_and_land_use():
    kind = np.array(["yes", "yes", "yes", "house", "apartments", "garage", "church", "hotel"])
    landuse = np.array(
        [RESIDENTIAL, NO_LANDUSE, OTHER_LANDUSE, OTHER_LANDUSE, NO_LANDUSE, RESIDENTIAL,
         RESIDENTIAL, NO_LANDUSE],
    )  # fmt: skip
    # An untyped building is a home in residential land use, half of one where no land use is
    # mapped, none elsewhere; a typed home is one anywhere; other types never.
    assert home_share(kind, landuse).tolist() == [1, 0.5, 0, 1, 1, 0, 0, 0]


def test_levels_from_type_tags_or_how_densely_the_ground_is_built():
    kind = np.array(["yes", "yes", "yes", "residential", "house", "apartments", "yes", "yes"])
    tagged = np.array([np.nan] * 6 + [7.0, np.nan])
    ground = np.array([0.05, 0.19, 0.45, 0.31, 0.45, 0.05, 0.05, 1.5])
    # One level per full tenth of ground built (1 at least, 10 at most); a house keeps 1 and
    # apartments 5 whatever the ground; tagged levels win.
    assert levels(kind, tagged, ground).tolist() == [1, 1, 4, 3, 1, 5, 7, 10]


def square(node_id: int, lat: float, lon: float, side_m: float) -> tuple[list[str], list[int]]:
    """Nodes (OSM XML) of a square `side_m` wide with its south-west corner at (lat, lon)."""
    dlat, dlon = side_m / 111_195, side_m / (111_195 * np.cos(np.radians(lat)))
    corners = [(lat, lon), (lat, lon + dlon), (lat + dlat, lon + dlon), (lat + dlat, lon)]
    ids = list(range(node_id, node_id + 4))
    nodes = [f'<node id="{i}" version="1" lat="{a:.7f}" lon="{b:.7f}"/>'
             for i, (a, b) in zip(ids, corners, strict=True)]  # fmt: skip
    return nodes, ids + ids[:1]


def write_osm(path: Path, shapes: list[tuple[float, float, float, dict[str, str]]]) -> Path:
    """An OSM XML file of closed square ways: (metres east, metres north of a Kyiv corner,
    side in metres, tags) each."""
    nodes, ways = [], []
    for n, (east, north, side, tags) in enumerate(shapes):
        lat = 50.45 + north / 111_195
        lon = 30.52 + east / (111_195 * np.cos(np.radians(50.45)))
        corners, refs = square(10 * n + 1, lat, lon, side)
        nodes += corners
        tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        ways.append(f'<way id="{n + 1}" version="1">{nds}{tag_xml}</way>')
    body = "\n".join(nodes + ways)
    path.write_text(f'<?xml version="1.0"?>\n<osm version="0.6">\n{body}\n</osm>\n')
    return path


def test_a_small_town_counts_homes_by_land_use_type_and_levels(tmp_path):
    """Six 10 m × 10 m buildings (100 m² each, on ground about 0.1 % built, so 1 level) around
    a residential estate and an industrial zone."""
    path = write_osm(
        tmp_path / "town.osm",
        [
            (0, 0, 200, {"landuse": "residential"}),
            (300, 0, 200, {"landuse": "industrial"}),
            (50, 50, 10, {"building": "yes"}),  # in the estate: a home, 100 m²
            (100, 100, 10, {"building": "yes", "building:levels": "4"}),  # 400 m²
            (150, 50, 10, {"building": "garage"}),  # not a home
            (350, 50, 10, {"building": "yes"}),  # a workshop in the industrial zone
            (600, 50, 10, {"building": "yes"}),  # no land use mapped: half a home
            (700, 50, 10, {"building": "house"}),  # a house is a home anywhere
        ],
    )
    lat, lon, floor_m2 = read_homes(path)
    assert floor_m2 == pytest.approx([100, 400, 50, 100], rel=0.01)
    east = (lon - 30.52) * 111_195 * np.cos(np.radians(50.45))
    assert east == pytest.approx([55, 105, 605, 705], abs=0.5)  # each at its centre
    demand = population.from_buildings(path, floor_m2_per_person=25)
    assert demand.total == pytest.approx(650 / 25, rel=0.01)


def test_ring_areas_in_square_metres():
    # A 100 m × 50 m rectangle and a 10 m × 10 m square, one after the other, closed rings.
    dlat, dlon = 1 / 111_195, 1 / (111_195 * np.cos(np.radians(50.45)))
    big = [(0, 0), (0, 100), (50, 100), (50, 0), (0, 0)]
    small = [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    rings = [(50.45 + y * dlat, 30.52 + x * dlon) for y, x in big + small]
    lat, lon = np.array(rings).T
    assert ring_areas_m2(lat, lon, np.array([0, 5])) == pytest.approx([5_000, 100], rel=1e-3)


# --- buildings: Monaco and Liechtenstein ------------------------------------------------------


@pytest.fixture(scope="module")
def monaco_homes():
    """(lat, lon, floor m²) of Monaco's homes: read once, the slow part (a few seconds)."""
    if not MONACO.exists():
        pytest.skip(NO_DATA)
    return read_homes(MONACO)


@pytest.fixture(scope="module")
def monaco_estimate(monaco_homes):
    lat, lon, floor_m2 = monaco_homes
    return to_cells(lat, lon, floor_m2 / DEFAULT_FLOOR_M2_PER_PERSON, BUILDINGS_RESOLUTION)


@pytest.fixture(scope="module")
def monaco_areas():
    if not MONACO.exists():
        pytest.skip(NO_DATA)
    return read_admin_areas(MONACO)


def people_in(demand, areas, name):
    area = next(area for area in areas if area.name == name)
    return demand.population[area.contains(demand.lat, demand.lon)].sum()


def test_monaco_residents_estimated_from_its_buildings(monaco_estimate, monaco_areas):
    """37,308 people live in Monaco (2016 census). Its buildings are nearly all untyped, with
    no levels and no land use mapped: each counts as half a home, with levels from how densely
    the ground is built (40–50 %, so about 4). The estimate: about 28,500 inside the
    city-state's boundary (it was 60,100 when every untyped building was a 3-level home), and
    about 87,000 in the whole extract, French towns around included (it was 248,000)."""
    demand = monaco_estimate
    monaco = people_in(demand, monaco_areas, "Monaco")
    assert 0.5 * MONACO_RESIDENTS < monaco < 1.5 * MONACO_RESIDENTS
    assert 60_000 < demand.total < 130_000
    # Summed into H3 cells of resolution 10, so the table stays small.
    assert 1_000 < len(demand) < 3_000
    assert {h3.get_resolution(cell) for cell in demand.cell} == {10}
    # Each cell's people stand among its buildings, inside the cell.
    inside = [
        h3.latlng_to_cell(a, b, 10) == c
        for a, b, c in zip(demand.lat, demand.lon, demand.cell, strict=True)
    ]
    assert np.mean(inside) > 0.99


def test_liechtenstein_residents_estimated_from_its_buildings():
    """37,622 people lived in Liechtenstein at the end of 2015. Its villages map residential
    land use, houses and barns: about 49,900 inside the country's boundary (1.33 ×; it was
    193,700), its roomy houses being more floor a person than the Ukrainian 30 m²."""
    if not LIECHTENSTEIN.exists():
        pytest.skip(NO_DATA)
    demand = population.from_buildings(LIECHTENSTEIN)
    areas = read_admin_areas(LIECHTENSTEIN, [2])
    country = people_in(demand, areas, "Liechtenstein")
    assert 0.5 * LIECHTENSTEIN_RESIDENTS < country < 1.5 * LIECHTENSTEIN_RESIDENTS
    assert country == pytest.approx(demand.total, rel=0.01)  # the extract is the country


def test_building_estimate_ignores_reading_order_and_scales_with_the_density(
    monaco_homes, monaco_estimate
):
    lat, lon, floor_m2 = monaco_homes
    shuffled = np.random.default_rng(5).permutation(len(lat))
    again = to_cells(lat[shuffled], lon[shuffled], floor_m2[shuffled] / 60, BUILDINGS_RESOLUTION)
    assert list(again.cell) == list(monaco_estimate.cell)
    assert again.population == pytest.approx(monaco_estimate.population / 2)
    assert again.lat == pytest.approx(monaco_estimate.lat)
    with pytest.raises(PopulationError, match="must be positive"):
        population.from_buildings(MONACO, floor_m2_per_person=0)


def test_monaco_wards_label_cells_with_the_most_local_boundary(monaco_estimate, monaco_areas):
    # Levels 8 and 10 (the countries are cut off by the extract's edge): wards win over the state.
    assert {area.level for area in monaco_areas} == {8, 10}
    labels = set(label_by_areas(monaco_estimate.lat, monaco_estimate.lon, monaco_areas))
    assert {"Monte-Carlo", "Fontvieille", "Monaco-Ville", "La Condamine"} <= labels
    assert "Beausoleil" in labels  # a French commune has no wards: its own level 8 stays


def test_nearest_point_labels():
    labels = label_by_nearest(
        np.array([50.45, 50.50]), np.array([30.52, 30.60]),
        np.array([50.44, 50.51]), np.array([30.50, 30.61]), ["Печерський", "Деснянський"],
    )  # fmt: skip
    assert list(labels) == ["Печерський", "Деснянський"]
