"""The year charts of a plan: small multiples against the years (one panel per country,
product or stockpile, each with its own y axis, so very different magnitudes stay readable)
and bars by year.

Values come already in the unit of the axis; each point's tooltip is written in full by the
caller (``text``), so the figures need no number formats. Each builder returns a
:class:`~oreflow.report.common.chart.Chart` whose ``png`` dict the drawers of :mod:`.png` read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from oreflow.report.common.chart import Chart, axis, layout, nulls, panel_grid

LEGEND = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0}
#: Height of a row of panels and the gap between rows, px.
ROW_PX, GAP_PX = 220, 90


@dataclass
class Line:
    """One series against the years: its name (one legend entry however many panels show it),
    values in the axis' unit (NaN: a gap), colour, tooltip per point, dashed, drawn as bars, or
    shaded down to zero (a capacity under its use)."""

    name: str
    values: np.ndarray
    colour: str
    text: list[str]
    dash: bool = False
    bar: bool = False
    fill: bool = False


@dataclass
class YearPanel:
    """One small chart: its heading, its lines and its y axis title (with the unit)."""

    title: str
    lines: list[Line]
    ytitle: str


def _pale(colour: str, alpha: float = 0.18) -> str:
    """``#rrggbb`` as a pale ``rgba`` for a shaded area."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def year_axis(years: list[int], **extra: Any) -> dict[str, Any]:
    """An x axis of years: whole years as ticks (at most about eight of them)."""
    step = max(1, math.ceil(len(years) / 8))
    return axis("year", tickmode="array", tickvals=years[::step], tickformat="d", **extra)


def _trace(line: Line, years: list[int], suffix: str = "", legend: bool = True) -> dict[str, Any]:
    """A line's plotly trace on the axes ``x<suffix>``, ``y<suffix>`` (the first panel's: no suffix)."""
    trace: dict[str, Any] = {
        "type": "bar" if line.bar else "scatter",
        "name": line.name,
        "legendgroup": line.name,
        "showlegend": legend,
        "x": years,
        "y": nulls(line.values),
        "text": line.text,
        "marker": {"color": line.colour},
        "hovertemplate": "%{text}<extra></extra>",
    }
    if line.bar:
        trace["textposition"] = "none"
    else:
        trace["mode"] = "lines+markers"
        trace["line"] = {"color": line.colour, "dash": "dash" if line.dash else "solid"}
        if line.fill:
            trace["fill"], trace["fillcolor"] = "tozeroy", _pale(line.colour)
    if suffix:
        trace["xaxis"], trace["yaxis"] = f"x{suffix}", f"y{suffix}"
    return trace


def year_panels(
    name: str, title: str, caption: str, years: list[int], panels: list[YearPanel], columns: int = 3
) -> Chart:
    """Small multiples against ``years``: one panel per :class:`YearPanel`, ``columns`` a row,
    each with its own y axis from zero; a line name seen in several panels is one legend entry."""
    xdomains, ydomains, area = panel_grid(len(panels), columns, ROW_PX, GAP_PX, 0.08)
    data, axes, heads, seen = [], {}, [], set()
    for i, (panel, xd, yd) in enumerate(zip(panels, xdomains, ydomains)):
        suffix = "" if i == 0 else str(i + 1)
        axes[f"xaxis{suffix}"] = year_axis(years, domain=xd, anchor=f"y{suffix}")
        axes[f"yaxis{suffix}"] = axis(
            panel.ytitle, tickformat=",~r", rangemode="tozero", domain=yd, anchor=f"x{suffix}"
        )
        heads.append(
            {
                "x": xd[0],
                "y": yd[1],
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "text": f"<b>{panel.title}</b>",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
        for line in panel.lines:
            data.append(_trace(line, years, suffix, line.name not in seen))
            seen.add(line.name)
    legend = len(seen) > 1
    fig = {
        "data": data,
        "layout": layout(
            area + 50 + (110 if legend else 70),
            showlegend=legend,
            legend=LEGEND,
            annotations=heads,
            barmode="relative",
            margin={"l": 60, "r": 30, "t": 50, "b": 110 if legend else 70},
            **axes,
        ),
    }
    png = {
        "draw": "year_panels",
        "years": years,
        "columns": min(columns, len(panels)),
        "legend": legend,
        "panels": [
            {
                "title": p.title,
                "ylabel": p.ytitle,
                "lines": [
                    (ln.name, np.asarray(ln.values, float), ln.colour, ln.dash, ln.bar, ln.fill) for ln in p.lines
                ],
            }
            for p in panels
        ],
    }
    return Chart(name, title, caption, fig, png=png)


def year_bars(
    name: str, title: str, caption: str, years: list[int], lines: list[Line], ytitle: str, stacked: bool
) -> Chart:
    """Bars by year, one trace per :class:`Line` (stacked, or side by side)."""
    data = [_trace(line, years, legend=True) for line in lines]
    fig = {
        "data": data,
        "layout": layout(
            420,
            barmode="stack" if stacked else "group",
            showlegend=True,
            legend=LEGEND,
            xaxis=year_axis(years),
            yaxis=axis(ytitle, tickformat=",~r", rangemode="tozero"),
            margin={"l": 60, "r": 30, "t": 30, "b": 110},
        ),
    }
    png = {
        "draw": "year_bars",
        "years": years,
        "stacked": stacked,
        "ylabel": ytitle,
        "lines": [(ln.name, np.asarray(ln.values, float), ln.colour, ln.dash, ln.bar, ln.fill) for ln in lines],
    }
    return Chart(name, title, caption, fig, png=png)
