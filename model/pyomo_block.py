"""The allocation LP as a Pyomo Block that another model embeds, its demand or supply set by it.

:func:`pyomo_block` returns the LP of :func:`~.pyomo_model.build_pyomo_model` (every
component listed there, unchanged) moved into a ``Block`` for an outer model to hold
(``outer.oreflow = pyomo_block(network, demand=...)``), with the demand of some
(market, product) rows and the ore supply of some origins given by the outer model's
expressions or variables instead of the dataset's ``demand_t`` and ``supply_t``:

- everything of :mod:`.pyomo_model`: Sets ``ORIGINS``, ``REFINERS``, ``MARKETS``,
  ``PRODUCTS``, ``ORE_ROUTES``, ``PRODUCT_ROUTES``, ``COMPOSITION``, ``SHIPMENTS``,
  ``DEMANDS``, ``DEMAND_STEPS``, ``BANS``, ``QUOTAS``, ``SHARE_LIMITS``, ``CONTRACTS``;
  Params (``supply_t``, ``capacity_t``, ``demand_t``, costs, ``wtp_constant_usd``, ...);
  Vars ``x[o,r]``, ``s[r,m,p]``, ``u[m,p]``, ``q[m,p,side,k]``; Constraints ``supply[o]``,
  ``capacity[r]``, ``balance[r,p]``, ``demand[m,p]``, ``ban``, ``quota``, ``share_limit``,
  ``contract``;
- Expression ``total_cost`` (USD per year): the LP's objective — every cost, minus the
  willingness to pay of what the demand curves consume, with its constant
  ``wtp_constant_usd`` — for the outer model to add to its own objective. The block has no
  Objective: the twin's Objective ``total_cost`` is removed and its expression kept under
  the same name. Minimised on its own with the linked values fixed, it is
  :func:`oreflow.solve`'s objective on the dataset with those values (:func:`fixed_demand`);
- demand: Set ``LINKED_DEMANDS`` (m,p); Expression ``linked_demand_t[m,p]`` (the outer
  model's expression, t of product per year); Constraint ``demand_linked[m,p]``:
  demand[m,p]'s left side - linked_demand_t[m,p] >= 0, with ``demand[m,p]`` deactivated;
- share limits on a linked demand: Set ``LINKED_SHARE_LIMITS`` (m,p,c,bound); Param
  ``linked_share`` (the max or min share, a fraction); Constraint
  ``share_limit_linked[m,p,c,bound]``: share_limit's left side - linked_share x
  linked_demand_t[m,p] <= 0 (max) or >= 0 (min), with ``share_limit[m,p,c,bound]`` deactivated;
- supply: Set ``LINKED_ORIGINS`` (o); Expression ``linked_supply_t[o]`` (t REO per year);
  Constraint ``supply_linked[o]``: sum_r x[o,r] - linked_supply_t[o] <= 0, with ``supply[o]``
  deactivated (where the twin has that row: an origin with ``supply_t = inf`` has none).
  Skipped for an origin without ore routes (it supplies nothing either way).

A linked demand is a fixed demand: the outer model decides the quantity, so a demand curve
on that row (``elasticity`` in demand.csv) is dropped before the model is built — otherwise
the outer model's own response would be counted twice and the block's objective would reward
demand by its willingness to pay. Its unmet penalty is then a fixed row's (its own, else
``penalty_multiple`` x its reference price, else the default); every other curve stays.

Each restated row keeps its variables on the left and 0 on the right, so that Pyomo reports
its dual in oreflow's sign (docs/conventions.md; ``outer.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)``):
``demand_linked`` >= 0, the marginal delivered cost of the product in that market (USD/t);
``supply_linked`` <= 0, minus what one more tonne of ore would save (USD/t REO);
``share_limit_linked`` per tonne of the limit (not per percentage point). Written as
``left side >= linked_demand_t``, Pyomo would move the outer variable to the left and
report the opposite sign.

How it is built, reusing the twin rather than restating it: :func:`build_pyomo_model` builds
the model of the dataset (linked rows made fixed demands by :func:`fixed_demand`); its
Objective is replaced by the Expression; the linked rows are deactivated and restated; then
``Block.transfer_attributes_from`` moves every component into a new constructed Block (the
way :mod:`.pyomo_plan`'s year blocks take theirs). Deactivate and restate, as
:mod:`.pyomo_plan` restates a year's capacity with its builds (``capacity_with_builds``),
rather than change the rows in place: the block stays the twin as built (``pprint`` shows
both rows) and each restated row reads as its equation.

Example (an outer model whose build-out sets NdPr demand in the EU)::

    import pyomo.environ as pyo
    import oreflow

    outer = pyo.ConcreteModel()
    outer.wind_mw = pyo.Var(bounds=(0, 20_000))
    outer.ndpr_t = pyo.Expression(expr=2211 + 0.2 * outer.wind_mw)
    outer.oreflow = oreflow.pyomo_block(network, demand={("EU", "NdPr"): outer.ndpr_t})
    outer.cost = pyo.Objective(expr=120_000 * outer.wind_mw + outer.oreflow.total_cost)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyomo.environ as pyo

from .errors import InputError, Problem
from .market import MarketOptions, as_options
from .network import Network
from .policies import share_limit_index
from .pyomo_model import _doc, build_pyomo_model, index_keys
from .tables import TABLES

#: Where a problem with the linked keys is reported.
_CALL = "pyomo_block"


def fixed_demand(network: Network, rows: Iterable[tuple[str, str]] | Mapping[tuple[str, str], float]) -> Network:
    """``network`` with the demand rows ``rows`` (market, product) made fixed demands: their
    demand curves removed (``elasticity`` blank) and, where ``rows`` maps them to numbers,
    their ``demand_t`` set to those (t per year). With the block's linked values, this is
    the standalone dataset whose :func:`oreflow.solve` objective equals the block's
    ``total_cost`` at its optimum. Keys not in ``network.demand``, and quantities the
    dataset's rules reject, raise InputError."""
    keys = list(rows)
    demand = network.demand.reset_index(drop=True)
    position = _positions(demand, keys, "demand")
    demand = demand.copy()
    if "elasticity" in demand:
        demand.loc[position, "elasticity"] = np.nan
    if not isinstance(rows, Mapping):
        return dataclasses.replace(network, demand=demand)  # a curve removed: nothing to re-check
    demand.loc[position, "demand_t"] = np.asarray([float(rows[k]) for k in keys], dtype=float)
    tables = {spec.name: getattr(network, spec.name) for spec in TABLES}
    changed = Network.from_frames(**{**tables, "demand": demand})  # the new quantities validated
    return dataclasses.replace(changed, source=network.source, file_hashes=dict(network.file_hashes))


