"""What the authorization matrix needs around each request: every role signed in once, fresh
rows to act on, one way to send a request as a role, and a fingerprint of the whole database
that tells whether a request wrote anything at all.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response

from nezlam.config import TelegramSettings
from nezlam.domain.fuel import GeneratorCreate
from nezlam.domain.mobile_stops import Stop
from nezlam.domain.notifications import NotificationRules
from nezlam.domain.permissions import Principal
from nezlam.domain.points import OrganisationCreate, RoleGrantCreate, UserCreate
from nezlam.domain.vocabulary import INSPECTION_ITEMS, NotificationKind
from nezlam.store import (
    accounts,
    calls,
    channel_links,
    devices,
    emergency_shutdowns,
    generators,
    inspections,
    needs,
    notifications,
    onboarding,
    point_stops,
    points,
    resets,
)
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from nezlam.store.tables import Base, FollowUpTask, Point, RoleGrant, User
from nezlam.web.plumbing.deps import CSRF_HEADER, SESSION_COOKIE
from tests.conftest import REGION_A, REGION_B, FakeClock, Network, point_create, sign_in_as

# Who asks. The network's roles, and a member of org-a with no role (a donor, who pledges).
ROLES = (
    "anonymous",
    "member_a",
    "operator_b",
    "coordinator_b",
    "operator_a",
    "org_operator_a",
    "coordinator_a",
    "admin",
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PASSWORD = "the matrix passphrase"
RULES = NotificationRules()  # what the notifications made here are judged by
FORM_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
# Where a form sends someone it refuses: to sign in, or back with what happened.
REFUSED_REDIRECT = re.compile(r"^/login\?next=|[?&](done|signal)=(refused|invalid|busy)\b")


def write_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path template) of every route of the FastAPI app that may write."""
    return {
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in getattr(route, "methods", None) or ()
        if method in WRITE_METHODS
    }


@dataclass
class Attempt:
    """A valid request, to be sent as each role in turn."""

    method: str
    url: str
    json: Any = None
    form: dict[str, Any] | None = None  # a form: the role's session CSRF token is added
    page: str | None = None  # an anonymous form: its token comes from this page, read first
    session: bool = False  # an API write with the session cookie and X-CSRF-Token, no token
    headers: dict[str, str] | None = None  # more headers for the API (a device's key)


def refused(response: Response, also: frozenset[int] = frozenset()) -> bool:
    if response.status_code in {401, 403, 404, *also}:
        return True
    location = response.headers.get("location", "")
    return response.status_code in (302, 303) and bool(REFUSED_REDIRECT.search(location))


