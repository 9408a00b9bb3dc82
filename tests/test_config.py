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
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        Settings.from_env()


def test_secret_from_file(monkeypatch, tmp_path):
    url_file = tmp_path / "url"
    url_file.write_text("sqlite:///elsewhere.sqlite3\n")
    monkeypatch.setenv("NEZLAM_DATABASE_URL_FILE", str(url_file))
    assert Settings.from_env().database_url == "sqlite:///elsewhere.sqlite3"
