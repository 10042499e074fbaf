"""Assembly of the allocation LP as arrays with row and column labels.

The LP (docs/formulation.md) in matrix form::

    minimise   cost @ v
    subject to row_lower <= A v <= row_upper,   col_lower <= v <= col_upper

Columns come in the blocks and rows in the families of the registry
(:mod:`oreflow.model.families`), placed in its order; each block and family carries a
DataFrame ``index`` naming what each column or row is, in order. The builders are in
:mod:`.core` and :mod:`.policies`; nothing here loops in Python over variables or
constraints.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .arrays import Block, CscMatrix, LinearProgram, RowFamily, row_bounds, total_cost
from .errors import InputError, Problem
from .families import BLOCKS, COST_TERMS, FAMILIES, CostTerms
from .market import MarketOptions, as_options
from .network import Network
from .tables import DEFAULT_UNMET_PENALTY_USD_PER_T

__all__ = ["Block", "LinearProgram", "RowFamily", "build_lp"]


def build_lp(network: Network, options: MarketOptions | float = DEFAULT_UNMET_PENALTY_USD_PER_T) -> LinearProgram:
    """Assemble the LP of ``network`` as arrays (see the module docstring).

    ``options`` says how demand is represented (:class:`~oreflow.model.market.MarketOptions`:
    the unmet penalty, the form and steps of demand curves); a number is the unmet penalty
    with every other option at its default.

    Raises InputError when a policy row covers no flow of the dataset: a guard only, for a
    Network built around validation; validation (model/checks.py,
    ``check_policies_cover_flows``, with the same builders) reports such rows first, with
    their lines, together with the dataset's other problems.
    """
    options = as_options(options)
    columns: dict[str, Block] = {}
    cost_terms: dict[str, dict[str, np.ndarray]] = {}
    cost_offsets: dict[str, float] = {}
    lower_parts, upper_parts, hessian_parts = [], [], []
    start = 0
    for spec in BLOCKS:
        built = spec.build(network, options)
        n = len(built.index)
        columns[spec.name] = Block(spec.name, start, built.index.reset_index(drop=True))
        start += n
        lower_parts.append(np.zeros(n) if built.lower is None else np.asarray(built.lower, float))
        upper_parts.append(np.full(n, np.inf) if built.upper is None else np.asarray(built.upper, float))
        hessian_parts.append(np.zeros(n) if built.hessian is None else np.asarray(built.hessian, float))
        for term, values in built.costs.items():
            if n:
                cost_terms.setdefault(term, {})[spec.name] = values
        for term, constant in built.offsets.items():
            # one block per term's constant: a sweep recomputes it from that block alone
            assert term not in cost_offsets, f"cost term {term!r} has a constant from two blocks"
            cost_offsets[term] = float(constant)
    own_terms: dict[str, CostTerms] = {}
    for term_spec in COST_TERMS:
        if term_spec.build is not None:
            own_terms[term_spec.name] = built_terms = term_spec.build(network, columns)
            if built_terms.by_block:
                cost_terms[term_spec.name] = built_terms.by_block
    n_cols = start
    cost = total_cost(cost_terms, columns, n_cols)
    hessian = np.concatenate(hessian_parts)

    families = [spec.build(network, columns) for spec in FAMILIES]
    unused = uncovered_policies(network, {f.name: f for f in families}, own_terms)
    if unused:
        raise InputError(unused, heading="policies that cover nothing")
    rows: dict[str, Block] = {}
    lowers, uppers, is_upper, scales, coo_rows, coo_cols, coo_vals = [], [], [], [], [], [], []
    offset = 0
    for family in families:
        rows[family.name] = Block(family.name, offset, family.index.reset_index(drop=True))
        n = len(family.index)
        upper = family.is_upper()
        lower_bound, upper_bound = row_bounds(family.rhs, upper)
        lowers.append(lower_bound)
        uppers.append(upper_bound)
        is_upper.append(upper)
        scales.append(np.ones(n) if family.report_scale is None else np.asarray(family.report_scale, float))
        coo_rows.append(family.rows + offset)
        coo_cols.append(family.cols)
        coo_vals.append(family.values)
        offset += n
    matrix = CscMatrix.from_coo(
        np.concatenate(coo_rows), np.concatenate(coo_cols), np.concatenate(coo_vals), (offset, n_cols)
    )
    return LinearProgram(
        cost=cost,
        matrix=matrix,
        col_lower=np.concatenate(lower_parts),
        col_upper=np.concatenate(upper_parts),
        row_lower=np.concatenate(lowers),
        row_upper=np.concatenate(uppers),
        columns=columns,
        rows=rows,
        row_is_upper=np.concatenate(is_upper),
        row_report_scale=np.concatenate(scales),
        cost_terms=cost_terms,
        cost_offsets=cost_offsets,
        hessian=hessian if np.any(hessian) else None,
    )


def uncovered_policies(
    network: Network, families: Mapping[str, RowFamily], terms: Mapping[str, CostTerms]
) -> list[Problem]:
    """Policy rows that cover no flow of the dataset (almost always a typo or a wrong stage):
    for each registered family and cost term with ``policy_keys``. The guard of
    :func:`build_lp`; validation finds the same rows first (``check_policies_cover_flows``)."""
    problems: list[Problem] = []
    for term in COST_TERMS:
        built = terms.get(term.name)
        if term.policy_keys and term.table and built is not None and built.pairs is not None:
            table = getattr(network, term.table).reset_index(drop=True)
            problems += _uncovered(term.table, table, built.pairs[0], list(term.policy_keys))
    for spec in FAMILIES:
        table = getattr(network, spec.table)
        if spec.policy_keys and len(table):
            keys = list(spec.policy_keys)
            fam = families[spec.name]
            covered = fam.index.iloc[np.unique(fam.rows)] if len(fam.rows) else fam.index.iloc[:0]
            seen = pd.MultiIndex.from_frame(covered[keys].astype(str))
            mine = pd.MultiIndex.from_frame(table.reset_index(drop=True)[keys].astype(str))
            problems += _uncovered(spec.table, table.reset_index(drop=True), np.flatnonzero(mine.isin(seen)), keys)
    return problems


def _uncovered(name: str, table: pd.DataFrame, covered_rows: np.ndarray, keys: list[str]) -> list[Problem]:
    missing = np.setdiff1d(np.arange(len(table)), covered_rows)
    return [
        Problem(
            f"{name}.csv",
            None,
            None,
            ", ".join(f"{k}={table.at[i, k]}" for k in keys if table.at[i, k] != ""),
            "a policy row that covers at least one route of the dataset (this one covers none)",
            "policy_unused",
        )
        for i in missing
    ]
