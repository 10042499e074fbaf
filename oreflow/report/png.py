"""Static PNGs of the report's charts, drawn with matplotlib's Agg canvas (no browser, no pyplot).

One table, :data:`DRAWERS`, maps the drawer a chart names (``chart.png["draw"]``) to the
function drawing it, for the charts of runs, batches, sweeps, stress tests and plans alike.
matplotlib is imported only when the first PNG is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from oreflow.report.batch.prices import market_price_png
from oreflow.report.common import png as common
from oreflow.report.common.chart import Chart
from oreflow.report.plan import png as plan
from oreflow.report.run import png as run
from oreflow.report.sweep import png as sweep

#: Drawer name -> function from a chart's ``png`` dict to a matplotlib Figure.
DRAWERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "sankey": run.sankey,
    "cost": run.cost,
    "refinery": run.refinery,
    "delivered": run.delivered,
    "unmet": run.unmet,
    "policies": run.policies,
    "stacked": common.stacked,
    "market_prices": market_price_png,
    "lines": sweep.lines,
    "panels": sweep.panels,
    "heat": sweep.heat,
    "hist": sweep.hist,
    "bars": sweep.bars,
    "year_panels": plan.year_panels,
    "year_bars": plan.year_bars,
}


def draw(chart: Chart, path: Path) -> Path:
    """Draw ``chart`` into ``path`` (PNG), titled like its section of the page."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = DRAWERS[chart.png["draw"]](chart.png)
    fig.suptitle(chart.title, fontsize=11, x=0.01, ha="left")
    FigureCanvasAgg(fig).print_png(str(path), metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return path
