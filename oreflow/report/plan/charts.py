"""The charts of a plan, each with a one-line caption stating its finding in numbers: capacity
and its use by country, the builds, the price paths, the stockpiles and the costs by year; and
the binding build limits (a table, :func:`binding_limits`).

Tonnes of capacity, throughput, fills and draws are per year (t/yr); a stockpile's level is
tonnes at the end of a period; prices are in USD/kg of each year's money; costs are in USD per
year of a period and in present value at the horizon's base year.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from oreflow.prices import kg_text, tonnes_amount
from oreflow.report.common import fmt
from oreflow.report.common.chart import PALETTE, Chart
from oreflow.report.common.data import TINY
from oreflow.report.plan.data import PlanData, capacity_by_country
from oreflow.report.plan.figures import Line, YearPanel, year_bars, year_panels

CAPACITY_COLOUR, USE_COLOUR = "#5d6d7e", "#2e86c1"
LEVEL_COLOUR, FILL_COLOUR, DRAW_COLOUR = "#1e8449", "#85c1e9", "#e59866"
PER_YEAR_COLOUR, PV_COLOUR = "#2e86c1", "#d68910"
#: Kinds of horizon_prices.csv rows that limit building (priced per t/yr of capacity).
BUILD_ROWS = ("build_limit", "build_size")


def tpy(value: float) -> str:
    """Tonnes per year: ``60 t/yr``, ``2.45 t/yr``, ``53,420 t/yr``; ``no limit``, ``—`` (NaN)."""
    if not math.isfinite(value):
        return "—" if math.isnan(value) else "no limit"
    return f"{tonnes_amount(value)}/yr"


def _signed_tpy(value: float) -> str:
    return ("+" if value > 0 else "−") + tpy(abs(value))


def _over(first: int, last: int) -> str:
    """``from 2024 to 2030``; ``in 2024`` for a horizon of one year."""
    return f"in {first}" if first == last else f"from {first} to {last}"


def _change(new: float, old: float) -> str:
    """``+33.3 %`` from ``old`` to ``new`` (empty when ``old`` is zero or either is not finite)."""
    if not (math.isfinite(new) and math.isfinite(old)) or old == 0:
        return ""
    return f"{(new / old - 1) * 100:+,.1f} %".replace("-", "−")


# --- (a) capacity and its use by country ------------------------------------------------


def capacity_caption(cap: pd.DataFrame, use: pd.DataFrame, unlimited: pd.Series, years: list[int]) -> str:
    """Total capacity from the first year to the last (and where it moved most), then where use
    rises and falls most from the first year to the last (else the largest move in between)."""
    y0, yn = years[0], years[-1]
    limited = cap.loc[unlimited == 0]
    total0, totaln = float(limited[y0].sum()), float(limited[yn].sum())
    if abs(totaln - total0) > TINY:
        moved = (limited[yn] - limited[y0]).dropna()
        top = moved.abs().idxmax()
        where = (
            f"all in {fmt.country(top)}"
            if int((moved.abs() > TINY).sum()) == 1
            else f"most in {fmt.country(top)}: {_signed_tpy(float(moved[top]))}"
        )
        text = (
            f"Separation capacity {'grows' if totaln > total0 else 'falls'} from {tpy(total0)} in {y0} to "
            f"{tpy(totaln)} in {yn}, {where}"
        )
    else:
        text = f"Separation capacity {'is' if y0 == yn else 'stays at'} {tpy(total0)} {_over(y0, yn)}"
    free = [fmt.country(c) for c in unlimited.index[unlimited > 0]]
    if free:
        text += (
            f"; {' and '.join(free)} {'has' if len(free) == 1 else 'have'} no capacity limit"
            if len(free) <= 2
            else f"; {len(free)} countries have no capacity limit"
        )

    def at(country: str, year: int, when: bool = True) -> str:
        now, capacity = float(use.loc[country, year]), float(cap.loc[country, year])
        share = f", {fmt.pct(now / capacity)} of its capacity" if math.isfinite(capacity) and capacity > 0 else ""
        return f"{tpy(now)}{f' in {year}' if when else ''}{share}"

    delta = use[yn] - use[y0]
    dev = use.sub(use[y0], axis=0).abs()
    if float(delta.abs().max()) > TINY:
        used0, usedn = float(use[y0].sum()), float(use[yn].sum())
        if abs(usedn - used0) > TINY:
            text += f"; use {'rises' if usedn > used0 else 'falls'} from {tpy(used0)} in {y0} to {tpy(usedn)} in {yn}"
        else:
            text += f"; use stays at {tpy(used0)} in total"
        movers = [(delta.idxmax(), "rises")] if float(delta.max()) > TINY else []
        movers += [(delta.idxmin(), "falls")] if float(delta.min()) < -TINY else []
        text += ": " + ", ".join(
            f"{fmt.country(c)} {verb} most ({tpy(float(use.loc[c, y0]))} to {at(c, yn, False)})" for c, verb in movers
        )
    elif float(dev.max().max()) > TINY:
        country = dev.max(axis=1).idxmax()
        year = dev.loc[country].idxmax()
        first = tpy(float(use.loc[country, y0]))
        text += f"; use moves most in {fmt.country(country)}: {first} in {y0}, {at(country, year)}"
    else:
        text += f"; use {'is' if y0 == yn else 'stays at'} {tpy(float(use[y0].sum()))} {_over(y0, yn)}"
    return text + "."


def capacity_chart(plan: PlanData) -> Chart | None:
    """A panel per refining country: its separation capacity (dashed and shaded; built capacity
    included) and its throughput over the years, t/yr (None: no refinery table)."""
    frame = capacity_by_country(plan)
    years = plan.years
    if frame.empty or not years:
        return None
    cap = frame.pivot(index="country", columns="year", values="capacity_t").reindex(columns=years)
    use = frame.pivot(index="country", columns="year", values="throughput_t").reindex(columns=years).fillna(0.0)
    unlimited = frame.groupby("country", sort=False)["unlimited"].max().reindex(cap.index)
    rank = pd.DataFrame({"use": use.max(axis=1), "cap": cap.max(axis=1).fillna(np.inf)})
    order = rank.sort_values(["use", "cap"], ascending=False, kind="stable").index
    panels = []
    for country in order:
        c, u = cap.loc[country].to_numpy(float), use.loc[country].to_numpy(float)
        name = fmt.country(country)
        lines = []
        if np.isfinite(c).any():
            lines.append(
                Line(
                    "separation capacity",
                    c,
                    CAPACITY_COLOUR,
                    [f"{name}, {y}: capacity {tpy(v)}" for y, v in zip(years, c)],
                    dash=True,
                    fill=True,
                )
            )
        lines.append(
            Line(
                "use (throughput)",
                u,
                USE_COLOUR,
                [
                    f"{name}, {y}: use {tpy(v)}" + (f" ({fmt.pct(v / k)} of capacity)" if np.isfinite(k) and k else "")
                    for y, v, k in zip(years, u, c)
                ],
            )
        )
        title = name + (" (no capacity limit)" if unlimited[country] else "")
        panels.append(YearPanel(title, lines, "t/yr"))
    return year_panels(
        "separation",
        "Separation capacity and its use by refining country (t/yr)",
        capacity_caption(cap, use, unlimited, years),
        years,
        panels,
    )


# --- (b) builds ----------------------------------------------------------------------------


def builds_caption(builds: pd.DataFrame) -> str:
    """What is built, where and when, and its charges in present value."""
    charges = fmt.usd(float(builds["charges_pv_usd"].sum()))
    if len(builds) == 1:
        b = builds.iloc[0]
        return (
            f"{b['build']} adds {tpy(float(b['capacity_t']))} of {b['stage']} capacity at {b['site']} "
            f"in {fmt.country(b['country'])}: started {int(b['start_year'])}, online {int(b['online_year'])}; "
            f"charges {charges} in present value."
        )
    big = builds.loc[builds["capacity_t"].idxmax()]
    sites = builds["site"].nunique()
    first, last = int(builds["online_year"].min()), int(builds["online_year"].max())
    online = f"online {first}" if first == last else f"online {first}–{last}"
    return (
        f"{len(builds)} builds add {tpy(float(builds['capacity_t'].sum()))} of capacity at {sites} "
        f"site{'s' if sites > 1 else ''}, {online}; the largest: {big['build']} at {big['site']} "
        f"in {fmt.country(big['country'])}, {tpy(float(big['capacity_t']))} online {int(big['online_year'])}; "
        f"charges {charges} in present value."
    )


def builds_chart(plan: PlanData) -> Chart | None:
    """New capacity by the year it comes online, a colour per site, t/yr (None: nothing built)."""
    builds = plan.table("builds")
    if builds.empty:
        return None
    years = sorted({*plan.years, *(int(y) for y in builds["online_year"])})
    lines = []
    for i, (site, rows) in enumerate(builds.groupby("site", sort=False)):
        values = np.full(len(years), np.nan)
        text = [""] * len(years)
        for year, part in rows.groupby("online_year"):
            at = years.index(int(year))
            values[at] = float(part["capacity_t"].sum())
            what = "; ".join(
                f"{b['build']} ({b['stage']}) {tpy(float(b['capacity_t']))}, started {int(b['start_year'])}, "
                f"charges {fmt.usd(float(b['charges_pv_usd']))} (present value)"
                for b in part.to_dict(orient="records")
            )
            text[at] = f"{site} ({fmt.country(part['country'].iloc[0])}), online {int(year)}: {what}"
        lines.append(Line(str(site), values, PALETTE[i % len(PALETTE)], text, bar=True))
    return year_bars(
        "builds",
        "Builds: new capacity by the year it comes online (t/yr)",
        builds_caption(builds),
        years,
        lines,
        "new capacity, t/yr",
        stacked=True,
    )


# --- (c) price paths -------------------------------------------------------------------


def price_caption(grid: pd.DataFrame, years: list[int]) -> str:
    """The price that moves most from its first year's, with the year of its largest move."""
    y0, yn = years[0], years[-1]
    first = grid[y0]
    dev = grid.div(first.where(first != 0), axis=0) - 1
    score = dev.abs().max(axis=1).fillna(0.0)
    if float(score.max()) <= 1e-9:
        if len(grid) == 1:
            (market, product), price = grid.index[0], float(first.iloc[0])
            stays = "is" if y0 == yn else "stays at"
            return f"The price of {product} in {market} {stays} {kg_text(price)} {_over(y0, yn)}."
        return (
            f"{'The' if y0 == yn else f'No price moves from {y0} to {yn}:'} {len(grid)} product–market prices "
            "range from "
            f"{kg_text(float(first.min()))} to {kg_text(float(first.max()))}."
        )
    market, product = score.idxmax()
    year = dev.loc[(market, product)].abs().idxmax()
    p0, py, pn = (float(grid.loc[(market, product), y]) for y in (y0, year, yn))
    text = (
        f"{product} in {market} {'rises' if py > p0 else 'falls'} from {kg_text(p0)} in {y0} to "
        f"{kg_text(py)} in {year} ({_change(py, p0)})"
    )
    if year != yn:
        text += f" and is {kg_text(pn)} in {yn}"
    if len(grid) > 1:
        text += f"; {int((score > 1e-9).sum())} of {len(grid)} prices move"
    return text + "."


