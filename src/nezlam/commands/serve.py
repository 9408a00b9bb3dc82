"""`nezlam serve`: the web app and the JSON API, in one or several worker processes."""

from __future__ import annotations

import os

import typer

from nezlam.commands.common import settings


def serve(
    host: str = typer.Option(None, help="address to listen on [NEZLAM_HOST, 127.0.0.1]"),
    port: int = typer.Option(None, min=1, max=65535, help="port [NEZLAM_PORT, 8000]"),
    workers: int = typer.Option(1, min=1, help="worker processes"),
    log_level: str = typer.Option(
        "info", help="critical, error, warning, info, debug or trace (uvicorn's levels)"
    ),
) -> None:
    """Serve the web app and the JSON API."""
    # uvicorn and its event loop load only to serve, not for every `nezlam --help`.
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
