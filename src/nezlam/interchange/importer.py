"""Import points from CSV, GeoJSON or JSON: check every row, then write them all in one
transaction, updating a point that already exists instead of doubling it.

Problems are reported as (row, field, problem). Rows are numbered as a person sees them: CSV row
1 is the line after the header, JSON and GeoJSON row 1 is the first object or feature. Row 0 is
the file as a whole (an unknown column, a mapping path no record has).

A row matches an existing point by id, then by external id, then by the same Ukrainian name
within 50 m; a match is updated with the fields the row gives (through the audited
`update_point`), otherwise a point is created. When any row has a problem nothing is written,
unless `skip_invalid`, which writes the good rows and counts the others as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from rich.progress import Progress
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, DomainError, Invalid, NotFound
from nezlam.domain.points import PointCreate, PointUpdate
from nezlam.geo.distance import haversine_m
from nezlam.interchange import mapping as mappings
from nezlam.interchange.formats import IMPORTERS, Record
from nezlam.interchange.point_values import point_values
from nezlam.store import points as store
from nezlam.store.accounts import organisation_names_by_slug
from nezlam.store.actor import Actor
from nezlam.store.db import Database

IMPORT = Actor("import")
FILE_ROW = 0


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    problem: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    point_ids: list[str] = field(default_factory=list)
    """Ids of the points created or updated, in row order."""


@dataclass(frozen=True)
class Candidate:
    row: int
    point: PointCreate


class _Abort(Exception):
    """Roll the whole import back."""


def format_for(path: Path, format: str | None) -> str:
    if format:
        if format not in IMPORTERS:
            raise Invalid(
                f"unknown format {format!r}; known: {', '.join(IMPORTERS)}", field="format"
            )
        return format
    suffix = path.name.lower().rsplit(".", 1)[-1]
    for importer in IMPORTERS.values():
        if suffix in importer.suffixes:
            return importer.name
    raise Invalid(
        f"cannot tell the format of {path.name}; give --format ({', '.join(IMPORTERS)})",
        field="format",
    )


def import_file(
    db: Database,
    path: Path,
    *,
    format: str | None = None,
    mapping_path: Path | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    default_region: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import the points of one file. Raises a DomainError when the file (or the mapping) cannot
    be read at all; problems with rows are in the result."""
    reader = IMPORTERS[format_for(path, format)]
    mapping = mappings.load_mapping(mapping_path) if mapping_path else mappings.NATIVE
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror}", field="file") from exc
    records = list(reader.read(data, encoding))
    return import_records(
        db,
        records,
        mapping,
        skip_invalid=skip_invalid,
        default_region=default_region,
        dry_run=dry_run,
        progress=progress,
        now=now,
    )


