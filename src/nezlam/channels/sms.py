"""SMS: residents text "ТЕПЛО Хрещатик 22" and get the 3 nearest really-open points in at most two
messages; operators text "OPEN" or "OK" from a linked number (`nezlam sms link`) and the point's
status is updated as from the web. Through a gateway chosen by settings (sms_gateways.py).

Inbound, a gateway's webhook reaches the web app (web/api/sms.py), which checks its signature
and hands the message to `SmsChannel.answer`. A Twilio-style gateway takes the answer in the
response; for the Android gateway it is queued in the outbox (store/message_outbox.py) and sent
by the dispatcher, with the retries every channel has. Nothing of a resident is written but
that queued answer, deleted once sent.

Each number is answered at most NEZLAM_SMS_ANSWERS_PER_HOUR times an hour (SMS cost money, and a
loop between two robots must end); what is over the limit gets no answer at all.
"""

from __future__ import annotations

import time
import urllib.error
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import orjson

from nezlam.channels import sms_words
from nezlam.channels.answering import Directory
from nezlam.channels.conversation import Conversation, Said
from nezlam.channels.interface import DELIVERED, Channel, Delivery, Failed, Outcome, RetryLater
from nezlam.channels.operator_words import operator_text
from nezlam.channels.pacing import Pacing, SenderLimit
from nezlam.channels.queued import QueuedMessages
from nezlam.channels.sms_gateways import Android, Gateway, Twilio, request_of
from nezlam.channels.webhooks import OPENER
from nezlam.store import message_outbox
from nezlam.store.db import Database

if TYPE_CHECKING:
    from nezlam.config import Settings, SmsSettings

NAME = "sms"
TIMEOUT_S = 10.0
MAX_INBOUND = 1600  # characters read of one message (ten parts); the rest is ignored


class SmsChannel(Channel):
    name = NAME
    # A gateway phone sends about one SMS a second; one number gets no more than one every 2 s.
    pacing = Pacing(per_destination=2.0, overall=1.0)

    def __init__(
        self,
        gateway: Gateway,
        timeout: float = TIMEOUT_S,
        answers_per_hour: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.send_timeout = timeout
        self.outbox = QueuedMessages(NAME)
        answering_pace = Pacing(answers=answers_per_hour, answers_per=3600.0)
        self.limit = SenderLimit(answering_pace, clock)

    def send(self, delivery: Delivery, now: datetime) -> Outcome:
        text = sms_text(delivery.text) if delivery.text else None
        if not text:
            return Failed("an SMS needs text")
        outgoing = self.gateway.outgoing(delivery.destination, text, f"nezlam-{delivery.id}")
        try:
            with OPENER.open(request_of(outgoing), timeout=self.send_timeout) as response:
                status = response.status
        except urllib.error.HTTPError as answer:
            return outcome_of(answer.code, answer.headers.get("Retry-After"))
        except (OSError, ValueError) as failure:  # refused, unreachable, timed out
            return RetryLater(f"{type(failure).__name__}: {failure}")
        return outcome_of(status, None)

    def answer(self, directory: Directory, sender: str, text: str) -> Said | None:
        """The answer to one SMS, or None when the sender is over their limit."""
        if not self.limit.allow(sender):
            return None
        conversation = Conversation(NAME, directory, sms_words)
        return conversation.answer(sender, text[:MAX_INBOUND])

    def queue(self, db: Database, destination: str, text: str, now: datetime) -> int:
        """Queue an answer for the dispatcher to send (a gateway that takes none inline)."""
        with db.write() as session:
            return message_outbox.enqueue(session, NAME, destination, text, now)


def sms_text(stored: str) -> str | None:
    """What a queued row says: its text, or the words of an event queued for an operator."""
    if not stored.startswith('{"event"'):
        return stored
    try:
        data = orjson.loads(stored)
    except orjson.JSONDecodeError:
        return stored
    return operator_text(data) if isinstance(data, dict) else None


def outcome_of(status: int, retry_after: str | None) -> Outcome:
    """A gateway's HTTP status as an outcome: 2xx delivered; 429 and 5xx later (after the
    gateway's Retry-After, when it says); any other 4xx never (a number that does not exist,
    credentials refused: a person must look)."""
    if 200 <= status < 300:
        return DELIVERED
    if status == 429 or status >= 500:
        after = None
        if retry_after and retry_after.strip().isdigit():
            after = timedelta(seconds=int(retry_after.strip()))
        return RetryLater(f"HTTP {status}", after)
    return Failed(f"HTTP {status}")


def gateway_of(sms: SmsSettings) -> Gateway:
    if sms.gateway == "twilio":
        return Twilio(sms.url, sms.user, sms.password, sms.sender)
    return Android(sms.url, sms.user, sms.password, sms.signing_key)


def make(settings: Settings | None = None) -> SmsChannel | None:
    """The channel, when the settings name a gateway; else None (no SMS)."""
    if settings is None or settings.sms is None:
        return None
    return SmsChannel(gateway_of(settings.sms), answers_per_hour=settings.sms.answers_per_hour)
