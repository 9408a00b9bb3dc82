"""What a point's devices say, in words for its pages (issue 12): "device offline 12 min",
"no power at the point since 14:05". Shown beside the status a person reported, never in its
place: a device's word updates a point, it does not verify it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_datetime, format_time, format_timedelta

from nezlam.domain.device_snapshot import DeviceSnapshot, point_power, stored_snapshot
from nezlam.web.plumbing.forms import Gettext
from nezlam.web.plumbing.wall_clock import local_zone


def device_lines(
    snapshot: DeviceSnapshot | None, power: str | None, now: datetime, lang: str, _: Gettext
) -> list[str]:
    """The lines a page shows for the point's devices: none while they are heard and the mains
    is on (or unknown). "No power" only while the point's `power` is the devices' word: a person
    who reported since (a generator started) is not contradicted."""
    if snapshot is None:
        return []
    lines = []
    if snapshot.offline and snapshot.online_since is not None:
        silent = format_timedelta(
            max(now - snapshot.online_since, timedelta(0)),
            locale=lang,
            format="short",
            threshold=1.1,
        )
        lines.append(_("device offline {span}").format(span=silent))
    said = power is None or power == point_power(snapshot)
    if snapshot.without_power and snapshot.mains_since is not None and said:
        lines.append(
            _("no power at the point since {time}").format(
                time=local_moment(snapshot.mains_since, now, lang)
            )
        )
    return lines


def lines_of_row(
    state_times: dict[str, Any] | None, power: str | None, now: datetime, lang: str, _: Gettext
) -> list[str]:
    """`device_lines` of a point's row (its `state_times` and `power`)."""
    return device_lines(stored_snapshot(state_times), power, now, lang, _)


def local_moment(moment: datetime, now: datetime, lang: str) -> str:
    """14:05 today (the network's wall clock); "3 Dec, 14:05" on another day."""
    zone = local_zone()
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return format_time(local, "HH:mm", locale=lang)
    return format_datetime(local, "d MMM, HH:mm", locale=lang)