class World:
    """One app's database with the network, its roles signed in, and fresh rows on demand."""

    def __init__(self, client: TestClient, db: Database, clock: FakeClock, net: Network) -> None:
        self.client, self.db, self.clock = client, db, clock
        self.tokens = dict(net.tokens)
        self.counter = itertools.count(1)
        self.password_hash = accounts._hasher.hash(PASSWORD)  # once, not per user
        with db.write() as session:
            for slug in ("volunteers",):  # an organisation with no points: donors, say
                accounts.create_organisation(
                    session, OrganisationCreate(slug=slug, name=slug, kind="ngo"), CLI
                )
            member = accounts.create_user(
                session, UserCreate(username="member_a", organisation="org-a"), CLI
            )
            self.tokens["member_a"], _row = accounts.create_token(session, member, "test", CLI)
        self.sessions: dict[str, str] = {}
        self.csrf: dict[str, str] = {}
        for role in ROLES[1:]:
            self.csrf[role] = sign_in_as(client, db, role, clock())
            self.sessions[role] = client.cookies[SESSION_COOKIE]
            client.cookies.clear()

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self.counter)}"

    def now(self) -> datetime:
        return self.clock()

    def new_point(self, region: str = REGION_A, organisation: str | None = "org-a") -> str:
        point_id = self.unique("p")
        with self.db.write() as session:
            extra = {"organisation": organisation} if organisation else {}
            data = point_create(point_id, region, 50.45, 30.52, **extra)
            points.create_point(session, data, CLI, now=self.now())
        return point_id

    def new_organisation(self, member: bool = False) -> str:
        """A fresh organisation with no points; with `member`, someone belongs to it."""
        slug = self.unique("org")
        with self.db.write() as session:
            data = OrganisationCreate(slug=slug, name=slug, kind="ngo")
            accounts.create_organisation(session, data, CLI)
        if member:
            self.new_user(organisation=slug)
        return slug

    def new_user(
        self, *grants: RoleGrantCreate, organisation: str | None = None, password: bool = False
    ) -> str:
        username = self.unique("u")
        with self.db.write() as session:
            data = UserCreate(username=username, organisation=organisation)
            user = accounts.create_user(session, data, CLI)
            if password:
                user.password_hash = self.password_hash
            for grant in grants:
                accounts.grant_role(session, user, grant, CLI)
        return username

    def user_id(self, username: str) -> int:
        with self.db.read() as session:
            return accounts.get_user(session, username).id

    def grant_id(self, username: str) -> int:
        """The id of the one role `username` holds."""
        with self.db.read() as session:
            query = sa.select(RoleGrant.id).join(User, User.id == RoleGrant.user_id)
            return int(session.execute(query.where(User.username == username)).scalar_one())

    def principal(self, username: str) -> Principal:
        with self.db.read() as session:
            return accounts.principal_for(session, accounts.get_user(session, username))

    def new_token(self, username: str) -> int:
        with self.db.write() as session:
            user = accounts.get_user(session, username)
            return accounts.create_token(session, user, "spare", CLI)[1].id

    def give_password(self, username: str) -> None:
        with self.db.write() as session:
            session.execute(
                sa.update(User)
                .where(User.username == username)
                .values(password_hash=self.password_hash)
            )

    def send(self, role: str, attempt: Attempt) -> Response:
        """The request as `role` would send it: an API token or a session for the API, the
        session cookie and its CSRF token for a form; nothing for an anonymous visitor."""
        client, signed = self.client, role != "anonymous"
        client.cookies.clear()
        if attempt.url.startswith("/api/"):
            headers = {"Accept": "application/json", **(attempt.headers or {})}
            if signed and attempt.session:
                client.cookies.set(SESSION_COOKIE, self.sessions[role])
                headers[CSRF_HEADER] = self.csrf[role]
            elif signed:
                headers["Authorization"] = f"Bearer {self.tokens[role]}"
            return client.request(attempt.method, attempt.url, json=attempt.json, headers=headers)
        data = dict(attempt.form or {})
        if signed:
            client.cookies.set(SESSION_COOKIE, self.sessions[role])
            data.setdefault("csrf", self.csrf[role])
        if attempt.page:  # the page's own form token (and cookie), as a browser would have it
            found = FORM_TOKEN.search(client.get(attempt.page).text)
            data.pop("csrf", None)
            if found:
                data["csrf"] = found[1]
        headers = {"Accept": "text/html", "Origin": str(client.base_url)}
        return client.post(attempt.url, data=data, headers=headers, follow_redirects=False)

    def fingerprint(self) -> dict[str, str]:
        """A digest of every row of every table: equal before and after means nothing written."""
        digests = {}
        with self.db.read() as session:
            connection = session.connection()
            for table in Base.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(sa.select(table).order_by(*order)).all()
                digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return digests


# --- Requests: a valid one for each write route, and the fresh rows it acts on -------------


def operator_of(point_id: str) -> RoleGrantCreate:
    return RoleGrantCreate(role="operator", point_id=point_id)


def coordinator_of(region: str) -> RoleGrantCreate:
    return RoleGrantCreate(role="coordinator", region=region)


def own_username(world: World, role: str) -> str:
    return "operator_a" if role == "anonymous" else role


def fresh_need(world: World) -> int:
    with world.db.write() as session:
        data = needs.NeedInput("water", 100, "normal")
        return needs.post_need(session, "point-a", data, world.principal("admin"), world.now()).id


def fresh_pledge(world: World) -> int:
    need_id = fresh_need(world)
    with world.db.write() as session:
        member = world.principal("member_a")
        return needs.pledge(session, need_id, 10, None, member, world.now()).id


def fresh_notification(world: World) -> int:
    with world.db.write() as session:
        point = points.get_point(session, "point-a")
        return notifications.notify(session, point, [NotificationKind.FULL], world.now(), RULES)[0]


