"""Organisations that open points themselves: the application, and a coordinator's decision.

An application creates everything at once — the organisation, its account (operating each of its
points), the points and the application itself — in the caller's one transaction, so a refused
field leaves nothing behind. The points are `hidden`, which keeps them out of every public view,
until a coordinator of the region approves; approving makes them `public` through
`points.update_point`, which audits the change and bumps the change sequence (the public finder
shows them within the index poll, about a second).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nezlam.domain import opening_hours
from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal, can_change_visibility
from nezlam.domain.points import (
    USERNAME_PATTERN,
    Latitude,
    Longitude,
    OrganisationCreate,
    Phone,
    PointCreate,
    PointUpdate,
    RoleGrantCreate,
    ServiceCode,
    Strict,
    UserCreate,
    check_services,
)
from nezlam.domain.vocabulary import Category, OrganisationKind, Role, Visibility
from nezlam.store import accounts, audit
from nezlam.store import points as point_store
from nezlam.store.accounts import free_slug
from nezlam.store.actor import DEMO, Actor
from nezlam.store.db import rows_matched
from nezlam.store.tables import Application, Organisation, Point, RoleGrant, User

MAX_POINTS = 3
DECISION_FIELDS = ("status", "decided_at", "decided_by", "decision_note")
# Who runs it decides how a resident's finder files the point.
CATEGORY_OF_KIND = {
    OrganisationKind.MUNICIPALITY: Category.STATE,
    OrganisationKind.EMERGENCY_SERVICE: Category.STATE,
}


class ApplicationPoint(Strict):
    """One point an organisation offers to open."""

    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=300)
    locality: str = Field(min_length=1, max_length=120)
    lat: Latitude
    lon: Longitude
    services: list[ServiceCode] = Field(default_factory=list, max_length=100)
    opening_hours: str | None = Field(None, max_length=500)
    capacity: int | None = Field(None, ge=0, le=100_000)

    _services = field_validator("services")(lambda cls, v: check_services(v))

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return opening_hours.validate(value)
        except opening_hours.OpeningHoursError as exc:
            raise ValueError(str(exc)) from exc


class ApplicationCreate(Strict):
    """What an organisation fills in on /apply."""

    organisation_name: str = Field(min_length=1, max_length=200)
    organisation_kind: OrganisationKind
    contact_name: str = Field(min_length=1, max_length=200)
    phone: Phone
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=10, max_length=200)
    region: str = Field(min_length=1, max_length=120)
    message: str | None = Field(None, max_length=1000)
    points: list[ApplicationPoint] = Field(min_length=1, max_length=MAX_POINTS)


@dataclass(frozen=True)
class ApplicationView:
    """An application as a coordinator reads it."""

    application: Application
    organisation: Organisation
    points: list[Point]
    applicant: str | None
    decided_by: str | None


def known_regions(session: Session) -> list[str]:
    """Regions an application may name: those with points or with a coordinator."""
    with_points = select(Point.region).distinct()
    coordinated = select(RoleGrant.region).where(
        RoleGrant.role == Role.COORDINATOR, RoleGrant.region.is_not(None)
    )
    found = set(session.execute(with_points).scalars()) | set(
        session.execute(coordinated).scalars()
    )
    return sorted(r for r in found if r)


def submit_application(
    session: Session,
    data: ApplicationCreate,
    now: datetime,
    *,
    demo: bool = False,
) -> Application:
    """Create the organisation, its account, its hidden points and the pending application.
    Raises Invalid/Conflict naming the field; the caller's transaction then writes nothing."""
    if data.region not in known_regions(session):
        raise Invalid("choose one of the listed regions", field="region")
    if session.execute(select(User.id).where(User.username == data.username)).first():
        raise Conflict("this username is taken; choose another", field="username")
    newcomer = DEMO if demo else Actor(f"apply:{data.username}")
    org, user = _create_account(session, data, newcomer)
    applicant = DEMO if demo else Actor(f"user:{user.username}", user_id=user.id)
    point_ids = _create_offered_points(session, data, org, user, applicant, demo=demo, now=now)
    application = Application(
        organisation_id=org.id,
        user_id=user.id,
        region=data.region,
        contact_name=data.contact_name,
        phone=data.phone,
        message=data.message or None,
        point_ids=point_ids,
        status="pending",
        submitted_at=now,
    )
    session.add(application)
    session.flush()
    record(session, application, applicant, "submit", None, now)
    return application


