"""The pedestrian street network: read from OpenStreetMap, kept as compact arrays, and walked.

Straight-line distance lies: a river, a railway or a motorway turns 300 m into 2 km. This module
turns an `.osm.pbf` extract into a walking graph and answers "how far on foot, and to which
point" for every street node at once.

- **Which ways.** Footways, paths, steps, pedestrian streets, residential and service roads,
  tracks, crossings and the ordinary road classes people walk beside; never motorways or trunk
  roads (unless tagged walkable), construction, or ways with `foot=no` or `access=no|private`
  (unless `foot=` says walkers may). One-way streets stay two-way on foot.
- **Shape.** Every node of a kept way is a graph node; consecutive nodes are joined by an edge as
  long as the great-circle distance between them. Only the largest connected part is kept (as
  osmnx does by default): an island of two footways in a courtyard would otherwise capture
  whatever is snapped near it and be unreachable from everywhere else.
- **Storage.** Coordinates and a symmetric CSR adjacency (`indptr`, `indices`, `weights` in
  metres) in one uncompressed `.npz` file, loaded with a few array reads.
- **Walking.** `nearest_sources` runs scipy's multi-source Dijkstra (`min_only=True`): the
  distance from every node to its nearest source and which source it is, in one pass.
  Locations (a resident, a point) are snapped to the nearest street *segment*, not node: the
  walk starts where the perpendicular from the location meets the street.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from nezlam.geo import osm
from nezlam.geo.distance import EARTH_RADIUS_M, haversine_m

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway", "path", "pedestrian", "steps", "living_street", "residential", "service",
        "track", "unclassified", "road", "tertiary", "tertiary_link", "secondary",
        "secondary_link", "primary", "primary_link", "cycleway", "bridleway", "corridor",
        "crossing", "elevator", "platform",
    }
)  # fmt: skip
# Roads where walkers are not allowed unless a `foot=` tag says they are.
NOT_FOR_WALKING = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "destination"})
ACCESS_DENIED = frozenset({"no", "private"})
SAMPLE_PIECE_M = 50.0  # snapping samples each segment at the centres of pieces this long at most


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether a person may walk along a way with these tags."""
    highway = tags.get("highway")
    foot = tags.get("foot")
    if highway is None or foot == "no" or tags.get("area") == "yes" and highway != "pedestrian":
        return False
    if foot in FOOT_ALLOWED:
        return highway not in ("construction", "proposed", "abandoned", "razed")
    if highway in NOT_FOR_WALKING or highway not in WALKABLE_HIGHWAYS:
        return False
    return tags.get("access") not in ACCESS_DENIED


