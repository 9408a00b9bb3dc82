"""The "Were you here?" form on a point's page, and what the pages say about visits: the week's
answers in one line for residents, per question for coordinators, the published comments, and
the thank-you that says what was recorded.

The form is guarded as the visitor buttons are (`finder.point_signal`): only from this site's
own page, and within the same in-memory budgets — the connection's hourly cap of visitor
signals, and once per point per signal window — so nothing about the visitor is stored. The
thank-you's words come from the redirect, signed with the server's key like a signal's receipt,
so no link can make the page claim someone said what they did not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.support import NullTranslations

from nezlam.domain.errors import DomainError, Invalid
from nezlam.store import visits
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import zone_name
from nezlam.web.words.presenters import Gettext

REPEAT_KIND = "visit"  # its key in the signal-repeat limiter: no signal kind is called that
SAID = {True: "y", False: "n", None: "-"}  # a receipt's letter for each answer


def questions(_: Gettext) -> list[tuple[str, str]]:
    """(field, question) in the order the form asks them."""
    return [
        ("was_open", _("Was it open?")),
        ("warm", _("Was it warm?")),
        ("charged", _("Could you charge your phone?")),
        ("internet", _("Was there internet?")),
    ]


def short_labels(_: Gettext) -> dict[str, str]:
    """The questions in a word or two, for the summary line and the thank-you."""
    return {
        "was_open": _("open"),
        "warm": _("warm"),
        "charged": _("phone charged"),
        "internet": _("internet"),
    }


def read_answers(form: Mapping[str, Any]) -> visits.Answers | None:
    """The four radio groups: "yes", "no", or nothing (not answered); None for anything else."""
    given: dict[str, bool | None] = {}
    for name in visits.QUESTIONS:
        raw = form.get(name)
        if raw in (None, ""):
            given[name] = None
        elif raw in ("yes", "no"):
            given[name] = raw == "yes"
        else:
            return None
    return visits.Answers(**given)


def token(key: bytes, point_id: str, said: str) -> str:
    message = f"visit-receipt|{point_id}|{said}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()[:18]).decode()


def receipt_query(key: bytes, point_id: str, answers: visits.Answers, commented: bool) -> str:
    """ "said=yn--c&sig=…": each answer's letter, "c" for a comment, and their signature."""
    said = "".join(SAID[getattr(answers, name)] for name in visits.QUESTIONS)
    said += "c" if commented else ""
    return urlencode({"said": said, "sig": token(key, point_id, said)})


def read_receipt(
    key: bytes, point_id: str, params: Mapping[str, Any]
) -> tuple[dict[str, bool | None], bool] | None:
    """(answers by field, whether there was a comment) of a genuine receipt, else None."""
    said, given = str(params.get("said", "")), str(params.get("sig", ""))
    if not hmac.compare_digest(token(key, point_id, said), given):
        return None
    letters = {letter: value for value, letter in SAID.items()}
    if len(said) not in (4, 5) or any(ch not in letters for ch in said[:4]):
        return None
    answers = {name: letters[said[i]] for i, name in enumerate(visits.QUESTIONS)}
    return answers, said[4:] == "c"


def record_visit(
    state: AppState, client: str, point_id: str, form: Mapping[str, Any], lang: str
) -> str:
    """Count one visitor's answers and queue their comment. Returns the redirect's query:
    "visit=thanks&said=…&sig=…", or "visit=" and why not (empty, long, busy, already,
    invalid). Checked before the budgets are spent: a refused form can be sent again."""
    answers = read_answers(form)
    raw = form.get("comment")
    comment = raw if isinstance(raw, str) else None
    if answers is None or (raw is not None and comment is None):
        return "visit=invalid"
    try:
        visits.check(answers, comment, lang, "web")
    except Invalid as exc:
        return "visit=" + refusal(exc, comment)
    volume, repeat = state.signal_volume, state.signal_repeat
    if not volume.allow(volume.client_key(client)):
        return "visit=busy"
    if not repeat.allow(repeat.client_key(client, point_id, REPEAT_KIND)):
        return "visit=already"  # acknowledged, not counted twice
    try:
        with state.db.write() as session:
            done = visits.record(
                session, point_id, answers, comment, language=lang, source="web", now=state.clock()
            )
    except DomainError:
        return "visit=invalid"
    receipt = receipt_query(state.signing_key, point_id, answers, done.comment_id is not None)
    return "visit=thanks&" + receipt


