"""The dashboard's chart of open points over time: an SVG line drawn by the server (no
JavaScript), with its axes and the same figures in words and in a table for screen readers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nezlam.web.coordinate_words import LOCAL

CHART_W, CHART_H, LEFT, RIGHT, BOTTOM, TOP = 720, 220, 44, 24, 28, 12  # room for the labels


def chart(series: list[tuple[datetime, int]], days: int, _: Any) -> dict[str, Any]:
    """Geometry of the SVG line (in its viewBox, x by time), its axes, and its words for screen
    readers. `series` is hourly, ending with the present moment."""
    counts = [n for _moment, n in series]
    top = max(max(counts), 1)
    width, height = CHART_W - LEFT - RIGHT, CHART_H - BOTTOM - TOP
    start, end = series[0][0], series[-1][0]
    scale = width / max((end - start).total_seconds(), 1)

    def x(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() * scale, 1)

    def y(n: float) -> float:
        return round(TOP + height - n / top * height, 1)

    local = [(moment.astimezone(LOCAL), n) for moment, n in series]
    peak = max(range(len(counts)), key=counts.__getitem__)
    summary = _(
        "Now {now} open; at most {peak} ({peak_at}), at least {low} over the last {days} days."
    ).format(
        now=counts[-1],
        peak=counts[peak],
        peak_at=local[peak][0].strftime("%d.%m %H:%M"),
        low=min(counts),
        days=days,
    )
    return {
        "viewbox": f"0 0 {CHART_W} {CHART_H}",
        "points": " ".join(f"{x(moment)},{y(n)}" for moment, n in series),
        "left": LEFT,
        "right": CHART_W - RIGHT,
        "base": TOP + height,
        "y_ticks": [(y(n), n) for n in sorted({0, top // 2, top})],
        "x_ticks": [
            (x(moment), when.strftime("%d.%m"))
            for (moment, _n), (when, _m) in zip(series, local, strict=True)
            if when.hour == 0 and when.minute == 0
        ],
        "label_y": CHART_H - 6,
        "summary": summary,
        "table": [(when.strftime("%d.%m %H:%M"), n) for when, n in local],
    }