@dataclass
class StreetNetwork:
    """A walking graph: node positions and a symmetric CSR adjacency with lengths in metres."""

    lat: np.ndarray  # float64, degrees
    lon: np.ndarray
    indptr: np.ndarray  # int32/int64, len n + 1
    indices: np.ndarray  # int32, neighbour of each directed edge
    weights: np.ndarray  # float64, metres
    osm_ids: np.ndarray  # int64, the OSM node id of each graph node
    name: str = ""

    def __post_init__(self) -> None:
        self._matrix: csr_matrix | None = None
        self._snapper: _Snapper | None = None

    @property
    def nodes(self) -> int:
        return len(self.lat)

    @property
    def edges(self) -> int:
        """Undirected edges (each is stored in both directions)."""
        return len(self.indices) // 2

    @property
    def matrix(self) -> csr_matrix:
        if self._matrix is None:
            n = self.nodes
            self._matrix = csr_matrix((self.weights, self.indices, self.indptr), shape=(n, n))
        return self._matrix

    # --- storage ----------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the network to `path` whole: into a file beside it, then renamed over it, so
        a running server that reloads the file never reads half of one."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        try:
            with partial.open("wb") as handle:  # np.savez would add ".npz" to a bare name
                np.savez(
                    handle, lat=self.lat, lon=self.lon, indptr=self.indptr,
                    indices=self.indices, weights=self.weights, osm_ids=self.osm_ids,
                    name=np.array(self.name),
                )  # fmt: skip
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return path

    @classmethod
    def load(cls, path: str | Path) -> StreetNetwork:
        with np.load(Path(path), allow_pickle=False) as data:
            return cls(
                lat=data["lat"], lon=data["lon"], indptr=data["indptr"],
                indices=data["indices"], weights=data["weights"], osm_ids=data["osm_ids"],
                name=str(data["name"]),
            )  # fmt: skip

    # --- snapping ---------------------------------------------------------------------------

    def snap(self, lat: Sequence[float] | np.ndarray, lon: Sequence[float] | np.ndarray) -> Snaps:
        """Where each location meets the street network: its nearest segment, the position
        along it and the straight distance from the location to it."""
        if self._snapper is None:
            self._snapper = _Snapper(self)
        return self._snapper.snap(np.asarray(lat, float), np.asarray(lon, float))

    def reaches(
        self, lat: Sequence[float] | np.ndarray, lon: Sequence[float] | np.ndarray, snap_m: float
    ) -> np.ndarray:
        """Per location (degrees, lat and lon arrays): whether it lies within `snap_m` metres
        of a street, so that a walk from it can be measured on this network."""
        if not len(lat):
            return np.zeros(0, bool)
        return self.snap(lat, lon).offset <= snap_m

    # --- walking ----------------------------------------------------------------------------

    def nearest_sources(self, sources: Snaps) -> Reach:
        """For every node: the walking distance to the nearest of `sources` and which one.

        Each source joins the graph as a temporary node tied to both ends of its segment (at
        the lengths from where it meets the segment, plus its distance to the street), so a
        source in the middle of a long street is reached from both ends correctly."""
        n = self.nodes
        k = len(sources)
        if k == 0:
            return Reach(np.full(n, np.inf), np.full(n, -1, np.int64), sources)
        virtual = np.arange(n, n + k)
        ends_u, ends_v = sources.u, sources.v
        to_u = sources.offset + sources.along
        to_v = sources.offset + (sources.length - sources.along)
        # Rows for the virtual nodes appended to the CSR arrays (no sparse arithmetic, so the
        # cost over the bare Dijkstra stays small): edges out of them only, so nothing ever
        # walks *through* a source.
        indptr = np.concatenate([self.indptr, self.indptr[-1] + 2 * np.arange(1, k + 1)])
        indices = np.concatenate([self.indices, np.column_stack([ends_u, ends_v]).ravel()])
        weights = np.concatenate([self.weights, np.column_stack([to_u, to_v]).ravel()])
        graph = csr_matrix((weights, indices.astype(np.int32), indptr), shape=(n + k, n + k))
        distances, _pred, nearest = dijkstra(
            graph, directed=True, indices=virtual, min_only=True, return_predecessors=True
        )
        which = np.where(nearest[:n] >= 0, nearest[:n] - n, -1)
        return Reach(distances[:n], which, sources)

    def walking_distance(self, reach: Reach, where: Snaps) -> tuple[np.ndarray, np.ndarray]:
        """(metres, source index) from each snapped location to its nearest source: along its
        own segment to either end, then the precomputed reach from there; a source on the same
        segment is also reached directly along it."""
        via_u = where.offset + where.along + reach.distance[where.u]
        via_v = where.offset + (where.length - where.along) + reach.distance[where.v]
        best = np.minimum(via_u, via_v)
        which = np.where(via_u <= via_v, reach.source[where.u], reach.source[where.v])
        sources = reach.sources
        if len(sources):
            for i in range(len(where)):
                same = np.nonzero(sources.edge == where.edge[i])[0]
                if len(same):
                    direct = (
                        sources.offset[same]
                        + where.offset[i]
                        + np.abs(sources.along[same] - where.along[i])
                    )
                    j = int(np.argmin(direct))
                    if direct[j] < best[i]:
                        best[i], which[i] = direct[j], same[j]
        return best, which


