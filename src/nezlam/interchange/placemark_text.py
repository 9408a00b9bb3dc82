"""What a map's placemark says in words, made into point fields: Google My Maps exports put the
address in the description (or in the name), the capacity in a phrase ("Сховище на 150 чол."),
phone numbers beside the address, and sometimes no name at all.

Published Ukrainian maps also mix scripts and languages: a Latin "i" typed inside Ukrainian
words ("Мiська лiкарня"), HTML line breaks, non-breaking spaces, and Russian names beside
Ukrainian ones. The Latin letters are mended; a Russian name is kept as it is and warned about.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

NAME_MAX = 200
NOTES_MAX = 1000
_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/tr)\s*/?\s*>", re.IGNORECASE)
# A Latin i or I between Cyrillic letters (or after one, ending a word) is a Ukrainian і or І.
_LATIN_I = re.compile(r"(?<=[а-яА-ЯіїєґІЇЄҐ'’])[iI]|[iI](?=[а-яА-ЯіїєґІЇЄҐ])")
_STREET = re.compile(
    r"(?<![\w])(вул|вулиця|просп|проспект|пр|пров|провул|провулок|пл|площа|бул|бульвар|дор|"
    r"дорога|шосе|узвіз|туп|тупик|наб|набережна|ул|улица|пер|переулок|мкр|мікрорайон|км|"
    r"майдан|алея|в'їзд|проїзд|лінія)(?![\w])\.?",
    re.IGNORECASE,
)
_HOUSE = re.compile(r"^[^\d]*[^\W\d][\w'’.\- ]*[ ,]+\d+[\w/\-]*( ?[а-яa-z])?\.?$", re.IGNORECASE)
_CAPACITY = re.compile(
    r"на\s*(\d[\d\s]*)\s*(осіб|особи|чол|людей|місць|человек|чел|мест)", re.IGNORECASE
)
_PHONE = re.compile(r"\+?\(?\d[\d\s()\-]{4,}\d")
_PHONE_LINE = re.compile(r"^(тел\.?|тел:|т\.|phone:?)?[\s\d()+\-–,;.]*$", re.IGNORECASE)
_RUSSIAN = re.compile(r"[ыэёъЫЭЁЪ]")
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
# Ukrainian says -ська, -ське, -ський, лікарня, вулиця, місто.
_RUSSIAN_WORDS = re.compile(r"ск(ая|ое|ий|ие|их|ой)\b|больниц|поликлиник|\bулица\b", re.IGNORECASE)


def clean(text: str | None) -> str:
    """Plain text of a KML name or description: tags and entities gone, one space between
    words, lines kept apart, Latin i in Ukrainian words mended."""
    if not text:
        return ""
    text = html.unescape(_TAG.sub(" ", _BREAK.sub("\n", text)))
    lines = (" ".join(line.replace("\xa0", " ").split()) for line in text.splitlines())
    return "\n".join(_LATIN_I.sub(_cyrillic_i, line) for line in lines if line)


def _cyrillic_i(match: re.Match[str]) -> str:
    return "і" if match[0] == "i" else "І"


def looks_like_address(line: str) -> bool:
    """ "вул. Шевченка, 28", "просп. Миру, 194", "Щорса 79": a street word or a house number."""
    if len(line) > 150 or _CAPACITY.search(line):
        return False
    return bool(_STREET.search(line)) or bool(_HOUSE.match(line))


def is_phone_line(line: str) -> bool:
    return bool(_PHONE.search(line)) and bool(_PHONE_LINE.match(line))


def looks_russian(text: str) -> bool:
    """Letters Ukrainian lacks (ы э ё ъ), or Russian endings and words ("Городская
    клиническая больница"), and none of the letters only Ukrainian has (і ї є ґ)."""
    if _UKRAINIAN.search(text):
        return False
    return bool(_RUSSIAN.search(text)) or bool(_RUSSIAN_WORDS.search(text))


def capacity_of(text: str) -> int | None:
    """People the place holds, from "на 150 чол." phrases (added up: "сховище на 128 чол.,
    сховище на 150 чол." is two shelters at one address)."""
    found = [int(re.sub(r"\s", "", match[1])) for match in _CAPACITY.finditer(text)]
    return sum(found) if found else None


@dataclass
class Described:
    name: str | None = None
    address: str | None = None
    phone: str | None = None
    capacity: int | None = None
    notes: str | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)


def describe(raw_name: str | None, raw_description: str | None) -> Described:
    """The point fields a placemark's name and description give."""
    name, lines = clean(raw_name).replace("\n", " "), _joined(clean(raw_description))
    found = Described(capacity=capacity_of(" ".join(lines)))
    rest = []
    for line in lines:
        if found.address is None and looks_like_address(line) and line != name:
            found.address = line
        elif is_phone_line(line):
            found.phone = found.phone or _first_phone(line)
        elif line != name:
            rest.append(line)
    text = [line for line in rest if capacity_of(line) is None]
    if found.address is None and looks_like_address(name):
        found.address = name
        if text and len(text[0]) <= NAME_MAX:
            name = text[0]  # "Щорса 79" named by its description: АЗС "ОККО" №14
            rest.remove(text[0])
    elif found.address is None and len(text) == 1 and len(text[0]) <= 150:
        # A map's description is where its author put the address: "Центральний аеропорт".
        found.address = text[0]
        rest.remove(text[0])
    found.name = name_for(name, found.address)
    found.notes = "; ".join(rest)[:NOTES_MAX] or None
    if found.name and looks_russian(found.name):
        found.warnings.append(
            ("name", "the name looks Russian; it is kept as the Ukrainian name (uk)")
        )
    return found


def _joined(text: str) -> list[str]:
    """Lines, a line ending in a comma joined to the next ("м. Одеса," / "вул. Балківська, 2")."""
    lines: list[str] = []
    for line in text.splitlines():
        if lines and lines[-1].endswith(","):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return lines


def name_for(name: str, address: str | None) -> str | None:
    """A placemark's name, or one made from its address: none at all becomes the address, a
    number left out ("Сховище №") becomes "Сховище, <address>"."""
    if name.endswith("№") and address:
        return f"{name.rstrip('№ ').rstrip(',')}, {address}"[:NAME_MAX]
    if not name:
        return address[:NAME_MAX] if address else None
    return name


def _first_phone(line: str) -> str | None:
    match = _PHONE.search(line)
    if match is None:
        return None
    phone = match[0].strip(" -")
    return phone if 3 <= len(phone) <= 40 else None
