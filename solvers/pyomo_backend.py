"""The ``pyomo`` backend: the LP solved as a Pyomo model through a Pyomo solver.

The model is built from the LP's arrays (:func:`oreflow.model.pyomo_arrays.build_array_model`:
one Var per column block, one Constraint per row family, each row one ``LinearExpression``
of its nonzeros), so its variables and constraints are in the LP's column and row order
and nothing is matched against the network again. Values, duals and reduced costs are
read back in that order; rows the model does not generate (no finite bound, no terms)
get dual 0, and row activities are ``lp.matrix @ col_value``. The readable model for
users, :func:`oreflow.build_pyomo_model`, states the same LP with rule functions; tests
prove both equal the array LP. The array form takes a tenth of the rule-based model's
build time and, with the loading below, about half of Pyomo's modelling overhead; its
memory is about the same (benchmarks/RESULTS.md, "Pyomo backend vs idiomatic Pyomo";
docs/performance.md).

- ``solver_name="highs"``: Pyomo's HiGHS interface
  (``pyomo.contrib.solver.common.factory.SolverFactory("highs")``, the one
  ``pyomo.environ.SolverFactory("highs")`` wraps; appsi's was measured no faster), loaded
  with the LP's columns and rows in LP order (:func:`_load_in_lp_order`), options
  checked against HiGHS first so an unknown option raises
  :class:`~oreflow.errors.InputError`, and oreflow's algorithm choice
  (:func:`oreflow.solvers.highs.effective_options`). Duals and reduced costs are HiGHS's
  own (``row_dual``/``col_dual``), which for a minimisation already follow oreflow's
  convention (change of the optimal cost per unit increase of the right-hand side: a
  binding ``<=`` row is negative, a binding ``>=`` row positive); the basis is read from
  the underlying highspy object.
- any other name: ``pyomo.environ.SolverFactory(name)`` with ``dual`` and ``rc``
  import suffixes; options are passed through unchecked; no basis information.
  Pyomo reports suffix duals of a minimisation with the same sign convention.

Timings: ``pyomo_build_s`` (the Pyomo model), ``solve_s`` (Pyomo's solve call: its
translation of the model for the solver, and the solve), ``run_s`` (HiGHS's own
``run()`` within it; NaN for other solvers), ``extract_s`` (values, duals, basis back in
LP order) and ``ranging_s``. Python's cyclic garbage collector is paused while the model
is built, translated and read back (see :mod:`oreflow.model.pyomo_arrays`).

Ranging (``record.ranging``): with ``highs``, the LP arrays are loaded into a fresh HiGHS,
the basis read back from Pyomo's HiGHS is set, confirmed optimal by a simplex run of no
iteration, and ranged (:func:`oreflow.solvers.highs.range_basis`); any other solver gives
no basis, so no ranging, and ``record.ranging_note`` says so.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from oreflow.errors import InputError, Problem
from oreflow.model.lp import LinearProgram
from oreflow.model.network import Network

from .record import BASIS_BASIC, BASIS_UNKNOWN, SolutionRecord, describe_duals

if TYPE_CHECKING:  # importing it imports Pyomo, which only a Pyomo solve needs
    from oreflow.model.pyomo_arrays import ArrayModel


#: Pyomo termination condition (new and legacy interfaces) -> SolutionRecord status.
_STATUS = {
    "convergenceCriteriaSatisfied": "optimal",
    "optimal": "optimal",
    "locallyOptimal": "optimal",
    "globallyOptimal": "optimal",
    "provenInfeasible": "infeasible",
    "locallyInfeasible": "infeasible",
    "infeasible": "infeasible",
    "unbounded": "unbounded",
    "infeasibleOrUnbounded": "infeasible_or_unbounded",
    "maxTimeLimit": "time_limit",
    "iterationLimit": "iteration_limit",
    "maxIterations": "iteration_limit",
    "error": "error",
    "solverFailure": "error",
    "internalSolverError": "error",
}


def solve_pyomo(
    network: Network, lp: LinearProgram, solver_name: str = "highs", options: Mapping[str, Any] | None = None,
    ranging: bool = True,
) -> SolutionRecord:
    """Solve ``lp`` as a Pyomo model with ``solver_name``; results in ``lp``'s order.

    ``network`` is not read (the LP's row families already hold every policy); it stays
    in the signature every backend shares. Raises InputError for an unknown HiGHS option
    or an unknown/unavailable solver.
    """
    started = time.perf_counter()
    options = dict(options or {})
    if solver_name == "highs":
        _check_highs_options(options)
    else:
        opt = _legacy_solver(solver_name)

    from pyomo.common.gc_manager import PauseGC

    from oreflow.model.pyomo_arrays import build_array_model

    with PauseGC():  # Pyomo creates millions of objects here; the collector would walk them again and again
        arrays = build_array_model(lp)
        built = time.perf_counter()
        if solver_name == "highs":
            record, solve_s, run_s = _solve_highs(arrays, lp, options)
        else:
            record, solve_s = _solve_legacy(opt, solver_name, arrays, lp, options)
            run_s = float("nan")
        del arrays  # garbage now; Pyomo's objects refer to each other, so the collector frees them later
    extracted = time.perf_counter()
    if solver_name == "highs" and ranging:
        from .highs import range_basis

        range_basis(lp, record)  # any other solver: no basis, ranging_note set by _solve_legacy
    elif not ranging:
        from .highs import RANGING_NOT_REQUESTED

        record.ranging_note = RANGING_NOT_REQUESTED
    record.timings = {"pyomo_build_s": built - started, "solve_s": solve_s, "run_s": run_s,
                      "extract_s": extracted - built - solve_s, "ranging_s": time.perf_counter() - extracted}
    return record


# ---------------------------------------------------------------------------------
# Reading back in LP order
# ---------------------------------------------------------------------------------


def _values(mapping: Any, items: list, default: float = 0.0) -> np.ndarray:
    """``mapping[item]`` for each item (``default`` where absent or the item is None)."""
    return np.fromiter(
        (default if item is None else mapping.get(item, default) for item in items), dtype=float, count=len(items)
    )


def _status(termination: Any) -> str:
    name = getattr(termination, "name", str(termination))
    return _STATUS.get(name, "other")


# ---------------------------------------------------------------------------------
# HiGHS through Pyomo's HiGHS interface
# ---------------------------------------------------------------------------------


def _check_highs_options(options: Mapping[str, Any]) -> None:
    """Set every option on a scratch HiGHS instance: unknown names or bad values raise InputError."""
    from .highs import apply_options, new_highs

    apply_options(new_highs(), options)


def _solve_highs(arrays: ArrayModel, lp: LinearProgram, options: dict[str, Any]) -> tuple[SolutionRecord, float, float]:
    """Solve with Pyomo's HiGHS interface; the record, Pyomo's solve seconds and HiGHS's run seconds."""
    import pyomo.version
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.util import NoDualsError, NoReducedCostsError, NoSolutionError

    from .highs import effective_options

    opt = SolverFactory("highs")
    solver_options = effective_options(lp, options)
    variables, constraints = arrays.variables, arrays.constraints
    mark = time.perf_counter()
    _load_in_lp_order(opt, arrays)
    results = opt.solve(
        arrays.model,
        auto_updates=_NOTHING_CHANGED,
        tee=bool(solver_options.get("output_flag")),
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        solver_options=solver_options,
    )
    solve_s = time.perf_counter() - mark
    run_s = float(getattr(results.timing_info, "highs_time", float("nan")))

    status = _status(results.termination_condition)
    n, m = lp.n_cols, lp.n_rows
    loader = results.solution_loader
    try:
        col_value = _values(loader.get_vars(), variables)
        row_value = lp.matrix @ col_value
    except NoSolutionError:
        col_value, row_value = np.full(n, np.nan), np.full(m, np.nan)
    try:
        col_dual = _values(loader.get_reduced_costs(), variables) + 0.0  # + 0.0: no -0.0
        row_dual = _values(loader.get_duals(), constraints) + 0.0
    except (NoDualsError, NoReducedCostsError):
        col_dual, row_dual = np.full(n, np.nan), np.full(m, np.nan)
    highs = getattr(opt, "_solver_model", None)  # the highspy.Highs instance Pyomo drives
    col_basis, row_basis, has_basis = _basis(opt, highs, variables, constraints)

    info = highs.getInfo() if highs is not None else None
    ipm = int(getattr(info, "ipm_iteration_count", 0) or 0)
    method = describe_duals(ipm, has_basis, "HiGHS via Pyomo")
    version = ".".join(str(part) for part in opt.version())
    objective = results.incumbent_objective
    record = SolutionRecord(
        status=status,
        solver_status=(
            highs.modelStatusToString(highs.getModelStatus())
            if highs is not None
            else results.termination_condition.name
        ),
        objective=float(objective) if objective is not None else float("nan"),
        col_value=col_value,
        col_dual=col_dual,
        row_value=row_value,
        row_dual=row_dual,
        col_basis=col_basis,
        row_basis=row_basis,
        dual_method=method,
        solver=f"HiGHS {version} via Pyomo {pyomo.version.version} (pyomo.contrib.solver)",
        iterations=(
            int(info.simplex_iteration_count) + ipm + int(getattr(info, "crossover_iteration_count", 0) or 0)
            if info is not None
            else 0
        ),
        has_basis=has_basis,
    )
    return record, solve_s, run_s


#: ``auto_updates`` for a solve right after :func:`_load_in_lp_order`: nothing to re-scan.
_NOTHING_CHANGED = dict.fromkeys(
    ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars", "check_for_new_or_removed_params",
     "check_for_new_objective", "update_constraints", "update_vars", "update_parameters", "update_named_expressions",
     "update_objective"),
    False,
)