@dataclass(frozen=True)
class Snaps:
    """Locations snapped onto segments: segment ends `u`, `v`, its `length`, the distance
    `along` it from `u` to the foot of the perpendicular, and the `offset` from the location
    to that foot (all metres). `edge` identifies the segment (for same-segment checks)."""

    u: np.ndarray
    v: np.ndarray
    edge: np.ndarray
    length: np.ndarray
    along: np.ndarray
    offset: np.ndarray

    def __len__(self) -> int:
        return len(self.u)

    def take(self, rows: np.ndarray | Sequence[int]) -> Snaps:
        rows = np.asarray(rows, dtype=np.int64)
        return Snaps(
            self.u[rows], self.v[rows], self.edge[rows], self.length[rows], self.along[rows],
            self.offset[rows],
        )  # fmt: skip


@dataclass(frozen=True)
class Reach:
    """The result of a multi-source walk: per node, metres to the nearest source and its index
    in `sources` (-1 where no source can be reached)."""

    distance: np.ndarray
    source: np.ndarray
    sources: Snaps


class _Snapper:
    """Nearest segment by sampling: every segment is cut into pieces of at most 50 m and the
    centre of each piece goes into a k-d tree of local metric coordinates (so every spot of a
    street is within 25 m of a sample of its own segment); the segments behind the nearest
    samples are then measured exactly (perpendicular foot, clamped to the segment). One sample
    per ordinary segment keeps a city of a million nodes within memory."""

    CANDIDATES = 10

    def __init__(self, network: StreetNetwork) -> None:
        self.lat0 = float(np.mean(network.lat)) if network.nodes else 0.0
        self.kx = np.cos(np.radians(self.lat0)) * np.pi / 180 * EARTH_RADIUS_M
        self.ky = np.pi / 180 * EARTH_RADIUS_M
        x, y = network.lon * self.kx, network.lat * self.ky
        # One direction of each undirected edge: u < v.
        rows = np.repeat(np.arange(network.nodes), np.diff(network.indptr))
        keep = rows < network.indices
        self.u = rows[keep]
        self.v = network.indices[keep].astype(np.int64)
        self.length = network.weights[keep]
        self.ax, self.ay = x[self.u], y[self.u]
        self.dx, self.dy = x[self.v] - self.ax, y[self.v] - self.ay
        pieces = np.maximum(1, np.ceil(self.length / SAMPLE_PIECE_M)).astype(np.int64)
        edge_of_sample = np.repeat(np.arange(len(self.u)), pieces)
        starts = np.cumsum(pieces) - pieces
        step = np.arange(len(edge_of_sample)) - np.repeat(starts, pieces)
        t = (step + 0.5) / np.repeat(pieces, pieces)
        sx = self.ax[edge_of_sample] + t * self.dx[edge_of_sample]
        sy = self.ay[edge_of_sample] + t * self.dy[edge_of_sample]
        self.sample_edge = edge_of_sample
        self.tree = cKDTree(np.column_stack([sx, sy]))

    def snap(self, lat: np.ndarray, lon: np.ndarray) -> Snaps:
        px, py = lon * self.kx, lat * self.ky
        k = min(self.CANDIDATES, len(self.sample_edge))
        _d, idx = self.tree.query(np.column_stack([px, py]), k=k)
        idx = idx.reshape(len(px), k)
        cand = self.sample_edge[idx]  # (m, k) candidate segments
        ax, ay, dx, dy = self.ax[cand], self.ay[cand], self.dx[cand], self.dy[cand]
        seg2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = ((px[:, None] - ax) * dx + (py[:, None] - ay) * dy) / seg2
        t = np.clip(np.nan_to_num(t), 0.0, 1.0)
        fx, fy = ax + t * dx, ay + t * dy
        off = np.hypot(px[:, None] - fx, py[:, None] - fy)
        best = np.argmin(off, axis=1)
        rows = np.arange(len(px))
        edge = cand[rows, best]
        along = t[rows, best] * self.length[edge]
        return Snaps(
            u=self.u[edge], v=self.v[edge], edge=edge, length=self.length[edge],
            along=along, offset=off[rows, best],
        )  # fmt: skip