def prices_chart(plan: PlanData) -> Chart | None:
    """A panel per product, a line per market: the delivered price each year, USD/kg, each
    panel on its own axis (None: no market table)."""
    market = plan.table("market")
    years = plan.years
    if market.empty or not years:
        return None
    market = market.assign(market=market["market"].astype(str), product=market["product"].astype(str))
    grid = market.pivot_table(index=["market", "product"], columns="year", values="price_usd_per_t", sort=False)
    grid = grid.reindex(columns=years)
    notes = {}
    if "note" in market:
        notes = {
            (m, p, int(y)): str(n)
            for m, p, y, n in zip(market["market"], market["product"], market["year"], market["note"])
            if isinstance(n, str) and n
        }
    markets = list(dict.fromkeys(market["market"]))
    colours = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(markets)}
    products = list(dict.fromkeys(market["product"]))
    dear = {p: float(np.nanmean(grid.xs(p, level="product").to_numpy(float))) for p in products}
    panels = []
    for product in sorted(products, key=lambda p: -dear[p] if math.isfinite(dear[p]) else math.inf):
        lines = []
        for m in markets:
            if (m, product) not in grid.index:
                continue
            values = grid.loc[(m, product)].to_numpy(float)
            text = [
                f"{product} in {m}, {y}: {kg_text(v)}"
                + (f" ({notes[(m, product, y)]})" if (m, product, y) in notes else "")
                for y, v in zip(years, values)
            ]
            lines.append(Line(m, values / 1000.0, colours[m], text))
        panels.append(YearPanel(product, lines, "USD/kg"))
    return year_panels(
        "prices",
        "Price paths: delivered price of each product in each market (USD/kg, each year's money)",
        price_caption(grid, years),
        years,
        panels,
    )


