"""Where people live: one demand table from whichever population source a coordinator has.

Three sources, best first:

- **Kontur Population** (`.gpkg`): the open H3 dataset that covers Ukraine — one row per H3
  cell of resolution 8 (about 0.74 km²) with its `population`. A GeoPackage is SQLite, so it is
  read with the standard `sqlite3` module: the feature table is the one `gpkg_contents` names;
  only its `h3` and `population` columns are read, and each cell stands at its centre.
- **A CSV** of `lon`, `lat`, `population` (and optionally `district`), one row per place.
- **OSM building footprints**, when nothing else exists: each home's floor area (footprint ×
  levels) × a density (people per m² of floor), summed into H3 cells of resolution 10 (about
  0.015 km², 130 m across), each placed at the population-weighted centre of its buildings.
  Which buildings count as homes and with how many levels is `buildings`' business (land use
  and how densely the ground is built decide it); within ±50 % of the census on Monaco and
  Liechtenstein.

The density defaults to one resident per 30 m² of floor: about 22 m² of living space per person
in Ukraine, plus the walls, stairs and corridors that a footprint also counts.

`nezlam coverage` and `nezlam site` both take their people from `read`.
"""

from __future__ import annotations

import csv
import math
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import h3
import numpy as np

from nezlam.coverage import buildings

Progress = Callable[[int, int | None], None]
"""Called with (done, total or None when the total is not known in advance)."""

KONTUR_RESOLUTION = 8
BUILDINGS_RESOLUTION = 10
DEFAULT_FLOOR_M2_PER_PERSON = 30.0
LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
POPULATION_NAMES = ("population", "pop", "people")
LABEL_NAMES = ("district", "region", "label")
MAX_REPORTED_ERRORS = 10
ONE_SOURCE = "give one of --population FILE or --from-buildings FILE.osm.pbf"


class PopulationError(ValueError):
    """A population file that cannot be used; the message names the row and column."""


@dataclass(frozen=True)
class Demand:
    """Where people live: one row per cell or place. Positions are degrees WGS84; `cell` is
    the H3 cell (hex string) a row stands for, or "" for a bare place; `label` is its district
    or region when known, else ""."""

    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray  # float64, people
    cell: np.ndarray  # object array of str
    label: np.ndarray  # object array of str
    source: str = ""

    def __len__(self) -> int:
        return len(self.lat)

    @property
    def total(self) -> float:
        return float(self.population.sum())

    def take(self, rows: np.ndarray) -> Demand:
        return Demand(
            self.lat[rows], self.lon[rows], self.population[rows], self.cell[rows],
            self.label[rows], self.source,
        )  # fmt: skip

    def with_labels(self, labels: np.ndarray) -> Demand:
        """The same rows with these labels where a row has none of its own."""
        mine = self.label.astype(str) != ""
        return Demand(
            self.lat, self.lon, self.population, self.cell,
            np.where(mine, self.label, labels).astype(object), self.source,
        )  # fmt: skip

    def within(self, south: float, west: float, north: float, east: float) -> Demand:
        """The rows inside a box (degrees)."""
        inside = (self.lat >= south) & (self.lat <= north) & (self.lon >= west) & (self.lon <= east)
        return self.take(np.flatnonzero(inside))


def make_demand(
    lat: np.ndarray | list[float],
    lon: np.ndarray | list[float],
    population: np.ndarray | list[float],
    cell: list[str] | None = None,
    label: list[str] | None = None,
    source: str = "",
) -> Demand:
    """A demand table from plain sequences (cells and labels default to "")."""
    n = len(lat)
    return Demand(
        lat=np.asarray(lat, np.float64), lon=np.asarray(lon, np.float64),
        population=np.asarray(population, np.float64),
        cell=np.array(cell if cell is not None else [""] * n, dtype=object),
        label=np.array(label if label is not None else [""] * n, dtype=object),
        source=source,
    )  # fmt: skip


