"""The SMS gateways Nezlam talks to, chosen by settings (NEZLAM_SMS_GATEWAY), not code:

- **twilio**: Twilio's API and every provider that copies it. An incoming SMS is a form post
  (`From`, `Body`) signed with `X-Twilio-Signature` (HMAC-SHA1 of the URL and the sorted
  parameters, with the auth token); the answer goes back in the response, as TwiML. Outgoing
  messages are a form post to `/2010-04-01/Accounts/{sid}/Messages.json`.
- **android**: the "SMS Gateway for Android" app (an old phone with a SIM card: cheap, and it
  works where a provider cannot be paid). An incoming SMS is a JSON webhook (`sms:received`)
  signed with `X-Signature` (hex HMAC-SHA256 of the raw body followed by `X-Timestamp`); the
  answer is sent as a new message through the app's API (`POST /message`, basic auth), which
  dedupes on the message id we give it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import orjson

REPLAY_WINDOW_S = 300  # an Android webhook older (or newer) than this is refused


@dataclass(frozen=True)
class Incoming:
    """One SMS someone sent: who from and what it says."""

    sender: str
    text: str


@dataclass(frozen=True)
class Outgoing:
    """The HTTP request that sends one SMS through the gateway."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass(frozen=True)
class Twilio:
    """Twilio and the providers that speak its API. `account` is the account SID, `token`
    the auth token (which also signs the webhooks), `sender` the number messages come from."""

    url: str
    account: str
    token: str = field(repr=False)
    sender: str
    name: str = "twilio"

    def signature(self, url: str, form: Mapping[str, str]) -> str:
        """What `X-Twilio-Signature` must be for a post of `form` to `url` (Twilio's scheme:
        the URL, then each parameter's name and value, sorted by name)."""
        signed = url + "".join(f"{key}{form[key]}" for key in sorted(form))
        digest = hmac.new(self.token.encode(), signed.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def verified(self, url: str, form: Mapping[str, str], given: str | None) -> bool:
        return given is not None and hmac.compare_digest(self.signature(url, form), given)

    def incoming(self, form: Mapping[str, str]) -> Incoming | None:
        sender = form.get("From", "").strip()
        return Incoming(sender, form.get("Body", "")) if sender else None

    def reply(self, text: str | None) -> tuple[bytes, str]:
        """The response body that answers the SMS (TwiML), with its media type."""
        message = f"<Message>{escape(text)}</Message>" if text else ""
        body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
        return body.encode(), "text/xml"

    def outgoing(self, destination: str, text: str, key: str) -> Outgoing:
        path = f"/2010-04-01/Accounts/{urllib.parse.quote(self.account)}/Messages.json"
        form = {"To": destination, "From": self.sender, "Body": text}
        return Outgoing(
            self.url.rstrip("/") + path,
            urllib.parse.urlencode(form).encode(),
            {
                "Authorization": basic_auth(self.account, self.token),
                "Content-Type": "application/x-www-form-urlencoded",
                "I-Twilio-Idempotency-Token": key,
            },
        )


@dataclass(frozen=True)
class Android:
    """The SMS Gateway for Android app: `url` is its API (the phone's local server, or the
    cloud's `…/3rdparty/v1`), `user` and `password` its credentials, `signing_key` the key its
    webhooks are signed with (Settings → Webhooks → Signing Key in the app)."""

    url: str
    user: str
    password: str = field(repr=False)
    signing_key: str = field(repr=False)
    name: str = "android"

    def signature(self, body: bytes, timestamp: str) -> str:
        return hmac.new(
            self.signing_key.encode(), body + timestamp.encode(), hashlib.sha256
        ).hexdigest()

    def verified(self, body: bytes, timestamp: str | None, given: str | None, now: float) -> bool:
        """Signed with our key, and sent within REPLAY_WINDOW_S of now (a replayed old
        webhook is refused)."""
        if not timestamp or not given or not self.signing_key:
            return False
        try:
            fresh = abs(now - int(timestamp)) <= REPLAY_WINDOW_S
        except ValueError:
            return False
        return fresh and hmac.compare_digest(self.signature(body, timestamp), given.lower())

    def incoming(self, event: Mapping[str, Any]) -> Incoming | None:
        """The SMS an `sms:received` event carries; None for any other event (sent,
        delivered, ping) or one without a sender."""
        if event.get("event") != "sms:received":
            return None
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return None
        sender = str(payload.get("phoneNumber") or "").strip()
        text = payload.get("message")
        return Incoming(sender, text if isinstance(text, str) else "") if sender else None

    def outgoing(self, destination: str, text: str, key: str) -> Outgoing:
        body = {"id": key, "message": text, "phoneNumbers": [destination]}
        return Outgoing(
            self.url.rstrip("/") + "/message",
            orjson.dumps(body),
            {
                "Authorization": basic_auth(self.user, self.password),
                "Content-Type": "application/json",
            },
        )


Gateway = Twilio | Android


def request_of(outgoing: Outgoing) -> urllib.request.Request:
    headers = {"User-Agent": "Nezlam-SMS", **outgoing.headers}
    return urllib.request.Request(outgoing.url, outgoing.body, headers, method="POST")