# --- (d) stockpiles --------------------------------------------------------------------


def stock_caption(inventory: pd.DataFrame, span: str) -> str:
    """The stockpile that holds the most, when it holds it, and when it is filled and drawn."""
    count = inventory["stockpile"].nunique()
    if float(inventory["level_t"].max()) <= TINY:
        who = "the stockpile stays" if count == 1 else f"all {count} stockpiles stay"
        return f"No stock is held: {who} empty over {span}."
    peak = inventory.loc[inventory["level_t"].idxmax()]
    mine = inventory.loc[inventory["stockpile"] == peak["stockpile"]]
    text = (
        f"{peak['stockpile']} ({peak['product']} in {peak['market']}) holds the most: "
        f"{tonnes_amount(float(peak['level_t']))} at the end of {int(peak['year'])}"
    )
    for column, verb in (("fill_t", "filled"), ("draw_t", "drawn")):
        moved = mine.loc[mine[column] > TINY]
        if len(moved):
            text += f"; {verb} " + ", ".join(
                f"{tpy(float(v))} in {int(y)}" for y, v in zip(moved["year"], moved[column])
            )
    held = int((inventory.groupby("stockpile")["level_t"].max() > TINY).sum())
    if count > 1:
        text += f"; {held} of {count} stockpiles hold stock"
    return text + "."


