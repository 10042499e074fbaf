"""The PNG drawers of a plan's charts (:mod:`.figures`): each takes a chart's ``png`` dict and
returns a matplotlib Figure, on the base of :mod:`oreflow.report.common.png`."""

from __future__ import annotations

from typing import Any

import numpy as np

from oreflow.report.common.png import blank, small_multiples, thousands


def _years(ax: Any, years: list[int]) -> None:
    """Whole years as the x ticks (at most about eight)."""
    step = max(1, -(-len(years) // 8))
    ax.set_xticks(years[::step], [str(y) for y in years[::step]])


def _draw(ax: Any, years: list[int], lines: list[tuple[Any, ...]], stacked: bool = True) -> None:
    """``lines`` (name, values, colour, dashed, bars, shaded) against the years: the bars stacked
    either side of zero (or side by side), then the lines, dashed or solid, shaded down to zero."""
    x = np.asarray(years, float)
    bars = [line for line in lines if line[4]]
    width = 0.8 if stacked else 0.8 / max(1, len(bars))
    pos, neg = np.zeros(len(x)), np.zeros(len(x))
    for i, (name, values, colour, *_) in enumerate(bars):
        values = np.nan_to_num(np.asarray(values, float))
        if stacked:
            ax.bar(x, values, width, bottom=np.where(values >= 0, pos, neg), color=colour, label=name)
            pos, neg = pos + np.clip(values, 0, None), neg + np.clip(values, None, 0)
        else:
            ax.bar(x - 0.4 + width * (i + 0.5), values, width, color=colour, label=name)
    for name, values, colour, dash, bar, fill in lines:
        if not bar:
            ax.plot(x, values, marker="o", markersize=3, color=colour, linestyle="--" if dash else "-", label=name)
        if fill:
            ax.fill_between(x, np.nan_to_num(np.asarray(values, float)), color=colour, alpha=0.18, linewidth=0)
    _years(ax, years)
    thousands(ax, "y")
    shown = np.concatenate([np.asarray(line[1], float) for line in lines]) if lines else np.zeros(0)
    if not np.nan_to_num(shown).any():  # nothing but zeros: an axis from 0 to 1, not around 0
        ax.set_ylim(0.0, 1.0)
    else:
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))


def year_panels(data: dict[str, Any]) -> Any:
    """Small multiples against the years, ``columns`` a row, one legend below for every panel."""
    panels, columns = data["panels"], data["columns"]
    fig, axes = small_multiples(len(panels), columns, 2.5, data["legend"], left=0.08, wspace=0.3)
    handles: dict[str, Any] = {}
    for ax, panel in zip(axes, panels):
        _draw(ax, data["years"], panel["lines"])
        ax.set_title(panel["title"], fontsize=9, loc="left")
        ax.set_ylabel(panel["ylabel"], fontsize=8)
        ax.tick_params(labelsize=7.5)
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    if data["legend"]:
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="lower center",
            ncol=min(6, len(handles)),
            fontsize=8,
            frameon=False,
        )
    return fig


def year_bars(data: dict[str, Any]) -> Any:
    """Bars by year (stacked or side by side), a legend below."""
    fig = blank(4.4)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.88, bottom=0.25)
    ax = fig.subplots()
    _draw(ax, data["years"], data["lines"], data["stacked"])
    ax.set_xlabel("year")
    ax.set_ylabel(data["ylabel"])
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=6, fontsize=8, frameon=False)
    return fig
