"""Settings are typed and a bad value stops start-up with the variable's name."""

from datetime import timedelta

import pytest

from nezlam.config import ConfigError, Settings


def test_defaults(monkeypatch):
    for name in ("NEZLAM_DATABASE_URL", "NEZLAM_STALE_AFTER", "NEZLAM_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.database_url == "sqlite:///var/nezlam.sqlite3"
    assert settings.stale_after == timedelta(hours=6) and settings.port == 8000


@pytest.mark.parametrize(
    ("value", "expected"),
    [("90m", timedelta(minutes=90)), ("3600", timedelta(hours=1)), ("2h", timedelta(hours=2))],
)
def test_stale_after_accepts_durations(monkeypatch, value, expected):
    monkeypatch.setenv("NEZLAM_STALE_AFTER", value)
    assert Settings.from_env().stale_after == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEZLAM_STALE_AFTER", "soon"),
        ("NEZLAM_STALE_AFTER", "-5m"),
        ("NEZLAM_PORT", "eighty"),
        ("NEZLAM_DATABASE_URL", "mysql://x"),
        ("NEZLAM_NO_RESPONSE_AFTER", "1h"),
        ("NEZLAM_SIGNAL_FLAG_THRESHOLD", "0"),
        ("NEZLAM_TILE_URL", "https://tiles.example/x.png"),
        ("NEZLAM_TIMEZONE", "Mars/Olympus_Mons"),
        ("NEZLAM_TIMEZONE", "../../etc/passwd"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        Settings.from_env()


def test_the_time_zone_is_a_setting(monkeypatch):
    assert Settings.from_env().timezone == "Europe/Kyiv"
    monkeypatch.setenv("NEZLAM_TIMEZONE", "Europe/Warsaw")
    assert Settings.from_env().timezone == "Europe/Warsaw"


def test_secret_from_file(monkeypatch, tmp_path):
    url_file = tmp_path / "url"
    url_file.write_text("sqlite:///elsewhere.sqlite3\n")
    monkeypatch.setenv("NEZLAM_DATABASE_URL_FILE", str(url_file))
    assert Settings.from_env().database_url == "sqlite:///elsewhere.sqlite3"


# Every numeric setting, with the last value inside its range and the first one outside on
# either side: the edges are where "70000 is a port" slipped through.
NUMERIC_RANGES = [
    ("NEZLAM_PORT", "1", "65535", "0", "65536"),
    ("NEZLAM_SIGNAL_FLAG_THRESHOLD", "1", "1000", "0", "1001"),
    ("NEZLAM_SIGNALS_PER_HOUR", "1", "100000", "0", "100001"),
    ("NEZLAM_INDEX_POLL_MS", "50", "600000", "49", "600001"),
    ("NEZLAM_LOW_FUEL_LITRES", "1", "100000", "0", "100001"),
    ("NEZLAM_WALKING_SPEED_KMH", "1", "10", "0.9", "10.1"),
    ("NEZLAM_STALE_AFTER", "1m", "7d", "59s", "8d"),
    ("NEZLAM_NO_RESPONSE_AFTER", "2m", "30d", "59s", "31d"),
    ("NEZLAM_SIGNAL_WINDOW", "1m", "7d", "59s", "8d"),
    ("NEZLAM_CALL_CLAIM_FOR", "1s", "24h", "0.5s", "25h"),
    ("NEZLAM_DEVICE_OFFLINE_AFTER", "1m", "1d", "59s", "25h"),
    ("NEZLAM_OUTAGE_LEAD", "1m", "1d", "59s", "25h"),
    ("NEZLAM_FUEL_RESERVE", "1m", "3d", "59s", "73h"),
    ("NEZLAM_FUEL_WARN_WITHIN", "1m", "3d", "59s", "73h"),
    ("NEZLAM_WALKING_SNAP_M", "10", "5000", "9", "5001"),
]


def test_the_range_table_names_every_numeric_setting():
    """A numeric setting added to Settings.from_env without a line above fails here."""
    import inspect
    import re

    from nezlam import config

    source = inspect.getsource(config.Settings.from_env)
    read = set(re.findall(r'env_(?:int|duration|speed|snap_metres)\(\s*"(NEZLAM_\w+)"', source))
    assert read == {row[0] for row in NUMERIC_RANGES}


@pytest.mark.parametrize(("name", "lowest", "highest", "below", "above"), NUMERIC_RANGES)
def test_every_numeric_setting_has_a_range_and_names_itself_outside_it(
    monkeypatch, name, lowest, highest, below, above
):
    # The two freshness times must also keep their order, whatever the one under test is.
    monkeypatch.setenv("NEZLAM_STALE_AFTER", "1m")
    monkeypatch.setenv("NEZLAM_NO_RESPONSE_AFTER", "30d")
    for good in (lowest, highest):
        monkeypatch.setenv(name, good)
        Settings.from_env()
    for bad in (below, above, "nan", "inf", "-1"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigError, match=f"^{name}: "):
            Settings.from_env()


@pytest.mark.parametrize("port", ["99999", "70000", "65536", "-80", "8000.5", "1e3"])
def test_a_port_that_is_not_a_port_stops_start_up(monkeypatch, port):
    monkeypatch.setenv("NEZLAM_PORT", port)
    with pytest.raises(ConfigError, match="NEZLAM_PORT"):
        Settings.from_env()


def test_serve_refuses_a_bad_port_before_starting_the_server(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from nezlam.cli import app

    env = {"NEZLAM_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3", "NEZLAM_PORT": "70000"}
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 2 and "NEZLAM_PORT" in result.output and "65535" in result.output


def test_the_public_url_is_an_origin(monkeypatch):
    monkeypatch.setenv("NEZLAM_PUBLIC_URL", "https://Nezlam.Example/")
    assert Settings.from_env().public_url == "https://nezlam.example"
    for bad in ("nezlam.example", "ftp://nezlam.example", "https://nezlam.example/finder"):
        monkeypatch.setenv("NEZLAM_PUBLIC_URL", bad)
        with pytest.raises(ConfigError, match="NEZLAM_PUBLIC_URL"):
            Settings.from_env()


@pytest.mark.parametrize("port", ["99999", "0"])
def test_serve_refuses_a_bad_port_option_too(tmp_path, port):
    from typer.testing import CliRunner

    from nezlam.cli import app

    env = {"NEZLAM_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    result = CliRunner().invoke(app, ["serve", "--port", port], env=env)
    assert result.exit_code == 2 and "--port" in result.output
