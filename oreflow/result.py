"""The :class:`Result` of a solve: allocation tables, cost breakdown and shadow prices.

Units and signs are those of docs/conventions.md:

- flows in t per year (ore in t REO, products in t of separated oxide);
- money in USD per year, unit costs in USD/t;
- ``shadow_price`` = change of the optimal total cost (USD) per one-unit increase of
  the constraint's right-hand side (USD/t for every family here): a binding capacity
  has a negative price (what one more tonne of capacity saves, with a minus sign), a
  demand a positive one (the marginal delivered cost of that product in that market);
- ``slack`` = distance of the activity from the right-hand side, >= 0;
- ``binding`` = the constraint holds with equality (slack <= BINDING_TOLERANCE
  * max(1, |rhs|)). A non-zero shadow price implies binding; a binding constraint may
  still have a zero price (degenerate);
- ``ranging``, ``dual_unique``, ``alternative_optimum`` and ``dual_trust``: see
  :mod:`oreflow.ranging` and docs/conventions.md ("Ranging", "Dual trust and degeneracy").
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from oreflow.model.arrays import LinearProgram
from oreflow.model.conventions import BINDING_TOLERANCE, ZERO_TOLERANCE, clean, join_keys
from oreflow.model.families import FAMILIES_BY_NAME
from oreflow.model.network import Network
from oreflow.model.ranging import DualTrust
from oreflow.model.record import SolutionRecord
from oreflow.model.solution import SHADOW_VALUE_COLUMNS, binding_rows, flows_by_product, read_solution

__all__ = [
    "BINDING_TOLERANCE",
    "SHADOW_VALUE_COLUMNS",
    "ZERO_TOLERANCE",
    "Result",
    "clean",
    "join_keys",
    "largest_price_first",
    "make_result",
]


@dataclass
class Result:
    """Optimal allocation of one solve.

    Attributes:
        status: ``"optimal"`` (a non-optimal solve raises :class:`~oreflow.SolveError`).
        objective: the minimised quantity, USD per year: the total cost, minus the
            willingness to pay of what is consumed where demand rows have curves (then
            ``-objective`` is the welfare; ``welfare`` has both parts).
        cost_breakdown: USD per year by component (``mining``, ``ore_freight``,
            ``processing``, ``product_freight``, ``unmet_penalty``, ``tariffs`` when the
            dataset has any, ``willingness_to_pay`` (negative) when it has demand curves)
            and ``total`` (= ``objective``).
        allocations: one row per ore route: origin, refiner, ``ore_t``, unit and total cost.
        refinery: one row per refiner: ``throughput_t``, ``capacity_t``, ``utilisation``.
        production: one row per refiner and product: ``produced_t``, ``shipped_t``, ``unsold_t``.
        shipments: one row per shipment variable: refiner, market, product, ``shipped_t``.
        unmet: one row per demand row: ``demand_t``, ``supplied_t``, ``unmet_t``.
        reduced_costs: one row per ore route: ``reduced_cost_usd_per_t`` and
            ``alternative_optimum`` (non-basic at a zero reduced cost).
        shadow_prices: family name -> table of its keys, ``rhs``, ``activity``,
            ``shadow_price``, ``slack``, ``binding``, ``dual_unique`` (empty where it
            cannot be determined).
        dual_method: how the duals were obtained (e.g. a simplex basis).
        ranging: ``{"costs": ..., "rhs": ...}`` (:mod:`oreflow.ranging`); empty when the
            solve gave no basis to range, ``ranging_note`` then says why.
        ranging_note: how the ranging was obtained, or why there is none.
        dual_trust: whether the duals and the allocation are unique
            (:class:`oreflow.ranging.DualTrust`).
        market: one row per demand row: price (the equilibrium price where the row has a
            curve, else the marginal delivered cost), quantity, reference demand and price,
            demand change, consumer surplus, and flags ``fragile`` and ``surplus`` with a
            ``note`` in words (:func:`oreflow.model.solution.market_table`).
        welfare: USD per year: ``willingness_to_pay``, ``total_cost``, ``welfare``,
            ``consumer_surplus``, ``origin_rents``, ``refiner_rents`` and ``other``
            (:func:`oreflow.model.solution.welfare`).
    """

    status: str
    objective: float
    cost_breakdown: dict[str, float]
    allocations: pd.DataFrame
    refinery: pd.DataFrame
    production: pd.DataFrame
    shipments: pd.DataFrame
    unmet: pd.DataFrame
    reduced_costs: pd.DataFrame
    shadow_prices: dict[str, pd.DataFrame]
    dual_method: str
    backend: str
    solver: str
    iterations: int
    timings: dict[str, float] = field(default_factory=dict)
    network: Network | None = field(default=None, repr=False)
    lp: LinearProgram | None = field(default=None, repr=False)
    ranging: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    ranging_note: str = "not computed"
    dual_trust: DualTrust | None = None
    market: pd.DataFrame = field(default_factory=pd.DataFrame)
    welfare: dict[str, float] = field(default_factory=dict)

    @functools.cached_property
    def flows_by_product(self) -> pd.DataFrame:
        """One row per ore route and product it carries: origin, refiner, product, ``ore_t``,
        the origin's ``share`` and ``contained_t`` (t of the product in that ore); computed
        on first use (it is as long as the routes times the products), empty without a network."""
        if self.network is None:
            return pd.DataFrame(columns=["origin", "refiner", "product", "ore_t", "share", "contained_t"])
        return flows_by_product(self.network, self.allocations)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by output name (``shadow_prices_<family>`` for each family, and
        ``ranging_costs``/``ranging_rhs`` when there is ranging)."""
        tables = {
            "cost_breakdown": pd.DataFrame(
                {"component": list(self.cost_breakdown), "cost_usd": list(self.cost_breakdown.values())}
            ),
            "allocations": self.allocations,
            "refinery": self.refinery,
            "production": self.production,
            "shipments": self.shipments,
            "unmet": self.unmet,
            "market": self.market,
            "welfare": pd.DataFrame({"component": list(self.welfare), "usd": list(self.welfare.values())}),
            "reduced_costs": self.reduced_costs,
            "flows_by_product": self.flows_by_product,
        }
        tables.update({f"shadow_prices_{name}": with_units(frame, name) for name, frame in self.shadow_prices.items()})
        tables.update({f"ranging_{name}": with_units(frame) for name, frame in self.ranging.items()})
        return tables

    def binding(self) -> pd.DataFrame:
        """All binding constraints with a non-zero shadow price, largest |price| first.

        Columns: ``family``, ``key`` (e.g. ``CN_Baotou`` or ``US/NdPr``), ``rhs``,
        ``shadow_price``, ``unit``.
        """
        return largest_price_first(binding_rows(self.shadow_prices))


