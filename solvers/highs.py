"""The ``highs`` backend: the LP's arrays handed to highspy in one passModel call."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from oreflow.model.errors import InputError, Problem, SolveError
from oreflow.model.infeasibility import ConflictRows
from oreflow.model.lp import LinearProgram
from oreflow.model.reading import number_text
from oreflow.model.record import BASIS_BASIC, RangingArrays, SolutionRecord, describe_duals
from oreflow.model.tables import NUMBER_LIMIT

#: Options oreflow sets unless the caller overrides them.
DEFAULT_OPTIONS: dict[str, Any] = {"output_flag": False}

#: The algorithm, chosen by measurement (benchmarks/RESULTS.md, "Algorithm choice"; the
#: reasoning in docs/performance.md): serial dual simplex below IPM_FROM_NONZEROS (as fast
#: as HiGHS's default on an idle machine up to ~3.5e4 nonzeros, and robust on a busy one,
#: where HiGHS's parallel simplex was measured 500x slower on the default dataset), interior
#: point with crossover from there (0.65-0.7x HiGHS's default at 7e4 nonzeros, 0.41-0.46x at
#: 7e5-1.4e6, on one core; primal simplex and PDLP far slower). Both leave a basis, so the
#: duals are basis duals.
IPM_FROM_NONZEROS = 50_000
SIMPLEX_OPTIONS: dict[str, Any] = {"solver": "simplex", "simplex_strategy": 1}
IPM_OPTIONS: dict[str, Any] = {"solver": "ipm", "run_crossover": "on"}
#: Options that choose the algorithm: when the caller sets any, oreflow's choice stays out.
ALGORITHM_KEYS = ("solver", "simplex_strategy", "run_crossover")


def effective_options(lp: LinearProgram, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """oreflow's defaults, its algorithm choice for this LP's size, then the caller's options."""
    options = dict(options or {})
    chosen = (
        {}
        if any(key in options for key in ALGORITHM_KEYS)
        else (IPM_OPTIONS if lp.matrix.nnz >= IPM_FROM_NONZEROS else SIMPLEX_OPTIONS)
    )
    return {**DEFAULT_OPTIONS, **chosen, **options}


_STATUS = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnbounded": "unbounded",
    "kUnboundedOrInfeasible": "infeasible_or_unbounded",
    "kTimeLimit": "time_limit",
    "kIterationLimit": "iteration_limit",
    "kLoadError": "error",
    "kModelError": "error",
    "kPresolveError": "error",
    "kSolveError": "error",
    "kPostsolveError": "error",
}

_banner_shown = False


def new_highs() -> Any:
    """A silent ``highspy.Highs`` (HiGHS prints a banner on the first instance; hide it)."""
    global _banner_shown
    import highspy

    if _banner_shown:
        h = highspy.Highs()
    else:
        _banner_shown = True
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


def check_options(options: Mapping[str, Any], source: str = "solver_options") -> None:
    """Set every option on a scratch HiGHS: an unknown name or a bad value raises InputError
    (what ``oreflow validate`` and the pyomo backend check before anything is built)."""
    apply_options(new_highs(), options, source)


def apply_options(h: Any, options: Mapping[str, Any], source: str = "solver_options") -> None:
    """Set HiGHS options; an unknown option or a bad value raises InputError naming it."""
    import highspy

    problems = []
    for name, value in {**DEFAULT_OPTIONS, **dict(options)}.items():  # noqa: B020
        if h.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            problems.append(
                Problem(
                    source, None, name, repr(value), "a HiGHS option name with a value of its type", "solver_option"
                )
            )
    if problems:
        raise InputError(problems, heading="invalid solver options")


def pass_lp(h: Any, lp: LinearProgram) -> None:
    """Hand the whole LP to HiGHS in one call (column-wise CSC arrays) and, for a QP, its
    diagonal Hessian (:func:`pass_hessian`). The objective's constant ``lp.offset`` stays
    out of HiGHS (HiGHS 1.16's IIS search crashed on an LP with a constant): the objective
    and ranging values read back add it (:func:`read_solution`, :func:`ranging_arrays`)."""
    matrix = lp.matrix
    pass_arrays(
        h,
        lp.cost,
        lp.col_lower,
        lp.col_upper,
        lp.row_lower,
        lp.row_upper,
        matrix.indptr,
        matrix.indices,
        matrix.data,
    )
    if lp.is_qp:
        assert lp.hessian is not None
        pass_hessian(h, lp.hessian)