def stock_chart(plan: PlanData) -> Chart | None:
    """A panel per stockpile: its level at the end of each period (t), its fill and draw
    (t/yr, the draw below zero) (None: no stockpile)."""
    inventory = plan.table("inventory")
    years = plan.years
    if inventory.empty or not years:
        return None
    panels = []
    for stockpile, rows in inventory.groupby("stockpile", sort=False):
        rows = rows.set_index("year").reindex(years)
        level, fill, draw = (rows[c].to_numpy(float) for c in ("level_t", "fill_t", "draw_t"))
        where = f"{rows['product'].dropna().iloc[0]} in {rows['market'].dropna().iloc[0]}"
        lines = [
            Line(
                "fill", fill, FILL_COLOUR, [f"{stockpile}, {y}: filled {tpy(v)}" for y, v in zip(years, fill)], bar=True
            ),
            Line(
                "draw", -draw, DRAW_COLOUR, [f"{stockpile}, {y}: drawn {tpy(v)}" for y, v in zip(years, draw)], bar=True
            ),
            Line(
                "level",
                level,
                LEVEL_COLOUR,
                [f"{stockpile}, end of {y}: {tonnes_amount(v)} held" for y, v in zip(years, level)],
            ),
        ]
        panels.append(YearPanel(f"{stockpile}: {where}", lines, "t; t/yr"))
    return year_panels(
        "stockpiles",
        "Stockpiles: level at the end of each period (t), fill and draw (t/yr)",
        stock_caption(inventory, plan.span),
        years,
        panels,
    )


