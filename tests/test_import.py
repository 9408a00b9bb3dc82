"""Importing points from CSV, GeoJSON and JSON: every row checked, nothing doubled, all or nothing.

Each test runs on SQLite and on PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.config import Settings
from nezlam.domain.opening_hours import is_open
from nezlam.domain.points import PointCreate
from nezlam.interchange import formats, importer
from nezlam.interchange.exporter import export_public
from nezlam.interchange.mapping import mapping_from_dict
from nezlam.store import audit, points
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from nezlam.store.tables import AuditEntry, Organisation

CHICAGO = Path(__file__).resolve().parents[2] / "shared/data/shelters/chicago_warming_centers.json"
CHICAGO_MAPPING = (
    Path(__file__).resolve().parents[1] / "src/nezlam/mappings/chicago_warming_centers.json"
)
CHICAGO_TZ = ZoneInfo("America/Chicago")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HEADER = "name_uk;name_en;category;lat;lon;locality;region;services;capacity;opening_hours"


@pytest.fixture
def chicago() -> Path:
    if not CHICAGO.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the Chicago warming centres file is missing at {CHICAGO}")
        pytest.skip(
            f"the Chicago warming centres file is not at {CHICAGO} (it lives in the "
            "shared data folder beside the repository)"
        )
    return CHICAGO


def import_chicago(db: Database, path: Path) -> importer.ImportResult:
    return importer.import_file(db, path, mapping_path=CHICAGO_MAPPING)


def all_points(db: Database) -> list[points.Point]:
    with db.read() as session:
        return list(points.iter_points(session))


def point_count(db: Database) -> int:
    with db.read() as session:
        return points.count_points(session)


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def chicago_moment(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=CHICAGO_TZ)


def by_name(db: Database, name_en: str) -> points.Point:
    matches = [p for p in all_points(db) if p.name.get("en") == name_en]
    assert len(matches) == 1, f"{len(matches)} points named {name_en!r}"
    return matches[0]


# --- the Chicago warming centres -----------------------------------------------------------


def test_chicago_warming_centres_import_with_names_places_and_notes(db: Database, chicago: Path):
    source = orjson.loads(chicago.read_bytes())

    result = import_chicago(db, chicago)

    assert result.problems == []
    assert (result.created, result.updated, result.skipped) == (len(source), 0, 0)
    assert point_count(db) == len(source) == 113
    stored = {p.external_id: p for p in all_points(db)}
    assert len(stored) == 113
    for site in source:
        point = stored[f"chicago-warming:{site['site_name']}"]
        assert point.name["uk"] == f"{site['site_name']} ({site['site_type']})"
        assert point.lat == pytest.approx(float(site["location"]["latitude"]))
        assert point.lon == pytest.approx(float(site["location"]["longitude"]))
        assert point.address.startswith(site["address"].strip() + ", Chicago, IL ")
        assert point.address.endswith(site["zip"])
        assert (point.region, point.timezone, point.services) == (
            "Illinois",
            "America/Chicago",
            ["heat"],
        )
        assert point.phone == site["phone"]
        assert (point.notes or {}).get("en") == site.get("additional_notes")


def test_chicago_lawn_library_is_open_by_its_published_hours(db: Database, chicago: Path):
    import_chicago(db, chicago)
    lawn = by_name(db, "Chicago Lawn (Library)")  # Mo,We 10-18; Tu,Th 12-20; Fr,Sa 9-17; Su closed
    tuesday = date(2027, 1, 12)
    assert tuesday.weekday() == 1
    sunday = tuesday + timedelta(days=5)

    assert is_open(lawn.opening_hours, lawn.timezone, chicago_moment(tuesday, "13:00")) is True
    assert is_open(lawn.opening_hours, lawn.timezone, chicago_moment(tuesday, "11:00")) is False
    assert is_open(lawn.opening_hours, lawn.timezone, chicago_moment(tuesday, "19:59")) is True
    assert is_open(lawn.opening_hours, lawn.timezone, chicago_moment(sunday, "14:00")) is False


def test_police_stations_open_all_weekend_until_midnight(db: Database, chicago: Path):
    import_chicago(db, chicago)
    station = by_name(db, "District 1 (Police Station)")  # Sa, Su 12:00AM-11:59PM, else CLOSED
    saturday = date(2027, 1, 16)
    assert saturday.weekday() == 5

    assert (
        is_open(station.opening_hours, station.timezone, chicago_moment(saturday, "23:59:30"))
        is True
    )
    assert (
        is_open(
            station.opening_hours,
            station.timezone,
            chicago_moment(saturday + timedelta(days=1), "03:00"),
        )
        is True
    )
    assert (
        is_open(
            station.opening_hours,
            station.timezone,
            chicago_moment(saturday + timedelta(days=2), "12:00"),
        )
        is False
    )


def parse_12h(text: str) -> time:
    return datetime.strptime(text.replace(" ", ""), "%I:%M%p").time()


def test_every_chicago_site_is_open_exactly_when_its_table_says(db: Database, chicago: Path):
    """Each day's first and last minute open, and the minute before and after, for all 113."""
    import_chicago(db, chicago)
    stored = {p.external_id: p for p in all_points(db)}
    monday = date(2027, 1, 11)
    assert monday.weekday() == 0
    checked = 0
    for site in orjson.loads(chicago.read_bytes()):
        point = stored[f"chicago-warming:{site['site_name']}"]
        for offset, day_name in enumerate(DAYS):
            day = monday + timedelta(days=offset)
            opens, closes = site[f"{day_name}_open"], site[f"{day_name}_close"]
            expected: list[tuple[datetime, bool]]
            if opens == "CLOSED":
                expected = [(chicago_moment(day, "12:00"), False)]
            else:
                start = datetime.combine(day, parse_12h(opens), tzinfo=CHICAGO_TZ)
                end = datetime.combine(day, parse_12h(closes), tzinfo=CHICAGO_TZ)
                expected = [
                    (start + timedelta(seconds=30), True),
                    (end - timedelta(seconds=30), True),
                ]
                if start.time() != time(0, 0):
                    expected.append((start - timedelta(seconds=30), False))
                if end.time() != time(23, 59):
                    expected.append((end + timedelta(seconds=30), False))
            for moment, want in expected:
                got = is_open(point.opening_hours, point.timezone, moment)
                assert got is want, (site["site_name"], point.opening_hours, moment.isoformat())
                checked += 1
    assert checked > 113 * 7


