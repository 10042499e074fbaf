"""Prices and welfare for people: USD/kg, the ``fragile`` flag, what the objective is.

Shared by the printed summary (:mod:`oreflow.summary`), the reports (:mod:`oreflow.report`)
and scenario comparison. The tables keep USD/t (``market.csv``, ``shadow_prices_*.csv``);
people read rare-earth prices in USD/kg, so the summary and the reports show those.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: kg per t: a price in USD/t over this is USD/kg.
KG_PER_T = 1000.0
#: What the objective is without demand curves, and with them.
OBJECTIVE_COST = "total cost"
OBJECTIVE_WELFARE = "total cost - willingness to pay"
#: The word marking a fragile price, and what it means (a line under a list that uses it).
FRAGILE = "fragile"
FRAGILE_MEANING = (
    "Fragile prices: the right-hand side is within 1 % of an end of the range where the price "
    "holds (ranging_rhs.csv); past it the price changes."
)
#: The components of ``Result.welfare`` (welfare.csv) as people read them, in order.
WELFARE_LABELS = {
    "willingness_to_pay": "willingness to pay",
    "total_cost": "total cost",
    "welfare": "welfare (WTP - total cost)",
    "consumer_surplus": "consumer surplus",
    "origin_rents": "origin rents",
    "refiner_rents": "refiner rents",
    "other": "other (policy rents, fixed demand)",
}


def per_kg(usd_per_t: Any) -> Any:
    """USD/t as USD/kg (a number for a number, else an array)."""
    value = np.asarray(usd_per_t, dtype=float) / KG_PER_T
    return float(value) if value.ndim == 0 else value


def kg_amount(usd_per_t: float) -> str:
    """A price in USD/t written in USD/kg, without the unit: ``66.31``, ``0.262``, ``—`` for NaN."""
    value = float(usd_per_t) / KG_PER_T
    if not np.isfinite(value):
        return "—" if np.isnan(value) else ("no limit" if value > 0 else "-no limit")
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:,.3f}"


def kg_text(usd_per_t: float) -> str:
    """A price in USD/t written as ``66.31 USD/kg``."""
    return f"{kg_amount(usd_per_t)} USD/kg"


def flags(values: Any) -> np.ndarray:
    """A column of flags as booleans: True only where the value is true (a nullable boolean's
    <NA>, NaN, blank or a missing column reads False; ``"True"`` as read back from CSV, True)."""
    if values is None:
        return np.zeros(0, dtype=bool)
    out = []
    for value in np.asarray(pd.Series(values).astype(object), dtype=object):
        if isinstance(value, str):
            out.append(value.strip().lower() == "true")
        else:
            out.append(value is True or (isinstance(value, (bool, np.bool_)) and bool(value)))
    return np.asarray(out, dtype=bool)


def fragile(frame: pd.DataFrame) -> np.ndarray:
    """Each row's ``fragile`` flag of a shadow-price or market table (False where it has none)."""
    if "fragile" not in frame:
        return np.zeros(len(frame), dtype=bool)
    return flags(frame["fragile"])


def has_curves(market: pd.DataFrame | None) -> bool:
    """Whether any demand row has a demand curve (the market table's ``curve``)."""
    return market is not None and "curve" in market and bool(flags(market["curve"]).any())


def objective_meaning(curves: bool) -> str:
    """What the objective is: the total cost, or (with demand curves) total cost - WTP."""
    return OBJECTIVE_WELFARE if curves else OBJECTIVE_COST


def tonnes_amount(value: float) -> str:
    """``53,420 t`` from 100 t on or a whole number of tonnes, ``34.98 t`` otherwise."""
    whole = abs(value) >= 100 or abs(value - round(value)) < 1e-6
    return f"{value:,.0f} t" if whole else f"{value:,.2f} t"


def change_text(row: Any) -> str:
    """How a market row's quantity differs from its reference demand (a row with a curve):
    ``-5.02 t from the reference 40 t at 0.200 USD/kg``; empty without a curve."""
    if not flags([row["curve"]])[0]:
        return ""
    change = float(row["demand_change_t"])
    moved = "no change" if change == 0 else f"{'+' if change > 0 else '-'}{tonnes_amount(abs(change))}"
    reference = f"the reference {tonnes_amount(float(row['reference_demand_t']))}"
    price = row.get("reference_price_usd_per_t") if hasattr(row, "get") else row["reference_price_usd_per_t"]
    at = f" at {kg_text(float(price))}" if price is not None and np.isfinite(float(price)) else ""
    return f"{moved} from {reference}{at}"


__all__ = [
    "FRAGILE",
    "FRAGILE_MEANING",
    "KG_PER_T",
    "OBJECTIVE_COST",
    "OBJECTIVE_WELFARE",
    "WELFARE_LABELS",
    "change_text",
    "flags",
    "fragile",
    "has_curves",
    "kg_amount",
    "kg_text",
    "objective_meaning",
    "per_kg",
    "tonnes_amount",
]
