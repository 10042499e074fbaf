"""Backends that solve the LP and return one :class:`SolutionRecord`.

- ``highs``: highspy directly, the arrays of :class:`~oreflow.model.lp.LinearProgram`
  passed in one call.
- ``pyomo``: a Pyomo model of the same LP built from its arrays
  (:mod:`oreflow.solvers.pyomo_arrays`; the readable twin for users is
  :func:`oreflow.model.pyomo_model.build_pyomo_model`, and tests hold both equal to the
  arrays): with ``highs`` (the default) in matrix form through oreflow's direct HiGHS
  interface (:mod:`.pyomo_highs`), with any other Pyomo solver name in expression form
  through Pyomo; duals and reduced costs read back into the LP's row and column order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oreflow.model.arrays import LinearProgram
from oreflow.model.errors import InputError, Problem
from oreflow.model.record import SolutionRecord

BACKENDS = ("highs", "pyomo")


def solve_lp(
    lp: LinearProgram,
    backend: str = "highs",
    solver: str | None = None,
    options: Mapping[str, Any] | None = None,
    ranging: bool = True,
) -> SolutionRecord:
    """Solve the assembled LP ``lp`` with ``backend``; with
    ``ranging`` also range the optimal basis (docs/conventions.md, "Ranging")."""
    if backend == "highs":
        from .highs import solve_highs

        if solver not in (None, "highs"):
            raise InputError(
                Problem("solve", None, "solver", solver, "no solver name with backend 'highs' (or 'highs')", "backend")
            )
        return solve_highs(lp, options, ranging)
    if backend == "pyomo":
        from .pyomo_backend import solve_pyomo

        return solve_pyomo(lp, solver or "highs", options, ranging)
    raise InputError(Problem("solve", None, "backend", backend, f"one of {', '.join(BACKENDS)}", "backend"))


__all__ = ["BACKENDS", "SolutionRecord", "solve_lp"]
