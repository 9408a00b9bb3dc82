"""Shared fixtures: a real database on both backends, a fake clock, the app, and named roles.

Every test that takes `db` runs twice: on a fresh SQLite file and in a fresh PostgreSQL schema.
PostgreSQL is reached through NEZLAM_TEST_POSTGRES_URL; when it is unreachable those runs are
skipped with a reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from nezlam.config import Settings
from nezlam.domain.points import OrganisationCreate, PointCreate, RoleGrantCreate, UserCreate
from nezlam.store import accounts, points
from nezlam.store.actor import CLI
from nezlam.store.db import Database, upgrade
from nezlam.store.tables import Base
from nezlam.web.app import create_app
from nezlam.web.plumbing.fast_path import FastPath

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: the run on PostgreSQL of a test that takes db")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL runs, so that `make test-fast` (`-m "not slow and not postgres"`)
    can leave them out."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


def postgres_base_url() -> str:
    return os.environ.get("NEZLAM_TEST_POSTGRES_URL") or DEFAULT_PG


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = postgres_base_url()
    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and unreachable at {url}: {exc}")
        pytest.skip(
            f"PostgreSQL unreachable at {url} ({type(exc).__name__}); set "
            "NEZLAM_TEST_POSTGRES_URL to run these"
        )
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def postgres_run_url(postgres_url: str) -> Iterator[str]:
    """A schema of this test run's own, migrated once, dropped at the end: runs never collide."""
    schema = f"nezlam_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = with_search_path(postgres_url, schema)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def empty_postgres(url: str) -> None:
    """Back to a just-migrated state. TRUNCATE skips the append-only row triggers, which is
    what a test reset needs and what no application code path can do."""
    engine = sa.create_engine(url)
    tables = [t.name for t in Base.metadata.sorted_tables if t.name != "change_counter"]
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(sa.text("UPDATE change_counter SET value = 0"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "nezlam.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_run_url")
    empty_postgres(url)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 18, 0, tzinfo=UTC))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, secret_file=tmp_path / "secret.key")


@pytest.fixture
def client(settings: Settings, db: Database, clock: FakeClock) -> Iterator[TestClient]:
    app = FastPath(create_app(settings, db, start_sync=False))  # as served
    app.state.nezlam.clock = clock
    with TestClient(app) as test_client:
        yield test_client


REGION_A = "Київ"
REGION_B = "Харківська область"


@dataclass
class Network:
    """Two points in two regions, and one person of each role. `headers[name]` authenticates."""

    point_a: str = "point-a"
    point_b: str = "point-b"
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        if who == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def point_create(
    point_id: str, region: str, lat: float, lon: float, **extra: object
) -> PointCreate:
    fields: dict[str, object] = {
        "id": point_id,
        "name": {"uk": f"Пункт {point_id}", "en": f"Point {point_id}"},
        "category": "state",
        "lat": lat,
        "lon": lon,
        "address": f"вул. Тестова, {len(point_id)}",
        "locality": "Київ" if region == REGION_A else "Харків",
        "region": region,
        "services": ["heat", "power"],
        "capacity": 40,
        "opening_hours": "24/7",
    }
    fields.update(extra)
    return PointCreate.model_validate(fields)


@pytest.fixture
def network(db: Database, clock: FakeClock) -> Network:
    net = Network()
    with db.write() as session:
        org = accounts.create_organisation(
            session, OrganisationCreate(slug="org-a", name="Org A", kind="ngo"), CLI
        )
        points.create_point(
            session,
            point_create(net.point_a, REGION_A, 50.45, 30.52, organisation="org-a"),
            CLI,
            now=clock(),
        )
        points.create_point(
            session, point_create(net.point_b, REGION_B, 49.99, 36.23), CLI, now=clock()
        )
        roles = {
            "operator_a": RoleGrantCreate(role="operator", point_id=net.point_a),
            "operator_b": RoleGrantCreate(role="operator", point_id=net.point_b),
            "org_operator_a": RoleGrantCreate(role="operator", organisation="org-a"),
            "coordinator_a": RoleGrantCreate(role="coordinator", region=REGION_A),
            "coordinator_b": RoleGrantCreate(role="coordinator", region=REGION_B),
            "admin": RoleGrantCreate(role="admin"),
        }
        for name, grant in roles.items():
            # No passwords: tokens authenticate here, and argon2 is slow on purpose.
            user = accounts.create_user(session, UserCreate(username=name), CLI)
            accounts.grant_role(session, user, grant, CLI)
            net.tokens[name], _row = accounts.create_token(session, user, "test", CLI)
        assert org.id
    return net


@pytest.fixture
def app_client(client: TestClient, network: Network) -> TestClient:
    """The client after the network exists (the index reloads to see it)."""
    client.app.state.nezlam.sync.load_all()
    return client


def sign_in_as(client: TestClient, db: Database, username: str, now: datetime) -> str:
    """Give `client` a browser session for `username` (no password round: argon2 is slow on
    purpose) and return the session's CSRF token, which every workspace form must carry. It
    replaces any session cookie the client holds, also one that an answer renewing a session
    set, as signing in does in a browser."""
    from nezlam.store import login_sessions
    from nezlam.store.tables import User
    from nezlam.web.plumbing.deps import SESSION_COOKIE

    with db.write() as session:
        user = session.execute(sa.select(User).where(User.username == username)).scalar_one()
        secret, csrf = login_sessions.start(session, user, now)
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, secret)
    return csrf


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, one for the whole run: Playwright's synchronous API runs one event
    loop per thread, so every browser test module must share this one."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import launch_chromium, require_chromium

    require_chromium()
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
