"""Importing Google My Maps exports (KML and KMZ), as Ukrainian cities publish their shelter
maps: the address in the description, empty names, the same place in two layers, Russian and
Ukrainian mixed, untrusted XML. Real maps from the shared data folder, and small hand-made
ones with one quirk each."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.domain.errors import Invalid
from nezlam.interchange import formats, importer, placemark_text
from nezlam.store import points
from nezlam.store.db import Database

SHELTERS = Path(__file__).resolve().parents[2] / "shared/data/shelters-ua"
DEFAULTS = {"category": "state", "locality": "Одеса", "region": "Одеська область"}
KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Укриття</name>{body}</Document></kml>
"""


def real_map(name: str) -> Path:
    path = SHELTERS / name
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the shelter map is missing at {path}")
        pytest.skip(f"the shelter map is not at {path} (it lives in the shared data folder)")
    return path


def placemark(name: str | None, description: str | None, where: str | None) -> str:
    parts = [f"<name>{name}</name>" if name is not None else "<name/>"]
    if description is not None:
        parts.append(f"<description><![CDATA[{description}]]></description>")
    if where is not None:
        parts.append(where)
    return f"<Placemark>{''.join(parts)}</Placemark>"


def point(lon: float, lat: float) -> str:
    return f"<Point><coordinates>\n  {lon},{lat},0\n</coordinates></Point>"


def kml_file(tmp_path: Path, *placemarks: str, folders: dict[str, list[str]] | None = None) -> Path:
    body = "".join(placemarks)
    for folder, inside in (folders or {}).items():
        body += f"<Folder><name>{folder}</name>{''.join(inside)}</Folder>"
    path = tmp_path / "map.kml"
    path.write_text(KML.format(body=body), encoding="utf-8")
    return path


def stored(db: Database) -> list[points.Point]:
    with db.read() as session:
        return sorted(points.iter_points(session), key=lambda p: (p.lat, p.lon))


# --- the real maps --------------------------------------------------------------------------------


def test_odesas_shelter_map_imports_every_placemark_named_and_placed(db: Database):
    result = importer.import_file(db, real_map("odesa_city_shelters.kmz"), defaults=DEFAULTS)

    assert result.problems == []
    assert result.rows == 540
    assert result.created + result.merged == 540 and result.merged > 0
    assert result.layers == {
        "Сховища ЦЗ": 208,
        "Протирадіаційні укриття": 135,
        "Медичні заклади": 49,
        "Потенційно-небезпечні об’єкти": 148,
    }
    saved = stored(db)
    assert len(saved) == result.created
    assert all(p.name["uk"].strip() and not p.name["uk"].endswith("№") for p in saved)
    assert all(46.2 < p.lat < 46.7 and 30.5 < p.lon < 30.9 for p in saved)  # never at 0, 0
    names = {p.name["uk"]: p for p in saved}
    # The placemark with no name is named by the address its description gives.
    assert names["Люстдорфська дор., 55"].address == "Люстдорфська дор., 55"
    # "Сховище №" (the number left out) is told apart by its address.
    assert names["Сховище, Вокзальний пров., 11"].address == "Вокзальний пров., 11"
    assert names["вул. Адмірала Лазарєва, 34"].capacity == 140


def test_only_the_layers_asked_for_are_imported(db: Database):
    result = importer.import_file(
        db,
        real_map("odesa_city_shelters.kmz"),
        defaults=DEFAULTS,
        layers=frozenset({"Сховища ЦЗ", "Протирадіаційні укриття"}),
    )

    assert result.left_out == 49 + 148
    assert result.created + result.merged == 208 + 135
    assert not [p for p in stored(db) if "АЗС" in p.name["uk"]]