def acknowledge_all(world: World, role: str) -> Attempt:
    """ "Acknowledge all": with a notification pending in each region, every coordinator has
    one of theirs to acknowledge."""
    with world.db.write() as session:
        newest = 0
        for point_id in ("point-a", "point-b"):
            point = points.get_point(session, point_id)
            newest = notifications.notify(
                session, point, [NotificationKind.FULL], world.now(), RULES
            )[0]
    return form("/coordinate/notifications/acknowledge", up_to=str(newest))


def fresh_claim(world: World) -> int:
    point_id = world.new_point()
    with world.db.write() as session:
        coordinator = world.principal("coordinator_a")
        return calls.claim_point(session, coordinator, point_id, world.now()).id


def checklist(answer: str) -> dict[str, str]:
    return {item: answer for item in INSPECTION_ITEMS}


def fresh_task(world: World) -> int:
    with world.db.write() as session:
        data = inspections.InspectionInput(answers={**checklist("pass"), "heating": "fail"})
        admin = world.principal("admin")
        done = inspections.inspect(session, "point-a", data, admin, world.now())
        query = sa.select(FollowUpTask.id).where(FollowUpTask.inspection_id == done.id)
        return int(session.execute(query).scalar_one())


def signal_undo(world: World, role: str) -> Attempt:
    """A visitor's undo of a signal just recorded, with the receipt the point page gave them:
    holding that receipt is what lets anyone (no account) take the signal back."""
    from nezlam.domain.vocabulary import SignalKind
    from nezlam.web.api.points import record_signal
    from nezlam.web.pages import signal_receipts

    state = world.client.app.state.nezlam
    point_id = world.new_point()
    answer = record_signal(state, world.unique("visitor"), point_id, SignalKind.FULL)
    at = str(answer["at"])
    undo = signal_receipts.token(state.signing_key, point_id, "full", at)
    return form(f"/points/{point_id}/signal/undo", kind="full", at=at, undo=undo)


def fresh_application(world: World) -> int:
    name = world.unique("yurt")
    data = onboarding.ApplicationCreate(
        organisation_name=f"Org {name}",
        organisation_kind="business",
        contact_name="Айдос",
        phone="+380 67 555 1212",
        username=name,
        password=PASSWORD,
        region=REGION_A,
        points=[{"name": name, "address": "вул. Степова, 9", "locality": "Київ", "lat": 50.46,
                 "lon": 30.5}],
    )  # fmt: skip
    with world.db.write() as session:
        return onboarding.submit_application(session, data, world.now()).id


def fresh_reset_link(world: World) -> str:
    username = world.new_user(operator_of("point-a"))
    with world.db.write() as session:
        return resets.issue(session, accounts.get_user(session, username), CLI, world.now())


def api(method: str, url: str, body: object = None, session: bool = False) -> Attempt:
    return Attempt(method, url, json=body, session=session)


def form(url: str, **fields: object) -> Attempt:
    return Attempt("POST", url, form=fields)


Build = Callable[[World, str], Attempt]


def on_user(action: str, target: Callable[[World], str], **fields: object) -> Build:
    """A users-screen form about a fresh user made by `target`."""

    def build(world: World, role: str) -> Attempt:
        user_id = world.user_id(target(world))
        return form(f"/coordinate/users/{user_id}", action=action, **fields)

    return build


def api_on(method: str, url: str, target: Callable[[World], str], body: object = None) -> Build:
    """An API request about a fresh user or role made by `target` (`{}` in `url` is it)."""
    return lambda world, role: api(method, url.format(target(world)), body)


def member_of_a(world: World) -> str:
    return world.new_user(organisation="org-a")


def operator_of_a(world: World) -> str:
    return world.new_user(operator_of("point-a"))


def donor(world: World) -> str:
    """A member of an organisation with no points: the account the review took over."""
    return world.new_user(organisation="volunteers")


def fellow_coordinator(world: World) -> str:
    return world.new_user(coordinator_of(REGION_A))


def revoke_on_users_screen(world: World, role: str) -> Attempt:
    username = operator_of_a(world)
    return on_user("revoke", lambda _world: username, grant_id=world.grant_id(username))(
        world, role
    )


