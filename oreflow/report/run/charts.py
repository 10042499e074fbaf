"""The charts of one run: plotly figures as plain dicts, each with a one-line caption.

The binding-policies chart reads the registry (:mod:`oreflow.model.families`): every
family whose ``summary`` is ``"policy"`` contributes its binding priced rows, in its own
words (``explain``) and units (``price_unit_short``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from oreflow.model.families import CAPACITY, DEMAND, FAMILIES, WILLINGNESS_TO_PAY, cost_label
from oreflow.prices import FRAGILE, fragile
from oreflow.report.common import fmt
from oreflow.report.common.chart import HEAT, Chart, axis, layout, nulls
from oreflow.report.run import sankey
from oreflow.report.run.data import RunData

#: Bar colours of the binding-policies chart, one per price unit (x axis).
POLICY_COLOURS = ["#8e44ad", "#17a589", "#d68910", "#2e86c1"]


def flows_chart(run: RunData, per_product: bool = True, product: str | None = None) -> Chart:
    """The Sankey of the flows, all products and (a button each) one product at a time; with
    ``per_product`` False only the view of ``product`` (None: all products), without buttons
    (``oreflow serve`` draws a product's view when it is asked for: it is most of a view's time)."""
    products = [p for p in run.products() if not sankey.links(run, p).empty] if per_product else []
    views = [None] + products if per_product else [product]
    traces = [sankey.trace(run, p, i == 0) for i, p in enumerate(views)]
    buttons = [
        {"label": p or sankey.ALL, "method": "restyle", "args": [{"visible": [j == i for j in range(len(views))]}]}
        for i, p in enumerate(views)
    ]
    heads = [
        (0.0, "left", "origins (ore, t REO)"),
        (0.5, "center", "refiners"),
        (1.0, "right", "markets (products, t)"),
    ]
    height = max(560, 28 * len(traces[0]["node"]["label"]))
    fig = {
        "data": traces,
        "layout": layout(
            height,
            margin={"l": 20, "r": 20, "t": 90, "b": 20},
            annotations=[
                {
                    "x": x,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": a,
                    "yanchor": "bottom",
                    "text": f"<b>{t}</b>",
                    "showarrow": False,
                }
                for x, a, t in heads
            ],
            updatemenus=[
                {
                    "type": "buttons",
                    "direction": "right",
                    "x": 0,
                    "y": 1 + 48 / (height - 110),
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "buttons": buttons,
                    "showactive": True,
                    "pad": {"r": 4, "t": 0},
                }
            ]
            if per_product
            else [],
        ),
    }
    captions = {p or sankey.ALL: sankey.caption(run, p) for p in views}
    note = "" if not run.table("flows_by_product").empty else " (per-product ore flows need flows_by_product.csv)"
    return Chart(
        "sankey",
        "Flows: origin → refiner → market (t per year)" + note,
        captions[views[0] or sankey.ALL],
        fig,
        png={"draw": "sankey", "links": sankey.links(run), "colours": sankey.refiner_colors(run)},
        captions=captions,
    )


def cost_chart(run: RunData) -> Chart:
    """Total cost by component (the registry's cost-term labels)."""
    table = run.table("cost_breakdown")
    # the willingness to pay (demand curves) is no cost: it is in the welfare section
    table = table.loc[~table["component"].isin(["total", WILLINGNESS_TO_PAY])]
    total = float(table["cost_usd"].sum())
    labels = [cost_label(c) for c in table["component"]]
    values = table["cost_usd"].to_numpy(float)
    scale, unit = fmt.money_scale(values)
    order = np.argsort(-values, kind="stable")
    big = [f"{labels[i]} {fmt.usd(values[i])} ({fmt.pct(values[i] / total)})" for i in order[:2] if values[i] > 0]
    caption = f"Total cost {fmt.usd(total)} per year; the largest parts are " + " and ".join(big) + "."
    fig = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": (values / scale).tolist(),
                "customdata": values.tolist(),
                "marker": {"color": "#2e86c1"},
                "text": [fmt.usd(v) for v in values],
                "textposition": "auto",
                "hovertemplate": "%{y}: %{customdata:,.0f} USD per year<extra></extra>",
            }
        ],
        "layout": layout(
            80 + 40 * len(labels),
            xaxis=axis(f"cost, {unit} per year", tickformat=",~r"),
            yaxis=axis("cost component", autorange="reversed"),
        ),
    }
    return Chart(
        "cost",
        "Total cost by component (USD per year)",
        caption,
        fig,
        png={"draw": "cost", "labels": labels, "values": values / scale, "unit": f"{unit} per year"},
    )


