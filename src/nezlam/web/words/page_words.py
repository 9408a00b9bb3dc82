"""The words and limits a page's offline copy needs to re-age its status words on the device
(static/freshness.js): the same words, from the gettext catalog in the page's language, and the
same thresholds the server uses (`presenters.status_words`, `domain.freshness`). base.html renders
them as a JSON data block with |tojson, which escapes < > & ' for the element it sits in.

`freshness_words` is a global of the pages' Jinja environment (web.plumbing.render.env),
registered when this module is imported (web.pages.offline does, and every app includes its
routes). A page may pass `freshness_limits` (stale_after, no_response_after); without it the
settings' defaults are used.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nezlam.config import Settings
from nezlam.domain.opening_hours import OFFLINE_DAYS
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.render import env
from nezlam.web.plumbing.wall_clock import zone_name
from nezlam.web.words import presenters
from nezlam.web.words.presenters import Gettext


def freshness_words(
    lang: str, zone: str | None = None, limits: tuple[timedelta, timedelta] | None = None
) -> dict[str, Any]:
    """What freshness.js needs to say a cached card's status as the server would now."""
    _ = i18n.translations(lang).gettext
    stale, silent = limits or (Settings.stale_after, Settings.no_response_after)
    return {
        "lang": lang,
        "zone": zone or zone_name(),
        "stale_after": stale.total_seconds(),
        "no_response_after": silent.total_seconds(),
        "closing_soon": presenters.CLOSING_SOON.total_seconds(),
        "hours_days": OFFLINE_DAYS,
        "overridden": list(presenters.HOURS_OVERRIDE),
        "headline": headline_words(_),
        "detail": detail_words(_),
        "advice": advice_words(_),
        "banner": banner_words(_),
    }


def headline_words(_: Gettext) -> dict[str, str]:
    """The status a card shows in large, by the shown status (as `presenters.status_words`)."""
    return {
        "open": _("Open"),
        "standby": _("On standby"),
        "full": _("Full"),
        "closed": _("Closed"),
        "unconfirmed": _("Unconfirmed"),
        "no_response": _("No response"),
        "unknown": _("Status unknown"),
        "closed_now": _("Closed now"),
    }


def detail_words(_: Gettext) -> dict[str, str]:
    """The line under the status: since when it holds, and when the hours change it; the
    {placeholders} are filled in on the device."""
    return {
        "confirmed_just_now": _("confirmed just now"),
        "confirmed": _("confirmed {ago}"),
        "standby": _("can open within 2 hours"),
        "updated": _("updated {ago}"),
        "last_confirmed": _("last confirmed {ago}"),
        "never_confirmed": _("never confirmed"),
        "no_news": _("no news for {span}"),
        "no_report": _("no report yet"),
        "closes_in": _("closes in {n} min"),
        "opens_at": _("opens at {time}"),
        "opens_tomorrow": _("opens tomorrow at {time}"),
        "opens_day": _("opens {day} at {time}"),
        "hours_unknown": _("hours unknown this far ahead"),
    }


def advice_words(_: Gettext) -> dict[str, str]:
    """What to do about a status that is not a plain open."""
    return {
        "standby": _("Call before you go."),
        "full": _("Look for another point nearby."),
        "unconfirmed": _(
            "It said it was open, but nobody has confirmed it recently. Call before you go."
        ),
        "no_response": _("This point has not reported for a day. Call before you go."),
        "unknown": _("Call before you go."),
        "closed_now": _("Closed by its opening hours. Call before you go."),
    }


def banner_words(_: Gettext) -> dict[str, str]:
    """The banner over results that were saved, shown when there is no connection."""
    return {
        "stand_in": _(
            "No connection, so no new search: below are the results of an earlier search, "
            "saved {date} at {time} ({ago})."
        ),
        "just_now": _("just now"),
    }


env.globals.update(freshness_words=freshness_words)
