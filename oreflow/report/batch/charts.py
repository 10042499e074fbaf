"""The charts of a scenario batch's comparison page: cost by scenario, deltas against the
base and feed by refining country, all from ``comparison.csv`` (and the batch's summary.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oreflow.model.families import WILLINGNESS_TO_PAY, cost_label
from oreflow.report.batch.prices import market_price_chart
from oreflow.report.common import fmt
from oreflow.report.common.chart import PALETTE, Chart
from oreflow.report.common.data import read_csv, read_summary
from oreflow.report.common.stacked import stacked

#: The colour of each cost component (a component not listed takes the palette's).
COMPONENT_COLOURS = {
    "mining": "#5d6d7e",
    "ore_freight": "#aab7b8",
    "processing": "#2e86c1",
    "product_freight": "#76d7c4",
    "tariffs": "#d68910",
    "unmet_penalty": "#c0392b",
}


def load_comparison(folder: Path) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """(comparison table, batch summary, case names in run order, base first)."""
    table = read_csv(Path(folder) / "comparison.csv")
    summary = read_summary(folder)
    cases = [c["name"] for c in summary.get("cases", [])] or list(dict.fromkeys(table["scenario"]))
    return table, summary, cases


def _pivot(table: pd.DataFrame, metric: str, cases: list[str], column: str = "value") -> pd.DataFrame:
    sub = table.loc[table["metric"] == metric]
    grid = sub.pivot(index="scenario", columns="key", values=column)
    keys = list(dict.fromkeys(sub["key"]))
    return grid.reindex(index=cases, columns=keys)


def _status(table: pd.DataFrame, cases: list[str]) -> dict[str, str]:
    return {**{c: "not solved" for c in cases}, **table.groupby("scenario", sort=False)["status"].first().to_dict()}


def _labels(cases: list[str], status: dict[str, str]) -> list[str]:
    return [c if status[c] == "optimal" else f"{c} ({status[c]})" for c in cases]


def _costs(table: pd.DataFrame, cases: list[str], column: str = "value") -> pd.DataFrame:
    """Cost by component (columns) of each case, without the willingness to pay of demand
    curves (no cost: the comparison's ``welfare`` metric has it)."""
    grid = _pivot(table, "cost", cases, column)
    return grid.drop(columns=[WILLINGNESS_TO_PAY], errors="ignore")


def _total_cost(table: pd.DataFrame, cases: list[str], column: str = "value") -> np.ndarray:
    """Each case's total cost: the objective, less the willingness to pay where demand has curves."""
    objective = _pivot(table, "objective", cases, column).iloc[:, 0].to_numpy(float)
    wtp = _pivot(table, "cost", cases, column)
    if WILLINGNESS_TO_PAY not in wtp:
        return objective
    return objective - wtp[WILLINGNESS_TO_PAY].fillna(0.0).to_numpy(float)


def _cost_names(grid: pd.DataFrame) -> dict[str, str]:
    """Each cost component of ``grid`` as people read it (the registry's label)."""
    return {c: cost_label(c) for c in grid.columns}


def cost_by_scenario(table: pd.DataFrame, cases: list[str]) -> Chart:
    """Total cost of each case, stacked by component."""
    status = _status(table, cases)
    grid = _costs(table, cases)
    totals = _total_cost(table, cases)
    ok = [i for i, v in enumerate(totals) if i > 0 and np.isfinite(v)]
    caption = f"The base case costs {fmt.usd(totals[0])} per year"
    for word, pick in (("dearest", max), ("cheapest", min)):
        if ok and (i := pick(ok, key=lambda i: totals[i])) is not None:
            caption += (
                f"; the {word} scenario is {cases[i]} ({fmt.usd(totals[i])}, {fmt.signed_usd(totals[i] - totals[0])})"
            )
            ok = [j for j in ok if j != i]
    caption += "."
    fig, png = stacked(
        grid,
        _labels(cases, status),
        True,
        COMPONENT_COLOURS,
        _cost_names(grid),
        "USD per year",
        totals,
        "cost, {unit} per year",
    )
    return Chart("cost_by_scenario", "Total cost by scenario (USD per year)", caption, fig, png=png)


def delta_vs_base(table: pd.DataFrame, cases: list[str]) -> Chart:
    """The change of each scenario's cost against the base, by component, with its net change."""
    status = _status(table, cases)
    scen = cases[1:]
    value, base = _costs(table, scen), _costs(table, scen, "base")
    grid = value - base.fillna(0.0)  # a component only in the scenario (tariffs) was 0 in the base
    totals = _total_cost(table, scen, "delta")
    ok = [i for i, v in enumerate(totals) if np.isfinite(v)]
    parts = []
    if ok and totals[up := max(ok, key=lambda i: totals[i])] > 0:
        parts.append(f"{scen[up]} raises cost the most ({fmt.signed_usd(totals[up])} per year)")
    if ok and totals[down := min(ok, key=lambda i: totals[i])] < 0:
        parts.append(f"{scen[down]} lowers it by {fmt.usd(-totals[down])} per year")
    failed = [c for c in scen if status[c] != "optimal"]
    if failed:
        parts.append(f"{', '.join(failed)} could not be solved")
    caption = "Against the base, " + ("; ".join(parts) or "no scenario changes the cost") + "."
    fig, png = stacked(
        grid,
        _labels(scen, status),
        True,
        COMPONENT_COLOURS,
        _cost_names(grid),
        "USD per year vs base",
        totals,
        "change of cost against the base, {unit} per year",
        relative=True,
    )
    return Chart("delta_vs_base", "Change of cost against the base, by component (USD per year)", caption, fig, png=png)


def feed_by_country(table: pd.DataFrame, cases: list[str]) -> Chart:
    """Ore refined in each refining country, per case."""
    status = _status(table, cases)
    grid = _pivot(table, "feed_by_refining_country", cases)
    grid = grid.fillna(0.0).where(pd.Series([status[c] == "optimal" for c in cases], index=grid.index), np.nan, axis=0)
    grid = grid[grid.sum().sort_values(ascending=False, kind="stable").index]
    lead = grid.columns[0]
    shares = (grid[lead] / grid.sum(axis=1)).dropna()
    caption = (
        f"{fmt.country(lead)} refines {fmt.pct(shares.iloc[0])} of the ore in the base case, between "
        f"{fmt.pct(shares.min())} ({shares.idxmin()}) and {fmt.pct(shares.max())} ({shares.idxmax()}) "
        "across the cases."
    )
    names = {c: fmt.country(c) for c in grid.columns}
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(grid.columns)}
    fig, png = stacked(
        grid,
        _labels(cases, status),
        False,
        colours,
        names,
        "t REO per year",
        grid.sum(axis=1, min_count=1).to_numpy(float),
        "ore refined, t REO per year",
    )
    return Chart(
        "feed_by_country", "Ore refined by refining country, per scenario (t REO per year)", caption, fig, png=png
    )


def comparison_charts(table: pd.DataFrame, cases: list[str]) -> list[Chart]:
    """The comparison's charts (none when the base case failed)."""
    if table.loc[table["scenario"] == cases[0], "value"].isna().all():
        return []  # the base case failed: nothing to compare against
    found = [
        cost_by_scenario(table, cases),
        delta_vs_base(table, cases),
        feed_by_country(table, cases),
        market_price_chart(table, cases, _labels(cases, _status(table, cases))),
    ]
    return [c for c in found if c is not None]
