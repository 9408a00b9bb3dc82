"""The network's wall clock: the zone (NEZLAM_TIMEZONE, `Settings.timezone`) in which the pages
say times that belong to no point (when a page was made, a coordinator's history, due times, the
date in an export's name) and read the hours of a point that has no zone of its own. A point's
own `timezone` still wins wherever it has one.

`WallClock` sets it for each request from the app's settings (a plain ASGI layer, so the
request's worker threads see it too); outside a request, e.g. a test calling a function itself,
it is the settings' default.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from nezlam.config import Settings

_zone_name: ContextVar[str] = ContextVar("nezlam_timezone", default=Settings.timezone)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name() -> str:
    """The wall clock's IANA name ("Europe/Kyiv")."""
    return _zone_name.get()


def local_zone() -> ZoneInfo:
    return _zone(_zone_name.get())


class WallClock:
    """Every request (and the threads it runs in) tells the time in the app's zone."""

    def __init__(self, app: Any, timezone: str) -> None:
        self.app = app
        self.timezone = timezone

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        token = _zone_name.set(self.timezone)
        try:
            await self.app(scope, receive, send)
        finally:
            _zone_name.reset(token)
