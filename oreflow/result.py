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

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from oreflow.model.lp import LinearProgram
from oreflow.model.network import Network
from oreflow.model.record import SolutionRecord

if TYPE_CHECKING:
    from oreflow.ranging import DualTrust

#: Relative tolerance under which a constraint counts as binding.
BINDING_TOLERANCE = 1e-6
#: Values (flows, duals) smaller than this in magnitude are reported as exactly 0.
ZERO_TOLERANCE = 1e-9

#: Unit of each family's shadow price.
SHADOW_PRICE_UNITS = {
    "supply": "USD per t REO of ore supply",
    "capacity": "USD per t REO of refining feed capacity",
    "balance": "USD per t of product at the refiner",
    "demand": "USD per t of product delivered",
    "ban": "USD per t of banned flow allowed",
    "quota": "USD per t of quota",
    "share_limit": "USD per percentage point of the share limit",
}
#: Columns of a ``shadow_prices_<family>`` table that are values, not keys naming the row.
SHADOW_VALUE_COLUMNS = ("rhs", "activity", "shadow_price", "slack", "binding", "dual_unique")


@dataclass
class Result:
    """Optimal allocation of one solve.

    Attributes:
        status: ``"optimal"`` (a non-optimal solve raises :class:`~oreflow.SolveError`).
        objective: optimal total cost, USD per year.
        cost_breakdown: USD per year by component (``mining``, ``ore_freight``,
            ``processing``, ``product_freight``, ``unmet_penalty``, and ``tariffs`` when
            the dataset has any) and ``total``.
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
            "reduced_costs": self.reduced_costs,
        }
        tables.update({f"shadow_prices_{name}": frame for name, frame in self.shadow_prices.items()})
        tables.update({f"ranging_{name}": frame for name, frame in self.ranging.items()})
        return tables

    def binding(self) -> pd.DataFrame:
        """All binding constraints with a non-zero shadow price, largest |price| first.

        Columns: ``family``, ``key`` (e.g. ``CN_Baotou`` or ``US/NdPr``), ``rhs``,
        ``shadow_price``, ``unit``.
        """
        parts = []
        for family, frame in self.shadow_prices.items():
            keys = [c for c in frame.columns if c not in SHADOW_VALUE_COLUMNS]
            sub = frame.loc[frame["binding"] & (frame["shadow_price"] != 0)]
            parts.append(
                pd.DataFrame(
                    {
                        "family": family,
                        "key": join_keys(sub[keys]).to_numpy(dtype=object),
                        "rhs": sub["rhs"].to_numpy(),
                        "shadow_price": sub["shadow_price"].to_numpy(),
                        "unit": SHADOW_PRICE_UNITS.get(family, "USD per unit of right-hand side"),
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        return largest_price_first(out)


def largest_price_first(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by |shadow_price|, largest first (stable), with a fresh index."""
    order = frame["shadow_price"].abs().sort_values(ascending=False, kind="stable").index
    return frame.reindex(order).reset_index(drop=True)


def clean(values: np.ndarray) -> np.ndarray:
    """A float copy of ``values`` with magnitudes below ZERO_TOLERANCE set to exactly 0."""
    out = np.asarray(values, dtype=float).copy()
    out[np.abs(out) < ZERO_TOLERANCE] = 0.0
    return out


def join_keys(frame: pd.DataFrame) -> pd.Series:
    """Each row's values as text joined by "/" (e.g. ``CN_Baotou``, ``US/NdPr``), column-wise."""
    if frame.shape[1] == 0:
        return pd.Series("", index=frame.index, dtype=object)
    return functools.reduce(lambda a, b: a + "/" + b, (frame[c].astype(str) for c in frame.columns))


