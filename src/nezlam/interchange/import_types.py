"""What an import is asked (`Options`) and what it answers (`ImportResult`), and how it tells
how far it is (`Tracker`): shared by the importer and the run and writes it drives, so that
none of them imports another in a circle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from nezlam.interchange.geocoding import Geocoder
from nezlam.interchange.problems import Problem, ProblemLog


class Tracker(Protocol):
    """How far an import is; the command line shows it as a bar or as periodic lines."""

    def start(self, description: str, total: int | None) -> None: ...

    def advance(self, rows: int) -> None: ...

    def finish(self) -> None: ...


@dataclass(frozen=True)
class Options:
    skip_invalid: bool = False
    dry_run: bool = False
    defaults: Mapping[str, str] = field(default_factory=dict)
    """category, locality or region for rows that have none."""
    create_organisations: bool = False
    geocoder: Geocoder | None = None
    layers: frozenset[str] | None = None
    """Only placemarks in these layers (a map's folders)."""
    now: datetime | None = None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    merged: int = 0
    """Repeats of a place on a map (in another layer), merged into its first placemark."""
    left_out: int = 0
    """Placemarks outside the layers asked for."""
    rows: int = 0
    row_word: str = "row"
    log: ProblemLog = field(default_factory=ProblemLog)
    warning_log: ProblemLog = field(default_factory=ProblemLog)
    point_ids: list[str] = field(default_factory=list)
    """Ids of the points created, updated or found unchanged, in row order (none for the
    points a dry run would create)."""
    organisations_created: list[str] = field(default_factory=list)
    layers: dict[str, int] = field(default_factory=dict)

    @property
    def problems(self) -> list[Problem]:
        """The problems (the first few thousand), by row."""
        return self.log.problems()

    @property
    def warnings(self) -> list[Problem]:
        return self.warning_log.problems()

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged
