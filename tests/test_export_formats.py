"""The formats as extension points: every format module is registered in the one place, every
writer takes the same Table, the spreadsheet writers go through the formula rule, and writing a
piece at a time gives the same file as writing it whole."""

from __future__ import annotations

import csv
import io
import pkgutil

import orjson
import pytest
from openpyxl import load_workbook

from nezlam.interchange import formats, spreadsheet
from nezlam.interchange.formats.interface import Column, Table

FORMULA = '=HYPERLINK("http://evil","click")'
HEADER = ["id", "name", "lon"]


def table(count: int = 2, **options) -> Table:
    """`count` points, the first named with a formula, the others ordinary; a negative number."""
    features = [
        {
            "type": "Feature",
            "id": f"p{n}",
            "geometry": {"type": "Point", "coordinates": [-70.65, 50.0]},
            "properties": {
                "id": f"p{n}",
                "name": FORMULA if n == 0 else f"Пункт {n}",
                "lon": -70.65,
            },
        }
        for n in range(count)
    ]
    columns = [Column("id", "#loc+code"), Column("name", "#loc+name"), Column("lon", "#geo+lon")]
    return Table(features, columns, lambda f: [f["properties"][c] for c in HEADER], **options)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_every_format_module_is_registered_in_the_one_list():
    """A module dropped into interchange/formats/ and forgotten in MODULES would be a format
    that nothing can use."""
    found = {m.name for m in pkgutil.iter_modules(formats.__path__)} - {"interface"}
    assert found == {module.__name__.rsplit(".", 1)[-1] for module in formats.MODULES}
    assert list(formats.READERS) == ["csv", "geojson", "json", "kml"]
    assert list(formats.WRITERS) == ["csv", "geojson", "hxl", "xlsx"]


def read_csv(data: bytes) -> dict[str, str]:
    return dict(zip(HEADER, csv_rows(data)[1], strict=True))


def read_hxl(data: bytes) -> dict[str, str]:
    header, tags, first = csv_rows(data)[:3]
    assert header == HEADER and tags == ["#loc+code", "#loc+name", "#geo+lon"]
    return dict(zip(header, first, strict=True))


def read_xlsx(data: bytes) -> dict[str, str]:
    sheet = load_workbook(io.BytesIO(data)).active
    header, first = [[cell for cell in row] for row in sheet.iter_rows(max_row=2)]
    cells = dict(zip([c.value for c in header], first, strict=True))
    assert (cells["name"].data_type, cells["name"].quotePrefix) == ("s", True)
    assert cells["lon"].data_type == "n"
    return {name: "'" + c.value if c.quotePrefix else c.value for name, c in cells.items()}


def read_geojson(data: bytes) -> dict[str, str]:
    return orjson.loads(data)["features"][0]["properties"]


# How each writer's first row reads back, and what its name cell must be. A writer added
# without a line here fails test_every_writer_is_covered.
READ_BACK = {
    "csv": (read_csv, "'" + FORMULA),
    "hxl": (read_hxl, "'" + FORMULA),
    "xlsx": (read_xlsx, "'" + FORMULA),
    "geojson": (read_geojson, FORMULA),  # JSON: no spreadsheet runs it, the text stays exact
}


def test_every_writer_is_covered():
    assert set(READ_BACK) == set(formats.WRITERS)


@pytest.mark.parametrize("name", sorted(READ_BACK))
def test_each_writer_neutralises_formulas_as_its_format_needs_and_keeps_numbers(name):
    read, expected_name = READ_BACK[name]
    first = read(formats.WRITERS[name].write(table()))
    assert first["name"] == expected_name
    assert float(first["lon"]) == -70.65 and not str(first["lon"]).startswith("'")


def test_the_csv_of_a_table_for_excel_starts_with_a_byte_order_mark():
    assert formats.WRITERS["csv"].write(table(byte_order_mark=True)).startswith(b"\xef\xbb\xbf")
    assert not formats.WRITERS["csv"].write(table()).startswith(b"\xef\xbb\xbf")


def test_hxl_refuses_a_table_whose_columns_have_no_hashtags():
    plain = table()
    bare = Table(plain.features, [Column(c.name) for c in plain.columns], plain.row)
    with pytest.raises(ValueError, match="no HXL hashtag for column"):
        formats.WRITERS["hxl"].write(bare)


def test_geojson_written_in_pieces_is_the_document_written_whole():
    big = table(1_234, members={"generated_at": "2026-11-24T18:00:00Z", "removed": []})
    pieces = list(formats.WRITERS["geojson"].chunks(big))
    assert len(pieces) > 3  # a batch of features at a time
    whole = {"type": "FeatureCollection", **big.members, "features": list(big.features)}
    assert b"".join(pieces) == orjson.dumps(whole)
    empty = formats.WRITERS["geojson"].write(table(0))
    assert orjson.loads(empty) == {"type": "FeatureCollection", "features": []}


def test_csv_written_in_pieces_is_the_file_written_whole():
    big = table(2_500)
    pieces = list(formats.WRITERS["csv"].chunks(big))
    assert len(pieces) == 3  # 2,501 lines, a thousand at a time
    rows = csv_rows(b"".join(pieces))
    assert len(rows) == 2_501 and rows[0] == HEADER and rows[-1][0] == "p2499"
    assert b"".join(pieces).decode() == spreadsheet.csv_text([HEADER, *big.rows()])
