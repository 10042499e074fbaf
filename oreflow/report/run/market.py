"""The market and welfare sections of a run's page, from ``market.csv`` and ``welfare.csv``.

The market table gives, per product and market, the delivered price in USD/kg (and the
USD/t of the tables), the quantity and, where demand has a curve, the reference demand,
the change from it and the consumer surplus; its ``note`` says where a price is fragile or
where a co-product is in surplus (its price is freight only). The welfare section lists
the willingness to pay, total cost, welfare, consumer surplus and rents (demand curves only).
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from oreflow.prices import (
    FRAGILE,
    FRAGILE_MEANING,
    WELFARE_LABELS,
    flags,
    has_curves,
    kg_amount,
    kg_text,
    objective_meaning,
    tonnes_amount,
)
from oreflow.report.common import fmt
from oreflow.report.common.html import table
from oreflow.report.run.data import RunData


def market_frame(run: RunData) -> pd.DataFrame:
    """``market.csv`` as read back, its flags as booleans and its note as text (empty without it)."""
    market = run.table("market")
    if market.empty:
        return market
    out = market.copy()
    for name in ("curve", "fragile", "surplus"):
        out[name] = flags(out[name]) if name in out else np.zeros(len(out), dtype=bool)
    notes = out["note"].astype(object) if "note" in out else pd.Series("", index=out.index, dtype=object)
    out["note"] = ["" if pd.isna(v) else str(v) for v in notes]  # all blank: read back as NaN floats
    return out


def curves(run: RunData) -> bool:
    """Whether the run has demand curves (then its objective is total cost - willingness to pay)."""
    return has_curves(market_frame(run))


def welfare(run: RunData) -> dict[str, float]:
    """``welfare.csv`` as component -> USD per year (empty when not written)."""
    frame = run.table("welfare")
    if frame.empty:
        return {}
    return {str(k): float(v) for k, v in zip(frame["component"], frame["usd"])}


def row_note(row: dict[str, object]) -> str:
    """The note of one market row: the table's note, with ``fragile`` added where the note
    speaks of something else (a fragile price of a co-product in surplus)."""
    note = str(row.get("note") or "")
    if row.get("fragile") and FRAGILE not in note:
        note = f"{FRAGILE}; {note}" if note else FRAGILE
    return note


def market_caption(market: pd.DataFrame) -> str:
    """One line: the dearest and cheapest prices in USD/kg, the co-products in surplus, the
    fragile prices and, with demand curves, the largest change of demand."""
    priced = market.loc[~market["surplus"]] if (~market["surplus"]).any() else market
    top = priced.loc[priced["price_usd_per_t"].idxmax()]
    low = priced.loc[priced["price_usd_per_t"].idxmin()]
    if len(priced) == 1:
        parts = [f"The delivered price of {top['product']} in {top['market']} is {kg_text(top['price_usd_per_t'])}"]
    else:
        parts = [
            f"The dearest delivered price is {top['product']} in {top['market']} "
            f"({kg_text(top['price_usd_per_t'])}), the cheapest {low['product']} in {low['market']} "
            f"({kg_text(low['price_usd_per_t'])})"
        ]
    spare = list(dict.fromkeys(market.loc[market["surplus"], "product"].astype(str)))
    if spare:
        parts.append(
            f"{', '.join(spare)} {'is' if len(spare) == 1 else 'are'} in surplus: supply exceeds demand, "
            "so the price is freight only"
        )
    weak = int(market["fragile"].sum())
    if weak:
        parts.append(f"{weak} price{'s are' if weak > 1 else ' is'} fragile")
    moved = market.loc[market["curve"]]
    if len(moved):
        big = moved.loc[moved["demand_change_t"].abs().idxmax()]
        parts.append(
            f"demand moves most for {big['product']} in {big['market']}: {tonnes_amount(big['quantity_t'])} "
            f"against a reference {tonnes_amount(big['reference_demand_t'])}"
        )
    return "; ".join(parts) + "."


def market_section(run: RunData) -> str:
    """The market table (empty string when the folder has no market.csv)."""
    market = market_frame(run)
    if market.empty:
        return ""
    with_curves = bool(market["curve"].any())
    head = ["product", "market", "price, USD/kg", "price, USD/t", "quantity, t/yr"]
    if with_curves:
        head += ["reference demand, t/yr", "change, t/yr", "consumer surplus, USD/yr"]
    head.append("note")
    rows = []
    for row in market.to_dict(orient="records"):
        cells: list[object] = [
            row["product"],
            row["market"],
            kg_amount(row["price_usd_per_t"]) + (f" ({FRAGILE})" if row["fragile"] else ""),
            fmt.num(row["price_usd_per_t"]),
            tonnes_amount(row["quantity_t"]).removesuffix(" t"),
        ]
        if with_curves:
            cells += [
                tonnes_amount(row["reference_demand_t"]).removesuffix(" t"),
                f"{row['demand_change_t']:+,.2f}" if row["curve"] else "",
                fmt.num(row["consumer_surplus_usd"]) if row["curve"] else "",
            ]
        cells.append(row_note(row))
        rows.append(tuple(cells))
    numeric = set(range(2, len(head) - 1))
    legend = f"<p class=note>{escape(FRAGILE_MEANING)}</p>" if market["fragile"].any() else ""
    return (
        "<section id=market><h2>Market: delivered prices and quantities</h2>"
        f'<p class="caption" id="caption-market">{escape(market_caption(market))}</p>'
        + table(rows, tuple(head), numeric)
        + legend
        + "<p class=note>Prices are the demand rows' shadow prices: the equilibrium price where demand has a "
        "curve, else the marginal delivered cost. market.csv holds them in USD/t.</p></section>"
    )


def welfare_section(run: RunData) -> str:
    """The welfare figures (demand curves only: without them welfare is minus the total cost)."""
    found = welfare(run)
    if not found or not curves(run):
        return ""
    rows = [(label, fmt.usd(found[key]), fmt.num(found[key])) for key, label in WELFARE_LABELS.items() if key in found]
    caption = (
        f"Welfare {fmt.usd(found.get('welfare', float('nan')))} per year: willingness to pay "
        f"{fmt.usd(found.get('willingness_to_pay', float('nan')))} less total cost "
        f"{fmt.usd(found.get('total_cost', float('nan')))}; consumers keep "
        f"{fmt.usd(found.get('consumer_surplus', float('nan')))}, origins earn "
        f"{fmt.usd(found.get('origin_rents', float('nan')))} and refiners "
        f"{fmt.usd(found.get('refiner_rents', float('nan')))} in rents."
    )
    return (
        "<section id=welfare><h2>Welfare (USD per year)</h2>"
        f'<p class="caption" id="caption-welfare">{escape(caption)}</p>'
        + table(rows, ("component", "USD per year", "exact"), {1, 2})
        + f"<p class=note>The objective minimised is the {escape(objective_meaning(True))} "
        "(= − welfare).</p></section>"
    )


def calibration_section(run: RunData) -> str:
    """The base case against the dataset's observed figures (``calibration.csv``, written when
    the dataset has observed.csv; empty string otherwise): one row per figure with the model's
    value, the observed one, the band it must fall in, the relative error and whether it does."""
    frame = run.table("calibration")
    if frame.empty:
        return ""
    within = flags(frame["within"])
    rows = []
    for row, ok in zip(frame.to_dict(orient="records"), within):
        low, high = float(row["low"]), float(row["high"])

        def shown(value: float, unit: str = str(row["unit"])) -> str:
            return f"{100 * value:.1f} %" if unit == "share" else fmt.num(value)

        band = (
            "any"
            if np.isinf(low) and np.isinf(high)
            else f">= {shown(low)}"
            if np.isinf(high)
            else f"<= {shown(high)}"
            if np.isinf(low)
            else f"{shown(low)} .. {shown(high)}"
        )
        error = float(row["relative_error"])
        rows.append(
            (
                row["figure"],
                row["unit"],
                shown(float(row["model"])),
                shown(float(row["observed"])),
                band,
                "" if np.isnan(error) else f"{100 * error:+.1f}%",
                "yes" if ok else "NO",
                row.get("source", ""),
            )
        )
    missed = [str(f) for f, ok in zip(frame["figure"], within) if not ok]
    caption = f"{int(within.sum())} of {len(frame)} observed figures are within their tolerance" + (
        f"; outside: {', '.join(missed)}." if missed else "."
    )
    if "held_by" in frame:
        held = [f"{f} ({h})" for f, h in zip(frame["figure"], frame["held_by"].fillna("")) if h]
        if held:
            caption += " Held by a binding contract (an input, not a result): " + ", ".join(held) + "."
    return (
        "<section id=calibration><h2>Calibration: the model against observed figures</h2>"
        f'<p class="caption" id="caption-calibration">{escape(caption)}</p>'
        + table(
            rows,
            ("figure", "unit", "model", "observed", "band", "error", "within", "source"),
            {2, 3, 5},
        )
        + "<p class=note>From observed.csv of the dataset (docs/calibration.md); "
        "`oreflow calibrate JOB` prints the same comparison.</p></section>"
    )
