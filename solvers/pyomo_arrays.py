"""The array LP as a Pyomo model built from its CSC arrays: the models the pyomo backend solves.

Both builders state a :class:`~oreflow.model.arrays.LinearProgram` in Pyomo without rule
functions over tuple-keyed Sets, and without matching anything against the network again
(the LP's column blocks and row families already hold every policy):

- one Var per column block (``x``, ``s``, ``u``), indexed by the column's position in the
  block (0, 1, ...; ``lp.columns[block].index`` names each), bounds from ``col_lower`` /
  ``col_upper``;
- one constraint component per row family (``supply``, ``capacity``, ``balance``,
  ``demand``, and the policy families), indexed by the row's position in the family
  (``lp.rows[family].index`` names each);
- Objective ``total_cost`` = ``cost @ v + offset`` (USD per year; for a QP, the
  ``linear`` demand form, also ``1/2 sum_j hessian_j v_j^2``), minimised.

The rows take one of two forms:

- :func:`build_array_model` (expression form, for any Pyomo solver): each row
  ``(row_lower, body, row_upper)`` with the body one ``LinearExpression`` of the row's
  nonzeros (a coefficient of 1 as the bare variable: no product term to build or walk);
- :func:`build_matrix_model` (matrix form, for oreflow's direct HiGHS interface): each
  family one :class:`MatrixRows` holding its rows of the CSR matrix, with no expression
  object per row or per coefficient.

In expression form, as in :func:`oreflow.model.pyomo_model.build_pyomo_model`, a row
without terms or without a finite bound is not generated (its dual is 0 and its slack
basic); the matrix form states every row. All Pyomo models state the same LP;
tests/test_pyomo_backend.py reads each back through Pyomo's standard representation and
solves each, comparing objective, duals and reduced costs with the array LP solved by HiGHS.

Why arrays rather than the readable twin (benchmarks/RESULTS.md, "Pyomo backend vs
idiomatic Pyomo"): no Sets of tuples, Params or per-row dict lookups to build, one flat
expression per row (expression form) or none (matrix form), and construction with
Python's cyclic garbage collector paused
(Pyomo's own writers do the same: millions of new objects otherwise trigger full
collections that walk all of them, again and again).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.base.matrix_constraint import MatrixConstraint
from pyomo.core.expr.numeric_expr import (
    LinearExpression,
    MonomialTermExpression,
    PowExpression,
    ProductExpression,
    SumExpression,
)

from oreflow.model.arrays import LinearProgram


@dataclass
class ArrayModel:
    """A Pyomo model of an LP with its variables and constraints in the LP's order.

    ``constraints[i]`` is the ConstraintData of LP row ``i``, or None where the row is not
    generated (no terms, or no finite bound).
    """

    model: pyo.ConcreteModel
    variables: list
    constraints: list


def _bounds(values: np.ndarray) -> list:
    """Python floats, with None for an infinite bound (Pyomo's "no bound")."""
    return [None if math.isinf(v) else v for v in values.tolist()]


def _variables(m: pyo.ConcreteModel, lp: LinearProgram) -> list:
    """One Var per column block of ``lp`` on ``m``, indexed by position; all VarData in LP order."""
    variables: list = []
    for block in sorted(lp.columns.values(), key=lambda b: b.start):
        lower, upper = lp.col_lower[block.slice], lp.col_upper[block.slice]
        index = pyo.RangeSet(0, len(block.index) - 1)
        if np.all(lower == 0) and np.all(np.isinf(upper)):
            var = pyo.Var(index, within=pyo.NonNegativeReals)
        else:
            lo, up = _bounds(lower), _bounds(upper)
            var = pyo.Var(index, bounds=lambda _, i, lo=lo, up=up: (lo[i], up[i]))
        setattr(m, block.name, var)
        variables += var.values()
    return variables


def _row_wise(lp: LinearProgram) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSC matrix row-wise (CSR): row starts, columns (ascending within a row), coefficients."""
    matrix = lp.matrix
    order = np.argsort(matrix.indices, kind="stable")
    cols = np.repeat(np.arange(lp.n_cols, dtype=np.int32), np.diff(matrix.indptr))[order]
    starts = np.zeros(lp.n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(matrix.indices, minlength=lp.n_rows), out=starts[1:])
    return starts, cols, matrix.data[order]


def _objective(lp: LinearProgram, variables: list) -> pyo.Objective:
    """``total_cost = cost @ v + offset`` (USD per year; the constant a term in the
    ``LinearExpression``), and for a QP ``+ 1/2 h_j v_j^2`` per column with a non-zero
    ``hessian`` entry (one ``SumExpression`` of the linear part and those terms); minimised."""
    cost = lp.cost.tolist()
    terms: list = [MonomialTermExpression((c, v)) for c, v in zip(cost, variables) if c != 0.0]
    if lp.offset != 0.0:
        terms.append(lp.offset)
    expr = LinearExpression(terms)
    if lp.is_qp:
        assert lp.hessian is not None
        columns = np.flatnonzero(lp.hessian)
        halves = (0.5 * lp.hessian[columns]).tolist()
        squares = [ProductExpression((h, PowExpression((variables[j], 2)))) for h, j in zip(halves, columns.tolist())]
        expr = SumExpression([expr, *squares])
    return pyo.Objective(expr=expr, sense=pyo.minimize)


def build_array_model(lp: LinearProgram) -> ArrayModel:
    """The LP ``lp`` as a Pyomo ConcreteModel built from its arrays, each row an expression
    (see the module docstring)."""
    with PauseGC():  # millions of new objects: the collector would walk them again and again
        m = pyo.ConcreteModel(name="oreflow allocation LP (array form)")
        variables = _variables(m, lp)

        # each row's entries become Python numbers one row at a time (whole-matrix lists
        # would be garbage after the build, but their memory stays with the process)
        starts_array, cols, coefs = _row_wise(lp)
        starts = starts_array.tolist()
        row_lower, row_upper = _bounds(lp.row_lower), _bounds(lp.row_upper)

        def row(offset: int, name: str):
            def rule(_, i: int):
                r = offset + i
                a, b = starts[r], starts[r + 1]
                lower, upper = row_lower[r], row_upper[r]
                if a == b:
                    if (lower is not None and lower > 0.0) or (upper is not None and upper < 0.0):
                        raise ValueError(f"{name}[{i}]: a row without terms cannot hold ({lower} <= 0 <= {upper})")
                    return pyo.Constraint.Skip
                if lower is None and upper is None:
                    return pyo.Constraint.Skip
                body = [
                    variables[j] if c == 1.0 else MonomialTermExpression((c, variables[j]))
                    for c, j in zip(coefs[a:b].tolist(), cols[a:b].tolist())
                ]
                return (lower, LinearExpression(body), upper)

            return rule

        constraints: list = [None] * lp.n_rows
        for family in sorted(lp.rows.values(), key=lambda b: b.start):
            component = pyo.Constraint(pyo.RangeSet(0, len(family.index) - 1), rule=row(family.start, family.name))
            setattr(m, family.name, component)
            for i, con in component.items():
                constraints[family.start + i] = con
        m.total_cost = _objective(lp, variables)
    return ArrayModel(m, variables, constraints)


class MatrixRows(MatrixConstraint):
    """Pyomo's ``MatrixConstraint`` (rows ``lb <= A x <= ub`` held as CSR arrays, no
    expression per row), with the ``keys``/``values``/``items`` signature Pyomo's block
    iteration calls (``component_data_objects`` passes a ``sort`` argument, which
    ``MatrixConstraint`` 6.10 does not accept)."""

    def keys(self, sort: object = None) -> Iterator[int]:
        return iter(range(len(self)))

    def values(self, sort: object = None) -> Iterator:
        return (self[i] for i in range(len(self)))

    def items(self, sort: object = None) -> Iterator[tuple]:
        return ((i, self[i]) for i in range(len(self)))


def build_matrix_model(lp: LinearProgram) -> ArrayModel:
    """The LP ``lp`` as a Pyomo ConcreteModel in matrix form: the Vars of
    :func:`build_array_model`, and per row family one :class:`MatrixRows` holding that
    family's rows of the CSR matrix and its row bounds (every LP row, none skipped: a row
    is never built as an expression). The objective is the same expression.

    Per-row expressions are what Pyomo models spend most memory on (an object per
    coefficient other than 1); here the rows take the arrays' 12 bytes per nonzero. Only
    a solver interface that reads these arrays can solve it (:mod:`oreflow.solvers.pyomo_highs`);
    Pyomo 6.10's own writers and HiGHS interface cannot (they ask each row for an expression).
    """
    with PauseGC():
        m = pyo.ConcreteModel(name="oreflow allocation LP (matrix form)")
        variables = _variables(m, lp)
        columns = tuple(variables)
        starts, cols, coefs = _row_wise(lp)
        row_lower, row_upper = _bounds(lp.row_lower), _bounds(lp.row_upper)
        constraints: list = []
        for family in sorted(lp.rows.values(), key=lambda b: b.start):
            a, b = starts[family.start], starts[family.stop]
            component = MatrixRows(
                coefs[a:b],
                cols[a:b],
                starts[family.start : family.stop + 1] - a,
                row_lower[family.start : family.stop],
                row_upper[family.start : family.stop],
                columns,
            )
            setattr(m, family.name, component)
            constraints += component.values()
        m.total_cost = _objective(lp, variables)
    return ArrayModel(m, variables, constraints)


__all__ = ["ArrayModel", "MatrixRows", "build_array_model", "build_matrix_model"]
