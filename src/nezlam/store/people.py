"""Who a coordinator answers for: the users in their scope, with the roles they may see.

A coordinator sees the operators of points in their regions (by the point, or by an
organisation running one there), the members of organisations working there and those who
applied there; an admin sees everyone. Roles outside the coordinator's regions are counted, not
shown. Whether a coordinator may manage someone they see is `permissions.can_manage_user`, the
rule the API applies too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nezlam.domain.errors import Forbidden, Invalid, NotFound
from nezlam.domain.permissions import (
    Grant,
    PointScope,
    Principal,
    UserScope,
    can_create_user,
    can_grant,
    can_grant_to,
    can_manage_user,
    works_in_regions,
)
from nezlam.domain.points import RoleGrantCreate, UserCreate, UserUpdate
from nezlam.domain.transliteration import fold
from nezlam.domain.vocabulary import Role
from nezlam.store import accounts, channel_links, resets
from nezlam.store import points as point_store
from nezlam.store.actor import Actor
from nezlam.store.tables import Application, Organisation, Point, RoleGrant, User

CHOICES_LIMIT = 3000  # points offered for a new operator role, by name
MATCHES_LIMIT = 20  # points offered to choose from after a search
LABEL_ID = re.compile(r"\(([^()\s]+)\)\s*$")  # the "(id)" a choice's label ends with


@dataclass(frozen=True)
class RoleView:
    grant: RoleGrant
    point_name: str | None
    organisation: str | None
    revocable: bool  # who may grant a role may take it back


@dataclass
class PersonView:
    user: User
    organisation: str | None
    roles: list[RoleView] = field(default_factory=list)
    other_roles: int = 0  # roles outside the viewer's regions
    manageable: bool = False  # may deactivate and issue a reset link
    grantable: bool = False  # may be given an operator role on a point of the viewer's regions
    phones: list[str] = field(default_factory=list)  # numbers linked for SMS (channel_links)


def users_in_scope(
    session: Session, principal: Principal, only: int | None = None
) -> list[PersonView]:
    """The users `principal` looks after, by username (`only`: just that one, if in scope)."""
    query = select(User).order_by(User.username)
    if only is not None:
        query = query.where(User.id == only)
    if not principal.is_admin:
        query = query.where(User.id.in_(scope_user_ids(principal.regions)))
    users = list(session.execute(query).scalars())
    scopes = accounts.user_scopes(session, {u.id: u.organisation_id for u in users})
    grants = grants_by_user(session, [u.id for u in users])
    names = point_names(session, {g.point_id for gs in grants.values() for g in gs if g.point_id})
    organisations = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    phones = channel_links.addresses_by_user(session, [u.id for u in users], "sms")
    people = []
    for user in users:
        scope = scopes[user.id]
        person = PersonView(user, organisations.get(user.organisation_id or -1))
        for grant in grants.get(user.id, []):
            if principal.is_admin or sees(grant, principal.regions, scope):
                org = organisations.get(grant.organisation_id or -1)
                region = scope.point_regions.get(grant.point_id or "")
                revocable = may_grant(principal, as_grant(grant), region)
                person.roles.append(
                    RoleView(grant, names.get(grant.point_id or ""), org, revocable)
                )
            else:
                person.other_roles += 1
        person.manageable = can_manage_user(principal, scope)
        person.phones = phones.get(user.id, []) if person.manageable else []
        person.grantable = principal.is_admin or works_in_regions(principal, scope)
        people.append(person)
    return people


def may_grant(principal: Principal, grant: Grant, point_region: str | None) -> bool:
    scope = (
        PointScope(grant.point_id, point_region, None) if grant.point_id and point_region else None
    )
    return can_grant(principal, grant, scope)


def scope_user_ids(regions: frozenset[str]):  # type: ignore[no-untyped-def]
    """A subquery: users operating points of `regions`, members of organisations working
    there, and those who applied there."""
    wanted = sorted(regions)
    regional_points = select(Point.id).where(Point.region.in_(wanted))
    regional_orgs = (
        select(Point.organisation_id)
        .where(Point.region.in_(wanted), Point.organisation_id.is_not(None))
        .union(
            select(Application.organisation_id).where(
                Application.region.in_(wanted), Application.status == "pending"
            )
        )
    )
    operators = select(RoleGrant.user_id).where(
        RoleGrant.role == Role.OPERATOR,
        or_(
            RoleGrant.point_id.in_(regional_points),
            RoleGrant.organisation_id.in_(regional_orgs),
        ),
    )
    members = select(User.id).where(User.organisation_id.in_(regional_orgs))
    applicants = select(Application.user_id).where(
        Application.region.in_(wanted), Application.user_id.is_not(None)
    )
    return operators.union(members, applicants)


def sees(grant: RoleGrant, regions: frozenset[str], scope: UserScope) -> bool:
    """Whether a coordinator of `regions` is shown this role."""
    if grant.point_id:
        return scope.point_regions.get(grant.point_id) in regions
    if grant.organisation_id:
        organisation = scope.organisations.get(grant.organisation_id)
        return organisation is not None and bool(organisation.regions & regions)
    return grant.role == Role.COORDINATOR and grant.region in regions


def grants_by_user(session: Session, user_ids: list[int]) -> dict[int, list[RoleGrant]]:
    found: dict[int, list[RoleGrant]] = {}
    query = select(RoleGrant).where(RoleGrant.user_id.in_(user_ids)).order_by(RoleGrant.id)
    for grant in session.execute(query).scalars():
        found.setdefault(grant.user_id, []).append(grant)
    return found


def as_grant(row: RoleGrant) -> Grant:
    return Grant(
        role=Role(row.role),
        region=row.region,
        point_id=row.point_id,
        organisation_id=row.organisation_id,
    )


def point_names(session: Session, point_ids: set[str]) -> dict[str, str]:
    rows = session.execute(select(Point.id, Point.name).where(Point.id.in_(point_ids)))
    return {point_id: str(name.get("uk", point_id)) for point_id, name in rows}


def person_in_scope(session: Session, principal: Principal, user_id: int) -> PersonView:
    """One user of the viewer's scope; NotFound for anyone else (nothing told about them)."""
    for person in users_in_scope(session, principal, only=user_id):
        return person
    raise NotFound(f"no user {user_id}", field="user")


