"""The operator's taps and their details form read into a report — and, when a number is wrong,
what is wrong said beside its field, with what was typed kept (never "you were signed out").

`web.pages.workspace` runs the forms; the plausibility rule itself (fuel above the tank, people far
above the places) is `domain.points.check_plausible`, which the API's reports pass too. The words
operate.js needs (which taps wait, how many) are `queue_words`, a global of the pages' Jinja
environment that operate.html renders as JSON with |tojson.
"""

from __future__ import annotations

import math
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from pydantic import ValidationError

from nezlam.domain.points import Implausible, ReportCreate
from nezlam.web.plumbing import i18n
from nezlam.web.plumbing.forms import Gettext
from nezlam.web.plumbing.render import env

STATUSES = ("open", "standby", "full", "closed")
# The details form's fields, as named in the page, and the report fields they fill.
NUMBER_FIELDS = {"occupancy_exact": "occupancy", "fuel_litres": "fuel_litres"}
FORM_FIELD = {report: form for form, report in NUMBER_FIELDS.items()}


def read_report(action: str, form: Any, _: Gettext) -> tuple[ReportCreate | None, dict[str, str]]:
    """(the report a button stands for, or None for anything else; the mistakes by form field,
    in words). Nothing is stored when either is empty."""
    fields: dict[str, Any] | None = None
    mistakes: dict[str, str] = {}
    if action == "verify":
        fields = {"verify": True}
    elif action == "details":
        fields, mistakes = details_fields(form, _)
    elif action.startswith("status:") and action[7:] in STATUSES:
        fields = {"status": action[7:]}
    elif action in ("occupancy:+1", "occupancy:-1"):
        # A step, not the count the page showed: two people counting at once both count.
        fields = {"occupancy_change": 1 if action.endswith("+1") else -1}
    if fields is None or mistakes:
        return None, mistakes
    for name in ("client_time", "sent_at"):  # from operate.js: when tapped, when sent
        if form.get(name):
            fields[name] = str(form.get(name))
    try:
        return ReportCreate.model_validate(fields), {}
    except ValidationError as invalid:  # a number too large for any point; else not a tap
        return None, validation_mistakes(invalid, _)


def details_fields(form: Any, _: Gettext) -> tuple[dict[str, Any], dict[str, str]]:
    """Power, heating, internet, people inside and fuel, as the operator set them; a number
    that is not one is a mistake named beside its field."""

    def flag(name: str) -> bool | None:
        return {"yes": True, "no": False}.get(str(form.get(name, "")))

    fields: dict[str, Any] = {
        "power": str(form.get("power", "")) or None,
        "heating": flag("heating"),
        "internet": flag("internet"),
    }
    mistakes: dict[str, str] = {}
    for name, report_name in NUMBER_FIELDS.items():
        value, mistake = read_number(str(form.get(name, "")), whole=name == "occupancy_exact", _=_)
        if mistake:
            mistakes[name] = mistake
        fields[report_name] = value
    return {name: value for name, value in fields.items() if value is not None}, mistakes


def read_number(typed: str, *, whole: bool, _: Gettext) -> tuple[float | int | None, str | None]:
    """ "37,5", "1 200" or "140" as a number; (None, None) when empty; (None, why) otherwise."""
    text = typed.strip().replace(",", ".").replace(" ", "").replace("\u00a0", "")
    if not text:
        return None, None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        return None, _("A whole number, e.g. 12.") if whole else _("A number, e.g. 140 or 37,5.")
    if value < 0:
        return None, _("Cannot be less than 0.")
    if whole and value != int(value):
        return None, _("A whole number, e.g. 12.")
    return (int(value) if whole else value), None


