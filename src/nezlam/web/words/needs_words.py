"""Needs in words: item and unit names, urgency, amounts and times as a page shows them, in the
page's language; on a page not in Ukrainian, places and organisations also in Latin letters
(`presenters.latin`; the template writes the Cyrillic beside them). Shared by the operator's
needs page and the needs board (`web.pages.needs`), and `since` by the inspection pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from babel.numbers import format_decimal

from nezlam.domain.point_view import pick_name
from nezlam.domain.vocabulary import NEED_ITEMS, Visibility
from nezlam.store.needs import NeedSummary
from nezlam.web.plumbing.forms import Gettext
from nezlam.web.words import presenters


def item_label(code: str, lang: str) -> str:
    entry = NEED_ITEMS.get(code) or NEED_ITEMS["other"]
    return entry.get(lang) or entry["en"]


def unit_label(unit: str | None, _: Gettext) -> str:
    known = {"l": _("l"), "pack": _("packs"), "portion": _("portions"), "pcs": _("pcs"),
             "people": _("people")}  # fmt: skip
    return known.get(unit or "", unit or "")


def urgency_labels(_: Gettext) -> dict[str, str]:
    return {"critical": _("Critical"), "high": _("High"), "normal": _("Normal")}


def urgency_hints(_: Gettext) -> dict[str, str]:
    return {
        "critical": _("the point closes without it today"),
        "high": _("needed within a day or two"),
        "normal": _("when someone can"),
    }


def amount(value: float | None, unit: str | None, lang: str, _: Gettext) -> str:
    if value is None:
        return ""
    return f"{format_decimal(value, locale=lang)} {unit_label(unit, _)}".strip()


def since(moment: datetime, now: datetime, lang: str, _: Gettext) -> str:
    """ "5 hours ago"; "just now" rather than "in 0 seconds" for what just happened."""
    if now - moment < timedelta(minutes=1):
        return _("just now")
    return presenters.ago(moment, now, lang)


def item_choices(lang: str, _: Gettext) -> list[dict[str, str]]:
    return [
        {"code": code, "label": item_label(code, lang), "unit": unit_label(entry["unit"], _)}
        for code, entry in NEED_ITEMS.items()
    ]


def region_choices(regions: Iterable[str], lang: str) -> list[tuple[str, str | None]]:
    """The board's region filter: each region as stored (the value asked for) and in Latin."""
    return [(region, presenters.latin(region, lang)) for region in sorted(set(regions))]


def need_view(
    summary: NeedSummary,
    now: datetime,
    lang: str,
    _: Gettext,
    may_deliver: Callable[..., bool],
    may_withdraw: Callable[..., bool] = lambda _pledge: False,
) -> dict[str, Any]:
    """A need in words, with its pledges (withdrawn ones left out), for a page."""
    need, point = summary.need, summary.point
    remaining = summary.remaining
    return {
        "id": need.id,
        "item": need.item,
        "label": item_label(need.item, lang),
        "amount": amount(need.quantity, need.unit, lang, _),
        "remaining": amount(remaining, need.unit, lang, _),
        "remaining_value": f"{remaining:g}" if remaining else "",
        "unit": unit_label(need.unit, _),
        "urgency": need.urgency,
        "posted": since(need.posted_at, now, lang, _),
        "details": summary.details,
        "point_id": point.id,
        "point_name": pick_name(point.name, lang),
        "point_public": point.visibility != Visibility.HIDDEN,
        "place": summary.place,
        "place_latin": presenters.latin(summary.place, lang),  # beside the Cyrillic, in English
        "region": point.region,
        "region_latin": presenters.latin(point.region, lang),
        "pledged": amount(summary.pledged, need.unit, lang, _),
        "delivered": amount(summary.delivered, need.unit, lang, _),
        "pledges": pledge_views(summary, now, lang, _, may_deliver, may_withdraw),
    }


def pledge_views(
    summary: NeedSummary,
    now: datetime,
    lang: str,
    _: Gettext,
    may_deliver: Callable[..., bool],
    may_withdraw: Callable[..., bool],
) -> list[dict[str, Any]]:
    """The need's pledges in words, withdrawn ones left out, each with whether the viewer may
    mark it delivered or withdraw it; an organisation's note only for an exact point."""
    need, point = summary.need, summary.point
    return [
        {
            "id": line.pledge.id,
            "organisation": line.organisation or _("an organisation"),
            "organisation_latin": presenters.latin(line.organisation, lang),
            "amount": amount(line.pledge.quantity, need.unit, lang, _),
            "status": line.pledge.status,
            "when": since(line.pledge.delivered_at or line.pledge.pledged_at, now, lang, _),
            "note": line.pledge.note if summary.precision == "exact" else None,
            "may_deliver": line.pledge.status == "pledged" and may_deliver(line.pledge, point),
            "may_withdraw": line.pledge.status == "pledged" and may_withdraw(line.pledge),
        }
        for line in summary.pledges
        if line.pledge.status != "withdrawn"
    ]
