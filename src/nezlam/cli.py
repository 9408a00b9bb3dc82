"""The `nezlam` command: serve, migrate, load the demo, import and export, manage accounts."""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nezlam.config import ConfigError, Settings
from nezlam.coverage.cli import coverage as coverage_command
from nezlam.domain.errors import DomainError
from nezlam.geo.streets_cli import streets_app
from nezlam.interchange.cli import import_ as import_command
from nezlam.places.cli import places_app
from nezlam.siting.cli import site as site_command
from nezlam.store import db as store_db

app = typer.Typer(help="Nezlam: run a network of invincibility points.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
role_app = typer.Typer(help="Roles of users.", no_args_is_help=True)
token_app = typer.Typer(
    help="API tokens for integrations and operator devices.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(role_app, name="role")
app.add_typer(token_app, name="token")
app.add_typer(places_app, name="places")
app.add_typer(streets_app, name="streets")
# One command each (not groups): `nezlam coverage --minutes 5,10`, `nezlam site --new 10`.
app.command("coverage")(coverage_command)
app.command("site")(site_command)
app.command("import")(import_command)
console = Console(stderr=True)


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def database() -> store_db.Database:
    """The configured database, refusing one that is not migrated to this version's schema.
    Reports written from here (imports, the demo) notify by the configured fuel threshold."""
    from nezlam.store import notifications

    configured = settings()
    notifications.configure(configured.low_fuel_litres)
    db = store_db.Database(configured.database_url)
    try:
        current, head = store_db.schema_revision(db.engine)
    except Exception as exc:  # unreachable server, bad credentials, unreadable file
        console.print(f"[red]cannot open the database:[/red] {str(exc).splitlines()[0]}")
        raise typer.Exit(2) from exc
    if current != head:
        state = "is empty" if current is None else f"is at revision {current}, not {head}"
        console.print(f"[red]the database {state}[/red]: run `nezlam db upgrade` first")
        raise typer.Exit(2)
    return db


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def fail(exc: DomainError, code: int = 1) -> typer.Exit:
    """Print a domain error as one line; the Exit to raise (2: the command was misused)."""
    where = f" ({exc.field})" if exc.field else ""
    console.print(f"[red]error{where}:[/red] {exc.problem}", highlight=False)
    return typer.Exit(code)


def invalid_input(exc: ValueError) -> typer.Exit:
    """Print what was wrong with the input, field by field, without pydantic's links to its
    documentation; the Exit to raise."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        for item in exc.errors():
            where = ".".join(str(part) for part in item["loc"])
            message = str(item["msg"]).removeprefix("Value error, ")
            console.print(f"[red]error{f' ({where})' if where else ''}:[/red] {message}")
    else:
        console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Create the database or migrate it to the latest schema."""
    url = settings().database_url
    store_db.upgrade(url, revision)
    console.print(f"database at {revision}: {url.split('@')[-1]}")


@app.command()
def serve(
    host: str = typer.Option(None, help="address to listen on [NEZLAM_HOST, 127.0.0.1]"),
    port: int = typer.Option(None, min=1, max=65535, help="port [NEZLAM_PORT, 8000]"),
    workers: int = typer.Option(1, min=1, help="worker processes"),
    log_level: str = typer.Option("info"),
) -> None:
    """Serve the web app and the JSON API."""
    import uvicorn

    config = settings()
    # Workers are separate processes that read their settings from the environment.
    os.environ["NEZLAM_DATABASE_URL"] = config.database_url
    uvicorn.run(
        "nezlam.web.app:app_from_env",
        factory=True,
        host=host or config.host,
        port=port or config.port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )


@app.command()
def demo(
    if_empty: bool = typer.Option(False, "--if-empty", help="do nothing if points exist"),
    count: int = typer.Option(1300, min=0, help="how many generated Kyiv points"),
) -> None:
    """Load the demo network (the Kazakh yurts and a Kyiv-scale network) and demo accounts."""
    from nezlam import demo as demo_network
    from nezlam.store.points import count_points

    database_ = database()
    with database_.read() as session:
        existing = count_points(session)
    if existing:
        if if_empty:
            console.print(f"{existing} points already in the database; demo not loaded")
            _print_demo_accounts()
            return
        console.print("[red]the database is not empty[/red]; demo data goes into an empty one")
        raise typer.Exit(1)
    with progress_bar() as bar, database_.write() as session:
        task = bar.add_task("demo points", total=count)
        totals = demo_network.load(
            session, count=count, progress=lambda done: bar.update(task, completed=done)
        )
    console.print(
        f"loaded {totals['points']} demo points, {totals['organisations']} organisations, "
        f"{totals['needs']} needs; {totals['awaiting_approval']} point awaits a coordinator's "
        "approval"
    )
    _print_demo_accounts()


def _print_demo_accounts() -> None:
    from nezlam.demo import DEMO_ACCOUNTS, DEMO_APPLICANT

    console.print("demo accounts (for trying out only; sign in at /login):")
    for account in DEMO_ACCOUNTS:
        scope = f" of {account.scope}" if account.scope else ""
        console.print(f"  {account.role}{scope}: {account.username} / {account.password}")
    console.print(f"  organisation awaiting approval: {DEMO_APPLICANT[0]} / {DEMO_APPLICANT[1]}")


@app.command("export")
def export(
    output: Path = typer.Argument(None, help="file to write (default: standard output)"),
    format: str = typer.Option("geojson", "--format", help="geojson, csv or hxl"),
    lang: str = typer.Option("uk"),
) -> None:
    """Export the public view of every visible point (protected addresses stay hidden)."""
    from nezlam.interchange import exporter

    try:
        data = exporter.export_public(settings(), database(), format, lang)
    except DomainError as exc:
        raise fail(exc, code=2) from exc
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        console.print(f"wrote {len(data)} bytes to {output}")


@app.command()
def poster(
    lat: float = typer.Option(..., min=-90, max=90, help="latitude of the door it hangs on"),
    lon: float = typer.Option(..., min=-180, max=180, help="longitude"),
    output: Path = typer.Option(Path("poster.pdf"), "--output", "-o"),
    place: str = typer.Option(None, help="what to call the place, e.g. the building's address"),
    base_url: str = typer.Option("http://127.0.0.1:8000", help="where the QR codes lead"),
    lang: str = typer.Option("uk", help="uk or en (the other language is printed smaller)"),
) -> None:
    """Print an A4 poster (PDF) of the nearest points with QR codes to their pages."""
    from nezlam.geo.spatial_index import SpatialIndex
    from nezlam.index_sync import IndexSync
    from nezlam.poster import nearest_features_for_poster, place_name, render_poster
    from nezlam.store.tables import utcnow

    config = settings()
    index = SpatialIndex(config.stale_after, config.no_response_after)
    IndexSync(database(), index).load_all()
    now = utcnow()
    features = nearest_features_for_poster(index, config, lat, lon, now=now, lang=lang)
    output.write_bytes(
        render_poster(
            features,
            place_label=place or place_name(database(), lat, lon, lang),  # as GET /poster
            lat=lat,
            lon=lon,
            base_url=base_url.rstrip("/"),
            generated_at=now,
            lang=lang,
        )
    )
    console.print(f"wrote {output} with {min(len(features), 6)} points")


@user_app.command("add")
def user_add(
    username: str,
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, envvar="NEZLAM_NEW_PASSWORD"
    ),
    display_name: str = typer.Option(None),
    organisation: str = typer.Option(None, help="organisation slug"),
) -> None:
    """Create a user."""
    from nezlam.domain.points import UserCreate
    from nezlam.store import accounts
    from nezlam.store.actor import CLI

    try:
        data = UserCreate(
            username=username,
            password=password,
            display_name=display_name,
            organisation=organisation,
        )
        with database().write() as session:
            user = accounts.create_user(session, data, CLI)
            console.print(f"created user {user.username} (id {user.id})")
    except DomainError as exc:
        raise fail(exc) from exc
    except ValueError as exc:
        raise invalid_input(exc) from exc


@role_app.command("grant")
def role_grant(
    username: str,
    role: str = typer.Argument(..., help="admin, coordinator or operator"),
    region: str = typer.Option(None, help="for a coordinator"),
    point: str = typer.Option(None, help="for an operator of one point"),
    organisation: str = typer.Option(None, help="for an operator of an organisation's points"),
) -> None:
    """Give a user a role."""
    from nezlam.domain.points import RoleGrantCreate
    from nezlam.store import accounts
    from nezlam.store.actor import CLI

    try:
        data = RoleGrantCreate(role=role, region=region, point_id=point, organisation=organisation)
        with database().write() as session:
            grant = accounts.grant_role(session, accounts.get_user(session, username), data, CLI)
            console.print(f"granted {role} to {username} (grant id {grant.id})")
    except DomainError as exc:
        raise fail(exc) from exc
    except ValueError as exc:
        raise invalid_input(exc) from exc


@token_app.command("create")
def token_create(
    username: str, name: str = typer.Option(..., help="device or integration")
) -> None:
    """Create an API token; it is printed once and never stored."""
    from nezlam.store import accounts
    from nezlam.store.actor import CLI

    try:
        with database().write() as session:
            token, row = accounts.create_token(
                session, accounts.get_user(session, username), name, CLI
            )
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"token {row.id} for {username} ({name}); copy it now, it is not shown again:")
    print(token)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token by its id."""
    from nezlam.store import accounts
    from nezlam.store.actor import CLI

    try:
        with database().write() as session:
            accounts.revoke_token(session, token_id, CLI)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"token {token_id} revoked")


webhook_app = typer.Typer(help="Webhooks told about notifications.", no_args_is_help=True)
app.add_typer(webhook_app, name="webhook")


@webhook_app.command("add")
def webhook_add(
    url: str,
    secret: str = typer.Option(
        ..., envvar="NEZLAM_WEBHOOK_SECRET", help="shared with the receiver; at least 16 characters"
    ),
    region: str = typer.Option(None, help="only this region's points [every region]"),
    kinds: str = typer.Option(None, help="comma-separated: full,closed,no_power,low_fuel [all]"),
) -> None:
    """Send signed notifications to URL (see docs/webhooks.md)."""
    from nezlam.domain.notifications import WebhookCreate
    from nezlam.store import notifications
    from nezlam.store.actor import CLI

    try:
        wanted = [kind.strip() for kind in kinds.split(",")] if kinds is not None else None
        data = WebhookCreate(url=url, secret=secret, region=region, kinds=wanted)
        with database().write() as session:
            row = notifications.add_webhook(session, data, CLI)
    except ValueError as exc:
        raise invalid_input(exc) from exc
    console.print(f"webhook {row.id} added: {row.url}")


@webhook_app.command("list")
def webhook_list() -> None:
    """The webhooks, without their secrets."""
    from nezlam.store import notifications

    with database().read() as session:
        for row in notifications.webhooks(session):
            kinds = ",".join(row.kinds) if row.kinds else "all kinds"
            state = "active" if row.active else "disabled"
            print(f"{row.id}\t{state}\t{row.region or 'every region'}\t{kinds}\t{row.url}")


@webhook_app.command("disable")
def webhook_disable(webhook_id: int) -> None:
    """Stop queueing notifications for a webhook (queued ones are still sent)."""
    from nezlam.store import notifications
    from nezlam.store.actor import CLI

    try:
        with database().write() as session:
            notifications.disable_webhook(session, webhook_id, CLI)
    except DomainError as exc:
        raise fail(exc) from exc
    console.print(f"webhook {webhook_id} disabled")


@webhook_app.command("deliver")
def webhook_deliver() -> None:
    """Send the deliveries that are due, once (for cron when NEZLAM_WEBHOOK_DISPATCH=false)."""
    from nezlam.store.tables import utcnow
    from nezlam.webhooks import deliver_due

    done = deliver_due(database(), utcnow())
    console.print(
        f"delivered {len(done.delivered)}, to retry {len(done.retrying)}, failed {len(done.failed)}"
    )


def prose(text: str | None) -> str | None:
    """Help text with each paragraph on one line. Typer's rich help keeps a docstring's line
    breaks, which then fall mid-sentence ("per district; uncovered" / "cells and a map")."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") else " ".join(line.strip() for line in p.splitlines())
        for p in paragraphs
    )


def tidy_help(typer_app: typer.Typer) -> None:
    """Make every command's help prose (sub-commands' too), once all are registered."""
    for info in typer_app.registered_commands:
        info.help = prose(info.help or inspect.getdoc(info.callback))
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            tidy_help(group.typer_instance)


tidy_help(app)

if __name__ == "__main__":
    app()
