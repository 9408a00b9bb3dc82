"""What the demo's points have reported: a short history each, relative to the moment of
loading, so that some points are fresh, some stale and some silent, as in a real network."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from nezlam.domain.points import ReportCreate


def generate_history(
    rng: random.Random, now: datetime, capacity: int = 50
) -> list[tuple[datetime, ReportCreate]]:
    """A point's recent reports, oldest first: mostly fresh, some stale, some silent. Nobody
    counts more people inside than the point has places; a full point is full."""
    roll = rng.random()
    if roll < 0.06:
        return []  # never reported
    if roll < 0.14:
        start = now - timedelta(hours=rng.uniform(25, 60))  # silent: no_response
    elif roll < 0.30:
        start = now - timedelta(hours=rng.uniform(7, 20))  # open but stale: unconfirmed
    else:
        start = now - timedelta(hours=rng.uniform(0.2, 5))
    status = rng.choices(["open", "standby", "full", "closed"], [0.78, 0.1, 0.05, 0.07])[0]
    power = rng.choices(["grid", "generator", "battery", "none"], [0.35, 0.5, 0.12, 0.03])[0]
    history = [
        (
            start - timedelta(hours=rng.uniform(1, 4)),
            ReportCreate(status="open", power="grid", heating=True, internet=True),
        )
    ]
    history.append(
        (
            start,
            ReportCreate(
                status=status,
                power=power,
                heating=status != "closed",
                internet=rng.random() < 0.85,
                occupancy=occupancy(rng, status, capacity),
                fuel_litres=round(rng.uniform(5, 200), 1) if power == "generator" else None,
            ),
        )
    )
    return history


def occupancy(rng: random.Random, status: str, capacity: int) -> int:
    draw = rng.randrange(0, 50)  # drawn whatever the status, so each history draws alike
    if status == "full":
        return capacity
    return min(draw, capacity - 1) if status == "open" else 0
