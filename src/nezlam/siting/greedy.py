"""Fast siting for large instances: lazy greedy, then 1-swap local search, and a bound.

Both objectives are monotone submodular gains (see `problem`), so:

- **Lazy greedy (CELF).** A site's gain can only shrink as others are chosen, so last round's
  gain is an upper bound on this round's. Keep the bounds in a heap; re-evaluate only the top
  until the top is fresh. Typically a handful of evaluations per pick instead of all
  candidates, and exactly the choice plain greedy makes (same tie-break: the lowest index).
- **Swap search.** Greedy's early picks can be made redundant by later ones; trying every
  (remove s, add j) pair and keeping improvements repairs most of that; for covering, all
  pairs are priced at once with two sparse products. Perturbed search (drop a few sites,
  refill, swap again) then escapes the 1-swap local optimum while time remains.
- **Bound.** For a monotone submodular f and any set S of p sites,
  f(OPT) ≤ f(S) + the sum of the p largest gains with respect to S (Nemhauser, Wolsey &
  Fisher 1978): a certificate that costs one gain evaluation.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence

import numpy as np

from nezlam.siting.problem import Problem

TOLERANCE = 1e-9  # relative: a swap must improve by more than this to count


def greedy_plain(problem: Problem, p: int) -> list[int]:
    """Plain greedy: every round evaluates every candidate (the reference for `greedy_lazy`)."""
    state = problem.state()
    chosen: list[int] = []
    for _ in range(min(p, problem.candidates)):
        gains = problem.gains(state)
        gains[chosen] = -np.inf
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        state = problem.add(state, best)
    return chosen


def greedy_lazy(problem: Problem, p: int, start: Sequence[int] = ()) -> list[int]:
    """CELF lazy greedy: the same picks as `greedy_plain`, far fewer gain evaluations.
    With `start`, those sites are kept and the rest are added greedily."""
    chosen = list(start)
    state = problem.state(chosen)
    gains = problem.gains(state)
    gains[chosen] = 0.0
    # (−gain, index, round in which the gain was computed): the heap pops the largest gain,
    # the lowest index among equal gains, as np.argmax does.
    heap = [(-float(g), j, len(chosen)) for j, g in enumerate(gains) if g > 0]
    heapq.heapify(heap)
    while heap and len(chosen) < p:
        _negative, site, fresh_in = heapq.heappop(heap)
        if fresh_in == len(chosen):
            chosen.append(site)
            state = problem.add(state, site)
            continue
        gain = problem.gain(state, site)
        if gain > 0:
            heapq.heappush(heap, (-gain, site, len(chosen)))
    return chosen


def swap_search(
    problem: Problem, sites: Sequence[int], time_limit: float = 10.0
) -> tuple[list[int], bool]:
    """1-swap local search from `sites`: take the best (remove s, add j) swap while it
    improves, until none does or time runs out. Returns the sites and whether the search
    ended at a local optimum (not by the clock)."""
    chosen = list(sites)
    if not chosen:
        return chosen, True
    deadline = time.perf_counter() + time_limit
    scale = TOLERANCE * max(problem.value(problem.state(chosen)), 1.0)
    while time.perf_counter() < deadline:
        deltas = _swap_deltas(problem, chosen)
        j, k = np.unravel_index(int(np.argmax(deltas)), deltas.shape)
        if deltas[j, k] <= scale:
            return chosen, True
        chosen[k] = int(j)
    return chosen, False


def _swap_deltas(problem: Problem, chosen: list[int]) -> np.ndarray:
    """(candidates × chosen) change of the gain for every swap; all at once when the
    problem knows how (covering), else one gain evaluation per chosen site."""
    if hasattr(problem, "swap_deltas"):
        return problem.swap_deltas(chosen)
    current = problem.value(problem.state(chosen))
    deltas = np.empty((problem.candidates, len(chosen)))
    for k in range(len(chosen)):
        without = problem.state(chosen[:k] + chosen[k + 1 :])
        deltas[:, k] = problem.value(without) + problem.gains(without) - current
    deltas[chosen] = -np.inf
    return deltas


def perturbed_search(
    problem: Problem, sites: Sequence[int], p: int, seconds: float = 1.0, seed: int = 0
) -> list[int]:
    """Iterated local search: drop a few random sites of the best answer, refill greedily,
    swap again; keep the result when it is better. Escapes the 1-swap local optimum (two
    sites that should move together). Stops after `seconds` or 3 p fruitless rounds."""
    rng = np.random.default_rng(seed)
    best = list(sites)
    best_value = problem.value(problem.state(best))
    deadline = time.perf_counter() + seconds
    fruitless = 0
    while best and time.perf_counter() < deadline and fruitless < 3 * p:
        drop = rng.choice(len(best), size=max(1, min(len(best) // 10, 5)), replace=False)
        kept = [site for k, site in enumerate(best) if k not in set(drop.tolist())]
        refilled = _refill(problem, kept, p, rng)
        trial, _local = swap_search(problem, refilled, max(deadline - time.perf_counter(), 0.0))
        value = problem.value(problem.state(trial))
        if value > best_value + TOLERANCE * max(best_value, 1.0):
            best, best_value, fruitless = trial, value, 0
        else:
            fruitless += 1
    return best


def _refill(problem: Problem, kept: list[int], p: int, rng: np.random.Generator) -> list[int]:
    """Add one random site among the ten best, then the rest greedily: a kick the plain
    greedy would not give."""
    state = problem.state(kept)
    gains = problem.gains(state)
    gains[kept] = -np.inf
    top = np.argsort(gains)[::-1][:10]
    top = top[np.isfinite(gains[top]) & (gains[top] > 0)]
    if len(top):
        kept = [*kept, int(rng.choice(top))]
    return greedy_lazy(problem, p, start=kept)


def gain_bound(problem: Problem, sites: Sequence[int], p: int) -> float:
    """An upper bound on the best gain of any p sites, from the gains with respect to `sites`."""
    state = problem.state(sites)
    gains = problem.gains(state)
    gains[list(sites)] = 0.0
    top = np.sort(np.maximum(gains, 0.0))[::-1][:p]
    return problem.value(state) + float(top.sum())
