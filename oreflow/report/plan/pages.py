"""The page of a plan: a lead line (objective in present value, horizon, builds, unmet
demand), the timeline charts with their captions, the builds and costs as tables, the binding
build limits, and the metadata of summary.json."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from oreflow.prices import FRAGILE_MEANING, flags, tonnes_amount
from oreflow.report.common import fmt
from oreflow.report.common.chart import Chart
from oreflow.report.common.data import TINY
from oreflow.report.common.html import chart_section, page, table, timings_and_versions
from oreflow.report.plan.charts import binding_limits, horizon_costs, limits_caption, tpy
from oreflow.report.plan.data import PlanData


def _section(anchor: str, title: str, caption: str, body: str = "") -> str:
    """A section without a chart: heading, caption and ``body`` (HTML)."""
    return (
        f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>'
        f'<p class="caption" id="caption-{escape(anchor)}">{escape(caption)}</p>{body}</section>'
    )


def _with(section: str, body: str) -> str:
    """``section`` (a chart's) with ``body`` (HTML) added at its end."""
    return section.removesuffix("</section>") + body + "</section>" if body else section


def _builds_text(plan: PlanData) -> str:
    builds = plan.table("builds")
    if builds.empty:
        return "no plant is built"
    first, last = int(builds["online_year"].min()), int(builds["online_year"].max())
    online = f"online {first}" if first == last else f"online {first}–{last}"
    count = len(builds)
    added = tpy(float(builds["capacity_t"].sum()))
    return f"{count} build{'s add' if count > 1 else ' adds'} {added} of capacity ({online})"


def _unmet_text(plan: PlanData) -> str:
    unmet = plan.table("unmet")
    if unmet.empty:
        return "all demand met"
    by_year = unmet.groupby("year")["unmet_t"].sum()
    short = by_year.loc[by_year > TINY]
    if short.empty:
        return "all demand met in every year"
    year = int(short.idxmax())
    return (
        f"demand unmet in {len(short)} of {len(by_year)} years (most in {year}: {fmt.tonnes(float(short.max()))} "
        "per year)"
    )


def lead(plan: PlanData) -> str:
    """One line: the objective in present value, the horizon, the builds and unmet demand."""
    h = plan.horizon
    periods = len(plan.years)
    rate = float(h.get("discount_rate") or 0.0)
    base = h.get("base_year") or (plan.years[0] if plan.years else "")
    what = "Objective" if plan.curves else "Cost"
    return (
        f"{what} {fmt.usd(horizon_costs(plan)['objective'])} in present value at {base}, over {plan.span} "
        f"({periods} period{'s' if periods != 1 else ''}, discount rate {100 * rate:g} %); "
        f"{_builds_text(plan)}; {_unmet_text(plan)}."
    )


def builds_table(plan: PlanData) -> str:
    """Every build: what, where, when, how much and its charges."""
    builds = plan.table("builds")
    rows = [
        (
            b["build"],
            b["stage"],
            b["site"],
            fmt.country(b["country"]),
            int(b["start_year"]),
            int(b["online_year"]),
            tonnes_amount(float(b["capacity_t"])).removesuffix(" t"),
            fmt.num(float(b["charges_pv_usd"])),
        )
        for b in builds.to_dict(orient="records")
    ]
    head = ("build", "stage", "site", "country", "started", "online", "capacity, t/yr", "charges, USD (present value)")
    return table(rows, head, {4, 5, 6, 7})


def costs_table(plan: PlanData) -> str:
    """Each period: its years, its weight (discounted years), its cost per year and present value."""
    costs = plan.table("costs_by_year")
    rows = [
        (
            int(c["year"]),
            int(c["period_years"]),
            f"{float(c['weight']):.3f}",
            fmt.num(float(c["objective_usd_per_year"])),
            fmt.num(float(c["present_value_usd"])),
        )
        for c in costs.to_dict(orient="records")
    ]
    parts = horizon_costs(plan)
    note = (
        f"<p class=note>Present value of the years {fmt.num(parts['years'])} USD, build charges "
        f"{fmt.num(parts['charges'])} USD, stock holding {fmt.num(parts['rest'])} USD: objective "
        f"{fmt.num(parts['objective'])} USD (costs_by_year.csv, builds.csv, summary.json).</p>"
    )
    head = ("year", "years in the period", "discounted years", "USD per year", "present value, USD")
    return table(rows, head, {0, 1, 2, 3, 4}) + note


def limits_section(plan: PlanData) -> str:
    """The binding limits on building as a table, most valuable first."""
    rows = binding_limits(plan)
    caption = limits_caption(plan, rows)
    body = ""
    if len(rows):
        cells = [
            (
                r["label"],
                "—" if pd.isna(r["year"]) else int(r["year"]),
                int(r["period_years"]),
                tonnes_amount(float(r["allowed_t"])).removesuffix(" t"),
                tonnes_amount(float(r["started_t"])).removesuffix(" t"),
                fmt.num(float(r["row_usd"]), 2),
                fmt.num(float(r["saves_usd"]), 2),
                fmt.num(float(r["saves_pv_usd"]), 2),
            )
            for r in rows.to_dict(orient="records")
        ]
        head = (
            "limit on building",
            "period",
            "years in it",
            "allowed in the period, t/yr",
            "started, t/yr",
            "one more t/yr allowed in the period saves, USD",
            "one more t/yr of building capability saves, USD",
            "the same in present value, USD",
        )
        body = table(cells, head, set(range(1, 8))) + (
            "<p class=note>From horizon_prices.csv (kinds build_limit and build_size): a build limit per "
            "country, stage and period allows its yearly t/yr (build_limits.csv) times the years of the period "
            "to be started in it, so one more t/yr of building capability is worth that many times the row's "
            "price; a build's largest size (builds.csv max_t) is priced per t/yr. Savings in the money of the "
            "period's first year, and in present value at the base year.</p>"
        )
    return _section("limits", "Binding build limits: what one more t/yr of building capability is worth", caption, body)


def metadata(plan: PlanData) -> str:
    """The horizon, the job and dataset, and the versions, as recorded in summary.json."""
    s, h = plan.summary, plan.horizon
    resolved = ((s.get("job") or {}).get("resolved")) or {}
    rows: list[tuple[str, Any]] = [
        ("status", s.get("status")),
        ("periods", ", ".join(f"{y} ({n} yr)" for y, n in zip(plan.years, plan.periods))),
        ("discount rate", f"{100 * float(h.get('discount_rate') or 0.0):g} %"),
        ("base year (present value)", h.get("base_year")),
        ("dataset", resolved.get("dataset")),
        ("job file", s.get("job_file")),
    ]
    rows += timings_and_versions(s)
    return _section(
        "metadata",
        "Plan metadata",
        "As recorded in summary.json.",
        table([(k, "—" if v is None else v) for k, v in rows]),
    )


def plan_page(plan: PlanData, charts: list[Chart], pngs: dict[str, str]) -> str:
    """The page of a plan: the charts in the order (a)–(e), with a section saying so where one has
    nothing to show, then the binding build limits and the metadata."""
    found = {c.name: chart_section(c, pngs.get(c.name)) for c in charts}
    market = plan.table("market")
    fragile = bool("fragile" in market and flags(market["fragile"]).any())
    body = [
        found.get("separation", _section("separation", "Separation capacity and its use", "No refinery table.")),
        _with(found["builds"], builds_table(plan))
        if "builds" in found
        else _section("builds", "Builds", "No plant is built."),
        _with(found["prices"], f"<p class=note>{escape(FRAGILE_MEANING)}</p>" if fragile else "")
        if "prices" in found
        else _section("prices", "Price paths", "No market table."),
        found.get("stockpiles", _section("stockpiles", "Stockpiles", "No stockpile.")),
        _with(found["costs"], costs_table(plan)) if "costs" in found else _section("costs", "Costs", "No costs table."),
        limits_section(plan),
        metadata(plan),
    ]
    nav = [(f"#{key}", key) for key in ("separation", "builds", "prices", "stockpiles", "costs")]
    nav += [("#limits", "build limits"), ("#metadata", "metadata")]
    return page(f"oreflow plan: {plan.name}", lead(plan), body, charts=bool(charts), nav=nav)