def _load_in_lp_order(opt: Any, arrays: ArrayModel) -> None:
    """Load the model into Pyomo's (persistent) HiGHS interface with HiGHS's columns and rows in LP order.

    Left to itself, ``opt.solve(model)`` adds each variable where a constraint first uses
    it, which permutes the columns; HiGHS's path depends on the order (interior point with
    crossover measured 4-8 % slower at 1e5 variables in that order). In LP order HiGHS gets
    exactly the LP the highs backend passes it, so both reach the same vertex and duals.
    """
    model = arrays.model
    model.deactivate()  # set_instance adds the active constraints and objective: none yet
    try:
        opt.set_instance(model)
    finally:
        model.activate()
    opt.add_variables(arrays.variables)
    opt.add_constraints([con for con in arrays.constraints if con is not None])
    opt.set_objective(model.total_cost)


def _basis(opt: Any, highs: Any, variables: list, constraints: list) -> tuple[np.ndarray, np.ndarray, bool]:
    """HiGHS basis status in LP order; skipped rows count as basic (their slack is free).

    Reads Pyomo's variable/constraint -> HiGHS index maps; if this Pyomo version lacks
    them, or HiGHS has no valid basis, every status is BASIS_UNKNOWN.
    """
    n, m = len(variables), len(constraints)
    unknown = (np.full(n, BASIS_UNKNOWN, dtype=np.int8), np.full(m, BASIS_UNKNOWN, dtype=np.int8), False)
    var_map = getattr(opt, "_pyomo_var_to_solver_var_map", None)
    con_map = getattr(opt, "_pyomo_con_to_solver_con_map", None)
    if highs is None or var_map is None or con_map is None:
        return unknown
    basis = highs.getBasis()
    if not basis.valid:
        return unknown
    col_status = np.array([int(s) for s in basis.col_status], dtype=np.int8)
    row_status = np.array([int(s) for s in basis.row_status], dtype=np.int8)
    try:
        col_pos = np.fromiter((var_map[id(v)] for v in variables), dtype=np.int64, count=n)
        row_pos = np.fromiter((-1 if c is None else con_map[c] for c in constraints), dtype=np.int64, count=m)
    except KeyError:
        return unknown
    row_basis = np.full(m, BASIS_BASIC, dtype=np.int8)
    present = row_pos >= 0
    row_basis[present] = row_status[row_pos[present]]
    return col_status[col_pos], row_basis, True


