"""The demo's needs and pledges."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.store.actor import DEMO
from nezlam.store.needs.pledges import add_pledge, deliver
from nezlam.store.needs.posting import NeedInput, add_need
from nezlam.store.tables import Organisation, Point

# (point id, item, quantity, urgency, details, hours ago, pledges: (organisation slug, share, done))
DEMO_NEEDS = [
    ("kyiv-shevchenko-park-yurt", "diesel", 200, "critical",
     "Генератор працює цілодобово, пального на одну ніч", 3, [("volunteers-kyiv", 0.5, False)]),
    ("kyiv-shevchenko-park-yurt", "tea", 40, "normal", None, 30, [("teplo-cafe", 0.5, True)]),
    ("kyiv-shevchenko-park-yurt", "power_banks", 20, "high", None, 20, []),
    ("bucha-yurt", "blankets", 30, "high", "Вночі приходять родини з дітьми", 8,
     [("kz-yurts", 0.4, True)]),
    ("bucha-yurt", "water", 300, "normal", None, 50, []),
]  # fmt: skip
DEMO_GENERATED_ITEMS = ["diesel", "water", "heaters", "power_banks", "first_aid", "volunteers"]


def demo_needs(session: Session, now: datetime) -> int:
    """A few believable needs and pledges on the demo network's points; returns how many needs.
    Points that do not exist (a smaller demo) are skipped."""
    organisations = dict(session.execute(select(Organisation.slug, Organisation.id)).all())
    existing = set(session.execute(select(Point.id)).scalars())
    rng = random.Random(20221122)
    plan = list(DEMO_NEEDS)
    for i, n in enumerate(range(2, 40, 3)):  # a handful of the generated points
        item = DEMO_GENERATED_ITEMS[i % len(DEMO_GENERATED_ITEMS)]
        quantity = {"diesel": 150, "water": 200, "volunteers": 4}.get(item, rng.choice([5, 10, 20]))
        urgency = ("high", "normal", "critical", "normal", "normal")[i % 5]
        plan.append((f"kyiv-{n:04d}", item, quantity, urgency, None, 2 + i * 5, []))
    added = 0
    for point_id, item, quantity, urgency, details, hours, pledges in plan:
        if point_id not in existing:
            continue
        posted = now - timedelta(hours=hours)
        need = add_need(
            session,
            point_id,
            NeedInput(item, float(quantity), urgency, None, details),
            DEMO,
            posted,
        )
        added += 1
        for slug, share, done in pledges:
            row = add_pledge(
                session, need, organisations.get(slug), quantity * share, None, DEMO, posted
            )
            if done:
                deliver(session, row, need, DEMO, posted + timedelta(hours=1))
    return added
