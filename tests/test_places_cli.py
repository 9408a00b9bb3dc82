"""`nezlam places import` says what it imported in plain English."""

from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.commands.places import counted
from tests.test_places import TINY_OSM


def test_the_import_summary_counts_in_english(db_url, db, tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["places", "import", str(path)], env={"NEZLAM_DATABASE_URL": db_url}
    )
    assert result.exit_code == 0, result.output
    assert "(3 addresses, 1 street, 1 place)" in result.output and "addresss" not in result.output


def test_counts_take_the_right_plural():
    assert counted(1003, "address") == "1,003 addresses"
    assert (counted(1, "street"), counted(0, "place")) == ("1 street", "0 places")
