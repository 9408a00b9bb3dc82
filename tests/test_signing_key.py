"""Every worker signs with the same key: a visitor's undo link made by one worker is honoured by
another (NEZLAM_SECRET_KEY, or a key file the machine's workers share)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from nezlam.config import ConfigError, Settings
from nezlam.web.app import create_app
from nezlam.web.plumbing.fast_path import FastPath
from nezlam.web.plumbing.state import signing_key
from tests.test_signals import receipt_of, tap


def worker(settings: Settings, db, clock) -> TestClient:
    """One more worker process's app, on the same database and settings."""
    app = FastPath(create_app(settings, db, start_sync=False))
    app.state.nezlam.clock = clock
    app.state.nezlam.sync.load_all()
    return TestClient(app)


def test_an_undo_made_by_one_worker_is_honoured_by_another(db_url, db, network, clock, tmp_path):
    settings = Settings(database_url=db_url, secret_file=tmp_path / "var" / "secret.key")
    with worker(settings, db, clock) as first, worker(settings, db, clock) as second:
        receipt = receipt_of(tap(first, network.point_a, "full"))
        undone = second.post(f"/points/{network.point_a}/signal/undo", data=receipt)
        assert undone.url.query == b"signal=undone"
    assert (tmp_path / "var" / "secret.key").stat().st_mode & 0o777 == 0o600


def test_the_configured_secret_wins_and_must_be_long(tmp_path, monkeypatch):
    secret = "x" * 40
    one = Settings(secret_key=secret, secret_file=tmp_path / "a")
    two = Settings(secret_key=secret, secret_file=tmp_path / "b")
    assert signing_key(one) == signing_key(two)
    assert not (tmp_path / "a").exists()
    assert signing_key(Settings(secret_file=tmp_path / "c")) != signing_key(one)
    monkeypatch.setenv("NEZLAM_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="NEZLAM_SECRET_KEY"):
        Settings.from_env()


def test_without_a_usable_key_file_a_worker_keeps_a_key_of_its_own(tmp_path, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    settings = Settings(secret_file=blocked / "secret.key")
    with caplog.at_level(logging.WARNING):
        first, second = signing_key(settings), signing_key(settings)
    assert len(first) == 32 and first != second
    assert "cannot keep a signing key" in caplog.text