def with_units(frame: pd.DataFrame, family: str | None = None) -> pd.DataFrame:
    """A table of rows of constraint families (a ``shadow_prices_<family>`` table, or
    ``ranging_rhs`` with its ``family`` column) with the units of its bare value columns:
    ``rhs_unit`` (of rhs, activity, slack and the rhs interval: ``t`` or ``%``, a share
    limit's percentage points) and ``price_unit`` (of shadow_price: ``USD/t``, ``USD/pp``, ...),
    from the registry (docs/conventions.md). A table without such rows is returned as it is."""
    if "rhs" not in frame.columns or (family is None and "family" not in frame.columns):
        return frame
    if family is not None:
        spec = FAMILIES_BY_NAME[family]
        return frame.assign(rhs_unit=spec.rhs_unit, price_unit=spec.price_unit_short)
    names = frame["family"].astype(str)
    return frame.assign(
        rhs_unit=names.map(lambda f: FAMILIES_BY_NAME[f].rhs_unit if f in FAMILIES_BY_NAME else ""),
        price_unit=names.map(lambda f: FAMILIES_BY_NAME[f].price_unit_short if f in FAMILIES_BY_NAME else ""),
    )


def largest_price_first(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by |shadow_price|, largest first (stable), with a fresh index."""
    order = frame["shadow_price"].abs().sort_values(ascending=False, kind="stable").index
    return frame.reindex(order).reset_index(drop=True)


def make_result(
    network: Network, lp: LinearProgram, record: SolutionRecord, backend: str, timings: dict[str, Any] | None = None
) -> Result:
    """Turn a solution record into a Result (:func:`oreflow.model.solution.read_solution`)."""
    solution = read_solution(network, lp, record)
    return Result(
        **{f.name: getattr(solution, f.name) for f in dataclasses.fields(solution)},  # every table
        status=record.status,
        objective=float(record.objective),
        dual_method=record.dual_method,
        backend=backend,
        solver=record.solver,
        iterations=record.iterations,
        timings={**record.timings, **(timings or {})},
        network=network,
        lp=lp,
        ranging_note=record.ranging_note,
    )