# --- (e) costs ---------------------------------------------------------------------------


def horizon_costs(plan: PlanData) -> dict[str, float]:
    """The objective in present value and its parts: the years', the builds' charges and the
    rest (the stockpiles' holding costs)."""
    costs, builds = plan.table("costs_by_year"), plan.table("builds")
    years = float(costs["present_value_usd"].sum()) if len(costs) else 0.0
    charges = float(builds["charges_pv_usd"].sum()) if len(builds) else 0.0
    objective = plan.summary.get("objective_pv_usd")
    total = float(objective) if isinstance(objective, (int, float)) else years + charges
    return {"objective": total, "years": years, "charges": charges, "rest": total - years - charges}


def costs_caption(plan: PlanData) -> str:
    """The objective in present value and its parts, then the cost per year from the first to the last."""
    parts = horizon_costs(plan)
    costs = plan.table("costs_by_year")
    what = "objective (cost less willingness to pay)" if plan.curves else "cost"
    base = plan.horizon.get("base_year") or (plan.years[0] if plan.years else "")
    text = (
        f"The plan's {what} is {fmt.usd(parts['objective'])} in present value at {base}: "
        f"{fmt.usd(parts['years'])} over the years"
    )
    if abs(parts["charges"]) > TINY:
        text += f", {fmt.usd(parts['charges'])} of build charges"
    if abs(parts["rest"]) > max(0.5, 1e-9 * abs(parts["objective"])):
        text += f", {fmt.usd(parts['rest'])} of stock holding"
    if len(costs) > 1:
        first, last = costs.iloc[0], costs.iloc[-1]
        c0, cn = float(first["objective_usd_per_year"]), float(last["objective_usd_per_year"])
        y0, yn = int(first["year"]), int(last["year"])
        a_year = "a year's objective" if plan.curves else "a year costs"
        if abs(cn - c0) <= max(0.5, 1e-9 * abs(c0)):
            text += f"; {a_year} {'is ' if plan.curves else ''}{fmt.usd(c0)} in every period"
        else:
            change = _change(cn, c0) if c0 > 0 else ""
            text += f"; {a_year} {'is ' if plan.curves else ''}{fmt.usd(c0)} in {y0} and {fmt.usd(cn)} in {yn}" + (
                f" ({change})" if change else ""
            )
    return text + "."


def costs_chart(plan: PlanData) -> Chart | None:
    """Each period's cost per year and its present value (bars side by side), USD."""
    costs = plan.table("costs_by_year")
    if costs.empty:
        return None
    years = [int(y) for y in costs["year"]]
    per_year, pv = costs["objective_usd_per_year"].to_numpy(float), costs["present_value_usd"].to_numpy(float)
    scale, unit = fmt.money_scale(np.concatenate([per_year, pv]))
    weights = costs["weight"].to_numpy(float)
    periods = costs["period_years"].to_numpy(int)
    lines = [
        Line(
            "per year of the period",
            per_year / scale,
            PER_YEAR_COLOUR,
            [f"{y}: {fmt.usd(v)} per year" for y, v in zip(years, per_year)],
            bar=True,
        ),
        Line(
            "present value of the period",
            pv / scale,
            PV_COLOUR,
            [
                f"{y}: {fmt.usd(v)} in present value ({n} year{'s' if n > 1 else ''}, {w:.3f} discounted years)"
                for y, v, n, w in zip(years, pv, periods, weights)
            ],
            bar=True,
        ),
    ]
    what = "objective" if plan.curves else "cost"
    return year_bars(
        "costs",
        f"The {what} of each period: per year and in present value ({unit})",
        costs_caption(plan),
        years,
        lines,
        unit,
        stacked=False,
    )


