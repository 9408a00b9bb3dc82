"""What a visitor's tap gets back on a point's page: "Thank you: you reported “It is full” at
14:05", a way to take it back for a few minutes, and what visitors said lately — aggregated,
beside the operator's status, never instead of it.

The redirect after a tap carries the kind, the moment it was recorded and an HMAC of (point,
kind, moment) under the server's signing key (`AppState.signing_key`: NEZLAM_SECRET_KEY, or a
key file every worker on the machine shares). Nothing about the visitor is stored, and nobody
can forge a receipt for another visitor's signal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from nezlam.domain.errors import DomainError
from nezlam.domain.vocabulary import SignalKind
from nezlam.store import signals as signal_store
from nezlam.web.plumbing.state import AppState
from nezlam.web.plumbing.wall_clock import zone_name
from nezlam.web.words.presenters import Gettext, signal_labels

UNDO_FOR = timedelta(minutes=5)


def token(key: bytes, point_id: str, kind: str, at: str) -> str:
    message = f"signal-receipt|{point_id}|{kind}|{at}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def receipt_query(key: bytes, point_id: str, kind: str, answer: Mapping[str, Any]) -> str:
    """The redirect's extra parameters for a counted signal: "&kind=…&at=…&undo=…"."""
    at = answer.get("at")
    if not answer.get("counted") or not isinstance(at, str):
        return ""
    return "&" + urlencode({"kind": kind, "at": at, "undo": token(key, point_id, kind, at)})


def read_receipt(
    key: bytes, point_id: str, params: Mapping[str, Any]
) -> tuple[SignalKind, datetime] | None:
    """(kind, moment) of a genuine receipt in `params` (the query or the undo form), else None."""
    kind, at, given = (str(params.get(name, "")) for name in ("kind", "at", "undo"))
    if kind not in {k.value for k in SignalKind}:
        return None
    if not hmac.compare_digest(token(key, point_id, kind, at), given):
        return None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    return (SignalKind(kind), moment) if moment.tzinfo else None


def receipt_words(
    state: AppState, point_id: str, params: Mapping[str, Any], timezone: str | None, _: Gettext
) -> dict[str, Any] | None:
    """What the thank-you says, and whether its undo button is still offered."""
    found = read_receipt(state.signing_key, point_id, params)
    now = state.clock()
    if found is None:
        return None
    kind, moment = found
    local = moment.astimezone(ZoneInfo(timezone or zone_name())).strftime("%H:%M")
    said = _("Thank you: you reported “{signal}” at {time}.")
    return {
        "text": said.format(signal=signal_labels(_)[kind.value], time=local),
        "undo": timedelta(0) <= now - moment <= UNDO_FOR,
        "fields": {name: str(params.get(name, "")) for name in ("kind", "at", "undo")},
    }


def undo(state: AppState, point_id: str, form: Mapping[str, Any]) -> str:
    """Take back the signal a genuine, recent receipt names: "undone", "late" or "invalid"."""
    found = read_receipt(state.signing_key, point_id, form)
    if found is None:
        return "invalid"
    kind, moment = found
    now = state.clock()
    if not timedelta(0) <= now - moment <= UNDO_FOR:
        return "late"
    try:
        with state.db.write() as session:
            taken = signal_store.withdraw_signal(
                session,
                point_id,
                kind,
                moment,
                window=state.settings.signal_window,
                threshold=state.settings.signal_flag_threshold,
                now=now,
            )
    except DomainError:
        return "invalid"
    return "undone" if taken else "invalid"


def visitors_said(state: AppState, point_id: str, _: Gettext) -> str | None:
    """ "Visitors in the last 2 h: “It is full” — 2, “It is open” — 1": how many of each kind,
    nothing about who; None when nobody said anything lately."""
    window = state.settings.signal_window
    with state.db.read() as session:
        counts = signal_store.signal_counts(session, point_id, state.clock() - window)
    labels = signal_labels(_)
    quoted = _("“{label}”")
    said = [
        f"{quoted.format(label=labels[kind])} — {n}"
        for kind, n in counts.items()
        if n and kind in labels
    ]
    if not said:
        return None
    hours = max(1, round(window.total_seconds() / 3600))
    return _("Visitors in the last {hours} h: {said}").format(hours=hours, said=", ".join(said))
