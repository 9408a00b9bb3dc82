"""The offline copy re-ages its words with this server's own thresholds, not the defaults."""

import json
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from nezlam.config import Settings
from nezlam.web.app import create_app
from nezlam.web.plumbing.fast_path import FastPath


def words_block(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="freshness-words">(.*?)</script>', html)
    assert found, "no freshness-words block"
    return json.loads(found[1])


def test_the_pages_carry_the_configured_freshness_limits(db_url, db, clock):
    settings = Settings(
        database_url=db_url, stale_after=timedelta(hours=2), no_response_after=timedelta(hours=9)
    )
    app = FastPath(create_app(settings, db, start_sync=False))
    app.state.nezlam.clock = clock
    with TestClient(app) as client:
        block = words_block(client.get("/").text)
    assert (block["stale_after"], block["no_response_after"]) == (7200, 9 * 3600)
