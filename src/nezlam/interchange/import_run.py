"""One import in progress: the rows checked so far, the index they are matched against, and
the writes of one transaction (see importer.py for the rules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nezlam.domain.points import PointCreate
from nezlam.interchange import mapping as mappings
from nezlam.interchange import row_check
from nezlam.interchange.far_points import Spread
from nezlam.interchange.formats.interface import Reader
from nezlam.interchange.import_organisations import Organisations
from nezlam.interchange.import_types import ImportResult, Options
from nezlam.interchange.import_writes import Abort, ChunkWriter, Pending
from nezlam.interchange.point_index import Entry, PointIndex
from nezlam.interchange.problems import FILE_ROW, Problem
from nezlam.store import point_import
from nezlam.store.actor import Actor
from nezlam.store.db import Database

IMPORT = Actor("import")


class RowProblem(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field, self.problem = field, problem


class Repeat(Exception):
    """The row is a place an earlier row of a map already is (the same place in two layers)."""

    def __init__(self, entry: Entry, metres: float) -> None:
        super().__init__()
        self.entry, self.metres = entry, metres


class ImportRun:
    def __init__(
        self,
        db: Database,
        options: Options,
        mapping: mappings.Mapping,
        reader: Reader,
        result: ImportResult,
    ) -> None:
        self.db, self.options, self.mapping = db, options, mapping
        self.reader, self.result = reader, result
        self.word = reader.row_word
        self.index = PointIndex()
        self.spread = Spread()
        self.session: Session | None = None
        self.fields_seen: set[str] = set()
        self.columns_seen: set[str] = set()
        self.paths_missing = {path: target for target, path in mapping.sources()}
        self.defaults = dict(options.defaults)
        self.organisations: Organisations | None = None
        self.writer: ChunkWriter | None = None

    @property
    def writing(self) -> bool:
        """Rows are written while the import can still succeed."""
        return not self.options.dry_run and (self.options.skip_invalid or not self.result.log)

    def begin(self, session: Session) -> None:
        """Load every existing point into the index, once."""
        self.session = session
        self.organisations = Organisations(
            session, self.options.create_organisations, lambda: self.writing
        )
        self.writer = ChunkWriter(
            session, self.options, self.result, self.organisations, self._refuse
        )
        for key in point_import.point_keys(session):
            self.index.add(
                Entry(key.id, key.lat, key.lon), str(key.name.get("uk", "")), key.external_id
            )
            self.spread.add(key.region, key.lat, key.lon)

    # --- one row -----------------------------------------------------------------------------
    def row(self, row: int, record: dict[str, Any]) -> None:
        self.result.rows += 1
        layer = getattr(record, "layer", None)
        if layer is not None:
            self.result.layers[layer] = self.result.layers.get(layer, 0) + 1
            if self.options.layers is not None and layer not in self.options.layers:
                self.result.left_out += 1
                return
        self._note_columns(record)
        label = getattr(record, "label", None)
        checked = row_check.check_record(
            record, self.mapping, self.defaults, self._organisation_of, self.options.geocoder
        )
        self.fields_seen |= checked.fields
        for name, text in checked.warnings:
            self.result.warning_log.add(Problem(row, name, text, label))
        if checked.point is None:
            self._refuse(row, [Problem(row, name, text, label) for name, text in checked.problems])
            return
        try:
            found = self.match(row, checked.point)
        except RowProblem as exc:
            self._refuse(row, [Problem(row, exc.field, exc.problem, label)])
            return
        except Repeat as repeat:
            self.result.merged += 1
            where = f"{self.word} {repeat.entry.row}"
            text = f"the same place as {where}, {repeat.metres:.0f} m away: merged into it"
            self.result.warning_log.add(Problem(row, "name", text, label))
            return
        self.store(row, checked.point, found, label)

    def _note_columns(self, record: dict[str, Any]) -> None:
        if self.mapping.native:
            self.columns_seen.update(record)
        for path in [
            p for p in self.paths_missing if mappings.lookup(record, p) is not mappings.MISSING
        ]:
            del self.paths_missing[path]

    def _organisation_of(self, name: str) -> tuple[str | None, str | None]:
        assert self.organisations is not None
        return self.organisations.slug_for(name)

    def _refuse(self, row: int, problems: list[Problem]) -> None:
        for problem in problems:
            self.result.log.add(problem)
        self.result.skipped += 1

    def match(self, row: int, point: PointCreate) -> Entry | None:
        """The existing point this row is, or None for a new one; raises RowProblem when the
        row clashes with an earlier row, Repeat when a map repeats a place."""
        found = self.index.by_id(point.id) if point.id else None
        if found is not None and found.row:
            raise RowProblem("id", f"same id as {self.word} {found.row}")
        if point.external_id:
            holder = self.index.by_external_id(point.external_id)
            if holder is not None and holder is not found:
                if holder.row:
                    raise RowProblem("external_id", f"same external_id as {self.word} {holder.row}")
                if found is not None:
                    raise RowProblem(
                        "external_id",
                        f"this row is point {found.point_id}, but its external_id belongs to "
                        f"point {holder.point_id}",
                    )
                found = holder
        if found is None:
            near = self.index.same_name_near(point.name["uk"], point.lat, point.lon)
            if near is not None and near[0].row:
                if self.reader.layered:
                    raise Repeat(*near)
                raise RowProblem(
                    "name", f"same name as {self.word} {near[0].row}, {near[1]:.0f} m away"
                )
            found = near[0] if near is not None else None
        return found

    # --- writing -----------------------------------------------------------------------------
    def store(self, row: int, point: PointCreate, found: Entry | None, label: str | None) -> None:
        """Claim the row's point in the index now (later rows must see it) and leave the write
        to the end of the chunk."""
        assert self.writer is not None
        if found is not None:
            point_id = found.point_id
        else:
            point_id = point.id or (None if self.options.dry_run else point_import.new_point_id())
        entry = found or Entry(point_id, point.lat, point.lon)
        entry.row = row
        self.index.add(entry, point.name["uk"], point.external_id, (point.lat, point.lon))
        self.spread.add(point.region, point.lat, point.lon, row)
        if point_id:
            self.result.point_ids.append(point_id)
        self.writer.pending.append(Pending(row, point, point_id, label, found is None))

    def end_chunk(self) -> None:
        """Write the chunk and let the session forget its objects: memory stays bounded
        however many rows the file has."""
        assert self.writer is not None and self.session is not None
        self.writer.flush(self.writing)
        if not self.options.dry_run:
            self.session.flush()
        self.session.expunge_all()

    # --- the end -----------------------------------------------------------------------------
    def finish(self) -> None:
        for problem in self.file_problems():
            self.result.log.add(problem)
        for far in self.spread.far_points():
            self.result.warning_log.add(Problem(far.row, "lat, lon", far.message()))
        self.result.skipped = self.result.skipped if self.options.skip_invalid else 0
        if self.result.log and not self.options.skip_invalid:
            raise Abort
        if self.organisations is not None:
            self.result.organisations_created = self.organisations.created

    def file_problems(self) -> list[Problem]:
        """Row-0 problems: unknown columns of a native file, mapping paths no record has, and
        a column every row lacks (with the option that gives it)."""
        problems = []
        if self.mapping.native and self.result.rows:
            unknown = mappings.unknown_columns(self.mapping, dict.fromkeys(self.columns_seen))
            problems += [
                Problem(
                    FILE_ROW, name, "unknown column: not a point field (a mapping file can map it)"
                )
                for name in sorted(unknown)
            ]
        if self.result.rows:
            problems += [
                Problem(FILE_ROW, target, f"the mapping reads {path!r}, which no record has")
                for path, target in self.paths_missing.items()
            ]
        for name in row_check.DEFAULTED:
            if (
                name not in self.fields_seen
                and (name, self._required(name)) in self.result.log.kinds
            ):
                problems.append(
                    Problem(
                        FILE_ROW,
                        name,
                        f"no {name} column: {row_check.HINTS[name].split(', or')[0]}",
                    )
                )
        return problems

    @staticmethod
    def _required(name: str) -> str:
        return f"is required: {row_check.HINTS[name]}"
