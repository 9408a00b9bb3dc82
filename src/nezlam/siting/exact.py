"""Exact siting with HiGHS (mixed-integer programming), for instances small enough to prove.

The models are the textbook ones, built as sparse matrices and handed to HiGHS in one call:

- **MCLP** (Church & ReVelle 1974): open x_j ∈ {0, 1}, covered y_i ∈ [0, 1];
  max Σ w_i y_i  s.t.  y_i ≤ Σ_{j covers i} x_j,  Σ x_j ≤ p. Demand that is already covered,
  or that no candidate reaches, cannot change the answer and is left out of the model.
- **p-median** in gain form: z_ij ∈ [0, 1] is the share of i served by new site j, only for
  pairs where j is closer than what i has today; max Σ w_i (today_i − d_ij) z_ij
  s.t.  Σ_j z_ij ≤ 1 (the rest stays with today),  z_ij ≤ x_j,  Σ x_j ≤ p.

With `relax=True` the same model is solved as a linear programme: its optimum is an upper
bound on the gain of any p sites (used to report the heuristic's gap on large instances).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import highspy
import numpy as np
from scipy.sparse import bmat, coo_matrix, csr_matrix, identity, spmatrix

from nezlam.siting.problem import CoveringProblem, MedianProblem, Problem


@dataclass(frozen=True)
class MilpResult:
    """What HiGHS found, in the problem's gain units: the best sites it has, their gain,
    the proven bound on the best gain, whether it proved optimality, and the time spent."""

    sites: list[int]
    gain: float
    bound: float
    optimal: bool
    status: str
    seconds: float


def exact(
    problem: Problem, p: int, time_limit: float = 60.0, relax: bool = False,
    start: list[int] | None = None, gap: float = 1e-6,
) -> MilpResult:  # fmt: skip
    """Solve `problem` for at most `p` new sites with HiGHS within `time_limit` seconds;
    `start` (sites) gives the solver a first solution to improve on."""
    if isinstance(problem, CoveringProblem):
        matrix, cost, integer = _mclp_model(problem, p)
    else:
        matrix, cost, integer = _pmedian_model(problem, p)
    upper = np.zeros(matrix.shape[0])
    upper[-1] = p  # the last row is Σ x_j ≤ p; every other row is ≤ 0 or ≤ 1
    upper[:-1] = _row_caps(problem, matrix.shape[0] - 1)
    values = None
    if start is not None and not relax:
        values = _start_values(problem, matrix, start)
    return _run(matrix, cost, upper, integer if not relax else 0, time_limit, gap, values)


def lp_model_size(problem: Problem, p: int) -> int:
    """Nonzeros of the model `exact` would build: what its solving time grows with."""
    if isinstance(problem, CoveringProblem):
        useful = _mclp_rows(problem)
        return int(problem.covers[:, useful].nnz) + len(useful) + problem.candidates
    return 3 * len(_pmedian_pairs(problem)[0]) + problem.candidates


def _mclp_model(problem: CoveringProblem, p: int) -> tuple[csr_matrix, np.ndarray, int]:
    reach = problem.covers.T.tocsr()  # (n, m)
    useful = _mclp_rows(problem)
    reach = reach[useful]
    m, n = problem.candidates, reach.shape[0]
    # Rows: y_i − Σ x_j ≤ 0 for each useful demand i; Σ x_j ≤ p last.
    blocks: list[list[spmatrix | None]] = [
        [-reach, identity(n, format="csr")],
        [csr_matrix(np.ones((1, m))), None],
    ]
    # bmat(format="csr") makes a csr_matrix; scipy-stubs type it as any spmatrix.
    matrix = cast(csr_matrix, bmat(blocks, format="csr"))
    cost = np.concatenate([np.zeros(m), problem.population[useful]])
    return matrix, cost, m


def _mclp_rows(problem: CoveringProblem) -> np.ndarray:
    reachable = np.diff(problem.covers.tocsc().indptr) > 0
    return np.flatnonzero(reachable & ~problem.covered & (problem.population > 0))


def _pmedian_pairs(problem: MedianProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    saving = problem.today[:, None] - problem.distance
    saving[problem.population == 0] = 0.0
    demand, site = np.nonzero(saving > 0)
    return demand, site, saving[demand, site] * problem.population[demand]


def _pmedian_model(problem: MedianProblem, p: int) -> tuple[csr_matrix, np.ndarray, int]:
    demand, site, value = _pmedian_pairs(problem)
    m, k = problem.candidates, len(demand)
    people, row_of = np.unique(demand, return_inverse=True)
    ones = np.ones(k)
    # Columns: x (m), then z (k). Rows: Σ_j z_ij ≤ 1 per person i (len(people) rows),
    # z_ij − x_j ≤ 0 per pair (k rows), Σ x_j ≤ p.
    assign = coo_matrix((ones, (row_of, m + np.arange(k))), shape=(len(people), m + k))
    link = coo_matrix(
        (np.concatenate([ones, -ones]),
         (np.concatenate([np.arange(k), np.arange(k)]), np.concatenate([m + np.arange(k), site]))),
        shape=(k, m + k),
    )  # fmt: skip
    total = coo_matrix((np.ones(m), (np.zeros(m, int), np.arange(m))), shape=(1, m + k))
    matrix = cast(csr_matrix, bmat([[assign], [link], [total]], format="csr"))  # as in _mclp_model
    return matrix, np.concatenate([np.zeros(m), value]), m


def _row_caps(problem: Problem, rows: int) -> np.ndarray:
    """Right-hand sides of all rows but the last: 0 for linking rows, 1 for assignment rows."""
    caps = np.zeros(rows)
    if isinstance(problem, MedianProblem):
        people = len(np.unique(_pmedian_pairs(problem)[0]))
        caps[:people] = 1.0
    return caps


def _start_values(problem: Problem, matrix: csr_matrix, sites: list[int]) -> np.ndarray:
    """Column values of the solution `sites`: x = 1 at the sites, y or z as they imply."""
    m = problem.candidates
    values = np.zeros(matrix.shape[1])
    values[sites] = 1.0
    if isinstance(problem, CoveringProblem):
        values[m:] = problem.state(sites)[_mclp_rows(problem)]
    else:
        demand, site, _value = _pmedian_pairs(problem)
        state = problem.state(sites)
        best = np.isin(site, sites) & (problem.distance[demand, site] == state[demand])
        # One serving site per person, even where two chosen sites are equally close.
        first = best & ~np.r_[False, best[:-1] & (demand[1:] == demand[:-1])]
        values[m:] = first.astype(float)
    return values


def _run(
    matrix: csr_matrix, cost: np.ndarray, upper: np.ndarray, integer: int,
    time_limit: float, gap: float, start: np.ndarray | None,
) -> MilpResult:  # fmt: skip
    """Maximise cost·x subject to matrix·x ≤ upper, 0 ≤ x ≤ 1, the first `integer` columns
    integral."""
    started = time.perf_counter()
    rows, cols = matrix.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = cols, rows
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = np.zeros(cols), np.ones(cols)
    lp.row_lower_, lp.row_upper_ = np.full(rows, -highspy.kHighsInf), upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = cols, rows
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    if integer:
        kinds = [highspy.HighsVarType.kContinuous] * cols
        kinds[:integer] = [highspy.HighsVarType.kInteger] * integer
        lp.integrality_ = kinds
    with _quiet():
        solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("time_limit", float(time_limit))
    solver.setOptionValue("mip_rel_gap", float(gap))
    solver.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start.tolist()
        solver.setSolution(solution)
    solver.run()
    return _result(solver, integer, cols, time.perf_counter() - started)


def _result(solver: highspy.Highs, integer: int, cols: int, seconds: float) -> MilpResult:
    status = solver.getModelStatus()
    info = solver.getInfo()
    found = info.primal_solution_status >= 2  # kSolutionStatusFeasible
    values = np.asarray(solver.getSolution().col_value) if found else np.zeros(cols)
    gain = float(info.objective_function_value) if found else 0.0
    optimal = status == highspy.HighsModelStatus.kOptimal
    # A relaxation stopped early bounds nothing; HiGHS's MIP dual bound always holds.
    bound = float(info.mip_dual_bound) if integer else gain if optimal else float("inf")
    if not np.isfinite(bound):
        bound = float("inf")
    sites = np.flatnonzero(values[:integer] > 0.5).tolist() if integer else []
    return MilpResult(sites, gain, bound, optimal, solver.modelStatusToString(status), seconds)


@contextmanager
def _quiet() -> Iterator[None]:
    """HiGHS prints its banner to standard output when the first solver is made, before any
    option can turn output off; hide it so `nezlam site` prints only its own table."""
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
