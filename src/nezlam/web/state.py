"""What one worker process holds: settings, the database gateway, the index and its sync."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zipfile import BadZipFile

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
    streets_stamp: FileStamp | None = None  # the street network file as last loaded

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
        state = cls(
            settings=settings,
            db=db,
            index=index,
            sync=sync,
            report_writer=ReportWriter(db, sync.apply_written),
            # Ten sign-in attempts per account and address in a quarter of an hour.
            login_attempts=RateLimiter(10, 900),
            signal_repeat=RateLimiter(1, settings.signal_window.total_seconds()),
            signal_volume=RateLimiter(settings.signals_per_client_per_hour, 3600),
            walking=load_walking(settings.streets_file, index, settings.walking_snap_m),
            streets_stamp=file_stamp(settings.streets_file),
        )
        sync.watch(state.reload_streets)  # a new `nezlam streets import` is used within a poll
        return state

    def reload_streets(self) -> bool:
        """Load the street network again when its file has changed since it was last loaded
        (modification time, size or inode: `nezlam streets import` replaces the file whole);
        walking answers use it from the next request. A file that is gone or unreadable
        leaves the network in memory as it was (so `walking` never turns back to None under
        a request). Returns whether a network was loaded."""
        path = self.settings.streets_file
        stamp = file_stamp(path)
        if stamp is None or stamp == self.streets_stamp:
            return False
        self.streets_stamp = stamp
        try:
            walking = load_walking(path, self.index, self.settings.walking_snap_m)
        except (OSError, ValueError, KeyError, EOFError, BadZipFile) as exc:  # half-written
            log.error("street network %s not loaded: %s", path, exc)
            return False
        if walking is None:
            return False
        walking.on_network(self.index.snapshot)  # snap the points here, not in a request
        self.walking = walking
        return True


FileStamp = tuple[int, int, int]


def file_stamp(path: Path | None) -> FileStamp | None:
    """(modification time in ns, size in bytes, inode) of a file, or None if there is none."""
    try:
        info = Path(path).stat() if path is not None else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino) if info else None


def load_walking(path: Path | None, index: SpatialIndex, snap_m: float) -> Walking | None:
    """The street network beside the index, when one has been imported; places more than
    `snap_m` metres from every street are not measured on it."""
    if path is None or not Path(path).exists():
        return None
    network = StreetNetwork.load(path)
    log.info("street network %s: %d nodes, %d edges", path, network.nodes, network.edges)
    return Walking(network, index, snap_m)
