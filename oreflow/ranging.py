"""Ranging and dual trust, re-exported from the ground floor (:mod:`oreflow.model.ranging`)."""

from oreflow.model.ranging import (
    COST_COLUMNS,
    NOT_UNIQUE,
    RHS_COLUMNS,
    UNDETERMINED,
    UNIQUE,
    DualTrust,
    allocation_changes_past,
    alternative_optimum,
    as_boolean,
    certified_unique,
    cost_ranging,
    degenerate_positions,
    dual_trust,
    dual_uniqueness,
    price_changes_past,
    ranging_tables,
    rhs_ranging,
    row_rhs,
)

__all__ = [
    "COST_COLUMNS", "NOT_UNIQUE", "RHS_COLUMNS", "UNDETERMINED", "UNIQUE", "DualTrust", "allocation_changes_past",
    "alternative_optimum", "as_boolean", "certified_unique", "cost_ranging", "degenerate_positions", "dual_trust",
    "dual_uniqueness", "price_changes_past", "ranging_tables", "rhs_ranging", "row_rhs",
]
