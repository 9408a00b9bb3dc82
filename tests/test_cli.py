"""The `nezlam` command line, run in-process against the test database."""

import json

import sqlalchemy as sa
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.store.tables import ApiToken, Point, RoleGrant

runner = CliRunner()


def nezlam(db_url, *args, **env):
    result = runner.invoke(app, list(args), env={"NEZLAM_DATABASE_URL": db_url, **env})
    return result


def test_demo_loads_once_and_prints_the_demo_accounts(db_url, db):
    first = nezlam(db_url, "demo", "--count", "30")
    assert first.exit_code == 0, first.output
    assert "loaded 32 demo points" in first.output
    assert "operator / operator-demo-2022" in first.output
    again = nezlam(db_url, "demo", "--if-empty")
    assert again.exit_code == 0 and "demo not loaded" in again.output
    refused = nezlam(db_url, "demo")
    assert refused.exit_code == 1
    assert "1 point awaits a coordinator's approval" in " ".join(first.output.split())
    with db.read() as session:
        # 32 public demo points, and the applying organisation's yurt, hidden until approved.
        assert session.execute(sa.select(sa.func.count()).select_from(Point)).scalar() == 33
        hidden = sa.select(sa.func.count()).where(Point.visibility == "hidden")
        assert session.execute(hidden).scalar() == 1


def test_accounts_roles_and_tokens_from_the_command_line(db_url, db):
    added = nezlam(db_url, "user", "add", "olena", NEZLAM_NEW_PASSWORD="correct horse battery")
    assert added.exit_code == 0, added.output
    granted = nezlam(db_url, "role", "grant", "olena", "coordinator", "--region", "Київ")
    assert granted.exit_code == 0, granted.output
    made = nezlam(db_url, "token", "create", "olena", "--name", "laptop")
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("nzl_")
    with db.read() as session:
        row = session.execute(sa.select(ApiToken)).scalar_one()
        assert row.token_hash != token and row.revoked_at is None
        grant = session.execute(sa.select(RoleGrant)).scalar_one()
        assert (grant.role, grant.region) == ("coordinator", "Київ")
    revoked = nezlam(db_url, "token", "revoke", str(row.id))
    assert revoked.exit_code == 0
    with db.read() as session:
        assert session.execute(sa.select(ApiToken.revoked_at)).scalar_one() is not None


def test_command_line_errors_name_the_problem(db_url):
    bad_role = nezlam(db_url, "role", "grant", "nobody", "operator", "--point", "x1")
    assert bad_role.exit_code == 1 and "nobody" in bad_role.output
    scope = nezlam(db_url, "role", "grant", "nobody", "coordinator")
    assert scope.exit_code == 1 and "needs a region" in scope.output
    config = nezlam(db_url, "demo", NEZLAM_STALE_AFTER="whenever")
    assert config.exit_code == 2 and "NEZLAM_STALE_AFTER" in config.output


def test_export_writes_the_public_view(db_url, tmp_path):
    nezlam(db_url, "demo", "--count", "10")
    target = tmp_path / "points.geojson"
    result = nezlam(db_url, "export", str(target), "--format", "geojson")
    assert result.exit_code == 0, result.output
    body = json.loads(target.read_text())
    assert len(body["features"]) == 12
    csv_out = nezlam(db_url, "export", "--format", "hxl")
    assert csv_out.stdout.splitlines()[1].startswith("#loc+code")


def test_an_unmigrated_database_is_refused_with_advice(tmp_path):
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = nezlam(empty, "demo")
    assert result.exit_code == 2 and "nezlam db upgrade" in result.output
    assert nezlam(empty, "db", "upgrade").exit_code == 0
    assert nezlam(empty, "demo", "--count", "3").exit_code == 0


def test_poster_from_the_command_line_names_the_nearest_points(db_url, tmp_path):
    from pypdf import PdfReader

    nezlam(db_url, "demo", "--count", "10")
    target = tmp_path / "door.pdf"
    result = nezlam(db_url, "poster", "--lat", "50.4419", "--lon", "30.5133", "-o", str(target))
    assert result.exit_code == 0, result.output
    text = " ".join(page.extract_text() for page in PdfReader(target).pages)
    assert "Юрта незламності в парку Шевченка" in text
    assert "Біля: вулиця Володимирська, 57, Київ" in text  # named as GET /poster names it


def test_export_in_an_unknown_format_says_so_in_one_line_and_exits_2(db_url):
    result = nezlam(db_url, "export", "--format", "xml")

    assert result.exit_code == 2
    assert result.output.strip() == "error (format): unknown format 'xml'; known: geojson, csv, hxl"
    assert "Traceback" not in result.output


def test_webhook_errors_say_the_problem_without_pydantics_links(db_url):
    result = nezlam(db_url, "webhook", "add", "ftp://example.org/hook", "--secret", "short")

    assert result.exit_code == 1
    assert "error (url):" in result.output
    assert "error (secret):" in result.output
    assert "pydantic.dev" not in result.output
    assert "For further information" not in result.output


def all_commands(group, prefix=()):
    for name, command in getattr(group, "commands", {}).items():
        yield (*prefix, name), command
        yield from all_commands(command, (*prefix, name))


def test_every_commands_help_is_prose_that_does_not_break_mid_sentence():
    import typer.main

    commands = list(all_commands(typer.main.get_command(app)))
    assert len(commands) > 20
    for path, command in commands:
        for paragraph in (command.help or "").split("\n\n"):
            assert "\n" not in paragraph, (path, paragraph)
    wide = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert "per district; uncovered cells and a map." in wide


def test_progress_is_a_line_every_few_seconds_when_standard_error_is_not_a_terminal():
    import io

    from rich.console import Console

    from nezlam.commands.points import LineTracker

    out = io.StringIO()
    now = [0.0]
    tracker = LineTracker(Console(file=out, width=200), every=10.0, clock=lambda: now[0])
    tracker.start("importing rows", 40_000)
    for _ in range(40):
        now[0] += 1.0
        tracker.advance(1_000)
    tracker.finish()

    lines = out.getvalue().splitlines()
    assert lines == [
        "importing rows: 10,000 of about 40,000 rows, 10 s, 1,000 rows/s",
        "importing rows: 20,000 of about 40,000 rows, 20 s, 1,000 rows/s",
        "importing rows: 30,000 of about 40,000 rows, 30 s, 1,000 rows/s",
        "importing rows: 40,000 rows, 40 s, 1,000 rows/s",
    ]