def refinery_chart(run: RunData) -> Chart:
    """Each refiner's utilisation and what one more tonne of its capacity would save (the capacity prices)."""
    ref = run.table("refinery")
    cap = run.prices(CAPACITY).set_index("refiner")["shadow_price"]
    names = ref["refiner"].astype(str).tolist()
    util = (ref["utilisation"].astype(float) * 100).round(2)
    saves = (-cap.reindex(ref["refiner"]).fillna(0.0)).clip(lower=0.0).to_numpy(float)
    full = int((util >= 99.99).sum())
    idx = int(np.argmax(saves)) if len(saves) else 0
    caption = f"{full} of {len(names)} refiners run at full capacity"
    if len(saves) and saves[idx] > 0:
        caption += f"; one more tonne of feed capacity would save the most at {names[idx]} ({fmt.usd(saves[idx], 't')})"
    caption += "."
    hover = [
        f"{fmt.num(t)} t of {fmt.num(c)} t" if math.isfinite(c) else f"{fmt.num(t)} t, no capacity limit"
        for t, c in zip(ref["throughput_t"], ref["capacity_t"].astype(float))
    ]
    colours = sankey.refiner_colors(run)
    fig = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": names,
                "x": nulls(util),
                "customdata": hover,
                "name": "utilisation",
                "marker": {"color": [colours.get(n) for n in names]},
                "hovertemplate": "%{y}: %{x:.1f} % of capacity (%{customdata})<extra></extra>",
            },
            {
                "type": "bar",
                "orientation": "h",
                "y": names,
                "x": saves.tolist(),
                "xaxis": "x2",
                "name": "capacity value",
                "marker": {"color": "#d68910"},
                "hovertemplate": "%{y}: one more tonne of capacity saves %{x:,.0f} USD/t<extra></extra>",
            },
        ],
        "layout": layout(
            90 + 34 * len(names),
            showlegend=False,
            xaxis=axis("utilisation, % of feed capacity", domain=[0, 0.45], range=[0, 105]),
            xaxis2=axis(
                "one more tonne of capacity saves, USD/t",
                domain=[0.55, 1],
                anchor="y",
                tickformat=",~r",
                rangemode="tozero",
            ),
            yaxis=axis("", autorange="reversed"),
        ),
    }
    return Chart(
        "refinery",
        "Refinery utilisation and the value of one more tonne of capacity",
        caption,
        fig,
        png={"draw": "refinery", "names": names, "util": util.to_numpy(float), "saves": saves},
    )