# --- (f) binding build limits ----------------------------------------------------------------


def binding_limits(plan: PlanData) -> pd.DataFrame:
    """The limits on building with a price (build limits and builds' largest sizes): label, year,
    years in the period, t/yr allowed and started in the period, the row's price (one more t/yr
    allowed in the period, that year's money) and what one more t/yr of building capability
    saves, in that year's money and in present value, most valuable first.

    A build limit of a period of n years allows n times its yearly t/yr (build_limits.csv's
    ``limit_t_per_year``) to be started in it, so one more t/yr of the yearly limit is worth n
    times its row's price; a build's largest size is its own (n = 1).
    """
    columns = [
        "kind",
        "label",
        "year",
        "period_years",
        "allowed_t",
        "started_t",
        "row_usd",
        "saves_usd",
        "saves_pv_usd",
    ]
    prices = plan.table("horizon_prices")
    if prices.empty:
        return pd.DataFrame(columns=columns)
    rows = prices.loc[prices["kind"].isin(BUILD_ROWS)]
    price = rows["shadow_price"].astype(float)
    rows = rows.loc[(price.abs() > 0) & np.isfinite(price)]
    periods = dict(zip(plan.years, plan.periods))
    out = []
    for row in rows.to_dict(orient="records"):
        limit = row["kind"] == "build_limit"
        n = periods.get(int(row["year"]), 1) if limit else 1
        if limit:
            country, _, stage = str(row["key"]).partition("/")
            label = f"{stage} in {fmt.country(country)}"
        else:
            label = f"largest size of {row['key']}"
        out.append(
            (
                row["kind"],
                label,
                int(row["year"]) if limit else None,
                n,
                float(row["rhs"]),
                float(row["activity"]),
                -float(row["shadow_price"]),
                -float(row["shadow_price"]) * n,
                -float(row["shadow_price_pv"]) * n,
            )
        )
    frame = pd.DataFrame(out, columns=columns)
    return frame.sort_values("saves_pv_usd", ascending=False, kind="stable").reset_index(drop=True)


def limits_caption(plan: PlanData, rows: pd.DataFrame) -> str:
    """The most valuable binding limit on building, in numbers; or that none binds."""
    prices = plan.table("horizon_prices")
    limits = int((prices["kind"] == "build_limit").sum()) if len(prices) else 0
    if rows.empty:
        if not limits:
            return "No build limit binds: the dataset sets none (build_limits.csv)."
        return f"No build limit binds: none of the {limits} limits (per country, stage and period) has a price."
    top = rows.iloc[0]
    dated = pd.notna(top["year"])
    when = f" in {int(top['year'])}" if dated else ""
    money = f"{int(top['year'])} money" if dated else "base-year money"
    n = int(top["period_years"])
    per_row = f"; {fmt.usd(float(top['row_usd']))} per t/yr allowed in its {n}-year period" if n > 1 else ""
    count = len(rows)
    return (
        f"{count} limit{'s on building bind' if count > 1 else ' on building binds'}; "
        f"the most valuable: {top['label']}{when}, where "
        f"one more t/yr of building capability saves {fmt.usd(float(top['saves_usd']))} ({money}; "
        f"{fmt.usd(float(top['saves_pv_usd']))} in present value{per_row})."
    )


def plan_charts(plan: PlanData) -> list[Chart]:
    """The charts of a plan, in page order (those with nothing to show left out)."""
    charts = [capacity_chart(plan), builds_chart(plan), prices_chart(plan), stock_chart(plan), costs_chart(plan)]
    return [c for c in charts if c is not None]
