"""Typed settings read from the environment; a bad value stops start-up with the variable's name."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nezlam.domain.login_lifetime import LoginLifetime

DEFAULT_SQLITE_PATH = Path("var") / "nezlam.sqlite3"
DEFAULT_STREETS_PATH = Path("var") / "streets.npz"
SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def env_str(name: str, default: str) -> str:
    """A string setting; `NAME_FILE` (a path) takes precedence, for secrets mounted as files."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {file_path}: {exc}") from exc
    return os.environ.get(name, default)


def env_int(name: str, default: int, minimum: int, maximum: int) -> int:
    """A whole number in [minimum, maximum]: a value out of range stops start-up rather than
    hanging or being half-used (a port of 70000 is not a port)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from exc
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}: must be from {minimum} to {maximum}, got {value}")
    return value


def env_timezone(name: str, default: str) -> str:
    """An IANA time zone name ("Europe/Kyiv"), checked against the zone database."""
    raw = (os.environ.get(name) or "").strip() or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{name}: not a time zone name (like Europe/Kyiv), got {raw!r}") from exc
    return raw


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def parse_duration(
    name: str,
    raw: str,
    shortest: timedelta = timedelta(seconds=1),
    longest: timedelta = timedelta(days=365),
) -> timedelta:
    """'6h', '90m', '45s', '2d' or a bare number of seconds, within [shortest, longest]."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = raw.strip().lower()
    try:
        unit = units.get(text[-1:], 0)
        seconds = float(text[:-1]) * unit if unit else float(text)
    except ValueError as exc:
        raise ConfigError(f"{name}: expected a duration like 6h, 90m or 3600, got {raw!r}") from exc
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"{name}: must be positive, got {raw!r}")
    if not shortest.total_seconds() <= seconds <= longest.total_seconds():
        raise ConfigError(
            f"{name}: must be from {_words(shortest)} to {_words(longest)}, got {raw!r}"
        )
    return timedelta(seconds=seconds)


def _words(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def env_speed(name: str, default: float) -> float:
    """A walking speed in km/h: a person walks between 1 and 10 km/h."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected km/h such as 4.5, got {raw!r}") from None
    if not 1 <= value <= 10:  # also refuses nan and inf
        raise ConfigError(f"{name}: {value} km/h is not a walking speed (1 to 10)")
    return value


def env_snap_metres(name: str, default: float) -> float:
    """How far from every street (metres) a place may be and still be walked from the network:
    10 m is GPS noise, beyond 5 km the street network no longer describes the walk."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected metres such as 400, got {raw!r}") from None
    if not 10 <= value <= 5000:  # also refuses nan and inf
        raise ConfigError(f"{name}: must be from 10 to 5000 metres, got {raw!r}")
    return value


def env_duration(name: str, default: str, shortest: timedelta, longest: timedelta) -> timedelta:
    return parse_duration(name, os.environ.get(name) or default, shortest, longest)


