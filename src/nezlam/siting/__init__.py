"""Where to open the next points: maximal covering and p-median siting on walking distances.

    from nezlam.siting.problem import CoveringProblem      # or MedianProblem(...)
    from nezlam.siting.solve import solve
    problem = CoveringProblem(population, covers, covered)
    solution = solve(problem, p=10)                           # exact when small, greedy else
    solution.sites, solution.gains, solution.objective, solution.gap

`build` turns demand, candidates and a street network (or a distance table) into problems;
`output` writes the ranked sites as CSV, GeoJSON and a PNG map; `greedy` and `exact` are the
solvers `solve` picks between; `choices` is what `nezlam site` offers.

Nothing is imported here: the solvers load numpy, SciPy and HiGHS, and `nezlam --help` reads
`choices` without them.
"""
