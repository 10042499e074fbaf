"""The charts of an N-1 stress test: the ranking of disruptions by cost increase and the
demand each leaves unmet, from ``stress.csv`` and ``stress_unmet.csv`` (ranked most critical first).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oreflow.report.common import fmt
from oreflow.report.common.chart import PALETTE, Chart
from oreflow.report.common.stacked import stacked
from oreflow.report.sweep.figures import bars_chart
from oreflow.report.sweep.points import TINY, PointsData, base_cost, load_points, money_unit, per_year, read_text_csv

KIND_COLOURS = {
    "origin": "#8e44ad",
    "refiner": "#2e86c1",
    "ore_route_group": "#d68910",
    "product_route_group": "#17a589",
}
KIND_NAMES = {
    "origin": "origin",
    "refiner": "refiner",
    "ore_route_group": "ore routes",
    "product_route_group": "product routes",
}
TOP = 25


@dataclass
class StressData:
    """A stress test's folder: its points, the ranking and the unmet demand and price moves per disruption."""

    points: PointsData
    ranking: pd.DataFrame
    unmet: pd.DataFrame
    prices: pd.DataFrame

    @property
    def summary(self) -> dict[str, Any]:
        """The stress test's summary.json."""
        return self.points.summary

    @property
    def name(self) -> str:
        """The name its page shows."""
        return self.points.name

    @cached_property
    def labels(self) -> dict[tuple[str, str], str]:
        """(kind, element) -> the element's name (with its kind where two kinds share a name); built once."""
        rank = self.ranking
        twice = set(rank.loc[rank["element"].duplicated(keep=False), "element"])
        return {
            (k, e): f"{e} ({KIND_NAMES.get(k, k)})" if e in twice else e for k, e in zip(rank["kind"], rank["element"])
        }


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    return read_text_csv(path) if path.is_file() else pd.DataFrame(columns=columns)


def load_stress(folder: Path) -> StressData:
    """Read a stress test's folder: its points, the ranking and the unmet demand and price moves per disruption."""
    folder = Path(folder)
    ranking = _read(folder / "stress.csv", ["rank", "kind", "element", "status", "cost_increase_usd"])
    return StressData(
        load_points(folder),
        ranking.sort_values("rank", kind="stable"),
        _read(folder / "stress_unmet.csv", ["kind", "element", "market", "product", "unmet_increase_t"]),
        _read(folder / "stress_prices.csv", ["kind", "element", "column", "change"]),
    )


def ranking_chart(stress: StressData) -> Chart:
    """The cost increase of the most critical disruptions, coloured by kind."""
    rank = stress.ranking
    ok = rank.loc[rank["status"] == "optimal"]
    base = base_cost(stress.summary)
    top = rank.head(TOP)
    names = stress.labels
    labels = [
        names[(k, e)] + ("" if s == "optimal" else f" ({s})")
        for k, e, s in zip(top["kind"], top["element"], top["status"])
    ]
    hover = [
        f"{d}; {fmt.tonnes(u)} more demand unmet" if np.isfinite(u) and u > TINY else d
        for d, u in zip(top["description"], top["unmet_increase_t"].astype(float))
    ]
    worst = ok.loc[ok["cost_increase_usd"].idxmax()] if len(ok) else None
    caption = (
        f"Losing {names[(worst['kind'], worst['element'])]} costs {fmt.usd(worst['cost_increase_usd'])}"
        f"{per_year(stress.summary)} more ({fmt.pct(worst['cost_increase_usd'] / abs(base))} of the base case's "
        f"{fmt.usd(base)}), the "
        f"largest of {len(rank):,} disruptions"
        if worst is not None
        else f"None of the {len(rank):,} disruptions could be solved"
    )
    unmet = int((ok["unmet_increase_t"] > TINY).sum())
    if unmet:
        caption += f"; {unmet} leave{'s' if unmet == 1 else ''} demand unmet"
    if len(rank) > len(ok) and len(ok):
        caption += f"; {len(rank) - len(ok)} could not be solved"
    shown = f"top {TOP} of {len(rank)}" if len(rank) > TOP else f"all {len(rank)}"
    return bars_chart(
        "ranking",
        f"N-1 ranking: cost increase of each disruption ({shown}, {money_unit(stress.summary)})",
        caption + ".",
        labels,
        top["cost_increase_usd"].to_numpy(float),
        [KIND_NAMES.get(k, k) for k in top["kind"]],
        {KIND_NAMES.get(k, k): c for k, c in KIND_COLOURS.items()},
        "cost increase against the base, {unit}",
        money_unit(stress.summary),
        hover,
    )


def unmet_chart(stress: StressData) -> Chart | None:
    """The demand each disruption leaves unmet, by product (None: none leaves demand unmet)."""
    unmet = stress.unmet.loc[stress.unmet["unmet_increase_t"].astype(float) > TINY]
    if unmet.empty:
        return None
    names = stress.labels
    unmet = unmet.assign(label=[names.get((k, e), e) for k, e in zip(unmet["kind"], unmet["element"])])
    order = [names[(k, e)] for k, e in zip(stress.ranking["kind"], stress.ranking["element"])]
    grid = unmet.pivot_table(index="label", columns="product", values="unmet_increase_t", aggfunc="sum", sort=False)
    grid = grid.reindex([o for o in order if o in grid.index]).fillna(0.0)
    totals = grid.sum(axis=1)
    worst = totals.idxmax()
    parts = ", ".join(f"{p} {fmt.tonnes(v)}" for p, v in grid.loc[worst].sort_values(ascending=False).items() if v > 0)
    caption = (
        f"{len(grid)} disruption{'s leave' if len(grid) > 1 else ' leaves'} demand unmet; the most: losing "
        f"{worst}, {fmt.tonnes(totals[worst])} per year ({parts})."
    )
    colours = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(grid.columns)}
    fig, png = stacked(
        grid,
        list(grid.index),
        False,
        colours,
        {},
        "t per year more unmet",
        totals.to_numpy(float),
        "demand unmet beyond the base case, t per year",
    )
    return Chart("unmet_by_disruption", "Unmet demand by disruption and product (t per year)", caption, fig, png=png)


def stress_charts(stress: StressData) -> list[Chart]:
    """The charts of a stress test (none when it has no disruption)."""
    if stress.ranking.empty:
        return []
    return [c for c in (ranking_chart(stress), unmet_chart(stress)) if c is not None]
