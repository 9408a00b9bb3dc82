"""Address search: the OSM reader, the gazetteer import, ranked search in two scripts, the API and
the command line. Liechtenstein is real OpenStreetMap data (© OpenStreetMap contributors)."""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from nezlam.commands.places import app as places_app
from nezlam.config import Settings
from nezlam.geo import osm
from nezlam.geo.distance import haversine_m
from nezlam.places import store
from nezlam.places.matching import house_key, name_keys, readings
from nezlam.places.osm_import import import_file, read_places
from nezlam.places.records import PlaceKind, PlaceRecord
from nezlam.places.search import Gazetteer, for_database, search_places
from nezlam.store.tables import Place
from nezlam.web.api import places as places_api
from nezlam.web.app import create_app

LIECHTENSTEIN = Path(__file__).resolve().parents[2] / "shared/data/osm/liechtenstein.osm.pbf"
NO_DATA = f"the OSM test extract is not at {LIECHTENSTEIN} (CI has ../shared/data)"


@pytest.fixture(scope="module")
def liechtenstein_places():
    """The entries of the extract, read once per module (reading is the slow part)."""
    if not LIECHTENSTEIN.exists():
        pytest.skip(NO_DATA)
    return read_places(LIECHTENSTEIN)


@pytest.fixture
def liechtenstein(db, liechtenstein_places) -> Gazetteer:
    with db.write() as session:
        store.replace_source(session, LIECHTENSTEIN.name, liechtenstein_places.records)
    return Gazetteer(db)


def kyiv_records() -> list[PlaceRecord]:
    address, street, place = PlaceKind.ADDRESS, PlaceKind.STREET, PlaceKind.PLACE
    khreshchatyk = "вулиця Хрещатик"
    return [
        PlaceRecord(place, 50.4501, 30.5234, "Київ", {"name:en": "Kyiv"}, place_type="city"),
        PlaceRecord(place, 49.9935, 36.2304, "Харків", {"name:en": "Kharkiv"}, place_type="city"),
        PlaceRecord(street, 50.4474, 30.5224, khreshchatyk, locality="Київ"),
        PlaceRecord(street, 50.4466, 30.5262, "Хрещатий провулок", locality="Київ"),
        PlaceRecord(street, 49.9921, 36.2301, "Київська вулиця", locality="Харків"),
        PlaceRecord(address, 50.4478, 30.5222, housenumber="22", street=khreshchatyk),
        PlaceRecord(address, 50.4477, 30.5221, housenumber="22а", street=khreshchatyk),
        PlaceRecord(address, 50.4476, 30.5219, housenumber="24", street=khreshchatyk),
        PlaceRecord(address, 50.4481, 30.5227, housenumber="15", street=khreshchatyk),
        PlaceRecord(address, 50.4465, 30.5262, housenumber="22", street="Хрещатий провулок"),
        PlaceRecord(street, 50.4390, 30.5070, "вулиця Шевченка", locality="Київ"),
        PlaceRecord(address, 50.4391, 30.5071, housenumber="5", street="вулиця Шевченка"),
        # A square known only from its addresses: no street entry of its own.
        PlaceRecord(address, 50.4420, 30.5140, housenumber="5", street="площа Шевченка"),
        PlaceRecord(address, 50.4424, 30.5146, housenumber="7", street="площа Шевченка"),
    ]


@pytest.fixture
def kyiv(db) -> Gazetteer:
    records = kyiv_records()
    for record in records:
        if record.kind is PlaceKind.ADDRESS:
            record.locality = "Київ"
    with db.write() as session:
        store.add_places(session, "kyiv-test", records)
    return Gazetteer(db)


def first(gazetteer: Gazetteer, query: str, **kwargs) -> PlaceRecord:
    hits = gazetteer.search(query, **kwargs)
    assert hits, f"nothing found for {query!r}"
    return hits[0].record


# --- the OSM reader -------------------------------------------------------------------------