@dataclass(frozen=True)
class PointChoice:
    id: str
    label: str  # what the coordinator reads and types: "name · locality (id)"
    words: tuple[str, ...] = ()  # of its name in every language, locality and address, folded


def point_choices(
    session: Session, principal: Principal, limit: int | None = CHOICES_LIMIT
) -> list[PointChoice]:
    """The points the viewer may give an operator role on (their regions'; every one for an
    admin), by name."""
    query = select(Point.id, Point.name, Point.locality, Point.address)
    if not principal.is_admin:
        query = query.where(Point.region.in_(sorted(principal.regions)))
    choices = [
        PointChoice(
            point_id,
            f"{name.get('uk') or point_id} · {locality} ({point_id})",
            tuple(
                fold(" ".join([*map(str, name.values()), locality or "", address or ""])).split()
            ),
        )
        for point_id, name, locality, address in session.execute(query.limit(limit))
    ]
    return sorted(choices, key=lambda choice: (fold(choice.label), choice.id))


def starts_a_word(asked: str, words: tuple[str, ...]) -> bool:
    return any(word.startswith(asked) for word in words)


class PointNotChosen(Invalid):
    """Several points match what was typed: the form asks which one is meant."""

    def __init__(self, matches: list[PointChoice]) -> None:
        super().__init__("several points match; choose one", field="point_id")
        self.matches = matches


def chosen_point(session: Session, principal: Principal, typed: str) -> str:
    """The point of the viewer's regions that `typed` names: a label as the list offers it, an
    id, or words of its name (in any language), locality or address. Invalid when none does;
    PointNotChosen with the candidates when several do."""
    typed = typed.strip()
    if not typed:
        raise Invalid("choose a point", field="point_id")
    choices = point_choices(session, principal, limit=None)
    by_id = {choice.id: choice for choice in choices}
    labelled = LABEL_ID.search(typed)
    for point_id in (labelled[1] if labelled else None, typed):
        if point_id in by_id:
            return point_id
    asked = fold(typed).split()
    matches = [c for c in choices if asked and all(starts_a_word(a, c.words) for a in asked)]
    if len(matches) == 1:
        return matches[0].id
    if not matches:
        raise Invalid("no point of your regions is called that", field="point_id")
    raise PointNotChosen(matches[:MATCHES_LIMIT])


