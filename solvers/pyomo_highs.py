"""A direct HiGHS interface for linear Pyomo models and diagonal QPs: compiled to arrays, passed in one call.

Pyomo's own HiGHS interface (``pyomo.contrib.solver``'s ``highs``) is *persistent*: it
keeps, for every variable and constraint, Python bookkeeping so that a model can be
changed and re-solved (per variable a list, two dicts and a tuple). For one solve of a
large LP that bookkeeping cost about 100 MB at 1e5 variables, as much as the model
itself (benchmarks/RESULTS.md, "Pyomo backend vs idiomatic Pyomo"). This interface does
what Pyomo's ``gurobi_direct`` does for Gurobi: it reads the model once into arrays
(cost, bounds, a row-wise matrix), hands them to highspy in one ``passModel`` call and
keeps nothing else.

What it reads, in the caller's column and row order (``variables``, ``constraints``):

- each variable's bounds; every variable must be continuous (a MIP is refused, not
  relaxed);
- each constraint's bounds and body:
  - a row of a :class:`oreflow.solvers.pyomo_arrays.MatrixRows` (Pyomo's
    ``MatrixConstraint`` with the block iteration Pyomo 6.10 needs; the plain class fails
    in that iteration) straight from its CSR arrays, with no expression built;
  - a ``LinearExpression`` body from its terms (a variable, or a
    ``MonomialTermExpression`` coefficient x variable);
  - any other body through Pyomo's ``generate_standard_repn``, which must find it linear;
  - a body's constant moves to the bounds; a variable repeated within a row gets the sum
    of its coefficients;
- the one active objective, minimised or maximised: linear, or with a quadratic part whose
  Hessian is diagonal (terms ``c v_j^2`` only: the ``linear`` demand form's QP), passed to
  HiGHS as its diagonal (:func:`oreflow.solvers.highs.pass_hessian`); a product of two
  different variables, a non-convex term (a negative ``c`` when minimising, a positive one
  when maximising) or anything beyond degree 2 raises :class:`ValueError`. A linear
  objective is read as fast as before: a ``LinearExpression`` (constants among its terms
  included) in one loop, and only a quadratic objective's other terms through Pyomo's
  ``generate_standard_repn``.

A fixed variable is a constant wherever it appears (as in Pyomo's standard
representation): its terms move to the bounds and the objective's constant, and its
column keeps both bounds at its value (reduced cost 0).

A ``None`` in ``constraints`` is a row the model does not state; it goes to HiGHS as an
empty free row, so that HiGHS's rows keep the caller's positions. Every active
constraint of the model must be in ``constraints``, and every variable a body uses in
``variables``: otherwise :class:`ValueError` names the first one missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.matrix_constraint import MatrixConstraint
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression, SumExpression
from pyomo.core.expr.numvalue import native_numeric_types
from pyomo.core.expr.numvalue import value as pyomo_value
from pyomo.repn import generate_standard_repn

from .highs import pass_arrays, pass_hessian

INF = math.inf


@dataclass
class CompiledModel:
    """A linear Pyomo model as arrays, in the caller's column and row order.

    ``starts``/``index``/``value`` are the row-wise (CSR) matrix; ``objective_offset`` is
    the objective's constant (USD); ``maximise`` is the objective's sense; ``hessian`` the
    diagonal of the objective's quadratic term 1/2 v'Hv (None: a linear objective).
    """

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    objective_offset: float
    maximise: bool
    hessian: np.ndarray | None = None


def _bound(value: Any, missing: float) -> float:
    return missing if value is None else float(pyomo_value(value))


def compile_model(model: Any, variables: list, constraints: list) -> CompiledModel:
    """Read ``model`` into arrays: columns in the order of ``variables``, rows in the order of
    ``constraints`` (see the module docstring)."""
    position = {id(v): j for j, v in enumerate(variables)}
    n, m = len(variables), len(constraints)
    continuous = np.fromiter((v.is_continuous() for v in variables), dtype=bool, count=n)
    if not continuous.all():
        name = variables[int(np.argmin(continuous))].name
        raise ValueError(f"variable {name} is not continuous; the HiGHS interface solves LPs only")
    fixed = np.fromiter((v.fixed for v in variables), dtype=bool, count=n)
    fixed_value = np.zeros(n)
    col_lower = np.fromiter((-INF if v.lb is None else v.lb for v in variables), dtype=float, count=n)
    col_upper = np.fromiter((INF if v.ub is None else v.ub for v in variables), dtype=float, count=n)
    if fixed.any():
        fixed_value[fixed] = [variables[j].value for j in np.flatnonzero(fixed)]
        col_lower[fixed] = col_upper[fixed] = fixed_value[fixed]

    stated = {id(con) for con in constraints if con is not None}
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        if id(con) not in stated:
            raise ValueError(f"constraint {con.name} is active in the model but not among the rows to solve")
    for sos in model.component_data_objects(pyo.SOSConstraint, active=True, descend_into=True):
        raise ValueError(f"{sos.name} is an SOS constraint; the HiGHS interface solves LPs only")

    folding = _Folding(fixed, fixed_value) if fixed.any() else None
    row_lower, row_upper = np.full(m, -INF), np.full(m, INF)
    lengths = np.zeros(m, dtype=np.int64)
    pieces_index: list[np.ndarray] = []
    pieces_value: list[np.ndarray] = []
    x_columns: dict[int, np.ndarray] = {}  # a matrix constraint's x list -> our columns, once per list
    for i, con in enumerate(constraints):
        if con is None:
            continue
        columns, coefs, constant = _row(con, position, x_columns, folding)
        lengths[i] = len(columns)
        pieces_index.append(columns)
        pieces_value.append(coefs)
        row_lower[i] = _bound(con.lower, -INF) - constant
        row_upper[i] = _bound(con.upper, INF) - constant
    index = np.concatenate(pieces_index) if pieces_index else np.zeros(0, dtype=np.int64)
    value = np.concatenate(pieces_value) if pieces_value else np.zeros(0)
    starts, index, value = _merge_repeats(lengths, index, value, n)

    objectives = list(model.component_data_objects(pyo.Objective, active=True, descend_into=True))
    if len(objectives) != 1:
        raise ValueError(f"the model has {len(objectives)} active objectives; one is needed")
    objective = objectives[0]
    maximise = objective.sense == pyo.maximize
    cost = np.zeros(n)
    columns, coefs, offset, hessian = _objective_terms(objective.expr, position, objective.name, n, maximise)
    np.add.at(cost, columns, coefs)
    return CompiledModel(
        cost, col_lower, col_upper, row_lower, row_upper, starts, index, value, offset, maximise, hessian
    )


@dataclass
class _Folding:
    """Fixed columns (mask) and their values: their matrix-row terms become constants."""

    fixed: np.ndarray
    value: np.ndarray

    def apply(self, columns: np.ndarray, coefs: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        held = self.fixed[columns]
        if not held.any():
            return columns, coefs, 0.0
        return columns[~held], coefs[~held], float(coefs[held] @ self.value[columns[held]])


def _merge_repeats(
    lengths: np.ndarray, index: np.ndarray, value: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row starts, columns and coefficients with each column at most once per row (HiGHS
    refuses repeats): repeated entries summed. Rows whose columns ascend (the matrix
    model's, built from sorted CSR) are checked in one pass and kept as they are."""
    m = len(lengths)
    starts = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    if len(index) < 2:
        return starts, index, value
    new_row = np.zeros(len(index), dtype=bool)
    new_row[starts[:-1][lengths > 0]] = True
    if np.all((np.diff(index) > 0) | new_row[1:]):
        return starts, index, value
    rows = np.repeat(np.arange(m, dtype=np.int64), lengths)
    keys, inverse = np.unique(rows * n + index, return_inverse=True)
    merged = np.bincount(inverse, weights=value, minlength=len(keys))
    np.cumsum(np.bincount(keys // n, minlength=m), out=starts[1:])
    return starts, keys % n, merged


def _row(con: Any, position: dict, x_columns: dict, folding: _Folding | None) -> tuple[np.ndarray, np.ndarray, float]:
    """Columns, coefficients and constant of one constraint's body."""
    parent = con.parent_component()
    if isinstance(parent, MatrixConstraint):  # a row of a matrix constraint: its CSR slice
        key = id(parent._x)
        if key not in x_columns:
            x_columns[key] = _columns_of(parent._x, position, con.name)
        a, b = parent._A_indptr[con.index()], parent._A_indptr[con.index() + 1]
        columns = x_columns[key][parent._A_indices[a:b]]
        coefs = np.asarray(parent._A_data[a:b], dtype=float)
        return folding.apply(columns, coefs) if folding is not None else (columns, coefs, 0.0)
    return _linear_terms(con.body, position, con.name)


def _columns_of(variables: Any, position: dict, where: str) -> np.ndarray:
    try:
        return np.fromiter((position[id(v)] for v in variables), dtype=np.int64, count=len(variables))
    except KeyError:
        missing = next(v for v in variables if id(v) not in position)
        raise ValueError(f"{where} uses variable {missing.name}, which is not among the columns") from None


def _linear_terms(expr: Any, position: dict, where: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Columns, coefficients and constant of a linear expression (fast for ``LinearExpression``)."""
    if type(expr) is LinearExpression:
        variables, coefs, constant = [], [], 0.0
        for term in expr.args:
            if type(term) is MonomialTermExpression:
                coef, var = term.args
                coefs.append(pyomo_value(coef))
                variables.append(var)
            elif getattr(term, "is_variable_type", lambda: False)():
                coefs.append(1.0)
                variables.append(term)
            elif type(term) in native_numeric_types:  # a constant (the objective's offset)
                constant += term
            else:
                break
        else:
            fixed = [k for k, v in enumerate(variables) if v.fixed]
            for k in reversed(fixed):  # a fixed variable is a constant
                constant += coefs.pop(k) * variables.pop(k).value
            return _columns_of(variables, position, where), np.asarray(coefs, dtype=float), constant
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    if not repn.is_linear():
        raise ValueError(f"{where} is not linear; the HiGHS interface solves LPs only")
    return (
        _columns_of(repn.linear_vars, position, where),
        np.asarray(repn.linear_coefs, dtype=float),
        float(pyomo_value(repn.constant)),
    )


def _objective_terms(
    expr: Any, position: dict, where: str, n: int, maximise: bool
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
    """Columns, coefficients, constant and Hessian diagonal (None: linear) of an objective.

    A ``LinearExpression`` takes :func:`_linear_terms`' fast path (the LP case, unchanged).
    A ``SumExpression`` (the array models' QP objective: their ``LinearExpression`` and one
    term per squared column) has its ``LinearExpression`` parts read the same way and only
    the rest through ``generate_standard_repn(quadratic=True)``; any other expression
    wholly through it.
    """
    if type(expr) is LinearExpression:
        columns, coefs, constant = _linear_terms(expr, position, where)
        return columns, coefs, constant, None
    parts = list(expr.args) if type(expr) is SumExpression else [expr]
    linear = [part for part in parts if type(part) is LinearExpression]
    rest = [part for part in parts if type(part) is not LinearExpression]
    pieces = [_linear_terms(part, position, where) for part in linear]
    hessian = None
    if rest:
        repn = generate_standard_repn(SumExpression(rest), compute_values=True, quadratic=True)
        if repn.nonlinear_expr is not None:
            raise ValueError(f"{where} is neither linear nor quadratic; the HiGHS interface solves LPs and QPs only")
        pieces.append(
            (
                _columns_of(repn.linear_vars, position, where),
                np.asarray(repn.linear_coefs, dtype=float),
                float(pyomo_value(repn.constant)),
            )
        )
        if repn.quadratic_vars:
            hessian = _diagonal_hessian(repn.quadratic_vars, repn.quadratic_coefs, position, where, n, maximise)
    columns = np.concatenate([p[0] for p in pieces]) if pieces else np.zeros(0, dtype=np.int64)
    coefs = np.concatenate([p[1] for p in pieces]) if pieces else np.zeros(0)
    return columns, coefs, float(sum(p[2] for p in pieces)), hessian


def _diagonal_hessian(pairs: Any, coefs: Any, position: dict, where: str, n: int, maximise: bool) -> np.ndarray:
    """The diagonal H of the quadratic terms ``c v_i v_j`` (as 1/2 v'Hv: H_jj = 2 c); ValueError
    for a term in two different variables or a Hessian that is not convex (concave when maximising)."""
    for (first, second), coef in zip(pairs, coefs):
        if first is not second and coef != 0:
            raise ValueError(
                f"{where} has the quadratic term {coef} * {first.name} * {second.name} of two different "
                "variables; the HiGHS interface takes a quadratic objective with a diagonal Hessian only "
                "(terms c * v**2)"
            )
    variables = [first for first, _ in pairs]
    columns = _columns_of(variables, position, where)
    hessian = np.zeros(n)
    np.add.at(hessian, columns, 2.0 * np.asarray(coefs, dtype=float))
    wrong = hessian > 0 if maximise else hessian < 0
    if wrong.any():
        j = int(np.flatnonzero(wrong)[0])
        name = variables[int(np.flatnonzero(columns == j)[0])].name
        raise ValueError(
            f"{where}: the quadratic term {hessian[j] / 2} * {name}**2 is not "
            f"{'concave (maximising)' if maximise else 'convex (minimising)'}; HiGHS solves convex QPs only"
        )
    return hessian


def pass_compiled(h: Any, lp: CompiledModel, *, held_out_offset: float = 0.0) -> None:
    """Hand the compiled model to HiGHS in one call (row-wise matrix), then the diagonal of
    a quadratic objective's Hessian when it has one.

    ``held_out_offset`` is kept out of the objective's constant HiGHS gets: the part the
    caller adds back to what HiGHS reports. :class:`~oreflow.solvers.highs.HighsModel`
    adds ``lp.offset`` (HiGHS holds no constant of the array LP: its IIS search crashed on
    an LP with one), so the pyomo backend passes ``held_out_offset=lp.offset``.
    """
    pass_arrays(
        h,
        lp.cost,
        lp.col_lower,
        lp.col_upper,
        lp.row_lower,
        lp.row_upper,
        lp.starts,
        lp.index,
        lp.value,
        rowwise=True,
        offset=lp.objective_offset - held_out_offset,
        maximise=lp.maximise,
    )
    if lp.hessian is not None and lp.hessian.any():
        pass_hessian(h, lp.hessian)


__all__ = ["CompiledModel", "compile_model", "pass_compiled"]
