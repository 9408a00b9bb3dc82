"""What an operator or coordinator says of a point's fuel (issue 13): a generator of the point,
and a delivery of fuel to it. Checked here, so the API and the workspace refuse the same typo
the same way, naming its field; the arithmetic of the runway is in `domain.fuel_runway`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from nezlam.domain.fuel_runway import Fuel
from nezlam.domain.points import NotBoolean, Strict

RATED_KW_MAX = 2_000  # a large standby set; more is a typo
TANK_MAX_LITRES = 20_000
LITRES_PER_HOUR_MAX = 500
DELIVERY_MAX_LITRES = 20_000  # a fuel truck's tank


class GeneratorCreate(Strict):
    label: str | None = Field(None, max_length=80, description="how people at the point call it")
    rated_kw: Annotated[float, NotBoolean] = Field(
        gt=0, le=RATED_KW_MAX, description="the rated (prime) power in kW, from its plate"
    )
    fuel: Fuel = Field(Fuel.DIESEL, description="what it burns")
    tank_litres: Annotated[float, NotBoolean] | None = Field(
        None, gt=0, le=TANK_MAX_LITRES, description="the fuel its tank holds, in litres"
    )
    litres_per_hour: Annotated[float, NotBoolean] | None = Field(
        None,
        gt=0,
        le=LITRES_PER_HOUR_MAX,
        description="litres an hour at the usual load, as measured; else estimated from kW",
    )
    backup: bool = Field(False, description="starts only when the main set fails")


class DeliveryCreate(Strict):
    litres: Annotated[float, NotBoolean] = Field(
        gt=0, le=DELIVERY_MAX_LITRES, description="litres put in the point's tanks"
    )
    delivered_by: str | None = Field(
        None, max_length=200, description="who brought it: a driver, a truck, a donor"
    )
