"""A view of one result for the page: the report's own figures and wording, and each
figure's change against the base case.

The figures are the report's (:func:`oreflow.report.run.charts.run_charts`), built from the
result's tables in memory (the same tables a run writes as CSV and the report reads back);
the market and welfare sections are the report's HTML. Beside each figure the view says in
one line how it moved from the base case, and :func:`view` lists every market price with
its base value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oreflow.errors import InputError, Problem
from oreflow.model.families import FAMILIES
from oreflow.prices import FRAGILE, FRAGILE_MEANING, kg_text
from oreflow.report.common import fmt
from oreflow.report.common.html import _plain
from oreflow.report.run.charts import flows_chart, run_charts
from oreflow.report.run.data import RunData
from oreflow.report.run.market import market_section, welfare_section
from oreflow.result import Result

#: The page's chart slots, in page order (a slot is empty when the report leaves its chart out).
SLOTS = ("sankey", "cost", "refinery", "delivered", "unmet", "policies")

#: What an empty slot says (the report's words).
#: The heading of a slot whose chart the report leaves out (the report's title of that chart).
EMPTY_TITLE = {"unmet": "Unmet demand (t per year)", "policies": "Binding policies and their shadow prices"}

EMPTY = {
    "unmet": "All demand is met.",
    "policies": "No trade policy binds (no "
    + ", ".join(spec.title for spec in FAMILIES if spec.summary == "policy")
    + " with a non-zero shadow price).",
}


def run_data(result: Result, name: str) -> RunData:
    """``result`` as the report reads a run: its tables (in memory) and a summary."""
    summary = {"name": name, "status": result.status, "objective_usd": result.objective}
    return RunData(Path(name), summary, result.tables())


def figures(result: Result) -> dict[str, Any]:
    """The figures (numbers and charts) of a result, without comparison: what :func:`view`
    compares against the base case's."""
    run = run_data(result, "oreflow serve")
    # the Sankey of all products only: a product's view is drawn when the page asks (sankey_view)
    charts = {c.name: c for c in run_charts(run, sankey_per_product=False)}
    refinery = result.refinery
    if "country" not in refinery and result.network is not None:
        refinery = refinery.merge(result.network.refiners[["refiner", "country"]], on="refiner", how="left")
    market = result.market
    return {
        "run": run,
        "charts": charts,
        "total_cost": float(result.welfare.get("total_cost", result.cost_breakdown.get("total", result.objective))),
        "welfare": float(result.welfare["welfare"]) if "welfare" in result.welfare else None,
        "unmet_t": float(result.unmet["unmet_t"].sum()) if len(result.unmet) else 0.0,
        "by_country": refinery.groupby("country", sort=False)["throughput_t"].sum(),
        "throughput": result.refinery.set_index("refiner")["throughput_t"],
        "prices": market.set_index(["product", "market"])["price_usd_per_t"],
        "quantities": market.set_index(["product", "market"])["quantity_t"],
        # a fragile price (docs/conventions.md, "Fragile prices") and the market table's note
        "fragile": market.set_index(["product", "market"])["fragile"].astype("boolean").fillna(False),
        "notes": market.set_index(["product", "market"])["note"].fillna("").astype(str),
        "policies": int(
            sum(
                (run.prices(s.name)["binding"].astype(bool) & (run.prices(s.name)["shadow_price"] != 0)).sum()
                for s in FAMILIES
                if s.summary == "policy" and not run.prices(s.name).empty
            )
        ),
    }


def sankey_view(result: Result, product: str | None) -> dict[str, Any]:
    """The Sankey of one product (None or "": all products) of ``result``: its figure and
    caption, as the report's view of that product (:func:`~oreflow.report.run.charts.flows_chart`)."""
    run = run_data(result, "oreflow serve")
    products = set(run.products())
    if product and product not in products:
        raise InputError(
            Problem(
                "the Sankey's product",
                None,
                "product",
                str(product),
                f"one of the products ({', '.join(sorted(products))}) or blank for all",
                "choice",
            )
        )
    chart = flows_chart(run, per_product=False, product=product or None)
    return _plain({"ok": True, "figure": chart.figure, "caption": chart.caption, "product": product or ""})


def _change(now: float, base: float, text: Any = fmt.num) -> str:
    """``73,736 (base 57,968; +27.2 %)``."""
    diff = now - base
    rel = f"; {diff / base:+.1%}" if base and np.isfinite(base) and abs(base) > 1e-9 else ""
    sign = "+" if diff > 0 else "−" if diff < 0 else "±"
    return f"{text(now)} (base {text(base)}; {sign}{text(abs(diff))}{rel})"