def test_importing_chicago_twice_finds_the_same_113_points_unchanged(db: Database, chicago: Path):
    first = import_chicago(db, chicago)
    ids_before = sorted(first.point_ids)

    second = import_chicago(db, chicago)

    assert (second.created, second.updated, second.unchanged, second.problems) == (0, 0, 113, [])
    assert point_count(db) == 113
    assert sorted(second.point_ids) == ids_before


# --- CSV ------------------------------------------------------------------------------------


def test_windows_1251_csv_with_cyrillic_names_imports(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "пункти.csv",
        [
            HEADER,
            "Пункт незламності «Ліцей №5»;Lyceum 5;state;50,4501;30,5234;Київ;Київ;"
            "heat, power;40;24/7",
            'Школа ім. Шевченка;;state;50.46;30.53;Київ;Київ;"heat; water";;Mo-Fr 08:00-20:00',
        ],
        encoding="cp1251",
    )
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    result = importer.import_file(db, path)

    assert result.problems == []
    assert result.created == 2
    lyceum, school = sorted(all_points(db), key=lambda p: p.lat)
    assert lyceum.name == {"uk": "Пункт незламності «Ліцей №5»", "en": "Lyceum 5"}
    assert (lyceum.lat, lyceum.lon, lyceum.capacity) == (50.4501, 30.5234, 40)
    assert lyceum.region == "Київ"
    assert school.name == {"uk": "Школа ім. Шевченка"}
    assert school.services == ["heat", "water"]


def test_utf8_csv_with_byte_order_mark_and_commas_imports(db: Database, tmp_path: Path):
    path = tmp_path / "points.csv"
    path.write_bytes(
        "\ufeffname_uk,category,lat,lon,locality,region\r\n"
        "Укриття «Сховище»,state,49.84,24.03,Львів,Львівська область\r\n".encode()
    )

    result = importer.import_file(db, path)

    assert (result.created, result.problems) == (1, [])
    assert [p.name["uk"] for p in all_points(db)] == ["Укриття «Сховище»"]


def bad_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "bad.csv",
        [
            HEADER,
            "Добрий пункт;Good;state;50.45;30.52;Київ;Київ;heat;;",
            "Пункт з поганою широтою;;state;abc;30.52;Київ;Київ;heat;;",
            "Пункт із сауною;;state;50.47;30.52;Київ;Київ;heat, sauna;;",
            ";Nameless;state;50.48;30.52;Київ;Київ;heat;;",
        ],
    )


def test_a_bad_csv_reports_line_field_and_problem_and_imports_nothing(db: Database, tmp_path: Path):
    result = importer.import_file(db, bad_file(tmp_path))

    # Lines as a spreadsheet numbers them: the header is line 1.
    where = {(p.row, p.field): p.problem for p in result.problems}
    assert set(where) == {(3, "lat"), (4, "services"), (5, "name")}
    assert "number" in where[(3, "lat")]
    assert "sauna" in where[(4, "services")] and not where[(4, "services")].startswith("Value")
    assert "uk" in where[(5, "name")]
    assert (result.created, result.updated) == (0, 0)
    assert point_count(db) == 0