def make_result(
    network: Network, lp: LinearProgram, record: SolutionRecord, backend: str, timings: dict[str, Any] | None = None
) -> Result:
    """Turn a solution record into the Result tables (whole-array operations only)."""
    value = clean(record.col_value)
    x, s, u = lp.columns["x"], lp.columns["s"], lp.columns["u"]
    origin_country = network.origins.set_index("origin")["country"]
    refiner_country = network.refiners.set_index("refiner")["country"]

    # cost breakdown, USD
    breakdown = {
        term: float(sum(coeff @ value[lp.columns[block].slice] for block, coeff in by_block.items()))
        for term, by_block in lp.cost_terms.items()
    }
    breakdown["total"] = float(sum(breakdown.values()))

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

    balance = lp.rows["balance"]
    shipped = shipments.groupby(["refiner", "product"], sort=False)["shipped_t"].sum()
    keys = pd.MultiIndex.from_frame(balance.index)
    shipped_rp = shipped.reindex(keys).fillna(0.0).to_numpy()
    activity = clean(record.row_value[balance.slice])  # shipped - produced
    produced = clean(shipped_rp - activity)
    production = balance.index.assign(
        produced_t=produced, shipped_t=shipped_rp, unsold_t=clean(np.maximum(produced - shipped_rp, 0.0))
    )

    u_value = value[u.slice]
    demand_t = network.demand["demand_t"].to_numpy(float)
    penalty = lp.cost[u.slice]
    supplied = shipments.groupby(["market", "product"], sort=False)["shipped_t"].sum()
    unmet = u.index.assign(
        demand_t=demand_t,
        supplied_t=supplied.reindex(pd.MultiIndex.from_frame(u.index)).fillna(0.0).to_numpy(),
        unmet_t=u_value,
        penalty_usd_per_t=penalty,
        cost_usd=penalty * u_value,
    )

    from oreflow.ranging import alternative_optimum, dual_trust, dual_uniqueness, ranging_tables

    alternative = alternative_optimum(lp, record)
    reduced_costs = x.index.assign(
        ore_t=x_value, unit_cost_usd_per_t=x_cost, reduced_cost_usd_per_t=clean(record.col_dual[x.slice]),
        alternative_optimum=alternative[x.slice],
    )

    unique = dual_uniqueness(lp, record)
    shadow_prices = {name: _shadow_table(lp, record, name) for name in lp.rows}
    shadow_prices["demand"]["shadow_price"] = _demand_price(lp, record)
    _add_dual_unique(lp, shadow_prices, unique)
    binding = np.concatenate([frame["binding"].to_numpy(bool) for frame in shadow_prices.values()])

    return Result(
        status=record.status,
        objective=float(record.objective),
        cost_breakdown=breakdown,
        allocations=allocations,
        refinery=refinery,
        production=production,
        shipments=shipments,
        unmet=unmet,
        reduced_costs=reduced_costs,
        shadow_prices=shadow_prices,
        dual_method=record.dual_method,
        backend=backend,
        solver=record.solver,
        iterations=record.iterations,
        timings={**record.timings, **(timings or {})},
        network=network,
        lp=lp,
        ranging=ranging_tables(lp, record, binding),
        ranging_note=record.ranging_note,
        dual_trust=dual_trust(lp, record, unique, alternative),
    )


def _shadow_table(lp: LinearProgram, record: SolutionRecord, family: str) -> pd.DataFrame:
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
            shadow_price=clean(record.row_dual[block.slice] / scale),
            slack=slack * scale,
            binding=binding,
        )


def _demand_price(lp: LinearProgram, record: SolutionRecord) -> np.ndarray:
    """d(optimal cost)/d(demand_t) for each demand row, USD per t.

    A share limit's right-hand side is share x demand_t, so one more tonne demanded also
    moves every share limit on that market and product: the price is the demand row's
    dual plus, for each such limit, share x its dual per tonne.
    """
    demand = lp.rows["demand"]
    price = np.asarray(record.row_dual[demand.slice], dtype=float).copy()
    limits = lp.rows["share_limit"]
    if len(limits.index):
        share = lp.rhs("share_limit") * lp.report_scale("share_limit") / 100.0
        effect = np.zeros(len(price))
        np.add.at(effect, _demand_row_of_share_limits(lp), share * record.row_dual[limits.slice])
        price += effect
    return clean(price)


def _demand_row_of_share_limits(lp: LinearProgram) -> np.ndarray:
    """For each share-limit row, the position of its market and product's demand row."""
    demand = pd.MultiIndex.from_frame(lp.rows["demand"].index[["market", "product"]])
    return demand.get_indexer(pd.MultiIndex.from_frame(lp.rows["share_limit"].index[["market", "product"]]))


def _add_dual_unique(lp: LinearProgram, shadow_prices: dict[str, pd.DataFrame], codes: np.ndarray) -> None:
    """Add each family's ``dual_unique`` column (nullable boolean, <NA> where undetermined).

    A demand price includes its share limits' duals (:func:`_demand_price`), so it is
    unique only when the demand row's and each such limit's duals are (the minimum of
    their :func:`oreflow.ranging.dual_uniqueness` codes).
    """
    from oreflow.ranging import as_boolean

    demand = codes[lp.rows["demand"].slice].copy()
    np.minimum.at(demand, _demand_row_of_share_limits(lp), codes[lp.rows["share_limit"].slice])
    for family, frame in shadow_prices.items():
        frame["dual_unique"] = as_boolean(demand if family == "demand" else codes[lp.rows[family].slice])
