"""The allocation LP written algebraically in Pyomo: the readable twin of :mod:`.lp`.

:func:`build_pyomo_model` states the same LP as :func:`oreflow.model.lp.build_lp`
(docs/formulation.md), one named component per symbol of the formulation:

- Sets ``ORIGINS``, ``REFINERS``, ``MARKETS``, ``PRODUCTS``, ``ORE_ROUTES`` (o,r),
  ``PRODUCT_ROUTES`` (r,m), ``COMPOSITION`` (o,p), ``SHIPMENTS`` (r,m,p) and
  ``DEMANDS`` (m,p);
- Params with their unit in the name and ``doc`` (``supply_t``, ``capacity_t``,
  ``mining_cost_usd_per_t``, ...);
- Vars ``x[ORE_ROUTES]``, ``s[SHIPMENTS]``, ``u[DEMANDS]`` (all >= 0);
- Constraints ``supply[ORIGINS]``, ``capacity[REFINERS]``,
  ``balance[REFINERS, PRODUCTS]``, ``demand[DEMANDS]``;
- Objective ``total_cost`` (minimise, USD per year), with tariffs (Params
  ``ore_tariff_usd_per_t``, ``product_tariff_usd_per_t``) when the dataset has any;
- policy Constraints ``ban[from_country, to_country, stage, product]``,
  ``quota[name]`` and ``share_limit[market, product, country, bound]`` (Sets ``BANS``,
  ``QUOTAS``, ``SHARE_LIMITS``), each the sum of the flows its policy row covers; which
  flows those are is decided by :mod:`.policies`, the code the array LP uses.

Index sets are ordered exactly as the column blocks and row families of the array LP
(they come from the same column functions of :mod:`.lp`), so a solution of this model
maps one to one onto the LP's columns and rows. Rows that cannot bind are not
generated (``Constraint.Skip``): a supply or capacity row whose right-hand side is
``inf``, and any row without terms. Their shadow price is 0, as the array LP reports
for the same (free or empty) rows.

Extending the model: build it, add components, solve with any Pyomo solver::

    import pyomo.environ as pyo
    import oreflow

    model = oreflow.build_pyomo_model(network)
    # e.g. at most 1000 t REO per year from origin "AU_MtWeld" to refiner "MY_Lynas"
    model.route_cap = pyo.Constraint(expr=model.x["AU_MtWeld", "MY_Lynas"] <= 1000)
    pyo.SolverFactory("highs").solve(model)
    pyo.value(model.total_cost)

The pyomo backend solves a separate model of the same LP built from its arrays
(:mod:`oreflow.solvers.pyomo_arrays`: no Sets of tuples or rule functions, a fraction of the time to
build); tests/test_pyomo_backend.py proves both models state the array LP. Pyomo is
imported only by these two modules; ``import oreflow`` does not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .arrays import Block
from .core import normalised_shares, ore_route_columns, recovery_table, shipment_columns, unmet_columns
from .network import Network
from .policies import ban_rows, quota_rows, share_limit_rows, tariff_costs
from .tables import DEFAULT_UNMET_PENALTY_USD_PER_T


def _floats(values) -> list[float]:
    """Python floats (not numpy scalars, which slow Pyomo's expression building)."""
    return np.asarray(values, dtype=float).tolist()


def index_keys(frame: pd.DataFrame) -> list:
    """Rows of ``frame`` as keys: plain values for one column, tuples for several."""
    if frame.shape[1] == 1:
        return frame.iloc[:, 0].tolist()
    return list(frame.itertuples(index=False, name=None))


def _lookup(frame: pd.DataFrame, by: list[str], member: str) -> dict:
    """``{key of by: [member values in row order]}`` built with one groupby."""
    if frame.empty:
        return {}
    groups = frame.groupby(by if len(by) > 1 else by[0], sort=False)[member].agg(list)
    return groups.to_dict()


def _doc(rule) -> str:
    """First line of a rule's docstring: the equation, shown by ``model.pprint()``."""
    return (rule.__doc__ or "").strip().splitlines()[0]


def build_pyomo_model(
    network: Network,
    unmet_penalty_usd_per_t: float | Sequence[float] | np.ndarray = DEFAULT_UNMET_PENALTY_USD_PER_T,
) -> pyo.ConcreteModel:
    """The LP of ``network`` as a Pyomo ConcreteModel (see the module docstring).

    Args:
        network: a validated :class:`~oreflow.Network`.
        unmet_penalty_usd_per_t: cost of a tonne of unmet demand (USD/t) where
            demand.csv leaves ``unmet_penalty_usd_per_t`` blank, exactly as
            :func:`~oreflow.model.lp.build_lp`; or one already-resolved value per
            demand row (in ``network.demand`` order, e.g. the array LP's
            ``lp.cost_terms["unmet_penalty"]["u"]``).
    """
    # ---- index frames, in the array LP's column and row order -----------------------
    x_index, x_terms = ore_route_columns(network)
    s_index, s_terms = shipment_columns(network)
    if np.ndim(unmet_penalty_usd_per_t) == 0:
        u_index, u_terms = unmet_columns(network, float(np.asarray(unmet_penalty_usd_per_t)))
        penalty = u_terms["unmet_penalty"]
    else:
        u_index, _ = unmet_columns(network, DEFAULT_UNMET_PENALTY_USD_PER_T)
        penalty = np.asarray(unmet_penalty_usd_per_t, dtype=float)
        if penalty.shape != (len(u_index),):
            raise ValueError(
                f"unmet_penalty_usd_per_t: expected a number or {len(u_index)} values (one per demand row), "
                f"got shape {penalty.shape}"
            )
    origins = network.origins.reset_index(drop=True)
    refiners = network.refiners.reset_index(drop=True)
    product_routes = network.product_routes.reset_index(drop=True)
    shares = normalised_shares(network).reset_index(drop=True)
    recovery = recovery_table(network)

    ore_route_keys = index_keys(x_index)
    shipment_keys = index_keys(s_index)
    demand_keys = index_keys(u_index)

    m = pyo.ConcreteModel(name="oreflow allocation LP")

    # ---- sets ---------------------------------------------------------------------------
    m.ORIGINS = pyo.Set(initialize=origins["origin"].tolist(), ordered=True, doc="ore origins (mines)")
    m.REFINERS = pyo.Set(initialize=refiners["refiner"].tolist(), ordered=True, doc="refiners (separation plants)")
    m.MARKETS = pyo.Set(initialize=network.markets["market"].tolist(), ordered=True, doc="markets")
    m.PRODUCTS = pyo.Set(initialize=list(network.products), ordered=True, doc="separated oxide products")
    m.ORE_ROUTES = pyo.Set(
        initialize=ore_route_keys, dimen=2, ordered=True, doc="(origin o, refiner r): ore can ship from o to r"
    )
    m.PRODUCT_ROUTES = pyo.Set(
        initialize=index_keys(product_routes[["refiner", "market"]]),
        dimen=2,
        ordered=True,
        doc="(refiner r, market m): products can ship from r to m",
    )
    m.COMPOSITION = pyo.Set(
        initialize=index_keys(shares[["origin", "product"]]),
        dimen=2,
        ordered=True,
        doc="(origin o, product p): ore of o contains p",
    )
    m.SHIPMENTS = pyo.Set(
        initialize=shipment_keys,
        dimen=3,
        ordered=True,
        doc="(refiner r, market m, product p): product route (r,m) and p demanded in m",
    )
    m.DEMANDS = pyo.Set(initialize=demand_keys, dimen=2, ordered=True, doc="(market m, product p) with a demand row")

    # ---- parameters -----------------------------------------------------------------------
    def param(index, values, doc):
        # plain Python floats: numpy scalars times Pyomo variables go through numpy's slow ufunc path
        return pyo.Param(index, initialize=dict(zip(index.ordered_data(), _floats(values))), within=pyo.Any, doc=doc)

    m.supply_t = param(m.ORIGINS, origins["supply_t"].to_numpy(float), "ore available, t REO per year (inf: unlimited)")
    m.mining_cost_usd_per_t = param(
        m.ORIGINS, origins["mining_cost_usd_per_t"].to_numpy(float), "mining cost, USD per t REO"
    )
    m.share = param(
        m.COMPOSITION, shares["share"].to_numpy(float), "share of product p in ore of origin o (normalised: sums to 1)"
    )
    m.capacity_t = param(
        m.REFINERS, refiners["capacity_t"].to_numpy(float), "feed capacity, t REO per year (inf: unlimited)"
    )
    m.processing_cost_usd_per_t = param(
        m.REFINERS, refiners["processing_cost_usd_per_t"].to_numpy(float), "processing cost, USD per t REO fed"
    )
    recovery_keys = index_keys(recovery[["refiner", "product"]])
    m.recovery = pyo.Param(
        m.REFINERS,
        m.PRODUCTS,
        initialize=dict(zip(recovery_keys, _floats(recovery["recovery"]))),
        within=pyo.Any,
        doc="t of product p recovered per t of p contained in the feed of refiner r",
    )
    m.ore_freight_usd_per_t = param(m.ORE_ROUTES, x_terms["ore_freight"], "ore freight o -> r, USD per t REO")
    m.product_freight_usd_per_t = param(
        m.PRODUCT_ROUTES, product_routes["freight_usd_per_t"].to_numpy(float), "product freight r -> m, USD per t"
    )
    m.demand_t = param(m.DEMANDS, network.demand["demand_t"].to_numpy(float), "demand, t of product p per year")
    m.unmet_penalty_usd_per_t = param(m.DEMANDS, penalty, "cost of unmet demand, USD per t")

    # ---- variables ------------------------------------------------------------------------
    m.x = pyo.Var(m.ORE_ROUTES, within=pyo.NonNegativeReals, doc="ore shipped o -> r, t REO per year")
    m.s = pyo.Var(m.SHIPMENTS, within=pyo.NonNegativeReals, doc="product p shipped r -> m, t per year")
    m.u = pyo.Var(m.DEMANDS, within=pyo.NonNegativeReals, doc="unmet demand for p in m, t per year")

    # ---- lookups: the terms of each row, one groupby each -----------------------------------
    routes_from = _lookup(x_index, ["origin"], "refiner")  # o -> [r]
    routes_into = _lookup(x_index, ["refiner"], "origin")  # r -> [o]
    feeds = x_index.merge(shares.loc[shares["share"] > 0], on="origin", how="inner", sort=False)
    feeders = _lookup(feeds, ["refiner", "product"], "origin")  # (r,p) -> [o containing p]
    ships_from = _lookup(s_index, ["refiner", "product"], "market")  # (r,p) -> [m]
    ships_to = _lookup(s_index, ["market", "product"], "refiner")  # (m,p) -> [r]

    # ---- constraints ------------------------------------------------------------------------
    def supply_rule(m, o):
        """supply[o]:  sum_r x[o,r] <= supply_t[o]     (t REO per year; one row per origin).

        Shadow price: USD saved (negative) per extra tonne of ore available at origin o.
        Skipped (shadow price 0) where supply_t[o] = inf or o has no ore route.
        """
        routes = routes_from.get(o, [])
        if not routes or np.isinf(m.supply_t[o]):
            return pyo.Constraint.Skip
        return pyo.quicksum(m.x[o, r] for r in routes) <= m.supply_t[o]

    def capacity_rule(m, r):
        """capacity[r]:  sum_o x[o,r] <= capacity_t[r]     (t REO feed per year; one row per refiner).

        Shadow price: USD saved (negative) per extra tonne of feed capacity at refiner r.
        Skipped (shadow price 0) where capacity_t[r] = inf or no ore route reaches r.
        """
        routes = routes_into.get(r, [])
        if not routes or np.isinf(m.capacity_t[r]):
            return pyo.Constraint.Skip
        return pyo.quicksum(m.x[o, r] for o in routes) <= m.capacity_t[r]

    def balance_rule(m, r, p):
        """balance[r,p]:  sum_m s[r,m,p] - recovery[r,p] * sum_o share[o,p] * x[o,r] <= 0.

        Units: t of product p per year. The product recovered at refiner r may be shipped
        or left unsold (free disposal: co-products such as La/Ce need not find a buyer).
        One row per refiner and product. Shadow price: USD saved (negative) per extra
        tonne of product p available at refiner r, i.e. minus its value there.
        Skipped (shadow price 0) where the row has no terms (0 <= 0).
        """
        markets = ships_from.get((r, p), [])
        sources = feeders.get((r, p), [])
        if not markets and not sources:
            return pyo.Constraint.Skip
        shipped = pyo.quicksum(m.s[r, mk, p] for mk in markets)
        produced = m.recovery[r, p] * pyo.quicksum(m.share[o, p] * m.x[o, r] for o in sources)
        return shipped - produced <= 0

    def demand_rule(m, mk, p):
        """demand[m,p]:  sum_r s[r,m,p] + u[m,p] >= demand_t[m,p]     (t product per year).

        One row per demand row. Shadow price: USD per extra tonne demanded, the marginal
        delivered cost of product p in market m (>= 0).
        """
        shipped = pyo.quicksum(m.s[r, mk, p] for r in ships_to.get((mk, p), []))
        return shipped + m.u[mk, p] >= m.demand_t[mk, p]

    m.supply = pyo.Constraint(m.ORIGINS, rule=supply_rule, doc=_doc(supply_rule))
    m.capacity = pyo.Constraint(m.REFINERS, rule=capacity_rule, doc=_doc(capacity_rule))
    m.balance = pyo.Constraint(m.REFINERS, m.PRODUCTS, rule=balance_rule, doc=_doc(balance_rule))
    m.demand = pyo.Constraint(m.DEMANDS, rule=demand_rule, doc=_doc(demand_rule))

    # ---- objective --------------------------------------------------------------------------
    def total_cost_rule(m):
        """total_cost = sum (mining + ore freight + processing) x + sum freight s + sum penalty u  (USD/yr).

        USD per year: x[o,r] costs mining_cost_usd_per_t[o] + ore_freight_usd_per_t[o,r]
        + processing_cost_usd_per_t[r] per t REO; s[r,m,p] costs
        product_freight_usd_per_t[r,m] per t; u[m,p] costs unmet_penalty_usd_per_t[m,p]
        per t.
        """
        ore = pyo.quicksum(
            (m.mining_cost_usd_per_t[o] + m.ore_freight_usd_per_t[o, r] + m.processing_cost_usd_per_t[r]) * m.x[o, r]
            for o, r in m.ORE_ROUTES
        )
        product = pyo.quicksum(m.product_freight_usd_per_t[r, mk] * m.s[r, mk, p] for r, mk, p in m.SHIPMENTS)
        unmet = pyo.quicksum(m.unmet_penalty_usd_per_t[mk, p] * m.u[mk, p] for mk, p in m.DEMANDS)
        return ore + product + unmet

    m.total_cost = pyo.Objective(rule=total_cost_rule, sense=pyo.minimize, doc=_doc(total_cost_rule))
    _add_policies(m, network, x_index, s_index)
    return m


def _add_policies(m: pyo.ConcreteModel, network: Network, x_index: pd.DataFrame, s_index: pd.DataFrame) -> None:
    """Tariffs (objective terms) and the ban, quota and share_limit constraints.

    Which flows a policy row covers is decided by :mod:`.policies`, the same code the
    array LP uses; here each row is written as the sum of those flows.
    """
    x_block, s_block = Block("x", 0, x_index), Block("s", len(x_index), s_index)
    flow_vars = [m.x[k] for k in index_keys(x_index)] + [m.s[k] for k in index_keys(s_index)]

    tariffs = tariff_costs(network, x_block, s_block)
    if tariffs:
        m.ore_tariff_usd_per_t = pyo.Param(
            m.ORE_ROUTES,
            initialize=dict(zip(m.ORE_ROUTES.ordered_data(), _floats(tariffs["x"]))),
            within=pyo.Any,
            doc="tariffs on ore o -> r, USD per t REO",
        )
        m.product_tariff_usd_per_t = pyo.Param(
            m.SHIPMENTS,
            initialize=dict(zip(m.SHIPMENTS.ordered_data(), _floats(tariffs["s"]))),
            within=pyo.Any,
            doc="tariffs on product p shipped r -> m, USD per t",
        )
        m.total_cost.expr = (
            m.total_cost.expr
            + pyo.quicksum(m.ore_tariff_usd_per_t[o, r] * m.x[o, r] for o, r in m.ORE_ROUTES)
            + pyo.quicksum(m.product_tariff_usd_per_t[r, mk, p] * m.s[r, mk, p] for r, mk, p in m.SHIPMENTS)
        )

    def members(family) -> dict[int, list]:
        """Row position -> the flow variables it sums (columns are x then s, as in the LP)."""
        terms: dict[int, list] = {}
        for row, col in zip(family.rows.tolist(), family.cols.tolist()):
            terms.setdefault(row, []).append(flow_vars[col])
        return terms

    bans = ban_rows(network, x_block, s_block)
    quotas = quota_rows(network, x_block, s_block)
    shares = share_limit_rows(network, s_block)
    ban_keys, quota_keys = index_keys(bans.index), index_keys(quotas.index[["quota"]])
    share_keys = index_keys(shares.index)
    m.BANS = pyo.Set(
        initialize=ban_keys,
        dimen=4,
        ordered=True,
        doc="(from_country, to_country, stage, product) of each row of bans.csv",
    )
    m.QUOTAS = pyo.Set(initialize=quota_keys, ordered=True, doc="quota names of quotas.csv")
    m.SHARE_LIMITS = pyo.Set(
        initialize=share_keys,
        dimen=4,
        ordered=True,
        doc="(market, product, country, bound) of each max_share / min_share given",
    )
    m.quota_limit_t = pyo.Param(
        m.QUOTAS, initialize=dict(zip(quota_keys, _floats(quotas.rhs))), within=pyo.Any, doc="quota, t per year"
    )
    m.share_limit_t = pyo.Param(
        m.SHARE_LIMITS,
        initialize=dict(zip(share_keys, _floats(shares.rhs))),
        within=pyo.Any,
        doc="share x demand_t, t of product per year",
    )
    ban_terms = {ban_keys[i]: v for i, v in members(bans).items()}
    quota_terms = {quota_keys[i]: v for i, v in members(quotas).items()}
    share_terms = {share_keys[i]: v for i, v in members(shares).items()}

    def ban_rule(m, *key):
        """ban[from_country, to_country, stage, product]:  sum of the matching flows <= 0  (t per year)."""
        flows = ban_terms.get(key, [])
        return pyo.quicksum(flows) <= 0 if flows else pyo.Constraint.Skip

    def quota_rule(m, q):
        """quota[q]:  sum of the flows quota q covers <= limit_t[q]     (t per year)."""
        flows = quota_terms.get(q, [])
        return pyo.quicksum(flows) <= m.quota_limit_t[q] if flows else pyo.Constraint.Skip

    def share_limit_rule(m, market, product, country, bound):
        """share_limit[m,p,c,bound]:  sum_{r in c} s[r,m,p] <= (max) or >= (min) share * demand_t[m,p]."""
        key = (market, product, country, bound)
        flows = share_terms.get(key, [])
        if bound == "max":
            return pyo.quicksum(flows) <= m.share_limit_t[key] if flows else pyo.Constraint.Skip
        if not flows:  # validation rejects a min share no refiner of the country can serve
            raise ValueError(f"share_limit{key}: no shipment can count toward this min share")
        return pyo.quicksum(flows) >= m.share_limit_t[key]

    m.ban = pyo.Constraint(m.BANS, rule=ban_rule, doc=_doc(ban_rule))
    m.quota = pyo.Constraint(m.QUOTAS, rule=quota_rule, doc=_doc(quota_rule))
    m.share_limit = pyo.Constraint(m.SHARE_LIMITS, rule=share_limit_rule, doc=_doc(share_limit_rule))


__all__ = ["build_pyomo_model"]
