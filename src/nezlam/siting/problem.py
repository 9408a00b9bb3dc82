"""Siting problems, independent of where their distances come from.

Both objectives are written as *maximising a gain* f(S) over a set S of new sites, so one
greedy, one swap search and one bound serve both:

- **Maximal covering (MCLP)**: f(S) = people not yet covered who are within reach of a site in
  S. People already within reach of an open point count as covered from the start: only new
  coverage is worth anything.
- **p-median**: f(S) = the walking (person × metres) saved against the distance each person
  has today, to the nearest open point, or `unreachable_m` when there is none.

Both are monotone and submodular (a site adds less the more sites there are), which is what
makes the lazy greedy exact and gives a bound on how far any answer can be from the optimum.
The *objective* people read is then `offset + sense × f(S)`: people covered (with those already
covered) for MCLP, total person-metres (lower is better) for p-median.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class CoveringProblem:
    """Maximal covering: which demand each candidate reaches within the service distance.

    `covers` is a sparse (candidates × demand) 0/1 matrix; `covered` marks demand already
    within reach of an existing open point."""

    population: np.ndarray  # (n,) people at each demand location
    covers: csr_matrix  # (m, n)
    covered: np.ndarray  # (n,) bool
    names: Sequence[str] = ()
    kind: str = field(default="mclp", init=False)

    def __post_init__(self) -> None:
        covers = csr_matrix(self.covers, dtype=np.float64, copy=True)
        covers.eliminate_zeros()
        covers.sum_duplicates()
        covers.data[:] = 1.0
        object.__setattr__(self, "covers", covers)
        object.__setattr__(self, "population", np.asarray(self.population, np.float64))
        object.__setattr__(self, "covered", np.asarray(self.covered, bool))
        if not self.names:
            object.__setattr__(self, "names", [f"site {j + 1}" for j in range(self.candidates)])
        _check_shapes(self.population, self.covers.shape, self.covered, self.names)

    @property
    def candidates(self) -> int:
        return self.covers.shape[0]

    @property
    def offset(self) -> float:
        return float(self.population[self.covered].sum())

    sense = 1.0

    # --- the gain function: a state is the bool mask of covered demand ----------------------

    def state(self, sites: Sequence[int] = ()) -> np.ndarray:
        reached = np.asarray(self.covers[list(sites)].sum(axis=0)).ravel() > 0
        return self.covered | reached

    def value(self, state: np.ndarray) -> float:
        return float(self.population[state & ~self.covered].sum())

    def gains(self, state: np.ndarray) -> np.ndarray:
        """What every candidate would add to `state` (one sparse product)."""
        return self.covers @ np.where(state, 0.0, self.population)

    def gain(self, state: np.ndarray, site: int) -> float:
        row = self.covers.indices[self.covers.indptr[site] : self.covers.indptr[site + 1]]
        return float(np.where(state[row], 0.0, self.population[row]).sum())

    def swap_deltas(self, sites: Sequence[int]) -> np.ndarray:
        """(candidates × len(sites)): how much replacing sites[k] by candidate j changes the
        gain, every pair at once: j's gain now, plus what only sites[k] covers and j covers
        too, minus what only sites[k] covers. Two sparse products instead of a loop."""
        chosen = self.covers[list(sites)]  # (p, n)
        count = np.asarray(chosen.sum(axis=0)).ravel()
        free = np.where(self.covered | (count > 0), 0.0, self.population)
        alone = np.where(~self.covered & (count == 1), self.population, 0.0)
        # What each chosen site alone covers. A sparse matrix times a dense row is sparse
        # (coo); scipy-stubs types multiply by an array as returning an ndarray.
        only = chosen.multiply(alone[None, :]).tocsr()  # type: ignore[attr-defined]
        loss = np.asarray(only.sum(axis=1)).ravel()
        deltas = (self.covers @ free)[:, None] + (self.covers @ only.T).toarray() - loss[None, :]
        deltas[list(sites)] = -np.inf
        return deltas

    def add(self, state: np.ndarray, site: int) -> np.ndarray:
        state = state.copy()
        state[self.covers.indices[self.covers.indptr[site] : self.covers.indptr[site + 1]]] = True
        return state


@dataclass(frozen=True)
class MedianProblem:
    """p-median: walking distance (metres) from every demand location to every candidate,
    `inf` where a candidate cannot be reached; `existing` is the distance to the nearest open
    point today (`inf` where none is reachable)."""

    population: np.ndarray  # (n,)
    distance: np.ndarray  # (n, m) metres
    existing: np.ndarray | None = None  # (n,) metres
    names: Sequence[str] = ()
    unreachable_m: float | None = None
    kind: str = field(default="pmedian", init=False)

    def __post_init__(self) -> None:
        distance = np.asarray(self.distance, np.float64)
        finite = distance[np.isfinite(distance)]
        # A person nobody can reach counts at this distance, so that every sum stays finite.
        penalty = self.unreachable_m or 2.0 * float(finite.max(initial=1.0))
        existing = np.full(len(distance), np.inf) if self.existing is None else self.existing
        base = np.minimum(np.asarray(existing, np.float64), penalty)
        object.__setattr__(self, "distance", np.minimum(distance, penalty))
        object.__setattr__(self, "existing", base)
        object.__setattr__(self, "unreachable_m", penalty)
        object.__setattr__(self, "population", np.asarray(self.population, np.float64))
        if not self.names:
            object.__setattr__(self, "names", [f"site {j + 1}" for j in range(self.candidates)])
        _check_shapes(self.population, distance.T.shape, base, self.names)

    @property
    def candidates(self) -> int:
        return self.distance.shape[1]

    @property
    def today(self) -> np.ndarray:
        """`existing` as __post_init__ sets it: each person's metres today, never None."""
        if self.existing is None:
            raise AssertionError("MedianProblem.__post_init__ sets existing")
        return self.existing

    @property
    def offset(self) -> float:
        """Total person-metres today (before any new site)."""
        return float(self.population @ self.today)

    sense = -1.0

    # --- the gain function: a state is each person's current distance -----------------------

    def state(self, sites: Sequence[int] = ()) -> np.ndarray:
        if len(sites) == 0:
            return self.today.copy()
        return np.minimum(self.today, self.distance[:, list(sites)].min(axis=1))

    def value(self, state: np.ndarray) -> float:
        return float(self.population @ (self.today - state))

    def gains(self, state: np.ndarray) -> np.ndarray:
        saved = np.maximum(state[:, None] - self.distance, 0.0)
        return self.population @ saved

    def gain(self, state: np.ndarray, site: int) -> float:
        return float(self.population @ np.maximum(state - self.distance[:, site], 0.0))

    def add(self, state: np.ndarray, site: int) -> np.ndarray:
        return np.minimum(state, self.distance[:, site])


