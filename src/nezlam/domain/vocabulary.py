"""Closed vocabularies of the registry, with their Ukrainian and English labels.

Codes are stable API values; labels are for people. Adding a language is adding a key per entry.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    STATE = "state"  # run by an administration or the State Emergency Service
    BUSINESS = "business"  # a business hosting a point with charging
    SERVICE = "service"  # shop, pharmacy, bank or fuel station open in a blackout, no charging


class Kind(StrEnum):
    STATIONARY = "stationary"
    MOBILE = "mobile"  # tent, vehicle, railway carriage: keeps a history of positions


class Visibility(StrEnum):
    PUBLIC = "public"
    LOCALITY_ONLY = "locality_only"  # near the front line: only the locality leaves the server
    HIDDEN = "hidden"


class Status(StrEnum):
    OPEN = "open"
    STANDBY = "standby"  # can open within 2 h
    FULL = "full"
    CLOSED = "closed"


class ShownStatus(StrEnum):
    """What the public sees after the freshness rule: a reported status or a warning."""

    OPEN = "open"
    STANDBY = "standby"
    FULL = "full"
    CLOSED = "closed"
    UNCONFIRMED = "unconfirmed"  # reported open, but nobody confirmed it recently
    NO_RESPONSE = "no_response"  # no report at all for a long time
    UNKNOWN = "unknown"  # never reported


class Power(StrEnum):
    GRID = "grid"
    GENERATOR = "generator"
    BATTERY = "battery"
    NONE = "none"


class SignalKind(StrEnum):
    """What an anonymous visitor can say about a point."""

    CLOSED = "closed"
    FULL = "full"
    NO_POWER = "no_power"
    CONFIRMED_OPEN = "confirmed_open"


NEGATIVE_SIGNALS = frozenset({SignalKind.CLOSED, SignalKind.FULL, SignalKind.NO_POWER})


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"  # scoped to regions
    OPERATOR = "operator"  # scoped to points, or to every point of an organisation


class OrganisationKind(StrEnum):
    MUNICIPALITY = "municipality"
    EMERGENCY_SERVICE = "emergency_service"
    BUSINESS = "business"
    NGO = "ngo"
    DIASPORA = "diaspora"
    OTHER = "other"


# Order matters: it fixes each service's bit in the in-memory index.
SERVICES: dict[str, dict[str, str]] = {
    "heat": {"uk": "Обігрів", "en": "Heating"},
    "power": {"uk": "Зарядка пристроїв", "en": "Phone charging"},
    "water": {"uk": "Питна вода", "en": "Drinking water"},
    "hot_drinks": {"uk": "Гарячі напої", "en": "Hot drinks"},
    "food": {"uk": "Їжа", "en": "Food"},
    "wifi": {"uk": "Wi-Fi", "en": "Wi-Fi"},
    "satellite_internet": {"uk": "Супутниковий інтернет", "en": "Satellite internet"},
    "mobile_signal": {"uk": "Мобільний зв'язок", "en": "Mobile signal"},
    "first_aid": {"uk": "Перша допомога", "en": "First aid"},
    "toilet": {"uk": "Туалет", "en": "Toilet"},
    "beds": {"uk": "Місця для сну", "en": "Beds"},
    "mother_and_child": {"uk": "Кімната матері й дитини", "en": "Mother-and-child room"},
    "pets_allowed": {"uk": "Можна з тваринами", "en": "Pets allowed"},
    "step_free": {"uk": "Безбар'єрний доступ", "en": "Step-free access"},
}

SERVICE_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(SERVICES)}


def services_mask(codes: list[str] | tuple[str, ...] | set[str]) -> int:
    """Bitmask of known service codes; unknown codes raise KeyError."""
    mask = 0
    for code in codes:
        mask |= SERVICE_BITS[code]
    return mask


def unknown_services(codes: list[str]) -> list[str]:
    return [code for code in codes if code not in SERVICES]


# --- The workspace (issue 4) ----------------------------------------------------------------


class Urgency(StrEnum):
    CRITICAL = "critical"  # the point closes without it today
    HIGH = "high"  # needed within a day or two
    NORMAL = "normal"


URGENCY_ORDER = {Urgency.CRITICAL: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}

# What a point can lack, with the unit it is usually counted in.
NEED_ITEMS: dict[str, dict[str, str]] = {
    "diesel": {"uk": "Дизельне пальне", "en": "Diesel", "unit": "l"},
    "petrol": {"uk": "Бензин", "en": "Petrol", "unit": "l"},
    "water": {"uk": "Питна вода", "en": "Drinking water", "unit": "l"},
    "tea": {"uk": "Чай", "en": "Tea", "unit": "pack"},
    "food": {"uk": "Їжа", "en": "Food", "unit": "portion"},
    "blankets": {"uk": "Ковдри", "en": "Blankets", "unit": "pcs"},
    "power_banks": {"uk": "Павербанки", "en": "Power banks", "unit": "pcs"},
    "generator": {"uk": "Генератор", "en": "Generator", "unit": "pcs"},
    "heaters": {"uk": "Обігрівачі", "en": "Heaters", "unit": "pcs"},
    "starlink": {"uk": "Термінал Starlink", "en": "Starlink terminal", "unit": "pcs"},
    "first_aid": {"uk": "Аптечки", "en": "First aid kits", "unit": "pcs"},
    "volunteers": {"uk": "Волонтери", "en": "Volunteers", "unit": "people"},
    "other": {"uk": "Інше", "en": "Other", "unit": ""},
}


class CallOutcome(StrEnum):
    CONFIRMED = "confirmed"  # someone answered: the point is as shown (sets verified_at)
    NO_ANSWER = "no_answer"
    CLOSED = "closed"  # someone answered: the point is closed (reports closed)
    FULL = "full"  # someone answered: open but no places left (reports full)
    STANDBY = "standby"  # someone answered: ready, opens when needed (reports standby)
    WRONG_NUMBER = "wrong_number"  # the number is not the point's: it waits behind the rest
    CALL_BACK = "call_back"  # "call again later": out of the pool for a while, then back


# The inspection checklist, in the order an inspector walks through it.
INSPECTION_ITEMS: dict[str, dict[str, str]] = {
    "generator": {"uk": "Генератор працює", "en": "Generator works"},
    "heating": {"uk": "Обігрів працює", "en": "Heating works"},
    "internet": {"uk": "Інтернет працює", "en": "Internet works"},
    "water": {"uk": "Є питна вода", "en": "Drinking water available"},
    "first_aid": {"uk": "Є аптечка", "en": "First aid kit present"},
    "mother_and_child": {"uk": "Кімната матері й дитини", "en": "Mother-and-child room"},
    "step_free": {"uk": "Безбар'єрний доступ", "en": "Step-free access"},
}


# The services a failed checklist item puts out of order, for the public, until it is fixed.
ITEM_SERVICES: dict[str, tuple[str, ...]] = {
    "generator": ("power",),
    "heating": ("heat",),
    "internet": ("wifi", "satellite_internet"),
    "water": ("water",),
    "first_aid": ("first_aid",),
    "mother_and_child": ("mother_and_child",),
    "step_free": ("step_free",),
}


class NotificationKind(StrEnum):
    """What turns a coordinator's head: a point became one of these."""

    FULL = "full"
    CLOSED = "closed"
    NO_POWER = "no_power"
    LOW_FUEL = "low_fuel"
    OUTAGE_SOON = "outage_soon"  # the schedule turns the point's power off within the lead
    # Emergency shutdowns in the point's power company's region: its schedule does not hold
    EMERGENCY_SHUTDOWN = "emergency"
    OFF_STOP = "off_stop"  # a mobile point's device far from the stop its schedule has now
    # On its generator, the point reaches its fuel reserve within NEZLAM_FUEL_WARN_WITHIN
    FUEL_RESERVE = "fuel_reserve"
