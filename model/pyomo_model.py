"""The allocation LP written algebraically in Pyomo: the readable twin of :mod:`.lp`.

:func:`build_pyomo_model` states the same LP as :func:`oreflow.model.lp.build_lp`
(docs/formulation.md), one named component per symbol of the formulation:

- Sets ``ORIGINS``, ``REFINERS``, ``MARKETS``, ``PRODUCTS``, ``ORE_ROUTES`` (o,r),
  ``PRODUCT_ROUTES`` (r,m), ``COMPOSITION`` (o,p), ``SHIPMENTS`` (r,m,p),
  ``DEMANDS`` (m,p) and ``DEMAND_STEPS`` (m,p,side,k: the steps of the demand curves,
  :mod:`.market`; empty when no demand row has a curve);
- Params with their unit in the name and ``doc`` (``supply_t``, ``capacity_t``,
  ``mining_cost_usd_per_t``, ...);
- Vars ``x[ORE_ROUTES]``, ``s[SHIPMENTS]``, ``u[DEMANDS]`` (all >= 0) and
  ``q[DEMAND_STEPS]`` (each between its step's bounds ``step_lower_t`` and ``step_upper_t``);
- Constraints ``supply[ORIGINS]``, ``capacity[REFINERS]``,
  ``balance[REFINERS, PRODUCTS]``, ``demand[DEMANDS]`` (with the q steps of its curve);
- Objective ``total_cost`` (minimise, USD per year), with tariffs (Params
  ``ore_tariff_usd_per_t``, ``product_tariff_usd_per_t``) when the dataset has any, and
  with demand curves minus the willingness to pay of what is consumed (Params
  ``step_cost_usd_per_t``, ``wtp_constant_usd``; with ``demand_form = "linear"`` also
  ``step_curvature_usd_per_t2``: a convex quadratic objective, a QP);
- policy Constraints ``ban[from_country, to_country, stage, product]``,
  ``quota[name]`` and ``share_limit[market, product, country, bound]`` (Sets ``BANS``,
  ``QUOTAS``, ``SHARE_LIMITS``), each the sum of the flows its policy row covers; which
  flows those are is decided by :mod:`.policies`, the code the array LP uses;
- Constraints ``contract[contract, bound]`` (Set ``CONTRACTS``, Param ``contract_t``): the
  flow on a contract's route within its min_t / max_t.

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

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .arrays import Block
from .core import (
    demand_step_columns,
    normalised_shares,
    ore_route_columns,
    recovery_table,
    shipment_columns,
    unmet_columns,
)
from .market import MarketOptions, as_options
from .network import Network
from .policies import ban_rows, contract_rows, quota_rows, share_limit_rows, tariff_costs


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


def _finite(value: float) -> float | None:
    """A bound as Pyomo takes it: None for an infinite one."""
    return None if np.isinf(value) else value


def _doc(rule) -> str:
    """First line of a rule's docstring: the equation, shown by ``model.pprint()``."""
    return (rule.__doc__ or "").strip().splitlines()[0]


def _market_options(
    unmet_penalty_usd_per_t: MarketOptions | float | Sequence[float] | np.ndarray | None,
    market: MarketOptions | None,
) -> tuple[MarketOptions, np.ndarray | None]:
    """The market options of :func:`build_pyomo_model`'s two arguments, and the per-row
    penalties when ``unmet_penalty_usd_per_t`` gives them (else None)."""
    if isinstance(unmet_penalty_usd_per_t, MarketOptions):
        if market is not None:
            raise ValueError("give the market options once: as unmet_penalty_usd_per_t or as market, not both")
        return unmet_penalty_usd_per_t, None
    options = as_options(market)
    if unmet_penalty_usd_per_t is None:
        return options, None
    if np.ndim(unmet_penalty_usd_per_t) == 0:
        penalty = float(np.asarray(unmet_penalty_usd_per_t))
        return dataclasses.replace(options, unmet_penalty_usd_per_t=penalty), None
    return options, np.asarray(unmet_penalty_usd_per_t, dtype=float)


