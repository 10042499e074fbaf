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
from .families import (
    BALANCE,
    CAPACITY,
    DEMAND,
    DEMAND_STEPS,
    FAMILIES_BY_NAME,
    ORE_ROUTES,
    SHIPMENTS,
    SUPPLY,
    UNMET,
    WILLINGNESS_TO_PAY,
    family_price,
    price_unit,
)
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
SHADOW_VALUE_COLUMNS = ("rhs", "activity", "shadow_price", "slack", "binding", "dual_unique", "fragile")


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
    market: pd.DataFrame
    welfare: dict[str, float]


def column_values(record: SolutionRecord) -> np.ndarray:
    """The columns' values with magnitudes below the zero tolerance set to 0."""
    return clean(record.col_value)


def cost_breakdown(lp: LinearProgram, value: np.ndarray) -> dict[str, float]:
    """USD per year by cost term (the registry's components present in ``lp``) and ``total``
    (the minimised objective). A term's constant (``lp.cost_offsets``) and, for a QP, the
    quadratic part (which belongs to ``willingness_to_pay``) are included in their term."""
    breakdown = {
        term: float(sum(coeff @ value[lp.columns[block].slice] for block, coeff in by_block.items()))
        + lp.cost_offsets.get(term, 0.0)
        for term, by_block in lp.cost_terms.items()
    }
    if lp.hessian is not None and WILLINGNESS_TO_PAY in breakdown:
        breakdown[WILLINGNESS_TO_PAY] += 0.5 * float(lp.hessian @ (value * value))
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
    ranging = ranging_tables(lp, record, binding)
    add_fragile(lp, prices, ranging.get("rhs"), record)
    market = market_table(network, lp, record.row_dual, value, prices, production, shipments)
    breakdown = cost_breakdown(lp, value)
    return Solution(
        cost_breakdown=breakdown,
        allocations=allocations,
        refinery=refinery,
        production=production,
        shipments=shipments,
        unmet=unmet,
        reduced_costs=reduced_costs,
        shadow_prices=prices,
        ranging=ranging,
        dual_trust=dual_trust(lp, record, codes, alternative, degenerate),
        market=market,
        welfare=welfare(breakdown, market, prices),
    )


#: A price is fragile when its right-hand side is within this share of |rhs| (at least
#: FRAGILE_SHARE t or pp) of an end of its ranging interval past which the price changes.
FRAGILE_SHARE = 0.01


def add_fragile(
    lp: LinearProgram,
    prices: dict[str, pd.DataFrame],
    rhs_ranging: pd.DataFrame | None,
    record: SolutionRecord | None = None,
) -> None:
    """Add ``fragile`` to every shadow-price table (nullable boolean, <NA> without ranging):
    a non-zero price whose rhs is within FRAGILE_SHARE of |rhs| of an end of the interval
    over which it holds, past which it certainly changes (docs/conventions.md, "Fragile
    prices"). A demand row with a curve is never fragile: its interval ends where one step
    of its own curve fills, past which the price moves to the next step along the curve."""
    if rhs_ranging is None or not len(rhs_ranging):
        for frame in prices.values():
            frame["fragile"] = pd.array([pd.NA] * len(frame), dtype="boolean")
        return
    rhs = rhs_ranging["rhs"].to_numpy(float)
    room = np.maximum(FRAGILE_SHARE * np.abs(np.where(np.isfinite(rhs), rhs, 0.0)), 1.0)
    with np.errstate(invalid="ignore"):
        near_lower = (rhs - rhs_ranging["rhs_lower"].to_numpy(float) <= room) & rhs_ranging[
            "price_changes_at_lower"
        ].to_numpy(bool)
        near_upper = (rhs_ranging["rhs_upper"].to_numpy(float) - rhs <= room) & rhs_ranging[
            "price_changes_at_upper"
        ].to_numpy(bool)
    if record is not None and record.ranging is not None and len(lp.columns[DEMAND_STEPS].index):
        # past an end where a demand curve's step enters the basis, prices move by one curve step
        # (about 1-2 %), not to another basis far away: not fragile
        steps = lp.columns[DEMAND_STEPS]
        r = record.ranging

        def step_enters(enter: np.ndarray) -> np.ndarray:
            enter = np.asarray(enter)
            return (enter >= steps.start) & (enter < steps.stop)

        near_lower &= ~step_enters(r.rhs_enter_lower)
        near_upper &= ~step_enters(r.rhs_enter_upper)
    fragile = near_lower | near_upper
    for name, frame in prices.items():
        flags = fragile[lp.rows[name].slice] & (frame["shadow_price"].to_numpy(float) != 0)
        if name == DEMAND:
            flags = flags & ~curve_rows(lp)
        frame["fragile"] = pd.array(flags, dtype="boolean")


