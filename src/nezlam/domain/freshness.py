"""The rule that fights stale data: the status a point is *shown* with, given when it last spoke.

`updated_at` moves with any report or edit; `verified_at` moves only when someone with authority
stated the status (an operator pressed "still current", sent a status, or a coordinator verified).
An `open` nobody verified within `stale_after` is shown as `unconfirmed`; a point with no report at
all within `no_response_after` is shown as `no_response`, whatever it last said.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from nezlam.domain.vocabulary import ShownStatus, Status


def shown_status(
    status: Status | str | None,
    updated_at: datetime | None,
    verified_at: datetime | None,
    now: datetime,
    stale_after: timedelta,
    no_response_after: timedelta,
) -> ShownStatus:
    """Pure: the status to show at `now`. All datetimes are timezone-aware UTC."""
    if status is None or updated_at is None:
        return ShownStatus.UNKNOWN
    if now - updated_at >= no_response_after:
        return ShownStatus.NO_RESPONSE
    if status == Status.OPEN and (verified_at is None or now - verified_at >= stale_after):
        return ShownStatus.UNCONFIRMED
    return ShownStatus(str(status))


def next_freshness_change(
    status: Status | str | None,
    updated_at: datetime | None,
    verified_at: datetime | None,
    now: datetime,
    stale_after: timedelta,
    no_response_after: timedelta,
) -> datetime | None:
    """When `shown_status` will next change if nothing is reported, or None if never."""
    if status is None or updated_at is None:
        return None
    candidates = []
    if status == Status.OPEN and verified_at is not None:
        candidates.append(verified_at + stale_after)
    candidates.append(updated_at + no_response_after)
    future = [moment for moment in candidates if moment > now]
    return min(future) if future else None


MAX_FUTURE_SKEW = timedelta(0)  # a report is never dated after it arrived


def effective_time(
    client_time: datetime | None, sent_at: datetime | None, received_at: datetime
) -> datetime:
    """Pure: when a report was really made, on the server's clock.

    A tap queued offline and delivered hours later counts from the tap, not from its arrival:
    its age is what the device measured between tapping (`client_time`) and sending (`sent_at`),
    both on the device's clock, so a device clock that is wrong by hours changes nothing. Without
    `sent_at` the device's `client_time` is taken as it is. Either way a report is never dated
    after it arrived (a clock running ahead, or a forged date far in the future)."""
    if client_time is None:
        return received_at
    if sent_at is not None:
        return min(received_at - (sent_at - client_time), received_at)
    return min(client_time, received_at + MAX_FUTURE_SKEW)
