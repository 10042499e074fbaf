"""Charts of a one-parameter sweep against the parameter: total cost, ore refined by
refining country and the shadow prices that vary (top 8 by range, per family)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from oreflow.report.common import fmt
from oreflow.report.common.chart import Chart
from oreflow.report.sweep.figures import Series, line_chart
from oreflow.report.sweep.points import TINY, PointsData, value_text, varying

COST = "objective_usd"
#: The prefix of the quantities delivered to demand rows with a curve.
QUANTITY = "quantity_t."


def by_parameter(sweep: PointsData) -> tuple[pd.DataFrame, dict[str, Any], np.ndarray]:
    """(every point sorted by the first parameter, that parameter, its values)."""
    param, frame = sweep.parameters[0], sweep.by_first
    return frame, param, frame[f"param.{param['name']}"].to_numpy(float)


def failed_note(sweep: PointsData, then: str = "") -> str:
    """``; 2 of 200 points could not be solved`` (and ``then``); empty when every point was."""
    failed = len(sweep.failed)
    return f"; {failed:,} of {len(sweep.points):,} points could not be solved{then}" if failed else ""


def _unmet_text(frame: pd.DataFrame) -> list[str]:
    return [
        "not solved" if not np.isfinite(u) else (f"{fmt.tonnes(u)} of demand unmet" if u > TINY else "all demand met")
        for u in frame["unmet_t"]
    ]


def cost_line(sweep: PointsData, name: str = "cost", title: str = "", caption: str = "", **view: Any) -> Chart:
    """Total cost against the parameter; points with demand unmet in red. ``view``: focus, note."""
    frame, param, x = by_parameter(sweep)
    ok = frame.loc[frame["status"] == "optimal"]
    what = sweep.objective_name  # total cost, or total cost - willingness to pay (demand curves)
    if not caption:
        p = f"param.{param['name']}"
        first, last, low = ok.iloc[0], ok.iloc[-1], ok.loc[ok[COST].idxmin()]
        caption = (
            f"{what[:1].upper() + what[1:]} goes from {fmt.usd(first[COST])} at {value_text(param, first[p])} to "
            f"{fmt.usd(last[COST])} per year at {value_text(param, last[p])} (lowest {fmt.usd(low[COST])} "
            f"at {value_text(param, low[p])})" + failed_note(sweep) + "."
        )
    series = [
        Series(what, frame[COST].to_numpy(float), "#2e86c1", _unmet_text(frame), (frame["unmet_t"] > TINY).tolist())
    ]
    return line_chart(
        name,
        title or f"{what[:1].upper() + what[1:]} against {param['name']} (USD per year)",
        caption,
        x,
        param,
        series,
        what + ", {unit}",
        "USD per year",
        money=True,
        **view,
    )


def feed_area(sweep: PointsData) -> Chart | None:
    """Ore refined in each refining country (stacked, solved points only)."""
    columns = sweep.columns("feed_t.")
    frame, param, _ = by_parameter(sweep)
    ok = frame.loc[frame["status"] == "optimal"]
    if not columns or ok.empty:
        return None
    columns = sorted(columns, key=lambda c: -ok[c].fillna(0).sum())
    x = ok[f"param.{param['name']}"].to_numpy(float)
    big = (ok[columns].iloc[-1] - ok[columns].iloc[0]).abs().idxmax()
    share = ok[big] / ok[columns].sum(axis=1)
    caption = (
        f"From {value_text(param, x[0])} to {value_text(param, x[-1])}, the ore refined in "
        f"{fmt.country(big.removeprefix('feed_t.'))} goes from {fmt.tonnes(ok[big].iloc[0])} "
        f"({fmt.pct(share.iloc[0])}) to {fmt.tonnes(ok[big].iloc[-1])} REO per year ({fmt.pct(share.iloc[-1])})"
        + failed_note(sweep)
        + "."
    )
    series = [Series(fmt.country(c.removeprefix("feed_t.")), ok[c].fillna(0.0).to_numpy(float)) for c in columns]
    return line_chart(
        "feed",
        f"Ore refined by refining country against {param['name']} (t REO per year)",
        caption,
        x,
        param,
        series,
        "ore refined, t REO per year",
        "t REO per year",
        stacked=True,
    )


def price_lines(
    sweep: PointsData, name: str, title: str, columns: list[str], what: str, caption: str = "", **view: Any
) -> Chart | None:
    """The prices among ``columns`` that vary (top 8 by range) against the parameter. ``view``: focus, note."""
    frame, param, x = by_parameter(sweep)
    ok = frame.loc[frame["status"] == "optimal"]
    moving = varying(ok, columns)
    if not moving:
        return None
    units = list(dict.fromkeys(sweep.unit(c) for c in moving))
    if not caption:
        top = moving[0]
        at = ok[[f"param.{param['name']}", top]].dropna()
        count = len(varying(ok, columns, None))
        caption = (
            sweep.meta(top)["key"]
            + (f", the widest-moving of {count} {what} that vary," if count > 1 else "")
            + f" goes from {fmt.num(at[top].iloc[0])} {units[0]} at {value_text(param, at.iloc[0, 0])} to "
            f"{fmt.num(at[top].iloc[-1])} at {value_text(param, at.iloc[-1, 0])} "
            f"(range {fmt.num(at[top].max() - at[top].min())})."
        )
    series = [Series(sweep.meta(c)["key"], frame[c].to_numpy(float)) for c in moving]
    unit = ", ".join(units)
    return line_chart(name, title, caption, x, param, series, f"shadow price, {unit}", unit, **view)


def family_charts(sweep: PointsData, skip: tuple[str, ...] = ()) -> list[Chart]:
    """One chart of the prices that vary per recorded price family (but those in ``skip``)."""
    param = sweep.parameters[0]["name"]
    found = []
    for family in sweep.families():
        if family in skip:
            continue
        title = fmt.family_title(family)
        found.append(
            price_lines(
                sweep,
                f"prices_{family}",
                f"Shadow prices of {title} against {param}",
                sweep.family_columns(family),
                f"{title} prices",
            )
        )
    return [c for c in found if c is not None]


def quantity_lines(sweep: PointsData) -> Chart | None:
    """The quantities delivered to demand with a curve (``quantity_t.*``) that vary, against
    the parameter (their prices are in the demand prices' chart); None without curves."""
    columns = sweep.columns(QUANTITY)
    frame, param, x = by_parameter(sweep)
    ok = frame.loc[frame["status"] == "optimal"]
    moving = varying(ok, columns)
    if not moving:
        return None
    top = moving[0]
    at = ok[[f"param.{param['name']}", top]].dropna()
    count = len(varying(ok, columns, None))
    caption = (
        f"The quantity of {top.removeprefix(QUANTITY)}"
        + (f", the widest-moving of {count} that vary," if count > 1 else "")
        + f" goes from {fmt.tonnes(at[top].iloc[0])} at {value_text(param, at.iloc[0, 0])} to "
        f"{fmt.tonnes(at[top].iloc[-1])} at {value_text(param, at.iloc[-1, 0])}" + failed_note(sweep) + "."
    )
    series = [Series(c.removeprefix(QUANTITY), frame[c].to_numpy(float)) for c in moving]
    return line_chart(
        "quantities",
        f"Quantities of demand with a curve against {param['name']} (t per year)",
        caption,
        x,
        param,
        series,
        "quantity delivered, t per year",
        "t per year",
        digits=1,
    )
