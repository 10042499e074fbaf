"""The comparison page of a batch of plans (``oreflow run`` on a job with a ``[horizon]`` and
scenarios): every plan with its objective in present value against the base and what it
builds, the conflicting constraints of a plan without a solution, the capacity each plan
builds by country and the price path of each product in each plan. Read from comparison.csv
(:func:`oreflow.plan_batch.plan_metrics`)."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from oreflow.model.conventions import split_year
from oreflow.report.batch.pages import case_link, case_texts
from oreflow.report.common import fmt
from oreflow.report.common.chart import PALETTE, Chart
from oreflow.report.common.html import chart_links, chart_section, code_items, page, table
from oreflow.report.common.stacked import stacked
from oreflow.report.plan.figures import Line, YearPanel, year_panels


def _rows(table_: pd.DataFrame, metric: str) -> pd.DataFrame:
    return table_.loc[table_["metric"] == metric]


def built_chart(table_: pd.DataFrame, cases: list[str], status: dict[str, str]) -> Chart | None:
    """Capacity built over the horizon in each country (t/yr), one bar per plan."""
    built = _rows(table_, "built")
    if built.empty:
        return None
    grid = built.pivot_table(index="scenario", columns="key", values="value", aggfunc="sum").reindex(cases)
    grid = grid.fillna(0.0).where(pd.Series([status[c] == "optimal" for c in cases], index=grid.index), np.nan, axis=0)
    grid = grid[grid.sum().sort_values(ascending=False, kind="stable").index]
    totals = grid.sum(axis=1, min_count=1)
    base = float(totals.iloc[0]) if np.isfinite(totals.iloc[0]) else 0.0
    ok = totals.dropna()
    most, least = ok.idxmax(), ok.idxmin()
    caption = (
        f"The base plan builds {fmt.num(base)} t/yr of capacity; {most} builds the most "
        f"({fmt.num(float(ok[most]))} t/yr), {least} the least ({fmt.num(float(ok[least]))} t/yr)."
    )
    labels = [c if status[c] == "optimal" else f"{c} ({status[c]})" for c in cases]
    fig, png = stacked(
        grid,
        labels,
        False,
        {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(grid.columns)},
        {c: fmt.country(c) for c in grid.columns},
        "t/yr",
        totals.to_numpy(float),
        "capacity built over the horizon, t/yr",
    )
    return Chart("built_by_country", "Capacity built by country, per plan (t/yr)", caption, fig, png=png)


def price_paths(table_: pd.DataFrame, cases: list[str], status: dict[str, str]) -> Chart | None:
    """A panel per product: its price each year in each plan, averaged over the markets
    weighted by the quantity each takes (USD/kg, each year's money)."""
    price, quantity = _rows(table_, "market_price"), _rows(table_, "market_quantity")
    if price.empty:
        return None
    frame = price.merge(quantity[["scenario", "key", "value"]], on=["scenario", "key"], suffixes=("", "_t"))
    parts = frame["key"].map(split_year)
    frame = frame.assign(
        product=[k.split("/", 1)[1] for k, _ in parts],
        year=[y for _, y in parts],
        weight=frame["value_t"].clip(lower=0),
    )
    frame = frame.loc[frame["year"].notna()]
    frame["paid"] = frame["value"] * frame["weight"]
    grouped = frame.groupby(["product", "scenario", "year"])[["paid", "weight"]].sum()
    mean = (grouped["paid"] / grouped["weight"].replace(0, np.nan)).rename("price")
    years = sorted(int(y) for y in frame["year"].unique())
    products = list(dict.fromkeys(frame["product"]))
    panels = []
    for product in products:
        lines = []
        for i, case in enumerate(cases):
            if status[case] != "optimal":
                continue
            values = np.asarray([mean.get((product, case, y), np.nan) for y in years], dtype=float)
            text = [f"{product}, {case}, {y}: {fmt.num(v / 1000.0, 1)} USD/kg" for y, v in zip(years, values)]
            lines.append(Line(case, values / 1000.0, PALETTE[i % len(PALETTE)], text))
        panels.append(YearPanel(product, lines, "USD/kg"))
    base = mean.xs(cases[0], level="scenario") if cases[0] in mean.index.get_level_values("scenario") else None
    caption = "Each product's price averaged over its markets (weighted by what each takes), per plan"
    if base is not None and "NdPr" in products:
        last = years[-1]
        spread = [float(mean.get(("NdPr", c, last), np.nan)) for c in cases if status[c] == "optimal"]
        spread = [v for v in spread if np.isfinite(v)]
        if spread:
            caption += (
                f"; NdPr in {last}: {fmt.num(min(spread) / 1000.0, 1)}–{fmt.num(max(spread) / 1000.0, 1)} USD/kg "
                "across the plans"
            )
    return year_panels("price_paths", "Price paths per plan (USD/kg, each year's money)", caption + ".", years, panels)


def plan_comparison_charts(table_: pd.DataFrame, cases: list[str], status: dict[str, str]) -> list[Chart]:
    """The charts of a batch of plans (none when the base plan failed)."""
    if status.get(cases[0]) != "optimal":
        return []
    found = [built_chart(table_, cases, status), price_paths(table_, cases, status)]
    return [c for c in found if c is not None]


def plan_comparison_page(
    name: str,
    summary: dict[str, Any],
    table_: pd.DataFrame,
    cases: list[str],
    charts: list[Chart],
    pngs: dict[str, str],
    failures: dict[str, list[str]],
) -> str:
    """The batch's page: a row per plan, each failed plan's explanation, the charts."""
    objective = _rows(table_, "objective").set_index("scenario")
    built = _rows(table_, "built")
    described, statuses = case_texts(summary)
    rows = []
    for case in cases:
        row = objective.loc[case] if case in objective.index else None
        mine = built.loc[(built["scenario"] == case) & (built["value"] > 0.5)]
        rows.append(
            (
                case_link(case),
                statuses.get(case, ""),
                described.get(case) or ("the base plan" if case == cases[0] else ""),
                fmt.num(float(row["value"])) if row is not None else "—",
                "—" if row is None or row["delta"] != row["delta"] else f"{float(row['delta']):+,.0f}",
                ", ".join(f"{fmt.country(k)} {fmt.num(v)}" for k, v in zip(mine["key"], mine["value"])) or "none",
            )
        )
    head = ("plan", "status", "what it asks", "objective, USD (present value)", "vs base, USD", "built, t/yr")
    body = ["<section id=cases><h2>Plans</h2>" + table(rows, head, {3, 4}) + "</section>"]
    for case, lines in failures.items():
        items = code_items(lines) or "<li>no explanation recorded</li>"
        body.append(
            f"<section class=failed id=failed-{escape(case)}><h2>{escape(case)}: no solution</h2>"
            f"<ul>{items}</ul></section>"
        )
    body += [chart_section(c, pngs.get(c.name)) for c in charts]
    failed = len(failures)
    lead = f"{len(cases) - 1} scenario plan(s) against the base plan" + (
        f"; {failed} could not be solved." if failed else "; all solved."
    )
    return page(
        f"oreflow plans: {name}", lead, body, charts=bool(charts), nav=[("#cases", "plans"), *chart_links(charts)]
    )