def build_pyomo_model(
    network: Network,
    unmet_penalty_usd_per_t: MarketOptions | float | Sequence[float] | np.ndarray | None = None,
    market: MarketOptions | None = None,
) -> pyo.ConcreteModel:
    """The LP of ``network`` as a Pyomo ConcreteModel (see the module docstring).

    Args:
        network: a validated :class:`~oreflow.Network`.
        unmet_penalty_usd_per_t: how demand is represented, exactly as the options of
            :func:`~oreflow.model.lp.build_lp`: :class:`~oreflow.model.market.MarketOptions`
            (the unmet penalty, the form and steps of demand curves); or a number, the cost
            of a tonne of unmet demand (USD/t) where demand.csv gives neither
            ``unmet_penalty_usd_per_t`` nor a reference price, with ``market``'s other
            options; or one already-resolved penalty per demand row (in ``network.demand``
            order, e.g. the array LP's ``lp.cost_terms["unmet_penalty"]["u"]``). None:
            ``market``'s penalty (default 1e7 USD/t).
        market: the market options when ``unmet_penalty_usd_per_t`` is a number, per-row
            penalties or None (default ``MarketOptions()``).
    """
    options, row_penalty = _market_options(unmet_penalty_usd_per_t, market)
    # ---- index frames, in the array LP's column and row order -----------------------
    x_index, x_terms = ore_route_columns(network)
    s_index, s_terms = shipment_columns(network)
    u_index, u_terms = unmet_columns(network, options)
    penalty = u_terms["unmet_penalty"]
    if row_penalty is not None:
        if row_penalty.shape != (len(u_index),):
            raise ValueError(
                f"unmet_penalty_usd_per_t: expected a number or {len(u_index)} values (one per demand row), "
                f"got shape {row_penalty.shape}"
            )
        penalty = row_penalty
    steps = demand_step_columns(network, options)
    origins = network.origins.reset_index(drop=True)
    refiners = network.refiners.reset_index(drop=True)
    product_routes = network.product_routes.reset_index(drop=True)
    shares = normalised_shares(network).reset_index(drop=True)
    recovery = recovery_table(network)

    ore_route_keys = index_keys(x_index)
    shipment_keys = index_keys(s_index)
    demand_keys = index_keys(u_index)
    step_keys = index_keys(steps.index)

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
    m.DEMAND_STEPS = pyo.Set(
        initialize=step_keys,
        dimen=4,
        ordered=True,
        doc="(market m, product p, side, step k) of the demand curves: side down, up or change (linear form)",
    )

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
    m.step_cost_usd_per_t = param(
        m.DEMAND_STEPS,
        steps.cost,
        "cost of a tonne of a demand step, USD per t: +WTP given up (down), -WTP added (up), -P0 (change)",
    )
    m.step_lower_t = param(m.DEMAND_STEPS, steps.lower, "lowest value of a demand step, t per year")
    m.step_upper_t = param(m.DEMAND_STEPS, steps.upper, "highest value of a demand step (its width), t per year")
    if steps.hessian is not None:  # demand_form = "linear": 1/2 h q^2 more per change column
        m.step_curvature_usd_per_t2 = param(
            m.DEMAND_STEPS, steps.hessian, "minus the linear demand curve's slope, USD per t per t"
        )
    m.wtp_constant_usd = pyo.Param(
        initialize=float(steps.offset) if len(step_keys) else 0.0,
        within=pyo.Any,
        doc="minus the willingness to pay of the reference demand of the curves, USD per year",
    )

    # ---- variables ------------------------------------------------------------------------
    m.x = pyo.Var(m.ORE_ROUTES, within=pyo.NonNegativeReals, doc="ore shipped o -> r, t REO per year")
    m.s = pyo.Var(m.SHIPMENTS, within=pyo.NonNegativeReals, doc="product p shipped r -> m, t per year")
    m.u = pyo.Var(m.DEMANDS, within=pyo.NonNegativeReals, doc="unmet demand for p in m, t per year")
    m.q = pyo.Var(
        m.DEMAND_STEPS,
        bounds=lambda m, *k: (_finite(m.step_lower_t[k]), _finite(m.step_upper_t[k])),
        doc="demand step: t per year of p given up (down) or added (up) in m; change of consumption (change)",
    )

    # ---- lookups: the terms of each row, one groupby each -----------------------------------
    routes_from = _lookup(x_index, ["origin"], "refiner")  # o -> [r]
    routes_into = _lookup(x_index, ["refiner"], "origin")  # r -> [o]
    feeds = x_index.merge(shares.loc[shares["share"] > 0], on="origin", how="inner", sort=False)
    feeders = _lookup(feeds, ["refiner", "product"], "origin")  # (r,p) -> [o containing p]
    ships_from = _lookup(s_index, ["refiner", "product"], "market")  # (r,p) -> [m]
    ships_to = _lookup(s_index, ["market", "product"], "refiner")  # (m,p) -> [r]
    curve_steps: dict = {}  # (m,p) -> [(side, k)] of its demand curve
    for mk, p, side, k in step_keys:
        curve_steps.setdefault((mk, p), []).append((side, k))

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
        """demand[m,p]:  sum_r s[r,m,p] + u[m,p] + sum_k q[m,p,down,k] - sum_k q[m,p,up,k] >= demand_t[m,p].

        Units: t product per year; one row per demand row. The q terms only where the row
        has a demand curve (``demand_form = "linear"``: ``- q[m,p,change,0]``, the change
        of consumption), so that what is consumed is demand_t - sum q down + sum q up.
        Shadow price (USD/t, >= 0): for a fixed demand, the marginal delivered cost of one
        more tonne demanded; for a demand with a curve, the equilibrium price.
        """
        shipped = pyo.quicksum(m.s[r, mk, p] for r in ships_to.get((mk, p), []))
        curve = curve_steps.get((mk, p), [])
        if not curve:
            return shipped + m.u[mk, p] >= m.demand_t[mk, p]
        given_up = pyo.quicksum(m.q[mk, p, side, k] for side, k in curve if side == "down")
        added = pyo.quicksum(m.q[mk, p, side, k] for side, k in curve if side != "down")
        return shipped + m.u[mk, p] + given_up - added >= m.demand_t[mk, p]

    m.supply = pyo.Constraint(m.ORIGINS, rule=supply_rule, doc=_doc(supply_rule))
    m.capacity = pyo.Constraint(m.REFINERS, rule=capacity_rule, doc=_doc(capacity_rule))
    m.balance = pyo.Constraint(m.REFINERS, m.PRODUCTS, rule=balance_rule, doc=_doc(balance_rule))
    m.demand = pyo.Constraint(m.DEMANDS, rule=demand_rule, doc=_doc(demand_rule))

    # ---- objective --------------------------------------------------------------------------
    def total_cost_rule(m):
        """total_cost = sum (mining + ore freight + processing) x + sum freight s + sum penalty u - WTP  (USD/yr).

        USD per year: x[o,r] costs mining_cost_usd_per_t[o] + ore_freight_usd_per_t[o,r]
        + processing_cost_usd_per_t[r] per t REO; s[r,m,p] costs
        product_freight_usd_per_t[r,m] per t; u[m,p] costs unmet_penalty_usd_per_t[m,p]
        per t. With demand curves, minus the willingness to pay (WTP) of what they consume:
        sum step_cost_usd_per_t q (+ 1/2 sum step_curvature_usd_per_t2 q^2 with
        ``demand_form = "linear"``) + wtp_constant_usd (minus the WTP of the reference demand).
        """
        ore = pyo.quicksum(
            (m.mining_cost_usd_per_t[o] + m.ore_freight_usd_per_t[o, r] + m.processing_cost_usd_per_t[r]) * m.x[o, r]
            for o, r in m.ORE_ROUTES
        )
        product = pyo.quicksum(m.product_freight_usd_per_t[r, mk] * m.s[r, mk, p] for r, mk, p in m.SHIPMENTS)
        unmet = pyo.quicksum(m.unmet_penalty_usd_per_t[mk, p] * m.u[mk, p] for mk, p in m.DEMANDS)
        if not len(m.DEMAND_STEPS):
            return ore + product + unmet
        wtp = pyo.quicksum(m.step_cost_usd_per_t[k] * m.q[k] for k in m.DEMAND_STEPS)
        if m.component("step_curvature_usd_per_t2") is not None:
            wtp += pyo.quicksum(
                0.5 * m.step_curvature_usd_per_t2[k] * m.q[k] ** 2
                for k in m.DEMAND_STEPS
                if m.step_curvature_usd_per_t2[k]
            )
        return ore + product + unmet + wtp + m.wtp_constant_usd

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
    _add_contracts(m, network, x_block, s_block, flow_vars)


