"""The resident's nearest-points query, answered in front of the web framework.

It is the hot path of a blackout: thousands of phones asking at once (and the webhooks through
which many of them ask: Telegram's, `telegram`, and a Twilio-style SMS gateway's, `sms`; and
every point's devices pinging once a minute, `device_ping`).
FastAPI's routing, dependency solving and middleware cost more per request than the search
itself, so this thin
ASGI layer answers `GET` (and `HEAD`) `/api/v1/points/nearest` directly — with the same
function, the same parameter checks and the same error bodies as the documented FastAPI route —
and hands every other request to the app untouched.

A phone on a weak connection that sends `Accept-Encoding: gzip` gets the answer compressed
(five points in two languages: about 5 KB, 1.2 KB compressed). Answers under
`GZIP_MIN_BYTES` are sent as they are: the bytes saved would not pay for the compression.
"""

from __future__ import annotations

import zlib
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from nezlam.channels import telegram_incoming
from nezlam.channels.sms_gateways import Twilio
from nezlam.channels.telegram_api import webhook_reply
from nezlam.domain.errors import DomainError
from nezlam.store import devices
from nezlam.web.api import heartbeats
from nezlam.web.api import sms as sms_api
from nezlam.web.api import telegram as telegram_api
from nezlam.web.api.points import GEOJSON, nearest_body
from nezlam.web.plumbing.errors import error_body
from nezlam.web.plumbing.limits import PING_PATH, limit_for
from nezlam.web.plumbing.render import security_headers

NEAREST_PATH = "/api/v1/points/nearest"
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 3  # within 5 % of level 9's size on these small answers, at under half its time
_GEOJSON_TYPE = GEOJSON.encode()
_JSON_TYPE = b"application/json"
_VARY = (b"vary", b"Accept-Encoding")
_NOSNIFF = (b"x-content-type-options", b"nosniff")  # as every other answer (web/hygiene.py)
_GZIP = (b"content-encoding", b"gzip")

Scope = dict[str, Any]


def accepts_gzip(value: bytes) -> bool:
    """Accept-Encoding names gzip (or *) without refusing it with q=0."""
    if b"gzip" not in value and b"*" not in value:
        return False  # the common no: no parsing
    for part in value.decode("latin-1").lower().split(","):
        coding, _, params = part.partition(";")
        if coding.strip() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def gzipped(body: bytes) -> bytes:
    return zlib.compress(body, GZIP_LEVEL, wbits=31)  # wbits 31: the gzip container


