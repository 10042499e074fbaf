"""A plan written algebraically in Pyomo: the readable twin of :func:`.plan.build_plan_lp` with
the builds, build limits and stockpiles of :mod:`.planning`.

:func:`build_plan_pyomo_model` states the problem :func:`oreflow.planning.solve_plan` solves
(docs/formulation.md, "Planning over years"): every year's single-year model exactly as
:func:`~.pyomo_model.build_pyomo_model` builds it, each in a block of its own, and what links
the years, one named component per symbol of the formulation:

- the horizon: Set ``YEARS`` (the first year of each period, ascending); Params
  ``period_years[y]`` (the calendar years period y stands for), ``weight[y]`` (the
  discounted years it stands for, :meth:`.plan.Horizon.weights`: Σ over its years t of
  δ_t = (1 + r)^-(t - base_year)) and ``discount[y]`` (δ of its first year: a horizon
  row's dual in present value divided by it is its price in that year's money);
- ``year[y]``: one Block per year holding that year's model (``year[y].x``,
  ``year[y].capacity[r]``, ``year[y].demand[m,p]``, ... as listed in
  :mod:`.pyomo_model`), its own objective ``year[y].total_cost`` deactivated; Expression
  ``year_cost[y]``: that objective's expression (USD per year of the period, with the
  willingness-to-pay constant ``year[y].wtp_constant_usd`` where demand has curves);
- builds: Sets ``BUILDS`` (builds.csv), ``BUILD_STARTS`` (build c, start year s: the
  candidates :func:`.planning.build_part` keeps, s >= earliest_start and online before the
  horizon ends), ``BUILD_ONLINE`` (c, s, y: the candidate is online in part of period y),
  ``WHOLE_BUILDS`` (builds with a ``min_t``); Params ``build_stage[c]``, ``build_site[c]``,
  ``build_country[c]``, ``build_max_t[c]``, ``build_min_t[c]``, ``lifetime_years[c]``,
  ``online_year[c,s]`` (start + lead time, not rounded), ``online_share[c,s,y]`` (the share of period y's
  years the plant is online) and ``build_charge_usd_per_t[c,s]`` (present value of its
  annuity and fixed O&M per t/yr, computed by :func:`.planning.build_part` itself);
  Vars ``build_t[c,s]`` >= 0 (t/yr of capacity whose construction starts in period s) and
  Binary ``built[c]`` (``WHOLE_BUILDS`` only: built whole or not at all, a MIP);
  Constraints ``build_size[c]`` (Σ_s build_t <= max_t, × built[c] for a whole build),
  ``build_min[c]`` (``WHOLE_BUILDS``: Σ_s build_t >= min_t × built[c]);
- build limits: Set ``BUILD_LIMITS`` (country, stage of build_limits.csv), Param
  ``build_limit_t_per_year[country, stage, y]`` (per period: paths.csv may change it),
  Constraint ``build_limit[country, stage, y]``:
  Σ build_t[c,y] over the country's builds of that stage <= limit × period_years[y];
- the builds' capacity in the years' rows: a year's ``capacity[r]`` (refining) or
  ``supply[o]`` (mining) row of a site with a build online that year is **deactivated in
  its block and restated** with the builds by ``capacity_with_builds[y, r]`` (Set
  ``BUILT_REFINERS``) or ``supply_with_builds[y, o]`` (Set ``BUILT_ORIGINS``):
  Σ_o year[y].x[o,r] <= year[y].capacity_t[r] + Σ online_share[c,s,y] build_t[c,s].
  Deactivate and restate, rather than ``set_value`` on the year's row, so that
  ``model.year[y]`` stays the single-year model as built (``pprint`` shows both rows) and
  the plan's row reads as the equation of docs/formulation.md;
- stockpiles: Set ``STOCKPILES``; Params ``stock_market[k]``, ``stock_product[k]``,
  ``initial_t[k]``, ``stock_min_t[k,y]``, ``stock_max_t[k,y]``, ``holding_usd_per_t_year[k,y]``
  (per period: paths.csv may change them);
  Vars ``fill_t[k,y]``, ``draw_t[k,y]`` (t/yr, >= 0) and ``level_t[k,y]`` (t at the end of
  period y, between stock_min_t and stock_max_t); Constraint ``stock_balance[k,y]``:
  level_t[k,y] = level_t[k,y-1] (initial_t[k] for the first period)
  + period_years[y] (fill_t[k,y] - draw_t[k,y]); the draw and fill enter their market's
  demand row, deactivated and restated the same way as ``demand_with_stock[y, m, p]`` (Set
  ``STOCKED_DEMANDS``): year[y].demand[m,p]'s left side + Σ_k (draw_t - fill_t) >= demand_t;
- Expressions ``build_charges`` (Σ build_charge_usd_per_t build_t) and ``holding_costs``
  (Σ holding_usd_per_t_year weight[y] level_t), both USD in present value;
- Objective ``present_value`` (minimise, USD at the base year):
  Σ_y weight[y] year_cost[y] + build_charges + holding_costs, the ``objective`` of
  :class:`~oreflow.planning.PlanResult` (and ``mip["objective"]`` with whole builds).

Every component exists whether or not the plan has builds, limits or stockpiles (empty
then). Duals: a year row's dual is in present value (USD at the base year per tonne a year
over the period); divided by ``weight[y]`` it is the price in that year's money, as
:func:`.plan.year_record` reports it (a restated row's dual is on its plan row, e.g.
``capacity_with_builds[y, r]``; the deactivated year row has none). The candidates and their charges come from
:func:`.planning.build_part`, the code of the array LP, as the single-year twin takes its
coefficients from the column functions of :mod:`.lp`; tests/test_pyomo_plan.py proves the
twin and :func:`~oreflow.planning.solve_plan` reach the same optimum.

Extending the model: build it, add components, solve with any Pyomo solver::

    import pyomo.environ as pyo
    import oreflow
    from oreflow.model.plan import Horizon

    horizon = Horizon.of([2024, 2026, 2028], discount_rate=0.08)
    model = oreflow.build_plan_pyomo_model(networks, horizon, planning)  # networks: {year: Network}
    # e.g. no more than 5000 t/yr of new capacity started in 2026, every build together
    model.start_cap_2026 = pyo.Constraint(
        expr=pyo.quicksum(model.build_t[c, s] for c, s in model.BUILD_STARTS if s == 2026) <= 5000
    )
    # e.g. at least 20000 t REO from origin "AU_MtWeld" to refiner "MY_Lynas_Kuantan" in 2028
    model.route_min = pyo.Constraint(expr=model.year[2028].x["AU_MtWeld", "MY_Lynas_Kuantan"] >= 20000)
    pyo.SolverFactory("highs").solve(model)
    pyo.value(model.present_value)

Pyomo is imported only by this module and :mod:`.pyomo_model` (and the solvers' pyomo
backend); ``import oreflow`` does not import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .lp import build_lp
from .market import MarketOptions, as_options
from .network import Network
from .plan import Horizon
from .planning import BUILT_CAPACITY, PlanningTables, build_part, read_planning
from .pyomo_model import _doc, _finite, _floats, build_pyomo_model, index_keys


def _param(index, values: Mapping[Any, Any] | Iterable[tuple[Any, Any]], doc: str) -> pyo.Param:
    """A Param over ``index`` of ``values`` ((key, value) pairs: plain floats or names)."""
    return pyo.Param(index, initialize=dict(values), within=pyo.Any, doc=doc)


def _candidates(
    planning: PlanningTables, horizon: Horizon, networks: Mapping[int, Network], options: MarketOptions
) -> pd.DataFrame:
    """One row per candidate column b[c,s] of the array LP, as :func:`.planning.build_part`
    makes them (it needs the years' array LPs only to place its entries in their rows):
    build, start_year, its present-value charge per t/yr, and from builds.csv its
    online_year (start + lead time, not rounded) and lifetime_years."""
    columns = ["build", "start_year", "charge_usd_per_t", "online_year", "lifetime_years"]
    if not len(planning.builds):
        return pd.DataFrame({name: [] for name in columns})
    year_lps = {year: build_lp(networks[year], options) for year in horizon.years}
    part = build_part(planning, horizon, dict(networks), year_lps)
    capacity = (part.columns["kind"] == BUILT_CAPACITY).to_numpy()
    frame = part.columns.loc[capacity, ["build", "start_year"]].reset_index(drop=True)
    frame["start_year"] = frame["start_year"].astype(int)
    frame["charge_usd_per_t"] = np.asarray(part.cost, dtype=float)[capacity]
    info = planning.builds.set_index("build").reindex(frame["build"])
    frame["online_year"] = frame["start_year"].to_numpy(float) + info["lead_time_years"].to_numpy(float)
    frame["lifetime_years"] = info["lifetime_years"].to_numpy(float)
    return frame[columns]


def build_plan_pyomo_model(
    networks: Mapping[int, Network],
    horizon: Horizon,
    planning: PlanningTables | None = None,
    market: MarketOptions | float | None = None,
) -> pyo.ConcreteModel:
    """The plan of ``networks`` over ``horizon`` as a Pyomo ConcreteModel (see the module docstring).

    Args:
        networks: one validated :class:`~oreflow.Network` per year of ``horizon`` (e.g.
            :func:`oreflow.planning.plan_networks`: the dataset with its paths applied).
        horizon: the years, their periods and the discount rate.
        planning: the builds, build limits and stockpiles
            (:func:`~oreflow.model.planning.read_planning`); None: none.
        market: how demand is represented, as for :func:`~oreflow.planning.solve_plan`:
            :class:`~oreflow.model.market.MarketOptions`, a number (the unmet penalty, USD/t)
            or None (the defaults).

    Its optimum is :func:`~oreflow.planning.solve_plan`'s: ``present_value`` equals
    ``PlanResult.objective`` (``PlanResult.mip["objective"]`` when a build has a ``min_t``).
    """
    options = as_options(market)
    years = list(horizon.years)
    if planning is None:
        planning = read_planning(None, networks[years[0]])  # empty tables

    m = pyo.ConcreteModel(name="oreflow plan")

    # ---- the horizon ----------------------------------------------------------------------
    m.YEARS = pyo.Set(initialize=years, ordered=True, doc="the first year of each period, ascending")
    m.period_years = _param(m.YEARS, zip(years, map(int, horizon.period_years)), "calendar years period y stands for")
    m.weight = _param(
        m.YEARS,
        zip(years, np.asarray(horizon.weights(), dtype=float).tolist()),
        "discounted years period y stands for: sum over its years t of (1 + r)^-(t - base_year)",
    )
    m.discount = _param(
        m.YEARS,
        zip(years, np.asarray(horizon.discount(np.asarray(years)), dtype=float).tolist()),
        "(1 + r)^-(y - base_year): the present value of one USD paid in year y",
    )

    # ---- one block per year: the single-year model, its own objective off -------------------
    year_models = {year: build_pyomo_model(networks[year], options) for year in years}
    for model in year_models.values():
        model.total_cost.deactivate()

    def year_rule(block, y):
        """year[y]: the single-year model of year y (build_pyomo_model), objective deactivated."""
        return year_models[y]  # Pyomo moves the returned model's components into year[y]

    m.year = pyo.Block(m.YEARS, rule=year_rule, doc=_doc(year_rule))
    m.year_cost = pyo.Expression(
        m.YEARS,
        rule=lambda m, y: m.year[y].total_cost.expr,
        doc="year y's objective, USD per year of the period (total cost, minus WTP with demand curves)",
    )

    _add_builds(m, planning, horizon, networks, options)
    _add_stockpiles(m, planning)

    # ---- objective --------------------------------------------------------------------------
    def present_value_rule(m):
        """present_value = sum_y weight[y] year_cost[y] + build_charges + holding_costs  (USD at base_year)."""
        return pyo.quicksum(m.weight[y] * m.year_cost[y] for y in m.YEARS) + m.build_charges + m.holding_costs

    m.present_value = pyo.Objective(rule=present_value_rule, sense=pyo.minimize, doc=_doc(present_value_rule))
    return m


def _online_shares(candidates: pd.DataFrame, horizon: Horizon) -> dict[tuple, float]:
    """(build, start, year) -> the share of period year's calendar years in which the plant
    started then is online (online_year <= t < online_year + lifetime_years); shares > 0 only."""
    shares: dict[tuple, float] = {}
    keys = index_keys(candidates[["build", "start_year"]])
    online = candidates["online_year"].to_numpy(float)[:, None]
    closed = online + candidates["lifetime_years"].to_numpy(float)[:, None]
    for year, n in zip(horizon.years, horizon.period_years):
        calendar = np.arange(year, year + n)[None, :]
        share = ((calendar >= online) & (calendar < closed)).mean(axis=1)
        shares.update(
            {(build, start, int(year)): value for (build, start), value in zip(keys, share.tolist()) if value}
        )
    return shares


def _add_builds(
    m: pyo.ConcreteModel,
    planning: PlanningTables,
    horizon: Horizon,
    networks: Mapping[int, Network],
    options: MarketOptions,
) -> None:
    """Builds, their size rows, the build limits and the builds' capacity in the years' rows."""
    builds = planning.builds.reset_index(drop=True)
    limits = planning.build_limits.reset_index(drop=True)
    candidates = _candidates(planning, horizon, networks, options)
    names = builds["build"].tolist()
    whole = builds.loc[builds["min_t"].notna(), "build"].tolist() if "min_t" in builds else []
    # a build's site is a refiner (refining) or an origin (mining); its country is the site's
    # in the first year's network, as build_part reads it
    first = networks[horizon.years[0]]
    country_of = {
        "refining": first.refiners.set_index("refiner")["country"].to_dict(),
        "mining": first.origins.set_index("origin")["country"].to_dict(),
    }
    start_keys = index_keys(candidates[["build", "start_year"]])
    shares = _online_shares(candidates, horizon)

    m.BUILDS = pyo.Set(initialize=names, ordered=True, doc="builds of builds.csv")
    m.BUILD_STARTS = pyo.Set(
        initialize=start_keys,
        dimen=2,
        ordered=True,
        doc="(build c, start year s): s >= earliest_start and the plant online before the horizon ends",
    )
    m.BUILD_ONLINE = pyo.Set(
        initialize=list(shares), dimen=3, ordered=True, doc="(c, s, y): build c started in s is online during period y"
    )
    m.WHOLE_BUILDS = pyo.Set(initialize=whole, ordered=True, doc="builds with a min_t: built whole or not at all")
    m.build_stage = _param(m.BUILDS, zip(names, builds["stage"]), "refining (adds to a refiner's capacity) or mining")
    m.build_site = _param(m.BUILDS, zip(names, builds["site"]), "the refiner (refining) or origin (mining) it expands")
    m.build_country = _param(
        m.BUILDS,
        zip(names, [country_of[stage][site] for stage, site in zip(builds["stage"], builds["site"])]),
        "the site's country (of the first year's network)",
    )
    m.build_max_t = _param(m.BUILDS, zip(names, _floats(builds["max_t"])), "largest size, t/yr over all starts")
    m.build_min_t = _param(
        m.WHOLE_BUILDS,
        zip(whole, _floats(builds.set_index("build").loc[whole, "min_t"])),
        "size of a whole plant if built, t/yr",
    )
    m.lifetime_years = _param(
        m.BUILDS, zip(names, _floats(builds["lifetime_years"])), "years a plant is online, from online_year"
    )
    m.online_year = _param(
        m.BUILD_STARTS, zip(start_keys, _floats(candidates["online_year"])), "start year + lead time"
    )
    m.online_share = _param(m.BUILD_ONLINE, shares, "share of period y's years build c started in s is online")
    m.build_charge_usd_per_t = _param(
        m.BUILD_STARTS,
        zip(start_keys, _floats(candidates["charge_usd_per_t"])),
        "present value per t/yr: sum over its online years t in the horizon of (annuity + fixed O&M) x delta_t",
    )

    m.build_t = pyo.Var(
        m.BUILD_STARTS, within=pyo.NonNegativeReals, doc="t/yr of capacity of build c whose construction starts in s"
    )
    m.built = pyo.Var(m.WHOLE_BUILDS, within=pyo.Binary, doc="1 if whole build c is built, else 0")

    starts_of: dict = {}  # build -> [start years]
    for c, s in start_keys:
        starts_of.setdefault(c, []).append(s)

    def build_size_rule(m, c):
        """build_size[c]:  sum_s build_t[c,s] <= build_max_t[c]  (x built[c] for a whole build; t/yr)."""
        size = pyo.quicksum(m.build_t[c, s] for s in starts_of.get(c, []))
        if c in m.WHOLE_BUILDS:
            return size <= m.build_max_t[c] * m.built[c]
        return size <= m.build_max_t[c] if c in starts_of else pyo.Constraint.Skip

    def build_min_rule(m, c):
        """build_min[c]:  sum_s build_t[c,s] >= build_min_t[c] x built[c]  (whole builds; t/yr)."""
        return pyo.quicksum(m.build_t[c, s] for s in starts_of.get(c, [])) >= m.build_min_t[c] * m.built[c]

    m.build_size = pyo.Constraint(m.BUILDS, rule=build_size_rule, doc=_doc(build_size_rule))
    m.build_min = pyo.Constraint(m.WHOLE_BUILDS, rule=build_min_rule, doc=_doc(build_min_rule))

    # ---- build limits -----------------------------------------------------------------------
    limit_keys = index_keys(limits[["country", "stage"]]) if len(limits) else []
    m.BUILD_LIMITS = pyo.Set(initialize=limit_keys, dimen=2, ordered=True, doc="(country, stage) of build_limits.csv")
    by_year = {y: planning.at(y).build_limits.reset_index(drop=True) for y in horizon.years}  # paths.csv
    m.build_limit_t_per_year = _param(
        m.BUILD_LIMITS * m.YEARS,
        (
            ((country, stage, y), value)
            for y in horizon.years
            for (country, stage), value in zip(limit_keys, _floats(by_year[y]["limit_t_per_year"]))
        ),
        "capacity the country can start building per year in period y, t/yr per year",
    )

    def build_limit_rule(m, country, stage, y):
        """build_limit[country,stage,y]:  sum build_t[c,y] over its builds <= limit x period_years[y]  (t/yr)."""
        started = [
            m.build_t[c, s]
            for c, s in m.BUILD_STARTS
            if s == y and m.build_country[c] == country and m.build_stage[c] == stage
        ]
        if not started:
            return pyo.Constraint.Skip
        return pyo.quicksum(started) <= m.build_limit_t_per_year[country, stage, y] * m.period_years[y]

    m.build_limit = pyo.Constraint(m.BUILD_LIMITS, m.YEARS, rule=build_limit_rule, doc=_doc(build_limit_rule))

    # ---- the builds' capacity in the years' capacity (refining) and supply (mining) rows --------
    online_at: dict = {}  # (year, stage, site) -> [(c, s)] online that year
    for c, s, y in m.BUILD_ONLINE:
        online_at.setdefault((y, m.build_stage[c], m.build_site[c]), []).append((c, s))

    def sites(stage: str, row: str) -> list[tuple]:
        """(year, site) of the sites with a build online that year and a row in the year's block."""
        return [
            (y, site)
            for (y, st, site) in online_at
            if st == stage and site in m.year[y].component(row)  # a skipped row (inf) cannot bind
        ]

    m.BUILT_REFINERS = pyo.Set(
        initialize=sites("refining", "capacity"), dimen=2, ordered=True, doc="(y, r): a build is online at r in y"
    )
    m.BUILT_ORIGINS = pyo.Set(
        initialize=sites("mining", "supply"), dimen=2, ordered=True, doc="(y, o): a build is online at o in y"
    )

    def built_capacity(m, y, stage, site):
        """sum over the builds at the site online in y of online_share[c,s,y] build_t[c,s]."""
        return pyo.quicksum(m.online_share[c, s, y] * m.build_t[c, s] for c, s in online_at.get((y, stage, site), []))

    def capacity_with_builds_rule(m, y, r):
        """capacity_with_builds[y,r]:  sum_o year[y].x[o,r] <= year[y].capacity_t[r] + built capacity online  (t/yr)."""
        year = m.year[y]
        feed = year.capacity[r].body  # the year row's left side: sum_o x[o,r]
        return feed <= year.capacity_t[r] + built_capacity(m, y, "refining", r)

    def supply_with_builds_rule(m, y, o):
        """supply_with_builds[y,o]:  sum_r year[y].x[o,r] <= year[y].supply_t[o] + built capacity online  (t/yr)."""
        year = m.year[y]
        mined = year.supply[o].body  # the year row's left side: sum_r x[o,r]
        return mined <= year.supply_t[o] + built_capacity(m, y, "mining", o)

    m.capacity_with_builds = pyo.Constraint(
        m.BUILT_REFINERS, rule=capacity_with_builds_rule, doc=_doc(capacity_with_builds_rule)
    )
    m.supply_with_builds = pyo.Constraint(
        m.BUILT_ORIGINS, rule=supply_with_builds_rule, doc=_doc(supply_with_builds_rule)
    )
    for y, r in m.BUILT_REFINERS:
        m.year[y].capacity[r].deactivate()  # restated by capacity_with_builds[y, r]
    for y, o in m.BUILT_ORIGINS:
        m.year[y].supply[o].deactivate()  # restated by supply_with_builds[y, o]
    m.build_charges = pyo.Expression(
        expr=pyo.quicksum(m.build_charge_usd_per_t[c, s] * m.build_t[c, s] for c, s in m.BUILD_STARTS),
        doc="the builds' charges, USD in present value",
    )


def _add_stockpiles(m: pyo.ConcreteModel, planning: PlanningTables) -> None:
    """Stockpiles: fill, draw and level per year, their balance, their place in the demand rows
    (bounds and holding cost per period: paths.csv may change them)."""
    stock = planning.stockpiles.reset_index(drop=True)
    names = stock["stockpile"].tolist()
    by_year = {y: planning.at(y).stockpiles.reset_index(drop=True) for y in m.YEARS}

    def per_year(column: str, fill: float | None = None) -> list:
        return [
            ((k, y), v)
            for y in m.YEARS
            for k, v in zip(names, _floats(by_year[y][column] if fill is None else by_year[y][column].fillna(fill)))
        ]

    m.STOCKPILES = pyo.Set(initialize=names, ordered=True, doc="stockpiles of stockpiles.csv")
    m.stock_market = _param(m.STOCKPILES, zip(names, stock["market"]), "the market whose demand it serves")
    m.stock_product = _param(m.STOCKPILES, zip(names, stock["product"]), "the product it holds")
    m.initial_t = _param(m.STOCKPILES, zip(names, _floats(stock["initial_t"])), "level before the first period, t")
    m.stock_min_t = _param(m.STOCKPILES * m.YEARS, per_year("min_t", 0.0), "lowest level in period y, t (blank: 0)")
    m.stock_max_t = _param(m.STOCKPILES * m.YEARS, per_year("max_t"), "highest level in period y, t (inf: none)")
    m.holding_usd_per_t_year = _param(
        m.STOCKPILES * m.YEARS, per_year("holding_usd_per_t_year"), "USD per t held per year in period y"
    )

    m.fill_t = pyo.Var(m.STOCKPILES, m.YEARS, within=pyo.NonNegativeReals, doc="t/yr put into stock in period y")
    m.draw_t = pyo.Var(m.STOCKPILES, m.YEARS, within=pyo.NonNegativeReals, doc="t/yr drawn from stock in period y")
    m.level_t = pyo.Var(
        m.STOCKPILES,
        m.YEARS,
        bounds=lambda m, k, y: (m.stock_min_t[k, y], _finite(m.stock_max_t[k, y])),
        doc="t in stock at the end of period y",
    )

    def stock_balance_rule(m, k, y):
        """stock_balance[k,y]:  level_t[k,y] = level_t[k,y-1] (first: initial_t[k]) + period_years[y] (fill - draw)."""
        before = m.initial_t[k] if y == m.YEARS.first() else m.level_t[k, m.YEARS.prev(y)]
        return m.level_t[k, y] == before + m.period_years[y] * (m.fill_t[k, y] - m.draw_t[k, y])

    m.stock_balance = pyo.Constraint(m.STOCKPILES, m.YEARS, rule=stock_balance_rule, doc=_doc(stock_balance_rule))

    stocks_of: dict = {}  # (market, product) -> [stockpiles]
    for k in m.STOCKPILES:
        stocks_of.setdefault((m.stock_market[k], m.stock_product[k]), []).append(k)
    m.STOCKED_DEMANDS = pyo.Set(
        initialize=[(y, mk, p) for y in m.YEARS for mk, p in stocks_of],
        dimen=3,
        ordered=True,
        doc="(y, m, p): a stockpile serves demand row (m, p)",
    )

    def demand_with_stock_rule(m, y, mk, p):
        """demand_with_stock[y,m,p]:  year[y].demand[m,p]'s left side + sum_k (draw_t - fill_t) >= demand_t  (t/yr)."""
        year = m.year[y]
        served = year.demand[mk, p].body  # the year row's left side: sum_r s[r,m,p] + u[m,p] (+ curve steps)
        stocked = pyo.quicksum(m.draw_t[k, y] - m.fill_t[k, y] for k in stocks_of[(mk, p)])
        return served + stocked >= year.demand_t[mk, p]

    m.demand_with_stock = pyo.Constraint(
        m.STOCKED_DEMANDS, rule=demand_with_stock_rule, doc=_doc(demand_with_stock_rule)
    )
    for y, mk, p in m.STOCKED_DEMANDS:
        m.year[y].demand[mk, p].deactivate()  # restated by demand_with_stock[y, m, p]
    m.holding_costs = pyo.Expression(
        expr=pyo.quicksum(
            m.holding_usd_per_t_year[k, y] * m.weight[y] * m.level_t[k, y] for k in m.STOCKPILES for y in m.YEARS
        ),
        doc="the stockpiles' holding costs, USD in present value",
    )


__all__ = ["build_plan_pyomo_model"]