def _add_contracts(m: pyo.ConcreteModel, network: Network, x_block: Block, s_block: Block, flow_vars: list) -> None:
    """The contract constraints, indexed by (contract, bound): which flows a contract covers is
    decided by :func:`~oreflow.model.policies.contract_rows`, the code the array LP uses."""
    contracts = contract_rows(network, x_block, s_block)
    keys = index_keys(contracts.index[["contract", "bound"]])
    m.CONTRACTS = pyo.Set(
        initialize=keys, dimen=2, ordered=True, doc="(contract, bound) of each min_t / max_t of contracts.csv"
    )
    m.contract_t = pyo.Param(
        m.CONTRACTS,
        initialize=dict(zip(keys, _floats(contracts.rhs))),
        within=pyo.Any,
        doc="contracted flow bound, t per year (t REO for stage ore, t product for stage product; inf: no limit)",
    )
    terms: dict = {}
    for row, col in zip(contracts.rows.tolist(), contracts.cols.tolist()):
        terms.setdefault(keys[row], []).append(flow_vars[col])

    def contract_rule(m, contract, bound):
        """contract[c,bound]:  sum of the flows contract c covers >= min_t[c] (min) or <= max_t[c] (max)  (t/yr)."""
        flows = terms.get((contract, bound), [])
        limit = m.contract_t[contract, bound]
        if bound == "max":
            return pyo.quicksum(flows) <= limit if flows and not np.isinf(limit) else pyo.Constraint.Skip
        if not flows:  # validation rejects a contract that covers no flow
            raise ValueError(f"contract[{contract}, min]: no flow is covered by this contract")
        return pyo.quicksum(flows) >= limit

    m.contract = pyo.Constraint(m.CONTRACTS, rule=contract_rule, doc=_doc(contract_rule))


__all__ = ["build_pyomo_model"]
