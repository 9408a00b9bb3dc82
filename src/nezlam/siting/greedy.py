"""Fast siting for large instances: lazy greedy, then 1-swap local search, and a bound.

Both objectives are monotone submodular gains (see `problem`), so:

- **Lazy greedy (CELF).** A site's gain can only shrink as others are chosen, so last round's
  gain is an upper bound on this round's. Keep the bounds in a heap; re-evaluate only the top
  until the top is fresh. Typically a handful of evaluations per pick instead of all
  candidates, and exactly the choice plain greedy makes (same tie-break: the lowest index).
- **Swap search.** Greedy's early picks can be made redundant by later ones; trying every
  (remove s, add j) pair and keeping improvements repairs most of that.
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
    state, chosen = problem.state(), []
    for _ in range(min(p, problem.candidates)):
        gains = problem.gains(state)
        gains[chosen] = -np.inf
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        state = problem.add(state, best)
    return chosen


def greedy_lazy(problem: Problem, p: int) -> list[int]:
    """CELF lazy greedy: the same picks as `greedy_plain`, far fewer gain evaluations."""
    state, chosen = problem.state(), []
    gains = problem.gains(state)
    # (−gain, index, round in which the gain was computed): the heap pops the largest gain,
    # the lowest index among equal gains, as np.argmax does.
    heap = [(-float(g), j, 0) for j, g in enumerate(gains) if g > 0]
    heapq.heapify(heap)
    while heap and len(chosen) < p:
        negative, site, fresh_in = heapq.heappop(heap)
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
    """1-swap local search from `sites`: for each chosen site, the best candidate to replace it
    with; take every improving swap, until a whole pass finds none or time runs out.
    Returns the sites and whether the search ended at a local optimum (not by the clock)."""
    chosen = list(sites)
    if not chosen:
        return chosen, True
    deadline = time.perf_counter() + time_limit
    current = problem.value(problem.state(chosen))
    improved = True
    while improved:
        improved = False
        for position in range(len(chosen)):
            if time.perf_counter() > deadline:
                return chosen, False
            others = chosen[:position] + chosen[position + 1 :]
            without = problem.state(others)
            gains = problem.gains(without)
            gains[chosen] = -np.inf
            best = int(np.argmax(gains))
            value = problem.value(without) + gains[best]
            if value > current + TOLERANCE * max(abs(current), 1.0):
                chosen[position], current, improved = best, value, True
    return chosen, True


def gain_bound(problem: Problem, sites: Sequence[int], p: int) -> float:
    """An upper bound on the best gain of any p sites, from the gains with respect to `sites`."""
    state = problem.state(sites)
    gains = problem.gains(state)
    gains[list(sites)] = 0.0
    top = np.sort(np.maximum(gains, 0.0))[::-1][:p]
    return problem.value(state) + float(top.sum())
