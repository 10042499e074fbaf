"""Stacked horizontal bars, one row per label and one segment per column of a table: the
cost and the feed of each scenario (batch) and the unmet demand of each disruption (stress).
A row that dwarfs the others runs off scale, with its value written at the edge."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oreflow.report.common import fmt
from oreflow.report.common.chart import PALETTE, axis, layout, nulls


def _clip(totals: np.ndarray) -> tuple[float | None, list[int]]:
    """The largest |value| to show when one bar dwarfs all others (those are annotated instead)."""
    finite = np.sort(np.abs(totals[np.isfinite(totals)]))[::-1]
    if len(finite) < 3 or finite[1] <= 0 or finite[0] < 5 * finite[1]:
        return None, []
    edge = 1.5 * finite[1]
    return edge, [i for i, v in enumerate(totals) if np.isfinite(v) and abs(v) > edge]


def stacked(
    grid: pd.DataFrame,
    labels: list[str],
    money: bool,
    colours: dict[str, str],
    names: dict[str, str],
    hover_unit: str,
    totals: np.ndarray,
    title: str,
    relative: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A horizontal stacked bar chart of ``grid`` (one row per label) and what its PNG drawer needs.

    ``colours`` and ``names`` by column (else the palette and the column's name); ``totals``
    per row decide what runs off scale; ``title`` may hold ``{unit}`` (USD, M USD or bn USD
    with ``money``). With ``relative`` segments stack either side of zero and a diamond marks
    each row's net change.
    """
    edge, off = _clip(totals)
    visible = [edge] if edge else np.abs(totals[np.isfinite(totals)]).tolist()
    scale, unit = fmt.money_scale(visible) if money else (1.0, "")
    title = title.format(unit=unit)
    data = []
    for i, key in enumerate(grid.columns):
        values = grid[key].to_numpy(float)
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": names.get(key, key),
                "y": labels,
                "x": nulls(values, scale),
                "customdata": nulls(values),
                "marker": {"color": colours.get(key, PALETTE[i % len(PALETTE)])},
                "hovertemplate": f"%{{y}}<br>{names.get(key, key)}: %{{customdata:,.0f}} {hover_unit}<extra></extra>",
            }
        )
    if relative:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "net change",
                "y": labels,
                "x": nulls(totals, scale),
                "customdata": nulls(totals),
                "marker": {"symbol": "diamond", "size": 11, "color": "black"},
                "hovertemplate": f"%{{y}}<br>net change: %{{customdata:+,.0f}} {hover_unit}<extra></extra>",
            }
        )
    rng: list[float] = []
    if edge:
        low = float(np.nanmin(grid.clip(upper=0.0).sum(axis=1).to_numpy(float), initial=0.0))
        rng = [1.15 * low / scale, edge / scale]
    notes = [
        {
            "x": rng[1] if totals[i] > 0 else rng[0],
            "y": labels[i],
            "xanchor": "right" if totals[i] > 0 else "left",
            "text": (fmt.signed_usd(totals[i]) if relative else fmt.usd(totals[i])) + " (off scale) ▶",
            "showarrow": False,
            "bgcolor": "rgba(255,255,255,0.85)",
            "font": {"size": 12},
        }
        for i in off
    ]
    xaxis = axis(title, tickformat=",~r", **({"range": rng} if rng else {}))
    fig = {
        "data": data,
        "layout": layout(
            190 + 34 * len(labels),
            barmode="relative" if relative else "stack",
            xaxis=xaxis,
            yaxis=axis("", autorange="reversed"),
            annotations=notes,
            margin={"l": 60, "r": 30, "t": 30, "b": 120},
            legend={
                "orientation": "h",
                "traceorder": "normal",
                "yref": "container",
                "y": 0.0,
                "yanchor": "bottom",
                "x": 0.0,
            },
        ),
    }
    png = {
        "draw": "stacked",
        "grid": grid / scale,
        "labels": labels,
        "unit": title,
        "colours": colours,
        "names": names,
        "range": rng,
        "notes": notes,
    }
    if relative:
        png["totals"] = totals / scale
    return fig, png
