"""The domain and its LP: input tables and validation, vectorised LP assembly, Pyomo twin."""

from .network import Network, load_inputs

__all__ = ["Network", "load_inputs"]