def test_pbf_blobs_cover_the_whole_file():
    if not LIECHTENSTEIN.exists():
        pytest.skip(NO_DATA)
    blobs = osm.pbf_blobs(LIECHTENSTEIN)
    assert blobs[0].kind == "OSMHeader"
    assert {blob.kind for blob in blobs[1:]} == {"OSMData"}
    assert sum(blob.size for blob in blobs) == LIECHTENSTEIN.stat().st_size


def test_reading_in_chunks_sees_every_object_and_every_node_position():
    if not LIECHTENSTEIN.exists():
        pytest.skip(NO_DATA)
    calls: list[tuple[int, int]] = []
    counts = {"n": 0, "w": 0, "r": 0}
    ways_missing_nodes = 0
    # Small chunks: ways are read in other chunks than most of their nodes.
    for obj in osm.objects(LIECHTENSTEIN, chunk_bytes=100_000, progress=_append(calls)):
        counts[obj.type_str()] += 1
        if obj.is_way() and len(osm.way_positions(obj)) != len(obj.nodes):
            ways_missing_nodes += 1
    # The numbers the data README states for this extract.
    assert counts["n"] == 142_832 and counts["w"] == 15_247
    assert ways_missing_nodes == 0
    size = LIECHTENSTEIN.stat().st_size
    assert len(calls) > 5 and calls[-1] == (size, size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def _append(calls):
    return lambda done, total: calls.append((done, total))


TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" version="1" lat="50.4501" lon="30.5234">
    <tag k="place" v="city"/><tag k="name" v="Київ"/><tag k="name:en" v="Kyiv"/>
  </node>
  <node id="2" version="1" lat="50.4470" lon="30.5220"/>
  <node id="3" version="1" lat="50.4474" lon="30.5224"/>
  <node id="4" version="1" lat="50.4480" lon="30.5230"/>
  <node id="5" version="1" lat="50.4477" lon="30.5210"/>
  <node id="6" version="1" lat="50.4477" lon="30.5214"/>
  <node id="7" version="1" lat="50.4481" lon="30.5214"/>
  <node id="8" version="1" lat="50.4481" lon="30.5210"/>
  <node id="9" version="1" lat="50.4490" lon="30.5240">
    <tag k="addr:street" v="вулиця Хрещатик"/><tag k="addr:housenumber" v="15;17"/>
  </node>
  <way id="10" version="1">
    <nd ref="2"/><nd ref="3"/><nd ref="4"/>
    <tag k="highway" v="primary"/><tag k="name" v="вулиця Хрещатик"/>
  </way>
  <way id="11" version="1">
    <nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/>
    <tag k="building" v="yes"/><tag k="addr:street" v="вулиця Хрещатик"/>
    <tag k="addr:housenumber" v="22"/><tag k="addr:postcode" v="01001"/>
  </way>
</osm>
"""


def test_plain_osm_xml_gives_addresses_streets_and_places(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM, encoding="utf-8")
    calls: list[tuple[int, int]] = []
    assert sum(1 for _ in osm.objects(path, progress=_append(calls))) == 11
    assert calls[-1] == (path.stat().st_size, path.stat().st_size)
    found = read_places(path)
    by_kind = {kind: [r for r in found.records if r.kind is kind] for kind in PlaceKind}
    assert [(p.name, p.names) for p in by_kind[PlaceKind.PLACE]] == [("Київ", {"name:en": "Kyiv"})]
    street = by_kind[PlaceKind.STREET][0]
    assert (street.name, street.locality, street.lat, street.lon) == (
        "вулиця Хрещатик",
        "Київ",
        50.4474,
        30.5224,
    )  # the middle node
    houses = {a.housenumber: a for a in by_kind[PlaceKind.ADDRESS]}
    assert sorted(houses) == ["15", "17", "22"]  # "15;17" is two numbers
    building = houses["22"]
    assert (building.lat, building.lon) == pytest.approx((50.4479, 30.5212))  # ring centre
    assert building.postcode == "01001" and building.locality == "Київ"


# --- import ---------------------------------------------------------------------------------


def test_import_records_addresses_streets_and_places(db):
    if not LIECHTENSTEIN.exists():
        pytest.skip(NO_DATA)
    stages: dict[str, tuple[int, int]] = {}
    report = import_file(db, LIECHTENSTEIN, progress=lambda s, d, t: stages.update({s: (d, t)}))
    assert report.source == "liechtenstein.osm.pbf"
    # The README: 1,006 objects with house numbers, 43 place nodes (all of kinds we keep).
    assert report.counts["place"] == 43
    assert 990 <= report.counts["address"] <= 1010
    assert report.counts["street"] > 500
    assert report.added == sum(report.counts.values())
    assert stages["read"][0] == stages["read"][1] == LIECHTENSTEIN.stat().st_size
    assert stages["store"] == (report.added, report.added)
    with db.read() as session:
        rows = session.execute(sa.select(sa.func.count()).select_from(Place)).scalar()
        vaduz = session.execute(sa.select(Place).where(Place.name == "Vaduz")).scalar_one()
    assert rows == report.added
    assert vaduz.kind == "place" and vaduz.place_type == "village"
    assert vaduz.names and vaduz.names["name:uk"] == "Вадуц"


def test_reimporting_the_same_file_replaces_its_entries(db):
    if not LIECHTENSTEIN.exists():
        pytest.skip(NO_DATA)
    once = import_file(db, LIECHTENSTEIN)
    twice = import_file(db, LIECHTENSTEIN)
    assert twice.removed == once.added and twice.added == once.added
    with db.read() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Place)).scalar() == once.added
    hits = Gazetteer(db).search("Städtle 43", limit=10)
    assert [h.record.housenumber for h in hits if h.record.kind is PlaceKind.ADDRESS] == ["43"]


def test_multipolygon_addresses_sit_at_the_centre_of_their_area(liechtenstein_places):
    from_relations = {
        int(r.osm_id[1:]): r for r in liechtenstein_places.records if r.osm_id.startswith("r")
    }
    assert from_relations, "the extract has multipolygon buildings with house numbers"
    # Reference: osmium assembles the areas itself; their outer rings' mean must agree.
    reference = {}
    areas = osmium.FileProcessor(str(LIECHTENSTEIN)).with_areas(
        osmium.filter.KeyFilter("addr:housenumber")
    )
    for area in areas:
        if area.is_area() and not area.from_way() and area.orig_id() in from_relations:
            ring = [(n.lat, n.lon) for outer in area.outer_rings() for n in outer][:-1]
            reference[area.orig_id()] = (
                sum(p[0] for p in ring) / len(ring),
                sum(p[1] for p in ring) / len(ring),
            )
    assert reference.keys() == from_relations.keys()
    for relation_id, (lat, lon) in reference.items():
        record = from_relations[relation_id]
        assert haversine_m(lat, lon, record.lat, record.lon) < 15
        assert record.street and record.housenumber and record.locality


def test_addresses_without_a_town_get_the_nearest_settlement(liechtenstein_places):
    addresses = [r for r in liechtenstein_places.records if r.kind is PlaceKind.ADDRESS]
    settlements = {
        r.name: r for r in liechtenstein_places.records if r.place_type in ("village", "hamlet")
    }
    landesmuseum = next(r for r in addresses if r.street == "Städtle" and r.housenumber == "43")
    assert landesmuseum.locality == "Vaduz"
    without_city = [r for r in addresses if r.locality in settlements]
    assert len(without_city) > 500
    for record in without_city[:200]:
        home = settlements[record.locality]
        assert haversine_m(home.lat, home.lon, record.lat, record.lon) < 4_000


# --- search: Liechtenstein ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Städtle 43",  # as written
        "43 Städtle",  # number first
        "Städtle, 43",
        "Stadtle 43",  # ASCII for the umlaut
        "Staedtle 43",  # the German ASCII spelling
        "Städle 43",  # a letter missing
        "Städtla 43",  # a wrong letter
        "städtle 43 vaduz",  # with its town
    ],
)
def test_real_address_found_however_it_is_typed(liechtenstein, query):
    found = first(liechtenstein, query)
    assert (found.kind, found.street, found.housenumber) == (PlaceKind.ADDRESS, "Städtle", "43")
    assert found.locality == "Vaduz"


def test_abbreviated_street_type_finds_the_address(liechtenstein):
    found = first(liechtenstein, "Gapetschstr. 87")
    assert (found.street, found.housenumber, found.locality) == ("Gapetschstrasse", "87", "Schaan")


def test_prefix_finds_the_street(liechtenstein):
    found = first(liechtenstein, "Städt")
    assert (found.kind, found.name, found.locality) == (PlaceKind.STREET, "Städtle", "Vaduz")


def test_unknown_house_number_falls_back_to_the_street(liechtenstein):
    hits = liechtenstein.search("Städtle 999")
    assert (hits[0].record.kind, hits[0].record.name) == (PlaceKind.STREET, "Städtle")
    assert not any(h.record.housenumber == "999" for h in hits)


@pytest.mark.parametrize("name", ["Vaduz", "Schaan", "Triesen", "Balzers", "Gamprin"])
def test_named_place_ranks_first_for_its_name(liechtenstein, name):
    hits = liechtenstein.search(name)
    assert (hits[0].record.kind, hits[0].record.name) == (PlaceKind.PLACE, name)
    assert hits[0].score > hits[1].score


def test_place_found_by_its_ukrainian_name(liechtenstein):
    found = first(liechtenstein, "Вадуц")
    assert (found.kind, found.name) == (PlaceKind.PLACE, "Vaduz")


def test_prefix_of_a_longer_place_name_prefers_it(liechtenstein):
    assert first(liechtenstein, "Triesenb").name == "Triesenberg"


def test_position_decides_between_streets_of_the_same_name(liechtenstein):
    localities = set()
    for town in ("Triesen", "Ruggell", "Balzers"):
        place = first(liechtenstein, town)
        street = first(liechtenstein, "Landstrasse", near=(place.lat, place.lon))
        assert street.name == "Landstrasse" and street.locality == town
        localities.add(street.locality)
    assert len(localities) == 3


def test_limit_is_respected_and_nothing_matches_nonsense(liechtenstein):
    assert len(liechtenstein.search("strasse", limit=3)) == 3
    assert liechtenstein.search("qqqqxxxzzz") == []


# --- search: Ukrainian, both scripts ---------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Khreshchatyk 22",
        "хрещатик 22",
        "Хрещатик, 22",
        "вул. Хрещатик, 22",
        "вулиця Хрещатик, буд. 22",
        "22 Хрещатик",
        "Khreschatyk 22",  # a common English spelling
        "Хрешатик 22",  # a typo
        "Київ, Хрещатик 22",
    ],
)
def test_ukrainian_address_found_in_either_script(kyiv, query):
    found = first(kyiv, query)
    assert (found.street, found.housenumber) == ("вулиця Хрещатик", "22")


@pytest.mark.parametrize("query", ["Хрешатик", "khreshch", "Хрещ"])
def test_ukrainian_street_found_by_typo_and_prefix(kyiv, query):
    found = first(kyiv, query)
    assert (found.kind, found.name) == (PlaceKind.STREET, "вулиця Хрещатик")


def test_cyrillic_letter_in_a_house_number(kyiv):
    assert first(kyiv, "Хрещатик 22а").housenumber == "22а"
    assert first(kyiv, "Khreshchatyk 22a").housenumber == "22а"
    assert first(kyiv, "Хрещатик 22 А").housenumber == "22а"


def test_similar_street_does_not_take_the_address(kyiv):
    found = first(kyiv, "Хрещатий провулок 22")
    assert (found.street, found.housenumber) == ("Хрещатий провулок", "22")


@pytest.mark.parametrize(
    ("query", "street"),
    [
        ("вул. Шевченка 5", "вулиця Шевченка"),
        ("Shevchenka St 5", "вулиця Шевченка"),
        ("пл. Шевченка 5", "площа Шевченка"),
        ("Shevchenka Square 5", "площа Шевченка"),
    ],
)
def test_the_street_type_typed_decides_between_namesakes(kyiv, query, street):
    found = first(kyiv, query)
    assert (found.street, found.housenumber) == (street, "5")


def test_street_known_only_from_addresses_is_found_as_a_street(kyiv):
    found = first(kyiv, "площа Шевченка")
    assert (found.kind, found.name, found.locality) == (PlaceKind.STREET, "площа Шевченка", "Київ")
    assert haversine_m(found.lat, found.lon, 50.4422, 30.5143) < 100


@pytest.mark.parametrize("query", ["Kyiv", "Київ", "київ", "Kiev", "Kyev", "Киев"])
def test_kyiv_found_by_any_spelling(kyiv, query):
    hits = kyiv.search(query)
    assert (hits[0].record.name, hits[0].record.kind) == ("Київ", PlaceKind.PLACE)
    assert all(h.record.name != "Харків" for h in hits)


def test_ukrainian_address_labels_put_a_comma_before_the_number(kyiv):
    hit = kyiv.search("Хрещатик 22")[0]
    assert hit.public()["label"] == "вулиця Хрещатик, 22, Київ"


# --- the in-memory index and the table ------------------------------------------------------


def test_memory_index_sees_changes_at_its_next_look(db):
    now = [0.0]
    gazetteer = Gazetteer(db, check_seconds=5.0, clock=lambda: now[0])
    assert gazetteer.search("Хрещатик") == []
    with db.write() as session:
        store.add_places(session, "kyiv-test", kyiv_records())
    now[0] = 4.0
    assert gazetteer.search("Хрещатик") == []  # answered from memory until the next look
    now[0] = 5.5
    assert first(gazetteer, "Хрещатик").name == "вулиця Хрещатик"
    # A replacement with as many rows (SQLite may even reuse the ids) is still noticed.
    renamed = kyiv_records()
    renamed[2].name = "вулиця Нова"
    with db.write() as session:
        store.replace_source(session, "kyiv-test", renamed)
    now[0] = 11.0
    assert first(gazetteer, "Нова").name == "вулиця Нова"


def test_one_gazetteer_per_database_and_plain_results_for_pages(kyiv, db):
    assert for_database(db) is for_database(db)
    results = search_places(db, "Khreshchatyk 22", limit=2)
    assert len(results) == 2
    assert results[0]["label"] == "вулиця Хрещатик, 22, Київ" and results[0]["kind"] == "address"
    assert abs(results[0]["lat"] - 50.4478) < 1e-6 and abs(results[0]["lon"] - 30.5222) < 1e-6


# --- query reading --------------------------------------------------------------------------


def _read(text, is_locality=lambda _key: False):
    return [(r.name, r.housenumber, r.locality) for r in readings(text, is_locality)]


def test_query_readings_find_the_house_number_at_either_end():
    assert ("khreshchatyk", "22", None) in _read("вул. Хрещатик, 22")
    assert ("stadtle", "43", None) in _read("43 Städtle")
    assert ("khreshchatyk", "22a", None) in _read("Хрещатик 22 а")
    assert ("stadtle", "43", "vaduz") in _read("Städtle 43, Vaduz", {"vaduz"}.__contains__)
    assert all(number is None for _, number, _ in _read("Städtle"))


def test_query_readings_know_the_street_type_asked_for():
    assert {r.types for r in readings("вул. Хрещатик 22")} == {frozenset({"vulytsia"})}
    assert {r.types for r in readings("Хрещатий провулок")} == {frozenset({"provulok"})}
    assert {r.types for r in readings("Хрещатик")} == {frozenset()}


def test_keys_drop_street_words_and_write_out_abbreviations():
    assert name_keys("Khreshchatyk Street") == ("khreshchatyk", "khreshchatyk street")
    assert name_keys("вулиця Хрещатик")[0] == name_keys("вул. Хрещатик")[0] == "khreshchatyk"
    assert name_keys("Zollstr.") == ("zollstrasse",)
    assert name_keys("Weg") == ("weg",)  # nothing else left: the word stays
    assert house_key("22-А") == house_key("22 а") == "22a"
    assert house_key("12/1") == "12/1"


# --- API ------------------------------------------------------------------------------------


@pytest.fixture
def empty_places_client(db, db_url):
    app = create_app(Settings(database_url=db_url), db, start_sync=False)
    app.include_router(places_api.router)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def places_client(empty_places_client, liechtenstein, kyiv):
    return empty_places_client


def test_api_answers_an_empty_list_before_any_import(empty_places_client):
    response = empty_places_client.get("/api/v1/places/search", params={"q": "Vaduz"})
    assert response.status_code == 200 and response.json() == {"results": []}


def test_api_search_answers_ranked_results(places_client):
    response = places_client.get("/api/v1/places/search", params={"q": "Städtle 43", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 3
    top = body["results"][0]
    assert top["kind"] == "address" and top["street"] == "Städtle" and top["housenumber"] == "43"
    assert top["locality"] == "Vaduz" and 47.0 < top["lat"] < 47.3 and 9.4 < top["lon"] < 9.7
    assert top["label"].endswith("Städtle 43, Vaduz")
    assert top["score"] >= body["results"][1]["score"]
    assert "OpenStreetMap" in body["attribution"]


def test_api_search_in_cyrillic_near_a_position(places_client):
    params = {"q": "Хрещатик 22", "lat": "50.45", "lon": "30.52"}
    body = places_client.get("/api/v1/places/search", params=params).json()
    assert body["results"][0]["label"] == "вулиця Хрещатик, 22, Київ"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "Vaduz\x00"}, "q"),
        ({"q": "Vaduz", "limit": "0"}, "limit"),
        ({"q": "Vaduz", "limit": "many"}, "limit"),
        ({"q": "Vaduz", "limit": "51"}, "limit"),
        ({"q": "Vaduz", "lat": "91", "lon": "9.5"}, "lat"),
        ({"q": "Vaduz", "lat": "47.1", "lon": "nan"}, "lon"),
        ({"q": "Vaduz", "lat": "47.1"}, "lon"),
        ({"q": "Vaduz", "lon": "9.5"}, "lat"),
    ],
)
def test_api_refuses_bad_input_naming_the_field(empty_places_client, params, field):
    response = empty_places_client.get("/api/v1/places/search", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


# --- command line ---------------------------------------------------------------------------


def test_command_line_imports_twice_and_searches(db_url, db):
    if not LIECHTENSTEIN.exists():
        pytest.skip(NO_DATA)
    runner = CliRunner()
    env = {"NEZLAM_DATABASE_URL": db_url, "COLUMNS": "200"}
    imported = runner.invoke(places_app, ["import", str(LIECHTENSTEIN)], env=env)
    assert imported.exit_code == 0, imported.output
    assert "43 places" in imported.output and "replaced" not in imported.output
    again = runner.invoke(places_app, ["import", str(LIECHTENSTEIN)], env=env)
    assert again.exit_code == 0 and "replaced" in again.output
    found = runner.invoke(places_app, ["search", "Gapetschstr 87", "--limit", "2"], env=env)
    assert found.exit_code == 0, found.output
    assert "Gapetschstrasse 87, Schaan" in found.output
    nothing = runner.invoke(places_app, ["search", "qqqqxxxzzz"], env=env)
    assert nothing.exit_code == 1 and "nothing found" in nothing.output
