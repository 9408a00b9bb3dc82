"""After a visit: a resident's four quick answers (was it open, warm, could they charge a phone,
was there internet — each yes, no or not said) and an optional comment that waits for a
coordinator of the point's region to publish or reject it.

The same functions serve every channel: the point's web page (source "web") and a chat bot
(source "telegram") call `record` alike. Nothing about who answered is kept — no address, no
cookie, no chat — so an answer is one anonymous row, counted like a visitor signal. Keeping one
visitor from answering again and again is the caller's, in memory, at its edge (the web uses
the visitor-signal limiters of `nezlam.web.plumbing.ratelimit`).

Residents see the answers only aggregated (`summary`, over the last `WEEK`), and only the
comments a coordinator published (`published`). Every decision on a comment is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from nezlam.domain.errors import Conflict, Forbidden, Invalid, NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.vocabulary import Visibility
from nezlam.store import audit
from nezlam.store.actor import Actor
from nezlam.store.db import rows_matched
from nezlam.store.points import get_point
from nezlam.store.tables import Point, VisitAnswer, VisitComment

QUESTIONS = ("was_open", "warm", "charged", "internet")  # the columns, in the order asked
SOURCES = frozenset({"web", "telegram"})
COMMENT_LIMIT = 500  # characters, as visit_comments.text holds
WEEK = timedelta(days=7)  # the window residents and coordinators are shown
PENDING, PUBLISHED, REJECTED = "pending", "published", "rejected"
DECISIONS = {"publish": PUBLISHED, "reject": REJECTED}
LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class Answers:
    """What one visitor said: True (yes), False (no) or None (not answered) per question."""

    was_open: bool | None = None
    warm: bool | None = None
    charged: bool | None = None
    internet: bool | None = None

    @property
    def given(self) -> bool:
        """At least one question answered: only then is there a row to count."""
        return any(getattr(self, name) is not None for name in QUESTIONS)


@dataclass(frozen=True)
class Tally:
    """How many said yes and how many said no to one question (the rest did not answer)."""

    yes: int = 0
    no: int = 0


@dataclass(frozen=True)
class Summary:
    """The answers of a point's visitors since a moment: how many answered anything, and the
    yes/no counts per question."""

    visitors: int = 0
    tallies: dict[str, Tally] = field(default_factory=lambda: {q: Tally() for q in QUESTIONS})


@dataclass(frozen=True)
class Recorded:
    """What `record` stored: whether the answers were counted, and the comment's id (it
    waits for moderation) when there was one."""

    answered: bool
    comment_id: int | None


@dataclass(frozen=True)
class WaitingComment:
    """A comment waiting for moderation, with what its moderator needs of its point."""

    id: int
    point_id: str
    point_name: dict[str, str]
    region: str
    at: datetime
    source: str
    language: str
    text: str


@dataclass(frozen=True)
class PublishedComment:
    """A comment residents may read on the point's page."""

    id: int
    at: datetime
    language: str
    text: str


def clean_comment(text: str | None) -> str | None:
    """The comment as it is kept: trimmed; None when nothing is left. Refused (Invalid, field
    "comment") with a NUL, which PostgreSQL cannot store, or over COMMENT_LIMIT characters."""
    if text is None:
        return None
    text = text.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise Invalid("a comment cannot hold a NUL character", field="comment")
    if len(text) > COMMENT_LIMIT:
        raise Invalid(f"at most {COMMENT_LIMIT} characters", field="comment")
    return text or None


def check(answers: Answers, comment: str | None, language: str, source: str) -> str | None:
    """Everything `record` refuses, without the database (a caller may check before it spends
    a visitor's rate limit): the cleaned comment, or Invalid naming the field."""
    if source not in SOURCES:
        raise Invalid(f"unknown source {source!r}", field="source")
    if not LANGUAGE.fullmatch(language):
        raise Invalid(f"not a language code: {language!r}", field="language")
    cleaned = clean_comment(comment)
    if not answers.given and cleaned is None:
        raise Invalid("answer at least one question or write a comment", field="answers")
    return cleaned


def record(
    session: Session,
    point_id: str,
    answers: Answers,
    comment: str | None = None,
    *,
    language: str,
    source: str,
    now: datetime,
) -> Recorded:
    """Keep one visitor's answers and comment about a point. NotFound for a point that does not
    exist or is hidden (residents never see it); Invalid as `check` says. The answers count at
    once; the comment waits (`pending`) until a coordinator publishes it."""
    cleaned = check(answers, comment, language, source)
    point = get_point(session, point_id)
    if point.visibility == Visibility.HIDDEN:
        raise NotFound(f"no point with id {point_id!r}", field="id")
    if answers.given:
        values = {name: getattr(answers, name) for name in QUESTIONS}
        session.add(VisitAnswer(point_id=point_id, at=now, source=source, **values))
    comment_id = None
    if cleaned is not None:
        row = VisitComment(
            point_id=point_id, at=now, source=source, language=language, text=cleaned
        )
        session.add(row)
        session.flush()
        comment_id = row.id
    return Recorded(answered=answers.given, comment_id=comment_id)