def test_chernihivs_map_reads_capacities_and_merges_a_place_shown_in_two_layers(db: Database):
    result = importer.import_file(
        db,
        real_map("chernihiv_shelters.kmz"),
        defaults={**DEFAULTS, "locality": "Чернігів", "region": "Чернігівська область"},
    )

    assert result.problems == []
    assert result.created + result.merged == 586
    by_address: dict[str | None, list[points.Point]] = {}
    for p in stored(db):
        by_address.setdefault(p.address, []).append(p)
    # Two shelters at one address: "Сховище на 128 чол., сховище на 150 чол."
    [volkovycha] = by_address["вул. Волковича, 25"]
    assert volkovycha.capacity == 278
    # A shelter that is also listed among the basements is one point, with the shelter's data.
    [honcha] = by_address["вул. Гонча, 40"]
    assert honcha.capacity == 200
    merged = [w for w in result.warnings if "merged" in w.problem]
    assert any(w.label == "вул. Гонча, 40" for w in merged)
    # A hazardous site named by its address takes the name its description gives.
    assert by_address["Щорса 79"][0].name["uk"] == 'АЗС "ОККО" №14'


# --- one quirk at a time -----------------------------------------------------------------------


def test_a_placemark_without_coordinates_is_refused_by_number_and_name(
    db: Database, tmp_path: Path
):
    path = kml_file(
        tmp_path,
        placemark("Сховище №1", "вул. Шевченка, 1", point(30.72, 46.45)),
        placemark("Сховище №2", "вул. Шевченка, 2", None),
    )

    result = importer.import_file(db, path, defaults=DEFAULTS)

    [problem] = result.problems
    assert (problem.row, problem.field, problem.label) == (2, "coordinates", "Сховище №2")
    assert "give --geocode" in problem.problem
    assert result.log.summary("placemark")[0].endswith("— placemark 2 «Сховище №2»")
    assert stored(db) == []


def test_a_placemark_at_0_0_is_refused_as_a_placeholder(db: Database, tmp_path: Path):
    path = kml_file(tmp_path, placemark("Сховище", "вул. Шевченка, 1", point(0, 0)))

    result = importer.import_file(db, path, defaults=DEFAULTS)

    assert [(p.field, p.problem) for p in result.problems] == [
        ("coordinates", "0, 0 is a placeholder, not a place")
    ]


def test_a_polygon_placemark_is_refused_as_not_a_point(db: Database, tmp_path: Path):
    ring = "30.7,46.4,0 30.8,46.4,0 30.7,46.5,0"
    polygon = (
        f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon>"
    )
    path = kml_file(tmp_path, placemark("Парк", None, polygon))

    result = importer.import_file(db, path, defaults=DEFAULTS)

    assert [(p.row, p.field, p.problem) for p in result.problems] == [
        (1, "geometry", "geometry must be a Point, not a Polygon")
    ]


def test_names_addresses_phones_and_notes_come_from_name_and_description(
    db: Database, tmp_path: Path
):
    hospital_description = (
        "КУ «Мiська лiкарня № 4»<br>Вул. Пастера, 9<br>Тел. 728-15-65;<br>&#160;728-46-88"
    )
    path = kml_file(
        tmp_path,
        placemark("", "Люстдорфська дор., 55", point(30.7254, 46.4231)),
        placemark("Сховище №", "Вокзальний пров., 11", point(30.7202, 46.4571)),
        # A Latin i typed inside Ukrainian words, HTML breaks and a non-breaking space.
        placemark("КУ «Мiська лiкарня № 4»", hospital_description, point(30.7228, 46.4931)),
        placemark(
            "вул. Космонавта Комарова, 6",
            "Протирадіаційне укриття на 280&#160;осіб. Відремонтовано",
            point(30.7212, 46.4243),
        ),
    )

    result = importer.import_file(db, path, defaults=DEFAULTS)

    assert result.problems == []
    by_name = {p.name["uk"]: p for p in stored(db)}
    assert by_name["Люстдорфська дор., 55"].address == "Люстдорфська дор., 55"
    assert by_name["Сховище, Вокзальний пров., 11"].address == "Вокзальний пров., 11"
    hospital = by_name["КУ «Міська лікарня № 4»"]
    assert (hospital.address, hospital.phone) == ("Вул. Пастера, 9", "728-15-65")
    komarova = by_name["вул. Космонавта Комарова, 6"]
    assert komarova.capacity == 280
    assert komarova.notes == {"uk": "Протирадіаційне укриття на 280 осіб. Відремонтовано"}


