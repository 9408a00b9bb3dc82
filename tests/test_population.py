"""Population sources: a Kontur Population GeoPackage (written here in Kontur's schema), a CSV
of places with errors named by row and column, and an estimate from Monaco's real buildings."""

import sqlite3
import struct
from pathlib import Path

import h3
import numpy as np
import pytest

from nezlam.coverage import population
from nezlam.coverage.districts import label_by_areas, label_by_nearest, read_admin_areas
from nezlam.coverage.population import (
    BUILDINGS_RESOLUTION,
    DEFAULT_FLOOR_M2_PER_PERSON,
    PopulationError,
    building_levels,
    read_buildings,
    ring_areas_m2,
    to_cells,
)

MONACO = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm" / "monaco.osm.pbf"
NO_DATA = f"the Monaco extract is not at {MONACO} (CI has ../shared/data)"

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


# --- buildings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "levels"),
    [
        ({"building": "yes"}, 3),
        ({"building": "house"}, 1),
        ({"building": "apartments"}, 5),
        ({"building": "apartments", "building:levels": "9"}, 9),
        ({"building": "yes", "height": "31 m"}, 10),
        ({"building": "yes", "building:levels": "lots"}, 3),
        ({"building": "garage"}, None),
        ({"building": "industrial", "building:levels": "4"}, None),
        ({"building": "church"}, None),
    ],
)
def test_levels_of_homes_and_buildings_that_are_not_homes(tags, levels):
    assert building_levels(tags) == levels


def test_ring_areas_in_square_metres():
    # A 100 m × 50 m rectangle and a 10 m × 10 m square, one after the other, closed rings.
    dlat, dlon = 1 / 111_195, 1 / (111_195 * np.cos(np.radians(50.45)))
    big = [(0, 0), (0, 100), (50, 100), (50, 0), (0, 0)]
    small = [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    rings = [(50.45 + y * dlat, 30.52 + x * dlon) for y, x in big + small]
    lat, lon = np.array(rings).T
    assert ring_areas_m2(lat, lon, np.array([0, 5])) == pytest.approx([5_000, 100], rel=1e-3)


@pytest.fixture(scope="module")
def monaco_homes():
    """(lat, lon, floor m²) of Monaco's homes: read once, the slow part (a few seconds)."""
    if not MONACO.exists():
        pytest.skip(NO_DATA)
    return read_buildings(MONACO)


@pytest.fixture(scope="module")
def monaco_estimate(monaco_homes):
    lat, lon, floor_m2 = monaco_homes
    return to_cells(lat, lon, floor_m2 / DEFAULT_FLOOR_M2_PER_PERSON, BUILDINGS_RESOLUTION)


@pytest.fixture(scope="module")
def monaco_areas():
    if not MONACO.exists():
        pytest.skip(NO_DATA)
    return read_admin_areas(MONACO)


def test_monaco_residents_estimated_from_its_buildings(monaco_estimate, monaco_areas):
    """Monaco has about 38,000 residents (2016 census: 37,308). Its extract's buildings give
    about 60,000 inside the city-state's OSM boundary (admin_level 8): almost every building
    is untyped and without levels, so hotels, offices and the casino count as 3-level homes
    while the towers count as 3 levels only. Within a factor of two is what a footprint
    estimate can promise; the extract also holds the French towns around (Beausoleil, Cap-d'Ail,
    La Turbie), about 250,000 estimated in all."""
    demand = monaco_estimate
    assert 150_000 < demand.total < 400_000
    # Summed into H3 cells of resolution 10, so the table stays small.
    assert 1_000 < len(demand) < 3_000
    assert {h3.get_resolution(cell) for cell in demand.cell} == {10}
    areas = [area for area in monaco_areas if area.level == 8]
    assert {"Monaco", "Beausoleil", "Cap-d'Ail"} <= {area.name for area in areas}
    labels = label_by_areas(demand.lat, demand.lon, areas)
    monaco = demand.population[labels == "Monaco"].sum()
    assert 25_000 < monaco < 100_000
    # Each cell's people stand among its buildings, inside the cell.
    inside = [
        h3.latlng_to_cell(a, b, 10) == c
        for a, b, c in zip(demand.lat, demand.lon, demand.cell, strict=True)
    ]
    assert np.mean(inside) > 0.99


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
