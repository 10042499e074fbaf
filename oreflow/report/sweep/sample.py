"""Charts of a Monte Carlo sample (or a grid of three or more parameters): a histogram of
total cost, total cost against each parameter (one scatter panel each) and the prices
that vary most, each against the parameter it follows most closely.

Only solved points are drawn (the captions count the others). Each panel's heading and
the captions give Pearson's r and the least-squares slope per round step of the parameter
(``falls by 410 USD/t per 0.1 of cn_processing``); a dashed line draws the fit. At most
:data:`DRAWN` points are drawn per panel (evenly picked; r and the slope use them all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oreflow.report.common import fmt
from oreflow.report.common.chart import Chart
from oreflow.report.sweep.figures import Panel, Series, histogram_chart, panels_chart
from oreflow.report.sweep.lines import COST, failed_note
from oreflow.report.sweep.points import PointsData, base_cost, is_share, money_unit, per_year, varying

PARAMETERS = 6  # cost panels
PRICES = 6  # price panels
DRAWN = 1000  # points drawn per panel
DOTS = "#2e86c1"
FIT = "#1c2833"


@dataclass(eq=False)
class Fit:
    """How one column follows one parameter over the solved points: Pearson's r and the
    least-squares slope (per unit of the parameter)."""

    column: str
    parameter: dict[str, Any]
    r: float
    slope: float
    intercept: float
    x: np.ndarray
    y: np.ndarray
    labels: list[str]

    @property
    def step(self) -> float:
        """A round step of the parameter: the power of ten below a third of its spread."""
        spread = float(self.x.max() - self.x.min())
        return 10.0 ** math.floor(math.log10(spread / 3)) if spread > 0 else 1.0

    def step_text(self) -> str:
        """``0.1 of cn_processing``, ``10,000 t of us_capacity``, ``10 percentage points of cn_share``."""
        step, name = self.step, self.parameter["name"]
        if is_share(self.parameter):
            return f"{step * 100:g} percentage point{'' if step == 0.01 else 's'} of {name}"
        unit = str(self.parameter.get("unit") or "")
        text = fmt.num(step) if step >= 1000 else f"{step:g}"
        return f"{text}{'' if unit in ('', 'factor') else ' ' + unit} of {name}"

    def sentence(self, what: str, amount: str) -> str:
        """``price.capacity.CN_Baotou falls by 410 USD/t per 0.1 of cn_processing (r = -0.93)``."""
        move = "rises" if self.slope > 0 else "falls" if self.slope < 0 else "does not move"
        by = f" by {amount}" if self.slope else ""
        return f"{what} {move}{by} per {self.step_text()} (r = {self.r:.2f})"

    def panel(self, title: str, series: str, ytitle: str, unit: str) -> Panel:
        """The points (at most :data:`DRAWN`) and the dashed least-squares line."""
        keep = picked(len(self.x))
        ends = np.array([self.x.min(), self.x.max()])
        return Panel(
            title,
            self.parameter,
            self.x[keep],
            [
                Series(series, self.y[keep], DOTS, [self.labels[i] for i in keep], mode="markers"),
                Series("least-squares fit", self.intercept + self.slope * ends, FIT, x=ends, mode="lines", dash="dash"),
            ],
            ytitle,
            unit,
        )


def picked(count: int) -> np.ndarray:
    """Indices of at most :data:`DRAWN` of ``count`` points, evenly spread."""
    return np.arange(count) if count <= DRAWN else np.unique(np.linspace(0, count - 1, DRAWN).round().astype(int))


def fit(ok: pd.DataFrame, column: str, parameter: dict[str, Any]) -> Fit | None:
    """How ``column`` follows ``parameter`` over the rows where both are known (None: no variation)."""
    both = ok[[f"param.{parameter['name']}", column, "label"]].dropna(subset=[f"param.{parameter['name']}", column])
    x, y = both.iloc[:, 0].to_numpy(float), both.iloc[:, 1].to_numpy(float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    return Fit(
        column,
        parameter,
        float(np.corrcoef(x, y)[0, 1]),
        float(slope),
        float(intercept),
        x,
        y,
        both["label"].astype(str).tolist(),
    )


def drawn_note(sweep: PointsData) -> str:
    """What a caption adds when not every point is drawn or solved (empty when all are)."""
    solved = len(sweep.ok)
    return (f"; {DRAWN:,} of {solved:,} points drawn per panel, r over all" if solved > DRAWN else "") + failed_note(
        sweep, " (left out)"
    )


def distribution(sweep: PointsData) -> Chart:
    """The histogram of total cost over the solved points, P5, P50 and P95 marked."""
    values = sweep.ok[COST].to_numpy(float)
    marks = dict(zip(("P5", "P50", "P95"), np.percentile(values, [5, 50, 95])))
    caption = (
        f"Across {len(values):,} solved points total cost has P5 {fmt.usd(marks['P5'])}, median "
        f"{fmt.usd(marks['P50'])} and P95 {fmt.usd(marks['P95'])}{per_year(sweep.summary)} (base case "
        f"{fmt.usd(base_cost(sweep.summary))})" + failed_note(sweep) + "."
    )
    unit = money_unit(sweep.summary)
    return histogram_chart(
        "cost_distribution", f"Distribution of total cost ({unit})", caption, values, marks, "total cost, {unit}", unit
    )


def cost_scatter(sweep: PointsData) -> Chart | None:
    """Total cost against each parameter (those it follows most closely when there are more than six)."""
    ok = sweep.ok
    fits = [f for f in (fit(ok, COST, p) for p in sweep.parameters) if f is not None]
    if not fits:
        return None
    closest = sorted(fits, key=lambda f: -abs(f.r))
    shown = [f for f in fits if f in closest[:PARAMETERS]]
    top = closest[0]
    others = ", ".join(f"{f.parameter['name']} r = {f.r:.2f}" for f in closest[1:PARAMETERS])
    caption = (
        f"Over {len(ok):,} solved points total cost follows {top.parameter['name']} most closely: it "
        + top.sentence("", fmt.usd(abs(top.slope * top.step)) + per_year(sweep.summary)).lstrip()
        + (f"; {others}" if others else "")
        + (
            f"; the {PARAMETERS} of {len(fits)} parameters it follows most closely are drawn"
            if len(fits) > PARAMETERS
            else ""
        )
        + drawn_note(sweep)
        + "."
    )
    panels = [
        f.panel(f"{f.parameter['name']} (r = {f.r:.2f})", "total cost", "total cost, {unit}", money_unit(sweep.summary))
        for f in shown
    ]
    return panels_chart(
        "cost_scatter",
        f"Total cost against each parameter ({money_unit(sweep.summary)})",
        caption,
        panels,
        columns=3,
        mode="markers",
        money=True,
    )


def widest_prices(sweep: PointsData, count: int = PRICES) -> list[str]:
    """The prices that vary most: each family's widest-moving in turn (their units differ)."""
    ok = sweep.ok
    by_family = [varying(ok, sweep.family_columns(family), count) for family in sweep.families()]
    turns = [column for rank in range(count) for columns in by_family for column in columns[rank : rank + 1]]
    return turns[:count]


