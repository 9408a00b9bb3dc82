"""The rule that fights stale data, tested with a fake clock and no I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from nezlam.domain.freshness import next_freshness_change, shown_status
from nezlam.domain.vocabulary import ShownStatus

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
SIX_H, DAY = timedelta(hours=6), timedelta(hours=24)


def shown(status, updated_ago=None, verified_ago=None):
    updated = NOW - updated_ago if updated_ago is not None else None
    verified = NOW - verified_ago if verified_ago is not None else None
    return shown_status(status, updated, verified, NOW, SIX_H, DAY)


def test_open_point_confirmed_recently_is_shown_open():
    assert shown("open", timedelta(minutes=10), timedelta(minutes=10)) == ShownStatus.OPEN


def test_stale_open_point_is_shown_unconfirmed():
    assert shown("open", timedelta(hours=7), timedelta(hours=7)) == ShownStatus.UNCONFIRMED


def test_open_point_becomes_unconfirmed_exactly_at_stale_after():
    assert shown("open", SIX_H - timedelta(seconds=1), SIX_H - timedelta(seconds=1)) == "open"
    assert shown("open", SIX_H, SIX_H) == ShownStatus.UNCONFIRMED


def test_recent_update_without_verification_does_not_confirm_open():
    # Someone changed the occupancy an hour ago, but nobody stated the status for 8 hours.
    assert shown("open", timedelta(hours=1), timedelta(hours=8)) == ShownStatus.UNCONFIRMED


def test_open_never_verified_is_unconfirmed():
    assert shown("open", timedelta(minutes=1), None) == ShownStatus.UNCONFIRMED


@pytest.mark.parametrize("status", ["standby", "full", "closed"])
def test_other_statuses_stay_as_reported_until_silence(status):
    assert shown(status, timedelta(hours=23), timedelta(hours=23)) == status


@pytest.mark.parametrize("status", ["open", "standby", "full", "closed"])
def test_no_report_for_a_day_is_no_response(status):
    assert shown(status, DAY, timedelta(minutes=5)) == ShownStatus.NO_RESPONSE


def test_never_reported_is_unknown():
    assert shown(None) == ShownStatus.UNKNOWN


def test_next_change_is_when_open_goes_stale():
    verified = NOW - timedelta(hours=2)
    change = next_freshness_change("open", verified, verified, NOW, SIX_H, DAY)
    assert change == verified + SIX_H


def test_next_change_of_closed_point_is_silence():
    updated = NOW - timedelta(hours=2)
    assert next_freshness_change("closed", updated, updated, NOW, SIX_H, DAY) == updated + DAY
    assert next_freshness_change("closed", NOW - DAY, None, NOW, SIX_H, DAY) is None
