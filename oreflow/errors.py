"""The exception types users catch, re-exported from the ground floor (:mod:`oreflow.model.errors`)."""

from oreflow.model.errors import DatasetWarning, InputError, InputWarning, Problem, SolveError

__all__ = ["DatasetWarning", "InputError", "InputWarning", "Problem", "SolveError"]
