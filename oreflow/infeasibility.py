"""Explaining an infeasible LP, re-exported from the ground floor (:mod:`oreflow.model.infeasibility`)."""

from oreflow.model.infeasibility import InfeasibilityReport, column_name, explain, move_text, row_name

__all__ = ["InfeasibilityReport", "column_name", "explain", "move_text", "row_name"]
