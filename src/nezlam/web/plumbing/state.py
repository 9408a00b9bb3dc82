"""What one worker process holds: settings, the database gateway, the index and its sync."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zipfile import BadZipFile

from nezlam.channels import sms, telegram
from nezlam.channels.answering import Directory
from nezlam.channels.dispatcher import Dispatcher
from nezlam.channels.sms import SmsChannel
from nezlam.channels.telegram import TelegramChannel
from nezlam.channels.telegram_bot import TelegramBot
from nezlam.config import Settings
from nezlam.device_pings import PingBatcher
from nezlam.domain.notifications import NotificationRules
from nezlam.geo.spatial_index import SpatialIndex
from nezlam.geo.walking import Walking, load_walking
from nezlam.index_sync import IndexSync
from nezlam.reading.power_schedule import Schedules
from nezlam.report_writer import ReportWriter
from nezlam.store.db import Database
from nezlam.web.plumbing.ratelimit import RateLimiter

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def signing_key(settings: Settings) -> bytes:
    """NEZLAM_SECRET_KEY, or the machine's key file, made once by whichever worker starts first:
    written whole beside it, then linked into place (the others read it). Without a usable
    file, a key of this process alone: its receipts are then refused by the other workers,
    which is safe, only less kind."""
    if settings.secret_key:
        return hashlib.sha256(settings.secret_key.encode()).digest()
    path = settings.secret_file
    try:
        if not path.exists():
            _create_key_file(path)
        key = path.read_bytes()
    except OSError as exc:
        log.warning("cannot keep a signing key in %s (%s); using one of this process", path, exc)
        return secrets.token_bytes(32)
    if len(key) < 32:
        log.warning("%s holds fewer than 32 bytes; using a key of this process", path)
        return secrets.token_bytes(32)
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    try:
        os.link(draft, path)  # atomic, and refused if another worker was first
    except FileExistsError:
        pass
    finally:
        draft.unlink()


# A device pings about once a minute: retries, a reboot and a second app on one key fit.
PINGS_PER_MINUTE = 12


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
    # Signs what the server hands out and checks later (a visitor's undo link): shared by every
    # worker, so a receipt made by one is honoured by another.
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    walking: Walking | None = None  # with a street network: walking distances
    streets_stamp: FileStamp | None = None  # the street network file as last loaded
    sms: SmsChannel | None = None  # with an SMS gateway configured
    dispatcher: Dispatcher | None = None  # the channels' sender, once the app has one
    telegram: TelegramChannel | None = None  # with a bot token configured
    telegram_bot: TelegramBot | None = None  # its conversation, for the webhook route
    # Devices' pings, batched for the report writer; and at most so many a minute per key.
    pings: PingBatcher | None = None
    schedules: Schedules | None = None  # the outage schedules, for the pages (issue 12)
    device_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(PINGS_PER_MINUTE, 60))

    @property
    def directory(self) -> Directory:
        """What the message channels answer from: this worker's index, streets and clock."""
        return Directory(self.index, lambda: self.walking, self.db, lambda: self.clock())

    @property
    def walking_m_per_min(self) -> float:
        return self.settings.walking_speed_kmh * 1000 / 60

    @property
    def stale_after_s(self) -> int:
        return int(self.settings.stale_after.total_seconds())

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> AppState:
        db = db or Database(settings.database_url, replica_url=settings.replica_database_url)
        # What its report writes notify by: these settings, also for a Database handed in.
        db.notification_rules = NotificationRules(settings.low_fuel_litres)
        index = SpatialIndex(settings.stale_after, settings.no_response_after)
        sync = IndexSync(db, index, settings.index_poll_seconds)
        state = cls(
            settings=settings,
            db=db,
            index=index,
            sync=sync,
            # The reports' points reach the index as they commit (`sync.follow_commits`).
            report_writer=ReportWriter(db, lambda _written: None),
            # Ten sign-in attempts per account and address in a quarter of an hour.
            login_attempts=RateLimiter(10, 900),
            signal_repeat=RateLimiter(1, settings.signal_window.total_seconds()),
            signal_volume=RateLimiter(settings.signals_per_client_per_hour, 3600),
            signing_key=signing_key(settings),
            walking=load_walking(settings.streets_file, index, settings.walking_snap_m),
            streets_stamp=file_stamp(settings.streets_file),
            sms=sms.make(settings),
            telegram=telegram.make(settings),
        )
        state.pings = PingBatcher(state.report_writer, settings.device_offline_after)
        state.schedules = Schedules(db, lambda: state.clock())  # a test's clock too
        if state.telegram is not None:
            bot = state.telegram_bot = telegram.bot_of(state.directory, settings)
            sync.watch(bot.languages.refresh)  # choices made through other processes
        sync.follow_commits()  # a write of this process is in its index as it commits
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
