"""The SMS gateways' webhooks: an incoming SMS, checked to come from the gateway, answered by the
SMS channel (channels/sms.py). Without a configured gateway, or for the other kind of gateway,
the route is not there (404). A post that is not signed with the gateway's key is refused (403)
and nothing is answered.

- `POST /api/v1/sms/twilio`: Twilio's form post; the answer is in the response (TwiML).
- `POST /api/v1/sms/android`: the SMS Gateway for Android app's `sms:received` event; the answer
  is queued and sent through the app's API (202).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from nezlam.channels.conversation import from_memory
from nezlam.channels.sms import MAX_INBOUND, SmsChannel
from nezlam.channels.sms_gateways import Android, Twilio
from nezlam.domain.errors import Forbidden, Invalid, NotFound
from nezlam.web.plumbing.state import AppState

router = APIRouter(prefix="/api/v1/sms", include_in_schema=False)


def channel_with(state: AppState, kind: type[Twilio] | type[Android]) -> SmsChannel:
    """The SMS channel, when its gateway is of this kind; else the route is not there."""
    channel = state.sms
    if channel is None or not isinstance(channel.gateway, kind):
        raise NotFound("no such SMS gateway here", field="gateway")
    return channel


def signed_url(state: AppState, request: Request) -> str:
    """The URL the gateway posted to, as it signed it: behind a proxy, the public address."""
    public = state.settings.public_url
    if public is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public}{request.url.path}{query}"


@router.post("/twilio")
async def twilio(request: Request) -> Response:
    state: AppState = request.app.state.nezlam
    channel_with(state, Twilio)  # 404 before the body is read
    form = {key: str(value) for key, value in (await request.form()).items()}
    signature = request.headers.get("X-Twilio-Signature")
    body, media_type = await twilio_reply(state, signed_url(state, request), form, signature)
    return Response(body, media_type=media_type)


async def twilio_reply(
    state: AppState, url: str, form: dict[str, str], signature: str | None
) -> tuple[bytes, str]:
    """The TwiML that answers a Twilio form post (the route's, and the fast path's in front of
    the framework, web/plumbing/fast_path.py): Forbidden unless signed for `url`. An answer
    from memory alone (coordinates, a point's id, help) is made on the event loop; one that
    reads the database (an address, an operator's word) in a thread."""
    channel = channel_with(state, Twilio)
    gateway = channel.gateway
    assert isinstance(gateway, Twilio)
    if not gateway.verified(url, form, signature):
        raise Forbidden("not signed by the SMS gateway", field="X-Twilio-Signature")
    incoming = gateway.incoming(form)
    said = None
    if incoming is not None and from_memory(incoming.text[:MAX_INBOUND]):  # on the loop
        said = channel.answer(state.directory, incoming.sender, incoming.text)
    elif incoming is not None:
        said = await run_in_threadpool(
            channel.answer, state.directory, incoming.sender, incoming.text
        )
    return gateway.reply(said.text if said else None)


@router.post("/android", status_code=202)
async def android(request: Request) -> Response:
    state: AppState = request.app.state.nezlam
    channel = channel_with(state, Android)
    gateway = channel.gateway
    assert isinstance(gateway, Android)
    body = await request.body()
    headers = request.headers
    now = state.clock()
    if not gateway.verified(
        body, headers.get("X-Timestamp"), headers.get("X-Signature"), now.timestamp()
    ):
        raise Forbidden("not signed by the SMS gateway", field="X-Signature")
    incoming = gateway.incoming(parsed(body))
    if incoming is None:  # a sent, delivered or ping event: nothing to answer
        return Response(status_code=204)
    said = await run_in_threadpool(channel.answer, state.directory, incoming.sender, incoming.text)
    if said is not None:
        await run_in_threadpool(channel.queue, state.db, incoming.sender, said.text, now)
        if state.dispatcher is not None:
            state.dispatcher.wake(channel.name)
    return Response(status_code=202)


def parsed(body: bytes) -> dict[str, Any]:
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid("the body is not JSON", field="body") from exc
    if not isinstance(event, dict):
        raise Invalid("the body is not a JSON object", field="body")
    return event
