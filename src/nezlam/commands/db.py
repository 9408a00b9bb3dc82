"""`nezlam db`: create the database or migrate it to this version's schema."""

from __future__ import annotations

import typer

from nezlam.commands.common import console, settings
from nezlam.store import db as store_db

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Create the database or migrate it to the latest schema."""
    url = settings().database_url
    store_db.upgrade(url, revision)
    console.print(f"database at {revision}: {url.split('@')[-1]}")
