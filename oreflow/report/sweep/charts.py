"""The charts of a sweep, for its shape, each with a one-line caption that states the finding with numbers.

- One parameter on a grid: total cost, ore refined by refining country and the prices
  that vary, against the parameter (:mod:`.lines`); a share limit (the share-limit
  family's input table) is drawn as the cost-of-diversification frontier (:mod:`.frontier`).
- Two parameters on a grid: a heat map of total cost, total cost against the first
  parameter with one line per value of the second, and the prices that vary most drawn
  the same way (:mod:`.grid`).
- Monte Carlo (or more parameters): a histogram of total cost (percentiles in the
  caption), total cost against each parameter and the prices that vary most against the
  parameter each follows most closely (:mod:`.sample`).
"""

from __future__ import annotations

from oreflow.model.families import DEMAND, FAMILIES_BY_NAME, SHARE_LIMIT
from oreflow.report.common.chart import Chart
from oreflow.report.sweep.frontier import frontier_charts
from oreflow.report.sweep.grid import grid_charts
from oreflow.report.sweep.lines import cost_line, family_charts, feed_area, quantity_lines
from oreflow.report.sweep.points import PointsData
from oreflow.report.sweep.sample import sample_charts


def shape(sweep: PointsData) -> str:
    """``line`` (one parameter on a grid), ``heat`` (two) or ``distribution`` (Monte Carlo, more)."""
    count = len(sweep.parameters)
    if sweep.summary.get("mode") == "grid" and count in (1, 2):
        return "line" if count == 1 else "heat"
    return "distribution"


def is_frontier(sweep: PointsData) -> bool:
    """A one-parameter grid of a share limit: drawn as the cost-of-diversification frontier."""
    return shape(sweep) == "line" and sweep.parameters[0].get("table") == FAMILIES_BY_NAME[SHARE_LIMIT].table


def sweep_charts(sweep: PointsData) -> list[Chart]:
    """The charts of a sweep, for its shape (nothing when no point was solved)."""
    if sweep.ok.empty:
        return []
    kind = shape(sweep)
    if kind == "heat":
        return grid_charts(sweep)
    if kind == "distribution":
        return sample_charts(sweep)
    charts: list[Chart | None]
    if is_frontier(sweep):
        charts = [*frontier_charts(sweep), feed_area(sweep), *family_charts(sweep, (DEMAND, SHARE_LIMIT))]
    else:
        charts = [cost_line(sweep), feed_area(sweep), *family_charts(sweep)]
    charts.append(quantity_lines(sweep))  # demand with a curve: what is bought at those prices
    return [c for c in charts if c is not None]
