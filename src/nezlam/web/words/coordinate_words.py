"""The coordinator's screens in words: a shown status's name, a time as people read it, and a
point's history — reports and audit entries — said with field names and values a coordinator
reads, not column codes.

Shared by the dashboard (`web.pages.coordinate`), its exports and the point page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from babel.numbers import format_decimal

from nezlam.domain.point_view import iso, pick_name
from nezlam.domain.transliteration import transliterate
from nezlam.domain.vocabulary import CallOutcome
from nezlam.web.plumbing.wall_clock import local_zone
from nezlam.web.words import presenters

EPOCH = datetime(2022, 11, 1, tzinfo=UTC)  # any moment: only the headline is read


def status_name(code: str, _: Any) -> str:
    """A shown status in the finder's words ("Unconfirmed", "No response")."""
    return presenters.status_words({"status": code}, EPOCH, "en", _).headline


def moment(value: datetime | None, now: datetime, lang: str) -> dict[str, str] | None:
    """A time as people read it ("2 hours ago"), with the exact local time beside it."""
    if value is None:
        return None
    return {
        "ago": presenters.ago(value, now, lang),
        "exact": value.astimezone(local_zone()).strftime("%d.%m.%Y %H:%M"),
        "iso": iso(value) or "",
    }


def dash(value: Any, lang: str = "en") -> str:
    """A number as the page's language writes it (2,5 in Ukrainian, 2.5 in English; 40, never
    40.0; 1 302), or a dash for what nobody reported. Anything else as it is."""
    if value is None:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_decimal(value, locale=lang)
    return str(value)


def local_name(text: str | None, lang: str) -> str:
    """A locality, address, region or organisation name (stored as written, in Ukrainian) as
    the page's language reads it: unchanged in Ukrainian, in the national transliteration in
    any other language ("Київ" → "Kyiv"), so an English reader can say and search it."""
    if not text:
        return text or ""
    return text if lang == "uk" else transliterate(text)


def visibility_words(_: Any) -> dict[str, str]:
    return {
        "public": _("public"),
        "locality_only": _("protected: only the locality is published"),
        "hidden": _("hidden from the public"),
    }


def outcome_words(_: Any) -> dict[str, str]:
    return {
        str(CallOutcome.CONFIRMED): _("Confirmed"),
        str(CallOutcome.FULL): _("Full"),
        str(CallOutcome.STANDBY): _("On standby"),
        str(CallOutcome.CLOSED): _("Closed"),
        str(CallOutcome.NO_ANSWER): _("No answer"),
        str(CallOutcome.WRONG_NUMBER): _("Wrong number"),
        str(CallOutcome.CALL_BACK): _("Call back later"),
    }


# --- A point's history ------------------------------------------------------------------------
LATE_AFTER = timedelta(minutes=2)  # a report that arrived this long after its tap says so


def report_item(report: Any, authors: dict[int, str], words: ChangeWords) -> dict[str, Any]:
    said = [
        words.change(name, None, getattr(report, name))[0::2]
        for name in ("status", "power", "heating", "internet", "occupancy", "fuel_litres")
        if getattr(report, name) is not None
    ]
    tapped = report.effective_at or report.received_at
    late = report.received_at - tapped >= LATE_AFTER  # queued offline, or a device far behind
    return {
        "at": moment(tapped, words.now, words.lang),
        "arrived": moment(report.received_at, words.now, words.lang) if late else None,
        "by": authors.get(report.reporter_user_id or -1) or report.source,
        "verify": report.verify,
        "said": said,
    }


def entry_item(entry: Any, words: ChangeWords) -> dict[str, Any]:
    after, before = entry.after or {}, entry.before or {}
    return {
        "at": moment(entry.at, words.now, words.lang),
        "actor": entry.actor,
        "action": words.action(entry.action),
        "changes": [words.change(name, before.get(name), after.get(name)) for name in after],
    }


class ChangeWords:
    """The audit log in words: field names and values a coordinator reads, not column codes."""

    def __init__(self, now: datetime, lang: str, _: Any) -> None:
        self.now, self.lang, self._ = now, lang, _
        self.fields = {
            "status": _("Status"),
            "power": _("Power"),
            "heating": _("Heating"),
            "internet": _("Internet"),
            "occupancy": _("People inside"),
            "fuel_litres": _("Generator fuel, litres"),
            "updated_at": _("Updated"),
            "verified_at": _("Verified"),
            "flagged_at": _("Flagged by visitors"),
            "name": _("Name"),
            "address": _("Address"),
            "locality": _("Locality"),
            "region": _("Region"),
            "phone": _("Phone"),
            "capacity": _("Places"),
            "opening_hours": _("Opening hours"),
            "services": _("Services"),
            "visibility": _("Visibility"),
            "outcome": _("Outcome"),
            "note": _("Note"),
            "claim": _("Call number"),
        }

    def action(self, code: str) -> str:
        _ = self._
        return {
            "create": _("Created"),
            "update": _("Details edited"),
            "report": _("Report"),
            "verify": _("Still current"),
            "flag": _("Flagged by visitors"),
            "claim": _("Claimed for a call"),
            "call": _("Phone call"),
        }.get(code, code)

    def value(self, name: str, value: Any) -> str:
        _ = self._
        if value is None:
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if name == "status":
            return status_name(str(value), _)
        if name == "power":
            return presenters.power_label(str(value), _) or str(value)
        if name == "visibility":
            return visibility_words(_).get(str(value), str(value))
        if name == "outcome":
            return outcome_words(_).get(str(value), str(value))
        if name.endswith("_at") and isinstance(value, str):
            said = moment(presenters.parse_iso(value), self.now, self.lang)
            return said["exact"] if said else value
        if isinstance(value, dict):
            return pick_name(value, self.lang)
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if name in ("address", "locality", "region"):
            return local_name(str(value), self.lang)
        return dash(value, self.lang)

    def change(self, name: str, before: Any, after: Any) -> tuple[str, str, str]:
        """(field, value before, value after), each in words."""
        return self.fields.get(name, name), self.value(name, before), self.value(name, after)