# --- building from OpenStreetMap ------------------------------------------------------------


def read_osm(
    path: str | Path, progress: Callable[[int, int], None] | None = None, name: str = ""
) -> StreetNetwork:
    """The walking network of an OpenStreetMap extract (largest connected part)."""
    import osmium

    chains: list[np.ndarray] = []
    coords: dict[int, tuple[float, float]] = {}
    for way in osm.objects(
        path,
        entities=osmium.osm.NODE | osmium.osm.WAY,
        filters=[osmium.filter.KeyFilter("highway")],
        progress=progress,
    ):
        if not way.is_way() or not is_walkable(osm.tag_dict(way.tags)):
            continue
        ids = []
        for node in way.nodes:
            location = node.location
            if not location.valid():
                continue
            coords[node.ref] = (location.lat, location.lon)
            ids.append(node.ref)
        if len(ids) >= 2:
            chains.append(np.array(ids, dtype=np.int64))
    return from_chains(chains, coords, name=name or Path(path).name.split(".")[0])


def from_chains(
    chains: Iterable[np.ndarray],
    coords: dict[int, tuple[float, float]],
    name: str = "",
) -> StreetNetwork:
    """A network from ways given as chains of node ids, and the nodes' (lat, lon)."""
    chains = list(chains)
    if not chains:
        raise ValueError("no walkable ways in this extract")
    osm_ids = np.array(sorted(coords), dtype=np.int64)
    position = np.array([coords[i] for i in osm_ids.tolist()], dtype=np.float64)
    a = np.concatenate([c[:-1] for c in chains])
    b = np.concatenate([c[1:] for c in chains])
    u, v = np.searchsorted(osm_ids, a), np.searchsorted(osm_ids, b)
    return from_edges(position[:, 0], position[:, 1], u, v, osm_ids, name=name)


def from_edges(
    lat: np.ndarray,
    lon: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    osm_ids: np.ndarray | None = None,
    name: str = "",
    weights: np.ndarray | None = None,
) -> StreetNetwork:
    """A network from undirected edges (u, v) between nodes at (lat, lon); lengths are the
    great-circle distances unless given. Loops and repeated edges are dropped; only the
    largest connected part is kept."""
    lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
    u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
    if osm_ids is None:
        osm_ids = np.arange(len(lat), dtype=np.int64)
    if weights is None:
        weights = haversine_m(lat[u], lon[u], lat[v], lon[v])
    lo, hi, weights = _distinct_edges(u, v, np.asarray(weights, np.float64))
    n = len(lat)
    graph = csr_matrix(
        (np.concatenate([weights, weights]), (np.concatenate([lo, hi]), np.concatenate([hi, lo]))),
        shape=(n, n),
    )
    kept = _largest_part(graph, lo, hi)
    graph = graph[kept][:, kept].tocsr()
    graph.sort_indices()
    return StreetNetwork(
        lat=lat[kept], lon=lon[kept],
        indptr=graph.indptr.astype(np.int64), indices=graph.indices.astype(np.int32),
        weights=graph.data.astype(np.float64), osm_ids=osm_ids[kept], name=name,
    )  # fmt: skip


def _distinct_edges(
    u: np.ndarray, v: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each edge once, as (lo, hi, metres) with lo < hi: loops dropped and, of repeated edges (a
    node pair shared by two ways), the shortest kept."""
    keep = u != v
    u, v, weights = u[keep], v[keep], weights[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((weights, hi, lo))
    lo, hi, weights = lo[order], hi[order], weights[order]
    first = np.ones(len(lo), bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    return lo[first], hi[first], weights[first]


def _largest_part(graph: csr_matrix, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The nodes of the largest connected part of `graph`, ascending, its size counted in the
    nodes that the edges (lo, hi) touch: a node no edge touches never counts."""
    parts, labels = connected_components(graph, directed=False)
    used = np.zeros(graph.shape[0], bool)
    used[lo] = used[hi] = True
    sizes = np.bincount(labels[used], minlength=parts)
    main = int(np.argmax(sizes))
    return np.nonzero(labels == main)[0]
