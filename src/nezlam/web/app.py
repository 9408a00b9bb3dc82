"""The application factory: one FastAPI app per worker process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import xstatic.pkg.leaflet
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.middleware.gzip import GZipMiddleware

from nezlam import __version__
from nezlam.channels import built_in
from nezlam.channels.dispatcher import Dispatcher
from nezlam.config import Settings
from nezlam.device_sweeper import DeviceSweeper
from nezlam.fuel_warner import FuelWarner
from nezlam.outage_warner import OutageWarner
from nezlam.store.db import Database
from nezlam.web.api import (
    accounts,
    feeds,
    fuel,
    health,
    heartbeats,
    places,
    points,
    sms,
    telegram,
)
from nezlam.web.pages import (
    calls,
    coordinate,
    coordinate_exports,
    coverage_page,
    finder,
    inspections,
    needs,
    offline,
    onboarding,
    outage_lookup,
    people,
    workspace,
)
from nezlam.web.plumbing import errors, openapi, session
from nezlam.web.plumbing.fast_path import FastPath
from nezlam.web.plumbing.hygiene import Hygiene
from nezlam.web.plumbing.limits import BodyLimit
from nezlam.web.plumbing.responses import OrjsonResponse
from nezlam.web.plumbing.session_cookie import SessionRenewal
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import WallClock

DESCRIPTION = """
The API of **Nezlam**, a registry of *invincibility points* — warm places with power where people
go during blackouts.

Every status you read here has passed the freshness rule: an `open` that nobody confirmed within
the configured time (6 h by default) is `unconfirmed`; a point silent for 24 h is `no_response`.
Protected (`locality_only`) points never reveal their address or coordinates to the public.
"""


def create_app(
    settings: Settings | None = None, db: Database | None = None, start_sync: bool = True
) -> FastAPI:
    """One worker's app: its state, its answers to errors, its middleware, files and routes."""
    settings = settings or Settings.from_env()
    state = AppState.build(settings, db)
    app = new_app(lifespan(state, settings, start_sync))
    app.state.nezlam = state
    errors.install(app)
    session.install(app)  # a page for the signed-in, asked by a browser that is not
    openapi.install(app)
    add_middleware(app, settings)
    mount_static(app)
    include_routes(app)
    return app


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def lifespan(state: AppState, settings: Settings, start_sync: bool) -> Lifespan:
    """What the worker starts when it starts serving, and stops when it stops: the index's
    sync, the webhook dispatcher and the devices' sweeper (the background threads only with
    `start_sync`)."""
    # Every channel's deliveries; SMS and Telegram through the very channels the webhooks
    # answer with.
    mine = [channel for channel in (state.sms, state.telegram) if channel is not None]
    channels = [*built_in(), *mine]
    dispatcher = state.dispatcher = Dispatcher(state.db, lambda: state.clock(), channels=channels)
    # Devices gone silent, which no ping tells (issue 12).
    sweeper = DeviceSweeper(state.db, lambda: state.clock(), settings.device_offline_after)
    # Standby points told before their district's scheduled outage (issue 12).
    warner = OutageWarner(state.db, lambda: state.clock(), settings.outage_lead)
    # Points told before they reach their fuel reserve (issue 13).
    fueller = FuelWarner(
        state.db, lambda: state.clock(), settings.fuel_reserve, settings.fuel_warn_within
    )

    @asynccontextmanager
    async def serving(_app: FastAPI) -> AsyncIterator[None]:
        state.sync.load_all()
        state.sync.follow_commits()  # again, if an earlier shutdown stopped it
        if start_sync:  # background threads (tests run without them)
            state.sync.start()
            if settings.webhook_dispatch:
                dispatcher.start()
            sweeper.start()
            warner.start()
            fueller.start()
        try:
            yield
        finally:
            sweeper.stop()
            warner.stop()
            fueller.stop()
            state.report_writer.stop()
            dispatcher.stop()
            state.sync.stop()

    return serving


def new_app(serving: Lifespan) -> FastAPI:
    """The bare app: the API's title and description, its docs pages and JSON by default."""
    # FastAPIOffline is FastAPI whose docs page loads Swagger UI from this server, not a CDN.
    return FastAPIOffline(
        title="Nezlam",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        static_url="/api/docs-static",
        default_response_class=OrjsonResponse,
        lifespan=serving,
    )


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """The layers around every route, added innermost first."""
    # Pages and feeds are compressed for weak connections (the nearest query compresses its
    # own, in fast_path); bodies are capped before anything reads them; HEAD and the error
    # answers' security headers are seen to around everything.
    app.add_middleware(SessionRenewal)  # a session used is renewed (now and then)
    app.add_middleware(WallClock, timezone=settings.timezone)  # the pages' local times
    app.add_middleware(GZipMiddleware, minimum_size=800, compresslevel=6)
    app.add_middleware(BodyLimit)
    app.add_middleware(Hygiene, tile_url=settings.tile_url)


def mount_static(app: FastAPI) -> None:
    """The static files: Leaflet from its xstatic package, and the app's own."""
    app.mount(
        "/static/leaflet", StaticFiles(directory=xstatic.pkg.leaflet.BASE_DIR), name="leaflet"
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")


def include_routes(app: FastAPI) -> None:
    """Every page and API router, in the order their routes are matched: the message channels'
    webhooks first (Telegram's, then the SMS gateways'), as every route matched before costs
    each message its time (benchmarks/channels.py)."""
    app.include_router(telegram.router)
    app.include_router(sms.router)
    app.include_router(heartbeats.router)  # devices' pings, every minute from every point
    app.include_router(health.router)
    app.include_router(finder.router)
    app.include_router(outage_lookup.router)  # a resident's own queue
    app.include_router(workspace.router)
    for screen in (coordinate, coordinate_exports, calls, needs, inspections, onboarding, people):
        app.include_router(screen.router)
    app.include_router(coverage_page.router)
    app.include_router(offline.router)  # the page for what a phone never saved; the icon
    app.include_router(points.router)
    app.include_router(fuel.router)  # a point's generators and deliveries
    app.include_router(feeds.router)
    app.include_router(accounts.router)
    app.include_router(places.router)


def served_app(settings: Settings | None = None, db: Database | None = None) -> FastPath:
    """What the server runs: the app behind the nearest-query fast path."""
    return FastPath(create_app(settings, db))


def app_from_env() -> FastPath:
    """Entry point for `uvicorn --factory nezlam.web.app:app_from_env` (one app per worker)."""
    return served_app()
