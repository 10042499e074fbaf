"""The ``pyomo`` backend: the Pyomo twin of the LP solved through a Pyomo solver.

The model comes from :func:`oreflow.model.pyomo_model.build_pyomo_model`, with the
same unmet-demand penalties as the array LP, so its objective coefficients equal
``lp.cost`` (checked). Values, duals and reduced costs are read back into the LP's
column and row order; rows the Pyomo model skips (infinite right-hand side, no terms)
get dual 0, and row activities are ``lp.matrix @ col_value``.

- ``solver_name="highs"``: Pyomo's HiGHS interface
  (``pyomo.contrib.solver.common.factory.SolverFactory("highs")``), options checked
  against HiGHS first so an unknown option raises :class:`~oreflow.errors.InputError`.
  Duals and reduced costs are HiGHS's own (``row_dual``/``col_dual``), which for a
  minimisation already follow oreflow's convention (change of the optimal cost per unit
  increase of the right-hand side: a binding ``<=`` row is negative, a binding ``>=``
  row positive); the basis is read from the underlying highspy object.
- any other name: ``pyomo.environ.SolverFactory(name)`` with ``dual`` and ``rc``
  import suffixes; options are passed through unchecked; no basis information.
  Pyomo reports suffix duals of a minimisation with the same sign convention.

Ranging (``record.ranging``): with ``highs``, the LP arrays are loaded into a fresh HiGHS,
the basis read back from Pyomo's HiGHS is set, confirmed optimal by a simplex run of no
iteration, and ranged (:func:`oreflow.solvers.highs.range_basis`); any other solver gives
no basis, so no ranging, and ``record.ranging_note`` says so.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from oreflow.errors import InputError, Problem
from oreflow.model.lp import LinearProgram
from oreflow.model.network import Network

from .record import BASIS_BASIC, BASIS_UNKNOWN, SolutionRecord, describe_duals


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
    network: Network, lp: LinearProgram, solver_name: str = "highs", options: Mapping[str, Any] | None = None
) -> SolutionRecord:
    """Solve the Pyomo model of ``network`` with ``solver_name``; results in ``lp``'s order.

    Raises InputError for an unknown HiGHS option or an unknown/unavailable solver.
    """
    started = time.perf_counter()
    options = dict(options or {})
    if solver_name == "highs":
        _check_highs_options(options)
    else:
        opt = _legacy_solver(solver_name)

    from oreflow.model.pyomo_model import build_pyomo_model

    model = build_pyomo_model(network, lp.cost_terms["unmet_penalty"]["u"])
    variables = _columns_in_lp_order(model, lp)
    constraints = _rows_in_lp_order(model, lp)
    _check_objective(model, variables, lp)
    built = time.perf_counter()

    if solver_name == "highs":
        record, solve_s = _solve_highs(model, variables, constraints, lp, options)
    else:
        record, solve_s = _solve_legacy(opt, solver_name, model, variables, constraints, lp, options)
    extract_s = time.perf_counter() - built - solve_s
    record.timings = {"pyomo_build_s": built - started, "solve_s": solve_s, "extract_s": extract_s}
    return record


# ---------------------------------------------------------------------------------
# Model <-> LP order
# ---------------------------------------------------------------------------------


def _columns_in_lp_order(model: Any, lp: LinearProgram) -> list:
    """VarData of ``x``, ``s``, ``u`` in LP column order (their index sets are that order)."""
    from oreflow.model.pyomo_model import index_keys

    variables: list = []
    for name in ("x", "s", "u"):
        component = getattr(model, name)
        if list(component.index_set()) != index_keys(lp.columns[name].index):
            raise RuntimeError(f"Pyomo variable {name!r} is not indexed like LP column block {name!r}")
        variables += list(component.values())
    return variables


def _rows_in_lp_order(model: Any, lp: LinearProgram) -> list:
    """ConstraintData (None where the model skips the row) in LP row order."""
    from oreflow.model.pyomo_model import index_keys

    rows: list = []
    for family in lp.rows:
        component = getattr(model, family)
        keys = list(component.index_set())
        index = lp.rows[family].index
        expected = index_keys(index[["quota"]] if family == "quota" else index)
        if keys != expected:
            raise RuntimeError(f"Pyomo constraint {family!r} is not indexed like LP row family {family!r}")
        present = dict(component.items())
        rows += [present.get(key) for key in keys]
    return rows


def _check_objective(model: Any, variables: list, lp: LinearProgram) -> None:
    """The Pyomo objective's coefficients must be ``lp.cost`` (the two models are twins)."""
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(model.total_cost.expr, quadratic=False)
    position = {id(v): i for i, v in enumerate(variables)}
    cost = np.zeros(lp.n_cols)
    cols = np.fromiter((position[id(v)] for v in repn.linear_vars), dtype=np.int64, count=len(repn.linear_vars))
    np.add.at(cost, cols, np.asarray(repn.linear_coefs, dtype=float))
    if not np.allclose(cost, lp.cost, rtol=1e-12, atol=0.0):
        worst = int(np.argmax(np.abs(cost - lp.cost)))
        raise RuntimeError(
            f"Pyomo objective differs from the LP cost at column {worst} ({variables[worst].name}): "
            f"{cost[worst]!r} != {lp.cost[worst]!r}"
        )


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


def _solve_highs(
    model: Any, variables: list, constraints: list, lp: LinearProgram, options: dict[str, Any]
) -> tuple[SolutionRecord, float]:
    import pyomo.version
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.util import NoDualsError, NoReducedCostsError, NoSolutionError

    from .highs import effective_options, range_basis

    opt = SolverFactory("highs")
    solver_options = effective_options(lp, options)
    mark = time.perf_counter()
    results = opt.solve(
        model,
        tee=bool(solver_options.get("output_flag")),
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
        solver_options=solver_options,
    )
    solve_s = time.perf_counter() - mark

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
    range_basis(lp, record)
    return record, solve_s


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
    model: Any,
    variables: list,
    constraints: list,
    lp: LinearProgram,
    options: dict[str, Any],
) -> tuple[SolutionRecord, float]:
    import pyomo.environ as pyo
    import pyomo.version

    from .highs import no_ranging_reason

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