def import_records(
    db: Database,
    records: Iterable[tuple[int, Record]],
    mapping: mappings.Mapping = mappings.NATIVE,
    *,
    skip_invalid: bool = False,
    default_region: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import (row number, raw record) pairs read by a format's reader; see the module doc."""
    records = list(records)
    result = ImportResult()
    with progress if progress is not None else nullcontext():
        advance = bar(progress, "checking rows", len(records))
        organisations = organisation_slugs(db)
        candidates: list[Candidate] = []
        for row, record in records:
            candidate = check_row(row, record, mapping, default_region, organisations, result)
            if candidate is not None:
                candidates.append(candidate)
            advance()
        result.problems.extend(file_problems(records, mapping))
        candidates = drop_duplicates_in_file(candidates, result)
        result.problems.sort(key=lambda problem: problem.row)
        if result.problems and not skip_invalid:
            return result
        result.skipped = len({p.row for p in result.problems if p.row != FILE_ROW})
        advance = bar(progress, "matching points" if dry_run else "writing points", len(candidates))
        try:
            with db.read() if dry_run else db.write() as session:
                for candidate in candidates:
                    store_candidate(session, candidate, result, skip_invalid, dry_run, now)
                    advance()
        except _Abort:
            result.created = result.updated = 0
            result.point_ids.clear()
    return result


def bar(progress: Progress | None, description: str, total: int) -> Callable[[], None]:
    """A function that advances a new progress bar by one, or does nothing without one."""
    if progress is None:
        return lambda: None
    task = progress.add_task(description, total=total)
    return lambda: progress.advance(task)


def check_row(
    row: int,
    record: Record,
    mapping: mappings.Mapping,
    default_region: str | None,
    organisations: dict[str, str],
    result: ImportResult,
) -> Candidate | None:
    """The row as a valid PointCreate, or None after adding its problems to `result`."""
    flat, hours_problems = mappings.apply(mapping, record)
    problems = [Problem(row, "opening_hours", text) for text in hours_problems]
    values = point_values(flat, default_region)
    organisation = values.get("organisation")
    if organisation is not None:
        slug = organisations.get(str(organisation).casefold())
        if slug is None:
            problems.append(
                Problem(row, "organisation", f"no organisation with slug or name {organisation!r}")
            )
        values["organisation"] = slug
    try:
        point = PointCreate.model_validate(values)
    except ValidationError as exc:
        problems.extend(validation_problems(row, exc))
        point = None
    result.problems.extend(problems)
    return None if problems or point is None else Candidate(row, point)


def validation_problems(row: int, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        if not name and ": " in message and message.split(": ", 1)[0] in mappings.SIMPLE_FIELDS:
            # A check across fields names its field first, like "opening_hours: ...".
            name, message = message.split(": ", 1)
        if item["type"] == "missing":
            message = "is required" + (" (or give a default region)" if name == "region" else "")
        problems.append(Problem(row, name or "row", message))
    return problems


def file_problems(records: list[tuple[int, Record]], mapping: mappings.Mapping) -> list[Problem]:
    """Row-0 problems: unknown columns of a native file, mapping paths no record has."""
    if not records:
        return []
    problems = []
    if mapping.native:
        unknown = set().union(
            *(mappings.unknown_columns(mapping, record) for _row, record in records)
        )
        problems = [
            Problem(FILE_ROW, name, "unknown column: not a point field (a mapping file can map it)")
            for name in sorted(unknown)
        ]
    return problems + [
        Problem(FILE_ROW, target, f"the mapping reads {path!r}, which no record has")
        for target, path in mapping.sources()
        if all(mappings.lookup(record, path) is mappings.MISSING for _row, record in records)
    ]


def drop_duplicates_in_file(candidates: list[Candidate], result: ImportResult) -> list[Candidate]:
    """Keep the first of rows that would be the same point; report the others."""
    kept: list[Candidate] = []
    seen: dict[tuple[str, str], int] = {}
    by_name: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        point = candidate.point
        clash = None
        for key in (("id", point.id), ("external_id", point.external_id)):
            if key[1] is not None and key in seen:
                clash = Problem(candidate.row, key[0], f"same {key[0]} as row {seen[key]}")
                break
        name = point.name["uk"].casefold()
        for other in by_name.get(name, []) if clash is None else []:
            metres = float(haversine_m(other.point.lat, other.point.lon, point.lat, point.lon))
            if metres <= store.DUPLICATE_RADIUS_M:
                clash = Problem(
                    candidate.row, "name", f"same name as row {other.row}, {metres:.0f} m away"
                )
                break
        if clash is not None:
            result.problems.append(clash)
            continue
        for key in (("id", point.id), ("external_id", point.external_id)):
            if key[1] is not None:
                seen[key] = candidate.row
        by_name.setdefault(name, []).append(candidate)
        kept.append(candidate)
    return kept


def existing_point(session: Session, point: PointCreate) -> store.Point | None:
    if point.id:
        try:
            return store.get_point(session, point.id)
        except NotFound:
            pass
    return store.find_duplicate(session, point)


def store_candidate(
    session: Session,
    candidate: Candidate,
    result: ImportResult,
    skip_invalid: bool,
    dry_run: bool,
    now: datetime | None,
) -> None:
    """Create or update one point; a failure skips the row or aborts the whole import."""
    savepoint = session.begin_nested() if skip_invalid and not dry_run else nullcontext()
    try:
        with savepoint:
            found = existing_point(session, candidate.point)
            if found is not None:
                check_match(session, found, candidate.point, result)
            if found is None:
                point_id = ""
                if not dry_run:
                    point_id = store.create_point(session, candidate.point, IMPORT, now=now).id
            else:
                point_id = found.id
                if not dry_run:
                    changes = candidate.point.model_dump(exclude_unset=True, exclude={"id"})
                    store.update_point(
                        session, found.id, PointUpdate.model_validate(changes), IMPORT, now=now
                    )
    except (DomainError, ValidationError, IntegrityError) as exc:
        result.problems.extend(write_problems(candidate.row, exc))
        if not skip_invalid:
            raise _Abort from exc
        result.skipped += 1
        return
    if found is None:
        result.created += 1
    else:
        result.updated += 1
    if not dry_run or found is not None:
        result.point_ids.append(point_id)


def check_match(
    session: Session, found: store.Point, point: PointCreate, result: ImportResult
) -> None:
    if found.id in result.point_ids:
        raise Invalid(f"matches point {found.id}, which an earlier row already is", field="row")
    if point.external_id and point.external_id != found.external_id:
        holder = store.find_by_external_id(session, point.external_id)
        if holder is not None:
            raise Conflict(
                f"this row is point {found.id}, but its external_id belongs to point {holder.id}",
                field="external_id",
            )


def write_problems(row: int, exc: Exception) -> list[Problem]:
    if isinstance(exc, ValidationError):
        return validation_problems(row, exc)
    if isinstance(exc, DomainError):
        return [Problem(row, exc.field or "row", exc.problem)]
    return [Problem(row, "row", f"the database refused it: {str(exc).splitlines()[0]}")]


def organisation_slugs(db: Database) -> dict[str, str]:
    """Slug of each organisation by its casefolded slug and name: an export names the
    organisation, an import may give either."""
    with db.read() as session:
        names = organisation_names_by_slug(session)
    slugs = {name.casefold(): slug for slug, name in names.items()}
    slugs.update({slug.casefold(): slug for slug in names})
    return slugs
