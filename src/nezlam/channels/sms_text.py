"""How long a text is as SMS: segments, by the rules every phone network bills by (3GPP TS 23.038).

A text in the GSM 7-bit alphabet fits 160 characters in one message, 153 in each part of a
longer one (the rest of each part is the header that joins them); the extension characters
(€ [ ] { } ^ ~ \\ |) take two. Any other character (Cyrillic, an emoji) turns the whole text to
UCS-2: 70 characters in one message, 67 in each part, counted in UTF-16 units (an emoji is two).
"""

from __future__ import annotations

import re

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


_NOT_GSM = re.compile("[^" + re.escape("".join(sorted(GSM_BASIC | GSM_EXTENSION))) + "]")
_EXTENSION = re.compile("[" + re.escape("".join(sorted(GSM_EXTENSION))) + "]")


def is_gsm(text: str) -> bool:
    return _NOT_GSM.search(text) is None


def units(text: str) -> int:
    """The text's length as the network counts it: septets in GSM, UTF-16 units in UCS-2."""
    if is_gsm(text):
        return len(text) + len(_EXTENSION.findall(text))
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    """How many SMS the text is sent as (0 for an empty text)."""
    single, part = (160, 153) if is_gsm(text) else (70, 67)
    length = units(text)
    if length <= single:
        return 1 if length else 0
    return -(-length // part)


def budget(text: str, parts: int) -> int:
    """The most units a text of this alphabet may have to go in `parts` messages."""
    single, part = (160, 153) if is_gsm(text) else (70, 67)
    return single if parts == 1 else part * parts


def shorten(text: str, most: int) -> str:
    """`text` cut to at most `most` characters, with "…" where it was cut ("." in a GSM text,
    which "…" would turn to UCS-2)."""
    if len(text) <= most:
        return text
    mark = "." if is_gsm(text) else "…"
    return text[: max(0, most - 1)].rstrip() + mark