def test_skip_invalid_imports_the_good_rows_only(db: Database, tmp_path: Path):
    result = importer.import_file(db, bad_file(tmp_path), skip_invalid=True)

    assert (result.created, result.skipped) == (1, 3)
    assert {p.row for p in result.problems} == {3, 4, 5}
    assert [p.name["uk"] for p in all_points(db)] == ["Добрий пункт"]


def test_dry_run_checks_and_counts_but_writes_nothing(db: Database, tmp_path: Path):
    path = write_csv(tmp_path / "ok.csv", [HEADER, "Пункт;;state;50.45;30.52;Київ;Київ;heat;;"])

    result = importer.import_file(db, path, dry_run=True)

    assert (result.created, result.updated, result.problems) == (1, 0, [])
    assert point_count(db) == 0


def test_missing_region_comes_from_the_default_or_is_reported(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "no-region.csv",
        ["name_uk,category,lat,lon,locality", "Пункт,state,50.45,30.52,Ірпінь"],
    )

    without = importer.import_file(db, path)
    assert [(p.row, p.field) for p in without.problems] == [(0, "region"), (2, "region")]
    assert "no region column: give --region" in without.problems[0].problem
    assert point_count(db) == 0

    with_default = importer.import_file(db, path, default_region="Київська область")
    assert with_default.created == 1
    assert [p.region for p in all_points(db)] == ["Київська область"]


def test_unknown_columns_are_reported_once_for_the_whole_file(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "typo.csv",
        [
            "name_uk,category,lat,lon,locality,region,capacty",
            "Пункт 1,state,50.45,30.52,Київ,Київ,40",
            "Пункт 2,state,50.46,30.52,Київ,Київ,50",
        ],
    )

    result = importer.import_file(db, path)

    assert [(p.row, p.field) for p in result.problems] == [(0, "capacty")]
    assert point_count(db) == 0


def test_two_rows_with_the_same_external_id_are_reported(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "twice.csv",
        [
            "external_id,name_uk,category,lat,lon,locality,region",
            "kyiv-1,Пункт 1,state,50.45,30.52,Київ,Київ",
            "kyiv-1,Пункт 2,state,50.55,30.62,Київ,Київ",
        ],
    )

    result = importer.import_file(db, path)

    assert [(p.row, p.field) for p in result.problems] == [(3, "external_id")]
    assert "line 2" in result.problems[0].problem
    assert point_count(db) == 0


# --- GeoJSON and JSON ------------------------------------------------------------------------


def test_geojson_feature_collection_imports(db: Database, tmp_path: Path):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [36.23, 49.99]},
                "properties": {
                    "name": {"uk": "Харківський пункт", "en": "Kharkiv point"},
                    "category": "business",
                    "locality": "Харків",
                    "region": "Харківська область",
                    "services": ["power", "wifi"],
                    "external_id": "kh-1",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [35.05, 48.46]},
                "properties": {
                    "name_uk": "Дніпровський пункт",
                    "category": "state",
                    "locality": "Дніпро",
                    "region": "Дніпропетровська область",
                },
            },
        ],
    }
    path = tmp_path / "points.geojson"
    path.write_bytes(orjson.dumps(collection))

    result = importer.import_file(db, path)

    assert (result.created, result.problems) == (2, [])
    kharkiv, dnipro = sorted(all_points(db), key=lambda p: -p.lat)
    assert (kharkiv.lat, kharkiv.lon) == (49.99, 36.23)
    assert kharkiv.name == {"uk": "Харківський пункт", "en": "Kharkiv point"}
    assert (kharkiv.services, kharkiv.external_id) == (["power", "wifi"], "kh-1")
    assert (dnipro.lat, dnipro.lon, dnipro.category) == (48.46, 35.05, "state")


def test_json_mapping_reads_nested_paths_templates_and_twelve_hour_times(db: Database):
    mapping = mapping_from_dict(
        {
            "fields": {
                "name_uk": "title",
                "lat": "where.lat",
                "lon": "where.lon",
                "locality": "where.place.town",
                "external_id": "src:{code}",
            },
            "constants": {"region": "Львівська область", "category": "service"},
            "hours": {
                "per_day": {"open": "{day}.from", "close": "{day}.to"},
                "day_names": ["mo", "tu", "we", "th", "fr", "sa", "su"],
                "closed_values": ["зачинено"],
            },
        }
    )
    week = {day: {"from": "8:30 a.m.", "to": "4:30 PM"} for day in ("mo", "tu", "we", "th")}
    week |= {
        "fr": {"from": "9am", "to": "17:00"},
        "sa": {"from": "зачинено", "to": "зачинено"},
        "su": {"from": "Зачинено", "to": "ЗАЧИНЕНО"},
    }
    record = {
        "title": "Аптека",
        "code": 7,
        "where": {"lat": "49.84", "lon": "24.03", "place": '{"town": "Львів"}'},
        **week,
    }

    result = importer.import_records(db, [(1, record)], mapping)

    assert result.problems == []
    [pharmacy] = all_points(db)
    assert (pharmacy.locality, pharmacy.external_id) == ("Львів", "src:7")
    assert pharmacy.opening_hours == "Mo-Th 08:30-16:30; Fr 09:00-17:00; Sa,Su off"


