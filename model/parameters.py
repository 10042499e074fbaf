"""Inputs whose change moves only the LP's costs and right-hand sides, never its structure.

A sweep point that only sets or scales such inputs re-solves the LP already loaded in
HiGHS: :func:`updated_lp` recomputes just the affected pieces of the arrays with the same
functions :func:`~oreflow.model.lp.build_lp` uses (so the result equals a full rebuild,
which tests/test_sweep.py checks for every entry of :data:`IN_PLACE`), and
:func:`check_changed` re-checks what such a change can break: the changed cells, and the
few dataset rules of :data:`DATASET_RULES`. Anything else is rebuilt and revalidated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from .arrays import Block, LinearProgram, RowFamily, row_bounds, total_cost
from .checks import (
    check_contract_bounds,
    check_demand_curves,
    check_demand_is_producible,
    check_min_shares_can_be_served,
    check_share_limits,
)
from .errors import Problem
from .families import (
    BLOCKS,
    COST_TERMS,
    FAMILIES,
    BlockSpec,
    CostTermSpec,
    FamilySpec,
    coefficient_inputs,
    in_place_inputs,
)
from .market import MarketOptions, as_options
from .network import Network
from .reading import check_numbers, with_lines
from .tables import TABLES, TABLES_BY_NAME

#: (table, column) -> the LP pieces its value feeds (read from the registry,
#: :func:`oreflow.model.families.in_place_inputs`).
IN_PLACE: dict[tuple[str, str], tuple[str, ...]] = in_place_inputs()

#: Tables that feed only the costs of one cost term, which its builder computes from the whole
#: table (tariffs): adding or removing their rows changes no structure, and :func:`updated_lp`
#: with the table's value columns recomputes that term exactly as a rebuild would.
COST_ONLY_TABLES: frozenset[str] = frozenset(
    term.table for term in COST_TERMS if term.build is not None and term.table is not None
) - {spec.table for spec in FAMILIES}

#: (table, column) inputs that move only matrix coefficients' values (the registry's
#: ``coefficient_inputs``): the LP is rebuilt from the changed tables, checked by
#: :func:`check_changed` rather than revalidated, and re-solved in place.
COEFFICIENTS: frozenset[tuple[str, str]] = coefficient_inputs()

#: Inputs with rules beyond their own cells: the dataset rules (model/checks.py) their change
#: can break, re-run on the changed tables. Every other input of IN_PLACE is checked cell by cell.
DATASET_RULES: dict[tuple[str, str], tuple[Callable[..., list[Problem]], ...]] = {
    ("demand", "demand_t"): (check_demand_is_producible, check_share_limits, check_demand_curves),  # > 0 where needed
    ("demand", "elasticity"): (check_demand_curves,),  # needs a reference price
    ("demand", "reference_price_usd_per_t"): (check_demand_curves,),
    ("share_limits", "max_share"): (check_share_limits, check_min_shares_can_be_served),  # min <= max; sum <= 1
    ("share_limits", "min_share"): (check_share_limits, check_min_shares_can_be_served),
    ("contracts", "min_t"): (check_contract_bounds,),  # min_t <= max_t
    ("contracts", "max_t"): (check_contract_bounds,),
}


def _row_piece(family: str, make: Callable[[Network, LinearProgram], RowFamily]) -> Callable[..., bool]:
    """A piece that recomputes one row family's right-hand sides (and reporting scales)."""

    def update(network: Network, lp: LinearProgram, options: MarketOptions, arrays: dict) -> bool:
        rows = make(network, lp)
        block = lp.rows[family]
        if not _same_rows(rows, block, lp):
            return False  # the family gained, lost or changed rows (a min share became a max): rebuild
        arrays["row_lower"][block.slice], arrays["row_upper"][block.slice] = row_bounds(
            rows.rhs, lp.row_is_upper[block.slice]
        )
        if rows.report_scale is not None:
            arrays["row_report_scale"][block.slice] = rows.report_scale
        return True

    return update


def _same_rows(rows: RowFamily, block: Block, lp: LinearProgram) -> bool:
    """Whether a family built again has the rows ``lp`` has: the same keys, in order, and the
    same senses (an in-place change moves right-hand sides only)."""
    return (
        len(rows.index) == len(block.index)
        and rows.index.reset_index(drop=True).equals(block.index)
        and np.array_equal(rows.is_upper(), lp.row_is_upper[block.slice])
    )


def _cost_piece(
    terms_of: Callable[[Network, LinearProgram, MarketOptions], dict[str, dict[str, np.ndarray]]],
) -> Callable[..., bool]:
    """A piece that recomputes cost terms (term -> block -> values); the cost vector is then
    summed from all terms again (:func:`~oreflow.model.arrays.total_cost`)."""

    def update(network: Network, lp: LinearProgram, options: MarketOptions, arrays: dict) -> bool:
        for term, by_block in terms_of(network, lp, options).items():
            arrays["cost_terms"][term] = {**arrays["cost_terms"].get(term, {}), **by_block}
        return True

    return update


