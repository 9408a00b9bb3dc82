"""Siting problems from places: walking distances on the street network (or straight lines
when no network is loaded, or a distance table someone else computed).

The cost that matters is the walk from every candidate to every person. On the street network
each candidate is snapped to its segment and walked from both ends of it with scipy's
Dijkstra, in batches whose rows fit in memory; for a covering radius the walk is bounded
(`limit`), so each candidate only touches the streets within reach. A person or site more than
`snap_m` from every street is not walked on the network (it may be another city's): those
pairs take the straight line × the detour factor, as the finder does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from nezlam.domain.walk_estimate import DETOUR_FACTOR
from nezlam.geo.distance import haversine_m
from nezlam.geo.streets import Snaps, StreetNetwork
from nezlam.siting.inputs import Places
from nezlam.siting.problem import CoveringProblem, MedianProblem

BATCH_CELLS = 20_000_000  # float64 distances held at once while walking (160 MB)


def straight_distances(demand: Places, candidates: Places) -> np.ndarray:
    """(demand × candidates) great-circle metres."""
    return haversine_m(
        demand.lat[:, None], demand.lon[:, None], candidates.lat[None, :], candidates.lon[None, :]
    )


def network_distances(
    network: StreetNetwork,
    demand: Places,
    candidates: Places,
    limit: float = np.inf,
    progress: Callable[[int, int], None] | None = None,
    snap_m: float = np.inf,
) -> np.ndarray:
    """(demand × candidates) walking metres on `network`; `inf` beyond `limit`. Both ends are
    snapped to their nearest street segment, and the straight bit to the street is walked too;
    a pair with an end more than `snap_m` from the streets takes the straight-line estimate."""
    people = network.snap(demand.lat, demand.lon)
    sites = network.snap(candidates.lat, candidates.lon)
    on_sites = np.flatnonzero(sites.offset <= snap_m)
    result = np.full((len(demand), len(candidates)), np.inf)
    batch = max(1, BATCH_CELLS // (2 * max(network.nodes, 1)))
    for first in range(0, len(on_sites), batch):
        rows = on_sites[first : first + batch]
        result[:, rows] = _walk_batch(network, sites.take(rows), people, limit).T
        if progress:
            progress(first + len(rows), len(candidates))
    off_people = people.offset > snap_m
    off_sites = np.flatnonzero(sites.offset > snap_m)
    if len(off_sites):
        result[:, off_sites] = _estimate(demand, candidates, slice(None), off_sites)
    if off_people.any() and len(on_sites):
        result[np.ix_(off_people, on_sites)] = _estimate(demand, candidates, off_people, on_sites)
    result[result > limit] = np.inf
    if progress:
        progress(len(candidates), len(candidates))
    return result


def _estimate(
    demand: Places, candidates: Places, rows: np.ndarray | slice, columns: np.ndarray
) -> np.ndarray:
    """Straight-line metres × the detour factor between demand `rows` and candidate `columns`."""
    lat, lon = demand.lat[rows], demand.lon[rows]
    return DETOUR_FACTOR * haversine_m(
        lat[:, None], lon[:, None], candidates.lat[None, columns], candidates.lon[None, columns]
    )


def _walk_batch(network: StreetNetwork, sites: Snaps, people: Snaps, limit: float) -> np.ndarray:
    """(sites × people) metres: a Dijkstra from both ends of each site's segment."""
    ends = np.concatenate([sites.u, sites.v])
    from_ends = dijkstra(network.matrix, directed=False, indices=ends, limit=limit)
    k = len(sites)
    to_u = (sites.offset + sites.along)[:, None]
    to_v = (sites.offset + sites.length - sites.along)[:, None]
    nodes = np.minimum(to_u + from_ends[:k], to_v + from_ends[k:])  # (sites × street nodes)
    walk = np.minimum(
        people.offset + people.along + nodes[:, people.u],
        people.offset + people.length - people.along + nodes[:, people.v],
    )
    # A person on the same segment as a site walks straight along it.
    same = sites.edge[:, None] == people.edge[None, :]
    if same.any():
        s, p = np.nonzero(same)
        direct = sites.offset[s] + people.offset[p] + np.abs(sites.along[s] - people.along[p])
        walk[s, p] = np.minimum(walk[s, p], direct)
    return walk


def nearest_existing(distances: np.ndarray) -> np.ndarray:
    """Per person, metres to the nearest of the existing points (columns); inf if none."""
    if distances.shape[1] == 0:
        return np.full(distances.shape[0], np.inf)
    return distances.min(axis=1)


def covering_problem(
    population: np.ndarray,
    distances: np.ndarray,
    radius_m: float,
    names: list[str],
    existing_m: np.ndarray | None = None,
) -> CoveringProblem:
    """MCLP from a (demand × candidates) distance matrix: a candidate covers whoever is within
    `radius_m`; whoever is within `radius_m` of an existing point is covered already."""
    covers = csr_matrix((distances <= radius_m).T)
    covered = np.zeros(len(population), bool) if existing_m is None else existing_m <= radius_m
    return CoveringProblem(population, covers, covered, names)


def median_problem(
    population: np.ndarray,
    distances: np.ndarray,
    names: list[str],
    existing_m: np.ndarray | None = None,
) -> MedianProblem:
    return MedianProblem(population, distances, existing_m, names)


def problem_for(
    objective: str,
    population: np.ndarray,
    distances: np.ndarray,
    radius_m: float,
    names: list[str],
    existing_m: np.ndarray | None = None,
) -> CoveringProblem | MedianProblem:
    """The problem `objective` names: "mclp" (the most people within `radius_m`) or
    "pmedian" (the shortest walks for everyone, whatever the radius)."""
    if objective == "mclp":
        return covering_problem(population, distances, radius_m, names, existing_m)
    return median_problem(population, distances, names, existing_m)
