"""Input shapes of the registry, validated once at the edge (API, import, CLI alike).

What the public sees of a point is decided by the read side, `nezlam.reading`: that is where
a protected address is hidden, so nothing else has to remember to.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict

from nezlam.domain import opening_hours
from nezlam.domain.errors import Invalid
from nezlam.domain.vocabulary import (
    SERVICES,
    Category,
    Kind,
    OrganisationKind,
    Power,
    SignalKind,
    Status,
    Visibility,
)

POINT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
USERNAME_PATTERN = r"^[a-zA-Z0-9_.@-]{3,64}$"
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}$")
# Limits shared by the API, the import and the forms: a card stays a card, and one editor
# cannot make every resident's answer megabytes long.
NAME_MAX = 200  # characters per language
NOTES_MAX = 1000  # characters per language: a few sentences
LANGUAGES_MAX = 8  # languages in one multilingual field
SLUG_MAX = 64


def _not_a_boolean(value: object) -> object:
    # JSON true is not 1 person nor 1 litre: pydantic's lax mode would take it as one.
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


NotBoolean = BeforeValidator(_not_a_boolean)
Latitude = Annotated[float, NotBoolean, Field(ge=-90, le=90, description="degrees WGS84")]
Longitude = Annotated[float, NotBoolean, Field(ge=-180, le=180, description="degrees WGS84")]
Phone = Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[0-9+() \-]+$")]
SlugRef = Annotated[str, Field(min_length=1, max_length=SLUG_MAX, description="a slug")]
ServiceCode = Annotated[str, Field(max_length=40)]
LanguageCode = Annotated[str, Field(pattern=LANGUAGE_PATTERN.pattern)]
NoteText = Annotated[str, Field(max_length=NOTES_MAX)]
# The types say the limits (the OpenAPI shows them); `check_notes`, run first, says them in words.
Notes = Annotated[dict[LanguageCode, NoteText], Field(max_length=LANGUAGES_MAX)]


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(v) for v in value)
    return False


class Strict(BaseModel):
    # allow_inf_nan: a JSON NaN or Infinity is refused as "not a finite number" rather than
    # failing a range check with a misleading message.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL cannot store NUL in text; refuse it at the edge on every backend alike.
        if _contains_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


NAMES_SCHEMA: JsonDict = {
    "required": ["uk"],
    "propertyNames": {"pattern": LANGUAGE_PATTERN.pattern},
    "maxProperties": LANGUAGES_MAX,
    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": NAME_MAX},
    "example": {"uk": "Пункт незламності", "en": "Invincibility point"},
}
NOTES_EXAMPLE = {"uk": "Вхід з двору", "en": "Entrance from the courtyard"}


def check_languages(
    value: dict[str, str], what: str, shortest: int, longest: int
) -> dict[str, str]:
    """A text per language: codes like 'uk' or 'en', each text of shortest..longest characters."""
    if len(value) > LANGUAGES_MAX:
        raise ValueError(f"{what} in at most {LANGUAGES_MAX} languages")
    for language, text in value.items():
        if not LANGUAGE_PATTERN.match(language):
            shown = language if len(language) <= 20 else language[:20] + "…"
            raise ValueError(f"{shown!r} is not a language code like 'uk' or 'en'")
        if not shortest <= len(text) <= longest:
            size = f"{shortest} to {longest}" if shortest else f"at most {longest}"
            raise ValueError(f"{what} in {language!r} must be {size} characters")
    return value


def check_names(value: dict[str, str]) -> dict[str, str]:
    if not value.get("uk"):
        raise ValueError("a Ukrainian name ('uk') is required")
    return check_languages(value, "name", 1, NAME_MAX)


def check_notes(value: object) -> object:
    """Before the types are checked: anything but a map of texts is left to them to refuse."""
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        check_languages({str(k): v for k, v in value.items()}, "notes", 0, NOTES_MAX)
    return value


def check_services(value: list[str]) -> list[str]:
    unknown = [code[:40] for code in value if code not in SERVICES]
    if unknown:  # a few named, not an echo of everything that was sent
        named = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
        raise ValueError(f"unknown service(s) {named}; known: {', '.join(SERVICES)}")
    return sorted(set(value), key=list(SERVICES).index)


OUTAGE_REGION_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
OUTAGE_QUEUE_PATTERN = r"^\d{1,3}(\.\d{1,3})?$"


class PointFields(Strict):
    """Everything about a point that an editor may set (not its live status). A field left out is
    left unchanged; the ones a point cannot lack take no null. Those default to None, which is
    never validated, while their type refuses a null sent: hence the ignores below, which say
    that the default is not of the field's type."""

    name: dict[str, str] = Field(None, json_schema_extra=NAMES_SCHEMA)  # type: ignore[arg-type]
    category: Category = None  # type: ignore[assignment]
    kind: Kind = None  # type: ignore[assignment]
    anchor: bool = Field(None, description="48 h autonomy and beds")  # type: ignore[assignment]
    organisation: SlugRef | None = Field(None, description="organisation slug")
    phone: Phone | None = None
    lat: Latitude = None  # type: ignore[assignment]
    lon: Longitude = None  # type: ignore[assignment]
    address: str | None = Field(None, max_length=300)
    locality: str = Field(None, min_length=1, max_length=120)  # type: ignore[assignment]
    region: str = Field(None, min_length=1, max_length=120)  # type: ignore[assignment]
    timezone: str = Field(  # type: ignore[assignment]
        None, max_length=64, description="IANA, e.g. Europe/Kyiv"
    )
    visibility: Visibility = None  # type: ignore[assignment]
    services: list[ServiceCode] = Field(None, max_length=100)  # type: ignore[arg-type]
    capacity: Annotated[int, NotBoolean] | None = Field(None, ge=0, le=100_000)
    opening_hours: str | None = Field(
        None,
        max_length=500,
        description="OpenStreetMap syntax, e.g. Mo-Fr 08:00-20:00; Su off; or as people write "
        "it (Пн-Пт 9-18; Нд вихідний; цілодобово), stored in OpenStreetMap syntax",
    )
    fuel_tank_litres: int | None = Field(
        None, ge=1, le=100_000, description="the generator's tank: more fuel is refused"
    )
    notes: Notes | None = Field(None, examples=[NOTES_EXAMPLE])
    external_id: str | None = Field(None, min_length=1, max_length=200)
    outage_region: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=OUTAGE_REGION_PATTERN,
        description="whose outage schedule the point's power follows: the power company's "
        "region id, as `nezlam outages import` has it (e.g. vinnytsia)",
    )
    outage_queue: str | None = Field(
        None,
        max_length=16,
        pattern=OUTAGE_QUEUE_PATTERN,
        description="the point's queue (черга) in that schedule, e.g. 1.1",
    )

    _names = field_validator("name")(lambda cls, v: check_names(v))
    _notes = field_validator("notes", mode="before")(lambda cls, v: check_notes(v))
    _services = field_validator("services")(lambda cls, v: check_services(v))

    @field_validator("outage_region", "outage_queue", mode="before")
    @classmethod
    def _outage_names(cls, value: object, info: ValidationInfo) -> object:
        """'Vinnytsia' as vinnytsia, 'GPV1.1' (as the files name it) as 1.1; blank as none."""
        if not isinstance(value, str):
            return value
        value = value.strip().lower()
        if info.field_name == "outage_queue":
            value = value.removeprefix("gpv").removeprefix("черга").strip()
        return value or None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            return opening_hours.validate_timezone(value)
        except opening_hours.OpeningHoursError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value:
            return value
        try:
            return opening_hours.validate(value, info.data.get("timezone") or "Europe/Kyiv")
        except opening_hours.OpeningHoursError as exc:
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _position(self) -> PointFields:
        if ("lat" in self.model_fields_set) != ("lon" in self.model_fields_set):
            raise ValueError("lat and lon must be given together")
        return self


