"""Importing points from CSV, GeoJSON and JSON: every row checked, nothing doubled, all or nothing.

Each test runs on SQLite and on PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.config import Settings
from nezlam.domain.opening_hours import is_open
from nezlam.domain.points import PointCreate
from nezlam.interchange import csv_reader, importer
from nezlam.interchange.exporter import export_public
from nezlam.interchange.mapping import mapping_from_dict
from nezlam.store import audit, points
from nezlam.store.actor import CLI
from nezlam.store.db import Database

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


def test_importing_chicago_twice_updates_the_same_113_points(db: Database, chicago: Path):
    first = import_chicago(db, chicago)
    ids_before = sorted(first.point_ids)

    second = import_chicago(db, chicago)

    assert (second.created, second.updated, second.problems) == (0, 113, [])
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


def test_a_bad_csv_reports_row_field_and_problem_and_imports_nothing(db: Database, tmp_path: Path):
    result = importer.import_file(db, bad_file(tmp_path))

    where = {(p.row, p.field): p.problem for p in result.problems}
    assert set(where) == {(2, "lat"), (3, "services"), (4, "name")}
    assert "number" in where[(2, "lat")]
    assert "sauna" in where[(3, "services")] and not where[(3, "services")].startswith("Value")
    assert "uk" in where[(4, "name")]
    assert (result.created, result.updated) == (0, 0)
    assert point_count(db) == 0


def test_skip_invalid_imports_the_good_rows_only(db: Database, tmp_path: Path):
    result = importer.import_file(db, bad_file(tmp_path), skip_invalid=True)

    assert (result.created, result.skipped) == (1, 3)
    assert {p.row for p in result.problems} == {2, 3, 4}
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
    assert [(p.row, p.field) for p in without.problems] == [(1, "region")]
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

    assert [(p.row, p.field) for p in result.problems] == [(2, "external_id")]
    assert "row 1" in result.problems[0].problem
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
    assert (result.created, result.updated) == (0, before)
    assert point_count(db) == before == 2
    with db.read() as session:
        assert points.get_point(session, rows[1][header.index("id")]).capacity == 77


def test_export_rows_read_back_as_records_with_their_numbers(
    db: Database, settings: Settings, network
):
    exported = export_public(settings, db, "hxl")

    records = list(csv_reader.read(exported))

    assert [row for row, _record in records] == [2, 3]  # row 1 holds the HXL hashtags
    assert sorted(record["id"] for _row, record in records) == [network.point_a, network.point_b]


# --- the command line ------------------------------------------------------------------------


def test_cli_reports_row_field_problem_and_exits_1_on_a_bad_file(db: Database, tmp_path: Path):
    result = CliRunner().invoke(
        app, ["import", str(bad_file(tmp_path))], env={"NEZLAM_DATABASE_URL": db.url}
    )

    assert result.exit_code == 1, result.output
    assert "row 2: lat:" in result.output
    assert "row 3: services:" in result.output
    assert "row 4: name:" in result.output
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
