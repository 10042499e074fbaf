"""The market-price chart of a scenario batch: each product's delivered price in each market,
one bar per scenario beside the base case's, in USD/kg, from ``comparison.csv``
(``market_price``, keyed ``market/product``).

Rare-earth prices span four orders of magnitude (La/Ce near 1 USD/kg, Tb near 1,000), so
each product has its own panel and its own axis (small multiples), two panels a row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from oreflow.prices import kg_text
from oreflow.report.common.chart import PALETTE, Chart, axis, layout, nulls

#: The metric of comparison.csv this chart draws (oreflow.scenarios.MARKET_METRICS).
METRIC = "market_price"
#: The base case's bar colour; the scenarios take the palette's.
BASE_COLOUR = "#909497"
#: Panels per row.
COLUMNS = 2
#: Height of one row of panels, and the gap between rows, px.
ROW_PX, GAP_PX = 250, 60
#: Relative price changes smaller than this count as none.
TINY_CHANGE = 1e-9


def price_grid(table: pd.DataFrame, cases: list[str]) -> pd.DataFrame:
    """USD/kg by case (rows, run order) and ``market/product`` key (columns, in the data's order)."""
    sub = table.loc[table["metric"] == METRIC]
    keys = list(dict.fromkeys(sub["key"].astype(str)))
    grid = sub.pivot(index="scenario", columns="key", values="value").reindex(index=cases, columns=keys)
    return grid.astype(float) / 1000.0 if len(grid.columns) else grid


def _split(keys: list[str]) -> dict[str, list[tuple[str, str]]]:
    """product -> [(market, key), ...], products and markets in the data's order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        market, _, product = key.rpartition("/")
        found.setdefault(product, []).append((market, key))
    return found


def _colours(cases: list[str]) -> dict[str, str]:
    return {c: BASE_COLOUR if i == 0 else PALETTE[(i - 1) % len(PALETTE)] for i, c in enumerate(cases)}


def _hover(value: float, base: float, is_base: bool) -> str:
    """``66.31 USD/kg (+1.20 USD/kg, +1.8 % vs base)``; the base case's bar its price only."""
    if not math.isfinite(value):
        return "not solved"
    text = kg_text(value * 1000.0)
    if is_base or not math.isfinite(base):
        return text
    change = value - base
    pct = f", {change / base * 100:+,.1f} %" if base else ""
    return f"{text} ({'+' if change >= 0 else '−'}{kg_text(abs(change) * 1000.0)}{pct} vs base)"


def price_caption(grid: pd.DataFrame) -> str:
    """The largest relative move of a market price against the base, with numbers."""
    base = grid.iloc[0]
    moves = (grid.iloc[1:] - base) / base.where(base != 0)
    moves = moves.where(np.isfinite(moves))
    if moves.isna().all().all() or (moves.abs().max().max() <= TINY_CHANGE):
        return (
            f"No scenario moves a delivered price against the base ({len(grid.columns)} product–market "
            "prices compared)."
        )
    stacked = moves.stack()
    case, key = stacked.abs().idxmax()
    change = float(stacked.loc[(case, key)])
    market, _, product = str(key).rpartition("/")
    moved = int((moves.abs() > TINY_CHANGE).to_numpy().sum())
    return (
        f"The largest move against the base: {product} in {market} under {case}, from "
        f"{kg_text(base[key] * 1000.0)} to {kg_text(grid.loc[case, key] * 1000.0)} ({change * 100:+,.1f} %); "
        f"{moved} of {moves.size} scenario prices move."
    )


def market_price_chart(table: pd.DataFrame, cases: list[str], labels: list[str]) -> Chart | None:
    """Each product's price in each market, a bar per scenario beside the base (USD/kg), a
    panel per product with its own axis; None when comparison.csv has no market prices."""
    grid = price_grid(table, cases)
    if grid.empty or grid.iloc[0].isna().all():
        return None
    by_product = _split(list(grid.columns))
    # dearest product first (its base-case mean price): the panels read from Tb down to La/Ce
    dear = {p: float(grid.loc[cases[0], [k for _, k in ks]].mean()) for p, ks in by_product.items()}
    products = sorted(by_product, key=lambda p: -dear[p] if np.isfinite(dear[p]) else np.inf)
    ncols = min(COLUMNS, len(products))
    nrows = math.ceil(len(products) / ncols)
    gap_x = 0.08
    gap_y = GAP_PX / (ROW_PX * nrows - 10) if nrows > 1 else 0.0  # the plot area: the height less the margins
    width = (1.0 - gap_x * (ncols - 1)) / ncols
    height = (1.0 - gap_y * (nrows - 1)) / nrows
    colours = _colours(cases)
    data: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    notes = []
    for i, product in enumerate(products):
        row, col = divmod(i, ncols)
        suffix = "" if i == 0 else str(i + 1)
        x0 = col * (width + gap_x)
        y1 = 1.0 - row * (height + gap_y)
        markets = [m for m, _ in by_product[product]]
        keys = [k for _, k in by_product[product]]
        base = grid.loc[cases[0], keys].to_numpy(float)
        for j, (case, label) in enumerate(zip(cases, labels)):
            values = grid.loc[case, keys].to_numpy(float)
            data.append(
                {
                    "type": "bar",
                    "name": label,
                    "legendgroup": case,
                    "showlegend": i == 0,
                    "x": markets,
                    "y": nulls(values),
                    "customdata": [_hover(v, b, j == 0) for v, b in zip(values, base)],
                    "marker": {"color": colours[case]},
                    "xaxis": f"x{suffix}",
                    "yaxis": f"y{suffix}",
                    "hovertemplate": f"{product} in %{{x}}, {label}: %{{customdata}}<extra></extra>",
                }
            )
        extra[f"xaxis{suffix}"] = axis("", domain=[x0, x0 + width], anchor=f"y{suffix}")
        extra[f"yaxis{suffix}"] = axis(
            "USD/kg", domain=[max(0.0, y1 - height), y1], anchor=f"x{suffix}", rangemode="tozero", tickformat=",~r"
        )
        notes.append(
            {
                "x": x0,
                "y": y1,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "text": f"<b>{product}</b>",
                "showarrow": False,
            }
        )
    fig = {
        "data": data,
        "layout": layout(
            120 + ROW_PX * nrows,
            barmode="group",
            annotations=notes,
            margin={"l": 60, "r": 30, "t": 40, "b": 90},
            legend={"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0},
            **extra,
        ),
    }
    png = {
        "draw": "market_prices",
        "products": products,
        "markets": {p: [m for m, _ in by_product[p]] for p in products},
        "values": {p: grid[[k for _, k in by_product[p]]].to_numpy(float) for p in products},
        "labels": labels,
        "colours": [colours[c] for c in cases],
    }
    return Chart(
        "market_prices",
        "Delivered prices by product and market, each scenario against the base (USD/kg)",
        price_caption(grid),
        fig,
        png=png,
    )


def market_price_png(data: dict[str, Any]) -> Any:
    """The PNG of :func:`market_price_chart`: a panel per product, grouped bars per market."""
    from matplotlib.ticker import FuncFormatter

    from oreflow.report.common.png import blank

    products = data["products"]
    ncols = min(COLUMNS, len(products))
    nrows = math.ceil(len(products) / ncols)
    height = 1.2 + 2.3 * nrows
    fig = blank(height)
    fig.subplots_adjust(left=0.08, right=0.98, top=1 - 0.55 / height, bottom=0.9 / height, hspace=0.45, wspace=0.18)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    labels, colours = data["labels"], data["colours"]
    for ax, product in zip(axes, products):
        markets, values = data["markets"][product], data["values"][product]
        count = len(labels)
        step = 0.8 / max(count, 1)
        x = np.arange(len(markets))
        for j in range(count):
            ax.bar(x - 0.4 + step * (j + 0.5), np.nan_to_num(values[j]), step, color=colours[j], label=labels[j])
        ax.set_xticks(x, markets)
        ax.set_title(product, fontsize=10, loc="left", weight="bold")
        ax.set_ylabel("USD/kg")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.6g}"))
        ax.grid(axis="y", color="#e5e8e8")
        ax.set_axisbelow(True)
    for ax in axes[len(products) :]:
        ax.set_visible(False)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(6, len(names)), fontsize=8, frameon=False)
    return fig
