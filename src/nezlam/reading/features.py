"""A point's public view as an RFC 7946 GeoJSON Feature: readable (`feature`, `properties`),
and serialised for the hot path (`feature_json`), byte for byte the same JSON.

A protected point has no geometry. The properties come in one fixed order: what a snapshot
fixes (name … demo), the shown status, what was last reported (reported_status … flagged), then
what the moment and the asker decide (open_now, next_change, the distances). The parts a
snapshot fixes are rendered once per snapshot and language and kept on its `PublicDetails`, so
a nearest answer serialises only its live part.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson

from nezlam.domain.device_snapshot import DeviceSnapshot
from nezlam.domain.fuel_runway import HOUR, runway
from nezlam.domain.point_view import PointView, iso
from nezlam.domain.vocabulary import ShownStatus
from nezlam.reading.point_public import PointPublic, PublicDetails, PublicFault

_STATUS_JSON = {status: orjson.dumps(status.value) for status in ShownStatus}


def fault_properties(fault: PublicFault) -> dict[str, Any]:
    return {
        "item": fault.item,
        "services": list(fault.services),
        "since": fault.since,
        "checked_by": fault.checked_by,
    }


def geometry(details: PublicDetails) -> dict[str, Any] | None:
    if details.position is None:
        return None
    lat, lon = details.position
    return {"type": "Point", "coordinates": [lon, lat]}


def _fixed(details: PublicDetails) -> dict[str, Any]:
    """The properties that change only when the point is edited."""
    cached = details.rendered.get("fixed")
    if cached is None:
        cached = details.rendered["fixed"] = {
            "id": details.id,
            "name": details.name,
            "names": details.names,
            "category": details.category,
            "kind": details.kind,
            "anchor": details.anchor,
            "organisation": details.organisation,
            "phone": details.phone,
            "address": details.address,
            "locality": details.locality,
            "region": details.region,
            "location_precision": details.location_precision,
            "timezone": details.timezone,
            "services": list(details.services),
            "capacity": details.capacity,
            "opening_hours": details.opening_hours,
            "notes": details.notes,
            "faults": [fault_properties(fault) for fault in details.faults],
            "demo": details.demo,
            "outage_region": details.outage_region,
            "outage_queue": details.outage_queue,
        }
    return cached


def _reported(details: PublicDetails) -> dict[str, Any]:
    """What was last reported, as it was reported (the shown status goes before it)."""
    cached = details.rendered.get("reported")
    if cached is None:
        cached = details.rendered["reported"] = {
            "reported_status": details.reported_status,
            "power": details.power,
            "heating": details.heating,
            "internet": details.internet,
            "occupancy": details.occupancy,
            "updated_at": iso(details.updated_at),
            "verified_at": iso(details.verified_at),
            "flagged": details.flagged,
            # What the point's devices say: online, mains and internet with since when.
            "devices": device_properties(details.devices),
        }
    return cached


def device_properties(devices: DeviceSnapshot | None) -> dict[str, Any] | None:
    """A point's device snapshot with its times as the feed's other times are written."""
    if devices is None:
        return None
    return {
        name: iso(value) if isinstance(value, datetime) else value
        for name, value in vars(devices).items()
    }


def _add_distances(target: dict[str, Any], public: PointPublic) -> None:
    if public.distance_m is not None:
        target["distance_m"] = public.distance_m
    if public.walking_m is not None:  # on the streets, to where the public position meets them
        target["walking_m"] = public.walking_m
    if public.distance_m is not None:  # measured on the streets or not; far or not
        target["distance_by"] = public.distance_by
        target["far"] = public.far


def properties(public: PointPublic) -> dict[str, Any]:
    """The Feature's properties: everything the public may read about the point."""
    details = public.details
    props = dict(_fixed(details))
    props["status"] = public.status.value
    props.update(_reported(details))
    props["open_now"] = public.open_now
    props["next_change"] = iso(public.next_change)
    _add_distances(props, public)
    return props


def feature(public: PointPublic) -> dict[str, Any]:
    details = public.details
    return {
        "type": "Feature",
        "id": details.id,
        "geometry": geometry(details),
        "properties": properties(public),
    }


def _json_parts(details: PublicDetails) -> tuple[bytes, bytes]:
    """The serialised Feature around its live part: up to `"status":`, and the reported part
    between the status and open_now."""
    cached = details.rendered.get("json")
    if cached is None:
        head = (
            b'{"type":"Feature","id":'
            + orjson.dumps(details.id)
            + b',"geometry":'
            + orjson.dumps(geometry(details))
            + b',"properties":'
            + orjson.dumps(_fixed(details))[:-1]
            + b',"status":'
        )
        middle = b"," + orjson.dumps(_reported(details))[1:-1] + b","
        cached = details.rendered["json"] = (head, middle)
    return cached


def feature_json(public: PointPublic) -> bytes:
    """`feature(public)` serialised, byte for byte the same JSON: the hot path's renderer."""
    head, middle = _json_parts(public.details)
    live = {"open_now": public.open_now, "next_change": iso(public.next_change)}
    _add_distances(live, public)
    return head + _STATUS_JSON[public.status] + middle + orjson.dumps(live)[1:] + b"}"


def private_properties(view: PointView) -> dict[str, Any]:
    """Added for the point's operators, its coordinators and admins."""
    return {
        "address": view.address,
        "lat": view.lat,
        "lon": view.lon,
        "visibility": view.visibility,
        "fuel_litres": view.fuel_litres,
        "flagged_at": iso(view.flagged_at),
        "external_id": view.external_id,
        "fault_notes": {item: f.get("note") for item, f in (view.faults or {}).items()},
        "location_precision": "exact",
    }


def fuel_properties(view: PointView, now: datetime, reserve: timedelta) -> dict[str, Any]:
    """Its fuel's runway at `now` (issue 13), for those who see its fuel: null while its fuel
    or its generators' consumption is not known."""
    found = runway(
        view.fuel_litres, view.fuel_use_lph, view.fuel_burn, now=now, reserve_hours=reserve / HOUR
    )
    if found is None:
        return {"fuel_use_lph": view.fuel_use_lph, "fuel_runway": None}
    return {
        "fuel_use_lph": view.fuel_use_lph,
        "fuel_runway": {
            "litres_left": found.litres_left,
            "hours_left": round(found.hours_left, 2),
            "hours_to_reserve": round(found.hours_to_reserve, 2),
            "reserve_litres": found.reserve_litres,
            "on_generator": found.burning,
            "empty_at": iso(found.empty_at(now)),
            "reserve_at": iso(found.reserve_at(now)),
        },
    }


def privileged_feature(public: PointPublic, view: PointView) -> dict[str, Any]:
    """The Feature a point's operators and coordinators see: the public one, with the exact
    place and what only they may know."""
    return {
        "type": "Feature",
        "id": view.id,
        "geometry": {"type": "Point", "coordinates": [view.lon, view.lat]},
        "properties": {**properties(public), **private_properties(view)},
    }
