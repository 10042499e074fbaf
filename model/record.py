"""The one solution record every backend returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Basis status codes (HiGHS's numbering): at lower bound, basic, at upper bound,
#: free at zero, nonbasic; -1 where the backend has no basis information.
BASIS_LOWER, BASIS_BASIC, BASIS_UPPER, BASIS_ZERO, BASIS_NONBASIC, BASIS_UNKNOWN = 0, 1, 2, 3, 4, -1


@dataclass
class SolutionRecord:
    """What a backend returns: values and duals in the LP's column and row order.

    Sign convention (docs/conventions.md): ``row_dual`` is the change of the optimal
    objective (USD) per unit increase of the row's right-hand side; ``col_dual`` is
    the reduced cost of each column (USD per unit of the column).
    ``status`` is one of ``optimal``, ``infeasible``, ``unbounded``,
    ``infeasible_or_unbounded``, ``time_limit``, ``iteration_limit``, ``error``, ``other``;
    ``solver_status`` is the solver's own wording.
    """

    status: str
    solver_status: str
    objective: float
    col_value: np.ndarray
    col_dual: np.ndarray
    row_value: np.ndarray
    row_dual: np.ndarray
    col_basis: np.ndarray
    row_basis: np.ndarray
    dual_method: str
    solver: str
    iterations: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    has_basis: bool = True
    #: For an infeasible LP: an irreducible infeasible subset, as LP row and column
    #: positions (None when not computed). Columns stand for their bounds (x >= 0).
    iis_rows: np.ndarray | None = None
    iis_cols: np.ndarray | None = None
    #: for each IIS row, how far its bound must move (that row alone) to restore feasibility
    iis_moves: np.ndarray | None = None
    #: Sensitivity ranges of the optimal basis (None when not computed); ``ranging_note``
    #: says how they were obtained, or why there are none.
    ranging: RangingArrays | None = None
    ranging_note: str = "not computed"


@dataclass
class RangingArrays:
    """Sensitivity ranges of an optimal basis, in LP units (docs/conventions.md, "Ranging").

    Per column (LP column order): the interval ``[cost_lower, cost_upper]`` of the column's
    cost (USD per unit) over which the basis, hence the solution, stays optimal, and the
    optimal objective (USD) at each end. Per row (LP row order): the interval
    ``[rhs_lower, rhs_upper]`` of the row's right-hand side over which its dual holds, and
    the objective at each end. ``-inf``/``inf`` where an end is unlimited.

    ``*_enter_lower``/``*_enter_upper``: the variable that enters the basis when the cost
    or rhs moves past that end (HiGHS numbering: column j, or ``n_cols + i`` for row i;
    -1 where none can: an unlimited end, or for a rhs the LP turning infeasible beyond).
    ``col_rise``: how far each column can rise from its value, entering the basis, before
    a basic variable blocks it (meaningful for non-basic columns; ``inf`` if unlimited).
    """

    cost_lower: np.ndarray
    cost_upper: np.ndarray
    cost_objective_lower: np.ndarray
    cost_objective_upper: np.ndarray
    cost_enter_lower: np.ndarray
    cost_enter_upper: np.ndarray
    rhs_lower: np.ndarray
    rhs_upper: np.ndarray
    rhs_objective_lower: np.ndarray
    rhs_objective_upper: np.ndarray
    rhs_enter_lower: np.ndarray
    rhs_enter_upper: np.ndarray
    col_rise: np.ndarray


def describe_duals(ipm_iterations: int, has_basis: bool, via: str) -> str:
    """How the duals were obtained, for ``SolutionRecord.dual_method`` (e.g. "simplex basis (HiGHS)")."""
    if ipm_iterations > 0:
        kind = "interior point with crossover" if has_basis else "interior point without crossover, no basis"
    else:
        kind = "simplex basis" if has_basis else "no basis"
    return f"{kind} ({via})"
