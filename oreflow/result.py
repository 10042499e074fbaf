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
  still have a zero price (degenerate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oreflow.model.lp import LinearProgram
from oreflow.model.network import Network
from oreflow.solvers.record import SolutionRecord

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
        reduced_costs: one row per ore route: ``reduced_cost_usd_per_t``.
        shadow_prices: family name -> table of its keys, ``rhs``, ``activity``,
            ``shadow_price``, ``slack``, ``binding``.
        dual_method: how the duals were obtained (e.g. a simplex basis).
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

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by output name (``shadow_prices_<family>`` for each family)."""
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
        return tables

    def binding(self) -> pd.DataFrame:
        """All binding constraints with a non-zero shadow price, largest |price| first.

        Columns: ``family``, ``key`` (e.g. ``CN_Baotou`` or ``US/NdPr``), ``rhs``,
        ``shadow_price``, ``unit``.
        """
        parts = []
        for family, frame in self.shadow_prices.items():
            keys = [c for c in frame.columns if c not in ("rhs", "activity", "shadow_price", "slack", "binding")]
            sub = frame.loc[frame["binding"] & (frame["shadow_price"] != 0)]
            parts.append(
                pd.DataFrame(
                    {
                        "family": family,
                        "key": sub[keys].astype(str).agg("/".join, axis=1) if len(sub) else pd.Series(dtype=str),
                        "rhs": sub["rhs"].to_numpy(),
                        "shadow_price": sub["shadow_price"].to_numpy(),
                        "unit": SHADOW_PRICE_UNITS.get(family, "USD per unit of right-hand side"),
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        return out.reindex(out["shadow_price"].abs().sort_values(ascending=False, kind="stable").index).reset_index(
            drop=True
        )


def _clean(values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=float).copy()
    out[np.abs(out) < ZERO_TOLERANCE] = 0.0
    return out


def make_result(
    network: Network, lp: LinearProgram, record: SolutionRecord, backend: str, timings: dict[str, Any] | None = None
) -> Result:
    """Turn a solution record into the Result tables (whole-array operations only)."""
    value = _clean(record.col_value)
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
    activity = _clean(record.row_value[balance.slice])  # shipped - produced
    produced = _clean(shipped_rp - activity)
    production = balance.index.assign(
        produced_t=produced, shipped_t=shipped_rp, unsold_t=_clean(np.maximum(produced - shipped_rp, 0.0))
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

    reduced_costs = x.index.assign(
        ore_t=x_value, unit_cost_usd_per_t=x_cost, reduced_cost_usd_per_t=_clean(record.col_dual[x.slice])
    )

    shadow_prices = {name: _shadow_table(lp, record, name) for name in lp.rows}
    shadow_prices["demand"]["shadow_price"] = _demand_price(lp, record)

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
    )


def _shadow_table(lp: LinearProgram, record: SolutionRecord, family: str) -> pd.DataFrame:
    """Keys, rhs, activity, shadow_price, slack and binding of one constraint family.

    Values are in the family's reporting units (``LinearProgram.report_scale``): rhs,
    activity and slack scaled by it, the shadow price divided by it.
    """
    block = lp.rows[family]
    rhs = lp.rhs(family)
    activity = _clean(record.row_value[block.slice])
    with np.errstate(invalid="ignore"):
        slack = np.where(lp.is_upper(family), rhs - activity, activity - rhs)
    slack = np.where(np.isinf(rhs), np.inf, np.maximum(_clean(slack), 0.0))
    binding = slack <= BINDING_TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isinf(rhs), 0.0, rhs)))
    scale = lp.report_scale(family)
    with np.errstate(invalid="ignore"):
        return block.index.assign(
            rhs=rhs * scale,
            activity=activity * scale,
            shadow_price=_clean(record.row_dual[block.slice] / scale),
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
        effect = pd.Series(share * record.row_dual[limits.slice]).groupby(
            [limits.index["market"].to_numpy(), limits.index["product"].to_numpy()]).sum()
        keys = pd.MultiIndex.from_frame(demand.index[["market", "product"]])
        price += effect.reindex(keys).fillna(0.0).to_numpy()
    return _clean(price)