def _positions(demand: Any, keys: list[tuple[str, str]], argument: str) -> list[int]:
    """Positions in ``demand`` of the (market, product) ``keys``; InputError for unknown ones."""
    rows = {(m, p): i for i, (m, p) in enumerate(zip(demand["market"], demand["product"]))}
    unknown = [k for k in keys if not (isinstance(k, tuple) and k in rows)]
    if unknown:
        expected = "a (market, product) of demand.csv"
        raise InputError(
            [Problem(f"{_CALL}({argument}=...)", None, "market, product", repr(k), expected) for k in unknown],
            heading=f"{_CALL}: {argument} names demand rows the dataset does not have",
        )
    return [rows[k] for k in keys]


def pyomo_block(
    network: Network,
    *,
    demand: Mapping[tuple[str, str], Any] | None = None,
    supply: Mapping[str, Any] | None = None,
    market: MarketOptions | float | None = None,
) -> pyo.Block:
    """The LP of ``network`` as a Pyomo Block whose linked demand and supply are the outer
    model's (see the module docstring for its components).

    Args:
        network: a validated :class:`~oreflow.Network`.
        demand: (market, product) -> a Pyomo expression, variable or number: that row's
            demand, t of product per year (a fixed demand: its curve, if any, is dropped).
        supply: origin -> a Pyomo expression, variable or number: that origin's ore supply,
            t REO per year.
        market: how the other demand rows are represented, as for :func:`oreflow.solve`
            (:class:`~oreflow.model.market.MarketOptions`; a number: the unmet penalty).

    Returns a constructed ``Block`` to assign to the outer model
    (``outer.oreflow = pyomo_block(...)``); add ``outer.oreflow.total_cost`` to the outer
    objective. Raises InputError for a key the dataset does not have.
    """
    demand = dict(demand or {})
    supply = dict(supply or {})
    _positions(network.demand.reset_index(drop=True), list(demand), "demand")
    origins = set(network.origins["origin"])
    unknown = [o for o in supply if o not in origins]
    if unknown:
        raise InputError(
            [Problem(f"{_CALL}(supply=...)", None, "origin", repr(o), "an origin of origins.csv") for o in unknown],
            heading=f"{_CALL}: supply names origins the dataset does not have",
        )
    model = build_pyomo_model(fixed_demand(network, list(demand)) if demand else network, as_options(market))
    objective = model.total_cost.expr
    model.del_component(model.total_cost)
    model.total_cost = pyo.Expression(
        expr=objective,
        doc="the LP's objective, USD per year: every cost minus the willingness to pay of the demand curves",
    )
    _link_demand(model, network, demand)
    _link_supply(model, supply)
    block = pyo.Block(concrete=True, name="oreflow")
    block.transfer_attributes_from(model)
    return block


