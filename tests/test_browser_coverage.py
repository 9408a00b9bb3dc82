"""Coverage and siting as a coordinator sees them, in a real Chromium: the real commands run on
Monaco (its streets, population estimated from its buildings, three points open now, schools
and libraries as candidate sites), then the coverage page shows their tables and one map with
the walking-minute cells and the numbered sites."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.domain.points import RoleGrantCreate, UserCreate
from nezlam.store import accounts
from nezlam.store.actor import CLI
from nezlam.store.db import Database
from tests.browser_support import DESKTOP, PHONE, assert_accessible, save_screenshots
from tests.servers import running_server
from tests.test_coverage import MONACO, monaco_db, monaco_streets  # noqa: F401

pytestmark = pytest.mark.slow
PASSWORD = "a long coordinator passphrase"


def run(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"NEZLAM_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def coverage_site(monaco_db: str, monaco_streets: Path, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    covered, sited = tmp_path / "coverage", tmp_path / "siting"
    streets = ["--streets", str(monaco_streets), "--from-buildings", str(MONACO)]
    run(monaco_db, "coverage", "--minutes", "5,10,15", *streets, "--out", str(covered))
    run(
        monaco_db, "site", "--new", "3", "--minutes", "5", *streets,
        "--candidates-osm", str(MONACO), "--out", str(sited),
    )  # fmt: skip
    db = Database(monaco_db)
    with db.write() as session:
        user = accounts.create_user(session, UserCreate(username="ines", password=PASSWORD), CLI)
        accounts.grant_role(
            session, user, RoleGrantCreate(role="coordinator", region="Monaco"), CLI
        )
    db.dispose()
    env = {"NEZLAM_COVERAGE_DIR": str(covered), "NEZLAM_SITING_DIR": str(sited)}
    with running_server(monaco_db, extra_env=env, log_dir=tmp_path / "server") as server:
        yield server.url


@pytest.fixture
def desk(browser: Browser, coverage_site: str) -> Iterator[Page]:
    # axe is injected as an inline script, which the pages' CSP forbids: this context lets it in.
    context = browser.new_context(
        base_url=coverage_site, locale="en-GB", viewport=DESKTOP, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_coordinator_sees_coverage_and_proposed_sites_on_one_map(desk: Page, coverage_site: str):
    desk.goto("/coordinate/coverage")
    desk.fill("input[name=username]", "ines")
    desk.fill("input[name=password]", PASSWORD)
    desk.locator("form.login button[type=submit]").click()
    expect(desk).to_have_url(f"{coverage_site}/coordinate/coverage")
    coverage_rows = desk.locator("table.coverage tbody tr")
    expect(coverage_rows.first).to_contain_text("All")
    expect(desk.locator("table.coverage thead")).to_contain_text("≤ 15 min")
    expect(desk.locator("table.sites tbody tr")).to_have_count(3)
    # One map: the coverage cells and the three numbered sites, over OpenStreetMap tiles.
    expect(desk.locator("#coverage-map")).to_have_attribute("data-layers-shown", "2")
    expect(desk.locator(".site-marker")).to_have_count(3)
    expect(desk.locator(".site-marker").first).to_have_text("1")
    for image in ("/coordinate/coverage.png", "/coordinate/sites.png"):
        expect(desk.locator(f'img[src="{image}"]')).to_be_visible()
    save_screenshots(desk, "coordinator-coverage")
    assert_accessible(desk, "the coverage page")


@pytest.fixture
def empty_coverage_site(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """A server with a coordinator and nothing computed yet (the demo's state)."""
    db_url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    shutil.copy(sqlite_template, tmp_path / "empty.sqlite3")
    db = Database(db_url)
    with db.write() as session:
        user = accounts.create_user(session, UserCreate(username="ines", password=PASSWORD), CLI)
        accounts.grant_role(session, user, RoleGrantCreate(role="coordinator", region="Київ"), CLI)
    db.dispose()
    env = {
        "NEZLAM_COVERAGE_DIR": str(tmp_path / "no-coverage"),
        "NEZLAM_SITING_DIR": str(tmp_path / "no-siting"),
    }
    with running_server(db_url, extra_env=env, log_dir=tmp_path / "server") as server:
        yield server.url


def test_before_any_run_the_page_says_what_to_do_and_its_commands_fit_a_phone(
    browser: Browser, empty_coverage_site: str
):
    context = browser.new_context(base_url=empty_coverage_site, locale="uk-UA", viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/coordinate/coverage")
        page.fill("input[name=username]", "ines")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form.login button[type=submit]").click()
        expect(page).to_have_url(f"{empty_coverage_site}/coordinate/coverage")
        expect(page.locator("main")).to_contain_text("адміністратор")
        commands = page.locator("code.command")
        expect(commands).to_have_count(3)
        # Every command stays inside the page's column: the longest one wraps.
        column = page.locator("main").bounding_box()
        assert column is not None
        for box in (commands.nth(i).bounding_box() for i in range(3)):
            assert box is not None and box["x"] + box["width"] <= column["x"] + column["width"]
        overflowing = commands.evaluate_all("cs => cs.filter(c => c.scrollWidth > c.clientWidth)")
        assert overflowing == []
        save_screenshots(page, "coordinator-coverage-empty")
    finally:
        context.close()
