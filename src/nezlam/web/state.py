"""What one worker process holds: settings, the database gateway, the index and its sync."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from nezlam.config import Settings
from nezlam.geo.spatial_index import SpatialIndex
from nezlam.geo.streets import StreetNetwork
from nezlam.geo.walking import Walking
from nezlam.index_sync import IndexSync
from nezlam.report_writer import ReportWriter
from nezlam.store.db import Database
from nezlam.web.ratelimit import RateLimiter

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppState:
    settings: Settings
    db: Database
    index: SpatialIndex
    sync: IndexSync
    # One signal per client, point and kind per window; and an overall cap per client.
    signal_repeat: RateLimiter
    signal_volume: RateLimiter
    report_writer: ReportWriter
    login_attempts: RateLimiter
    clock: Callable[[], datetime] = field(default=utcnow)
    walking: Walking | None = None  # with a street network: walking distances

    @property
    def walking_m_per_min(self) -> float:
        return self.settings.walking_speed_kmh * 1000 / 60

    @property
    def stale_after_s(self) -> int:
        return int(self.settings.stale_after.total_seconds())

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> AppState:
        db = db or Database(settings.database_url, replica_url=settings.replica_database_url)
        index = SpatialIndex(settings.stale_after, settings.no_response_after)
        sync = IndexSync(db, index, settings.index_poll_seconds)
        return cls(
            settings=settings,
            db=db,
            index=index,
            sync=sync,
            report_writer=ReportWriter(db, sync.apply_written),
            # Ten sign-in attempts per account and address in a quarter of an hour.
            login_attempts=RateLimiter(10, 900),
            signal_repeat=RateLimiter(1, settings.signal_window.total_seconds()),
            signal_volume=RateLimiter(settings.signals_per_client_per_hour, 3600),
            walking=load_walking(settings.streets_file, index),
        )


def load_walking(path: Path | None, index: SpatialIndex) -> Walking | None:
    """The street network beside the index, when one has been imported."""
    if path is None or not Path(path).exists():
        return None
    network = StreetNetwork.load(path)
    log.info("street network %s: %d nodes, %d edges", path, network.nodes, network.edges)
    return Walking(network, index)