def test_hours_open_on_one_side_only_are_reported(db: Database):
    mapping = mapping_from_dict(
        {
            "fields": {"name_uk": "name"},
            "constants": {"region": "Київ", "locality": "Київ", "category": "state"},
            "hours": {"per_day": {"open": "{day}_open", "close": "{day}_close"}},
        }
    )
    record = {
        "name": "Пункт",
        "lat": 50.45,
        "lon": 30.52,
        **{f"{day}_open": "9:00AM" for day in DAYS},
        **{f"{day}_close": "5:00PM" for day in DAYS},
        "wednesday_close": "closed",
    }

    result = importer.import_records(db, [(1, record)], mapping)

    assert [(p.row, p.field) for p in result.problems] == [(1, "opening_hours")]
    assert "wednesday" in result.problems[0].problem
    assert point_count(db) == 0


# --- matching existing points ----------------------------------------------------------------


def existing(db: Database) -> str:
    with db.write() as session:
        point = points.create_point(
            session,
            PointCreate.model_validate(
                {
                    "name": {"uk": "Пункт «Тепло»"},
                    "category": "state",
                    "lat": 50.45,
                    "lon": 30.52,
                    "locality": "Київ",
                    "region": "Київ",
                    "capacity": 10,
                }
            ),
            CLI,
        )
        return point.id


def test_same_name_within_50_m_is_updated_and_200_m_away_is_created(db: Database):
    point_id = existing(db)
    metres_north = 1 / 111_195  # degrees of latitude per metre
    rows = [
        (
            1,
            {
                "name_uk": "пункт «тепло»",
                "category": "state",
                "lat": 50.45 + 30 * metres_north,
                "lon": 30.52,
                "locality": "Київ",
                "region": "Київ",
                "capacity": "60",
            },
        ),
        (
            2,
            {
                "name_uk": "Пункт «Тепло»",
                "category": "state",
                "lat": 50.45 + 200 * metres_north,
                "lon": 30.52,
                "locality": "Київ",
                "region": "Київ",
            },
        ),
    ]

    result = importer.import_records(db, rows)

    assert (result.created, result.updated, result.problems) == (1, 1, [])
    assert result.point_ids[0] == point_id
    assert point_count(db) == 2
    with db.read() as session:
        updated = points.get_point(session, point_id)
        assert updated.capacity == 60
        [entry, _created] = audit.entries(session, "point", point_id)
        assert (entry.actor, entry.action, entry.after["capacity"]) == ("import", "update", 60)


def test_export_then_import_does_not_double_points(
    db: Database, settings: Settings, network, tmp_path: Path
):
    before = point_count(db)
    exported = export_public(settings, db, "csv").decode()
    rows = list(csv.reader(io.StringIO(exported)))
    header = rows[0]
    rows[1][header.index("capacity")] = "77"
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)

    result = importer.import_file(db, path)

    assert result.problems == []
    # The row whose capacity changed is updated; the other is found as it was.
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert point_count(db) == before == 2
    with db.read() as session:
        assert points.get_point(session, rows[1][header.index("id")]).capacity == 77


def test_export_rows_read_back_as_records_with_their_numbers(
    db: Database, settings: Settings, network
):
    exported = export_public(settings, db, "hxl")

    records = list(formats.csv.read(exported))

    # Line 1 is the header, line 2 the HXL hashtags.
    assert [row for row, _record in records] == [3, 4]
    assert sorted(record["id"] for _row, record in records) == [network.point_a, network.point_b]


# --- the command line ------------------------------------------------------------------------


def test_cli_reports_line_field_problem_and_exits_1_on_a_bad_file(db: Database, tmp_path: Path):
    result = CliRunner().invoke(
        app, ["import", str(bad_file(tmp_path))], env={"NEZLAM_DATABASE_URL": db.url}
    )

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("lat: ") and line.endswith("— line 3") for line in lines)
    assert any(line.startswith("services: ") and line.endswith("— line 4") for line in lines)
    assert any(line.startswith("name: ") and line.endswith("— line 5") for line in lines)
    assert "nothing imported" in result.output
    assert point_count(db) == 0