def _block_terms(block: BlockSpec) -> Callable[..., bool]:
    """The piece of one block: its cost terms, their constants, its column bounds and its
    quadratic cost, rebuilt with the block's builder; False when its columns changed."""

    def update(network: Network, lp: LinearProgram, options: MarketOptions, arrays: dict) -> bool:
        built = block.build(network, options)
        where = lp.columns[block.name]
        if len(built.index) != len(where.index) or not built.index.reset_index(drop=True).equals(where.index):
            return False  # the block gained, lost or changed columns (a curve moved to another row): rebuild
        if len(where.index):
            for term, values in built.costs.items():
                arrays["cost_terms"][term] = {**arrays["cost_terms"].get(term, {}), block.name: values}
        for term, constant in built.offsets.items():
            arrays["cost_offsets"][term] = float(constant)
        if built.lower is not None:
            arrays["col_lower"][where.slice] = built.lower
        if built.upper is not None:
            arrays["col_upper"][where.slice] = built.upper
        if built.hessian is not None:
            if arrays["hessian"] is None:
                return False
            arrays["hessian"][where.slice] = built.hessian
        return True

    return update


def _family_rows(spec: FamilySpec) -> Callable[..., bool]:
    """The piece of one family's right-hand sides: from its registered ``rhs`` when it has one
    (the right-hand sides alone, one row per table row), else rebuilt with its builder."""
    rhs = spec.rhs
    if rhs is None:
        return _row_piece(spec.name, lambda n, lp: spec.build(n, lp.columns))

    def update(network: Network, lp: LinearProgram, options: MarketOptions, arrays: dict) -> bool:
        values = rhs(network)
        block = lp.rows[spec.name]
        if len(values) != len(block.index):
            return False  # the family gained or lost rows: not an in-place change
        arrays["row_lower"][block.slice], arrays["row_upper"][block.slice] = row_bounds(
            values, lp.row_is_upper[block.slice]
        )
        return True

    return update


def _own_terms(term: CostTermSpec) -> Callable[..., bool]:
    """The piece of a cost term with its own builder (e.g. tariffs)."""
    assert term.build is not None
    build = term.build
    return _cost_piece(lambda n, lp, options: {term.name: build(n, lp.columns).by_block})


#: Piece name -> the function that recomputes it: one per family, block and cost term with a builder.
PIECES: dict[str, Callable[..., bool]] = {
    **{spec.name: _family_rows(spec) for spec in FAMILIES},
    **{f"{block.name}_cost": _block_terms(block) for block in BLOCKS},
    **{term.name: _own_terms(term) for term in COST_TERMS if term.build is not None},
}


def in_place(changed: Iterable[tuple[str, str]]) -> bool:
    """True when every changed (table, column) only moves costs and right-hand sides."""
    return all(key in IN_PLACE for key in changed)


def cell_checked(changed: Iterable[tuple[str, str]]) -> bool:
    """True when every changed (table, column) keeps the LP's structure, so that
    :func:`check_changed` is all the checking its change needs (:data:`IN_PLACE` and
    :data:`COEFFICIENTS`)."""
    return all(key in IN_PLACE or key in COEFFICIENTS for key in changed)


def updated_lp(
    base: LinearProgram, network: Network, changed: Iterable[tuple[str, str]], options: MarketOptions | float
) -> LinearProgram | None:
    """``base`` with the pieces fed by the ``changed`` inputs recomputed from ``network``
    (which differs from base's network only in those inputs); None when a change turns
    out to alter the structure (e.g. a share limit gains a row), so the caller rebuilds.

    The matrix and the index tables are shared with ``base``; the vectors are new.
    """
    options = as_options(options)
    pieces = dict.fromkeys(piece for key in changed for piece in IN_PLACE[key])
    arrays: dict = {
        "row_lower": base.row_lower.copy(),
        "row_upper": base.row_upper.copy(),
        "row_report_scale": base.row_report_scale.copy(),
        "col_lower": base.col_lower.copy(),
        "col_upper": base.col_upper.copy(),
        "cost_terms": dict(base.cost_terms),
        "cost_offsets": dict(base.cost_offsets),
        "hessian": None if base.hessian is None else base.hessian.copy(),
    }
    for piece in pieces:
        if not PIECES[piece](network, base, options, arrays):
            return None
    return dataclasses.replace(base, cost=total_cost(arrays["cost_terms"], base.columns, base.n_cols), **arrays)


def check_changed(network: Network, changed: Iterable[tuple[str, str]], label: str) -> list[Problem]:
    """What a change of the IN_PLACE or COEFFICIENTS inputs ``changed`` can break: the rules of each changed
    number column, cell by cell, and the dataset rules of DATASET_RULES, re-run on the
    changed tables. Problems name the point (``label``), the table and its row."""
    changed = list(dict.fromkeys(changed))
    problems: list[Problem] = []
    for table, column in changed:
        spec = next(c for c in TABLES_BY_NAME[table].columns if c.name == column)
        values = getattr(network, table)[column]
        for position, value, expected in check_numbers(pd.Series(values, dtype=float), spec):
            # the line the row would have in the table written as CSV (header: line 1), as the dataset rules say
            problems.append(Problem(f"{label}: {table}.csv", position + 2, column, value, expected, "number"))
    rules = dict.fromkeys(rule for key in changed for rule in DATASET_RULES.get(key, ()))
    if rules and not problems:
        tables = {spec.name: with_lines(getattr(network, spec.name)) for spec in TABLES}
        labels = {name: f"{label}: {name}.csv" for name in tables}
        for rule in rules:
            problems += rule(tables, labels)
    return problems