def env_public_url(name: str) -> str | None:
    """An origin such as https://nezlam.example (no path): what browsers send as Origin."""
    raw = (os.environ.get(name) or "").strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
        raise ConfigError(f"{name}: expected an origin like https://nezlam.example, got {raw!r}")
    return f"{parts.scheme}://{parts.netloc}".lower()


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def env_secret_key(name: str) -> str | None:
    """A signing secret (or `NAME_FILE`): long enough not to be guessed, or not set at all."""
    value = env_str(name, "").strip()
    if value and len(value) < 32:
        raise ConfigError(
            f"{name}: at least 32 characters, e.g. the output of "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value or None


def _check_database_url(url: str) -> str:
    """NEZLAM_DATABASE_URL: SQLite or PostgreSQL, the two backends Nezlam runs on."""
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise ConfigError(
            "NEZLAM_DATABASE_URL: only sqlite:/// and postgresql+psycopg:// are supported, "
            f"got {url!r}"
        )
    return url


def _check_replica_url(replica: str | None, url: str) -> str | None:
    """NEZLAM_REPLICA_DATABASE_URL: a PostgreSQL read replica, beside a PostgreSQL `url` only."""
    if replica and not replica.startswith("postgresql"):
        raise ConfigError("NEZLAM_REPLICA_DATABASE_URL: must be a postgresql+psycopg:// URL")
    if replica and not url.startswith("postgresql"):
        raise ConfigError("NEZLAM_REPLICA_DATABASE_URL: needs NEZLAM_DATABASE_URL on PostgreSQL")
    return replica


def _check_tile_url(tile_url: str) -> str:
    """NEZLAM_TILE_URL: a tile address with the {z}, {x} and {y} a map fills in."""
    if not all(part in tile_url for part in ("{z}", "{x}", "{y}")):
        raise ConfigError(f"NEZLAM_TILE_URL: needs {{z}}, {{x}} and {{y}}, got {tile_url!r}")
    return tile_url


def _check_no_response_after(no_response_after: timedelta, stale_after: timedelta) -> timedelta:
    """NEZLAM_NO_RESPONSE_AFTER: a point goes quiet only after it has gone stale."""
    if no_response_after <= stale_after:
        raise ConfigError("NEZLAM_NO_RESPONSE_AFTER: must be longer than NEZLAM_STALE_AFTER")
    return no_response_after


def sessions_from_env() -> LoginLifetime:
    """NEZLAM_SESSION_IDLE and NEZLAM_SESSION_MAX: how long a browser stays signed in unused,
    and at most after signing in (review O5)."""
    idle = env_duration("NEZLAM_SESSION_IDLE", "24h", timedelta(minutes=10), timedelta(days=30))
    longest = env_duration("NEZLAM_SESSION_MAX", "14d", timedelta(hours=1), timedelta(days=365))
    if longest < idle:
        raise ConfigError("NEZLAM_SESSION_MAX: must be at least NEZLAM_SESSION_IDLE")
    return LoginLifetime(idle=idle, longest=longest)


SMS_GATEWAYS = ("twilio", "android")


@dataclass(frozen=True)
class SmsSettings:
    """The SMS gateway (channels/sms_gateways.py): Twilio's API or one that copies it, or the
    SMS Gateway for Android app on a phone with a SIM card."""

    gateway: str  # "twilio" or "android"
    url: str  # its API: https://api.twilio.com, or the app's http://phone:8080
    user: str = ""  # Twilio's account SID; the app's username
    password: str = field(default="", repr=False)  # Twilio's auth token; the app's password
    sender: str = ""  # Twilio: the number messages come from
    signing_key: str = field(default="", repr=False)  # the app: the key its webhooks sign with
    answers_per_hour: int = 60  # answers one number gets in an hour


def sms_from_env() -> SmsSettings | None:
    """NEZLAM_SMS_*: the gateway, or None when NEZLAM_SMS_GATEWAY is unset (no SMS)."""
    answers_per_hour = env_int("NEZLAM_SMS_ANSWERS_PER_HOUR", 60, 1, 10_000)  # checked even unused
    gateway = env_str("NEZLAM_SMS_GATEWAY", "").strip().lower()
    if not gateway:
        return None
    if gateway not in SMS_GATEWAYS:
        raise ConfigError(f"NEZLAM_SMS_GATEWAY: one of {', '.join(SMS_GATEWAYS)}, got {gateway!r}")
    url = env_str("NEZLAM_SMS_URL", "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            "NEZLAM_SMS_URL: the gateway's API address (https://api.twilio.com, "
            f"http://192.168.1.10:8080), needed with NEZLAM_SMS_GATEWAY; got {url!r}"
        )
    signing_key = env_str("NEZLAM_SMS_SIGNING_KEY", "")
    if gateway == "android" and not signing_key:
        raise ConfigError(
            "NEZLAM_SMS_SIGNING_KEY: the app's webhook signing key, needed for android"
        )
    return SmsSettings(
        gateway=gateway,
        url=url,
        user=env_str("NEZLAM_SMS_USER", ""),
        password=env_str("NEZLAM_SMS_PASSWORD", ""),
        sender=env_str("NEZLAM_SMS_FROM", ""),
        signing_key=signing_key,
        answers_per_hour=answers_per_hour,
    )


TELEGRAM_API = "https://api.telegram.org"


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram bot (channels/telegram.py): its token from @BotFather, the Bot API's
    address (a local Bot API server, or a fake one in tests), and the secret Telegram sends with
    each webhook call (without it, the webhook route is off: `nezlam bot run` polls instead)."""

    token: str = field(repr=False)
    api_url: str = TELEGRAM_API
    webhook_secret: str | None = field(default=None, repr=False)
    username: str | None = None  # the bot's @name without "@", for t.me links in the workspace
    per_second: int = 25  # messages sent a second in all (Telegram allows about 30)


def telegram_from_env() -> TelegramSettings | None:
    """NEZLAM_TELEGRAM_*: the bot, or None when NEZLAM_TELEGRAM_TOKEN is unset (no bot)."""
    per_second = env_int("NEZLAM_TELEGRAM_PER_SECOND", 25, 1, 30)  # checked even unused
    token = env_str("NEZLAM_TELEGRAM_TOKEN", "").strip()
    if not token:
        return None
    if not re.fullmatch(r"\d{3,20}:[A-Za-z0-9_-]{20,100}", token):
        raise ConfigError("NEZLAM_TELEGRAM_TOKEN: the token @BotFather gave, like 123456:AbC…")
    api_url = env_str("NEZLAM_TELEGRAM_API_URL", "").strip().rstrip("/") or TELEGRAM_API
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"NEZLAM_TELEGRAM_API_URL: an http(s) address; got {api_url!r}")
    secret = env_str("NEZLAM_TELEGRAM_WEBHOOK_SECRET", "").strip() or None
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", secret):
        raise ConfigError(
            "NEZLAM_TELEGRAM_WEBHOOK_SECRET: 16 to 256 of A-Z, a-z, 0-9, _ and - (Telegram's rule)"
        )
    username = env_str("NEZLAM_TELEGRAM_USERNAME", "").strip().lstrip("@") or None
    return TelegramSettings(token, api_url, secret, username, per_second)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    replica_database_url: str | None = None  # a PostgreSQL read replica, for the index poller
    host: str = "127.0.0.1"
    port: int = 8000
    # The address residents use (https://nezlam.example), when a proxy in front changes the
    # Host header: sign-in and visitor forms accept posts whose Origin is this.
    public_url: str | None = None
    stale_after: timedelta = timedelta(hours=6)
    no_response_after: timedelta = timedelta(hours=24)
    # How often each worker looks for changes written by other workers.
    index_poll_seconds: float = 1.0
    # Visitor signals: one per client, point and kind in this window; this many flag a point.
    signal_window: timedelta = timedelta(hours=2)
    signal_flag_threshold: int = 3
    signals_per_client_per_hour: int = 20
    # Map tiles for the finder's optional map ({z}/{x}/{y}); OpenStreetMap's by default.
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    # Notifications: a point with less generator fuel than this is low on fuel; each process
    # sends due webhooks in a background thread unless this is off (then `nezlam webhook deliver`).
    low_fuel_litres: float = 20.0
    # The wall clock of the network's people: the pages' own times, due times, the demo. A
    # point's hours are read in the point's own zone (points.timezone), which defaults to this.
    timezone: str = "Europe/Kyiv"
    webhook_dispatch: bool = True
    # How long a coordinator's claim on a point to call lasts before it returns to the pool.
    call_claim_for: timedelta = timedelta(minutes=30)
    # A point's device not heard for this long is offline (issue 12's heartbeats).
    device_offline_after: timedelta = timedelta(minutes=5)
    # A standby or open point is told when a definite outage of its queue starts this soon.
    outage_lead: timedelta = timedelta(hours=2)
    # Fuel (issue 13): the running time on generator that must stay in a point's tanks for the
    # truck to come (its reserve), and how far ahead coordinators are told a point reaches it.
    fuel_reserve: timedelta = timedelta(hours=6)
    fuel_warn_within: timedelta = timedelta(hours=12)
    # The street network (`nezlam streets import`): with it, walking distances and minutes.
    streets_file: Path | None = None
    walking_speed_kmh: float = 4.5
    # Farther than this from every street, a place or point is not walked on the network (a
    # network for another city, or a village beyond the extract): straight line instead.
    walking_snap_m: float = 400.0
    # Where `nezlam coverage` writes and the coordinators' coverage page reads.
    coverage_dir: Path = Path("var") / "coverage"
    siting_dir: Path = Path("var") / "siting"  # where `nezlam site` writes, likewise
    # What signs what the server hands out and must recognise later (a visitor's undo link).
    # Unset, every worker on this machine shares a random key kept in `secret_file`; servers
    # on several machines set the same NEZLAM_SECRET_KEY.
    secret_key: str | None = None
    secret_file: Path = Path("var") / "secret.key"
    # How long a browser stays signed in: while used, up to an absolute limit.
    sessions: LoginLifetime = LoginLifetime()
    # The SMS gateway residents and operators text (None: no SMS).
    sms: SmsSettings | None = None
    # The Telegram bot (None: no bot).
    telegram: TelegramSettings | None = None

    @classmethod
    def from_env(cls) -> Settings:
        """The settings from the NEZLAM_* variables; a ConfigError names the first that is wrong."""
        url = _check_database_url(env_str("NEZLAM_DATABASE_URL", "") or default_database_url())
        replica = _check_replica_url(env_str("NEZLAM_REPLICA_DATABASE_URL", "") or None, url)
        tile_url = _check_tile_url(os.environ.get("NEZLAM_TILE_URL") or cls.tile_url)
        stale_after = env_duration("NEZLAM_STALE_AFTER", "6h", MINUTE, timedelta(days=7))
        no_response_after = _check_no_response_after(
            env_duration("NEZLAM_NO_RESPONSE_AFTER", "24h", MINUTE, timedelta(days=30)),
            stale_after,
        )
        return cls(
            database_url=url,
            replica_database_url=replica,
            host=os.environ.get("NEZLAM_HOST", "127.0.0.1"),
            port=env_int("NEZLAM_PORT", 8000, 1, 65535),
            public_url=env_public_url("NEZLAM_PUBLIC_URL"),
            stale_after=stale_after,
            no_response_after=no_response_after,
            signal_window=env_duration("NEZLAM_SIGNAL_WINDOW", "2h", MINUTE, timedelta(days=7)),
            signal_flag_threshold=env_int("NEZLAM_SIGNAL_FLAG_THRESHOLD", 3, 1, 1000),
            signals_per_client_per_hour=env_int("NEZLAM_SIGNALS_PER_HOUR", 20, 1, 100_000),
            index_poll_seconds=env_int("NEZLAM_INDEX_POLL_MS", 1000, 50, 600_000) / 1000,
            tile_url=tile_url,
            low_fuel_litres=env_int("NEZLAM_LOW_FUEL_LITRES", 20, 1, 100_000),
            timezone=env_timezone("NEZLAM_TIMEZONE", cls.timezone),
            webhook_dispatch=env_bool("NEZLAM_WEBHOOK_DISPATCH", True),
            call_claim_for=env_duration("NEZLAM_CALL_CLAIM_FOR", "30m", SECOND, DAY),
            device_offline_after=env_duration("NEZLAM_DEVICE_OFFLINE_AFTER", "5m", MINUTE, DAY),
            outage_lead=env_duration("NEZLAM_OUTAGE_LEAD", "2h", MINUTE, DAY),
            fuel_reserve=env_duration("NEZLAM_FUEL_RESERVE", "6h", MINUTE, 3 * DAY),
            fuel_warn_within=env_duration("NEZLAM_FUEL_WARN_WITHIN", "12h", MINUTE, 3 * DAY),
            streets_file=Path(env_str("NEZLAM_STREETS", "") or DEFAULT_STREETS_PATH),
            walking_speed_kmh=env_speed("NEZLAM_WALKING_SPEED_KMH", 4.5),
            walking_snap_m=env_snap_metres("NEZLAM_WALKING_SNAP_M", 400.0),
            coverage_dir=Path(env_str("NEZLAM_COVERAGE_DIR", "") or cls.coverage_dir),
            siting_dir=Path(env_str("NEZLAM_SITING_DIR", "") or cls.siting_dir),
            secret_key=env_secret_key("NEZLAM_SECRET_KEY"),
            sessions=sessions_from_env(),
            sms=sms_from_env(),
            telegram=telegram_from_env(),
        )
