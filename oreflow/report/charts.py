"""The charts of one run: plotly figures as plain dicts, each with a one-line caption.

Figures are built as JSON-ready dicts (no plotly import: fast, and the same data feeds
the matplotlib PNGs). Every axis and tooltip carries its unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oreflow.report import fmt, sankey
from oreflow.report.data import RunData

HEAT = [[0.0, "#ffffcc"], [0.35, "#fed976"], [0.6, "#fd8d3c"], [0.8, "#e31a1c"], [1.0, "#800026"]]
FONT = {"family": "DejaVu Sans, Helvetica, Arial, sans-serif", "size": 13}


@dataclass
class Chart:
    name: str
    title: str
    caption: str
    figure: dict[str, Any]
    png: dict[str, Any] = field(default_factory=dict)  # what png.py needs to draw it
    captions: dict[str, str] = field(default_factory=dict)  # per view (Sankey product buttons)


def layout(height: int, **extra: Any) -> dict[str, Any]:
    return {"height": height, "margin": {"l": 60, "r": 30, "t": 30, "b": 60}, "font": FONT,
            "paper_bgcolor": "white", "plot_bgcolor": "white", "separators": ".,", **extra}


def axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "gridcolor": "#e5e8e8", "zerolinecolor": "#909497", "automargin": True, **extra}


def nulls(values: Any, scale: float = 1.0) -> list[float | None]:
    """Values / scale as a JSON-ready list, NaN and inf as None (a gap in the chart)."""
    return [None if not np.isfinite(v) else float(v) / scale for v in np.asarray(values, float)]


def flows_chart(run: RunData) -> Chart:
    products = [p for p in run.products() if not sankey.links(run, p).empty]
    views = [None] + products
    traces = [sankey.trace(run, p, i == 0) for i, p in enumerate(views)]
    buttons = [{"label": p or sankey.ALL, "method": "restyle",
                "args": [{"visible": [j == i for j in range(len(views))]}]} for i, p in enumerate(views)]
    heads = [(0.0, "left", "origins (ore, t REO)"), (0.5, "center", "refiners"),
             (1.0, "right", "markets (products, t)")]
    height = max(560, 28 * len(traces[0]["node"]["label"]))
    fig = {"data": traces, "layout": layout(
        height,
        margin={"l": 20, "r": 20, "t": 90, "b": 20},
        annotations=[{"x": x, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": a, "yanchor": "bottom",
                      "text": f"<b>{t}</b>", "showarrow": False} for x, a, t in heads],
        updatemenus=[{"type": "buttons", "direction": "right", "x": 0, "y": 1 + 48 / (height - 110), "xanchor": "left",
                      "yanchor": "bottom", "buttons": buttons, "showactive": True, "pad": {"r": 4, "t": 0}}])}
    captions = {p or sankey.ALL: sankey.caption(run, p) for p in views}
    note = "" if not run.table("flows_by_product").empty else " (per-product ore flows need flows_by_product.csv)"
    return Chart("sankey", "Flows: origin → refiner → market (t per year)" + note, captions[sankey.ALL], fig,
                 png={"links": sankey.links(run), "colours": sankey.refiner_colors(run)}, captions=captions)


def cost_chart(run: RunData) -> Chart:
    table = run.table("cost_breakdown")
    table = table.loc[table["component"] != "total"]
    total = float(table["cost_usd"].sum())
    labels = [fmt.COST_LABELS.get(c, c) for c in table["component"]]
    values = table["cost_usd"].to_numpy(float)
    scale, unit = fmt.money_scale(values)
    order = np.argsort(-values, kind="stable")
    big = [f"{labels[i]} {fmt.usd(values[i])} ({fmt.pct(values[i] / total)})" for i in order[:2] if values[i] > 0]
    caption = f"Total cost {fmt.usd(total)} per year; the largest parts are " + " and ".join(big) + "."
    fig = {"data": [{"type": "bar", "orientation": "h", "y": labels, "x": (values / scale).tolist(),
                     "customdata": values.tolist(), "marker": {"color": "#2e86c1"},
                     "text": [fmt.usd(v) for v in values], "textposition": "auto",
                     "hovertemplate": "%{y}: %{customdata:,.0f} USD per year<extra></extra>"}],
           "layout": layout(80 + 40 * len(labels), xaxis=axis(f"cost, {unit} per year", tickformat=",~r"),
                            yaxis=axis("cost component", autorange="reversed"))}
    return Chart("cost", "Total cost by component (USD per year)", caption, fig,
                 png={"labels": labels, "values": values / scale, "unit": f"{unit} per year"})


def refinery_chart(run: RunData) -> Chart:
    ref = run.table("refinery")
    cap = run.table("shadow_prices_capacity").set_index("refiner")["shadow_price"]
    names = ref["refiner"].astype(str).tolist()
    util = (ref["utilisation"].astype(float) * 100).round(2)
    saves = (-cap.reindex(ref["refiner"]).fillna(0.0)).clip(lower=0.0).to_numpy(float)
    full = int((util >= 99.99).sum())
    idx = int(np.argmax(saves)) if len(saves) else 0
    caption = f"{full} of {len(names)} refiners run at full capacity"
    if len(saves) and saves[idx] > 0:
        caption += (f"; one more tonne of feed capacity would save the most at {names[idx]} "
                    f"({fmt.usd(saves[idx], 't')})")
    caption += "."
    hover = [f"{fmt.num(t)} t of {fmt.num(c)} t" if math.isfinite(c) else f"{fmt.num(t)} t, no capacity limit"
             for t, c in zip(ref["throughput_t"], ref["capacity_t"].astype(float))]
    colours = sankey.refiner_colors(run)
    fig = {"data": [
        {"type": "bar", "orientation": "h", "y": names, "x": nulls(util),
         "customdata": hover, "name": "utilisation", "marker": {"color": [colours.get(n) for n in names]},
         "hovertemplate": "%{y}: %{x:.1f} % of capacity (%{customdata})<extra></extra>"},
        {"type": "bar", "orientation": "h", "y": names, "x": saves.tolist(), "xaxis": "x2", "name": "capacity value",
         "marker": {"color": "#d68910"},
         "hovertemplate": "%{y}: one more tonne of capacity saves %{x:,.0f} USD/t<extra></extra>"}],
        "layout": layout(90 + 34 * len(names), showlegend=False,
                         xaxis=axis("utilisation, % of feed capacity", domain=[0, 0.45], range=[0, 105]),
                         xaxis2=axis("one more tonne of capacity saves, USD/t", domain=[0.55, 1], anchor="y",
                                     tickformat=",~r", rangemode="tozero"),
                         yaxis=axis("", autorange="reversed"))}
    return Chart("refinery", "Refinery utilisation and the value of one more tonne of capacity", caption, fig,
                 png={"names": names, "util": util.to_numpy(float), "saves": saves})


def delivered_chart(run: RunData) -> Chart | None:
    demand = run.table("shadow_prices_demand")
    if demand.empty:
        return None
    products = [p for p in run.products() if p in set(demand["product"])]
    markets = list(dict.fromkeys(demand["market"].astype(str)))
    grid = demand.pivot(index="product", columns="market", values="shadow_price").reindex(index=products,
                                                                                       columns=markets)
    z = grid.to_numpy(float)
    logz = np.log10(np.clip(z, 1.0, None))
    text = [[fmt.num(v) for v in row] for row in z]
    hi, lo = np.unravel_index(np.nanargmax(z), z.shape), np.unravel_index(np.nanargmin(z), z.shape)
    caption = (f"Delivering one more tonne costs the most for {products[hi[0]]} in {markets[hi[1]]} "
               f"({fmt.usd(z[hi], 't')}) and the least for {products[lo[0]]} in {markets[lo[1]]} "
               f"({fmt.usd(z[lo], 't')}).")
    unmet = run.table("unmet")
    short = unmet.loc[unmet["unmet_t"] > 0] if len(unmet) else unmet
    if len(short):
        caption += (f" Where demand is not met ({len(short)} product–market pair{'s' if len(short) > 1 else ''}) "
                    f"the price is the unmet-demand penalty, {fmt.usd(float(short['penalty_usd_per_t'].max()), 't')}.")
    low, high = np.nanmin(logz) - 0.5, np.nanmax(logz) + 0.5
    ticks = [v for v in (1e2, 1e3, 1e4, 1e5, 1e6, 1e7) if low <= math.log10(v) <= high]
    fig = {"data": [{"type": "heatmap", "x": markets, "y": products,
                     "z": [[None if math.isnan(v) else round(float(v), 4) for v in row] for row in logz],
                     "text": text, "texttemplate": "%{text}", "colorscale": HEAT,
                     "hovertemplate": "%{y} delivered in %{x}: %{text} USD/t<extra></extra>",
                     "colorbar": {"title": {"text": "USD/t"}, "tickvals": [math.log10(v) for v in ticks],
                                  "ticktext": [fmt.num(v) for v in ticks]}}],
           "layout": layout(120 + 48 * len(products), xaxis=axis("market", side="bottom"),
                            yaxis=axis("product", autorange="reversed"))}
    return Chart("delivered", "Marginal delivered cost of each product in each market (USD/t)", caption, fig,
                 png={"products": products, "markets": markets, "z": z, "logz": logz})


def unmet_chart(run: RunData) -> Chart | None:
    unmet = run.table("unmet")
    short = unmet.loc[unmet["unmet_t"] > 0]
    if short.empty:
        return None
    labels = (short["product"].astype(str) + " in " + short["market"].astype(str)).tolist()
    worst = short.loc[short["unmet_t"].idxmax()]
    caption = (f"{fmt.tonnes(short['unmet_t'].sum())} of demand cannot be met; the largest gap is {worst['product']} "
               f"in {worst['market']}: {fmt.tonnes(worst['unmet_t'])} of {fmt.tonnes(worst['demand_t'])} demanded.")
    fig = {"data": [{"type": "bar", "orientation": "h", "y": labels, "x": short["supplied_t"].tolist(),
                     "name": "supplied", "marker": {"color": "#27ae60"},
                     "hovertemplate": "%{y}: %{x:,.1f} t supplied<extra></extra>"},
                    {"type": "bar", "orientation": "h", "y": labels, "x": short["unmet_t"].tolist(),
                     "name": "unmet", "marker": {"color": "#c0392b"},
                     "hovertemplate": "%{y}: %{x:,.1f} t unmet<extra></extra>"}],
           "layout": layout(110 + 36 * len(labels), barmode="stack", xaxis=axis("t per year", tickformat=",~r"),
                            yaxis=axis("", autorange="reversed"), margin={"l": 60, "r": 30, "t": 50, "b": 60},
                            legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0.0})}
    return Chart("unmet", "Unmet demand (t per year)", caption, fig,
                 png={"labels": labels, "supplied": short["supplied_t"].to_numpy(float),
                      "unmet": short["unmet_t"].to_numpy(float)})


def _priced(run: RunData, family: str, binding: bool = True) -> pd.DataFrame:
    table = run.table(f"shadow_prices_{family}")
    if table.empty:
        return table
    keep = table["shadow_price"] != 0
    return table.loc[keep & table["binding"].astype(bool)] if binding else table.loc[keep]


def _product(value: Any) -> str:
    return f" {value}" if isinstance(value, str) and value else ""


def policy_rows(run: RunData) -> pd.DataFrame:
    """Binding policies with a price: label, value (what one unit is worth, > 0), unit, meaning."""
    rows = []
    for r in _priced(run, "quota").itertuples(index=False):
        rows.append((f"quota {r.quota} ({r.kind} {r.country}{_product(r.product)}, {fmt.num(r.rhs)} t)",
                     -r.shadow_price, "USD/t", "one more tonne of quota saves"))
    for r in _priced(run, "ban", binding=False).itertuples(index=False):
        rows.append((f"ban {r.from_country} → {r.to_country} ({r.stage}{_product(r.product)})", -r.shadow_price,
                     "USD/t", "the first tonne allowed saves"))
    for r in _priced(run, "share_limit").itertuples(index=False):
        sign = "≤" if r.bound == "max" else "≥"
        rows.append((f"{r.market} {r.product} refined in {r.country} {sign} {r.rhs:g} %", abs(r.shadow_price),
                     "USD per percentage point", "tightening the share limit by one point costs"))
    return pd.DataFrame(rows, columns=["label", "value", "unit", "meaning"])


AXIS_TITLES = {"USD/t": "saving from one more tonne allowed, USD/t",
               "USD per percentage point": "cost of tightening by one point, USD per percentage point"}


def policy_chart(run: RunData) -> Chart | None:
    rows = policy_rows(run)
    if rows.empty:
        return None
    groups = [g for g in AXIS_TITLES if g in set(rows["unit"])]
    data, extra = [], {}
    counts = [int((rows["unit"] == g).sum()) for g in groups]
    top_edge = 1.0
    for i, unit in enumerate(groups):
        sub = rows.loc[rows["unit"] == unit]
        suffix = "" if i == 0 else str(i + 1)
        height = (1.0 - 0.25 * (len(groups) - 1)) * counts[i] / sum(counts)
        data.append({"type": "bar", "orientation": "h", "y": sub["label"].tolist(), "x": sub["value"].tolist(),
                     "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "customdata": sub["meaning"].tolist(),
                     "marker": {"color": "#8e44ad" if i == 0 else "#17a589"},
                     "hovertemplate": f"%{{y}}: %{{customdata}} %{{x:,.0f}} {unit}<extra></extra>"})
        extra[f"xaxis{suffix}"] = axis(AXIS_TITLES[unit], tickformat=",~r", anchor=f"y{suffix}", rangemode="tozero")
        extra[f"yaxis{suffix}"] = axis("", domain=[max(0.0, top_edge - height), top_edge], anchor=f"x{suffix}",
                                       autorange="reversed")
        top_edge -= height + 0.25
    top = rows.loc[rows["value"].idxmax()]
    caption = (f"{len(rows)} polic{'y binds' if len(rows) == 1 else 'ies bind'}; the costliest: "
               f"{top['label']} — {top['meaning']} {fmt.num(top['value'])} {top['unit']}.")
    fig = {"data": data, "layout": layout(120 + 40 * len(rows) + 120 * (len(groups) - 1), showlegend=False,
                                          **extra)}
    return Chart("policies", "Binding policies and their shadow prices", caption, fig, png={"rows": rows})


def run_charts(run: RunData) -> list[Chart]:
    charts = [flows_chart(run), cost_chart(run), refinery_chart(run), delivered_chart(run),
              unmet_chart(run), policy_chart(run)]
    return [c for c in charts if c is not None]
