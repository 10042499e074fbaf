"""One row of figures per solved point, read straight from the solution arrays.

Columns (units in docs/sensitivity.md): ``objective_usd``; ``cost.<component>_usd``;
``unmet_t`` and ``unmet_t.<market>/<product>``; ``feed_t.<refining country>`` (t REO
refined there); ``ore_t.<origin country>`` (t REO mined there);
``price.<family>.<key>`` (shadow prices in the units of the ``shadow_prices_<family>``
tables, demand prices including share limits' effect, as in :class:`~oreflow.Result`);
when asked for, ``flow_t.<origin>/<refiner>`` (t REO per ore route) and
``ship_t.<refiner>/<market>/<product>`` (t product per shipment).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from oreflow.model.lp import LinearProgram
from oreflow.model.network import Network
from oreflow.ranging import UNDETERMINED, UNIQUE
from oreflow.result import SHADOW_PRICE_UNITS, ZERO_TOLERANCE, _demand_price
from oreflow.model.record import SolutionRecord

#: The columns naming a row of each family in price column names (all index columns otherwise).
PRICE_KEYS = {"quota": ("quota",)}
#: Flows a sweep can record per column: kind -> (column block, column prefix).
FLOW_COLUMNS = {"ore_routes": ("x", "flow_t"), "shipments": ("s", "ship_t")}


def price_key(index: pd.DataFrame, family: str) -> list[str]:
    """The ``key`` of each row of a family (or column of a block): its naming columns joined
    by "/", blanks left out (column by column, vectorised over the rows)."""
    columns = list(PRICE_KEYS.get(family, tuple(index.columns)))
    if index.empty:
        return []
    key = index[columns[0]].astype(str).to_numpy(dtype=object)
    for column in columns[1:]:
        part = index[column].astype(str).to_numpy(dtype=object)
        key = np.where(part == "", key, np.where(key == "", part, key + "/" + part))
    return key.tolist()


def price_columns(columns: Iterable[str]) -> dict[str, dict[str, str]]:
    """``price.<family>.<key>`` -> {family, key, unit} for every price column among ``columns``."""
    found = {}
    for column in columns:
        if column.startswith("price."):
            family, key = column.split(".", 2)[1:]
            found[column] = {"family": family, "key": key, "unit": SHADOW_PRICE_UNITS.get(family, "USD per unit")}
    return found


class Extractor:
    """Precomputed groupings of one LP structure's columns and rows."""

    def __init__(self, network: Network, lp: LinearProgram, prices: tuple[str, ...],
                 flows: tuple[str, ...] = ()) -> None:
        x, u = lp.columns["x"], lp.columns["u"]
        refiner_country = x.index["refiner"].map(network.refiners.set_index("refiner")["country"])
        origin_country = x.index["origin"].map(network.origins.set_index("origin")["country"])
        self.feed_codes, feed_names = pd.factorize(refiner_country, sort=True)
        self.ore_codes, ore_names = pd.factorize(origin_country, sort=True)
        self.feed_names = [f"feed_t.{c}" for c in feed_names]
        self.ore_names = [f"ore_t.{c}" for c in ore_names]
        self.unmet_names = [f"unmet_t.{m}/{p}" for m, p in zip(u.index["market"], u.index["product"])]
        self.prices = prices
        #: column block -> names of its per-column flow figures (FLOW_COLUMNS)
        self.flow_names = {block: [f"{prefix}.{k}" for k in price_key(lp.columns[block].index, block)]
                           for kind, (block, prefix) in FLOW_COLUMNS.items() if kind in flows}
        self.price_names = {family: [f"price.{family}.{k}" for k in price_key(lp.rows[family].index, family)]
                            for family in prices}

    def price_uniqueness(self, lp: LinearProgram, codes: np.ndarray) -> dict[str, Any]:
        """``unique.<family>.<key>`` for every recorded price: True, False, or None where
        undetermined (codes of oreflow.ranging.dual_uniqueness, per LP row)."""
        out: dict[str, Any] = {}
        for family in self.prices:
            family_codes = codes[lp.rows[family].slice]
            values = [None if c == UNDETERMINED else bool(c == UNIQUE) for c in family_codes.tolist()]
            out.update(zip((f"unique.{name.removeprefix('price.')}" for name in self.price_names[family]), values))
        return out

    def figures(self, lp: LinearProgram, record: SolutionRecord) -> dict[str, Any]:
        """The point's figures from its LP (costs and scales as solved) and solution."""
        value = np.where(np.abs(record.col_value) < ZERO_TOLERANCE, 0.0, record.col_value)
        out: dict[str, Any] = {"objective_usd": float(record.objective)}
        for term, by_block in lp.cost_terms.items():
            out[f"cost.{term}_usd"] = float(sum(c @ value[lp.columns[b].slice] for b, c in by_block.items()))
        unmet = value[lp.columns["u"].slice]
        out["unmet_t"] = float(unmet.sum())
        out.update(zip(self.unmet_names, unmet.tolist()))
        x = value[lp.columns["x"].slice]
        out.update(zip(self.feed_names, np.bincount(self.feed_codes, x, len(self.feed_names)).tolist()))
        out.update(zip(self.ore_names, np.bincount(self.ore_codes, x, len(self.ore_names)).tolist()))
        for block, names in self.flow_names.items():
            out.update(zip(names, value[lp.columns[block].slice].tolist()))
        for family in self.prices:
            block = lp.rows[family]
            if family == "demand":
                price = _demand_price(lp, record)
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    price = record.row_dual[block.slice] / lp.report_scale(family)
            price = np.where(np.abs(price) < ZERO_TOLERANCE, 0.0, price)
            out.update(zip(self.price_names[family], price.tolist()))
        return out
