"""Outage schedules stored with their history (`nezlam outages import`): the real Vinnytsia
snapshots imported one after another, each later import the provider's current schedule and
the earlier ones kept as they were; what changed printed; a file that cannot be read, or a write
that fails half way, leaves the database as it was. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from nezlam.cli import app
from nezlam.domain.outages import Kind, Outage
from nezlam.store import outage_schedules
from nezlam.store.tables import OutageImport, OutageInterval
from tests.test_outages import DEC_06, DEC_08, DEC_10, off, real, real_document

NOW = datetime(2025, 12, 6, 22, 0, tzinfo=UTC)


def nezlam(db_url: str, *args: str | Path) -> Any:
    env = {"NEZLAM_DATABASE_URL": db_url}
    return CliRunner().invoke(app, [str(arg) for arg in args], env=env)


def imported(db: Any, *names: str | Path, provider: str | None = None) -> Any:
    from nezlam.interchange.outage_files import read_schedules

    schedule = read_schedules([real(n) if isinstance(n, str) else n for n in names])
    with db.write() as session:
        return outage_schedules.save_import(
            session, provider or "vinnytsia", schedule, schedule.source, NOW
        )


def counts(db: Any) -> tuple[int, int]:
    with db.read() as session:
        imports = session.execute(sa.select(sa.func.count()).select_from(OutageImport)).scalar()
        rows = session.execute(sa.select(sa.func.count()).select_from(OutageInterval)).scalar()
    return int(imports or 0), int(rows or 0)


def current_outages(db: Any, provider: str = "vinnytsia") -> dict[str, list[Outage]]:
    with db.read() as session:
        current = outage_schedules.current_import_id(session, provider)
        assert current is not None
        return outage_schedules.outages_of(session, current)


def test_an_import_stores_each_queues_outages_in_utc(db):
    done = imported(db, DEC_06)
    assert done.first_import
    assert done.queues == tuple(f"{n}.{m}" for n in range(1, 7) for m in (1, 2))
    stored = current_outages(db)
    assert stored["1.1"] == [
        off("2025-12-06 08:00+02", "2025-12-06 11:30+02"),
        off("2025-12-06 15:00+02", "2025-12-06 22:00+02"),
        off("2025-12-07 05:00+02", "2025-12-07 08:30+02"),
        off("2025-12-07 12:00+02", "2025-12-07 19:00+02"),
    ]
    # Across midnight, one interval (GPV3.1: Dec 6 from 18:30 to Dec 7 01:30).
    assert off("2025-12-06 18:30+02", "2025-12-07 01:30+02") in stored["3.1"]
    assert all(o.start.tzinfo is not None and o.kind is Kind.DEFINITE for o in stored["1.1"])
    assert counts(db) == (1, done.intervals) and done.intervals > 40
    with db.read() as session:
        row = session.execute(sa.select(OutageImport)).scalar_one()
    assert row.source_updated_at == datetime(2025, 12, 6, 21, 44, 43, 95000, tzinfo=UTC)
    assert (row.provider, row.current, row.source) == ("vinnytsia", True, DEC_06)


def test_a_later_import_is_current_and_the_earlier_ones_stay_as_history(db):
    first = imported(db, DEC_06)
    earlier = current_outages(db)
    second = imported(db, DEC_08)
    third = imported(db, DEC_10)
    with db.read() as session:
        rows = outage_schedules.history(session, "vinnytsia")
        kept = outage_schedules.outages_of(session, first.import_id)
        assert outage_schedules.current_import_id(session, "vinnytsia") == third.import_id
    assert [r.id for r in rows] == [third.import_id, second.import_id, first.import_id]
    assert [r.current for r in rows] == [True, False, False]
    assert kept == earlier  # the first import reads back as it was
    assert (
        min(o.start for o in current_outages(db)["1.1"])
        >= off("2025-12-10 00:00+02", "2025-12-10 00:30+02").start
    )
    assert counts(db)[0] == 3


def test_providers_are_kept_apart(db):
    imported(db, DEC_06)
    imported(db, DEC_08, provider="elsewhere")
    with db.read() as session:
        assert [r.current for r in outage_schedules.history(session, "vinnytsia")] == [True]
    assert current_outages(db) != current_outages(db, "elsewhere")


def revised(tmp_path: Path, queue: str, hour: str, value: str) -> Path:
    """DEC_06 with one hour of Dec 6 changed, published later."""
    document = real_document(DEC_06)
    day = document["fact"]["data"]["1764972000"]
    day[f"GPV{queue}"][hour] = value
    document["lastUpdated"] = "2025-12-06T23:59:00+02:00"
    path = tmp_path / "revised.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_import_says_what_changed_against_the_previous_one(db_url, db, tmp_path):
    result = nezlam(db_url, "outages", "import", real(DEC_06))
    assert result.exit_code == 0, result.output
    assert "vinnytsia: import 1, 12 queues" in result.output
    assert "first import" in result.output
    # Dec 6, 1.1: hour 16 (15:00-16:00) now has power: 15:00–22:00 becomes 16:00–22:00.
    result = nezlam(db_url, "outages", "import", revised(tmp_path, "1.1", "16", "yes"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("vinnytsia: import 2, 12 queues")
    assert lines[1:] == ["1.1: +2025-12-06 16:00–22:00 off; -2025-12-06 15:00–22:00 off"]
    result = nezlam(db_url, "outages", "import", revised(tmp_path, "1.1", "16", "yes"))
    assert result.output.splitlines() == ["vinnytsia: no change against import 2: nothing stored"]
    assert counts(db)[0] == 2


def test_watch_imports_again_at_each_interval_and_goes_on_after_a_failure(
    db_url, db, tmp_path, monkeypatch
):
    import time

    pauses: list[float] = []
    monkeypatch.setattr(time, "sleep", pauses.append)
    path = tmp_path / "schedule.json"
    path.write_text("{not json", encoding="utf-8")  # the mirror is down at first
    result = nezlam(db_url, "outages", "watch", path, "--provider", "vinnytsia", "--times", "1")
    assert result.exit_code == 0 and "cannot read schedule.json" in result.output
    assert counts(db) == (0, 0)
    path.write_bytes(real(DEC_06).read_bytes())
    args = ("outages", "watch", path, "--every", "5m", "--times", "3")
    result = nezlam(db_url, *args)
    assert result.exit_code == 0, result.output
    assert "vinnytsia: import 1, 12 queues" in result.output
    assert result.output.count("no change against import 1: nothing stored") == 2
    assert pauses == [300.0, 300.0] and counts(db)[0] == 1
    refused = nezlam(db_url, "outages", "watch", path, "--every", "1s")
    assert refused.exit_code == 2 and "--every" in refused.output


def test_a_file_that_cannot_be_read_stores_nothing(db_url, db, tmp_path):
    imported(db, DEC_06)
    before = counts(db)
    broken = real_document(DEC_08)
    broken["fact"]["data"]["1765231200"]["GPV4.2"]["13"] = "sometimes"
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps(broken), encoding="utf-8")
    result = nezlam(db_url, "outages", "import", real(DEC_10), bad)
    assert result.exit_code == 2
    assert "broken.json: fact.data.1765231200.GPV4.2.13" in result.output
    assert "'sometimes' is not one of" in result.output
    assert counts(db) == before
    with db.read() as session:
        assert [r.current for r in outage_schedules.history(session, "vinnytsia")] == [True]


def test_a_write_that_fails_half_way_leaves_the_previous_schedule_current(db, monkeypatch):
    first = imported(db, DEC_06)
    before = counts(db)

    def fails(*_args: Any) -> Any:
        raise RuntimeError("the disk is full")

    # After the old import is marked past and the new one's outages are written.
    monkeypatch.setattr(outage_schedules, "Imported", fails)
    with pytest.raises(RuntimeError):
        imported(db, DEC_08)
    assert counts(db) == before
    with db.read() as session:
        assert outage_schedules.current_import_id(session, "vinnytsia") == first.import_id


def test_calendars_need_a_provider_and_are_stored_for_a_week(db_url, db):
    calendars = [real(f"yasno-kyiv-ics-2024/group-{n}.ics") for n in (1, 2)]
    result = nezlam(db_url, "outages", "import", *calendars)
    assert result.exit_code == 2 and "--provider" in result.output
    result = nezlam(db_url, "outages", "import", *calendars, "--provider", "kyiv")
    assert result.exit_code == 0, result.output
    stored = current_outages(db, "kyiv")
    assert set(stored) == {"1", "2"}
    span = max(o.end for o in stored["1"]) - min(o.start for o in stored["1"])
    assert timedelta(days=6) < span <= timedelta(days=7)  # a week from today
    assert {o.kind for o in stored["1"]} == {Kind.DEFINITE, Kind.POSSIBLE}


def test_a_url_that_does_not_answer_is_refused_naming_it(db_url, db):
    result = nezlam(db_url, "outages", "import", "http://127.0.0.1:9/schedule.json")
    assert result.exit_code == 2
    assert "http://127.0.0.1:9/schedule.json" in result.output and "cannot fetch" in result.output
    assert counts(db) == (0, 0)