def pass_hessian(h: Any, diagonal: np.ndarray) -> None:
    """Give HiGHS the objective's quadratic term 1/2 v'Hv for a diagonal H (triangular
    CSC: one entry per column with a non-zero diagonal)."""
    import highspy

    diagonal = np.asarray(diagonal, dtype=float)
    n = len(diagonal)
    nonzero = diagonal != 0
    starts = np.concatenate([[0], np.cumsum(nonzero)]).astype(np.int32)
    index = np.flatnonzero(nonzero).astype(np.int32)
    if h.passHessian(n, len(index), highspy.HessianFormat.kTriangular, starts, index, diagonal[nonzero]) == (
        highspy.HighsStatus.kError
    ):
        raise SolveError("error", "HiGHS rejected the quadratic term of the objective (demand_form = 'linear')")


def pass_arrays(
    h: Any,
    cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    starts: np.ndarray,
    index: np.ndarray,
    value: np.ndarray,
    *,
    rowwise: bool = False,
    offset: float = 0.0,
    maximise: bool = False,
) -> None:
    """One ``passModel`` call: costs, bounds and a sparse matrix given column-wise (CSC:
    ``starts`` per column) or, with ``rowwise``, row-wise (CSR); ``offset`` is the
    objective's constant. Raises RuntimeError if HiGHS rejects the arrays."""
    import highspy

    n_cols, n_rows = len(cost), len(row_lower)
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = n_cols, n_rows
    model.col_cost_, model.col_lower_, model.col_upper_ = cost, col_lower, col_upper
    model.row_lower_, model.row_upper_ = row_lower, row_upper
    model.offset_ = offset
    if maximise:
        model.sense_ = highspy.ObjSense.kMaximize
    model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise if rowwise else highspy.MatrixFormat.kColwise
    model.a_matrix_.num_col_, model.a_matrix_.num_row_ = n_cols, n_rows
    model.a_matrix_.start_ = starts.astype(np.int32, copy=False)
    model.a_matrix_.index_ = index.astype(np.int32, copy=False)
    model.a_matrix_.value_ = value
    if h.passModel(model) == highspy.HighsStatus.kError:
        raise SolveError(
            "error",
            "HiGHS rejected the LP arrays (a cost or bound beyond its range: every input number must be "
            f"below {number_text(NUMBER_LIMIT)}, model/tables.py NUMBER_LIMIT)",
        )


#: ``ranging_note`` of a solve asked not to range.
RANGING_NOT_REQUESTED = "not requested (ranging = false)"


def solve_highs(lp: LinearProgram, options: Mapping[str, Any] | None = None, ranging: bool = True) -> SolutionRecord:
    """Solve ``lp`` with HiGHS through highspy; return the common solution record, with the
    ranging of the optimal basis (``record.ranging``; see :meth:`HighsModel.solve`) unless
    ``ranging`` is False."""
    record = HighsModel(lp, options).solve(ranging=ranging)
    if not ranging:
        record.ranging_note = RANGING_NOT_REQUESTED
    return record


#: HiGHS's default ``small_matrix_value``: it drops a matrix coefficient at or below this.
SMALL_MATRIX_VALUE = 1e-9

#: HiGHS simplex_strategy value of serial dual simplex.
DUAL_SIMPLEX = 1
#: Above this share of columns with a changed cost, a large LP re-solves from scratch:
#: measured (RESULTS.md, "Warm re-solve"), warm dual simplex after 1 % of costs changed was
#: 14.6x (1e4) and 1.6x (1e5) faster than cold, after 10 % 0.8x and 0.16x.
WARM_COST_CHANGE_SHARE = 0.02