class FastPath:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.state = app.state  # as on the app, so tools that look for `.state` find it
        self._nezlam = app.state.nezlam
        headers = security_headers(self._nezlam.settings.tile_url)
        self._error_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] in (TELEGRAM_PATH, SMS_PATH):
            webhook = self.telegram if scope["path"] == TELEGRAM_PATH else self.sms
            if scope["method"] == "POST" and await webhook(scope, receive, send):
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] in (PING_PATH, CHANNEL_PING_PATH):
            await self.device_ping(scope, receive, send)
            return
        if (
            scope["type"] != "http"
            or scope["path"] != NEAREST_PATH
            or scope["method"] not in ("GET", "HEAD")
        ):
            await self.app(scope, receive, send)
            return
        accept_language = None
        gzip_ok = False
        for name, value in scope["headers"]:
            if name == b"accept-language":
                accept_language = value.decode("latin-1")
            elif name == b"accept-encoding":
                gzip_ok = accepts_gzip(value)
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        try:
            body = nearest_body(self._nezlam, params, accept_language)
        except DomainError as exc:
            status = exc.status_code
            body = orjson.dumps(error_body(status, [{"field": exc.field, "problem": exc.problem}]))
            headers = [(b"content-type", _JSON_TYPE), *self._error_headers]
        else:
            status, headers = 200, [(b"content-type", _GEOJSON_TYPE), _VARY, _NOSNIFF]
            if gzip_ok and len(body) >= GZIP_MIN_BYTES:
                body = gzipped(body)
                headers.append(_GZIP)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def telegram(self, scope: Scope, receive: Any, send: Any) -> bool:
        """Telegram's webhook, in front of the framework (the same functions as its route,
        web/api/telegram.py): a shared location, read straight from the JSON
        (`telegram_incoming.located`), is answered on the loop from memory; any other update
        is read by python-telegram-bot and answered in a thread. False, having read nothing,
        for what the route must answer itself: no webhook here, a wrong secret, a body
        without a length or too long."""
        try:
            secret, bot, channel = telegram_api.webhook_bot(self._nezlam)
        except DomainError:
            return False
        headers = dict(scope["headers"])
        given = headers.get(b"x-telegram-bot-api-secret-token", b"").decode("latin-1")
        length = headers.get(b"content-length", b"")
        if not telegram_api.signed(secret, given) or not length.isdigit():
            return False
        if int(length) > limit_for(TELEGRAM_PATH):
            return False
        try:
            payload = telegram_api.payload_of(await read_body(receive))
            located = telegram_incoming.located(payload)
            update = telegram_api.update_of(payload) if located is None else None
        except DomainError as exc:
            await self.respond(send, exc.status_code, error_json(exc), [])
            return True
        if update is None:  # a location: from the index in memory alone, on the loop
            actions = bot.answer(located)
        else:
            actions = await run_in_threadpool(bot.handle, update)
        inline, rest = telegram_api.split(actions)
        body = webhook_reply(inline) if inline is not None else b""
        await self.respond(send, 200, body, [(b"content-type", _JSON_TYPE)] if body else [])
        if rest:  # after the answer: a button's "done"
            await run_in_threadpool(telegram_api.send_all, channel.api.act, rest)
        return True

    async def sms(self, scope: Scope, receive: Any, send: Any) -> bool:
        """A Twilio-style SMS webhook, in front of the framework (the route's own function,
        web/api/sms.twilio_reply). False, having read nothing, for what the route must answer
        itself: no such gateway here, a body that is not a form, without a length, too long."""
        try:
            sms_api.channel_with(self._nezlam, Twilio)
        except DomainError:
            return False
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind != _FORM_TYPE or not length.isdigit() or int(length) > limit_for(SMS_PATH):
            return False
        text = (await read_body(receive)).decode("utf-8", "replace")
        form = dict(parse_qsl(text, keep_blank_values=True))  # the last of a repeated key
        given = headers.get(b"x-twilio-signature")
        url = sms_api.signed_url(self._nezlam, Request(scope))
        signature = given.decode("latin-1") if given is not None else None
        try:
            body, media_type = await sms_api.twilio_reply(self._nezlam, url, form, signature)
        except DomainError as exc:
            await self.respond(send, exc.status_code, error_json(exc), [])
            return True
        kind_header = (b"content-type", f"{media_type}; charset=utf-8".encode())
        await self.respond(send, 200, body, [kind_header])
        return True

    async def device_ping(self, scope: Scope, receive: Any, send: Any) -> None:
        """A device's ping, in front of the framework (the route's own functions,
        web/api/heartbeats.py): a key shaped like one, with a body that plainly is a ping, is
        admitted and recorded here; anything else — no key, a body to refuse, another method —
        goes to the route, the body read so far handed on with it."""
        key, raw = await self.ping_parts(scope, receive)
        ping = heartbeats.ping_in(raw) if key is not None and raw is not None else None
        if key is None or ping is None:
            await self.app(scope, replayed(raw or b"", receive), send)
            return
        try:
            field = "channel_key" if scope["path"] == CHANNEL_PING_PATH else "X-Device-Key"
            heartbeats.admitted(self._nezlam, key, field)
            body = await heartbeats.recorded_body(self._nezlam, key, ping)
        except DomainError as exc:
            await self.respond(send, exc.status_code, error_json(exc), [])
            return
        await self.respond(send, 200, body, [(b"content-type", _JSON_TYPE)])

    async def ping_parts(self, scope: Scope, receive: Any) -> tuple[str | None, bytes | None]:
        """(the ping's key, its body) if plainly a ping's; None for either if not (the body
        unread when it is not the ping's to read)."""
        if scope["path"] == CHANNEL_PING_PATH:
            if scope["method"] != "GET":
                return None, None
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            key = query.get("channel_key", "")
            if POSITION_FIELDS.intersection(query):  # a mobile point's position: the route reads it
                return None, b""
            return (key if devices.could_be_key(key) else None), b""
        headers = dict(scope["headers"])
        key = headers.get(b"x-device-key", b"").decode("latin-1")
        length = headers.get(b"content-length", b"0")
        if scope["method"] != "POST" or not devices.could_be_key(key):
            return None, None
        if not length.isdigit() or int(length) > limit_for(PING_PATH):
            return None, None
        return key, await read_body(receive) if int(length) else b""

    async def respond(
        self, send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
    ) -> None:
        headers = [*headers, _NOSNIFF, (b"content-length", str(len(body)).encode())]
        if status >= 400:
            headers = [(b"content-type", _JSON_TYPE), *self._error_headers, headers[-1]]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


TELEGRAM_PATH = "/api/v1/telegram/webhook"
CHANNEL_PING_PATH = "/channelPing"
POSITION_FIELDS = frozenset({"lat", "lon", "accuracy"})
SMS_PATH = "/api/v1/sms/twilio"
_FORM_TYPE = b"application/x-www-form-urlencoded"


async def read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def replayed(body: bytes, receive: Any) -> Any:
    """`receive` for the app, once the fast path has read `body` of the request (b"": none)."""
    sent = False

    async def again() -> dict[str, Any]:
        nonlocal sent
        if sent or not body:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


def error_json(exc: DomainError) -> bytes:
    return orjson.dumps(error_body(exc.status_code, [{"field": exc.field, "problem": exc.problem}]))