def curve_rows(lp: LinearProgram) -> np.ndarray:
    """True for each demand row that has a demand curve (columns in the ``q`` block)."""
    demand = lp.rows[DEMAND].index[["market", "product"]]
    steps = lp.columns[DEMAND_STEPS].index
    if not len(steps):
        return np.zeros(len(demand), dtype=bool)
    return pd.MultiIndex.from_frame(demand).isin(pd.MultiIndex.from_frame(steps[["market", "product"]]))


#: Columns of the market table (``Result.market``, ``market.csv``).
MARKET_COLUMNS = (
    "market",
    "product",
    "price_usd_per_t",
    "quantity_t",
    "reference_demand_t",
    "reference_price_usd_per_t",
    "demand_change_t",
    "consumer_surplus_usd",
    "willingness_to_pay_usd",
    "curve",
    "fragile",
    "surplus",
    "note",
)


def market_table(
    network: Network,
    lp: LinearProgram,
    record_dual: np.ndarray,
    value: np.ndarray,
    prices: dict[str, pd.DataFrame],
    production: pd.DataFrame,
    shipments: pd.DataFrame,
) -> pd.DataFrame:
    """One row per demand row: the price (the demand row's shadow price: the equilibrium
    price where the row has a curve, else the marginal delivered cost), the quantity
    delivered, the reference demand and price, the change from the reference, and, where
    there is a curve, the willingness to pay of what is consumed and the consumer surplus
    (WTP - price x quantity), read from the LP's own step columns (so they are the
    stepped curve's, as solved). ``surplus``: the product is left unsold at a refiner
    that supplies the market, so its price there is freight only (a co-product in
    surplus); ``note`` says so in words, and flags a fragile price."""
    demand_prices = prices[DEMAND]
    keys = demand_prices[["market", "product"]]
    # the market price is the demand row's own dual: on a curve row, where the curve meets supply.
    # The demand family's reported price also carries the share limits on it (what one more
    # tonne demanded costs, its limits' right-hand sides moving with it): not a market price.
    own = lp.rows[DEMAND]
    price = clean(record_dual[own.slice] / lp.report_scale(DEMAND))
    delivered = shipments.groupby(["market", "product"], sort=False)["shipped_t"].sum()
    index = pd.MultiIndex.from_frame(keys)
    quantity = delivered.reindex(index).fillna(0.0).to_numpy(float)
    reference = network.demand["demand_t"].to_numpy(float)
    ref_price = (
        network.demand["reference_price_usd_per_t"].to_numpy(float)
        if "reference_price_usd_per_t" in network.demand
        else np.full(len(keys), np.nan)
    )
    has_curve = curve_rows(lp)
    wtp = np.where(has_curve, _curve_wtp(lp, value, index), np.nan)
    # co-product in surplus: a refiner that ships the product here values it at 0 (its
    # balance price is 0: some of it is left unsold, or could be), so the price is freight only
    free = prices[BALANCE].loc[prices[BALANCE]["shadow_price"] == 0, ["refiner", "product"]]
    used = shipments.loc[shipments["shipped_t"] > 0, ["refiner", "market", "product"]]
    in_surplus = used.merge(free, on=["refiner", "product"], how="inner")[["market", "product"]]
    surplus = index.isin(pd.MultiIndex.from_frame(in_surplus)) if len(in_surplus) else np.zeros(len(keys), bool)
    fragile = demand_prices["fragile"].to_numpy(dtype=object) if "fragile" in demand_prices else None
    notes = np.full(len(keys), "", dtype=object)
    products = keys["product"].to_numpy(object)
    notes[surplus] = [f"{p}: supply exceeds demand; its price is freight only" for p in products[surplus]]
    if fragile is not None:
        weak = np.asarray([f is True for f in fragile]) & ~surplus
        notes[weak] = "fragile: within 1% of its right-hand side of a change of basis"
    capped = has_curve & (price >= _curve_cap(lp, index) * (1 - 1e-9))
    notes[capped] = "at the curve's price cap: demand priced out down to what is supplied (the cap is a job option)"
    return keys.assign(
        price_usd_per_t=price,
        quantity_t=quantity,
        reference_demand_t=reference,
        reference_price_usd_per_t=ref_price,
        demand_change_t=clean(quantity - reference),
        consumer_surplus_usd=np.where(has_curve, wtp - price * quantity, np.nan),
        willingness_to_pay_usd=wtp,
        curve=has_curve,
        fragile=demand_prices["fragile"].to_numpy() if "fragile" in demand_prices else pd.NA,
        surplus=surplus,
        note=notes,
    )[list(MARKET_COLUMNS)]