def read(
    population_file: str | Path | None = None,
    buildings_file: str | Path | None = None,
    floor_m2_per_person: float | None = None,
    progress: Progress | None = None,
) -> Demand:
    """The demand from the one source given: a population file (`load`) or an OSM extract's
    buildings (`from_buildings`, at `floor_m2_per_person`, default 30)."""
    if (population_file is None) == (buildings_file is None):
        raise PopulationError(ONE_SOURCE)
    if buildings_file is not None:
        density = floor_m2_per_person or DEFAULT_FLOOR_M2_PER_PERSON
        return from_buildings(buildings_file, density, progress=progress)
    assert population_file is not None
    return load(population_file, progress)


def load(path: str | Path, progress: Progress | None = None) -> Demand:
    """A population file by its kind: Kontur `.gpkg` or `.csv`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        return from_kontur(path, progress)
    if suffix == ".csv":
        return from_csv(path)
    raise PopulationError(f"{path.name}: a population file is a .gpkg (Kontur) or a .csv")


# --- Kontur Population (H3 GeoPackage) ------------------------------------------------------


def from_kontur(path: str | Path, progress: Progress | None = None) -> Demand:
    """Every cell of a Kontur Population GeoPackage, placed at its H3 centre."""
    path = Path(path)
    if not path.exists():
        raise PopulationError(f"{path}: no such file")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        table = _feature_table(connection, path.name)
        total = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        cells, population = [], []
        rows = connection.execute(f'SELECT rowid, h3, population FROM "{table}"')
        for done, (rowid, cell, people) in enumerate(rows, 1):
            cells.append(_kontur_cell(cell, rowid, path.name))
            population.append(_kontur_population(people, rowid, path.name))
            if progress and done % 50_000 == 0:
                progress(done, total)
    except sqlite3.DatabaseError as exc:
        raise PopulationError(f"{path.name}: not a readable GeoPackage ({exc})") from exc
    finally:
        connection.close()
    if progress:
        progress(total, total)
    centres = np.array([h3.cell_to_latlng(c) for c in cells], dtype=np.float64).reshape(-1, 2)
    return make_demand(centres[:, 0], centres[:, 1], population, cells, source=path.name)


def _feature_table(connection: sqlite3.Connection, name: str) -> str:
    """The feature table holding `h3` and `population`, as `gpkg_contents` lists it."""
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
            )
        ]
    except sqlite3.OperationalError as exc:
        raise PopulationError(f"{name}: not a GeoPackage (no gpkg_contents table)") from exc
    for table in tables:
        columns = {row[1].lower() for row in connection.execute(f'PRAGMA table_info("{table}")')}
        if {"h3", "population"} <= columns:
            return table
    listed = ", ".join(tables) or "none"
    raise PopulationError(
        f"{name}: no feature table with columns h3 and population (feature tables: {listed})"
    )


def _kontur_cell(value: object, rowid: int, name: str) -> str:
    """The hex string of an H3 cell stored as text (as Kontur does) or as a 64-bit integer."""
    try:
        cell = h3.int_to_str(value) if isinstance(value, int) else str(value or "").strip()
        valid = bool(cell) and h3.is_valid_cell(cell)
    except (OverflowError, ValueError, TypeError):
        valid = False
    if not valid:
        raise PopulationError(f"{name}, row {rowid}, column h3: {value!r} is not an H3 cell")
    return cell


def _kontur_population(value: object, rowid: int, name: str) -> float:
    try:
        people = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        people = math.nan
    if not math.isfinite(people) or people < 0:
        raise PopulationError(
            f"{name}, row {rowid}, column population: {value!r} is not a number of people"
        )
    return people


# --- CSV -------------------------------------------------------------------------------------


def from_csv(path: str | Path) -> Demand:
    """Places from a CSV with lon, lat and population columns (any order; a `district`
    column labels rows). Every bad value is reported with its row and column."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = _csv_columns(reader.fieldnames or [], path.name)
            lat: list[float] = []
            lon: list[float] = []
            population: list[float] = []
            labels: list[str] = []
            errors: list[str] = []
            for number, row in enumerate(reader, start=2):  # row 1 is the header
                values = _csv_row(row, columns, number, errors)
                if values is not None:
                    lat.append(values[0])
                    lon.append(values[1])
                    population.append(values[2])
                    labels.append((row.get(columns["label"]) or "").strip())
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise PopulationError(f"{path.name}: cannot read ({exc})") from exc
    if errors:
        more = len(errors) - MAX_REPORTED_ERRORS
        shown = errors[:MAX_REPORTED_ERRORS] + ([f"… and {more} more"] if more > 0 else [])
        raise PopulationError(f"{path.name}: " + "; ".join(shown))
    if not lat:
        raise PopulationError(f"{path.name}: no rows")
    return make_demand(lat, lon, population, label=labels, source=path.name)