def _create_account(
    session: Session, data: ApplicationCreate, newcomer: Actor
) -> tuple[Organisation, User]:
    """The applying organisation, under a free slug, and its contact's user account in it."""
    org = accounts.create_organisation(
        session,
        OrganisationCreate(
            slug=free_slug(session, data.organisation_name),
            name=data.organisation_name,
            kind=data.organisation_kind,
            phone=data.phone,
        ),
        newcomer,
    )
    user = accounts.create_user(
        session,
        UserCreate(
            username=data.username,
            password=data.password,
            display_name=data.contact_name,
            organisation=org.slug,
        ),
        newcomer,
    )
    return org, user


def _create_offered_points(
    session: Session,
    data: ApplicationCreate,
    org: Organisation,
    user: User,
    applicant: Actor,
    *,
    demo: bool,
    now: datetime,
) -> list[str]:
    """The offered points, hidden until approved, each operated by the applicant's account.
    Returns their ids, in the order offered."""
    category = CATEGORY_OF_KIND.get(data.organisation_kind, Category.BUSINESS)
    point_ids = []
    for offered in data.points:
        point = point_store.create_point(
            session,
            point_create(offered, data, org.slug, category),
            applicant,
            demo=demo,
            now=now,
        )
        accounts.grant_role(
            session, user, RoleGrantCreate(role="operator", point_id=point.id), applicant
        )
        point_ids.append(point.id)
    return point_ids


def point_create(
    offered: ApplicationPoint, data: ApplicationCreate, slug: str, category: Category
) -> PointCreate:
    return PointCreate(
        name={"uk": offered.name},
        category=category,
        organisation=slug,
        phone=data.phone,
        lat=offered.lat,
        lon=offered.lon,
        address=offered.address,
        locality=offered.locality,
        region=data.region,
        visibility=Visibility.HIDDEN,
        services=offered.services,
        capacity=offered.capacity,
        opening_hours=offered.opening_hours,
    )


def record(
    session: Session,
    application: Application,
    actor: Actor,
    action: str,
    before: dict[str, object] | None,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=actor,
        entity="application",
        entity_id=application.id,
        action=action,
        before=before,
        after=audit.snapshot(application, ("region", "point_ids", *DECISION_FIELDS)),
        at=now,
    )


def visible_application(session: Session, application_id: int, principal: Principal) -> Application:
    """The application, if `principal` coordinates its region; NotFound otherwise (another
    region's coordinator learns nothing, not even that it exists)."""
    application = session.get(Application, application_id)
    if application is None or not principal.coordinates_region(application.region):
        raise NotFound(f"no application {application_id}", field="application")
    return application


def decide(
    session: Session,
    application_id: int,
    principal: Principal,
    *,
    approve: bool,
    note: str | None,
    now: datetime,
) -> list[Point]:
    """Approve (its hidden points become public) or reject (they stay hidden) a pending
    application; returns the points made public. Only a coordinator of its region decides, and
    only once: a second decision, even a simultaneous one, is refused."""
    application = visible_application(session, application_id, principal)
    note = (note or "").strip() or None
    if not approve and not note:
        raise Invalid("say why, so that the organisation can be told", field="note")
    if note and len(note) > 500:
        raise Invalid("at most 500 characters", field="note")
    before = audit.snapshot(application, DECISION_FIELDS)
    claimed = session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status == "pending")
        .values(
            status="approved" if approve else "rejected",
            decided_at=now,
            decided_by=principal.user_id,
            decision_note=note,
        )
        .execution_options(synchronize_session=False)
    )
    if rows_matched(claimed) != 1:
        raise Conflict("this application has already been decided", field="application")
    session.refresh(application)
    actor = Actor.of(principal)
    published = publish_points(session, application, principal, actor, now) if approve else []
    record(session, application, actor, "approve" if approve else "reject", before, now)
    return published


