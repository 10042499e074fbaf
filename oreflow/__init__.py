"""oreflow: the rare-earth supply chain as a market model — ore to refiners to markets at
least cost, or at maximum welfare where demand has curves — with shadow prices.

Typical use::

    import oreflow
    result = oreflow.solve("inputs/rare_earths_2024")
    result.market                          # price, quantity and surplus per market and product
    result.welfare                         # willingness to pay, total cost, welfare, rents
    result.shadow_prices["capacity"]       # refiner, rhs, activity, shadow_price, slack, binding
    oreflow.solve("inputs/baseline.toml", market=oreflow.MarketOptions(demand_form="linear"))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from oreflow.model.arrays import LinearProgram
from oreflow.model.errors import DatasetWarning, InputError, InputWarning, Problem, SolveError
from oreflow.model.market import MarketOptions
from oreflow.model.network import Network, load_inputs
from oreflow.model.record import SolutionRecord

if TYPE_CHECKING:  # pragma: no cover
    from pyomo.environ import Block, ConcreteModel

    from oreflow.api import solve
    from oreflow.embed import ResolvedPrices, Resolver
    from oreflow.model.plan import Horizon
    from oreflow.model.planning import PlanningTables
    from oreflow.result import Result

#: Names of the front door imported on first use, so that importing the ground floor
#: (``oreflow.model``, ``oreflow.solvers``) does not run the front door (docs/architecture.md).
_LAZY = {
    "solve": "oreflow.api",
    "Result": "oreflow.result",
    "Resolver": "oreflow.embed",
    "ResolvedPrices": "oreflow.embed",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'oreflow' has no attribute {name!r}")


__version__ = "0.1.0"


def build_pyomo_model(
    network: Network,
    unmet_penalty_usd_per_t: float | MarketOptions | None = None,
    market: MarketOptions | None = None,
) -> ConcreteModel:
    """The LP of ``network`` as a Pyomo ConcreteModel (see :mod:`oreflow.model.pyomo_model`).

    Components are named as in docs/formulation.md: variables ``x``, ``s``, ``u``, ``q``
    (the demand-curve steps); constraints ``supply``, ``capacity``, ``balance``, ``demand``,
    ``ban``, ``quota``, ``share_limit``, ``contract`` (the families of
    :mod:`oreflow.model.families`); objective ``total_cost``. ``market``
    (:class:`~oreflow.model.market.MarketOptions`, also accepted in place of the penalty)
    says how demand curves are represented, as in :func:`oreflow.solve`; a penalty given
    with it overrides its ``unmet_penalty_usd_per_t``. With ``demand_form = "linear"`` the
    objective is quadratic (a QP). Pyomo is imported only when this is called.
    """
    from oreflow.model.pyomo_model import build_pyomo_model as build

    return build(network, unmet_penalty_usd_per_t, market)


def build_plan_pyomo_model(
    networks: Mapping[int, Network],
    horizon: Horizon,
    planning: PlanningTables | None = None,
    market: MarketOptions | float | None = None,
) -> ConcreteModel:
    """The plan over ``horizon`` as a Pyomo ConcreteModel (see :mod:`oreflow.model.pyomo_plan`).

    ``networks`` holds one validated Network per year (e.g. ``oreflow.planning.plan_networks``),
    ``planning`` the builds, build limits and stockpiles (``oreflow.model.planning.read_planning``;
    None: none), ``market`` how demand is represented, as for ``oreflow.planning.solve_plan``.
    Components are named as in docs/formulation.md, "Planning over years": Set ``YEARS``;
    Params ``weight``, ``period_years``; one Block ``year[y]`` per year holding that year's
    :func:`build_pyomo_model` (its own objective deactivated); variables ``build_t``, ``built``,
    ``fill_t``, ``draw_t``, ``level_t``; constraints ``build_size``, ``build_min``,
    ``build_limit``, ``capacity_with_builds``, ``supply_with_builds``, ``stock_balance``,
    ``demand_with_stock``; objective ``present_value`` (its optimum is ``solve_plan``'s
    objective). Pyomo is imported only when this is called.
    """
    from oreflow.model.pyomo_plan import build_plan_pyomo_model as build

    return build(networks, horizon, planning, market)


def pyomo_block(
    network: Network,
    *,
    demand: Mapping[tuple[str, str], Any] | None = None,
    supply: Mapping[str, Any] | None = None,
    market: MarketOptions | float | None = None,
) -> Block:
    """The LP of ``network`` as a Pyomo Block to embed in another Pyomo model, its demand or
    supply set by that model (see :mod:`oreflow.model.pyomo_block` and docs/embedding.md).

    ``demand`` maps (market, product) to an expression or variable of the outer model (t
    per year; the row becomes a fixed demand, its curve dropped), ``supply`` maps an origin
    to one (t REO per year); ``market`` is as for :func:`oreflow.solve`. Assign the block to
    the outer model (``outer.oreflow = oreflow.pyomo_block(network, demand=...)``) and add
    its Expression ``total_cost`` (USD per year) to the outer objective: the block has no
    objective of its own. Its components are :func:`build_pyomo_model`'s, with the linked
    rows restated as ``demand_linked[m,p]``, ``share_limit_linked[m,p,c,bound]`` and
    ``supply_linked[o]`` (the originals deactivated). Pyomo is imported only when this is called.
    """
    from oreflow.model.pyomo_block import pyomo_block as build

    return build(network, demand=demand, supply=supply, market=market)


__all__ = [
    "DatasetWarning",
    "InputError",
    "InputWarning",
    "LinearProgram",
    "MarketOptions",
    "Network",
    "Problem",
    "ResolvedPrices",
    "Resolver",
    "Result",
    "SolutionRecord",
    "SolveError",
    "build_plan_pyomo_model",
    "build_pyomo_model",
    "load_inputs",
    "pyomo_block",
    "solve",
    "__version__",
]
