"""The array LP as a Pyomo model built from its CSC arrays: the model the pyomo backend solves.

:func:`build_array_model` states a :class:`~oreflow.model.arrays.LinearProgram` in Pyomo
without rule functions over tuple-keyed Sets, and without matching anything against the
network again (the LP's column blocks and row families already hold every policy):

- one Var per column block (``x``, ``s``, ``u``), indexed by the column's position in the
  block (0, 1, ...; ``lp.columns[block].index`` names each), bounds from ``col_lower`` /
  ``col_upper``;
- one Constraint per row family (``supply``, ``capacity``, ``balance``, ``demand``, and
  the policy families), indexed by the row's position in the family
  (``lp.rows[family].index`` names each), each row ``(row_lower, body, row_upper)`` with
  the body one ``LinearExpression`` of the row's nonzeros (a coefficient of 1 as the bare
  variable: no product term to build or walk);
- Objective ``total_cost`` = ``cost @ v`` (USD per year), minimised.

As in :func:`oreflow.model.pyomo_model.build_pyomo_model`, a row without terms or without
a finite bound is not generated (its dual is 0 and its slack basic). Both Pyomo models
state the same LP; tests/test_pyomo_backend.py solves each and compares objective, duals
and reduced costs with the array LP solved by HiGHS.

Why arrays rather than the readable twin (benchmarks/RESULTS.md, "Pyomo backend vs
idiomatic Pyomo"): no Sets of tuples, Params or per-row dict lookups to build, one flat
expression per row, and construction with Python's cyclic garbage collector paused
(Pyomo's own writers do the same: millions of new objects otherwise trigger full
collections that walk all of them, again and again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from .arrays import LinearProgram


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


def build_array_model(lp: LinearProgram) -> ArrayModel:
    """The LP ``lp`` as a Pyomo ConcreteModel built from its arrays (see the module docstring)."""
    with PauseGC():  # millions of new objects: the collector would walk them again and again
        m = pyo.ConcreteModel(name="oreflow allocation LP (array form)")
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

        # row-wise (CSR) view of the CSC matrix, each row's columns in ascending order; its
        # entries become Python numbers one row at a time (whole-matrix lists would be
        # garbage after the build, but their memory stays with the process)
        matrix = lp.matrix
        order = np.argsort(matrix.indices, kind="stable")
        cols = np.repeat(np.arange(lp.n_cols), np.diff(matrix.indptr))[order]
        coefs = matrix.data[order]
        starts = np.zeros(lp.n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(matrix.indices, minlength=lp.n_rows), out=starts[1:])
        starts = starts.tolist()
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
                body = [variables[j] if c == 1.0 else MonomialTermExpression((c, variables[j]))
                        for c, j in zip(coefs[a:b].tolist(), cols[a:b].tolist())]
                return (lower, LinearExpression(body), upper)

            return rule

        constraints: list = [None] * lp.n_rows
        for family in sorted(lp.rows.values(), key=lambda b: b.start):
            component = pyo.Constraint(pyo.RangeSet(0, len(family.index) - 1), rule=row(family.start, family.name))
            setattr(m, family.name, component)
            for i, con in component.items():
                constraints[family.start + i] = con

        cost = lp.cost.tolist()
        m.total_cost = pyo.Objective(
            expr=LinearExpression([MonomialTermExpression((c, v)) for c, v in zip(cost, variables) if c != 0.0]),
            sense=pyo.minimize,
        )
    return ArrayModel(m, variables, constraints)


__all__ = ["ArrayModel", "build_array_model"]
