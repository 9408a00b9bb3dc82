"""The tables of a point's fuel (migration 0014, issue 13): its generators, whose consumption
gives its runway (`domain.fuel_runway`), and the deliveries of fuel made to it.

Import it from `nezlam.store.tables`, which imports this module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from nezlam.store.table_base import Base, BigId, utcnow


class PointGenerator(Base):
    """A generating set at a point: its rated power, fuel and tank, and the litres an hour its
    operator measured at the usual load (else estimated from the rated power). A backup set
    starts only when the main one fails: it burns nothing in the runway."""

    __tablename__ = "point_generators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    label: Mapped[str | None] = mapped_column(String(80))
    rated_kw: Mapped[float] = mapped_column(Float)
    fuel: Mapped[str] = mapped_column(String(16), default="diesel")
    tank_litres: Mapped[float | None] = mapped_column(Float)
    litres_per_hour: Mapped[float | None] = mapped_column(Float)
    backup: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FuelDelivery(Base):
    """Fuel brought to a point: how many litres, who brought them (a driver, a truck, as said),
    who recorded it and when, and the report it made (the point's new fuel reading)."""

    __tablename__ = "fuel_deliveries"
    __table_args__ = (Index("ix_fuel_deliveries_point_at", "point_id", "delivered_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(ForeignKey("points.id", ondelete="RESTRICT"))
    litres: Mapped[float] = mapped_column(Float)
    delivered_by: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("status_reports.id"))