def test_cli_imports_chicago_with_its_mapping(db: Database, chicago: Path):
    result = CliRunner().invoke(
        app,
        ["import", str(chicago), "--mapping", str(CHICAGO_MAPPING)],
        env={"NEZLAM_DATABASE_URL": db.url},
    )

    assert result.exit_code == 0, result.output
    assert "113 new, 0 updated" in result.output
    assert point_count(db) == 113


def test_a_row_that_would_steal_another_points_external_id_is_refused(db: Database):
    with db.write() as session:
        for point_id, external_id, lat in (("first", "ext-1", 50.40), ("second", None, 50.50)):
            points.create_point(
                session,
                PointCreate.model_validate(
                    {
                        "id": point_id,
                        "name": {"uk": f"Пункт {point_id}"},
                        "category": "state",
                        "lat": lat,
                        "lon": 30.52,
                        "locality": "Київ",
                        "region": "Київ",
                        "external_id": external_id,
                    }
                ),
                CLI,
            )
    rows = [
        (
            1,
            {
                "id": "second",
                "external_id": "ext-1",
                "name_uk": "Пункт second",
                "category": "state",
                "lat": 50.50,
                "lon": 30.52,
                "locality": "Київ",
                "region": "Київ",
            },
        ),
        (
            2,
            {
                "name_uk": "Новий пункт",
                "category": "state",
                "lat": 50.60,
                "lon": 30.52,
                "locality": "Київ",
                "region": "Київ",
            },
        ),
    ]

    strict = importer.import_records(db, rows)
    assert [(p.row, p.field) for p in strict.problems] == [(1, "external_id")]
    assert (strict.created, strict.updated, point_count(db)) == (0, 0, 2)

    lenient = importer.import_records(db, rows, skip_invalid=True)
    assert (lenient.created, lenient.updated, lenient.skipped) == (1, 0, 1)
    assert point_count(db) == 3
    with db.read() as session:
        assert points.get_point(session, "second").external_id is None


def test_a_mapping_without_fields_adds_constants_and_hours_to_native_columns(
    db: Database, tmp_path: Path
):
    mapping = tmp_path / "mapping.json"
    mapping.write_bytes(
        orjson.dumps(
            {
                "constants": {"region": "Одеська область", "services": "heat;power"},
                "hours": {
                    "per_day": {"open": "{day}_from", "close": "{day}_to"},
                    "day_names": ["пн", "вт", "ср", "чт", "пт", "сб", "нд"],
                },
            }
        )
    )
    days = ["пн", "вт", "ср", "чт", "пт", "сб", "нд"]
    header = ["name_uk", "category", "lat", "lon", "locality"]
    header += [f"{day}_{side}" for day in days for side in ("from", "to")]
    cells = ["Пункт «Море»", "state", "46.48", "30.73", "Одеса"]
    cells += [time for _day in days for time in ("08:00", "20:00")]
    path = write_csv(tmp_path / "odesa.csv", [",".join(header), ",".join(cells)])

    result = importer.import_file(db, path, mapping_path=mapping)

    assert (result.created, result.problems) == (1, [])
    [point] = all_points(db)
    assert (point.region, point.services) == ("Одеська область", ["heat", "power"])
    assert point.opening_hours == "Mo-Su 08:00-20:00"


# --- real spreadsheets: no category or locality column (M2) -----------------------------------

SPREADSHEET = [
    ["name", "lat", "lon", "address", "services", "capacity", "opening_hours"],
    ["Пункт «Школа №1»", "50.4501", "30.5234", "вул. Хрещатик, 1", "heat;power", "40", "24/7"],
    ["Ліцей №2", "50.4601", "30.5334", "вул. Стрілецька, 2", "heat", "", "Mo-Fr 08:00-20:00"],
    ["Бібліотека", "50.4701", "30.5434", "просп. Перемоги, 3", "heat;wifi", "25", ""],
    ["ЦНАП", "50.5001", "30.4934", "просп. Оболоні, 4", "power", "100", "Mo-Su 09:00-21:00"],
]  # fmt: skip
DEFAULTS = {"category": "state", "locality": "Київ", "region": "Київ"}


