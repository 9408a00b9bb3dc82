"""The raw record every import format's reader yields."""

from __future__ import annotations

from typing import Any


class Record(dict[str, Any]):
    """A raw record as its reader found it: field names and values as in the file. `problems`
    are (field, problem) pairs the reader saw that validation cannot (a Polygon where a Point
    belongs); `label` is what people call the record when its number is not enough (a
    placemark's name); `warnings` are (field, problem) pairs worth saying that do not stop the
    import; `layer` is the map's folder the record is in. A plain dict is a record too, without
    any of these."""

    __slots__ = ("problems", "label", "warnings", "layer")

    def __init__(
        self,
        fields: dict[str, Any] | None = None,
        problems: tuple[tuple[str, str], ...] = (),
        label: str | None = None,
        layer: str | None = None,
    ) -> None:
        super().__init__(fields or {})
        self.problems = problems
        self.label = label
        self.warnings: tuple[tuple[str, str], ...] = ()
        self.layer = layer
