"""The one reader of a solution: from the LP and a solver's record to the tables people read.

Everything here is whole-array work over the LP's blocks and families (no Python loop
over variables or rows). :func:`read_solution` gives every table of a
:class:`~oreflow.Result`; the pieces it is made of (:func:`cost_breakdown`,
:func:`row_prices`, :func:`shadow_table`, ...) are what a sweep reads per point and
what scenario comparison reads from a Result, so that each figure is computed in one
place. Units, signs and tolerances: docs/conventions.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arrays import LinearProgram
from .conventions import BINDING_TOLERANCE, clean, join_keys, price_key
from .families import BALANCE, FAMILIES_BY_NAME, ORE_ROUTES, SHIPMENTS, UNMET, family_price, price_unit
from .network import Network
from .ranging import (
    DualTrust,
    alternative_optimum,
    as_boolean,
    degenerate_positions,
    dual_trust,
    dual_uniqueness,
    ranging_tables,
)
from .record import SolutionRecord

#: Columns of a ``shadow_prices_<family>`` table that are values, not keys naming the row.
SHADOW_VALUE_COLUMNS = ("rhs", "activity", "shadow_price", "slack", "binding", "dual_unique")


@dataclass
class Solution:
    """Every table of one optimal solution (the content of a :class:`~oreflow.Result`;
    see its docstring for the columns)."""

    cost_breakdown: dict[str, float]
    allocations: pd.DataFrame
    refinery: pd.DataFrame
    production: pd.DataFrame
    shipments: pd.DataFrame
    unmet: pd.DataFrame
    reduced_costs: pd.DataFrame
    shadow_prices: dict[str, pd.DataFrame]
    ranging: dict[str, pd.DataFrame]
    dual_trust: DualTrust


def column_values(record: SolutionRecord) -> np.ndarray:
    """The columns' values with magnitudes below the zero tolerance set to 0."""
    return clean(record.col_value)


def cost_breakdown(lp: LinearProgram, value: np.ndarray) -> dict[str, float]:
    """USD per year by cost term (the registry's components present in ``lp``) and ``total``."""
    breakdown = {
        term: float(sum(coeff @ value[lp.columns[block].slice] for block, coeff in by_block.items()))
        for term, by_block in lp.cost_terms.items()
    }
    breakdown["total"] = float(sum(breakdown.values()))
    return breakdown


