"""The ``pyomo`` backend: the LP solved as a Pyomo model.

The model is built from the LP's arrays (:mod:`oreflow.solvers.pyomo_arrays`: one Var per
column block, the rows per row family), so its variables and constraints are in the
LP's column and row order and nothing is matched against the network again. Values,
duals and reduced costs are read back in that order; rows a model does not state get
dual 0, and row activities are ``lp.matrix @ col_value``. The readable model for users,
:func:`oreflow.build_pyomo_model`, states the same LP with rule functions; tests prove
all of them equal the array LP.

- ``solver_name="highs"``: the model in matrix form
  (:func:`~oreflow.solvers.pyomo_arrays.build_matrix_model`: each row family one matrix
  constraint of CSR arrays, no expression per row), solved through oreflow's direct HiGHS
  interface (:mod:`.pyomo_highs`: the Pyomo model read into arrays in one pass and passed
  to highspy in one call, with no per-variable bookkeeping; the model is freed before
  HiGHS runs, as nothing reads it again). Options are checked against
  HiGHS first so an unknown option raises :class:`~oreflow.model.errors.InputError`; the
  algorithm is oreflow's choice (:func:`oreflow.solvers.highs.effective_options`). HiGHS
  gets exactly the LP the highs backend passes it (rows in LP order, columns in LP order)
  and reaches the same vertex, duals and basis; its duals and reduced costs for a
  minimisation already follow oreflow's convention (change of the optimal cost per unit
  increase of the right-hand side: a binding ``<=`` row is negative, a binding ``>=`` row
  positive). Against Pyomo's own persistent HiGHS interface on the expression model, this
  takes about half the memory and a fraction of the translation time
  (benchmarks/RESULTS.md, "Pyomo backend vs idiomatic Pyomo"; docs/performance.md).
- any other name: ``pyomo.environ.SolverFactory(name)`` on the model in expression form
  (:func:`~oreflow.solvers.pyomo_arrays.build_array_model`: each row one
  ``LinearExpression``, which Pyomo's writers need), with ``dual`` and ``rc`` import
  suffixes; options are passed through unchecked; no basis information. Pyomo reports
  suffix duals of a minimisation with the same sign convention.

The models' objective includes the LP's constant (``lp.offset``: demand curves' -WTP of
the reference demand), so ``record.objective`` is the highs backend's: with ``highs`` the
constant is held out of HiGHS and added to what it reports, as the highs backend does;
with another solver ``pyo.value`` of the objective includes it. With
``demand_form = "linear"`` it is quadratic (a QP): ``highs`` passes its diagonal Hessian
to HiGHS; of Pyomo's own interfaces ``appsi_highs`` refuses a quadratic objective, and a
solver that fails on a QP ends with status ``error`` and a message naming
``demand_form = 'linear'`` and the ways out.

Timings: ``pyomo_build_s`` (the Pyomo model), ``solve_s`` (the model's translation for
the solver, and the solve), ``run_s`` (HiGHS's own ``run()`` within it;
NaN for other solvers), ``extract_s`` (values, duals, basis back in LP order) and
``ranging_s``. Python's cyclic garbage collector is paused while the model is built,
translated and read back (see :mod:`oreflow.solvers.pyomo_arrays`).

Ranging (``record.ranging``): with ``highs``, the optimal basis in the HiGHS instance the
solve used is ranged (:func:`oreflow.solvers.highs.attach_ranging`); any other solver
gives no basis, so no ranging, and ``record.ranging_note`` says so.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from oreflow.model.errors import InputError, Problem
from oreflow.model.lp import LinearProgram
from oreflow.model.record import BASIS_UNKNOWN, SolutionRecord

if TYPE_CHECKING:  # importing it imports Pyomo, which only a Pyomo solve needs
    from oreflow.solvers.pyomo_arrays import ArrayModel


#: Pyomo's (legacy interface) termination condition -> SolutionRecord status.
_STATUS = {
    "optimal": "optimal",
    "locallyOptimal": "optimal",
    "globallyOptimal": "optimal",
    "infeasible": "infeasible",
    "unbounded": "unbounded",
    "infeasibleOrUnbounded": "infeasible_or_unbounded",
    "maxTimeLimit": "time_limit",
    "maxIterations": "iteration_limit",
    "error": "error",
    "solverFailure": "error",
    "internalSolverError": "error",
}


def solve_pyomo(
    lp: LinearProgram,
    solver_name: str = "highs",
    options: Mapping[str, Any] | None = None,
    ranging: bool = True,
) -> SolutionRecord:
    """Solve ``lp`` as a Pyomo model with ``solver_name``; results in ``lp``'s order.

    Raises InputError for an unknown HiGHS option
    or an unknown/unavailable solver.
    """
    started = time.perf_counter()
    options = dict(options or {})
    if solver_name == "highs":
        from .highs import check_options

        check_options(options)
    else:
        opt = _legacy_solver(solver_name)

    from pyomo.common.gc_manager import PauseGC

    from oreflow.solvers.pyomo_arrays import build_array_model, build_matrix_model

    with PauseGC():  # Pyomo creates millions of objects here; the collector would walk them again and again
        arrays = build_matrix_model(lp) if solver_name == "highs" else build_array_model(lp)
        built = time.perf_counter()
        if solver_name == "highs":
            from .highs import HighsModel
            from .pyomo_highs import compile_model, pass_compiled

            # HighsModel adds lp.offset to the objective HiGHS reports, as for the highs backend
            # (HiGHS holds no constant): the model's constant, lp.offset, is held out of HiGHS
            model = HighsModel(
                lp,
                options,
                load=lambda h: pass_compiled(
                    h, compile_model(arrays.model, arrays.variables, arrays.constraints), held_out_offset=lp.offset
                ),
            )
            # Nothing reads the Pyomo model again (values, duals and the basis come back from
            # HiGHS in LP order): free it before HiGHS's run, its peak (~40 MB at 1e5
            # variables; its objects refer to each other, so only the collector frees them)
            del arrays
            gc.collect()
            loaded = time.perf_counter()
            record = _via_pyomo(model.solve(ranging=ranging), lp, model.highs)
            run_s, extract_s = record.timings["solve_s"], record.timings["extract_s"]
            ranging_s = record.timings.get("ranging_s", 0.0)
            solve_s = loaded - built + run_s
        else:
            record, solve_s = _solve_legacy(opt, solver_name, arrays, lp, options)
            del arrays  # garbage now; Pyomo's objects refer to each other, so the collector frees them later
            run_s, extract_s, ranging_s = float("nan"), time.perf_counter() - built - solve_s, 0.0
    if not ranging:
        from .highs import RANGING_NOT_REQUESTED

        record.ranging_note = RANGING_NOT_REQUESTED
    record.timings = {
        "pyomo_build_s": built - started,
        "solve_s": solve_s,
        "run_s": run_s,
        "extract_s": extract_s,
        "ranging_s": ranging_s,
    }
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
# HiGHS through oreflow's direct interface
# ---------------------------------------------------------------------------------


def _via_pyomo(record: SolutionRecord, lp: LinearProgram, highs: Any) -> SolutionRecord:
    """A HighsModel's record of the compiled Pyomo model, said to come through Pyomo."""
    import pyomo.version

    # a row a model does not state (the expression form skips rows without terms or
    # bounds) reaches HiGHS empty: its activity is the LP's own
    record.row_value = lp.matrix @ record.col_value
    record.dual_method = record.dual_method.replace("HiGHS", "HiGHS via Pyomo", 1)
    record.solver = f"HiGHS {highs.version()} via Pyomo {pyomo.version.version} (oreflow's direct interface)"
    return record


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
        return _empty_record(lp, "error", f"{type(exc).__name__}: {exc}{_qp_hint(lp, name)}", name), solve_s
    solve_s = time.perf_counter() - mark

    termination = results.solver.termination_condition
    status = _status(termination)
    solver_status = str(getattr(termination, "name", termination))
    if status in ("error", "other"):
        solver_status += _qp_hint(lp, name)
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
                # some Pyomo wrappers drop the rc suffix; reduced cost = c - A'y (+ H v for a QP)
                col_dual = lp.cost - lp.matrix.rmatvec(row_dual)
                if lp.is_qp:
                    assert lp.hessian is not None
                    col_dual = col_dual + lp.hessian * col_value
    version = getattr(opt, "version", lambda: None)()
    version = ".".join(str(part) for part in version) if isinstance(version, tuple) else ""
    record = SolutionRecord(
        status=status,
        solver_status=solver_status,
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


def _qp_hint(lp: LinearProgram, name: str) -> str:
    """For a QP that a Pyomo solver could not solve: what the quadratic objective is, and the ways out."""
    if not lp.is_qp:
        return ""
    return (
        f" (the objective is quadratic, a QP: demand_form = 'linear'; Pyomo solver {name!r} may not take a "
        "quadratic objective: use solver 'highs' (the default), or demand_form 'steps' or 'linear_steps', an LP)"
    )


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