def managed_target(session: Session, principal: Principal, user_id: int) -> User:
    """The user, if the viewer may manage them (deactivate, reset): Forbidden otherwise."""
    person = person_in_scope(session, principal, user_id)
    if not person.manageable:
        raise Forbidden("you may not manage this user", field="user")
    return person.user


# --- Changes, each checked against the viewer's rights, each audited ---------------------------


def operator_grant(
    session: Session, principal: Principal, point_id: str, target: UserScope | None = None
) -> RoleGrantCreate:
    """An operator role on `point_id`, if the viewer may give it (to `target`, an existing
    user); Invalid names the field for a point that is not theirs to give."""
    point = session.get(Point, point_id) if point_id else None
    wanted = Grant(role=Role.OPERATOR, point_id=point_id)
    if point is None or not can_grant(principal, wanted, point_store.scope_of(point)):
        raise Invalid("not a point of your regions", field="point_id")
    if target is not None and not can_grant_to(
        principal, target, wanted, point_store.scope_of(point)
    ):
        raise Forbidden("this user works in none of your regions", field="user")
    return RoleGrantCreate(role="operator", point_id=point_id)


def create_operator(
    session: Session, principal: Principal, data: UserCreate, point_id: str, now: datetime
) -> tuple[User, str]:
    """A new user operating one point of the viewer's regions, and a one-time link to set their
    password (the user has none until then)."""
    actor = Actor.of(principal)
    role = operator_grant(session, principal, point_id)
    point = point_store.scope_of(point_store.get_point(session, point_id))
    if not can_create_user(principal, None, point):
        raise Forbidden("you may not create users", field="user")
    user = accounts.create_user(session, data, actor)
    accounts.grant_role(session, user, role, actor)
    return user, resets.issue(session, user, actor, now)


def grant_operator(session: Session, principal: Principal, user_id: int, typed: str) -> None:
    """An operator role for a user of the viewer's scope, on the point `typed` names (see
    `chosen_point`); nothing about the user is told to a viewer who does not see them."""
    user = person_in_scope(session, principal, user_id).user
    point_id = chosen_point(session, principal, typed)
    role = operator_grant(session, principal, point_id, accounts.user_scope(session, user))
    held = session.execute(
        select(RoleGrant.id).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role == Role.OPERATOR,
            RoleGrant.point_id == point_id,
        )
    ).first()
    if held is None:
        accounts.grant_role(session, user, role, Actor.of(principal))


def revoke(session: Session, principal: Principal, user_id: int, grant_id: int) -> None:
    person = person_in_scope(session, principal, user_id)
    role = next((r for r in person.roles if r.grant.id == grant_id), None)
    if role is None:
        raise NotFound(f"no role {grant_id} of this user", field="grant_id")
    if not role.revocable:
        raise Forbidden("you may not take this role away", field="grant_id")
    accounts.revoke_role(session, grant_id, Actor.of(principal))


def set_active(session: Session, principal: Principal, user_id: int, active: bool) -> None:
    if user_id == principal.user_id:
        raise Forbidden("you cannot deactivate yourself", field="user")
    user = managed_target(session, principal, user_id)
    accounts.update_user(session, user, UserUpdate(is_active=active), Actor.of(principal))


def issue_reset(
    session: Session, principal: Principal, user_id: int, now: datetime
) -> tuple[User, str]:
    """A one-time reset link for a user the viewer manages (never an admin or a coordinator,
    for a coordinator)."""
    user = managed_target(session, principal, user_id)
    if not user.is_active:
        raise Invalid("reactivate the user first", field="user")
    return user, resets.issue(session, user, Actor.of(principal), now)


def link_phone(
    session: Session, principal: Principal, user_id: int, phone: str, now: datetime
) -> str:
    """Link an SMS number to a user the viewer manages: their status words by SMS from it are
    their reports. Returns the number as kept (E.164)."""
    user = managed_target(session, principal, user_id)
    return channel_links.link(session, user.username, "sms", phone, Actor.of(principal), now)


def unlink_phone(
    session: Session, principal: Principal, user_id: int, phone: str, now: datetime
) -> None:
    """Unlink one of the user's SMS numbers (only theirs: Forbidden otherwise)."""
    user = managed_target(session, principal, user_id)
    if channel_links.sender_address("sms", phone) not in channel_links.links_of(
        session, user.id, "sms"
    ):
        raise Forbidden("that number is not linked to this user", field="phone")
    channel_links.unlink(session, "sms", phone, Actor.of(principal), now)