def price_scatter(sweep: PointsData) -> Chart | None:
    """The prices that vary most, each against the parameter it follows most closely."""
    ok = sweep.ok
    fits = []
    for column in widest_prices(sweep):
        found = [f for f in (fit(ok, column, p) for p in sweep.parameters) if f is not None]
        if found:
            fits.append(max(found, key=lambda f: abs(f.r)))
    if not fits:
        return None

    def amount(f: Fit) -> str:
        return f"{fmt.num(abs(f.slope * f.step), 0 if abs(f.slope * f.step) >= 10 else 2)} {sweep.unit(f.column)}"

    strongest = sorted(fits, key=lambda f: -abs(f.r))
    caption = (
        "; ".join(f.sentence(f.column, amount(f)) for f in strongest[:3])
        + f" ({len(fits)} price(s) drawn, the widest-moving of each family in turn, each against the "
        f"parameter it follows most closely)" + drawn_note(sweep) + "."
    )
    panels = [f.panel(f"{f.column} (r = {f.r:.2f})", "shadow price", "{unit}", sweep.unit(f.column)) for f in fits]
    return panels_chart(
        "price_scatter",
        "Shadow prices that vary most, against the parameter each follows most closely",
        caption,
        panels,
        columns=2,
        mode="markers",
    )


def sample_charts(sweep: PointsData) -> list[Chart]:
    """The charts of a Monte Carlo sample (those with nothing to show left out)."""
    found = [distribution(sweep), cost_scatter(sweep), price_scatter(sweep)]
    return [c for c in found if c is not None]
