"""Explaining an infeasible LP, re-exported from the ground floor (:mod:`oreflow.model.infeasibility`),
and the report of an infeasible solve's record (:func:`report_of`)."""

from __future__ import annotations

from oreflow.model.arrays import LinearProgram
from oreflow.model.infeasibility import InfeasibilityReport, column_name, explain, move_text, row_name
from oreflow.model.record import SolutionRecord

__all__ = ["InfeasibilityReport", "column_name", "explain", "move_text", "report_of", "row_name"]


def report_of(lp: LinearProgram, record: SolutionRecord) -> InfeasibilityReport:
    """The conflicting constraints of an infeasible ``record`` of ``lp``, named: the solver's
    irreducible subset when it gave one, else one searched for with HiGHS."""
    rows, cols, moves = record.iis_rows, record.iis_cols, record.iis_moves
    if rows is None:
        from oreflow.solvers.highs import infeasible_subset_of

        rows, cols, moves = infeasible_subset_of(lp)
    return explain(lp, rows, cols, moves)
