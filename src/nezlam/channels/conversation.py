"""One message in, one answer out, for every text channel (SMS now, chats next): read what was
asked (asking.py), answer a resident from the index as the finder would (answering.py), and act
on an operator's status update with the same permissions, audit and notifications as the web.

A resident is never written anywhere: only the links of staff are looked up
(store.channel_links), and only to know whose "OPEN" this is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from nezlam.channels import answering, asking
from nezlam.channels.answering import Directory
from nezlam.domain.errors import DomainError, Forbidden, NotFound
from nezlam.domain.permissions import Principal
from nezlam.domain.point_view import pick_name
from nezlam.domain.points import ReportCreate
from nezlam.domain.vocabulary import Role, Status
from nezlam.reading import typed_place
from nezlam.reading.point_public import PointPublic
from nezlam.report_writer import ReportJob
from nezlam.store import channel_links


class Wording(Protocol):
    """A channel's words for each answer (channels/sms_words.py is one: a module will do)."""

    def nearest_text(self, found: answering.Found, lang: str) -> str: ...

    def point_text(self, point: PointPublic | None, point_id: str, lang: str) -> str: ...

    def help_text(self, lang: str) -> str: ...

    def update_text(self, outcome: str, lang: str, facts: dict[str, str]) -> str:
        """`outcome`: "saved", "verified", "which" (the operator runs several points and did
        not say which), "forbidden", "no_point" or "refused"; `facts`: name, status, word,
        example, point_id, problem."""
        ...


@dataclass(frozen=True)
class Said:
    """What to answer: the text, in the asker's language, and the question it answers."""

    text: str
    lang: str
    question: asking.Question
    found: answering.Found | None = None
    """The nearest answer, when it was one (a chat's buttons are made from it)."""


def from_memory(text: str) -> bool:
    """Whether the answer to `text` comes from memory alone — help, one point by its id, or
    the nearest points to coordinates typed (the index; no gazetteer, no operator lookup) —
    so a webhook may answer it on the event loop rather than in a thread."""
    question = asking.read(text, operator=True)
    if isinstance(question, asking.Help | asking.OnePoint):
        return True
    return isinstance(question, asking.Nearest) and (
        typed_place.typed_coordinates(question.place) is not None
    )


class Conversation:
    """Answers the messages of one channel (`channel`: "sms", "telegram") from a directory,
    in that channel's words."""

    def __init__(self, channel: str, directory: Directory, wording: Wording) -> None:
        self.channel = channel
        self.directory = directory
        self.wording = wording

    def answer(
        self,
        sender: str,
        text: str,
        location: tuple[float, float] | None = None,
        language: str | None = None,
    ) -> Said:
        """The answer to one message from `sender`, with the location it shared, if any, in
        the language their app names (else that of the message)."""
        # Only a status word needs to know who sends it: a resident's question never looks.
        question = asking.read(text, operator=True)
        operator: Principal | None = None
        if isinstance(question, asking.StatusUpdate):
            operator = self.operator(sender)
            if operator is None:  # from anyone else, status words are a place
                question = asking.read(text)
        lang = language or asking.language_of(text)
        words = self.wording
        if isinstance(question, asking.StatusUpdate) and operator is not None:
            return Said(self.update(sender, operator, question, text, lang), lang, question)
        if isinstance(question, asking.OnePoint):
            point = answering.one_point(self.directory, question.point_id, lang)
            return Said(words.point_text(point, question.point_id, lang), lang, question)
        if isinstance(question, asking.Nearest) and (
            question.place or location or question.services
        ):
            found = answering.nearest_open(self.directory, question, lang, location)
            return Said(words.nearest_text(found, lang), lang, question, found)
        return Said(words.help_text(lang), lang, question)

    def operator(self, sender: str) -> Principal | None:
        with self.directory.db.read() as session:
            return channel_links.principal_for_sender(session, self.channel, sender)

    def update(
        self, sender: str, principal: Principal, asked: asking.StatusUpdate, text: str, lang: str
    ) -> str:
        """Write the operator's report as the web would (ReportJob: the same permission check,
        audit and notifications), and say what was written or why not."""
        point_id = asked.point_id or only_point(principal)
        if point_id is None:
            facts = {"word": text.split()[0].upper(), "example": example_point(principal)}
            return self.wording.update_text("which", lang, facts)
        verify = asked.status == "verify"
        report = ReportCreate(verify=True) if verify else ReportCreate(status=Status(asked.status))
        now = self.directory.clock()

        # Who sends it is looked up again inside the write, as for the web: a number unlinked
        # or a role taken away a moment ago no longer writes.
        def identify(session: Session) -> Principal | None:
            return channel_links.principal_for_sender(session, self.channel, sender)

        job = ReportJob(point_id, report, identify, None, now, self.channel)
        try:
            with self.directory.db.write() as session:
                _report, _created, point = job.write(session)
        except Forbidden:
            return self.wording.update_text("forbidden", lang, {"point_id": point_id})
        except NotFound:
            return self.wording.update_text("no_point", lang, {"point_id": point_id})
        except DomainError as exc:
            return self.wording.update_text("refused", lang, {"problem": exc.problem})
        facts = {"name": pick_name(point.name or {"uk": point_id}, lang), "status": asked.status}
        return self.wording.update_text("verified" if verify else "saved", lang, facts)


def only_point(principal: Principal) -> str | None:
    """The one point an operator runs, when they run exactly one."""
    points = {g.point_id for g in principal.grants if g.role == Role.OPERATOR and g.point_id}
    return points.pop() if len(points) == 1 else None


def example_point(principal: Principal) -> str:
    points = sorted(g.point_id for g in principal.grants if g.point_id)
    return points[0] if points else "kyiv-0001"
