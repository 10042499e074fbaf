"""Ranging and dual trust: over which interval each price and the allocation hold, and
whether the duals and the allocation are unique.

Built from a :class:`~oreflow.model.record.SolutionRecord` with whole-array operations
(no Python loop over the LP's rows or columns). Definitions, units and tolerances are
those of docs/conventions.md, sections "Ranging" and "Dual trust and degeneracy":

- ``ranging["costs"]``: per ore route, the interval of its unit cost (USD/t REO) over
  which the current allocation stays optimal, and the optimal cost at each end;
- ``ranging["rhs"]``: per constraint row, the interval of its right-hand side over which
  its shadow price holds (the family's reporting units), and the optimal cost at each end;
- ``dual_unique`` (per row): True when the current right-hand side lies strictly inside
  that interval (the price is the two-sided derivative of the optimal cost: unique),
  False when another optimal basis prices the row differently, <NA> when undetermined;
- ``alternative_optimum`` (per column): non-basic with a zero reduced cost (dual
  degeneracy), so another optimal allocation may use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .arrays import LinearProgram
from .conventions import BINDING_TOLERANCE, ZERO_TOLERANCE, clean, join_keys, row_names
from .families import ORE_ROUTES
from .record import BASIS_BASIC, RangingArrays, SolutionRecord

#: Columns of ``ranging["costs"]`` after the route's keys.
COST_COLUMNS = (
    "unit_cost_usd_per_t",
    "cost_lower_usd_per_t",
    "cost_upper_usd_per_t",
    "objective_at_lower_usd",
    "objective_at_upper_usd",
    "allocation_changes_at_lower",
    "allocation_changes_at_upper",
)
#: Columns of ``ranging["rhs"]``.
RHS_COLUMNS = (
    "family",
    "key",
    "rhs",
    "shadow_price",
    "rhs_lower",
    "rhs_upper",
    "objective_at_lower_usd",
    "objective_at_upper_usd",
    "price_changes_at_lower",
    "price_changes_at_upper",
    "binding",
)
#: Per-row codes of :func:`dual_uniqueness`; ordered so that "all of several" is their minimum.
NOT_UNIQUE, UNDETERMINED, UNIQUE = 0, 1, 2
#: How many names a dual-trust summary lists before "...".
NAMES_SHOWN = 5


# ---------------------------------------------------------------------------------
# Ranging tables
# ---------------------------------------------------------------------------------


def ranging_tables(lp: LinearProgram, record: SolutionRecord, binding: np.ndarray) -> dict[str, pd.DataFrame]:
    """``{"costs": ..., "rhs": ...}`` from ``record.ranging``; empty without ranging.

    ``binding`` is the per-row binding flag in LP row order (from the shadow-price tables).
    """
    if record.ranging is None:
        return {}
    return {"costs": cost_ranging(lp, record), "rhs": rhs_ranging(lp, record, binding)}


def cost_ranging(lp: LinearProgram, record: SolutionRecord) -> pd.DataFrame:
    """One row per ore route: its unit cost, the interval over which the allocation stays
    optimal (USD/t REO; +-inf where unlimited), the optimal total cost at each end (USD)
    and whether the optimal flows change past each end."""
    x = lp.columns[ORE_ROUTES].slice
    r = ranges_of(record)
    lower, upper = allocation_changes_past(lp, record)
    values = [
        clean(v[x]) for v in (lp.cost, r.cost_lower, r.cost_upper, r.cost_objective_lower, r.cost_objective_upper)
    ]
    return lp.columns[ORE_ROUTES].index.assign(**dict(zip(COST_COLUMNS, values + [lower[x], upper[x]])))


def rhs_ranging(lp: LinearProgram, record: SolutionRecord, binding: np.ndarray) -> pd.DataFrame:
    """One row per constraint row, families in LP order: family, key, rhs, the row's own
    shadow price, the rhs interval over which it holds, the optimal cost at each end and
    whether the price changes past each end.

    rhs, interval and price are in the family's reporting units (``lp.report_scale``:
    share limits in percentage points, the price per point).
    """
    r = ranges_of(record)
    scale = lp.row_report_scale
    lower, upper = price_changes_past(lp, record)
    with np.errstate(invalid="ignore"):
        columns = {
            "family": np.repeat(list(lp.rows), [len(b.index) for b in lp.rows.values()]),
            "key": np.concatenate([join_keys(b.index).to_numpy(dtype=object) for b in lp.rows.values()] or [[]]),
            "rhs": row_rhs(lp) * scale,
            "shadow_price": clean(record.row_dual / scale),
            "rhs_lower": clean(r.rhs_lower * scale),
            "rhs_upper": clean(r.rhs_upper * scale),
            "objective_at_lower_usd": r.rhs_objective_lower,
            "objective_at_upper_usd": r.rhs_objective_upper,
            "price_changes_at_lower": lower,
            "price_changes_at_upper": upper,
            "binding": np.asarray(binding, dtype=bool),
        }
    return pd.DataFrame(columns, columns=list(RHS_COLUMNS))


def ranges_of(record: SolutionRecord) -> RangingArrays:
    """``record.ranging``, which the caller has checked is there."""
    assert record.ranging is not None, "the record has no ranging"
    return record.ranging


def row_rhs(lp: LinearProgram) -> np.ndarray:
    """The right-hand side of every row in LP order (the bound its sense names)."""
    return np.where(lp.row_is_upper, lp.row_upper, lp.row_lower)


# ---------------------------------------------------------------------------------
# What changes past an end of an interval
# ---------------------------------------------------------------------------------


def price_changes_past(lp: LinearProgram, record: SolutionRecord) -> tuple[np.ndarray, np.ndarray]:
    """Per row, at its lower and at its upper rhs end: True where the price certainly
    changes once the rhs moves past that end.

    Past a finite end the basis changes: the price changes when no variable can enter
    (the LP turns infeasible) or the entering one has a non-zero reduced cost (the dual
    step is non-zero); with a zero reduced cost the next basis keeps the price, so it may
    hold beyond the end (False). False at an unlimited end.
    """
    r = ranges_of(record)
    reduced = np.concatenate([record.col_dual, record.row_dual])  # HiGHS's variable numbering

    def past(end: np.ndarray, enter: np.ndarray) -> np.ndarray:
        return np.isfinite(end) & ((enter < 0) | (np.abs(reduced[np.maximum(enter, 0)]) >= ZERO_TOLERANCE))

    return past(r.rhs_lower, r.rhs_enter_lower), past(r.rhs_upper, r.rhs_enter_upper)


def allocation_changes_past(lp: LinearProgram, record: SolutionRecord) -> tuple[np.ndarray, np.ndarray]:
    """Per column, at its lower and at its upper cost end: True where the optimal flows
    certainly change once the cost moves past that end.

    Past a finite end a variable enters the basis; the flows change when it can move
    (a non-degenerate pivot): a column rises (``col_rise``), a binding row's activity
    leaves its rhs by as much as its own rhs interval allows on that side. A zero step
    (primal degeneracy) changes the basis but not the flows (False). False at an
    unlimited end.
    """
    r = ranges_of(record)
    rhs = row_rhs(lp)
    with np.errstate(invalid="ignore"):
        step = np.concatenate([r.col_rise, np.where(lp.row_is_upper, rhs - r.rhs_lower, r.rhs_upper - rhs)])
        size = np.maximum(1.0, np.abs(np.concatenate([record.col_value, np.where(np.isinf(rhs), 0.0, rhs)])))

    def past(end: np.ndarray, enter: np.ndarray) -> np.ndarray:
        moved = np.maximum(enter, 0)
        with np.errstate(invalid="ignore"):
            return np.isfinite(end) & (enter >= 0) & (step[moved] > BINDING_TOLERANCE * size[moved])

    return past(r.cost_lower, r.cost_enter_lower), past(r.cost_upper, r.cost_enter_upper)


# ---------------------------------------------------------------------------------
# Per-row and per-column flags
# ---------------------------------------------------------------------------------


def dual_uniqueness(lp: LinearProgram, record: SolutionRecord, degenerate: int | None = None) -> np.ndarray:
    """Per row (LP order): UNIQUE, NOT_UNIQUE or UNDETERMINED (docs/conventions.md).

    With ranging, a row's price is UNIQUE when its rhs lies strictly inside its interval
    (neither end within BINDING_TOLERANCE x max(1, |rhs|) of it): the price is then the
    two-sided derivative of the optimal cost. At an end equal to the rhs the basis is
    optimal on one side only: NOT_UNIQUE when the price changes past that end
    (:func:`price_changes_past`: another basis, optimal at this very rhs, prices the row
    differently), UNDETERMINED when the next basis keeps it (later ones are not
    examined). Without ranging: all UNIQUE for a basis with no basic variable at a bound
    (a non-degenerate basis has unique duals), else all UNDETERMINED. ``degenerate``: the
    basis's :func:`degenerate_positions` when the caller has it already.
    """
    if record.ranging is None:
        if degenerate is None and record.has_basis:
            degenerate = degenerate_positions(lp, record)
        certain = record.has_basis and degenerate == 0
        return np.full(lp.n_rows, UNIQUE if certain else UNDETERMINED, dtype=np.int8)
    rhs = row_rhs(lp)
    tolerance = BINDING_TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isinf(rhs), 0.0, rhs)))
    codes = np.full(lp.n_rows, UNIQUE, dtype=np.int8)
    for end, changes in zip((record.ranging.rhs_lower, record.ranging.rhs_upper), price_changes_past(lp, record)):
        with np.errstate(invalid="ignore"):
            at_rhs = np.abs(end - rhs) <= tolerance
        codes = np.minimum(codes, np.where(at_rhs, np.where(changes, NOT_UNIQUE, UNDETERMINED), UNIQUE))
    return codes


def certified_unique(record: SolutionRecord, codes: np.ndarray) -> bool:
    """Every row's price certified unique (``unique_duals`` of a run's dual trust and of a
    sweep point, one meaning): an optimal basis and every code of :func:`dual_uniqueness`
    UNIQUE. With ranging that is each row's own check; without it, a non-degenerate basis."""
    return bool(record.has_basis and (codes == UNIQUE).all())


