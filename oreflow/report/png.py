"""Static PNGs of the main charts, drawn with matplotlib's Agg canvas (no browser, no pyplot).

matplotlib is imported here only, when the first PNG is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oreflow.report.charts import AXIS_TITLES, Chart

DPI = 100
WIDTH = 10.0


def _figure(height: float, ncols: int = 1, labels: Any = (), legend: bool = False, **kw: Any) -> tuple[Any, Any]:
    """A figure with fixed margins (cheaper than constrained layout): room for the y labels."""
    from matplotlib.figure import Figure

    height = max(2.4, height)
    fig = Figure(figsize=(WIDTH, height), dpi=DPI)
    left = min(0.5, 0.04 + 0.0085 * max((len(str(text)) for text in labels), default=4))
    bottom = (0.7 + (0.4 if legend else 0.0)) / height
    fig.subplots_adjust(left=left, right=0.97, top=1 - 0.5 / height, bottom=bottom, wspace=0.08)
    axes = fig.subplots(1, ncols, **kw)
    return fig, axes


def _thousands(ax: Any, which: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _: Any) -> str:
        return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}".rstrip("0")

    getattr(ax, f"{which}axis").set_major_formatter(FuncFormatter(label))
    ax.grid(axis=which, color="#e5e8e8")
    ax.set_axisbelow(True)


def _barh(ax: Any, labels: list[str], values: Any, colour: Any, unit: str) -> None:
    y = np.arange(len(labels))
    ax.barh(y, values, color=colour)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    _thousands(ax)


def _sankey(chart: Chart, fig: Any) -> None:
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MPath

    links, colours = chart.png["links"], chart.png["colours"]
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
        ax.text(col + (-0.03 if col == 0 else 0.03), cursor[col] - height / 2, f"{key[1]}  {value:,.0f} t",
                ha="right" if col == 0 else "left", va="center", fontsize=7)
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
        verts = [(x0, y0), (xm, y0), (xm, y1), (x1, y1), (x1, y1 - h), (xm, y1 - h), (xm, y0 - h), (x0, y0 - h),
                 (x0, y0)]
        codes = [MPath.MOVETO] + [MPath.CURVE4] * 3 + [MPath.LINETO] + [MPath.CURVE4] * 3 + [MPath.CLOSEPOLY]
        refiner = b if stage == "ore" else a
        colour = colours.get(refiner, "#2e86c1") if stage in ("ore", "product") else "#aab7b8"
        ax.add_patch(PathPatch(MPath(verts, codes), facecolor=colour, alpha=0.35, linewidth=0))
    ax.set_xlim(-0.75, 2.55)
    ax.set_ylim(min(cursor) - 0.02, 1.02)
    for col, title in enumerate(("origins (t REO of ore)", "refiners", "markets (t of product)")):
        ax.text(col, 1.05, title, ha="center", va="bottom", fontsize=9, weight="bold")


def _stacked(ax: Any, chart: Chart) -> None:
    grid, labels = chart.png["grid"], chart.png["labels"]
    y = np.arange(len(labels))
    pos, neg = np.zeros(len(labels)), np.zeros(len(labels))
    for i, key in enumerate(grid.columns):
        values = np.nan_to_num(grid[key].to_numpy(float))
        left = np.where(values >= 0, pos, neg)
        ax.barh(y, values, left=left, color=chart.png["colours"].get(key, f"C{i}"),
                label=chart.png["names"].get(key, key))
        pos, neg = pos + np.clip(values, 0, None), neg + np.clip(values, None, 0)
    if "totals" in chart.png:
        ax.scatter(chart.png["totals"], y, marker="D", color="black", zorder=3, label="net change")
    if chart.png.get("range"):
        ax.set_xlim(*chart.png["range"])
        for note in chart.png["notes"]:
            ax.text(note["x"], labels.index(note["y"]), note["text"], ha=note["xanchor"], va="center", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(chart.png["unit"])
    _thousands(ax)
    ax.figure.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=6, fontsize=8, frameon=False)


def draw(chart: Chart, path: Path) -> Path:
    """Draw ``chart`` into ``path`` (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = chart.png
    rows = len(data.get("labels", data.get("names", data.get("products", []))))
    if "draw" in data:  # a sweep or stress chart
        from oreflow.report.png_sweep import figure

        fig = figure(chart)
    elif chart.name == "sankey":
        fig = Figure(figsize=(WIDTH, 7.5), dpi=DPI)
        fig.subplots_adjust(0.01, 0.01, 0.99, 0.9)
        _sankey(chart, fig)
    elif chart.name == "refinery":
        fig, (left, right) = _figure(1.3 + 0.32 * rows, 2, labels=data["names"], sharey=True)
        _barh(left, data["names"], np.nan_to_num(data["util"]), "#2e86c1", "utilisation, % of feed capacity")
        left.set_xlim(0, 105)
        _barh(right, data["names"], data["saves"], "#d68910", "one more tonne of capacity saves, USD/t")
        right.invert_yaxis()  # shared y: undo the second inversion
    elif chart.name == "delivered":
        fig, ax = _figure(1.4 + 0.45 * len(data["products"]), labels=["product"] + data["products"])
        ax.imshow(data["logz"], cmap="YlOrRd", aspect="auto")  # pale = cheap, dark red = dear
        ax.set_xticks(range(len(data["markets"])), data["markets"])
        ax.set_yticks(range(len(data["products"])), data["products"])
        ax.set_xlabel("market (cells: USD/t delivered)")
        ax.set_ylabel("product")
        top = np.nanmax(data["logz"])
        for (i, j), v in np.ndenumerate(data["z"]):
            ax.text(j, i, "—" if np.isnan(v) else f"{v:,.0f}", ha="center", va="center", fontsize=8,
                    color="white" if data["logz"][i, j] > top - 1 else "black")
    elif chart.name == "policies":
        table = data["rows"]
        units = list(dict.fromkeys(table["unit"]))
        height = 1.2 + 0.45 * len(table) + 0.9 * len(units)
        fig = Figure(figsize=(WIDTH, height), dpi=DPI)
        fig.subplots_adjust(left=min(0.6, 0.04 + 0.0085 * max(map(len, table["label"]))), right=0.97,
                            top=1 - 0.5 / height, bottom=0.75 / height, hspace=1.2 / height * len(units))
        for ax, unit in zip(np.atleast_1d(fig.subplots(len(units), 1)), units):
            sub = table.loc[table["unit"] == unit]
            _barh(ax, sub["label"].tolist(), sub["value"], "#8e44ad" if unit == "USD/t" else "#17a589",
                  AXIS_TITLES[unit])
    elif chart.name == "unmet":
        fig, ax = _figure(1.3 + 0.4 * rows, labels=data["labels"])
        y = np.arange(rows)
        ax.barh(y, data["supplied"], color="#27ae60", label="supplied")
        ax.barh(y, data["unmet"], left=data["supplied"], color="#c0392b", label="unmet")
        ax.set_yticks(y, data["labels"])
        ax.invert_yaxis()
        ax.set_xlabel("t per year")
        ax.legend(fontsize=8)
        _thousands(ax)
    elif chart.name == "cost":
        fig, ax = _figure(1.2 + 0.4 * rows, labels=data["labels"])
        _barh(ax, data["labels"], data["values"], "#2e86c1", f"cost, {data['unit']}")
    else:
        fig, ax = _figure(1.6 + 0.38 * rows, labels=data["labels"], legend=True)
        _stacked(ax, chart)
    fig.suptitle(chart.title, fontsize=11, x=0.01, ha="left")
    FigureCanvasAgg(fig).print_png(str(path), metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return path
