"""The sign-in page, which says how long a sign-in lasts: while the device is used at least
once in the idle window, up to the absolute limit (`domain.login_lifetime`, review O5)."""

from __future__ import annotations

from datetime import timedelta

from babel.support import NullTranslations
from fastapi import Request
from fastapi.responses import HTMLResponse

from nezlam.domain.login_lifetime import LoginLifetime
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.render import page
from nezlam.web.plumbing.state import AppState


def span_words(span: timedelta, translations: NullTranslations) -> str:
    """'14 days', '24 hours', '90 minutes': the largest whole unit, but a day is said in hours
    (as the settings are usually written). In Ukrainian the forms are those after «на» and «ніж»
    (accusative: «на 1 годину»)."""
    seconds = int(span.total_seconds())
    ngettext = translations.ngettext
    if seconds % 86400 == 0 and seconds > 86400:
        days = seconds // 86400
        return ngettext("{n} day", "{n} days", days).format(n=days)
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    minutes = max(1, round(seconds / 60))
    return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)


def how_long_signed_in(lifetime: LoginLifetime, translations: NullTranslations) -> str:
    said = translations.gettext(
        "On this device you stay signed in as long as you use Nezlam at least once every {idle}, "
        "for at most {longest} after signing in."
    )
    return said.format(
        idle=span_words(lifetime.idle, translations),
        longest=span_words(lifetime.longest, translations),
    )


def login_page(
    request: Request, target: str, problem: str | None = None, status: int = 200
) -> HTMLResponse:
    state: AppState = request.app.state.nezlam
    translations = i18n.translations(i18n.choose_language(request))
    stay = how_long_signed_in(state.settings.sessions, translations)
    return page(request, "login.html", status=status, next=target, problem=problem, stay=stay)
