"""The comparison page of a scenario batch: cost by scenario, deltas against the base and
feed by refining country, all from ``comparison.csv`` (and each case's summary.json)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from oreflow.report import fmt
from oreflow.report.charts import Chart, axis, layout, nulls
from oreflow.report.data import read_csv, read_summary
from oreflow.report.sankey import PALETTE

COMPONENT_COLOURS = {"mining": "#5d6d7e", "ore_freight": "#aab7b8", "processing": "#2e86c1",
                     "product_freight": "#76d7c4", "tariffs": "#d68910", "unmet_penalty": "#c0392b"}


def load_comparison(folder: Path) -> tuple[pd.DataFrame, dict, list[str]]:
    """(comparison table, batch summary, case names in run order, base first)."""
    table = read_csv(Path(folder) / "comparison.csv")
    summary = read_summary(folder)
    cases = [c["name"] for c in summary.get("cases", [])] or list(dict.fromkeys(table["scenario"]))
    return table, summary, cases


def _pivot(table: pd.DataFrame, metric: str, cases: list[str], column: str = "value") -> pd.DataFrame:
    sub = table.loc[table["metric"] == metric]
    grid = sub.pivot(index="scenario", columns="key", values=column)
    keys = list(dict.fromkeys(sub["key"]))
    return grid.reindex(index=cases, columns=keys)


def _status(table: pd.DataFrame, cases: list[str]) -> dict[str, str]:
    return {**{c: "not solved" for c in cases}, **table.groupby("scenario", sort=False)["status"].first().to_dict()}


def _labels(cases: list[str], status: dict[str, str]) -> list[str]:
    return [c if status[c] == "optimal" else f"{c} ({status[c]})" for c in cases]


def _clip(totals: np.ndarray) -> tuple[float | None, list[int]]:
    """The largest |value| to show when one bar dwarfs all others (those are annotated instead)."""
    finite = np.sort(np.abs(totals[np.isfinite(totals)]))[::-1]
    if len(finite) < 3 or finite[1] <= 0 or finite[0] < 5 * finite[1]:
        return None, []
    edge = 1.5 * finite[1]
    return edge, [i for i, v in enumerate(totals) if np.isfinite(v) and abs(v) > edge]


def stacked(grid: pd.DataFrame, labels: list[str], money: bool, colours: dict, names: dict, hover_unit: str,
            totals: np.ndarray, title: str, relative: bool = False) -> tuple[dict, dict]:
    """A horizontal stacked bar chart (plotly dict) and what png.py needs to draw the same."""
    edge, off = _clip(totals)
    visible = [edge] if edge else np.abs(totals[np.isfinite(totals)]).tolist()
    scale, unit = fmt.money_scale(visible) if money else (1.0, "")
    title = title.format(unit=unit)
    data = []
    for i, key in enumerate(grid.columns):
        values = grid[key].to_numpy(float)
        data.append({"type": "bar", "orientation": "h", "name": names.get(key, key), "y": labels,
                     "x": nulls(values, scale), "customdata": nulls(values),
                     "marker": {"color": colours.get(key, PALETTE[i % len(PALETTE)])},
                     "hovertemplate": f"%{{y}}<br>{names.get(key, key)}: %{{customdata:,.0f}} {hover_unit}"
                                      "<extra></extra>"})
    if relative:
        data.append({"type": "scatter", "mode": "markers", "name": "net change", "y": labels,
                     "x": nulls(totals, scale), "customdata": nulls(totals),
                     "marker": {"symbol": "diamond", "size": 11, "color": "black"},
                     "hovertemplate": f"%{{y}}<br>net change: %{{customdata:+,.0f}} {hover_unit}<extra></extra>"})
    rng = None
    if edge:
        low = float(np.nanmin(grid.clip(upper=0.0).sum(axis=1).to_numpy(float), initial=0.0))
        rng = [1.15 * low / scale, edge / scale]
    notes = [{"x": rng[1] if totals[i] > 0 else rng[0], "y": labels[i], "xanchor": "right" if totals[i] > 0 else "left",
              "text": (fmt.signed_usd(totals[i]) if relative else fmt.usd(totals[i])) + " (off scale) ▶",
              "showarrow": False, "bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 12}} for i in off]
    xaxis = axis(title, tickformat=",~r", **({"range": rng} if rng else {}))
    fig = {"data": data, "layout": layout(190 + 34 * len(labels), barmode="relative" if relative else "stack",
                                          xaxis=xaxis, yaxis=axis("", autorange="reversed"), annotations=notes,
                                          margin={"l": 60, "r": 30, "t": 30, "b": 120},
                                          legend={"orientation": "h", "traceorder": "normal", "yref": "container",
                                                  "y": 0.0, "yanchor": "bottom", "x": 0.0})}
    png = {"grid": grid / scale, "labels": labels, "unit": title, "colours": colours, "names": names,
           "range": rng, "notes": notes}
    if relative:
        png["totals"] = totals / scale
    return fig, png


def cost_by_scenario(table: pd.DataFrame, cases: list[str]) -> Chart:
    status = _status(table, cases)
    grid = _pivot(table, "cost", cases)
    totals = _pivot(table, "objective", cases).iloc[:, 0].to_numpy(float)
    ok = [i for i, v in enumerate(totals) if i > 0 and np.isfinite(v)]
    caption = f"The base case costs {fmt.usd(totals[0])} per year"
    for word, pick in (("dearest", max), ("cheapest", min)):
        if ok and (i := pick(ok, key=lambda i: totals[i])) is not None:
            caption += (f"; the {word} scenario is {cases[i]} ({fmt.usd(totals[i])}, "
                        f"{fmt.signed_usd(totals[i] - totals[0])})")
            ok = [j for j in ok if j != i]
    caption += "."
    fig, png = stacked(grid, _labels(cases, status), True, COMPONENT_COLOURS, fmt.COST_LABELS, "USD per year",
                       totals, "cost, {unit} per year")
    return Chart("cost_by_scenario", "Total cost by scenario (USD per year)", caption, fig, png=png)


def delta_vs_base(table: pd.DataFrame, cases: list[str]) -> Chart:
    status = _status(table, cases)
    scen = cases[1:]
    value, base = _pivot(table, "cost", scen), _pivot(table, "cost", scen, "base")
    grid = value - base.fillna(0.0)  # a component only in the scenario (tariffs) was 0 in the base
    totals = _pivot(table, "objective", scen, "delta").iloc[:, 0].to_numpy(float)
    ok = [i for i, v in enumerate(totals) if np.isfinite(v)]
    parts = []
    if ok and totals[up := max(ok, key=lambda i: totals[i])] > 0:
        parts.append(f"{scen[up]} raises cost the most ({fmt.signed_usd(totals[up])} per year)")
    if ok and totals[down := min(ok, key=lambda i: totals[i])] < 0:
        parts.append(f"{scen[down]} lowers it by {fmt.usd(-totals[down])} per year")
    failed = [c for c in scen if status[c] != "optimal"]
    if failed:
        parts.append(f"{', '.join(failed)} could not be solved")
    caption = "Against the base, " + ("; ".join(parts) or "no scenario changes the cost") + "."
    fig, png = stacked(grid, _labels(scen, status), True, COMPONENT_COLOURS, fmt.COST_LABELS,
                       "USD per year vs base", totals, "change of cost against the base, {unit} per year",
                       relative=True)
    return Chart("delta_vs_base", "Change of cost against the base, by component (USD per year)", caption, fig,
                 png=png)


def feed_by_country(table: pd.DataFrame, cases: list[str]) -> Chart:
    status = _status(table, cases)
    grid = _pivot(table, "feed_by_refining_country", cases)
    grid = grid.fillna(0.0).where(pd.Series([status[c] == "optimal" for c in cases], index=grid.index), np.nan,
                                  axis=0)
    grid = grid[grid.sum().sort_values(ascending=False, kind="stable").index]
    lead = grid.columns[0]
    shares = (grid[lead] / grid.sum(axis=1)).dropna()
    caption = (f"{fmt.country(lead)} refines {fmt.pct(shares.iloc[0])} of the ore in the base case, between "
               f"{fmt.pct(shares.min())} ({shares.idxmin()}) and {fmt.pct(shares.max())} ({shares.idxmax()}) "
               "across the cases.")
    names = {c: fmt.country(c) for c in grid.columns}
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(grid.columns)}
    fig, png = stacked(grid, _labels(cases, status), False, colours, names, "t REO per year",
                       grid.sum(axis=1, min_count=1).to_numpy(float), "ore refined, t REO per year")
    return Chart("feed_by_country", "Ore refined by refining country, per scenario (t REO per year)", caption, fig,
                 png=png)


def comparison_charts(table: pd.DataFrame, cases: list[str]) -> list[Chart]:
    if table.loc[table["scenario"] == cases[0], "value"].isna().all():
        return []  # the base case failed: nothing to compare against
    return [cost_by_scenario(table, cases), delta_vs_base(table, cases), feed_by_country(table, cases)]
