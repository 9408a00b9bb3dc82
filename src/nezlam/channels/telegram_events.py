"""What waits in the Telegram outbox as an event, put into words when it is sent (channels/
telegram.py): a point a chat follows opened or closed, a coordinator's alert, a broadcast. The
store queues the events inside a report's transaction and never words anything.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from nezlam.channels.telegram_words import esc, words
from nezlam.domain.point_view import pick_name


def _event_point(data: dict[str, object], lang: str, base_url: str | None) -> tuple[str, str]:
    names = data.get("names")
    point_id = str(data.get("point_id", ""))
    name = pick_name(names, lang) if isinstance(names, dict) and names else point_id
    page = f"{base_url}/points/{quote(point_id)}?lang={lang}" if base_url else None
    return name, page or ""


def turn_text(data: dict[str, object], base_url: str | None) -> str:
    """ "🟢 Відчинився: Юрта в парку Шевченка", to a chat that follows it."""
    lang = str(data.get("lang") or "uk")
    said = words(lang)
    name, page = _event_point(data, lang, base_url)
    key = "opened" if data.get("event") == "opened" else "closed_alert"
    text = esc(said[key].format(name=name))
    if page:
        text += f'\n<a href="{esc(page)}">{said["page"]}</a>'
    return text + "\n/follows · /stop"


ALERTS = {
    "uk": {"full": "🟣 Немає місць", "closed": "🔴 Зачинено", "no_power": "⚡ Немає живлення",
           "low_fuel": "⛽ Мало пального", "outage_soon": "⏰ Скоро вимкнуть світло",
           "emergency": "🚨 Аварійні відключення", "off_stop": "📍 Не на стоянці",
           "fuel_reserve": "⛽ Пальне скоро до резерву"},
    "en": {"full": "🟣 Full", "closed": "🔴 Closed", "no_power": "⚡ No power",
           "low_fuel": "⛽ Low on fuel", "outage_soon": "⏰ Power off soon",
           "emergency": "🚨 Emergency shutdowns", "off_stop": "📍 Away from its stop",
           "fuel_reserve": "⛽ Fuel at its reserve soon"},
}  # fmt: skip
OUTAGE = {
    "uk": "Світло вимкнуть за графіком {start}–{end} (черга {queue}). Пункт на чергуванні має "
          "відчинитися до того часу.",
    "en": "Power goes off by schedule {start}–{end} (queue {queue}). A point on standby should "
          "be open by then.",
}  # fmt: skip
EMERGENCY = {
    "uk": "Графік не діє: світло можуть вимкнути будь-коли. Пункт на чергуванні має відчинитися.",
    "en": "The schedule does not hold: the power may go off at any time. A point on standby "
          "should open.",
}  # fmt: skip


def outage_words(data: dict[str, object], lang: str) -> str:
    """ "Power goes off by schedule 09:30–16:30 (queue 1.1)", in Kyiv time (the schedules')."""
    start, end = (_kyiv_time(data.get(key)) for key in ("outage_start", "outage_end"))
    queue = data.get("outage_queue") or "?"
    return OUTAGE[lang].format(start=start, end=end, queue=queue)


def _kyiv_time(value: object) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return "?"
    return moment.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%H:%M")


def alert_text(data: dict[str, object], base_url: str | None) -> str:
    """A coordinator's notification: what the point turned into, which point, where."""
    lang = "en" if data.get("lang") == "en" else "uk"
    kind = str(data.get("kind", ""))
    name, page = _event_point(data, lang, base_url)
    head = ALERTS[lang].get(kind, kind)
    where = ", ".join(str(part) for part in (data.get("locality"), data.get("region")) if part)
    lines = [f"<b>{esc(head)}</b>: {esc(name)} (<code>{esc(data.get('point_id', ''))}</code>)"]
    if kind == "outage_soon":
        lines.append(esc(outage_words(data, lang)))
    if kind == "emergency":
        lines.append(esc(EMERGENCY[lang]))
        if data.get("note"):
            lines.append(f"<i>{esc(data['note'])}</i>")
    if where:
        lines.append(esc(where))
    if page:
        lines.append(f'<a href="{esc(page)}">{words(lang)["page"]}</a>')
    return "\n".join(lines)


def broadcast_text(data: dict[str, object]) -> str:
    """A coordinator's words to a region's followers, marked as theirs, escaped."""
    lang = "en" if data.get("lang") == "en" else "uk"
    head = "📢 Coordinators of" if lang == "en" else "📢 Координатори:"
    region = esc(data.get("region", ""))
    return f"<b>{head} {region}</b>\n{esc(data.get('text', ''))}"