def as_boolean(codes: np.ndarray) -> pd.arrays.BooleanArray:
    """Uniqueness codes as a nullable boolean array: True, False, or <NA> where undetermined."""
    return pd.arrays.BooleanArray(codes == UNIQUE, codes == UNDETERMINED)


def alternative_optimum(lp: LinearProgram, record: SolutionRecord) -> np.ndarray:
    """Per column: non-basic (without a basis: at a bound) with a reduced cost reported as 0
    (|reduced cost| < ZERO_TOLERANCE): another optimal allocation may use it."""
    if record.has_basis:
        nonbasic = record.col_basis != BASIS_BASIC
    else:
        nonbasic = _at_bound(record.col_value, lp.col_lower, lp.col_upper)
    return nonbasic & (np.abs(record.col_dual) < ZERO_TOLERANCE)


def degenerate_positions(lp: LinearProgram, record: SolutionRecord) -> int:
    """How many basic variables, columns or row activities, sit at one of their bounds
    (primal degeneracy: the duals may then not be unique)."""
    columns = (record.col_basis == BASIS_BASIC) & _at_bound(record.col_value, lp.col_lower, lp.col_upper)
    rows = (record.row_basis == BASIS_BASIC) & _at_bound(record.row_value, lp.row_lower, lp.row_upper)
    return int(columns.sum() + rows.sum())