class HighsModel:
    """An LP loaded into HiGHS once and re-solved after changes made in place.

    HiGHS keeps the last optimal basis across ``changeColsCost`` / ``changeColsBounds`` /
    ``changeRowsBounds``, so a re-solve can start from it. Unless the caller chose the
    algorithm (``solver``, ``simplex_strategy`` or ``run_crossover``), the first solve uses
    oreflow's measured choice (:func:`effective_options`); a re-solve after bound changes
    uses dual simplex from the old basis (still dual feasible: 24-35x faster than cold in
    benchmarks/RESULTS.md), and so does one after cost changes on a small LP or to few
    columns (<= WARM_COST_CHANGE_SHARE); after cost changes to many columns of a large LP
    (>= IPM_FROM_NONZEROS) it solves from scratch with interior point, measured faster
    than any warm simplex there (the old basis, though primal feasible, is many pivots from
    the new optimum: primal simplex took 19x longer).
    """

    def __init__(
        self, lp: LinearProgram, options: Mapping[str, Any] | None = None, load: Callable[[Any], None] | None = None
    ) -> None:
        """``load(highs)`` hands HiGHS the LP; by default :func:`pass_lp` of ``lp``. The pyomo
        backend passes its Pyomo model compiled to arrays instead, which states the same
        LP in the same column and row order (:mod:`oreflow.solvers.pyomo_highs`)."""
        started = time.perf_counter()
        self.lp = lp
        self.options = dict(options or {})
        self.highs = new_highs()
        apply_options(self.highs, effective_options(lp, self.options))
        (load or (lambda h: pass_lp(h, lp)))(self.highs)
        self._pass_s = time.perf_counter() - started
        self._costs_changed = 0  # columns whose cost changed since the last solve
        self._bounds_changed = False
        self._solved = False

    @property
    def starts_from_basis(self) -> bool:
        """Whether the next solve starts from a basis (one solved before, or one handed over)."""
        return self._solved

    def start_from(self, basis: Any) -> None:
        """Make the next solve a re-solve from ``basis`` (a ``highspy.HighsBasis`` of an LP of
        this structure, e.g. ``model.highs.getBasis()`` of an earlier solve)."""
        self.highs.setBasis(basis)
        self._solved = True

    def start_from_statuses(self, col_status: np.ndarray, row_status: np.ndarray) -> bool:
        """Make the next solve start from these basis statuses (HiGHS's codes, as
        ``SolutionRecord.col_basis``), e.g. another LP's optimal basis carried over to this one.
        They are handed over as an *alien* basis: HiGHS completes one with too few or too many
        basic variables, or a singular one, into a basis it can start from. False (the next
        solve starts cold) when HiGHS refuses them."""
        import highspy

        status = highspy.HighsBasisStatus
        codes = {int(code): code for code in status.__members__.values()}
        basis = highspy.HighsBasis()
        basis.col_status = [codes[int(code)] for code in col_status]
        basis.row_status = [codes[int(code)] for code in row_status]
        basis.valid, basis.alien = True, True
        if self.highs.setBasis(basis) == highspy.HighsStatus.kError:
            return False
        self._solved = True
        return True

    def set_costs(self, cols: np.ndarray, costs: np.ndarray) -> None:
        """Change the objective coefficients of columns ``cols`` (USD per unit).

        Raises ChangeRejected when HiGHS does not hold the values (:func:`_held`).
        """
        cols = np.asarray(cols, dtype=np.int32)
        costs = np.asarray(costs, dtype=float)
        status = self.highs.changeColsCost(len(cols), cols, costs)
        order = np.argsort(cols)  # HiGHS reads a set of positions back in ascending order
        _held(status, "costs", cols=cols[order][self.highs.getCols(len(cols), cols[order])[2] != costs[order]])
        self.lp.cost[cols] = costs
        self._costs_changed += len(cols)

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds of rows ``rows`` (e.g. a capacity's upper bound, t); ChangeRejected
        when HiGHS does not hold them."""
        rows = np.asarray(rows, dtype=np.int32)
        lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        status = self.highs.changeRowsBounds(len(rows), rows, lower, upper)
        order = np.argsort(rows)
        _, _, held_lower, held_upper, _ = self.highs.getRows(len(rows), rows[order])
        _held(status, "row bounds", rows=rows[order][(held_lower != lower[order]) | (held_upper != upper[order])])
        self.lp.row_lower[rows], self.lp.row_upper[rows] = lower, upper
        self._bounds_changed = True

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Change the bounds of columns ``cols``; ChangeRejected when HiGHS does not hold them."""
        cols = np.asarray(cols, dtype=np.int32)
        lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        status = self.highs.changeColsBounds(len(cols), cols, lower, upper)
        order = np.argsort(cols)
        _, _, _, held_lower, held_upper, _ = self.highs.getCols(len(cols), cols[order])
        _held(status, "column bounds", cols=cols[order][(held_lower != lower[order]) | (held_upper != upper[order])])
        self.lp.col_lower[cols], self.lp.col_upper[cols] = lower, upper
        self._bounds_changed = True

    def set_matrix(self, matrix: Any) -> None:
        """Move the loaded matrix to ``matrix`` (CSC, the same sparsity pattern, no entry at
        or below :data:`SMALL_MATRIX_VALUE`), changing in HiGHS only the coefficients that
        differ (``changeCoeff``; a refiner's recovery moves its yields). The changed columns
        are read back: ChangeRejected when HiGHS does not hold exactly the new entries (it
        drops a coefficient at or below its ``small_matrix_value`` option)."""
        current = self.lp.matrix
        if matrix is current:
            return
        # entries at or below SMALL_MATRIX_VALUE HiGHS dropped when the model was passed (in
        # both matrices alike: the structure says so); they are neither changed nor read back
        kept = np.abs(matrix.data) > SMALL_MATRIX_VALUE
        moved = kept != (np.abs(current.data) > SMALL_MATRIX_VALUE)
        if moved.any():  # an entry HiGHS would drop or add: another structure, not a change in place
            raise ChangeRejected("matrix", matrix.indices[moved].astype(np.int64), np.zeros(0, dtype=np.int64))
        changed = np.flatnonzero((current.data != matrix.data) & kept)
        if len(changed):
            import highspy

            rows = matrix.indices[changed].astype(np.int32)
            cols = (np.searchsorted(matrix.indptr, changed, side="right") - 1).astype(np.int32)
            refused = [
                self.highs.changeCoeff(int(r), int(c), float(v)) == highspy.HighsStatus.kError
                for r, c, v in zip(rows, cols, matrix.data[changed])
            ]
            touched = np.unique(cols)
            _, starts, index, values = self.highs.getColsEntries(len(touched), touched)
            first, counts = matrix.indptr[touched], np.diff(matrix.indptr)[touched]
            # the positions of the touched columns' entries in matrix.data, column by column,
            # without those HiGHS dropped
            at = np.repeat(first - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(counts.sum())
            held_counts = (
                np.add.reduceat(kept[at], np.concatenate([[0], np.cumsum(counts)[:-1]])) if len(at) else counts
            )
            at = at[kept[at]]
            held = (
                len(index) == len(at)
                and np.array_equal(starts[: len(touched)], np.concatenate([[0], np.cumsum(held_counts)[:-1]]))
                and np.array_equal(index, matrix.indices[at])
                and np.array_equal(values, matrix.data[at])
            )
            _held(
                highspy.HighsStatus.kError if any(refused) else highspy.HighsStatus.kOk,
                "matrix",
                rows=() if held else rows,
            )
            self._bounds_changed = True
        self.lp.matrix = matrix

    def set_objective_terms(self, cost_offsets: Mapping[str, float], hessian: np.ndarray | None) -> None:
        """Change the objective's constant (kept by oreflow, added to the objective read
        back) and, for a QP, its diagonal Hessian (handed to HiGHS again)."""
        self.lp.cost_offsets = dict(cost_offsets)
        if hessian is not None or self.lp.hessian is not None:
            diagonal = np.zeros(self.lp.n_cols) if hessian is None else np.asarray(hessian, dtype=float)
            pass_hessian(self.highs, diagonal)
            self.lp.hessian = None if hessian is None else diagonal.copy()
            self._costs_changed += self.lp.n_cols

    def solve(self, *, ranging: bool = False) -> SolutionRecord:
        """(Re-)solve and read the solution back as whole arrays.

        With ``ranging=True`` also range the optimal basis (``record.ranging``, timed as
        ``timings["ranging_s"]``); off by default, as sweeps re-solve thousands of times.
        """
        h = self.highs
        if self._solved and not any(key in self.options for key in ALGORITHM_KEYS):
            large = self.lp.matrix.nnz >= IPM_FROM_NONZEROS
            many_costs = self._costs_changed > WARM_COST_CHANGE_SHARE * self.lp.n_cols
            if many_costs and large:
                # measured (RESULTS.md, "Warm re-solve"): after scattered cost changes the old
                # basis is far from the new optimum; a large LP re-solves faster from scratch
                apply_options(h, effective_options(self.lp))
            else:
                # bounds only: the old basis stays dual feasible, dual simplex repairs it
                # (24-35x faster than cold); small LPs: dual simplex from the basis either way
                h.setOptionValue("solver", "simplex")
                h.setOptionValue("simplex_strategy", DUAL_SIMPLEX)
        started = time.perf_counter()
        h.run()
        solved = time.perf_counter()
        record = read_solution(h, self.lp)
        if record.status in ("infeasible", "infeasible_or_unbounded"):
            record.iis_rows, record.iis_cols = irreducible_infeasible_subset(h, self.lp)
            record.iis_moves = relaxation_moves(h, self.lp, record.iis_rows)
        record.timings = {
            "pass_s": self._pass_s,
            "solve_s": solved - started,
            "extract_s": time.perf_counter() - solved,
        }
        if ranging:
            mark = time.perf_counter()
            attach_ranging(h, self.lp, record)
            record.timings["ranging_s"] = time.perf_counter() - mark
        self._pass_s = 0.0
        self._costs_changed, self._bounds_changed = 0, False
        self._solved = True
        return record


def read_solution(h: Any, lp: LinearProgram) -> SolutionRecord:
    """Read values, duals and basis back from HiGHS as whole arrays."""
    model_status = h.getModelStatus()
    info = h.getInfo()
    solution = h.getSolution()
    basis = h.getBasis()
    has_basis = bool(basis.valid)
    n, m = lp.n_cols, lp.n_rows
    if solution.value_valid:
        col_value = np.asarray(solution.col_value, dtype=float)
        row_value = np.asarray(solution.row_value, dtype=float)
    else:
        col_value, row_value = np.full(n, np.nan), np.full(m, np.nan)
    if solution.dual_valid:
        col_dual = np.asarray(solution.col_dual, dtype=float)
        row_dual = np.asarray(solution.row_dual, dtype=float)
    else:
        col_dual, row_dual = np.full(n, np.nan), np.full(m, np.nan)
    if has_basis:
        col_basis = np.array(basis.col_status, dtype=np.int8)
        row_basis = np.array(basis.row_status, dtype=np.int8)
    else:
        col_basis, row_basis = np.full(n, -1, dtype=np.int8), np.full(m, -1, dtype=np.int8)
    name = model_status.name if hasattr(model_status, "name") else str(model_status)
    algorithm = option_value(h, "solver")
    ipm_iterations = int(getattr(info, "ipm_iteration_count", 0) or 0)
    crossover_iterations = int(getattr(info, "crossover_iteration_count", 0) or 0)
    method = (
        "QP solver (HiGHS; demand_form = 'linear': duals of a convex QP, no basis to range)"
        if lp.is_qp
        else describe_duals(ipm_iterations, has_basis, "HiGHS")
    )
    return SolutionRecord(
        status=_STATUS.get(name, "other"),
        solver_status=h.modelStatusToString(model_status),
        objective=float(info.objective_function_value) + lp.offset,
        col_value=col_value,
        col_dual=col_dual,
        row_value=row_value,
        row_dual=row_dual,
        col_basis=col_basis,
        row_basis=row_basis,
        dual_method=method,
        solver=f"HiGHS {h.version()} via highspy (solver option {algorithm!r})",
        iterations=int(info.simplex_iteration_count) + ipm_iterations + crossover_iterations,
        has_basis=has_basis,
    )


# ---------------------------------------------------------------------------------
# Ranging
# ---------------------------------------------------------------------------------


def no_ranging_reason(record: SolutionRecord) -> str | None:
    """Why ``record`` cannot be ranged (not optimal, or no basis), else None."""
    if record.status != "optimal":
        return f"not computed: the solve ended {record.status!r}, not optimal"
    if not record.has_basis:
        return f"not available: the duals come without a basis ({record.dual_method}); ranging needs an optimal basis"
    return None


def attach_ranging(h: Any, lp: LinearProgram, record: SolutionRecord) -> None:
    """Store the ranging of ``h``'s optimal basis on ``record``, or in ``ranging_note`` why there is none."""
    reason = no_ranging_reason(record)
    if reason is None and lp.is_qp:
        reason = "not available: with demand_form = 'linear' the problem is a QP, which HiGHS does not range"
    raw = None if reason else _highs_ranging(h)
    if raw is None:
        record.ranging_note = reason or "not available: HiGHS could not range the optimal basis"
        return
    record.ranging = ranging_arrays(lp, record, raw)
    record.ranging_note = "from the optimal basis (HiGHS getRanging)"


def _highs_ranging(h: Any) -> Any | None:
    """``h.getRanging()``'s ranging, or None. After interior point with crossover HiGHS
    holds a basis but no factorisation to range it: rebuilt by a simplex run from it."""
    import highspy

    status, ranging = h.getRanging()
    if status == highspy.HighsStatus.kError:
        if not _run_from_basis(h, h.getBasis()):
            return None
        status, ranging = h.getRanging()
    return ranging if status != highspy.HighsStatus.kError and ranging.valid else None


def _run_from_basis(h: Any, basis: Any) -> bool:
    """Dual simplex from ``basis``; True if it is optimal as given (no iteration).
    The algorithm options are restored afterwards (HighsModel's re-solves read them)."""
    import highspy

    saved = {key: option_value(h, key) for key in ("solver", "simplex_strategy")}
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", DUAL_SIMPLEX)
    try:
        if h.setBasis(basis) == highspy.HighsStatus.kError:
            return False
        h.run()
    finally:
        for key, value in saved.items():
            h.setOptionValue(key, value)
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal and h.getInfo().simplex_iteration_count == 0


class ChangeRejected(RuntimeError):
    """HiGHS did not take a change of costs or bounds in place: it refused it (keeping the old
    values: a bound at or beyond its infinity) or stores another value (an infinite one). The
    model must not be re-solved as if it had changed. ``rows`` and ``cols``: the LP positions
    whose values HiGHS does not hold (all those changed when it refused them together)."""

    def __init__(self, what: str, rows: np.ndarray, cols: np.ndarray) -> None:
        super().__init__(f"HiGHS did not take the new {what}")
        self.rows, self.cols = rows, cols


def _held(status: Any, what: str, rows: Any = (), cols: Any = ()) -> None:
    """Raise ChangeRejected when HiGHS refused the change or, read back, does not hold the
    values at ``rows``/``cols`` (the positions where what it holds differs)."""
    import highspy

    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    if status == highspy.HighsStatus.kError or len(rows) or len(cols):
        raise ChangeRejected(what, rows, cols)


def option_value(h: Any, name: str) -> Any:
    """The current value of a HiGHS option (highspy returns ``(status, value)`` in some versions)."""
    value = h.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


def ranging_arrays(lp: LinearProgram, record: SolutionRecord, raw: Any) -> RangingArrays:
    """HiGHS's ranging in oreflow's terms (docs/conventions.md, "Ranging").

    Costs: HiGHS's ``col_cost_dn``/``col_cost_up`` as they are. Rows: for a non-basic
    (binding) row HiGHS's ``row_bound_dn``/``row_bound_up`` values are the right-hand
    sides at which the basis changes (checked by re-solves in tests/test_ranging.py).
    For a basic row (dual 0) HiGHS ranges the row's activity instead, so the interval is
    set here: the zero price holds while the rhs stays on the slack side of the activity,
    ``[activity, inf)`` for a <= row and ``(-inf, activity]`` for a >= row. The entering
    variables are HiGHS's for every row (for a basic row, those of forcing its activity
    down, ``row_bound_dn``, or up, ``row_bound_up``: what a rhs past the activity does).
    """
    n = lp.n_cols
    basic = record.row_basis == BASIS_BASIC
    objective = np.full(lp.n_rows, float(record.objective))
    free_lower = np.where(lp.row_is_upper, record.row_value, -np.inf)
    free_upper = np.where(lp.row_is_upper, np.inf, record.row_value)
    return RangingArrays(
        cost_lower=_values(raw.col_cost_dn.value_, n),
        cost_upper=_values(raw.col_cost_up.value_, n),
        cost_objective_lower=_values(raw.col_cost_dn.objective_, n) + lp.offset,
        cost_objective_upper=_values(raw.col_cost_up.objective_, n) + lp.offset,
        cost_enter_lower=np.asarray(raw.col_cost_dn.in_var_[:n], dtype=np.int64),
        cost_enter_upper=np.asarray(raw.col_cost_up.in_var_[:n], dtype=np.int64),
        rhs_lower=np.where(basic, free_lower, _values(raw.row_bound_dn.value_)),
        rhs_upper=np.where(basic, free_upper, _values(raw.row_bound_up.value_)),
        rhs_objective_lower=np.where(basic, objective, _values(raw.row_bound_dn.objective_) + lp.offset),
        rhs_objective_upper=np.where(basic, objective, _values(raw.row_bound_up.objective_) + lp.offset),
        rhs_enter_lower=np.asarray(raw.row_bound_dn.in_var_, dtype=np.int64),
        rhs_enter_upper=np.asarray(raw.row_bound_up.in_var_, dtype=np.int64),
        col_rise=_values(raw.col_bound_up.value_, n) - record.col_value,
    )


def _values(values: Any, count: int | None = None) -> np.ndarray:
    """A HiGHS ranging vector as floats (its first ``count`` entries if given)."""
    return np.asarray(values if count is None else values[:count], dtype=float)


def irreducible_infeasible_subset(h: Any, lp: LinearProgram) -> tuple[ConflictRows | None, np.ndarray | None]:
    """Rows and columns of a set of constraints of the loaded (infeasible) LP that cannot all
    hold, the rows a :class:`ConflictRows` saying whether the set is irreducible.

    HiGHS's IIS (from the LP, with its irreducibility pass), else its elastic filter's
    infeasible subset (not irreducible). A set of up to MAX_CHECKED_ROWS rows is then checked
    and reduced here (:func:`_deletion_filter`: one small LP per row, every column bound
    kept), so ``irreducible`` is proved, not taken on trust (HiGHS's deletion filter was seen
    to stop short of an irreducible set); a larger one is irreducible as HiGHS says.
    (None, None) when HiGHS finds no set. The algorithm options of ``h`` are restored.
    """
    import highspy

    saved = {key: option_value(h, key) for key in ("solver", "simplex_strategy", "iis_strategy")}
    from_lp = int(highspy.IisStrategy.kIisStrategyFromLp)
    # the IIS search re-solves sub-LPs: with the parallel (PAMI) simplex or IPM HiGHS's
    # deletion filter was seen to stop short of an irreducible set: serial dual simplex
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", DUAL_SIMPLEX)
    found: tuple[np.ndarray, np.ndarray, bool] | None = None
    try:
        for strategy in (from_lp | int(highspy.IisStrategy.kIisStrategyIrreducible), from_lp):
            h.setOptionValue("iis_strategy", strategy)
            status, iis = h.getIis()
            if status != highspy.HighsStatus.kError and iis.valid_ and len(iis.row_index_):
                rows = np.asarray(iis.row_index_, dtype=np.int64)
                cols = np.asarray(iis.col_index_, dtype=np.int64)
                found = rows, cols, int(iis.status_) == IIS_IRREDUCIBLE
                break
    finally:
        for key, value in saved.items():
            h.setOptionValue(key, value)
    if found is None:
        return None, None
    rows, cols, irreducible = found
    if len(rows) <= MAX_CHECKED_ROWS:
        reduced = _deletion_filter(lp, rows, option_value(h, "time_limit"))
        if reduced is None:  # a check did not conclude: HiGHS's set, not proved irreducible
            irreducible = False
        else:
            rows, irreducible = reduced, True
            cols = cols[np.isin(cols, _columns_of(lp, rows))]
    return ConflictRows(rows, irreducible), cols


#: HiGHS's ``HighsIis.status_`` of a set it reduced to an irreducible one (kIisModelStatusIrreducible).
IIS_IRREDUCIBLE = 3
#: Conflicting sets of up to this many rows are checked (and reduced) row by row.
MAX_CHECKED_ROWS = 60


def _row_subset(lp: LinearProgram, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (starts, column index, value) of LP rows ``rows``, in that order."""
    matrix = lp.matrix
    col_of = np.repeat(np.arange(lp.n_cols), np.diff(matrix.indptr))
    where = np.full(lp.n_rows, -1, dtype=np.int64)
    where[rows] = np.arange(len(rows))
    keep = where[matrix.indices] >= 0
    sub_row, sub_col, sub_value = where[matrix.indices[keep]], col_of[keep], matrix.data[keep]
    order = np.lexsort((sub_col, sub_row))
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.bincount(sub_row, minlength=len(rows)), out=starts[1:])
    return starts, sub_col[order], sub_value[order]


def _columns_of(lp: LinearProgram, rows: np.ndarray) -> np.ndarray:
    """The columns with a nonzero in any of ``rows``."""
    return np.unique(_row_subset(lp, rows)[1])


def _feasibility_model(lp: LinearProgram, rows: np.ndarray | None, time_limit: Any) -> Any:
    """A HiGHS instance holding ``lp`` (only ``rows`` of it if given) with no costs, every
    column bound kept: its solves only ask whether the constraints can hold."""
    h = new_highs()
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", DUAL_SIMPLEX)
    if time_limit is not None and np.isfinite(float(time_limit)):
        h.setOptionValue("time_limit", float(time_limit))
    if rows is None:
        pass_arrays(
            h,
            np.zeros(lp.n_cols),
            lp.col_lower,
            lp.col_upper,
            lp.row_lower,
            lp.row_upper,
            lp.matrix.indptr,
            lp.matrix.indices,
            lp.matrix.data,
        )
    else:
        starts, index, value = _row_subset(lp, rows)
        pass_arrays(
            h,
            np.zeros(lp.n_cols),
            lp.col_lower,
            lp.col_upper,
            lp.row_lower[rows],
            lp.row_upper[rows],
            starts,
            index,
            value,
            rowwise=True,
        )
    return h


def _feasible(h: Any) -> bool | None:
    """Solve ``h`` (no costs): True feasible, False infeasible, None not concluded."""
    import highspy

    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return True
    # with no costs an LP cannot be unbounded: "unbounded or infeasible" is infeasible
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return False
    return None


def _deletion_filter(lp: LinearProgram, rows: np.ndarray, time_limit: Any = None) -> np.ndarray | None:
    """The rows of an irreducible infeasible subset within ``rows`` (every column bound
    kept): each row is dropped in turn and stays out when the rest is still infeasible, so
    each row kept is needed (without it the rest, a subset of a feasible set, is
    feasible). None when ``rows`` are not infeasible or a solve does not conclude."""
    h = _feasibility_model(lp, rows, time_limit)
    if _feasible(h) is not False:
        return None
    keep = np.ones(len(rows), dtype=bool)
    free = np.array([-np.inf]), np.array([np.inf])
    for k in range(len(rows)):
        position = np.array([k], dtype=np.int32)
        h.changeRowsBounds(1, position, *free)
        feasible = _feasible(h)
        if feasible is None:
            return None
        if feasible:  # needed: put it back
            h.changeRowsBounds(1, position, lp.row_lower[rows[k : k + 1]], lp.row_upper[rows[k : k + 1]])
        else:
            keep[k] = False
    return rows[keep]


#: Relaxation solves are one per row of the set; beyond this many rows the amounts are skipped.
MAX_RELAXED_ROWS = 20


def relaxation_moves(h: Any, lp: LinearProgram, rows: np.ndarray | None) -> np.ndarray | None:
    """For each row of the set: how far its bound must move, that row alone relaxed and the
    rest of the model as it is, to restore feasibility (LP units: + loosens it); ``inf``
    where relaxing that row alone cannot (the model is still infeasible without it), NaN
    where a solve did not conclude.

    Solved on a copy of the model without costs: the row dropped, its activity minimised (a
    <= row) or maximised (a >= row); the move is how far that extreme lies past its bound.
    ``h`` gives the time limit.
    """
    if rows is None or len(rows) == 0 or len(rows) > MAX_RELAXED_ROWS:
        return None
    import highspy

    model = _feasibility_model(lp, None, option_value(h, "time_limit"))
    moves = np.full(len(rows), np.nan)
    zero = np.zeros(lp.n_cols)
    everything = np.arange(lp.n_cols, dtype=np.int32)
    for k, row in enumerate(np.asarray(rows, dtype=np.int64)):
        upper = bool(lp.row_is_upper[row])
        starts, cols, values = _row_subset(lp, np.array([row]))
        cost = zero.copy()
        cost[cols] = values if upper else -values
        position = np.array([row], dtype=np.int32)
        model.changeColsCost(lp.n_cols, everything, cost)
        model.changeRowsBounds(1, position, np.array([-np.inf]), np.array([np.inf]))
        model.run()
        status = model.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            extreme = float(model.getInfo().objective_function_value) * (1.0 if upper else -1.0)
            past = extreme - lp.row_upper[row] if upper else lp.row_lower[row] - extreme
            moves[k] = max(past, 0.0)
        elif status == highspy.HighsModelStatus.kInfeasible:
            moves[k] = np.inf
        model.changeRowsBounds(1, position, lp.row_lower[row : row + 1], lp.row_upper[row : row + 1])
    return moves


def infeasible_subset_of(lp: LinearProgram) -> tuple[ConflictRows | None, np.ndarray | None, np.ndarray | None]:
    """Load ``lp`` into HiGHS; return a set of rows that cannot all hold (irreducible when
    proved), its columns and its rows' relaxation moves (for backends that cannot give them)."""
    h = new_highs()
    pass_lp(h, lp)
    h.run()
    rows, cols = irreducible_infeasible_subset(h, lp)
    return rows, cols, relaxation_moves(h, lp, rows)
