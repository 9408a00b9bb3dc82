"""Small vectorised geodesy on a spherical Earth. Axis order is always (lat, lon) in degrees WGS84;
distances are metres."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_008.8


def unit_vectors(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """(N, 3) points on the unit sphere for latitudes and longitudes in degrees."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def chord_to_metres(chord: ArrayLike) -> NDArray[np.float64]:
    """Great-circle metres for straight-line distances between unit vectors."""
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(np.asarray(chord) / 2.0, 1.0))


def metres_to_chord(metres: float) -> float:
    """The unit-sphere chord of a great-circle distance in metres (capped at the antipode)."""
    angle = min(metres / EARTH_RADIUS_M, np.pi)
    return float(2.0 * np.sin(angle / 2.0))


def haversine_m(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle metres between points given in degrees; broadcasts."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    metres: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))
    return metres