def refusal(exc: Invalid, comment: str | None) -> str:
    if exc.field == "answers":
        return "empty"
    if exc.field == "comment" and comment is not None and "\x00" not in comment:
        return "long"
    return "invalid"


def thanks_words(state: AppState, point_id: str, params: Mapping[str, Any], _: Gettext) -> str:
    """ "Thank you! You answered: open — yes, warm — no." and, after a comment, that it waits
    for a coordinator. Without a genuine receipt, only the thanks."""
    found = read_receipt(state.signing_key, point_id, params)
    if found is None:
        return _("Thank you!")
    answers, commented = found
    labels, words = short_labels(_), {True: _("yes"), False: _("no")}
    said = [
        f"{labels[name]} — {words[value]}" for name, value in answers.items() if value is not None
    ]
    text = _("Thank you!")
    if said:
        text = _("Thank you! You answered: {answers}.").format(answers=", ".join(said))
    if commented:
        text += " " + _("Your comment waits for a coordinator: it is shown here once published.")
    return text


def summary_line(summary: visits.Summary, translations: NullTranslations) -> str | None:
    """ "12 visitors this week: open 12, warm 11, phone charged 9, internet 7" — how many said
    yes to each question somebody answered (a 0 there means they said no, not that nobody
    said); None when nobody answered."""
    if not summary.visitors:
        return None
    n = summary.visitors
    head = translations.ngettext("{n} visitor this week", "{n} visitors this week", n)
    labels = short_labels(translations.gettext)
    said = ", ".join(
        f"{labels[name]} {tally.yes}"
        for name, tally in summary.tallies.items()
        if tally.yes or tally.no
    )
    return f"{head.format(n=n)}: {said}"


def coordinator_summary(summary: visits.Summary, translations: NullTranslations) -> dict[str, Any]:
    """The week's answers for the coordinator's point page: the line, and yes/no per question."""
    _ = translations.gettext
    return {
        "line": summary_line(summary, translations),
        "rows": [
            (question, summary.tallies[name].yes, summary.tallies[name].no)
            for name, question in questions(_)
        ],
    }


def public_parts(
    state: AppState,
    point_id: str,
    params: Mapping[str, Any],
    zone: str | None,
    lang: str,
    translations: NullTranslations,
) -> dict[str, Any]:
    """What the point's public page shows of visits: the form's questions, the thank-you (or
    why nothing was recorded), the week's summary and the newest published comments."""
    _ = translations.gettext
    now = state.clock()
    with state.db.read() as session:
        summary = visits.summary(session, point_id, now - visits.WEEK)
        comments = visits.published(session, point_id)
    outcome = params.get("visit")
    return {
        "visit": outcome,
        "visit_thanks": thanks_words(state, point_id, params, _) if outcome == "thanks" else None,
        "visit_summary": summary_line(summary, translations),
        "visit_comments": [
            {"text": c.text, "lang": c.language, "date": local_date(c.at, zone, lang)}
            for c in comments
        ],
        "visit_questions": questions(_),
        "comment_limit": visits.COMMENT_LIMIT,
    }


def local_date(moment: datetime, zone: str | None, lang: str) -> str:
    """ "24 листопада 2026 р.": the day, in the point's zone and the page's language."""
    return format_date(moment.astimezone(ZoneInfo(zone or zone_name())).date(), "long", lang)
