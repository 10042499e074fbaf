"""The exception types users catch, re-exported from the ground floor (:mod:`oreflow.model.errors`)."""

from oreflow.model.errors import InputError, Problem, SolveError

__all__ = ["InputError", "Problem", "SolveError"]
