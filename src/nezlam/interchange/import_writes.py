"""The writes of one chunk of an import: the points it updates, loaded with one query and
changed through the audited `update_point` when a field differs; the points it creates, inserted
together (store/point_import.py). A chunk that the database refuses is tried again row by row,
so that the row at fault is named (and skipped with --skip-invalid)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nezlam.domain.errors import DomainError
from nezlam.domain.points import PointCreate, PointUpdate
from nezlam.interchange import row_check
from nezlam.interchange.import_organisations import Organisations
from nezlam.interchange.import_types import ImportResult, Options
from nezlam.interchange.problems import Problem
from nezlam.store import point_import
from nezlam.store import points as store
from nezlam.store.actor import Actor
from nezlam.store.tables import Point

IMPORT = Actor("import")
WRITE_ERRORS = (DomainError, ValidationError, IntegrityError)


class Abort(Exception):
    """Roll the whole import back."""


@dataclass(slots=True)
class Pending:
    row: int
    point: PointCreate
    point_id: str | None
    """None for a point a dry run would create."""
    label: str | None
    new: bool


@dataclass
class ChunkWriter:
    session: Session
    options: Options
    result: ImportResult
    organisations: Organisations
    refuse: Callable[[int, list[Problem]], None]
    pending: list[Pending] = field(default_factory=list)

    def flush(self, writing: bool) -> None:
        """Write (or, not `writing`, only count) what the chunk's rows asked for."""
        updates = [p for p in self.pending if not p.new]
        if updates:
            ids = [p.point_id for p in updates if p.point_id is not None]
            found = point_import.points_by_id(self.session, ids, for_update=writing)
            for pending in updates:
                self._update(pending, found[pending.point_id], writing)  # type: ignore[index]
        self._create([p for p in self.pending if p.new], writing)
        self.pending.clear()

    def _savepoint(self, writing: bool):  # type: ignore[no-untyped-def]
        return self.session.begin_nested() if writing else nullcontext()

    def _update(self, pending: Pending, existing: Point, writing: bool) -> None:
        organisation_id = self.organisations.id_of(pending.point.organisation)
        if not point_import.changed_fields(existing, pending.point, organisation_id):
            self.result.unchanged += 1
            return
        if writing:
            changes = pending.point.model_dump(exclude_unset=True, exclude={"id"})
            try:
                with self._savepoint(self.options.skip_invalid):
                    store.update_point(
                        self.session,
                        existing.id,
                        PointUpdate.model_validate(changes),
                        IMPORT,
                        now=self.options.now,
                    )
            except WRITE_ERRORS as exc:
                self._failed(pending, exc)
                return
        self.result.updated += 1

    def _create(self, new: list[Pending], writing: bool) -> None:
        if not writing or not new:
            self.result.created += len(new)
            return
        try:
            with self._savepoint(True):
                point_import.create_points(
                    self.session, [self._item(p) for p in new], IMPORT, self.options.now
                )
        except WRITE_ERRORS:
            self._create_one_by_one(new)
            return
        self.result.created += len(new)

    def _create_one_by_one(self, new: list[Pending]) -> None:
        for pending in new:
            try:
                with self._savepoint(True):
                    point_import.create_points(
                        self.session, [self._item(pending)], IMPORT, self.options.now
                    )
            except WRITE_ERRORS as exc:
                self._failed(pending, exc)
                continue
            self.result.created += 1

    def _item(self, pending: Pending) -> tuple[str, PointCreate, int | None]:
        assert pending.point_id is not None
        organisation_id = self.organisations.id_of(pending.point.organisation)
        return pending.point_id, pending.point, organisation_id

    def _failed(self, pending: Pending, exc: Exception) -> None:
        self.refuse(pending.row, [Problem(pending.row, *write_problem(exc), pending.label)])
        if pending.point_id in self.result.point_ids:
            self.result.point_ids.remove(pending.point_id)
        if not self.options.skip_invalid:
            raise Abort from exc


def write_problem(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ValidationError):
        return row_check.validation_problems(exc)[0]
    if isinstance(exc, DomainError):
        return exc.field or "row", exc.problem
    return "row", f"the database refused it: {str(exc).splitlines()[0]}"
