"""Languages of the pages: gettext catalogs (Babel) chosen per request.

Catalogs are the `.po` files under `web/locales/<lang>/LC_MESSAGES/`, compiled in memory at start,
so there is no build step. Message ids are English; Ukrainian is the default language. Adding a
language is adding a catalog (and its code to LANGUAGES).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request

LOCALES = Path(__file__).resolve().parents[1] / "locales"
DEFAULT = "uk"
# English is the language of the message ids; every other language is the catalog that exists.
LANGUAGES = (DEFAULT, "en") + tuple(
    sorted(p.name for p in LOCALES.iterdir() if p.is_dir() and p.name not in (DEFAULT, "en"))
)
LANGUAGE_NAMES = {
    code: (Locale.parse(code).get_display_name(code) or code).capitalize() for code in LANGUAGES
}
COOKIE = "lang"


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of a language; English, the language of the ids, needs none."""
    po = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def choose_language(request: Request) -> str:
    """?lang= (the switcher), then the remembered choice, then the browser's, then Ukrainian."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT
