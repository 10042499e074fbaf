"""The core of the LP: its column blocks ``x``, ``s``, ``u`` and its constraint families
``supply``, ``capacity``, ``balance``, ``demand`` (the policy families are in
:mod:`.policies`). Each is built by one function whose docstring gives its equation,
units and the sign of its price; :mod:`.families` registers them and
:func:`~oreflow.model.lp.build_lp` places them. Nothing here loops in Python over
variables or constraints.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import Block, RowFamily
from .market import MarketOptions, StepColumns, as_options, step_columns, unmet_penalties
from .network import Network

# ---------------------------------------------------------------------------------
# Column blocks
# ---------------------------------------------------------------------------------


def ore_route_columns(network: Network) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """x[o,r] >= 0, t REO per year shipped from origin o to refiner r (one per ore route).

    Unit cost (USD/t REO) = mining_cost_usd_per_t[o] + freight_usd_per_t[o,r]
    + processing_cost_usd_per_t[r]; returned as the three cost terms.
    """
    routes = network.ore_routes[["origin", "refiner", "freight_usd_per_t"]].reset_index(drop=True)
    mining = routes["origin"].map(network.origins.set_index("origin")["mining_cost_usd_per_t"]).to_numpy(float)
    processing = routes["refiner"].map(network.refiners.set_index("refiner")["processing_cost_usd_per_t"])
    terms = {
        "mining": mining,
        "ore_freight": routes["freight_usd_per_t"].to_numpy(float),
        "processing": processing.to_numpy(float),
    }
    return routes[["origin", "refiner"]], terms


def shipment_columns(network: Network) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """s[r,m,p] >= 0, t of product p per year shipped from refiner r to market m.

    One per product route (r,m) and product p with a demand row in market m (a
    shipment to a market without demand for p could only be thrown away, so it is not
    modelled). Unit cost (USD/t product) = freight_usd_per_t[r,m].
    """
    routes = network.product_routes[["refiner", "market", "freight_usd_per_t"]]
    demanded = network.demand[["market", "product"]]
    ships = routes.merge(demanded, on="market", how="inner", sort=False)
    # order: product routes as listed, then products in product-set order
    route_pos = pd.MultiIndex.from_frame(routes[["refiner", "market"]]).get_indexer(
        pd.MultiIndex.from_frame(ships[["refiner", "market"]])
    )
    prod_pos = pd.Index(network.products).get_indexer(ships["product"])
    ships = ships.iloc[np.lexsort((prod_pos, route_pos))].reset_index(drop=True)
    return ships[["refiner", "market", "product"]], {"product_freight": ships["freight_usd_per_t"].to_numpy(float)}


def unmet_columns(network: Network, options: MarketOptions | float) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """u[m,p] >= 0, t of product p per year of market m's demand left unmet.

    One per demand row. Unit cost (USD/t) = the row's unmet_penalty_usd_per_t, else
    ``penalty_multiple`` x its reference price, else the options' penalty
    (:func:`~oreflow.model.market.unmet_penalties`); a number for ``options`` is that penalty.
    """
    demand = network.demand.reset_index(drop=True)
    return demand[["market", "product"]], {"unmet_penalty": unmet_penalties(network, as_options(options))}


def demand_step_columns(network: Network, options: MarketOptions | float) -> StepColumns:
    """q[m,p,side,k]: the steps of every demand curve (:mod:`.market`), t product per year.

    ``down`` steps (0 <= q <= width) give up consumption below the reference quantity at
    unit cost +WTP of the step (USD/t); ``up`` steps add consumption above it at -WTP.
    With ``demand_form = "linear"`` one column per curve, the change of consumption
    (-Q0 <= q <= -e Q0), with the linear curve's WTP as a quadratic cost. The cost term is
    ``willingness_to_pay``; its constant (-WTP of the reference quantities) makes it
    -WTP(consumed). No columns when no demand row has a curve.
    """
    return step_columns(network, as_options(options))


# ---------------------------------------------------------------------------------
# Constraint families
# ---------------------------------------------------------------------------------


def supply_rows(network: Network, x: Block) -> RowFamily:
    """supply[o]:  sum_r x[o,r] <= supply_t[o]     (t REO per year; one row per origin).

    Shadow price: USD saved (negative) per extra tonne of ore available at origin o.
    """
    return _sum_over_ore_routes("supply", network.origins, "origin", "supply_t", x)


def capacity_rows(network: Network, x: Block) -> RowFamily:
    """capacity[r]:  sum_o x[o,r] <= capacity_t[r]     (t REO feed per year; one row per refiner).

    Shadow price: USD saved (negative) per extra tonne of feed capacity at refiner r.
    """
    return _sum_over_ore_routes("capacity", network.refiners, "refiner", "capacity_t", x)


def _sum_over_ore_routes(name: str, table: pd.DataFrame, key: str, limit: str, x: Block) -> RowFamily:
    """One row per entry of ``table``: the sum of the ore routes with that ``key`` <= ``limit``."""
    keys = table[key].reset_index(drop=True)
    cols = np.arange(x.start, x.stop)
    return RowFamily(
        name,
        pd.DataFrame({key: keys}),
        pd.Index(keys).get_indexer(x.index[key]),
        cols,
        np.ones(len(cols)),
        table[limit].to_numpy(float),
        "<=",
    )


def recovery_table(network: Network) -> pd.DataFrame:
    """recovery[r,p] for every refiner and product: the override if given, else the refiner's."""
    refiners = network.refiners[["refiner", "recovery"]]
    grid = refiners.merge(pd.DataFrame({"product": network.products}), how="cross")
    overrides = network.recoveries.rename(columns={"recovery": "_override"})
    grid = grid.merge(overrides, on=["refiner", "product"], how="left", sort=False)
    grid["recovery"] = grid["_override"].fillna(grid["recovery"])
    return grid[["refiner", "product", "recovery"]]


def normalised_shares(network: Network) -> pd.DataFrame:
    """share[o,p] divided by the origin's share total, so each origin's shares sum to exactly 1."""
    comp = network.composition[["origin", "product", "share"]]
    total = comp.groupby("origin", sort=False)["share"].transform("sum")
    return comp.assign(share=comp["share"] / total)


def balance_rows(network: Network, x: Block, s: Block) -> RowFamily:
    """balance[r,p]:  sum_m s[r,m,p] - recovery[r,p] * sum_o share[o,p] * x[o,r] <= 0.

    Units: t of product p per year. The product recovered at refiner r may be shipped
    or left unsold (free disposal: co-products such as La/Ce need not find a buyer).
    One row per refiner and product. Shadow price: USD saved (negative) per extra
    tonne of product p available at refiner r, i.e. minus its value there.
    """
    products = pd.Index(network.products)
    refiners = pd.Index(network.refiners["refiner"])
    n_p = len(products)
    index = pd.DataFrame(
        {"refiner": np.repeat(refiners.to_numpy(), n_p), "product": np.tile(products.to_numpy(), len(refiners))}
    )
    # production side: one entry per (ore route, product contained in its origin), from
    # dense share[o,p] and recovery[r,p] matrices indexed by integer codes (no string joins)
    origins = pd.Index(network.origins["origin"])
    shares = normalised_shares(network)
    share = np.zeros((len(origins), n_p))
    share[origins.get_indexer(shares["origin"]), products.get_indexer(shares["product"])] = shares["share"]
    recovery_rp = recovery_table(network)
    recovery = np.zeros((len(refiners), n_p))
    recovery[refiners.get_indexer(recovery_rp["refiner"]), products.get_indexer(recovery_rp["product"])] = recovery_rp[
        "recovery"
    ].to_numpy(float)
    route_origin = origins.get_indexer(x.index["origin"])
    route_refiner = refiners.get_indexer(x.index["refiner"])
    yields = share[route_origin] * recovery[route_refiner]  # (routes, products): t product per t ore
    route, product = np.nonzero(share[route_origin] > 0)
    feed_rows = route_refiner[route] * n_p + product
    feed_vals = -yields[route, product]
    feed_cols = x.start + route
    # shipment side
    ship_rows = refiners.get_indexer(s.index["refiner"]) * n_p + products.get_indexer(s.index["product"])
    return RowFamily(
        "balance",
        index,
        np.concatenate([feed_rows, ship_rows]),
        np.concatenate([feed_cols, np.arange(s.start, s.stop)]),
        np.concatenate([feed_vals, np.ones(len(s.index))]),
        np.zeros(len(index)),
        "<=",
    )


def demand_rows(network: Network, s: Block, u: Block, q: Block | None = None) -> RowFamily:
    """demand[m,p]:  sum_r s[r,m,p] + u[m,p] + sum_k q[m,p,down,k] - sum_k q[m,p,up,k] >= demand_t[m,p]

    (t product per year; one row per demand row; the q terms only where the row has a
    demand curve, and with ``demand_form = "linear"`` ``- q[m,p,change]``.) Shadow price
    (USD/t, >= 0): for a fixed demand, the marginal delivered cost of one more tonne
    demanded; for a demand with a curve, the equilibrium price, where the curve's
    willingness to pay meets the marginal delivered cost.
    """
    demand = network.demand[["market", "product"]].reset_index(drop=True)
    keys = pd.MultiIndex.from_frame(demand)
    ship_rows = keys.get_indexer(pd.MultiIndex.from_frame(s.index[["market", "product"]]))
    unmet_rows = np.arange(len(demand))
    rows = [ship_rows, unmet_rows]
    cols = [np.arange(s.start, s.stop), np.arange(u.start, u.stop)]
    values = [np.ones(len(s.index) + len(demand))]
    if q is not None and len(q.index):
        rows.append(keys.get_indexer(pd.MultiIndex.from_frame(q.index[["market", "product"]])))
        cols.append(np.arange(q.start, q.stop))
        values.append(np.where(q.index["side"].to_numpy() == "down", 1.0, -1.0))
    return RowFamily(
        "demand",
        demand,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(values),
        network.demand["demand_t"].to_numpy(float),
        ">=",
    )
