"""Opening hours on a form: read as typed (`domain.opening_hours.normalise`), and the mistake said
in words in the page's language, beside the field — the edit form and /apply share it."""

from __future__ import annotations

from nezlam.domain.opening_hours import OpeningHoursError, normalise
from nezlam.web.plumbing.forms import Gettext


def read_hours(typed: str, _: Gettext) -> tuple[str, str | None]:
    """(the hours in OpenStreetMap syntax, or as typed if they are not valid; the mistake in
    words, or None)."""
    try:
        return normalise(typed), None
    except OpeningHoursError as problem:
        return typed.strip(), hours_problem(problem, _)


def hours_problem(problem: OpeningHoursError, _: Gettext) -> str:
    """ "Not valid opening hours: hour 25 does not exist. Write them like …"."""
    piece = problem.piece or ""
    what = {
        "hour": lambda: _("hour {hour} does not exist").format(hour=piece),
        "minute": lambda: _("minute {minute} does not exist").format(minute=piece),
        "day": lambda: _("unclear day “{day}”").format(day=piece),
        "time": lambda: _("unclear time “{time}”").format(time=piece),
        "unclear": lambda: _("unclear word “{word}”").format(word=piece),
        "no_hours": lambda: _("no hours given for “{days}”").format(days=piece),
        "break": lambda: _("the break “{time}” is outside the opening hours").format(time=piece),
        "empty": lambda: _("no hours given"),
    }.get(problem.kind, lambda: _("not understood"))()
    return (
        _("Not valid opening hours: {problem}.").format(problem=what)
        + " "
        + _(
            "Write them like “Mo-Fr 9-18; Sa 10-14; Su off” or “24/7” "
            "(Ukrainian day names work too)."
        )
    )


def cause_of(error: dict) -> OpeningHoursError | None:
    """The OpeningHoursError behind a pydantic error about the hours, if there is one."""
    raised = (error.get("ctx") or {}).get("error")
    while raised is not None and not isinstance(raised, OpeningHoursError):
        raised = raised.__cause__
    return raised