def test_a_russian_name_is_kept_and_warned_about(db: Database, tmp_path: Path):
    path = kml_file(
        tmp_path,
        placemark("Городская клиническая больница №3", "ул. Пастера, 5", point(30.7578, 46.4746)),
        placemark("Міська лікарня №1", "вул. Пастера, 7", point(30.7579, 46.4747)),
    )

    result = importer.import_file(db, path, defaults=DEFAULTS)

    assert result.created == 2
    [warning] = result.warnings
    assert (warning.row, warning.field) == (1, "name")
    assert "looks Russian" in warning.problem


def test_the_same_place_in_two_layers_is_merged_into_the_first(db: Database, tmp_path: Path):
    shelter = placemark("вул. Гонча, 40", "Сховище на 200 чол.", point(31.2993, 51.4979))
    basement = placemark("вул. Гонча, 40", None, point(31.2993, 51.4979))
    path = kml_file(tmp_path, folders={"Сховища": [shelter], "Підвали": [basement]})

    result = importer.import_file(db, path, defaults=DEFAULTS)

    assert (result.created, result.merged, result.problems) == (1, 1, [])
    assert result.layers == {"Сховища": 1, "Підвали": 1}
    [merged] = result.warnings
    assert merged.row == 2 and "the same place as placemark 1" in merged.problem
    [only] = stored(db)
    assert only.capacity == 200


def test_a_kmz_reads_its_doc_kml(db: Database, tmp_path: Path):
    kml = kml_file(tmp_path, placemark("Укриття", "вул. Шевченка, 1", point(30.72, 46.45)))
    kmz = tmp_path / "map.kmz"
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.writestr("doc.kml", kml.read_bytes())
        archive.writestr("images/icon-1.png", b"\x89PNG")

    result = importer.import_file(db, kmz, defaults=DEFAULTS)

    assert (result.created, result.problems) == (1, [])


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&c;</name></Placemark></kml>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&secret;</name></Placemark></kml>"""


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL], ids=["entities", "external"])
def test_kml_with_entities_or_external_references_is_refused(hostile: str):
    with pytest.raises(Invalid) as refused:
        list(formats.kml.read(hostile.encode()))

    assert refused.value.field == "file"
    assert "refused" in refused.value.problem


def test_a_kmz_larger_than_the_cap_unpacked_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(formats.kml, "MAX_KML_BYTES", 10_000)
    body = "".join(placemark(f"Пункт {n}", None, point(30.7, 46.4)) for n in range(500))
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", KML.format(body=body))

    with pytest.raises(Invalid, match="larger than"):
        list(formats.kml.read(packed.getvalue()))


def test_cli_imports_a_map_and_lists_its_layers(db: Database, tmp_path: Path):
    path = kml_file(
        tmp_path,
        folders={"Сховища": [placemark("Сховище", "вул. Шевченка, 1", point(30.72, 46.45))]},
    )

    result = CliRunner().invoke(
        app,
        ["import", str(path), "--category", "state", "--locality", "Одеса", "--region", "Одеса"],
        env={"NEZLAM_DATABASE_URL": db.url},
    )

    assert result.exit_code == 0, result.output
    assert "layers: Сховища (1)" in result.output
    assert "imported: 1 new" in result.output


def test_description_lines_are_told_apart():
    assert placemark_text.looks_like_address("просп. Маршала Жукова, 2")
    assert placemark_text.looks_like_address("Щорса 79")
    assert not placemark_text.looks_like_address("Сховище на 150 чол.")
    assert not placemark_text.looks_like_address("Нафтобаза №1 ТОВ «АКУРА ОІЛ»")
    assert placemark_text.capacity_of("Протирадіаційне укриття на40 осіб") == 40
    assert placemark_text.clean("Мiська лiкарня") == "Міська лікарня"
    assert placemark_text.clean("Kyiv city") == "Kyiv city"  # Latin words keep their i