def row_prices(lp: LinearProgram, record: SolutionRecord, family: str) -> np.ndarray:
    """Each row's shadow price in the family's reported units: its price in LP units
    (:func:`~oreflow.model.families.family_price`: the dual plus any registered
    ``price_terms``, as for demand) divided by the report scale, magnitudes below the zero
    tolerance set to 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return clean(family_price(lp, record.row_dual, family) / lp.report_scale(family))


def shadow_table(lp: LinearProgram, record: SolutionRecord, family: str) -> pd.DataFrame:
    """Keys, rhs, activity, shadow_price, slack and binding of one constraint family.

    Values are in the family's reporting units (``LinearProgram.report_scale``): rhs,
    activity and slack scaled by it, the shadow price divided by it.
    """
    block = lp.rows[family]
    rhs = lp.rhs(family)
    activity = clean(record.row_value[block.slice])
    with np.errstate(invalid="ignore"):
        slack = np.where(lp.is_upper(family), rhs - activity, activity - rhs)
    slack = np.where(np.isinf(rhs), np.inf, np.maximum(clean(slack), 0.0))
    binding = slack <= BINDING_TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isinf(rhs), 0.0, rhs)))
    scale = lp.report_scale(family)
    with np.errstate(invalid="ignore"):
        return block.index.assign(
            rhs=rhs * scale,
            activity=activity * scale,
            shadow_price=row_prices(lp, record, family),
            slack=slack * scale,
            binding=binding,
        )


def price_uniqueness(lp: LinearProgram, codes: np.ndarray, family: str) -> np.ndarray:
    """Per row of ``family``, the uniqueness code of its reported price
    (:func:`~oreflow.model.ranging.dual_uniqueness`). A price with ``price_terms`` in the
    registry (demand: its share limits' duals) is unique only when its own dual and each
    dual entering it are: the minimum of their codes."""
    own = codes[lp.rows[family].slice].copy()
    terms = FAMILIES_BY_NAME[family].price_terms
    for term in terms(lp) if terms is not None else ():
        np.minimum.at(own, term.target, codes[lp.rows[term.family].slice])
    return own


def shadow_tables(lp: LinearProgram, record: SolutionRecord, codes: np.ndarray) -> dict[str, pd.DataFrame]:
    """Every family's shadow-price table, with ``dual_unique`` (nullable boolean, <NA> where
    undetermined) from the per-row uniqueness ``codes``."""
    tables = {}
    for name in lp.rows:
        table = shadow_table(lp, record, name)
        table["dual_unique"] = as_boolean(price_uniqueness(lp, codes, name))
        tables[name] = table
    return tables


def price_keys(lp: LinearProgram, family: str) -> list[str]:
    """The key naming each row of ``family`` in price columns and comparisons
    (:func:`~oreflow.model.conventions.price_key`)."""
    return price_key(lp.rows[family].index, family)


def flows_by_product(network: Network, allocations: pd.DataFrame) -> pd.DataFrame:
    """Tonnes of each product contained in the ore on each route (ore_t x the origin's
    share): origin, refiner, product, ore_t, share, contained_t; routes carrying none left out."""
    comp = network.composition[["origin", "product", "share"]]
    flows = allocations[["origin", "refiner", "ore_t"]].merge(comp, on="origin", how="inner", sort=False)
    flows["contained_t"] = flows["ore_t"] * flows["share"].astype(float)
    return flows.loc[
        flows["contained_t"] > 0, ["origin", "refiner", "product", "ore_t", "share", "contained_t"]
    ].reset_index(drop=True)


def read_solution(network: Network, lp: LinearProgram, record: SolutionRecord) -> Solution:
    """Every table of an optimal solution (whole-array operations only)."""
    value = column_values(record)
    x, s, u = lp.columns[ORE_ROUTES], lp.columns[SHIPMENTS], lp.columns[UNMET]
    origin_country = network.origins.set_index("origin")["country"]
    refiner_country = network.refiners.set_index("refiner")["country"]

    x_cost = lp.cost[x.slice]
    x_value = value[x.slice]
    allocations = x.index.assign(
        origin_country=x.index["origin"].map(origin_country).to_numpy(),
        refiner_country=x.index["refiner"].map(refiner_country).to_numpy(),
        ore_t=x_value,
        unit_cost_usd_per_t=x_cost,
        cost_usd=x_cost * x_value,
    )[["origin", "origin_country", "refiner", "refiner_country", "ore_t", "unit_cost_usd_per_t", "cost_usd"]]

    throughput = allocations.groupby("refiner", sort=False)["ore_t"].sum()
    refinery = network.refiners[["refiner", "country", "capacity_t"]].reset_index(drop=True)
    refinery.insert(2, "throughput_t", refinery["refiner"].map(throughput).fillna(0.0).to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = refinery["throughput_t"].to_numpy() / refinery["capacity_t"].to_numpy()
    utilisation[~np.isfinite(utilisation)] = np.nan
    refinery["utilisation"] = utilisation

    s_value = value[s.slice]
    s_freight = lp.cost[s.slice]
    shipments = s.index.assign(shipped_t=s_value, freight_usd_per_t=s_freight, cost_usd=s_value * s_freight)

    balance = lp.rows[BALANCE]
    shipped = shipments.groupby(["refiner", "product"], sort=False)["shipped_t"].sum()
    shipped_rp = shipped.reindex(pd.MultiIndex.from_frame(balance.index)).fillna(0.0).to_numpy()
    activity = clean(record.row_value[balance.slice])  # shipped - produced
    produced = clean(shipped_rp - activity)
    production = balance.index.assign(
        produced_t=produced, shipped_t=shipped_rp, unsold_t=clean(np.maximum(produced - shipped_rp, 0.0))
    )

    u_value = value[u.slice]
    penalty = lp.cost[u.slice]
    supplied = shipments.groupby(["market", "product"], sort=False)["shipped_t"].sum()
    unmet = u.index.assign(
        demand_t=network.demand["demand_t"].to_numpy(float),
        supplied_t=supplied.reindex(pd.MultiIndex.from_frame(u.index)).fillna(0.0).to_numpy(),
        unmet_t=u_value,
        penalty_usd_per_t=penalty,
        cost_usd=penalty * u_value,
    )

    alternative = alternative_optimum(lp, record)
    reduced_costs = x.index.assign(
        ore_t=x_value,
        unit_cost_usd_per_t=x_cost,
        reduced_cost_usd_per_t=clean(record.col_dual[x.slice]),
        alternative_optimum=alternative[x.slice],
    )
    degenerate = degenerate_positions(lp, record) if record.has_basis else None
    codes = dual_uniqueness(lp, record, degenerate)
    prices = shadow_tables(lp, record, codes)
    binding = np.concatenate([frame["binding"].to_numpy(bool) for frame in prices.values()])
    return Solution(
        cost_breakdown=cost_breakdown(lp, value),
        allocations=allocations,
        refinery=refinery,
        production=production,
        shipments=shipments,
        unmet=unmet,
        reduced_costs=reduced_costs,
        shadow_prices=prices,
        ranging=ranging_tables(lp, record, binding),
        dual_trust=dual_trust(lp, record, codes, alternative, degenerate),
    )


def binding_rows(shadow_prices: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """All binding rows with a non-zero shadow price (unsorted): family, key (every key
    column joined by "/"), rhs, shadow_price and the registry's unit of the price."""
    parts = []
    for family, frame in shadow_prices.items():
        keys = [c for c in frame.columns if c not in SHADOW_VALUE_COLUMNS]
        sub = frame.loc[frame["binding"] & (frame["shadow_price"] != 0)]
        parts.append(
            pd.DataFrame(
                {
                    "family": family,
                    "key": join_keys(sub[keys]).to_numpy(dtype=object),
                    "rhs": sub["rhs"].to_numpy(),
                    "shadow_price": sub["shadow_price"].to_numpy(),
                    "unit": price_unit(family),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


__all__ = [
    "SHADOW_VALUE_COLUMNS",
    "Solution",
    "binding_rows",
    "column_values",
    "cost_breakdown",
    "flows_by_product",
    "price_keys",
    "price_uniqueness",
    "read_solution",
    "row_prices",
    "shadow_table",
    "shadow_tables",
]