def edit_form(world: World, role: str) -> Attempt:
    number = next(world.counter)
    return form(
        "/operate/point-a/edit",
        services=["heat", "power"],
        opening_hours="24/7",
        phone=f"+380 44 000 {1000 + number}",
        capacity=str(40 + number),
        notes_uk="",
        notes_en="",
    )


def application_form(world: World, role: str) -> Attempt:
    name = world.unique("step")
    fields = {
        "organisation_name": f"Степ {name}", "organisation_kind": "business",
        "contact_name": "Айдос", "phone": "+380 67 555 1212", "username": name,
        "password": PASSWORD, "region": REGION_A, "p1_name": f"Юрта {name}",
        "p1_address": "вул. Степова, 9", "p1_locality": "Київ", "p1_lat": "50.46",
        "p1_lon": "30.5", "p1_services": ["heat"], "p1_opening_hours": "24/7",
        "p1_capacity": "40",
    }  # fmt: skip
    return Attempt("POST", "/apply", form=fields, page="/apply")


def reset_form(world: World, role: str) -> Attempt:
    token = fresh_reset_link(world)
    fields = {"password": PASSWORD + "!", "password2": PASSWORD + "!"}
    return Attempt("POST", f"/reset/{token}", form=fields, page=f"/reset/{token}")


def login_form(world: World, role: str) -> Attempt:
    fields = {"username": world.new_user(password=True), "password": PASSWORD, "next": "/"}
    return Attempt("POST", "/login", form=fields, page="/login")


def api_sign_in(world: World, role: str) -> Attempt:
    body = {"username": world.new_user(password=True), "password": PASSWORD}
    return api("POST", "/api/v1/session", body)


def own_password(world: World, role: str) -> Attempt:
    username = own_username(world, role)
    world.give_password(username)
    body = {"password": PASSWORD + "!", "current_password": PASSWORD}
    return api("PATCH", f"/api/v1/users/{username}", body)


def new_point(world: World, role: str) -> Attempt:
    body = {
        "name": {"uk": world.unique("Пункт")},
        "category": "state",
        "lat": 50.4,
        "lon": 30.6,
        "locality": "Київ",
        "region": REGION_A,
    }
    return api("POST", "/api/v1/points", body)


def give_point(member: bool) -> Callable[[World, str], Attempt]:
    """Make an organisation (with someone in it, or nobody) run a point of region A."""

    def build(world: World, role: str) -> Attempt:
        body = {"organisation": world.new_organisation(member)}
        return api("PATCH", f"/api/v1/points/{world.new_point(organisation=None)}", body)

    return build


def new_point_for(world: World, role: str) -> Attempt:
    attempt = new_point(world, role)
    attempt.json["organisation"] = world.new_organisation(member=True)
    return attempt


def claim_batch(world: World, role: str) -> Attempt:
    world.new_point()  # never reported: in the call pool of region A, and of B
    world.new_point(REGION_B, organisation=None)
    return form("/coordinate/calls/claim")


def device_ping(revoked: bool) -> Build:
    """A ping with the key of a fresh device of point-a (revoked, or not): a key, not a role,
    is what lets it through."""

    def build(world: World, role: str) -> Attempt:
        with world.db.write() as session:
            key, row = devices.create_device(session, "point-a", world.unique("device"), CLI)
            if revoked:
                devices.revoke_device(session, row.id, CLI, world.now())
        body = {"power": "battery", "battery_pct": 80}
        return Attempt("POST", "/api/v1/heartbeat", json=body, headers={"X-Device-Key": key})

    return build


def device_key_form(world: World, role: str) -> Attempt:
    """A new device key for point-a, made from its devices page."""
    return form("/operate/point-a/devices", name=world.unique("router"), powered_by="mains")


def device_revoke_form(world: World, role: str) -> Attempt:
    """Revoking a fresh device key of point-a from its devices page."""
    with world.db.write() as session:
        _key, row = devices.create_device(session, "point-a", world.unique("device"), CLI)
        session.flush()
        device_id = row.id
    return form(f"/operate/point-a/devices/{device_id}/revoke")


