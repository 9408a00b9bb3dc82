"""How far a point is on foot, said honestly: measured on the streets, or estimated.

A walk is *measured* when both ends lie on the imported street network (within
NEZLAM_WALKING_SNAP_M of a street); otherwise it is *estimated* from the straight line, which
streets make about 30 % longer. Answers are ranked by this one figure, measured or estimated,
so a network for another city can never put a point 20 km away above one 10 m away; and a
point more than an hour's walk away is *far*: the public answer says so instead of listing it
as a walk of 4,627 minutes.
"""

from __future__ import annotations

import math
from typing import Any

DETOUR_FACTOR = 1.3  # streets are longer than the straight line (the finder's estimate, too)
# An hour on foot at the usual 4.5 km/h: beyond it a point is not "nearby" for someone cold and
# without transport, however it is measured.
FAR_WALK_M = 4_500.0
WALKING_M_PER_MIN = 4500 / 60  # 4.5 km/h, the default of NEZLAM_WALKING_SPEED_KMH


def estimated_walk_m(straight_m: float, walking_m: float | None = None) -> float:
    """Metres on foot: the walk measured on the streets when there is one, else the straight
    line (great-circle metres) × the detour factor."""
    return walking_m if walking_m is not None else straight_m * DETOUR_FACTOR


def is_far(straight_m: float, walking_m: float | None = None) -> bool:
    """Whether the walk, measured or estimated, is longer than an hour's (FAR_WALK_M)."""
    return estimated_walk_m(straight_m, walking_m) > FAR_WALK_M


def distance_facts(distance_m: float, walking_m: float | None) -> dict[str, Any]:
    """The properties beside a point's distance in an answer: `distance_by` ("walking" where
    `walking_m` was measured on the streets, else "straight_line") and `far`. Give the figures
    as published (a protected point's rounded ones), so `far` reveals nothing more."""
    return {
        "distance_by": "walking" if walking_m is not None else "straight_line",
        "far": is_far(distance_m, walking_m),
    }


def answer_distance_by(answers: int, measured: int) -> str:
    """How an answer's distances were found, for the answer as a whole: "walking" when every
    one of its `answers` points was measured on the streets, "straight_line" when none was,
    "mixed" otherwise (each point's own `distance_by` then says which)."""
    if measured and measured == answers:
        return "walking"
    return "mixed" if measured else "straight_line"


def walking_minutes(
    metres: float | None, walking_m: float | None = None, m_per_min: float = WALKING_M_PER_MIN
) -> int | None:
    """Minutes on foot, rounded up: from the walk on the streets when it was measured, else
    the straight line × the detour factor (an estimate, said as one)."""
    if walking_m is not None:
        return max(1, math.ceil(walking_m / m_per_min))
    if metres is None:
        return None
    return max(1, math.ceil(metres * DETOUR_FACTOR / m_per_min))
