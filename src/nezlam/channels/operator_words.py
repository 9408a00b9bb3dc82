"""What a point's operators are told directly (`store.operator_messages`), in Ukrainian, the
language of the network's staff: that their point must open, because its queue's power goes off
by schedule soon or because emergency shutdowns were declared. One plain text, for an SMS as it
is and for Telegram escaped, with the way to the point in the workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from nezlam.domain.point_view import pick_name

KYIV = ZoneInfo("Europe/Kyiv")  # the schedules' time


def _time(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value)).astimezone(KYIV).strftime("%H:%M")
    except ValueError:
        return "?"


def operator_text(data: dict[str, Any]) -> str | None:
    """The words of an operator's event, or None for one this does not know."""
    names = data.get("names")
    point_id = str(data.get("point_id", ""))
    name = pick_name(names, "uk") if isinstance(names, dict) and names else point_id
    kind = data.get("kind")
    if kind == "outage_soon":
        start, end = _time(data.get("outage_start")), _time(data.get("outage_end"))
        queue = data.get("outage_queue") or "?"
        return (
            f"{name}: світло вимкнуть за графіком {start}–{end} (черга {queue}). "
            "Відчиніть пункт до того часу і підтвердіть статус."
        )
    if kind == "emergency":
        note = f" {data['note']}" if data.get("note") else ""
        return (
            f"{name}: аварійні відключення, графік не діє.{note} "
            "Пункт у резерві має відчинитися: підтвердіть статус."
        )
    if kind == "fuel_reserve":
        reserve, empty = _time(data.get("reserve_at")), _time(data.get("empty_at"))
        return (
            f"{name}: пального до резерву — до {reserve}, до порожнього баку — до {empty}. "
            "Повідомте рівень пального, коли заміряєте, і попросіть підвіз."
        )
    return None
