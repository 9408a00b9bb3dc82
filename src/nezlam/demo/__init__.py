"""The demo network: the two Kazakh yurts of invincibility, and a Kyiv-scale network of about
1,300 generated points across Kyiv's ten districts.

The generator is deterministic (a fixed seed): the same points, places and histories every time;
only the report times are relative to the moment of loading, so some points are fresh, some stale
and some silent, as in a real network. Every generated point is marked `demo`.

The parts: `network` (the yurts, the organisations, the generated points), `history` (what they
reported), `places` (what the gazetteer finds), `users` (who signs in); `load` puts them all in
a database.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nezlam.demo.history import generate_history, occupancy
from nezlam.demo.network import (
    DISTRICTS,
    KYIV,
    KYIV_OBLAST,
    ORG_FOR_TEMPLATE,
    ORGANISATIONS,
    SEED,
    TEMPLATES,
    YURTS,
    generate_points,
    pharmacy_hours,
)
from nezlam.demo.places import STREET_OF_ADDRESS, gazetteer_records
from nezlam.demo.users import DEMO_ACCOUNTS, DEMO_APPLICANT, DemoAccount, create_accounts
from nezlam.domain.points import PointCreate, ReportCreate
from nezlam.places.store import add_places
from nezlam.store import accounts, onboarding, points, reports
from nezlam.store.actor import DEMO
from nezlam.store.needs import demo_needs
from nezlam.store.tables import utcnow

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_APPLICANT",
    "DISTRICTS",
    "KYIV",
    "KYIV_OBLAST",
    "ORGANISATIONS",
    "ORG_FOR_TEMPLATE",
    "SEED",
    "STREET_OF_ADDRESS",
    "TEMPLATES",
    "YURTS",
    "DemoAccount",
    "gazetteer_records",
    "generate_history",
    "generate_points",
    "load",
    "occupancy",
    "pharmacy_hours",
]


def load(
    session: Session,
    now: datetime | None = None,
    count: int = 1300,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Load the demo network into an empty database."""
    now = now or utcnow()
    for org in ORGANISATIONS:
        accounts.create_organisation(session, org, DEMO)
    _load_yurts(session, now)
    generated = generate_points(count)
    _load_generated(session, generated, now, progress)
    add_places(session, "demo", gazetteer_records(generated))
    create_accounts(session, DEMO_ACCOUNTS)  # read here, so a test can do without them
    # What coordinators have to work with: needs and pledges, an application to decide.
    needs = demo_needs(session, now)
    application = onboarding.demo_applications(session, now)
    return {
        "organisations": len(ORGANISATIONS),
        "points": len(YURTS) + len(generated),
        "accounts": len(DEMO_ACCOUNTS),
        "needs": needs,
        "awaiting_approval": len(application.point_ids),
    }


def _load_yurts(session: Session, now: datetime) -> None:
    """The yurts, open on their generators 25 minutes ago."""
    for yurt in YURTS:
        points.create_point(session, yurt, DEMO, demo=True, now=now)
        reports.add_report(
            session,
            yurt.id or "",
            ReportCreate(
                status="open",
                power="generator",
                heating=True,
                internet=True,
                occupancy=12,
                fuel_litres=140.0,
            ),
            DEMO,
            source="demo",
            now=now - timedelta(minutes=25),
        )


def _load_generated(
    session: Session,
    generated: list[PointCreate],
    now: datetime,
    progress: Callable[[int], None] | None,
) -> None:
    """The generated points, created a month ago, each with its history of reports."""
    rng = random.Random(SEED + 1)  # the histories' own draws, apart from the points'
    for i, data in enumerate(generated):
        points.create_point(session, data, DEMO, demo=True, now=now - timedelta(days=30))
        for moment, report in generate_history(rng, now, data.capacity or 50):
            reports.add_report(session, data.id or "", report, DEMO, source="demo", now=moment)
        if progress is not None:
            progress(i + 1)
