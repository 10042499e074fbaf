"""The PNG drawers of a run's charts (:mod:`.charts`): each takes a chart's ``png`` dict and
returns a matplotlib Figure, on the base of :mod:`oreflow.report.common.png`."""

from __future__ import annotations

from typing import Any

import numpy as np

from oreflow.report.common.png import barh, blank, figure, thousands


def sankey(data: dict[str, Any]) -> Any:
    """The Sankey of all products: origins, refiners and markets as columns of boxes, links as bands."""
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MPath

    links, colours = data["links"], data["colours"]
    fig = blank(7.5)
    fig.subplots_adjust(0.01, 0.01, 0.99, 0.9)
    ax = fig.subplots()
    ax.set_axis_off()
    column = {"ore": (0, 1), "product": (1, 2), "unsold": (1, 2), "lost": (1, 2)}
    nodes: dict[tuple[int, str], list[float]] = {}  # (col, name) -> [in, out]
    for stage, a, b, t in links.itertuples(index=False):
        c0, c1 = column[stage]
        nodes.setdefault((c0, a), [0.0, 0.0])[1] += t
        nodes.setdefault((c1, b), [0.0, 0.0])[0] += t
    size = {k: max(v) for k, v in nodes.items()}
    gap = 0.02
    counts = [sum(1 for c, _ in size if c == col) for col in range(3)]
    totals = [sum(v for (c, _), v in size.items() if c == col) for col in range(3)]
    scale = min((1 - gap * (n - 1)) / t for n, t in zip(counts, totals) if t > 0)
    top: dict[tuple[int, str], float] = {}
    cursor = [1.0, 1.0, 1.0]
    width = 0.025
    for key, value in size.items():
        col = key[0]
        top[key] = cursor[col]
        height = value * scale
        colour = colours.get(key[1], "#2e86c1") if col == 1 else ("#5d6d7e" if col == 0 else "#1e8449")
        ax.add_patch(Rectangle((col - width / 2, cursor[col] - height), width, height, color=colour))
        ax.text(
            col + (-0.03 if col == 0 else 0.03),
            cursor[col] - height / 2,
            f"{key[1]}  {value:,.0f} t",
            ha="right" if col == 0 else "left",
            va="center",
            fontsize=7,
        )
        cursor[col] -= height + gap
    used_out = {k: 0.0 for k in size}
    used_in = {k: 0.0 for k in size}
    for stage, a, b, t in links.itertuples(index=False):
        c0, c1 = column[stage]
        h = t * scale
        y0 = top[(c0, a)] - used_out[(c0, a)]
        y1 = top[(c1, b)] - used_in[(c1, b)]
        used_out[(c0, a)] += h
        used_in[(c1, b)] += h
        x0, x1 = c0 + width / 2, c1 - width / 2
        xm = (x0 + x1) / 2
        verts = [
            (x0, y0),
            (xm, y0),
            (xm, y1),
            (x1, y1),
            (x1, y1 - h),
            (xm, y1 - h),
            (xm, y0 - h),
            (x0, y0 - h),
            (x0, y0),
        ]
        codes = [MPath.MOVETO] + [MPath.CURVE4] * 3 + [MPath.LINETO] + [MPath.CURVE4] * 3 + [MPath.CLOSEPOLY]
        refiner = b if stage == "ore" else a
        colour = colours.get(refiner, "#2e86c1") if stage in ("ore", "product") else "#aab7b8"
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=colour, alpha=0.35, linewidth=0))
    ax.set_xlim(-0.75, 2.55)
    ax.set_ylim(min(cursor) - 0.02, 1.02)
    for col, title in enumerate(("origins (t REO of ore)", "refiners", "markets (t of product)")):
        ax.text(col, 1.05, title, ha="center", va="bottom", fontsize=9, weight="bold")
    return fig


def refinery(data: dict[str, Any]) -> Any:
    """Utilisation (left) and the value of one more tonne of capacity (right), one row per refiner."""
    names = data["names"]
    fig, (left, right) = figure(1.3 + 0.32 * len(names), 2, labels=names, sharey=True)
    barh(left, names, np.nan_to_num(data["util"]), "#2e86c1", "utilisation, % of feed capacity")
    left.set_xlim(0, 105)
    barh(right, names, data["saves"], "#d68910", "one more tonne of capacity saves, USD/t")
    right.invert_yaxis()  # shared y: undo the second inversion
    return fig


def delivered(data: dict[str, Any]) -> Any:
    """The heat map of delivered marginal costs, each cell labelled in USD/t."""
    fig, ax = figure(1.4 + 0.45 * len(data["products"]), labels=["product"] + data["products"])
    ax.imshow(data["logz"], cmap="YlOrRd", aspect="auto")  # pale = cheap, dark red = dear
    ax.set_xticks(range(len(data["markets"])), data["markets"])
    ax.set_yticks(range(len(data["products"])), data["products"])
    marked = data.get("fragile") is not None and bool(np.asarray(data["fragile"]).any())
    ax.set_xlabel("market (cells: USD/t delivered" + ("; * fragile" if marked else "") + ")")
    ax.set_ylabel("product")
    top = np.nanmax(data["logz"])
    weak = data.get("fragile")
    for (i, j), v in np.ndenumerate(data["z"]):
        ax.text(
            j,
            i,
            "—" if np.isnan(v) else f"{v:,.0f}" + ("*" if weak is not None and weak[i, j] else ""),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if data["logz"][i, j] > top - 1 else "black",
        )
    return fig


def policies(data: dict[str, Any]) -> Any:
    """The binding policies: one panel of bars per price unit, stacked vertically."""
    table, axes = data["rows"], data["axes"]
    height = 1.2 + 0.45 * len(table) + 0.9 * len(axes)
    fig = blank(height)
    fig.subplots_adjust(
        left=min(0.6, 0.04 + 0.0085 * max(map(len, table["label"]))),
        right=0.97,
        top=1 - 0.5 / height,
        bottom=0.75 / height,
        hspace=1.2 / height * len(axes),
    )
    for ax, (unit, (title, colour)) in zip(np.atleast_1d(fig.subplots(len(axes), 1)), axes.items()):
        sub = table.loc[table["unit"] == unit]
        barh(ax, sub["label"].tolist(), sub["value"], colour, title)
    return fig


def unmet(data: dict[str, Any]) -> Any:
    """Supplied and unmet tonnes, stacked, one row per product and market short of demand."""
    rows = len(data["labels"])
    fig, ax = figure(1.3 + 0.4 * rows, labels=data["labels"])
    y = np.arange(rows)
    ax.barh(y, data["supplied"], color="#27ae60", label="supplied")
    ax.barh(y, data["unmet"], left=data["supplied"], color="#c0392b", label="unmet")
    ax.set_yticks(y, data["labels"])
    ax.invert_yaxis()
    ax.set_xlabel("t per year")
    ax.legend(fontsize=8)
    thousands(ax)
    return fig


def cost(data: dict[str, Any]) -> Any:
    """Total cost by component."""
    fig, ax = figure(1.2 + 0.4 * len(data["labels"]), labels=data["labels"])
    barh(ax, data["labels"], data["values"], "#2e86c1", f"cost, {data['unit']}")
    return fig
