"""The chart type of every report: a plotly figure as a plain dict, its caption and what
its PNG drawer needs; and the layout, axis and colour helpers the builders share.

Figures are built as JSON-ready dicts (no plotly import: fast, and the same data feeds
the matplotlib PNGs). Every axis and tooltip carries its unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

HEAT = [[0.0, "#ffffcc"], [0.35, "#fed976"], [0.6, "#fd8d3c"], [0.8, "#e31a1c"], [1.0, "#800026"]]
FONT = {"family": "DejaVu Sans, Helvetica, Arial, sans-serif", "size": 13}
#: Colours of unordered categories (refining countries, products, scenarios' components).
PALETTE = ["#e15759", "#4e79a7", "#59a14f", "#b07aa1", "#f28e2b", "#76b7b2", "#9c755f", "#edc948", "#ff9da7", "#bab0ac"]


@dataclass
class Chart:
    """One chart of a page.

    Attributes:
        name: its id in the page and its PNG's name (``report_<name>.png``).
        title: its heading.
        caption: one line stating the finding, with numbers.
        figure: the plotly figure (``data`` and ``layout``) as a JSON-ready dict.
        png: what its PNG drawer needs; ``png["draw"]`` names the drawer
            (:data:`oreflow.report.png.DRAWERS`).
        captions: a caption per view (the Sankey's product buttons).
    """

    name: str
    title: str
    caption: str
    figure: dict[str, Any]
    png: dict[str, Any] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)


def layout(height: int, **extra: Any) -> dict[str, Any]:
    """A plotly layout ``height`` px tall in the report's font and margins; ``extra`` adds or overrides keys."""
    return {
        "height": height,
        "margin": {"l": 60, "r": 30, "t": 30, "b": 60},
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "separators": ".,",
        **extra,
    }


def axis(title: str, **extra: Any) -> dict[str, Any]:
    """A plotly axis titled ``title`` (with its unit) in the report's grid colours."""
    return {"title": {"text": title}, "gridcolor": "#e5e8e8", "zerolinecolor": "#909497", "automargin": True, **extra}


def nulls(values: Any, scale: float = 1.0) -> list[float | None]:
    """Values / scale as a JSON-ready list, NaN and inf as None (a gap in the chart)."""
    return [None if not np.isfinite(v) else float(v) / scale for v in np.asarray(values, float)]


def panel_grid(
    count: int, columns: int, height: int, gap: int, space: float
) -> tuple[list[list[float]], list[list[float]], int]:
    """(x domains, y domains, plot area height in px) of ``count`` panels, ``columns`` a row,
    each ``height`` px tall with ``gap`` px between rows and ``space`` (paper) between columns."""
    columns = min(columns, count)
    rows = -(-count // columns)
    area = rows * height + (rows - 1) * gap
    width = (1 - space * (columns - 1)) / columns
    xs = [[c * (width + space), c * (width + space) + width] for c in range(columns)]
    ys = [[1 - (r * (height + gap) + height) / area, 1 - r * (height + gap) / area] for r in range(rows)]
    return [xs[i % columns] for i in range(count)], [ys[i // columns] for i in range(count)], area
