"""Input shapes of the registry, validated once at the edge (API, import, CLI alike).

Output shapes live in `nezlam.domain.public`: that is where a protected address is hidden, so
nothing else has to remember to.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from nezlam.domain import opening_hours
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

Latitude = Annotated[float, Field(ge=-90, le=90, description="degrees WGS84")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="degrees WGS84")]
Phone = Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[0-9+() \-]+$")]


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(v) for v in value)
    return False


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL cannot store NUL in text; refuse it at the edge on every backend alike.
        if _contains_nul(value):
            raise ValueError("must not contain NUL characters")
        return value


NAMES_SCHEMA = {
    "required": ["uk"],
    "propertyNames": {"pattern": LANGUAGE_PATTERN.pattern},
    "example": {"uk": "Пункт незламності", "en": "Invincibility point"},
}


def check_names(value: dict[str, str]) -> dict[str, str]:
    if not value.get("uk"):
        raise ValueError("a Ukrainian name ('uk') is required")
    for language, text in value.items():
        if not LANGUAGE_PATTERN.match(language):
            raise ValueError(f"{language!r} is not a language code like 'uk' or 'en'")
        if not text or len(text) > 200:
            raise ValueError(f"name in {language!r} must be 1 to 200 characters")
    return value


def check_services(value: list[str]) -> list[str]:
    unknown = [code for code in value if code not in SERVICES]
    if unknown:
        raise ValueError(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    return sorted(set(value), key=list(SERVICES).index)


class PointFields(Strict):
    """Everything about a point that an editor may set (not its live status). A field left out is
    left unchanged; the ones a point cannot lack take no null."""

    name: dict[str, str] = Field(None, json_schema_extra=NAMES_SCHEMA)  # type: ignore[assignment]
    category: Category = None  # type: ignore[assignment]
    kind: Kind = None  # type: ignore[assignment]
    anchor: bool = Field(None, description="48 h autonomy and beds")  # type: ignore[assignment]
    organisation: str | None = Field(None, description="organisation slug")
    phone: Phone | None = None
    lat: Latitude = None  # type: ignore[assignment]
    lon: Longitude = None  # type: ignore[assignment]
    address: str | None = Field(None, max_length=300)
    locality: str = Field(None, min_length=1, max_length=120)  # type: ignore[assignment]
    region: str = Field(None, min_length=1, max_length=120)  # type: ignore[assignment]
    timezone: str = Field(None, description="IANA, e.g. Europe/Kyiv")  # type: ignore[assignment]
    visibility: Visibility = None  # type: ignore[assignment]
    services: list[str] = None  # type: ignore[assignment]
    capacity: int | None = Field(None, ge=0, le=100_000)
    opening_hours: str | None = Field(
        None, max_length=500, description="OpenStreetMap syntax, e.g. Mo-Fr 08:00-20:00; Su off"
    )
    notes: dict[str, str] | None = None
    external_id: str | None = Field(None, min_length=1, max_length=200)

    _names = field_validator("name")(lambda cls, v: check_names(v))
    _services = field_validator("services")(lambda cls, v: check_services(v))

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
    occupancy: int | None = Field(None, ge=0, le=100_000)
    occupancy_change: int | None = Field(
        None,
        ge=-OCCUPANCY_STEP_MAX,
        le=OCCUPANCY_STEP_MAX,
        description="people who came in (+) or left (-) since the last count; added to the "
        "point's occupancy when the report is stored (never below 0), so that two people "
        "counting at the same door both count",
    )
    fuel_litres: float | None = Field(None, ge=0, le=100_000)
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
    organisation: str | None = None


class UserUpdate(Strict):
    """Only the fields present are changed."""

    password: str | None = Field(None, min_length=10, max_length=200)
    display_name: str | None = Field(None, max_length=200)
    organisation: str | None = None
    is_active: bool | None = None


class OrganisationUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: OrganisationKind | None = None
    phone: Phone | None = None


class RoleGrantCreate(Strict):
    role: str = Field(pattern=r"^(admin|coordinator|operator)$")
    region: str | None = Field(None, min_length=1, max_length=120)
    point_id: str | None = Field(None, pattern=POINT_ID_PATTERN)
    organisation: str | None = None

    @model_validator(mode="after")
    def _scope(self) -> RoleGrantCreate:
        if self.role == "admin" and (self.region or self.point_id or self.organisation):
            raise ValueError("an admin role has no scope")
        if self.role == "coordinator" and not self.region:
            raise ValueError("a coordinator role needs a region")
        if self.role == "operator" and bool(self.point_id) == bool(self.organisation):
            raise ValueError("an operator role needs exactly one of point_id or organisation")
        return self
