"""Charts of a two-parameter grid: a heat map of total cost, total cost against the first
parameter with one line per value of the second, and per recorded price family the
prices that vary most (one panel each) drawn the same way.

At most :data:`LINES` values of the second parameter are drawn, evenly spaced, in
ordered colours (the captions say when some are left out).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oreflow.report.common import fmt
from oreflow.report.common.chart import Chart
from oreflow.report.sweep.figures import Panel, Series, heat_chart, line_chart, panels_chart, ramp
from oreflow.report.sweep.lines import COST, QUANTITY, failed_note
from oreflow.report.sweep.points import PointsData, value_text, varying

LINES = 8  # values of the second parameter drawn as lines
PANELS = 4  # prices drawn per family


@dataclass
class Grid:
    """A two-parameter grid: the parameters, their sorted values and the values drawn as lines."""

    sweep: PointsData
    a: dict[str, Any]
    b: dict[str, Any]
    xs: np.ndarray
    ys: np.ndarray
    lines: np.ndarray
    tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)  # by column, built once

    @property
    def columns(self) -> tuple[str, str]:
        """The points.csv columns of the two parameters."""
        return f"param.{self.a['name']}", f"param.{self.b['name']}"

    def table(self, column: str) -> pd.DataFrame:
        """``column`` over the grid: one row per value of the first parameter, one column per
        value of the second (NaN where a point failed or is missing)."""
        if column not in self.tables:
            a, b = self.columns
            found = self.sweep.points.groupby([a, b])[column].first().unstack(b)
            self.tables[column] = found.reindex(index=self.xs, columns=self.ys)
        return self.tables[column]

    def at(self, row: pd.Series) -> str:
        """``cn_processing ×0.5, us_capacity 20,000 t``."""
        a, b = self.columns
        return f"{self.a['name']} {value_text(self.a, row[a])}, {self.b['name']} {value_text(self.b, row[b])}"

    def line_name(self, value: float) -> str:
        """The name of the line drawn at ``value`` of the second parameter (``mm_supply ×0.5``)."""
        return f"{self.b['name']} {value_text(self.b, value)}"

    def series(self, column: str) -> list[Series]:
        """One series per drawn value of the second parameter, against the first."""
        table = self.table(column)
        return [
            Series(self.line_name(y), table[y].to_numpy(float), colour)
            for y, colour in zip(self.lines, ramp(len(self.lines)))
        ]

    @property
    def thinned(self) -> str:
        """``; 8 of 21 values of us_capacity drawn, evenly spaced`` (empty when all are)."""
        if len(self.lines) == len(self.ys):
            return ""
        return f"; {len(self.lines)} of {len(self.ys)} values of {self.b['name']} drawn, evenly spaced"


def grid(sweep: PointsData) -> Grid:
    """The sweep's two parameters, their values and the (at most :data:`LINES`) values drawn as lines."""
    a, b = sweep.parameters
    xs, ys = (np.sort(sweep.points[f"param.{p['name']}"].dropna().unique()) for p in (a, b))
    picked = np.unique(np.round(np.linspace(0, len(ys) - 1, min(LINES, len(ys)))).astype(int))
    return Grid(sweep, a, b, xs, ys, ys[picked])


def heat(g: Grid) -> Chart:
    """The heat map of total cost over the two parameters."""
    ok = g.sweep.ok
    lo, hi = ok.loc[ok[COST].idxmin()], ok.loc[ok[COST].idxmax()]
    caption = (
        f"Total cost ranges from {fmt.usd(lo[COST])} per year ({g.at(lo)}) to {fmt.usd(hi[COST])} "
        f"({g.at(hi)})" + failed_note(g.sweep) + "."
    )
    return heat_chart(
        "cost_grid",
        f"Total cost over {g.a['name']} and {g.b['name']} (USD per year)",
        caption,
        [g.a, g.b],
        g.xs,
        g.ys,
        g.table(COST).to_numpy(float).T,
    )