def sheet(path: Path, delimiter: str, encoding: str) -> Path:
    """The sheet as Excel saves it: quoted where a cell holds the delimiter, CRLF lines."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(SPREADSHEET)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def utf8_bom_file(tmp_path: Path) -> Path:
    path = sheet(tmp_path / "points_utf8_bom.csv", ",", "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    return path


def cp1251_semicolon_file(tmp_path: Path) -> Path:
    return sheet(tmp_path / "points_cp1251_semicolon.csv", ";", "cp1251")


def test_a_spreadsheet_without_category_or_locality_imports_with_defaults(
    db: Database, tmp_path: Path
):
    result = importer.import_file(db, utf8_bom_file(tmp_path), defaults=DEFAULTS)

    assert (result.created, result.problems) == (4, [])
    stored = sorted(all_points(db), key=lambda p: p.lat)
    assert [(p.category, p.locality, p.region) for p in stored] == [("state", "Київ", "Київ")] * 4
    assert stored[0].name == {"uk": "Пункт «Школа №1»"}
    assert (stored[0].address, stored[0].capacity, stored[0].services) == (
        "вул. Хрещатик, 1",
        40,
        ["heat", "power"],
    )


def test_the_same_sheet_in_windows_1251_with_semicolons_finds_the_points_unchanged(
    db: Database, tmp_path: Path
):
    first = importer.import_file(db, utf8_bom_file(tmp_path), defaults=DEFAULTS)
    path = cp1251_semicolon_file(tmp_path)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    again = importer.import_file(db, path, defaults=DEFAULTS)

    assert (again.created, again.updated, again.unchanged, again.problems) == (0, 0, 4, [])
    assert sorted(again.point_ids) == sorted(first.point_ids)
    assert point_count(db) == 4


def test_a_row_that_gives_its_category_keeps_it_over_the_default(db: Database, tmp_path: Path):
    path = write_csv(
        tmp_path / "mixed.csv",
        ["name,lat,lon,category", "Аптека,50.45,30.52,service", "Школа,50.46,30.52,"],
    )

    result = importer.import_file(db, path, defaults=DEFAULTS)

    assert result.problems == []
    assert sorted((p.name["uk"], p.category) for p in all_points(db)) == [
        ("Аптека", "service"),
        ("Школа", "state"),
    ]


def test_without_defaults_the_problems_say_which_option_gives_the_missing_column(
    db: Database, tmp_path: Path
):
    result = importer.import_file(db, utf8_bom_file(tmp_path))

    lines = result.log.summary("line")
    assert lines[:3] == [
        "the file: category: no category column: give --category state|business|service",
        "the file: locality: no locality column: give --locality",
        "the file: region: no region column: give --region",
    ]
    assert (
        "category: is required: give --category state|business|service, or a category column"
        " — lines 2-5 (4 lines)"
    ) in lines
    assert point_count(db) == 0


def test_cli_imports_the_sheet_with_category_locality_and_region(db: Database, tmp_path: Path):
    path = str(cp1251_semicolon_file(tmp_path))
    env = {"NEZLAM_DATABASE_URL": db.url}

    refused = CliRunner().invoke(app, ["import", path], env=env)
    done = CliRunner().invoke(
        app,
        ["import", path, "--category", "state", "--locality", "Київ", "--region", "Київ"],
        env=env,
    )

    assert refused.exit_code == 1
    assert "no category column: give --category state|business|service" in refused.output
    assert "nothing imported" in refused.output
    assert done.exit_code == 0, done.output
    assert "imported: 4 new, 0 updated, 0 unchanged, 0 skipped" in done.output
    assert point_count(db) == 4


def test_import_help_lists_the_required_columns_and_the_defaults():
    result = CliRunner().invoke(app, ["import", "--help"], env={"COLUMNS": "200"})

    text = " ".join(result.output.split())
    assert "each row needs a name (name or name_uk), lat and lon, category" in text
    assert "locality and region" in text
    for option in ("--category", "--locality", "--region", "--geocode", "--layer"):
        assert option in text


# --- large files: aggregated problems, few statements, all or nothing (M3) ---------------------


def generated_rows(count: int, start: int = 0, category: str | None = "state") -> list[str]:
    header = "name_uk,lat,lon,locality,region" + (",category" if category is not None else "")
    rows = [
        f"Пункт {n},{46 + (n % 400) * 0.01:.4f},{30 + (n // 400) * 0.01:.4f},Місто,Область"
        + (f",{category}" if category is not None else "")
        for n in range(start, start + count)
    ]
    return [header, *rows]


def test_one_cause_over_many_rows_is_one_line_with_its_ranges(db: Database, tmp_path: Path):
    path = write_csv(tmp_path / "big.csv", generated_rows(3_000, category=None))

    result = importer.import_file(db, path)

    assert result.log.total == 3_001  # 3,000 rows and the missing column
    assert len(result.log.kinds) == 2
    lines = result.log.summary("line")
    assert lines[1] == (
        "category: is required: give --category state|business|service, or a category column"
        " — lines 2-3001 (3,000 lines)"
    )
    assert point_count(db) == 0


def count_statements(db: Database) -> list[str]:
    statements: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def test_an_import_runs_a_few_statements_per_chunk_not_one_per_row(db: Database, tmp_path: Path):
    rows = 3 * importer.CHUNK
    path = write_csv(tmp_path / "new.csv", generated_rows(rows))
    statements = count_statements(db)

    created = importer.import_file(db, path)
    creating = len(statements)
    again = importer.import_file(db, path)

    assert (created.created, again.unchanged, point_count(db)) == (rows, rows, rows)
    # Creating: per chunk an insert of points and one of audit entries; matching 3,000
    # existing points: one query per chunk for the matched points, none per row.
    assert creating < 40, statements[:50]
    assert len(statements) - creating < 40
    assert not [s for s in statements if "BETWEEN" in s.upper()]


def test_a_bad_row_after_chunks_were_written_leaves_nothing(db: Database, tmp_path: Path):
    lines = generated_rows(2 * importer.CHUNK + 500)
    lines[-1] = lines[-1].replace("Місто", "")  # the last row has no locality
    path = write_csv(tmp_path / "late.csv", lines)

    result = importer.import_file(db, path)

    assert [(p.row, p.field) for p in result.problems] == [(len(lines), "locality")]
    assert (result.created, point_count(db)) == (0, 0)
    with db.read() as session:
        assert (
            audit.entries(session, "point", result.point_ids[0] if result.point_ids else "") == []
        )


KILLED_IMPORT = """
import os, signal, sys
from nezlam.interchange import importer
from nezlam.store.db import Database

