"""Chart builders for sweeps and stress tests: lines (or stacked areas) against a parameter,
small multiples (panels of lines or scatters, one x and y axis each), a heat map over two
parameters, a histogram, horizontal bars coloured by group.

Each returns a :class:`~oreflow.report.common.chart.Chart` whose plotly figure keeps the raw
values (USD, t) in ``customdata`` and whose ``png`` dict says how
:mod:`oreflow.report.sweep.png` draws the same chart (``draw`` names the drawer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from oreflow.report.common import fmt
from oreflow.report.common.chart import HEAT, PALETTE, Chart, axis, layout, nulls, panel_grid
from oreflow.report.sweep.points import axis_title, is_share

MARK = "#c0392b"  # marked points (demand unmet)
#: Ordered colours (viridis, its pale end left out) for the values of an ordered parameter.
RAMP = ["#440154", "#472c7a", "#3c508b", "#2d708e", "#228d8d", "#24aa83", "#52c569", "#9bd93c"]
LEGEND = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0}


@dataclass
class Series:
    """One line: its name, raw values (NaN where a point failed), colour, extra hover text and
    the points to mark (e.g. where demand goes unmet); in a panel also its own ``x`` and
    ``mode`` (``markers``, ``lines``; default the chart's) and ``dash``."""

    name: str
    values: np.ndarray
    colour: str | None = None
    text: list[str] | None = None
    marked: list[bool] | None = None
    x: np.ndarray | None = None
    mode: str = ""
    dash: str = ""


@dataclass
class Panel:
    """One small chart of :func:`panels_chart`: its heading, the parameter on its x axis and
    the x values, its series, the y axis title and the unit of its values (in tooltips)."""

    title: str
    parameter: dict[str, Any]
    x: np.ndarray
    series: list[Series]
    ytitle: str
    unit: str


def ramp(count: int) -> list[str]:
    """``count`` ordered colours, evenly spread over :data:`RAMP`."""
    return [RAMP[i] for i in np.round(np.linspace(0, len(RAMP) - 1, count)).astype(int)] if count > 1 else RAMP[3:4]


def money_unit(values: Any, unit: str) -> tuple[float, str]:
    """(divisor, ``unit`` with its USD read as USD, M USD or bn USD) for money ``values`` (:func:`fmt.money_scale`)."""
    scale, scaled = fmt.money_scale(values)
    return scale, unit.replace("USD", scaled, 1)


def x_axis(parameter: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The plotly axis of a parameter and the d3 format of its values in tooltips."""
    share = is_share(parameter)
    return axis(axis_title(parameter), tickformat=".0%" if share else ",~r"), ".1~%" if share else ",~r"


def wrap(title: str, width: int = 40) -> str:
    """A long axis title on two lines, after its first comma, else at the space nearest its
    middle (plotly ``<br>``; the PNG drawers turn it into a newline)."""
    if len(title) <= width:
        return title
    head, sep, tail = title.partition(", ")
    if sep:
        return f"{head},<br>{tail}"
    spaces = [i for i, c in enumerate(title) if c == " "]
    if not spaces:
        return title
    cut = min(spaces, key=lambda i: abs(i - len(title) / 2))
    return f"{title[:cut]}<br>{title[cut + 1 :]}"


def _fit(values: np.ndarray, log: bool) -> list[float]:
    """An axis range around ``values`` (log10 units on a log axis), with a margin."""
    lo, hi = (np.log10(values.min()), np.log10(values.max())) if log else (values.min(), values.max())
    pad = 0.08 * (hi - lo) or 0.05 * abs(hi) or 1.0
    return [float(lo - pad), float(hi + pad)]


def _log(values: np.ndarray) -> bool:
    """A log axis: every value positive and spanning more than two decades."""
    return bool(len(values) and values.min() > 0 and values.max() / values.min() > 100)


def _hover(series: Series, parameter: dict[str, Any], xformat: str, unit: str, digits: int) -> str:
    return (
        f"{series.name}<br>{parameter['name']} %{{x:{xformat}}}: %{{customdata:,.{digits}f}} {unit}"
        + ("<br>%{text}" if series.text else "")
        + "<extra></extra>"
    )


def line_chart(
    name: str,
    title: str,
    caption: str,
    x: np.ndarray,
    parameter: dict[str, Any],
    series: list[Series],
    ytitle: str,
    unit: str,
    *,
    digits: int = 0,
    money: bool = False,
    stacked: bool = False,
    focus: np.ndarray | None = None,
    note: str = "",
) -> Chart:
    """Lines (or a stacked area) of ``series`` against the parameter's values ``x``.

    ``ytitle`` may hold ``{unit}``: the unit after scaling money to M or bn USD. With
    ``focus`` (a flag per point) the y axis fits the flagged points only; the others may run
    off scale, which ``note`` says above the plot.
    """
    focus = None if focus is None or focus.all() or not focus.any() else np.asarray(focus, bool)
    every = np.concatenate([s.values if focus is None else s.values[focus] for s in series])
    every = every[np.isfinite(every)]
    scale, scaled = money_unit(every, unit) if money else (1.0, unit)
    log = not stacked and _log(every)
    yrange = _fit(every / scale, log) if focus is not None and len(every) else None
    xaxis, xformat = x_axis(parameter)
    data = []
    for i, s in enumerate(series):
        colour = s.colour or PALETTE[i % len(PALETTE)]
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines" if stacked else "lines+markers",
            "name": s.name,
            "x": nulls(x),
            "y": nulls(s.values, scale),
            "customdata": nulls(s.values),
            "line": {"color": colour},
            "marker": {"color": [MARK if m else colour for m in s.marked] if s.marked else colour},
            "hovertemplate": _hover(s, parameter, xformat, unit, digits),
        }
        if s.text:
            trace["text"] = s.text
        if stacked:
            trace["stackgroup"] = "one"
        data.append(trace)
    extra = ({"type": "log", "dtick": 1} if log else {}) | ({"range": yrange} if yrange else {})
    yaxis = axis(wrap(ytitle.format(unit=scaled)), tickformat=",~r", **extra)
    notes = (
        [
            {
                "x": 0,
                "y": 1,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "text": note,
                "showarrow": False,
                "font": {"size": 12, "color": MARK},
            }
        ]
        if note and yrange
        else []
    )
    fig = {
        "data": data,
        "layout": layout(
            480,
            xaxis=xaxis,
            yaxis=yaxis,
            showlegend=len(series) > 1,
            legend=LEGEND,
            annotations=notes,
            margin={"l": 60, "r": 30, "t": 40, "b": 130},
        ),
    }
    png = {
        "draw": "lines",
        "x": np.asarray(x, float),
        "series": [(s.name, s.values / scale) for s in series],
        "marked": [np.asarray(s.marked or [False] * len(x), bool) for s in series],
        "colours": [s.colour or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)],
        "xlabel": axis_title(parameter),
        "ylabel": wrap(ytitle.format(unit=scaled)),
        "stacked": stacked,
        "percent": is_share(parameter),
        "log": log,
        "range": yrange,
        "note": notes[0]["text"] if notes else "",
    }
    return Chart(name, title, caption, fig, png=png)


def panels_chart(
    name: str,
    title: str,
    caption: str,
    panels: list[Panel],
    *,
    columns: int = 2,
    mode: str = "lines+markers",
    money: bool = False,
) -> Chart:
    """Small multiples: one panel per :class:`Panel`, ``columns`` a row, each with its own axes;
    a series name seen in several panels is one legend entry (clicking it hides it everywhere).
    With ``money`` every panel's values are scaled alike to USD, M USD or bn USD (``{unit}``
    in a panel's ``ytitle``)."""
    every = np.concatenate([np.asarray(s.values, float) for p in panels for s in p.series])
    scale, scaled = fmt.money_scale(every[np.isfinite(every)]) if money else (1.0, "")
    xdomains, ydomains, area = panel_grid(len(panels), columns, 250, 95, 0.1)
    data, axes, heads, seen, drawn = [], {}, [], set(), []
    for i, (panel, xd, yd) in enumerate(zip(panels, xdomains, ydomains)):
        suffix = "" if i == 0 else str(i + 1)
        xaxis, xformat = x_axis(panel.parameter)
        shown = np.concatenate([np.asarray(s.values, float) for s in panel.series])
        log = _log(shown[np.isfinite(shown)] / scale)
        ytitle = wrap(panel.ytitle.format(unit=panel.unit.replace("USD", scaled, 1) if money else panel.unit), 28)
        axes[f"xaxis{suffix}"] = {**xaxis, "domain": xd, "anchor": f"y{suffix}"}
        axes[f"yaxis{suffix}"] = axis(
            ytitle, tickformat=",~r", domain=yd, anchor=f"x{suffix}", **({"type": "log", "dtick": 1} if log else {})
        )
        heads.append(
            {
                "x": xd[0],
                "y": yd[1],
                "xref": "paper",
                "yref": "paper",
                "xanchor": "left",
                "yanchor": "bottom",
                "text": panel.title,
                "showarrow": False,
                "font": {"size": 12},
            }
        )
        lines = []
        for j, s in enumerate(panel.series):
            colour = s.colour or PALETTE[j % len(PALETTE)]
            x = panel.x if s.x is None else s.x
            trace = {
                "type": "scatter",
                "mode": s.mode or mode,
                "name": s.name,
                "legendgroup": s.name,
                "showlegend": s.name not in seen,
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "x": nulls(x),
                "y": nulls(s.values, scale),
                "customdata": nulls(s.values),
                "line": {"color": colour, "dash": s.dash or "solid"},
                "marker": {"color": colour, "size": 5},
                "hovertemplate": _hover(s, panel.parameter, xformat, panel.unit, 0),
            }
            if s.text:
                trace["text"] = s.text
            seen.add(s.name)
            data.append(trace)
            lines.append(
                (s.name, np.asarray(x, float), np.asarray(s.values, float) / scale, colour, s.mode or mode, s.dash)
            )
        drawn.append(
            {
                "title": panel.title,
                "xlabel": axis_title(panel.parameter),
                "ylabel": ytitle,
                "log": log,
                "percent": is_share(panel.parameter),
                "series": lines,
            }
        )
    legend = len(seen) > 1
    fig = {
        "data": data,
        "layout": layout(
            area + 50 + (130 if legend else 70),
            showlegend=legend,
            legend=LEGEND,
            annotations=heads,
            margin={"l": 60, "r": 30, "t": 50, "b": 130 if legend else 70},
            **axes,
        ),
    }
    png = {"draw": "panels", "columns": min(columns, len(panels)), "panels": drawn, "legend": legend}
    return Chart(name, title, caption, fig, png=png)


def heat_chart(
    name: str,
    title: str,
    caption: str,
    params: list[dict[str, Any]],
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    unit: str = "USD per year",
) -> Chart:
    """A heat map of money ``z[i, j]`` over parameter 0 (``x[j]``) and parameter 1 (``y[i]``)."""
    scale, scaled = money_unit(z.ravel(), unit)
    (xaxis, xformat), (yaxis, yformat) = x_axis(params[0]), x_axis(params[1])
    trace = {
        "type": "heatmap",
        "x": nulls(x),
        "y": nulls(y),
        "z": [nulls(row, scale) for row in z],
        "customdata": [nulls(row) for row in z],
        "colorscale": HEAT,
        "colorbar": {"title": {"text": scaled}},
        "hoverongaps": False,
        "hovertemplate": f"{params[0]['name']} %{{x:{xformat}}}, {params[1]['name']} %{{y:{yformat}}}: "
        f"%{{customdata:,.0f}} {unit}<extra></extra>",
    }
    if z.size <= 400:
        trace["texttemplate"] = "%{z:,.3~r}"
    fig = {"data": [trace], "layout": layout(160 + max(300, 32 * len(y)), xaxis=xaxis, yaxis=yaxis)}
    png = {
        "draw": "heat",
        "x": np.asarray(x, float),
        "y": np.asarray(y, float),
        "z": z / scale,
        "xlabel": axis_title(params[0]),
        "ylabel": axis_title(params[1]),
        "unit": scaled,
        "percent": (is_share(params[0]), is_share(params[1])),
    }
    return Chart(name, title, caption, fig, png=png)


def histogram_chart(
    name: str,
    title: str,
    caption: str,
    values: np.ndarray,
    marks: dict[str, float],
    xtitle: str,
    unit: str = "USD per year",
) -> Chart:
    """Counts of ``values`` (money) in bins, with a dashed line at each of ``marks`` (e.g. P5, P50, P95)."""
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=min(30, max(5, int(np.sqrt(len(values))))))
    scale, scaled = money_unit(edges, unit)
    trace = {
        "type": "bar",
        "x": nulls((edges[:-1] + edges[1:]) / 2, scale),
        "y": counts.tolist(),
        "width": nulls(np.diff(edges), scale),
        "customdata": [[a, b] for a, b in zip(edges[:-1], edges[1:])],
        "marker": {"color": "#2e86c1", "line": {"color": "white", "width": 1}},
        "hovertemplate": f"%{{customdata[0]:,.0f}} to %{{customdata[1]:,.0f}} {unit}: %{{y}} points<extra></extra>",
    }
    shapes = [
        {
            "type": "line",
            "x0": v / scale,
            "x1": v / scale,
            "y0": 0,
            "y1": 1,
            "yref": "paper",
            "line": {"color": "#1c2833", "dash": "dash", "width": 1.5},
        }
        for v in marks.values()
    ]
    notes = [
        {
            "x": v / scale,
            "y": 1,
            "yref": "paper",
            "yanchor": "bottom",
            "yshift": 15 * i,
            "showarrow": False,
            "text": f"{k}: {fmt.usd(v)}",
            "font": {"size": 11},
        }
        for i, (k, v) in enumerate(marks.items())
    ]
    fig = {
        "data": [trace],
        "layout": layout(
            440,
            bargap=0,
            shapes=shapes,
            annotations=notes,
            margin={"l": 60, "r": 30, "t": 70, "b": 60},
            xaxis=axis(xtitle.format(unit=scaled), tickformat=",~r"),
            yaxis=axis("points", tickformat=",d", rangemode="tozero"),
        ),
    }
    png = {
        "draw": "hist",
        "edges": edges / scale,
        "counts": counts,
        "marks": {k: v / scale for k, v in marks.items()},
        "xlabel": xtitle.format(unit=scaled),
    }
    return Chart(name, title, caption, fig, png=png)


def bars_chart(
    name: str,
    title: str,
    caption: str,
    labels: list[str],
    values: np.ndarray,
    groups: list[str],
    colours: dict[str, str],
    xtitle: str,
    unit: str,
    hover: list[str],
) -> Chart:
    """Horizontal bars (first label on top) of money ``values``, one trace (colour, legend entry) per group."""
    scale, scaled = money_unit(values, unit)
    data = []
    for group in dict.fromkeys(groups):
        rows = [i for i, g in enumerate(groups) if g == group]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": group,
                "y": [labels[i] for i in rows],
                "x": nulls(values[rows], scale),
                "customdata": nulls(values[rows]),
                "text": [fmt.signed_usd(values[i]) if np.isfinite(values[i]) else "" for i in rows],
                "textposition": "auto",
                "hovertext": [hover[i] for i in rows],
                "marker": {"color": colours.get(group, "#2e86c1")},
                "hovertemplate": f"%{{y}} ({group}): %{{customdata:+,.0f}} {unit}<br>%{{hovertext}}<extra></extra>",
            }
        )
    yaxis = axis("", categoryorder="array", categoryarray=labels, autorange="reversed")
    fig = {
        "data": data,
        "layout": layout(
            170 + 26 * len(labels),
            xaxis=axis(xtitle.format(unit=scaled), tickformat=",~r"),
            yaxis=yaxis,
            legend=LEGEND,
            margin={"l": 60, "r": 30, "t": 30, "b": 110},
        ),
    }
    png = {
        "draw": "bars",
        "labels": labels,
        "values": values / scale,
        "groups": groups,
        "colours": colours,
        "xlabel": xtitle.format(unit=scaled),
    }
    return Chart(name, title, caption, fig, png=png)