class PointCreate(PointFields):
    id: str | None = Field(None, pattern=POINT_ID_PATTERN, description="stable, URL-safe")
    name: dict[str, str] = Field(json_schema_extra=NAMES_SCHEMA)
    category: Category
    lat: Latitude
    lon: Longitude
    locality: str = Field(min_length=1, max_length=120)
    region: str = Field(min_length=1, max_length=120)


class PointUpdate(PointFields):
    """Only the fields present are changed."""


OCCUPANCY_STEP_MAX = 50  # people through the door between two taps, at most


class ReportCreate(Strict):
    """A status report from an operator or coordinator. Every field is optional; `verify=true`
    with nothing else is the one-tap "still current"."""

    status: Status | None = None
    power: Power | None = None
    heating: bool | None = None
    internet: bool | None = None
    occupancy: Annotated[int, NotBoolean] | None = Field(None, ge=0, le=100_000)
    occupancy_change: Annotated[int, NotBoolean] | None = Field(
        None,
        ge=-OCCUPANCY_STEP_MAX,
        le=OCCUPANCY_STEP_MAX,
        description="people who came in (+) or left (-) since the last count; added to the "
        "point's occupancy when the report is stored (never below 0), so that two people "
        "counting at the same door both count",
    )
    fuel_litres: Annotated[float, NotBoolean] | None = Field(None, ge=0, le=100_000)
    verify: bool = Field(False, description="the operator confirms everything is still current")
    client_time: datetime | None = Field(
        None,
        description="when the operator tapped, by the device's clock; a report queued offline "
        "and sent later counts from then, never from its arrival",
    )
    sent_at: datetime | None = Field(
        None,
        description="when the device sent it, by the same clock: with client_time, it corrects "
        "for a device clock that is wrong (the report's age is sent_at - client_time)",
    )

    @model_validator(mode="after")
    def _not_empty(self) -> ReportCreate:
        fields = (self.status, self.power, self.heating, self.internet, self.occupancy)
        nothing = all(value is None for value in fields) and self.occupancy_change is None
        if nothing and self.fuel_litres is None and not self.verify:
            raise ValueError(
                "a report needs at least one of status, power, heating, internet, "
                "occupancy, occupancy_change, fuel_litres or verify=true"
            )
        if self.occupancy is not None and self.occupancy_change is not None:
            raise ValueError("give occupancy (a count) or occupancy_change (a step), not both")
        if self.occupancy_change == 0:
            raise ValueError("occupancy_change must not be 0")
        for name in ("client_time", "sent_at"):
            moment = getattr(self, name)
            if moment is not None:
                if moment.tzinfo is None:
                    raise ValueError(f"{name} must include a timezone offset")
                setattr(self, name, moment.astimezone(UTC))
        if self.sent_at is not None:
            if self.client_time is None:
                raise ValueError("sent_at needs client_time (it dates the tap)")
            if self.sent_at < self.client_time:
                raise ValueError("sent_at must not be before client_time")
        return self

    @property
    def confirms_status(self) -> bool:
        """A first-hand statement of the status: it counts as verification."""
        return self.verify or self.status is not None


