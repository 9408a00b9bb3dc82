"""A shared location read straight from the JSON (`telegram_incoming.located`, the webhook's
hot path) says exactly what python-telegram-bot's `Update` says through `incoming_of`; every
other update, and every odd one, is left to the long way (None)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import telegram

from nezlam.channels.telegram_incoming import incoming_of, located
from tests.fake_telegram import button_update, location_update, text_update


def with_(update: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `update` with the field at "a.b.c" set (or removed, for value ...)."""
    changed = copy.deepcopy(update)
    *parents, last = path.split(".")
    node = changed
    for name in parents:
        node = node[name]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return changed


def long_way(update: dict[str, Any]):
    return incoming_of(telegram.Update.de_json({"update_id": 1, **update}, None))


LOCATIONS = [
    location_update(380_000_001, 50.4501, 30.5234),
    location_update(380_000_002, 49.99, 36.23, language="en"),
    location_update(380_000_003, 48.0, 37.8, language="ru"),
    location_update(380_000_004, 50, 30),  # whole degrees, as integers
    with_(location_update(7, 50.45, 30.52), "message.from.language_code", ...),
    with_(location_update(7, 50.45, 30.52), "message.from", ...),  # an anonymous admin
    with_(location_update(-1001, 50.45, 30.52), "message.chat", {"id": -1001, "type": "group"}),
    with_(location_update(8, 50.45, 30.52), "message.location.horizontal_accuracy", 12.5),
]


@pytest.mark.parametrize("update", LOCATIONS)
def test_a_shared_location_reads_as_the_update_reads(update):
    fast = located(update)
    assert fast is not None and fast.location is not None
    assert fast == long_way(update)


ODD = [
    with_(location_update(9, 50.45, 30.52), "message.location.latitude", "50.45"),
    with_(location_update(9, 50.45, 30.52), "message.location.longitude", True),
    with_(location_update(9, 50.45, 30.52), "message.chat.id", "9"),
    with_(location_update(9, 50.45, 30.52), "message.chat.type", ...),
    with_(location_update(9, 50.45, 30.52), "message.message_id", ...),
    with_(location_update(9, 50.45, 30.52), "message.date", "today"),
    with_(location_update(9, 50.45, 30.52), "message.from.id", None),
    with_(location_update(9, 50.45, 30.52), "message.from.language_code", 5),
    with_(location_update(9, 50.45, 30.52), "message.location", [50.45, 30.52]),
    {"message": 5},
    {},
]


@pytest.mark.parametrize("update", ODD)
def test_what_is_not_as_telegram_sends_it_goes_the_long_way(update):
    assert located(update) is None


OTHERS = [
    text_update(10, "Хрещатик 22"),
    button_update(10, "p|point-a"),
    with_(location_update(10, 50.45, 30.52), "message.text", "here"),
    with_(
        location_update(10, 50.45, 30.52),
        "message.reply_to_message",
        text_update(10, "?")["message"],
    ),
    {"edited_message": location_update(10, 50.45, 30.52)["message"]},  # a live location moving
]


@pytest.mark.parametrize("update", OTHERS)
def test_every_other_update_is_read_by_python_telegram_bot(update):
    assert located(update) is None
    assert long_way(update) is not None  # and the long way does read it
