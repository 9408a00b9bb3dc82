"""Where to open the next points: maximal covering and p-median siting on walking distances.

    problem = CoveringProblem(population, covers, covered)   # or MedianProblem(...)
    solution = solve(problem, p=10)                           # exact when small, greedy else
    solution.sites, solution.gains, solution.objective, solution.gap

`build` turns demand, candidates and a street network (or a distance table) into problems;
`output` writes the ranked sites as CSV, GeoJSON and a PNG map.
"""

from nezlam.siting.exact import exact
from nezlam.siting.greedy import gain_bound, greedy_lazy, greedy_plain, swap_search
from nezlam.siting.problem import CoveringProblem, MedianProblem, Problem, Solution, ranked
from nezlam.siting.solve import solve

__all__ = [
    "CoveringProblem", "MedianProblem", "Problem", "Solution", "exact", "gain_bound",
    "greedy_lazy", "greedy_plain", "ranked", "solve", "swap_search",
]  # fmt: skip
