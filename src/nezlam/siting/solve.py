"""One entry point: `solve(problem, p, method)` picks a solver and says how good the answer is.

- `exact`: HiGHS on the MILP, started from the heuristic's answer; optimal unless the time
  limit stops it, and then the gap HiGHS proved.
- `greedy`: lazy greedy + swap search + perturbed swaps (up to `search_seconds`), with the
  better of two bounds: the submodular bound (free) and, unless `lp_bound=False`, the linear
  relaxation solved by HiGHS.
- `auto`: exact when the model is small enough to prove in seconds, greedy otherwise.
"""

from __future__ import annotations

import time

from nezlam.siting.choices import METHODS
from nezlam.siting.exact import exact, lp_model_size
from nezlam.siting.greedy import gain_bound, greedy_lazy, perturbed_search, swap_search
from nezlam.siting.problem import Problem, Solution, ranked

# Nonzeros in the MILP up to which `auto` proves optimality (a few seconds with HiGHS here).
EXACT_UP_TO_NONZEROS = 200_000


def solve(
    problem: Problem,
    p: int,
    method: str = "auto",
    time_limit: float = 60.0,
    lp_bound: bool = True,
    search_seconds: float = 1.5,
) -> Solution:
    """The best `p` new sites `method` finds within about `time_limit` seconds; the greedy
    answer is improved by perturbed swaps for up to `search_seconds`."""
    method = _chosen_method(problem, p, method)
    started = time.perf_counter()
    sites, local_optimum = swap_search(problem, greedy_lazy(problem, p), time_limit / 2)
    bound = gain_bound(problem, sites, p)
    if method == "greedy" and not _closed(problem, problem.value(problem.state(sites)), bound):
        sites = perturbed_search(problem, sites, p, min(search_seconds, time_limit / 2))
        bound = min(bound, gain_bound(problem, sites, p))
    optimal = False
    if method == "exact":
        sites, bound, optimal = _exact_from(problem, p, sites, bound, time_limit)
    elif lp_bound:
        bound = min(bound, exact(problem, p, time_limit=time_limit, relax=True).bound)
    name = "exact (HiGHS)" if method == "exact" else "greedy + swap"
    if method == "greedy" and not local_optimum:
        name += " (stopped by the time limit)"
    return _solution(problem, sites, bound, optimal, name, started)


def _chosen_method(problem: Problem, p: int, method: str) -> str:
    """ "exact" or "greedy": `method`, with "auto" decided by the size of the model; a
    ValueError for an unknown method or fewer than one site."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    if p < 1:
        raise ValueError("the number of new sites must be at least 1")
    if method == "auto":
        method = "exact" if lp_model_size(problem, p) <= EXACT_UP_TO_NONZEROS else "greedy"
    return method


def _exact_from(
    problem: Problem, p: int, sites: list[int], bound: float, time_limit: float
) -> tuple[list[int], float, bool]:
    """HiGHS started from the heuristic's `sites`: the sites it finds unless they are worse,
    the tighter of the two bounds, and whether HiGHS proved its answer optimal."""
    result = exact(problem, p, time_limit=time_limit, start=sites)
    if result.sites and result.gain >= problem.value(problem.state(sites)):
        sites = result.sites
    return sites, min(bound, result.bound), result.optimal


def _solution(
    problem: Problem, sites: list[int], bound: float, optimal: bool, method: str, started: float
) -> Solution:
    """The answer, sites ranked by what each adds, the bound on the objective's own scale;
    optimal when proved so, or when the gains reach the bound."""
    order, gains = ranked(problem, sites)
    return Solution(
        problem=problem,
        sites=order,
        gains=gains,
        method=method,
        seconds=time.perf_counter() - started,
        bound=problem.offset + problem.sense * bound,
        optimal=optimal or _closed(problem, sum(gains), bound),
    )


def _closed(problem: Problem, gain: float, bound: float) -> bool:
    """A heuristic answer is provably optimal when it reaches the bound."""
    return gain >= bound - 1e-9 * max(abs(bound), 1.0)