def _csv_columns(fieldnames: Sequence[str], name: str) -> dict[str, str]:
    by_lower = {field.strip().lower(): field for field in fieldnames}
    columns = {}
    for key, names in (("lon", LON_NAMES), ("lat", LAT_NAMES), ("population", POPULATION_NAMES)):
        found = next((by_lower[n] for n in names if n in by_lower), None)
        if found is None:
            raise PopulationError(
                f"{name}, row 1: no {key} column (one of {', '.join(names)}; "
                f"found {', '.join(fieldnames) or 'nothing'})"
            )
        columns[key] = found
    columns["label"] = next((by_lower[n] for n in LABEL_NAMES if n in by_lower), "")
    return columns


def _csv_row(
    row: dict[str, str], columns: dict[str, str], number: int, errors: list[str]
) -> tuple[float, float, float] | None:
    """(lat, lon, population) of one row, or None after recording what is wrong with it."""
    limits = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0), "population": (0.0, math.inf)}
    values = {}
    for key, (low, high) in limits.items():
        column = columns[key]
        text = (row.get(column) or "").strip()
        try:
            value = float(text.replace(",", ".")) if key != "population" else float(text)
        except ValueError:
            errors.append(f"row {number}, column {column}: {text!r} is not a number")
            continue
        if not (low <= value <= high) or not math.isfinite(value):
            errors.append(f"row {number}, column {column}: {text} is out of range")
            continue
        values[key] = value
    if len(values) < 3:
        return None
    return values["lat"], values["lon"], values["population"]


# --- OSM buildings ---------------------------------------------------------------------------


def from_buildings(
    path: str | Path,
    floor_m2_per_person: float = DEFAULT_FLOOR_M2_PER_PERSON,
    resolution: int = BUILDINGS_RESOLUTION,
    progress: Progress | None = None,
) -> Demand:
    """Residents estimated from the homes of an OSM extract, summed into H3 cells."""
    if not floor_m2_per_person > 0:
        raise PopulationError(f"floor area per person must be positive, not {floor_m2_per_person}")
    lat, lon, floor_m2 = buildings.read_homes(path, progress)
    if not len(lat):
        raise PopulationError(f"{Path(path).name}: no residential buildings in this extract")
    people = floor_m2 / floor_m2_per_person
    return to_cells(lat, lon, people, resolution, source=Path(path).name)


def to_cells(
    lat: np.ndarray, lon: np.ndarray, people: np.ndarray, resolution: int, source: str = ""
) -> Demand:
    """People at places summed into H3 cells, each at its population-weighted centre (which
    lies among the homes, not in a park or the sea at the hexagon's middle)."""
    cells = [h3.latlng_to_cell(a, b, resolution) for a, b in zip(lat, lon, strict=True)]
    names, which = np.unique(np.array(cells, dtype=object), return_inverse=True)
    total = np.bincount(which, weights=people)
    weight = np.where(total > 0, total, 1.0)
    centre_lat = np.bincount(which, weights=people * lat) / weight
    centre_lon = np.bincount(which, weights=people * lon) / weight
    return make_demand(centre_lat, centre_lon, total, [str(n) for n in names], source=source)
