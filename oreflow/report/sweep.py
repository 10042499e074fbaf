"""The charts of a sweep, for its shape, each with a one-line caption that states the finding with numbers.

- One parameter on a grid: total cost, ore refined by refining country and the prices
  that vary, against the parameter (:mod:`oreflow.report.sweep_lines`); a share limit
  (table ``share_limits``) is drawn as the cost-of-diversification frontier
  (:mod:`oreflow.report.frontier`).
- Two parameters on a grid: a heat map of total cost.
- Monte Carlo (or more parameters): a histogram of total cost (percentiles in the caption).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from oreflow.report import fmt
from oreflow.report.charts import Chart
from oreflow.report.figures import heat_chart, histogram_chart
from oreflow.report.frontier import frontier_charts
from oreflow.report.points import PointsData, base_cost, value_text
from oreflow.report.sweep_lines import COST, cost_line, failed_note, family_charts, feed_area


def shape(sweep: PointsData) -> str:
    """``line`` (one parameter on a grid), ``heat`` (two) or ``distribution`` (Monte Carlo, more)."""
    count = len(sweep.parameters)
    if sweep.summary.get("mode") == "grid" and count in (1, 2):
        return "line" if count == 1 else "heat"
    return "distribution"


def is_frontier(sweep: PointsData) -> bool:
    return shape(sweep) == "line" and sweep.parameters[0].get("table") == "share_limits"


def heat(sweep: PointsData) -> Chart:
    a, b = (f"param.{p['name']}" for p in sweep.parameters)
    grid = sweep.points.pivot_table(index=b, columns=a, values=COST, aggfunc="first", dropna=False)
    xs = np.sort(sweep.points[a].dropna().unique())
    ys = np.sort(sweep.points[b].dropna().unique())
    grid = grid.reindex(index=ys, columns=xs)
    ok = sweep.ok
    lo, hi = ok.loc[ok[COST].idxmin()], ok.loc[ok[COST].idxmax()]
    pa, pb = sweep.parameters

    def at(row: pd.Series) -> str:
        return f"{pa['name']} {value_text(pa, row[a])}, {pb['name']} {value_text(pb, row[b])}"

    caption = (f"Total cost ranges from {fmt.usd(lo[COST])} per year ({at(lo)}) to {fmt.usd(hi[COST])} ({at(hi)})"
               + failed_note(sweep) + ".")
    return heat_chart("cost_grid", f"Total cost over {pa['name']} and {pb['name']} (USD per year)", caption,
                      sweep.parameters, xs, ys, grid.to_numpy(float))


def distribution(sweep: PointsData) -> Chart:
    values = sweep.ok[COST].to_numpy(float)
    marks = dict(zip(("P5", "P50", "P95"), np.percentile(values, [5, 50, 95])))
    caption = (f"Across {len(values):,} solved points total cost has P5 {fmt.usd(marks['P5'])}, median "
               f"{fmt.usd(marks['P50'])} and P95 {fmt.usd(marks['P95'])} per year (base case "
               f"{fmt.usd(base_cost(sweep.summary))})" + failed_note(sweep) + ".")
    return histogram_chart("cost_distribution", "Distribution of total cost (USD per year)", caption, values, marks,
                           "total cost, {unit}")


def sweep_charts(sweep: PointsData) -> list[Chart]:
    """The charts of a sweep, for its shape (nothing when no point was solved)."""
    if sweep.ok.empty:
        return []
    kind = shape(sweep)
    if kind == "heat":
        return [heat(sweep)]
    if kind == "distribution":
        return [distribution(sweep)]
    if is_frontier(sweep):
        charts = frontier_charts(sweep) + [feed_area(sweep)] + family_charts(sweep, ("demand", "share_limit"))
    else:
        charts = [cost_line(sweep), feed_area(sweep)] + family_charts(sweep)
    return [c for c in charts if c is not None]
