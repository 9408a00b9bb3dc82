"""Import points from CSV, GeoJSON, JSON or KML: every row checked, nothing doubled, all or
nothing, in memory bounded whatever the file's size.

The file is streamed and checked row by row in one transaction; rows are written as they pass,
in chunks, and the session forgets each chunk once it is flushed. When any row has a problem,
writing stops, the remaining rows are still checked (so every problem is reported), and the
transaction is rolled back: nothing is imported, unless `skip_invalid`, which writes the good
rows and counts the others as skipped. A killed import leaves nothing, as its transaction
never commits.

A row matches an existing point (or an earlier row of the file) by id, then by external id,
then by the same Ukrainian name within 50 m, through an index in memory (point_index.py). A
match is updated with the fields the row gives (through the audited `update_point`) when they
differ, and counted as unchanged when they do not; otherwise a point is created.

Problems are (row, field, problem) and aggregated by kind (problems.py); row 0 is the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import Any

from nezlam.domain.errors import Invalid
from nezlam.interchange import mapping as mappings
from nezlam.interchange.formats import READERS, Reader
from nezlam.interchange.import_run import ImportRun
from nezlam.interchange.import_types import ImportResult, Options, Tracker
from nezlam.interchange.import_writes import Abort
from nezlam.interchange.problems import FILE_ROW, Problem
from nezlam.store.db import Database

CHUNK = 1_000  # rows between flushes: bounded memory, few round trips
DEFAULT_READER = Reader("records", (), lambda _source, _encoding: iter(()), "row")


def format_for(path: Path, format: str | None) -> str:
    if format:
        if format not in READERS:
            raise Invalid(f"unknown format {format!r}; known: {', '.join(READERS)}", field="format")
        return format
    suffix = path.name.lower().rsplit(".", 1)[-1]
    for reader in READERS.values():
        if suffix in reader.suffixes:
            return reader.name
    raise Invalid(
        f"cannot tell the format of {path.name}; give --format ({', '.join(READERS)})",
        field="format",
    )


def import_file(
    db: Database,
    path: Path,
    *,
    format: str | None = None,
    mapping_path: Path | None = None,
    encoding: str | None = None,
    default_region: str | None = None,
    progress: Tracker | None = None,
    **options: Any,
) -> ImportResult:
    """Import the points of one file, streamed. Raises a DomainError when the file (or the
    mapping) cannot be read at all; problems with rows are in the result. `options` are those
    of `Options`."""
    reader = READERS[format_for(path, format)]
    mapping = mappings.load_mapping(mapping_path) if mapping_path else mappings.NATIVE
    if not path.is_file():
        raise Invalid(f"cannot read {path}: no such file", field="file")
    total = reader.estimate(path) if reader.estimate else None
    return import_records(
        db,
        reader.read(path, encoding),
        mapping,
        reader=reader,
        default_region=default_region,
        progress=progress,
        total=total,
        **options,
    )


def import_records(
    db: Database,
    records: Iterable[tuple[int, dict[str, Any]]],
    mapping: mappings.Mapping = mappings.NATIVE,
    *,
    reader: Reader = DEFAULT_READER,
    default_region: str | None = None,
    progress: Tracker | None = None,
    total: int | None = None,
    **options: Any,
) -> ImportResult:
    """Import (row number, raw record) pairs as a format's reader yields them, consumed once;
    see the module doc."""
    defaults = dict(options.pop("defaults", None) or {})
    if default_region:
        defaults.setdefault("region", default_region)
    settings = Options(defaults=defaults, **options)
    result = ImportResult(row_word=reader.row_word)
    run = ImportRun(db, settings, mapping, reader, result)
    if progress is not None:
        progress.start("checking rows" if settings.dry_run else "importing rows", total)
    try:
        with db.read() if settings.dry_run else db.write() as session:
            run.begin(session)
            iterator = iter(records)
            while chunk := list(islice(iterator, CHUNK)):
                for row, record in chunk:
                    run.row(row, record)
                run.end_chunk()
                if progress is not None:
                    progress.advance(len(chunk))
            run.finish()
    except Abort:
        result.created = result.updated = result.unchanged = result.skipped = 0
        result.point_ids.clear()
        result.organisations_created.clear()
    finally:
        if progress is not None:
            progress.finish()
    return result


__all__ = [
    "FILE_ROW",
    "ImportResult",
    "Options",
    "Problem",
    "Tracker",
    "import_file",
    "import_records",
]