def delivered_chart(run: RunData) -> Chart | None:
    """The marginal delivered cost (the demand prices) of each product in each market, as a heat map."""
    demand = run.prices(DEMAND)
    if demand.empty:
        return None
    products = [p for p in run.products() if p in set(demand["product"])]
    markets = list(dict.fromkeys(demand["market"].astype(str)))
    grid = demand.pivot(index="product", columns="market", values="shadow_price").reindex(
        index=products, columns=markets
    )
    z = grid.to_numpy(float)
    logz = np.log10(np.clip(z, 1.0, None))
    flagged = dict(zip(zip(demand["product"].astype(str), demand["market"].astype(str)), fragile(demand)))
    weak = np.array([[bool(flagged.get((str(p), m), False)) for m in markets] for p in products], dtype=bool)
    # a fragile price is marked * in its cell and said so on hover
    text = [[fmt.num(v) + ("*" if w else "") for v, w in zip(row, marks)] for row, marks in zip(z, weak)]
    hover = [[f" ({FRAGILE})" if w else "" for w in marks] for marks in weak]
    hi, lo = np.unravel_index(np.nanargmax(z), z.shape), np.unravel_index(np.nanargmin(z), z.shape)
    caption = (
        f"Delivering one more tonne costs the most for {products[hi[0]]} in {markets[hi[1]]} "
        f"({fmt.usd(z[hi], 't')}) and the least for {products[lo[0]]} in {markets[lo[1]]} "
        f"({fmt.usd(z[lo], 't')})."
    )
    unmet = run.table("unmet")
    short = unmet.loc[unmet["unmet_t"] > 0] if len(unmet) else unmet
    if len(short):
        caption += (
            f" Where demand is not met ({len(short)} product–market pair{'s' if len(short) > 1 else ''}) "
            f"the price is the unmet-demand penalty, {fmt.usd(float(short['penalty_usd_per_t'].max()), 't')}."
        )
    if weak.any():
        caption += f" * {int(weak.sum())} fragile price{'s' if weak.sum() > 1 else ''} (near a change of basis)."
    low, high = np.nanmin(logz) - 0.5, np.nanmax(logz) + 0.5
    ticks = [v for v in (1e2, 1e3, 1e4, 1e5, 1e6, 1e7) if low <= math.log10(v) <= high]
    fig = {
        "data": [
            {
                "type": "heatmap",
                "x": markets,
                "y": products,
                "z": [[None if math.isnan(v) else round(float(v), 4) for v in row] for row in logz],
                "text": text,
                "customdata": hover,
                "texttemplate": "%{text}",
                "colorscale": HEAT,
                "hovertemplate": "%{y} delivered in %{x}: %{text} USD/t%{customdata}<extra></extra>",
                "colorbar": {
                    "title": {"text": "USD/t"},
                    "tickvals": [math.log10(v) for v in ticks],
                    "ticktext": [fmt.num(v) for v in ticks],
                },
            }
        ],
        "layout": layout(
            120 + 48 * len(products), xaxis=axis("market", side="bottom"), yaxis=axis("product", autorange="reversed")
        ),
    }
    return Chart(
        "delivered",
        "Marginal delivered cost of each product in each market (USD/t)",
        caption,
        fig,
        png={"draw": "delivered", "products": products, "markets": markets, "z": z, "logz": logz, "fragile": weak},
    )


def unmet_chart(run: RunData) -> Chart | None:
    """Supplied and unmet tonnes of each product and market short of demand (None: all demand met)."""
    unmet = run.table("unmet")
    short = unmet.loc[unmet["unmet_t"] > 0]
    if short.empty:
        return None
    labels = (short["product"].astype(str) + " in " + short["market"].astype(str)).tolist()
    worst = short.loc[short["unmet_t"].idxmax()]
    caption = (
        f"{fmt.tonnes(short['unmet_t'].sum())} of demand cannot be met; the largest gap is {worst['product']} "
        f"in {worst['market']}: {fmt.tonnes(worst['unmet_t'])} of {fmt.tonnes(worst['demand_t'])} demanded."
    )
    fig = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": short["supplied_t"].tolist(),
                "name": "supplied",
                "marker": {"color": "#27ae60"},
                "hovertemplate": "%{y}: %{x:,.1f} t supplied<extra></extra>",
            },
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": short["unmet_t"].tolist(),
                "name": "unmet",
                "marker": {"color": "#c0392b"},
                "hovertemplate": "%{y}: %{x:,.1f} t unmet<extra></extra>",
            },
        ],
        "layout": layout(
            110 + 36 * len(labels),
            barmode="stack",
            xaxis=axis("t per year", tickformat=",~r"),
            yaxis=axis("", autorange="reversed"),
            margin={"l": 60, "r": 30, "t": 50, "b": 60},
            legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0.0},
        ),
    }
    return Chart(
        "unmet",
        "Unmet demand (t per year)",
        caption,
        fig,
        png={
            "draw": "unmet",
            "labels": labels,
            "supplied": short["supplied_t"].to_numpy(float),
            "unmet": short["unmet_t"].to_numpy(float),
        },
    )


