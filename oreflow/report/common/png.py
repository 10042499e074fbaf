"""The PNG base: figures of a fixed width on matplotlib's Agg canvas (no browser, no pyplot),
axis formats, and the drawer of stacked bars (:mod:`.stacked`), which batch and stress charts share.

Every drawer takes a chart's ``png`` dict and returns a matplotlib Figure
(:data:`oreflow.report.png.DRAWERS`). matplotlib is imported inside the functions only,
when the first PNG is drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DPI = 100
WIDTH = 10.0


def blank(height: float) -> Any:
    """An empty Figure of the report's width, ``height`` inches tall."""
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height), dpi=DPI)


def small_multiples(
    count: int, columns: int, row_in: float, legend: bool, left: float, wspace: float
) -> tuple[Any, Any]:
    """A figure of ``count`` panels, ``columns`` a row, each ``row_in`` inches tall, room for one
    legend below (``legend``); (figure, the used axes, in order; the rest hidden)."""
    rows = -(-count // columns)
    height = 0.9 + row_in * rows + (0.4 if legend else 0.0)
    fig = blank(height)
    fig.subplots_adjust(
        left=left,
        right=0.98,
        top=1 - 0.75 / height,
        bottom=(0.6 + (0.4 if legend else 0)) / height,
        hspace=0.6,
        wspace=wspace,
    )
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[count:]:
        ax.set_visible(False)
    return fig, axes[:count]


def figure(height: float, ncols: int = 1, labels: Any = (), legend: bool = False, **kw: Any) -> tuple[Any, Any]:
    """A figure with fixed margins (cheaper than constrained layout): room for the y labels."""
    height = max(2.4, height)
    fig = blank(height)
    left = min(0.5, 0.04 + 0.0085 * max((len(str(text)) for text in labels), default=4))
    bottom = (0.7 + (0.4 if legend else 0.0)) / height
    fig.subplots_adjust(left=left, right=0.97, top=1 - 0.5 / height, bottom=bottom, wspace=0.08)
    axes = fig.subplots(1, ncols, **kw)
    return fig, axes


def thousands(ax: Any, which: str = "x") -> None:
    """Tick labels of axis ``which`` with thousands separators, and its grid lines."""
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _: Any) -> str:
        return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}".rstrip("0")

    getattr(ax, f"{which}axis").set_major_formatter(FuncFormatter(label))
    ax.grid(axis=which, color="#e5e8e8")
    ax.set_axisbelow(True)


def barh(ax: Any, labels: list[str], values: Any, colour: Any, unit: str) -> None:
    """Horizontal bars, the first label on top, the x axis titled ``unit``."""
    y = np.arange(len(labels))
    ax.barh(y, values, color=colour)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    thousands(ax)


def stacked(data: dict[str, Any]) -> Any:
    """Stacked horizontal bars (:func:`oreflow.report.common.stacked.stacked`), a legend below."""
    grid, labels = data["grid"], data["labels"]
    fig, ax = figure(1.6 + 0.38 * len(labels), labels=labels, legend=True)
    y = np.arange(len(labels))
    pos, neg = np.zeros(len(labels)), np.zeros(len(labels))
    for i, key in enumerate(grid.columns):
        values = np.nan_to_num(grid[key].to_numpy(float))
        left = np.where(values >= 0, pos, neg)
        ax.barh(y, values, left=left, color=data["colours"].get(key, f"C{i}"), label=data["names"].get(key, key))
        pos, neg = pos + np.clip(values, 0, None), neg + np.clip(values, None, 0)
    if "totals" in data:
        ax.scatter(data["totals"], y, marker="D", color="black", zorder=3, label="net change")
    if data.get("range"):
        ax.set_xlim(*data["range"])
        for note in data["notes"]:
            ax.text(
                note["x"],
                labels.index(note["y"]),
                note["text"],
                ha=note["xanchor"],
                va="center",
                fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(data["unit"])
    thousands(ax)
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=6, fontsize=8, frameon=False)
    return fig