Problem = CoveringProblem | MedianProblem


@dataclass
class Solution:
    """Chosen sites in rank order (each adds the most given those before it), what each adds
    (`gains`, in the problem's gain units), the objective and, when known, a bound on the
    optimum (upper for MCLP, lower for p-median) in the same units."""

    problem: Problem
    sites: list[int]
    gains: list[float]
    method: str
    seconds: float
    bound: float | None = None
    optimal: bool = False

    @property
    def objective(self) -> float:
        return self.problem.offset + self.problem.sense * float(sum(self.gains))

    @property
    def gap(self) -> float | None:
        """Relative distance to the bound, as HiGHS reports it: |bound − objective| / objective."""
        if self.bound is None:
            return None
        return abs(self.bound - self.objective) / max(abs(self.objective), 1e-9)

    @property
    def names(self) -> list[str]:
        return [self.problem.names[j] for j in self.sites]


def ranked(problem: Problem, sites: Sequence[int]) -> tuple[list[int], list[float]]:
    """Order a set of sites greedily within itself: first the one that adds the most, then the
    one adding the most given the first, and so on; with what each adds."""
    left = list(sites)
    state = problem.state()
    order, gains = [], []
    while left:
        values = [problem.gain(state, j) for j in left]
        best = int(np.argmax(values))
        order.append(left.pop(best))
        gains.append(values[best])
        state = problem.add(state, order[-1])
    return order, gains


def _check_shapes(
    population: np.ndarray, shape: tuple[int, int], today: np.ndarray, names: Sequence[str]
) -> None:
    m, n = shape
    if population.shape != (n,) or today.shape != (n,):
        raise ValueError(f"{n} demand locations but {population.shape[0]} population values")
    if len(names) != m:
        raise ValueError(f"{m} candidate sites but {len(names)} names")
    if np.any(population < 0) or not np.all(np.isfinite(population)):
        raise ValueError("population must be finite and not negative")