def validation_mistakes(invalid: ValidationError, _: Gettext) -> dict[str, str]:
    """What the report's own checks refused (a number too large for any point), by field."""
    mistakes: dict[str, str] = {}
    for error in invalid.errors():
        loc = [str(part) for part in error.get("loc", ())]
        name = FORM_FIELD.get(loc[0]) if loc else None
        if name:  # other fields (a malformed client_time) are no mistake to show a person
            mistakes.setdefault(name, _("Not valid: {problem}").format(problem=error["msg"]))
    return mistakes


def implausible_words(refused: Implausible, lang: str, _: Gettext) -> tuple[str, str]:
    """(the form field, what is wrong in words) for a number no point can have."""
    limit = format_decimal(refused.limit, locale=lang)
    if refused.field == "fuel_litres" and "tank holds" in refused.problem:
        words = _("More than the tank holds ({litres} l). Check the number, or change the tank "
                  "size in “Edit details”.").format(litres=limit)  # fmt: skip
    elif refused.field == "fuel_litres":
        words = _("More than {litres} l: check the number. If the tank really holds more, set "
                  "its size in “Edit details”.").format(litres=limit)  # fmt: skip
    else:
        words = _("More than {limit} people is far above the point's places. Check the count, "
                  "or change the places in “Edit details”.").format(limit=limit)  # fmt: skip
    return FORM_FIELD.get(refused.field or "", "occupancy_exact"), words


def typed_details(form: Any) -> dict[str, str]:
    """The details form as typed, to show it again beside a mistake."""
    names = ("power", "heating", "internet", *NUMBER_FIELDS)
    return {name: str(form.get(name, "")).strip() for name in names}


def litres(value: float | None, lang: str) -> str | None:
    """ "140", "37,5": a litre count as the page's language writes it (not "140.0")."""
    return None if value is None else format_decimal(value, locale=lang, group_separator=False)


def card_details(view: Any, lang: str) -> dict[str, str]:
    """The details form's values on a point's card, as the page writes them."""
    yes_no = {True: "yes", False: "no"}
    return {
        "power": view.power or "",
        "heating": yes_no.get(view.heating, ""),
        "internet": yes_no.get(view.internet, ""),
        "occupancy_exact": "" if view.occupancy is None else str(view.occupancy),
        "fuel_litres": litres(view.fuel_litres, lang) or "",
    }


def suggests_full(view: Any) -> bool:
    """As many people as places or more, and not said to be full: the card asks whether it is."""
    full = view.capacity and view.occupancy is not None and view.occupancy >= view.capacity
    return bool(full) and view.status != "full"


def queue_words(lang: str) -> dict[str, Any]:
    """What operate.js needs to say which taps wait, and how many, in the page's language."""
    translations = i18n.translations(lang)
    _, ngettext = translations.gettext, translations.ngettext
    return {
        "lang": lang,
        "queued": _("Queued: {taps} — will be sent when the connection returns."),
        "tap": _("“{label}”"),
        "people": plural_forms(lang, lambda n: ngettext("{n} person", "{n} people", n)),
        "waiting": plural_forms(
            lang,
            lambda n: ngettext(
                "{n} tap is waiting: sign in to send it.",
                "{n} taps are waiting: sign in to send them.",
                n,
            ),
        ),
        "sign_in": _("Sign in"),
        "sent": _("Sent. Saved."),
        "not_saved": _("Not saved: you may not change this point. Reload the page to see it now."),
        "check": _("Not saved: check the field marked below."),
        "crowded": _(
            "Not saved: that many people is far above the point's places. Check the count, or "
            "change the places in “Edit details”."
        ),
    }


def plural_forms(lang: str, say: Any) -> dict[str, str]:
    """`say(n)` (an ngettext) in each plural category of the language, for a script that counts
    (Intl.PluralRules picks the category there): one sample number per category."""
    plural = Locale.parse(lang).plural_form
    forms: dict[str, str] = {}
    for n in range(200):
        forms.setdefault(plural(n), say(n))
    return forms


env.globals.update(queue_words=queue_words)  # operate.html renders them for operate.js