def emergency_form(world: World, role: str) -> Attempt:
    """Declaring emergency shutdowns in the region of the schedule point-a follows (none open)."""
    with world.db.write() as session:
        session.execute(
            sa.update(Point)
            .where(Point.id == "point-a")
            .values(outage_region="vinnytsia", outage_queue="1.1")
        )
        if "vinnytsia" in emergency_shutdowns.active(session):
            emergency_shutdowns.end(session, "vinnytsia", CLI, world.now())
    return form("/coordinate/outages/emergency", provider="vinnytsia", action="start")


def mobile_point_a(world: World) -> None:
    """point-a as a mobile point (the matrix's points are fixed)."""
    with world.db.write() as session:
        session.execute(sa.update(Point).where(Point.id == "point-a").values(kind="mobile"))


def stop_form(world: World, role: str) -> Attempt:
    """A stop added to point-a's schedule, from its page of stops."""
    mobile_point_a(world)
    return form("/operate/point-a/stops", day="2031-01-05", start="09:00", end="17:00",
                lat="50.45", lon="30.52", place=world.unique("stop"))  # fmt: skip


def stop_remove_form(world: World, role: str) -> Attempt:
    """Removing a fresh stop of point-a."""
    mobile_point_a(world)
    start = datetime(2031, 1, 6, 7, tzinfo=UTC)
    with world.db.write() as session:
        stop = Stop(start, start + timedelta(hours=8), 50.45, 30.52, world.unique("stop"))
        row = point_stops.add_stop(session, "point-a", stop, CLI, world.now())
        stop_id = row.id
    return form(f"/operate/point-a/stops/{stop_id}/remove")


def generator_form(world: World, role: str) -> Attempt:
    """A generator added to point-a, from its fuel page."""
    return form("/operate/point-a/fuel/generators", rated_kw="20", fuel="diesel",
                label=world.unique("set"))  # fmt: skip


def generator_remove_form(world: World, role: str) -> Attempt:
    """Removing a fresh generator of point-a."""
    with world.db.write() as session:
        row = generators.add_generator(
            session, "point-a", GeneratorCreate(rated_kw=10), CLI, world.now()
        )
        generator_id = row.id
    return form(f"/operate/point-a/fuel/generators/{generator_id}/remove")


def generator_api_remove(world: World, role: str) -> Attempt:
    """DELETE of a fresh generator of point-a through the API."""
    with world.db.write() as session:
        row = generators.add_generator(
            session, "point-a", GeneratorCreate(rated_kw=10), CLI, world.now()
        )
        generator_id = row.id
    return api("DELETE", f"/api/v1/points/point-a/generators/{generator_id}")


def delivery_form(world: World, role: str) -> Attempt:
    """Fuel delivered to point-a, recorded from its fuel page."""
    return form("/operate/point-a/fuel/deliveries", litres="20", delivered_by=world.unique("t"))


def signed_in_writes(role: str) -> bool:
    return role != "anonymous"  # signing out without a session has nothing to end


# --- Linking one's Telegram account (My points; the users page) -------------------------------


def with_bot(world: World) -> None:
    """A Telegram bot configured for the app: My points offers to link Telegram only then."""
    state = world.client.app.state.nezlam
    if state.settings.telegram is None:
        bot = TelegramSettings("123456:" + "A" * 35, username="nezlam_matrix_bot")
        state.settings = replace(state.settings, telegram=bot)


def telegram_code(world: World, role: str) -> Attempt:
    with_bot(world)
    return form("/operate/telegram/code")


def fresh_chat(world: World, username: str) -> str:
    """A Telegram account (its user id) newly linked to `username`."""
    chat = str(100_000_000 + next(world.counter))
    with world.db.write() as session:
        channel_links.link(session, username, "telegram", chat, CLI, world.now())
    return chat


def own_telegram(world: World, role: str) -> Attempt:
    return form("/operate/telegram/unlink", chat=fresh_chat(world, own_username(world, role)))


def someone_elses_telegram(world: World, role: str) -> Attempt:
    return form("/operate/telegram/unlink", chat=fresh_chat(world, world.new_user()))


def telegram_of_an_operator_of_a(world: World, role: str) -> Attempt:
    username = operator_of_a(world)
    chat = fresh_chat(world, username)
    return form(f"/coordinate/users/{world.user_id(username)}", action="untelegram", chat=chat)
