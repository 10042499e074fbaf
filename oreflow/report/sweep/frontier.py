"""The cost-of-diversification frontier ("price of de-risking"): a one-parameter sweep of a
share limit (table ``share_limits``), from the loosest limit to the tightest.

Total cost, the delivered marginal cost of the limited product in each market and the
share limit's shadow price, each against the limit. Where demand goes unmet the costs
are the unmet-demand penalty: the charts fit their axes to the points that meet demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from oreflow.model.families import DEMAND, SHARE_LIMIT
from oreflow.report.common import fmt
from oreflow.report.common.chart import Chart
from oreflow.report.sweep.lines import COST, by_parameter, cost_line, failed_note, price_lines
from oreflow.report.sweep.points import TINY, PointsData, value_text


@dataclass
class Frontier:
    """The solved points in tightening order; ``stop``: how many meet demand before the first that does not."""

    param: dict[str, Any]
    ok: pd.DataFrame
    stop: int
    lower_is_tighter: bool

    def at(self, row: pd.Series) -> str:
        """The limit at a point, for a sentence (``40 %``)."""
        return value_text(self.param, row[f"param.{self.param['name']}"])

    @property
    def loose(self) -> pd.Series:
        """The loosest limit solved."""
        return self.ok.iloc[0]

    @property
    def tight(self) -> pd.Series:
        """The tightest limit that still meets demand."""
        return self.ok.iloc[max(self.stop - 1, 0)]

    @property
    def beyond(self) -> str:
        """Where demand goes unmet: ``below 20 %``."""
        return f"{'below' if self.lower_is_tighter else 'above'} {self.at(self.tight)}"


def frontier(sweep: PointsData) -> Frontier:
    """The solved points of a share-limit sweep in tightening order, and where demand first goes unmet."""
    frame, param, _ = by_parameter(sweep)
    ok = frame.loc[frame["status"] == "optimal"]
    lower_is_tighter = "min" not in str(param.get("column", ""))  # a max share tightens downwards
    if lower_is_tighter:
        ok = ok.iloc[::-1]
    unmet = (ok["unmet_t"] > TINY).to_numpy()
    return Frontier(param, ok, int(unmet.argmax()) if unmet.any() else len(ok), lower_is_tighter)


def _limit_words(param: dict[str, Any]) -> str:
    where = param.get("where") or {}
    what = f"the share of {where.get('product', 'the product')}"
    if where.get("market"):
        what += f" for {fmt.country(where['market'])}"
    return what + (f" refined in {fmt.country(where['country'])}" if where.get("country") else "")


def frontier_caption(sweep: PointsData, f: Frontier) -> str:
    """What de-risking costs: from the loosest limit to the tightest that still meets demand."""
    loose, tight = f.loose, f.tight
    if f.stop == 0:
        return (
            f"Even at {f.at(loose)} ({_limit_words(f.param)}) {fmt.tonnes(loose['unmet_t'])} of demand goes "
            f"unmet; total cost {fmt.usd(loose[COST])} per year" + failed_note(sweep) + "."
        )
    delta = float(tight[COST] - loose[COST])
    effect = (
        f"raises total cost by {fmt.usd(delta)} per year"
        if delta > 0
        else "leaves total cost unchanged"
        if delta == 0
        else f"lowers total cost by {fmt.usd(-delta)} per year"
    )
    text = (
        f"{'Cutting' if f.lower_is_tighter else 'Raising'} {_limit_words(f.param)} from {f.at(loose)} to "
        f"{f.at(tight)} {effect} ({fmt.usd(loose[COST])} to {fmt.usd(tight[COST])})"
    )
    if f.stop < len(f.ok):
        first = f.ok.iloc[f.stop]
        text += f"; {f.beyond} demand goes unmet ({fmt.tonnes(first['unmet_t'])} at {f.at(first)})"
    return text + failed_note(sweep) + "."


def delivered_caption(sweep: PointsData, f: Frontier, columns: list[str]) -> str:
    """How far the delivered marginal cost rises down to the tightest limit that meets demand."""
    if f.stop < 2 or not columns:
        return ""
    loose, tight = f.loose[columns].astype(float), f.tight[columns].astype(float)
    top = (tight - loose).abs().idxmax()
    market, _, product = sweep.meta(top)["key"].partition("/")
    text = (
        f"Down to {f.at(f.tight)}, the delivered marginal cost of {product} in {fmt.country(market)} goes from "
        f"{fmt.num(loose[top])} to {fmt.num(tight[top])} {sweep.unit(top)}"
    )
    if f.stop < len(f.ok):
        text += (
            f"; {f.beyond}, where demand goes unmet, it is the unmet-demand penalty "
            f"(up to {fmt.num(f.ok[columns].max().max())})"
        )
    return text + "."


def share_price_caption(sweep: PointsData, f: Frontier, columns: list[str]) -> str:
    """What one more point of de-risking costs at the tightest limit that meets demand."""
    if f.stop == 0 or not columns:
        return ""
    prices = f.tight[columns].astype(float)
    top = prices.abs().idxmax()
    if prices[top] == 0:
        return f"No share limit binds down to {f.at(f.tight)}: its shadow price is 0 there."
    return (
        f"At {f.at(f.tight)}, the tightest limit that meets demand, one more percentage point of de-risking "
        f"({sweep.meta(top)['key']}) costs {fmt.usd(abs(prices[top]))} per year "
        f"(shadow price {fmt.num(prices[top])} {sweep.unit(top)})."
    )


def frontier_charts(sweep: PointsData) -> list[Chart]:
    """Total cost, delivered marginal costs and the share limit's price against the limit; axes fit the
    points that meet demand."""
    f = frontier(sweep)
    frame, param = sweep.by_first, f.param
    served = ((frame["status"] == "optimal") & (frame["unmet_t"] <= TINY)).to_numpy()
    view = {"focus": served, "note": f"{f.beyond} demand goes unmet: off scale"} if f.stop < len(f.ok) else {}
    product = (param.get("where") or {}).get("product")
    demand = [c for c in sweep.family_columns(DEMAND) if sweep.meta(c)["key"].split("/")[-1] == product]
    demand = demand or sweep.family_columns(DEMAND)
    limits = sweep.family_columns(SHARE_LIMIT)
    charts = [
        cost_line(
            sweep,
            "frontier",
            "Cost of diversification: total cost against the share limit (USD per year)",
            frontier_caption(sweep, f),
            **view,
        ),
        price_lines(
            sweep,
            "frontier_delivered",
            f"Delivered marginal cost of {product or 'each product'} in each market (USD/t)",
            demand,
            "delivered marginal costs",
            delivered_caption(sweep, f, demand),
            **view,
        ),
        price_lines(
            sweep,
            "frontier_share_price",
            "Shadow price of the share limit (USD per percentage point)",
            limits,
            "share-limit prices",
            share_price_caption(sweep, f, limits),
            **view,
        ),
    ]
    return [c for c in charts if c is not None]