# ---------------------------------------------------------------------------------
# Any other Pyomo solver
# ---------------------------------------------------------------------------------


def _legacy_solver(name: str) -> Any:
    """``pyomo.environ.SolverFactory(name)``, or InputError if Pyomo has no such solver."""
    import pyomo.environ as pyo

    expected = "a Pyomo solver that is installed and available (e.g. 'highs')"
    if name not in pyo.SolverFactory:
        raise InputError(Problem("solve", None, "solver", name, expected, "solver"), heading="unknown Pyomo solver")
    opt = pyo.SolverFactory(name)
    try:
        available = bool(opt.available(exception_flag=False))
    except Exception:  # noqa: BLE001 - some plugins raise instead of answering
        available = False
    if not available:
        raise InputError(
            Problem("solve", None, "solver", name, expected, "solver"),
            heading=f"Pyomo solver {name!r} is not available",
        )
    return opt


def _solve_legacy(
    opt: Any,
    name: str,
    arrays: ArrayModel,
    lp: LinearProgram,
    options: dict[str, Any],
) -> tuple[SolutionRecord, float]:
    import pyomo.environ as pyo
    import pyomo.version

    from .highs import no_ranging_reason

    model, variables, constraints = arrays.model, arrays.variables, arrays.constraints
    model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    model.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    mark = time.perf_counter()
    try:
        results = opt.solve(model, load_solutions=False, tee=False, options=options)
    except Exception as exc:  # noqa: BLE001 - report the solver's own words as an error status
        solve_s = time.perf_counter() - mark
        return _empty_record(lp, "error", f"{type(exc).__name__}: {exc}", name), solve_s
    solve_s = time.perf_counter() - mark

    termination = results.solver.termination_condition
    status = _status(termination)
    n, m = lp.n_cols, lp.n_rows
    col_value, col_dual = np.full(n, np.nan), np.full(n, np.nan)
    row_value, row_dual = np.full(m, np.nan), np.full(m, np.nan)
    objective = float("nan")
    loaded = False
    if len(results.solution) > 0:
        try:
            model.solutions.load_from(results)
            loaded = True
        except ValueError:  # Pyomo refuses to load a solution with a bad solver status
            loaded = False
    if loaded:
        col_value = np.fromiter((np.nan if v.value is None else v.value for v in variables), dtype=float, count=n)
        row_value = lp.matrix @ col_value
        objective = float(pyo.value(model.total_cost))
        if len(model.dual) > 0:
            row_dual = _values(model.dual, constraints) + 0.0
            if len(model.rc) > 0:
                col_dual = _values(model.rc, variables) + 0.0
            else:
                # some Pyomo wrappers drop the rc suffix; for an LP, reduced cost = c - A'y
                col_dual = lp.cost - lp.matrix.rmatvec(row_dual)
    version = getattr(opt, "version", lambda: None)()
    version = ".".join(str(part) for part in version) if isinstance(version, tuple) else ""
    record = SolutionRecord(
        status=status,
        solver_status=str(getattr(termination, "name", termination)),
        objective=objective,
        col_value=col_value,
        col_dual=col_dual,
        row_value=row_value,
        row_dual=row_dual,
        col_basis=np.full(n, BASIS_UNKNOWN, dtype=np.int8),
        row_basis=np.full(m, BASIS_UNKNOWN, dtype=np.int8),
        dual_method=f"solver duals ({name} via Pyomo dual/rc suffixes)",
        solver=f"{name} {version} via Pyomo {pyomo.version.version}".replace("  ", " "),
        has_basis=False,
    )
    record.ranging_note = no_ranging_reason(record) or "not computed"
    return record, solve_s


def _empty_record(lp: LinearProgram, status: str, solver_status: str, name: str) -> SolutionRecord:
    import pyomo.version

    n, m = lp.n_cols, lp.n_rows
    return SolutionRecord(
        status=status,
        solver_status=solver_status,
        objective=float("nan"),
        col_value=np.full(n, np.nan),
        col_dual=np.full(n, np.nan),
        row_value=np.full(m, np.nan),
        row_dual=np.full(m, np.nan),
        col_basis=np.full(n, BASIS_UNKNOWN, dtype=np.int8),
        row_basis=np.full(m, BASIS_UNKNOWN, dtype=np.int8),
        dual_method="none",
        solver=f"{name} via Pyomo {pyomo.version.version}",
        has_basis=False,
        ranging_note=f"not computed: the solve ended {status!r}",
    )


__all__ = ["solve_pyomo"]