def policy_rows(run: RunData) -> pd.DataFrame:
    """Binding policies with a price: label, meaning, value (what one unit is worth) and unit.

    Every family of the registry whose ``summary`` is ``"policy"`` contributes its binding
    rows with a non-zero price, in registry order, worded by the family's ``explain``
    ("label: meaning value") and in its ``price_unit_short``.
    """
    rows = []
    for spec in FAMILIES:
        table = run.prices(spec.name)
        if spec.summary != "policy" or table.empty:
            continue
        table = table.loc[table["binding"].astype(bool) & (table["shadow_price"] != 0)]
        table = table.assign(**{k: table[k].astype(object).fillna("") for k in spec.keys})  # blank: NaN when read
        rows += [(*spec.explain(row), spec.price_unit_short) for row in table.to_dict(orient="records")]
    return pd.DataFrame(rows, columns=["label", "meaning", "value", "unit"])


def policy_axes(rows: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Price unit -> (axis title, bar colour) of the binding-policies chart, one x axis per unit
    in the order the rows first use it."""
    words = {
        spec.price_unit_short: "percentage point" if spec.rhs_unit == "%" else "tonne"
        for spec in FAMILIES
        if spec.summary == "policy"
    }
    return {
        unit: (f"what one {words[unit]} of the limit is worth, {unit}", POLICY_COLOURS[i % len(POLICY_COLOURS)])
        for i, unit in enumerate(dict.fromkeys(rows["unit"]))
    }


def policy_chart(run: RunData) -> Chart | None:
    """The binding policies and their shadow prices (None: no policy binds)."""
    rows = policy_rows(run)
    if rows.empty:
        return None
    axes = policy_axes(rows)
    data, extra = [], {}
    counts = [int((rows["unit"] == unit).sum()) for unit in axes]
    top_edge = 1.0
    for i, (unit, (title, colour)) in enumerate(axes.items()):
        sub = rows.loc[rows["unit"] == unit]
        suffix = "" if i == 0 else str(i + 1)
        height = (1.0 - 0.25 * (len(axes) - 1)) * counts[i] / sum(counts)
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": sub["label"].tolist(),
                "x": sub["value"].tolist(),
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "customdata": sub["meaning"].tolist(),
                "marker": {"color": colour},
                "hovertemplate": f"%{{y}}: %{{customdata}} %{{x:,.0f}} {unit}<extra></extra>",
            }
        )
        extra[f"xaxis{suffix}"] = axis(title, tickformat=",~r", anchor=f"y{suffix}", rangemode="tozero")
        extra[f"yaxis{suffix}"] = axis(
            "", domain=[max(0.0, top_edge - height), top_edge], anchor=f"x{suffix}", autorange="reversed"
        )
        top_edge -= height + 0.25
    top = rows.loc[rows["value"].idxmax()]
    caption = (
        f"{len(rows)} polic{'y binds' if len(rows) == 1 else 'ies bind'}; the costliest: "
        f"{top['label']} — {top['meaning']} {fmt.num(top['value'])} {top['unit']}."
    )
    fig = {"data": data, "layout": layout(120 + 40 * len(rows) + 120 * (len(axes) - 1), showlegend=False, **extra)}
    return Chart(
        "policies",
        "Binding policies and their shadow prices",
        caption,
        fig,
        png={"draw": "policies", "rows": rows, "axes": axes},
    )


def run_charts(run: RunData, sankey_per_product: bool = True) -> list[Chart]:
    """The charts of a solved run, in page order (those with nothing to show left out); with
    ``sankey_per_product`` False the Sankey shows all products only (:func:`flows_chart`)."""
    charts = [
        flows_chart(run, sankey_per_product),
        cost_chart(run),
        refinery_chart(run),
        delivered_chart(run),
        unmet_chart(run),
        policy_chart(run),
    ]
    return [c for c in charts if c is not None]