def _link_demand(m: pyo.ConcreteModel, network: Network, demand: Mapping[tuple[str, str], Any]) -> None:
    """Set, Expression and restated rows of the linked demands and of their share limits."""
    keys = list(demand)
    m.LINKED_DEMANDS = pyo.Set(
        initialize=keys, dimen=2, ordered=True, doc="(m, p): demand rows whose demand_t the outer model sets"
    )
    m.linked_demand_t = pyo.Expression(
        m.LINKED_DEMANDS,
        rule=lambda m, mk, p: demand[mk, p],
        doc="the outer model's demand, t of product per year (replaces demand_t[m,p])",
    )

    def demand_linked_rule(m, mk, p):
        """demand_linked[m,p]:  demand[m,p]'s left side - linked_demand_t[m,p] >= 0     (t product per year)."""
        return m.demand[mk, p].body - m.linked_demand_t[mk, p] >= 0

    m.demand_linked = pyo.Constraint(m.LINKED_DEMANDS, rule=demand_linked_rule, doc=_doc(demand_linked_rule))
    for mk, p in keys:
        m.demand[mk, p].deactivate()  # restated by demand_linked[m, p]

    limits = share_limit_index(network)
    linked = set(keys)
    chosen = [
        (key, float(share))
        for key, share in zip(index_keys(limits[["market", "product", "country", "bound"]]), limits["share"])
        if key[:2] in linked and key in m.share_limit  # a skipped row (a max share no flow meets) stays skipped
    ]
    m.LINKED_SHARE_LIMITS = pyo.Set(
        initialize=[k for k, _ in chosen], dimen=4, ordered=True, doc="(m, p, c, bound): share limits on linked demand"
    )
    m.linked_share = pyo.Param(
        m.LINKED_SHARE_LIMITS, initialize=dict(chosen), within=pyo.Any, doc="max or min share of the demand, fraction"
    )

    def share_limit_linked_rule(m, mk, p, country, bound):
        """share_limit_linked[m,p,c,bound]:  its flows - linked_share x linked_demand_t <= 0 (max), >= 0 (min).

        Units: t of product per year; the dual is per tonne of the limit, not per percentage point.
        """
        key = (mk, p, country, bound)
        over = m.share_limit[key].body - m.linked_share[key] * m.linked_demand_t[mk, p]
        return over <= 0 if bound == "max" else over >= 0

    m.share_limit_linked = pyo.Constraint(
        m.LINKED_SHARE_LIMITS, rule=share_limit_linked_rule, doc=_doc(share_limit_linked_rule)
    )
    for key in m.LINKED_SHARE_LIMITS:
        m.share_limit[key].deactivate()  # restated by share_limit_linked[key]


def _link_supply(m: pyo.ConcreteModel, supply: Mapping[str, Any]) -> None:
    """Set, Expression and restated rows of the linked ore supplies."""
    m.LINKED_ORIGINS = pyo.Set(initialize=list(supply), ordered=True, doc="origins whose supply_t the outer model sets")
    m.linked_supply_t = pyo.Expression(
        m.LINKED_ORIGINS,
        rule=lambda m, o: supply[o],
        doc="the outer model's ore supply, t REO per year (replaces supply_t[o])",
    )
    routes: dict[str, list] = {}
    for o, r in m.ORE_ROUTES:
        routes.setdefault(o, []).append(r)

    def supply_linked_rule(m, o):
        """supply_linked[o]:  sum_r x[o,r] - linked_supply_t[o] <= 0     (t REO per year)."""
        if not routes.get(o):
            return pyo.Constraint.Skip
        return pyo.quicksum(m.x[o, r] for r in routes[o]) - m.linked_supply_t[o] <= 0

    m.supply_linked = pyo.Constraint(m.LINKED_ORIGINS, rule=supply_linked_rule, doc=_doc(supply_linked_rule))
    for o in m.LINKED_ORIGINS:
        if o in m.supply:
            m.supply[o].deactivate()  # restated by supply_linked[o]


__all__ = ["fixed_demand", "pyomo_block"]
