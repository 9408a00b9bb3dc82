"""Ukrainian national transliteration, and the folding that lets spellings in any script meet.

`transliterate` follows the official table (Cabinet of Ministers of Ukraine resolution No. 55 of
27 January 2010): є ї й ю я are Ye Yi Y Yu Ya at the start of a word and ie i i iu ia elsewhere,
"зг" is "zgh" (to tell it from "ж" = "zh"), the soft sign and the apostrophe are dropped.

`fold` is what matching compares: Cyrillic transliterated, case folded, diacritics stripped
(ä → a, ß → ss), apostrophes dropped, anything else that is not a letter or digit made a space.
`skeleton` goes further for fuzzy matching: it merges spellings that differ only by the habits of
a transliteration (Khreshchatyk / Khreschatyk / Kreshchatik, Kyiv / Kiev), never shown to anyone.
"""

from __future__ import annotations

import re
import unicodedata

# Letters whose Latin form does not depend on their place in the word.
_PLAIN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "h",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "y",
    "і": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ь": "",
}
# (at the start of a word, elsewhere)
_POSITIONAL = {
    "є": ("ye", "ie"),
    "ї": ("yi", "i"),
    "й": ("y", "i"),
    "ю": ("yu", "iu"),
    "я": ("ya", "ia"),
}
# The apostrophe inside a word (Знам'янка) has several Unicode spellings; all are dropped.
APOSTROPHES = "'\u2019\u02bc\u2018`\u00b4\u02b9\u0301"
# Letters of Russian and Belarusian, approximated so that a resident's spelling still folds
# close to the Ukrainian one; not part of the national table.
_NEIGHBOURS = {"ё": "io", "ы": "y", "э": "e", "ъ": "", "ў": "u"}


def _is_letter(char: str) -> bool:
    return char.isalpha() and char not in APOSTROPHES


def _cased(latin: str, original: str, all_caps: bool) -> str:
    if not original.isupper() or not latin:
        return latin
    return latin.upper() if all_caps else latin[0].upper() + latin[1:]


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def transliterate(text: str) -> str:
    """Cyrillic Ukrainian → Latin by the national table; other characters pass through."""
    text = unicodedata.normalize("NFC", text)
    if not _CYRILLIC.search(text):
        return text
    out: list[str] = []
    word_start = True
    for i, char in enumerate(text):
        lower = char.lower()
        if char in APOSTROPHES and not word_start:
            continue  # Знам'янка → Znamianka: the apostrophe only marks a hard sound
        if lower in _POSITIONAL:
            latin = _POSITIONAL[lower][0 if word_start else 1]
        elif lower == "г" and i > 0 and text[i - 1].lower() == "з":
            latin = "gh"
        elif lower in _PLAIN:
            latin = _PLAIN[lower]
        else:
            out.append(char)
            word_start = not _is_letter(char)
            continue
        neighbour = text[i + 1] if i + 1 < len(text) else ""
        previous = text[i - 1] if i > 0 else ""
        all_caps = (neighbour.isalpha() and neighbour.isupper()) or (
            not word_start and previous.isalpha() and previous.isupper()
        )
        out.append(_cased(latin, char, all_caps))
        word_start = False
    return "".join(out)


_SPECIAL_LATIN = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """The form names and queries are compared in: lower-case ASCII words separated by spaces."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(_NEIGHBOURS.get(char, char) for char in text)
    text = transliterate(text)
    for apostrophe in APOSTROPHES:
        text = text.replace(apostrophe, "")
    text = text.casefold().translate(_SPECIAL_LATIN)
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    return _NOT_WORD.sub(" ", text).strip()


# Applied in order to folded text: groups that transliterations spell differently.
_SKELETON_RULES = (
    ("shch", "sh"),
    ("sch", "sh"),
    ("kh", "h"),
    ("ts", "c"),
    ("tz", "c"),
    ("ph", "f"),
    ("ck", "k"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
    ("q", "k"),
)
_REPEATS = re.compile(r"([a-z])\1+")


def skeleton(folded: str) -> str:
    """A coarser key of folded text for fuzzy comparison: transliteration variants coincide."""
    for old, new in _SKELETON_RULES:
        folded = folded.replace(old, new)
    return _REPEATS.sub(r"\1", folded)
