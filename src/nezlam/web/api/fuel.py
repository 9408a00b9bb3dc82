"""A point's fuel in the API (issue 13): its generators, listed, added and removed, and fuel
deliveries recorded — for those who may edit the point (`domain.permissions.can_edit_point`),
as on its workspace page. The runway itself is in `GET /api/v1/points/{id}` (`fuel_runway`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path
from sqlalchemy.orm import Session

from nezlam.domain import permissions
from nezlam.domain.errors import Forbidden, NotFound
from nezlam.domain.fuel import DeliveryCreate, GeneratorCreate
from nezlam.domain.permissions import Principal
from nezlam.domain.point_view import iso
from nezlam.domain.points import POINT_ID_PATTERN
from nezlam.store import generators
from nezlam.store import points as point_store
from nezlam.store.tables import PointGenerator
from nezlam.web.plumbing.deps import actor_of, app_state, required_principal
from nezlam.web.plumbing.state import AppState

router = APIRouter(prefix="/api/v1", tags=["fuel"])
PointId = Path(pattern=POINT_ID_PATTERN, description="the point's stable id")


def editable(session: Session, principal: Principal, point_id: str) -> None:
    point = point_store.get_point(session, point_id)
    if not permissions.can_edit_point(principal, point_store.scope_of(point)):
        raise Forbidden("you may not change this point's fuel", field="point_id")


def generator_body(row: PointGenerator) -> dict[str, Any]:
    return {
        "id": row.id,
        "label": row.label,
        "rated_kw": row.rated_kw,
        "fuel": row.fuel,
        "tank_litres": row.tank_litres,
        "litres_per_hour": row.litres_per_hour,
        "consumption_lph": generators.as_generator(row).consumption,
        "consumption_measured": row.litres_per_hour is not None,
        "backup": row.backup,
    }


@router.get("/points/{point_id}/generators", summary="A point's generators")
def list_generators(
    point_id: str = PointId,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    with state.db.read() as session:
        editable(session, principal, point_id)
        rows = generators.generators_of(session, point_id)
        return {"generators": [generator_body(row) for row in rows]}


@router.post("/points/{point_id}/generators", status_code=201, summary="Add a generator")
def add_generator(
    data: GeneratorCreate,
    point_id: str = PointId,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    with state.db.write() as session:
        editable(session, principal, point_id)
        row = generators.add_generator(session, point_id, data, actor_of(principal), state.clock())
        return generator_body(row)


@router.delete(
    "/points/{point_id}/generators/{generator_id}", status_code=204, summary="Remove a generator"
)
def remove_generator(
    generator_id: int,
    point_id: str = PointId,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> None:
    with state.db.write() as session:
        editable(session, principal, point_id)
        row = session.get(PointGenerator, generator_id)
        if row is None or row.point_id != point_id:
            raise NotFound(f"no generator {generator_id} at this point", field="generator_id")
        generators.remove_generator(session, generator_id, actor_of(principal), state.clock())


@router.post(
    "/points/{point_id}/fuel-deliveries", status_code=201, summary="Record a fuel delivery"
)
def add_delivery(
    data: DeliveryCreate,
    point_id: str = PointId,
    principal: Principal = Depends(required_principal),
    state: AppState = Depends(app_state),
) -> dict[str, Any]:
    """What was left plus what came, at most what the tanks hold, becomes the fuel reading."""
    with state.db.write() as session:
        editable(session, principal, point_id)
        done = generators.record_delivery(
            session, point_id, data, actor_of(principal), state.clock()
        )
        return {
            "id": done.delivery.id,
            "litres": done.delivery.litres,
            "delivered_by": done.delivery.delivered_by,
            "delivered_at": iso(done.delivery.delivered_at),
            "litres_before": done.litres_before,
            "fuel_litres": done.litres_after,
            "report_id": done.report.id,
        }