def rows():
    for n in range(5000):
        if n == 2500:  # two chunks written and flushed, the transaction still open
            os.kill(os.getpid(), signal.SIGKILL)
        yield n + 2, {"name_uk": f"Пункт {n}", "lat": 46 + n * 1e-3, "lon": 30.0,
                      "category": "state", "locality": "Місто", "region": "Область"}

importer.import_records(Database(sys.argv[1]), rows())
"""


def test_an_import_killed_half_way_leaves_nothing(db: Database, tmp_path: Path):
    script = tmp_path / "killed.py"
    script.write_text(KILLED_IMPORT)

    done = subprocess.run([sys.executable, str(script), db.url], capture_output=True, check=False)

    assert done.returncode == -signal.SIGKILL, done.stderr
    assert point_count(db) == 0


# --- exits, counts and organisations (m7) --------------------------------------------------------


def test_skip_invalid_that_imports_nothing_exits_1(db: Database, tmp_path: Path):
    path = write_csv(tmp_path / "all-bad.csv", ["name_uk,lat,lon", "Пункт,abc,30.52"])

    result = CliRunner().invoke(
        app, ["import", str(path), "--skip-invalid"], env={"NEZLAM_DATABASE_URL": db.url}
    )

    assert result.exit_code == 1, result.output
    assert "imported: 0 new, 0 updated, 0 unchanged, 1 skipped" in result.output
    assert "nothing imported: every line had a problem" in result.output


def test_reimporting_the_same_file_reports_unchanged_and_writes_nothing(
    db: Database, tmp_path: Path
):
    path = str(utf8_bom_file(tmp_path))
    env = {"NEZLAM_DATABASE_URL": db.url}
    options = ["--category", "state", "--locality", "Київ", "--region", "Київ"]
    CliRunner().invoke(app, ["import", path, *options], env=env)
    with db.read() as session:
        entries_before = session.execute(sa.select(sa.func.count()).select_from(AuditEntry))
        entries_before = entries_before.scalar_one()

    again = CliRunner().invoke(app, ["import", path, *options], env=env)

    assert again.exit_code == 0, again.output
    assert "imported: 0 new, 0 updated, 4 unchanged, 0 skipped" in again.output
    with db.read() as session:
        entries = session.execute(sa.select(sa.func.count()).select_from(AuditEntry))
        assert entries.scalar_one() == entries_before


def organisation_file(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "orgs.csv",
        [
            "name_uk,lat,lon,organisation",
            "Пункт 1,50.45,30.52,Волонтери Чернігова",
            "Пункт 2,50.46,30.52,волонтери чернігова",
        ],
    )


def test_an_organisation_the_database_lacks_says_what_to_do(db: Database, tmp_path: Path):
    result = importer.import_file(db, organisation_file(tmp_path), defaults=DEFAULTS)

    assert [p.field for p in result.problems] == ["organisation", "organisation"]
    assert "'Волонтери Чернігова': create it first, or give --create-organisations" in (
        result.problems[0].problem
    )
    assert point_count(db) == 0


def test_create_organisations_creates_each_once_in_the_same_transaction(
    db: Database, tmp_path: Path
):
    result = importer.import_file(
        db, organisation_file(tmp_path), defaults=DEFAULTS, create_organisations=True
    )

    assert (result.created, result.problems) == (2, [])
    assert result.organisations_created == ["Волонтери Чернігова"]
    with db.read() as session:
        [organisation] = session.execute(sa.select(Organisation)).scalars()
        assert (organisation.name, organisation.slug) == (
            "Волонтери Чернігова",
            "volontery-chernihova",
        )
        assert {p.organisation_id for p in points.iter_points(session)} == {organisation.id}
        [entry] = audit.entries(session, "organisation", str(organisation.id))
        assert entry.actor == "import"


# --- GeoJSON geometry and far-away points (m5) --------------------------------------------------


def feature(lon: float, lat: float, name: str, geometry: str = "Point") -> dict:
    coordinates: object = [lon, lat]
    if geometry == "Polygon":
        coordinates = [[[lon, lat], [lon + 0.001, lat], [lon, lat + 0.001], [lon, lat]]]
    return {
        "type": "Feature",
        "geometry": {"type": geometry, "coordinates": coordinates},
        "properties": {"name_uk": name, **DEFAULTS},
    }


def test_a_polygon_is_refused_as_not_a_point(db: Database, tmp_path: Path):
    path = tmp_path / "mixed.geojson"
    collection = {
        "type": "FeatureCollection",
        "features": [feature(30.52, 50.45, "Будівля", "Polygon")],
    }
    path.write_bytes(orjson.dumps(collection))

    result = importer.import_file(db, path)

    assert [(p.row, p.field, p.problem) for p in result.problems] == [
        (1, "geometry", "geometry must be a Point, not a Polygon")
    ]


def test_swapped_coordinates_far_from_the_region_are_warned_about(db: Database, tmp_path: Path):
    features = [feature(30.52 + n * 0.01, 50.45, f"Пункт {n}") for n in range(5)]
    features.append(feature(50.45, 30.52, "Переплутаний"))  # lat and lon swapped: in Iraq
    path = tmp_path / "swapped.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))

    result = importer.import_file(db, path)

    assert (result.created, result.problems) == (6, [])
    [warning] = result.warnings
    assert (warning.row, warning.field) == (6, "lat, lon")
    assert "more than 300 km from the other points of Київ" in warning.problem
    assert warning.problem.endswith("lat and lon swapped?")


# --- coordinates from the address (--geocode) ---------------------------------------------------


def test_rows_without_coordinates_are_refused_or_placed_through_the_gazetteer(
    db: Database, tmp_path: Path
):
    from nezlam.interchange.geocoding import gazetteer_geocoder
    from nezlam.places import store as places
    from nezlam.places.records import PlaceKind, PlaceRecord

    with db.write() as session:
        places.add_places(
            session,
            "test",
            [
                PlaceRecord(
                    PlaceKind.STREET, 51.4990, 31.2980, name="вулиця Гонча", locality="Чернігів"
                ),
                PlaceRecord(
                    PlaceKind.ADDRESS, 51.4979, 31.2993, housenumber="40", street="вулиця Гонча",
                    locality="Чернігів",
                ),
            ],
        )  # fmt: skip
    path = write_csv(
        tmp_path / "no-position.csv",
        ["name_uk,address", "Укриття,вулиця Гонча 40", "Невідоме,вулиця Гонча 999"],
    )
    defaults = {**DEFAULTS, "locality": "Чернігів"}

    refused = importer.import_file(db, path, defaults=defaults)
    placed = importer.import_file(
        db, path, defaults=defaults, geocoder=gazetteer_geocoder(db), skip_invalid=True
    )

    assert {(p.row, p.field) for p in refused.problems} == {(2, "coordinates"), (3, "coordinates")}
    assert "give --geocode" in refused.problems[0].problem
    assert (placed.created, placed.skipped) == (1, 1)
    assert "the gazetteer has no house at 'вулиця Гонча 999'" in placed.problems[0].problem
    [point] = all_points(db)
    assert (point.lat, point.lon) == (51.4979, 31.2993)
    assert "placed by its address" in placed.warnings[0].problem


def test_points_an_import_creates_get_ids_of_the_usual_form(db: Database, tmp_path: Path):
    import re

    from nezlam.domain.points import POINT_ID_PATTERN

    path = write_csv(tmp_path / "ids.csv", generated_rows(300))

    result = importer.import_file(db, path)

    ids = [p.id for p in all_points(db)]
    assert sorted(ids) == sorted(result.point_ids) and len(set(ids)) == 300
    assert all(re.fullmatch(r"p-[abcdefghijkmnpqrstuvwxyz23456789]{10}", i) for i in ids)
    assert all(re.match(POINT_ID_PATTERN, i) for i in ids)