def _at_bound(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """True where ``value`` is within BINDING_TOLERANCE x max(1, |bound|) of a finite bound."""

    def near(bound: np.ndarray) -> np.ndarray:
        finite = np.isfinite(bound)
        gap = np.abs(value - np.where(finite, bound, 0.0))
        return finite & (gap <= BINDING_TOLERANCE * np.maximum(1.0, np.abs(np.where(finite, bound, 0.0))))

    return near(lower) | near(upper)


# ---------------------------------------------------------------------------------
# Dual trust
# ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DualTrust:
    """How far the duals and the allocation can be trusted (docs/conventions.md,
    "Dual trust and degeneracy").

    Attributes:
        method: how the duals were obtained ("simplex basis", "interior point with
            crossover", "solver duals", ...: ``Result.dual_method`` without the solver).
        has_basis: the duals come from an optimal basis.
        unique_duals: every row's price is certified unique (``dual_unique`` True on
            every row); False when any is not, or cannot be checked (no basis).
        unique_allocation: certified unique: no non-basic column or row has a zero
            reduced cost or price; False when one has, or it cannot be checked (no basis).
        degenerate_rows: basic variables (columns or row activities) at a bound: the
            positions of the basis that are primal degenerate; None without a basis.
        alternative_optima_columns: columns (ore routes, shipments, unmet demand) flagged
            ``alternative_optimum``.
        alternative_optima_rows: binding rows, non-basic, with a zero price (their slack
            could open at no cost); None without a basis.
        non_unique_prices: ``family[key]`` of each row whose price is not unique.
        undetermined_prices: ``family[key]`` of each row whose uniqueness is undetermined
            (empty without a basis, where every row's is).
        alternative_routes: ``origin/refiner`` of each ore route flagged ``alternative_optimum``.
        ranging: how the ranging was obtained, or why there is none.
    """

    method: str
    has_basis: bool
    unique_duals: bool
    unique_allocation: bool
    degenerate_rows: int | None
    alternative_optima_columns: int
    alternative_optima_rows: int | None
    non_unique_prices: tuple[str, ...]
    undetermined_prices: tuple[str, ...]
    alternative_routes: tuple[str, ...]
    ranging: str

    def as_dict(self) -> dict[str, object]:
        """Plain types for summary.json (tuples as lists)."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    def summary_line(self) -> str:
        """One line for the printed summary; a warning when the duals have no basis."""
        if not self.has_basis:
            return (
                f"WARNING: duals without a basis ({self.method}): whether they are unique cannot be checked "
                "and no ranging is given; treat the shadow prices with care"
            )
        return f"Duals: {self.method}; {self._duals_text()}; {self._allocation_text()}"

    def _duals_text(self) -> str:
        if self.unique_duals:
            return "unique"
        found = [f"not unique at {_names(self.non_unique_prices)}"] if self.non_unique_prices else []
        found += [f"possibly not unique at {_names(self.undetermined_prices)}"] if self.undetermined_prices else []
        rows = f"{self.degenerate_rows} degenerate row{'s' * (self.degenerate_rows != 1)}"
        verdict = "not unique" if self.non_unique_prices else "possibly not unique"
        return f"{verdict}: {rows}" + (f" (prices {'; '.join(found)})" if found else "")

    def _allocation_text(self) -> str:
        if self.unique_allocation:
            return "allocation unique"
        if self.alternative_routes:
            count = len(self.alternative_routes)
            return (
                f"alternative optimal allocations may exist on {count} route{'s' * (count != 1)} "
                f"({_names(self.alternative_routes)})"
            )
        return "alternative optimal shipments or slacks may exist (no ore route flagged)"


def dual_trust(
    lp: LinearProgram,
    record: SolutionRecord,
    codes: np.ndarray,
    column_alternative: np.ndarray,
    degenerate: int | None = None,
) -> DualTrust:
    """The :class:`DualTrust` of a solution, from its per-row uniqueness codes
    (:func:`dual_uniqueness`), per-column ``alternative_optimum`` flags and, when the
    caller has it, the basis's :func:`degenerate_positions`."""
    x = lp.columns[ORE_ROUTES]
    names = row_names(lp)
    basis = record.has_basis
    if basis and degenerate is None:
        degenerate = degenerate_positions(lp, record)
    return DualTrust(
        method=record.dual_method.split(" (", 1)[0],
        has_basis=basis,
        unique_duals=certified_unique(record, codes),
        unique_allocation=bool(basis and not column_alternative.any() and not _nonbasic_zero_price(record)),
        degenerate_rows=degenerate if basis else None,
        alternative_optima_columns=int(column_alternative.sum()),
        alternative_optima_rows=_nonbasic_zero_price(record) if basis else None,
        non_unique_prices=tuple(names[codes == NOT_UNIQUE]),
        undetermined_prices=tuple(names[codes == UNDETERMINED]) if basis else (),
        alternative_routes=tuple(join_keys(x.index)[column_alternative[x.slice]]),
        ranging=record.ranging_note,
    )


def _nonbasic_zero_price(record: SolutionRecord) -> int:
    """Rows whose activity is non-basic (binding) with a price reported as 0."""
    return int(((record.row_basis != BASIS_BASIC) & (np.abs(record.row_dual) < ZERO_TOLERANCE)).sum())


def _names(names: tuple[str, ...]) -> str:
    """The first NAMES_SHOWN names, comma-separated, "..." after them if there are more."""
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (", ..." if len(names) > NAMES_SHOWN else "")
