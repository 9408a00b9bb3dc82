"""The dashboard's chart of points over time: two SVG lines drawn by the server (no JavaScript)
— points shown open, and points in doubt (unconfirmed or not responding) beside them — on round
axis ticks, with a legend in words, and the same figures in words and in a table for screen
readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nezlam.web.plumbing.wall_clock import local_zone

CHART_W, CHART_H, LEFT, RIGHT, BOTTOM, TOP = 720, 220, 44, 24, 28, 12  # room for the labels
PLOT_W, PLOT_H = CHART_W - LEFT - RIGHT, CHART_H - BOTTOM - TOP  # inside the axes
MAX_TICKS = 5


def round_ticks(highest: int) -> list[int]:
    """Pure: axis ticks from 0 in a step of 1, 2 or 5 × 10ⁿ, the last at or above `highest`,
    at most MAX_TICKS + 1 of them: 0, 200, 400, 600, 800 for 782 — never 0, 391, 782."""
    highest = max(highest, 1)
    magnitude = 10 ** math.floor(math.log10(highest / MAX_TICKS)) if highest > MAX_TICKS else 1
    step = next(
        m * magnitude for m in (1, 2, 5, 10) if math.ceil(highest / (m * magnitude)) <= MAX_TICKS
    )
    return list(range(0, math.ceil(highest / step) * step + 1, step))


@dataclass(frozen=True)
class Frame:
    """Where the chart draws a count at a moment, in the SVG's viewBox: x by time from `start`,
    y up from the base line to `top` (the highest tick) at the top."""

    start: datetime
    scale: float  # viewBox units per second
    top: int

    def x(self, moment: datetime) -> float:
        return round(LEFT + (moment - self.start).total_seconds() * self.scale, 1)

    def y(self, n: float) -> float:
        return round(TOP + PLOT_H - n / self.top * PLOT_H, 1)

    def line(self, series: list[tuple[datetime, int, int]], counts: list[int]) -> str:
        """The SVG polyline's points of `counts`, one at each moment of `series`."""
        return " ".join(
            f"{self.x(m)},{self.y(n)}" for (m, *_), n in zip(series, counts, strict=True)
        )


def chart(series: list[tuple[datetime, int, int]], days: int, _: Any) -> dict[str, Any]:
    """Geometry of the two lines (in the SVG's viewBox, x by time), the axes, the legend, and the
    words for screen readers. `series` is (moment, open, in doubt) hourly, ending with now."""
    opened = [n for _moment, n, _doubt in series]
    doubted = [d for _moment, _n, d in series]
    ticks = round_ticks(max(max(opened), max(doubted)))
    start, end = series[0][0], series[-1][0]
    frame = Frame(start, PLOT_W / max((end - start).total_seconds(), 1), ticks[-1])
    local = [moment.astimezone(local_zone()) for moment, *_counts in series]
    return {
        "viewbox": f"0 0 {CHART_W} {CHART_H}",
        "points": frame.line(series, opened),
        "doubt_points": frame.line(series, doubted),
        "left": LEFT,
        "right": CHART_W - RIGHT,
        "base": TOP + PLOT_H,
        "y_ticks": [(frame.y(n), n) for n in ticks],
        "x_ticks": [
            (frame.x(moment), when.strftime("%d.%m"))
            for (moment, *_c), when in zip(series, local, strict=True)
            if when.hour == 0 and when.minute == 0
        ],
        "label_y": CHART_H - 6,
        "summary": summary(local, opened, doubted, days, _),
        "table": [
            (when.strftime("%d.%m %H:%M"), n, d)
            for when, n, d in zip(local, opened, doubted, strict=True)
        ],
    }


def summary(local: list[datetime], opened: list[int], doubted: list[int], days: int, _: Any) -> str:
    peak = max(range(len(opened)), key=opened.__getitem__)
    return _(
        "Now {now} open and {doubt} unconfirmed or not responding; at most {peak} open "
        "({peak_at}), at least {low}, over the last {days} days."
    ).format(
        now=opened[-1],
        doubt=doubted[-1],
        peak=opened[peak],
        peak_at=local[peak].strftime("%d.%m %H:%M"),
        low=min(opened),
        days=days,
    )