def _curve_cap(lp: LinearProgram, rows: pd.MultiIndex) -> np.ndarray:
    """The highest price on each demand row's curve (its dearest ``down`` step; for a QP the
    linear curve's price at 0, cost + hessian x lower); +inf for a row without a curve."""
    q = lp.columns[DEMAND_STEPS]
    cap = np.full(len(rows), np.inf)
    if not len(q.index):
        return cap
    cost = lp.cost[q.slice]
    side = q.index["side"].to_numpy()
    h = lp.hessian[q.slice] if lp.hessian is not None else np.zeros(len(cost))
    top = np.where(side == "down", cost, np.where(side == "change", -cost - h * lp.col_lower[q.slice], -np.inf))
    position = rows.get_indexer(pd.MultiIndex.from_frame(q.index[["market", "product"]]))
    best = np.full(len(rows), -np.inf)
    np.maximum.at(best, position, top)
    return np.where(np.isfinite(best), best, np.inf)


def _curve_wtp(lp: LinearProgram, value: np.ndarray, rows: pd.MultiIndex) -> np.ndarray:
    """WTP (USD/yr) of what each demand row's curve consumes, from its own columns: a
    ``down`` step keeps cost x (width - value), an ``up`` step earns -cost x value, a QP
    ``change`` column -cost x (z - lower) - h (z^2 - lower^2) / 2 (the integral of the
    linear curve from 0)."""
    q = lp.columns[DEMAND_STEPS]
    if not len(q.index):
        return np.zeros(len(rows))
    cost = lp.cost[q.slice]
    v = value[q.slice]
    upper, lower = lp.col_upper[q.slice], lp.col_lower[q.slice]
    h = lp.hessian[q.slice] if lp.hessian is not None else np.zeros(len(v))
    side = q.index["side"].to_numpy()
    part = np.where(
        side == "down",
        cost * (upper - v),
        np.where(side == "up", -cost * v, -cost * (v - lower) - h * (v * v - lower * lower) / 2),
    )
    position = rows.get_indexer(pd.MultiIndex.from_frame(q.index[["market", "product"]]))
    return np.bincount(position, weights=part, minlength=len(rows))


def welfare(breakdown: dict[str, float], market: pd.DataFrame, prices: dict[str, pd.DataFrame]) -> dict[str, float]:
    """USD per year: the willingness to pay of what the demand curves consume, the total
    cost (every cost term but WTP), welfare (WTP - total cost = -objective), the consumer
    surplus of the curves, the rents of origins and refiners (the binding supply and
    capacity rows' price x right-hand side, with the sign turned: what the scarce ore or
    capacity earns) and the rest (quota, share-limit and contract rents, less what fixed
    demand pays), so that consumer surplus + rents + rest = welfare."""
    wtp = -breakdown.get(WILLINGNESS_TO_PAY, 0.0) + 0.0  # + 0.0: no -0.0 without curves
    total_cost = breakdown["total"] - breakdown.get(WILLINGNESS_TO_PAY, 0.0)
    surplus = float(np.nansum(market["consumer_surplus_usd"].to_numpy(float)))

    def rents(family: str) -> float:
        frame = prices.get(family)
        if frame is None or not len(frame):
            return 0.0
        rhs = frame["rhs"].to_numpy(float)
        price = frame["shadow_price"].to_numpy(float)
        finite = np.isfinite(rhs) & (price != 0)
        return float(-np.sum(price[finite] * rhs[finite]))

    origin_rents, refiner_rents = rents(SUPPLY), rents(CAPACITY)
    value = wtp - total_cost
    return {
        "willingness_to_pay": wtp,
        "total_cost": total_cost,
        "welfare": value,
        "consumer_surplus": surplus,
        "origin_rents": origin_rents,
        "refiner_rents": refiner_rents,
        "other": value - surplus - origin_rents - refiner_rents,
    }


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
    "MARKET_COLUMNS",
    "add_fragile",
    "binding_rows",
    "column_values",
    "curve_rows",
    "market_table",
    "welfare",
    "cost_breakdown",
    "flows_by_product",
    "price_keys",
    "price_uniqueness",
    "read_solution",
    "row_prices",
    "shadow_table",
    "shadow_tables",
]
