"""PNGs of the sweep and stress charts of :mod:`oreflow.report.figures` (``chart.png["draw"]``
names the drawer), in the style of :mod:`oreflow.report.png`."""

from __future__ import annotations

from typing import Any

import numpy as np

from oreflow.report.charts import Chart
from oreflow.report.figures import MARK
from oreflow.report.png import _barh, _figure, _thousands


def _percent(ax: Any, which: str) -> None:
    from matplotlib.ticker import PercentFormatter

    getattr(ax, f"{which}axis").set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


def _lines(data: dict[str, Any]) -> Any:
    names = [name for name, _ in data["series"]]
    values = [np.asarray(v, float) for _, v in data["series"]]
    shown = np.concatenate(values)
    shown = shown[np.isfinite(shown)]
    if data["range"] and not data["log"]:
        shown = np.clip(shown, *data["range"])
    ticks = [f"{v:,.0f}" for v in shown[[shown.argmin(), shown.argmax()]]] if len(shown) else []
    fig, ax = _figure(4.6, legend=len(names) > 1, labels=[t + "  " * (2 + data["ylabel"].count("<br>")) for t in ticks])
    if data["stacked"]:
        ax.stackplot(data["x"], np.nan_to_num(values), labels=names, colors=data["colours"], alpha=0.85)
    else:
        for name, v, colour, marked in zip(names, values, data["colours"], data["marked"]):
            ax.plot(data["x"], v, marker="o", markersize=3, color=colour, label=name)
            ax.scatter(data["x"][marked], v[marked], s=16, color=MARK, zorder=3)
    if data["log"]:
        from matplotlib.ticker import NullFormatter

        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(NullFormatter())
    _thousands(ax, "y")
    if data["range"]:
        ax.set_ylim(*(10 ** np.array(data["range"]) if data["log"] else data["range"]))
        ax.text(0, 1.01, data["note"], transform=ax.transAxes, fontsize=8, color=MARK, va="bottom")
    (_percent if data["percent"] else _thousands)(ax, "x")
    ax.grid(axis="x", color="#e5e8e8")
    ax.set_xlabel(data["xlabel"])
    ax.set_ylabel(data["ylabel"].replace("<br>", "\n"))
    if len(names) > 1:
        fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=min(6, len(names)), fontsize=8,
                   frameon=False)
    return fig


def _heat(data: dict[str, Any]) -> Any:
    fig, ax = _figure(1.6 + 0.32 * max(8, len(data["y"])), labels=["parameter"])
    image = ax.imshow(np.ma.masked_invalid(data["z"]), cmap="YlOrRd", aspect="auto", origin="lower")
    fig.colorbar(image, ax=ax, label=data["unit"])
    for which, values, percent in (("x", data["x"], data["percent"][0]), ("y", data["y"], data["percent"][1])):
        text = [f"{v:.0%}" if percent else f"{v:,.6g}" for v in values]
        step = max(1, len(values) // 12)
        getattr(ax, f"set_{which}ticks")(range(0, len(values), step), text[::step])
    ax.set_xlabel(data["xlabel"])
    ax.set_ylabel(data["ylabel"])
    return fig


def _hist(data: dict[str, Any]) -> Any:
    fig, ax = _figure(4.2)
    edges = data["edges"]
    ax.bar(edges[:-1], data["counts"], width=np.diff(edges), align="edge", color="#2e86c1", edgecolor="white")
    for i, (name, value) in enumerate(data["marks"].items()):
        ax.axvline(value, color="#1c2833", linestyle="--", linewidth=1)
        ax.text(value, 1.01 + 0.06 * i, name, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=8)
    _thousands(ax, "x")
    ax.set_xlabel(data["xlabel"])
    ax.set_ylabel("points")
    return fig


def _bars(data: dict[str, Any]) -> Any:
    from matplotlib.patches import Patch

    labels = data["labels"]
    fig, ax = _figure(1.6 + 0.3 * len(labels), labels=labels, legend=True)
    colours = [data["colours"].get(g, "#2e86c1") for g in data["groups"]]
    _barh(ax, labels, np.nan_to_num(data["values"]), colours, data["xlabel"])
    handles = [Patch(color=data["colours"].get(g, "#2e86c1"), label=g) for g in dict.fromkeys(data["groups"])]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    return fig


DRAWERS = {"lines": _lines, "heat": _heat, "hist": _hist, "bars": _bars}


def figure(chart: Chart) -> Any:
    """The matplotlib Figure of a chart built by :mod:`oreflow.report.figures`."""
    return DRAWERS[chart.png["draw"]](chart.png)