def publish_points(
    session: Session, application: Application, principal: Principal, actor: Actor, now: datetime
) -> list[Point]:
    """Make the application's still-hidden points public (a point a coordinator has meanwhile
    protected keeps its protection)."""
    published = []
    for point_id in application.point_ids:
        point = point_store.get_point(session, point_id, for_update=True)
        if point.visibility != Visibility.HIDDEN:
            continue
        if not can_change_visibility(principal, point_store.scope_of(point), point.region):
            raise Forbidden(f"point {point_id} is not in your regions", field="application")
        published.append(
            point_store.update_point(
                session, point_id, PointUpdate(visibility=Visibility.PUBLIC), actor, now=now
            )
        )
    return published


def pending_applications(session: Session, regions: frozenset[str] | None) -> list[ApplicationView]:
    """Pending applications of `regions` (None: every region), oldest first."""
    query = select(Application).where(Application.status == "pending")
    return views_of(session, in_regions(query, regions).order_by(Application.submitted_at))


def recent_decisions(
    session: Session, regions: frozenset[str] | None, limit: int = 20
) -> list[ApplicationView]:
    query = select(Application).where(Application.status != "pending")
    query = in_regions(query, regions).order_by(Application.decided_at.desc()).limit(limit)
    return views_of(session, query)


def in_regions(query, regions: frozenset[str] | None):  # type: ignore[no-untyped-def]
    return query if regions is None else query.where(Application.region.in_(sorted(regions)))


def views_of(session: Session, query) -> list[ApplicationView]:  # type: ignore[no-untyped-def]
    applications = list(session.execute(query).scalars())
    org_ids = {a.organisation_id for a in applications}
    organisations = {
        o.id: o
        for o in session.execute(select(Organisation).where(Organisation.id.in_(org_ids))).scalars()
    }
    point_ids = {p for a in applications for p in a.point_ids}
    points = {
        p.id: p for p in session.execute(select(Point).where(Point.id.in_(point_ids))).scalars()
    }
    user_ids = {a.user_id for a in applications} | {a.decided_by for a in applications}
    names = dict(
        session.execute(select(User.id, User.username).where(User.id.in_(user_ids - {None}))).all()
    )
    return [
        ApplicationView(
            application=a,
            organisation=organisations[a.organisation_id],
            points=[points[p] for p in a.point_ids if p in points],
            applicant=names.get(a.user_id),
            decided_by=names.get(a.decided_by),
        )
        for a in applications
    ]


def demo_applications(session: Session, now: datetime) -> Application:
    """One pending application for the demo: a company that brought a yurt to Obolon, waiting
    for the Kyiv coordinator (`coordinator`) to approve it on /coordinate/applications."""
    return submit_application(
        session,
        ApplicationCreate(
            organisation_name="ТОВ «Дала Юрт»",
            organisation_kind=OrganisationKind.BUSINESS,
            contact_name="Айгерім Сейткали",
            phone="+380 67 000 2023",
            username="dala-yurt",
            password="dala-yurt-demo-2022",
            region="Київ",
            message=(
                "Привезли й поставили юрту з генератором і Starlink; готові відчинити, "
                "щойно координатор погодить."
            ),
            points=[
                ApplicationPoint(
                    name="Юрта незламності на Оболоні",
                    address="просп. Оболонський, 1",
                    locality="Київ",
                    lat=50.50150,
                    lon=30.49800,
                    services=["heat", "power", "hot_drinks", "satellite_internet"],
                    opening_hours="24/7",
                    capacity=40,
                )
            ],
        ),
        now - timedelta(hours=3),
        demo=True,
    )