def cost_lines(g: Grid) -> Chart:
    """Total cost against the first parameter, one line per drawn value of the second."""
    table = g.table(COST)
    ends = []
    for y in (g.lines[0], g.lines[-1]) if len(g.lines) > 1 else g.lines[:1]:
        solved = table[y].dropna()
        if len(solved):
            ends.append(
                f"with {g.line_name(y)} it goes from {fmt.usd(solved.iloc[0])} at "
                f"{value_text(g.a, solved.index[0])} to {fmt.usd(solved.iloc[-1])} at "
                f"{value_text(g.a, solved.index[-1])}"
            )
    apart = (table[g.lines].max(axis=1) - table[g.lines].min(axis=1)).max()
    if len(g.lines) > 1:
        ends.append(
            f"at one value of {g.a['name']} the lines are at most {fmt.usd(apart)} apart"
            if apart > 0
            else f"the lines coincide: {g.b['name']} does not change total cost"
        )
    caption = (
        f"Total cost per year against {g.a['name']}, one line per value of {g.b['name']}: "
        + "; ".join(ends)
        + g.thinned
        + failed_note(g.sweep)
        + "."
    )
    return line_chart(
        "cost_lines",
        f"Total cost against {g.a['name']}, by {g.b['name']} (USD per year)",
        caption,
        g.xs,
        g.a,
        g.series(COST),
        "total cost, {unit}",
        "USD per year",
        money=True,
    )


def price_panels(g: Grid, family: str) -> Chart | None:
    """The prices of ``family`` that vary most (one panel each) against the first parameter."""
    name = fmt.family_title(family)
    return _panels(
        g,
        f"prices_{family}",
        g.sweep.family_columns(family),
        lambda c: g.sweep.meta(c)["key"],
        (f"prices of {name}", f"price of {name}"),
        f"Shadow prices of {name} against {g.a['name']}, by {g.b['name']} ({{unit}})",
    )


def quantity_panels(g: Grid) -> Chart | None:
    """The quantities delivered to demand with a curve that vary most, drawn as the prices are."""
    return _panels(
        g,
        "quantities",
        g.sweep.columns(QUANTITY),
        lambda c: c.removeprefix(QUANTITY),
        ("quantities of demand with a curve", "quantity of demand with a curve"),
        f"Quantities of demand with a curve against {g.a['name']}, by {g.b['name']} (t per year)",
    )


def _panels(
    g: Grid, chart: str, columns: list[str], key_of: Callable[[str], str], what: tuple[str, str], title: str
) -> Chart | None:
    """The ``columns`` that vary most (one panel each) against the first parameter, a line per
    value of the second; ``what``: (many, one) in words; ``title`` may hold ``{unit}``."""
    many, one = what
    sweep, ok = g.sweep, g.sweep.ok
    moving = varying(ok, columns, PANELS)
    if not moving:
        return None
    count = len(varying(ok, columns, None))
    top, unit = moving[0], sweep.unit(moving[0])
    lo, hi = ok.loc[ok[top].idxmin()], ok.loc[ok[top].idxmax()]
    key = key_of(top)
    caption = (
        (
            f"Of {count} {many} that vary, {key} moves the most, from "
            if count > 1
            else f"Only one {one} varies: {key}, from "
        )
        + f"{fmt.num(lo[top])} ({g.at(lo)}) to {fmt.num(hi[top])} {unit} ({g.at(hi)})"
        + (f"; the {len(moving)} widest-moving are drawn" if count > len(moving) else "")
        + g.thinned
        + failed_note(sweep)
        + "."
    )
    panels = [
        Panel(
            f"{key_of(c)}: {fmt.num(ok[c].min())} to {fmt.num(ok[c].max())}",
            g.a,
            g.xs,
            g.series(c),
            "{unit}",
            sweep.unit(c),
        )
        for c in moving
    ]
    return panels_chart(chart, title.format(unit=unit), caption, panels)


def grid_charts(sweep: PointsData) -> list[Chart]:
    """Heat map and lines of total cost, then one chart of panels per price family."""
    g = grid(sweep)
    found = [heat(g), cost_lines(g)] + [price_panels(g, family) for family in sweep.families()] + [quantity_panels(g)]
    return [c for c in found if c is not None]
