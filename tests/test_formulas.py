"""No spreadsheet formula in anything Nezlam writes: the public CSV and HXL feeds, `nezlam export`
and the coordinator's CSV and XLSX. Text that a spreadsheet would run (a leading = + - @, tab or
carriage return) gets an apostrophe in CSV and is a quote-prefixed string cell in XLSX; numbers
stay numbers; GeoJSON (JSON, no spreadsheet reads it as formulas) keeps the text exactly."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.domain.points import OrganisationCreate, ReportCreate
from nezlam.interchange.spreadsheet import is_formula_like, safe_text
from nezlam.store import accounts, points, reports
from nezlam.store.actor import CLI
from nezlam.store.tables import Point
from tests.conftest import REGION_A, point_create, sign_in_as

FORMULAS = [
    '=HYPERLINK("http://evil","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1",
    "\r=1",
]
ORDINARY = "Школа № 5"
PHONE = "+380 44 123-45-67"  # the control point's: a number, never a formula
CONTROL = "control"  # the point with ordinary text and negative coordinates
# Where each CSV writer puts the planted texts (notes are in no spreadsheet column).
FEED_TEXT_COLUMNS = ("name_uk", "name_en", "address", "locality", "organisation")
EXPORT_TEXT_COLUMNS = ("name", "address", "locality")


@dataclass
class Planted:
    by_id: dict[str, str]  # point id -> the formula in all its text fields


@pytest.fixture
def planted(client, network, db, clock) -> Planted:
    """A point per formula, the formula in its names, address, notes, locality and organisation
    name. Written on the rows directly: the API's models strip a leading tab or carriage return,
    but a row written before that rule (or by an import of another version) still has one."""
    by_id = {}
    with db.write() as session:
        for n, formula in enumerate(FORMULAS):
            slug = f"org-f{n}"
            org = accounts.create_organisation(
                session, OrganisationCreate(slug=slug, name="org", kind="ngo"), CLI
            )
            org.name = formula
            point_id = f"formula-{n}"
            data = point_create(point_id, REGION_A, 50.40 + n / 100, 30.50, organisation=slug)
            row = points.create_point(session, data, CLI, now=clock())
            row.name = {"uk": formula, "en": formula}
            row.address, row.locality = formula, formula
            row.notes = {"uk": formula, "en": formula}
            by_id[point_id] = formula
        control = point_create(CONTROL, REGION_A, -33.87, -70.65, capacity=40, phone=PHONE)
        row = points.create_point(session, control, CLI, now=clock())
        row.name = {"uk": ORDINARY, "en": ORDINARY}
        row.address = ORDINARY
        reports.add_report(
            session, CONTROL, ReportCreate(status="open", occupancy=3, fuel_litres=12.5), CLI,
            now=clock(),
        )  # fmt: skip
    client.app.state.nezlam.sync.load_all()
    return Planted(by_id)


def rows_by_id(text: str, skip: int = 0) -> dict[str, dict[str, str]]:
    lines = list(csv.reader(io.StringIO(text)))
    header, body = lines[0], lines[1 + skip :]
    return {line[0]: dict(zip(header, line, strict=True)) for line in body}


def assert_no_live_formula(text: str, numeric: set[str]) -> None:
    """Every cell of the file, whatever its column: nothing formula-like but a real number in a
    numeric column (a longitude of -70.65 is a number, not a formula)."""
    lines = list(csv.reader(io.StringIO(text)))
    for line in lines[1:]:
        for name, cell in zip(lines[0], line, strict=True):
            if is_formula_like(cell):
                assert name in numeric, f"{name}: {cell!r} is a live formula"
                float(cell)


def assert_neutralised(rows: dict[str, dict[str, str]], planted: Planted, columns) -> None:
    for point_id, formula in planted.by_id.items():
        for column in columns:
            assert rows[point_id][column] == "'" + formula, (point_id, column)


def assert_control_unchanged(row: dict[str, str], name_column: str) -> None:
    assert row[name_column] == ORDINARY and row["address"] == ORDINARY
    assert (row["lat"], row["lon"]) == ("-33.87", "-70.65")


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_like_text_gets_an_apostrophe(value):
    assert safe_text(value) == "'" + value


@pytest.mark.parametrize("value", [ORDINARY, "вул. Хрещатик, 22", "24/7", "", "x=1", "a-b"])
def test_ordinary_text_is_left_as_it_is(value):
    assert safe_text(value) == value


@pytest.mark.parametrize("value", ["+380 44 123 45 67", "+380441234567", "+1 (555) 010-9999"])
def test_a_telephone_number_is_left_as_it_is(value):
    """Digits, spaces, hyphens and brackets after a plus can make no call, link or command."""
    assert safe_text(value) == value and not is_formula_like(value)


@pytest.mark.parametrize("value", ["+380 44 SUM(1)", "+380|cmd", "+1", "+3804412345!A0", "+ 380"])
def test_what_only_begins_like_a_telephone_number_still_gets_an_apostrophe(value):
    assert safe_text(value) == "'" + value


@pytest.mark.parametrize("value", [-2.5, -3, 0, 12.5, None, True])
def test_numbers_and_other_non_text_are_left_as_they_are(value):
    assert safe_text(value) is value


@pytest.mark.parametrize(("path", "skip"), [("points.csv", 0), ("points.hxl.csv", 1)])
def test_public_feeds_neutralise_formulas_and_keep_numbers(client, planted, path, skip):
    answer = client.get(f"/api/v1/feeds/{path}")
    assert answer.status_code == 200
    rows = rows_by_id(answer.text, skip)
    assert_neutralised(rows, planted, FEED_TEXT_COLUMNS)
    assert_control_unchanged(rows[CONTROL], "name_uk")
    assert rows[CONTROL]["capacity"] == "40" and rows[CONTROL]["occupancy"] == "3"
    assert rows[CONTROL]["phone"] == PHONE  # for the aggregators: the number, no apostrophe
    assert_no_live_formula(answer.text, numeric={"lat", "lon"})


def test_the_geojson_feed_keeps_the_text_exactly(client, planted):
    features = client.get("/api/v1/feeds/points.geojson").json()["features"]
    by_id = {f["id"]: f["properties"] for f in features}
    for point_id, formula in planted.by_id.items():
        props = by_id[point_id]
        assert props["names"] == {"uk": formula, "en": formula}
        assert (props["address"], props["locality"], props["organisation"]) == (formula,) * 3


@pytest.mark.parametrize(("fmt", "skip"), [("csv", 0), ("hxl", 1)])
def test_the_command_line_export_neutralises_formulas(db_url, planted, fmt, skip):
    result = CliRunner().invoke(
        app, ["export", "--format", fmt], env={"NEZLAM_DATABASE_URL": db_url}
    )
    assert result.exit_code == 0, result.output
    rows = rows_by_id(result.stdout, skip)
    assert_neutralised(rows, planted, FEED_TEXT_COLUMNS)
    assert_control_unchanged(rows[CONTROL], "name_uk")
    assert_no_live_formula(result.stdout, numeric={"lat", "lon"})


def test_the_coordinators_csv_neutralises_formulas(client, planted, db, clock):
    sign_in_as(client, db, "coordinator_a", clock())
    answer = client.get("/coordinate/export.csv")
    assert answer.status_code == 200
    text = answer.content.decode("utf-8-sig")
    rows = rows_by_id(text)
    assert_neutralised(rows, planted, EXPORT_TEXT_COLUMNS)
    assert_control_unchanged(rows[CONTROL], "name")
    assert (rows[CONTROL]["fuel_litres"], rows[CONTROL]["occupancy"]) == ("12.5", "3")
    assert_no_live_formula(text, numeric={"lat", "lon"})


def test_the_coordinators_xlsx_holds_text_as_strings_never_formulas(client, planted, db, clock):
    sign_in_as(client, db, "coordinator_a", clock())
    answer = client.get("/coordinate/export.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    header = [cell.value for cell in sheet[1]]
    cells = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)}
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    for point_id, formula in planted.by_id.items():
        for column in EXPORT_TEXT_COLUMNS:
            cell = cells[point_id][column]
            # XML reads a carriage return as a line feed; the cell is text either way.
            assert cell.value.replace("\n", "\r") == formula.replace("\n", "\r"), column
            assert (cell.data_type, cell.quotePrefix) == ("s", True), (point_id, column)
    control = cells[CONTROL]
    assert control["name"].value == ORDINARY and not control["name"].quotePrefix
    assert control["name"].data_type == "s"
    for column, number in (("lat", -33.87), ("lon", -70.65), ("fuel_litres", 12.5)):
        assert (control[column].value, control[column].data_type) == (number, "n")
    assert (control["occupancy"].value, control["capacity"].value) == (3, 40)


def test_an_operator_renaming_a_point_to_a_formula_exports_it_as_text(app_client, network, db):
    """The attack as the review made it: an operator's PATCH through the API."""
    formula = '=HYPERLINK("http://evil","click")'
    answer = app_client.patch(
        f"/api/v1/points/{network.point_a}",
        json={"name": {"uk": formula, "en": formula}},
        headers=network.headers("operator_a"),
    )
    assert answer.status_code == 200, answer.text
    app_client.app.state.nezlam.sync.refresh()
    rows = rows_by_id(app_client.get("/api/v1/feeds/points.csv").text)
    assert rows[network.point_a]["name_uk"] == "'" + formula
    with db.read() as session:  # stored as typed: the apostrophe is only in the file
        assert session.get(Point, network.point_a).name["uk"] == formula


def test_an_exported_file_imports_back_as_it_was_typed(db_url, planted, db, tmp_path):
    """The apostrophe is for spreadsheets: re-importing our own export into the same database
    finds every point unchanged, the formula-like names and addresses included."""
    exported = CliRunner().invoke(
        app, ["export", "--format", "csv"], env={"NEZLAM_DATABASE_URL": db_url}
    )
    assert exported.exit_code == 0, exported.output
    path = tmp_path / "export.csv"
    path.write_text(exported.stdout, encoding="utf-8")
    # (The organisations named "\t=1" and "\r=1" come back trimmed: let the import make them.)
    again = CliRunner().invoke(
        app,
        ["import", str(path), "--create-organisations"],
        env={"NEZLAM_DATABASE_URL": db_url},
    )
    assert again.exit_code == 0, again.output
    with db.read() as session:
        stored = {row.id: (row.name["uk"], row.address) for row in session.query(Point)}
    for point_id, formula in planted.by_id.items():
        if not formula.startswith(("\t", "\r")):  # the import trims surrounding whitespace
            assert stored[point_id] == (formula, formula), point_id