def _said(column: InstrumentedAttribute[bool | None], value: bool) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((column.is_(value), 1), else_=0)), 0)


def summaries(session: Session, point_ids: Iterable[str], since: datetime) -> dict[str, Summary]:
    """The answers after `since` of each point (every point asked for is in the answer)."""
    wanted = sorted(set(point_ids))
    columns: list[ColumnElement[int]] = []
    for name in QUESTIONS:
        column = getattr(VisitAnswer, name)
        columns += [_said(column, True), _said(column, False)]
    rows = session.execute(
        select(VisitAnswer.point_id, func.count(), *columns)
        .where(VisitAnswer.point_id.in_(wanted), VisitAnswer.at > since)
        .group_by(VisitAnswer.point_id)
    )
    found = {point_id: Summary() for point_id in wanted}
    for point_id, visitors, *counts in rows:
        tallies = {
            name: Tally(int(counts[2 * i]), int(counts[2 * i + 1]))
            for i, name in enumerate(QUESTIONS)
        }
        found[point_id] = Summary(int(visitors), tallies)
    return found


def summary(session: Session, point_id: str, since: datetime) -> Summary:
    """The answers about one point after `since` (usually `now - WEEK`): counts, nothing else."""
    return summaries(session, [point_id], since)[point_id]


def pending(
    session: Session, regions: Iterable[str] | None, limit: int = 100
) -> list[WaitingComment]:
    """The comments waiting for moderation on points of `regions` (None: every region, for an
    admin), oldest first: the queue in the order it filled."""
    query = (
        select(VisitComment, Point.name, Point.region)
        .join(Point, Point.id == VisitComment.point_id)
        .where(VisitComment.status == PENDING)
        .order_by(VisitComment.at, VisitComment.id)
        .limit(limit)
    )
    if regions is not None:
        query = query.where(Point.region.in_(sorted(regions)))
    return [
        WaitingComment(c.id, c.point_id, name, region, c.at, c.source, c.language, c.text)
        for c, name, region in session.execute(query)
    ]


def moderate(
    session: Session,
    comment_id: int,
    decision: str,
    actor: Actor,
    principal: Principal,
    now: datetime,
) -> None:
    """Publish or reject a waiting comment (`decision`: "publish" or "reject"): a coordinator
    of the point's region or an admin (Forbidden otherwise), once (Conflict when someone has
    decided already). Audited as entity "visit_comment"."""
    status = DECISIONS.get(decision)
    if status is None:
        raise Invalid(f"unknown decision {decision!r}", field="decision")
    if not principal.coordinates_region(comment_region(session, comment_id)):
        raise Forbidden("this comment is about a point outside your regions", field="comment")
    # Conditional: of two moderators deciding at once, one wins, on SQLite and PostgreSQL.
    changed = session.execute(
        update(VisitComment)
        .where(VisitComment.id == comment_id, VisitComment.status == PENDING)
        .values(status=status, moderated_by=principal.user_id, moderated_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_matched(changed) != 1:
        raise Conflict("this comment has already been moderated", field="comment")
    audit.record(
        session,
        actor=actor,
        entity="visit_comment",
        entity_id=comment_id,
        action=decision,
        before={"status": PENDING},
        after={"status": status},
        at=now,
    )


def comment_region(session: Session, comment_id: int) -> str:
    """The region of the point a comment is about (whose coordinators moderate it)."""
    region = session.execute(
        select(Point.region)
        .select_from(VisitComment)
        .join(Point, Point.id == VisitComment.point_id)
        .where(VisitComment.id == comment_id)
    ).scalar_one_or_none()
    if region is None:
        raise NotFound(f"no comment with id {comment_id}", field="comment")
    return str(region)


def published(session: Session, point_id: str, limit: int = 3) -> list[PublishedComment]:
    """The newest published comments about a point, for its public page."""
    rows = session.execute(
        select(VisitComment)
        .where(VisitComment.point_id == point_id, VisitComment.status == PUBLISHED)
        .order_by(VisitComment.at.desc(), VisitComment.id.desc())
        .limit(limit)
    ).scalars()
    return [PublishedComment(c.id, c.at, c.language, c.text) for c in rows]
