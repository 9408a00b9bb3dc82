"""How names sort for people: numbers by their value ("АЗС № 2" before "АЗС № 10"), and Ukrainian
letters in the order of the Ukrainian alphabet (Unicode puts є, і, ї and ґ after я)."""

from __future__ import annotations

import re
import unicodedata

UKRAINIAN = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
# Each Ukrainian letter stands in for a character of the private use area, in alphabet order:
# after every Latin and other Cyrillic letter, and in the order a Ukrainian reader expects.
_ALPHABET = str.maketrans({letter: chr(0xE000 + i) for i, letter in enumerate(UKRAINIAN)})
_NUMBERS = re.compile(r"(\d+)")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc")


def natural_key(text: str) -> tuple[str | int, ...]:
    """A sort key: text parts compared letter by letter, digit runs by their value. Parts
    alternate (text, number, text, …), so two keys always compare like with like."""
    folded = unicodedata.normalize("NFC", text).casefold().translate(_APOSTROPHES)
    parts = _NUMBERS.split(folded)
    return tuple(int(part) if i % 2 else part.translate(_ALPHABET) for i, part in enumerate(parts))