FUEL_CAP_LITRES = 5000  # with no tank size stated, more fuel than this is a typo
CROWDING_LIMIT = 1.5  # more people than 1.5 × the places is a typo, not a crowd


class Implausible(Invalid):
    """A number no point can have: a report says so by the field, with the limit it passed."""

    def __init__(self, problem: str, field: str, limit: int) -> None:
        super().__init__(problem, field=field)
        self.limit = limit


def check_plausible(
    fuel_litres: float | None,
    occupancy: int | None,
    *,
    capacity: int | None,
    tank_litres: int | None,
    occupancy_field: str = "occupancy",
) -> None:
    """Refuse fuel above the tank (or above FUEL_CAP_LITRES when its size is not known) and
    people inside far above the places: both are typos that would mislead coordinators."""
    if fuel_litres is not None:
        limit = tank_litres or FUEL_CAP_LITRES
        if fuel_litres > limit:
            said = "the tank holds" if tank_litres else "a tank without a stated size holds"
            problem = f"{fuel_litres:g} l: more than {said} ({limit} l)"
            raise Implausible(problem, "fuel_litres", limit)
    if occupancy is not None and capacity:
        limit = int(capacity * CROWDING_LIMIT)
        if occupancy > limit:
            raise Implausible(
                f"{occupancy} people: more than {CROWDING_LIMIT:g} × the {capacity} places",
                occupancy_field,
                limit,
            )


class SignalCreate(Strict):
    kind: SignalKind


class OrganisationCreate(Strict):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind
    phone: Phone | None = None


class UserCreate(Strict):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str | None = Field(None, min_length=10, max_length=200)
    display_name: str | None = Field(None, max_length=200)
    organisation: SlugRef | None = None


class UserUpdate(Strict):
    """Only the fields present are changed."""

    password: str | None = Field(None, min_length=10, max_length=200)
    display_name: str | None = Field(None, max_length=200)
    organisation: SlugRef | None = None
    is_active: bool | None = None


class OrganisationUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    phone: Phone | None = None


class RoleGrantCreate(Strict):
    role: str = Field(pattern=r"^(admin|coordinator|operator)$")
    region: str | None = Field(None, min_length=1, max_length=120)
    point_id: str | None = Field(None, pattern=POINT_ID_PATTERN)
    organisation: SlugRef | None = None

    @model_validator(mode="after")
    def _scope(self) -> RoleGrantCreate:
        if self.role == "admin" and (self.region or self.point_id or self.organisation):
            raise ValueError("an admin role has no scope")
        if self.role == "coordinator" and not self.region:
            raise ValueError("a coordinator role needs a region")
        if self.role == "operator" and bool(self.point_id) == bool(self.organisation):
            raise ValueError("an operator role needs exactly one of point_id or organisation")
        return self