def _deltas(now: dict[str, Any], base: dict[str, Any]) -> dict[str, str]:
    """One line per slot: how its figure moved from the base case."""
    same = "Same as the base case."
    out: dict[str, str] = {}
    countries = now["by_country"].index.union(base["by_country"].index)
    moved = now["by_country"].reindex(countries, fill_value=0) - base["by_country"].reindex(countries, fill_value=0)
    moved = moved[moved.abs() > 0.5].sort_values(key=np.abs, ascending=False)
    out["sankey"] = (
        "Against the base case, refining moves: "
        + "; ".join(f"{fmt.country(c)} {v:+,.0f} t" for c, v in moved.head(4).items())
        + "."
        if len(moved)
        else same
    )
    out["cost"] = "Total cost " + _change(now["total_cost"], base["total_cost"], fmt.usd) + " per year."
    refiners = now["throughput"].index
    step = now["throughput"] - base["throughput"].reindex(refiners, fill_value=0)
    step = step[step.abs() > 0.5].sort_values(key=np.abs, ascending=False)
    out["refinery"] = (
        "Throughput against the base case: " + "; ".join(f"{r} {v:+,.0f} t" for r, v in step.head(4).items()) + "."
        if len(step)
        else same
    )
    prices, was = now["prices"], base["prices"].reindex(now["prices"].index)
    rel = ((prices - was) / was.where(was.abs() > 1e-9)).dropna()
    rel = rel[rel.abs() > 1e-6].sort_values(key=np.abs, ascending=False)
    out["delivered"] = (
        "Prices that moved most: "
        + "; ".join(f"{p} in {m} {kg_text(prices[(p, m)])} ({v:+.1%})" for (p, m), v in rel.head(4).items())
        + "."
        if len(rel)
        else same
    )
    out["unmet"] = (
        same
        if abs(now["unmet_t"] - base["unmet_t"]) < 1e-6
        else "Unmet demand " + _change(now["unmet_t"], base["unmet_t"], fmt.tonnes) + "."
    )
    out["policies"] = (
        same
        if now["policies"] == base["policies"]
        else f"{now['policies']} binding policies with a price (base {base['policies']})."
    )
    return out


def chart_slots(
    slots: tuple[str, ...],
    charts: dict[str, Any],
    deltas: dict[str, str],
    empty_title: dict[str, str],
    empty: dict[str, str],
) -> list[dict[str, Any]]:
    """Each slot's chart for the page: its title, caption(s), figure and its change against
    the base; a slot the report leaves out keeps a heading and says why (``empty``)."""
    out = []
    for slot in slots:
        chart = charts.get(slot)
        out.append(
            {
                "name": slot,
                "title": chart.title if chart else empty_title.get(slot, slot),
                "caption": chart.caption if chart else empty.get(slot, ""),
                "captions": chart.captions if chart else {},
                "figure": chart.figure if chart else None,
                "delta": deltas[slot],
            }
        )
    return out


def price_rows(now: dict[str, Any], base: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per product and market: its price and quantity, the base's, whether the price
    is fragile and the market table's note (``now``/``base``: :func:`figures`' keys)."""
    return [
        {
            "product": p,
            "market": m,
            "price_usd_per_t": float(v),
            "base_price_usd_per_t": float(base["prices"].get((p, m), np.nan)),
            "quantity_t": float(now["quantities"][(p, m)]),
            "base_quantity_t": float(base["quantities"].get((p, m), np.nan)),
            "fragile": bool(now["fragile"][(p, m)]),
            "note": now["notes"][(p, m)],
        }
        for (p, m), v in now["prices"].items()
    ]


def view(result: Result, base: dict[str, Any], now: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the page shows of ``result`` (JSON-ready): the headline numbers and prices with
    their base values, each chart slot's figure, caption and change against the base case
    (``base``: :func:`figures` of the base case), the market and welfare sections."""
    now = now if now is not None else figures(result)
    charts = chart_slots(SLOTS, now["charts"], _deltas(now, base), EMPTY_TITLE, EMPTY)
    prices = price_rows(now, base)
    numbers = {
        "objective_usd": float(result.objective),
        "total_cost_usd": now["total_cost"],
        "base_total_cost_usd": base["total_cost"],
        "welfare_usd": now["welfare"],
        "base_welfare_usd": base["welfare"],
        "unmet_t": now["unmet_t"],
        "base_unmet_t": base["unmet_t"],
    }
    lead = f"Total cost {_change(now['total_cost'], base['total_cost'], fmt.usd)} per year"
    if now["welfare"] is not None and base["welfare"] is not None:
        lead += f"; welfare {_change(now['welfare'], base['welfare'], fmt.usd)}"
    lead += "; " + (f"{fmt.tonnes(now['unmet_t'])} of demand unmet." if now["unmet_t"] > 0 else "all demand met.")
    run = now["run"]
    return _plain(
        {
            "lead": lead,
            "numbers": numbers,
            "prices": prices,
            "charts": charts,
            "fragile_word": FRAGILE,
            "fragile_meaning": FRAGILE_MEANING,
            "market_html": market_section(run),
            "welfare_html": welfare_section(run),
            "iterations": int(result.iterations),
        }
    )
