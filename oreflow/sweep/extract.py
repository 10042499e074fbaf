"""One row of figures per solved point, read straight from the solution arrays.

Columns (units in docs/sensitivity.md): ``objective_usd``; ``cost.<component>_usd``;
``unmet_t`` and ``unmet_t.<market>/<product>``; ``feed_t.<refining country>`` (t REO
refined there); ``ore_t.<origin country>`` (t REO mined there);
``price.<family>.<key>`` (shadow prices in the units of the ``shadow_prices_<family>``
tables, demand prices including share limits' effect, as in :class:`~oreflow.Result`);
when asked for, ``flow_t.<origin>/<refiner>`` (t REO per ore route) and
``ship_t.<refiner>/<market>/<product>`` (t product per shipment). Where demand rows have
curves: ``quantity_t.<market>/<product>`` (t delivered to each such row, as
``Result.market``'s ``quantity_t``; its price is ``price.demand.<market>/<product>``) and
``welfare_usd`` (willingness to pay - total cost = -objective).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from oreflow.model.arrays import LinearProgram
from oreflow.model.conventions import price_key
from oreflow.model.families import BLOCKS, DEMAND, ORE_ROUTES, SHIPMENTS, UNMET, price_unit
from oreflow.model.network import Network
from oreflow.model.ranging import UNDETERMINED, UNIQUE
from oreflow.model.record import SolutionRecord
from oreflow.model.solution import (
    column_values,
    cost_breakdown,
    curve_rows,
    price_keys,
    price_uniqueness,
    row_prices,
)

__all__ = ["Extractor", "price_columns", "price_key"]


def price_columns(columns: Iterable[str]) -> dict[str, dict[str, str]]:
    """``price.<family>.<key>`` -> {family, key, unit} for every price column among ``columns``."""
    found = {}
    for column in columns:
        if column.startswith("price."):
            family, key = column.split(".", 2)[1:]
            found[column] = {"family": family, "key": key, "unit": price_unit(family)}
    return found


class Extractor:
    """Precomputed groupings of one LP structure's columns and rows."""

    def __init__(
        self, network: Network, lp: LinearProgram, prices: tuple[str, ...], flows: tuple[str, ...] = ()
    ) -> None:
        x, u = lp.columns[ORE_ROUTES], lp.columns[UNMET]
        refiner_country = x.index["refiner"].map(network.refiners.set_index("refiner")["country"])
        origin_country = x.index["origin"].map(network.origins.set_index("origin")["country"])
        self.feed_codes, feed_names = pd.factorize(refiner_country, sort=True)
        self.ore_codes, ore_names = pd.factorize(origin_country, sort=True)
        self.feed_names = [f"feed_t.{c}" for c in feed_names]
        self.ore_names = [f"ore_t.{c}" for c in ore_names]
        self.unmet_names = [f"unmet_t.{m}/{p}" for m, p in zip(u.index["market"], u.index["product"])]
        self.prices = prices
        #: column block -> names of its per-column flow figures (the registry's ``flows``)
        self.flow_names = {
            b.name: [f"{b.flows[1]}.{k}" for k in price_key(lp.columns[b.name].index, b.name)]
            for b in BLOCKS
            if b.flows is not None and b.flows[0] in flows
        }
        self.price_names = {family: [f"price.{family}.{k}" for k in price_keys(lp, family)] for family in prices}
        # demand rows with a curve: each shipment's position among them (-1: a row without one)
        demand = lp.rows[DEMAND].index
        curved = curve_rows(lp)
        rows = pd.MultiIndex.from_frame(demand.loc[curved, ["market", "product"]])
        self.quantity_names = [f"quantity_t.{m}/{p}" for m, p in rows]
        s = lp.columns[SHIPMENTS].index
        self.quantity_codes = (
            rows.get_indexer(pd.MultiIndex.from_frame(s[["market", "product"]])) if len(rows) else None
        )

    def price_uniqueness(self, lp: LinearProgram, codes: np.ndarray) -> dict[str, Any]:
        """``unique.<family>.<key>`` for every recorded price: True, False, or None where
        undetermined (codes of oreflow.ranging.dual_uniqueness, per LP row)."""
        out: dict[str, Any] = {}
        for family in self.prices:
            family_codes = price_uniqueness(lp, codes, family)
            values = [None if c == UNDETERMINED else bool(c == UNIQUE) for c in family_codes.tolist()]
            out.update(zip((f"unique.{name.removeprefix('price.')}" for name in self.price_names[family]), values))
        return out

    def figures(self, lp: LinearProgram, record: SolutionRecord) -> dict[str, Any]:
        """The point's figures from its LP (costs and scales as solved) and solution."""
        value = column_values(record)
        out: dict[str, Any] = {"objective_usd": float(record.objective)}
        breakdown = cost_breakdown(lp, value)
        out.update({f"cost.{term}_usd": amount for term, amount in breakdown.items() if term != "total"})
        if self.quantity_codes is not None:
            out["welfare_usd"] = -breakdown["total"] + 0.0  # + 0.0: no -0.0
            shipped = value[lp.columns[SHIPMENTS].slice]
            known = self.quantity_codes >= 0
            delivered = np.bincount(self.quantity_codes[known], shipped[known], minlength=len(self.quantity_names))
            out.update(zip(self.quantity_names, delivered.tolist()))
        unmet = value[lp.columns[UNMET].slice]
        out["unmet_t"] = float(unmet.sum())
        out.update(zip(self.unmet_names, unmet.tolist()))
        x = value[lp.columns[ORE_ROUTES].slice]
        out.update(zip(self.feed_names, np.bincount(self.feed_codes, x, len(self.feed_names)).tolist()))
        out.update(zip(self.ore_names, np.bincount(self.ore_codes, x, len(self.ore_names)).tolist()))
        for block, names in self.flow_names.items():
            out.update(zip(names, value[lp.columns[block].slice].tolist()))
        for family in self.prices:
            out.update(zip(self.price_names[family], row_prices(lp, record, family).tolist()))
        return out
