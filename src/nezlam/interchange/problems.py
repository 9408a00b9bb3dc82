"""What went wrong with an import, kept small however large the file: identical problems are
counted as one kind with the rows it hit ("category: is required — lines 2-200001 (200,000
rows)"), and only the first few thousand are kept one by one.

A row is numbered as the file's reader numbers it: a CSV line (the header is line 1, as in a
spreadsheet), a JSON item, a GeoJSON feature, a KML placemark. Row 0 is the file as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FILE_ROW = 0
KEPT = 5_000  # problems kept one by one; the rest are only counted in their kind
KINDS = 2_000  # distinct kinds kept; the rest are counted under "other problems"


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    problem: str
    label: str | None = None
    """What people call the row when its number is not enough (a placemark's name)."""


@dataclass
class RowRanges:
    """Row numbers in the order they came, as ranges: 200,000 rows in a few bytes."""

    ranges: list[list[int]] = field(default_factory=list)
    count: int = 0
    label: str | None = None

    def add(self, row: int) -> None:
        self.count += 1
        if self.ranges and self.ranges[-1][1] in (row, row - 1):
            self.ranges[-1][1] = row
        else:
            self.ranges.append([row, row])

    @property
    def first(self) -> int:
        return self.ranges[0][0]

    def text(self, word: str, most: int = 6) -> str:
        """'lines 2-9, 12' ('line 4' alone); at most `most` ranges, then '…'."""
        parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in self.ranges[:most]]
        more = ", …" if len(self.ranges) > most else ""
        single = self.count == 1
        return f"{word if single else word + 's'} {', '.join(parts)}{more}"


@dataclass
class ProblemLog:
    """Problems as they are found, grouped by (field, problem)."""

    kept: list[Problem] = field(default_factory=list)
    kinds: dict[tuple[str, str], RowRanges] = field(default_factory=dict)
    total: int = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.kept) < KEPT:
            self.kept.append(problem)
        key = (problem.field, problem.problem)
        if key not in self.kinds and len(self.kinds) >= KINDS:
            key = ("row", "other problems (too many kinds to list)")
        ranges = self.kinds.setdefault(key, RowRanges())
        if ranges.count == 0:
            ranges.label = problem.label
        ranges.add(problem.row)

    def __bool__(self) -> bool:
        return self.total > 0

    def problems(self) -> list[Problem]:
        return sorted(self.kept, key=lambda problem: problem.row)

    def summary(self, word: str, most: int = 30, noun: str = "problem") -> list[str]:
        """One line per kind of problem, in the order of the first row each hit; at most `most`
        lines, then how many kinds were left out."""
        kinds = sorted(self.kinds.items(), key=lambda item: item[1].first)
        lines = [summary_line(key, ranges, word) for key, ranges in kinds[:most]]
        if len(kinds) > most:
            lines.append(f"… and {len(kinds) - most:,} more kinds of {noun}")
        return lines


def summary_line(key: tuple[str, str], ranges: RowRanges, word: str) -> str:
    name, problem = key
    if ranges.ranges == [[FILE_ROW, FILE_ROW]]:
        return f"the file: {name}: {problem}"
    where = ranges.text(word)
    if ranges.count == 1 and ranges.label:
        where += f" «{ranges.label}»"
    count = f" ({ranges.count:,} {word}s)" if ranges.count > 1 else ""
    return f"{name}: {problem} — {where}{count}"
