"""Organisations: created (`free_slug` makes a slug from a name), renamed, listed, and where each
works (the regions of its points and of its pending applications), which decides who may give
one a point."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import OrganisationScope, Principal, can_give_point_to
from nezlam.domain.points import OrganisationCreate, OrganisationUpdate
from nezlam.domain.transliteration import fold
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.tables import Application, Organisation, Point, RoleGrant, User


def create_organisation(session: Session, data: OrganisationCreate, actor: Actor) -> Organisation:
    if session.execute(select(Organisation).where(Organisation.slug == data.slug)).scalar():
        raise Conflict(f"organisation {data.slug!r} already exists", field="slug")
    org = Organisation(slug=data.slug, name=data.name, kind=str(data.kind), phone=data.phone)
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="organisation",
        entity_id=org.id,
        action="create",
        before=None,
        after={"slug": org.slug, "name": org.name, "kind": org.kind},
    )
    return org


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.execute(select(Organisation).order_by(Organisation.slug)).scalars())


def organisation_names_by_slug(session: Session) -> dict[str, str]:
    rows = session.execute(select(Organisation.slug, Organisation.name))
    return {slug: name for slug, name in rows}


def update_organisation(
    session: Session, slug: str, data: OrganisationUpdate, actor: Actor
) -> Organisation:
    org = session.execute(select(Organisation).where(Organisation.slug == slug)).scalar()
    if org is None:
        raise NotFound(f"no organisation {slug!r}", field="slug")
    fields = ("name", "kind", "phone")
    before = audit.snapshot(org, fields)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name != "phone":
            raise Invalid("must not be null", field=name)
        setattr(org, name, str(value) if name == "kind" else value)
    audit.record(
        session,
        actor=actor,
        entity="organisation",
        entity_id=org.id,
        action="update",
        before=before,
        after=audit.snapshot(org, fields),
    )
    return org


def organisation_scopes(
    session: Session, organisation_ids: Iterable[int]
) -> dict[int, OrganisationScope]:
    """Where each organisation works: the regions of its points (hidden ones too: an
    application's points are hidden until approved) and of its pending applications."""
    wanted = sorted(set(organisation_ids))
    if not wanted:
        return {}
    found: dict[int, set[str]] = {org_id: set() for org_id in wanted}
    points = select(Point.organisation_id, Point.region).where(Point.organisation_id.in_(wanted))
    pending = select(Application.organisation_id, Application.region).where(
        Application.organisation_id.in_(wanted), Application.status == "pending"
    )
    for org_id, region in [*session.execute(points.distinct()), *session.execute(pending)]:
        if org_id is not None:  # never: IN matches no null
            found[org_id].add(region)
    members = select(User.organisation_id).where(User.organisation_id.in_(wanted))
    operators = select(RoleGrant.organisation_id).where(RoleGrant.organisation_id.in_(wanted))
    peopled = {
        int(org_id)
        for org_id in session.execute(members.union(operators)).scalars()
        if org_id is not None  # never: IN matches no null
    }
    return {
        org_id: OrganisationScope(org_id, frozenset(regions), org_id in peopled)
        for org_id, regions in found.items()
    }


def organisation_scope(session: Session, slug: str) -> OrganisationScope | None:
    """The organisation named by `slug` and where it works; None if there is none."""
    org_id = session.execute(select(Organisation.id).where(Organisation.slug == slug)).scalar()
    return None if org_id is None else organisation_scopes(session, [int(org_id)])[int(org_id)]


def check_may_give_point_to(session: Session, principal: Principal, slug: str | None) -> None:
    """Forbidden, naming the field, unless `principal` may make the organisation `slug` run a
    point (see `permissions.can_give_point_to`); no organisation is always fine."""
    if slug is None:
        return
    organisation = organisation_scope(session, slug)
    if organisation is not None and not can_give_point_to(principal, organisation):
        raise Forbidden(
            "this organisation works beyond your regions; an admin may give it this point",
            field="organisation",
        )


def free_slug(session: Session, name: str) -> str:
    """A URL-safe organisation slug from its name (transliterated), made unique."""
    base = "-".join(fold(name).split())[:48].strip("-") or "organisation"
    if len(base) < 2:
        base = f"org-{base}"
    slug = base
    while session.execute(select(Organisation.id).where(Organisation.slug == slug)).first():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug
